"""The compiler against its oracle, PyTorch: every layer's real output shape and parameter count
must be what the checker predicted, for every spec; the emitted source must be the same model."""
import runpy

import pytest

torch = pytest.importorskip("torch")

import netspec  # noqa: E402
from netspec.backends.plan import plan  # noqa: E402
from netspec.backends.torch_emit import emit_source  # noqa: E402
from netspec.backends.torch_model import build_module  # noqa: E402
from netspec.cli import main  # noqa: E402
from zoo import ZOO, zoo_id  # noqa: E402


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


def last_module(model, step):
    return model.get_submodule(step.modules[-1][0]) if step.modules else None


@pytest.mark.parametrize("path", ZOO, ids=zoo_id)
def test_every_layer_shape_matches_pytorch(path, compiled):
    a, model = compiled(path)
    seen = {}
    hooks = []
    for step in plan(a):
        module = last_module(model, step)
        if module is not None:
            def record(mod, inputs, output, name=step.name):
                seen[name] = tuple(output.shape[1:])
            hooks.append(module.register_forward_hook(record))
    model.eval()
    with torch.no_grad():
        out = model(batch(a))
        traced = model.layer_outputs(batch(a))
    for h in hooks:
        h.remove()
    predicted = {r.name: r.output_shape for r in a.layers}
    assert seen == {k: v for k, v in predicted.items() if k in seen}
    assert {k: tuple(v.shape[1:]) for k, v in traced.items() if k != "input"} == predicted
    assert tuple(out.shape) == (2, *a.output_shape)


@pytest.mark.parametrize("path", ZOO, ids=zoo_id)
def test_every_layer_parameter_count_matches_pytorch(path, compiled):
    a, model = compiled(path)
    for step, record in zip(plan(a), a.layers):
        real = sum(p.numel() for name, _ in step.modules
                   for p in model.get_submodule(name).parameters())
        assert real == record.params, step.name
    assert sum(p.numel() for p in model.parameters()) == a.total_params
    state = sum(b.numel() for n, b in model.named_buffers() if not n.endswith("num_batches_tracked"))
    assert state == a.total_state


@pytest.mark.parametrize("path", ZOO, ids=zoo_id)
def test_backward_reaches_every_parameter(path, compiled):
    a, model = compiled(path)
    model.train()
    model.zero_grad()
    model(batch(a)).square().mean().backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("path", ZOO, ids=zoo_id)
def test_emitted_source_is_the_same_model(path, compiled, tmp_path):
    a, model = compiled(path)
    file = tmp_path / "model.py"
    file.write_text(emit_source(a))
    emitted = runpy.run_path(str(file))["build"]()  # the test runs generated code; netspec never does
    assert list(emitted.state_dict()) == list(model.state_dict())
    emitted.load_state_dict(model.state_dict())
    model.eval(), emitted.eval()
    x = batch(a)
    with torch.no_grad():
        assert torch.equal(model(x), emitted(x))


@pytest.mark.parametrize("path", ZOO, ids=zoo_id)
def test_whole_graph_capture_and_export(path, compiled):
    a, model = compiled(path)
    model.eval()
    x = batch(a)
    torch._dynamo.reset()
    captured = torch.compile(model, fullgraph=True, backend="eager")  # fails on any graph break
    with torch.no_grad():
        assert torch.allclose(captured(x), model(x), atol=1e-5)
    exported = torch.export.export(model, (x,))
    with torch.no_grad():
        assert torch.allclose(exported.module()(x), model(x), atol=1e-5)


@pytest.mark.parametrize("path", [p for p in ZOO if p.stem in ("lenet5", "resnet18")] or ZOO[:1],
                         ids=zoo_id)
def test_inductor_compiles_and_agrees(path, compiled):
    a, model = compiled(path)
    model.eval()
    torch._dynamo.reset()
    fast = torch.compile(model, fullgraph=True)
    x = batch(a)
    with torch.no_grad():
        assert torch.allclose(fast(x), model(x), atol=1e-4)


def test_state_dict_keys_are_the_spec_names(compiled):
    keys = list(compiled(ZOO[[p.stem for p in ZOO].index("lenet5")])[1].state_dict())
    assert keys[:4] == ["c1.weight", "c1.bias", "c3.weight", "c3.bias"]


@pytest.mark.parametrize("layers, shape", [
    ("  - conv: {filters: 2, kernel: 3, stride: 2, padding: [[0, 1], [1, 2]]}\n", (2, 3, 4)),
    ("  - conv: {filters: 2, kernel: 4, stride: 2, padding: same}\n", (2, 4, 4)),
    ("  - conv: {filters: 2, kernel: 3, dilation: 2, padding: 2}\n", (2, 7, 7)),
    ("  - conv: {filters: 4, kernel: 3, groups: 2}\n", (4, 5, 5)),
    ("  - maxpool: {kernel: 3, stride: 2, ceil_mode: true}\n", (2, 3, 3)),
    ("  - maxpool: {kernel: 3, stride: 2, padding: same}\n", (2, 4, 4)),
    ("  - avgpool: {kernel: 2, stride: 1, padding: 1}\n", (2, 8, 8)),
    ("  - separable_conv: {filters: 6, kernel: 3, stride: 2, padding: same}\n", (6, 4, 4)),
    ("  - depthwise_conv: {kernel: 3, multiplier: 3}\n", (6, 5, 5)),
    ("  - adaptive_avgpool: [3, 2]\n", (2, 3, 2)),
    ("  - lrn: 3\n", (2, 7, 7)),
])
def test_awkward_settings_agree_with_pytorch(layers, shape):
    a = netspec.analyze("input: [2, 7, 7]\nlayers:\n" + layers)
    assert a.output_shape == shape
    model = build_module(a).eval()
    with torch.no_grad():
        assert tuple(model(torch.randn(1, 2, 7, 7)).shape[1:]) == shape
    assert sum(p.numel() for p in model.parameters()) == a.total_params


def test_compile_command(tmp_path, capsys):
    out = tmp_path / "lenet.py"
    assert main(["compile", "specs/lenet5.yaml", "-o", str(out)]) == 0
    assert "class LeNet5(nn.Module)" in out.read_text() and "def build():" in out.read_text()
    assert main(["compile", "specs/lenet5.yaml", "-o", str(tmp_path / "x.txt")]) == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [1, 4, 4]\nlayers:\n  - conv: {filters: 1, kernel: 5}\n")
    assert main(["compile", str(bad), "-o", str(out)]) == 1
    assert f"{bad}:3:32: error: layer 1 'conv1' (conv)" in capsys.readouterr().err


def test_emitted_source_imports_only_torch():
    src = emit_source(netspec.analyze("specs/alexnet.yaml"))
    imports = [line for line in src.splitlines() if line.startswith(("import", "from"))]
    assert imports == ["from torch import nn"]
