"""A submission beside the reference solution: their layers aligned by kind (difflib's
SequenceMatcher finds the longest runs the two share), each row with both sides' output shape
and parameters, and the totals side by side."""
from __future__ import annotations

from difflib import SequenceMatcher
from itertools import zip_longest
from typing import NamedTuple

from ..analysis import CheckedNetwork, LayerRecord
from ..core.shapes import shape_text
from ..reports.summary import human
from .results import Diff, DiffRow, LayerLine

MAX_ROWS = 200  # a hostile 2,000-layer submission gets a readable diff, not a book
FIGURES = ("output", "layers", "parameters", "MACs", "activation memory",
           "receptive field at the output")


class Reference(NamedTuple):
    """The reference solution as every diff reads it: worked out once per rubric."""

    file: str
    lines: tuple[LayerLine, ...]
    kinds: tuple[str, ...]
    figures: tuple[str, ...]

    @classmethod
    def of(cls, net: CheckedNetwork, file: str) -> Reference:
        lines = tuple(_line(r) for r in net.layers)
        return cls(file, lines, tuple(x.kind for x in lines), figures(net))


def diff(net: CheckedNetwork, reference: Reference) -> Diff:
    ours = [_line(r) for r in net.layers]
    theirs = reference.lines
    matcher = SequenceMatcher(None, [x.kind for x in ours], reference.kinds, autojunk=False)
    rows: list[DiffRow] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        for a, b in zip_longest(ours[i1:i2], theirs[j1:j2]):
            if a is not None and b is not None:
                mark = "=" if op == "equal" and a.same_as(b) else "~"
            else:
                mark = "+" if b is None else "-"
            rows.append(DiffRow(mark, a, b))
    return Diff(reference.file, tuple(rows[:MAX_ROWS]), max(0, len(rows) - MAX_ROWS),
                tuple(zip(FIGURES, figures(net), reference.figures)))


def figures(net: CheckedNetwork) -> tuple[str, ...]:
    """The totals the diff shows, in the order of FIGURES."""
    last = net.layers[-1]
    return (shape_text(net.output_shape), f"{len(net.layers):,}", f"{net.total_params:,}",
            f"{net.total_macs:,}", human(net.memory().activations),
            shape_text(last.receptive_field) if last.receptive_field else "-")


def _line(r: LayerRecord) -> LayerLine:
    return LayerLine(r.name, r.kind, r.label, shape_text(r.output_shape), r.params)
