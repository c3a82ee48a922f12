"""Layer kinds, one module each; importing this package registers them all in ``KINDS``."""
from . import activations, conv, dense, dropout, merge, norm, pool, reshape  # noqa: F401  (registers)
from .base import Counts, Layer, TorchCall, TorchPlan
from .registry import KINDS, did_you_mean, register

__all__ = ["KINDS", "Counts", "Layer", "TorchCall", "TorchPlan", "did_you_mean", "register"]
