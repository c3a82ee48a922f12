"""The compiler against its oracle, PyTorch: every layer's real output shape and parameter count
must be what the checker predicted, for every spec; the emitted source must be the same model.

Budget: about two to three minutes on two CPU cores. The costly checks (graph capture, export,
inductor) skip the deepest specs, whose constructs smaller specs already exercise (see DEEP).
"""
import inspect
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import netspec  # noqa: E402
from netspec.backends.pytorch.device import resolve_device  # noqa: E402
from netspec.backends.pytorch.emit import PER_AXIS, TORCH_DEFAULTS, emit_source, family_of  # noqa: E402
from netspec.backends.pytorch.module import Block, build_module  # noqa: E402
from netspec.backends.pytorch.plan import class_name, plan  # noqa: E402
from netspec.cli import main  # noqa: E402
from netspec.core.errors import UsageError  # noqa: E402
from netspec.graph.module_names import CONTAINER_METHODS, RESERVED  # noqa: E402
from tests.zoo import ZOO, zoo_id  # noqa: E402

# Capturing and exporting these takes 5-25 s each on two cores, and they add no construct that a
# smaller spec does not already have: resnet18 has the residual blocks, downsample groups and
# dotted names of resnet34/50/152; lenet5 and vgg16_bn the plain stacks of VGG and AlexNet;
# shufflenet_v2_x0_5 the split and the shuffle, and the ONNX export (a torch.export) of
# mobilenet_v3_large and of small networks of the modern kinds the rest of the modern zoo.
DEEP = {"alexnet", "vgg16", "vgg19", "resnet34", "resnet50", "resnet152",
        "mobilenet_v3_large", "efficientnet_b1", "convnext_tiny", "regnet_y_400mf"}
# torch.compile's default backend (inductor) writes and builds C++: ~5-15 s per spec.
INDUCTOR = {"lenet5", "mnist_cnn", "cifar10_convnetjs", "conv1d_seed"}


@pytest.fixture(scope="module")
def compiled():
    cache = {}

    def get(path):
        if path not in cache:
            a = netspec.analyze(path)
            torch.manual_seed(0)
            cache[path] = (a, build_module(a))
        return cache[path]
    return get


def batch(a, n=2):
    torch.manual_seed(1)
    return torch.randn(n, *a.input_shape)


# -- every spec: shapes, parameters, backward -------------------------------------------------

@pytest.mark.parametrize("path", ZOO, ids=zoo_id)
def test_every_layer_shape_matches_pytorch_and_backward_runs(path, compiled):
    """One training-mode pass per spec: forward hooks on the last module of each layer's chain
    (its post-module, else its main one) see PyTorch's real shapes; backward then reaches every
    parameter."""
    a, model = compiled(path)
    seen, hooks = {}, []
    for step in plan(a):
        if step.modules:
            def record(module, inputs, output, name=step.name):
                if isinstance(output, tuple):  # a split's parts: the layer's is them joined
                    output = torch.cat(output, dim=1)
                seen[name] = tuple(output.shape)
            hooks.append(model.get_submodule(step.modules[-1][0]).register_forward_hook(record))
    model.train()
    model.zero_grad()
    try:
        outputs = model.layer_outputs(batch(a))
    finally:
        for hook in hooks:
            hook.remove()
    predicted = {name: (2, *shape) for name, shape in a.shapes.items() if name != "input"}
    # every layer has a module now (a merge is an Add, Multiply or Concat), so every layer is
    # seen; a split's parts are seen through layer_outputs
    assert seen == {r.name: predicted[r.name] for r in a.layers}
    assert {k: tuple(v.shape) for k, v in outputs.items() if k != "input"} == predicted
    outputs[a.layers[-1].name].sum().backward()
    assert [n for n, p in model.named_parameters() if p.grad is None] == []
    model.zero_grad(set_to_none=True)  # the cached models would otherwise hold GBs of gradients


