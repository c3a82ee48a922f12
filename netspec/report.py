"""Reports are views over an Analysis: they format, they never compute.

One list of rows (the input, then every layer) feeds the text table, Markdown, CSV and HTML; the
JSON form is the contract other tools read (see docs/report-json.md).
"""
from __future__ import annotations

import csv
import html
import io
import json
from typing import Callable

from .analysis import Analysis, GroupRecord, scope_path
from .memory import human
from .shapes import numel

FORMATS = ("table", "markdown", "json", "csv", "html")
COLUMNS = ("#", "name", "layer", "output", "activations", "weights", "biases", "params", "MACs")
CONVENTIONS = (
    "params are learnable parameters, as PyTorch counts them (weights + biases); batchnorm's "
    "running statistics are non-trainable state, shown apart (Keras adds them to its params)",
    "weights exclude biases, as the VGG-16 table of the notes counts them",
    "activations are elements per sample of each new tensor at inference (flatten and dropout "
    "produce none); the total includes the input",
    "MACs are multiply-accumulates of conv and dense layers, per sample; FLOPs = 2 x MACs",
    "memory: forward = activations x batch + parameters + state; training adds gradients (1x "
    "params) and Adam's state (2x params) and keeps every activation for backward",
)


def shape_text(shape) -> str:
    return "x".join(str(d) for d in shape)


def rows(a: Analysis, depth: int | None = None) -> list[list]:
    """The table's cells as values: ints stay ints so each view can format them.

    Without ``depth``, every layer, and a subtotal row after each block or named group. With
    ``depth`` N, groups N levels down are shown as one row each (1: ``layer1`` of a ResNet).
    """
    groups = {g.name: g for g in a.groups()}
    out = [["", "input", "input", shape_text(a.input_shape), numel(a.input_shape), 0, 0, 0, 0]]
    for i, r in enumerate(a.layers):
        path = scope_path(r)
        if depth is not None and len(path) >= depth:
            g = groups[path[depth - 1]]
            if g.first == r.index:
                out.append(_group_row(g, f"{g.first}-{g.last}", g.name, f"{g.layers} layers"))
        else:
            out.append([r.index, r.name, r.label, shape_text(r.output_shape), r.activations,
                        r.weights, r.biases, r.params, r.macs])
        following = scope_path(a.layers[i + 1]) if i + 1 < len(a.layers) else ()
        for name in reversed(path):
            if name in following or (depth is not None and groups[name].depth >= depth):
                continue
            g = groups[name]
            out.append(_group_row(g, "", f"= {g.name}", f"subtotal of {g.layers} layers"))
    return out


def _group_row(g: GroupRecord, index: str, name: str, label: str) -> list:
    return [index, name, label, shape_text(g.output_shape), g.activations, g.weights, g.biases,
            g.params, g.macs]


def totals(a: Analysis) -> list[list]:
    return [["", "total", "", shape_text(a.output_shape), a.total_activations,
             a.total_weights, a.total_biases, a.total_params, a.total_macs]]


def summary_lines(a: Analysis, batch: int, dtype: str) -> list[str]:
    m = a.memory(batch, dtype)
    lines = [
        f"parameters: {a.total_params:,} (trainable {a.trainable_params:,}) = weights "
        f"{a.total_weights:,} + biases {a.total_biases:,}",
        f"non-trainable state: {a.total_state:,} (batchnorm running statistics)",
        f"activations: {a.total_activations:,} elements per sample",
        f"MACs: {a.total_macs:,} per sample (FLOPs {2 * a.total_macs:,})",
        f"forward memory (batch {batch}, {dtype}): {human(m.forward)} = activations "
        f"{human(m.activations)} + parameters {human(m.params)} + state {human(m.state)}",
        f"training estimate (Adam): {human(m.training)} = forward + gradients "
        f"{human(m.gradients)} + optimizer state {human(m.optimizer)}",
    ]
    for w in a.warnings:
        lines.append(w.format())
    return lines


def _num(v) -> str:
    return f"{v:,}" if isinstance(v, int) else str(v)


