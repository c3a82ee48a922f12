"""Where a model runs: --device auto|cpu|cuda, shared by train, export and benchmarks."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.errors import UsageError

if TYPE_CHECKING:
    import torch


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA when it is there; asking for CUDA without it is a usage error."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        build = (f"built for CUDA {torch.version.cuda}" if torch.version.cuda
                 else "a build without CUDA")
        raise UsageError("--device cuda was asked for, but PyTorch sees no CUDA device "
                         f"(torch {torch.__version__}, {build}); use --device cpu or auto")
    if name not in ("cpu", "cuda"):
        raise UsageError(f"unknown device {name!r}; use auto, cpu or cuda")
    return torch.device(name)
