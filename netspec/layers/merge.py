"""Layers that read several earlier layers: residual addition, multiplication (a
squeeze-and-excitation gate) and channel concatenation.

Their inputs are named, in the short form (``- add: [bn2, shortcut]``) or with ``input:``. When
the shapes do not fit, the walker adds every input's name, shape and line to the message.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from ..core.codes import declare
from ..core.errors import LayerError
from ..core.model import Constrain, setting
from ..core.shapes import Field, Shape, axis_names, fmt_shape
from .base import (
    INPUT,
    WRONG_INPUT_COUNT,
    Layer,
    Moments,
    Ref,
    SavedTensor,
    Tensor,
    TorchPlan,
    Warn,
    Working,
    chain,
)
from .registry import register

MERGE_MISMATCH = declare(
    "NS406", "merge-mismatch", "the inputs of a merge do not fit together",
    "`add` sums and `multiply` multiplies inputs of one shape, or whose sizes differ only where "
    "one is 1 (broadcast, as squeeze-and-excitation's (C, 1, 1) scale); a ResNet shortcut needs "
    "a 1x1 conv with the right filters and stride when the block changes the shape. `concat` "
    "stacks channels of inputs with the same spatial size. The message lists each input's "
    "shape and line.",
    "input: [3, 32, 32]\nlayers:\n  - conv: {filters: 16, kernel: 3, padding: 1, name: a}\n"
    "  - conv: {filters: 32, kernel: 3, padding: 1, name: b}\n  - add: [a, b]\n")


class _Merge(Layer):
    shorthand = "input"
    input: Annotated[list[Ref], Constrain(min_length=2)] | None = setting(
        default=None, doc="the layers to merge (at least two)")

    def inference(self, inputs: Sequence[Shape], out: Shape, in_place: bool = False) -> Moments:
        """A new tensor; summing or multiplying n inputs takes n - 1 steps, each result alive
        with the next (the plan folds them left to right)."""
        return chain(*[Tensor(out)] * max(1, len(inputs) - 1))

    def _check(self, inputs: Sequence[Shape]) -> None:
        if len(inputs) < 2:
            raise LayerError(f"{self.kind} needs at least two inputs, got {len(inputs)}",
                             key="input", hint=f"name them: `- {self.kind}: [a, b]`",
                             code=WRONG_INPUT_COUNT)


def broadcast(kind: str, inputs: Sequence[Shape], hint: str) -> Shape:
    """The shape of an element-wise merge: on each axis the inputs agree, or those that differ
    are 1 and are repeated (PyTorch's broadcasting, here between inputs of one rank)."""
    shapes = " and ".join(fmt_shape(s) for s in dict.fromkeys(inputs))
    if len({len(s) for s in inputs}) > 1:
        raise LayerError(f"{kind} needs inputs with the same number of axes, got {shapes}",
                         key="input", hint=hint, code=MERGE_MISMATCH)
    names = ("channels",) + axis_names(len(inputs[0]) - 1) if len(inputs[0]) > 1 else (
        "features",)
    out = []
    for name, sizes in zip(names, zip(*inputs)):
        differ = sorted(set(sizes) - {1})
        if len(differ) > 1:
            raise LayerError(
                f"{kind} needs inputs of one shape (or of size 1 on an axis where they "
                f"differ), got {shapes}: {name} {' vs '.join(map(str, differ))}",
                key="input",
                hint=hint, code=MERGE_MISMATCH)
        out.append(max(sizes))
    return tuple(out)


@register
class Add(_Merge):
    """Element-wise sum: ResNet's residual connection. Inputs of one shape, or whose sizes
    differ only where one of them is 1 (broadcast over that axis)."""

    kind = "add"
    example = "- add: [bn2, shortcut]"

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        self._check(inputs)
        return broadcast("add", inputs, "a 1x1 conv with the right filters and stride on the "
                                        "shortcut makes the shapes match")

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        return TorchPlan(None, combine="sum")

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        return ()  # the gradient passes through unchanged


@register
class Multiply(_Merge):
    """Element-wise product, broadcast over size-1 axes as ``add``: squeeze-and-excitation's
    ``x * scale`` with a (C, 1, 1) scale."""

    kind = "multiply"
    example = "- multiply: [conv3, gate]"

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        self._check(inputs)
        return broadcast("multiply", inputs,
                         "a per-channel scale is (C, 1, 1): `adaptive_avgpool: 1`, then 1x1 convs "
                         "whose last has C filters")

    def label(self, inputs: Sequence[Shape]) -> str:
        return f"multiply {len(inputs)}"

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        return TorchPlan(None, combine="product")

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        """Each input, for the others' gradients: d(a*b)/da = b."""
        return tuple(SavedTensor(INPUT, input_index=i, for_other_inputs=True)
                     for i in range(len(inputs)))


@register
class Concat(_Merge):
    """Channel concatenation of inputs with the same spatial size: Inception's merge."""

    kind = "concat"
    example = "- concat: [branch1, branch2, branch3, branch4]"

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        self._check(inputs)
        if len({len(s) for s in inputs}) > 1 or len({s[1:] for s in inputs}) > 1:
            raise LayerError("concat needs inputs with the same spatial size, got "
                             + ", ".join(fmt_shape(s) for s in inputs), key="input",
                             hint="only the channel counts may differ", code=MERGE_MISMATCH)
        return (sum(s[0] for s in inputs), *inputs[0][1:])

    def working(self, inputs: Sequence[Shape], out: Shape,
                fields: Sequence[Field] | None = None) -> Working:
        channels = " + ".join(str(s[0]) for s in inputs)
        return super().working(inputs, out, fields)._replace(
            shape=(f"channels: {channels} = {out[0]}, stacked; the spatial size stays "
                   f"{fmt_shape(out[1:])}",) if len(out) > 1 else (f"{channels} = {out[0]}",))

    def label(self, inputs: Sequence[Shape]) -> str:
        return f"concat {len(inputs)}"

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        return TorchPlan(None, combine="cat")

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        return ()  # the gradient is cut back into the inputs' pieces

    def inference(self, inputs: Sequence[Shape], out: Shape, in_place: bool = False) -> Moments:
        return ((Tensor(out),),)
