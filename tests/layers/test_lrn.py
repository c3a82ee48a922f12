"""Local response normalisation takes the inputs PyTorch takes."""
import pytest

import netspec
from netspec.core.errors import SpecError


def test_lrn_on_a_flat_input_is_refused_as_pytorch_refuses_it():
    """nn.LocalResponseNorm wants dim() >= 3 with the batch ("Expected 3D or higher
    dimensionality input"): a spec input of rank 2 or more. The issue's spec checked as valid."""
    with pytest.raises(SpecError) as info:
        netspec.analyze("input: [1]\nlayers: [lrn]\n")
    (e,) = info.value.diagnostics
    assert e.format().startswith(
        "<string>:2:10: error[NS411]: layer 1 'lrn1' (lrn): lrn needs an input with a channel "
        "axis and spatial axes, (C, L) or more, got (1,)")
    assert e.hint == "normalise before flatten and dense layers"


@pytest.mark.parametrize("shape", [[3, 5], [3, 4, 4], [2, 3, 4, 5]])
def test_lrn_keeps_any_input_with_spatial_axes(shape):
    assert netspec.analyze(f"input: {shape}\nlayers: [lrn]\n").output_shape == tuple(shape)


def test_lrn_after_flatten_is_refused_at_its_line():
    with pytest.raises(SpecError) as info:
        netspec.analyze("input: [3, 4, 4]\nlayers:\n  - flatten\n  - lrn: 3\n")
    (e,) = info.value.diagnostics
    assert (e.location.line, e.code, e.layer) == (4, "NS411", "layer 2 'lrn1' (lrn)")
