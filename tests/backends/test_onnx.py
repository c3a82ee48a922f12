"""ONNX export against three oracles, for every spec: ONNX's checker, ONNX's shape inference
(every layer's output has the shape netspec predicted) and ONNX Runtime (the same outputs as the
PyTorch module with the same weights). One export per spec serves every check on it (the
three largest modern classifiers are exported in parts: tests/zoo.py's EXPORTED_IN_PARTS). Random
specs (tests/test_oracle_property.py's) check ONNX Runtime on settings the zoo lacks."""
import re
import tempfile
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

import numpy as np  # noqa: E402
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from onnx import numpy_helper  # noqa: E402

import netspec  # noqa: E402
from netspec.backends.onnx_export import export_module  # noqa: E402
from netspec.backends.pytorch.module import build_module  # noqa: E402
from netspec.cli import main  # noqa: E402
from tests.backends.test_oracle_property import oracle, specs, yaml_of  # noqa: E402
from tests.zoo import EXPORTED, zoo_id  # noqa: E402

pytestmark = pytest.mark.slow
SMALL = "specs/lenet5.yaml"


class Exported:
    """One spec exported to ONNX from a seeded module, and what the checks read."""

    def __init__(self, path, folder):
        self.analysis = netspec.analyze(path)
        torch.manual_seed(0)
        self.module = build_module(self.analysis).eval()
        self.file = folder / "model.onnx"
        export_module(self.module, self.analysis, self.file)
        # the weights need not be read for the graph's structure and shapes
        self.graph_only = onnx.load(self.file, load_external_data=False)

    def session(self):
        return ort.InferenceSession(str(self.file), providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module", params=EXPORTED, ids=zoo_id)
def exported(request, tmp_path_factory):
    """Module-scoped and parametrised: pytest runs every check on one spec, then the next, so a
    single exported network (VGG's 550 MB) is held at a time."""
    return Exported(request.param, tmp_path_factory.mktemp(zoo_id(request.param)))


def test_checker_accepts_the_model(exported):
    onnx.checker.check_model(str(exported.file), full_check=True)


def test_input_output_and_symbolic_batch(exported):
    g = exported.graph_only.graph
    assert [i.name for i in g.input] == ["input"] and [o.name for o in g.output] == ["output"]
    batch = g.input[0].type.tensor_type.shape.dim[0]
    assert batch.dim_param and not batch.HasField("dim_value")
    assert g.output[0].type.tensor_type.shape.dim[0].dim_param == batch.dim_param


def test_every_node_is_named_after_its_layer(exported):
    layers = {r.name for r in exported.analysis.layers}
    for node in exported.graph_only.graph.node:
        assert re.fullmatch(r"(.+)/[A-Za-z]+(_\d+)?", node.name), node.name
        assert node.name.rsplit("/", 1)[0] in layers, node.name


def test_shape_inference_agrees_with_every_layer(exported):
    inferred = onnx.shape_inference.infer_shapes(exported.graph_only)
    shapes = {v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in [*inferred.graph.value_info, *inferred.graph.output]}
    last = {}  # each layer's last node: its output is the layer's output
    for node in inferred.graph.node:
        last[node.name.rsplit("/", 1)[0]] = node.output[0]
    batch = exported.graph_only.graph.input[0].type.tensor_type.shape.dim[0].dim_param
    nodes = exported.analysis.network.by_name
    for r in exported.analysis.layers:
        if r.name not in last:  # the identity at inference: no node at all
            assert r.kind in ("dropout", "stochastic_depth"), f"{r.name} ({r.kind}) has no node"
            continue
        layer = nodes[r.name].layer  # a split's last node gives its last part
        count = layer.part_count()
        shape = layer.part_shape(r.output_shape, count - 1) if count > 1 else r.output_shape
        assert shapes[last[r.name]] == [batch, *shape], r.name


def test_initializers_are_the_state_dict(exported):
    a, state = exported.analysis, exported.module.state_dict()
    inits = {i.name: i for i in exported.graph_only.graph.initializer}
    named = [k for k in state if k in inits]
    assert set(named) == {k for k, v in state.items() if v.is_floating_point()}
    assert sum(state[k].numel() for k in named) == a.total_params + a.total_state
    if a.total_state == 0:  # without batchnorm, the float initializers are the parameters
        floats = [i for i in inits.values() if i.data_type == onnx.TensorProto.FLOAT]
        assert sum(int(np.prod(i.dims)) for i in floats) == a.total_params


def test_onnxruntime_matches_pytorch(exported):
    x = torch.randn(3, *exported.analysis.input_shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = exported.module(x).numpy()
    got = exported.session().run(["output"], {"input": x.numpy()})[0]
    assert got.shape == expected.shape == (3, *exported.analysis.output_shape)
    assert np.abs(got - expected).max() < 1e-4


def test_weights_are_the_modules(exported):
    """No folding: `conv1.weight` in the file is the module's own tensor, not conv1 x bn1."""
    state = exported.module.state_dict()
    full = onnx.load(exported.file)
    for i in full.graph.initializer:
        if i.name in state:
            assert np.array_equal(numpy_helper.to_array(i), state[i.name].numpy()), i.name


# The command line, on a small network.

def run_export(tmp_path, *args, spec=SMALL):
    out = tmp_path / "model.onnx"
    return main(["export", spec, "-o", str(out), *args]), out


def onnx_and_torch(path, module, x):
    """The outputs of ONNX Runtime on the exported file and of the module, for one input."""
    with torch.no_grad():
        expected = module(x).numpy()
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"input": x.numpy()})[0]
    return got, expected


