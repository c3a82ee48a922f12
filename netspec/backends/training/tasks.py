"""What a training run optimises and reports, per task: the target a batch's output is compared
with (class labels, label maps, or the input itself), the figure scored on the validation and
test splits (accuracy, pixel accuracy, reconstruction error) and what that figure is without
learning (the most frequent class; the mean training image), for the summary to compare with.
Which task fits which output is ruled in :mod:`netspec.analysis.tasks`; torch loads inside.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from .data import Data

FIGURES = {"classify": "accuracy", "segment": "pixel accuracy",
           "reconstruct": "reconstruction error (MSE)"}


@dataclass(frozen=True)
class Task:
    """A task (classify, segment, reconstruct) and the loss it trains with."""

    name: str
    loss: str  # cross_entropy | mse | bce

    @property
    def figure(self) -> str:
        return FIGURES[self.name]

    @property
    def higher_is_better(self) -> bool:
        return self.name != "reconstruct"

    def target(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """What the output of batch ``x`` (its samples augmented) is compared with."""
        return x if self.name == "reconstruct" else y

    def score(self, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """(sum, count) of the figure over a batch: right classes over samples or pixels, or
        squared errors over values. ``out``: the network's output (probabilities, not
        logits, where it ends in them)."""
        import torch

        if self.name == "reconstruct":
            total = (out - target).square().sum()
        else:
            total = (out.argmax(1) == target).sum()
        return torch.stack([total.double(), torch.tensor(float(target.numel()),
                                                         dtype=torch.float64,
                                                         device=target.device)])

    def show(self, value: float) -> str:
        return f"{value:.4f}" if self.name == "reconstruct" else f"{100 * value:.1f}%"

    def baseline(self, data: Data) -> tuple[float, str]:
        """The test figure without learning, and what gives it: the most frequent class of the
        training labels predicted everywhere, or the mean training image for every sample."""
        if self.name == "reconstruct":
            mean = data.x_train.mean(0, keepdim=True)
            return (data.x_test - mean).square().mean().item(), "the mean training image"
        counts = data.y_train.flatten().bincount()
        most = int(counts.argmax())
        share = (data.y_test == most).double().mean().item()
        where = "everywhere" if self.name == "segment" else "for every sample"
        return share, f"class {most} {where}"
