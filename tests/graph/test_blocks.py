"""Branches, groups and blocks: names mirror PyTorch, mistakes are located."""
import os
import re
import subprocess
import sys

import pytest

import netspec
from netspec.core.errors import SpecError

BASIC = """
blocks:
  basic:
    params: {filters: required, stride: 1}
    layers:
      - conv: {filters: $filters, kernel: 3, stride: $stride, padding: 1, bias: false, name: conv1}
      - batchnorm: {name: bn1}
      - relu
      - conv: {filters: $filters, kernel: 3, padding: 1, bias: false, name: conv2}
      - batchnorm: {name: bn2}
      - add: [bn2, $input]
      - relu
"""


def analyze(text: str):
    return netspec.analyze(text)


def errors_of(text: str):
    with pytest.raises(SpecError) as info:
        analyze(text)
    return [d for d in info.value.diagnostics if d.severity == "error"]


def test_block_names_mirror_pytorch_modules():
    a = analyze("input: [8, 16, 16]" + BASIC + """
layers:
  - name: layer1
    layers: [{basic: {filters: 8}}, {basic: {filters: 8}}]
  - name: head
    layers: [global_avgpool, {dense: 10}]
""")
    names = [r.name for r in a.layers]
    assert names[:7] == ["layer1.0.conv1", "layer1.0.bn1", "layer1.0.relu1", "layer1.0.conv2",
                         "layer1.0.bn2", "layer1.0.add1", "layer1.0.relu2"]
    assert names[7] == "layer1.1.conv1" and names[-2:] == ["head.0", "head.1"]
    add = a.layers[5]
    assert add.inputs == ("layer1.0.bn2", "input")  # $input: what feeds the block
    assert a.layers[12].inputs == ("layer1.1.bn2", "layer1.0.relu2")
    assert a.layers[0].group == ("layer1", "layer1.0")
    assert a.total_params == 2 * 2 * (9 * 8 * 8 + 16) + 8 * 10 + 10


def test_branches_with_input_and_concat():
    a = analyze("""
input: [3, 8, 8]
layers:
  - conv: {filters: 4, kernel: 1, name: a}
  - conv: {filters: 6, kernel: 3, padding: 1, input: input, name: b}
  - concat: [a, b]
  - add: [concat1, concat1]
""")
    assert [r.output_shape for r in a.layers] == [(4, 8, 8), (6, 8, 8), (10, 8, 8), (10, 8, 8)]
    assert a.layers[1].inputs == ("input",)


def test_group_input_starts_a_branch():
    a = analyze("""
input: [3, 8, 8]
layers:
  - conv: {filters: 4, kernel: 3, padding: 1, name: trunk}
  - conv: {filters: 4, kernel: 3, padding: 1}
  - name: shortcut
    input: trunk
    layers: [{conv: {filters: 4, kernel: 1}}]
  - add: [conv2, shortcut]
""")
    assert a.layers[2].name == "shortcut.0" and a.layers[2].inputs == ("trunk",)
    assert a.layers[3].inputs == ("conv2", "shortcut.0")


HEAD = "input: [8, 16, 16]"


@pytest.mark.parametrize("layers, line, message", [
    ("  - basic: {filters: 8, strides: 2}\n", 14, r"block 'basic' has no parameter 'strides'"),
    ("  - basic: {stride: 2}\n", 14, r"block 'basic' needs 'filters'"),
    ("  - basic: 8\n", 14, r"a block takes a mapping of arguments, not 8"),
    ("  - conv: {filters: 4, kernel: 3, input: $input}\n", 14,
     r"\$input means a block's input, but this is not in a block"),
], ids=["unknown argument", "missing argument", "not a mapping", "$input outside a block"])
def test_block_use_errors(layers, line, message):
    (e,) = errors_of(HEAD + BASIC + "layers:\n" + layers)
    assert e.location.line == line and re.search(message, e.message), e.format()


def test_unknown_argument_hint():
    (e,) = errors_of(HEAD + BASIC + "layers:\n  - basic: {filters: 8, strid: 2}\n")
    assert e.hint == "did you mean 'stride'?"


def test_block_that_uses_itself():
    (e,) = errors_of("""input: [8, 4, 4]
blocks:
  a:
    layers: [relu, {b: {}}]
  b:
    layers: [{a: {}}]
layers:
  - a
""")
    assert "block 'a' uses itself (a -> b -> a)" in e.message and e.location.line == 6


