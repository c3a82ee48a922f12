"""The memory model, stated once and shown in every report.

forward = activations x batch + parameters (+ batchnorm state), in the chosen dtype.
training = parameters + gradients (same size) + optimizer state (Adam: 2 values per parameter)
           + every activation saved for the backward pass (all layer outputs, an upper bound).
Real frameworks free, fuse and recompute, so these are the textbook figures, not a profiler's.
"""
from __future__ import annotations

from typing import NamedTuple

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


def estimate(params: int, activations: int, state: int, batch: int = 1,
             dtype: str = "float32") -> Memory:
    """The memory of a network with these element counts (activations per sample)."""
    size = DTYPES[dtype]
    weights = params * size
    return Memory(batch, dtype, activations=activations * batch * size, params=weights,
                  state=state * size, gradients=weights, optimizer=ADAM_STATES * weights)
