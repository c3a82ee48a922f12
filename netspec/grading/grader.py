"""Grading one submission against a rubric: check it (bounded, its ``expect:`` ignored), score
every criterion, compare it with the reference solution. A rubric is read once, with its
reference, which must itself be valid and earn every point (else the rubric is wrong)."""
from __future__ import annotations

import gc
import time
from typing import Any

from ..analysis import CheckedNetwork, analyze, build_network
from ..core.codes import EXAMPLE_CHECKS, declare
from ..core.errors import Diagnostic, SpecError
from ..reading.source import load_text
from .copies import fingerprint
from .criteria import evaluate
from .diff import Reference, diff
from .results import CriterionResult, Grade
from .rubric import RubricFile, number, parse_rubric, read_rubric, reference_document
from .submission import check_submission

_REFERENCE = ("reference:\n  input: [1, 28, 28]\n  layers:\n{layers}criteria:\n"
              "  - {criterion}\n")
REFERENCE_INVALID = declare(
    "NS711", "rubric-reference-invalid", "the rubric's reference solution does not check",
    "The reference solution (`reference:`, a spec file beside the rubric or one written "
    "inline) is compared with every submission, so it must be a valid spec; its own "
    "diagnostics follow this one.",
    _REFERENCE.format(layers="    - conv: {filters: 8, kernel: 29}\n",
                      criterion="layer_count: {max: 10}"))
REFERENCE_FAILS = declare(
    "NS712", "rubric-reference-fails", "the reference solution does not earn every point",
    "A rubric that its own solution fails has a criterion that is wrong (a bound too tight, a "
    "kind misnamed) or a solution that is: each missed criterion is listed with its feedback.",
    _REFERENCE.format(layers="    - flatten\n    - dense: 10\n",
                      criterion="count: {kind: conv, min: 1}"))
CRASHED = declare(
    "NS716", "submission-crashed", "grading a submission failed: netspec crashed or ran out "
    "of memory",
    "The worker grading this submission died (out of memory, killed) or netspec hit a bug on "
    "it. The other submissions are graded as usual; please report the file.")


class Grader:
    """A rubric, read and checked, with its reference solution's analysis."""

    def __init__(self, rubric: RubricFile, reference: CheckedNetwork | None = None,
                 reference_file: str | None = None):
        self.rubric = rubric
        self.reference_file = reference_file
        self.reference = Reference.of(reference, reference_file or rubric.file) \
            if reference is not None else None

    @classmethod
    def load(cls, path: str) -> Grader:
        """The rubric at ``path``; SpecError when it, or its reference, is wrong."""
        return cls.of(read_rubric(path))

    @classmethod
    def of(cls, rubric: RubricFile) -> Grader:
        reference, file = _reference(rubric)
        if reference is not None:
            missed = [r for r in evaluate(rubric, reference) if not r.passed]
            if missed:
                raise SpecError([_reference_fails(rubric, file, missed)])
        return cls(rubric, reference, file)

    @property
    def max_score(self) -> float:
        return self.rubric.max_score

    def grade(self, path: str) -> Grade:
        """One submission's grade. Never raises for what the file holds: a file netspec fails
        on (a bug) is graded invalid with the reason, so the batch goes on."""
        start = time.perf_counter()
        paused = gc.isenabled()
        gc.disable()  # checking leaves no cycles: the collector's passes are pure overhead
        try:
            return self._grade(path, start)
        except Exception as e:  # a bug in netspec, not the student's: say so, grade the rest
            return self.failed(path, f"netspec failed on this file ({type(e).__name__}: {e}); "
                               "this is a bug in netspec", CRASHED, start)
        finally:
            if paused:
                gc.enable()

    def _grade(self, path: str, start: float) -> Grade:
        checked = check_submission(path, self.rubric.limits)
        mark = fingerprint(checked.network) if checked.network is not None else None
        if checked.net is None:
            return Grade(path, self.rubric.rubric.invalid, self.max_score, False,
                         self._not_graded(), checked.diagnostics, checked.ignored_expect,
                         fingerprint=mark, seconds=time.perf_counter() - start)
        results = evaluate(self.rubric, checked.net)
        return Grade(path, round(sum(r.score for r in results), 2), self.max_score, True,
                     results, checked.diagnostics, checked.ignored_expect, summary(checked.net),
                     diff(checked.net, self.reference) if self.reference else None, mark,
                     time.perf_counter() - start)

    def failed(self, path: str, message: str, code: str, start: float | None = None) -> Grade:
        """An invalid grade for a submission that could not be graded (too slow, a crash)."""
        seconds = time.perf_counter() - start if start is not None else 0.0
        return Grade(path, self.rubric.rubric.invalid, self.max_score, False, self._not_graded(),
                     (Diagnostic("error", message, code=code),), seconds=seconds)

    def _not_graded(self) -> tuple[CriterionResult, ...]:
        return tuple(CriterionResult(name, c.check, c.points, 0.0, False,
                                     "not graded: the submission does not check")
                     for c, name in zip(self.rubric.rubric.criteria, self.rubric.names))


def summary(net: CheckedNetwork) -> dict[str, Any]:
    """The figures of a valid submission, for the JSON."""
    return {"name": net.name, "layers": len(net.layers), "params": net.total_params,
            "macs": net.total_macs, "activation_bytes": net.memory().activations,
            "output_shape": list(net.output_shape),
            "receptive_field": list(net.layers[-1].receptive_field)}


def _reference(rubric: RubricFile) -> tuple[CheckedNetwork | None, str | None]:
    where = rubric.doc.where_key(("reference",))
    try:
        doc = reference_document(rubric)
        if doc is None:
            return None, None
        return analyze(build_network(doc)), doc.file
    except SpecError as e:
        first = Diagnostic("error", "the reference solution does not check", where,
                           hint="fix the reference: its diagnostics follow",
                           code=REFERENCE_INVALID)
        raise SpecError([first, *e.diagnostics]) from None


def _reference_fails(rubric: RubricFile, file: str | None,
                     missed: list[CriterionResult]) -> Diagnostic:
    lost = sum(r.points for r in missed)
    return Diagnostic(
        "error", f"the reference solution ({file}) misses {len(missed)} of the rubric's "
        f"{len(rubric.names)} criteria, worth {number(lost)} of its {number(rubric.max_score)} "
        "points",
        rubric.doc.where_key(("reference",)),
        details=tuple(f"{r.name}: {r.feedback}" for r in missed),
        hint="a criterion is wrong, or the solution is", code=REFERENCE_FAILS)


def check_example(text: str, file: str) -> list[Diagnostic]:
    """What reading a rubric gives (the NS7xx codes' examples in the index are rubrics)."""
    try:
        Grader.of(parse_rubric(load_text(text, file)))
    except SpecError as e:
        return list(e.diagnostics)
    return []


EXAMPLE_CHECKS[7] = check_example
