"""Rubrics are read like specs: every mistake located, with its code (NS7xx) and a hint; the
JSON Schema of `netspec schema --rubric` accepts the example and refuses what the reader does."""
import json

import pytest

from netspec.cli import main
from netspec.core.errors import SpecError
from netspec.grading import Grader, read_rubric
from netspec.grading.rubric import parse_rubric
from netspec.reading.source import load_text
from tests.zoo import ROOT

EXAMPLE = ROOT / "examples" / "grading" / "rubric.yaml"


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as e:
        Grader.of(parse_rubric(load_text(text, "r.yaml")))
    return [d.format() for d in e.value.diagnostics]


@pytest.mark.parametrize("text, expected", [
    ("criteria:\n  - params: {max: 100000}\n    pionts: 2\n",
     "r.yaml:3:5: error[NS701]: unknown key 'pionts' in criteria[0] of the rubric\n"
     "  hint: did you mean 'points'?"),
    ("criteria:\n  - receptive_field: {min: 15, lats: conv}\n",
     "r.yaml:2:32: error[NS701]: unknown key 'lats' in criteria[0].receptive_field of the "
     "rubric\n  hint: did you mean 'last'?"),
    ("criteria:\n  - count: {min: 3}\n",
     "r.yaml:2:12: error[NS702]: criteria[0].count of the rubric needs 'kind' (a layer kind, "
     "or a list of kinds counted together)"),
    ("criteria:\n  - params: {max: lots}\n",
     "r.yaml:2:19: error[NS703]: criteria[0].params.max must be a whole number, got 'lots'"),
    ("criteria:\n  - params: {max: 10}\n    points: -1\n",
     "r.yaml:3:13: error[NS703]: criteria[0].points must be at least 0, got -1"),
    ("limits: {seconds: 1000}\ncriteria:\n  - params: {max: 10}\n",
     "r.yaml:1:19: error[NS703]: limits.seconds must be at most 600, got 1000"),
    ("criteria:\n  - name: size\n    params: {max: 100000}\n    macs: {max: 1000000}\n",
     "r.yaml:2:5: error[NS704]: criterion 1 names 2 checks (params, macs)"),
    ("criteria:\n  - name: nothing\n    points: 2\n",
     "r.yaml:2:5: error[NS704]: criterion 1 names no check"),
    ("criteria:\n  - count: {kind: convolution, min: 3}\n",
     "r.yaml:2:19: error[NS705]: unknown layer kind 'convolution'\n  hint: did you mean 'conv'?"),
    ("criteria:\n  - forbidden_kinds: [dense, Linear]\n",
     "r.yaml:2:30: error[NS705]: unknown layer kind 'Linear'\n  hint: did you mean 'dense'?"),
    ("criteria:\n  - setting: {kind: dense, setting: width, max: 256}\n",
     "r.yaml:2:37: error[NS706]: 'width' is not a setting of dense\n"
     "  hint: dense takes: units, bias, activation"),
    ("criteria:\n  - no_warnings: [ragged-windows]\n",
     "r.yaml:2:19: error[NS707]: no diagnostic code 'ragged-windows'\n"
     "  hint: did you mean 'ragged-window'?"),
    ("criteria:\n  - params: {min: 200000, max: 100000}\n",
     "r.yaml:2:19: error[NS708]: min 200,000 is above max 100,000: no network meets this bound"),
    ("criteria:\n  - macs: {}\n",
     "r.yaml:2:11: error[NS708]: a bound needs `min:`, `max:` or both"),
    ("criteria:\n  - receptive_field: {min: 9, layer: conv3, last: conv}\n",
     "r.yaml:2:22: error[NS708]: receptive_field names both `layer:` and `last:`"),
    ("criteria:\n  - output_shape: [10]\n    scoring: proportional\n",
     "r.yaml:3:14: error[NS709]: output_shape has no bound to score proportionally"),
    ("criteria:\n  - params: {max: 100000}\n  - params: {min: 1000}\n",
     "r.yaml:3:5: error[NS710]: criterion 2 is named 'params', as criterion 1 is"),
    ("reference: nowhere.yaml\ncriteria:\n  - params: {max: 10}\n",
     "r.yaml:1:1: error[NS711]: the reference solution does not check"),
    ("reference:\n  input: [1, 8, 8]\n  layers: [flatten, {dense: 10}]\ncriteria:\n"
     "  - count: {kind: conv, min: 1}\n",
     "r.yaml:1:1: error[NS712]: the reference solution (r.yaml) misses 1 of the rubric's 1 "
     "criteria, worth 1 of its 1 points\n  conv count: conv layers: 0, under the assignment's 1"),
])
def test_each_mistake_is_located_with_its_code(text, expected):
    found = problems(text)
    assert any(p.startswith(expected) for p in found), found


