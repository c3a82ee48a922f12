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
    "memory: forward = activations x batch + parameters + state (every tensor, alive or not); "
    "inference = parameters + state + the peak of activations alive at once, each freed after "
    "its last reader, as the compiled module frees them",
    "training = parameters + state + gradients (1x params) + the optimizer's state (sgd 0, "
    "momentum 1, adam and adamw 2 values per parameter) + saved: the tensors autograd keeps "
    "for backward, as each kind states them (relu its output, conv its input, max-pool its "
    "input and int64 indices, batchnorm its input; add, concat and flatten nothing), each "
    "tensor once (a relu output the next conv also keeps counts once); the activations' "
    "gradients of the backward pass itself are not counted",
    "saved: bytes per layer of its tensors that autograd keeps, at the report's batch and dtype "
    "(the input row: the network input's)",
    "--dtype is the activations'; float16 and bfloat16 are mixed precision: float32 "
    "parameters, gradients and optimizer state, plus autocast's half copies of the conv and "
    "dense weights, kept for backward",
)


def summary_lines(a: CheckedNetwork, batch: int, dtype: str,
                  optimizer: str = "adam") -> list[str]:
    m = a.memory(batch, dtype, optimizer)
    copies = (f" + half weight copies {human(m.weight_copies)}" if m.weight_copies else "")
    lines = [
        f"parameters: {a.total_params:,} (trainable {a.trainable_params:,}) = weights "
        f"{a.total_weights:,} + biases {a.total_biases:,}",
        f"non-trainable state: {a.total_state:,} (batchnorm running statistics)",
        f"activations: {a.total_activations:,} elements per sample",
        f"MACs: {a.total_macs:,} per sample (FLOPs {2 * a.total_macs:,})",
        f"forward memory (batch {batch}, {dtype}): {human(m.forward)} = activations "
        f"{human(m.activations)} + parameters {human(m.params)} + state {human(m.state)}",
        f"inference peak (batch {batch}, {dtype}): {human(m.inference)} = live activations "
        f"{human(m.inference_peak)} + parameters + state",
        f"training estimate ({optimizer}): {human(m.training)} = parameters and state "
        f"{human(m.params + m.state)} + gradients {human(m.gradients)} + optimizer state "
        f"{human(m.optimizer)} + saved activations {human(m.saved)}{copies}",
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
