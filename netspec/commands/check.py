"""Validate specs and infer every layer's shape without building a model.

Exit 0 when every spec is valid, 1 when one is not, 2 for bad usage."""
from __future__ import annotations

import argparse

from ..core.errors import SpecError
from .common import add_strict, load_analysis

HELP = "validate specs and infer their shapes (no torch)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("specs", nargs="+", metavar="SPEC",
                   help="spec files (YAML); - reads standard input")
    add_strict(p)
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="json prints one object per spec with its diagnostics")
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")


def run(args: argparse.Namespace) -> int:
    failed = False
    results = []
    for spec in args.specs:
        try:
            a = load_analysis(spec, args.strict, show_warnings=False)
        except SpecError as e:
            failed = True
            results.append({"spec": spec, "valid": False,
                            "diagnostics": [d.to_dict() for d in e.diagnostics]})
            if args.format == "text":
                print("\n".join(d.format() for d in e.diagnostics))
            continue
        results.append({"spec": spec, "valid": True, "output_shape": list(a.output_shape),
                        "total_params": a.total_params,
                        "diagnostics": [w.to_dict() for w in a.warnings]})
        if args.format == "text":
            for w in a.warnings:
                print(w.format())
            if not args.quiet:
                shape = "x".join(map(str, a.output_shape))
                print(f"{spec}: ok: {a.name}, {len(a.layers)} layers, output {shape}, "
                      f"{a.total_params:,} parameters")
    if args.format == "json":
        import json

        print(json.dumps(results, indent=2))
    return 1 if failed else 0
