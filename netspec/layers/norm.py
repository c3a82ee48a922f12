"""Normalisation layers: batchnorm (learned scale and shift, running statistics as state),
local response normalisation (AlexNet's NORM, no parameters), layer norm (per sample, over the
channels) and ConvNeXt's layer scale (a learned per-channel multiplier)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from ..core.codes import declare
from ..core.errors import LayerError
from ..core.model import Constrain, setting
from ..core.shapes import Field, Shape, fmt_shape
from .base import (
    INPUT,
    OWN,
    Counts,
    Layer,
    Moments,
    SavedTensor,
    Size,
    Tensor,
    TorchCall,
    TorchPlan,
    Warn,
    Working,
    chain,
    one_input,
)
from .registry import register

NonNegFloat = Annotated[float, Constrain(ge=0)]
LRN_NEEDS_SPATIAL = declare(
    "NS411", "lrn-needs-spatial", "local response normalisation gets a flat input",
    "PyTorch's LocalResponseNorm needs an input of at least three dimensions with the batch, "
    "(N, C, L) or more: a flat (C,) input, as after flatten or dense, is refused (\"Expected "
    "3D or higher dimensionality input\"). Normalise before flattening, or use batchnorm.",
    "input: [1]\nlayers: [lrn]\n")


@register
class BatchNorm(Layer):
    """Per-channel normalisation. 2C learnable parameters (scale, shift) when ``affine``, and 2C
    running statistics that PyTorch keeps as buffers and Keras prints as non-trainable params."""

    kind = "batchnorm"
    batch_statistics = True
    extra_buffer_bytes = 8  # num_batches_tracked
    example = "- batchnorm: {eps: 0.001, momentum: 0.01}"

    eps: Annotated[float, Constrain(gt=0, le=1)] = setting(
        default=1e-5, doc="added to the variance before its square root")
    momentum: Annotated[float, Constrain(gt=0, le=1)] = setting(
        default=0.1, doc="PyTorch's convention: weight of the new batch")
    affine: bool = setting(default=True, doc="learn a scale and a shift per channel")

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        return one_input(inputs, self.kind)

    def counts(self, inputs: Sequence[Shape], out: Shape) -> Counts:
        c = inputs[0][0]
        learned = c if self.affine else 0
        return Counts(weights=learned, biases=learned, state=2 * c)

    def working(self, inputs: Sequence[Shape], out: Shape,
                fields: Sequence[Field] | None = None) -> Working:
        """A scale and a shift per channel, and two running statistics per channel."""
        c = inputs[0][0]
        learned = (f"a scale and a shift per channel: 2 * {c} = {2 * c:,}" if self.affine else
                   "none learned (affine: false)")
        return super().working(inputs, out, fields)._replace(params=(
            learned, f"and the running mean and variance: 2 * {c} = {2 * c:,} values of "
            "state, not learned (PyTorch's buffers, Keras' non-trainable params)"))

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        rank = max(len(inputs[0]) - 1, 1)
        kw = {"eps": self.eps, "momentum": self.momentum, "affine": self.affine}
        return TorchPlan(TorchCall(f"BatchNorm{rank}d", (inputs[0][0],), kw))

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        """Its input, and the batch's mean and inverse deviation per channel (float32)."""
        stats = SavedTensor(OWN, (inputs[0][0],), "float32", per_sample=False)
        return (SavedTensor(INPUT), stats, stats)


