"""`make fuzz`: the suite's two fuzzers, run much longer, seeded and reproducible.

    python -m tests.fuzz.campaign [--seed 0] [--specs 6000] [--mutants 30000]

Specs ``seed*1_000_000 + i`` go through the differential comparison with PyTorch
(tests/fuzz/differential.py), mutants of the zoo through `netspec check`
(tests/fuzz/mutants.py). It prints the counts by outcome, and each failure with the seed or
mutant that reproduces it (saved under fuzz-failures/); the exit status is 1 if there was one.
The same seed and counts give the same specs and mutants on any machine.
"""
from __future__ import annotations

import argparse
import collections
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from .differential import AGREE, SLOW, Seeded, compare
from .mutants import check, mutants
from .specs import generate

FAILURES = Path("fuzz-failures")
LIMIT = 30  # seconds after which one check is stopped and counted as a hang


class Hang(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hang


def differential(seed: int, count: int, failures: list[str]) -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    for i in range(count):
        spec_seed = seed * 1_000_000 + i
        try:
            spec = generate(Seeded(spec_seed))
        except Exception as e:  # a bug of the fuzzer's own, not of netspec
            counts["fuzzer error"] += 1
            failures.append(f"spec seed {spec_seed}: fuzzer error: {type(e).__name__}: {e}")
            continue
        signal.alarm(LIMIT)
        try:
            kind, detail = compare(spec)
        except Hang:
            kind, detail = "hang", f"over {LIMIT} s"
        finally:
            signal.alarm(0)
        counts[kind] += 1
        if kind not in AGREE:
            path = save(f"spec-{spec_seed}.yaml", spec.yaml().encode())
            failures.append(f"spec seed {spec_seed} ({path}): {kind}: {detail}")
    return counts


def mutation(seed: int, count: int, failures: list[str]) -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    scratch = FAILURES / "scratch.yaml"
    FAILURES.mkdir(exist_ok=True)
    for i, (source, data) in enumerate(mutants(seed, count)):
        scratch.write_bytes(data)
        signal.alarm(LIMIT)
        try:
            run = check(scratch, traced=i % 20 == 0)
        except Hang:
            counts["hang"] += 1
            failures.append(f"mutant {i} of {source} ({save(f'mutant-{seed}-{i}.yaml', data)})"
                            f": over {LIMIT} s")
            continue
        finally:
            signal.alarm(0)
        kind = ("internal error" if run.problem or run.code not in (0, 1, 2) else
                "hang" if run.seconds > SLOW else
                "memory" if run.peak_bytes > 256 * 2**20 else f"exit {run.code}")
        counts[kind] += 1
        if not kind.startswith("exit"):
            path = save(f"mutant-{seed}-{i}.yaml", data)
            failures.append(f"mutant {i} of {source} ({path}): {kind}: {run.problem or ''} "
                            f"{run.seconds:.1f} s, {run.peak_bytes / 2**20:.0f} MiB")
    scratch.unlink(missing_ok=True)
    return counts


def save(name: str, data: bytes) -> Path:
    FAILURES.mkdir(exist_ok=True)
    (FAILURES / name).write_bytes(data)
    return FAILURES / name


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.fuzz.campaign", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--specs", type=int, default=6000, help="specs held against PyTorch")
    p.add_argument("--mutants", type=int, default=30000, help="mutants of the zoo checked")
    args = p.parse_args(argv)
    signal.signal(signal.SIGALRM, _alarm)
    failures: list[str] = []
    start = time.perf_counter()
    specs = differential(args.seed, args.specs, failures)
    middle = time.perf_counter()
    mutated = mutation(args.seed, args.mutants, failures)
    end = time.perf_counter()
    print(f"netspec fuzzing campaign, seed {args.seed}")
    print(f"differential, {args.specs:,} specs against PyTorch ({middle - start:.0f} s):")
    for kind in ("accepted/agree", "refused/agree", "false acceptance", "false rejection",
                 "wrong figures", "refused elsewhere", "internal error", "hang",
                 "fuzzer error"):
        print(f"  {kind:18} {specs[kind]:>8,}")
    print(f"mutation, {args.mutants:,} mutants of the zoo through `netspec check` "
          f"({end - middle:.0f} s):")
    for kind in ("exit 0", "exit 1", "exit 2", "internal error", "hang", "memory"):
        print(f"  {kind:18} {mutated[kind]:>8,}")
    for line in failures:
        print(line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
