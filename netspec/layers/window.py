"""What conv-like and pool-like kinds share: resolving padding and sliding a window per axis.

The shape rule lives in :mod:`netspec.core.shapes`; this module turns its results into the
messages a student needs: an output that would be empty is an error with the arithmetic, a
window that does not tile its input is a warning naming the lost rows and the padding that
would fit.
"""
from __future__ import annotations

from typing import Literal, NamedTuple

from ..core.codes import declare
from ..core.errors import LayerError
from ..core.model import NonNeg
from ..core.shapes import Field, Shape, Window, axis_names, fmt_shape, same_padding, span
from .base import PER_AXIS_COUNT, Warn, per_axis

EMPTY_OUTPUT = declare(
    "NS401", "empty-output", "a window leaves an output size below 1",
    "floor((n + 2p - f)/s) + 1 must be at least 1 on every axis: the (dilated) kernel may not "
    "span more than the padded input. The message shows the arithmetic; a smaller kernel, "
    "more padding, or fewer pools before this layer keep the size positive.",
    "input: [1, 7, 7]\nlayers:\n  - conv: {filters: 8, kernel: 9, stride: 2}\n")
RAGGED_WINDOW = declare(
    "NS402", "ragged-window", "a window does not tile its input: the last rows are skipped",
    "When (n + 2p - f) is not a multiple of the stride, the output is floored and the last "
    "rows or columns of the input are never visited (seed 001: 7, 3, 3 gives 2.33). "
    "Frameworks do this silently; the hint gives a padding that tiles. A warning, an error "
    "under --strict.",
    "input: [1, 7, 7]\nlayers:\n  - conv: {filters: 1, kernel: 3, stride: 3}\n", warning=True)
BAD_PADDING = declare(
    "NS409", "bad-padding", "a padding the kind cannot take",
    "A per-side padding is a pair [before, after]; average pooling pads both sides alike; "
    "PyTorch's pools pad at most half the pool size on a side.",
    "input: [1, 28, 28]\nlayers:\n  - maxpool: {kernel: 2, padding: 2}\n")

PadPair = list[NonNeg]
Padding = Literal["same", "valid"] | NonNeg | list[NonNeg | PadPair]


def resolve_padding(padding: Padding, sizes: Shape, kernels: tuple[int, ...],
                    strides: tuple[int, ...], dilations: tuple[int, ...]) -> list[tuple[int, int]]:
    """Per-axis (before, after) padding from any of the accepted spellings."""
    rank = len(sizes)
    if padding == "valid":
        return [(0, 0)] * rank
    if padding == "same":
        return [same_padding(n, k, s, d) for n, k, s, d in zip(sizes, kernels, strides, dilations)]
    if isinstance(padding, int):
        return [(padding, padding)] * rank
    if len(padding) != rank:
        hint = ("for padding on each side of a 1-D input write [[before, after]]"
                if rank == 1 and len(padding) == 2 else
                "give one entry per spatial axis: a number, or [before, after]")
        raise LayerError(f"padding has {len(padding)} entries but the input has {rank} spatial "
                         f"ax{'is' if rank == 1 else 'es'}", key="padding", hint=hint,
                         code=PER_AXIS_COUNT)
    pairs = []
    for p in padding:
        if isinstance(p, int):
            pairs.append((p, p))
        elif len(p) == 2:
            pairs.append((p[0], p[1]))
        else:
            raise LayerError(f"a per-side padding is [before, after], got {p}", key="padding",
                             code=BAD_PADDING)
    return pairs


class PaddingRule(NamedTuple):
    """What padding a kind accepts, so that a hint never suggests one it would refuse."""

    symmetric: bool = False  # both sides alike (PyTorch's AvgPool)
    half_kernel: bool = False  # at most kernel // 2 per side (PyTorch's pools)


ANY_PADDING = PaddingRule()


class Geometry(NamedTuple):
    """A sliding window on one input's spatial sizes, worked out once: the padding per axis,
    the window per axis, and what :func:`slide` and the receptive field read of them."""

    pads: list[tuple[int, int]]  # (before, after) per spatial axis
    windows: tuple[Window, ...]
    out: tuple[int, ...]  # the output size per spatial axis
    empty: int | None  # the first axis whose output would be empty, if any
    ragged: tuple[tuple[Window, tuple[int, ...]], ...]  # windows that do not tile, by axis
    steps: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]  # spans, strides, pads before

    def field(self, before: Field) -> Field:
        """The receptive field after the window, given the one before it."""
        return before.through(*self.steps)


