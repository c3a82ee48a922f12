"""Reusable blocks: a list of layers with ``$parameters``, defined once under ``blocks:``.

A block is used like a kind (``- bottleneck: {width: 64, stride: 2}``). Binding checks the
arguments against the block's parameters; substitution replaces every ``$name`` in a copy of
its layers. ``$input`` is left for the scope to resolve: it names what feeds the block.
"""
from __future__ import annotations

import re
from typing import Any

from ..core.codes import declare
from ..layers import did_you_mean
from ..reading.document import REQUIRED, BlockDef
from .expressions import ExpressionError, evaluate, looks_like_expression, names_in
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
    """A default that is another parameter's value (``b: $a``); an expression (``$a * 2``) is
    worked out with the use's values instead."""
    return isinstance(value, str) and value != BLOCK_INPUT and re.fullmatch(
        r"\$[A-Za-z_][A-Za-z0-9_]*", value) is not None


class Substitution:
    """A copy of a block's layers with each ``$name`` replaced by the use's value and each
    expression worked out. Names that are not parameters go to ``unknown``; ``used`` gets the
    path (inside the layers) and parameter of each plain replacement, so that an error in the
    value is reported where the argument was written; ``failed`` the path, message and
    details of each expression that cannot be worked out."""

    def __init__(self, values: dict[str, Any]):
        self.values = values
        self.unknown: list[str] = []
        self.used: list[tuple[tuple, str]] = []
        self.failed: list[tuple[tuple, str, tuple[str, ...]]] = []

    def __call__(self, data: Any, at: tuple = ()) -> Any:
        if isinstance(data, str) and data.startswith("$") and data != BLOCK_INPUT and \
                not looks_like_expression(data):
            if data[1:] in self.values:
                self.used.append((at, data[1:]))
                return self.values[data[1:]]
            self.unknown.append(data)
            return data
        if looks_like_expression(data):
            return self.expression(data, at)
        if isinstance(data, dict):
            return {k: self(v, at + (k,)) for k, v in data.items()}
        if isinstance(data, list):
            return [self(v, at + (i,)) for i, v in enumerate(data)]
        return data

    def expression(self, text: str, at: tuple) -> Any:
        names = list(dict.fromkeys(names_in(text)))
        unknown = [n for n in names if "." not in n and n not in self.values]
        if unknown:
            self.unknown += [f"${n}" for n in unknown]
            return text
        try:
            return evaluate(text, self.values)
        except ExpressionError as e:
            shown = [f"${n} = {self.values[n]}" for n in names if n in self.values]
            cut = text.count("(") > text.count(")")  # YAML's flow mapping ended it at a comma
            self.failed.append((at, f"cannot work out `{text}`: {e}",
                                ((f"where {', '.join(shown)}",) if shown else ()) + ((
                                    "inside `{...}` a comma ends the value: quote the "
                                    "expression, or write the setting on a line of its own",)
                                    if cut else ())))
            return text


def expression_defaults(name: str, block: BlockDef, values: dict[str, Any],
                        args: dict[str, Any]) -> list[tuple[str, str]]:
    """Work out, in ``values``, the defaults that are expressions (``squeeze: $c // 4``),
    each over the other parameters; returns (parameter, message) for each that fails."""
    pending = [k for k in block.params if k not in args and looks_like_expression(values[k])]
    plain = {k: v for k, v in values.items() if k not in pending}
    failed = []
    for key in pending:
        sub = Substitution(plain)
        result = sub.expression(values[key], ())
        if sub.unknown:
            failed.append((key, f"block '{name}': the default of '{key}' reads "
                                f"{', '.join(sub.unknown)}, which is not a parameter with a "
                                "value of its own"))
        elif sub.failed:
            failed.append((key, sub.failed[0][1]))
        values[key] = result
    return failed


def reads_input_shape(block: BlockDef) -> bool:
    """Whether the block's settings read its input's shape (``$input.channels``): then each
    use is worked out with the shape of what feeds it."""
    return "$input." in repr(block.params) + repr(block.layers)
