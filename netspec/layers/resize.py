"""Layers that change the spatial size without learning: upsampling by interpolation, a centre
crop to another input's size (U-Net's skip connections) and zero padding. No parameters.

Also the receptive field of a layer that enlarges its input (upsample, conv_transpose): its
outputs may step through the network's input by a fraction of a position
(:func:`resampled_field`).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Annotated, Literal, cast

from ..core.codes import declare
from ..core.errors import LayerError
from ..core.model import MAX_INT, Constrain, NonNeg, Ref, Size, setting
from ..core.shapes import Field, Shape, axis_names, fmt_shape, shape_text
from .base import (
    WRONG_INPUT_COUNT,
    Layer,
    SavedTensor,
    TorchCall,
    TorchPlan,
    Warn,
    Working,
    fmt_padding,
    one_input,
    per_axis,
    spatial,
)
from .conv import pad_call
from .registry import register
from .window import PadPair, resolve_padding

CONFLICTING_SETTINGS = declare(
    "NS207", "conflicting-settings", "two settings of a layer that exclude each other",
    "An upsample is given either a `scale` or a `size`, not both; `align_corners` is for the "
    "interpolating modes (linear, bilinear, trilinear), not `nearest`.",
    "input: [1, 8, 8]\nlayers:\n  - upsample: {scale: 2, size: [16, 16]}\n")
RESIZED_EMPTY = declare(
    "NS415", "resized-empty", "an upsample or transposed conv gives an output size below 1",
    "A transposed conv's output is (n-1)*s - 2p + d*(f-1) + output_padding + 1 per axis: "
    "padding takes rows off both ends, and too much leaves none. An upsample's is "
    "floor(n * scale), below 1 for a scale under 1/n.",
    "input: [1, 2, 2]\nlayers:\n  - conv_transpose: {filters: 1, kernel: 1, padding: 1}\n")
INTERPOLATION_RANK = declare(
    "NS416", "interpolation-rank", "an interpolation mode that does not fit the input's rank",
    "PyTorch's `linear` interpolates 1-D inputs (C, L), `bilinear` 2-D maps (C, H, W) and "
    "`trilinear` volumes (C, D, H, W); `nearest` fits any.",
    "input: [1, 8, 8]\nlayers:\n  - upsample: {scale: 2, mode: trilinear}\n")
CROP_MISMATCH = declare(
    "NS417", "crop-mismatch", "a crop's first input does not hold the size it is cropped to",
    "`crop: [a, b]` cuts the centre of `a` to the spatial size of `b`, as U-Net crops an "
    "encoder's map to the decoder's: `a` has the axes of `b`, each at least as large.",
    "input: [1, 8, 8]\nlayers:\n  - maxpool: {kernel: 2, name: small}\n"
    "  - crop: [small, input]\n")

MAX_SCALE = 1024  # an upsample's factor per axis
SIZE_TOO_LARGE = declare(
    "NS418", "size-too-large", "an upsample or transposed conv gives an output size over "
    "2,147,483,647",
    "Sizes are bounded as settings are, by what a framework's int32 shape holds: a chain of "
    "upsamples multiplies them, and without a bound a hostile spec would have the checker "
    "compute with sizes of thousands of digits.",
    "input: [1, 4194304, 4]\nlayers:\n  - upsample: 1024\n")

Scale = Annotated[float, Constrain(gt=0, le=MAX_SCALE)]
INTERPOLATION_RANKS = {"linear": 1, "bilinear": 2, "trilinear": 3}


def bounded(axis: str, formula: str, size: int, key: str) -> int:
    """An enlarging layer's output size, refused past MAX_INT (so sizes never grow without end
    through a chain of them)."""
    if size > MAX_INT:
        raise LayerError(f"output {axis} is {formula} = {size:,}, over the largest size, "
                         f"{MAX_INT:,}", key=key, code=SIZE_TOO_LARGE)
    return size


def resampled_field(field: Field, reads: Sequence[tuple[Fraction, Fraction, Fraction]]) -> Field:
    """The field after a layer whose output position ``o`` reads, on each axis, input positions
    from ``a + o*q`` to ``b + o*q`` (``reads`` gives ``(a, b, q)`` per axis): the jump becomes
    ``jump * q`` (a fraction when the layer enlarges by more than the jump: half a position
    after a 2x upsample of the input), the start moves by ``a * jump`` and the size grows by
    ``(b - a) * jump``. A whole number of positions when the factors divide the jump, as in an
    encoder-decoder whose upsampling undoes its pooling."""
    size = tuple(r + (b - a) * j for r, j, (a, b, _) in zip(field.size, field.jump, reads))
    jump = tuple(j * q for j, (_, _, q) in zip(field.jump, reads))
    start = tuple(s + a * j for s, j, (a, _, _) in zip(field.start, field.jump, reads))
    return Field(*(cast(tuple[int, ...], t) for t in (size, jump, start)))  # Fractions


@register
class Upsample(Layer):
    """Enlarge the spatial axes by interpolation: each axis ``floor(n * scale)``, or to
    ``size``. No parameters. ``nearest`` repeats values; ``linear``, ``bilinear`` and
    ``trilinear`` (1-D, 2-D, 3-D) interpolate, as PyTorch's Upsample."""

    kind = "upsample"
    shorthand = "scale"
    example = "- upsample: {scale: 2, mode: bilinear}"

    scale: Scale | list[Scale] | None = setting(
        default=None, doc="factor per axis: one number or one per axis (2 unless size is given)")
    size: Size | list[Size] | None = setting(
        default=None, doc="the output's spatial size instead: one number or one per axis")
    mode: Literal["nearest", "linear", "bilinear", "trilinear"] = setting(
        default="nearest", doc="nearest, or linear / bilinear / trilinear for 1-D / 2-D / 3-D")
    align_corners: bool | None = setting(
        default=None, doc="interpolating modes: align the corner pixels (PyTorch's; false)")

    def _scales(self, rank: int) -> tuple[float, ...]:
        return tuple(float(s) for s in per_axis(2 if self.scale is None else self.scale, rank,
                                                "scale"))

    def _sizes(self, x: Shape) -> tuple[int, ...]:
        rank = len(x) - 1
        if self.size is not None:
            return per_axis(self.size, rank, "size")
        return tuple(math.floor(n * s) for n, s in zip(x[1:], self._scales(rank)))

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        x = one_input(inputs, self.kind)
        rank = spatial(x, self.kind, hint="upsample enlarges maps (C, L), (C, H, W) or "
                                          "(C, D, H, W), before any flatten")
        if self.scale is not None and self.size is not None:
            raise LayerError("upsample takes a scale or a size, not both", key="size",
                             hint="keep one of the two", code=CONFLICTING_SETTINGS)
        if self.mode == "nearest" and self.align_corners is not None:
            raise LayerError("align_corners is for the interpolating modes, not nearest",
                             key="align_corners", hint="remove it, or choose "
                             f"mode: {_linear_mode(rank)}", code=CONFLICTING_SETTINGS)
        want = INTERPOLATION_RANKS.get(self.mode)
        if want is not None and want != rank:
            raise LayerError(f"{self.mode} interpolates {_RANK_WORDS[want]}, but the input is "
                             f"{fmt_shape(x)}", key="mode",
                             hint=f"use mode: {_linear_mode(rank)}, or nearest",
                             code=INTERPOLATION_RANK)
        sizes = self._sizes(x)
        if self.size is None:
            for name, n, s, out in zip(axis_names(rank), x[1:], self._scales(rank), sizes):
                if out < 1:
                    raise LayerError(f"output {name} is floor({n} * {s:g}) = {out}, but every "
                                     "size must be at least 1", key="scale",
                                     hint=f"a scale of at least {1 / n:g}", code=RESIZED_EMPTY)
                bounded(name, f"floor({n} * {s:g})", out, "scale")
        return (x[0], *sizes)

    def field(self, inputs: Sequence[Shape], fields: Sequence[Field]) -> Field:
        x = inputs[0]
        out = self._sizes(x)
        rank = len(x) - 1
        steps = ([Fraction(n, m) for n, m in zip(x[1:], out)] if self.size is not None
                 else [1 / Fraction(s) for s in self._scales(rank)])  # PyTorch's own step
        reads = []
        for n, m, q in zip(x[1:], out, steps):
            if self.mode == "nearest":  # floor(o*q): exactly o*q - (s-1)/s for a whole scale s
                a = q - 1 if (1 / q).denominator == 1 else Fraction(-1)
                reads.append((a, Fraction(0), q))
            elif self.align_corners:  # o*(n-1)/(m-1) and the position after it
                reads.append((Fraction(-1), Fraction(1), Fraction(n - 1, max(m - 1, 1))))
            else:  # (o + 1/2)*q - 1/2 and the position after it
                reads.append((q / 2 - Fraction(3, 2), q / 2 + Fraction(1, 2), q))
        return resampled_field(fields[0], reads)

    def working(self, inputs: Sequence[Shape], out: Shape,
                fields: Sequence[Field] | None = None) -> Working:
        x = inputs[0]
        rank = len(x) - 1
        lines = ([f"{name}: size = {m}" for name, m in zip(axis_names(rank), out[1:])]
                 if self.size is not None else
                 [f"{name}: floor({n} * {s:g}) = {m}" for name, n, s, m in
                  zip(axis_names(rank), x[1:], self._scales(rank), out[1:])])
        return super().working(inputs, out, fields)._replace(
            shape=(f"channels: {x[0]}, kept",) + tuple(lines))

    def label(self, inputs: Sequence[Shape]) -> str:
        how = ("x" + "x".join(f"{s:g}" for s in dict.fromkeys(self._scales(len(inputs[0]) - 1)))
               if self.size is None else "to " + shape_text(self._sizes(inputs[0])))
        return f"upsample {how} {self.mode}"

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        rank = len(inputs[0]) - 1
        kw: dict = ({"size": out[1:]} if self.size is not None
                    else {"scale_factor": self._scales(rank)})
        kw["mode"] = self.mode
        if self.mode != "nearest":
            kw["align_corners"] = bool(self.align_corners)
        return TorchPlan(TorchCall("Upsample", (), kw))

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        return ()  # every mode's backward needs only the sizes


