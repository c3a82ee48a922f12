"""The memory model, stated once and shown in every report.

forward = activations x batch + parameters (+ batchnorm state), in the chosen dtype.
training = parameters + gradients (same size) + optimizer state (Adam: 2 values per parameter)
           + every activation saved for the backward pass (all layer outputs, an upper bound).
Real frameworks free, fuse and recompute, so these are the textbook figures, not a profiler's.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .analysis import Analysis

DTYPES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8}
ADAM_STATES = 2


class Memory(NamedTuple):
    """Bytes for one batch; each total is the sum of the parts beside it."""

    batch: int
    dtype: str
    activations: int
    params: int
    state: int
    gradients: int
    optimizer: int

    @property
    def forward(self) -> int:
        return self.activations + self.params + self.state

    @property
    def training(self) -> int:
        return self.forward + self.gradients + self.optimizer


def estimate(a: "Analysis", batch: int = 1, dtype: str = "float32") -> Memory:
    size = DTYPES[dtype]
    params = a.total_params * size
    return Memory(batch, dtype, activations=a.total_activations * batch * size, params=params,
                  state=a.total_state * size, gradients=params, optimizer=ADAM_STATES * params)


def human(n: int) -> str:
    """Binary units, as memory is sold: ``58.13 MiB``; past PiB, ``3.2e+07 PiB`` (a spec with
    absurd sizes should not print a 30-digit number)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024:
            return f"{n:,} B" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} PiB" if abs(n) < 1e4 else f"{n:.2g} PiB"
