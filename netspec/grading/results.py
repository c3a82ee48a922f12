"""What grading a submission produces: plain, picklable data (worker processes send it back),
which every output format renders and none computes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..core.errors import Diagnostic


class CriterionResult(NamedTuple):
    """One criterion's score and the feedback a student can act on."""

    name: str
    check: str  # the rubric's check (params, receptive_field, ...)
    points: float  # what it is worth
    score: float
    passed: bool
    feedback: str  # what is required, what the submission has, and how to get there
    message: str | None = None  # the instructor's own words, for a missed criterion

    def to_dict(self) -> dict:
        return self._asdict()


class LayerLine(NamedTuple):
    """A layer as the diff against the reference shows it."""

    name: str
    kind: str
    label: str
    output_shape: str  # 32x16x16
    params: int

    def same_as(self, other: LayerLine) -> bool:
        return (self.label, self.output_shape, self.params) == (
            other.label, other.output_shape, other.params)


class DiffRow(NamedTuple):
    """One aligned row: ``=`` the same, ``~`` the same kind that differs, ``+`` only in the
    submission, ``-`` only in the reference."""

    mark: str
    submission: LayerLine | None
    reference: LayerLine | None

    def to_dict(self) -> dict:
        return {"mark": self.mark,
                "submission": self.submission._asdict() if self.submission else None,
                "reference": self.reference._asdict() if self.reference else None}


class Diff(NamedTuple):
    """A submission against the reference solution: layers aligned, and totals side by side."""

    reference: str  # where the reference was read from
    rows: tuple[DiffRow, ...]
    omitted: int  # rows left out past the cap (a very long submission)
    totals: tuple[tuple[str, str, str], ...]  # (figure, submission's, reference's)

    def to_dict(self) -> dict:
        return {"reference": self.reference, "rows": [r.to_dict() for r in self.rows],
                "omitted_rows": self.omitted,
                "totals": [{"figure": f, "submission": s, "reference": r}
                           for f, s, r in self.totals]}


@dataclass(frozen=True)
class Grade:
    """One submission's grade: its score, each criterion's, the check's diagnostics (the errors
    of an invalid submission, the warnings of a valid one) and the diff against the reference."""

    path: str  # as given on the command line
    score: float
    max_score: float
    valid: bool
    criteria: tuple[CriterionResult, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    ignored_expect: tuple[int, ...] = ()  # lines of the student's own `expect:`, not graded
    network: dict | None = None  # name, layers, params, macs, output shape
    diff: Diff | None = None
    fingerprint: str | None = None  # equal for structurally identical submissions
    seconds: float = 0.0

    @property
    def missed(self) -> list[CriterionResult]:
        return [c for c in self.criteria if not c.passed]

    def to_dict(self) -> dict:
        return {
            "submission": self.path,
            "score": self.score,
            "max_score": self.max_score,
            "valid": self.valid,
            "criteria": [c.to_dict() for c in self.criteria],
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "ignored_expect_lines": list(self.ignored_expect),
            "network": self.network,
            "diff": self.diff.to_dict() if self.diff else None,
            "seconds": round(self.seconds, 4),
        }