_RANK_WORDS = {1: "1-D inputs (C, L)", 2: "2-D maps (C, H, W)", 3: "volumes (C, D, H, W)"}


def _linear_mode(rank: int) -> str:
    return {1: "linear", 2: "bilinear", 3: "trilinear"}.get(rank, "nearest")


@register
class Crop(Layer):
    """Cut the first input to the spatial size of the second, keeping its centre: U-Net's
    cropped skip connection (``- crop: [skip, up]``, then ``concat: [crop1, up]``). The
    channels are the first input's; an odd difference loses its extra row at the end."""

    kind = "crop"
    shorthand = "input"
    is_view = True  # a slice of its first input
    example = "- crop: [down4, up1]"

    input: Annotated[list[Ref], Constrain(min_length=2, max_length=2)] | None = setting(
        default=None, doc="the layer to crop, then the layer whose spatial size it takes")

    def _box(self, inputs: Sequence[Shape]) -> list[tuple[int, int]]:
        """Per spatial axis, the (start, stop) of the kept positions."""
        big, small = inputs
        return [((n - m) // 2, (n - m) // 2 + m) for n, m in zip(big[1:], small[1:])]

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        if len(inputs) != 2:
            raise LayerError(f"crop takes two inputs, got {len(inputs)}", key="input",
                             hint="name them: `- crop: [layer_to_crop, layer_of_the_size]`",
                             code=WRONG_INPUT_COUNT)
        big, small = inputs
        rank = spatial(big, self.kind, hint="crop cuts maps (C, H, W), before any flatten")
        if len(small) != len(big):
            raise LayerError(f"crop needs two inputs with the same axes, got {fmt_shape(big)} "
                             f"and {fmt_shape(small)}", key="input", code=CROP_MISMATCH)
        for name, n, m in zip(axis_names(rank), big[1:], small[1:]):
            if n < m:
                raise LayerError(f"crop cannot enlarge: the first input's {name} is {n}, the "
                                 f"size to crop it to is {m}", key="input",
                                 hint="the first input is the larger one (the encoder's map)",
                                 code=CROP_MISMATCH)
        return (big[0], *small[1:])

    def field(self, inputs: Sequence[Shape], fields: Sequence[Field]) -> Field:
        f = fields[0]
        starts = [lo for lo, _ in self._box(inputs)]
        return Field(f.size, f.jump, tuple(s + lo * j for s, lo, j in zip(f.start, starts, f.jump)))

    def working(self, inputs: Sequence[Shape], out: Shape,
                fields: Sequence[Field] | None = None) -> Working:
        big, small = inputs
        lines = tuple(f"{name}: {n} - {lo} before - {n - hi} after = {m} (({n} - {m}) // 2 "
                      "before, the rest after)" for name, n, m, (lo, hi) in
                      zip(axis_names(len(big) - 1), big[1:], small[1:], self._box(inputs)))
        return super().working(inputs, out, fields)._replace(
            shape=(f"channels: {big[0]}, the first input's",) + lines)

    def label(self, inputs: Sequence[Shape]) -> str:
        return f"crop {shape_text(inputs[1][1:])}"

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        box = tuple(self._box(inputs))
        return TorchPlan(TorchCall("Crop", (box,), own=True))  # reads the first input

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        return ()  # a slice of its first input


ExplicitPadding = NonNeg | list[NonNeg | PadPair]


@register
class ZeroPad(Layer):
    """Pad the spatial axes with zeros, as Keras' ZeroPadding2D: the same on every side, one
    number per axis, or ``[before, after]`` pairs per axis. No parameters."""

    kind = "zero_pad"
    shorthand = "padding"
    example = "- zero_pad: [[0, 1], [0, 1]]"

    padding: ExplicitPadding = setting(
        default=1, doc="n, one per axis, or [before, after] pairs, one pair per axis")

    def _pads(self, x: Shape) -> list[tuple[int, int]]:
        rank = len(x) - 1
        return resolve_padding(self.padding, x[1:], (1,) * rank, (1,) * rank, (1,) * rank)

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        x = one_input(inputs, self.kind)
        spatial(x, self.kind, hint="zero_pad pads maps (C, H, W), before any flatten")
        return (x[0], *(n + lo + hi for n, (lo, hi) in zip(x[1:], self._pads(x))))

    def field(self, inputs: Sequence[Shape], fields: Sequence[Field]) -> Field:
        rank = len(inputs[0]) - 1
        return fields[0].through((1,) * rank, (1,) * rank, [lo for lo, _ in self._pads(inputs[0])])

    def working(self, inputs: Sequence[Shape], out: Shape,
                fields: Sequence[Field] | None = None) -> Working:
        x = inputs[0]
        lines = tuple(f"{name}: {n} + {lo} + {hi} = {m}" for name, n, (lo, hi), m in
                      zip(axis_names(len(x) - 1), x[1:], self._pads(x), out[1:]))
        return super().working(inputs, out, fields)._replace(
            shape=(f"channels: {x[0]}, kept",) + lines)

    def label(self, inputs: Sequence[Shape]) -> str:
        return f"zero_pad {fmt_padding(self.padding)}"

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        return TorchPlan(pad_call(self._pads(inputs[0])))

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        return ()  # its backward cuts the padding off the gradient
