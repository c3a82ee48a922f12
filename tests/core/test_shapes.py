"""The shape arithmetic against brute force: windows counted one by one."""
from hypothesis import given
from hypothesis import strategies as st

from netspec.core.shapes import Window, receptive_field, same_padding

sizes = st.integers(1, 64)
small = st.integers(1, 7)


def brute_force(w: Window) -> int:
    """Count window starts that fit in the padded input (PyTorch's floor rule)."""
    return sum(1 for start in range(0, w.padded, w.stride) if start + w.span <= w.padded)


@given(sizes, small, small, st.integers(0, 3), st.integers(0, 3), st.integers(1, 3))
def test_output_size_counts_windows(n, k, s, lo, hi, d):
    w = Window(n, k, s, lo, hi, d)
    assert w.out == brute_force(w)
    if w.out:
        last_end = (w.out - 1) * s + w.span
        assert w.leftover == w.padded - last_end


@given(sizes, small, small, st.integers(1, 2))
def test_same_padding_gives_ceil(n, k, s, d):
    lo, hi = same_padding(n, k, s, d)
    assert Window(n, k, s, lo, hi, d).out == -(-n // s)
    assert hi - lo in (0, 1)


def test_only_real_rows_count_as_lost():
    assert Window(7, 3, 3).lost == 1  # seed 001: the last real row is skipped
    assert Window(32, 3, 2, 1, 1).lost == 0  # ResNet: only a row of padding is skipped
    assert Window(9, 3, 3, 1, 1).lost == 1
    assert Window(56, 1, 2).lost == 0  # a 1x1 stride-2 shortcut subsamples on purpose


def test_seed_formula_text():
    assert Window(6, 3, 5, 1, 1).formula() == "floor((6 + 2*1 - 3) / 5) + 1 = 2"
    assert Window(7, 3, 3).exact() == "2.33"


def test_receptive_field():
    assert receptive_field([(3, 1), (3, 1), (3, 1)]) == 7
    assert receptive_field([(3, 1), (2, 2), (3, 1)]) == 8
