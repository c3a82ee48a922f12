"""Arguments and steps the subcommands share."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..api import Analysis, analyze, load
from ..core.errors import UsageError
from ..graph.network import Network
from ..reading import zoo
from ..reading.source import Document, decode, load_text, read_file, read_limited
from . import style

STDIN = "<stdin>"  # how messages name standard input, in every command


def add_spec(p: argparse.ArgumentParser, nargs: str | None = None) -> None:
    """The SPEC argument: a file, ``-`` for standard input, or a zoo name (``vgg16``)."""
    action = p.add_argument(
        "spec" if nargs is None else "specs", nargs=nargs, metavar="SPEC", type=spec_argument,
        help="a network spec (YAML), a spec of the zoo by name (`netspec zoo` lists them), "
             "or - for standard input")
    action.completer = complete_spec  # type: ignore[attr-defined]  # read by argcomplete


def spec_argument(text: str) -> str:
    """SPEC as argparse reads it: ``-``, a file, or the path of the zoo's spec of that name.
    A missing file is a usage error (exit 2), worded the same in every command."""
    if text == "-":
        return text
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a spec file")
    if path.exists():
        return text
    found = zoo.find(text)
    if found is not None:
        return str(found)
    raise argparse.ArgumentTypeError(missing_file(text))


def missing_file(text: str) -> str:
    if "/" in text or "\\" in text:
        return f"{text}: no such file"
    from ..layers import did_you_mean

    hint = did_you_mean(text.removesuffix(".yaml"), zoo.entries())
    return (f"{text}: no such file, nor a spec of the zoo"
            + (f" ({hint})" if hint else " (`netspec zoo` lists them)"))


def complete_spec(prefix: str, **_: Any) -> list[str]:
    """Shell completion of SPEC: YAML files, and the zoo's names."""
    from argcomplete.completers import FilesCompleter

    names = [n for n in zoo.entries() if n.startswith(prefix)]
    return names + list(FilesCompleter(("yaml", "yml"))(prefix))


def shown(spec: str) -> str:
    """A spec's name in messages: ``<stdin>`` for ``-``."""
    return STDIN if spec == "-" else spec


def add_output(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("-o", "--output", metavar="FILE", help=help)


def add_strict(p: argparse.ArgumentParser) -> None:
    p.add_argument("--strict", action="store_true",
                   help="treat warnings (a window that does not tile its input, a layer that "
                        "nothing reads) as errors")


def add_device(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                   help="where the model runs (default: auto, CUDA when available)")


def spec_text(spec: str) -> str:
    """The text of a spec file, or of standard input for ``-``."""
    if spec == "-":
        return decode(read_limited(sys.stdin.buffer, STDIN), STDIN)
    return read_file(spec)


def read_document(spec: str) -> Document:
    """A spec's YAML, loaded (bounded) but not yet checked."""
    return load_text(spec_text(spec), shown(spec))


def load_network(spec: str) -> Network:
    return load(spec_text(spec), file=shown(spec))


def load_analysis(spec: str, strict: bool = False, show_warnings: bool = True) -> Analysis:
    """The spec's analysis; its warnings go to standard error, as a compiler's do (``check``
    and ``report`` show them in their own output instead)."""
    a = analyze(load_network(spec), strict=strict)
    if show_warnings:
        for w in a.warnings:
            print(style.diagnostic(w.format(), sys.stderr), file=sys.stderr)
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
