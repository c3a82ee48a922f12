"""List the layer kinds with their settings, defaults and an example."""
from __future__ import annotations

from pydantic_core import PydanticUndefined

from ..layers import KINDS

HELP = "list the layer kinds and their settings"
COMMON = ("name", "input", "expect")


def add_arguments(p):
    p.add_argument("kind", nargs="?", help="show only this kind")


def describe(kind: str) -> str:
    cls = KINDS[kind]
    summary = (cls.__doc__ or "").strip().splitlines()[0].replace("``", "")
    lines = [f"{kind}: {summary}"]
    fields = sorted(cls.model_fields.items(), key=lambda item: item[0] != cls.shorthand)
    for field, info in fields:
        if field in COMMON:
            continue
        default = "required" if info.default is PydanticUndefined else f"default {info.default!r}"
        short = " (the short form's value)" if field == cls.shorthand else ""
        lines.append(f"  {field}: {default}{short}")
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
