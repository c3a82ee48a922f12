"""Hints for references that name no layer, within a bound on the work they cost.

A hint searches the names before the reference ("did you mean", the copies of a repeated name).
A hostile or broken spec may have 100,000 layers that each read a name that does not exist, so
the searches are bounded: the first few references get a hint, each from the names nearest
before it, and a repeated name's copies are looked up in an index made once.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import islice
from typing import Any

from ..layers import did_you_mean
from .network import INPUT

MAX_HINTS = 20  # references that get a hint searched for
NEAREST = 2_000  # the names before a reference that "did you mean" compares it with
_COPY = re.compile(r"(.+)_\d+")


class ReferenceHints:
    """What to suggest for a reference that names no layer; the names are a network's, in
    order, and ``seen`` those before the reference (a dict, in that order)."""

    def __init__(self, names: Iterable[str]):
        self.names = names
        self.copies: dict[str, list[str]] | None = None  # made on the first unknown reference
        self.left = MAX_HINTS

    def __call__(self, ref: str, seen: dict[str, Any]) -> str | None:
        """A split's parts, for a part it does not have; 'did you mean'; or the copies of a
        repeated name; or, for a name written inside a block that names a layer outside it,
        how to bring that layer in (a block's layers see only their own and $input). None
        once MAX_HINTS references had their search."""
        if self.left <= 0:
            return None
        self.left -= 1
        split = seen.get(ref.rpartition(".")[0])
        if split is not None and (count := split.layer.part_count()) > 1:
            return f"'{split.name}' is a split of {count} parts: {split.name}.0 to " \
                   f"{split.name}.{count - 1}"
        if self.copies is None:
            self.copies = {}
            for name in self.names:
                if m := _COPY.fullmatch(name):
                    self.copies.setdefault(m.group(1), []).append(name)
        copies = [n for n in self.copies.get(ref, []) if n in seen]
        if copies:
            return f"'{ref}' was repeated: its copies are '{copies[0]}' to '{copies[-1]}'"
        local = ref.rsplit(".", 1)[-1]
        if "." in ref and local in seen:
            return (f"'{local}' is outside the block, whose layers see only the block's own "
                    f"layers and $input: read it through the block's input (`input: {local}` "
                    "where the block is used)")
        nearest: list[str] = list(islice(reversed(seen), NEAREST))[::-1]
        return did_you_mean(ref, nearest + [INPUT])
