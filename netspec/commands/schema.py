"""Print the JSON Schema of the spec format, for editors (YAML language server)."""
from __future__ import annotations

import argparse
import json

from .common import write_text

HELP = "print the JSON Schema of the spec format"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.add_argument("--rubric", action="store_true",
                   help="the JSON Schema of a grading rubric instead (netspec grade)")


def run(args: argparse.Namespace) -> int:
    if args.rubric:
        from ..grading import rubric_schema

        write_text(args.output, json.dumps(rubric_schema(), indent=2))
        return 0
    from ..reading.json_schema import json_schema  # imports pydantic's schema generator

    write_text(args.output, json.dumps(json_schema(), indent=2))
    return 0
