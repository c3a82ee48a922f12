"""Calculators for the notes' exercises (``netspec solve``): each answers one question from the
quantities given and writes out the arithmetic, as the notes do.

The window arithmetic is :mod:`netspec.core.shapes`' (``Window``, ``same_padding``, ``Field``)
and the parameter counts are the kinds' own (``conv``, ``dense``); what is solved for (a
padding, a stride, a kernel) comes from the output formula ``floor((n + 2p - f)/s) + 1``
turned around into bounds, in closed form, so no question searches. When no whole number
answers, the solution says so and gives the nearest ones.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from ..analysis.memory import DTYPES
from ..core.errors import LayerError, UsageError
from ..core.model import MAX_INT
from ..core.shapes import Field, Window, same_padding, span
from ..layers.base import Counts, Layer
from ..layers.conv import Conv
from ..layers.dense import Dense
from ..reports.summary import human


class Solution(NamedTuple):
    """The working, line by line, and the answer (``value`` None when there is none)."""

    lines: tuple[str, ...]
    answer: str
    value: int | tuple[int, ...] | None

    def text(self) -> str:
        return "\n".join(self.lines + (f"answer: {self.answer}",)) + "\n"


def output(n: int, f: int, s: int = 1, p: tuple[int, int] = (0, 0), d: int = 1) -> Solution:
    """The output size of a window: ``floor((n + 2p - f)/s) + 1``, and what it leaves over."""
    w = Window(n, f, s, p[0], p[1], d)
    if w.out < 1:
        return Solution((w.formula(),), f"none: the kernel spans {w.span} but the padded input "
                        f"is only {w.padded}", None)
    return Solution((w.formula(),) + _leftover(w), str(w.out), w.out)


def _leftover(w: Window) -> tuple[str, ...]:
    """What the floor drops (seed 001: 2.33 -> 2 leaves a row unvisited), or that it tiles."""
    room = f"({w.size} + {w.pad_lo + w.pad_hi} - {w.span})"
    if w.stride > w.span:
        return (f"the stride {w.stride} is longer than the kernel's span {w.span}: "
                f"{w.stride - w.span} of every {w.stride} positions fall between windows, "
                f"so {w.size - (w.visited or 0)} of the {w.size} input positions are never read",)
    if not w.leftover:
        return (f"{room} / {w.stride} is whole: the windows tile the input exactly",)
    lost = (f"the last {w.lost} input position{'s are' if w.lost > 1 else ' is'} never visited"
            if w.lost else "only padding is left over")
    return (f"{room} / {w.stride} + 1 = {w.exact()} does not fit: frameworks floor it to "
            f"{w.out}, and {lost}",)


def padding(n: int, f: int, s: int, want: int, d: int = 1) -> Solution:
    """The padding per side that gives ``want`` outputs (seed 001: 7, 3, stride 3, want 3: 1).

    ``floor((n + 2p - k)/s) + 1 = want`` holds exactly when
    ``(want - 1)*s <= n + 2p - k <= want*s - 1``: bounds on 2p."""
    k = span(f, d)
    lo, hi = (want - 1) * s - n + k, want * s - 1 - n + k  # bounds on the total padding 2p
    lines = [f"floor(({n} + 2p - {_f(f, d)}) / {s}) + 1 = {want} needs "
             f"{(want - 1) * s} <= {n} + 2p - {k} <= {want * s - 1}, so {lo} <= 2p <= {hi}"]
    first, last = max(0, -(-lo // 2)), hi // 2
    if first <= last:
        w = Window(n, f, s, first, first, d)  # the only padding that can tile: 2p = lo
        lines += [f"padding {first}: {w.formula()}"] + list(_leftover(w))
        if last > first:
            lines.append(f"(any padding from {first} to {last} gives {want}; more than {first} "
                         "leaves padding over)")
        return Solution(tuple(lines), f"padding {first}", first)
    total = max(lo, 0)
    if total <= hi:  # an odd total: one more pixel on one side
        pair = (total // 2, total - total // 2)
        lines.append(f"no padding alike on both sides gives {want}; {total} in all does, "
                     f"{list(pair)} (before, after): "
                     f"{Window(n, f, s, pair[0], pair[1], d).formula()}")
        return Solution(tuple(lines), f"padding {list(pair)} (before, after)", pair)
    near = sorted({max(0, last), max(0, first)})
    lines.append(f"no padding gives {want}" + (
        ": even with none the output is larger" if hi < 0 else "") + "; the nearest:")
    lines += [f"  padding {p}: {Window(n, f, s, p, p, d).formula()}" for p in near]
    return Solution(tuple(lines), f"none; nearest: padding {' or '.join(map(str, near))}", None)


def stride(n: int, f: int, want: int, p: tuple[int, int] = (0, 0), d: int = 1) -> Solution:
    """The stride that gives ``want`` outputs: ``want - 1 <= m/s < want`` with m = n + 2p - k,
    so s lies in (m/want, m/(want - 1)]; the one that tiles is m/(want - 1) when whole."""
    k, pad = span(f, d), p[0] + p[1]
    m = n + pad - k
    lines = [f"floor(({n} + {pad} - {_f(f, d)}) / s) + 1 = {want}"]
    if m < 0:
        lines.append(f"no stride: the kernel spans {k} but the padded input is only {n + pad}")
        return Solution(tuple(lines), "none", None)
    if want == 1:
        lines.append(f"one window: any stride above {m} ({n} + {pad} - {k})")
        return Solution(tuple(lines), f"stride {m + 1} or more", m + 1)
    first, last = m // want + 1, m // (want - 1)
    lines[0] += f" needs {want - 1} <= {m} / s < {want}"
    if first <= last:
        lines[0] += f", so s from {first} to {last}"
        best = last if m % (want - 1) == 0 else first
        lines.append(f"stride {best}: {Window(n, f, best, p[0], p[1], d).formula()}"
                     + (" (tiles exactly)" if m % best == 0 else ""))
        return Solution(tuple(lines), f"stride {best}", best)
    near = [q for q in (m // want, m // want + 1) if q >= 1]
    lines.append(f"no whole stride gives {want}; the nearest:")
    lines += [f"  stride {q}: {Window(n, f, q, p[0], p[1], d).formula()}" for q in near]
    return Solution(tuple(lines), f"none; nearest: stride {' or '.join(map(str, near))}", None)


def kernel(n: int, want: int, s: int = 1, p: tuple[int, int] = (0, 0), d: int = 1) -> Solution:
    """The kernel size that gives ``want`` outputs: its span k has
    ``n + 2p - want*s < k <= n + 2p - (want - 1)*s``; the largest tiles."""
    padded = n + p[0] + p[1]
    lo, hi = max(1, padded - want * s + 1), padded - (want - 1) * s
    lines = [f"floor(({padded} - k) / {s}) + 1 = {want} needs {lo} <= k <= {hi}"
             + (f", k = {d}(f - 1) + 1 the dilated span" if d > 1 else "")]
    top = hi - (hi - 1) % d  # the largest span a dilation-d kernel can have in range
    if top >= lo:
        f = (top - 1) // d + 1
        w = Window(n, f, s, p[0], p[1], d)
        lines.append(f"kernel {f}: {w.formula()}" + ("" if w.leftover else " (tiles exactly)"))
        if top - d >= lo:
            lines.append(f"(kernels from {(lo + d - 2) // d + 1} to {f} all give {want})")
        return Solution(tuple(lines), f"kernel {f}", f)
    lines.append(f"no kernel gives {want}" + (": the input is too small" if hi < 1 else ""))
    near = [f for f in sorted({max(1, (top - 1) // d + 1), max(1, (top - 1) // d + 2)})
            if Window(n, f, s, p[0], p[1], d).out >= 1]
    lines += [f"  kernel {f}: {Window(n, f, s, p[0], p[1], d).formula()}" for f in near]
    return Solution(tuple(lines), "none" + (f"; nearest: kernel {' or '.join(map(str, near))}"
                                            if near else ""), None)


def same(n: int, f: int, s: int = 1, d: int = 1) -> Solution:
    """'same' padding per side (TensorFlow's rule): the output is ceil(n/s), and the odd pixel
    of padding goes after."""
    out = math.ceil(n / s)
    before, after = same_padding(n, f, s, d)
    total = before + after
    lines = (f"output ceil({n} / {s}) = {out}",
             f"total padding max(({out} - 1)*{s} + {_f(f, d)} - {n}, 0) = {total}",
             f"before {total} // 2 = {before}, after {total} - {before} = {after}",
             Window(n, f, s, before, after, d).formula())
    answer = str(before) if before == after else f"[{before}, {after}] (before, after)"
    return Solution(lines, f"padding {answer}", (before, after))


def field(windows: Sequence[tuple[int, int, int]], channels: int = 1, dims: int = 2) -> Solution:
    """The receptive field of stacked windows (kernel, stride, dilation), and (seed 000) the
    parameters of the stack against one conv that sees as much, on ``channels`` channels."""
    f = Field.of_input(1)
    lines = []
    for i, (k, s, d) in enumerate(windows, 1):
        g = f.through((span(k, d),), (s,), (0,))
        lines.append(f"layer {i} ({_sq(k, dims)}, stride {s}{f', dilation {d}' if d > 1 else ''})"
                     f": r = {f.size[0]} + ({span(k, d)} - 1)*{f.jump[0]} = {g.size[0]}, "
                     f"jump {f.jump[0]}*{s} = {g.jump[0]}")
        f = g
    r, jump = f.size[0], f.jump[0]
    stack = [_conv(k, channels, channels, dims) for k, _, _ in windows]
    if r > MAX_INT:  # past what a framework's shapes hold: no conv to compare with
        return Solution(tuple(lines), f"receptive field {_sq(r, dims)}", r)
    one = _conv(r, channels, channels, dims, jump)
    alike = len({k for k, _, _ in windows}) == 1 and len(windows) > 1
    count = (f"{len(windows)} * {stack[0][0]}" if alike else
             " + ".join(text for text, _ in stack))
    lines += [f"{len(windows)} layer{'s' if len(windows) > 1 else ''} on {channels} channel"
              f"{'s' if channels > 1 else ''}: {count} = {sum(c.params for _, c in stack):,} "
              "parameters",
              f"one {_sq(r, dims)} conv{f' with stride {jump}' if jump > 1 else ''} sees as "
              f"much: {one[0]} = {one[1].params:,} parameters"]
    return Solution(tuple(lines), f"receptive field {_sq(r, dims)}", r)


def conv_params(f: int, channels: int, filters: int, groups: int = 1, bias: bool = True,
                dims: int = 2) -> Solution:
    """A conv layer's parameters, as the conv kind counts them: ``(f*f*c + 1) * filters``."""
    text, c = _conv(f, channels, filters, dims, 1, groups, bias)
    each = c.weights // filters
    one = f"each filter: {each:,} weights" + (f" + 1 bias = {each + 1:,}" if bias else "")
    return Solution((one + " parameters", f"{text} = {c.params:,}"), f"{c.params:,} parameters",
                    c.params)


def _conv(f: int, c: int, filters: int, dims: int, stride: int = 1, groups: int = 1,
          bias: bool = True) -> tuple[str, Counts]:
    """The conv kind's own working and counts for this layer, on an input just the kernel's
    size (the counts do not depend on it)."""
    layer = Conv(filters=filters, kernel=f, stride=stride, groups=groups, bias=bias)
    x = (c, *(f,) * dims)
    out = _infer(layer, x)
    (line,) = layer.working([x], out).params
    return line.split(" = ")[0], layer.counts([x], out)


def dense_params(inputs: int, units: int, bias: bool = True,
                 dtype: str = "float32") -> Solution:
    """A dense layer's parameters, as the dense kind counts them: ``(n_in + 1) * n_out``, and
    what they weigh (seed 000: 1.6e9 of them are 6.4 GB in float32)."""
    layer, x = Dense(units=units, bias=bias), (inputs,)
    out = _infer(layer, x)
    (line,) = layer.working([x], out).params
    total = layer.counts([x], out).params
    size = total * DTYPES[dtype]
    return Solution((line, f"in {dtype}: {total:,} * {DTYPES[dtype]} bytes = {size:,} bytes = "
                     f"{_decimal(size)} ({human(size)})"), f"{total:,} parameters", total)


def _infer(layer: Layer, x: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return tuple(layer.infer([x], lambda _: None))
    except LayerError as e:
        raise UsageError(e.message + (f" ({e.hint})" if e.hint else "")) from None


def _decimal(size: int) -> str:
    """Bytes in decimal units, as the notes write them (6.4 GB)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000:
            return f"{value:.3g} {unit}"
        value /= 1000
    return f"{value:.3g} PB"


def _f(f: int, d: int) -> str:
    return str(f) if d == 1 else f"({d}*({f}-1)+1)"


def _sq(k: int, dims: int) -> str:
    return "x".join([str(k)] * dims)
