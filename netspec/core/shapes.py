"""Shape arithmetic, written once, over plain ints.

Every conv-like and pool-like kind uses these; none of them imports a framework. The rules are
the ones PyTorch implements, so the checker's predictions can be tested against it.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

MAX_TAPS = 4096  # Window.visited counts taps one by one beyond the simple case
Shape = tuple[int, ...]  # channels first, no batch axis: (C,), (C, L), (C, H, W), (C, D, H, W)

AXIS_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def axis_names(spatial_rank: int) -> tuple[str, ...]:
    return AXIS_NAMES.get(spatial_rank, tuple(f"axis {i}" for i in range(spatial_rank)))


def fmt_shape(shape: Shape) -> str:
    """``(64, 7, 7)``, the way shapes appear in messages."""
    return "(" + ", ".join(str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def shape_text(shape: Shape) -> str:
    """``64x7x7``, the way shapes appear in reports and diagrams."""
    return "x".join(str(d) for d in shape)


def fmt_axes(values: Sequence[int]) -> str:
    """``2`` when all axes agree, else ``2x1``: compact strides and dilations."""
    return str(values[0]) if len(set(values)) == 1 else "x".join(map(str, values))


def span(kernel: int, dilation: int = 1) -> int:
    """How many input positions a dilated kernel covers: d(f-1) + 1."""
    return dilation * (kernel - 1) + 1


class Window(NamedTuple):
    """One axis of a sliding window: the inputs of ``floor((n + 2p - f)/s) + 1``."""

    size: int  # n
    kernel: int  # f
    stride: int = 1  # s
    pad_lo: int = 0
    pad_hi: int = 0
    dilation: int = 1
    ceil_mode: bool = False

    @property
    def padded(self) -> int:
        return self.size + self.pad_lo + self.pad_hi

    @property
    def span(self) -> int:
        return span(self.kernel, self.dilation)

    @property
    def out(self) -> int:
        """The output size, as PyTorch computes it (ceil_mode included)."""
        room = self.padded - self.span
        if not self.ceil_mode:
            return max(room // self.stride + 1, 0)
        # A window may hang over the end, even when the kernel is longer than the input...
        out = -(-room // self.stride) + 1
        # ...but PyTorch drops a last window that would start in the right padding.
        if (out - 1) * self.stride >= self.size + self.pad_lo:
            out -= 1
        return max(out, 0)

    @property
    def leftover(self) -> int:
        """Positions at the end of the padded input that no window visits (0 when it tiles)."""
        room = self.padded - self.span
        return 0 if room < 0 or self.ceil_mode else room % self.stride

    @property
    def lost(self) -> int:
        """Real input positions after the last window that no window visits: the leftover
        beyond the trailing padding (ResNet's 3x3 stride-2 pad-1 conv on an even size skips
        only padding). A stride longer than the kernel skips positions by design: 0 then."""
        if self.stride > self.span:
            return 0
        return max(0, self.leftover - self.pad_hi)

    @property
    def visited(self) -> int | None:
        """Real input positions that some tap of some window reads, at most ``size``: fewer when
        the stride is longer than the kernel, when dilated taps and the stride skip the same
        rows, or when the last rows are left over. None for a dilated kernel of more than
        ``MAX_TAPS`` taps (a bound on the work, not a real case)."""
        lo, hi = self.pad_lo, self.pad_lo + self.size  # the real positions, padded coordinates
        s, last = self.stride, (self.out - 1) * self.stride  # where the last window starts
        if self.dilation == 1 and s <= self.kernel:  # windows overlap or touch: one run
            return max(0, min(hi, last + self.kernel) - lo)
        if self.kernel > MAX_TAPS:
            return None
        # Tap j of every window reads j*d + i*s (i < out): one progression of step s per tap.
        # Progressions of one residue mod s merge where they overlap; others never meet.
        by_residue: dict[int, list[tuple[int, int]]] = {}
        for j in range(self.kernel):
            by_residue.setdefault(j * self.dilation % s, []).append(
                (j * self.dilation, j * self.dilation + last))
        total = 0
        for runs in by_residue.values():
            runs.sort()
            merged = [runs[0]]
            for a, b in runs[1:]:
                if a <= merged[-1][1] + s:
                    merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
                else:
                    merged.append((a, b))
            total += sum(_in_range(a, b, s, lo, hi) for a, b in merged)
        return total

    def formula(self) -> str:
        """The arithmetic with the numbers filled in, e.g. ``floor((7 + 2*0 - 3) / 3) + 1 = 2``."""
        pad = (f"2*{self.pad_lo}" if self.pad_lo == self.pad_hi
               else f"{self.pad_lo} + {self.pad_hi}")
        f = str(self.kernel) if self.dilation == 1 else f"({self.dilation}*({self.kernel}-1)+1)"
        op = "ceil" if self.ceil_mode else "floor"
        return f"{op}(({self.size} + {pad} - {f}) / {self.stride}) + 1 = {self.out}"

    def exact(self) -> str:
        """The unrounded quotient, as the notes write it (``2.33``)."""
        value = (self.padded - self.span) / self.stride + 1
        return f"{value:.2f}".rstrip("0").rstrip(".")


def _in_range(first: int, last: int, step: int, lo: int, hi: int) -> int:
    """How many of first, first + step, ..., last lie in [lo, hi)."""
    start = first if first >= lo else first + -(-(lo - first) // step) * step
    end = last if last < hi else first + (hi - 1 - first) // step * step
    return max(0, (end - start) // step + 1) if start <= end else 0


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's 'same': output ceil(n/s); the odd pixel of padding goes after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + span(kernel, dilation) - size, 0)
    return total // 2, total - total // 2


_WHOLE = {int}


class Field(NamedTuple):
    """What one output position of a layer sees of the network's input, per spatial axis of
    the input: ``size`` positions (the receptive field), the step between the fields of
    neighbouring outputs (``jump``, the effective stride), and where the first output's field
    starts (``start``, negative when it reaches into the padding).

    The standard recurrence, for a window of span ``k`` (``d(f-1) + 1``), stride ``s`` and
    padding ``p`` before: ``size += (k - 1) * jump``, ``start -= p * jump``, ``jump *= s``.
    After a layer that enlarges (upsample, conv_transpose) the three may be fractions of a
    position (:class:`~fractions.Fraction`); :meth:`rounded` gives the records whole ones.
    """

    # Whole positions; after an enlarging layer, Fractions (which every recurrence here
    # computes with as with ints), typed as ints so that the many readers of whole fields
    # need not say so.
    size: tuple[int, ...]
    jump: tuple[int, ...]
    start: tuple[int, ...]

    @classmethod
    def of_input(cls, rank: int) -> Field:
        """The network input: each position sees itself."""
        return cls((1,) * rank, (1,) * rank, (0,) * rank)

    def through(self, spans: Sequence[int], strides: Sequence[int],
                pads_before: Sequence[int]) -> Field:
        """After a sliding window over every axis (spans are dilated kernel extents)."""
        return Field(tuple([r + (k - 1) * j for r, k, j in zip(self.size, spans, self.jump)]),
                     tuple([j * s for j, s in zip(self.jump, strides)]),
                     tuple([a - p * j for a, p, j in zip(self.start, pads_before, self.jump)]))

    def rounded(self) -> tuple[tuple[int, ...], tuple[int | float, ...], tuple[int, ...]]:
        """(size, jump, start) in whole positions, as records show them. With a whole jump,
        the whole positions inside the first output's field (every output's field then has
        the same fractional offset); with a fractional one (0.5 after a 2x upsample of the
        input, shown as a float) the first field widened to whole positions, which bounds
        every later output's too."""
        if set(map(type, self.size + self.jump + self.start)) <= _WHOLE:  # no Fraction
            return self.size, self.jump, self.start
        size, jump, start = [], [], []
        for r, j, a in zip(self.size, self.jump, self.start):
            whole = j == int(j)
            lo = math.ceil(a) if whole else math.floor(a)
            hi = math.floor(a + r - 1) if whole else math.ceil(a + r - 1)
            size.append(hi - lo + 1)
            jump.append(int(j) if whole else float(j))
            start.append(lo)
        return tuple(size), tuple(jump), tuple(start)

    def whole(self, sizes: Sequence[int]) -> Field:
        """After a layer that reads every position of an input of these spatial sizes (global
        pooling, flatten): its one output sees the union of their fields."""
        return Field(tuple(r + (n - 1) * j for r, n, j in zip(self.size, sizes, self.jump)),
                     tuple(j * n for j, n in zip(self.jump, sizes)), self.start)

    @staticmethod
    def merge(fields: Sequence[Field]) -> Field:
        """Where branches meet (add, concat): the largest field of the inputs, per axis."""
        if len(fields) == 1:
            return fields[0]
        return Field(tuple(map(max, *[f.size for f in fields])),
                     tuple(map(max, *[f.jump for f in fields])),
                     tuple(map(min, *[f.start for f in fields])))


def receptive_field(windows: list[tuple[int, int]]) -> int:
    """Receptive field of stacked (kernel span, stride) layers: 3 stacked 3x3 see 7x7."""
    field = Field.of_input(1)
    for k, s in windows:
        field = field.through((k,), (s,), (0,))
    return int(field.size[0])  # whole: windows only


def numel(shape: Shape) -> int:
    return math.prod(shape)
