"""The report's formats, each a view of one checked network: the text table, Markdown, CSV,
HTML and JSON. They format; they never compute (the figures are the analysis's).

``SUFFIXES`` maps an output file's suffix to its format (`report -o r.json`)."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence

from ..analysis import CheckedNetwork
from ..core.shapes import shape_text
from .html import fragment, page
from .json_report import as_dict
from .rows import COLUMNS, CSV_COLUMNS, NUMERIC, cell_text, rows, totals
from .summary import CONVENTIONS, summary_lines

FORMATS = ("table", "markdown", "json", "csv", "html")
SUFFIXES = {".txt": "table", ".md": "markdown", ".json": "json", ".csv": "csv",
            ".html": "html", ".htm": "html"}
Highlight = Callable[[str], str]


def _table(a: CheckedNetwork, batch: int, dtype: str, depth: int | None,
           optimizer: str = "adam", highlight: Highlight = str) -> str:
    saved = a.saved_by_layer(batch, dtype)
    body = [[cell_text(v) for v in row] for row in rows(a, depth, saved=saved)
            + totals(a, saved)]
    widths = [max(len(c) for c in col) for col in zip(COLUMNS, *body)]
    numeric = [c in NUMERIC for c in COLUMNS]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if n else c.ljust(w)
                         for c, w, n in zip(cells, widths, numeric)).rstrip()

    rule = "-" * len(line(COLUMNS))
    out = [f"{a.name}: input {shape_text(a.input_shape)} -> output {shape_text(a.output_shape)}",
           rule, highlight(line(COLUMNS)), rule]
    out += [line(r) for r in body[:-1]]
    out += [rule, line(body[-1]), rule]
    out += summary_lines(a, batch, dtype, optimizer)
    out += ["", "conventions:"] + [f"  - {c}" for c in CONVENTIONS]
    return "\n".join(out)


def _markdown(a: CheckedNetwork, batch: int, dtype: str, depth: int | None,
              optimizer: str = "adam") -> str:
    out = [f"### {a.name}", "", "| " + " | ".join(COLUMNS) + " |",
           "|" + "|".join("---:" if c in NUMERIC else "---" for c in COLUMNS) + "|"]
    saved = a.saved_by_layer(batch, dtype)
    for row in rows(a, depth, saved=saved) + totals(a, saved):
        out.append("| " + " | ".join(cell_text(v).replace("|", "\\|") for v in row) + " |")
    out += [""] + [f"- {s}" for s in summary_lines(a, batch, dtype, optimizer)]
    out += ["", "Conventions:"] + [f"- {c}" for c in CONVENTIONS]
    return "\n".join(out)


def _csv(a: CheckedNetwork, batch: int, dtype: str, depth: int | None,
         optimizer: str = "adam") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    # without subtotals, so that summing a column gives the total
    w.writerows(rows(a, depth, subtotals=False, saved=a.saved_by_layer(batch, dtype)))
    return buf.getvalue()


def _json(a: CheckedNetwork, batch: int, dtype: str, depth: int | None,
          optimizer: str = "adam") -> str:
    return json.dumps(as_dict(a, batch, dtype, optimizer), indent=2)


def _html(a: CheckedNetwork, batch: int, dtype: str, depth: int | None,
          optimizer: str = "adam") -> str:
    return page(a, batch, dtype, depth, optimizer=optimizer)


_RENDERERS: dict[str, Callable[[CheckedNetwork, int, str, int | None, str], str]] = {
    "table": _table, "markdown": _markdown, "json": _json, "csv": _csv, "html": _html}


def render(a: CheckedNetwork, fmt: str = "table", batch: int = 1, dtype: str = "float32",
           depth: int | None = None, *, optimizer: str = "adam",
           highlight: Highlight | None = None, diagram_svg: str | None = None,
           version: str = "") -> str:
    """One format of the report. ``optimizer`` is the training estimate's; ``highlight``
    styles the table's header (the command line's colour); ``diagram_svg`` and ``version``
    go into the HTML page."""
    if fmt == "table" and highlight is not None:
        return _table(a, batch, dtype, depth, optimizer, highlight)
    if fmt == "html":
        return page(a, batch, dtype, depth, diagram_svg, version, optimizer)
    return _RENDERERS[fmt](a, batch, dtype, depth, optimizer)


def notebook_html(a: CheckedNetwork) -> str:
    """The table as a notebook shows it (a fragment, not a page)."""
    return fragment(a, 1, "float32", None)
