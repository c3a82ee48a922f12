"""Dropout: zero a random fraction of activations while training; identity at inference."""
from __future__ import annotations

from ..spec_model import Rate, setting
from .base import Layer, TorchCall, TorchPlan, one_input
from .registry import register


@register
class Dropout(Layer):
    """Each activation is zeroed with probability ``rate`` during training (and the rest scaled)."""

    kind = "dropout"
    shorthand = "rate"
    is_view = True  # the identity at inference: it returns its input, allocating nothing
    example = "- dropout: 0.25"

    rate: Rate = setting(0.5, doc="fraction of activations to drop, 0 <= rate < 1")

    def infer(self, inputs, warn):
        return one_input(inputs, self.kind)

    def label(self, inputs):
        return f"dropout {self.rate:g}"

    def torch(self, inputs, out):
        return TorchPlan(TorchCall("Dropout", (), {"p": self.rate}))