MAX_GEOMETRIES = 4096  # distinct windows kept (a 10,000-layer spec has a few dozen)
_GEOMETRIES: dict[tuple, Geometry] = {}


def geometry(x: Shape, kernel: int | list[int], stride: int | list[int], padding: Padding,
             dilation: int | list[int] = 1, ceil_mode: bool = False) -> Geometry:
    """The window of these settings on input ``x``: a pure function of the settings and the
    spatial sizes, so it is kept by their values (not by the layer object, nor the channels),
    and a conv or pool repeated on maps of one size, in any network checked in this process,
    is worked out once. Raises LayerError for per-axis settings that do not fit ``x``."""
    key: tuple = (x[1:], kernel, stride, padding, dilation, ceil_mode)
    if list in {type(kernel), type(stride), type(padding), type(dilation)}:
        key = (x[1:], *map(_frozen, (kernel, stride, padding, dilation)), ceil_mode)
    found = _GEOMETRIES.get(key)
    if found is None:
        found = _geometry(x, kernel, stride, padding, dilation, ceil_mode)
        if len(_GEOMETRIES) >= MAX_GEOMETRIES:
            _GEOMETRIES.clear()
        _GEOMETRIES[key] = found
    return found


def _frozen(value: object) -> object:
    """A setting as a dictionary key: lists (per-axis values, padding pairs) as tuples."""
    return tuple(map(_frozen, value)) if isinstance(value, list) else value


def _geometry(x: Shape, kernel: int | list[int], stride: int | list[int], padding: Padding,
              dilation: int | list[int], ceil_mode: bool) -> Geometry:
    rank = len(x) - 1
    ks = per_axis(kernel, rank, "kernel")
    ss = per_axis(stride, rank, "stride")
    ds = per_axis(dilation, rank, "dilation")
    pads = resolve_padding(padding, x[1:], ks, ss, ds)
    wins = tuple(Window(n, k, s, lo, hi, d, ceil_mode)
                 for n, k, s, (lo, hi), d in zip(x[1:], ks, ss, pads, ds))
    empty = next((i for i, w in enumerate(wins) if w.out < 1), None)
    ragged: dict[Window, list[int]] = {}
    for i, w in enumerate(wins):
        if w.lost:
            ragged.setdefault(w, []).append(i)
    steps = (tuple(span(k, d) for k, d in zip(ks, ds)), ss, tuple(lo for lo, _ in pads))
    return Geometry(pads, wins, tuple(w.out for w in wins), empty,
                    tuple((w, tuple(axes)) for w, axes in ragged.items()), steps)


def slide(x: Shape, g: Geometry, warn: Warn | None = None,
          rule: PaddingRule = ANY_PADDING) -> tuple[int, ...]:
    """The output sizes of the windows of ``g`` over ``x``, checked: an error on an empty
    output, a warning on a ragged one with a padding that ``rule`` allows and that fits, if
    there is one."""
    wins = g.windows
    if g.empty is not None:
        raise _empty_output(axis_names(len(wins))[g.empty], wins[g.empty], x)
    if warn is not None and g.ragged:
        names = axis_names(len(wins))
        fit = _tiling_padding(wins, rule)
        for w, axes in g.ragged:
            warn(_ragged([names[i] for i in axes], w, fit, axes[0]))
    return g.out


def _tiling_padding(wins: tuple[Window, ...], rule: PaddingRule) -> list[tuple[int, int]] | None:
    """The padding setting, axis by axis, that loses no input on any axis (None: none does)."""
    fit = []
    for w in wins:
        pair = (w.pad_lo, w.pad_hi) if not w.lost else _closest_fit(w, rule)
        if pair is None:
            return None
        fit.append(pair)
    return fit


