"""What the kinds' tests share: a spec's analysis, its compiled module and its emitted source
(the one checked against the other), and the errors of a spec."""
import pytest

import netspec
from netspec.core.errors import SpecError


def analyze(input_shape, *layers: str, strict: bool = False):
    return netspec.analyze(spec(input_shape, *layers), strict=strict)


def spec(input_shape, *layers: str) -> str:
    return f"input: {list(input_shape)}\nlayers:\n" + "".join(f"  - {x}\n" for x in layers)


def errors(input_shape, *layers: str):
    with pytest.raises(SpecError) as info:
        netspec.analyze(spec(input_shape, *layers))
    return [d for d in info.value.diagnostics if d.severity == "error"]


def compiled(input_shape, *layers: str, seed: int = 0):
    """(analysis, module, emitted module with the module's weights), both in eval mode; the
    emitted source is run as a file would be."""
    import torch

    from netspec.backends.pytorch.emit import emit_source
    from netspec.backends.pytorch.module import build_module

    a = analyze(input_shape, *layers)
    torch.manual_seed(seed)
    module = build_module(a).eval()
    namespace: dict = {}
    exec(emit_source(a), namespace)  # tests run generated code; netspec never does
    emitted = namespace["build"]().eval()
    emitted.load_state_dict(module.state_dict())
    return a, module, emitted


def run(input_shape, *layers: str, x=None, seed: int = 0):
    """The analysis and the compiled module's output on ``x`` (random by default), after
    checking that the emitted source computes exactly the same and that the parameters
    PyTorch holds are the ones the checker counts."""
    import torch

    a, module, emitted = compiled(input_shape, *layers, seed=seed)
    if x is None:
        x = torch.randn(2, *input_shape, generator=torch.Generator().manual_seed(seed + 1))
    with torch.no_grad():
        y = module(x)
        assert torch.equal(emitted(x), y)
    assert tuple(y.shape[1:]) == a.output_shape
    assert sum(p.numel() for p in module.parameters()) == a.total_params
    return a, module, x, y
