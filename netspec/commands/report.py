"""Print the per-layer shape, parameter, memory and MAC report of a spec.

The format is --format, else the suffix of -o (.txt table, .md, .json, .csv, .html), else the
table. HTML is a standalone page, with the diagram when Graphviz can draw it. With --format
json, an invalid spec prints its diagnostics as JSON on standard output too ({"format_version",
"spec", "valid": false, "diagnostics"}), so a tool reading the report always gets JSON."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..analysis import DTYPES, OPTIMIZERS
from ..core.errors import SpecError, UsageError
from ..reports import FORMATS, SUFFIXES, invalid, render
from . import style
from .common import (
    add_output,
    add_spec,
    add_strict,
    check_writable,
    load_analysis,
    shown,
    write_text,
)

HELP = "per-layer shapes, parameters, memory and MACs"
EXAMPLES = """\
  netspec report vgg16                           # the table, for a spec of the zoo
  netspec report specs/resnet18.yaml --depth 1   # one row per top-level block
  netspec report resnet50 -o resnet50.html       # a standalone page (format from the suffix)
  netspec report alexnet --format csv --batch 32 --dtype float16
  netspec report resnet50 --batch 32 --optimizer sgd   # training memory with plain SGD"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_spec(p)
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="default: from the suffix of -o (.txt, .md, .json, .csv, .html), "
                        "else table")
    p.add_argument("--batch", type=_positive, default=1, help="batch size for memory (default 1)")
    p.add_argument("--dtype", choices=tuple(DTYPES), default="float32",
                   help="the activations' dtype; float16 and bfloat16 are mixed precision, "
                        "with float32 parameters (default float32)")
    p.add_argument("--optimizer", choices=tuple(OPTIMIZERS), default="adam",
                   help="the training estimate's optimizer: its state per parameter is 0 "
                        "(sgd), 1 (momentum), 2 (adam, adamw) (default adam)")
    p.add_argument("--depth", type=_positive, default=None,
                   help="show the blocks and groups N levels down as one row each")
    add_output(p, "write to this file instead of standard output")
    add_strict(p)


def run(args: argparse.Namespace) -> int:
    if args.output not in (None, "-"):
        check_writable(Path(args.output), args.spec)
    fmt = pick_format(args.format, args.output)
    try:
        a = load_analysis(args.spec, args.strict, show_warnings=False)  # the report shows them
    except SpecError as e:
        if fmt != "json":
            raise
        write_text(args.output, json.dumps(invalid(shown(args.spec), [
            d.to_dict() for d in e.diagnostics]), indent=2))
        return 1
    if fmt == "table" and args.output in (None, "-") and style.enabled(sys.stdout):
        text = render(a, fmt, args.batch, args.dtype, args.depth, optimizer=args.optimizer,
                      highlight=lambda line: style.bold(line, sys.stdout))
    else:
        text = a.report(fmt, args.batch, args.dtype, args.depth, optimizer=args.optimizer)
    write_text(args.output, text)
    return 0


def pick_format(given: str | None, output: str | None) -> str:
    """--format if given; else the output file's suffix; else the table. A suffix that names
    no format is a usage error: a .json file must not get a text table."""
    if given:
        return given
    if output in (None, "-"):
        return "table"
    suffix = Path(output).suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(f"{output}: cannot tell the format from "
                         + (f"the suffix {suffix}" if suffix else "a name without a suffix")
                         + f"; name a {', '.join(SUFFIXES)} file, or give --format")
    return SUFFIXES[suffix]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError(f"{value} is not from 1 to 1,000,000")
    return value
