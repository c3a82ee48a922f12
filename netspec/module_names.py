"""The names a network's PyTorch modules take, checked by ``netspec check`` without torch.

A layer becomes the module of its own name and, for some kinds, parameterless helpers named
``<layer>_<suffix>`` (``c_relu`` for ``activation: relu``, ``c_pad`` for one-sided padding).
A helper can meet another layer's name, and then one module would silently replace the other.
The analysis reports that at the layer's line, so a spec that checks also compiles; the PyTorch
backends take the same names from :func:`modules`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from .errors import Diagnostic
from .graph import Node
from .layers.base import TorchCall, TorchPlan
from .shapes import Shape

HINT = ("rename one of the two layers; `activation:` adds a module <layer>_<activation>, "
        "one-sided padding a module <layer>_pad")


def modules(name: str, p: TorchPlan) -> list[tuple[str, TorchCall]]:
    """The (dotted module path, call) pairs of layer ``name``, in the order they run."""
    found = []
    if p.pre:
        found.append((f"{name}_{p.pre[0]}", p.pre[1]))
    if p.main:
        found.append((name, p.main))
    if p.post:
        found.append((f"{name}_{p.post[0]}", p.post[1]))
    return found


def clashes(nodes: Sequence[Node], shapes: Mapping[str, Shape]) -> list[Diagnostic]:
    """An error for each module path that a second layer would take.

    Layer names are unique (the builder sees to that), so two paths can only meet when one
    layer's name is another's followed by ``_``: only such layers' torch plans are asked for,
    which keeps a 10,000-layer check from building 10,000 plans.
    """
    stems = {p for node in nodes for p in _prefixes(node.name)} & {n.name for n in nodes}
    if not stems:
        return []
    involved = [node for node in nodes
                if node.name in stems or not stems.isdisjoint(_prefixes(node.name))]
    owners: dict[str, Node] = {}
    found = []
    for node in involved:
        p = node.layer.torch([shapes[ref] for ref in node.inputs], shapes[node.name])
        for path, _ in modules(node.name, p):
            first = owners.setdefault(path, node)
            if first is not node:
                found.append(Diagnostic(
                    "error", f"its PyTorch module would be named '{path}', which "
                    f"{first.describe()} already uses", node.where("name"), node.describe(),
                    hint=HINT))
    return found


def _prefixes(name: str) -> list[str]:
    """``a_b_c`` -> ``a``, ``a_b``: what the name is another name plus ``_...`` of."""
    return [name[:i] for i, c in enumerate(name) if c == "_"]
