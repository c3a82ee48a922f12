"""Stable diagnostic codes: every error and warning netspec reports carries one (``NS401``, with
a name, ``empty-output``), and tools, rubrics and a layer's ``allow:`` refer to codes, never to
message text, so the wording can improve without breaking anyone.

A module declares the codes it raises beside the checks that raise them (a kind's own errors
in its module), each with a one-line summary, why it matters and how to fix it, and a spec that
produces it; this registry collects them for ``netspec check --explain`` and
docs/diagnostics.md. The hundreds say where a code comes from:
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

STAGES = {
    1: "reading the file (YAML, encoding, limits)",
    2: "settings (keys and values of the format)",
    3: "building the network (kinds, names, references, blocks, repeats)",
    4: "shapes (a layer's rule for its input)",
    5: "the whole network (unread layers, expectations, module names)",
    6: "design lints (valid, but probably not what was meant)",
    7: "grading rubrics",
}


class Code(NamedTuple):
    """One diagnostic code and its entry in the index."""

    id: str  # NS401
    name: str  # empty-output
    summary: str  # one line: what the diagnostic says is wrong
    explanation: str  # why it matters and how to fix it
    example: str | None  # a spec (YAML) that produces it; None where no small one can
    warning: bool = False  # a warning (a layer may `allow:` it), not an error

    @property
    def stage(self) -> str:
        return STAGES[int(self.id[2])]


CODES: dict[str, Code] = {}
# How a stage's examples are checked where they are not specs (a grading rubric's codes have
# rubrics as examples): ``check(text, file) -> diagnostics``, set by the package that reads them,
# which the index (netspec.reports) cannot import.
EXAMPLE_CHECKS: dict[int, Callable[[str, str], list[Any]]] = {}


def declare(id: str, name: str, summary: str, explanation: str,
            example: str | None = None, *, warning: bool = False) -> str:
    """Register a code and return its id, for the module's checks to raise with. A warning's
    code says so: a layer's ``allow:`` may name it (an error cannot be allowed)."""
    if id in CODES or any(c.name == name for c in CODES.values()):
        raise ValueError(f"diagnostic code {id} ({name}) is declared twice")
    if len(id) != 5 or not id.startswith("NS") or int(id[2]) not in STAGES:
        raise ValueError(f"{id}: codes are NS followed by three digits, the first a stage")
    CODES[id] = Code(id, name, summary, " ".join(explanation.split()), example, warning)
    return id


def lookup(word: str) -> Code | None:
    """A code by its id (any case) or its name."""
    word = word.strip()
    return CODES.get(word.upper()) or next((c for c in CODES.values() if c.name == word), None)