def test_a_reference_that_does_not_check_brings_its_own_diagnostics(tmp_path):
    (tmp_path / "solution.yaml").write_text("input: [1, 7, 7]\nlayers:\n"
                                            "  - conv: {filters: 8, kernel: 9}\n")
    (tmp_path / "rubric.yaml").write_text("reference: solution.yaml\n"
                                          "criteria:\n  - params: {max: 10}\n")
    with pytest.raises(SpecError) as e:
        Grader.load(str(tmp_path / "rubric.yaml"))
    first, second = e.value.diagnostics
    assert first.code == "NS711" and first.location.line == 1
    assert second.code == "NS401" and second.location.file == str(tmp_path / "solution.yaml")


def test_names_default_to_the_check_and_codes_are_normalised():
    rf = parse_rubric(load_text(
        "criteria:\n  - receptive_field: {min: 15, last: conv}\n"
        "  - setting: {kind: [conv, maxpool], setting: kernel, max: 7}\n"
        "  - no_warnings: [ragged-window, ns501]\n  - count: {kind: conv, min: 3}\n", "r.yaml"))
    assert rf.names == ("receptive field at last conv", "conv/maxpool kernel", "no warnings",
                        "conv count")
    assert rf.codes[2] == ("NS402", "NS501")
    assert (rf.limits.bytes, rf.limits.layers, rf.limits.seconds) == (65_536, 2_000, 5.0)


def test_the_example_rubric_reads():
    rf = read_rubric(str(EXAMPLE))
    assert rf.max_score == 12 and rf.rubric.invalid == 1
    assert rf.checks == ("input_shape", "output_shape", "params", "count", "setting",
                         "receptive_field")


def test_schema_of_the_rubric_validates_the_example_and_refuses_typos(capsys):
    import jsonschema
    import yaml

    assert main(["schema", "--rubric"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "netspec grading rubric"
    validator = jsonschema.Draft202012Validator(schema)
    validator.check_schema(schema)
    assert list(validator.iter_errors(yaml.safe_load(EXAMPLE.read_text()))) == []
    for bad in ("criteria: [{params: {max: 10}, pionts: 2}]",  # an unknown key
                "criteria: [{params: {max: 10}, macs: {max: 10}}]",  # two checks
                "criteria: [{points: 2}]"):  # no check
        assert list(validator.iter_errors(yaml.safe_load(bad))), bad


def test_the_spec_format_names_a_nested_missing_setting_too(tmp_path):
    """The translation the rubric shares with specs: a block without layers says so."""
    import netspec

    with pytest.raises(SpecError) as e:
        netspec.load("input: [1, 8]\nblocks:\n  a: {params: {}}\nlayers: [relu]\n")
    assert e.value.diagnostics[0].message == "blocks.a of the spec needs 'layers'"


@pytest.mark.parametrize("text, expected", [
    ("", "rubric.yaml:1:1: error[NS105]: the rubric is empty\n"
         "  hint: a rubric is a mapping with at least `criteria:` (docs/grading.md)"),
    ("- params\n", "rubric.yaml:1:1: error[NS106]: a rubric must be a YAML mapping, not a list"),
    ("criteria: [params]\n", "rubric.yaml:1:12: error[NS703]: criteria[0] must be a mapping "
                             "(key: value), got 'params'"),
    ("reference: [1]\ncriteria: [{params: {max: 1}}]\n",
     "rubric.yaml:1:12: error[NS703]: reference must be text or a mapping "
     "(key: value), got [1]"),
])
def test_a_file_that_is_no_rubric_is_said_to_be_one(tmp_path, text, expected):
    (tmp_path / "rubric.yaml").write_text(text)
    with pytest.raises(SpecError) as e:
        read_rubric(str(tmp_path / "rubric.yaml"))
    (found,) = [d.format() for d in e.value.diagnostics]
    assert found.replace(str(tmp_path) + "/", "").startswith(expected), found
