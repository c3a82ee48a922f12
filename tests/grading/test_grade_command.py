"""`netspec grade`: its formats, paths as given, exit codes (0 graded, 1 a wrong rubric, 2 bad
usage), and Gradescope's results.json."""
import csv
import io
import json
import subprocess
import sys

import pytest

from netspec.cli import main
from tests.test_architecture import HEAVY, PROBE
from tests.zoo import ROOT

RUBRIC = "examples/grading/rubric.yaml"
SUBS = "examples/grading/submissions"


def grade(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["grade", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_text_is_a_line_per_student_then_the_feedback(capsys):
    code, out, _ = grade(capsys, RUBRIC, f"{SUBS}/erin.yaml", f"{SUBS}/frank.yaml")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == ("Homework 3: a small CNN for CIFAR-10 (examples/grading/rubric.yaml: "
                        "6 criteria, 12 points)")
    assert lines[2] == "  9/12  examples/grading/submissions/erin.yaml  missed: receptive field"
    assert lines[3].startswith("  1/12  examples/grading/submissions/frank.yaml  invalid: "
                               "invalid YAML")
    assert "== examples/grading/submissions/erin.yaml: 9/12" in lines
    assert ("  MISS  receptive field (0/3): receptive field of conv3 is 11x11, the assignment "
            "asks for at least 15: another 3x3 conv or a pool before conv3 would reach it") in lines
    assert ("    examples/grading/submissions/frank.yaml:3:8: error[NS104]: invalid YAML: this "
            "`[` is never closed: `]` or `,` expected before line 4, column 7") in lines
    assert any(line.startswith("  against the reference solution (examples/grading/solution."
                               "yaml)") for line in lines)


def test_json_has_every_figure_and_the_diff(capsys):
    code, out, _ = grade(capsys, RUBRIC, SUBS, "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["max_score"] == 12 and report["reference"] == \
        "examples/grading/solution.yaml"
    assert [c["points"] for c in report["criteria"]] == [1, 2, 3, 2, 1, 3]
    subs = {s["submission"].rsplit("/", 1)[-1]: s for s in report["submissions"]}
    assert len(subs) == 25 and all(s["submission"].startswith(SUBS) for s in subs.values())
    alice = subs["alice.yaml"]
    assert alice["network"]["params"] == 28_394
    diff = alice["diff"]
    assert [r["submission"]["name"] for r in diff["rows"] if r["submission"]] == \
        ["conv1", "maxpool1", "conv2", "maxpool2", "conv3", "global_avgpool1", "fc1", "fc2"]
    assert [r["reference"]["name"] for r in diff["rows"] if r["reference"]] == \
        ["conv1", "conv2", "maxpool1", "conv3", "maxpool2", "conv4", "global_avgpool1", "fc1",
         "fc2"]
    assert {"figure": "parameters", "submission": "28,394", "reference": "35,514"} in \
        diff["totals"]
    assert subs["frank.yaml"]["diagnostics"][0]["code"] == "NS104"
    assert subs["ken.yaml"]["ignored_expect_lines"] == [6, 13, 16]
    assert [[p.rsplit("/", 1)[-1] for p in group] for group in report["identical"]] == \
        [["alice.yaml", "mallory.yaml"], ["bob.yaml", "trent.yaml"]]


def test_csv_is_a_gradebook_and_copies_go_to_standard_error(capsys):
    code, out, err = grade(capsys, RUBRIC, SUBS, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 25
    assert list(rows[0]) == ["submission", "score", "max_score", "valid", "input", "output",
                             "parameter budget", "three convs", "narrow dense layers",
                             "receptive field"]
    carol = next(r for r in rows if r["submission"].endswith("carol.yaml"))
    assert (carol["score"], carol["parameter budget"], carol["valid"]) == ("10.96", "1.96", "yes")
    assert "structurally identical: examples/grading/submissions/alice.yaml, " \
           "examples/grading/submissions/mallory.yaml" in err


def test_gradescope_writes_results_json_for_one_submission(capsys, tmp_path):
    results = tmp_path / "results.json"
    code, out, _ = grade(capsys, RUBRIC, f"{SUBS}/erin.yaml", "--format", "gradescope", "-o",
                         str(results))
    data = json.loads(results.read_text())
    assert code == 0 and out == ""
    assert data["score"] == 9 and len(data["tests"]) == 6
    assert set(data["tests"][0]) == {"name", "score", "max_score", "status", "output",
                                     "visibility"}
    rf = data["tests"][5]
    assert (rf["name"], rf["score"], rf["max_score"], rf["status"]) == \
        ("receptive field", 0, 3, "failed")
    assert rf["output"].startswith("receptive field of conv3 is 11x11")
    assert "reference" not in data["output"]  # students see it: no solution in it


def test_gradescope_of_an_invalid_submission_has_the_diagnostics(capsys):
    code, out, _ = grade(capsys, RUBRIC, f"{SUBS}/olivia.yaml", "--format", "gradescope")
    data = json.loads(out)
    assert code == 0 and data["score"] == 1 and {t["score"] for t in data["tests"]} == {0}
    assert "error[NS201]: layer 3 (conv): unknown key 'filter' for conv" in data["output"]
    assert "hint: did you mean 'filters'?" in data["output"]


@pytest.mark.parametrize("argv, code, message", [
    ([RUBRIC, SUBS, "--format", "gradescope"], 2,
     "--format gradescope writes one submission's results, got 25"),
    ([RUBRIC, SUBS, "--jobs", "0"], 2, "0 is not from 1 to 256"),
    ([RUBRIC, SUBS, "-o", f"{SUBS}/alice.yaml"], 2, "alice.yaml is a submission; writing "
                                                    "there would replace it"),
    ([RUBRIC, SUBS, "-o", RUBRIC], 2, "rubric.yaml is the rubric; writing there would replace"),
    ([RUBRIC, SUBS, "-o", "no/such/folder/out.csv"], 2, "the folder no/such/folder does not "
                                                        "exist"),
    ([RUBRIC, "examples/grading/no_such_folder/"], 0, None),  # graded invalid, reported
    (["examples/grading/solution.yaml", SUBS], 1, "error[NS701]: unknown key 'input' for the "
                                                 "rubric"),
    (["examples/grading/missing.yaml", SUBS], 1, "missing.yaml: no such file"),
])
def test_exit_codes(capsys, argv, code, message):
    try:
        assert main(["grade", *argv]) == code
    except SystemExit as e:  # argparse's usage errors
        assert e.code == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if message:
        assert message in err


def test_an_empty_folder_is_a_usage_error_with_a_warning(capsys, tmp_path):
    assert main(["grade", RUBRIC, str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"warning: no .yaml or .yml file in {tmp_path}" in err
    assert "no submissions to grade" in err


def test_workers_and_this_process_grade_alike(capsys):
    """75 submissions: two workers grade them (one process under 64)."""
    folders = (SUBS, SUBS + "/../submissions", "./" + SUBS)
    outs = [grade(capsys, RUBRIC, *folders, "--format", "csv", "--jobs", jobs)[1]
            for jobs in ("1", "2")]
    assert outs[0] == outs[1] and len(outs[0].splitlines()) == 76


def test_the_docs_show_what_grade_prints(capsys):
    """Every line docs/grading.md shows of the example's report is in the real one, and the
    rubric it shows is the example's."""
    import re

    docs = (ROOT / "docs" / "grading.md").read_text()
    _, out, _ = grade(capsys, RUBRIC, SUBS)
    blocks = re.findall(r"```\n((?:\$ netspec grade|== examples).*?)```", docs, re.S)
    shown = [line for block in blocks for line in block.splitlines()
             if line != "..." and not line.startswith("$ ")]
    assert len(blocks) == 3 and len(shown) > 40
    assert [line for line in shown if line not in out.splitlines()] == []
    rubric = re.search(r"```yaml\n(assignment:.*?)```", docs, re.S)[1]
    assert rubric in (ROOT / RUBRIC).read_text()


def test_grade_imports_no_heavy_library():
    probe = PROBE.format(argv=["grade", RUBRIC, f"{SUBS}/alice.yaml"], heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip().splitlines()[-1] == "[]"
