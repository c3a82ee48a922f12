"""List the layer kinds with their settings, defaults and an example."""
from __future__ import annotations

import argparse
import dataclasses

from ..layers import KINDS
from ..layers.base import COMMON
from ..reading.doc_text import summary

HELP = "list the layer kinds and their settings"
EXAMPLES = """\
  netspec kinds                     # every kind, its settings and defaults, an example
  netspec kinds conv                # one kind"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    action = p.add_argument("kind", nargs="?", help="show only this kind")
    action.completer = lambda prefix, **_: [k for k in KINDS if k.startswith(prefix)]  # type: ignore[attr-defined]


def describe(kind: str) -> str:
    """The kind's summary, then a row per setting: name, default, what it means."""
    cls = KINDS[kind]
    lines = [f"{kind}: {summary(cls)}"]
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
