"""add and multiply broadcast over size-1 axes as PyTorch does; a mismatch names both inputs."""
import pytest

torch = pytest.importorskip("torch")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from netspec.core.errors import SpecError  # noqa: E402
from tests.layers.kit import analyze, errors, run  # noqa: E402


@st.composite
def shape_pairs(draw):
    """Two shapes of one rank, each axis equal, or 1 in one of them, or (rarely) unrelated."""
    rank = draw(st.integers(1, 4))
    a, b = [], []
    for _ in range(rank):
        n = draw(st.integers(1, 4))
        how = draw(st.sampled_from(["same", "same", "a1", "b1", "any"]))
        a.append(1 if how == "a1" else n)
        b.append(1 if how == "b1" else (draw(st.integers(1, 4)) if how == "any" else n))
    return a, b


@settings(max_examples=60, deadline=None)
@given(shape_pairs(), st.sampled_from(["add", "multiply"]))
def test_the_checker_broadcasts_exactly_when_pytorch_does(pair, kind):
    """Two branches reshape one input into the drawn shapes (adaptive pools keep the values
    apart); the checker's verdict and shape are PyTorch's broadcasting of the two tensors."""
    a_shape, b_shape = pair
    x, y = torch.zeros(2, *a_shape), torch.zeros(2, *b_shape)
    try:
        expected = tuple((x + y).shape[1:])
    except RuntimeError:
        expected = None
    text = (f"input: {a_shape}\nlayers:\n  - relu: {{name: a}}\n"
            f"  - adaptive_avgpool: {{output: {b_shape[1:]}, input: input, name: p}}\n"
            f"  - conv: {{filters: {b_shape[0]}, kernel: 1, name: b}}\n"
            f"  - {kind}: [a, b]\n") if len(a_shape) > 1 else None
    if text is None:  # flat: two dense layers of the drawn widths
        text = (f"input: {a_shape}\nlayers:\n  - dense: {{units: {a_shape[0]}, name: a}}\n"
                f"  - dense: {{units: {b_shape[0]}, input: input, name: b}}\n"
                f"  - {kind}: [a, b]\n")
    import netspec

    try:
        got = netspec.analyze(text).output_shape
    except SpecError as e:
        assert expected is None, e
        return
    assert got == expected


def test_squeeze_and_excitation_gate():
    """The docs' gate: (C, H, W) * (C, 1, 1), as torchvision's SqueezeExcitation computes it."""
    a, module, x, y = run(
        (64, 7, 7), "conv: {filters: 64, kernel: 1, name: conv3}",
        "adaptive_avgpool: {output: 1, name: squeeze}",
        "conv: {filters: 16, kernel: 1, activation: relu, name: fc1}",
        "conv: {filters: 64, kernel: 1, name: fc2}", "hardsigmoid: {name: gate}",
        "multiply: [conv3, gate]")
    assert a.layers[-1].label == "multiply 2" and a.output_shape == (64, 7, 7)
    m = module
    with torch.no_grad():
        h = torch.conv2d(x, m.conv3.weight, m.conv3.bias)
        s = torch.relu(torch.conv2d(h.mean((2, 3), keepdim=True), m.fc1.weight, m.fc1.bias))
        s = torch.nn.functional.hardsigmoid(torch.conv2d(s, m.fc2.weight, m.fc2.bias))
        torch.testing.assert_close(y, h * s)


@pytest.mark.parametrize("kind, op", [("add", torch.add), ("multiply", torch.mul)])
def test_three_inputs_broadcast_together(kind, op):
    _, _, x, y = run((3, 4, 4), "adaptive_avgpool: {output: [1, 4], name: row}",
                     "adaptive_avgpool: {output: [4, 1], input: input, name: col}",
                     f"{kind}: [input, row, col]")
    torch.testing.assert_close(y, op(op(x, x.mean(2, keepdim=True)), x.mean(3, keepdim=True)))


def test_a_mismatch_names_the_axis_and_both_inputs():
    (e,) = errors((8, 6, 6), "conv: {filters: 8, kernel: 3, name: small}",
                  "multiply: [input, small]")
    assert e.code == "NS406"
    assert e.message == ("multiply needs inputs of one shape (or of size 1 on an axis where "
                         "they differ), got (8, 6, 6) and (8, 4, 4): height 4 vs 6")
    assert e.details == ("input 'input' (8, 6, 6) (the network input)",
                         "input 'small' (8, 4, 4) (line 3): it makes 6x6 into 4x4")
    (e,) = errors((8, 6, 6), "global_avgpool: {name: flat}", "multiply: [input, flat]")
    assert "needs inputs with the same number of axes, got (8, 6, 6) and (8,)" in e.message
    assert "adaptive_avgpool: 1" in e.hint


def test_broadcast_output_can_be_larger_than_each_input():
    a = analyze((2, 1, 5), "adaptive_avgpool: {output: [3, 1], name: tall}", "add: [input, tall]")
    assert a.output_shape == (2, 3, 5)
