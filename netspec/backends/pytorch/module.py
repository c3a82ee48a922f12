"""Compile a spec to a real ``torch.nn.Module``.

The module is nested as the plan's scopes are (:mod:`.plan`): a block instance is a module of
its block's class (``Bottleneck``), a chain named group an ``nn.Sequential``, and its layers'
modules are its children, so ``state_dict`` keys are the spec's dotted names (for the zoo,
torchvision's), forward hooks fire on every level and ``model.layer1(x)`` runs one stage. A
scope's forward runs its items over a fixed tuple with dict lookups, which
``torch.compile(fullgraph=True)`` and ``torch.export`` trace.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import torch
from torch import nn

from ...analysis import CheckedNetwork
from ...graph.network import INPUT
from ...layers.base import TorchCall
from . import extra_modules
from .plan import SEQUENTIAL, Scope, Step, module_tree, reads, writes


def build_module(a: CheckedNetwork) -> CompiledNetwork:
    """The checked network as an ``nn.Module`` with freshly initialised weights."""
    return CompiledNetwork(a)


def build_call(call: TorchCall) -> nn.Module:
    """One TorchCall as a module (torch.nn's, or netspec's own); a Sequential's named children
    are built in order."""
    if call.cls == "Sequential" and call.kwargs:
        children = OrderedDict((k, build_call(v)) for k, v in call.kwargs.items())
        return nn.Sequential(children)
    return getattr(extra_modules if call.own else nn, call.cls)(*call.args, **call.kwargs)


class _Runner(nn.Module):
    """A module whose forward runs a scope's items: each item's modules (looked up by name on
    every call, so a replaced submodule is the one that runs) on the values it reads."""

    _inputs: tuple[str, ...]
    _outputs: tuple[str, ...]
    _program: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...]

    def _load(self, scope: Scope) -> None:
        for name, module in _children(scope).items():
            self.add_module(name, module)
        self._inputs, self._outputs = scope.inputs, scope.outputs
        self._program = _program(scope)

    def _run(self, inputs: tuple[torch.Tensor, ...]) -> Any:
        modules: Any = self._modules  # Module | None values for mypy; here all Modules
        values = dict(zip(self._inputs, inputs))
        for children, needs, results, free in self._program:
            if children:
                h = modules[children[0]](*[values[ref] for ref in needs])
                for child in children[1:]:
                    h = modules[child](h)
            else:  # a layer that is the identity at run time
                h = values[needs[0]]
            if len(results) == 1:
                values[results[0]] = h
            else:
                values.update(zip(results, h))
            for name in free:  # let memory go as soon as nothing reads it
                del values[name]
        if len(self._outputs) == 1:
            return values[self._outputs[0]]
        return tuple(values[name] for name in self._outputs)


class Block(_Runner):
    """A block instance or a named group that is not a plain chain. Each block definition gets
    a subclass of its own name (:func:`block_class`), so torchinfo and ``repr`` show
    ``Bottleneck``. It takes the values it reads (usually one) and returns those later layers
    read of it (usually its last)."""

    def __init__(self, scope: Scope):
        super().__init__()
        self._load(scope)

    def forward(self, *inputs: torch.Tensor) -> Any:
        return self._run(inputs)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return _rebuild, (type(self).__name__, Block), self.__dict__


class SequentialBlock(nn.Sequential):
    """A block that is a chain of numbered children (``sequential: true``), as torchvision's
    ``Conv2dNormActivation`` is an ``nn.Sequential``; subclassed per block like :class:`Block`."""

    def __reduce_ex__(self, protocol: Any) -> Any:
        return _rebuild, (type(self).__name__, SequentialBlock), self.__dict__


_CLASSES: dict[tuple[str, type], type] = {}


def block_class(name: str, base: type) -> type:
    """The class named ``name`` (a block's, ``Bottleneck``), a subclass of ``base``; made once
    per process. Pickling (``torch.save(model)``, ``copy.deepcopy``) finds it again by name."""
    key = (name, base)
    if key not in _CLASSES:
        _CLASSES[key] = type(name, (base,), {"__doc__": base.__doc__,
                                             "__module__": base.__module__})
    return _CLASSES[key]


def _rebuild(name: str, base: type) -> nn.Module:
    cls: Any = block_class(name, base)
    return cls.__new__(cls)


def _build_scope(scope: Scope) -> nn.Module:
    """A scope as its module: an inline nn.Sequential, a sequential block, or a Block."""
    if scope.style == SEQUENTIAL:
        children = _children(scope)
        if scope.class_name is None:
            return nn.Sequential(children)
        return block_class(scope.class_name, SequentialBlock)(children)
    assert scope.class_name is not None  # every non-inline scope has a class
    return block_class(scope.class_name, Block)(scope)


def _children(scope: Scope) -> OrderedDict[str, nn.Module]:
    """The scope's child modules by their names in it, in the order they run."""
    children: OrderedDict[str, nn.Module] = OrderedDict()
    for item in scope.items:
        if isinstance(item, Step):
            for path, call in item.modules:
                children[scope.local(path)] = build_call(call)
        else:
            children[scope.local(item.path)] = _build_scope(item)
    return children


def _program(scope: Scope) -> tuple:
    """Per item: its child modules' names, the values it reads and writes, and the values no
    later item of the scope reads (a value nothing reads is freed at once)."""
    last: dict[str, int] = {}
    for k, item in enumerate(scope.items):
        for ref in reads(item):
            last[ref] = k
    program = []
    for k, item in enumerate(scope.items):
        names = (tuple(scope.local(p) for p, _ in item.modules) if isinstance(item, Step)
                 else (scope.local(item.path),))
        done = [ref for ref in dict.fromkeys(reads(item)) if last[ref] == k]
        done += [w for w in writes(item) if w not in last]
        program.append((names, reads(item), writes(item),
                        tuple(v for v in done if v not in scope.outputs)))
    return tuple(program)


class CompiledNetwork(_Runner):
    """A spec's network. ``layer_outputs(x)`` gives every layer's output, for inspection."""

    def __init__(self, analysis: CheckedNetwork):
        super().__init__()
        self.spec_name = analysis.name
        self.input_shape = tuple(analysis.input_shape)
        tree = module_tree(analysis)
        self._load(tree.root)
        self._steps = tuple(tree.steps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._run((x,))

    def layer_outputs(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every tensor by name, seen by forward hooks on each layer's last module while
        ``forward`` runs (a layer without modules passes its input on): each layer's output (a
        split's, its parts joined over the channels) and each part of a split (``halves.0``). It
        runs every activation out of place, so that no layer's output is overwritten."""
        seen: dict[str, torch.Tensor] = {}
        hooks = [self.get_submodule(step.modules[-1][0]).register_forward_hook(
                     partial(_keep, seen, step.name))
                 for step in self._steps if step.modules]
        try:
            with _not_in_place(self):
                self(x)
        finally:
            for hook in hooks:
                hook.remove()
        values = {INPUT: x}
        for step in self._steps:
            h = seen[step.name] if step.modules else values[step.inputs[0]]
            if step.parts:
                values.update(zip(step.parts, h))
                h = torch.cat(tuple(h), dim=1)
            values[step.name] = h
        return values


@contextmanager
def _not_in_place(model: nn.Module) -> Iterator[None]:
    """While on, no activation runs in place: each layer's output is then its own tensor, which
    the next layer leaves as it was (and a gradient taken with respect to it, as Grad-CAM
    takes one, is the layer's). The outputs are the same, bit for bit."""
    found = [m for m in model.modules() if getattr(m, "inplace", False)]
    for m in found:
        setattr(m, "inplace", False)  # noqa: B010 (nn.Module types its attributes as modules)
    try:
        yield
    finally:
        for m in found:
            setattr(m, "inplace", True)  # noqa: B010


def _keep(seen: dict[str, torch.Tensor], name: str, module: nn.Module, args: Any,
          output: torch.Tensor) -> None:
    seen[name] = output