def test_unknown_parameter_in_block():
    (e,) = errors_of("""input: [8, 4, 4]
blocks:
  a:
    params: {width: 4}
    layers: [{conv: {filters: $widht, kernel: 1}}]
layers:
  - a
""")
    assert "block 'a' uses $widht, which is not one of its parameters" in e.message
    assert e.hint == "did you mean 'width'?" and e.location.line == 3


def test_block_named_like_a_kind():
    (e,) = errors_of("input: [8, 4, 4]\nblocks:\n  conv:\n    layers: [relu]\nlayers: [relu]\n")
    assert "the block 'conv' has the name of a layer kind" in e.message


def test_references_inside_a_block_stay_inside():
    (e,) = errors_of("""input: [8, 4, 4]
blocks:
  a:
    layers: [{add: [outside, $input]}]
layers:
  - relu: {name: outside}
  - a
""")
    assert "input 'a1.outside' is not the name of any layer" in e.message


def test_mismatched_add_names_both_inputs_with_lines():
    (e,) = errors_of("""input: [3, 32, 32]
layers:
  - conv: {filters: 16, kernel: 3, padding: 1, name: stem}
  - conv: {filters: 32, kernel: 3, padding: 1, stride: 2}
  - add: [stem, conv2]
""")
    assert e.message == ("add needs inputs of one shape (or of size 1 on an axis where they "
                         "differ), got (16, 32, 32) and (32, 16, 16): channels 16 vs 32")
    assert e.details == ("input 'stem' (16, 32, 32) (line 3)", "input 'conv2' (32, 16, 16) (line 4): it makes 32x32 into 16x16")
    assert e.location.line == 5


def test_concat_with_different_sizes():
    (e,) = errors_of("input: [3, 8, 8]\nlayers:\n  - maxpool: {name: p}\n  - concat: [p, input]\n")
    assert "same spatial size, got (3, 4, 4), (3, 8, 8)" in e.message
    assert "input 'input' (3, 8, 8) (the network input)" in e.details


def test_merge_needs_two_inputs():
    (e,) = errors_of("input: [3, 8, 8]\nlayers:\n  - add: [input]\n")
    assert "input must have at least 2 items" in e.message


RESNETISH = "input: [8, 16, 16]" + BASIC + """
layers:
  - conv: {filters: 8, kernel: 3, padding: 1, name: stem}
  - name: layer1
    layers: [{basic: {filters: 8}}, {basic: {filters: 8}}]
  - global_avgpool
"""


def test_groups_sum_their_layers():
    a = analyze(RESNETISH)
    groups = {g.name: g for g in a.groups()}
    assert list(groups) == ["layer1", "layer1.0", "layer1.1"]
    assert groups["layer1"].params == groups["layer1.0"].params + groups["layer1.1"].params
    assert groups["layer1"].params == sum(r.params for r in a.layers if r.name.startswith("layer1"))
    assert (groups["layer1.0"].depth, groups["layer1.0"].layers) == (2, 7)


def test_report_subtotals_and_depth():
    from netspec.reports import render

    a = analyze(RESNETISH)
    full = render(a, "table")
    assert "= layer1.0" in full and "subtotal of 7 layers" in full and "= layer1 " in full
    folded = render(a, "table", depth=1)
    assert re.search(r"2-15 +layer1 +14 layers", folded) and "layer1.0" not in folded
    two = render(a, "table", depth=2)
    assert re.search(r"2-8 +layer1.0 +7 layers", two) and "= layer1 " in two
    assert render(a, "json").count('"name": "layer1.1"') == 1  # groups are in the JSON too


def test_sequential_block_numbers_its_children():
    a = analyze("""input: [3, 8, 8]
blocks:
  cbr:
    params: {filters: required}
    sequential: true
    layers: [{conv: {filters: $filters, kernel: 3, padding: 1}}, batchnorm, relu6]
layers:
  - cbr: {filters: 4, name: stem}
""")
    assert [r.name for r in a.layers] == ["stem.0", "stem.1", "stem.2"]


def test_a_default_may_name_another_parameter():
    text = """input: [3, 8, 8]
blocks:
  two:
    params: {a: required, b: $a}
    layers: [{conv: {filters: $a, kernel: 1}}, {conv: {filters: $b, kernel: 1}}]
layers:
  - two: {a: 4}
  - two: {a: 4, b: 6}
"""
    assert [r.output_shape[0] for r in analyze(text).layers] == [4, 4, 4, 6]
    (e,) = errors_of(text.replace("b: $a}", "b: $c}"))
    assert "the default of 'b' is $c, which is not one of its parameters" in e.message


