"""Grading architecture homework: a rubric (:mod:`.rubric`) scores each submitted spec criterion
by criterion (:mod:`.criteria`), after the same bounded check as `netspec check` with the
student's own ``expect:`` taken out (:mod:`.submission`); each grade (:mod:`.results`) carries
feedback, the check's diagnostics and a diff against the reference solution (:mod:`.diff`).
:mod:`.grader` grades one submission, :mod:`.batch` many, in parallel worker processes with a
time cap each; :mod:`.copies` finds structurally identical submissions; :mod:`.outputs` writes
text, JSON, a CSV gradebook or Gradescope's results.json. It reads the analysis and adds no
branch inside it.
"""
from .batch import default_jobs, expand, grade_all, grade_batch
from .grader import Grader
from .outputs import FORMATS, Batch, render
from .results import CriterionResult, Grade
from .rubric import Rubric, RubricFile, read_rubric, rubric_schema

__all__ = ["FORMATS", "Batch", "CriterionResult", "Grade", "Grader", "Rubric", "RubricFile",
           "default_jobs", "expand", "grade_all", "grade_batch", "read_rubric", "render",
           "rubric_schema"]
