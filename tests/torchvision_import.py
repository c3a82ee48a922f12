"""torchvision's models, as the oracle of the zoo's torchvision networks.

The build of torchvision a package index serves for Linux is compiled against CUDA torch; with
the CPU-only torch the tests run on, its compiled detection operators do not load, and the
import fails where it registers fake kernels for two of them (``torchvision::nms``, ``qnms``;
RuntimeError "operator torchvision::nms does not exist"). The classification models use none
of those operators, so the two are declared here, without kernels, before torchvision is
imported again: its models are then the real ones. Nothing else of torchvision is used.
"""
from __future__ import annotations

import sys
from types import ModuleType

MISSING_OPERATORS = {
    "nms": "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
}
_declared: list = []  # the Library that declares them must stay alive


def torchvision_models() -> ModuleType:
    """``torchvision.models``; raises ImportError when torchvision is not installed."""
    try:
        from torchvision import models
    except RuntimeError as error:
        if "does not exist" not in str(error):
            raise
        import torch

        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        library = torch.library.Library("torchvision", "DEF")
        for schema in MISSING_OPERATORS.values():
            library.define(schema)
        _declared.append(library)
        from torchvision import models
    return models
