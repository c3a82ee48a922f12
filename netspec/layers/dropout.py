"""Dropout and stochastic depth: zero activations (or a whole residual branch) at random while
training; the identity at inference."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from ..core.model import Rate, setting
from ..core.shapes import Shape
from .base import OWN, Layer, SavedTensor, TorchCall, TorchPlan, Warn, one_input
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

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        """The scaled mask it multiplied by, of its input's shape and dtype: PyTorch's CPU
        path (on CUDA its fused kernel keeps a bool mask, a byte per value)."""
        return (SavedTensor(OWN, inputs[0]),)


@register
class StochasticDepth(Layer):
    """Drop a residual branch whole, at random while training, and scale what is kept by
    1 / (1 - rate): per sample (``row``) or for the whole batch (``batch``), as
    torchvision.ops.StochasticDepth. The identity at inference."""

    kind = "stochastic_depth"
    shorthand = "rate"
    is_view = True  # the identity at inference
    train_only = True
    example = "- stochastic_depth: {rate: 0.1, mode: row}"

    rate: Rate = setting(doc="probability of dropping the branch, 0 <= rate < 1")
    mode: Literal["row", "batch"] = setting(
        default="row", doc="row: each sample drops it apart; batch: all samples at once")

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        return one_input(inputs, self.kind)

    def label(self, inputs: Sequence[Shape]) -> str:
        return f"stochastic_depth {self.rate:g} {self.mode}"

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        return TorchPlan(TorchCall("StochasticDepth", (self.rate, self.mode), own=True))

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        """The scaled keep-or-drop mask: one value per sample (row), or one for the batch."""
        ones = (1,) * len(inputs[0])
        return (SavedTensor(OWN, ones, per_sample=self.mode == "row"),)
