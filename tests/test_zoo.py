"""The branching zoo in specs/: each spec's parameter count equals its reference exactly.

The figures below are the oracle: torchvision's and Keras' published counts of learnable
parameters (and Keras' non-trainable batchnorm statistics), and hand counts for the two small
nets. They are written here, not read from the specs, so a spec cannot agree with itself.
"""
from pathlib import Path

import pytest

import netspec

ZOO = Path(__file__).resolve().parents[1] / "specs"

# file: (learnable parameters, output shape, non-trainable state or None when not asserted)
REFERENCE = {
    "resnet18.yaml": (11_689_512, (1000,), None),  # torchvision
    "resnet34.yaml": (21_797_672, (1000,), None),
    "resnet50.yaml": (25_557_032, (1000,), None),
    "resnet152.yaml": (60_192_808, (1000,), None),
    "vgg16_bn.yaml": (138_365_992, (1000,), None),
    "mobilenet_v2.yaml": (3_504_872, (1000,), None),
    "googlenet.yaml": (6_624_904, (1000,), None),
    "mobilenet.yaml": (4_231_976, (1000,), 21_888),  # Keras: trainable, non-trainable
    "xception.yaml": (22_855_952, (1000,), 54_528),
    # by hand: (27*3 + 1)*16 + (27*16 + 1)*32 + (27*32 + 1)*64 + 64*10 + 10
    "conv3d_video.yaml": (1_312 + 13_856 + 55_360 + 650, (10,), None),
    # by hand: (7*3 + 1)*32 + (5*32 + 1)*64 + (3*64 + 1)*64 + 64*10 + 10
    "conv1d_timeseries.yaml": (704 + 10_304 + 12_352 + 650, (10,), None),
    # torchvision 0.28: learnable parameters, buffers (batchnorm's running mean and variance)
    "shufflenet_v2_x0_5.yaml": (1_366_792, (1000,), 7_952),
    "mobilenet_v3_large.yaml": (5_483_032, (1000,), 24_400),
    "efficientnet_b1.yaml": (7_794_184, (1000,), 62_048),
    "convnext_tiny.yaml": (28_589_128, (1000,), 0),
    "regnet_y_400mf.yaml": (4_344_144, (1000,), 27_152),
    "unet.yaml": (31_030_658, (2, 388, 388), 0),  # Ronneberger et al. 2015
    # by hand: 160 + 4,640 + 100,416 (encoder) + 100,384 + 4,624 + 145 (decoder)
    "conv_autoencoder.yaml": (210_369, (1, 28, 28), 0),
}

SPECS = sorted(REFERENCE)


@pytest.fixture(scope="module")
def analyses():
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = netspec.analyze(ZOO / name)
        return cache[name]

    return get


def test_every_reference_has_its_spec():
    assert all((ZOO / name).exists() for name in SPECS)


@pytest.mark.parametrize("name", SPECS)
def test_parameters_and_output_shape_match_the_reference(name, analyses):
    params, output, state = REFERENCE[name]
    a = analyses(name)
    assert a.total_params == params
    assert a.output_shape == output
    if state is not None:
        assert a.total_state == state


@pytest.mark.parametrize("name", SPECS)
def test_strict_check_passes(name):
    """No window loses input rows: `netspec check --strict` accepts every spec."""
    a = netspec.analyze(ZOO / name, strict=True)
    assert not a.warnings


