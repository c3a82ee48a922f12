"""The compiled form of a network, as data both PyTorch backends share.

Each step says which modules a spec layer becomes (``post(main(pre(x)))``, the modules named by
their dotted paths), which earlier outputs it reads and how it merges several of them, and which
outputs are no longer needed after it. The in-memory module runs these steps; the emitted source
writes them out. One plan, so the two cannot disagree on names or order.
"""
from __future__ import annotations

import keyword
from typing import NamedTuple

from ...analysis import CheckedNetwork
from ...graph.module_names import modules
from ...layers.base import TorchCall


class Step(NamedTuple):
    name: str  # the spec layer, dotted inside blocks (layer1.0.conv1)
    inputs: tuple[str, ...]
    combine: str | None  # "sum", "product" or "cat" for several inputs
    modules: tuple[tuple[str, TorchCall], ...]  # (dotted module path, call), applied in order
    free: tuple[str, ...]  # outputs no later step reads
    # a layer of several parts (split): its modules give a tuple, whose tensors later steps
    # read by these names (halves.0, halves.1); the layer's own name is never read
    parts: tuple[str, ...] = ()


def plan(a: CheckedNetwork) -> list[Step]:
    """The steps of ``a``'s network, in order. The analysis has checked their module names."""
    shapes = a.shapes
    last_use = {}
    for i, node in enumerate(a.network.nodes):
        for ref in node.inputs:
            last_use[ref] = i
    output = a.layers[-1].name
    steps = []
    for i, node in enumerate(a.network.nodes):
        p = node.layer.torch([shapes[ref] for ref in node.inputs], shapes[node.name])
        free = tuple(ref for ref in dict.fromkeys(node.inputs)
                     if last_use[ref] == i and ref != output)
        steps.append(Step(node.name, node.inputs, p.combine, tuple(modules(node.name, p)), free,
                          node.part_names))
    return steps


def class_name(spec_name: str) -> str:
    """A Python class name for a spec: 'VGG-16' -> 'VGG16', 'mnist_cnn' -> 'MnistCnn'.

    ASCII letters and digits only ('m²' has a digit Python does not take in names); a name
    that would be a keyword ('none' -> 'None') or the emitted file's import gets 'Net' added.
    """
    words = "".join(c if c.isascii() and c.isalnum() else " " for c in spec_name).split()
    name = "".join(w[0].upper() + w[1:] for w in words) or "Network"
    if not name[0].isalpha():
        name = "Net" + name
    return name + "Net" if keyword.iskeyword(name) or name == "OrderedDict" else name
