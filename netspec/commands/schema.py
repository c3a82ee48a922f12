"""Print the JSON Schema of the spec format, for editors (the YAML language server: VS Code's
YAML extension and other clients; docs/editor.md).

Without SPEC, the generic schema: every kind and setting is checked, and in a spec that defines
`blocks:` any other name reads as a block use. With SPEC, a schema for that spec, which knows its
blocks and their parameters and so refuses a misspelt kind anywhere (write it again when the
blocks change)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .common import (
    add_output,
    check_writable,
    complete_spec,
    read_document,
    spec_argument,
    write_text,
)

HELP = "print the JSON Schema of the spec format, for editors"
EXAMPLES = """\
  netspec schema -o netspec.schema.json          # then, on a spec's first line:
      # yaml-language-server: $schema=netspec.schema.json
  netspec schema specs/resnet18.yaml -o resnet18.schema.json   # knows the spec's blocks"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    action = p.add_argument(
        "spec", nargs="?", metavar="SPEC", type=spec_argument,
        help="write a schema that knows this spec's blocks: a file, a zoo name, or - for "
             "standard input")
    action.completer = complete_spec  # type: ignore[attr-defined]  # read by argcomplete
    add_output(p, "write to this file instead of standard output")
    p.add_argument("--rubric", action="store_true",
                   help="the JSON Schema of a grading rubric instead (netspec grade)")


def run(args: argparse.Namespace) -> int:
    if args.rubric:
        from ..grading import rubric_schema

        write_text(args.output, json.dumps(rubric_schema(), indent=2))
        return 0
    from ..reading.json_schema import json_schema  # imports pydantic's schema generator

    if args.output not in (None, "-"):
        check_writable(Path(args.output), args.spec or "-")
    blocks = None
    if args.spec:
        data = read_document(args.spec).data
        found = data.get("blocks") if isinstance(data, dict) else None
        blocks = found if isinstance(found, dict) else {}
    write_text(args.output, json.dumps(json_schema(blocks), indent=2))
    return 0
