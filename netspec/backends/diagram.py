"""Graphviz diagrams of a checked network: a view of its records, like the reports.

One node per layer (its label, name and parameter count, coloured by the kind's family), edges
that follow each layer's inputs and carry the shape of the tensor they hold, an input and an
output node, and blocks and groups drawn as nested clusters; folded to a depth, a block or group
is one node with its totals. Nothing is worked out here that the analysis already has; what is
drawn and where the long sequence wraps is :mod:`.diagram_layout`. The ``graphviz`` package is
imported inside the functions, so importing this module stays cheap; writing DOT needs only that
package, drawing needs Graphviz's ``dot``.
"""
from __future__ import annotations

import html
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..analysis import CheckedNetwork, GroupRecord, LayerRecord
from ..core.errors import UsageError
from ..core.shapes import shape_text
from ..layers.registry import KINDS
from .diagram_layout import INPUT_ID, OUTPUT_ID, Box, Link, box_width, boxes, cut, links

if TYPE_CHECKING:
    import graphviz

SUFFIXES = (".dot", ".svg", ".png", ".pdf")
RANKDIRS = ("TB", "LR")
FONT = "Helvetica"
PNG_DPI = 144
DPI_RANGE = (36, 1200)
# Graphviz draws bitmaps (PNG) of at most this many pixels a side: a larger graph is scaled down
# to fit, with only a warning on standard error, and the text becomes unreadable.
MAX_PIXELS = 32767
PAD = 2 * 4 / 72  # Graphviz's margin around a drawing, 4 points a side, in inches

# (header, body) colours per kind family, the module of netspec/layers/ that defines the kind.
# Close to Netron's palette: convolutions blue, pools green, dense purple, normalisation teal,
# activations red, and the layers that only reshape or merge in greys.
FAMILY_COLOURS = {
    "conv": ("#3b6fb6", "#e3ecf8"),
    "transpose": ("#3b6fb6", "#e3ecf8"),
    "pool": ("#3e8e4a", "#e4f2e6"),
    "dense": ("#7048a8", "#eee6f7"),
    "norm": ("#2b8a8a", "#e0f2f2"),
    "activations": ("#b5443c", "#f8e5e3"),
    "dropout": ("#6b6b6b", "#eeeeee"),
    "reshape": ("#6b6b6b", "#eeeeee"),
    "resize": ("#6b6b6b", "#eeeeee"),
    "merge": ("#404040", "#e8e8e8"),
    "channels": ("#404040", "#e8e8e8"),
}
OTHER_COLOURS = ("#555555", "#eeeeee")
FOLDED_COLOURS = ("#34495e", "#e6eaef")  # a block or group folded into one node
SEGMENT = "#segment"  # the cluster of a wrapped network's segment (no group has a '#')
GROUP_COLOURS = ("#f7f7f2", "#efefe6")  # cluster fills, alternating with depth


@dataclass(frozen=True)
class Style:
    """How a diagram is drawn: the options of ``netspec diagram``."""

    rankdir: str = "TB"
    depth: int | None = None  # fold blocks and groups this many levels down into one node
    shapes: bool = True  # tensor shapes on the edges
    params: bool = True  # parameter counts in the nodes
    wrap: int | None = None  # segments side by side; None: what fits a 16:9 slide best
    dpi: int = PNG_DPI  # for PNG


