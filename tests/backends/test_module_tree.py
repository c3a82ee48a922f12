"""The compiled module nests as torchvision's models do, seen by the tools that read modules:
a class per block (Bottleneck), chain groups as nn.Sequential, forward hooks that fire on a
block, ``model.layer1(x)`` on its own, and torchinfo's per-stage shapes (its hooks are the
oracle: it records what really flows). The emitted source has the same classes (the parity
test in test_torch_backend.py compares every module's class and path)."""
import copy
import pickle

import pytest

torch = pytest.importorskip("torch")
torchinfo = pytest.importorskip("torchinfo")

import netspec  # noqa: E402
from netspec.backends.pytorch.emit import emit_source  # noqa: E402
from netspec.backends.pytorch.module import build_module  # noqa: E402

# torchvision's stage outputs (torchvision.models.resnet: layer1..layer4 of a 224x224 input)
RESNET_STAGES = {
    "resnet18": [(64, 56, 56), (128, 28, 28), (256, 14, 14), (512, 7, 7)],
    "resnet50": [(256, 56, 56), (512, 28, 28), (1024, 14, 14), (2048, 7, 7)],
}


@pytest.fixture(scope="module")
def resnet18():
    torch.manual_seed(0)
    return build_module(netspec.analyze("specs/resnet18.yaml")).eval()


@pytest.mark.parametrize("spec", RESNET_STAGES)
def test_torchinfo_shows_every_stage_with_its_shape(spec):
    a = netspec.analyze(f"specs/{spec}.yaml")
    model = build_module(a).eval()
    stats = torchinfo.summary(model, input_size=(2, 3, 224, 224), depth=2, verbose=0)
    rows = {(info.var_name, info.depth): info for info in stats.summary_list}
    predicted = {g.name: g.output_shape for g in a.groups()}
    for stage, shape in zip(("layer1", "layer2", "layer3", "layer4"), RESNET_STAGES[spec]):
        info = rows[(stage, 1)]
        assert info.class_name == "Sequential"
        assert tuple(info.output_size) == (2, *shape) == (2, *predicted[stage])
        assert info.trainable_params == sum(r.params for r in a.layers
                                            if r.name.startswith(stage + "."))
    blocks = [info.class_name for info in stats.summary_list if info.depth == 2]
    expected = {"resnet18": ["BasicDown", "Basic"], "resnet50": ["BottleneckDown", "Bottleneck"]}
    assert set(blocks) == set(expected[spec]) and blocks[0] in expected[spec]
    assert stats.total_params == a.total_params


def test_a_forward_hook_on_a_block_fires(resnet18):
    seen = []
    hook = resnet18.layer2[0].register_forward_hook(
        lambda module, args, output: seen.append((type(module).__name__, tuple(output.shape))))
    try:
        with torch.no_grad():
            resnet18(torch.randn(1, 3, 224, 224))
    finally:
        hook.remove()
    assert seen == [("BasicDown", (1, 128, 28, 28))]


def test_a_stage_runs_on_its_own(resnet18):
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        outputs = resnet18.layer_outputs(x)
        stage = resnet18.layer2(outputs["layer1.1.relu2"])
        block = resnet18.layer2[1](outputs["layer2.0.relu2"])
    assert torch.equal(stage, outputs["layer2.1.relu2"])
    assert torch.equal(block, outputs["layer2.1.relu2"])


def test_blocks_are_classes_named_after_their_definition():
    source = emit_source(netspec.analyze("specs/resnet50.yaml"))
    assert "class Bottleneck(nn.Module):\n    def __init__(self, width, filters):" in source
    assert "class BottleneckDown(nn.Module):\n    def __init__(self, in_channels, width, " \
           "filters, stride=2):" in source
    # the stride of layer1.0 is the block's parameter, its default left out elsewhere
    assert "BottleneckDown(in_channels=64, width=64, filters=256, stride=1)," in source
    assert "BottleneckDown(in_channels=256, width=128, filters=512)," in source
    assert "            nn.Conv2d(in_channels, filters, kernel_size=1, stride=stride, " \
           "bias=False),\n" in source  # the downsample, an nn.Sequential as torchvision's
    forward = source.split("class Bottleneck(nn.Module):")[1].split("def forward(self, x):")[1]
    assert forward.split("\n\n")[0].splitlines()[-3:] == [
        "        out = self.add1(out, x)", "        out = self.relu3(out)", "        return out"]


