"""Flatten: (C, H, W) -> (C*H*W,), a view that allocates nothing (so no activation memory)."""
from __future__ import annotations

from collections.abc import Sequence

from ..core.shapes import Field, Shape, numel
from .base import Layer, SavedTensor, TorchCall, TorchPlan, Warn, Working, one_input
from .registry import register


@register
class Flatten(Layer):
    """Lay every channel and position out in one vector, channels first as PyTorch does."""

    kind = "flatten"
    is_view = True
    example = "- flatten"

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        return (numel(one_input(inputs, self.kind)),)

    def field(self, inputs: Sequence[Shape], fields: Sequence[Field]) -> Field:
        return fields[0].whole(inputs[0][1:])  # every feature, so every position

    def working(self, inputs: Sequence[Shape], out: Shape,
                fields: Sequence[Field] | None = None) -> Working:
        x = inputs[0]
        return super().working(inputs, out, fields)._replace(
            shape=(f"{'*'.join(map(str, x))} = {out[0]:,} features, channel by channel",))

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        return TorchPlan(TorchCall("Flatten"))

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        return ()  # a view: its backward reshapes the gradient
