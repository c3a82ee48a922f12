"""Print the JSON Schema of the spec format, for editors (YAML language server)."""
from __future__ import annotations

import json

from .common import write_text

HELP = "print the JSON Schema of the spec format"


def add_arguments(p):
    p.add_argument("-o", "--output", help="write to this file instead of standard output")


def run(args) -> int:
    from ..schema import json_schema  # imports pydantic's schema generator: only here

    write_text(args.output, json.dumps(json_schema(), indent=2))
    return 0
