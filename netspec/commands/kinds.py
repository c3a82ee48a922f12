"""List the layer kinds with their settings, defaults and an example."""
from __future__ import annotations

import dataclasses

from ..layers import KINDS
from ..layers.base import COMMON

HELP = "list the layer kinds and their settings"


def add_arguments(p):
    p.add_argument("kind", nargs="?", help="show only this kind")


def describe(kind: str) -> str:
    cls = KINDS[kind]
    summary = (cls.__doc__ or "").strip().splitlines()[0].replace("``", "")
    lines = [f"{kind}: {summary}"]
    fields = sorted(dataclasses.fields(cls), key=lambda f: f.name != cls.shorthand)
    for field in fields:
        if field.name in COMMON:
            continue
        required = field.default is dataclasses.MISSING
        default = "required" if required else f"default {field.default!r}"
        short = " (the short form's value)" if field.name == cls.shorthand else ""
        lines.append(f"  {field.name}: {default}{short}")
    if cls.example:
        lines.append(f"  example: {cls.example}")
    return "\n".join(lines)


def run(args) -> int:
    from ..errors import UsageError
    from ..layers import did_you_mean

    if args.kind and args.kind not in KINDS:
        raise UsageError(f"unknown kind '{args.kind}'; " + (did_you_mean(args.kind, KINDS) or
                                                            "see `netspec kinds`"))
    print("\n\n".join(describe(k) for k in ([args.kind] if args.kind else sorted(KINDS))))
    return 0