def _table(a: Analysis, batch: int, dtype: str, depth: int | None) -> str:
    body = [[_num(v) for v in row] for row in rows(a, depth) + totals(a)]
    widths = [max(len(c) for c in col) for col in zip(COLUMNS, *body)]
    numeric = [False, False, False, False, True, True, True, True, True]

    def line(cells):
        return "  ".join(c.rjust(w) if n else c.ljust(w)
                         for c, w, n in zip(cells, widths, numeric)).rstrip()

    rule = "-" * len(line(COLUMNS))
    out = [f"{a.name}: input {shape_text(a.input_shape)} -> output {shape_text(a.output_shape)}",
           rule, line(COLUMNS), rule]
    out += [line(r) for r in body[:-1]]
    out += [rule, line(body[-1]), rule]
    out += summary_lines(a, batch, dtype)
    out += ["", "conventions:"] + [f"  - {c}" for c in CONVENTIONS]
    return "\n".join(out)


def _markdown(a: Analysis, batch: int, dtype: str, depth: int | None) -> str:
    right = {4, 5, 6, 7, 8}
    out = [f"### {a.name}", "", "| " + " | ".join(COLUMNS) + " |",
           "|" + "|".join("---:" if i in right else "---" for i in range(len(COLUMNS))) + "|"]
    for row in rows(a, depth) + totals(a):
        out.append("| " + " | ".join(_num(v).replace("|", "\\|") for v in row) + " |")
    out += [""] + [f"- {s}" for s in summary_lines(a, batch, dtype)]
    out += ["", "Conventions:"] + [f"- {c}" for c in CONVENTIONS]
    return "\n".join(out)


def _csv(a: Analysis, batch: int, dtype: str, depth: int | None) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["index", "name", "layer", "output_shape", "activations", "weights", "biases",
                "params", "macs"])
    for row in rows(a, depth):
        w.writerow(row)
    return buf.getvalue()


def _html(a: Analysis, batch: int, dtype: str, depth: int | None) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td style='text-align:{'right' if i > 3 else 'left'}'>"
                         f"{esc(_num(v))}</td>" for i, v in enumerate(row)) + "</tr>"
        for row in rows(a, depth) + totals(a))
    notes = "".join(f"<li>{esc(s)}</li>" for s in summary_lines(a, batch, dtype))
    return (f"<div class='netspec-report'><b>{esc(a.name)}</b><table><thead><tr>{head}</tr>"
            f"</thead><tbody>{body}</tbody></table><ul>{notes}</ul></div>")


def as_dict(a: Analysis, batch: int = 1, dtype: str = "float32") -> dict:
    """The JSON contract: keys are documented in docs/report-json.md and never renamed."""
    m = a.memory(batch, dtype)
    return {
        "name": a.name,
        "input_shape": list(a.input_shape),
        "output_shape": list(a.output_shape),
        "total_params": a.total_params,
        "trainable_params": a.trainable_params,
        "non_trainable_state": a.total_state,
        "total_weights": a.total_weights,
        "total_biases": a.total_biases,
        "total_activations": a.total_activations,
        "total_macs": a.total_macs,
        "total_flops": 2 * a.total_macs,
        "memory": {"batch": batch, "dtype": dtype, "forward_bytes": m.forward,
                   "activation_bytes": m.activations, "param_bytes": m.params,
                   "state_bytes": m.state, "training_bytes": m.training},
        "layers": [r.to_dict() for r in a.layers],
        "groups": [g.to_dict() for g in a.groups()],
        "warnings": [w.to_dict() for w in a.warnings],
        "conventions": list(CONVENTIONS),
    }


def _json(a: Analysis, batch: int, dtype: str, depth: int | None) -> str:
    return json.dumps(as_dict(a, batch, dtype), indent=2)


_RENDERERS: dict[str, Callable[[Analysis, int, str, int | None], str]] = {
    "table": _table, "markdown": _markdown, "json": _json, "csv": _csv, "html": _html}


def render(a: Analysis, fmt: str = "table", batch: int = 1, dtype: str = "float32",
           depth: int | None = None) -> str:
    return _RENDERERS[fmt](a, batch, dtype, depth)