@register
class LocalResponseNorm(Layer):
    """Divide each activation by a power of the sum of squares over ``size`` nearby channels."""

    kind = "lrn"
    shorthand = "size"
    example = "- lrn: {size: 5, alpha: 0.0001, beta: 0.75, k: 2}"

    size: Size = setting(default=5, doc="channels summed over, centred on each one")
    alpha: NonNegFloat = setting(default=1e-4, doc="scale of the sum of squares (divided by size)")
    beta: NonNegFloat = setting(default=0.75, doc="the power the divisor is raised to")
    k: NonNegFloat = setting(default=2.0, doc="added to the scaled sum before the power")

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        x = one_input(inputs, self.kind)
        if len(x) < 2:  # PyTorch's rule: F.local_response_norm wants dim() >= 3 with the batch
            raise LayerError(
                f"lrn needs an input with a channel axis and spatial axes, (C, L) or more, "
                f"got {fmt_shape(x)}", details=["PyTorch's LocalResponseNorm refuses an input "
                                                "of fewer than 3 dimensions with the batch"],
                hint="normalise before flatten and dense layers", code=LRN_NEEDS_SPATIAL)
        return x

    def label(self, inputs: Sequence[Shape]) -> str:
        return f"lrn {self.size}"

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        kw = {"alpha": self.alpha, "beta": self.beta, "k": self.k}
        return TorchPlan(TorchCall("LocalResponseNorm", (self.size,), kw))

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        """PyTorch composes it of small steps (F.local_response_norm): their backward keeps the
        input, the squares padded by size - 1 channels, and the divisor before and after its
        power."""
        x = inputs[0]
        padded = (x[0] + self.size - 1, *x[1:])
        return (SavedTensor(INPUT), SavedTensor(OWN, padded), SavedTensor(OWN, x),
                SavedTensor(OWN, x))

    def inference(self, inputs: Sequence[Shape], out: Shape, in_place: bool = False) -> Moments:
        """The same steps: squares, padded, averaged; then scaled, shifted and raised to the
        power in one expression (whose middle results live until it ends), then the quotient."""
        x = Tensor(inputs[0])
        padded = Tensor((inputs[0][0] + self.size - 1, *inputs[0][1:]))
        return chain(x, padded, x, x) + ((x, x, x), (x, x, x), (x, Tensor(out)))


@register
class LayerNorm(Layer):
    """Normalise each position over its channels, sample by sample, then scale and shift per
    channel: ConvNeXt's LayerNorm2d on a channels-first map, PyTorch's LayerNorm on flat
    features. 2C learnable parameters when ``affine``; no running statistics."""

    kind = "layernorm"
    example = "- layernorm: {eps: 0.000001}"

    eps: Annotated[float, Constrain(gt=0, le=1)] = setting(
        default=1e-5, doc="added to the variance before its square root (ConvNeXt: 1e-6)")
    affine: bool = setting(default=True, doc="learn a scale and a shift per channel")

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        return one_input(inputs, self.kind)

    def counts(self, inputs: Sequence[Shape], out: Shape) -> Counts:
        learned = inputs[0][0] if self.affine else 0
        return Counts(weights=learned, biases=learned)

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        x = inputs[0]
        kw = {"eps": self.eps, "elementwise_affine": self.affine}
        if len(x) == 1:
            return TorchPlan(TorchCall("LayerNorm", (x[0],), kw))
        return TorchPlan(TorchCall("ChannelLayerNorm", (x[0],), kw, own=True))

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        """Its input, and each position's mean and inverse deviation (float32)."""
        stats = SavedTensor(OWN, _positions(inputs[0]), "float32")
        return (SavedTensor(INPUT), stats, stats)

    def inference(self, inputs: Sequence[Shape], out: Shape, in_place: bool = False) -> Moments:
        """The output, and the statistics PyTorch's kernel computes beside it and drops."""
        stats = Tensor(_positions(inputs[0]), "float32")
        return ((Tensor(out), stats, stats),)


def _positions(x: Shape) -> Shape:
    """One value per position normalised: (H, W) of a (C, H, W) map, one for flat features."""
    return x[1:] or (1,)


@register
class LayerScale(Layer):
    """Multiply each channel by a learned scale that starts small: ConvNeXt's layer scale on
    its residual branch. C learnable parameters."""

    kind = "layer_scale"
    shorthand = "init"
    example = "- layer_scale: 0.000001"

    init: Annotated[float, Constrain(ge=-1e6, le=1e6)] = setting(
        default=1e-6, doc="every scale's initial value (ConvNeXt: 1e-6)")

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        return one_input(inputs, self.kind)

    def counts(self, inputs: Sequence[Shape], out: Shape) -> Counts:
        return Counts(weights=inputs[0][0])

    def label(self, inputs: Sequence[Shape]) -> str:
        return f"layer_scale {self.init:g}"

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        x = inputs[0]
        return TorchPlan(TorchCall("LayerScale", (x[0], len(x) - 1, self.init), own=True))

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        return (SavedTensor(INPUT),)  # for the scales' gradient