def lenet_outputs(path, module):
    x = torch.randn(3, 1, 32, 32)
    got, expected = onnx_and_torch(path, module, x)
    return np.abs(got - expected).max()


@pytest.mark.parametrize("wrap", [None, "state_dict", "model"])
def test_weights_load_before_export(tmp_path, capsys, wrap):
    torch.manual_seed(3)
    module = netspec.compile_model(SMALL).eval()
    state = module.state_dict()
    torch.save(state if wrap is None else {wrap: state, "epoch": 7}, tmp_path / "ck.pt")
    code, out = run_export(tmp_path, "--weights", str(tmp_path / "ck.pt"))
    assert code == 0 and f"weights from {tmp_path / 'ck.pt'}" in capsys.readouterr().out
    assert lenet_outputs(out, module) < 1e-5


def test_mismatching_checkpoint_names_the_keys(tmp_path, capsys):
    state = netspec.compile_model(SMALL).state_dict()
    state["extra.weight"] = state.pop("c1.weight")
    state["c3.bias"] = torch.zeros(5)
    torch.save(state, tmp_path / "ck.pt")
    code, out = run_export(tmp_path, "--weights", str(tmp_path / "ck.pt"))
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert "1 missing from the checkpoint: c1.weight" in err
    assert "1 in the checkpoint but not in the spec: extra.weight" in err
    assert "c3.bias: (5,) in the checkpoint, (16,) in the spec" in err


def test_data_parallel_checkpoint_gets_a_hint(tmp_path, capsys):
    state = {f"module.{k}": v for k, v in netspec.compile_model(SMALL).state_dict().items()}
    torch.save(state, tmp_path / "ck.pt")
    assert run_export(tmp_path, "--weights", str(tmp_path / "ck.pt"))[0] == 2
    assert "model.module.state_dict()" in capsys.readouterr().err


@pytest.mark.parametrize("content, message", [
    (None, "no such file"), ("folder", "a folder, not a checkpoint file"),
    (b"not a checkpoint", "not a PyTorch checkpoint"),
    (b"", "not a PyTorch checkpoint that loads safely (EOFError)"),
    (torch.nn.Linear(2, 2), "(UnpicklingError: Weights only load failed."),  # no ANSI codes
    ([1, 2], "expected a state_dict")])
def test_unreadable_checkpoint_is_a_usage_error(tmp_path, capsys, content, message):
    ck = tmp_path / "ck.pt"
    if content == "folder":
        ck.mkdir()
    elif isinstance(content, bytes):
        ck.write_bytes(content)
    elif content is not None:
        torch.save(content, ck)
    assert run_export(tmp_path, "--weights", str(ck))[0] == 2
    err = capsys.readouterr().err
    assert message in err and "\x1b" not in err and "Traceback" not in err


@pytest.mark.parametrize("opset", ["6", "29", "1000"])
def test_opset_out_of_range(tmp_path, capsys, opset):
    assert run_export(tmp_path, "--opset", opset)[0] == 2
    err = capsys.readouterr().err
    assert "out of range" in err and "Traceback" not in err


def test_opset_too_old_for_a_layer_names_it(tmp_path, capsys):
    code, out = run_export(tmp_path, "--opset", "13")
    err = capsys.readouterr().err
    assert code == 2 and not out.exists() and "Traceback" not in err
    assert "too old for this network (Relu in c1, c3, c5, f6)" in err


def test_older_opset_that_converts(tmp_path):
    code, out = run_export(tmp_path, "--opset", "17")
    assert code == 0
    model = onnx.load(out)
    onnx.checker.check_model(model)
    assert [o.version for o in model.opset_import if o.domain == ""] == [17]


