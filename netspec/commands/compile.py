"""Write a spec as readable, standalone PyTorch source: one nn.Module class named after the spec,
and build(), which returns an instance. Needs no torch to write; the result imports only torch."""
from __future__ import annotations

import argparse

from ..analysis import CheckedNetwork
from .common import add_spec, add_strict, load_analysis, output_path, write_text

HELP = "write the spec as standalone PyTorch source"
EXAMPLES = "  netspec compile specs/lenet5.yaml -o lenet5.py   # then: from lenet5 import build"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_spec(p)
    p.add_argument("-o", "--output", help="the .py file to write (default: standard output)")
    add_strict(p)


def run(args: argparse.Namespace) -> int:
    from ..backends.pytorch.emit import emit_source

    path = output_path(args.output, (".py",), args.spec) if args.output not in (None, "-") else None
    a = load_analysis(args.spec, args.strict)
    write_text(str(path) if path else None, emit_source(a))
    if path:
        print(f"wrote {path}: class {_class(a)}, build() returns one "
              f"({a.total_params:,} parameters)")
    return 0


def _class(a: CheckedNetwork) -> str:
    from ..backends.pytorch.plan import class_name

    return class_name(a.name)
