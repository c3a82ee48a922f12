"""Grading a class: `netspec grade` over 1,000 generated submissions of the example assignment
(examples/grading), as one whole command, against `netspec check` of the same 1,000 files in
one call.

The submissions are CIFAR-10 CNNs drawn from a seeded generator: 2 to 4 stages of 1 or 2 convs
(8 to 64 filters, kernel 3 or 5, same padding), pooling after most stages, batchnorm in some,
then global pooling or flatten, an optional hidden dense layer (64 to 512 units) and the
classifier; about one in twenty has the wrong input or output, one in twenty is broken (invalid
YAML, a misspelt setting, a kernel larger than its input) and one in fifty is a renamed copy of
an earlier one. So the grader meets every path: valid, over budget, failing criteria, invalid.

Timed from spawn to exit, alternating, median of N: `netspec grade` with its default jobs (the
cores the load average leaves free), with `--jobs 1` (in one process) and with as many jobs as
cores (worker processes), and `netspec check -q` of the 1,000 files; with the CPU time each
used, which the machine's other processes inflate less than the wall time. Memory: the peak resident
size of the grading processes (the largest of the parent and its workers) for 250 and for
1,000 submissions, which may grow with the batch by what the grades it keeps take, and no more.
"""
from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, Result, Row, fmt_time, interleaved, median, runs, spread

TITLE = "`netspec grade` of 1,000 submissions vs `netspec check` of the same files"
RUBRIC = ROOT / "examples" / "grading" / "rubric.yaml"
SIZES = (250, 1_000)
TARGET = 10.0  # seconds for 1,000 submissions, the whole command
# Peak RSS may grow with the batch by what the grades kept for the report take (measured in the
# same run: the memory a grade holds), with room for the allocator's slack.
TARGET_MEMORY = 2.0

