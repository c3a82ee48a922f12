"""Grade submitted specs against an instructor's rubric: a score per submission, feedback a
student can act on (what is asked, what the spec has, how to get there), the check's
diagnostics, a diff against the reference solution, and the submissions that are structurally
identical. Submissions are files or folders (every .yaml/.yml inside); each is checked with
the same bounded loading as `netspec check`, under the rubric's caps, and the student's own
`expect:` is ignored. Exit 0 once graded (whatever the scores), 1 when the rubric or its
reference is invalid, 2 for bad usage. See docs/grading.md."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from ..core.errors import UsageError
from ..grading import FORMATS, Grader, default_jobs, expand, grade_batch, render
from .common import check_writable

HELP = "grade submitted specs against a rubric (feedback, gradebook, Gradescope)"
EXAMPLES = """\
  netspec grade examples/grading/rubric.yaml submissions/            # a line each, feedback
  netspec grade rubric.yaml submissions/ --format csv -o grades.csv   # a gradebook
  netspec grade rubric.yaml submission.yaml --format gradescope -o results.json"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("rubric", metavar="RUBRIC", help="the assignment's rubric (YAML)")
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                   help="submitted specs: files, or folders of .yaml/.yml files")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="text (a line per submission, then feedback), json, csv (a gradebook) "
                        "or gradescope (results.json, for one submission)")
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.add_argument("--jobs", type=_jobs, default=None,
                   help="worker processes (default: the CPU count less the load average; "
                        "small batches are graded in this process, which is faster)")


def run(args: argparse.Namespace) -> int:
    paths, empty = expand(args.submissions)
    if args.output not in (None, "-"):
        _check_output(Path(args.output), [args.rubric, *paths])
    grader = Grader.load(args.rubric)
    for folder in empty:
        print(f"netspec grade: warning: no .yaml or .yml file in {folder}", file=sys.stderr)
    if not paths:
        raise UsageError("no submissions to grade")
    if args.format == "gradescope" and len(paths) != 1:
        raise UsageError(f"--format gradescope writes one submission's results, got "
                         f"{len(paths)}; grade each submission on its own")
    batch = grade_batch(grader, paths, args.jobs or default_jobs())
    _write(args.output, render(batch, args.format))
    if batch.identical and args.format == "csv":  # the gradebook holds scores only
        for group in batch.identical:
            print(f"netspec grade: structurally identical: {', '.join(group)}", file=sys.stderr)
    return 0


def _write(output: str | None, pieces: Iterable[str]) -> None:
    """The report, a piece at a time (a large class's JSON is never one string)."""
    if output in (None, "-"):
        sys.stdout.writelines(pieces)
        return
    try:
        with open(output, "w", encoding="utf-8") as f:
            f.writelines(pieces)
    except OSError as e:
        raise UsageError(f"cannot write {output}: {e.strerror or e}") from None


def _check_output(path: Path, inputs: list[str]) -> None:
    """-o must be writable, and must not replace the rubric or a submission."""
    check_writable(path, "-")
    for given in inputs:
        if path.exists() and Path(given).exists() and path.samefile(given):
            what = "the rubric" if given == inputs[0] else "a submission"
            raise UsageError(f"{path} is {what}; writing there would replace it")


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 256:
        raise argparse.ArgumentTypeError(f"{value} is not from 1 to 256")
    return value
