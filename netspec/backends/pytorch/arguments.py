"""The constructor arguments of the emitted classes: what differs between a class's instances.

One class serves every instance of a block (``Bottleneck`` for all of ResNet-50's bottlenecks),
so each value in its modules that is not the same in every instance (a conv's channels, a
stride) becomes a parameter of its ``__init__``. A parameter is named after what it is, tried
in order: a parameter of the block whose value it equals in every instance (``width``, with the
block's default), the channels of the block's input (``in_channels``), else the module and
argument it sets (``conv1_stride``). Values the same everywhere stay literals, as a person would
write them. Pure data and no torch: the emitter formats the result.
"""
from __future__ import annotations

import keyword
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ...core.shapes import Shape
from ...layers.base import TorchCall
from .plan import Scope, Step, scopes

# The window settings PyTorch broadcasts from one number to every spatial axis.
PER_AXIS = frozenset({"kernel_size", "stride", "padding", "dilation", "output_padding"})
IN_CHANNELS = "in_channels"
NO_DEFAULT = object()
Slot = tuple  # where a value sits: (child name, "arg", 0) or (child, "kw", "stride", ...)


@dataclass(frozen=True)
class Param:
    """A constructor parameter: ``name`` in the class's slots, reads this value in the source."""

    name: str


@dataclass
class ClassArgs:
    """A class's parameters (in order, with their defaults) and what fills each slot."""

    params: list[tuple[str, object]] = field(default_factory=list)  # (name, default|NO_DEFAULT)
    slots: dict[Slot, object] = field(default_factory=dict)  # slot -> Param or a literal
    values: dict[int, dict[str, object]] = field(default_factory=dict)  # id(scope) -> arguments


def class_arguments(root: Scope, shapes: Mapping[str, Shape], reserved: set[str]
                    ) -> dict[str, ClassArgs]:
    """Every class's arguments, inner classes first (an outer class passes values on to them).
    ``reserved``: names a parameter must not take (the file's classes and imports)."""
    instances: dict[str, list[Scope]] = {}
    for scope in scopes(root):
        if scope.class_name is not None:
            instances.setdefault(scope.class_name, []).append(scope)
    enclosing = dict(_enclosing_blocks(root, None))
    done: dict[str, ClassArgs] = {}
    for name in sorted(instances, key=lambda n: _height(instances[n][0])):
        group = instances[name]
        done[name] = _infer(group, [dict(_slots(s, done)) for s in group],
                            [_candidates(s, enclosing.get(id(s)), shapes) for s in group],
                            reserved)
    return done


def slots(scope: Scope, done: Mapping[str, ClassArgs]) -> dict[Slot, object]:
    """The values of one scope's slots (the network's, whose class has no parameters)."""
    return dict(_slots(scope, done))


def _height(scope: Scope) -> int:
    """1 + the height of the classes inside: inner classes are settled first."""
    inner = [_height(item) for item in scope.items if isinstance(item, Scope)]
    return max(inner, default=0) + (scope.class_name is not None)


def _enclosing_blocks(scope: Scope, block: Scope | None) -> Iterator[tuple[int, Scope | None]]:
    """Each scope and the nearest block instance around or at it (whose parameters name it)."""
    for item in scope.items:
        if isinstance(item, Scope):
            here = item if item.use is not None else block
            yield id(item), here
            yield from _enclosing_blocks(item, here)


def _slots(scope: Scope, done: Mapping[str, ClassArgs], prefix: tuple = ()
           ) -> Iterator[tuple[Slot, object]]:
    """(slot, value) for every constructor value in a scope: its modules' arguments, an inline
    Sequential's contents, and the arguments its inner classes are built with."""
    for item in scope.items:
        if isinstance(item, Step):
            for path, call in item.modules:
                yield from _call_slots(call, prefix + (scope.local(path),))
        elif item.class_name is None:
            yield from _slots(item, done, prefix + (scope.local(item.path),))
        else:
            for pname, value in done[item.class_name].values[id(item)].items():
                yield prefix + (scope.local(item.path), "param", pname), value


def _call_slots(call: TorchCall, at: tuple) -> Iterator[tuple[Slot, object]]:
    for i, v in enumerate(call.args):
        yield from (_call_slots(v, at + ("arg", i)) if isinstance(v, TorchCall)
                    else [(at + ("arg", i), v)])
    for k, v in call.kwargs.items():
        yield from (_call_slots(v, at + ("kw", k)) if isinstance(v, TorchCall)
                    else [(at + ("kw", k), v)])


