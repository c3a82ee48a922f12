"""The activations of modern networks against torch.nn.functional, as layers and as shortcuts,
and prelu's learned slopes."""
import pytest

torch = pytest.importorskip("torch")
from torch.nn import functional as F  # noqa: E402

from tests.layers.kit import analyze, errors, run  # noqa: E402

ORACLE = {  # written from the definitions, not from netspec's torch mapping
    "silu": lambda x: x * torch.sigmoid(x),
    "swish": lambda x: x * torch.sigmoid(x),
    "hardswish": lambda x: x * F.relu6(x + 3) / 6,
    "hardsigmoid": lambda x: F.relu6(x + 3) / 6,
    "mish": lambda x: x * torch.tanh(F.softplus(x)),
}


@pytest.mark.parametrize("kind", sorted(ORACLE))
@pytest.mark.parametrize("shape", [(3,), (2, 5), (2, 4, 4), (1, 2, 3, 3)])
def test_activation_layers_compute_their_definition(kind, shape):
    a, _, x, y = run(shape, kind)
    assert a.total_params == 0 and a.layers[0].label == kind
    torch.testing.assert_close(y, ORACLE[kind](x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", sorted(ORACLE))
def test_activation_shortcuts_follow_conv_and_dense(kind):
    a, module, x, y = run((2, 4, 4), f"conv: {{filters: 3, kernel: 1, activation: {kind}, "
                                     "name: c}", "flatten",
                          f"dense: {{units: 2, activation: {kind}, name: d}}")
    assert a.layers[0].label == f"conv 3 1x1 /1 p0 +{kind}"
    with torch.no_grad():
        h = ORACLE[kind](F.conv2d(x, module.c.weight, module.c.bias)).flatten(1)
        torch.testing.assert_close(y, ORACLE[kind](F.linear(h, module.d.weight, module.d.bias)))


@pytest.mark.parametrize("settings, slopes", [("", 1), ("{per_channel: true}", 3),
                                              ("{per_channel: true, init: 0.1}", 3)])
@pytest.mark.parametrize("shape", [(3,), (3, 5, 5)])
def test_prelu_learns_one_slope_or_one_per_channel(settings, slopes, shape):
    a, module, x, y = run(shape, f"prelu: {settings}" if settings else "prelu")
    (weight,) = module.parameters()
    assert a.total_params == a.total_weights == slopes == weight.numel()
    assert a.layers[0].label == f"prelu {slopes}"
    init = 0.1 if "0.1" in settings else 0.25  # PyTorch's default starting slope
    assert torch.equal(weight.detach(), torch.full((slopes,), init))
    per_channel = weight.detach().reshape(1, -1, *[1] * (len(shape) - 1))
    torch.testing.assert_close(y, torch.where(x > 0, x, per_channel * x))


def test_prelu_is_not_a_shortcut():
    (e,) = errors((1, 8, 8), "conv: {filters: 2, kernel: 3, activation: prelu}")
    assert e.code == "NS206" and e.location.line == 3
    assert e.message == "activation: prelu learns parameters, so it cannot be a shortcut"
    assert e.hint == "write `- prelu` as a layer after this one"
    (e,) = errors((4,), "dense: {units: 2, activation: prelu}")
    assert e.code == "NS206"
    (e,) = errors((1, 8, 8), "separable_conv: {filters: 2, kernel: 3, activation: prelu}")
    assert e.code == "NS206"


def test_swish_is_silu_and_typos_are_pointed_to_them():
    assert analyze((2,), "swish").layers[0].kind == "swish"
    (e,) = errors((1, 4, 4), "conv: {filters: 1, kernel: 1, activation: hardswich}")
    assert e.hint == "did you mean 'hardswish'?"
