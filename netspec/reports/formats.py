"""The report's formats, each a view of one checked network: the text table, Markdown, CSV,
HTML and JSON. They format; they never compute (the figures are the analysis's)."""
from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable, Sequence

from ..analysis import CheckedNetwork
from ..core.shapes import shape_text
from .json_report import as_dict
from .rows import COLUMNS, CSV_COLUMNS, NUMERIC, rows, totals
from .summary import CONVENTIONS, summary_lines

FORMATS = ("table", "markdown", "json", "csv", "html")


def _num(v: object) -> str:
    return f"{v:,}" if isinstance(v, int) else str(v)


def _table(a: CheckedNetwork, batch: int, dtype: str, depth: int | None) -> str:
    body = [[_num(v) for v in row] for row in rows(a, depth) + totals(a)]
    widths = [max(len(c) for c in col) for col in zip(COLUMNS, *body)]
    numeric = [c in NUMERIC for c in COLUMNS]

    def line(cells: Sequence[str]) -> str:
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


def _markdown(a: CheckedNetwork, batch: int, dtype: str, depth: int | None) -> str:
    out = [f"### {a.name}", "", "| " + " | ".join(COLUMNS) + " |",
           "|" + "|".join("---:" if c in NUMERIC else "---" for c in COLUMNS) + "|"]
    for row in rows(a, depth) + totals(a):
        out.append("| " + " | ".join(_num(v).replace("|", "\\|") for v in row) + " |")
    out += [""] + [f"- {s}" for s in summary_lines(a, batch, dtype)]
    out += ["", "Conventions:"] + [f"- {c}" for c in CONVENTIONS]
    return "\n".join(out)


def _csv(a: CheckedNetwork, batch: int, dtype: str, depth: int | None) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for row in rows(a, depth):
        w.writerow(row)
    return buf.getvalue()


def _html(a: CheckedNetwork, batch: int, dtype: str, depth: int | None) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td style='text-align:{'right' if c in NUMERIC else 'left'}'>"
                         f"{esc(_num(v))}</td>" for c, v in zip(COLUMNS, row)) + "</tr>"
        for row in rows(a, depth) + totals(a))
    notes = "".join(f"<li>{esc(s)}</li>" for s in summary_lines(a, batch, dtype))
    return (f"<div class='netspec-report'><b>{esc(a.name)}</b><table><thead><tr>{head}</tr>"
            f"</thead><tbody>{body}</tbody></table><ul>{notes}</ul></div>")


def _json(a: CheckedNetwork, batch: int, dtype: str, depth: int | None) -> str:
    return json.dumps(as_dict(a, batch, dtype), indent=2)


_RENDERERS: dict[str, Callable[[CheckedNetwork, int, str, int | None], str]] = {
    "table": _table, "markdown": _markdown, "json": _json, "csv": _csv, "html": _html}


def render(a: CheckedNetwork, fmt: str = "table", batch: int = 1, dtype: str = "float32",
           depth: int | None = None) -> str:
    return _RENDERERS[fmt](a, batch, dtype, depth)