ENV = {**{k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
       "PYTHONPATH": str(ROOT), "NETSPEC_CACHE_DIR": tempfile.mkdtemp(prefix="netspec-bench-")}
NETSPEC = [sys.executable, "-m", "netspec"]
# Runs a command and prints the peak resident size of its processes (ru_maxrss of the
# children: the largest of the command and the workers it waited for), in KiB.
PEAK = ("import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")


def available() -> str | None:
    return None if RUBRIC.exists() else f"{RUBRIC.relative_to(ROOT)} is missing"


def submission(rng: random.Random, i: int) -> str:
    """One student's spec of the example assignment."""
    lines = [f"# submission {i}", f"name: student{i}",
             "input: [1, 28, 28]" if rng.random() < 0.03 else "input: [3, 32, 32]", "layers:"]
    for _ in range(rng.randint(2, 4)):
        filters = rng.choice((8, 16, 24, 32, 48, 64))
        for _conv in range(rng.randint(1, 2)):
            k = rng.choice((3, 3, 3, 5))
            lines.append(f"  - conv: {{filters: {filters}, kernel: {k}, padding: {k // 2}, "
                         "activation: relu}")
        if rng.random() < 0.3:
            lines.append("  - batchnorm")
        if rng.random() < 0.8:
            lines.append("  - maxpool: 2")
    lines.append(rng.choice(("  - global_avgpool", "  - flatten")))
    hidden = rng.choice((None, 64, 128, 256, 512))
    if hidden:
        lines.append(f"  - dense: {{units: {hidden}, activation: relu}}")
    lines.append("  - dense: 100" if rng.random() < 0.03 else "  - dense: 10")
    return "\n".join(lines) + "\n"


def broken(rng: random.Random, text: str) -> str:
    how = rng.randrange(3)
    if how == 0:
        return text.replace("input: [3, 32, 32]", "input: [3, 32, 32", 1)  # invalid YAML
    if how == 1:
        return text.replace("filters:", "filter:", 1)  # a misspelt setting
    return text.replace("  - dense: 10", "  - conv: {filters: 8, kernel: 99}\n  - dense: 10")


def generate(folder: Path, n: int, seed: int = 11) -> list[str]:
    """``n`` submission files in ``folder``; their paths."""
    rng = random.Random(seed)
    texts: list[str] = []
    for i in range(n):
        if texts and rng.random() < 0.02:  # a copy, renamed
            text = rng.choice(texts).replace("name: student", "name: copy_of_student")
        else:
            text = submission(rng, i)
            if rng.random() < 0.05:
                text = broken(rng, text)
        texts.append(text)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, text in enumerate(texts):
        path = folder / f"s{i:04d}.yaml"
        path.write_text(text)
        paths.append(str(path))
    return paths


def _spawn(cmd: list[str], cpu: list[float]):
    """Run ``cmd``; append the CPU time it and its workers used (user + system) to ``cpu``,
    which other processes on the machine do not inflate as they do the wall time."""
    def go() -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode not in (0, 1):  # check exits 1: some submissions are invalid
            raise RuntimeError(f"{' '.join(cmd[:4])} ... exited {done.returncode}: "
                               f"{done.stderr.decode(errors='replace')[-400:]}")
    return go


def peak_rss(cmd: list[str]) -> int:
    out = subprocess.run([sys.executable, "-c", PEAK, *cmd], cwd=ROOT, env=ENV,
                         capture_output=True, text=True, check=True).stdout
    return int(out.split()[-1])  # KiB


def grade_size(paths: list[str]) -> float:
    """The memory one grade holds (its feedback, diagnostics and diff), in KiB, as the parent
    holds it when a worker sent it: allocated per grade unpickled (tracemalloc)."""
    import pickle
    import tracemalloc

    from netspec.grading import Grader

    grader = Grader.load(str(RUBRIC))
    for path in paths[:20]:  # validators built, caches warm
        grader.grade(path)
    grades = [pickle.dumps(grader.grade(path)) for path in paths]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = [pickle.loads(g) for g in grades]  # as the parent holds it, sent by a worker
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return held / len(kept) / 1024


def run(opts) -> Result:
    res = Result(TITLE)
    with tempfile.TemporaryDirectory(prefix="netspec-grade-bench-") as tmp:
        folders = {n: Path(tmp) / f"class{n}" for n in SIZES}
        files = {n: generate(folders[n], n) for n in SIZES}
        out = str(Path(tmp) / "grades.csv")
        n = SIZES[-1]
        grade = [*NETSPEC, "grade", str(RUBRIC), str(folders[n]), "--format", "csv", "-o", out]
        count = runs(opts, 3, 1)
        cores = str(os.cpu_count() or 1)
        commands = {"grade": grade, "here": [*grade, "--jobs", "1"],
                    "workers": [*grade, "--jobs", cores],
                    "check": [*NETSPEC, "check", "-q", *files[n]]}
        cpu: dict[str, list[float]] = {k: [] for k in commands}
        times = interleaved({k: _spawn(cmd, cpu[k]) for k, cmd in commands.items()}, count)
        t, here, workers, check = (median(times[k]) for k in commands)
        res.rows.append(Row(f"grade {n:,} submissions, default jobs (median of {count}) vs "
                            "check", t, check, f"< {fmt_time(TARGET)}", t < TARGET))
        res.rows.append(Row("  grade --jobs 1 (in one process) vs check", here, check))
        res.rows.append(Row(f"  grade --jobs {cores} (worker processes) vs check", workers,
                            check))
        c_here, c_workers, c_check = (median(cpu[k][-count:]) for k in ("here", "workers",
                                                                         "check"))
        res.rows.append(Row("  CPU time: grade --jobs 1 vs check", c_here, c_check))
        res.rows.append(Row(f"  CPU time: grade --jobs {cores} (all its processes) vs check",
                            c_workers, c_check))
        rows = Path(out).read_text().splitlines()
        invalid = sum(line.split(",")[3] == "no" for line in rows[1:])
        peaks = {size: peak_rss([*NETSPEC, "grade", str(RUBRIC), str(folders[size]),
                                 "--format", "json", "-o", os.devnull]) for size in SIZES}
        held = grade_size(files[SIZES[0]][:200])
    small, big = (peaks[s] / 1024 for s in SIZES)
    res.rows.append(Row(f"peak RSS, {SIZES[1]:,} vs {SIZES[0]:,} submissions", big, small,
                        measured_text=f"{big:.1f} MiB", baseline_text=f"{small:.1f} MiB"))
    growth = (peaks[SIZES[1]] - peaks[SIZES[0]]) / (SIZES[1] - SIZES[0])  # KiB a submission
    res.rows.append(Row("  growth per extra submission vs what a grade holds", growth, held,
                        f"<= {TARGET_MEMORY:.2f}x", growth <= TARGET_MEMORY * held,
                        measured_text=f"{growth:.1f} KiB", baseline_text=f"{held:.1f} KiB"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    res.notes += [
        f"runs: grade {spread(times['grade'])}, --jobs 1 {spread(times['here'])}, --jobs "
        f"{cores} {spread(times['workers'])}, check {spread(times['check'])}",
        f"load average {load:.1f} on {cores} cores; on idle cores, {cores} workers take about "
        f"their CPU time over {cores}: {fmt_time(c_workers / int(cores))}, against "
        f"{fmt_time(c_here)} in one process",
        f"per submission: grade {fmt_time(t / n)}, --jobs 1 {fmt_time(here / n)}, "
        f"check {fmt_time(check / n)}",
        f"the gradebook: {len(rows) - 1:,} rows, {invalid} invalid submissions",
    ]
    return res
