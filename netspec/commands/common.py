"""Arguments and steps the subcommands share."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..analysis import Analysis
from ..api import analyze, load
from ..errors import UsageError
from ..graph import Network
from ..source import decode, read_limited


def add_spec(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", metavar="SPEC", help="a network spec (YAML); - reads standard input")


def add_strict(p: argparse.ArgumentParser) -> None:
    p.add_argument("--strict", action="store_true",
                   help="treat warnings (a window that does not tile its input) as errors")


def add_device(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                   help="where the model runs (default: auto, CUDA when available)")


def load_network(spec: str) -> Network:
    if spec == "-":
        return load(decode(read_limited(sys.stdin.buffer, "<stdin>"), "<stdin>"), file="<stdin>")
    return load(Path(spec))


def load_analysis(spec: str, strict: bool = False) -> Analysis:
    return analyze(load_network(spec), strict=strict)


def output_path(value: str | None, suffixes: tuple[str, ...]) -> Path:
    """Check an -o path's suffix and that its folder exists, as a usage error."""
    if not value:
        raise UsageError(f"-o FILE is required ({' or '.join(suffixes)})")
    path = Path(value)
    if path.suffix.lower() not in suffixes:
        raise UsageError(f"{value}: the file name must end in {' or '.join(suffixes)}")
    if not path.parent.exists():
        raise UsageError(f"{value}: the folder {path.parent} does not exist")
    return path


def write_text(path: str | None, text: str) -> None:
    if path in (None, "-"):
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        Path(path).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
