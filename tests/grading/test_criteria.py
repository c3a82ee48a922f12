"""Each check of a rubric on small networks: what it scores and what it tells the student. The
receptive-field advice is checked by following it: the network it suggests reaches the field,
and one layer fewer does not."""
import re

import pytest
import yaml

import netspec
from netspec.grading import Grader
from netspec.grading.rubric import parse_rubric
from netspec.reading.source import load_text

NET = """input: [3, 32, 32]
layers:
  - conv: {filters: 8, kernel: 3, padding: 1, name: conv1}
  - maxpool: {kernel: 3, stride: 2, name: pool1}
  - conv: {filters: 16, kernel: 3, padding: 1, activation: relu, name: conv2}
  - flatten
  - dense: {units: 300, name: fc1}
  - dense: {units: 10, name: fc2}
"""
# by hand: conv1 (27+1)*8 = 224; pool1 (32-3)/2+1 = 15.5 -> 15 (a ragged window);
# conv2 (72+1)*16 = 1,168; fc1 (16*15*15+1)*300 = 1,080,300; fc2 (300+1)*10 = 3,010
PARAMS = 224 + 1_168 + 1_080_300 + 3_010


def grade(criterion: str, net: str = NET, tmp_path=None, scoring: str = "all", points: int = 4):
    rubric = f"criteria:\n  - {criterion}\n    points: {points}\n    scoring: {scoring}\n"
    grader = Grader.of(parse_rubric(load_text(rubric, "rubric.yaml")))
    path = tmp_path / "net.yaml"
    path.write_text(net)
    g = grader.grade(str(path))
    assert g.valid, [d.format() for d in g.diagnostics]
    (result,) = g.criteria
    return result


def test_the_hand_count_is_the_checkers():
    assert netspec.analyze(NET).total_params == PARAMS == 1_084_702


@pytest.mark.parametrize("criterion, score, feedback", [
    ("input_shape: [3, 32, 32]", 4, "input 3x32x32"),
    ("input_shape: [1, 28, 28]", 0, "the spec's input is 3x32x32, the assignment's is 1x28x28: "
                                    "write `input: [1, 28, 28]`"),
    ("output_shape: [10]", 4, "output 10"),
    ("output_shape: [100]", 0, "the network's output is 10 (the last layer, layer 6 'fc2', is "
                               "dense 10), the assignment asks for 100: give the last layer "
                               "100 outputs"),
    ("params: {max: 2000000}", 4, "parameters: 1,084,702 (at most 2,000,000)"),
    ("params: {max: 100000}", 0, "parameters: 1,084,702, over the assignment's 100,000 by "
                                 "984,702: the largest share is layer 5 'fc1' (dense 300) with "
                                 "1,080,300 parameters (100%)"),
    ("params: {min: 2000000}", 0, "parameters: 1,084,702, under the assignment's 2,000,000"),
    ("layer_count: {min: 3, max: 6}", 4, "layers: 6 (from 3 to 6)"),
    ("layer_count: {max: 5}", 0, "layers: 6, over the assignment's 5 by 1"),
    ("required_kinds: [conv, batchnorm]", 0,
     "the network has no batchnorm layer; the assignment requires it"),
    ("forbidden_kinds: [dense]", 0, "layer 5 'fc1' (dense), layer 6 'fc2' (dense): the "
                                    "assignment forbids dense"),
    ("count: {kind: [conv, maxpool], min: 3}", 4,
     "conv/maxpool layers: 3 (conv1, pool1, conv2) (at least 3)"),
    ("setting: {kind: dense, setting: units, max: 256}", 0,
     "layer 5 'fc1' has units 300: the assignment asks for dense units at most 256"),
    ("setting: {kind: [conv, maxpool], setting: kernel, max: 3}", 4,
     "conv/maxpool kernel at most 3"),
    ("receptive_field: {min: 5, layer: conv2}", 4,
     "receptive field of conv2 is 9x9 (at least 5)"),
    ("receptive_field: {min: 5, layer: conv9}", 0,
     "there is no layer named 'conv9', where the assignment measures the receptive field "
     "(did you mean 'conv2'?)"),
    ("receptive_field: {min: 5, last: depthwise_conv}", 0,
     "the network has no depthwise_conv layer, where the assignment measures the receptive "
     "field"),
    ("receptive_field: {min: [40, 30]}", 0,
     "receptive field of the output ('fc2') is 37x37, the assignment asks for at least 40x30: "
     "it already sees the whole 32x32 input, and no layer sees more"),
    ("no_warnings: [NS501]", 4, "no warnings of NS501"),
])
def test_each_check(tmp_path, criterion, score, feedback):
    result = grade(criterion, tmp_path=tmp_path)
    assert (result.score, result.feedback) == (score, feedback)
    assert result.passed == (score == 4)