class Diagram:
    """A network's diagram: ``source`` is its DOT text; in a notebook it draws itself as SVG."""

    def __init__(self, graph: graphviz.Digraph, name: str, style: Style = Style(),
                 segments: int = 1, folded: bool = False):
        self.graph = graph
        self.name = name
        self.style = style
        self.segments = segments  # columns (rows, for LR) side by side
        self.folded = folded  # some blocks or groups are drawn as one node

    @property
    def source(self) -> str:
        return self.graph.source

    def save(self, path: str | Path) -> Path:
        """Write DOT text (.dot) or a drawing (.svg, .png, .pdf, which need ``dot``)."""
        path = Path(path)
        fmt = path.suffix.lower()
        if fmt not in SUFFIXES:
            raise UsageError(f"{path}: the file name must end in {' or '.join(SUFFIXES)}")
        data = self.source.encode() if fmt == ".dot" else self.render(fmt[1:])
        try:
            path.write_bytes(data)
        except OSError as e:
            raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
        return path

    def render(self, fmt: str) -> bytes:
        """The drawing in a Graphviz output format (svg, png, pdf). PNG is drawn at the style's
        dpi (144 by default, twice Graphviz's, sharp on a slide), and refused rather than
        drawn shrunk when it would pass Graphviz's size limit for bitmaps."""
        graphviz = _graphviz()
        if shutil.which("dot") is None:
            raise UsageError(_NO_DOT)
        graph = self.graph.copy()
        try:
            if fmt == "png":
                graph.graph_attr["dpi"] = str(self.style.dpi)
                self._check_size(self.size(graph))
            return graph.pipe(format=fmt)
        except graphviz.ExecutableNotFound:
            raise UsageError(_NO_DOT) from None

    @staticmethod
    def size(graph: graphviz.Digraph) -> tuple[float, float]:
        """The laid-out drawing's width and height in inches (Graphviz's plain output)."""
        first = graph.pipe(format="plain").split(b"\n", 1)[0].split()  # graph scale w h
        return float(first[2]), float(first[3])

    def _check_size(self, inches: tuple[float, float]) -> None:
        """A usage error that says how to make the PNG fit, when it would not."""
        dpi = self.style.dpi
        pixels = [round((side + PAD) * dpi) for side in inches]
        if max(pixels) <= MAX_PIXELS:
            return
        ways = [] if self.folded else ["--depth 1 or 2 (each block or group as one node)"]
        most = int(MAX_PIXELS / (max(inches) + PAD))
        if most >= DPI_RANGE[0]:
            ways.append(f"--dpi {most} or less")
        ways.append("an .svg or .pdf file, which have no such limit")
        raise UsageError(
            f"{self.name} drawn at {dpi} dpi would be {pixels[0]:,} x {pixels[1]:,} pixels, "
            f"more than the {MAX_PIXELS:,} a side that Graphviz draws in a PNG (it would shrink "
            f"the whole drawing to fit, unreadably); use "
            + (f"{', '.join(ways[:-1])} or {ways[-1]}" if len(ways) > 1 else ways[0]))

    def _repr_svg_(self) -> str | None:
        """Jupyter shows this; without ``dot`` it falls back to the text repr, which says why."""
        try:
            return self.render("svg").decode("utf-8")
        except UsageError:
            return None

    def __repr__(self) -> str:
        return (f"<Diagram of {self.name}: .source is DOT text, .save(path) writes "
                f"{'/'.join(SUFFIXES)}; drawing needs Graphviz's dot>")


_NO_DOT = ("drawing needs Graphviz's `dot` program, which is not on PATH; install Graphviz "
           "(apt-get install graphviz, brew install graphviz, or conda install -c conda-forge "
           "graphviz), or write -o FILE.dot to get the DOT text without it")


def _graphviz() -> Any:
    """The graphviz package, or a usage error that says how to install it."""
    try:
        import graphviz
    except ImportError:
        raise UsageError("diagrams need the graphviz Python package: pip install graphviz "
                         "(or pip install 'netspec[diagram]')") from None
    return graphviz


def diagram(a: CheckedNetwork, rankdir: str = "TB", *, depth: int | None = None,
            shapes: bool = True, params: bool = True, wrap: int | str | None = None,
            dpi: int = PNG_DPI) -> Diagram:
    """The diagram of an analysis, laid out top to bottom (TB) or left to right (LR).

    ``depth`` folds the blocks and groups that many levels down into one node each (as
    ``report --depth``); ``shapes`` and ``params`` keep the edges' shapes and the nodes'
    parameter counts; ``wrap`` is how many columns (rows, for LR) the network is cut into,
    None or ``"auto"`` for the number that fits a 16:9 slide best; ``dpi`` is for PNG.
    """
    style = _style(rankdir, depth, shapes, params, wrap, dpi)
    graphviz = _graphviz()
    g = graphviz.Digraph(graphviz.escape(a.name), graph_attr=_graph_attrs(a, rankdir),
                         node_attr={"fontname": FONT, "fontsize": "12", "shape": "plain"},
                         edge_attr={"fontname": FONT, "fontsize": "11", "color": "#555555",
                                    "fontcolor": "#333333", "arrowsize": "0.7"})
    drawn, owner = boxes(a, depth)
    edges = links(a, owner)
    labels = {box.id: _node(box, params) for box in drawn}
    labels[INPUT_ID], labels[OUTPUT_ID] = _terminal("input"), _terminal("output")
    widths = {box.id: box_width(*_texts(box, params)) for box in drawn}
    segments = cut(drawn, edges, widths, rankdir, style.wrap)
    nodes, heads = _place(drawn, edges, segments, labels, rankdir)
    _add_nodes(g, nodes, labels)
    where = {box: i for i, part in enumerate(segments) for box in part}
    for e in edges:
        attrs = {"label": f" {shape_text(e.shape)} "} if shapes else {}
        crosses = where[e.source] != where[e.target]
        g.edge(_stub(e.source, where[e.target]) if crosses else e.source, e.target, **attrs)
    _align(g, heads)
    return Diagram(g, a.name, style, len(segments),
                   folded=any(isinstance(b.record, GroupRecord) for b in drawn))


