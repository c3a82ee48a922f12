"""The package's shape: its stages import downward only and without cycles (import-linter's
contracts in pyproject.toml), and the checker and reports start without torch, onnx or graphviz.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.zoo import ROOT

HEAVY = ("torch", "onnx", "onnxruntime", "graphviz", "numpy")
PROBE = """
import sys
from netspec.cli import main
code = main({argv!r})
heavy = sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r})
print(heavy)
sys.exit(code)
"""
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def run(argv):
    probe = PROBE.format(argv=argv, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    return done.returncode, done.stdout.strip().splitlines()[-1]


def test_check_imports_no_heavy_library():
    assert run(["check", "specs/vgg16.yaml"]) == (0, "[]")


def test_report_and_schema_import_no_heavy_library():
    assert run(["report", "specs/alexnet.yaml", "--format", "json"])[1] == "[]"
    assert run(["schema"])[1] == "[]"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """import-linter on the package under ``root``, with the repository's contracts."""
    return subprocess.run([str(LINT_IMPORTS), str(ROOT / "pyproject.toml")],
                          capture_output=True, text=True, cwd=root,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


def test_the_stages_import_downward_only_and_without_cycles():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("module, line, broken, named", [
    ("analysis/result.py", "from ..reports import render", "The stages depend downward only",
     "netspec.analysis.result -> netspec.reports"),
    ("layers/base.py", "from ..graph import network", "The stages depend downward only",
     "netspec.layers.base -> netspec.graph.network"),
    ("analysis/memory.py", "from . import result",
     "No import cycles between the modules of any package",
     "No cycles are allowed in netspec.analysis"),
])
def test_an_upward_import_or_a_cycle_breaks_a_contract(tmp_path, module, line, broken, named):
    """The contracts are not vacuous: the same package with one bad import fails them, and
    the message names the import."""
    shutil.copytree(ROOT / "netspec", tmp_path / "netspec",
                    ignore=shutil.ignore_patterns("__pycache__"))
    with open(tmp_path / "netspec" / module, "a") as f:
        f.write(f"\n{line}  # noqa\n")
    done = lint_imports(tmp_path)
    assert done.returncode == 1
    assert f"{broken} BROKEN" in done.stdout
    assert named in done.stdout
