"""Random DAGs: the emitted source must compute exactly what the in-memory module computes.

Every layer keeps the shape (C, H, W), so any wiring is valid: each layer reads the previous
one or, with `input:`, any earlier layer or the network input; `add`, `multiply` and `concat`
merge two or three earlier ones (a 1x1 conv after a concat restores C). Some steps are short
chains that leave the shape as they found it: a squeeze-and-excitation gate (a (C, 1, 1) scale
broadcast by `multiply`), a split whose parts are read by index and joined again (through a
conv, shuffled), an upsample pooled back, a zero pad cropped back to an earlier layer's size,
a transposed conv that keeps the size; and the element-wise kinds (silu, hardswish, prelu,
layernorm, layer_scale, stochastic_depth, ...). This is where the emitted forward must keep
every value that is read again later in a variable of its own (a bug once made it overwrite `x`
while the network input was still to be read), a split's parts included.
"""
import pytest

torch = pytest.importorskip("torch")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import netspec  # noqa: E402
from netspec.backends.pytorch.emit import emit_source  # noqa: E402
from netspec.backends.pytorch.module import build_module  # noqa: E402

C = 4
ELEMENT_WISE = ["relu", "tanh", "silu", "hardswish", "hardsigmoid", "mish", "prelu",
                "layernorm", "layer_scale", "stochastic_depth: {rate: 0.3}",
                "channel_shuffle: 2", "channel_shuffle: 4"]


def chain(draw, name, earlier):
    """A few layers from an earlier one back to (C, 4, 4), named ``name`` at the end."""
    source = draw(earlier)
    how = draw(st.sampled_from(["se", "split", "up", "pad", "transpose"]))
    if how == "se":
        gate = f"{name}_g"
        refs = [source, gate] if draw(st.booleans()) else [gate, source]
        return [f"adaptive_avgpool: {{output: 1, input: {source}, name: {name}_s}}",
                f"conv: {{filters: {C}, kernel: 1, activation: hardsigmoid, name: {gate}}}",
                f"multiply: {{input: [{', '.join(refs)}], name: {name}}}"]
    if how == "split":
        parts = draw(st.sampled_from([2, 4, [1, 3], [2, 1, 1]]))
        n = parts if isinstance(parts, int) else len(parts)
        order = draw(st.permutations([f"{name}_p.{i}" for i in range(n)]))
        lines = [f"split: {{parts: {parts}, input: {source}, name: {name}_p}}"]
        if draw(st.booleans()):  # one part through a conv, as a ShuffleNet branch
            lines.append(f"conv: {{filters: 1, kernel: 1, input: {order[0]}, name: {name}_b}}")
            order = [f"{name}_b", *order[1:]]
            lines.append(f"concat: [{', '.join(order)}]")
            lines.append(f"conv: {{filters: {C}, kernel: 1, name: {name}}}")
        else:
            lines.append(f"concat: {{input: [{', '.join(order)}], name: {name}}}")
        return lines
    if how == "up":
        mode = draw(st.sampled_from(["nearest", "bilinear"]))
        return [f"upsample: {{scale: 2, mode: {mode}, input: {source}}}",
                f"maxpool: {{kernel: 2, name: {name}}}"]
    if how == "pad":
        return [f"zero_pad: {{padding: [[0, 2], 1], input: {source}, name: {name}_z}}",
                f"crop: {{input: [{name}_z, {source}], name: {name}}}"]
    return [f"conv_transpose: {{filters: {C}, kernel: 3, padding: 1, input: {source}, "
            f"name: {name}}}"]


@st.composite
def dags(draw):
    """YAML layers of a random DAG over (C, 4, 4) tensors, and the names they define."""
    names: list[str] = ["input"]
    lines = []
    for i in range(draw(st.integers(2, 9))):
        name = f"l{i}"
        earlier = st.sampled_from(names)
        kind = draw(st.sampled_from(["conv", "element", "add", "multiply", "concat", "chain"]))
        if kind == "chain":
            lines += chain(draw, name, earlier)
        elif kind in ("add", "multiply", "concat") and len(names) > 1:
            refs = draw(st.lists(earlier, min_size=2, max_size=3))
            lines.append(f"{kind}: {{input: [{', '.join(refs)}], name: {name}}}")
            if kind == "concat":  # back to C channels, so that any later wiring fits
                name = f"l{i}r"
                lines.append(f"conv: {{filters: {C}, kernel: 1, name: {name}}}")
        else:
            layer = draw(st.sampled_from(ELEMENT_WISE)) if kind == "element" else (
                f"conv: {{filters: {C}, kernel: 1}}")
            kind, _, settings_ = layer.partition(": ")
            inner = settings_.strip("{}") + ", " if settings_.startswith("{") else (
                f"{kind_key(kind)}: {settings_}, " if settings_ else "")
            source = f", input: {draw(earlier)}" if draw(st.booleans()) else ""
            lines.append(f"{kind}: {{{inner}name: {name}{source}}}")
        names.append(name)
    return "\n".join(f"  - {line}" for line in lines)


def kind_key(kind):
    """The setting a kind's short form fills, for the few short forms drawn above."""
    return {"channel_shuffle": "groups"}[kind]


def shapes_of(outputs):
    return {k: tuple(v.shape[1:]) for k, v in outputs.items()}


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
    assert shapes_of(outputs) == a.shapes  # every layer's, and every part read of a split


@pytest.mark.slow
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(dags())
def test_random_dags_run_alike_in_onnx_runtime(tmp_path_factory, layers):
    """ONNX names merge nodes by the plan's order of adds, products and concats (a split's
    parts and crops in between): random wiring tests it. (ONNX Runtime is called here, not
    through test_onnx's helper: importing a module of @given tests inside one is refused.)"""
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    from netspec.backends.onnx_export import export_module

    a = netspec.analyze(f"input: [{C}, 4, 4]\nlayers:\n{layers}\n")
    torch.manual_seed(0)
    model = build_module(a).eval()
    path = tmp_path_factory.mktemp("dag") / "model.onnx"
    export_module(model, a, path)
    x = torch.randn(2, C, 4, 4)
    with torch.no_grad():
        expected = model(x).numpy()
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"input": x.numpy()})[0]
    assert abs(got - expected).max() < 1e-5, layers
