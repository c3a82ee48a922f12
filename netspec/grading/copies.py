"""Submissions that are structurally identical: the same layers with the same settings, read the
same way, whatever their names, comments, key order or use of ``defaults:``. A list for the
instructor to look at, never a score."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ..graph.network import INPUT, Network
from ..layers.base import COMMON


def fingerprint(network: Network) -> str:
    """Equal for two networks that differ only in names and in how they are written: each
    layer is its kind, its settings (sorted, after defaults and short forms are applied) and
    which earlier layers it reads, by position."""
    position = {INPUT: 0} | {node.name: i + 1 for i, node in enumerate(network.nodes)}
    parts = [repr(network.input_shape)]
    for node in network.nodes:
        settings = sorted((k, v) for k, v in vars(node.layer).items() if k not in COMMON)
        parts.append(f"{node.kind} {settings!r} {[position[r] for r in node.inputs]}")
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()


def identical_groups(marked: Iterable[tuple[str, str | None]]) -> list[list[str]]:
    """Paths that share a fingerprint, in groups of two or more, in the order first seen."""
    groups: dict[str, list[str]] = {}
    for path, mark in marked:
        if mark is not None:
            groups.setdefault(mark, []).append(path)
    return [paths for paths in groups.values() if len(paths) > 1]
