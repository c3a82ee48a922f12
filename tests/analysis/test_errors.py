"""Every user mistake: a located message with the arithmetic and a hint, exit 1, no traceback."""
import re

import pytest

import netspec
from netspec.core.errors import SpecError

HEAD = "name: t\ninput: [1, 28, 28]\nlayers:\n"


def errors_of(text: str, strict: bool = False):
    with pytest.raises(SpecError) as info:
        netspec.analyze(text, strict=strict)
    return [d for d in info.value.diagnostics if d.severity == "error"]


# (layers YAML, expected line:col, regex the message must match, regex the hint must match)
CASES = {
    "kernel larger than padded input": (
        "  - conv: {filters: 8, kernel: 31, stride: 2, name: down}\n", "4:32",
        r"layer 1 'down' \(conv\): output height is floor\(\(28 \+ 2\*0 - 31\) / 2\) \+ 1 = -1",
        r"kernel of at most 28, or padding of at least 2"),
    "dense on unflattened input": (
        "  - conv: {filters: 8, kernel: 3}\n  - dense: 10\n", "5:5",
        r"layer 2 'dense1' \(dense\): dense needs a flat input .* got \(8, 26, 26\)",
        r"add `- flatten` before this layer \(5,408 features\)"),
    "zero size": (
        "  - maxpool: 2\n  - maxpool: 2\n  - maxpool: 2\n  - maxpool: 2\n  - maxpool: 2\n",
        "8:14", r"layer 5 'maxpool5'.*floor\(\(1 \+ 2\*0 - 2\) / 2\) \+ 1 = 0", r"kernel of at most 1"),
    "unknown kind": ("  - convolution: 8\n", "4:5", r"unknown layer kind 'convolution'",
                     r"did you mean 'conv'"),
    "unknown key": ("  - conv: {filters: 8, kernal: 3}\n", "4:24",
                    r"layer 1 \(conv\): unknown key 'kernal' for conv", r"did you mean 'kernel'"),
    "negative filters": ("  - conv: {filters: -8, kernel: 3}\n", "4:21",
                         r"filters must be at least 1, got -8", None),
    "float stride": ("  - conv: {filters: 8, kernel: 3, stride: 1.5}\n", "4:43",
                     r"stride must be a whole number, got 1.5", None),
    "missing setting": ("  - conv: 8\n", "4:5", r"conv needs 'kernel'",
                        r"defaults: conv:"),
    "too many kernel values": ("  - conv: {filters: 8, kernel: [3, 3, 3]}\n", "4:32",
                               r"kernel has 3 values but the input has 2 spatial axes", None),
    "groups do not divide": ("  - conv: {filters: 6, kernel: 3, groups: 4}\n", "4:43",
                             r"groups=4 does not divide the 1 input channels", None),
    "pool padding over half": ("  - maxpool: {kernel: 2, padding: 2}\n", "4:35",
                               r"padding 2 is more than half the pool size 2", r"at most 1"),
    "conv on flat input": ("  - flatten\n  - conv: {filters: 8, kernel: 3}\n", "5:5",
                           r"conv needs a channels-first input with spatial axes, got \(784,\)",
                           r"before flatten"),
    "duplicate name": ("  - relu: {name: a}\n  - relu: {name: a}\n", "5:18",
                       r"the name 'a' is already used by layer 1 'a' \(relu\) at line 4",
                       r"unique"),
    "reserved name": ("  - relu: {name: forward}\n", "4:18", r"'forward' cannot be a layer name",
                      None),
    "private name": ("  - relu: {name: _modules}\n", "4:18", r"'_modules' cannot be a layer name",
                     r"PyTorch's own"),
    "unknown reference": ("  - relu: {name: a}\n  - relu: {input: b}\n", "5:19",
                          r"input 'b' is not the name of any layer", None),
    "later reference": ("  - relu: {input: b}\n  - relu: {name: b}\n", "4:19",
                        r"input 'b' is defined later", None),
    "two kinds in one item": ("  - {conv: 8, relu: null}\n", "4:5",
                              r"one layer item names 2 kinds \(conv, relu\)", r"new `- ` item"),
    "value for a kind without one": ("  - flatten: 3\n", "4:14", r"flatten takes no value", None),
    "expected shape": ("  - conv: {filters: 4, kernel: 3, expect: {shape: [4, 28, 28]}}\n", "4:43",
                       r"expected output shape \(4, 28, 28\), got \(4, 26, 26\)", None),
    "expected params": ("  - conv: {filters: 4, kernel: 3, expect: {params: 36}}\n", "4:43",
                        r"expected 36 parameters, got 40", None),
    "bad repeat": ("  - relu: null\n    repeat: -3\n", "5:13",
                   r"repeat must be a whole number from 0 to 10,000, got -3", None),
    "a helper module takes a later layer's name": (
        "  - conv: {filters: 2, kernel: 3, activation: relu, name: c}\n"
        "  - flatten\n  - dense: {units: 3, name: c_relu}\n", "6:29",
        r"layer 3 'c_relu' \(dense\): its PyTorch module would be named 'c_relu', which "
        r"layer 1 'c' \(conv\) already uses", r"suffix \(here '_relu'\)"),
    "a helper module takes an earlier layer's name": (
        "  - relu: {name: c_pad}\n  - maxpool: {kernel: 2, padding: [[0, 1], 0], name: c}\n",
        "5:54", r"layer 2 'c' \(maxpool\): its PyTorch module would be named 'c_pad', which "
                r"layer 1 'c_pad' \(relu\) already uses", r"suffix \(here '_pad'\)"),
    "a helper module takes a group's name": (
        "  - name: p_pad\n    layers: [relu]\n"
        "  - maxpool: {kernel: 2, padding: [[0, 1], 0], name: p}\n", "6:54",
        r"layer 2 'p' \(maxpool\): its PyTorch module would be named 'p_pad', which the block "
        r"or group 'p_pad' already uses", None),
    "global pooling's flatten takes a name": (
        "  - global_avgpool: {name: gap}\n  - relu: {name: gap_flatten}\n", "5:18",
        r"layer 2 'gap_flatten' \(relu\): its PyTorch module would be named 'gap_flatten'",
        r"suffix \(here '_flatten'\)"),
    "a name the compiled module uses": ("  - relu: {name: input_shape}\n", "4:18",
                                        r"'input_shape' cannot be a layer name", None),
    "two helper modules meet": (
        "  - conv: {filters: 2, kernel: 3, activation: leaky_relu, name: x}\n"
        "  - conv: {filters: 2, kernel: 3, activation: relu, name: x_leaky}\n", "5:59",
        r"layer 2 'x_leaky' \(conv\): its PyTorch module would be named 'x_leaky_relu'", None),
    "a name hides a Sequential method": (
        "  - name: head\n    layers:\n      - flatten: {name: append}\n", "6:25",
        r"'head.append' cannot be a layer name: .* nn.Sequential, whose method 'append'", None),
    "huge repeat": ("  - repeat: 10000\n    layers: [relu, relu, relu, relu, relu, relu, relu, "
                    "relu, relu, relu, relu]\n", "4:13", r"would exceed the limit of 100,000", None),
}


