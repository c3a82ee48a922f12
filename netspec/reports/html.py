"""The report as HTML: a fragment for notebooks (a plain table, which every notebook viewer
shows), and a standalone page (`netspec report --format html`): styled, the totals on top, the
diagram inline when one is given, and every block and named group a collapsible row
(``<details>``) whose summary is its subtotal. Both format the rows the other views format."""
from __future__ import annotations

import html
from collections.abc import Sequence

from ..analysis import CheckedNetwork, GroupRecord, LayerRecord, scope_path
from ..core.shapes import shape_text
from .rows import (
    COLUMNS,
    NUMERIC,
    Saved,
    cell_text,
    group_cells,
    group_saved,
    layer_cells,
    rows,
    totals,
)
from .summary import CONVENTIONS, human, summary_lines

esc = html.escape


def fragment(a: CheckedNetwork, batch: int, dtype: str, depth: int | None,
             optimizer: str = "adam") -> str:
    """A ``<div>`` with the table and the summary, for Jupyter's ``_repr_html_``."""
    saved = a.saved_by_layer(batch, dtype)
    head = "".join(f"<th>{esc(c)}</th>" for c in COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td style='text-align:{'right' if c in NUMERIC else 'left'}'>"
                         f"{esc(cell_text(v))}</td>" for c, v in zip(COLUMNS, row)) + "</tr>"
        for row in rows(a, depth, saved=saved) + totals(a, saved))
    notes = "".join(f"<li>{esc(s)}</li>" for s in summary_lines(a, batch, dtype, optimizer))
    return (f"<div class='netspec-report'><b>{esc(a.name)}</b><table><thead><tr>{head}</tr>"
            f"</thead><tbody>{body}</tbody></table><ul>{notes}</ul></div>")


def page(a: CheckedNetwork, batch: int, dtype: str, depth: int | None,
         diagram_svg: str | None = None, version: str = "", optimizer: str = "adam") -> str:
    """A whole HTML document that needs nothing else: no script, no file beside it."""
    m = a.memory(batch, dtype, optimizer)
    figures = [("parameters", f"{a.total_params:,}"), ("MACs", f"{a.total_macs:,}"),
               ("activations", f"{a.total_activations:,}"),
               (f"forward memory (batch {batch}, {dtype})", human(m.forward)),
               (f"inference peak (batch {batch}, {dtype})", human(m.inference)),
               (f"training estimate ({optimizer})", human(m.training))]
    totals_html = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in figures)
    parts = [f"<header><h1>{esc(a.name)}</h1><p class='shape'>input "
             f"{esc(shape_text(a.input_shape))} &rarr; output {esc(shape_text(a.output_shape))}"
             f", {len(a.layers)} layers</p><dl class='totals'>{totals_html}</dl></header>"]
    saved = a.saved_by_layer(batch, dtype)
    parts.append(f"<section><h2>Layers</h2>{_layers(a, depth, saved)}</section>")
    if diagram_svg:
        parts.append("<section><h2>Diagram</h2><details class='diagram' open><summary>"
                     f"show</summary><div class='svg'>{_inline(diagram_svg)}</div></details>"
                     "</section>")
    notes = "".join(f"<li>{esc(s)}</li>" for s in summary_lines(a, batch, dtype, optimizer))
    conventions = "".join(f"<li>{esc(c)}</li>" for c in CONVENTIONS)
    parts.append(f"<section><h2>Summary</h2><ul>{notes}</ul><h2>Conventions</h2>"
                 f"<ul class='conventions'>{conventions}</ul></section>")
    footer = f"<footer>netspec {esc(version)}</footer>" if version else ""
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{esc(a.name)}: netspec report</title><style>{_STYLE}"
            f"{_columns(a, saved)}</style></head>\n<body>{''.join(parts)}{footer}</body></html>\n")


