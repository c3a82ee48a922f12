"""Draw a spec as a Graphviz diagram: one box per layer, tensor shapes on the edges, blocks and
groups as clusters. .dot needs only the graphviz Python package; .svg, .png and .pdf also need
Graphviz's `dot` program.

Exit 0 when written, 1 when the spec is invalid, 2 for bad usage (a wrong suffix, no `dot`)."""
from __future__ import annotations

import argparse

from ..backends.diagram import RANKDIRS, SUFFIXES, diagram
from .common import add_spec, add_strict, load_analysis, output_path

HELP = "draw the network as a Graphviz diagram (.dot, .svg, .png, .pdf)"
EXAMPLES = "  netspec diagram lenet5 -o lenet5.png --rankdir LR     # the suffix picks the format"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_spec(p)
    p.add_argument("-o", "--output", metavar="FILE", required=True,
                   help="the file to write; its suffix picks the format: "
                        + ", ".join(SUFFIXES))
    p.add_argument("--rankdir", choices=RANKDIRS, default="TB",
                   help="lay the layers out top to bottom (TB, default) or left to right (LR)")
    add_strict(p)


def run(args: argparse.Namespace) -> int:
    path = output_path(args.output, SUFFIXES, args.spec)
    a = load_analysis(args.spec, args.strict)
    diagram(a, args.rankdir).save(path)
    print(f"wrote {path}: {a.name}, {len(a.layers)} layers")
    return 0
