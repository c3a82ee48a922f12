"""List the layer kinds with their settings, defaults and an example."""
from __future__ import annotations

import argparse
import dataclasses

from ..layers import KINDS
from ..layers.base import COMMON

HELP = "list the layer kinds and their settings"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", nargs="?", help="show only this kind")


def describe(kind: str) -> str:
    """The kind's summary, then a row per setting: name, default, what it means."""
    cls = KINDS[kind]
    lines = [f"{kind}: {_summary(cls)}"]
    fields = sorted(dataclasses.fields(cls), key=lambda f: f.name != cls.shorthand)
    for field in fields:
        if field.name in COMMON:
            continue
        default = ("required" if field.default is dataclasses.MISSING
                   else f"= {_yaml(field.default)}")
        if field.name == cls.shorthand:
            default += " (short form)"
        doc = field.metadata.get("doc") or ""
        lines.append(f"  {field.name:<15} {default:<22} {doc}".rstrip())
    if cls.example:
        lines.append(f"  example: {cls.example}")
    return "\n".join(lines)


def _summary(cls: type) -> str:
    """The docstring's first paragraph on one line (the rest is for developers)."""
    paragraph = (cls.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(line.strip() for line in paragraph.splitlines()).replace("``", "`")


def _yaml(value: object) -> str:
    """A default as a spec writes it: true, null, 1e-05."""
    if value is None:
        return "null"
    return str(value).lower() if isinstance(value, bool) else repr(value)


def run(args: argparse.Namespace) -> int:
    from ..core.errors import UsageError
    from ..layers import did_you_mean

    if args.kind and args.kind not in KINDS:
        raise UsageError(f"unknown kind '{args.kind}'; " + (did_you_mean(args.kind, KINDS) or
                                                            "see `netspec kinds`"))
    print("\n\n".join(describe(k) for k in ([args.kind] if args.kind else sorted(KINDS))))
    return 0
