"""Where the time goes: the profiles behind the benchmarks' numbers.

    .venv/bin/python benchmarks/profiles.py check [--layers 10000] [--nogc] [--top 30]
    .venv/bin/python benchmarks/profiles.py startup [--top 25]

``check`` runs cProfile over ``netspec.analyze`` of the generated spec (the one bench_check
times) and prints the top entries by cumulative and by own time. The cyclic garbage collector's
pauses are charged to whichever function happened to allocate, so ``--nogc`` shows the profile
without them (compare the two totals to see what the collector costs).

``startup`` runs ``python -X importtime -m netspec check -q specs/vgg16.yaml`` and lists the
modules it imports beyond ``import yaml, pydantic`` (the cold-start baseline), by self time.
(Named profiles.py, not profile.py, which would shadow the standard library's module.)
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import sys
import sysconfig
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import generate  # noqa: E402
from bench_startup import SPEC, _groups, importtime  # noqa: E402
from common import ROOT, fmt_time  # noqa: E402


def _stats_text(pr: cProfile.Profile, sort: str, top: int) -> str:
    out = io.StringIO()
    pstats.Stats(pr, stream=out).sort_stats(sort).print_stats(top)
    text = out.getvalue()
    paths = sysconfig.get_paths()
    for prefix in (str(ROOT), paths["purelib"], paths["platlib"], paths["stdlib"]):
        text = text.replace(prefix + "/", "")
    return "\n".join(line for line in text.splitlines() if line.strip())


def profile_check(layers: int, nogc: bool, top: int) -> None:
    import netspec

    text = generate(layers)
    netspec.analyze(text)  # warm: validators built
    gc.collect()
    pr = cProfile.Profile()
    if nogc:
        gc.disable()
    try:
        pr.enable()
        netspec.analyze(text)
        pr.disable()
    finally:
        gc.enable()
    print(f"# cProfile of netspec.analyze(<{layers:,}-layer spec>), "
          f"garbage collector {'off' if nogc else 'on'}")
    print("\n## by cumulative time")
    print(_stats_text(pr, "cumulative", top))
    print("\n## by own time (tottime)")
    print(_stats_text(pr, "tottime", top))


def profile_startup(top: int) -> None:
    base = importtime(["-c", "import yaml, pydantic"])
    check = importtime(["-m", "netspec", "check", "-q", SPEC])
    extra = {k: v for k, v in check.items() if k not in base}
    print(f"# python -X importtime -m netspec check -q {SPEC}")
    print(f"{len(check)} modules imported, {len(extra)} beyond `import yaml, pydantic`; "
          f"their self time {fmt_time(sum(v[0] for v in extra.values()) / 1e6)} "
          "(-X importtime inflates every figure)")
    print("\n## extra self time by top-level package")
    for us, name in _groups(extra)[:top]:
        print(f"{us / 1e3:9.1f} ms  {name}")
    print("\n## extra modules by self time")
    for name, (self_us, cum_us) in sorted(extra.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"{self_us / 1e3:9.1f} ms self {cum_us / 1e3:9.1f} ms cumulative  {name}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="what", required=True)
    c = sub.add_parser("check", help="cProfile of the in-process check of a generated spec")
    c.add_argument("--layers", type=int, default=10_000)
    c.add_argument("--nogc", action="store_true", help="garbage collector off while profiling")
    c.add_argument("--top", type=int, default=30)
    s = sub.add_parser("startup", help="-X importtime of `netspec check`, beyond the baseline")
    s.add_argument("--top", type=int, default=25)
    args = p.parse_args(argv)
    if args.what == "check":
        profile_check(args.layers, args.nogc, args.top)
    else:
        profile_startup(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
