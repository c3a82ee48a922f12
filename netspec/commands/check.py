"""Validate specs and infer every layer's shape without building a model.

Every diagnostic has a stable code (error[NS401]); --explain NS401 says what it means, why it
matters and how to fix it, with an example. Exit 0 when every spec is valid, 1 when one is not,
2 for bad usage."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..core.codes import CODES, lookup
from ..core.errors import SpecError, UsageError
from . import style
from .common import add_spec, add_strict, load_analysis, shown

HELP = "validate specs and infer their shapes (no torch)"
EXAMPLES = """\
  netspec check specs/*.yaml                 # every spec: ok, or each error at its line
  netspec check lenet5                       # a spec of the zoo, by name
  cat hw3.yaml | netspec check -             # standard input
  netspec check --explain NS401              # what a code means, with an example"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_spec(p, nargs="*")
    action = p.add_argument(
        "--explain", metavar="CODE",
        help="explain a diagnostic code (NS401 or its name, empty-output) with an example; "
             "`all` prints the whole index (docs/diagnostics.md)")
    action.completer = _complete_code  # type: ignore[attr-defined]  # read by argcomplete
    add_strict(p)
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="json prints one object per spec with its diagnostics")
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")


def run(args: argparse.Namespace) -> int:
    if args.explain:
        return explain(args.explain, args.format)
    if not args.specs:
        raise UsageError("give one or more SPEC files, or --explain CODE")
    failed = False
    results = []
    out = sys.stdout
    for spec in args.specs:
        try:
            a = load_analysis(spec, args.strict, show_warnings=False)
        except SpecError as e:
            failed = True
            results.append({"spec": shown(spec), "valid": False,
                            "diagnostics": [d.to_dict() for d in e.diagnostics]})
            if args.format == "text":
                print("\n".join(style.diagnostic(d.format(), out) for d in e.diagnostics))
            continue
        results.append({"spec": shown(spec), "valid": True,
                        "output_shape": list(a.output_shape), "total_params": a.total_params,
                        "diagnostics": [w.to_dict() for w in a.warnings]})
        if args.format == "text":
            for w in a.warnings:
                print(style.diagnostic(w.format(), out))
            if not args.quiet:
                shape = "x".join(map(str, a.output_shape))
                print(f"{shown(spec)}: {style.ok('ok', out)}: {a.name}, {len(a.layers)} "
                      f"layers, output {shape}, {a.total_params:,} parameters")
    if args.format == "json":
        print(json.dumps(results, indent=2))
    return 1 if failed else 0


def explain(word: str, fmt: str) -> int:
    """The index entry of one code, or (``all``) the whole index: Markdown as text, a list of
    the codes as JSON."""
    from .. import grading  # noqa: F401  (declares the rubric codes, NS7xx)
    from ..reports.code_index import explain, index_markdown

    if word == "all":
        print(json.dumps([_as_json(c) for c in CODES.values()], indent=2) if fmt == "json"
              else index_markdown(), end="" if fmt != "json" else "\n")
        return 0
    code = lookup(word)
    if code is None:
        from ..layers import did_you_mean

        hint = did_you_mean(word, [c.name for c in CODES.values()])
        raise UsageError(f"--explain: no diagnostic code {word!r}" + (f"; {hint}" if hint else
                         "; `netspec check --explain all` lists them"))
    print(json.dumps(_as_json(code), indent=2) if fmt == "json" else explain(code))
    return 0


def _complete_code(prefix: str, **_: Any) -> list[str]:
    """Shell completion of --explain: the codes and their names."""
    words = [c.id for c in CODES.values()] + [c.name for c in CODES.values()] + ["all"]
    return [w for w in words if w.startswith(prefix)]


def _as_json(code: object) -> dict:
    fields = ("id", "name", "summary", "explanation", "stage", "example")
    return {f: getattr(code, f) for f in fields}
