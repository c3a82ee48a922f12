"""The compiled form of a network, as data both PyTorch backends share.

Each :class:`Step` says which modules a spec layer becomes (``post(main(pre(x)))``, named by
their dotted paths; a merging layer's first module is an ``Add``, ``Multiply`` or ``Concat``
that takes all its inputs), which earlier outputs it reads, and for a split the parts it
writes. The steps nest in :class:`Scope`\\ s, one per block instance and named group, as
torchvision nests its modules: a scope is a module whose forward runs its items (steps and
inner scopes) and returns what later layers read of it. A scope that is a plain chain is an
``nn.Sequential``; any other gets a class, one per block definition (``Bottleneck``), so hooks,
torchinfo and ``model.layer1(x)`` see every level. The in-memory module runs this tree; the
emitted source writes it out. One plan, so the two cannot disagree on names, classes or order.
"""
from __future__ import annotations

import keyword
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from ...analysis import CheckedNetwork, scope_path
from ...graph.module_names import modules
from ...graph.network import INPUT, BlockUse
from ...layers.base import TorchCall, TorchPlan

# The modules of merging layers, netspec's own as torch.nn lacks them (in .extra_modules, copied
# into the emitted source): they take all the layer's inputs, so a merge is a module like any
# other.
MERGES = {"sum": TorchCall("Add", own=True), "product": TorchCall("Multiply", own=True),
          "cat": TorchCall("Concat", own=True)}
# Names the emitted file itself uses at the top level, which no class may take (nor may the
# classes of netspec's own modules that the network uses: see own_classes).
FILE_NAMES = frozenset({"nn", "torch", "OrderedDict", "build"})

MODULE, SEQUENTIAL = "module", "sequential"  # a class with its own forward; an nn.Sequential


class Step(NamedTuple):
    name: str  # the spec layer, dotted inside blocks (layer1.0.conv1)
    # the values it reads at run time: all its inputs for a merge, else the first (a crop's
    # other input only gives the size it crops to, which its module already holds)
    inputs: tuple[str, ...]
    modules: tuple[tuple[str, TorchCall], ...]  # (dotted module path, call), applied in order
    # a layer of several parts (split): its modules give a tuple, whose tensors later steps
    # read by these names (halves.0, halves.1); the layer's own name is never read
    parts: tuple[str, ...] = ()


