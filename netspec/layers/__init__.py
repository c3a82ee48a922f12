"""Layer kinds, one module each; importing this package registers them all in ``KINDS``."""
from . import (  # noqa: F401  (registers)
    activations,
    channels,
    conv,
    dense,
    dropout,
    merge,
    norm,
    pool,
    reshape,
    resize,
    transpose,
)
from .base import Counts, Layer, TorchCall, TorchPlan
from .registry import KINDS, did_you_mean, register

__all__ = ["KINDS", "Counts", "Layer", "TorchCall", "TorchPlan", "did_you_mean", "register"]