def _place(drawn: list[Box], edges: list[Link], segments: list[list[str]],
           labels: dict[str, dict[str, str]], rankdir: str
           ) -> tuple[list[tuple[str, tuple[str, ...]]], list[str]]:
    """Every node with the clusters around it, segment by segment, and each segment's first
    node. A segment that an edge enters from an earlier one starts with an entry stub for it
    (labelled here) instead of the long edge: Graphviz 2.43 crashes on edges between clusters
    that ignore ranks."""
    clusters = {box.id: box.clusters for box in drawn}
    names = {INPUT_ID: "input"} | {box.id: box.record.name for box in drawn}
    runs, heads = [], []
    for i, part in enumerate(segments):
        outer = (f"{SEGMENT}{i}",) if len(segments) > 1 else ()
        inside = set(part)
        stubs = list(dict.fromkeys(e.source for e in edges
                                   if e.target in inside and e.source not in inside))
        for source in stubs:
            labels[_stub(source, i)] = _entry(names[source])
        runs.append([(_stub(source, i), outer) for source in stubs]
                    + [(box, outer + clusters.get(box, ())) for box in part])
        heads.append(runs[-1][0][0])
    if rankdir == "LR":  # Graphviz stacks LR's clusters from the bottom up
        runs.reverse()
    return [node for run in runs for node in run], heads


def _stub(source: str, segment: int) -> str:
    """The node that stands, at the top of a segment, for a box drawn in an earlier one."""
    return f"{source}__in{segment}"


def _entry(name: str) -> dict[str, str]:
    """An entry stub: where a wrapped network's edge comes in from an earlier segment."""
    return {"label": f"<<I>from {html.escape(name)}</I>>", "shape": "box", "style":
            "rounded,dashed", "color": "#888888", "fontcolor": "#555555", "fontsize": "11",
            "margin": "0.08,0.03", "height": "0.3"}


def _style(rankdir: str, depth: int | None, shapes: bool, params: bool,
           wrap: int | str | None, dpi: int) -> Style:
    """The options, checked: each mistake a usage error."""
    if rankdir not in RANKDIRS:
        raise UsageError(f"rankdir must be {' or '.join(RANKDIRS)}, got {rankdir!r}")
    if depth is not None and (not isinstance(depth, int) or depth < 1):
        raise UsageError(f"depth must be a whole number of at least 1, got {depth!r}")
    if wrap == "auto":
        wrap = None
    if wrap is not None and (not isinstance(wrap, int) or not 1 <= wrap <= 100):
        raise UsageError(f"wrap must be 'auto' or a whole number from 1 to 100, got {wrap!r}")
    if not isinstance(dpi, int) or not DPI_RANGE[0] <= dpi <= DPI_RANGE[1]:
        raise UsageError(f"dpi must be a whole number from {DPI_RANGE[0]} to {DPI_RANGE[1]}, "
                         f"got {dpi!r}")
    return Style(rankdir, depth, shapes, params, wrap, dpi)


def _align(g: graphviz.Digraph, heads: list[str]) -> None:
    """Start every segment on the first rank, in order: their first nodes share a rank, and
    invisible edges between them keep them in order."""
    if len(heads) < 2:
        return
    with g.subgraph(name="wrap") as s:
        s.attr(rank="same")
        for head in heads:
            s.node(head)
        for before, after in zip(heads, heads[1:]):
            s.edge(before, after, style="invis")


def _graph_attrs(a: CheckedNetwork, rankdir: str) -> dict[str, str]:
    """The title (name and parameter count) on top, and spacing that keeps edge labels clear."""
    import graphviz

    return {"rankdir": rankdir,
            "label": graphviz.escape(f"{a.name}: {a.total_params:,} parameters"),
            "labelloc": "t", "fontname": FONT, "fontsize": "16", "nodesep": "0.35",
            "ranksep": "0.3", "bgcolor": "white", "newrank": "true"}