def _closest_fit(w: Window, rule: PaddingRule) -> tuple[int, int] | None:
    """The allowed (before, after) padding that leaves no input of the ragged window ``w``
    unvisited: even if one is, else the nearest to ``w``'s own (fewest steps in all), the
    smallest first. More than a stride beyond the current padding never helps, and pools stop
    at half the kernel.

    The padding lies anywhere in [0, top]^2, and sizes, kernels and strides may be in the
    thousands, so the fit is not searched for: a few candidates are worked out that hold the
    nearest one (see :func:`_even_candidates` and :func:`_uneven_candidates`), and each is
    checked by the window's own arithmetic. ``w`` is ragged, so ceil_mode is off and the stride
    is at most the span: then padding (lo, hi) tiles when ``room = n + lo + hi - span`` is at
    least 0 and ``room mod stride`` is at most ``hi`` (what is left over lies in the padding).
    """
    top = w.kernel // 2 if rule.half_kernel else max(w.pad_lo, w.pad_hi) + w.stride
    fits = [(p, p) for p in _even_candidates(w) if _fits(w, p, p, top)]
    if not fits and not rule.symmetric:
        fits = [(lo, hi) for lo, hi in _uneven_candidates(w, top) if _fits(w, lo, hi, top)]
    return min(fits, default=None, key=lambda p: (
        p[0] != p[1], abs(p[0] - w.pad_lo) + abs(p[1] - w.pad_hi), p))


def _fits(w: Window, lo: int, hi: int, top: int) -> bool:
    return 0 <= lo <= top and 0 <= hi <= top and _tiles(w._replace(pad_lo=lo, pad_hi=hi))


