"""Write the worked solution of a spec, as a teaching assistant would: for every layer (or the
LAYERs named) the output size with the formula and the numbers, per axis where they differ and
with the remainder when the window does not tile, the parameter count, the MACs, the
activation memory and the receptive field's growth. --format markdown writes a handout."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..analysis import DTYPES
from ..api import explain
from .common import add_spec, add_strict, check_writable, load_analysis, write_text

HELP = "the worked solution: every layer's arithmetic with the numbers filled in"
EXAMPLES = "  netspec explain lenet5 c3 --format markdown -o c3.md   # one layer, as a handout"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_spec(p)
    p.add_argument("layers", nargs="*", metavar="LAYER",
                   help="only these layers: names, 1-based indices, or a block's or group's "
                        "name for all its layers (default: every layer, and the totals)")
    p.add_argument("--format", choices=("text", "markdown"), default="text")
    p.add_argument("--dtype", choices=tuple(DTYPES), default="float32",
                   help="for the activation memory (default float32)")
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    add_strict(p)


def run(args: argparse.Namespace) -> int:
    if args.output not in (None, "-"):
        check_writable(Path(args.output), args.spec)
    a = load_analysis(args.spec, args.strict, show_warnings=False)  # the solution lists them
    solution = explain(a, args.layers, args.dtype)
    write_text(args.output, solution.markdown() if args.format == "markdown" else solution.text())
    return 0
