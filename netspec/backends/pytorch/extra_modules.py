"""The modules netspec's kinds need and ``torch.nn`` lacks, written once.

The in-memory module builds them from here (a ``TorchCall`` with ``own=True`` names one), and
the emitted source copies the classes it uses into the file it writes, so that it needs only
torch and both forms run the same code: each class below is therefore self-contained, using
only ``torch`` and ``nn``, and the emitter reads this file as text (``emit.own_sources``)
without importing it. The merges are modules too, so that a forward hook sees them, torchinfo
lists them and their ONNX nodes carry their layer's name.
"""
from __future__ import annotations

import torch
from torch import nn


class Add(nn.Module):
    """The sum of its inputs, in order (a residual connection); size-1 axes broadcast."""

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Multiply(nn.Module):
    """The product of its inputs, in order (a squeeze-and-excitation gate); size-1 axes
    broadcast."""

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out


class Concat(nn.Module):
    """Its inputs joined along the channel axis (Inception's merge)."""

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return torch.cat(inputs, dim=1)


class ChannelLayerNorm(nn.LayerNorm):
    """LayerNorm over the channel axis of a channels-first tensor (torchvision's LayerNorm2d,
    for any number of spatial axes): each position normalised over its C channels."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.movedim(1, -1)).movedim(-1, 1)


class LayerScale(nn.Module):
    """A learned scale per channel (ConvNeXt's layer scale), shaped to broadcast over the
    spatial axes: (C, 1, 1) for images."""

    def __init__(self, channels: int, spatial_axes: int, init: float) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.full((channels,) + (1,) * spatial_axes, init))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale


class StochasticDepth(nn.Module):
    """torchvision.ops.StochasticDepth: in training, zero the input with probability ``p`` per
    sample (``row``) or for the whole batch (``batch``), scaling what is kept by 1 / (1 - p);
    the identity in evaluation."""

    def __init__(self, p: float, mode: str) -> None:
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        shape = [x.shape[0]] + [1] * (x.dim() - 1) if self.mode == "row" else [1] * x.dim()
        keep = x.new_empty(shape).bernoulli_(1.0 - self.p)
        return x * keep.div_(1.0 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode}"


class Crop(nn.Module):
    """Keep ``box`` of the spatial axes, a (start, stop) pair per axis (a centre crop whose
    offsets the checker worked out); the channels pass whole."""

    def __init__(self, box: tuple[tuple[int, int], ...]) -> None:
        super().__init__()
        self.box = box

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[(slice(None), slice(None)) + tuple(slice(a, b) for a, b in self.box)]

    def extra_repr(self) -> str:
        return f"box={self.box}"


class Split(nn.Module):
    """The channels cut into parts of these sizes: a tuple of views, read one by one. (Narrowed
    one by one rather than by torch.split, whose ONNX form the exporter's tidying rewrites
    without the module path that names each node after its layer.)"""

    def __init__(self, sizes: tuple[int, ...]) -> None:
        super().__init__()
        self.sizes = sizes

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        starts = [sum(self.sizes[:i]) for i in range(len(self.sizes))]
        return tuple(x.narrow(1, a, n) for a, n in zip(starts, self.sizes))

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}"
