"""Random sequential specs against PyTorch, built here independently of netspec's backend.

For every spec hypothesis draws (1-D to 3-D; conv, depthwise and separable conv and pool
windows with every padding form, strides, dilations, groups, ceil mode; transposed convs with
output padding; upsampling by scales, sizes and modes; zero padding; channel shuffles; adaptive
and global pooling, batch and layer normalisation, layer scale, the activations with and
without parameters, flatten and dense heads), the checker and PyTorch must agree: the
checker accepts it exactly when PyTorch runs it, and then predicts every layer's output shape
and parameter count, which netspec's compiled module must compute too. The oracle model is
written from the spec's settings with torch.nn and F.pad directly, so a shared misunderstanding
in netspec's backend cannot hide a wrong prediction.
"""
import math

import pytest

torch = pytest.importorskip("torch")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

import netspec  # noqa: E402
from netspec.backends.pytorch.module import build_module  # noqa: E402
from netspec.core.errors import SpecError  # noqa: E402


def per_axis(draw, rank, values):
    """One number for all axes, or one per axis."""
    return draw(st.one_of(values, st.lists(values, min_size=rank, max_size=rank)))


@st.composite
def paddings(draw, rank, most):
    n = st.integers(0, most)
    return draw(st.one_of(n, st.lists(n, min_size=rank, max_size=rank),
                          st.sampled_from(["same", "valid"]),
                          st.lists(st.lists(n, min_size=2, max_size=2),
                                   min_size=rank, max_size=rank)))


def window(draw, rank):
    """The settings every convolution kind shares."""
    return {"kernel": per_axis(draw, rank, st.integers(1, 4)),
            "stride": per_axis(draw, rank, st.integers(1, 3)),
            "padding": draw(paddings(rank, 2)),
            "dilation": per_axis(draw, rank, st.integers(1, 2)), "bias": draw(st.booleans()),
            "activation": draw(st.sampled_from([None, "relu", "tanh"]))}


ELEMENT_WISE = ["relu", "dropout", "silu", "swish", "hardswish", "hardsigmoid", "mish"]


@st.composite
def layers(draw, rank):
    kind = draw(st.sampled_from(["conv", "conv", "depthwise_conv", "separable_conv", "maxpool",
                                 "avgpool", "adaptive_avgpool", "batchnorm", "lrn", "relu",
                                 "dropout", "conv_transpose", "conv_transpose", "upsample",
                                 "upsample", "zero_pad", "channel_shuffle", "layernorm",
                                 "layer_scale", "prelu", "element_wise"]))
    if kind == "element_wise":
        name = draw(st.sampled_from(ELEMENT_WISE[2:] + ["stochastic_depth"]))
        return {name: {"rate": 0.5}} if name == "stochastic_depth" else {name: None}
    if kind == "conv_transpose":
        return {kind: {"filters": draw(st.integers(1, 4)),
                       "groups": draw(st.sampled_from([1, 1, 2])),
                       "kernel": per_axis(draw, rank, st.integers(1, 4)),
                       "stride": per_axis(draw, rank, st.integers(1, 3)),
                       "padding": per_axis(draw, rank, st.integers(0, 2)),
                       "output_padding": per_axis(draw, rank, st.sampled_from([0, 0, 1, 2])),
                       "dilation": per_axis(draw, rank, st.integers(1, 2)),
                       "bias": draw(st.booleans()),
                       "activation": draw(st.sampled_from([None, "silu", "hardswish"]))}}
    if kind == "upsample":
        linear = {1: "linear", 2: "bilinear", 3: "trilinear"}[rank]
        mode = draw(st.sampled_from(["nearest", linear, linear, "trilinear"]))
        how = draw(st.sampled_from(["scale", "scales", "size"]))
        settings_ = {"mode": mode}
        if how == "size":
            settings_["size"] = per_axis(draw, rank, st.integers(1, 7))
        else:
            factor = st.sampled_from([1, 2, 3, 0.5, 1.5, 2.5])
            settings_["scale"] = draw(factor) if how == "scale" else draw(
                st.lists(factor, min_size=rank, max_size=rank))
        if mode != "nearest" and draw(st.booleans()):
            settings_["align_corners"] = draw(st.booleans())
        return {kind: settings_}
    if kind == "zero_pad":
        n = st.integers(0, 2)
        return {kind: {"padding": draw(st.one_of(n, st.lists(n, min_size=rank, max_size=rank),
                                                 st.lists(st.lists(n, min_size=2, max_size=2),
                                                          min_size=rank, max_size=rank)))}}
    if kind == "channel_shuffle":
        return {kind: {"groups": draw(st.integers(1, 4))}}
    if kind == "layernorm":
        return {kind: {"affine": draw(st.booleans())}}
    if kind == "prelu":
        return {kind: {"per_channel": draw(st.booleans())}}
    if kind == "conv":
        return {"conv": {"filters": draw(st.integers(1, 4)), "groups": draw(st.integers(1, 2)),
                         **window(draw, rank)}}
    if kind == "depthwise_conv":
        return {kind: {"multiplier": draw(st.integers(1, 2)), **window(draw, rank)}}
    if kind == "separable_conv":
        return {kind: {"filters": draw(st.integers(1, 4)), "multiplier": draw(st.integers(1, 2)),
                       **window(draw, rank)}}
    if kind == "adaptive_avgpool":
        return {kind: {"output": per_axis(draw, rank, st.integers(1, 4))}}
    if kind == "lrn":
        return {kind: {"size": draw(st.integers(1, 3))}}
    if kind in ("maxpool", "avgpool"):
        return {kind: {"kernel": per_axis(draw, rank, st.integers(1, 3)),
                       "stride": draw(st.one_of(st.none(), st.integers(1, 3))),
                       "padding": draw(paddings(rank, 1)), "ceil_mode": draw(st.booleans())}}
    return {kind: None}