@pytest.mark.parametrize("seed", ["0", "1", "2", "3", "4"])
def test_chained_defaults_resolve_whatever_the_hash_seed(seed):
    """The order once came from a set: a chain resolved or failed by PYTHONHASHSEED."""
    code = ("import netspec; print([r.output_shape[0] for r in netspec.analyze("
            "'input: [3, 4, 4]\\nblocks:\\n  b:\\n    params: {a: required, b: $a, c: $b, "
            "d: $c}\\n    layers: [{conv: {filters: $d, kernel: 1}}]\\nlayers: [{b: {a: 6}}]')"
            ".layers])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": seed})
    assert done.stdout.strip() == "[6]", done.stderr


def test_defaults_that_name_each_other_in_a_circle():
    (e,) = errors_of("input: [3, 4, 4]\nblocks:\n  b:\n    params: {a: $b, b: $a}\n"
                     "    layers: [{conv: {filters: $a, kernel: 1}}]\nlayers: [b]\n")
    assert e.message == "block 'b': the defaults of 'a', 'b' name each other in a circle"


@pytest.mark.parametrize("size, out", [(74, 37), (147, 74), (19, 10)])
def test_maxpool_same_padding_as_keras(size, out):
    a = analyze(f"input: [1, {size}, {size}]\nlayers:\n"
                "  - maxpool: {kernel: 3, stride: 2, padding: same}\n")
    assert a.output_shape == (1, out, out)


def test_avgpool_refuses_one_sided_padding():
    (e,) = errors_of("input: [1, 74, 74]\nlayers:\n"
                     "  - avgpool: {kernel: 3, stride: 2, padding: same}\n")
    assert "avgpool pads both sides alike" in e.message


def test_a_layer_cannot_share_a_groups_name():
    (e,) = errors_of("""input: [3, 8, 8]
layers:
  - name: stage
    layers: [relu, relu]
  - relu: {name: stage}
""")
    assert "the name 'stage' is also the name of a block or group" in e.message


@pytest.mark.parametrize("ref", ["stem", "[stem]"])
def test_repeated_layer_with_input_chains_like_a_repeated_group(ref):
    a = analyze("input: [3, 8, 8]\nlayers:\n  - conv: {filters: 4, kernel: 1, name: stem}\n"
                f"  - relu\n  - conv: {{filters: 4, kernel: 1, input: {ref}}}\n    repeat: 3\n")
    assert [r.inputs for r in a.layers[2:]] == [("stem",), ("conv2",), ("conv3",)]
    assert [w.layer for w in a.warnings] == ["layer 2 'relu1' (relu)"]  # the branch left over


def test_repeat_may_be_written_inside_the_layer_mapping():
    a = analyze("input: [3, 8, 8]\nlayers:\n  - conv: {filters: 4, kernel: 1, repeat: 2}\n")
    assert [r.name for r in a.layers] == ["conv1", "conv2"]
    (e,) = errors_of("input: [3, 8, 8]\nlayers:\n  - conv: {filters: 4, kernel: 1, repeat: 2}\n"
                     "    repeat: 3\n")
    assert e.message == "'repeat' is given twice, inside `conv:` and beside it"


def test_a_block_reading_a_layer_outside_it_is_told_how():
    (e,) = errors_of("input: [3, 8, 8]\nblocks:\n  b:\n    layers:\n"
                     "      - conv: {filters: 3, kernel: 1}\n      - add: [conv1, stem]\n"
                     "layers:\n  - conv: {filters: 3, kernel: 1, name: stem}\n  - b\n")
    assert e.message == "input 'b1.stem' is not the name of any layer"
    assert e.hint.startswith("'stem' is outside the block, whose layers see only the block's own")


def test_an_automatic_name_taken_by_another_layer_says_so():
    (e,) = errors_of("input: [3, 8, 8]\nlayers:\n  - relu\n"
                     "  - conv: {filters: 3, kernel: 1, name: relu2}\n  - relu\n")
    assert e.layer == "layer 3 'relu2' (relu)" and "named automatically" in e.hint


def test_a_layer_inside_a_block_is_read_from_outside_by_its_dotted_name():
    a = analyze("input: [3, 8, 8]\nblocks:\n  b:\n    layers:\n"
                "      - conv: {filters: 3, kernel: 1, name: inner}\n      - relu\n"
                "layers:\n  - b: {name: blk}\n  - add: [blk.inner, blk]\n")
    assert a.layers[-1].inputs == ("blk.inner", "blk.relu1")

