"""Grading a batch: the files of the command line (folders expanded), graded in parallel worker
processes, or in this process where that is faster; the grades in the order of the files.

Submissions are untrusted, so none may stop the batch or hide another's grade: each is graded
under the rubric's time cap, a worker that goes over it is killed (and replaced) and the
submission graded invalid with the reason; a worker that dies takes only its own submission
with it. In this process the cap is an interval timer, which stops anything running Python;
the parts that run in C (the YAML parser, pydantic-core) are bounded by the byte cap.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait
from typing import Any

from ..core.codes import declare
from .copies import identical_groups
from .grader import CRASHED, Grader
from .outputs import Batch
from .results import Grade

TIMED_OUT = declare(
    "NS715", "submission-timed-out", "a submission took longer than the rubric allows",
    "Each submission is graded under the rubric's `limits: {seconds: N}` (5 unless it says "
    "otherwise); one that takes longer is stopped and graded invalid, so that a hostile or "
    "huge network cannot hold up the batch. A homework network checks in milliseconds.")

SUFFIXES = (".yaml", ".yml")
# Below this many submissions per worker, starting the workers costs more than they save: a
# homework spec grades in ~1.6 ms of CPU in this process, ~2.1 ms in a worker with the parent's
# share (sending, pickling), so two workers save ~0.6 ms a submission, against ~40 ms to start
# them: they pay from about 60 submissions (measured on 2 cores; benchmarks/bench_grade.py).
IN_PROCESS_BELOW = 32


def expand(paths: list[str]) -> tuple[list[str], list[str]]:
    """The submissions the paths name: a file as given, a folder's .yaml/.yml files (at any
    depth, sorted; links inside it are not followed into folders), each file once. Also the
    folders in which none was found, for a warning."""
    found: dict[str, None] = {}
    empty = []
    for given in paths:
        if not os.path.isdir(given):
            found.setdefault(given, None)
            continue
        inside = sorted(_spec_files(given))
        if not inside:
            empty.append(given)
        for path in inside:
            found.setdefault(path, None)
    return list(found), empty


def _spec_files(folder: str) -> Iterator[str]:
    for root, _, files in os.walk(folder):
        for name in files:
            if name.lower().endswith(SUFFIXES):
                yield os.path.join(root, name)


def default_jobs() -> int:
    """The cores other processes leave free: the CPU count less the load average. Workers on
    busy cores add their cost (~0.5 ms a submission) and save nothing: with a load of 6 on 2
    cores, 1,000 submissions took 12.4 s in two workers and 10.5 s in one process."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):
        busy = 0.0
    return max(1, min(cores, round(cores - busy)))


def grade_all(grader: Grader, paths: list[str], jobs: int) -> list[Grade]:
    """Every submission's grade, in the order of ``paths``."""
    workers = min(jobs, len(paths) // IN_PROCESS_BELOW)
    if workers < 2:
        return [grade_here(grader, p) for p in paths]
    return _Pool(grader, workers).run(paths)


class _Timeout(BaseException):
    """Raised by the timer (a BaseException, so that no `except Exception` swallows it)."""


def grade_here(grader: Grader, path: str) -> Grade:
    """Grade in this process, stopped by an interval timer at the rubric's time cap."""
    seconds = grader.rubric.limits.seconds
    if threading.current_thread() is not threading.main_thread() or not hasattr(
            signal, "setitimer"):
        return grader.grade(path)  # timers signal the main thread only, and not on Windows

    def stop(signum: int, frame: Any) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, stop)
    start = time.perf_counter()
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return grader.grade(path)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Timeout:
        return timed_out(grader, path, start)
    finally:
        signal.signal(signal.SIGALRM, previous)


def timed_out(grader: Grader, path: str, start: float) -> Grade:
    seconds = grader.rubric.limits.seconds
    return grader.failed(path, f"grading {path} took longer than this assignment's "
                         f"{seconds:g} s, and was stopped", TIMED_OUT, start)


# --- worker processes -----------------------------------------------------------------------

_INHERITED: Grader | None = None  # a forked worker's grader: the parent's, already loaded


