"""Receptive fields against PyTorch's autograd: what one output position really depends on.

For every random spec of tests/backends/test_oracle_property.py that the checker accepts, a
probe network is written here from the spec's settings (a single channel: each conv a window of
ones, each pool an average over the same window, element-wise layers dropped) and the gradient
of a layer's first and last output positions with respect to the input marks the input
positions they read. Those must lie inside the field netspec reports (clipped to the input:
the field may reach into padding, which no gradient can see); on a network without padding,
ceil mode, uneven adaptive pooling or enlarging layers (transposed convs, upsampling: their
fields are bounds), every window is real and the field must be exactly what the gradient shows,
at both ends. The published figures come out too.
"""
import pytest

torch = pytest.importorskip("torch")
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from torch.nn import functional as F  # noqa: E402

import netspec  # noqa: E402
from netspec.core.errors import SpecError  # noqa: E402
from tests.backends.test_oracle_property import axes, pads, specs, yaml_of  # noqa: E402


def probe_layer(layer, x):
    """The layer as a linear map with positive weights over one channel (None: no window)."""
    (kind, s), = layer.items()
    rank = x.dim() - 2
    if kind in ("flatten", "global_avgpool"):
        return x.sum(dim=tuple(range(2, x.dim())), keepdim=True)  # every position
    if kind == "adaptive_avgpool":
        return [F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_avg_pool3d][rank - 1](
            x, axes(s["output"], rank))
    if kind == "conv_transpose":
        conv = [F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d][rank - 1]
        return conv(x, torch.ones(1, 1, *axes(s["kernel"], rank), dtype=x.dtype),
                    stride=axes(s["stride"], rank), padding=axes(s["padding"], rank),
                    output_padding=axes(s["output_padding"], rank),
                    dilation=axes(s["dilation"], rank))
    if kind == "upsample":  # interpolation weights are positive: the same map, one channel
        scale = s.get("scale", None if "size" in s else 2)
        scale = tuple(map(float, scale)) if isinstance(scale, list) else scale
        size = axes(s["size"], rank) if "size" in s else None
        return F.interpolate(x, size=size, scale_factor=scale, mode=s["mode"],
                             align_corners=s.get("align_corners"))
    if kind == "zero_pad":
        pairs = pads(s["padding"], x, None, None, None)
        return F.pad(x, [v for lo, hi in reversed(pairs) for v in (lo, hi)])
    if kind not in ("conv", "depthwise_conv", "separable_conv", "maxpool", "avgpool"):
        return x  # element-wise, or dense after a layer that read every position
    kernel = axes(s["kernel"], rank)
    if kind.endswith("conv"):
        stride, dilation = axes(s["stride"], rank), axes(s["dilation"], rank)
        flat = [v for lo, hi in reversed(pads(s["padding"], x, kernel, stride, dilation))
                for v in (lo, hi)]
        conv = [F.conv1d, F.conv2d, F.conv3d][rank - 1]
        return conv(F.pad(x, flat), torch.ones(1, 1, *kernel, dtype=x.dtype), stride=stride,
                    dilation=dilation)
    stride = axes(s["stride"] or s["kernel"], rank)
    flat = [v for lo, hi in reversed(pads(s["padding"], x, kernel, stride, [1] * rank))
            for v in (lo, hi)]
    pool = [F.avg_pool1d, F.avg_pool2d, F.avg_pool3d][rank - 1]
    return pool(F.pad(x, flat), kernel, stride, ceil_mode=s["ceil_mode"])


def support(grad):
    """Per spatial axis, the (first, last) input position with a nonzero gradient; none when
    the output reads only padding."""
    found = []
    for axis in range(grad.dim()):
        others = tuple(a for a in range(grad.dim()) if a != axis)
        hit = (grad.abs().sum(dim=others) > 0).nonzero().flatten()
        if not len(hit):
            return []
        found.append((int(hit.min()), int(hit.max())))
    return found


