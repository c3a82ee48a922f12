"""The grades of a batch as text (a summary line per student, then each one's feedback), JSON,
CSV (a gradebook: a row per submission, a column per criterion) or Gradescope's results.json
(one submission). Views only: every figure and sentence was made when grading. Each yields
its text in pieces, a submission at a time, so that writing a large batch's report costs no
more memory than its grades."""
from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Callable, Iterator
from typing import NamedTuple

from .results import Diff, Grade, LayerLine

FORMATS = ("text", "json", "csv", "gradescope")


class Batch(NamedTuple):
    """A graded batch: the rubric's facts, every grade in order, and the identical groups."""

    rubric: str  # the rubric's path, as given
    assignment: str | None
    max_score: float
    criteria: tuple[tuple[str, str, float], ...]  # (name, check, points)
    reference: str | None
    grades: list[Grade]
    identical: list[list[str]]  # paths of structurally identical submissions


def render(batch: Batch, fmt: str) -> Iterator[str]:
    """The report in pieces; joined, it ends with a newline."""
    return RENDERERS[fmt](batch)


def points(x: float) -> str:
    """12, 13.5, 13.33: no trailing zeros."""
    return str(int(x)) if x == int(x) else f"{x:.2f}".rstrip("0").rstrip(".")


# --- text ------------------------------------------------------------------------------------

def text(batch: Batch) -> Iterator[str]:
    n = len(batch.criteria)
    out = [f"{batch.assignment or 'netspec grade'} ({batch.rubric}: {n} criteri"
           f"{'on' if n == 1 else 'a'}, {points(batch.max_score)} point"
           f"{'' if batch.max_score == 1 else 's'})", ""]
    width = max(len(f"{points(g.score)}/{points(g.max_score)}") for g in batch.grades)
    for g in batch.grades:
        out.append(f"  {points(g.score) + '/' + points(g.max_score):>{width}}  {g.path}"
                   + _verdict(g))
    out += ["", _tally(batch)]
    if batch.identical:
        out += ["", "structurally identical submissions (the same layers and settings, "
                "whatever the names; for you to look at, not part of any score):"]
        out += [f"  {', '.join(group)}" for group in batch.identical]
    yield "\n".join(out) + "\n"
    for g in batch.grades:
        yield "\n".join(["", f"== {g.path}: {points(g.score)}/{points(g.max_score)}",
                         *feedback(g)]) + "\n"


def _verdict(g: Grade) -> str:
    if not g.valid:
        first = next((d for d in g.diagnostics if d.severity == "error"), None)
        return "  invalid" + (f": {first.message}" if first else "")
    missed = [c.name for c in g.missed]
    return f"  missed: {', '.join(missed)}" if missed else ""


def _tally(batch: Batch) -> str:
    grades = batch.grades
    invalid = sum(not g.valid for g in grades)
    mean = sum(g.score for g in grades) / len(grades)
    full = sum(g.score >= g.max_score for g in grades)
    return (f"{len(grades)} submission{'s' if len(grades) != 1 else ''}: mean "
            f"{points(round(mean, 2))} of {points(batch.max_score)}, {full} with every point, "
            f"{invalid} invalid")


def feedback(g: Grade) -> list[str]:
    """One submission's feedback: each criterion, the check's diagnostics, the diff."""
    out = []
    if g.valid:
        for c in g.criteria:
            out.append(f"  {'pass' if c.passed else 'MISS'}  {c.name} "
                       f"({points(c.score)}/{points(c.points)}): {c.feedback}")
            if c.message:
                out.append(f"        from the instructor: {c.message}")
    out += check_lines(g)
    if g.diff is not None:
        out += diff_lines(g.diff)
    return out