BRANCHING = ("input: [3, 16, 16]\nlayers:\n  - conv: {filters: 4, kernel: 3, padding: 1, "
             "name: a}\n  - batchnorm\n  - relu: {name: r}\n  - add: [r, a]\n"
             "  - maxpool: {kernel: 3, stride: 2, padding: 1}\n  - concat: [maxpool1, maxpool1]\n"
             "  - global_avgpool\n  - dense: {units: 5, activation: softmax}\n")


@pytest.mark.parametrize("opset", [15, 16, 17])  # 14 lacks an adapter for BatchNormalization
def test_older_opsets_compute_what_pytorch_does(tmp_path, opset):
    """The version converter's output, for a branching net (add, concat, pooling, batchnorm,
    softmax), against the PyTorch module in ONNX Runtime. (One-sided padding cannot go below
    opset 18: the converter has no adapter for Pad, which the export says.)"""
    a = netspec.analyze(BRANCHING)
    torch.manual_seed(opset)
    module = build_module(a).eval()
    path = tmp_path / "model.onnx"
    export_module(module, a, path, opset)
    assert [o.version for o in onnx.load(path).opset_import if o.domain == ""] == [opset]
    x = torch.randn(2, 3, 16, 16)
    got, expected = onnx_and_torch(path, module, x)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("opset", [17, 18])
@pytest.mark.parametrize("shape, output", [([2, 6, 6, 6], 3), ([2, 6, 5, 7], [4, 3, 2]),
                                           ([1, 5, 4, 3], [5, 1, 2])])
def test_3d_adaptive_pooling_exports_and_computes_what_pytorch_does(tmp_path, shape, output,
                                                                     opset):
    """torch has no ONNX conversion for AdaptiveAvgPool3d; the export traces a separable
    stand-in (two 2-D adaptive pools) and puts the module back afterwards."""
    a = netspec.analyze(f"input: {shape}\nlayers:\n  - adaptive_avgpool: {{output: {output}, "
                        f"name: pool}}\n  - flatten\n  - dense: 3\n")
    module = build_module(a).eval()
    pool = module.get_submodule("pool")
    path = tmp_path / "model.onnx"
    export_module(module.train(), a, path, opset)
    assert module.get_submodule("pool") is pool and module.training  # restored, mode too
    module.eval()
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    assert {n.name.split("/")[0] for n in model.graph.node} == {"pool", "flatten1", "dense1"}
    x = torch.randn(3, *shape)
    got, expected = onnx_and_torch(path, module, x)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)


def test_an_unmerged_branch_with_a_merge_exports(tmp_path):
    """The exporter drops what the output does not depend on, merges included: naming the
    remaining merges by the plan's order must skip them (it once stopped with a mismatch)."""
    a = netspec.analyze("input: [3, 4, 4]\nlayers:\n  - add: [input, input]\n"
                        "  - conv: {filters: 3, kernel: 1, input: input}\n"
                        "  - concat: [input, conv1]\n")
    module = build_module(a).eval()
    path = tmp_path / "model.onnx"
    export_module(module, a, path)
    assert sorted(n.name for n in onnx.load(path).graph.node) == ["concat1/Concat", "conv1/Conv"]
    x = torch.randn(2, 3, 4, 4)
    got, expected = onnx_and_torch(path, module, x)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_bad_suffix_and_invalid_spec(tmp_path, capsys):
    assert main(["export", SMALL, "-o", str(tmp_path / "model.pb")]) == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [1, 4, 4]\nlayers:\n  - conv: {filters: 2, kernel: 5}\n")
    assert main(["export", str(bad), "-o", str(tmp_path / "model.onnx")]) == 1
    assert "bad.yaml:3" in capsys.readouterr().err



def test_weights_past_2_gib_go_beside_the_model(tmp_path, monkeypatch, capsys):
    from netspec.backends import onnx_export

    monkeypatch.setattr(onnx_export, "MAX_PROTO_BYTES", 1000)  # LeNet as if it were huge
    code, out = run_export(tmp_path)
    data = tmp_path / "model.onnx.data"
    assert code == 0 and data.stat().st_size > 60_000 * 4  # small biases stay inline
    assert f"weights in {data}" in capsys.readouterr().out
    onnx.checker.check_model(str(out), full_check=True)
    module = netspec.compile_model(SMALL).eval()
    module.load_state_dict({i.name: torch.tensor(numpy_helper.to_array(i, str(tmp_path)))
                            for i in onnx.load(out).graph.initializer})
    assert lenet_outputs(out, module) < 1e-5


