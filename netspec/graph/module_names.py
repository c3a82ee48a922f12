"""The names a network's PyTorch modules take, and the rules they follow, checked without torch.

A layer becomes the module of its own name and, for some kinds, parameterless helpers named
``<layer>_<suffix>`` (``c_relu`` for ``activation: relu``, ``c_pad`` for one-sided padding,
``gap_flatten`` after global pooling). Blocks and groups become containers named by their path.
A name PyTorch already uses, or a helper that meets another layer's or container's name, would
make one module silently replace another. The builder checks layer names
(:func:`name_problem`) and the analysis checks helpers (:func:`clashes`), so a spec that checks
also compiles; the PyTorch backends name their modules with :func:`modules`.
"""
from __future__ import annotations

import keyword
from collections.abc import Iterable, Mapping, Sequence

from ..core.codes import declare
from ..core.errors import Diagnostic
from ..core.shapes import Shape
from ..layers.base import TorchCall, TorchPlan
from .network import INPUT, Node

RESERVED_NAME = declare(
    "NS312", "reserved-name", "a layer name that Python or PyTorch reserves",
    "Layer names become attributes of PyTorch modules, so a keyword (`class`), a name "
    "nn.Module already has (`forward`, `train`, `to`), one starting with `_`, or inside a "
    "block or group a method of nn.Sequential (`append`, `pop`) would break the compiled model.",
    "input: [1, 28, 28]\nlayers:\n  - relu: {name: forward}\n")
MODULE_NAME_CLASH = declare(
    "NS316", "module-name-clash", "a layer's helper module would take another layer's name",
    "Some layers become more than one module: `activation: relu` on conv `c` adds `c_relu`, "
    "one-sided padding adds `c_pad`. A layer named like such a helper would replace it. "
    "Rename one of the two.",
    "input: [1, 28, 28]\nlayers:\n  - conv: {filters: 8, kernel: 3, activation: relu, "
    "name: c}\n  - relu: {name: c_relu}\n")

# A chain block or group is an nn.Sequential, whose methods a layer's name inside would hide.
CONTAINER_METHODS = frozenset({"append", "extend", "insert", "pop"})
# Attributes of nn.Module, and of the compiled module, that a submodule's name would shadow;
# tests/backends/test_torch_backend.py checks this list against torch. `input` names the
# network's input.
RESERVED = frozenset({
    "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init", "children",
    "compile", "cpu", "cuda", "double", "dump_patches", "eval", "extra_repr", "float", "forward",
    "get_buffer", "get_extra_state", "get_parameter", "get_submodule", "half", "ipu",
    "load_state_dict", "modules", "mtia", "named_buffers", "named_children", "named_modules",
    "named_parameters", "parameters", "register_backward_hook", "register_buffer",
    "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
    "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_module", "register_parameter",
    "register_state_dict_post_hook", "register_state_dict_pre_hook", "requires_grad_",
    "set_extra_state", "set_submodule", "share_memory", "state_dict", "to", "to_empty", "train",
    "training", "type", "xpu", "zero_grad",
    "input_shape", "layer_outputs", "spec_name",  # netspec's CompiledNetwork
    INPUT})


# Python's keywords and the names above: no part of a dotted layer name may be one.
_NOT_A_PART = RESERVED | frozenset(keyword.kwlist)


def name_problem(name: str) -> tuple[str, str] | None:
    """(message, hint) when a layer cannot have this dotted name, else None. Asked of every
    layer, so each test is one set operation on the parts (a part starts with ``_`` exactly
    when the name does or holds ``._``)."""
    parts = name.split(".")
    if not _NOT_A_PART.isdisjoint(parts) or name.startswith("_") or "._" in name:
        return (f"'{name}' cannot be a layer name (it is reserved in Python or PyTorch)",
                "choose another name; names starting with '_' are PyTorch's own")
    if len(parts) == 1 or CONTAINER_METHODS.isdisjoint(parts[1:]):
        return None
    hidden = sorted(set(parts[1:]) & CONTAINER_METHODS)
    if hidden:
        return (f"'{name}' cannot be a layer name: inside a block or group, layers can live in "
                f"an nn.Sequential, whose method '{hidden[0]}' it would hide",
                "choose another name")
    return None


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
    """An error for each helper module whose path another layer or a container already takes.

    Layer and container names are unique (the builder sees to that), and a helper's path is its
    layer's name plus ``_suffix``. So a clash needs a name that starts with a layer's name plus
    ``_``: only the layers involved in such a pair are asked for their torch plans, which keeps a
    10,000-layer check from building 10,000 plans.
    """
    containers = container_names(n.name for n in nodes)
    taken = {n.name for n in nodes} | containers
    prefixes = {name: _prefixes(name) for name in taken}
    stems = {p for ps in prefixes.values() for p in ps} & {n.name for n in nodes}
    involved = [n for n in nodes if n.name in stems or not stems.isdisjoint(prefixes[n.name])]
    owners: dict[str, Node] = {}
    found = []
    for node in involved:
        p = node.layer.torch([shapes[ref] for ref in node.inputs], shapes[node.name])
        for path, _ in modules(node.name, p):
            first = owners.setdefault(path, node)
            user = (first.describe() if first is not node else
                    f"the block or group '{path}'" if path in containers else None)
            if user:
                helper = first if path == node.name else node  # whose name + suffix it is
                found.append(Diagnostic(
                    "error", f"its PyTorch module would be named '{path}', which {user} already "
                    "uses", node.where("name"), node.describe(),
                    hint=f"rename one of the two: a layer's helper modules take its name plus a "
                         f"suffix (here '{path[len(helper.name):]}')", code=MODULE_NAME_CLASH))
    return found


def container_names(names: Iterable[str]) -> set[str]:
    """The blocks and groups that dotted layer names are in: every dotted prefix of each
    (``layer1.0.conv1``: ``layer1.0`` and ``layer1``). A prefix already found has its own
    prefixes found too, so each name is walked up only to the first one known."""
    found: set[str] = set()
    for name in names:
        while "." in name:
            name = name.rpartition(".")[0]
            if name in found:
                break
            found.add(name)
    return found


def _prefixes(name: str) -> list[str]:
    """``a_b_c`` -> ``a``, ``a_b``: what the name is another name plus ``_...`` of."""
    if "_" not in name:  # most names: the fast way out
        return []
    return [name[:i] for i, c in enumerate(name) if c == "_"]
