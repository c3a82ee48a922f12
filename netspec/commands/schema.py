"""Print the JSON Schema of the spec format, for editors (YAML language server)."""
from __future__ import annotations

import argparse
import json

from .common import write_text

HELP = "print the JSON Schema of the spec format"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", help="write to this file instead of standard output")


def run(args: argparse.Namespace) -> int:
    from ..reading.json_schema import json_schema  # imports pydantic's schema generator

    write_text(args.output, json.dumps(json_schema(), indent=2))
    return 0
