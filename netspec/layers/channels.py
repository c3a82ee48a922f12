"""Layers that rearrange channels: a split into parts read by index, and ShuffleNet's channel
shuffle. No parameters; the parts of a split are views of its input."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from ..core.codes import declare
from ..core.errors import LayerError
from ..core.model import Constrain, setting
from ..core.shapes import Field, Shape, fmt_shape
from .base import Layer, SavedTensor, Size, TorchCall, TorchPlan, Warn, Working, one_input, spatial
from .registry import register

MAX_PARTS = 1024  # each part is a name the builder resolves: bounded like repeats
SPLIT_SIZES = declare(
    "NS412", "split-sizes", "a split's parts do not add up to its input's channels",
    "`split: n` cuts the channels into n equal parts, so n divides them; `split: [a, b, ...]` "
    "cuts parts of the sizes given, which add up to the channels.",
    "input: [6, 8, 8]\nlayers:\n  - split: {parts: 4, name: s}\n  - relu: {input: s.0}\n")
SHUFFLE_GROUPS = declare(
    "NS413", "shuffle-groups", "a channel shuffle's groups do not divide the channels",
    "A channel shuffle views the C channels as groups x (C / groups) and transposes that, so "
    "the groups divide C (ShuffleNet v2 shuffles in 2 groups after concatenating two halves).",
    "input: [6, 8, 8]\nlayers:\n  - channel_shuffle: 4\n")

Parts = (Annotated[int, Constrain(strict=True, ge=2, le=MAX_PARTS)]
         | Annotated[list[Size], Constrain(min_length=2, max_length=MAX_PARTS)])


@register
class Split(Layer):
    """Cut the channels into parts, each read by its index: ``halves.0``, ``halves.1``
    (ShuffleNet v2's channel split). Equal parts (``parts: 2``) or sizes (``parts: [16, 48]``)."""

    kind = "split"
    shorthand = "parts"
    is_view = True  # its parts are views of its input
    example = "- split: {parts: 2, name: halves}"

    parts: Parts = setting(
        default=2, doc="how many equal parts, or a list of their sizes in channels")

    def part_count(self) -> int:
        return self.parts if isinstance(self.parts, int) else len(self.parts)

    def _sizes(self, channels: int) -> list[int]:
        if isinstance(self.parts, int):
            return [channels // self.parts] * self.parts
        return list(self.parts)

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        x = one_input(inputs, self.kind)
        c = x[0]
        if isinstance(self.parts, int) and c % self.parts:
            raise LayerError(f"{c} channels do not split into {self.parts} equal parts: "
                             f"{c} / {self.parts} = {c / self.parts:.2f}",
                             details=[f"input {fmt_shape(x)}"], key="parts",
                             hint="give the sizes of the parts instead, e.g. `parts: "
                                  f"[{c // self.parts}, {c - c // self.parts}]`" if
                                  self.parts == 2 else "give the sizes of the parts instead",
                             code=SPLIT_SIZES)
        if isinstance(self.parts, list) and sum(self.parts) != c:
            raise LayerError(f"the parts' sizes add up to {' + '.join(map(str, self.parts))} = "
                             f"{sum(self.parts)}, but the input has {c} channels",
                             details=[f"input {fmt_shape(x)}"], key="parts",
                             code=SPLIT_SIZES)
        return x

    def part_shape(self, out: Shape, index: int) -> Shape:
        size = out[0] // self.parts if isinstance(self.parts, int) else self.parts[index]
        return (size, *out[1:])

    def working(self, inputs: Sequence[Shape], out: Shape,
                fields: Sequence[Field] | None = None) -> Working:
        sizes = self._sizes(out[0])
        return super().working(inputs, out, fields)._replace(shape=(
            f"channels: {out[0]} = {' + '.join(map(str, sizes))}, in {len(sizes)} parts read "
            f"as .0 to .{len(sizes) - 1}; each part keeps the spatial size {fmt_shape(out[1:])}"
            if len(out) > 1 else f"features: {out[0]} = {' + '.join(map(str, sizes))}",))

    def label(self, inputs: Sequence[Shape]) -> str:
        return "split " + "+".join(map(str, self._sizes(inputs[0][0])))

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        return TorchPlan(TorchCall("Split", (tuple(self._sizes(out[0])),), own=True))

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        return ()  # views of its input


@register
class ChannelShuffle(Layer):
    """Interleave the channels of ``groups`` groups (ShuffleNet's channel shuffle): channel
    ``g * (C / groups) + i`` moves to ``i * groups + g``."""

    kind = "channel_shuffle"
    shorthand = "groups"
    example = "- channel_shuffle: 2"

    groups: Size = setting(default=2, doc="how many groups the channels are interleaved from")

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        x = one_input(inputs, self.kind)
        spatial(x, self.kind, hint="a channel shuffle acts on (C, H, W) maps: PyTorch's "
                                   "ChannelShuffle refuses flat features")
        if x[0] % self.groups:
            raise LayerError(f"groups={self.groups} does not divide the {x[0]} channels "
                             f"({x[0]} / {self.groups} = {x[0] / self.groups:.2f})",
                             details=[f"input {fmt_shape(x)}"], key="groups",
                             code=SHUFFLE_GROUPS)
        return x

    def working(self, inputs: Sequence[Shape], out: Shape,
                fields: Sequence[Field] | None = None) -> Working:
        c = out[0]
        return super().working(inputs, out, fields)._replace(shape=(
            f"{fmt_shape(out)}, its channels viewed as {self.groups} groups x {c // self.groups} "
            "and transposed: channel g*" f"{c // self.groups} + i moves to i*{self.groups} + g",))

    def label(self, inputs: Sequence[Shape]) -> str:
        return f"shuffle {self.groups}"

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        return TorchPlan(TorchCall("ChannelShuffle", (self.groups,)))

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        return ()  # its backward shuffles the gradient back