def test_inception_reads_like_torchvision():
    source = emit_source(netspec.analyze("specs/googlenet.yaml"))
    inception = source.split("class Inception(nn.Module):")[1].split("\n\n\n")[0]
    assert "def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, " \
           "pool_proj):" in inception
    assert "self.branch1 = BasicConv(in_channels=in_channels, filters=ch1x1)" in inception
    assert inception.rstrip().endswith(
        "        branch1 = self.branch1(x)\n        branch2 = self.branch2(x)\n"
        "        branch3 = self.branch3(x)\n        branch4 = self.branch4(x)\n"
        "        out = self.concat1(branch1, branch2, branch3, branch4)\n        return out")


def test_a_sequential_block_is_an_nn_sequential():
    """mobilenet_v2's conv_bn_relu6 (`sequential: true`, numbered children) is one, as
    torchvision's Conv2dNormActivation."""
    model = netspec.compile_model("specs/mobilenet_v2.yaml")
    first = model.get_submodule("features.0")
    assert type(first).__name__ == "ConvBnRelu6" and isinstance(first, torch.nn.Sequential)
    assert "class ConvBnRelu6(nn.Sequential):" in netspec.emit("specs/mobilenet_v2.yaml")


def test_uses_that_differ_in_structure_get_a_class_each():
    """`padding: same` with a stride pads one-sided only where the size is odd: the two uses of
    one block have different modules, so two classes (tested for parity like any spec)."""
    a = netspec.analyze("input: [2, 7, 7]\nblocks:\n  down:\n    layers:\n"
                        "      - conv: {filters: 2, kernel: 3, stride: 2, padding: same}\n"
                        "layers: [down, down]\n")  # 7 -> 4 pads 1 each side, 4 -> 2 only after
    model = build_module(a)
    assert [type(model.get_submodule(n)).__name__ for n in ("down1", "down2")] == \
        ["Down", "Down2"]
    assert isinstance(model.down2.conv1_pad, torch.nn.ConstantPad2d)
    namespace: dict = {}
    exec(emit_source(a), namespace)  # tests run generated code; netspec never does
    emitted = namespace["build"]()
    emitted.load_state_dict(model.state_dict())
    x = torch.randn(1, 2, 7, 7)
    with torch.no_grad():
        assert torch.equal(emitted(x), model(x))


def test_a_group_read_mid_way_returns_both_values():
    a = netspec.analyze("input: [3, 6, 6]\nlayers:\n  - name: g\n    layers: [{conv: {filters: 3, "
                        "kernel: 1, name: a}}, relu]\n  - add: [g.a, g]\n")
    model = build_module(a)
    x = torch.randn(1, 3, 6, 6)
    a_out, relu_out = model.g(x)
    assert torch.equal(relu_out, torch.relu(a_out))


def test_the_compiled_module_pickles_and_copies(resnet18):
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        expected = resnet18(x)
        for clone in (pickle.loads(pickle.dumps(resnet18)), copy.deepcopy(resnet18)):
            assert type(clone.layer1[0]).__name__ == "Basic"
            assert torch.equal(clone(x), expected)


SPLIT_IN_A_BLOCK = """\
input: [4, 5, 5]
blocks:
  halve:
    layers:
      - conv: {filters: 6, kernel: 1, name: c}
      - split: {parts: [3, 3], name: s}
layers:
  - halve: {name: h}
  - relu: {input: h.s.1, name: r}
  - multiply: [h.s.0, r]
  - concat: [multiply1, h.s.1]
"""


def test_a_split_inside_a_block_returns_the_parts_read_outside():
    """The block's last layer is a split whose two parts are read after it: the block module
    returns both, and the emitted source unpacks them. The oracle is the arithmetic written
    out with the block's conv weights."""
    a = netspec.analyze(SPLIT_IN_A_BLOCK)
    model = build_module(a).eval()
    x = torch.randn(2, 4, 5, 5)
    with torch.no_grad():
        c = model.h.c(x)
        first, second = c[:, :3], c[:, 3:]
        expected = torch.cat([first * torch.relu(second), second], dim=1)
        parts = model.h(x)
        assert isinstance(parts, tuple) and [p.shape[1] for p in parts] == [3, 3]
        assert torch.equal(model(x), expected)
        outputs = model.layer_outputs(x)
    assert torch.equal(outputs["h.s"], c) and torch.equal(outputs["h.s.1"], second)
    assert {k: tuple(v.shape[1:]) for k, v in outputs.items()} == a.shapes
    source = emit_source(a)
    assert "class Halve(nn.Module):" in source and "class Split(nn.Module):" in source
    namespace: dict = {}
    exec(source, namespace)  # tests run generated code; netspec never does
    emitted = namespace["build"]()
    emitted.load_state_dict(model.state_dict())
    with torch.no_grad():
        assert torch.equal(emitted.eval()(x), expected)
