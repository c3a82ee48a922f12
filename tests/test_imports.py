"""The checker and reports start without torch, onnx or graphviz."""
import subprocess
import sys

HEAVY = ("torch", "onnx", "onnxruntime", "graphviz", "numpy")
PROBE = """
import sys
from netspec.cli import main
code = main({argv!r})
heavy = sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r})
print(heavy)
sys.exit(code)
"""


def run(argv):
    probe = PROBE.format(argv=argv, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    return done.returncode, done.stdout.strip().splitlines()[-1]


def test_check_imports_no_heavy_library():
    assert run(["check", "specs/vgg16.yaml"]) == (0, "[]")


def test_report_and_schema_import_no_heavy_library():
    assert run(["report", "specs/alexnet.yaml", "--format", "json"])[1] == "[]"
    assert run(["schema"])[1] == "[]"