def _inline(svg: str) -> str:
    """Graphviz's SVG without its XML prolog and doctype, to sit inside the page."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""


def _layers(a: CheckedNetwork, depth: int | None, saved: Saved) -> str:
    """The table as nested rows: each group a ``<details>`` open down to ``depth``."""
    groups = {g.name: g for g in a.groups()}
    out = [_row(COLUMNS, "row head", header=True),
           _row([cell_text(v) for v in rows(a, saved=saved)[0]], "row input")]
    open_: list[str] = []
    for r in a.layers:
        path = scope_path(r)
        while open_ and open_ != list(path[:len(open_)]):
            out.append("</details>")
            open_.pop()
        for name in path[len(open_):]:
            out.append(_group_start(groups[name], depth, group_saved(a, groups[name], saved)))
            open_.append(name)
        out.append(_layer_row(r, len(open_), saved[r.name]))
    out += ["</details>"] * len(open_)
    out.append(_row([cell_text(v) for v in totals(a, saved)[0]], "row total"))
    return f"<div class='table' role='table'>{''.join(out)}</div>"


def _group_start(g: GroupRecord, depth: int | None, saved: int) -> str:
    opened = " open" if depth is None or g.depth < depth else ""
    cells = [cell_text(v) for v in group_cells(g, f"{g.first}-{g.last}", g.name,
                                               f"{g.layers} layers", saved)]
    return (f"<details class='group'{opened}>"
            + _row(cells, "row group", level=g.depth - 1, tag="summary"))


def _layer_row(r: LayerRecord, level: int, saved: int) -> str:
    return _row([cell_text(v) for v in layer_cells(r, saved)], "row", level=level)


def _row(cells: Sequence[str], cls: str, level: int = 0, tag: str = "div",
         header: bool = False) -> str:
    role = "columnheader" if header else "cell"
    out = []
    for column, text in zip(COLUMNS, cells):
        kind = "num" if column in NUMERIC else "text"
        style = f" style='--level:{level}'" if column == "name" and level else ""
        out.append(f"<span role='{role}' class='{kind} c-{_slug(column)}'{style}>"
                   f"{esc(text)}</span>")
    return f"<{tag} class='{cls}' role='row'>{''.join(out)}</{tag}>"


def _slug(column: str) -> str:
    return {"#": "index"}.get(column, column.lower())


def _columns(a: CheckedNetwork, saved: Saved) -> str:
    """One grid for every row, nested or not, so the columns line up: each column as wide as
    its widest cell (the name column with room for the nesting)."""
    cells = rows(a, saved=saved) + totals(a, saved) + [list(COLUMNS)] + [
        group_cells(g, f"{g.first}-{g.last}", g.name, f"{g.layers} layers",
                    group_saved(a, g, saved)) for g in a.groups()]
    widths = [max(len(cell_text(row[i])) for row in cells) for i in range(len(COLUMNS))]
    deepest = max((g.depth for g in a.groups()), default=0)
    widths[COLUMNS.index("name")] += 2 * deepest + 2
    return (".row{grid-template-columns:"
            + " ".join(f"{w + 1}ch" for w in widths) + "}")


_STYLE = """
:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--band:#f6f8fa;
--group:#eef3f8;--accent:#0b5cad}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;
--band:#151b23;--group:#1c2a3a;--accent:#6cb6ff}}
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);
margin:2rem auto;max-width:min(100% - 2rem,120rem);padding:0 1rem}
h1{margin:0 0 .2rem;font-size:1.7rem}h2{font-size:1.15rem;margin:1.6rem 0 .5rem}
.shape{color:var(--muted);margin:0 0 1rem}
.totals{display:flex;flex-wrap:wrap;gap:.6rem 2rem;margin:0}.totals dt{color:var(--muted);
font-size:.8rem}.totals dd{margin:0;font-size:1.15rem;font-variant-numeric:tabular-nums}
details.diagram{margin-top:1.2rem}details.diagram>summary{cursor:pointer;color:var(--accent)}
.svg{overflow:auto;max-height:80vh;border:1px solid var(--line);border-radius:6px;
padding:.5rem;background:#fff}
.table{font:13px/1.6 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-x:auto}
.row{display:grid;column-gap:1.5ch;padding:0 .4rem;border-bottom:1px solid var(--line);
width:max-content;min-width:100%;box-sizing:border-box}
.row.head{font-weight:600;border-bottom:2px solid var(--fg);position:sticky;top:0;
background:Canvas}
.row.input{color:var(--muted)}.row.total{font-weight:600;border-top:2px solid var(--fg)}
.row:not(.head):hover{background:var(--band)}
summary.row{cursor:pointer;list-style:none;background:var(--group);font-weight:600}
summary.row::-webkit-details-marker{display:none}
.c-name{padding-left:calc(var(--level,0) * 2ch + 2ch);white-space:nowrap}
summary.row .c-name{padding-left:calc(var(--level,0) * 2ch)}
summary.row .c-name::before{content:'\\25B8';display:inline-block;width:2ch;
text-align:center;transition:transform .1s}
details[open]>summary.row .c-name::before{transform:rotate(90deg)}
.num{text-align:right;font-variant-numeric:tabular-nums}.text{white-space:nowrap}
ul{padding-left:1.2rem}li{margin:.15rem 0}.conventions{color:var(--muted)}
footer{margin-top:2rem;color:var(--muted);font-size:.8rem}
"""