@pytest.mark.parametrize("path", ZOO, ids=zoo_id)
def test_every_layer_parameter_count_matches_pytorch(path, compiled):
    a, model = compiled(path)
    for step, record in zip(plan(a), a.layers):
        real = [sum(p.numel() for p in model.get_submodule(name).parameters())
                for name, _ in step.modules]
        assert sum(real) == record.params, step.name
        assert real.count(0) >= len(real) - 1, step.name  # pre and post are parameterless
    assert sum(p.numel() for p in model.parameters()) == a.total_params
    state = sum(b.numel() for n, b in model.named_buffers()
                if not n.endswith("num_batches_tracked"))
    assert state == a.total_state


@pytest.mark.parametrize("path", ZOO, ids=zoo_id)
def test_emitted_source_is_the_same_model(path, compiled, tmp_path):
    a, model = compiled(path)
    file = tmp_path / "model.py"
    file.write_text(emit_source(a))
    emitted = runpy.run_path(str(file))["build"]()  # tests run generated code; netspec never does
    assert {k: v.shape for k, v in emitted.state_dict().items()} == \
        {k: v.shape for k, v in model.state_dict().items()}
    emitted.load_state_dict(model.state_dict())
    # the same modules of the same classes at the same paths: Bottleneck is Bottleneck in both
    assert [(n, type(m).__name__) for n, m in emitted.named_modules()][1:] == \
        [(n, type(m).__name__) for n, m in model.named_modules()][1:]
    model.eval(), emitted.eval()
    x = batch(a, 1 if path.stem in DEEP else 2)
    with torch.no_grad():
        assert torch.equal(model(x), emitted(x))


REREAD = {  # a value read again after steps that do not read it: forward must not overwrite x
    "input after a chain": "layers: [{conv: {filters: 3, kernel: 1}}, relu, {add: [relu1, input]}]",
    "residual block first": "blocks: {res: {layers: [{conv: {filters: 3, kernel: 1}}, relu, "
                            "{add: [relu1, $input]}]}}\nlayers: [res, res]",
    "branch point mid-chain": "layers: [{conv: {filters: 3, kernel: 1, name: a}}, relu, tanh, "
                              "{concat: [tanh1, a, input]}, {conv: {filters: 3, kernel: 1}}]",
    # a group that returns two values: a layer inside it is read after it
    "group read mid-way": "layers: [{name: g, layers: [{conv: {filters: 3, kernel: 1, name: a}},"
                          " relu]}, {add: [g.a, g]}]",
    # a group that reads two values from outside it
    "group of two inputs": "layers: [{conv: {filters: 3, kernel: 1, name: a}}, relu, {name: g, "
                           "layers: [{tanh: {name: t}}, {add: [t, a]}]}, {concat: [g, relu1]}]",
    # numbered children in a class of its own (not a chain): reached with getattr
    "numbered group, not a chain": "layers: [{name: g, layers: [{conv: {filters: 3, kernel: 1}}, "
                                   "relu]}, {add: [g.0, g]}]",
    "a merge first in a block": "blocks: {fork: {layers: [{add: [$input, $input]}, relu]}}\n"
                                "layers: [fork, fork]",
}


@pytest.mark.parametrize("layers", REREAD.values(), ids=REREAD.keys())
def test_emitted_forward_keeps_values_read_again_later(layers):
    a = netspec.analyze(f"input: [3, 6, 6]\n{layers}\n")
    model = build_module(a).eval()
    namespace = {}
    exec(emit_source(a), namespace)  # tests run generated code; netspec never does
    emitted = namespace["build"]()
    emitted.load_state_dict(model.state_dict())
    x = torch.randn(2, 3, 6, 6)
    with torch.no_grad():
        assert torch.equal(model(x), emitted.eval()(x))


@pytest.mark.parametrize("path", [p for p in ZOO if p.stem not in DEEP], ids=zoo_id)
def test_whole_graph_capture_and_export(path, compiled):
    a, model = compiled(path)
    model.eval()
    x = batch(a)
    with torch.no_grad():
        eager = model(x)
        torch._dynamo.reset()
        captured = torch.compile(model, fullgraph=True, backend="eager")  # fails on a graph break
        assert torch.allclose(captured(x), eager, atol=1e-5)
        exported = torch.export.export(model, (x,))
        assert torch.allclose(exported.module()(x), eager, atol=1e-5)


