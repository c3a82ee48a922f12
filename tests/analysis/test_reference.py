"""Every figure of shared/reference.md that a shape checker can compute, asserted exactly."""
from pathlib import Path

import pytest

import netspec
from netspec.core.shapes import Window, receptive_field

ROOT = Path(__file__).resolve().parents[2]


def spec(name: str):
    return netspec.analyze(ROOT / name)


# (output HxWxC as in the notes, memory elements, params without bias) per VGG-16 row.
VGG16_ROWS = [
    ((224, 224, 64), 3_211_264, 1_728), ((224, 224, 64), 3_211_264, 36_864),
    ((112, 112, 64), 802_816, 0),
    ((112, 112, 128), 1_605_632, 73_728), ((112, 112, 128), 1_605_632, 147_456),
    ((56, 56, 128), 401_408, 0),
    ((56, 56, 256), 802_816, 294_912), ((56, 56, 256), 802_816, 589_824),
    ((56, 56, 256), 802_816, 589_824),
    ((28, 28, 256), 200_704, 0),
    ((28, 28, 512), 401_408, 1_179_648), ((28, 28, 512), 401_408, 2_359_296),
    ((28, 28, 512), 401_408, 2_359_296),
    ((14, 14, 512), 100_352, 0),
    ((14, 14, 512), 100_352, 2_359_296), ((14, 14, 512), 100_352, 2_359_296),
    ((14, 14, 512), 100_352, 2_359_296),
    ((7, 7, 512), 25_088, 0),
    ((4096,), 4_096, 102_760_448), ((4096,), 4_096, 16_777_216), ((1000,), 1_000, 4_096_000),
]


def _hwc(shape):
    return shape if len(shape) == 1 else (*shape[1:], shape[0])


def test_vgg16_table_rows():
    a = spec("specs/vgg16.yaml")
    rows = [r for r in a.layers if r.kind in ("conv", "maxpool", "dense")]
    assert [(_hwc(r.output_shape), r.activations, r.weights) for r in rows] == VGG16_ROWS


def test_vgg16_totals():
    a = spec("specs/vgg16.yaml")
    assert a.input_shape == (3, 224, 224)
    assert a.total_params == 138_357_544
    assert (a.total_weights, a.total_biases) == (138_344_128, 13_416)
    assert a.total_activations == 15_237_608  # input row included
    assert round(a.memory(1, "float32").activations / 2**20) == 58  # "about 58 MiB per image"


def test_vgg16_report_table_shows_rows():
    text = str(spec("specs/vgg16.yaml"))
    for figure in ("102,760,448", "16,777,216", "4,096,000", "3,211,264", "150,528",
                   "138,357,544", "138,344,128", "15,237,608"):
        assert figure in text


ALEXNET = {"conv1": (96, 55, 55), "pool1": (96, 27, 27), "norm1": (96, 27, 27),
           "conv2": (256, 27, 27), "pool2": (256, 13, 13), "norm2": (256, 13, 13),
           "conv3": (384, 13, 13), "conv4": (384, 13, 13), "conv5": (256, 13, 13),
           "pool3": (256, 6, 6), "fc6": (4096,), "fc7": (4096,), "fc8": (1000,)}


def test_alexnet():
    a = spec("specs/alexnet.yaml")
    shapes = {r.name: r.output_shape for r in a.layers}
    assert {k: shapes[k] for k in ALEXNET} == ALEXNET
    assert a.total_params == 62_378_344
    assert all(r.params == 0 for r in a.layers if r.kind == "lrn")


def test_mnist_lab_cnn():
    a = spec("specs/mnist_cnn.yaml")
    rows = [(r.kind, r.output_shape, r.params) for r in a.layers]
    assert rows == [("conv", (32, 26, 26), 320), ("conv", (64, 24, 24), 18_496),
                    ("maxpool", (64, 12, 12), 0), ("dropout", (64, 12, 12), 0),
                    ("flatten", (9216,), 0), ("dense", (128,), 1_179_776),
                    ("dropout", (128,), 0), ("dense", (10,), 1_290)]
    assert a.total_params == 1_199_882


def test_cifar10_convnetjs():
    a = spec("specs/cifar10_convnetjs.yaml")
    rows = [(r.output_shape, r.params) for r in a.layers if r.kind != "flatten"]
    assert rows == [((16, 32, 32), 1_216), ((16, 16, 16), 0), ((20, 16, 16), 8_020),
                    ((20, 8, 8), 0), ((20, 8, 8), 10_020), ((20, 4, 4), 0), ((10,), 3_210)]
    assert a.total_params == 22_466


def test_lenet5():
    a = spec("specs/lenet5.yaml")
    rows = {r.name: (r.output_shape, r.params) for r in a.layers}
    assert rows["c1"] == ((6, 28, 28), 156) and rows["s2"] == ((6, 14, 14), 0)
    assert rows["c3"] == ((16, 10, 10), 2_416) and rows["s4"] == ((16, 5, 5), 0)
    assert [rows[n][1] for n in ("c5", "f6", "output")] == [48_120, 10_164, 850]
    assert a.total_params == 61_706


def test_vgg19():
    assert spec("specs/vgg19.yaml").total_params == 143_667_240


@pytest.mark.parametrize("path, shape, params", [
    ("examples/stride5.yaml", (1, 2, 2), None),
    ("examples/rgb_conv84.yaml", (3, 200, 200), 84),
    ("examples/three_3x3.yaml", (1, 1, 1), 30),
    ("examples/seven_by_seven.yaml", (1, 1, 1), 50),
    ("examples/same_size.yaml", (1, 7, 7), None),
    ("examples/stride3_padded.yaml", (1, 3, 3), None),
    ("examples/filters_760.yaml", (10, 50, 50), 760),
    ("examples/valid_5x5.yaml", (1, 28, 28), None),
    ("examples/stride2_pad1.yaml", (1, 3, 3), None),
    ("examples/ragged_stride3.yaml", (1, 2, 2), None),
    ("examples/seven_stride1.yaml", (1, 5, 5), 10),
    ("examples/seven_stride2.yaml", (1, 3, 3), 10),
    ("specs/conv1d_seed.yaml", (2, 3), 6),
])
def test_small_examples(path, shape, params):
    a = spec(path)
    assert a.output_shape == shape
    if params is not None:
        assert a.total_params == params


def test_fully_connected_explosion():
    rgb = spec("examples/fc_rgb_200.yaml")
    assert rgb.total_params == 120_000**2 + 120_000 == 14_400_120_000
    grey = spec("examples/fc_grey_200.yaml")
    assert grey.total_params == 40_000**2 + 40_000 == 1_600_040_000
    assert grey.memory(1, "float32").params == pytest.approx(6.4e9, rel=0.001)


@pytest.mark.parametrize("stride, exact, out", [(1, "5", 5), (2, "3", 3), (3, "2.33", 2)])
def test_seed001_strides(stride, exact, out):
    w = Window(7, 3, stride)
    assert (w.exact(), w.out, bool(w.leftover)) == (exact, out, stride == 3)


def test_ragged_stride_warns_with_padding_that_fits():
    a = spec("examples/ragged_stride3.yaml")
    (w,) = a.warnings
    assert "2.33" in w.message and "never visited" in w.message
    assert w.hint.startswith("padding 1 would fit")
    assert str(w.location) == "examples/ragged_stride3.yaml:6:43".replace(
        "examples", str(ROOT / "examples"))


def test_receptive_field_of_three_3x3():
    assert receptive_field([(3, 1)] * 3) == 7
