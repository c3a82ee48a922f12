"""Random DAGs: the emitted source must compute exactly what the in-memory module computes.

Every layer keeps the shape (C, H, W), so any wiring is valid: each layer reads the previous
one or, with `input:`, any earlier layer or the network input; `add` and `concat` merge two or
three earlier ones (a 1x1 conv after a concat restores C). This is where the emitted forward
must keep every value that is read again later in a variable of its own (a bug once made it
overwrite `x` while the network input was still to be read).
"""
import pytest

torch = pytest.importorskip("torch")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import netspec  # noqa: E402
from netspec.backends.pytorch.emit import emit_source  # noqa: E402
from netspec.backends.pytorch.module import build_module  # noqa: E402

C = 3


@st.composite
def dags(draw):
    """YAML layers of a random DAG over (C, 4, 4) tensors, and the names they define."""
    names: list[str] = ["input"]
    lines = []
    for i in range(draw(st.integers(2, 9))):
        name = f"l{i}"
        earlier = st.sampled_from(names)
        kind = draw(st.sampled_from(["conv", "relu", "tanh", "add", "concat"]))
        if kind in ("add", "concat") and len(names) > 1:
            refs = draw(st.lists(earlier, min_size=2, max_size=3))
            lines.append(f"  - {kind}: {{input: [{', '.join(refs)}], name: {name}}}")
            if kind == "concat":  # back to C channels, so that any later wiring fits
                name = f"l{i}r"
                lines.append(f"  - conv: {{filters: {C}, kernel: 1, name: {name}}}")
        else:
            kind = "conv" if kind in ("add", "concat") else kind
            settings_ = f"filters: {C}, kernel: 1, " if kind == "conv" else ""
            source = f", input: {draw(earlier)}" if draw(st.booleans()) else ""
            lines.append(f"  - {kind}: {{{settings_}name: {name}{source}}}")
        names.append(name)
    return "\n".join(lines)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(dags())
def test_emitted_source_computes_what_the_module_does(layers):
    a = netspec.analyze(f"input: [{C}, 4, 4]\nlayers:\n{layers}\n")
    torch.manual_seed(0)
    model = build_module(a).eval()
    namespace: dict = {}
    exec(emit_source(a), namespace)  # tests run generated code; netspec never does
    emitted = namespace["build"]().eval()
    emitted.load_state_dict(model.state_dict())
    x = torch.randn(2, C, 4, 4)
    with torch.no_grad():
        outputs = model.layer_outputs(x)
        assert torch.equal(model(x), emitted(x)), layers
    assert {k: tuple(v.shape[1:]) for k, v in outputs.items() if k != "input"} == \
        {r.name: r.output_shape for r in a.layers}


@pytest.mark.slow
@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(dags())
def test_random_dags_run_alike_in_onnx_runtime(tmp_path_factory, layers):
    """ONNX names merge nodes by the plan's order of adds and concats: random wiring tests it."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    from netspec.backends.onnx_export import export_module
    from tests.backends.test_onnx import onnx_and_torch

    a = netspec.analyze(f"input: [{C}, 4, 4]\nlayers:\n{layers}\n")
    torch.manual_seed(0)
    model = build_module(a).eval()
    path = tmp_path_factory.mktemp("dag") / "model.onnx"
    export_module(model, a, path)
    x = torch.randn(2, C, 4, 4)
    got, expected = onnx_and_torch(path, model, x)
    assert abs(got - expected).max() < 1e-5, layers
