"""conv_transpose, upsample, crop and zero_pad against torch.nn.functional written from the
settings, and their errors with the arithmetic filled in."""
import pytest

torch = pytest.importorskip("torch")
from torch.nn import functional as F  # noqa: E402

from tests.layers.kit import analyze, errors, run  # noqa: E402


@pytest.mark.parametrize("settings, shape", [
    ("{filters: 3, kernel: 2, stride: 2}", (3, 10, 10)),  # U-Net's up-convolution
    ("{filters: 4, kernel: 3, stride: 2, padding: 1, output_padding: 1}", (4, 10, 10)),
    ("{filters: 2, kernel: [3, 1], stride: [2, 1], dilation: [1, 2], padding: [1, 0]}",
     (2, 9, 5)),
    ("{filters: 4, kernel: 3, groups: 2, bias: false}", (4, 7, 7)),
    ("{filters: 2, kernel: 3, stride: 3, output_padding: 2, dilation: 3}", (2, 21, 21)),
])
def test_conv_transpose_2d(settings, shape):
    a, module, x, y = run((2, 5, 5) if "groups" not in settings else (4, 5, 5),
                          f"conv_transpose: {settings}")
    assert a.output_shape == shape
    m = module.conv_transpose1
    with torch.no_grad():
        expected = F.conv_transpose2d(x, m.weight, m.bias, m.stride, m.padding,
                                      m.output_padding, m.groups, m.dilation)
    torch.testing.assert_close(y, expected)
    c_in = x.shape[1]
    k = m.kernel_size[0] * m.kernel_size[1]
    assert a.total_weights == c_in * (shape[0] // m.groups) * k  # f^2 * C_in * filters / groups
    assert a.total_macs == a.total_weights * 25


@pytest.mark.parametrize("shape", [(2, 6), (2, 3, 3, 3)])
def test_conv_transpose_1d_and_3d(shape):
    a, _, _, _ = run(shape, "conv_transpose: {filters: 3, kernel: 2, stride: 2, activation: relu}")
    assert a.output_shape == (3, *[2 * n for n in shape[1:]])
    assert a.layers[0].label.startswith("conv_transpose 3 2") and a.layers[0].label.endswith(
        "/2 p0 +relu")


def test_conv_transpose_output_size_below_one_shows_the_arithmetic():
    (e,) = errors((1, 2, 2), "conv_transpose: {filters: 1, kernel: 1, padding: 1}")
    assert e.code == "NS415" and e.location.line == 3
    assert e.message == ("output height is (2-1)*1 - 2*1 + 1*(1-1) + 0 + 1 = 0, but every size "
                         "must be at least 1")
    assert e.hint == "padding of at most 0 keeps the height positive"


def test_output_padding_below_stride_or_dilation():
    (e,) = errors((1, 7, 7), "conv_transpose: {filters: 1, kernel: 3, stride: 2, "
                             "output_padding: 2}")
    assert e.code == "NS414"
    assert e.message == ("output_padding 2 on the height must be smaller than the stride (2) or "
                         "the dilation (1)")
    assert analyze((1, 7, 7), "conv_transpose: {filters: 1, kernel: 3, dilation: 3, "
                              "output_padding: 2}").output_shape == (1, 15, 15)


def test_conv_transpose_groups_and_per_axis_settings():
    (e,) = errors((3, 4, 4), "conv_transpose: {filters: 4, kernel: 2, groups: 2}")
    assert e.code == "NS407"
    (e,) = errors((3, 4, 4), "conv_transpose: {filters: 4, kernel: 2, output_padding: [0, 0, 0]}")
    assert e.code == "NS408"


@pytest.mark.parametrize("settings, shape, call", [
    ("2", (3, 8, 10), dict(scale_factor=2.0)),
    ("{scale: [1.5, 3]}", (3, 6, 15), dict(scale_factor=(1.5, 3.0))),
    ("{size: [7, 9], mode: bilinear}", (3, 7, 9), dict(size=(7, 9), mode="bilinear")),
    ("{scale: 2, mode: bilinear, align_corners: true}", (3, 8, 10),
     dict(scale_factor=2.0, mode="bilinear", align_corners=True)),
    ("{scale: 0.5}", (3, 2, 2), dict(scale_factor=0.5)),
])
def test_upsample_2d(settings, shape, call):
    a, _, x, y = run((3, 4, 5), f"upsample: {settings}")
    assert a.output_shape == shape and a.total_params == 0
    torch.testing.assert_close(y, F.interpolate(x, **call))


@pytest.mark.parametrize("shape, mode", [((2, 5), "linear"), ((2, 3, 2, 4), "trilinear"),
                                         ((2, 3, 2, 4), "nearest")])
def test_upsample_1d_and_3d(shape, mode):
    _, _, x, y = run(shape, f"upsample: {{scale: 2, mode: {mode}}}")
    torch.testing.assert_close(y, F.interpolate(x, scale_factor=2.0, mode=mode))


@pytest.mark.parametrize("layer, code, message", [
    ("upsample: {scale: 2, size: 8}", "NS207", "upsample takes a scale or a size, not both"),
    ("upsample: {scale: 2, align_corners: false}", "NS207",
     "align_corners is for the interpolating modes, not nearest"),
    ("upsample: {scale: 2, mode: trilinear}", "NS416",
     "trilinear interpolates volumes (C, D, H, W), but the input is (1, 4, 4)"),
    ("upsample: 0.2", "NS415", "output height is floor(4 * 0.2) = 0, but every size must be at "
                               "least 1"),
    ("upsample: {scale: [2, 2, 2]}", "NS408", "scale has 3 values but the input has 2 spatial "
                                              "axes"),
])
def test_upsample_errors(layer, code, message):
    (e,) = errors((1, 4, 4), layer)
    assert (e.code, e.message) == (code, message)


@pytest.mark.parametrize("big, small", [((9, 9), (5, 5)), ((8, 9), (5, 5)), ((7, 6), (7, 3)),
                                        ((5,), (2,)), ((4, 5, 6), (1, 2, 3))])
def test_crop_keeps_the_centre(big, small):
    """The first input's centre, the odd row off the end: (n - m) // 2 before."""
    adaptive = f"adaptive_avgpool: {{output: {list(small)}, name: target}}"
    a, _, x, y = run((2, *big), adaptive, "crop: [input, target]")
    box = tuple(slice((n - m) // 2, (n - m) // 2 + m) for n, m in zip(big, small))
    assert torch.equal(y, x[(slice(None), slice(None), *box)])
    assert a.layers[-1].label == "crop " + "x".join(map(str, small))
    assert a.layers[-1].activations == 0  # a view of its input


def test_crop_errors():
    (e,) = errors((2, 8, 8), "maxpool: {kernel: 2, name: small}", "crop: [small, input]")
    assert e.code == "NS417"
    assert e.message == "crop cannot enlarge: the first input's height is 4, the size to crop " \
                        "it to is 8"
    assert e.details == ("input 'small' (2, 4, 4) (line 3)", "input 'input' (2, 8, 8) "
                                                             "(the network input)")
    (e,) = errors((2, 8, 8), "global_avgpool: {name: flat}", "crop: [input, flat]")
    assert e.code == "NS417" and "same axes" in e.message
    (e,) = errors((2, 8, 8), "relu", "crop: [input, relu1, relu1]")
    assert e.code == "NS203"  # at most two inputs, said by the schema


@pytest.mark.parametrize("padding, pads", [("1", (1, 1, 1, 1)), ("[1, 2]", (2, 2, 1, 1)),
                                           ("[[0, 1], [2, 0]]", (2, 0, 0, 1))])
def test_zero_pad(padding, pads):
    a, _, x, y = run((2, 3, 4), f"zero_pad: {padding}")
    assert torch.equal(y, F.pad(x, pads))
    assert a.layers[0].label == "zero_pad " + padding.replace(" ", "")


def test_zero_pad_1d_and_errors():
    _, _, x, y = run((2, 3), "zero_pad: [[2, 0]]")
    assert torch.equal(y, F.pad(x, (2, 0)))
    (e,) = errors((2, 3), "zero_pad: [1, 2]")
    assert e.code == "NS408"
    (e,) = errors((2,), "zero_pad: 1")
    assert e.code == "NS403"


def test_fields_after_enlarging_layers():
    """An up-convolution that undoes a pool: whole positions, half the jump."""
    a = analyze((1, 16, 16), "conv: {filters: 1, kernel: 3, padding: 1}", "maxpool: 2",
                "conv_transpose: {filters: 1, kernel: 2, stride: 2}", "upsample: 2")
    (c, p, t, u) = a.layers
    assert (p.receptive_field, p.jump, p.field_start) == ((4, 4), (2, 2), (-1, -1))
    # output o reads input floor(o/2) of the pool: the pool's field, half the step
    assert (t.receptive_field, t.jump, t.field_start) == ((5, 5), (1, 1), (-2, -2))
    assert u.jump == (0.5, 0.5)  # past the input's resolution: a fraction, as a float


def test_enlarging_layers_keep_sizes_bounded():
    """A chain of upsamples cannot grow sizes without end: past 2**31 - 1 it is an error."""
    (e,) = errors((1, 4, 4), *["upsample: 1024"] * 3)
    assert e.code == "NS418" and e.location.line == 5  # the third: 4 * 1024**3
    assert e.message == ("output height is floor(4194304 * 1024) = 4,294,967,296, over the "
                         "largest size, 2,147,483,647")
    (e,) = errors((1, 3), "conv_transpose: {filters: 1, kernel: 1, stride: 2147483647}")
    assert e.code == "NS418"
    assert len(errors((1, 4, 4), *["upsample: 1024"] * 2000)) == 1  # the rest have no shape
