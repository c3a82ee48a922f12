"""Activations in place (``ReLU(inplace=True)``) where nothing else reads their input.

The oracles: torchvision, whose ResNet and MobileNet-v2 run every ReLU and ReLU6 in place; and
a build of the same network with the in-place rule switched off, given the same weights, whose
outputs, gradients and ``layer_outputs`` must be equal bit for bit.
"""
import pytest

torch = pytest.importorskip("torch")

import netspec  # noqa: E402
from netspec.backends.pytorch import plan as plan_module  # noqa: E402
from netspec.backends.pytorch.emit import emit_source  # noqa: E402
from netspec.backends.pytorch.module import build_module  # noqa: E402


def builds(a, monkeypatch):
    """The module as compiled, and one built without the rule, holding the same weights."""
    torch.manual_seed(0)
    model = build_module(a)
    with monkeypatch.context() as m:
        m.setattr(plan_module, "_in_place", lambda steps, layers: list(steps))
        plain = build_module(a)
    assert list(plain.state_dict()) == list(model.state_dict())  # in place adds no key
    plain.load_state_dict(model.state_dict())
    return model, plain


def in_place(model):
    return {name for name, m in model.named_modules() if getattr(m, "inplace", False)}


def step(model, x):
    """One training step's output and every parameter's gradient."""
    model.train()
    model.zero_grad()
    torch.manual_seed(2)  # the same dropout masks in both
    y = model(x)
    (y * torch.randn_like(y)).sum().backward()
    return y.detach(), {n: p.grad for n, p in model.named_parameters()}


def assert_same_step(model, plain, x):
    y, grads = step(model, x)
    y0, grads0 = step(plain, x)
    assert torch.equal(y, y0)
    assert grads.keys() == grads0.keys()
    assert all(g is not None for g in grads.values())
    assert all(torch.equal(grads[n], grads0[n]) for n in grads)


@pytest.mark.parametrize("spec, cls", [("resnet18", torch.nn.ReLU),
                                       ("mobilenet_v2", torch.nn.ReLU6)])
def test_torchvisions_activations_run_in_place_and_change_no_number(spec, cls, monkeypatch):
    a = netspec.analyze(f"specs/{spec}.yaml")
    model, plain = builds(a, monkeypatch)
    every = {n for n, m in model.named_modules() if isinstance(m, cls)}
    assert every and in_place(model) == every  # as torchvision's inplace=True
    assert not in_place(plain)
    torch.manual_seed(1)
    assert_same_step(model, plain, torch.randn(2, *a.input_shape))


BRANCHING = """input: [3, 8, 8]
layers:
  - conv: {filters: 4, kernel: 3, padding: 1, name: c}
  - relu: {name: shared}            # c is read again by the add: not in place
  - conv: {filters: 4, kernel: 3, padding: 1, name: d}
  - batchnorm: {name: bn}
  - relu: {name: alone}             # nothing else reads bn: in place
  - add: [alone, c, shared]
  - relu: {name: after_add}         # in place, as ResNet's relu after its residual add
  - conv: {filters: 4, kernel: 1, activation: relu, name: short}   # the shortcut: in place
  - sigmoid
  - relu: {name: after_sigmoid}     # sigmoid's backward reads its output: not in place
  - flatten
  - leaky_relu: {name: after_view}  # flatten's output is its input's memory: not in place
  - dense: {units: 6, name: fc}
"""


def test_a_shared_input_is_never_overwritten(monkeypatch):
    a = netspec.analyze(BRANCHING)
    model, plain = builds(a, monkeypatch)
    assert in_place(model) == {"alone", "after_add", "short_relu"}
    assert_same_step(model, plain, torch.randn(3, 3, 8, 8))


REFUSED = {
    "the network's input": "layers: [relu, {conv: {filters: 3, kernel: 1}}]",
    "a block's input its caller adds": (
        "blocks: {res: {layers: [relu, {conv: {filters: 3, kernel: 1}}, "
        "{add: [conv1, $input]}]}}\nlayers: [{conv: {filters: 3, kernel: 1}}, res]"),
    "a split's part": ("layers: [{conv: {filters: 4, kernel: 1}}, {split: {parts: 2, name: h}},"
                       " {relu: {input: h.0}}, {concat: [relu1, h.1]}]"),
    "a relu's output": "layers: [{conv: {filters: 3, kernel: 1, activation: relu}}, relu6]",
    "a dropout's output": "layers: [{conv: {filters: 3, kernel: 1}}, {dropout: 0.5}, relu]",
}


@pytest.mark.parametrize("layers", REFUSED.values(), ids=REFUSED.keys())
def test_no_activation_in_place_where_its_input_is_not_its_own(layers, monkeypatch):
    a = netspec.analyze(f"input: [3, 6, 6]\n{layers}\n")
    model, plain = builds(a, monkeypatch)
    assert in_place(model) <= {"conv1_relu"}  # only a shortcut, which reads its own conv
    assert_same_step(model, plain, torch.randn(2, 3, 6, 6))


def test_layer_outputs_keep_what_each_layer_gave(monkeypatch):
    a = netspec.analyze(BRANCHING)
    model, plain = builds(a, monkeypatch)
    x = torch.randn(3, 3, 8, 8)
    seen, seen0 = model.layer_outputs(x), plain.layer_outputs(x)
    assert (seen["bn"] < 0).any()  # a relu run in place over it would have zeroed these
    assert seen.keys() == seen0.keys()
    assert all(torch.equal(seen[k], seen0[k]) for k in seen)
    assert in_place(model) == {"alone", "after_add", "short_relu"}  # restored afterwards


@pytest.mark.parametrize("spec", ["specs/resnet18.yaml", BRANCHING])
def test_the_emitted_source_runs_the_same_activations_in_place(spec, monkeypatch):
    a = netspec.analyze(spec)
    model, _ = builds(a, monkeypatch)
    namespace: dict = {}
    exec(emit_source(a), namespace)  # tests run generated code; netspec never does
    emitted = namespace["build"]()
    assert list(emitted.state_dict()) == list(model.state_dict())
    emitted.load_state_dict(model.state_dict())
    assert in_place(emitted) == in_place(model)
    assert [(n, type(m).__name__) for n, m in emitted.named_modules()][1:] == \
        [(n, type(m).__name__) for n, m in model.named_modules()][1:]
    torch.manual_seed(1)
    assert_same_step(model, emitted, torch.randn(2, *a.input_shape))