@pytest.mark.parametrize("path", [p for p in ZOO if p.stem in INDUCTOR], ids=zoo_id)
def test_inductor_compiles_and_agrees(path, compiled):
    a, model = compiled(path)
    model.eval()
    x = batch(a)
    with torch.no_grad():
        eager = model(x)
        torch._dynamo.reset()
        assert torch.allclose(torch.compile(model, fullgraph=True)(x), eager, atol=1e-5)


def test_the_inductor_specs_are_in_the_zoo():
    assert INDUCTOR <= {p.stem for p in ZOO}


def test_state_dict_keys_are_the_spec_names(compiled):
    keys = list(compiled(ZOO[[p.stem for p in ZOO].index("lenet5")])[1].state_dict())
    assert keys[:4] == ["c1.weight", "c1.bias", "c3.weight", "c3.bias"]


def test_dotted_names_are_torchvision_module_paths(compiled):
    model = compiled(ZOO[[p.stem for p in ZOO].index("resnet18")])[1]
    assert "layer2.0.downsample.0.weight" in model.state_dict()
    assert isinstance(model.get_submodule("layer2.0.downsample.1"), torch.nn.BatchNorm2d)


# -- settings where PyTorch's arguments and the checker's arithmetic could part ----------------

@pytest.mark.parametrize("layers, shape", [
    ("  - conv: {filters: 2, kernel: 3, stride: 2, padding: [[0, 1], [1, 2]]}\n", (2, 3, 4)),
    ("  - conv: {filters: 2, kernel: 4, stride: 2, padding: same}\n", (2, 4, 4)),
    ("  - conv: {filters: 2, kernel: 3, dilation: 2, padding: 2}\n", (2, 7, 7)),
    ("  - conv: {filters: 2, kernel: [3, 1], stride: [2, 1], dilation: [1, 3]}\n", (2, 3, 7)),
    ("  - conv: {filters: 4, kernel: 3, groups: 2}\n", (4, 5, 5)),
    ("  - maxpool: {kernel: 3, stride: 2, ceil_mode: true}\n", (2, 3, 3)),
    # ceil mode, but PyTorch drops a last window that would start in the padding: 4, not 5
    ("  - maxpool: {kernel: 2, stride: 2, padding: 1, ceil_mode: true}\n", (2, 4, 4)),
    ("  - maxpool: {kernel: 3, stride: 2, padding: same}\n", (2, 4, 4)),
    ("  - avgpool: {kernel: 2, stride: 1, padding: 1}\n", (2, 8, 8)),
    ("  - separable_conv: {filters: 6, kernel: 3, stride: 2, padding: same}\n", (6, 4, 4)),
    ("  - depthwise_conv: {kernel: 3, multiplier: 3}\n", (6, 5, 5)),
    ("  - adaptive_avgpool: [3, 2]\n", (2, 3, 2)),
    ("  - lrn: 3\n", (2, 7, 7)),
])
def test_awkward_settings_agree_with_pytorch(layers, shape, tmp_path):
    a = netspec.analyze("input: [2, 7, 7]\nlayers:\n" + layers)
    assert a.output_shape == shape
    model = build_module(a).eval()
    x = torch.randn(1, 2, 7, 7)
    with torch.no_grad():
        y = model(x)
        assert tuple(y.shape[1:]) == shape
    assert sum(p.numel() for p in model.parameters()) == a.total_params
    file = tmp_path / "m.py"
    file.write_text(emit_source(a))  # the defaults left out of the source must be PyTorch's
    emitted = runpy.run_path(str(file))["build"]()
    emitted.load_state_dict(model.state_dict())
    with torch.no_grad():
        assert torch.equal(emitted.eval()(x), y)


@pytest.mark.parametrize("layers, shape", [
    # ceil mode keeps a partial window even when the kernel is longer than the input
    ("  - maxpool: {kernel: 2, ceil_mode: true}\n", (2, 1)),
    # one-sided padding with ceil mode: no window may start in the right padding
    ("  - maxpool: {kernel: 2, padding: [[0, 1]], ceil_mode: true}\n", (2, 1)),
    ("  - maxpool: {kernel: 3, stride: 2, padding: [[1, 0]], ceil_mode: true}\n", (2, 1)),
])
def test_pooling_windows_on_a_tiny_input_are_the_predicted_ones(layers, shape):
    a = netspec.analyze("input: [2, 1]\nlayers:\n" + layers)
    assert a.output_shape == shape
    with torch.no_grad():
        y = build_module(a)(torch.randn(3, 2, 1))
    assert tuple(y.shape[1:]) == shape and torch.isfinite(y).all()  # no window all padding


