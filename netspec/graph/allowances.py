"""A layer's ``allow:``: the warnings it expects, by code or name (``allow: [NS402]``,
``allow: ragged-window``), as SqueezeNet's 7x7/2 conv on 224 that does not tile. The analysis
leaves an allowed warning out, so ``--strict`` passes, and warns of an allowance that allows
nothing (:mod:`netspec.analysis.allowances`). Codes, not message text: wording may change."""
from __future__ import annotations

from typing import Any, NamedTuple

from ..core.codes import CODES, declare, lookup
from ..core.errors import Location
from ..layers import did_you_mean

BAD_ALLOW = declare(
    "NS322", "bad-allow", "`allow:` names no warning",
    "`allow:` takes a warning's code or name, or a list of them (`allow: [NS402]`, "
    "`allow: ragged-window`); `netspec check --explain all` lists them. An error cannot be "
    "allowed: it is a layer that does not work.",
    "input: [1, 28, 28]\nlayers:\n  - relu: {allow: NS999999}\n")


class Allowance(NamedTuple):
    """One warning a layer (or every layer of a group or block use) accepts, and where the
    ``allow:`` that says so is written."""

    code: str
    location: Location


Entry = tuple[int | None, str | None, str, str | None]


def allowed_codes(value: Any) -> list[Entry]:
    """For each entry of an ``allow:`` value: its index in the list (None for a single
    value), its code, and the problem and hint when it names no warning (else "")."""
    entries = value if isinstance(value, list) else [value]
    found: list[Entry] = []
    for i, entry in enumerate(entries):
        at = i if isinstance(value, list) else None
        code = lookup(entry) if isinstance(entry, str) else None
        if code is None:
            names = [c.id for c in CODES.values() if c.warning] + [
                c.name for c in CODES.values() if c.warning]
            found.append((at, None, f"`allow:` names no diagnostic: {entry!r}",
                          did_you_mean(str(entry), names) or
                          "give a warning's code (NS402) or name; --explain all lists them"))
        elif not code.warning:
            found.append((at, None, f"{code.id} ({code.name}) is an error, which cannot be "
                                    "allowed", "fix the layer; only warnings can be allowed"))
        else:
            found.append((at, code.id, "", None))
    return found