def _even_candidates(w: Window) -> list[int]:
    """Paddings p on both sides among which is the nearest that tiles: the least one from the
    smaller of ``w``'s two paddings up, and the greatest one below it.

    With ``r(p) = (n + 2p - span) mod s``, p tiles when r(p) <= p. Going up from a p that does
    not, r grows by 2 a step and p by 1, so nothing tiles until r wraps past the stride, to 0
    or 1: that p does. Going down, r falls by 2 a step and meets p at 2p - r(p), unless it
    wraps first; it can only wrap when p < r(p) / 2, which leaves nothing below but p = 0."""
    low = max(0, -(-(w.span - w.size) // 2))  # the least padding that keeps the output
    start = max(min(w.pad_lo, w.pad_hi), low)
    r = (w.size + 2 * start - w.span) % w.stride
    up = start if r <= start else start + -(-(w.stride - r) // 2)
    x = start - 1
    if x < low:
        return [up]
    r = (w.size + 2 * x - w.span) % w.stride
    down = x if r <= x else 2 * x - r if 2 * x - r >= x - r // 2 else 0
    return [up, down]


def _uneven_candidates(w: Window, top: int) -> list[tuple[int, int]]:
    """Paddings (lo, hi) among which is the nearest that tiles, when none on both sides alike
    does.

    The paddings that tile with ``room // s == j`` form a polygon: lo <= span - n + j*s and
    j*s <= n + lo + hi - span < (j+1)*s, inside [0, top]^2. Its lines run along the axes and
    the diagonal lo + hi, so the nearest point in steps (and the smallest of those) is a corner
    of the polygon, or where one of its edges crosses lo = w.pad_lo or hi = w.pad_hi. And it is
    in one of the bands j next to w's own: a point further away moves a whole stride nearer,
    still tiling, in the band before it."""
    c, s = w.span - w.size, w.stride
    j0 = (w.pad_lo + w.pad_hi - c) // s
    found = []
    for j in (j0 - 1, j0, j0 + 1):
        if j < 0:
            continue
        los, his = {0, top, c + j * s, w.pad_lo}, {0, top, w.pad_hi}
        sums = {c + j * s, c + (j + 1) * s - 1}
        found += [(lo, hi) for lo in los for hi in his]
        found += [(lo, t - lo) for lo in los for t in sums]
        found += [(t - hi, hi) for hi in his for t in sums]
    return found


def _tiles(w: Window) -> bool:
    return w.out >= 1 and not w.lost


def _spec_padding(pairs: list[tuple[int, int]]) -> str:
    """Padding as a spec writes it: ``1``, ``[1, 0]`` (per axis) or ``[[0, 1], 0]`` (per side)."""
    if len(set(pairs)) == 1 and pairs[0][0] == pairs[0][1]:
        return str(pairs[0][0])
    return "[" + ", ".join(str(lo) if lo == hi else f"[{lo}, {hi}]" for lo, hi in pairs) + "]"


def _setting(w: Window) -> str:
    pad = w.pad_lo if w.pad_lo == w.pad_hi else [w.pad_lo, w.pad_hi]
    return f"kernel {w.kernel}, stride {w.stride}, padding {pad}, dilation {w.dilation}"


def _empty_output(axis: str, w: Window, x: Shape) -> LayerError:
    need = -(-(w.span - w.size) // 2)
    room = w.padded - w.span  # negative: the formula's own value, not the 0 it is clamped to
    raw = (-(-room // w.stride) if w.ceil_mode else room // w.stride) + 1
    return LayerError(
        f"output {axis} is {w.formula().rpartition(' = ')[0]} = {raw}, but every size must be "
        "at least 1",
        details=[f"input {fmt_shape(x)}; {_setting(w)}",
                 f"the kernel spans {w.span} but the padded {axis} is only {w.padded}"],
        hint=f"a kernel of at most {w.padded}, or padding of at least {need} on each side, "
             f"keeps the {axis} positive",
        key="kernel", code=EMPTY_OUTPUT)


_UNITS = {"height": "row", "width": "column", "length": "position", "depth": "slice"}


def _ragged(axes: list[str], w: Window, fit: list[tuple[int, int]] | None,
            axis: int) -> LayerError:
    """The warning for the ``axes`` that ``w`` leaves ragged (``axis`` is the first of them),
    with the whole padding setting that would fit as its hint (none when no padding fits)."""
    units = " and ".join(_UNITS.get(a, "position") + ("" if w.lost == 1 else "s") for a in axes)
    verb = "is" if w.lost == 1 and len(axes) == 1 else "are"
    hint = None
    if fit is not None:
        formula = w._replace(pad_lo=fit[axis][0], pad_hi=fit[axis][1]).formula()
        hint = f"padding {_spec_padding(fit)} would fit: {formula}"
    return LayerError(
        f"the window does not tile the input's {' and '.join(axes)}: ({w.size} + "
        f"{w.pad_lo + w.pad_hi} - {w.span}) / {w.stride} + 1 = {w.exact()}, floored to {w.out}; "
        f"the last {w.lost} {units} of the input {verb} never visited",
        details=[_setting(w)], hint=hint, key="stride", code=RAGGED_WINDOW)


def window_lines(wins: tuple[Window, ...]) -> tuple[str, ...]:
    """The output size per spatial axis with the numbers filled in (axes that slide alike share
    a line), and what a window that does not tile leaves over: ``netspec explain``'s working."""
    lines = []
    for w, axes in _alike(wins):
        lines.append(f"{' and '.join(axes)}: {w.formula()}")
        lines += _remainder(w, axes)
    return tuple(lines)


def window_field_lines(before: Field, after: Field, wins: tuple[Window, ...]) -> tuple[str, ...]:
    """The receptive field's recurrence per axis: ``r = r_in + (span - 1) * jump_in``."""
    steps = [f"{r} + ({w.span} - 1)*{j} = {r2}, jump {j}*{w.stride} = {j2}"
             for r, j, w, r2, j2 in zip(before.size, before.jump, wins, after.size, after.jump)]
    return tuple(f"{' and '.join(axes)}: {step}" for step, axes in _alike(steps))


def _alike(values: tuple | list) -> list[tuple]:
    """Values per spatial axis, with the axes (by name) each occurs on, in order."""
    axes: dict = {}
    for name, value in zip(axis_names(len(values)), values):
        axes.setdefault(value, []).append(name)
    return list(axes.items())


def _remainder(w: Window, axes: list[str]) -> list[str]:
    """What the floor of the output formula drops, said with the numbers."""
    if w.ceil_mode or w.padded < w.span:
        return []
    if w.stride > w.span:
        gap = w.stride - w.span
        return [f"  the stride {w.stride} is longer than the kernel's span {w.span}: {gap} "
                f"{_units(axes, gap)} of every {w.stride} fall between windows, never read"]
    if not w.leftover:
        return []
    room = f"({w.size} + {w.pad_lo + w.pad_hi} - {w.span})"
    head = (f"  {room} / {w.stride} + 1 = {w.exact()}, not whole: remainder {room} mod "
            f"{w.stride} = {w.leftover}, ")
    if w.lost:
        return [head + f"so the last {w.lost} {_units(axes, w.lost)} of the input "
                f"{'is' if w.lost == 1 and len(axes) == 1 else 'are'} never visited"]
    return [head + "all of it padding: every input position is read"]


def _units(axes: list[str], n: int) -> str:
    return " and ".join(_UNITS.get(a, "position") + ("" if n == 1 else "s") for a in axes)
