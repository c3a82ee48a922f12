"""The explicit registry of layer kinds: the schema, the docs and "did you mean" read it."""
from __future__ import annotations

import difflib

from .base import Layer

KINDS: dict[str, type[Layer]] = {}


def register(cls: type[Layer]) -> type[Layer]:
    """Class decorator: add a kind, refusing a second kind of the same name."""
    if cls.kind in KINDS:
        raise ValueError(f"layer kind {cls.kind!r} is registered twice")
    KINDS[cls.kind] = cls
    return cls


def did_you_mean(word: str, choices) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