def _add_nodes(g: graphviz.Digraph, nodes: list[tuple[str, tuple[str, ...]]],
               labels: dict[str, dict[str, str]]) -> None:
    """Every node, inside nested clusters: the segment it is drawn in (when the network wraps)
    and the blocks and groups it is in.

    A group's layers are consecutive, so a stack of open clusters suffices: a cluster is
    attached to its parent when the next node leaves it (graphviz copies a subgraph's body
    when it is attached, so it must be complete by then).
    """
    import graphviz

    open_: list[tuple[tuple[str, ...], graphviz.Digraph]] = [((), g)]
    for node, clusters in nodes:
        while open_[-1][0] != clusters[:len(open_[-1][0])]:
            _close(open_)
        for depth in range(len(open_[-1][0]), len(clusters)):
            path = clusters[:depth + 1]
            sub = graphviz.Digraph(f"cluster_{len(open_)}_{node}",
                                   graph_attr=_cluster_attrs(
                                       path[-1], depth - path[0].startswith(SEGMENT)))
            open_.append((path, sub))
        open_[-1][1].node(node, **labels[node])
    while len(open_) > 1:
        _close(open_)


def _close(open_: list) -> None:
    _, sub = open_.pop()
    open_[-1][1].subgraph(sub)


def _cluster_attrs(group: str, depth: int) -> dict[str, str]:
    """A group's box: its name (an unnamed repeat is named by its line), filled by depth. A
    segment of a wrapped network is an invisible cluster: it keeps its nodes together."""
    if group.startswith(SEGMENT):
        return {"label": "", "style": "invis", "margin": "0"}
    label = f"group, line {group.split('@')[1]}" if "@" in group else group
    return {"label": label, "labeljust": "l", "style": "rounded,filled", "color": "#b8b8a8",
            "fillcolor": GROUP_COLOURS[depth % 2], "fontname": FONT, "fontsize": "11",
            "fontcolor": "#555555", "margin": "10"}


def _texts(box: Box, params: bool) -> tuple[str, str]:
    """A box's header and the line below it. A layer: its report label, and its name and
    parameter count; a folded block or group: its name and what it is (its block, or the
    blocks it holds), and the count of its layers and their parameters."""
    r = box.record
    count = f"  ·  {r.params:,} params" if params and r.params else ""
    if isinstance(r, LayerRecord):
        return r.label, r.name + count
    return f"{r.name}: {box.contents}", f"{r.layers} layers" + count


def _node(box: Box, params: bool) -> dict[str, str]:
    """Netron's node: a header in the family's colour with the kind and its key settings, and
    below it the name and, for what learns, its parameter count. Only the lower cell is
    framed: a table's border would leave a white gap around the coloured header."""
    r = box.record
    colours = (FAMILY_COLOURS.get(_family(r.kind), OTHER_COLOURS)
               if isinstance(r, LayerRecord) else FOLDED_COLOURS)
    header, body = colours
    title, sub = (html.escape(t) for t in _texts(box, params))
    label = (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4">'
             f'<TR><TD BGCOLOR="{header}"><FONT COLOR="white"><B>{title}</B>'
             f'</FONT></TD></TR>'
             f'<TR><TD BGCOLOR="{body}" BORDER="1" SIDES="LRB" COLOR="{header}">'
             f'<FONT POINT-SIZE="10" COLOR="#333333">{sub}</FONT></TD></TR></TABLE>>')
    return {"label": label, "tooltip": _tooltip(r)}


def _family(kind: str) -> str:
    """The kind's family: the netspec/layers/ module that defines it (conv, pool, ...)."""
    cls = KINDS.get(kind)
    return cls.__module__.rsplit(".", 1)[-1] if cls else ""


def _tooltip(r: LayerRecord | GroupRecord) -> str:
    """What an SVG reader sees on hovering: the figures the report has for this row."""
    what = (f"{r.index} {r.name}: {r.label}" if isinstance(r, LayerRecord)
            else f"{r.first}-{r.last} {r.name}: {r.layers} layers")
    return (f"{what} -> {shape_text(r.output_shape)}; "
            f"weights {r.weights:,} + biases {r.biases:,} = {r.params:,} params; "
            f"{r.macs:,} MACs per sample")


def _terminal(name: str) -> dict[str, str]:
    """The input and output nodes: just the word, as the edges beside them carry the shape."""
    return {"label": f'<<TABLE BORDER="1" COLOR="#333333" CELLBORDER="0" CELLPADDING="5" '
                     f'STYLE="rounded" BGCOLOR="#ffffff"><TR><TD><B>{name}</B></TD></TR></TABLE>>'}
