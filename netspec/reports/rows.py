"""The report's rows: the input, every layer, and a subtotal after each block or named group
(or, folded to a depth, one row per group). Cells stay values (ints stay ints), so that each
format can write them its own way."""
from __future__ import annotations

from collections.abc import Mapping

from ..analysis import CheckedNetwork, GroupRecord, LayerRecord, scope_path
from ..core.shapes import fmt_axes, numel, shape_text
from ..graph.network import INPUT
from .summary import human

# The table's columns, with the CSV's name of each; RF is the receptive field of one output
# position on the network's input (one number when every axis agrees, else 7x5); saved, the
# bytes of the layer's tensors that autograd keeps for the backward pass, at the report's batch
# and dtype.
COLUMNS = ("#", "name", "layer", "output", "RF", "activations", "saved", "weights", "biases",
           "params", "MACs")
CSV_COLUMNS = ("index", "name", "layer", "output_shape", "receptive_field", "activations",
               "saved_bytes", "weights", "biases", "params", "macs")
NUMERIC = frozenset({"RF", "activations", "saved", "weights", "biases", "params", "MACs"})
Saved = Mapping[str, int]  # bytes kept for backward, by layer (CheckedNetwork.saved_by_layer)


class Bytes(int):
    """A cell of bytes: the table shows it in binary units, the CSV as the whole number."""

    def __str__(self) -> str:
        return int.__repr__(self)


def rows(a: CheckedNetwork, depth: int | None = None, subtotals: bool = True,
         saved: Saved | None = None) -> list[list]:
    """The table's cells as values: ints stay ints so each view can format them.

    Without ``depth``, every layer, and a subtotal row after each block or named group. With
    ``depth`` N, groups N levels down are shown as one row each (1: ``layer1`` of a ResNet).
    Without ``subtotals`` (the CSV), every count column sums to the network's total. ``saved``:
    the bytes autograd keeps per layer (default: at batch 1 in float32).
    """
    saved = a.saved_by_layer() if saved is None else saved
    groups = {g.name: g for g in a.groups()}
    out = [["", "input", "input", shape_text(a.input_shape), "", numel(a.input_shape),
            Bytes(saved[INPUT]), 0, 0, 0, 0]]
    for i, r in enumerate(a.layers):
        path = scope_path(r)
        folded = fold_group(r, depth)
        if folded is not None:
            g = groups[folded]
            if g.first == r.index:
                out.append(group_cells(g, f"{g.first}-{g.last}", g.name, f"{g.layers} layers",
                                       group_saved(a, g, saved)))
        else:
            out.append(layer_cells(r, saved[r.name]))
        if not subtotals:
            continue
        following = scope_path(a.layers[i + 1]) if i + 1 < len(a.layers) else ()
        for name in reversed(path):
            if name in following or (depth is not None and groups[name].depth >= depth):
                continue
            g = groups[name]
            out.append(group_cells(g, "", f"= {g.name}", f"subtotal of {g.layers} layers",
                                   group_saved(a, g, saved)))
    return out


def fold_group(r: LayerRecord, depth: int | None) -> str | None:
    """The block or group that stands for layer ``r`` in a view folded to ``depth`` (None: the
    layer is shown itself). The report's rows and the diagram's boxes fold alike."""
    path = scope_path(r)
    return path[depth - 1] if depth is not None and len(path) >= depth else None


def group_saved(a: CheckedNetwork, g: GroupRecord, saved: Saved) -> int:
    return sum(saved[r.name] for r in a.layers[g.first - 1:g.last])


def layer_cells(r: LayerRecord, saved: int) -> list:
    return [r.index, r.name, r.label, shape_text(r.output_shape), _field(r.receptive_field),
            r.activations, Bytes(saved), r.weights, r.biases, r.params, r.macs]


def group_cells(g: GroupRecord, index: str, name: str, label: str, saved: int) -> list:
    return [index, name, label, shape_text(g.output_shape), _field(g.receptive_field),
            g.activations, Bytes(saved), g.weights, g.biases, g.params, g.macs]


def totals(a: CheckedNetwork, saved: Saved | None = None) -> list[list]:
    saved = a.saved_by_layer() if saved is None else saved
    return [["", "total", "", shape_text(a.output_shape), "", a.total_activations,
             Bytes(sum(saved.values())), a.total_weights, a.total_biases, a.total_params,
             a.total_macs]]


def _field(sizes: tuple[int, ...]) -> str:
    return fmt_axes(sizes) if sizes else ""


def cell_text(v: object) -> str:
    """A cell as the table, Markdown and HTML show it: counts with thousands separators,
    bytes in binary units."""
    if isinstance(v, Bytes):
        return human(v)
    return f"{v:,}" if isinstance(v, int) else str(v)