def check_lines(g: Grade) -> list[str]:
    """What the check said: the errors of an invalid submission, the warnings of a valid one,
    and the `expect:` that was not graded."""
    out = []
    if g.diagnostics:
        out.append("  the submission does not check, so no criterion is graded:" if not g.valid
                   else "  the check's warnings:")
        out += [textwrap.indent(d.format(), "    ") for d in g.diagnostics]
    if g.ignored_expect:
        lines = ", ".join(map(str, g.ignored_expect))
        out.append(f"  note: your spec's own `expect:` (line {lines}) is not graded: the "
                   "rubric is what counts")
    return out


def diff_lines(d: Diff) -> list[str]:
    """The aligned layers in two columns, then the totals side by side."""
    def cells(line: LayerLine | None) -> list[str]:
        if line is None:
            return ["", "", "", ""]
        return [line.name, line.label, line.output_shape, f"{line.params:,}"]

    table = [["", "submission", "", "", "", "|", "reference", "", "", ""]]
    table += [[r.mark, *cells(r.submission), "|", *cells(r.reference)] for r in d.rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    right = {4, 9}  # parameter columns
    out = [f"  against the reference solution ({d.reference}): = same, ~ differs, "
           "+ only yours, - only the reference's"]
    for row in table:
        out.append("    " + "  ".join(c.rjust(w) if i in right else c.ljust(w)
                                      for i, (c, w) in enumerate(zip(row, widths))).rstrip())
    if d.omitted:
        out.append(f"    ... {d.omitted:,} more rows")
    name_w = max(len(f) for f, _, _ in d.totals)
    sub_w = max(len("submission"), *(len(s) for _, s, _ in d.totals))
    out.append(f"    {'':{name_w}}  {'submission':>{sub_w}}  reference")
    out += [f"    {f:{name_w}}  {s:>{sub_w}}  {r}" for f, s, r in d.totals]
    return out


# --- JSON, CSV, Gradescope -------------------------------------------------------------------

def as_json(batch: Batch) -> Iterator[str]:
    """One object, as ``json.dumps(..., indent=2)`` would write it, a submission at a time."""
    head = {"rubric": batch.rubric, "assignment": batch.assignment,
            "max_score": batch.max_score,
            "criteria": [{"name": n, "check": c, "points": p} for n, c, p in batch.criteria],
            "reference": batch.reference}
    yield "{\n" + "".join(f"  {json.dumps(k)}: {_nested(v, 2)},\n" for k, v in head.items())
    yield '  "submissions": [\n'
    for i, g in enumerate(batch.grades):
        comma = "," if i < len(batch.grades) - 1 else ""
        yield f"    {_nested(g.to_dict(), 4)}{comma}\n"
    yield f'  ],\n  "identical": {_nested(batch.identical, 2)}\n}}\n'


def _nested(value: object, indent: int) -> str:
    return json.dumps(value, indent=2).replace("\n", "\n" + " " * indent)


def as_csv(batch: Batch) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", "score", "max_score", "valid",
                     *(name for name, _, _ in batch.criteria)])
    for g in batch.grades:
        writer.writerow([g.path, points(g.score), points(g.max_score),
                         "yes" if g.valid else "no", *(points(c.score) for c in g.criteria)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def gradescope(batch: Batch) -> Iterator[str]:
    """Gradescope's results.json: the score, and a test per criterion with its feedback. The
    diff is left out: students see this, and it would show them the reference solution."""
    (g,) = batch.grades
    summary = [f"{points(g.score)}/{points(g.max_score)}: {batch.assignment or 'netspec grade'}"]
    tests = [{"name": c.name, "score": c.score, "max_score": c.points,
              "status": "passed" if c.passed else "failed",
              "output": c.feedback + (f"\n{c.message}" if c.message else ""),
              "visibility": "visible"} for c in g.criteria]
    yield json.dumps({"score": g.score, "output": "\n".join(summary + check_lines(g)),
                      "visibility": "visible", "tests": tests}, indent=2) + "\n"


RENDERERS: dict[str, Callable[[Batch], Iterator[str]]] = {
    "text": text, "json": as_json, "csv": as_csv, "gradescope": gradescope}
