"""A submission beside the reference solution: their layers aligned by kind (difflib's
SequenceMatcher finds the longest runs the two share), each row with both sides' output shape
and parameters, and the totals side by side."""
from __future__ import annotations

from difflib import SequenceMatcher
from itertools import zip_longest

from ..analysis import CheckedNetwork, LayerRecord
from ..core.shapes import shape_text
from ..reports.summary import human
from .results import Diff, DiffRow, LayerLine

MAX_ROWS = 200  # a hostile 2,000-layer submission gets a readable diff, not a book


def diff(net: CheckedNetwork, reference: CheckedNetwork, reference_file: str) -> Diff:
    ours, theirs = [_line(r) for r in net.layers], [_line(r) for r in reference.layers]
    matcher = SequenceMatcher(None, [x.kind for x in ours], [x.kind for x in theirs],
                              autojunk=False)
    rows: list[DiffRow] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        for a, b in zip_longest(ours[i1:i2], theirs[j1:j2]):
            if a is not None and b is not None:
                mark = "=" if op == "equal" and a.same_as(b) else "~"
            else:
                mark = "+" if b is None else "-"
            rows.append(DiffRow(mark, a, b))
    return Diff(reference_file, tuple(rows[:MAX_ROWS]), max(0, len(rows) - MAX_ROWS),
                totals(net, reference))


def totals(net: CheckedNetwork, reference: CheckedNetwork) -> tuple[tuple[str, str, str], ...]:
    def figures(a: CheckedNetwork) -> list[str]:
        last = a.layers[-1]
        return [shape_text(a.output_shape), f"{len(a.layers):,}", f"{a.total_params:,}",
                f"{a.total_macs:,}", human(a.memory().activations),
                shape_text(last.receptive_field) if last.receptive_field else "-"]

    names = ("output", "layers", "parameters", "MACs", "activation memory",
             "receptive field at the output")
    return tuple(zip(names, figures(net), figures(reference)))


def _line(r: LayerRecord) -> LayerLine:
    return LayerLine(r.name, r.kind, r.label, shape_text(r.output_shape), r.params)
