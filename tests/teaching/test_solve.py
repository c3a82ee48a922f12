"""`netspec solve`: every worked example of /work/shared/reference.md ("Small worked examples"
and the formulas' 2.33), with the figure written here from the reference; and the solvers for
padding, stride and kernel against a brute-force search over the output formula."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netspec.cli import main
from netspec.core.shapes import Window
from netspec.teaching import solve


def run(capsys, *argv):
    assert main(["solve", *argv]) == 0
    return capsys.readouterr().out


def answer(out):
    return out.splitlines()[-1]


# The reference's table, row by row (seed, setting, expected).

def test_000_n6_p1_f3_s5_gives_2(capsys):
    out = run(capsys, "output", "-n", "6", "-p", "1", "-f", "3", "-s", "5")
    assert "floor((6 + 2*1 - 3) / 5) + 1 = 2" in out and answer(out) == "answer: 2"


def test_000_rgb_200_fully_connected_to_itself(capsys):
    out = run(capsys, "params", "dense", "--inputs", "200x200x3", "--units", "200x200x3")
    assert answer(out) == f"answer: {120_000**2 + 120_000:,} parameters"  # 14,400,120,000


def test_000_grey_200_fully_connected_to_40000_and_its_6_4_gb(capsys):
    out = run(capsys, "params", "dense", "--inputs", "200x200", "--units", "40000")
    assert answer(out) == f"answer: {40_000**2 + 40_000:,} parameters"
    assert "= 6.4 GB" in out  # in float32


def test_000_conv_f3_on_3_channels_with_3_filters(capsys):
    out = run(capsys, "params", "conv", "-f", "3", "-c", "3", "--filters", "3")
    assert answer(out) == "answer: 84 parameters"


def test_000_three_stacked_3x3_convs(capsys):
    out = run(capsys, "field", "3", "3", "3")
    assert answer(out) == "answer: receptive field 7x7"
    assert "= 30 parameters" in out and "one 7x7 conv sees as much: (7*7*1 + 1) * 1 = 50 " \
           "parameters" in out


@pytest.mark.parametrize("stride, size, exact", [(1, 5, None), (2, 3, None), (3, 2, "2.33")])
def test_001_n7_f3_at_strides_1_2_3(capsys, stride, size, exact):
    out = run(capsys, "output", "-n", "7", "-f", "3", "-s", str(stride))
    assert answer(out) == f"answer: {size}"
    if exact:  # does not fit: said, with the row it loses
        assert f"= {exact} does not fit" in out and "the last 1 input position is never " \
               "visited" in out
    else:
        assert "tile the input exactly" in out


def test_001_7x7_kernel_3_stride_1_pad_1(capsys):
    assert answer(run(capsys, "output", "-n", "7x7", "-f", "3x3", "-p", "1")) == "answer: 7"


def test_001_the_padding_for_a_3x3_output(capsys):
    out = run(capsys, "padding", "-n", "7", "-f", "3", "-s", "3", "--want", "3")
    assert answer(out) == "answer: padding 1"


def test_001_fifty_by_fifty_by_three_with_ten_5x5_filters(capsys):
    assert answer(run(capsys, "output", "-n", "50", "-f", "5", "-s", "1", "-p", "2")) == \
        "answer: 50"
    out = run(capsys, "params", "conv", "-f", "5", "-c", "3", "--filters", "10")
    assert "each filter: 75 weights + 1 bias = 76 parameters" in out
    assert answer(out) == "answer: 760 parameters"


def test_002_32_with_a_5x5_filter(capsys):
    assert answer(run(capsys, "output", "-n", "32", "-f", "5")) == "answer: 28"


def test_002_5x5_kernel_3_stride_2_pad_1(capsys):
    assert answer(run(capsys, "output", "-n", "5", "-f", "3", "-s", "2", "-p", "1")) == \
        "answer: 3"


def test_004_one_d_5_padded_to_6_on_one_side_kernel_2_stride_2(capsys):
    out = run(capsys, "output", "-n", "5", "-f", "2", "-s", "2", "-p", "0,1")
    assert answer(out) == "answer: 3"


# the other questions

def test_same_padding_puts_the_odd_pixel_after():
    """TensorFlow's rule: a 7x7 stride-2 conv on 224 pads 2 before and 3 after (ResNet's stem
    in Keras)."""
    assert solve.same(224, 7, 2).value == (2, 3)
    assert solve.same(7, 3, 1).value == (1, 1)
    assert solve.same(8, 2, 2).value == (0, 0)


def test_no_integer_answer_says_so_with_the_nearest():
    s = solve.stride(7, 3, 4)  # 7, kernel 3: stride 1 gives 5, stride 2 gives 3
    assert s.value is None and s.answer == "none; nearest: stride 1 or 2"
    assert "  stride 1: floor((7 + 2*0 - 3) / 1) + 1 = 5" in s.lines
    p = solve.padding(7, 3, 1, 3)  # a padding can only grow the output past 5
    assert p.value is None and p.answer == "none; nearest: padding 0"
    odd = solve.padding(7, 3, 1, 8)  # 8 needs 3 pixels in all: one side gets two
    assert odd.value == (1, 2) and odd.answer == "padding [1, 2] (before, after)"


def test_stride_and_kernel_prefer_the_one_that_tiles():
    assert solve.stride(7, 3, 3).value == 2  # seed 001: 7, 3, stride 2 -> 3
    assert solve.kernel(7, 3, 2).value == 3  # kernels 2 and 3 both give 3; 3 tiles
    assert solve.kernel(32, 28).value == 5  # seed 002 turned around
    assert solve.kernel(9, 3, 2, d=2).value == 3  # span 5 = 2*(3-1) + 1: (9 - 5)/2 + 1 = 3


def outputs(n, f, s, p=(0, 0), d=1):
    return Window(n, f, s, p[0], p[1], d).out


sizes = st.integers(1, 30)


@settings(max_examples=400, deadline=None)
@given(sizes, st.integers(1, 7), st.integers(1, 5), st.integers(1, 3), sizes)
def test_padding_against_brute_force(n, f, s, d, want):
    found = solve.padding(n, f, s, want, d).value
    every = [p for p in range(0, 2 * (n + f * d + s * want)) if outputs(n, f, s, (p, p), d) == want]
    if every:
        assert found == every[0]
    elif isinstance(found, tuple):
        assert outputs(n, f, s, found, d) == want and found[1] == found[0] + 1
    else:
        assert found is None and not any(outputs(n, f, s, (a, b), d) == want
                                         for a in range(2 * n + 2 * f * d + 9)
                                         for b in (a, a + 1))


@settings(max_examples=400, deadline=None)
@given(sizes, st.integers(1, 7), st.integers(0, 3), st.integers(1, 3), sizes)
def test_stride_against_brute_force(n, f, p, d, want):
    found = solve.stride(n, f, want, (p, p), d).value
    every = [s for s in range(1, n + 2 * p + 3) if outputs(n, f, s, (p, p), d) == want]
    if not every:
        assert found is None
    else:
        assert found in every and outputs(n, f, found, (p, p), d) == want
        tiling = [s for s in every if not Window(n, f, s, p, p, d).leftover]
        assert found == (tiling[0] if tiling else every[0])


@settings(max_examples=400, deadline=None)
@given(sizes, st.integers(1, 5), st.integers(0, 3), st.integers(1, 3), sizes)
def test_kernel_against_brute_force(n, s, p, d, want):
    found = solve.kernel(n, want, s, (p, p), d).value
    every = [f for f in range(1, n + 2 * p + 2) if outputs(n, f, s, (p, p), d) == want]
    assert found == (every[-1] if every else None)  # the largest: it tiles when one does


@pytest.mark.parametrize("argv, message", [
    (["output", "-n", "7x5", "-f", "3"], "'7x5': one axis at a time"),
    (["output", "-n", "0", "-f", "3"], "0 is not from 1 to 1,000,000,000"),
    (["output", "-n", "7", "-f", "3", "-p", "1,2,3"], "one number, or two (before,after)"),
    (["padding", "-n", "7", "-f", "3"], "the following arguments are required: --want"),
    (["field", "3q"], "'3q' is not a window"),
    (["params", "conv", "-f", "3", "-c", "3", "--filters", "4", "--groups", "2"],
     "groups=2 does not divide the 3 input channels"),
])
def test_bad_questions_are_usage_errors(argv, message, capsys):
    try:
        code = main(["solve", *argv])
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_an_output_that_would_be_empty():
    s = solve.output(3, 5)
    assert s.value is None and s.answer == "none: the kernel spans 5 but the padded input is only 3"
