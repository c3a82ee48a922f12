"""The zoo's encoder-decoder at a size the test machine can run, and the docs' examples of the
modern kinds, checked as written."""
import re
from pathlib import Path

import pytest

import netspec

ROOT = Path(__file__).resolve().parents[2]
UNET = (ROOT / "specs" / "unet.yaml").read_text()


def unet_at(size: int) -> str:
    """specs/unet.yaml with another input size (the same layers and parameters): its valid
    convs need a size of 16k + 12 at the bottom, 188 the smallest (4x4 out)."""
    text = UNET.replace("input: [1, 572, 572]", f"input: [1, {size}, {size}]")
    return re.sub(r"expect:\n(  .*\n)+", "", text)


def test_unet_at_a_smaller_input_has_the_same_parameters():
    a = netspec.analyze(unet_at(188))
    assert a.total_params == 31_030_658 and a.output_shape == (2, 4, 4)
    assert netspec.analyze(UNET).output_shape == (2, 388, 388)


def test_unet_compiles_to_the_predicted_shapes_and_the_emitted_source_agrees():
    torch = pytest.importorskip("torch")
    from netspec.backends.pytorch.emit import emit_source
    from netspec.backends.pytorch.module import build_module
    from netspec.backends.pytorch.plan import plan

    a = netspec.analyze(unet_at(188))
    torch.manual_seed(0)
    model = build_module(a).eval()
    seen = {}
    for step in plan(a):
        if step.modules:
            def record(module, inputs, output, name=step.name):
                seen[name] = tuple(output.shape[1:])
            model.get_submodule(step.modules[-1][0]).register_forward_hook(record)
    x = torch.randn(1, 1, 188, 188)
    with torch.no_grad():
        y = model(x)
    assert seen == {r.name: r.output_shape for r in a.layers if r.name in seen}
    assert len(seen) == len(a.layers)  # every layer a module, the four concats too
    assert sum(p.numel() for p in model.parameters()) == 31_030_658
    assert list(model.buffers()) == []  # no batchnorm in the paper's U-Net
    for step, record_ in zip(plan(a), a.layers):
        assert sum(p.numel() for path, _ in step.modules
                   for p in model.get_submodule(path).parameters()) == record_.params
    namespace: dict = {}
    exec(emit_source(a), namespace)  # tests run generated code; netspec never does
    emitted = namespace["build"]().eval()
    emitted.load_state_dict(model.state_dict())
    with torch.no_grad():
        assert torch.equal(emitted(x), y)


@pytest.mark.slow
def test_unet_runs_alike_in_onnx_runtime(tmp_path):
    torch = pytest.importorskip("torch")
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    import numpy as np

    from netspec.backends.onnx_export import export_module
    from netspec.backends.pytorch.module import build_module

    a = netspec.analyze(unet_at(188))
    torch.manual_seed(0)
    model = build_module(a).eval()
    export_module(model, a, tmp_path / "unet.onnx")
    x = torch.randn(2, 1, 188, 188)
    with torch.no_grad():
        expected = model(x).numpy()
    got = ort.InferenceSession(str(tmp_path / "unet.onnx"),
                               providers=["CPUExecutionProvider"]).run(None, {"input": x.numpy()})
    np.testing.assert_allclose(got[0], expected, rtol=1e-4, atol=1e-4)


DOC = (ROOT / "docs" / "spec-format.md").read_text()


@pytest.mark.parametrize("title, input_shape, output", [
    ("A squeeze-and-excitation gate (MobileNetV3's):", [64, 7, 7], (64, 7, 7)),
    ("A ShuffleNet v2 unit of stride 1:", [116, 28, 28], (116, 28, 28)),
])
def test_the_docs_examples_check(title, input_shape, output):
    block = DOC.split(title, 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    layers = block if "conv3" not in block else (
        "- conv: {filters: 64, kernel: 1, name: conv3}\n" + block)
    a = netspec.analyze(f"input: {input_shape}\nlayers:\n" + "".join(
        f"  {line}\n" for line in layers.splitlines()), strict=True)
    assert a.output_shape == output
