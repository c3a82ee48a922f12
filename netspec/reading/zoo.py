"""The zoo: the specs and worked examples that ship with netspec, found by name (``vgg16``).

In a source tree they are the repository's `specs/` and `examples/`; the wheel carries the same
files as package data (`netspec/_zoo/`, put there by the build configuration in
pyproject.toml), so an installed netspec reads the README's specs by name."""
from __future__ import annotations

from pathlib import Path

FOLDERS = ("specs", "examples")  # the zoo proper, then the notes' small worked examples
_PACKAGE = Path(__file__).resolve().parents[1]


def folders() -> list[Path]:
    """Where the zoo is: the package data of an installed netspec, else the source tree's."""
    shipped = _PACKAGE / "_zoo"
    root = shipped if shipped.is_dir() else _PACKAGE.parent
    if root is _PACKAGE.parent and not (root / "pyproject.toml").is_file():
        return []  # installed without its zoo: not a source tree either
    return [root / f for f in FOLDERS if (root / f).is_dir()]


def entries() -> dict[str, Path]:
    """Every spec of the zoo by name (the file name without .yaml), specs before examples."""
    found: dict[str, Path] = {}
    for folder in folders():
        for path in sorted(folder.glob("*.yaml")):
            found.setdefault(path.stem, path)
    return found


def find(name: str) -> Path | None:
    """The zoo's spec called ``name`` (``vgg16`` or ``vgg16.yaml``), or None. A name with a
    folder in it is a path, never a zoo name."""
    if "/" in name or "\\" in name:
        return None
    return entries().get(name.removesuffix(".yaml"))
