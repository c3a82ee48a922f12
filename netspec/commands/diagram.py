"""Draw a spec as a Graphviz diagram: one box per layer, tensor shapes on the edges, blocks and
groups as clusters, or folded to one box each with --depth; a deep network wraps into columns
side by side to fit a slide. .dot needs only the graphviz Python package; .svg, .png and .pdf
also need Graphviz's `dot` program.

Exit 0 when written, 1 when the spec is invalid, 2 for bad usage (a wrong suffix, no `dot`, a
PNG too large for Graphviz)."""
from __future__ import annotations

import argparse
from collections.abc import Callable

from ..backends.diagram import DPI_RANGE, PNG_DPI, RANKDIRS, SUFFIXES, diagram
from ..core.errors import UsageError
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
    p.add_argument("--depth", type=_whole(1, 1000), metavar="N",
                   help="draw the blocks and groups N levels down as one box each, with their "
                        "totals (as report --depth); 1: ResNet's stages")
    p.add_argument("--wrap", type=_wrap, default=None, metavar="auto|N",
                   help="cut the network into N columns side by side (rows, with --rankdir LR); "
                        "auto (default): the number that best fits a 16:9 slide; 1: one column")
    p.add_argument("--dpi", type=_whole(*DPI_RANGE), metavar="N",
                   help=f"resolution of a .png (default {PNG_DPI})")
    p.add_argument("--no-shapes", action="store_true",
                   help="leave the tensor shapes off the edges")
    p.add_argument("--no-params", action="store_true",
                   help="leave the parameter counts out of the boxes")
    add_strict(p)


def run(args: argparse.Namespace) -> int:
    path = output_path(args.output, SUFFIXES, args.spec)
    if args.dpi is not None and path.suffix.lower() != ".png":
        what = "DOT text" if path.suffix.lower() == ".dot" else "a vector drawing"
        raise UsageError(f"--dpi applies to .png files only; {path.name} is {what}, which "
                         "has no resolution")
    a = load_analysis(args.spec, args.strict)
    d = diagram(a, args.rankdir, depth=args.depth, shapes=not args.no_shapes,
                params=not args.no_params, wrap=args.wrap, dpi=args.dpi or PNG_DPI)
    d.save(path)
    side = "columns" if args.rankdir == "TB" else "rows"
    wrapped = f", in {d.segments} {side}" if d.segments > 1 else ""
    print(f"wrote {path}: {a.name}, {len(a.layers)} layers{wrapped}")
    return 0


def _whole(low: int, high: int) -> Callable[[str], int]:
    """A parser of whole numbers from ``low`` to ``high``, whose mistakes argparse reports."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not from {low:,} to {high:,}")
        return value
    return parse


def _wrap(text: str) -> int | None:
    """``auto`` (None) or a count of columns."""
    if text == "auto":
        return None
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is neither auto nor a whole number")
    return _whole(1, 100)(text)