@pytest.mark.parametrize("layers, where, message, hint", CASES.values(), ids=CASES.keys())
def test_layer_errors(layers, where, message, hint):
    first = errors_of(HEAD + layers)[0]
    assert first.code, first.format()  # every diagnostic has a stable code
    assert f"{first.location.line}:{first.location.col}" == where
    assert re.search(message, first.format()), first.format()
    if hint:
        assert first.hint and re.search(hint, first.hint), first.hint


@pytest.mark.parametrize("word, kind", [("conv2d", "conv"), ("Conv2D", "conv"),
                                        ("MaxPool2d", "maxpool"), ("linear", "dense"),
                                        ("BatchNormalization", "batchnorm"), ("rleu", "relu")])
def test_other_frameworks_names_are_suggested(word, kind):
    (e,) = errors_of(HEAD + f"  - {word}: 8\n")
    assert e.hint == f"did you mean '{kind}'?"


def test_one_dimensional_padding_pair_needs_nesting():
    (e,) = errors_of("input: [1, 5]\nlayers:\n  - conv: {filters: 1, kernel: 2, padding: [0, 1]}\n")
    assert "padding has 2 entries but the input has 1 spatial axis" in e.message
    assert "[[before, after]]" in e.hint


def test_all_schema_errors_of_a_file_are_reported_together():
    errs = errors_of(HEAD + "  - conv: {filters: 0, kernel: 3}\n  - dense: {units: 0}\n"
                            "  - maxpol: 2\n")
    assert [e.location.line for e in errs] == [4, 5, 6]


