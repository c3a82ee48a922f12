"""Loading a checkpoint into a compiled spec: the one place that reads ``--weights`` files
(``netspec export``, ``netspec visualize``). torch is imported inside the functions."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ...core.errors import UsageError

if TYPE_CHECKING:
    import torch


def load_weights(module: torch.nn.Module, path: Path) -> None:
    """Load a checkpoint into the compiled module, or say exactly which keys do not fit.

    Accepts a ``torch.save``'d state_dict (what ``netspec train -o`` writes) or a dict holding
    one under ``state_dict`` or ``model`` (the usual training-loop checkpoints)."""
    state = _read_checkpoint(path)
    expected = module.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    resized = [f"{k}: {tuple(state[k].shape)} in the checkpoint, {tuple(v.shape)} in the spec"
               for k, v in expected.items() if k in state and state[k].shape != v.shape]
    if missing or unexpected or resized:
        raise UsageError(_mismatch(path, missing, unexpected, resized))
    module.load_state_dict(state)


def _read_checkpoint(path: Path) -> dict:
    import re

    import torch

    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise UsageError(f"--weights {path}: no such file") from None
    except Exception as e:  # torch raises many kinds for a file that is not a checkpoint
        first = re.sub(r"\x1b\[[0-9;]*m", "", str(e)).strip().split("\n")[0][:200]
        raise UsageError(f"--weights {path}: not a PyTorch checkpoint that loads safely "
                         f"({type(e).__name__}{': ' + first if first else ''})") from None
    for key in ("state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise UsageError(f"--weights {path}: expected a state_dict (names -> tensors), or a "
                         "dict with one under 'state_dict' or 'model'")
    return obj


def _mismatch(path: Path, missing: list[str], unexpected: list[str], resized: list[str]) -> str:
    """Name the keys that do not fit (the first few of each kind) and the likely cause."""
    lines = [f"--weights {path} does not fit this spec"]
    for title, keys in (("missing from the checkpoint", missing),
                        ("in the checkpoint but not in the spec", unexpected),
                        ("of another shape", resized)):
        if keys:
            shown = ", ".join(keys[:8]) + (f", ... ({len(keys) - 8} more)" if len(keys) > 8 else "")
            lines.append(f"  {len(keys)} {title}: {shown}")
    if unexpected and all(k.startswith("module.") for k in unexpected):
        lines.append("  hint: the keys start with 'module.': the checkpoint was saved from a "
                     "DataParallel/DistributedDataParallel wrapper; save model.module.state_dict()")
    return "\n".join(lines)
