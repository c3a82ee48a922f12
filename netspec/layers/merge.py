"""Layers that read several earlier layers: residual addition and channel concatenation.

Their inputs are named, in the short form (``- add: [bn2, shortcut]``) or with ``input:``. When
the shapes do not fit, the walker adds every input's name, shape and line to the message.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from ..core.errors import LayerError
from ..core.model import Constrain, setting
from ..core.shapes import Shape, fmt_shape
from .base import Layer, Ref, TorchPlan, Warn
from .registry import register


class _Merge(Layer):
    shorthand = "input"
    input: Annotated[list[Ref], Constrain(min_length=2)] | None = setting(
        default=None, doc="the layers to merge (at least two)")

    def _check(self, inputs: Sequence[Shape]) -> None:
        if len(inputs) < 2:
            raise LayerError(f"{self.kind} needs at least two inputs, got {len(inputs)}",
                             key="input", hint=f"name them: `- {self.kind}: [a, b]`")


@register
class Add(_Merge):
    """Element-wise sum of equally shaped inputs: ResNet's residual connection."""

    kind = "add"
    example = "- add: [bn2, shortcut]"

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        self._check(inputs)
        if len(set(inputs)) > 1:
            raise LayerError("add needs inputs of one shape, got "
                             + " and ".join(fmt_shape(s) for s in sorted(set(inputs))),
                             key="input",
                             hint="a 1x1 conv with the right filters and stride on the shortcut "
                                  "makes the shapes match")
        return inputs[0]

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        return TorchPlan(None, combine="sum")


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
                             hint="only the channel counts may differ")
        return (sum(s[0] for s in inputs), *inputs[0][1:])

    def label(self, inputs: Sequence[Shape]) -> str:
        return f"concat {len(inputs)}"

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        return TorchPlan(None, combine="cat")