def every_window_is_real(items):
    """No padding, no ceil mode, adaptive pools that divide: each window lies in its input.
    (Nor layers that enlarge: their fields are bounds, as a whole number of positions cannot
    say what a fraction of one sees.)"""
    for layer in items:
        (kind, s), = layer.items()
        s = s or {}
        if s.get("padding", 0) not in (0, "valid") or s.get("ceil_mode"):
            return False
        if kind in ("adaptive_avgpool", "conv_transpose", "upsample"):
            return False
    return True


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_the_field_holds_what_autograd_says_an_output_reads(spec):
    shape, items = spec
    try:
        a = netspec.analyze(yaml_of(shape, items).replace("'", "").replace("None", "null"))
    except SpecError:
        return
    x = torch.ones(1, 1, *shape[1:], dtype=torch.float64, requires_grad=True)
    h, exact = x, every_window_is_real(items)
    for layer, record in zip(items, a.layers):
        try:
            h = probe_layer(layer, h)
        except RuntimeError:  # avg_pool3d, standing in for a maxpool, refuses some tiny maps
            assume(False)
        spatial = record.output_shape[1:] if len(record.output_shape) > 1 else (1,) * len(
            shape[1:])
        assume(tuple(h.shape[2:]) == tuple(spatial))  # the probe's windows are netspec's
        for corner in ((0,) * len(spatial), tuple(n - 1 for n in spatial)):
            (grad,) = torch.autograd.grad(h[(0, 0, *corner)], x, retain_graph=True)
            for axis, (first, last) in enumerate(support(grad[0, 0])):
                lo = record.field_start[axis] + corner[axis] * record.jump[axis]
                hi = lo + record.receptive_field[axis] - 1
                n = shape[1 + axis]
                assert max(lo, 0) <= first and last <= min(hi, n - 1), (record, corner)
                if exact:
                    assert (first, last) == (lo, hi), (record, corner)


def field(spec: str, name: str):
    r = next(r for r in netspec.analyze(spec).layers if r.name == name)
    return r.receptive_field, r.jump


@pytest.mark.parametrize("spec, layer, rf, jump", [
    ("examples/three_3x3.yaml", "conv3", (7, 7), (1, 1)),  # seed 000: three 3x3 convs see 7x7
    ("specs/vgg16.yaml", "conv13", (196, 196), (16, 16)),  # conv5_3
    ("specs/vgg16.yaml", "maxpool5", (212, 212), (32, 32)),
    ("specs/alexnet.yaml", "pool3", (195, 195), (32, 32)),
    ("specs/resnet18.yaml", "layer4.1.relu2", (435, 435), (32, 32)),
])
def test_published_receptive_fields(spec, layer, rf, jump):
    assert field(spec, layer) == (rf, jump)


def test_a_merge_takes_the_largest_field_of_its_branches():
    a = netspec.analyze("input: [1, 32, 32]\nlayers:\n"
                        "  - conv: {filters: 1, kernel: 5, padding: 2, name: wide}\n"
                        "  - conv: {filters: 1, kernel: 3, padding: 1, input: input, name: slim}\n"
                        "  - concat: [wide, slim]\n")
    assert a.layers[-1].receptive_field == (5, 5)


def test_fields_per_axis_and_in_the_json_and_table():
    a = netspec.analyze("input: [1, 28, 20]\nlayers:\n  - conv: {filters: 2, kernel: [5, 3]}\n"
                        "  - maxpool: 2\n")
    assert (a.layers[1].receptive_field, a.layers[1].jump) == ((6, 4), (2, 2))
    layer = a.to_dict()["layers"][1]
    assert (layer["receptive_field"], layer["jump"], layer["field_start"]) == (
        [6, 4], [2, 2], [0, 0])
    assert "maxpool1  maxpool 2x2 /2    2x12x9   6x4" in str(a)
