"""The ragged-window warning's hint: a padding setting to paste into the spec, checked by
following it."""
import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import netspec
from netspec.core.shapes import Window


def non_tiling(text):
    """The non-tiling warnings (NS402): a design lint may speak too (a dilated, strided conv
    that never reads odd positions is NS607)."""
    return [w for w in netspec.analyze(text).warnings if w.code == "NS402"]


def hint_of(input_shape, layer):
    (w,) = non_tiling(f"input: {input_shape}\nlayers:\n  - {layer}\n")
    return w.hint


@pytest.mark.parametrize("input_shape, layer, hint", [
    ([1, 7, 6], "maxpool: 2", "padding [1, 0] would fit: floor((7 + 2*1 - 2) / 2) + 1 = 4"),
    ([1, 8, 8], "conv: {filters: 1, kernel: 3, stride: 2, padding: [[0, 1], 0]}",  # kept: [0, 1]
     "padding [[0, 1], 1] would fit: floor((8 + 2*1 - 3) / 2) + 1 = 4"),
    ([1, 7, 7], "conv: {filters: 1, kernel: 3, stride: 3}",
     "padding 1 would fit: floor((7 + 2*1 - 3) / 3) + 1 = 3"),
    ([1, 7, 6], "avgpool: 2", "padding [1, 0] would fit: floor((7 + 2*1 - 2) / 2) + 1 = 4"),
    ([1, 6, 6], "avgpool: {kernel: 3, stride: 3, padding: 1}",  # less padding fits
     "padding 0 would fit: floor((6 + 2*0 - 3) / 3) + 1 = 2"),
    ([1, 6, 6], "maxpool: {kernel: 3, stride: 3, padding: 1}",  # never over kernel // 2
     "padding 0 would fit: floor((6 + 2*0 - 3) / 3) + 1 = 2"),
    ([1, 10], "conv: {filters: 1, kernel: 3, stride: 2, dilation: 2}",
     "padding 1 would fit: floor((10 + 2*1 - (2*(3-1)+1)) / 2) + 1 = 4"),
])
def test_ragged_hint_is_a_padding_setting_as_the_spec_writes_it(input_shape, layer, hint):
    assert hint_of(input_shape, layer) == hint