def test_layers_after_a_bad_one_keep_their_index_and_name():
    errs = errors_of(HEAD + "  - cnov: 4\n  - 7\n  - conv: {filters: 0, kernel: 3, name: c}\n"
                            "  - dropout: 2\n  - relu\n  - dense: {units: 0}\n")
    assert [e.format().split("]: ")[1].split(":")[0] for e in errs] == [
        "layer 1", "layer 2", "layer 3 'c' (conv)", "layer 4 (dropout)", "layer 6 (dense)"]


def test_an_unknown_key_inside_expect_is_named_with_the_keys_expect_takes():
    (e,) = errors_of(HEAD + "  - conv: {filters: 2, kernel: 3, expect: {output_shape: [2]}}\n")
    assert e.message == "unknown key 'output_shape' in expect of conv"
    assert e.hint == "did you mean 'shape'?"  # the spec's own expect says output_shape
    assert (e.location.line, e.location.col) == (4, 44)  # at the key
    (e,) = errors_of(HEAD + "  - relu\nexpect: {outptu_shape: [3]}\n")
    assert e.message == "unknown key 'outptu_shape' in expect of the spec"
    assert e.hint == "did you mean 'output_shape'?"


@pytest.mark.parametrize("word", ["rleu", "Relu", "RELU"])
def test_a_misspelt_activation_gets_did_you_mean(word):
    (e,) = errors_of(HEAD + f"  - conv: {{filters: 2, kernel: 3, activation: {word}}}\n")
    assert e.message.startswith("activation must be one of 'relu', 'relu6',")
    assert e.hint == "did you mean 'relu'?"


def test_a_setting_error_does_not_hide_shape_errors_in_the_layers_before_it():
    errs = errors_of(HEAD + "  - conv: {filters: 4, kernel: 3, groups: 3}\n"
                            "  - conv: {filters: 4, kernel: 3, activation: rleu}\n"
                            "  - conv: {filters: 4, kernel: 90}\n")
    assert [(e.location.line, e.layer) for e in errs] == [
        (4, "layer 1 'conv1' (conv)"), (5, "layer 2 (conv)")]  # not layer 3: its input is unknown
    assert "groups=3 does not divide the 1 input channels" in errs[0].message


def test_no_shape_errors_about_layers_after_one_left_out():
    """A failed block use leaves out layers nobody can count: the dense after it is not
    walked (it would read the wrong input), and later errors give no index."""
    errs = errors_of("input: [1, 28, 28]\nblocks:\n  down:\n    params: {f: required}\n"
                     "    layers: [{conv: {filters: $f, kernel: 3}}, flatten]\n"
                     "layers:\n  - down: {}\n  - dense: 10\n  - relu: {bogus: 1}\n")
    assert [(e.message, e.layer) for e in errs] == [
        ("block 'down' needs 'f'", None), ("unknown key 'bogus' for relu", "layer (relu)")]


def test_a_repeated_group_with_an_error_counts_its_other_passes():
    errs = errors_of(HEAD + "  - repeat: 3\n    layers:\n      - conv: {filters: 2, kernel: 3}\n"
                            "      - relu: {bogus: 1}\n  - conv: {filters: 2, kernel: 3, bogus: 2}\n")
    assert [e.layer for e in errs] == ["layer 2 (relu)", "layer 7 (conv)"]


def test_names_and_references_that_break_the_pattern_are_said_in_words():
    errs = errors_of(HEAD + "  - relu: {name: 1a}\n  - add: ['1', input]\n")
    assert [e.message for e in errs] == [
        "name must be a name of letters, digits and _ that does not start with a digit, "
        "got '1a'",
        "input[0] must name an earlier layer (letters, digits and _, not starting with a digit; "
        "dotted inside blocks) or be $input, got '1'"]


def test_a_reference_to_a_repeated_name_points_at_its_copies():
    (e,) = errors_of(HEAD + "  - relu: {name: a}\n    repeat: 3\n  - add: [a, input]\n")
    assert e.hint == "'a' was repeated: its copies are 'a_1' to 'a_3'"


