"""List the specs that ship with netspec (the zoo: `specs/` and the notes' worked examples in
`examples/`), one line each; every command takes them by name (`netspec report vgg16`). With a
NAME, print that spec's YAML, to start a spec of your own from."""
from __future__ import annotations

import argparse
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

from ..core.errors import SpecError, UsageError
from ..reading import zoo
from .common import load_analysis, missing_file

HELP = "list the specs that ship with netspec, or print one"
EXAMPLES = """\
  netspec zoo                       # name, parameters, shapes and what each shows
  netspec zoo resnet18 > mine.yaml  # a copy to start from
  netspec report resnet18           # any command takes a zoo name"""
WIDTH = 100


def add_arguments(p: argparse.ArgumentParser) -> None:
    action = p.add_argument("name", nargs="?", metavar="NAME", help="print this spec's YAML")
    action.completer = _complete  # type: ignore[attr-defined]  # read by argcomplete


def run(args: argparse.Namespace) -> int:
    entries = zoo.entries()
    if args.name:
        path = zoo.find(args.name)
        if path is None:
            raise UsageError(missing_file(args.name).replace(": no such file, nor", ": not"))
        sys.stdout.write(path.read_text(encoding="utf-8"))
        return 0
    if not entries:
        raise UsageError("this installation of netspec has no zoo (its specs/ and examples/)")
    rows = [_row(name, path) for name, path in entries.items()]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        head = "  ".join([row[0].ljust(widths[0]), row[1].rjust(widths[1]),
                          row[2].ljust(widths[2])])
        room = WIDTH - len(head) - 2
        about = textwrap.shorten(row[3], room, placeholder="...") if room > 10 else ""
        print(f"{head}  {about}".rstrip())
    return 0


def _row(name: str, path: Path) -> tuple[str, str, str, str]:
    """``vgg16``, ``138,357,544 params``, ``3x224x224 -> 1000``, what it is."""
    try:
        a = load_analysis(str(path), show_warnings=False)
        params, shapes = f"{a.total_params:,} params", (
            f"{_shape(a.input_shape)} -> {_shape(a.output_shape)}")
    except SpecError:
        params, shapes = "(invalid)", ""
    return name, params, shapes, _about(path)


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


def _about(path: Path) -> str:
    """The first sentence of the comment a spec starts with."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").strip())
    return re.split(r"(?<=\.)\s", " ".join(lines), maxsplit=1)[0].rstrip(".")


def _complete(prefix: str, **_: Any) -> list[str]:
    return [n for n in zoo.entries() if n.startswith(prefix)]