def test_same_padding_with_a_stride_can_be_one_sided_and_becomes_a_pad_module():
    a = netspec.analyze("input: [1, 7, 7]\nlayers:\n  - conv: {filters: 1, kernel: 4, "
                        "stride: 2, padding: same, name: c}\n")
    model = build_module(a)
    assert isinstance(model.c_pad, torch.nn.ConstantPad2d) and model.c.padding == (0, 0)
    # out ceil(7/2) = 4 needs (4-1)*2 + 4 - 7 = 3 more: 1 before, 2 after, as TensorFlow pads
    assert model.c_pad.padding == (1, 2, 1, 2)
    assert model(torch.randn(1, 1, 7, 7)).shape == (1, 1, 4, 4)


def test_left_out_arguments_are_pytorchs_defaults():
    """Each default the emitter leaves out is the one PyTorch's constructors declare (eval-mode
    parity cannot see a wrong batchnorm momentum)."""
    for family, defaults in TORCH_DEFAULTS.items():
        classes = [getattr(torch.nn, family + s) for s in ("", "1d", "2d", "3d")
                   if hasattr(torch.nn, family + s)]
        assert classes and all(family_of(c.__name__) == family for c in classes)
        for c in classes:
            params = inspect.signature(c).parameters
            assert {k: params[k].default for k in defaults} == defaults, c
    assert PER_AXIS <= set(inspect.signature(torch.nn.ConvTranspose2d).parameters)
    assert family_of("ConvTranspose2d") == "ConvTranspose" and family_of("Conv2d") == "Conv"


# -- names: every module gets its own, usable name ---------------------------------------------

def test_the_plans_module_names_are_those_the_checker_vetted():
    """Helpers are named <layer>_<suffix> by the plan as by the checker (tests/test_errors.py
    has the clashes): a conv with an activation and one-sided padding gets both."""
    a = netspec.analyze("input: [1, 8, 8]\nlayers:\n  - conv: {filters: 2, kernel: 2, "
                        "padding: [[0, 1], [1, 0]], activation: relu, name: c}\n")
    assert [path for path, _ in plan(a)[0].modules] == ["c_pad", "c", "c_relu"]
    assert [name for name, _ in build_module(a).named_children()] == ["c_pad", "c", "c_relu"]


def test_reserved_names_cover_what_pytorch_and_the_compiled_module_use():
    """The checker refuses these names (tests/test_errors.py); here they are checked against
    the attributes that torch, CompiledNetwork and the block classes really have."""
    model = build_module(netspec.analyze("input: [1, 4, 4]\nlayers:\n  - flatten\n"))
    public = {a for a in dir(model) if not a.startswith("_")} - {"flatten1"}
    assert public <= RESERVED, sorted(public - RESERVED)
    block = {a for a in dir(Block) if not a.startswith("_")}
    assert block <= RESERVED, sorted(block - RESERVED)
    chain = {a for a in dir(torch.nn.Sequential) if not a.startswith("_")} - set(dir(model))
    assert chain <= CONTAINER_METHODS, sorted(chain - CONTAINER_METHODS)


@pytest.mark.parametrize("branch", ["x", "self", "torch"])
def test_emitted_forward_keeps_branch_outputs_apart_from_its_own_names(branch, tmp_path):
    a = netspec.analyze(f"input: [2, 6, 6]\nlayers:\n  - conv: {{filters: 2, kernel: 3, "
                        f"padding: 1, name: {branch}}}\n  - relu: {{name: r}}\n"
                        f"  - add: [r, {branch}]\n  - concat: [add1, {branch}]\n")
    model = build_module(a).eval()
    file = tmp_path / "m.py"
    file.write_text(emit_source(a))
    emitted = runpy.run_path(str(file))["build"]().eval()
    emitted.load_state_dict(model.state_dict())
    x = torch.randn(1, 2, 6, 6)
    with torch.no_grad():
        assert torch.equal(emitted(x), model(x))