def test_no_warnings_names_the_warning_and_its_line(tmp_path):
    result = grade("no_warnings: [ragged-window]", tmp_path=tmp_path)
    assert result.score == 0 and result.feedback.startswith(
        "the check warns NS402 at line 4 (layer 2 'pool1' (maxpool)): the window does not tile")


@pytest.mark.parametrize("criterion, fraction", [
    ("params: {max: 100000}", 100_000 / PARAMS),  # over a max: max / value
    ("params: {min: 2000000}", PARAMS / 2_000_000),  # under a min: value / min
    ("count: {kind: conv, min: 4}", 2 / 4),
    ("setting: {kind: dense, setting: units, max: 150}", 150 / 300),  # the worst layer
    ("receptive_field: {min: 12, layer: conv2}", 9 / 12),
])
def test_proportional_scoring_pays_how_close_the_bound_is_met(tmp_path, criterion, fraction):
    result = grade(criterion, tmp_path=tmp_path, scoring="proportional")
    assert result.score == round(4 * fraction, 2) and not result.passed
    assert grade(criterion, tmp_path=tmp_path).score == 0  # all or nothing


def stack(layers: list[dict]) -> str:
    return yaml.safe_dump({"input": [3, 32, 32], "layers": layers}, sort_keys=False)


CONV3 = {"conv": {"filters": 4, "kernel": 3, "padding": 1}}
POOL = {"maxpool": 2}


def target(name: str, kernel: int = 3, stride: int = 1) -> dict:
    return {"conv": {"filters": 4, "kernel": kernel, "stride": stride, "padding": kernel // 2,
                     "name": name}}


def field_at(layers: list[dict], name: str) -> int:
    a = netspec.analyze(stack(layers))
    return min(next(r for r in a.layers if r.name == name).receptive_field)


@pytest.mark.parametrize("before, wanted", [
    ([target("c1", 5), target("c2", 3, 2)], 15),  # the 11x11: one conv or a pool
    ([CONV3, CONV3], 15),  # 7x7 at stride 1: 4 convs, no single pool
    ([], 15),  # the first layer: 3x3
    ([CONV3, POOL, CONV3], 21),  # after a pool each conv adds 4
    ([CONV3, POOL, CONV3, POOL, CONV3], 40),
])
def test_following_the_receptive_field_advice_reaches_it(tmp_path, before, wanted):
    layers = before + [target("last")]
    result = grade(f"receptive_field: {{min: {wanted}, layer: last}}", stack(layers + [
        {"global_avgpool": None}, {"dense": 10}]), tmp_path)
    assert not result.passed
    advice = result.feedback.split(": ", 1)[1]
    convs = 1 if advice.startswith("another 3x3 conv") else int(re.match(r"(\d+) more", advice)[1])
    with_convs = before + [CONV3] * convs + [target("last")]
    assert field_at(with_convs, "last") >= wanted
    assert field_at(before + [CONV3] * (convs - 1) + [target("last")], "last") < wanted
    pool_reaches = field_at(before + [POOL, target("last")], "last") >= wanted
    assert ("pool" in advice.split(" before ")[0]) == pool_reaches, advice


def test_a_setting_bound_takes_numbers_and_a_bound_of_zero_scales_to_nothing(tmp_path):
    net = "input: [4]\nlayers:\n  - dropout: 0.3\n  - leaky_relu: 0.2\n  - dense: 2\n"
    rate = grade("setting: {kind: dropout, setting: rate, max: 0.25}", net, tmp_path,
                 scoring="proportional")
    assert rate.feedback == ("layer 1 'dropout1' has rate 0.3: the assignment asks for dropout "
                             "rate at most 0.25") and rate.score == round(4 * 0.25 / 0.3, 2)
    slope = grade("setting: {kind: leaky_relu, setting: negative_slope, max: 0}", net,
                  tmp_path, scoring="proportional")
    assert slope.score == 0 and not slope.passed
