"""What a diagram draws and where its parts go, as plain data (no graphviz here).

:func:`boxes` folds the network to a depth as the report does (``reports.rows.fold_group``): a
block or group N levels down becomes one box with its totals. :func:`links` are the edges
between boxes, each with the shape of the tensor it carries. :func:`cut` cuts the boxes'
top-level sequence (layers, and whole top-level blocks and groups) into segments laid side by
side, so that a deep network fits the shape of a slide: the number of segments is the one
whose estimated drawing is closest to 16:9, cutting where one tensor alone passes if it can.
The estimate only chooses the cut; the renderer checks the real size.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..analysis import CheckedNetwork, GroupRecord, LayerRecord
from ..core.shapes import Shape
from ..graph.network import INPUT
from ..reports.rows import fold_group

INPUT_ID, OUTPUT_ID = "__input__", "__output__"  # never a layer name: those are identifiers
SLIDE = 16 / 9  # the aspect ratio wrapping aims for
MAX_SEGMENTS = 12
# Sizes in inches, measured on netspec's own drawings (Helvetica 12 pt headers, 10 pt names,
# ranksep 0.3): what a rank adds in height, a character in width, a cluster around its boxes.
RANK_HEIGHT, BOX_HEIGHT, CHAR_WIDTH, BOX_PAD = 0.95, 0.6, 0.085, 0.35
NODE_GAP, SEGMENT_GAP, CLUSTER_PAD = 0.35, 0.5, 0.3


@dataclass(frozen=True)
class Box:
    """One node of the drawing: a layer, or a folded block or group."""

    id: str  # L<index> for a layer, G<first index> for a folded group
    record: LayerRecord | GroupRecord
    clusters: tuple[str, ...]  # the groups drawn around it, outermost first
    contents: str = ""  # a folded one: its block's name, or the blocks a group holds


@dataclass(frozen=True)
class Link:
    source: str  # box ids (or INPUT_ID, OUTPUT_ID)
    target: str
    shape: Shape


def boxes(a: CheckedNetwork, depth: int | None) -> tuple[list[Box], dict[str, str]]:
    """The boxes in order, and the box each layer is drawn in (by layer name)."""
    groups = {g.name: g for g in a.groups()}
    found: list[Box] = []
    owner = {INPUT: INPUT_ID}
    for r in a.layers:
        folded = fold_group(r, depth)
        if folded is None:
            found.append(Box(f"L{r.index}", r, r.group))
            owner[r.name] = found[-1].id
            continue
        g = groups[folded]
        if g.first == r.index:
            found.append(Box(f"G{g.first}", g, r.group[:r.group.index(folded)],
                             _contents(a, g.name)))
        owner[r.name] = f"G{g.first}"
    return found, owner


def _contents(a: CheckedNetwork, name: str) -> str:
    """What a folded box is: a block's name (``bottleneck``), or for a group the blocks right
    inside it (``bottleneck_down + 2 bottleneck``), else ``group``."""
    if name in a.network.blocks:
        return a.network.blocks[name].block
    inside = [use.block for path, use in a.network.blocks.items()
              if path.rsplit(".", 1)[0] == name]
    counts = {block: inside.count(block) for block in inside}
    return " + ".join(f"{n} {block}" if n > 1 else block for block, n in counts.items()) \
        or "group"


def links(a: CheckedNetwork, owner: dict[str, str]) -> list[Link]:
    """One edge per input of each drawn box (inside a folded box, none), and the output's."""
    shapes = a.shapes
    found: dict[tuple[str, str, Shape], None] = {}
    for r in a.layers:
        for ref in r.inputs:  # a split's part (halves.1) leaves the split's box
            source = owner[a.network.producer(ref)]
            if source != owner[r.name]:
                found[(source, owner[r.name], shapes[ref])] = None
    found[(owner[a.layers[-1].name], OUTPUT_ID, a.output_shape)] = None
    return [Link(*key) for key in found]


def cut(drawn: Sequence[Box], edges: Sequence[Link], widths: Mapping[str, float],
         rankdir: str, segments: int | None) -> list[list[str]]:
    """The box ids (input and output included) cut into ``segments`` runs drawn side by side
    (None: the number that best fits a slide). A top-level block or group is never cut.
    ``widths``: each box's estimated width in inches."""
    units = _units(drawn)
    sizes = [_size(unit, edges, widths, rankdir) for unit in units]
    cuts = _cuts(units, edges)
    if segments:  # as many as asked for, or as many as the clean cuts allow
        found = next(p for n in range(min(segments, len(units)), 0, -1)
                     if (p := _partition(units, sizes, cuts, n)) is not None)
        return [[box for unit in part for box in unit] for part in found]
    best: tuple[float, float, list[list[list[str]]]] | None = None
    for n in range(1, min(MAX_SEGMENTS, len(units)) + 1):
        parts = _partition(units, sizes, cuts, n)
        if parts is None:
            continue
        length = _length(parts, units, sizes)
        if best is not None and length > 0.9 * best[1]:
            continue  # another segment that hardly shortens the longest one: not worth it
        misfit = abs(math.log(_aspect(parts, units, sizes, rankdir) / SLIDE))
        if best is None or misfit < best[0]:
            best = (misfit, length, parts)
    chosen = best[2] if best else [units]
    return [[box for unit in part for box in unit] for part in chosen]