def test_a_3d_avgpool_larger_than_its_input():
    """PyTorch's AvgPool3d refuses it, padding or not (AvgPool1d and 2d do not)."""
    (e,) = errors_of("input: [1, 2, 2, 2]\nlayers:\n  - avgpool: {kernel: 3, padding: 1}\n")
    assert e.message == ("a 3-D avgpool needs every input size to be at least the pool size, "
                         "got input (1, 2, 2, 2) and kernel 3x3x3")
    assert (e.location.line, e.location.col) == (3, 23) and "AvgPool3d" in e.hint  # kernel


def test_a_block_that_is_not_a_mapping():
    (e,) = errors_of("input: [1, 4, 4]\nblocks: {b: 3}\nlayers: [relu]\n")
    assert e.message == "blocks.b must be a mapping (key: value), got 3"


def test_network_expectations():
    text = HEAD + "  - flatten\n  - dense: 10\nexpect:\n  output_shape: [5]\n  params: 100\n" \
                  "  max_params: 1000\n"
    errs = errors_of(text)
    messages = [e.message for e in errs]
    assert "the network's output shape is (10,), expected (5,)" in messages
    assert "the network has 7,850 parameters, expected 100 (off by +7,750)" in messages
    assert any("over the budget of 1,000 by 6,850" in m for m in messages)
    budget = next(e for e in errs if "budget" in e.message)
    assert budget.location.line == 9 and "dense1" in budget.hint


def test_network_expectations_are_checked_beside_failing_layer_expectations():
    text = (HEAD + "  - flatten: {expect: {shape: [7]}}\n  - dense: 10\n"
            "expect:\n  output_shape: [5]\n")
    assert [e.message for e in errors_of(text)] == [
        "expected output shape (7,), got (784,)",
        "the network's output shape is (10,), expected (5,)"]


def test_a_branch_nothing_reads_is_a_warning_and_an_error_under_strict():
    text = (HEAD + "  - conv: {filters: 2, kernel: 3, name: a}\n"
            "  - conv: {filters: 2, kernel: 3, input: input, name: b}\n  - relu\n")
    (w,) = netspec.analyze(text).warnings
    assert w.format().startswith(
        "<string>:4:5: warning[NS501]: layer 1 'a' (conv): no layer reads this layer's output, and it "
        "is not the network's output (the last layer, 'relu1')")
    assert w.hint == "merge it with add or concat, or remove it"
    assert [e.layer for e in errors_of(text, strict=True)] == ["layer 1 'a' (conv)"]
    merged = text + "  - add: [a, relu1]\n"
    assert not netspec.analyze(merged).warnings


def test_an_unread_layer_in_a_block_used_three_times_is_one_warning():
    text = ("input: [2, 8, 8]\nblocks:\n  b:\n    layers:\n"
            "      - conv: {filters: 2, kernel: 1, name: side}\n"
            "      - conv: {filters: 2, kernel: 1, input: $input, name: main}\n"
            "layers: [b, b, b]\n")
    (w,) = netspec.analyze(text).warnings
    assert (w.location.line, w.layer) == (5, "layer 1 'b1.side' (conv)")
    assert w.details == ("nor are 2 more from this line: b2.side, b3.side",)


def test_defaults_typo_is_located_in_defaults():
    errs = errors_of("input: [1, 8, 8]\ndefaults:\n  conv: {kernal: 3}\nlayers:\n"
                     "  - conv: {filters: 2, kernel: 3}\n")
    assert [(e.location.line, e.message) for e in errs] == [(3, "'kernal' is not a setting of conv")]


def test_an_empty_defaults_key_is_an_error_at_it():
    """The mutation fuzzer's mutants of examples/three_3x3.yaml (seed 0, mutant 539): a
    `defaults:` left empty ended `netspec check` in an IndexError, an internal error."""
    errs = errors_of("input: [1, 7, 7]\ndefaults:\nlayers:\n  - conv\n  - conv\n"
                     "  - conv: {expect: {shape: [1, 1, 1]}}\nexpect:\n  params: 30\n")
    assert (errs[0].code, errs[0].location.line, errs[0].message) == (
        "NS203", 2, "defaults must be a mapping (key: value), got null")
    assert [e.code for e in errs[1:]] == ["NS202"] * 6


def test_strict_turns_warnings_into_errors():
    text = "input: [1, 7, 7]\nlayers:\n  - conv: {filters: 1, kernel: 3, stride: 3}\n"
    assert netspec.analyze(text).warnings
    (e,) = errors_of(text, strict=True)
    assert "2.33" in e.message
