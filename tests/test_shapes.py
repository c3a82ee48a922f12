"""The shape arithmetic against brute force: windows counted one by one; the ragged-window
hint checked by following it."""
import re

import pytest
import yaml
from hypothesis import given, strategies as st

import netspec
from netspec.shapes import Window, padding_to_tile, receptive_field, same_padding

sizes = st.integers(1, 64)
small = st.integers(1, 7)


def brute_force(w: Window) -> int:
    """Count window starts that fit in the padded input (PyTorch's floor rule)."""
    return sum(1 for start in range(0, w.padded, w.stride) if start + w.span <= w.padded)


@given(sizes, small, small, st.integers(0, 3), st.integers(0, 3), st.integers(1, 3))
def test_output_size_counts_windows(n, k, s, lo, hi, d):
    w = Window(n, k, s, lo, hi, d)
    assert w.out == brute_force(w)
    if w.out:
        last_end = (w.out - 1) * s + w.span
        assert w.leftover == w.padded - last_end


@given(sizes, small, small, st.integers(1, 2))
def test_same_padding_gives_ceil(n, k, s, d):
    lo, hi = same_padding(n, k, s, d)
    assert Window(n, k, s, lo, hi, d).out == -(-n // s)
    assert hi - lo in (0, 1)


@given(sizes, small, small, st.integers(0, 3))
def test_padding_to_tile_removes_leftover(n, k, s, p):
    w = Window(n, k, s, p, p)
    lo, hi = padding_to_tile(w)
    fitted = Window(n, k, s, lo, hi)
    if fitted.padded >= k:
        assert fitted.leftover == 0 and lo >= p and hi >= p


def test_only_real_rows_count_as_lost():
    assert Window(7, 3, 3).lost == 1  # seed 001: the last real row is skipped
    assert Window(32, 3, 2, 1, 1).lost == 0  # ResNet: only a row of padding is skipped
    assert Window(9, 3, 3, 1, 1).lost == 1
    assert Window(56, 1, 2).lost == 0  # a 1x1 stride-2 shortcut subsamples on purpose


def test_seed_formula_text():
    assert Window(6, 3, 5, 1, 1).formula() == "floor((6 + 2*1 - 3) / 5) + 1 = 2"
    assert Window(7, 3, 3).exact() == "2.33"


def test_receptive_field():
    assert receptive_field([(3, 1), (3, 1), (3, 1)]) == 7
    assert receptive_field([(3, 1), (2, 2), (3, 1)]) == 8


# -- the ragged-window hint: a padding setting to paste into the spec ---------------------------

def hint_of(input_shape, layer):
    (w,) = netspec.analyze(f"input: {input_shape}\nlayers:\n  - {layer}\n").warnings
    return w.hint


@pytest.mark.parametrize("input_shape, layer, hint", [
    ([1, 7, 6], "maxpool: 2", "padding [[0, 1], 0] would fit: floor((7 + 0 + 1 - 2) / 2) + 1 = 4"),
    ([1, 7], "maxpool: 2", "padding [[0, 1]] would fit: floor((7 + 0 + 1 - 2) / 2) + 1 = 4"),
    ([1, 7, 7], "conv: {filters: 1, kernel: 3, stride: 3}",
     "padding 1 would fit: floor((7 + 2*1 - 3) / 3) + 1 = 3"),
    ([1, 7, 6], "avgpool: 2", "padding [1, 0] would fit: floor((7 + 2*1 - 2) / 2) + 1 = 4"),
    ([1, 3, 3], "avgpool: {kernel: 3, stride: 3, padding: 1}",
     "no padding this kind allows fits; `ceil_mode: true` keeps the last, partial window"),
])
def test_ragged_hint_is_a_padding_setting_as_the_spec_writes_it(input_shape, layer, hint):
    assert hint_of(input_shape, layer) == hint


@given(st.integers(2, 12), st.integers(1, 12), st.integers(1, 5), st.integers(1, 4),
       st.sampled_from(["maxpool", "avgpool", "conv"]))
def test_following_the_ragged_hint_silences_the_warning(h, w, k, s, kind):
    """The suggested padding, pasted into the layer, is valid and leaves no row unvisited."""
    settings = {"kernel": k, "stride": s} | ({"filters": 1} if kind == "conv" else {})
    text = f"input: [1, {h}, {w}]\nlayers:\n  - {kind}: {settings}\n"
    try:
        warnings = netspec.analyze(text).warnings
    except netspec.SpecError:
        return  # the kernel does not fit: not this test's business
    if not warnings or "would fit" not in warnings[0].hint:
        return
    padding = yaml.safe_load(re.match(r"padding (.*) would fit", warnings[0].hint).group(1))
    assert not netspec.analyze(text.replace("}", f", 'padding': {padding}}}")).warnings
