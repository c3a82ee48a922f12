"""A corpus of the mistakes students make (student_mistakes.yaml), each with the message it must
give: its code, its file:line:col, and the words a student fixes it from alone (what is wrong,
the arithmetic with the numbers filled in, the fix). The expectations are written by hand from
the spec, not read back from netspec."""
import re
from pathlib import Path

import pytest
import yaml

import netspec
from netspec.cli import main
from netspec.core.errors import Diagnostic, SpecError

CORPUS = yaml.safe_load((Path(__file__).parent / "student_mistakes.yaml").read_text())
# Words that belong to the libraries under netspec, never to a message a student reads.
RAW = re.compile(r"should be a valid|Input should|union|literal\[|constrained-|while scanning|"
                 r"while parsing|could not find expected|Traceback")


def diagnostics(text: str) -> list[Diagnostic]:
    """Everything netspec says about a spec checked as hw.yaml: its errors, or the warnings
    of a valid spec."""
    try:
        return list(netspec.analyze(netspec.load(text, file="hw.yaml")).warnings)
    except SpecError as e:
        return e.diagnostics


def test_the_corpus_is_large_and_each_mistake_named_once():
    names = [case["name"] for case in CORPUS]
    assert len(names) >= 60 and len(set(names)) == len(names)


@pytest.mark.parametrize("case", CORPUS, ids=[case["name"] for case in CORPUS])
def test_each_mistake_gets_a_message_a_student_fixes_alone(case):
    found = diagnostics(case["spec"])
    assert all(d.code and d.location for d in found), [d.format() for d in found]
    assert not [d for d in found if RAW.search(d.format())], [d.format() for d in found]
    matches = [d for d in found if d.code == case["code"]]
    assert matches, [d.format() for d in found]
    d = matches[0]
    assert str(d.location) == f"hw.yaml:{case['at']}", d.format()
    assert case["message"] in d.message, d.format()
    if "hint" in case:
        assert d.hint and case["hint"] in d.hint, d.format()
    if "details" in case:
        assert any(case["details"] in line for line in d.details), d.format()
    others = [x.code for x in found if x is not d]
    for code in case.get("also", []):
        assert code in others, [x.format() for x in found]
        others.remove(code)


def test_the_command_line_prints_the_location_code_and_hint(tmp_path, capsys):
    spec = tmp_path / "hw.yaml"
    spec.write_text("input: [3, 32, 32]\nlayers:\n  - conv: {filters: 16, kernel: 3.0}\n")
    assert main(["check", str(spec)]) == 1
    err = capsys.readouterr()
    assert (f"{spec}:3:33: error[NS203]: layer 1 (conv): kernel must be a whole number, got "
            "3.0: write 3") in err.out + err.err


def test_top_level_errors_do_not_hide_the_layers_errors():
    """An unknown key, a misspelt `input:` and layer mistakes, all in one run."""
    found = diagnostics("inputs: [3, 32, 32]\nepochs: 3\nlayers:\n"
                        "  - conv: {filters: 16, kernal: 3}\n  - dense: 0\n")
    assert [(d.code, d.location.line) for d in found] == [
        ("NS201", 1), ("NS201", 2), ("NS201", 4), ("NS203", 5)]


def test_a_bad_block_is_reported_once_and_its_uses_are_not():
    found = diagnostics("input: [3, 32, 32]\nblocks:\n  unit: {layers: [relu], extra: 1}\n"
                        "layers:\n  - unit: {}\n  - conv: {filters: 0, kernel: 3}\n")
    assert [(d.code, d.location.line) for d in found] == [("NS201", 3), ("NS203", 6)]


def test_a_channels_last_input_that_fails_does_not_blame_other_layers_for_their_own_mistakes():
    """The hint goes to the layers the channels-first order fixes, not to every failing one."""
    found = diagnostics("input: [32, 32, 3]\nlayers:\n  - maxpool: 2\n  - maxpool: 2\n"
                        "  - conv: {filters: 8, kernel: 99, input: input}\n  - concat: [maxpool2, conv1]\n")
    hints = {d.layer: d.hint for d in found if d.code == "NS401"}
    assert "channels-last" in hints["layer 2 'maxpool2' (maxpool)"]
    assert "channels-last" not in hints["layer 3 'conv1' (conv)"]
