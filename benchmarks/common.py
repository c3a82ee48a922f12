"""What every benchmark module shares: timing helpers, result rows and the table printer.

A benchmark module (``bench_*.py``) defines:

- ``TITLE``: one line naming what it measures;
- ``available() -> str | None``: None when it can run, else the reason it is skipped;
- ``run(opts) -> Result``: measure, and return rows (each a ratio against a baseline measured in
  the same run, with its target) plus free-form notes.

``opts`` is the argparse namespace of ``run.py`` (``opts.quick``, ``opts.repeat``, ...).
Benchmarks report; they never fail the process because a target is missed.
"""
from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent  # the repository root
BIN = Path(sys.executable).parent  # the interpreter's scripts folder (.venv/bin)


@dataclass
class Row:
    """One measurement against its baseline. ``ok`` None means informational (no target)."""

    name: str
    measured: float  # seconds
    baseline: float | None = None  # seconds
    target: str = ""  # as printed, e.g. "<= 1.50x"
    ok: bool | None = None
    ratio: float | None = None  # measured / baseline unless given
    measured_text: str | None = None  # overrides the formatted time
    baseline_text: str | None = None

    def __post_init__(self):
        if self.ratio is None and self.baseline:
            self.ratio = self.measured / self.baseline

    @property
    def status(self) -> str:
        return "" if self.ok is None else ("PASS" if self.ok else "MISS")


@dataclass
class Result:
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def missed(self) -> list[Row]:
        return [r for r in self.rows if r.ok is False]


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.2f} us"


def print_table(result: Result, out=sys.stdout) -> None:
    head = ("measurement", "measured", "baseline", "ratio", "target", "")
    body = [(r.name, r.measured_text or fmt_time(r.measured),
             r.baseline_text or fmt_time(r.baseline),
             "-" if r.ratio is None else f"{r.ratio:.2f}x", r.target or "-", r.status)
            for r in result.rows]
    widths = [max(len(row[i]) for row in (head, *body)) for i in range(len(head))]
    align = ("<", ">", ">", ">", "<", "<")

    def line(cells):
        return "  ".join(f"{c:{a}{w}}" for c, a, w in zip(cells, align, widths)).rstrip()

    print(f"\n== {result.title}", file=out)
    print(line(head), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in body:
        print(line(row), file=out)
    for note in result.notes:
        print(f"  {note}", file=out)


def time_once(fn: Callable[[], object], clock: Callable[[], float] = time.perf_counter) -> float:
    """Time of one call (wall time, or ``time.process_time`` for this process's CPU time), with
    garbage from earlier runs collected beforehand."""
    gc.collect()
    t0 = clock()
    fn()
    return clock() - t0


def interleaved(fns: dict[Any, Callable[[], object]], runs: int, warmup: int = 1,
                clock: Callable[[], float] = time.perf_counter) -> dict[Any, list[float]]:
    """Time each function ``runs`` times, alternating between them so that noise from the rest
    of the machine (other processes, frequency changes) falls on all of them alike."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[Any, list[float]] = {k: [] for k in fns}
    for i in range(runs):
        order = list(fns.items())
        if i % 2:
            order.reverse()  # neither side always runs first
        for name, fn in order:
            times[name].append(time_once(fn, clock))
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> str:
    """Min..max of the runs, for the notes."""
    return f"{fmt_time(min(values))}..{fmt_time(max(values))}"


def runs(opts, normal: int, quick: int) -> int:
    """The number of repetitions: ``--quick`` picks the small one, ``--repeat`` overrides."""
    if getattr(opts, "repeat", None):
        return opts.repeat
    return quick if getattr(opts, "quick", False) else normal
