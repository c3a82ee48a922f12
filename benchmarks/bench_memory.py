"""Peak memory of one ResNet-50 training step and one inference pass (batch 8, CPU) with the
compiled module's activations in place, against the same module with in place switched off.

Each side runs in a fresh process (``resource.getrusage``'s ``ru_maxrss`` is the peak resident
size of the whole process, so no measurement can inherit another's peak), alternately. The
baseline is the very module netspec compiles with every ``inplace`` attribute set to False
before the step: the same weights layout, the same code, only the overwrites taken away.
tracemalloc is no use here: torch allocates its tensors outside Python's allocator.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

from common import ROOT, Result, Row, runs

TITLE = "peak memory of ResNet-50 (batch 8, CPU), activations in place vs not"
SPEC = "specs/resnet50.yaml"
BATCH = 8

# One training step in a fresh process; prints its peak before and after the step, in KiB.
_PROBE = """
import json, resource, sys
import torch
from netspec import compile_model
torch.manual_seed(0)
model = compile_model({spec!r}).train()
if sys.argv[1] == "plain":
    for m in model.modules():
        if getattr(m, "inplace", False):
            m.inplace = False
in_place = sum(1 for m in model.modules() if getattr(m, "inplace", False))
x = torch.randn({batch}, *model.input_shape)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if sys.argv[2] == "train":
    model(x).sum().backward()
else:
    with torch.no_grad():
        model.eval()(x)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"before": before, "after": after, "in_place": in_place}}))
"""


def available() -> str | None:
    try:
        import resource  # noqa: F401

        import torch  # noqa: F401
    except ImportError as e:
        return f"{e.name} is not available"
    return None


def _probe(side: str, mode: str) -> dict:
    # glibc returns an allocation above the mmap threshold to the system when it is freed; by
    # default the threshold grows with the frees it sees, which would make the peak depend on
    # the order of frees rather than on what is alive: fixed, so the peak is what is alive.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MALLOC_MMAP_THRESHOLD_": str(1 << 20)}
    p = subprocess.run([sys.executable, "-c", _PROBE.format(spec=str(ROOT / SPEC), batch=BATCH),
                        side, mode], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def _mib(kib: float) -> str:
    return f"{kib / 1024:.0f} MiB"


def run(opts) -> Result:
    res = Result(TITLE)
    n = runs(opts, 3, 1)
    for mode, what in (("train", "training step"), ("infer", "inference (no_grad)")):
        seen: dict[str, list[dict]] = {"inplace": [], "plain": []}
        for _ in range(n):  # alternately, so that a change in the machine's load hits both
            for side in seen:
                seen[side].append(_probe(side, mode))
        peak, peak0 = (statistics.median(r["after"] for r in seen[s]) for s in seen)
        step, step0 = (statistics.median(r["after"] - r["before"] for r in seen[s])
                       for s in seen)
        # informational: the honest figure, whichever way it goes (docs/benchmarks.md: why ~1)
        res.rows.append(Row(f"process peak, ResNet-50 {what}", peak, peak0,
                            measured_text=_mib(peak), baseline_text=_mib(peak0)))
        res.rows.append(Row(f"  growth of the peak during the {mode} pass", step, step0,
                            measured_text=_mib(step), baseline_text=_mib(step0)))
    res.notes.append(f"{n} fresh process(es) per side and pass, median; ru_maxrss; "
                     f"{seen['inplace'][0]['in_place']} activations in place; baseline: the "
                     "same module with none in place")
    return res
