"""Reusable blocks: a list of layers with ``$parameters``, defined once under ``blocks:``.

A block is used like a kind (``- bottleneck: {width: 64, stride: 2}``). Binding checks the
arguments against the block's parameters; substitution replaces every ``$name`` in a copy of
its layers. ``$input`` is left for the scope to resolve: it names what feeds the block.
"""
from __future__ import annotations

from typing import Annotated, Any

from .scope import BLOCK_INPUT
from .spec_model import Constrain, SpecModel, setting

REQUIRED = "required"
MAX_BLOCK_DEPTH = 16


class BlockDef(SpecModel):
    """``params`` maps each parameter to its default (``required`` for none)."""

    params: dict[str, Any] = setting(default_factory=dict)
    layers: Annotated[list[Any], Constrain(min_length=1)]
    description: str | None = None
    # like nn.Sequential (torchvision's Conv2dNormActivation): unnamed children are numbered
    sequential: bool = False


class BindError(Exception):
    def __init__(self, message: str, key: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message, self.key, self.hint = message, key, hint


def bind(name: str, block: BlockDef, args: dict[str, Any]) -> dict[str, Any]:
    """The parameter values of one use: its arguments over the block's defaults."""
    from .layers import did_you_mean

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
    for key in block.params.keys() - args.keys():  # a default may name another parameter
        ref = block.params[key]
        if isinstance(ref, str) and ref.startswith("$") and ref != BLOCK_INPUT:
            other = values.get(ref[1:])
            if ref[1:] not in block.params or (isinstance(other, str) and other.startswith("$")):
                raise BindError(f"block '{name}': the default of '{key}' is {ref}, which is not "
                                "another parameter with a value",
                                hint=f"declare {ref[1:]!r} under params, with a value or "
                                     "`required`")
            values[key] = other
    return values


def substitute(data: Any, values: dict[str, Any], unknown: list[str]) -> Any:
    """A copy of ``data`` with each ``$name`` replaced; names not in ``values`` go to ``unknown``."""
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
