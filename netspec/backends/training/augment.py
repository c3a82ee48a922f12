"""Data augmentation for `netspec train`: the usual image jitters, on batches of tensors.

Random crop with zero padding (a shift of up to ``crop`` pixels), horizontal flip, and a small
affine jitter (rotation and scaling about the centre), as torchvision's RandomCrop,
RandomHorizontalFlip and RandomAffine do them, written on tensors: torchvision's wheels are
built against another torch than the pinned CPU one. Each batch's random draws come from a
generator of the augmenter's own, seeded from ``--seed`` (and the process's rank), so runs
repeat and the model's own random numbers (weights, dropout) are the same with or without it.
Only training batches are augmented; validation and test data never are. torch is imported
inside the functions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...core.errors import UsageError
from ...core.shapes import Shape, fmt_shape

if TYPE_CHECKING:
    import torch

SEED_STRIDE = 1 << 20  # one seed per process: seed * stride + rank


@dataclass(frozen=True)
class Augmentation:
    """Which augmentations run, and how strongly (the command line's --crop, --flip, ...)."""

    crop: int = 0  # pad this many pixels a side with zeros, then crop back at a random place
    flip: bool = False  # mirror left to right, each sample with probability 1/2
    rotate: float = 0.0  # rotate by up to this many degrees either way
    scale: float = 0.0  # scale by a factor from 1 - scale to 1 + scale

    @property
    def active(self) -> bool:
        return bool(self.crop or self.flip or self.rotate or self.scale)

    def describe(self) -> str:
        """For the run's summary: ``crop 4, flip, rotate ±10°, scale ±10%`` or ``none``."""
        parts = ([f"crop {self.crop} (zero padding)"] if self.crop else []) \
            + (["flip"] if self.flip else []) \
            + ([f"rotate ±{self.rotate:g}°"] if self.rotate else []) \
            + ([f"scale ±{100 * self.scale:g}%"] if self.scale else [])
        return ", ".join(parts) or "none"

    def check(self, input_shape: Shape) -> None:
        """Augmentations move pixels: they need an image input (C, H, W) a crop fits in."""
        if not self.active:
            return
        if len(input_shape) != 3:
            raise UsageError(f"augmentation ({self.describe()}) needs an image input (C, H, W); "
                             f"this spec's input is {fmt_shape(input_shape)}")
        if self.crop >= min(input_shape[1:]):
            raise UsageError(f"--crop {self.crop} shifts by at least the image's size "
                             f"{input_shape[1]}x{input_shape[2]}; use less than "
                             f"{min(input_shape[1:])}")


class Augmenter:
    """Applies an :class:`Augmentation` to training batches, with its own seeded generator."""

    def __init__(self, augmentation: Augmentation, seed: int, rank: int = 0):
        import torch

        self.augmentation = augmentation
        self.generator = torch.Generator().manual_seed(seed * SEED_STRIDE + rank)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """A batch (N, C, H, W), augmented: every sample drawn afresh."""
        import torch

        a, n = self.augmentation, len(x)
        if a.crop:
            offsets = torch.randint(0, 2 * a.crop + 1, (2, n), generator=self.generator)
            x = crop(x, a.crop, offsets.to(x.device))
        if a.flip:
            x = flip(x, (torch.rand(n, generator=self.generator) < 0.5).to(x.device))
        if a.rotate or a.scale:
            uniform = torch.rand(2, n, generator=self.generator, dtype=torch.float64) * 2 - 1
            x = affine(x, (uniform[0] * a.rotate).tolist(), (1 + uniform[1] * a.scale).tolist())
        return x


def crop(x: torch.Tensor, pad: int, offsets: torch.Tensor) -> torch.Tensor:
    """Each sample zero-padded by ``pad`` a side and cut back to its size at (row, column)
    ``offsets[:, i]`` of the padded one (0 .. 2 * pad): a shift of ``pad - offset``."""
    import torch
    import torch.nn.functional as F

    n, c, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    rows = offsets[0, :, None] + torch.arange(h, device=x.device)  # (N, H)
    cols = offsets[1, :, None] + torch.arange(w, device=x.device)  # (N, W)
    batch = torch.arange(n, device=x.device)[:, None, None, None]
    channel = torch.arange(c, device=x.device)[None, :, None, None]
    return padded[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]


def flip(x: torch.Tensor, which: torch.Tensor) -> torch.Tensor:
    """The samples where ``which`` is true mirrored left to right, the others as they were."""
    import torch

    return torch.where(which[:, None, None, None], x.flip(-1), x)


def affine(x: torch.Tensor, degrees: list[float], scales: list[float]) -> torch.Tensor:
    """Each sample rotated counterclockwise by its angle and scaled by its factor about the
    image's centre, bilinear, zeros where nothing maps. The sampling grid is built in pixel
    units, so a non-square image rotates without shearing."""
    import torch
    import torch.nn.functional as F

    n, _, h, w = x.shape
    theta = torch.zeros(n, 2, 3, dtype=torch.float64)
    for i, (deg, s) in enumerate(zip(degrees, scales)):
        cos, sin = math.cos(math.radians(deg)) / s, math.sin(math.radians(deg)) / s
        # where each output pixel samples from: the inverse rotation and scaling, taken from
        # pixels (x right, y down) to the grid's coordinates (-1 .. 1 across each axis)
        theta[i, 0, :2] = torch.tensor([cos, -sin * h / w], dtype=torch.float64)
        theta[i, 1, :2] = torch.tensor([sin * w / h, cos], dtype=torch.float64)
    grid = F.affine_grid(theta.to(x.dtype).to(x.device), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