def test_missing_library_says_how_to_install(tmp_path, monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "onnxscript" else real(name, *a))
    assert run_export(tmp_path)[0] == 2
    assert "needs onnxscript: pip install 'netspec[onnx]'" in capsys.readouterr().err


# -- random specs, as in tests/test_oracle_property.py: ONNX Runtime computes what PyTorch does --

@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(specs())
def test_random_specs_run_alike_in_onnx_runtime(spec):
    with torch.no_grad():
        assume(oracle(*spec) is not None)
    text = yaml_of(*spec).replace("'", "").replace("None", "null")
    a = netspec.analyze(text)
    torch.manual_seed(0)
    module = build_module(a).eval()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.onnx"
        export_module(module, a, path)
        x = torch.randn(2, *a.input_shape)
        got, expected = onnx_and_torch(path, module, x)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5, err_msg=text)


# -- each kind of modern networks, alone or as it is used: ONNX Runtime computes what PyTorch does

KINDS_IN_USE = {
    "activations": ["silu", "swish", "hardswish", "hardsigmoid", "mish",
                    "prelu: {per_channel: true}", "prelu",
                    "conv: {filters: 3, kernel: 1, activation: hardswish}"],
    "squeeze-excitation": ["conv: {filters: 4, kernel: 3, padding: 1, name: x}",
                           "adaptive_avgpool: 1", "conv: {filters: 2, kernel: 1}", "relu",
                           "conv: {filters: 4, kernel: 1}", "hardsigmoid: {name: s}",
                           "multiply: [x, s]", "add: [multiply1, x, s]"],
    "shufflenet unit": ["conv: {filters: 6, kernel: 1}", "split: {parts: [2, 4], name: h}",
                        "conv: {filters: 4, kernel: 1, input: h.1}", "concat: [h.0, conv2]",
                        "channel_shuffle: 3"],
    "convnext block": ["conv: {filters: 4, kernel: 1, name: x}",
                       "depthwise_conv: {kernel: 3, padding: 1}", "layernorm: {eps: 0.000001}",
                       "conv: {filters: 8, kernel: 1, activation: gelu}",
                       "conv: {filters: 4, kernel: 1}", "layer_scale: 0.5",
                       "stochastic_depth: 0.1", "add: [stochastic_depth1, x]", "flatten",
                       "layernorm"],
    "u-net step": ["conv: {filters: 4, kernel: 3, name: down}", "maxpool: 2",
                   "conv_transpose: {filters: 4, kernel: 2, stride: 2, name: up}",
                   "crop: [down, up]", "concat: [crop1, up]",
                   "conv_transpose: {filters: 2, kernel: 3, stride: 2, padding: 1, "
                   "output_padding: 1, dilation: 1, groups: 2}"],
    "resizing": ["zero_pad: [[0, 1], [2, 0]]", "upsample: {scale: 2, mode: bilinear}",
                 "upsample: {size: [5, 7]}", "upsample: {scale: 1.5, mode: bilinear, "
                                             "align_corners: true}"],
}
OTHER_RANKS = {
    "1-d": ([2, 9], ["conv_transpose: {filters: 3, kernel: 3, stride: 2}", "upsample: "
                     "{scale: 2, mode: linear}", "zero_pad: [[1, 0]]", "layernorm",
                     "channel_shuffle: 3", "split: {parts: 3, name: s}", "concat: [s.2, s.0]"]),
    "3-d": ([2, 3, 4, 4], ["conv_transpose: {filters: 2, kernel: 2, stride: 2}",
                           "upsample: {scale: [1, 2, 2], mode: trilinear}", "layernorm",
                           "layer_scale", "zero_pad: 1", "prelu"]),
}


@pytest.mark.parametrize("shape, layers", [([3, 8, 8], v) for v in KINDS_IN_USE.values()]
                         + list(OTHER_RANKS.values()),
                         ids=list(KINDS_IN_USE) + list(OTHER_RANKS))
def test_modern_kinds_run_alike_in_onnx_runtime(tmp_path, shape, layers):
    text = f"input: {shape}\nlayers:\n" + "".join(f"  - {x}\n" for x in layers)
    a = netspec.analyze(text)
    torch.manual_seed(0)
    module = build_module(a).eval()
    path = tmp_path / "model.onnx"
    export_module(module, a, path)
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    layer_names = {r.name for r in a.layers}
    assert {n.name.rsplit("/", 1)[0] for n in model.graph.node} <= layer_names
    got, expected = onnx_and_torch(path, module, torch.randn(3, *shape))
    assert got.shape == expected.shape == (3, *a.output_shape)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
