"""Reusable blocks: a list of layers with ``$parameters``, defined once under ``blocks:``.

A block is used like a kind (``- bottleneck: {width: 64, stride: 2}``). Binding checks the
arguments against the block's parameters; substitution replaces every ``$name`` in a copy of
its layers. ``$input`` is left for the scope to resolve: it names what feeds the block.
"""
from __future__ import annotations

from typing import Any

from ..core.codes import declare
from ..layers import did_you_mean
from ..reading.document import REQUIRED, BlockDef
from .scope import BLOCK_INPUT

BLOCK_ARGUMENTS = declare(
    "NS308", "block-arguments", "a block's use gives arguments it does not take, or misses one",
    "A block is used with a mapping of its parameters' values: each key one of the "
    "parameters declared under `blocks: NAME: params:`, and every parameter whose default is "
    "`required` given.",
    "input: [1, 28, 28]\nblocks:\n  unit:\n    params: {width: required}\n"
    "    layers: [{conv: {filters: $width, kernel: 3}}]\nlayers:\n  - unit: {widht: 8}\n")
BLOCK_PARAMETER = declare(
    "NS309", "block-parameter", "a block's layers or defaults name a parameter it lacks",
    "Inside a block, `$name` stands for the value of the parameter `name`, declared under "
    "`params:` with a default or `required`. A default may name another parameter "
    "(`b: $a`), but not one that is not declared, and not in a circle.",
    "input: [1, 28, 28]\nblocks:\n  unit:\n    params: {width: 8}\n"
    "    layers: [{conv: {filters: $widht, kernel: 3}}]\nlayers: [unit]\n")

MAX_BLOCK_DEPTH = 16


class BindError(Exception):
    """A use's arguments do not bind: ``key`` is the argument at fault, ``default`` the
    parameter whose default is (then the mistake is in the block, not in the use)."""

    def __init__(self, message: str, key: str | None = None, hint: str | None = None,
                 code: str = BLOCK_ARGUMENTS, default: str | None = None):
        super().__init__(message)
        self.message, self.key, self.hint, self.code = message, key, hint, code
        self.default = default


def bind(name: str, block: BlockDef, args: dict[str, Any]) -> dict[str, Any]:
    """The parameter values of one use: its arguments over the block's defaults."""
    for key in args:
        if key not in block.params:
            raise BindError(f"block '{name}' has no parameter '{key}'", key,
                            did_you_mean(key, block.params) or
                            f"its parameters: {', '.join(block.params) or 'none'}")
    values = {**block.params, **args}
    missing = [k for k, v in values.items() if v == REQUIRED]
    if missing:
        raise BindError(f"block '{name}' needs {', '.join(repr(m) for m in missing)}",
                        hint=f"give `{missing[0]}: ...` where the block is used")
    _resolve_defaults(name, block, values, [k for k in block.params
                                            if k not in args and _is_ref(block.params[k])])
    return values


def literal_defaults(block: BlockDef) -> dict[str, Any]:
    """The parameters declared with a value of their own (not ``required``, not ``$other``)."""
    return {k: v for k, v in block.params.items() if v != REQUIRED and not _is_ref(v)}


def _resolve_defaults(name: str, block: BlockDef, values: dict[str, Any],
                      pending: list[str]) -> None:
    """Defaults that name another parameter (``b: $a``), chains included: each waits until its
    target has a value, so the result does not depend on the order they are written in."""
    for key in pending:
        target = values[key][1:]
        if target not in block.params:
            raise BindError(f"block '{name}': the default of '{key}' is ${target}, which is not "
                            "one of its parameters",
                            hint=f"declare {target!r} under params, with a value or `required`",
                            code=BLOCK_PARAMETER, default=key)
    while pending:
        ready = [k for k in pending if values[k][1:] not in pending]
        if not ready:
            raise BindError(f"block '{name}': the defaults of {', '.join(map(repr, pending))} "
                            "name each other in a circle", hint="give one of them a value",
                            code=BLOCK_PARAMETER, default=pending[0])
        for key in ready:
            values[key] = values[values[key][1:]]
        pending = [k for k in pending if k not in ready]


def value_sources(block: BlockDef, args: dict[str, Any]) -> dict[str, str]:
    """For each parameter of a use that binds, the parameter whose argument or default its
    value is: itself, or for a default that names another parameter (``b: $a``) the end of
    that chain. Errors in a value are reported where it was written."""
    found = {}
    for key in block.params:
        source = key
        while source not in args and _is_ref(block.params[source]):
            source = block.params[source][1:]  # bind() has refused circles and unknown names
        found[key] = source
    return found


def _is_ref(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("$") and value != BLOCK_INPUT


def substitute(data: Any, values: dict[str, Any], unknown: list[str],
               used: list[tuple[tuple, str]], at: tuple = ()) -> Any:
    """A copy of ``data`` with each ``$name`` replaced; names not in ``values`` go to
    ``unknown``, and ``used`` gets the path (inside ``data``) and name of each replacement."""
    if isinstance(data, str) and data.startswith("$") and data != BLOCK_INPUT:
        if data[1:] in values:
            used.append((at, data[1:]))
            return values[data[1:]]
        unknown.append(data)
        return data
    if isinstance(data, dict):
        return {k: substitute(v, values, unknown, used, at + (k,)) for k, v in data.items()}
    if isinstance(data, list):
        return [substitute(v, values, unknown, used, at + (i,)) for i, v in enumerate(data)]
    return data
