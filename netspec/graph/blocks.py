"""Reusable blocks: a list of layers with ``$parameters``, defined once under ``blocks:``.

A block is used like a kind (``- bottleneck: {width: 64, stride: 2}``). Binding checks the
arguments against the block's parameters; substitution replaces every ``$name`` in a copy of
its layers. ``$input`` is left for the scope to resolve: it names what feeds the block.
"""
from __future__ import annotations

from typing import Any

from ..layers import did_you_mean
from ..reading.document import REQUIRED, BlockDef
from .scope import BLOCK_INPUT

MAX_BLOCK_DEPTH = 16


class BindError(Exception):
    def __init__(self, message: str, key: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message, self.key, self.hint = message, key, hint


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


def _resolve_defaults(name: str, block: BlockDef, values: dict[str, Any],
                      pending: list[str]) -> None:
    """Defaults that name another parameter (``b: $a``), chains included: each waits until its
    target has a value, so the result does not depend on the order they are written in."""
    for key in pending:
        target = values[key][1:]
        if target not in block.params:
            raise BindError(f"block '{name}': the default of '{key}' is ${target}, which is not "
                            "one of its parameters",
                            hint=f"declare {target!r} under params, with a value or `required`")
    while pending:
        ready = [k for k in pending if values[k][1:] not in pending]
        if not ready:
            raise BindError(f"block '{name}': the defaults of {', '.join(map(repr, pending))} "
                            "name each other in a circle", hint="give one of them a value")
        for key in ready:
            values[key] = values[values[key][1:]]
        pending = [k for k in pending if k not in ready]


def _is_ref(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("$") and value != BLOCK_INPUT


def substitute(data: Any, values: dict[str, Any], unknown: list[str]) -> Any:
    """A copy of ``data`` with each ``$name`` replaced; names not in ``values`` go to
    ``unknown``."""
    if isinstance(data, str) and data.startswith("$") and data != BLOCK_INPUT:
        if data[1:] in values:
            return values[data[1:]]
        unknown.append(data)
        return data
    if isinstance(data, dict):
        return {k: substitute(v, values, unknown) for k, v in data.items()}
    if isinstance(data, list):
        return [substitute(v, values, unknown) for v in data]
    return data
