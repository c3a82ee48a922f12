"""Graphviz diagrams of a checked network: a view of its records, like the reports.

One node per layer (its label, name and parameter count, coloured by the kind's family), edges
that follow each layer's inputs and carry the shape of the tensor they hold, an input and an
output node, and blocks and groups drawn as nested clusters. Nothing is worked out here that the
analysis already has. The ``graphviz`` package is imported inside the functions, so importing
this module stays cheap; writing DOT needs only that package, drawing needs Graphviz's ``dot``.
"""
from __future__ import annotations

import html
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..analysis import CheckedNetwork, LayerRecord
from ..core.errors import UsageError
from ..core.shapes import Shape, shape_text
from ..graph.network import INPUT
from ..layers.registry import KINDS

if TYPE_CHECKING:
    import graphviz

SUFFIXES = (".dot", ".svg", ".png", ".pdf")
RANKDIRS = ("TB", "LR")
FONT = "Helvetica"
PNG_DPI = 144
INPUT_ID, OUTPUT_ID = "__input__", "__output__"  # never a layer name: those are identifiers

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
GROUP_COLOURS = ("#f7f7f2", "#efefe6")  # cluster fills, alternating with depth


class Diagram:
    """A network's diagram: ``source`` is its DOT text; in a notebook it draws itself as SVG."""

    def __init__(self, graph: graphviz.Digraph, name: str):
        self.graph = graph
        self.name = name

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
        """The drawing in a Graphviz output format (svg, png, pdf). PNG is drawn at twice the
        default resolution, sharp enough for a slide; the vector formats need no such help."""
        graphviz = _graphviz()
        if shutil.which("dot") is None:
            raise UsageError(_NO_DOT)
        graph = self.graph.copy()
        if fmt == "png":
            graph.graph_attr["dpi"] = str(PNG_DPI)
        try:
            return graph.pipe(format=fmt)
        except graphviz.ExecutableNotFound:
            raise UsageError(_NO_DOT) from None

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


def diagram(a: CheckedNetwork, rankdir: str = "TB") -> Diagram:
    """The diagram of an analysis, laid out top to bottom (TB) or left to right (LR)."""
    if rankdir not in RANKDIRS:
        raise UsageError(f"rankdir must be {' or '.join(RANKDIRS)}, got {rankdir!r}")
    graphviz = _graphviz()
    g = graphviz.Digraph(graphviz.escape(a.name), graph_attr=_graph_attrs(a, rankdir),
                         node_attr={"fontname": FONT, "fontsize": "12", "shape": "plain"},
                         edge_attr={"fontname": FONT, "fontsize": "11", "color": "#555555",
                                    "fontcolor": "#333333", "arrowsize": "0.7"})
    g.node(INPUT_ID, _terminal("input"))
    _add_layers(g, a.layers)
    _add_edges(g, a)
    g.node(OUTPUT_ID, _terminal("output"))
    g.edge(_node_id(a.layers[-1]), OUTPUT_ID, label=_edge_label(a.output_shape))
    return Diagram(g, a.name)


def _graph_attrs(a: CheckedNetwork, rankdir: str) -> dict[str, str]:
    """The title (name and parameter count) on top, and spacing that keeps edge labels clear."""
    import graphviz

    return {"rankdir": rankdir,
            "label": graphviz.escape(f"{a.name}: {a.total_params:,} parameters"),
            "labelloc": "t", "fontname": FONT, "fontsize": "16", "nodesep": "0.35",
            "ranksep": "0.3", "bgcolor": "white", "newrank": "true"}


def _node_id(r: LayerRecord) -> str:
    """Layer nodes are named by index: names may contain dots, and 'input' or 'output'."""
    return f"L{r.index}"