def _work(conn: Connection, rubric_path: str) -> None:
    """A worker: grade each path the parent sends, until it sends None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles ^C and stops us
    grader = _INHERITED if _INHERITED is not None else Grader.load(rubric_path)
    while True:
        path = conn.recv()
        if path is None:
            return
        conn.send(grader.grade(path))


class _Worker:
    """A worker process and the submissions sent to it, in the order it grades them."""

    def __init__(self, context: Any, rubric_path: str):
        self.conn, child = multiprocessing.Pipe()
        self.process = context.Process(target=_work, args=(child, rubric_path), daemon=True)
        self.process.start()
        child.close()
        self.queue: deque[tuple[int, str]] = deque()  # (index, path), sent and not graded
        self.since = 0.0  # when the first of them started: its last grade, or when sent

    def give(self, index: int, path: str) -> None:
        if not self.queue:
            self.since = time.perf_counter()
        self.queue.append((index, path))
        self.conn.send(path)

    def receive(self) -> tuple[int, Grade]:
        grade = self.conn.recv()
        self.since = time.perf_counter()
        return self.queue.popleft()[0], grade

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.conn.close()
        self.process.join()

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()


class _Pool:
    """Worker processes, each sent a few submissions ahead (so it never waits for the parent)
    and graded one at a time: the parent knows when each started, from the worker's last
    grade, and kills a worker whose submission goes over the cap."""

    AHEAD = 2  # submissions queued per worker

    def __init__(self, grader: Grader, size: int):
        self.grader = grader
        self.size = size
        methods = multiprocessing.get_all_start_methods()
        self.context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")

    def run(self, paths: list[str]) -> list[Grade]:
        global _INHERITED
        _INHERITED = self.grader  # what forked workers start with (spawned ones read the file)
        results: list[Grade | None] = [None] * len(paths)
        todo = deque(enumerate(paths))
        gc.freeze()  # the collector would otherwise copy every page the workers share with us
        workers = [self._new() for _ in range(min(self.size, len(paths)))]
        try:
            while workers:
                workers = self._step(workers, todo, results)
        finally:
            for w in workers:  # only after ^C or a bug: stop what still runs
                w.kill()
            _INHERITED = None
            gc.unfreeze()
        return [r for r in results if r is not None]

    def _new(self) -> _Worker:
        return _Worker(self.context, self.grader.rubric.file)

    def _step(self, workers: list[_Worker], todo: deque, results: list) -> list[_Worker]:
        """Top every worker up; wait for a grade or the nearest deadline; stop the workers
        left without work, and replace one that died or overran."""
        for w in workers:
            while todo and len(w.queue) < self.AHEAD:
                w.give(*todo.popleft())
        for w in [w for w in workers if not w.queue]:
            w.stop()
        workers = [w for w in workers if w.queue]
        if not workers:
            return []
        cap = self.grader.rubric.limits.seconds
        nearest = min(w.since for w in workers) + cap
        ready = wait([w.conn for w in workers], timeout=max(0.0, nearest - time.perf_counter()))
        still = []
        for w in workers:
            if w.conn in ready:
                try:
                    index, grade = w.receive()
                except (EOFError, OSError):  # it died: out of memory, or killed
                    w.kill()
                    index, path = w.queue.popleft()
                    results[index] = self.grader.failed(
                        path, f"the worker grading {path} died (exit code "
                        f"{w.process.exitcode}): out of memory, or killed", CRASHED)
                else:
                    results[index] = grade
                    still.append(w)
                    continue
            elif time.perf_counter() - w.since >= cap:
                w.kill()
                index, path = w.queue.popleft()
                results[index] = timed_out(self.grader, path, w.since)
            else:
                still.append(w)
                continue
            todo.extendleft(reversed(w.queue))  # what it had not started goes to another
            if todo:
                still.append(self._new())
        return still


def grade_batch(grader: Grader, paths: list[str], jobs: int) -> Batch:
    """Grade every submission and find the structurally identical ones."""
    grades = grade_all(grader, paths, jobs)
    rubric = grader.rubric
    criteria = tuple((name, c.check, c.points) for c, name in zip(rubric.rubric.criteria,
                                                                  rubric.names))
    return Batch(rubric.file, rubric.rubric.assignment, rubric.max_score, criteria,
                 grader.reference_file, grades,
                 identical_groups((g.path, g.fingerprint) for g in grades))