@dataclass(eq=False)
class Scope:
    """A block instance or named group as one module (the network itself: path '')."""

    path: str  # dotted (layer1.0); '' for the network
    use: BlockUse | None  # the block this is an instance of; None for a named group
    items: list[Item] = field(default_factory=list)
    inputs: tuple[str, ...] = ()  # the values it reads from outside, in the order first read
    outputs: tuple[str, ...] = ()  # the values it returns: what later layers read, and its last
    style: str = MODULE
    class_name: str | None = None  # None: an inline nn.Sequential (a chain named group)
    signature: tuple = ()  # its structure without argument values: instances alike share a class

    @property
    def leaf(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    def local(self, path: str) -> str:
        """A module path relative to this scope: its attribute name here."""
        return path[len(self.path) + 1:] if self.path else path


Item = Step | Scope


@dataclass(frozen=True)
class ModuleTree:
    """The whole plan: the network's scope, its class name, and every step in order."""

    root: Scope
    class_name: str
    steps: list[Step]


def reads(item: Item) -> tuple[str, ...]:
    return item.inputs


def writes(item: Item) -> tuple[str, ...]:
    """The values an item gives: a layer's output, a split's parts, a scope's outputs."""
    if isinstance(item, Step):
        return item.parts or (item.name,)
    return item.outputs


def plan(a: CheckedNetwork) -> list[Step]:
    """The steps of ``a``'s network, in order. The analysis has checked their module names."""
    shapes, in_place = a.shapes, a.in_place
    steps = []
    for node in a.network.nodes:
        p = node.layer.torch([shapes[ref] for ref in node.inputs], shapes[node.name])
        kind = node.layer.trailing_activation()
        if kind is not None and kind.runs_in_place:
            p = _with_inplace(p, node.layer.is_activation, node.name in in_place)
        found = modules(node.name, p)
        if p.combine:  # the merge takes the main module's place: after a pre-module, if any
            found.insert(1 if p.pre else 0, (node.name, MERGES[p.combine]))
        needs = node.inputs if p.combine else node.inputs[:1]
        steps.append(Step(node.name, needs, tuple(found), node.part_names))
    return steps


def _with_inplace(p: TorchPlan, standalone: bool, value: bool) -> TorchPlan:
    """The plan with its activation module's ``inplace`` said, True where the analysis runs it
    in place (:func:`netspec.analysis.inplace.in_place_layers`): the layer's own module, or
    its shortcut's. Said even when False, so that a block's instances that differ only there
    share one class (with ``inplace`` as an argument)."""
    if standalone:
        assert p.main is not None  # an activation layer is its module
        return replace(p, main=_inplace_call(p.main, value))
    assert p.post is not None  # the shortcut is the post-module
    return replace(p, post=(p.post[0], _inplace_call(p.post[1], value)))


def _inplace_call(call: TorchCall, value: bool) -> TorchCall:
    return replace(call, kwargs={**call.kwargs, "inplace": value})


def module_tree(a: CheckedNetwork) -> ModuleTree:
    """The steps nested in their blocks and groups, each scope's inputs, outputs and class."""
    steps = plan(a)
    root = Scope("", None, inputs=(INPUT,), outputs=(a.layers[-1].name,))
    open_ = [root]
    for step, record in zip(steps, a.layers):
        path = scope_path(record)  # the paths of its scopes, outermost first
        depth = 0  # how many of the open scopes (after the root) the layer is still in
        while depth < min(len(path), len(open_) - 1) and open_[depth + 1].path == path[depth]:
            depth += 1
        del open_[depth + 1:]
        for name in path[depth:]:
            scope = Scope(name, a.network.blocks.get(name))
            open_[-1].items.append(scope)
            open_.append(scope)
        open_[-1].items.append(step)
    _connect(root, steps, a.layers[-1].name)
    network = class_name(a.name)
    _name_classes(root, {network} | FILE_NAMES | own_classes(steps))
    return ModuleTree(root, network, steps)


def own_classes(steps: Sequence[Step]) -> set[str]:
    """The classes of netspec's own modules (``TorchCall.own``) that the steps use: the
    emitted file defines them at its top level."""
    return {c.cls for step in steps for _, call in step.modules for c in nested_calls(call)
            if c.own}


def nested_calls(call: TorchCall) -> list[TorchCall]:
    """A call and the calls nested in it (a Sequential's children)."""
    nested = [v for v in (*call.args, *call.kwargs.values()) if isinstance(v, TorchCall)]
    return [call] + [c for v in nested for c in nested_calls(v)]


def scopes(scope: Scope) -> Iterator[Scope]:
    """Every scope inside ``scope``, innermost first (children before their parents)."""
    for item in scope.items:
        if isinstance(item, Scope):
            yield from scopes(item)
            yield item


def _connect(root: Scope, steps: Sequence[Step], output: str) -> None:
    """Each scope's inputs (read inside, written before it) and outputs (written inside, read
    after it, plus its last value, which the parent frees if nothing reads it). A split's
    parts are values of their own: a part read outside a block is one of its outputs."""
    position = {w: i for i, step in enumerate(steps) for w in writes(step)}
    last_read: dict[str, int] = {output: len(steps)}
    for i, step in enumerate(steps):
        for ref in step.inputs:
            last_read[ref] = i

    def visit(scope: Scope) -> list[str]:  # the names written inside, in order
        written: list[str] = []
        for item in scope.items:
            written += visit(item) if isinstance(item, Scope) else list(writes(item))
        if scope is root:
            return written
        inside = set(written)
        scope.inputs = tuple(dict.fromkeys(
            ref for step in _steps(scope) for ref in step.inputs if ref not in inside))
        end = position[written[-1]]
        scope.outputs = tuple(n for n in written  # the last step's values: all a split's parts
                              if last_read.get(n, -1) > end or position[n] == end)
        return written

    visit(root)


def _steps(scope: Scope) -> Iterator[Step]:
    for item in scope.items:
        if isinstance(item, Scope):
            yield from _steps(item)
        else:
            yield item


def _name_classes(root: Scope, taken: set[str]) -> None:
    """A style and a class for every scope, innermost first. A chain named group is an inline
    ``nn.Sequential``; a chain block whose children are numbered (``sequential: true``, as
    torchvision's Conv2dNormActivation) a subclass of it; anything else a class with a forward.
    Instances of one block (or same-named groups) with the same structure share a class; one
    whose structure differs (a block parameter that adds a layer) gets a numbered variant."""
    classes: dict[tuple, str] = {}
    for scope in scopes(root):
        chain = _is_chain(scope)
        numbered = all(not scope.local(p).isidentifier() for p in _children(scope))
        inline = chain and scope.use is None
        scope.style = SEQUENTIAL if chain and (inline or numbered) else MODULE
        scope.signature = _signature(scope)
        if inline:
            continue
        base = scope.use.block if scope.use else scope.leaf
        key = (base, scope.signature)
        if key not in classes:
            classes[key] = _unique(class_name(base), taken)
        scope.class_name = classes[key]


def _children(scope: Scope) -> list[str]:
    """The paths of a scope's direct child modules, in order."""
    return [p for item in scope.items
            for p in ([path for path, _ in item.modules] if isinstance(item, Step)
                      else [item.path])]


def _is_chain(scope: Scope) -> bool:
    """Whether ``nn.Sequential`` runs the scope: one input, each item reading only the one
    value before it, and only the last value returned."""
    value = scope.inputs[0] if len(scope.inputs) == 1 else None
    for item in scope.items:
        if value is None or reads(item) != (value,) or len(writes(item)) != 1 or (
                isinstance(item, Step) and not item.modules):
            return False
        value = writes(item)[0]
    return scope.outputs == (value,)


def _signature(scope: Scope) -> tuple:
    """The scope's structure: its children's names, their classes or calls (without argument
    values), and which values each item reads, by position."""
    where: dict[str, tuple] = {name: ("in", i) for i, name in enumerate(scope.inputs)}
    parts = []
    for k, item in enumerate(scope.items):
        if isinstance(item, Step):
            body: tuple = ("step", tuple((scope.local(p), _call_shape(c)) for p, c in item.modules))
        else:
            body = ("scope", scope.local(item.path), item.style, item.class_name,
                    item.signature if item.class_name is None else ())
        parts.append((body, tuple(where[r] for r in reads(item)), len(writes(item))))
        where.update({w: ("item", k, j) for j, w in enumerate(writes(item))})
    return (scope.style, len(scope.inputs), tuple(parts),
            tuple(where[o] for o in scope.outputs))


def _call_shape(call: TorchCall) -> tuple:
    """A call without its values: its class, how many arguments, which keywords (nested calls,
    a Sequential's children, by their own shape)."""
    return (call.cls, len(call.args),
            tuple((k, _call_shape(v) if isinstance(v, TorchCall) else None)
                  for k, v in call.kwargs.items()))


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name2``, ``name3``, ... if it is taken; then taken."""
    n, found = 1, name
    while found in taken:
        n += 1
        found = f"{name}{n}"
    taken.add(found)
    return found


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