def _add_layers(g: graphviz.Digraph, records: tuple[LayerRecord, ...]) -> None:
    """Every layer's node, inside nested clusters for the blocks and groups it is in.

    A group's layers are consecutive, so a stack of open clusters suffices: a cluster is
    attached to its parent when the next layer leaves it (graphviz copies a subgraph's body
    when it is attached, so it must be complete by then).
    """
    import graphviz

    open_: list[tuple[tuple[str, ...], graphviz.Digraph]] = [((), g)]
    for r in records:
        while open_[-1][0] != r.group[:len(open_[-1][0])]:
            _close(open_)
        for depth in range(len(open_[-1][0]), len(r.group)):
            path = r.group[:depth + 1]
            sub = graphviz.Digraph(f"cluster_{len(open_)}_{r.index}",
                                   graph_attr=_cluster_attrs(path[-1], depth))
            open_.append((path, sub))
        open_[-1][1].node(_node_id(r), **_layer_node(r))
    while len(open_) > 1:
        _close(open_)


def _close(open_: list) -> None:
    _, sub = open_.pop()
    open_[-1][1].subgraph(sub)


def _cluster_attrs(group: str, depth: int) -> dict[str, str]:
    """A group's box: its name (an unnamed repeat is named by its line), filled by depth."""
    label = f"group, line {group.split('@')[1]}" if "@" in group else group
    return {"label": label, "labeljust": "l", "style": "rounded,filled", "color": "#b8b8a8",
            "fillcolor": GROUP_COLOURS[depth % 2], "fontname": FONT, "fontsize": "11",
            "fontcolor": "#555555", "margin": "10"}


def _layer_node(r: LayerRecord) -> dict[str, str]:
    """Netron's node: a header in the family's colour with the kind and its key settings, and
    below it the layer's name and, for layers that learn, its parameter count. Only the lower
    cell is framed: a table's border would leave a white gap around the coloured header."""
    header, body = FAMILY_COLOURS.get(_family(r.kind), OTHER_COLOURS)
    sub = html.escape(r.name) + (f"  ·  {r.params:,} params" if r.params else "")
    label = (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4">'
             f'<TR><TD BGCOLOR="{header}"><FONT COLOR="white"><B>{html.escape(r.label)}</B>'
             f'</FONT></TD></TR>'
             f'<TR><TD BGCOLOR="{body}" BORDER="1" SIDES="LRB" COLOR="{header}">'
             f'<FONT POINT-SIZE="10" COLOR="#333333">{sub}</FONT></TD></TR></TABLE>>')
    return {"label": label, "tooltip": _tooltip(r)}


def _family(kind: str) -> str:
    """The kind's family: the netspec/layers/ module that defines it (conv, pool, ...)."""
    cls = KINDS.get(kind)
    return cls.__module__.rsplit(".", 1)[-1] if cls else ""


def _tooltip(r: LayerRecord) -> str:
    """What an SVG reader sees on hovering: the figures the report has for this layer."""
    return (f"{r.index} {r.name}: {r.label} -> {shape_text(r.output_shape)}; "
            f"weights {r.weights:,} + biases {r.biases:,} = {r.params:,} params; "
            f"{r.macs:,} MACs per sample")


def _terminal(name: str) -> str:
    """The input and output nodes: just the word, as the edges beside them carry the shape."""
    return (f'<<TABLE BORDER="1" COLOR="#333333" CELLBORDER="0" CELLPADDING="5" '
            f'STYLE="rounded" BGCOLOR="#ffffff"><TR><TD><B>{name}</B></TD></TR></TABLE>>')


def _add_edges(g: graphviz.Digraph, a: CheckedNetwork) -> None:
    """One edge per input of each layer, labelled with the shape of the tensor it carries."""
    shapes = a.shapes
    ids = {INPUT: INPUT_ID} | {r.name: _node_id(r) for r in a.layers}
    for r in a.layers:
        for ref in r.inputs:  # a split's part (halves.1) leaves the split's node
            g.edge(ids[a.network.producer(ref)], _node_id(r), label=_edge_label(shapes[ref]))


def _edge_label(shape: Shape) -> str:
    return f" {shape_text(shape)} "