@st.composite
def specs(draw):
    rank = draw(st.integers(1, 3))
    shape = [draw(st.integers(1, 4))] + [draw(st.integers(1, 9 if rank < 3 else 6))
                                         for _ in range(rank)]
    items = draw(st.lists(layers(rank), min_size=1, max_size=4))
    head = draw(st.sampled_from([[], [{"flatten": None}], [{"global_avgpool": None}]]))
    if head:
        head += draw(st.lists(st.builds(lambda u, b: {"dense": {"units": u, "bias": b}},
                                        st.integers(1, 5), st.booleans()), max_size=2))
    return shape, items + head


# --- the oracle: torch.nn written from the settings, not from netspec's plan -----------------

def axes(value, rank):
    return [value] * rank if isinstance(value, int) else list(value)


def pads(padding, x, kernel, stride, dilation):
    """(before, after) per axis; 'same' as TensorFlow: output ceil(n / s), the extra after."""
    rank = x.dim() - 2
    if padding == "valid":
        return [(0, 0)] * rank
    if padding == "same":
        found = []
        for n, k, s, d in zip(x.shape[2:], kernel, stride, dilation):
            total = max((math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
            found.append((total // 2, total - total // 2))
        return found
    if isinstance(padding, int):
        return [(padding, padding)] * rank
    return [(p, p) if isinstance(p, int) else tuple(p) for p in padding]


def padded(x, pairs, value):
    """``x`` with explicit padding, and the symmetric padding left for the module itself."""
    if all(lo == hi for lo, hi in pairs):
        return x, [lo for lo, _ in pairs]
    flat = [v for lo, hi in reversed(pairs) for v in (lo, hi)]
    return F.pad(x, flat, value=value), [0] * len(pairs)


def oracle_layer(layer, x):
    """Run one layer with PyTorch's own functions; returns (output, parameter count). The
    output's shape is the oracle, not its values: element-wise layers (relu, dropout, a conv's
    activation) keep the shape, so relu stands in for all of them."""
    (kind, s), = layer.items()
    rank = x.dim() - 2
    if kind in ELEMENT_WISE or kind == "stochastic_depth":
        return torch.relu(x), 0
    c = x.shape[1]
    if kind == "layer_scale":
        return x, c  # one learned scale per channel
    if kind == "prelu":
        return counted(nn.PReLU(c if s["per_channel"] else 1), x)
    if kind == "layernorm":  # over the channels of each position, as ConvNeXt's LayerNorm2d
        m = nn.LayerNorm(c, elementwise_affine=s["affine"])
        return m(x.movedim(1, -1)).movedim(-1, 1), sum(p.numel() for p in m.parameters())
    if kind == "channel_shuffle":  # torchvision's channel_shuffle; view refuses what won't go
        g = s["groups"]
        return x.view(x.shape[0], g, c // g, *x.shape[2:]).transpose(1, 2).reshape(x.shape), 0
    if kind == "zero_pad":
        pairs = pads(s["padding"], x, None, None, None)
        return F.pad(x, [v for lo, hi in reversed(pairs) for v in (lo, hi)]), 0
    if kind == "upsample":
        scale = s.get("scale")
        if scale is None and "size" not in s:
            scale = 2  # netspec's default
        scale = tuple(float(v) for v in scale) if isinstance(scale, list) else scale
        size = s.get("size")
        size = axes(size, rank) if size is not None else None
        return F.interpolate(x, size=size, scale_factor=scale, mode=s["mode"],
                             align_corners=s.get("align_corners")), 0
    if kind == "conv_transpose":
        t = [nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d][rank - 1]
        return counted(t(c, s["filters"], axes(s["kernel"], rank), axes(s["stride"], rank),
                         axes(s["padding"], rank), axes(s["output_padding"], rank), s["groups"],
                         s["bias"], axes(s["dilation"], rank)), x)
    if kind == "lrn":
        return nn.LocalResponseNorm(s["size"])(x), 0
    if kind == "flatten":
        return x.flatten(1), 0
    if kind == "global_avgpool":
        return x.flatten(2).mean(2), 0
    if kind == "dense":
        return counted(nn.Linear(x.shape[1], s["units"], s["bias"]), x)
    if kind == "adaptive_avgpool":
        pool = [nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d][rank - 1]
        return pool(axes(s["output"], rank))(x), 0
    if kind == "batchnorm":
        m = [nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d][rank - 1](x.shape[1])
        return m(x), sum(p.numel() for p in m.parameters())
    kernel = axes(s["kernel"], rank)
    if kind.endswith("conv"):
        stride, dilation = axes(s["stride"], rank), axes(s["dilation"], rank)
        x, sym = padded(x, pads(s["padding"], x, kernel, stride, dilation), 0.0)
        conv = [nn.Conv1d, nn.Conv2d, nn.Conv3d][rank - 1]
        c = x.shape[1]
        if kind == "conv":
            return counted(conv(c, s["filters"], kernel, stride, sym, dilation, s["groups"],
                                s["bias"]), x)
        if kind == "depthwise_conv":
            return counted(conv(c, c * s["multiplier"], kernel, stride, sym, dilation, c,
                                s["bias"]), x)
        # separable, as Keras' SeparableConv: depthwise without bias, then a 1x1 with it
        depthwise = conv(c, c * s["multiplier"], kernel, stride, sym, dilation, c, False)
        x, n = counted(depthwise, x)
        y, m = counted(conv(c * s["multiplier"], s["filters"], 1, bias=s["bias"]), x)
        return y, n + m
    stride = axes(s["stride"] or s["kernel"], rank)
    pairs = pads(s["padding"], x, kernel, stride, [1] * rank)
    if kind == "avgpool" and any(lo != hi for lo, hi in pairs):
        # By design: zeros padded first would count in the average, unlike TensorFlow's 'same'.
        raise ValueError("netspec refuses one-sided padding for avgpool")
    if any(2 * max(pair) > k for pair, k in zip(pairs, kernel)):
        # PyTorch's rule for its own padding, which netspec applies to explicit padding too:
        # a window wholly in the padding would give -inf (max) or a mean of zeros.
        raise ValueError("pad should be at most half of kernel size")
    family = [nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d] if kind == "maxpool" else \
        [nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d]
    if all(lo == hi for lo, hi in pairs):
        pool = family[rank - 1](kernel, stride, [lo for lo, _ in pairs], ceil_mode=s["ceil_mode"])
        return pool(x), 0
    # One-sided padding has no PyTorch form: pad with -inf as far as the windows reach, the
    # windows chosen by PyTorch's rules for its own padding, counted one by one.
    reach = []
    for n, k, st_, (lo, hi) in zip(x.shape[2:], kernel, stride, pairs):
        starts = windows(n + lo + hi, k, st_, s["ceil_mode"])
        if s["ceil_mode"] and starts and starts[-1] >= lo + n:
            starts.pop()  # PyTorch: no window may start in the right padding
        if not starts:
            raise ValueError("no window")
        reach += [lo, max(0, starts[-1] + k - n - lo)]
    flat = [v for i in reversed(range(rank)) for v in reach[2 * i: 2 * i + 2]]
    return family[rank - 1](kernel, stride, 0)(F.pad(x, flat, value=float("-inf"))), 0


def windows(padded_size, k, s, ceil_mode):
    """Start of every window over a padded axis: each whole window, and in ceil mode the
    partial windows too (those starting less than a stride past the last whole start)."""
    return list(range(0, padded_size - k + (s if ceil_mode else 1), s))


def counted(module, x):
    return module(x), sum(p.numel() for p in module.parameters())


def oracle(shape, items):
    """Each layer's (output shape, parameter count), or None when PyTorch refuses the net."""
    x, found = torch.zeros(2, *shape), []
    try:
        for layer in items:
            x, params = oracle_layer(layer, x)
            if x.numel() == 0:
                return None  # PyTorch lets some empty outputs through; no network has one
            found.append((tuple(x.shape[1:]), params))
    except (RuntimeError, ValueError, NotImplementedError):  # what PyTorch refuses with
        return None
    return found


def yaml_of(shape, items) -> str:
    return f"input: {shape}\nlayers:\n" + "".join(f"  - {item}\n" for item in items)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_the_checker_agrees_with_pytorch(spec):
    shape, items = spec
    text = yaml_of(shape, items).replace("'", "").replace("None", "null")
    with torch.no_grad():
        expected = oracle(shape, items)
    try:
        a = netspec.analyze(text)
    except SpecError as e:
        assert expected is None, f"the checker refused what PyTorch runs:\n{text}\n{e}"
        return
    assert expected is not None, f"the checker accepted what PyTorch refuses:\n{text}"
    assert [(r.output_shape, r.params) for r in a.layers] == expected, text
    # and netspec's own compiled module computes those shapes, with no window all padding
    model = build_module(a).eval()
    with torch.no_grad():
        outputs = model.layer_outputs(torch.randn(2, *shape))
    assert [tuple(outputs[r.name].shape[1:]) for r in a.layers] == [e[0] for e in expected]
    assert all(torch.isfinite(y).all() for y in outputs.values()), text
    assert sum(p.numel() for p in model.parameters()) == a.total_params
