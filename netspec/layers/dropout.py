"""Dropout: zero a random fraction of activations while training; identity at inference."""
from __future__ import annotations

from collections.abc import Sequence

from ..core.model import Rate, setting
from ..core.shapes import Shape
from .base import Layer, TorchCall, TorchPlan, Warn, one_input
from .registry import register


@register
class Dropout(Layer):
    """Each activation is zeroed with probability ``rate`` during training (and the rest scaled)."""

    kind = "dropout"
    shorthand = "rate"
    is_view = True  # the identity at inference: it returns its input, allocating nothing
    train_only = True
    example = "- dropout: 0.25"

    rate: Rate = setting(default=0.5, doc="fraction of activations to drop, 0 <= rate < 1")

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        return one_input(inputs, self.kind)

    def label(self, inputs: Sequence[Shape]) -> str:
        return f"dropout {self.rate:g}"

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        return TorchPlan(TorchCall("Dropout", (), {"p": self.rate}))
