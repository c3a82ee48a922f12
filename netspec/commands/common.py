"""Arguments and steps the subcommands share."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..api import Analysis, analyze, load
from ..core.errors import UsageError
from ..graph.network import Network
from ..reading.source import decode, read_limited


def add_spec(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", metavar="SPEC", help="a network spec (YAML); - reads standard input")


def add_strict(p: argparse.ArgumentParser) -> None:
    p.add_argument("--strict", action="store_true",
                   help="treat warnings (a window that does not tile its input, a layer that "
                        "nothing reads) as errors")


def add_device(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                   help="where the model runs (default: auto, CUDA when available)")


def load_network(spec: str) -> Network:
    if spec == "-":
        return load(decode(read_limited(sys.stdin.buffer, "<stdin>"), "<stdin>"), file="<stdin>")
    return load(Path(spec))


def load_analysis(spec: str, strict: bool = False, show_warnings: bool = True) -> Analysis:
    """The spec's analysis; its warnings go to standard error, as a compiler's do (``check``
    and ``report`` show them in their own output instead)."""
    a = analyze(load_network(spec), strict=strict)
    if show_warnings:
        for w in a.warnings:
            print(w.format(), file=sys.stderr)
    return a


def output_path(value: str | None, suffixes: tuple[str, ...], spec: str) -> Path:
    """Check an -o path before any work is done, as a usage error: its suffix, then as
    :func:`check_writable`."""
    if not value:
        raise UsageError(f"-o FILE is required ({' or '.join(suffixes)})")
    path = Path(value)
    if path.suffix.lower() not in suffixes:
        raise UsageError(f"{value}: the file name must end in {' or '.join(suffixes)}")
    check_writable(path, spec)
    return path


def check_writable(path: Path, spec: str) -> None:
    """A folder that exists, not a folder itself, not the spec, and writable: a long training
    must not end unable to save."""
    if not path.parent.exists():
        raise UsageError(f"{path}: the folder {path.parent} does not exist")
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give a file name")
    if spec != "-" and path.exists() and Path(spec).exists() and path.samefile(spec):
        raise UsageError(f"{path} is the spec itself; writing there would replace it")
    _probe(path)


def _probe(path: Path) -> None:
    """Open ``path`` for writing and leave it as it was: a file that did not exist is removed."""
    existed = path.exists()
    try:
        with path.open("ab"):
            pass
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
    if not existed:
        path.unlink()


def write_text(path: str | None, text: str) -> None:
    if path in (None, "-"):
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        Path(path).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
