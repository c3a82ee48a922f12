"""What decides whether, how often and under which names an item is built: its ``if:``, and
the names of its copies (``denselayer{i}``, a group's child numbered ``3``).

torchvision names repeated modules ``denselayer1``, ``denselayer2`` and numbers a Sequential's
children (``features.3``); a template and a name of digits let a spec keep those names, so its
``state_dict`` keys are torchvision's.
"""
from __future__ import annotations

import functools
import string
from typing import Any, NamedTuple

from ..core.codes import declare
from ..reading.messages import describe

BAD_CONDITION = declare(
    "NS319", "bad-condition", "an `if:` that is not true or false",
    "`if:` makes a layer, a group or a block use optional: it is built when the condition is "
    "true and absent when false. Inside a block it is usually a parameter (`if: $expand`) or "
    "a comparison (`if: $stride == 1`); whatever it is must come out true or false.",
    "input: [1, 28, 28]\nlayers:\n  - relu: {if: 1}\n")
NUMBERED_NAME = declare(
    "NS320", "numbered-name", "a name of digits, or a name template, that cannot be used",
    "A group's children may be named with digits (`name: 3`) to keep torchvision's numbering "
    "of a Sequential (`features.3`): only children of a named group or sequential block, "
    "whose other children are numbered too. A repeated item's name may be a template: "
    "`{i}` counts copies from 1, `{i0}` from 0 (`name: denselayer{i}`); filled in, it must "
    "be a name of letters, digits and _.",
    "input: [1, 28, 28]\nlayers:\n  - relu: {name: 3}\n")

TEMPLATE_FIELDS = ("i", "i0")


class CopyNames(NamedTuple):
    """The local names of an item's copies (None: automatic), or the problem with them."""

    names: tuple[str | None, ...] = ()
    problem: str | None = None
    numbered: bool = False  # digits: only a numbered scope's child may have them
    special: bool = False  # a template or digits: the builder names the copies, not the kind

    @staticmethod
    @functools.lru_cache(maxsize=64)
    def automatic(copies: int) -> CopyNames:
        """The names of ``copies`` copies of an item without a name: all automatic."""
        return CopyNames((None,) * copies)

    @staticmethod
    def of(given: Any, copies: int) -> CopyNames:
        """The names of ``copies`` copies of an item named ``given``: a template filled in,
        digits counted on (``3``, ``4``), else ``name``, or ``name_1``, ``name_2``, ..."""
        if given is None:
            return CopyNames.automatic(copies)
        if isinstance(given, int) and not isinstance(given, bool) or (
                isinstance(given, str) and given.isascii() and given.isdigit()):
            first = int(given)
            return CopyNames(tuple(str(first + r) for r in range(copies)), numbered=True,
                             special=True)
        if isinstance(given, str) and "{" in given:
            return _filled(given, copies)
        if copies == 1 or not isinstance(given, str):
            return CopyNames((given,) * copies)
        return CopyNames(tuple(f"{given}_{r + 1}" for r in range(copies)))


def _filled(template: str, copies: int) -> CopyNames:
    try:
        fields = {f for _, f, spec, conv in string.Formatter().parse(template) if f is not None}
    except ValueError as e:
        return CopyNames(problem=f"the name template {template!r} cannot be read: {e}")
    if not fields <= set(TEMPLATE_FIELDS):
        wrong = sorted(fields - set(TEMPLATE_FIELDS))[0]
        return CopyNames(problem=f"the name template {template!r} has {{{wrong}}}; a template "
                                 "counts copies with {i} (from 1) or {i0} (from 0)")
    names = tuple(template.format(i=r + 1, i0=r) for r in range(copies))
    if names and not (names[0].isascii() and names[0].isidentifier()):
        return CopyNames(problem=f"the name template {template!r} gives {names[0]!r}, which is "
                                 "not a name of letters, digits and _")
    return CopyNames(names, special=True)


def condition_problem(value: Any) -> str | None:
    """Why an `if:` value cannot decide (None: it is true or false)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.startswith("$"):
        return (f"if: {value} is not a parameter here: `$name` stands for a block's parameter, "
                "inside the block's layers")
    return f"if: takes true or false, got {describe(value)}"


def pop_setting(item: dict, key: str, kind: str | None) -> tuple[dict, Any, tuple]:
    """The item without ``key``, the key's value and where it was written (beside the kind,
    or inside the kind's mapping, like ``repeat:``); the path is () when it is not there."""
    if key in item:
        return {k: v for k, v in item.items() if k != key}, item[key], (key,)
    inner = item.get(kind) if kind is not None else None
    if isinstance(inner, dict) and key in inner:
        return {**item, kind: {k: v for k, v in inner.items() if k != key}}, inner[key], \
            (kind, key)
    return item, None, ()
