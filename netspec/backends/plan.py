"""The compiled form of a network, as data both PyTorch backends share.

Each step says which modules a spec layer becomes (``post(main(pre(x)))``, the modules named by
their dotted paths), which earlier outputs it reads and how it merges several of them, and which
outputs are no longer needed after it. The in-memory module runs these steps; the emitted source
writes them out. One plan, so the two cannot disagree on names or order.
"""
from __future__ import annotations

import keyword
from typing import NamedTuple

from ..analysis import Analysis
from ..errors import Diagnostic, SpecError
from ..graph import INPUT, Node
from ..layers.base import TorchCall

# Dotted names live in nn.ModuleDicts, whose methods a child's name would shadow.
CONTAINER_METHODS = frozenset({"clear", "items", "keys", "pop", "update", "values"})


class Step(NamedTuple):
    name: str  # the spec layer, dotted inside blocks (layer1.0.conv1)
    inputs: tuple[str, ...]
    combine: str | None  # "sum" or "cat" for several inputs
    modules: tuple[tuple[str, TorchCall], ...]  # (dotted module path, call), applied in order
    free: tuple[str, ...]  # outputs no later step reads


def plan(a: Analysis) -> list[Step]:
    """The steps of ``a``'s network, in order; SpecError if a module cannot get its name."""
    shapes = {INPUT: a.input_shape, **{r.name: r.output_shape for r in a.layers}}
    last_use = {}
    for i, node in enumerate(a.network.nodes):
        for ref in node.inputs:
            last_use[ref] = i
    output = a.layers[-1].name
    steps, owners, errors = [], {}, []
    for i, node in enumerate(a.network.nodes):
        p = node.layer.torch([shapes[ref] for ref in node.inputs], shapes[node.name])
        modules = []
        if p.pre:
            modules.append((f"{node.name}_{p.pre[0]}", p.pre[1]))
        if p.main:
            modules.append((node.name, p.main))
        if p.post:
            modules.append((f"{node.name}_{p.post[0]}", p.post[1]))
        free = tuple(ref for ref in dict.fromkeys(node.inputs)
                     if last_use[ref] == i and ref != output)
        steps.append(Step(node.name, node.inputs, p.combine, tuple(modules), free))
        errors += _claim(node, [path for path, _ in modules], owners)
    if errors:
        raise SpecError(errors)
    return steps


def _claim(node: Node, paths: list[str], owners: dict[str, Node]) -> list[Diagnostic]:
    """Each module needs a path of its own that PyTorch can hold. The builder checks layer
    names; the modules a layer adds (``c_relu`` for ``activation: relu``) can still meet
    another layer's name, and one would silently replace the other."""
    found = []
    for path in paths:
        first = owners.setdefault(path, node)
        if first is not node:
            found.append(Diagnostic(
                "error", f"its PyTorch module would be named '{path}', which {first.describe()} "
                "already uses", node.where("name"), node.describe(),
                hint="rename one of the two layers; `activation:` adds a module "
                     "<layer>_<activation>, one-sided padding a module <layer>_pad"))
        reason = _unusable(path)
        if reason:
            found.append(Diagnostic("error", f"'{path}' cannot name a PyTorch module: {reason}",
                                    node.where("name"), node.describe(),
                                    hint="choose another name"))
    return found


def _unusable(path: str) -> str | None:
    """Why PyTorch cannot hold a module at ``path`` (None when it can)."""
    parts = path.split(".")
    for part in parts:
        if part.startswith("_"):
            return "PyTorch keeps its own attributes under names that start with '_'" + (
                f" ('{part}')" if part != path else "")
    for part in parts[1:]:
        if part in CONTAINER_METHODS:
            return (f"dotted names live in an nn.ModuleDict, whose method '{part}' the name "
                    "would hide")
    return None


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
