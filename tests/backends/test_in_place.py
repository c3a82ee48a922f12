"""Activations in place (netspec.analysis.inplace): the compiled module, the in-memory one and
the emitted source alike, computes bit for bit what the same module computes with every
activation out of place, forward and backward, in training and at inference; PyTorch's own
autograd checks that nothing it keeps was overwritten."""
from __future__ import annotations

import copy
import runpy

import pytest

torch = pytest.importorskip("torch")

import netspec  # noqa: E402
from netspec.backends.pytorch.emit import emit_source  # noqa: E402
from netspec.backends.pytorch.module import build_module  # noqa: E402
from tests.analysis.test_inplace import CASES  # noqa: E402
from tests.zoo import ROOT  # noqa: E402

# a residual network (add), an inverted-residual one of relu6, which runs nothing in place, and
# a DAG of concatenations
ZOO_SPECS = ["resnet18", "mobilenet_v2", "googlenet"]
SMALL = {"block instances that differ": (
    "blocks: {b: {layers: [relu, {conv: {filters: 3, kernel: 1}}]}}\nlayers: [b, b, "
    "{conv: {filters: 3, kernel: 1, activation: relu}}, leaky_relu]", {"b2.relu1", "conv1"})} | {
    name: (f"layers: {layers}", expected) for name, (layers, expected) in CASES.items()}


def out_of_place(model: torch.nn.Module) -> torch.nn.Module:
    """A copy of the model with every activation out of place."""
    other = copy.deepcopy(model)
    for m in other.modules():
        if hasattr(m, "inplace"):
            m.inplace = False
    return other


def in_place_modules(model: torch.nn.Module) -> list[str]:
    return [n for n, m in model.named_modules() if getattr(m, "inplace", False)]


def train_step(model: torch.nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    """The output, the input's gradient, every parameter's and the buffers after one training
    forward and backward (dropout seeded alike)."""
    model.train()
    x = x.clone().requires_grad_()
    torch.manual_seed(2)
    y = model(x)
    y.square().sum().backward()
    return [y.detach(), x.grad, *(p.grad for p in model.parameters()), *model.buffers()]


def assert_same_both_ways(a: netspec.Analysis, model: torch.nn.Module, n: int = 2) -> None:
    reference = out_of_place(model)
    torch.manual_seed(1)
    x = torch.randn(n, *a.input_shape)
    ours, theirs = train_step(model, x), train_step(reference, x)
    assert len(ours) == len(theirs)
    assert all(torch.equal(o, t) for o, t in zip(ours, theirs))
    model.eval(), reference.eval()
    with torch.no_grad():
        assert torch.equal(model(x), reference(x))


@pytest.mark.parametrize("spec", ZOO_SPECS)
def test_zoo_in_place_is_bit_identical(spec: str) -> None:
    a = netspec.analyze(ROOT / f"specs/{spec}.yaml")
    torch.manual_seed(0)
    model = build_module(a)
    assert len(in_place_modules(model)) == len(a.in_place)
    assert_same_both_ways(a, model)


@pytest.mark.parametrize("spec, expected", SMALL.values(), ids=SMALL.keys())
def test_small_networks_in_place_are_bit_identical_in_both_forms(spec, expected, tmp_path):
    a = netspec.analyze(f"input: [3, 6, 6]\n{spec}\n")
    assert a.in_place == expected
    torch.manual_seed(0)
    model = build_module(a)
    file = tmp_path / "model.py"
    file.write_text(emit_source(a))
    emitted = runpy.run_path(str(file))["build"]()  # tests run generated code; netspec never does
    emitted.load_state_dict(model.state_dict())
    assert in_place_modules(emitted) == in_place_modules(model)
    assert len(in_place_modules(model)) == len(expected)
    assert_same_both_ways(a, model)
    assert_same_both_ways(a, emitted)


def test_layer_outputs_are_each_layers_own_tensor() -> None:
    """A relu in place would overwrite the batchnorm output that layer_outputs shows, and a
    gradient taken with respect to it would be the relu's: layer_outputs runs out of place."""
    a = netspec.analyze("input: [3, 6, 6]\nlayers: [{conv: {filters: 4, kernel: 1}}, batchnorm, "
                        "relu, {conv: {filters: 2, kernel: 1}}]\n")
    model = build_module(a)
    values = model.layer_outputs(torch.randn(2, 3, 6, 6))
    bn, relu = values["batchnorm1"], values["relu1"]
    assert (bn < 0).any() and torch.equal(relu, bn.clamp(min=0))
    d_bn, d_relu = torch.autograd.grad(values["conv2"].sum(), [bn, relu])
    assert torch.equal(d_bn, d_relu * (bn > 0))
    assert in_place_modules(model) == ["relu1"]  # in place again after