@pytest.mark.parametrize("name, expected", [
    ("VGG-16", "VGG16"), ("LeNet-5", "LeNet5"), ("mnist_cnn", "MnistCnn"), ("none", "NoneNet"),
    ("3d net", "Net3dNet"), ("m²", "M"), ("", "Network"), ("ordered dict", "OrderedDictNet"),
])
def test_class_names_are_python_identifiers(name, expected):
    assert class_name(name) == expected and expected.isidentifier()


def test_a_spec_name_cannot_inject_code_into_the_emitted_source(tmp_path):
    a = netspec.analyze('name: "evil\\nraise SystemExit(\'injected\')\\u2028x"\ninput: [1, 2]\n'
             "layers:\n  - flatten\n")
    source = emit_source(a)
    assert not any(line.startswith("raise") for line in source.splitlines())
    file = tmp_path / "m.py"
    file.write_text(source)
    assert runpy.run_path(str(file))["build"]() is not None  # runs, raises nothing


# -- the compiled module behaves like any nn.Module --------------------------------------------

def test_a_replaced_submodule_is_the_one_that_runs():
    model = netspec.compile_model("specs/lenet5.yaml")
    model.output = torch.nn.Linear(84, 2)  # fine-tuning: a new head
    assert model(torch.randn(3, 1, 32, 32)).shape == (3, 2)


def test_a_checkpoint_loads_strictly_into_both_forms(tmp_path):
    a = netspec.analyze("specs/lenet5.yaml")
    torch.save(build_module(a).state_dict(), tmp_path / "w.pt")
    (tmp_path / "m.py").write_text(netspec.emit(a))
    emitted = runpy.run_path(str(tmp_path / "m.py"))["build"]()
    for model in (netspec.compile_model(a), emitted):
        model.load_state_dict(torch.load(tmp_path / "w.pt"), strict=True)


def test_devices():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(UsageError, match="--device cuda was asked for, but PyTorch sees no"):
            resolve_device("cuda")
    with pytest.raises(UsageError, match="unknown device 'tpu'"):
        resolve_device("tpu")


# -- netspec compile ---------------------------------------------------------------------------

def test_compile_command(tmp_path, capsys):
    out = tmp_path / "lenet.py"
    assert main(["compile", "specs/lenet5.yaml", "-o", str(out)]) == 0
    assert "class LeNet5(nn.Module)" in out.read_text() and "def build():" in out.read_text()
    assert f"wrote {out}: class LeNet5" in capsys.readouterr().out
    assert main(["compile", "specs/lenet5.yaml", "-o", str(tmp_path / "x.txt")]) == 2
    assert "the file name must end in .py" in capsys.readouterr().err
    assert main(["compile", "specs/lenet5.yaml", "-o", str(tmp_path / "no" / "x.py")]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [1, 4, 4]\nlayers:\n  - conv: {filters: 1, kernel: 5}\n")
    assert main(["compile", str(bad), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert re.match(re.escape(str(bad)) + r":3:\d+: error\[NS401\]: layer 1 'conv1' \(conv\): output "
                    r"height is floor\(\(4 \+ 2\*0 - 5\) / 1\) \+ 1 = 0", err), err


def test_compile_prints_to_standard_output_without_o(capsys):
    assert main(["compile", "specs/conv1d_seed.yaml"]) == 0
    assert "self.conv1_pad = nn.ConstantPad1d((0, 1), 0.0)" in capsys.readouterr().out


def test_compile_needs_no_torch():
    probe = ("import sys\nfrom netspec.cli import main\ncode = main(['compile', "
             "'specs/resnet18.yaml'])\nprint(sorted(m for m in sys.modules if m.split('.')[0] "
             "== 'torch'))\nsys.exit(code)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == "[]", done.stderr


def test_emitted_source_imports_only_torch():
    imports = [line for line in emit_source(netspec.analyze("specs/alexnet.yaml")).splitlines()
               if line.startswith(("import", "from"))]
    assert imports == ["from torch import nn"]


def test_the_docs_show_what_compile_writes():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "compile.md").read_text()
    shown = "# Generated" + doc.split("```python\n# Generated", 1)[1].split("```", 1)[0]
    assert shown == emit_source(netspec.analyze("specs/cifar10_convnetjs.yaml"))
