"""Backends: PyTorch, ONNX and Graphviz; each imports its heavy library inside its functions."""
from __future__ import annotations

from collections.abc import Iterable

from ..core.errors import UsageError

PIP_NAMES = {"sklearn": "scikit-learn", "PIL": "pillow"}  # import name -> what pip installs


def require(task: str, extra: str, modules: Iterable[str]) -> None:
    """Before any work, a usage error that says what to install when a library is missing
    (``find_spec`` looks without importing, so nothing heavy loads here)."""
    import importlib.util

    missing = [PIP_NAMES.get(m, m) for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(f"{task} needs {', '.join(missing)}: pip install 'netspec[{extra}]' "
                         f"(or pip install {' '.join(missing)})")