TORCHVISION_NAMES = {
    "resnet18.yaml": ["conv1", "bn1", "layer1.0.conv1", "layer1.0.bn1", "layer1.1.conv2",
                      "layer2.0.downsample.0", "layer2.0.downsample.1", "layer4.1.bn2", "fc"],
    "resnet34.yaml": ["layer1.2.conv2", "layer2.3.bn2", "layer3.0.downsample.0", "layer3.5.bn2",
                      "layer4.2.conv1", "fc"],
    "resnet50.yaml": ["layer1.0.downsample.0", "layer1.0.conv3", "layer1.0.bn3",
                      "layer2.0.downsample.1", "layer3.5.bn3", "layer4.2.conv3", "fc"],
    "resnet152.yaml": ["layer2.7.conv3", "layer3.35.bn3", "layer4.0.downsample.0",
                       "layer4.2.bn3", "fc"],
    "vgg16_bn.yaml": ["features.0", "features.1", "features.3", "features.40", "features.41",
                      "classifier.0", "classifier.3", "classifier.6"],
    "googlenet.yaml": ["conv1.conv", "conv1.bn", "conv3.bn", "inception3a.branch1.conv",
                       "inception3a.branch2.1.conv", "inception4e.branch4.1.bn",
                       "inception5b.branch3.0.conv", "fc"],
    "shufflenet_v2_x0_5.yaml": ["conv1.0", "conv1.1", "stage2.0.branch1.0", "stage2.0.branch1.4",
                                "stage2.0.branch2.7", "stage2.1.branch2.0", "stage3.7.branch2.6",
                                "stage4.0.branch1.2", "stage4.3.branch2.7", "conv5.0", "conv5.1",
                                "fc"],
    "mobilenet_v3_large.yaml": ["features.0.0", "features.0.1", "features.1.block.0.0",
                                "features.1.block.1.1", "features.4.block.2.fc1",
                                "features.4.block.2.fc2", "features.15.block.3.0",
                                "features.16.0", "classifier.0", "classifier.3"],
    "efficientnet_b1.yaml": ["features.0.0", "features.1.0.block.0.0", "features.1.0.block.1.fc1",
                             "features.2.0.block.2.fc2", "features.2.0.block.3.1",
                             "features.6.4.block.3.0", "features.7.1.stochastic_depth",
                             "features.8.0", "classifier.1"],
    "convnext_tiny.yaml": ["features.0.0", "features.0.1", "features.1.0.block.0",
                           "features.1.0.block.2", "features.1.0.block.3",
                           "features.1.0.block.5", "features.1.0.layer_scale",
                           "features.2.0", "features.2.1",
                           "features.5.8.block.0", "features.7.2.stochastic_depth",
                           "classifier.0", "classifier.2"],
    "regnet_y_400mf.yaml": ["stem.0", "stem.1", "trunk_output.block1.block1_0.proj.0",
                            "trunk_output.block1.block1_0.f.a.0", "trunk_output.block2.block2_2.f.b.1",
                            "trunk_output.block3.block3_5.f.se.fc1",
                            "trunk_output.block4.block4_0.f.c.1", "fc"],
    "mobilenet_v2.yaml": ["features.0.0", "features.0.1", "features.1.conv.0.0",
                          "features.1.conv.1", "features.2.conv.0.0", "features.2.conv.1.0",
                          "features.2.conv.2", "features.2.conv.3", "features.18.0",
                          "classifier.1"],
}


@pytest.mark.parametrize("name", sorted(TORCHVISION_NAMES))
def test_torchvision_state_dict_prefixes(name, analyses):
    names = {r.name for r in analyses(name).layers}
    missing = [n for n in TORCHVISION_NAMES[name] if n not in names]
    assert not missing


def test_resnet_stride_sits_on_the_bottleneck_3x3():
    """ResNet v1.5, as torchvision: conv1 (1x1) keeps the size, conv2 (3x3) halves it."""
    layers = {r.name: r for r in netspec.analyze(ZOO / "resnet50.yaml").layers}
    assert layers["layer2.0.conv1"].output_shape == (128, 56, 56)
    assert layers["layer2.0.conv2"].output_shape == (128, 28, 28)
    assert layers["layer2.0.downsample.0"].output_shape == (512, 28, 28)


def test_vgg16_bn_feature_indices_follow_torchvision(analyses):
    layers = {r.name: r for r in analyses("vgg16_bn.yaml").layers}
    assert [layers[f"features.{i}"].kind for i in range(7)] == [
        "conv", "batchnorm", "relu", "conv", "batchnorm", "relu", "maxpool"]
    assert layers["features.43"].kind == "maxpool"
    assert layers["features.43"].output_shape == (512, 7, 7)
    assert "features.44" not in layers
    assert [layers[f"classifier.{i}"].kind for i in range(7)] == [
        "dense", "relu", "dropout", "dense", "relu", "dropout", "dense"]