def _candidates(scope: Scope, block: Scope | None, shapes: Mapping[str, Shape]
                ) -> dict[str, tuple[object, object]]:
    """The names a varying value may take here, with (value, default): the enclosing block's
    parameters, in the order declared, then the channels of the scope's input."""
    found: dict[str, tuple[object, object]] = {}
    if block is not None and block.use is not None:
        for k, v in block.use.arguments.items():
            default = block.use.defaults.get(k, NO_DEFAULT) if block is scope else NO_DEFAULT
            found[k] = (_normal(v), _normal(default))
    if len(scope.inputs) == 1 and IN_CHANNELS not in found:
        found[IN_CHANNELS] = (shapes[scope.inputs[0]][0], NO_DEFAULT)
    return found


def _infer(group: Sequence[Scope], values: list[dict[Slot, object]],
           candidates: list[dict[str, tuple[object, object]]], reserved: set[str]
           ) -> ClassArgs:
    """Name the slots that differ between the instances; keep the others as literals."""
    out = ClassArgs()
    names = list(candidates[0])
    chosen: dict[str, object] = {}  # parameter -> its default
    by_vector: dict[tuple, str] = {}  # a fallback parameter per distinct vector of values
    taken = set(reserved) | {"self"}
    for slot, first in values[0].items():
        vector = tuple(v[slot] for v in values)
        if all(same(first, x) for x in vector):
            out.slots[slot] = first
            continue
        name = next((n for n in names if all(
            _matches(c[n][0], v[slot], slot) for c, v in zip(candidates, values))), None)
        if name is not None and _usable(name, taken | set(by_vector.values())):
            chosen.setdefault(name, candidates[0][name][1])
        else:
            key = tuple(map(repr, vector))
            name = by_vector.get(key) or _fallback(slot, taken | set(chosen) | set(names))
            by_vector[key] = name
            chosen.setdefault(name, NO_DEFAULT)
        out.slots[slot] = Param(name)
    order = sorted(chosen, key=lambda n: (chosen[n] is not NO_DEFAULT, n != IN_CHANNELS,
                                          names.index(n) if n in names else len(names)))
    out.params = [(n, chosen[n]) for n in order]
    for scope, cand, vals in zip(group, candidates, values):
        out.values[id(scope)] = {n: cand[n][0] if n in cand else _slot_value(out, vals, n)
                                 for n in order}
    return out


def _slot_value(args: ClassArgs, values: dict[Slot, object], name: str) -> object:
    """A fallback parameter's value in one instance: that of the slots it fills."""
    slot = next(s for s, p in args.slots.items() if p == Param(name))
    return _compact(slot, values[slot])


def _matches(candidate: object, value: object, slot: Slot) -> bool:
    """A candidate's value fills a slot if it is the same, or the same once a window setting's
    per-axis tuple is written as one number (``(3, 3)`` as ``3``: PyTorch broadcasts it)."""
    return same(candidate, value) or same(candidate, _compact(slot, value))


def _compact(slot: Slot, value: object) -> object:
    if slot[-2] == "kw" and slot[-1] in PER_AXIS and isinstance(value, tuple) and value \
            and len(set(value)) == 1:
        return value[0]
    return value


def same(a: object, b: object) -> bool:
    """Equal and of one type all the way down: ``True`` is not ``1``, nor ``1.0``."""
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def _normal(value: object) -> object:
    """A spec value as a constructor argument: lists as tuples."""
    if isinstance(value, list):
        return tuple(_normal(v) for v in value)
    return value


def _usable(name: str, taken: set[str]) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name) and name not in taken


def _fallback(slot: Slot, taken: set[str]) -> str:
    """``conv1_stride`` for a keyword, ``fc_arg0`` for a positional argument."""
    words = [f"arg{p}" if i and slot[i - 1] == "arg" else str(p)
             for i, p in enumerate(slot) if p not in ("arg", "kw", "param")]
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in "_".join(words))
    if not name or not name[0].isalpha() or keyword.iskeyword(name):
        name = "arg_" + name
    while name in taken:
        name += "_"
    return name
