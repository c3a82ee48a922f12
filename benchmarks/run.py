"""netspec's speed benchmarks: `.venv/bin/python benchmarks/run.py` (or `make bench`).

Every number is printed as a ratio against a baseline measured in the same run, with its target
and PASS or MISS. The exit code is 0 even when a target is missed: benchmarks report, they do
not fail CI (a crash inside a benchmark still exits 1).

Each benchmark is a module ``bench_<name>.py`` beside this file (see ``common.py`` for the
contract); add one by writing the module and adding its name to ``BENCHMARKS``.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import Result, print_table  # noqa: E402

# name -> module; run in this order. A module whose file does not exist yet is skipped.
BENCHMARKS = {
    "startup": "bench_startup",  # cold start of `netspec check` vs `import yaml, pydantic`
    "check": "bench_check",  # in-process check of 10k-50k-layer specs and ResNet-152 vs PyYAML
    "torch": "bench_torch",  # compiled vs hand-written / emitted PyTorch, forward+backward
    "grade": "bench_grade",  # `netspec grade` of 1,000 submissions vs `netspec check` of them
}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="benchmarks: " + ", ".join(BENCHMARKS))
    p.add_argument("--only", metavar="NAMES", help="comma-separated benchmarks to run, e.g. check")
    p.add_argument("--skip", metavar="NAMES", help="comma-separated benchmarks to leave out")
    p.add_argument("--quick", action="store_true", help="fewer repetitions (a rough look)")
    p.add_argument("--repeat", type=int, metavar="N", help="repetitions per measurement")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = p.parse_args(argv)
    for opt in ("only", "skip"):
        names = [n.strip() for n in (getattr(args, opt) or "").split(",") if n.strip()]
        unknown = [n for n in names if n not in BENCHMARKS]
        if unknown:
            p.error(f"--{opt}: unknown benchmark(s) {', '.join(unknown)}; "
                    f"choose from {', '.join(BENCHMARKS)}")
        setattr(args, opt, names)
    return args


def selected(args) -> list[str]:
    names = args.only or list(BENCHMARKS)
    return [n for n in names if n not in args.skip]


def _load() -> float | None:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # not on every platform
        return None


def main(argv=None) -> int:
    args = parse_args(argv)
    cores = os.cpu_count() or 1
    print(f"netspec benchmarks: Python {platform.python_version()} ({sys.executable}), "
          f"{platform.machine()}, {platform.system()}, {cores} CPU cores")
    load = _load()
    if load is not None and load > 0.5 * cores:
        print(f"  note: load average {load:.2f} on {cores} cores: other processes compete for "
              "the CPU; ratios (same-run, interleaved) hold up better than absolute times")
    results: list[tuple[str, Result | None, str]] = []
    crashed = False
    for name in selected(args):
        module_name = BENCHMARKS[name]
        if not (HERE / f"{module_name}.py").exists():
            results.append((name, None, f"skipped: benchmarks/{module_name}.py is not written yet"))
            continue
        module = importlib.import_module(module_name)
        reason = module.available()
        if reason:
            results.append((name, None, f"skipped: {reason}"))
            print(f"\n== {module.TITLE}\n  skipped: {reason}")
            continue
        t0 = time.perf_counter()
        try:
            result = module.run(args)
        except Exception:  # one broken benchmark must not hide the others' numbers
            traceback.print_exc()
            results.append((name, None, "crashed"))
            crashed = True
            continue
        print_table(result)
        print(f"  ({name}: {time.perf_counter() - t0:.1f} s)")
        results.append((name, result, ""))

    print("\n== summary")
    for name, result, why in results:
        if result is None:
            print(f"  {name:8} {why}")
            continue
        targets = [r for r in result.rows if r.ok is not None]
        missed = result.missed
        verdict = f"MISS {len(missed)} of {len(targets)}" if missed else f"PASS {len(targets)}"
        print(f"  {name:8} {verdict}" + "".join(f"\n           MISS: {r.name}" for r in missed))

    if args.json:
        Path(args.json).write_text(json.dumps(
            {name: ({"skipped": why} if r is None else
                    {"title": r.title, "notes": r.notes,
                     "rows": [{"name": row.name, "measured_s": row.measured,
                               "baseline_s": row.baseline, "ratio": row.ratio,
                               "target": row.target, "status": row.status,
                               **({"text": row.measured_text} if row.measured_text else {})}
                              for row in r.rows]})
             for name, r, why in results}, indent=2) + "\n")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
