"""The lines under every report's table: totals in words, the memory estimate, the warnings,
and the conventions the figures follow."""
from __future__ import annotations

from ..analysis import CheckedNetwork

CONVENTIONS = (
    "params are learnable parameters, as PyTorch counts them (weights + biases); batchnorm's "
    "running statistics are non-trainable state, shown apart (Keras adds them to its params)",
    "weights exclude biases, as the VGG-16 table of the notes counts them",
    "activations are elements per sample of each new tensor at inference (flatten and dropout "
    "produce none); the total includes the input",
    "MACs are multiply-accumulates of conv and dense layers, per sample; FLOPs = 2 x MACs",
    "memory: forward = activations x batch + parameters + state; training adds gradients (1x "
    "params) and Adam's state (2x params) and keeps every activation for backward",
)


def summary_lines(a: CheckedNetwork, batch: int, dtype: str) -> list[str]:
    m = a.memory(batch, dtype)
    lines = [
        f"parameters: {a.total_params:,} (trainable {a.trainable_params:,}) = weights "
        f"{a.total_weights:,} + biases {a.total_biases:,}",
        f"non-trainable state: {a.total_state:,} (batchnorm running statistics)",
        f"activations: {a.total_activations:,} elements per sample",
        f"MACs: {a.total_macs:,} per sample (FLOPs {2 * a.total_macs:,})",
        f"forward memory (batch {batch}, {dtype}): {human(m.forward)} = activations "
        f"{human(m.activations)} + parameters {human(m.params)} + state {human(m.state)}",
        f"training estimate (Adam): {human(m.training)} = forward + gradients "
        f"{human(m.gradients)} + optimizer state {human(m.optimizer)}",
    ]
    for w in a.warnings:
        lines.append(w.format())
    return lines


def human(n: int) -> str:
    """Binary units, as memory is sold: ``58.13 MiB``; past PiB, ``3.2e+07 PiB`` (a spec with
    absurd sizes should not print a 30-digit number)."""
    if abs(n) < 1024:
        return f"{n:,} B"
    value = n / 1024
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024:
            return f"{value:.2f} {unit}"
        value /= 1024
    return f"{value:.2f} PiB" if abs(value) < 1e4 else f"{value:.2g} PiB"