def _units(drawn: Sequence[Box]) -> list[list[str]]:
    """The top-level sequence: each top-level box, or all the boxes of a top-level group."""
    units: list[list[str]] = [[INPUT_ID]]
    key = None
    for box in drawn:
        here = box.clusters[0] if box.clusters else box.id
        if here != key or not box.clusters:
            units.append([])
        units[-1].append(box.id)
        key = here
    return units + [[OUTPUT_ID]]


def _cuts(units: list[list[str]], edges: Sequence[Link]) -> set[int]:
    """The places (after unit i) where one tensor alone passes: the cleanest cuts."""
    where = {box: i for i, unit in enumerate(units) for box in unit}
    clean = set()
    for i in range(len(units) - 1):
        sources = {e.source for e in edges if where[e.source] <= i < where[e.target]}
        if len(sources) == 1:
            clean.add(i)
    return clean


def _size(unit: list[str], edges: Sequence[Link], widths: Mapping[str, float], rankdir: str
          ) -> tuple[float, float]:
    """(along, across) the rank direction, in inches: the unit's ranks (its longest path), and
    its widest rank. A rough estimate: it only chooses where to cut."""
    inside = set(unit)
    level = {box: 0 for box in unit}
    for e in edges:  # edges come in layer order, which is topological
        if e.source in inside and e.target in inside:
            level[e.target] = max(level[e.target], level[e.source] + 1)
    ranks: dict[int, list[float]] = {}
    for box in unit:
        ranks.setdefault(level[box], []).append(widths.get(box, 1.0))
    pad = CLUSTER_PAD if len(unit) > 1 else 0.0
    if rankdir == "TB":
        across = max(sum(w + NODE_GAP for w in rank) for rank in ranks.values())
        return len(ranks) * RANK_HEIGHT + pad, across + pad
    along = sum(max(rank) + NODE_GAP for rank in ranks.values())
    return along + pad, max(len(r) for r in ranks.values()) * (BOX_HEIGHT + NODE_GAP) + pad


def box_width(*texts: str) -> float:
    """A box's width in inches, estimated from its longest line."""
    return max(len(t) for t in texts) * CHAR_WIDTH + BOX_PAD


def _partition(units: list[list[str]], sizes: list[tuple[float, float]], cuts: set[int],
               n: int) -> list[list[list[str]]] | None:
    """``units`` in ``n`` consecutive parts, cut at clean places only, with the longest part as
    short as it can be (a small linear partition); None if there are too few clean cuts."""
    if n == 1:
        return [units]
    if len(cuts) < n - 1:
        return None
    along = [s[0] for s in sizes]
    prefix = [0.0]
    for x in along:
        prefix.append(prefix[-1] + x)
    m = len(units)
    inf = float("inf")
    # best[k][j]: the least longest part when units[:j] are cut into k parts
    best = [[inf] * (m + 1) for _ in range(n + 1)]
    back = [[0] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for k in range(1, n + 1):
        for j in range(1, m + 1):
            if j < m and (j - 1) not in cuts:
                continue  # a part must end at a clean cut (or at the end)
            for i in range(k - 1, j):
                if best[k - 1][i] == inf:
                    continue
                value = max(best[k - 1][i], prefix[j] - prefix[i])
                if value < best[k][j]:
                    best[k][j], back[k][j] = value, i
    if best[n][m] == inf:
        return None
    parts, j = [], m
    for k in range(n, 0, -1):
        i = back[k][j]
        parts.append(units[i:j])
        j = i
    return parts[::-1]


def _length(parts: list[list[list[str]]], units: list[list[str]],
            sizes: list[tuple[float, float]]) -> float:
    """The longest part, along the rank direction."""
    size = {id(u): s for u, s in zip(units, sizes)}
    return max(sum(size[id(u)][0] for u in part) for part in parts)


def _aspect(parts: list[list[list[str]]], units: list[list[str]],
            sizes: list[tuple[float, float]], rankdir: str) -> float:
    """Width over height of the drawing with these parts side by side."""
    size = {id(u): s for u, s in zip(units, sizes)}
    along = _length(parts, units, sizes)
    across = sum(max(size[id(u)][1] for u in part) for part in parts) \
        + SEGMENT_GAP * (len(parts) - 1)
    return across / along if rankdir == "TB" else along / across
