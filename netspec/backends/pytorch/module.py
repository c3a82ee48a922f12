"""Compile a spec to a real ``torch.nn.Module``.

Submodules are named after the spec's layers, nested like PyTorch's own module paths
(``layer1.0.conv1`` lives in ``ModuleDict``s), so ``state_dict`` keys are stable, readable and,
for the zoo, torchvision's. ``forward`` runs the shared plan (:mod:`.plan`): no Python beyond
a loop over a fixed tuple, which ``torch.compile(fullgraph=True)`` and ``torch.export`` trace.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch
from torch import nn

from ...analysis import CheckedNetwork
from ...graph.network import INPUT
from ...layers.base import TorchCall
from . import extra_modules
from .plan import Step, plan


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


class CompiledNetwork(nn.Module):
    """A spec's network. ``layer_outputs(x)`` gives every layer's output, for inspection."""

    def __init__(self, analysis: CheckedNetwork):
        super().__init__()
        self.spec_name = analysis.name
        self.input_shape = tuple(analysis.input_shape)
        steps = plan(analysis)
        for step in steps:
            for path, call in step.modules:
                self._attach(path, build_call(call))
        # Paths, not the modules themselves: a submodule replaced after building (a new
        # classifier head, `model.fc = nn.Linear(...)`) is the one that runs.
        self._steps = tuple((step, tuple(tuple(path.split(".")) for path, _ in step.modules))
                            for step in steps)
        self._output = analysis.layers[-1].name

    def _attach(self, path: str, module: nn.Module) -> None:
        """Register ``module`` at a dotted path, creating ModuleDict containers on the way.
        The checker has made sure that no name shadows an attribute or another module."""
        parent: Any = self  # nn.Module._modules holds Module | None, and these are all Modules
        *outer, leaf = path.split(".")
        for part in outer:
            if part not in parent._modules:
                parent.add_module(part, nn.ModuleDict())
            parent = parent._modules[part]
        parent.add_module(leaf, module)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(x, keep=False)[self._output]

    def layer_outputs(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every tensor by name, from the same code path as ``forward``: each layer's output
        (a split's, its parts joined) and each part of a split (``halves.0``)."""
        return self._run(x, keep=True)

    def _run(self, x: torch.Tensor, keep: bool) -> dict[str, torch.Tensor]:
        values = {INPUT: x}
        for step, paths in self._steps:
            h = _merge(step, values)
            for path in paths:
                h = self._submodule(path)(h)
            if step.parts:  # a split: later steps read its parts; inspection sees them joined
                values.update(zip(step.parts, h))
                if keep:
                    values[step.name] = torch.cat(tuple(h), dim=1)
            else:
                values[step.name] = h
            if not keep:
                for name in step.free:  # let memory go as soon as nothing reads it
                    del values[name]
        return values

    def _submodule(self, path: tuple[str, ...]) -> nn.Module:
        """The module at ``path`` now; plain dict lookups, which torch.compile traces."""
        module: Any = self  # (as in _attach)
        for part in path:
            module = module._modules[part]
        return module


def _merge(step: Step, values: dict[str, torch.Tensor]) -> torch.Tensor:
    if step.combine == "cat":
        return torch.cat([values[ref] for ref in step.inputs], dim=1)
    h = values[step.inputs[0]]
    if step.combine == "sum":
        for ref in step.inputs[1:]:
            h = h + values[ref]
    elif step.combine == "product":
        for ref in step.inputs[1:]:
            h = h * values[ref]
    return h