@st.composite
def sliding_layers(draw):
    """A conv, maxpool or avgpool on a 1-D to 3-D input, with padding the kind accepts."""
    kind = draw(st.sampled_from(["maxpool", "avgpool", "conv"]))
    rank, k, s = draw(st.integers(1, 3)), draw(st.integers(1, 5)), draw(st.integers(1, 4))
    layer = {"kernel": k, "stride": s,
             "padding": draw(st.integers(0, 3 if kind == "conv" else k // 2))}
    if kind == "conv":
        layer |= {"filters": 1, "dilation": draw(st.integers(1, 2))}
    sizes = draw(st.lists(st.integers(1, 12), min_size=rank, max_size=rank))
    return kind, [1, *sizes], layer


def allowed_pairs(kind, k):
    top = 4 if kind == "conv" else k // 2
    return [(lo, hi) for lo in range(top + 1) for hi in range(top + 1)
            if lo == hi or kind != "avgpool"]


@settings(max_examples=300, deadline=None)
@given(sliding_layers())
def test_the_ragged_hint_fits_or_no_allowed_padding_does(layer):
    """Pasted into the layer, the suggested padding is accepted and visits every row; when the
    hint says none fits, no padding the kind accepts does (brute force over the axis)."""
    kind, shape, setting = layer
    text = f"input: {shape}\nlayers:\n  - {kind}: {setting}\n"
    try:
        warnings = non_tiling(text)
    except netspec.SpecError:
        return  # the kernel does not fit: not this test's business
    for w in warnings:
        fits = re.match(r"padding (.*) would fit", w.hint or "")
        if fits:
            fixed = setting | {"padding": yaml.safe_load(fits.group(1))}
            assert not non_tiling(f"input: {shape}\nlayers:\n  - {kind}: {fixed}\n")
        else:
            k, s, d = setting["kernel"], setting["stride"], setting.get("dilation", 1)
            ragged = [n for n in shape[1:] if Window(n, k, s, setting["padding"],
                                                     setting["padding"], d).lost]
            assert all(not Window(n, k, s, lo, hi, d).out or Window(n, k, s, lo, hi, d).lost
                       for n in ragged for lo, hi in allowed_pairs(kind, k))


def test_no_hint_when_no_allowed_padding_fits():
    """Unreachable with PyTorch's kinds (pools do not dilate), but the contract holds."""
    from netspec.layers.window import PaddingRule, _closest_fit, _ragged

    w = Window(6, 3, 4, 0, 0, 2)  # span 5, stride 4: one window, the last position lost
    assert w.lost and _closest_fit(w, PaddingRule(symmetric=True, half_kernel=True)) is None
    assert _ragged(["length"], w, None, 0).hint is None
    assert not Window(6, 3, 4, *_closest_fit(w, PaddingRule()), 2).lost  # a conv may pad more


def brute_force_fit(w, rule):
    """The hint's contract, by searching every allowed padding pair (what the checker did
    before, in time that grew with the sizes): the pair that tiles, even if one does, else
    nearest to w's own padding in steps, the smallest first."""
    from netspec.layers.window import _tiles

    top = w.kernel // 2 if rule.half_kernel else max(w.pad_lo, w.pad_hi) + w.stride
    fits = [(lo, hi) for lo in range(top + 1) for hi in range(top + 1)
            if (lo == hi or not rule.symmetric) and _tiles(w._replace(pad_lo=lo, pad_hi=hi))]
    return min(fits, default=None, key=lambda p: (
        p[0] != p[1], abs(p[0] - w.pad_lo) + abs(p[1] - w.pad_hi), p))


RULES = {"conv": "PaddingRule()", "maxpool": "PaddingRule(half_kernel=True)",
         "avgpool": "PaddingRule(symmetric=True, half_kernel=True)",
         "symmetric": "PaddingRule(symmetric=True)"}


@settings(max_examples=1000, deadline=None)
@given(st.integers(1, 40), st.integers(1, 12), st.integers(1, 12), st.integers(1, 3),
       st.integers(0, 8), st.integers(0, 8), st.sampled_from(sorted(RULES)))
def test_the_closed_form_fit_is_the_one_a_search_of_every_padding_finds(n, k, s, d, lo, hi,
                                                                         rule_name):
    from netspec.layers.window import PaddingRule, _closest_fit

    rule = eval(RULES[rule_name], {"PaddingRule": PaddingRule})
    w = Window(n, k, s, lo, hi, d)
    if w.out < 1 or not w.lost or (rule.half_kernel and max(lo, hi) > k // 2) or (
            rule.symmetric and lo != hi):
        return  # only ragged windows with a padding the kind accepts get a hint
    assert _closest_fit(w, rule) == brute_force_fit(w, rule)


@pytest.mark.parametrize("input_shape, layer, hint", [
    # the three specs: 16 s, 50 s and over 30 s before (a search of every padding,
    # run once, finds these same hints)
    ([1, 9754], "conv: {filters: 1, kernel: 5331, stride: 1472}",
     "padding 733 would fit: floor((9754 + 2*733 - 5331) / 1472) + 1 = 5"),
    ([1, 8189], "maxpool: {kernel: 5433}",
     "padding 1339 would fit: floor((8189 + 2*1339 - 5433) / 5433) + 1 = 2"),
    ([1, 6002], "conv: {filters: 1, kernel: 2, dilation: 3000, stride: 3000}",
     "padding 1500 would fit: floor((6002 + 2*1500 - (3000*(2-1)+1)) / 3000) + 1 = 3"),
    # 3-D inputs of 10^4 per axis, kernels and strides in the thousands
    ([1, 10000, 9999, 9998], "maxpool: {kernel: [4001, 3999, 5001], stride: [3001, 2999, 2001]}",
     "padding [2, 1499, 503] would fit"),
    ([2, 10000, 10000, 10000], "conv: {filters: 2, kernel: 4999, stride: 4998, padding: 2000}",
     "padding 2498 would fit"),
    ([1, 10000, 10000, 10000], "avgpool: {kernel: 9999, stride: 7001}", "padding 3500 would fit"),
    ([1, 10000, 10000, 9999], "conv: {filters: 1, kernel: 3, stride: 1998, dilation: 999, "
     "padding: [[0, 3000], 7, [5000, 1]]}", "padding [[0, 3000], 995, 995] would fit"),
    ([1, 10000, 10000, 9999], "maxpool: {kernel: [6001, 7001, 8001], stride: 2003, "
     "padding: [[10, 3000], 7, [3000, 1]]}", "padding [[10, 3000], 504, 3] would fit"),
])
def test_hints_with_sizes_in_the_thousands_come_at_once(input_shape, layer, hint):
    """Bounded work whatever the numbers: the whole check of each spec takes milliseconds (the
    bound is generous; the point is that nothing searches every padding), and each hint, pasted
    into the layer, tiles."""
    import time

    start = time.perf_counter()
    warnings = non_tiling(f"input: {input_shape}\nlayers:\n  - {layer}\n")
    assert time.perf_counter() - start < 2
    assert warnings
    for w in warnings:
        assert (w.hint or "").startswith(hint) if hint else w.hint is None, w.hint
        if hint:
            kind, setting = layer.split(": ", 1)
            fixed = yaml.safe_load(setting) | {
                "padding": yaml.safe_load(re.match(r"padding (.*) would fit", w.hint).group(1))}
            assert not non_tiling(f"input: {input_shape}\nlayers:\n  - {kind}: {fixed}\n")
