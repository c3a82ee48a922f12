"""Cold start: `netspec check specs/vgg16.yaml` as a fresh process, against importing its two
dependencies (``python -c "import yaml, pydantic"``) with the same interpreter.

Both are timed from spawn to exit, alternating, median of N; the difference is netspec's own cost
(importing its modules, building the pydantic models of the layer kinds, argparse, the check).
The same run also checks the import discipline: the check process must not import torch, onnx,
onnxruntime or graphviz, and reports where ``-X importtime`` says the import time goes.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

from common import BIN, ROOT, Result, Row, fmt_time, interleaved, median, runs, spread

TITLE = "cold start: `netspec check specs/vgg16.yaml` vs `python -c 'import yaml, pydantic'`"
SPEC = "specs/vgg16.yaml"
TARGET = 1.5
HEAVY = ("torch", "onnx", "onnxruntime", "graphviz")

# Runs the check in-process, exactly as the console script does, then lists what it imported.
_PROBE = """
import json, sys
from netspec.cli import main
rc = main(["check", "-q", {spec!r}])
top = sorted({{m.split(".")[0] for m in sys.modules}})
print(json.dumps({{"rc": rc, "modules": len(sys.modules), "top": top}}))
"""


def available() -> str | None:
    return None if (ROOT / SPEC).exists() else f"{SPEC} is missing"


def _check_command() -> list[str]:
    script = BIN / "netspec"
    if script.exists():
        return [str(script), "check", SPEC]
    return [sys.executable, "-m", "netspec", "check", SPEC]  # not installed as a script


# Without PYTHON* variables (PYTHONPROFILEIMPORTTIME, PYTHONDEVMODE...) that would skew one side.
ENV = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def _spawn(cmd: list[str]):
    def go():
        p = subprocess.run(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: "
                               f"{p.stderr.decode(errors='replace')[-400:]}")
    return go


def import_probe() -> dict:
    """The check's imports, from a process that runs ``netspec.cli.main`` then reads sys.modules."""
    out = subprocess.run([sys.executable, "-c", _PROBE.format(spec=SPEC)], cwd=ROOT, env=ENV,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def importtime(cmd_tail: list[str]) -> dict[str, tuple[int, int]]:
    """``-X importtime``: module -> (self us, cumulative us), for one fresh process."""
    p = subprocess.run([sys.executable, "-X", "importtime", *cmd_tail], cwd=ROOT, env=ENV,
                       capture_output=True, text=True)
    table: dict[str, tuple[int, int]] = {}
    for line in p.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cum_us, name = line[len("import time:"):].split("|")
        table.setdefault(name.strip(), (int(self_us), int(cum_us)))
    return table


# The least any checker built on pydantic models pays: BaseModel's machinery, one model's
# schema and validator (which loads pydantic's plugin finder, importlib.metadata).
FLOOR = ("import yaml\nfrom pydantic import BaseModel\nclass M(BaseModel):\n    a: int\n"
         "M.model_validate({'a': 1})")


def _groups(extra: dict[str, tuple[int, int]]) -> list[tuple[int, str]]:
    """Self time of the extra modules, by top-level package, largest first."""
    by: dict[str, int] = {}
    for name, (self_us, _) in extra.items():
        by[name.split(".")[0]] = by.get(name.split(".")[0], 0) + self_us
    return sorted(((us, k) for k, us in by.items()), reverse=True)


def run(opts) -> Result:
    n = runs(opts, 15, 5)
    check_cmd = _check_command()
    base_cmd = [sys.executable, "-c", "import yaml, pydantic"]
    floor_cmd = [sys.executable, "-c", FLOOR]
    times = interleaved({"check": _spawn(check_cmd), "base": _spawn(base_cmd),
                         "floor": _spawn(floor_cmd)}, n, warmup=2)
    t_check, t_base, t_floor = (median(times[k]) for k in ("check", "base", "floor"))
    res = Result(TITLE)
    ratio = t_check / t_base
    res.rows.append(Row(f"netspec check (median of {n})", t_check, t_base,
                        f"<= {TARGET:.2f}x", ratio <= TARGET))
    res.rows.append(Row("  netspec's cost over the baseline", t_check - t_base))
    res.rows.append(Row("  pydantic floor: define + validate 1 model", t_floor, t_base))
    res.rows.append(Row("  netspec's cost over the pydantic floor", t_check - t_floor))

    probe = import_probe()
    heavy = [m for m in HEAVY if m in probe["top"]]
    res.rows.append(Row("heavy imports (torch, onnx, onnxruntime, graphviz)", 0.0,
                        measured_text=", ".join(heavy) or "none", target="none",
                        ok=not heavy and probe["rc"] == 0))

    base_imp = importtime(["-c", "import yaml, pydantic"])
    check_imp = importtime(["-m", "netspec", "check", "-q", SPEC])
    extra = {k: v for k, v in check_imp.items() if k not in base_imp}
    groups = _groups(extra)
    own = sorted(((v[0], k) for k, v in extra.items() if k.startswith("netspec")), reverse=True)
    res.notes += [
        f"command: {' '.join(check_cmd)}",
        f"runs: check {spread(times['check'])}, baseline {spread(times['base'])}, "
        f"floor {spread(times['floor'])}",
        f"check process: exit {probe['rc']}, {probe['modules']} modules loaded; "
        f"heavy libraries: {', '.join(heavy) or 'none'}",
        f"-X importtime (inflated by the tracing): the check imports {len(extra)} modules "
        f"beyond the baseline's, {fmt_time(sum(v[0] for v in extra.values()) / 1e6)} self time; "
        "by package: " + ", ".join(f"{k} {fmt_time(us / 1e6)}" for us, k in groups[:6]),
        "slowest netspec modules (self time, includes building pydantic model classes): "
        + ", ".join(f"{k} {fmt_time(us / 1e6)}" for us, k in own[:4]),
    ]
    return res
