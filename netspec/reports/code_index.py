"""The index of diagnostic codes, as ``netspec check --explain`` prints it and as
docs/diagnostics.md holds it: each code's summary, why it matters, and its example spec with
the diagnostic netspec gives for it, produced by running the check on the example (so the
index cannot drift from what the checker says)."""
from __future__ import annotations

import textwrap

from ..analysis import analyze, build_network
from ..core.codes import CODES, EXAMPLE_CHECKS, STAGES, Code
from ..core.errors import Diagnostic, SpecError
from ..reading.source import load_text

EXAMPLE_FILE = "example.yaml"


def example_diagnostics(code: Code) -> list[Diagnostic]:
    """What checking the code's example gives: its errors, or its warnings when it is valid."""
    if code.example is None:
        return []
    check = EXAMPLE_CHECKS.get(int(code.id[2]))
    if check is not None:  # not a spec (a rubric): its stage's package says what it gives
        return check(code.example, EXAMPLE_FILE)
    try:
        return list(analyze(build_network(load_text(code.example, EXAMPLE_FILE))).warnings)
    except SpecError as e:
        return list(e.diagnostics)


def explain(code: Code) -> str:
    """One code's entry as text."""
    lines = [f"{code.id} {code.name}: {code.summary}", f"stage: {code.stage}", ""]
    lines += textwrap.wrap(code.explanation, 96)
    if code.example is not None:
        lines += ["", f"example ({EXAMPLE_FILE}):"]
        lines += [f"  {line}" for line in code.example.splitlines()]
        lines += ["gives:"] + [textwrap.indent(d.format(), "  ")
                               for d in _own(code, example_diagnostics(code))]
    return "\n".join(lines)


def index_markdown() -> str:
    """Every code, by stage: docs/diagnostics.md."""
    out = ["# Diagnostic codes", "",
           "Every error and warning netspec reports carries a stable code: `error[NS401]` in "
           "the text output, `\"code\"` in the JSON. Tools, rubrics and a layer's `allow:` "
           "refer to codes, never to message text. `netspec check --explain NS401` (or its "
           "name, `empty-output`) prints one entry; this page is `netspec check --explain "
           "all`. Each example below is checked as written, and what it gives is printed "
           "beneath it.", ""]
    for stage, title in STAGES.items():
        codes = [c for c in CODES.values() if int(c.id[2]) == stage]
        if not codes:
            continue
        out += [f"## NS{stage}xx: {title}", ""]
        for c in sorted(codes):
            out += [f"### {c.id} `{c.name}`", "", f"**{c.summary}.** {c.explanation}", ""]
            if c.example is not None:
                out += ["```yaml", c.example.rstrip("\n"), "```", "", "```"]
                out += [d.format() for d in _own(c, example_diagnostics(c))]
                out += ["```", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _own(code: Code, found: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in found if d.code == code.id]
