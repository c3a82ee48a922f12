"""Diagnostic codes: every code's example gives that code, every declared code is raised
somewhere, docs/diagnostics.md is the index as `netspec check --explain all` prints it, and
`--explain` and the JSON outputs carry the codes."""
import json
import re

import pytest

import netspec
import netspec.grading  # noqa: F401  (declares the grading codes, NS7xx, as `--explain` does)
from netspec.cli import main
from netspec.core.codes import CODES, lookup
from netspec.reports.code_index import example_diagnostics, index_markdown
from tests.zoo import ROOT

# Codes whose cause is not a small YAML text (a file's bytes, its size, millions of values);
# tests/reading/test_source.py feeds each of them; and the grader's caps on a submission
# (bytes, layers, seconds, a worker that dies), which tests/grading/test_batch.py feeds.
WITHOUT_EXAMPLE = {"NS101", "NS102", "NS103", "NS111", "NS113",
                   "NS713", "NS714", "NS715", "NS716"}


@pytest.mark.parametrize("code", sorted(c for c in CODES if CODES[c].example))
def test_every_example_gives_its_own_code(code):
    found = example_diagnostics(CODES[code])
    assert code in [d.code for d in found], [d.format() for d in found]


def test_only_the_codes_that_cannot_have_a_small_example_lack_one():
    assert {c for c, entry in CODES.items() if entry.example is None} == WITHOUT_EXAMPLE


def test_every_declared_code_is_raised_somewhere():
    """A code's constant is used beyond its declaration (no code is dead)."""
    sources = {p: p.read_text() for p in (ROOT / "netspec").rglob("*.py")}
    unused = []
    for code in CODES:
        (name,) = {m.group(1) for text in sources.values()
                   for m in re.finditer(rf'^(\w+) = declare\(\s*"{code}"', text, re.M)}
        uses = sum(len(re.findall(rf"\b{name}\b", text)) for text in sources.values())
        if uses < 2:
            unused.append(f"{code} ({name})")
    assert unused == []


def test_the_docs_page_is_the_index():
    page = (ROOT / "docs" / "diagnostics.md").read_text()
    assert page == index_markdown(), \
        "regenerate it: netspec check --explain all > docs/diagnostics.md"


def test_lookup_by_id_or_name():
    assert lookup("ns401") is lookup("empty-output") is CODES["NS401"]
    assert lookup("NS999") is None


def test_explain_prints_the_entry_with_the_example_checked(capsys):
    assert main(["check", "--explain", "ragged-window"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("NS402 ragged-window: a window does not tile its input")
    assert "example.yaml:3:43: warning[NS402]: layer 1 'conv1' (conv)" in out
    assert "hint: padding 1 would fit" in out


def test_explain_of_an_unknown_code_is_a_usage_error(capsys):
    assert main(["check", "--explain", "ragged-windows"]) == 2
    assert "no diagnostic code 'ragged-windows'; did you mean 'ragged-window'?" in \
        capsys.readouterr().err


def test_explain_all_as_json_lists_every_code(capsys):
    assert main(["check", "--explain", "all", "--format", "json"]) == 0
    codes = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in codes] == list(CODES)
    assert set(codes[0]) == {"id", "name", "summary", "explanation", "stage", "example"}


def test_check_needs_a_spec_or_explain(capsys):
    assert main(["check"]) == 2
    assert "give one or more SPEC files, or --explain CODE" in capsys.readouterr().err


def test_codes_in_text_and_json(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [1, 7, 7]\nlayers:\n  - conv: {filters: 8, kernel: 9}\n")
    assert main(["check", str(bad)]) == 1
    assert f"{bad}:3:32: error[NS401]: layer 1 'conv1' (conv)" in capsys.readouterr().out
    assert main(["check", "--format", "json", str(bad)]) == 1
    (result,) = json.loads(capsys.readouterr().out)
    assert [d["code"] for d in result["diagnostics"]] == ["NS401"]


def test_warnings_carry_their_codes_in_the_analysis():
    (w,) = netspec.analyze(ROOT / "examples" / "ragged_stride3.yaml").warnings
    assert w.code == "NS402" and w.to_dict()["code"] == "NS402"


def test_report_json_of_an_invalid_spec_is_json_on_stdout(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [1, 7, 7]\nlayers:\n  - conv: {filters: 8, kernel: 9}\n")
    assert main(["report", str(bad), "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["valid"] is False and out["spec"] == str(bad)
    assert [(d["code"], d["line"], d["col"]) for d in out["diagnostics"]] == [("NS401", 3, 32)]