def test_googlenet_ceil_mode_pools():
    sizes = {r.name: r.output_shape for r in netspec.analyze(ZOO / "googlenet.yaml").layers}
    assert [sizes[f"maxpool{i}"] for i in range(1, 5)] == [
        (64, 56, 56), (192, 28, 28), (480, 14, 14), (832, 7, 7)]
    assert sizes["inception3a.concat1"] == (256, 28, 28)
    assert sizes["inception5b.concat1"] == (1024, 7, 7)


def test_mobilenet_v2_residuals_only_where_shapes_allow(analyses):
    adds = [r for r in analyses("mobilenet_v2.yaml").layers if r.kind == "add"]
    blocks = sorted(int(r.name.split(".")[1]) for r in adds)
    assert blocks == [3, 5, 6, 8, 9, 10, 12, 13, 15, 16]


def test_xception_sizes_as_keras_summary(analyses):
    sizes = {r.name: r.output_shape for r in analyses("xception.yaml").layers}
    assert [sizes[n][1] for n in ("block1_conv1", "block1_conv2", "block2_pool", "block3.pool",
                                  "block4.pool", "block13.pool")] == [149, 147, 74, 37, 19, 10]
    assert sizes["block14_sepconv2_act"] == (2048, 10, 10)


def test_keras_mobilenet_sizes(analyses):
    sizes = {r.name: r.output_shape for r in analyses("mobilenet.yaml").layers}
    assert [sizes[n][1:] for n in ("conv1", "block2.conv_dw", "block4.conv_dw", "block6.conv_dw",
                                   "block12.conv_dw")] == [(112, 112), (56, 56), (28, 28),
                                                           (14, 14), (7, 7)]
    assert sizes["block13.conv_pw_relu"] == (1024, 7, 7)


def test_unet_levels_follow_the_paper(analyses):
    """Fig. 1 of Ronneberger et al.: 568, 280, 136, 64, 28 down; 56 -> 52, 104 -> 100, 200 ->
    196, 392 -> 388 up, each encoder map centre-cropped to the up-convolution's size."""
    sizes = {r.name: r.output_shape for r in analyses("unet.yaml").layers}
    assert [sizes[f"{n}.conv2"] for n in ("down1", "down2", "down3", "down4", "bottom")] == [
        (64, 568, 568), (128, 280, 280), (256, 136, 136), (512, 64, 64), (1024, 28, 28)]
    assert [sizes[n] for n in ("up4", "crop1", "concat1", "up4_conv.conv2")] == [
        (512, 56, 56), (512, 56, 56), (1024, 56, 56), (512, 52, 52)]
    assert [sizes[f"up{i}_conv.conv2"][1] for i in (3, 2, 1)] == [100, 196, 388]


def test_autoencoder_mirrors_its_encoder(analyses):
    sizes = [r.output_shape for r in analyses("conv_autoencoder.yaml").layers]
    assert sizes == [(16, 14, 14), (32, 7, 7), (64, 1, 1), (32, 7, 7), (16, 14, 14),
                     (1, 28, 28)]


def test_shufflenet_units_split_and_shuffle(analyses):
    layers = {r.name: r for r in analyses("shufflenet_v2_x0_5.yaml").layers}
    assert layers["stage2.1.halves"].label == "split 24+24"
    assert layers["stage2.1.branch2.0"].inputs == ("stage2.1.halves.1",)
    assert layers["stage2.1.concat1"].inputs == ("stage2.1.halves.0", "stage2.1.branch2.7")
    assert [layers[f"stage{i}.0.channel_shuffle1"].output_shape for i in (2, 3, 4)] == [
        (48, 28, 28), (96, 14, 14), (192, 7, 7)]
