"""Print the per-layer shape, parameter, memory and MAC report of a spec.

With --format json, an invalid spec prints its diagnostics as JSON on standard output too
({"spec", "valid": false, "diagnostics"}), so a tool reading the report always gets JSON."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..analysis import DTYPES
from ..core.errors import SpecError
from ..reports import FORMATS, render
from .common import add_spec, add_strict, check_writable, load_analysis, write_text

HELP = "per-layer shapes, parameters, memory and MACs"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_spec(p)
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("--batch", type=_positive, default=1, help="batch size for memory (default 1)")
    p.add_argument("--dtype", choices=tuple(DTYPES), default="float32")
    p.add_argument("--depth", type=_positive, default=None,
                   help="show the blocks and groups N levels down as one row each")
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    add_strict(p)


def run(args: argparse.Namespace) -> int:
    if args.output not in (None, "-"):
        check_writable(Path(args.output), args.spec)
    try:
        a = load_analysis(args.spec, args.strict, show_warnings=False)  # the report shows them
    except SpecError as e:
        if args.format != "json":
            raise
        import json

        write_text(args.output, json.dumps({"spec": args.spec, "valid": False, "diagnostics": [
            d.to_dict() for d in e.diagnostics]}, indent=2))
        return 1
    write_text(args.output, render(a, args.format, args.batch, args.dtype, args.depth))
    return 0


def _positive(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError(f"{value} is not from 1 to 1,000,000")
    return value
