"""References through named groups and blocks, and one mistake reported once: what the
differential fuzzer found (issue 14, items 5 to 7), each fed as the issue writes it."""
import pytest

import netspec
from netspec.core.errors import SpecError


def errors_of(text: str):
    with pytest.raises(SpecError) as info:
        netspec.analyze(text)
    return [d for d in info.value.diagnostics if d.severity == "error"]


def where(d) -> str:
    return f"{d.location.line}:{d.location.col}"


def test_a_dotted_name_of_a_group_inside_a_named_group_is_its_last_layer():
    a = netspec.analyze("input: [1, 8]\nlayers:\n  - name: g\n    layers:\n      - relu\n"
                        "      - name: h\n        layers: [relu, tanh]\n"
                        "  - relu: {input: g.h}\n")
    assert a.layers[-1].inputs == ("g.h.1",)


def test_a_dotted_name_of_a_block_use_inside_a_named_group_is_its_last_layer():
    a = netspec.analyze("input: [1, 8]\nblocks:\n  unit:\n    layers: [relu, tanh]\n"
                        "layers:\n  - name: g\n    layers:\n      - unit: {name: u}\n      - relu\n"
                        "  - add: [g.u, g]\n")
    assert a.layers[-1].inputs == ("g.u.tanh1", "g.1")


def test_resnet18s_layer2_0_is_its_first_blocks_output():
    text = open("specs/resnet18.yaml").read().replace(
        "  - global_avgpool: {name: avgpool}",
        "  - relu: {input: layer2.0, name: tap}\n  - add: [tap, layer2.1.bn2]\n"
        "  - relu: {input: layer4}\n  - global_avgpool: {name: avgpool}")
    a = netspec.analyze(text)
    by_name = {r.name: r for r in a.layers}
    assert by_name["tap"].inputs == ("layer2.0.relu2",)
    assert by_name["tap"].output_shape == (128, 28, 28)
    assert by_name["relu3"].inputs == ("layer4.1.relu2",)


def test_inside_a_group_a_dotted_name_of_another_group_and_of_its_own():
    a = netspec.analyze("input: [1, 8]\nlayers:\n  - name: a\n    layers: [relu, tanh]\n"
                        "  - name: b\n    layers:\n      - relu: {input: a.0}\n"
                        "      - add: [b.0, a]\n")
    assert [r.inputs for r in a.layers[2:]] == [("a.0",), ("b.0", "a.1")]


def test_a_block_still_sees_only_its_own_layers():
    errs = errors_of("input: [1, 8]\nblocks:\n  unit:\n    layers: [{relu: {input: g.0}}]\n"
                     "layers:\n  - name: g\n    layers: [relu]\n  - unit\n")
    assert [(e.code, e.message) for e in errs] == [
        ("NS313", "input 'unit1.g.0' is not the name of any layer")]


def test_reading_a_layer_refused_for_a_bad_setting_is_no_error_of_its_own():
    errs = errors_of("input: [1, 8]\nlayers:\n  - conv: {filters: 0, kernel: 3, name: c}\n"
                     "  - relu: {input: c}\n  - add: [c, relu1]\n  - tanh: {input: c}\n")
    assert [(where(e), e.code) for e in errs] == [("3:21", "NS203")]
    assert errs[0].message == "filters must be at least 1, got 0"


@pytest.mark.parametrize("refused", [
    "  - conv: {filters: 2, kernel: 3, name: c}\n    repeat: -1\n",  # a bad repeat
    "  - convv: {filters: 2, kernel: 3, name: c}\n",  # an unknown kind
    "  - name: c\n    layers: []\n",  # a group without layers
    "  - unit: {name: c, widht: 3}\n",  # a block use with a bad argument
    "  - name: c\n    layers: [relu, {conv: {filters: 0, kernel: 1}}]\n",  # its last layer
])
def test_reading_a_refused_layer_group_or_block_use_adds_nothing(refused):
    text = ("input: [1, 8]\nblocks:\n  unit:\n    params: {width: 2}\n"
            "    layers: [{conv: {filters: $width, kernel: 1}}]\nlayers:\n" + refused
            + "  - relu: {input: c}\n  - add: [c, relu1]\n  - relu: {input: c.0}\n")
    errs = errors_of(text)
    assert len(errs) == 1 and errs[0].code != "NS313", [e.format() for e in errs]


def test_a_reference_to_a_name_nothing_has_is_still_an_error_after_a_refused_layer():
    errs = errors_of("input: [1, 8]\nlayers:\n  - conv: {filters: 0, kernel: 3, name: c}\n"
                     "  - relu: {input: d}\n")
    assert [e.code for e in errs] == ["NS203", "NS313"]


def test_reading_a_layer_of_a_later_pass_of_a_group_refused_for_a_setting_adds_nothing():
    """The differential fuzzer (seed 570): after a group's first pass had an error, its
    further passes were left out unnamed, so reading `split2.0` (or `dropout2`) was a second
    error, "not the name of any layer"; and a later dropout took the name dropout2."""
    errs = errors_of("input: [4, 6, 6]\nlayers:\n  - repeat: 2\n    layers:\n"
                     "      - split: [1, 0, 3]\n  - concat: [split2.0, split2.1]\n")
    assert [(where(e), e.code) for e in errs] == [("5:20", "NS203")]
    errs = errors_of("input: [4, 6, 6]\nlayers:\n  - repeat: 2\n    layers:\n"
                     "      - dropout: 1.5\n  - relu: {input: dropout2}\n  - dropout: 0.5\n"
                     "  - relu: {input: dropout3}\n")
    assert [(where(e), e.code) for e in errs] == [("5:18", "NS203")]


def test_reading_a_part_of_a_refused_split_from_inside_a_group_adds_nothing():
    """The differential fuzzer (seed 563): inside a named group, `split1.0` of a split refused
    for its parts was looked up as `g.split1.0`, and reported as the name of no layer."""
    errs = errors_of("input: [4, 6, 6]\nlayers:\n  - split: [1, 0, 3]\n  - name: g\n"
                     "    layers:\n      - relu: {input: split1.0}\n")
    assert [(where(e), e.code) for e in errs] == [("3:16", "NS203")]


BAD_DEFAULT = """input: [1, 8]
blocks:
  unit:
    params: {f: O}
    layers:
      - conv: {filters: $f, kernel: 1}
layers:
""" + "  - unit\n" * 34


def test_an_invalid_block_default_is_reported_once_at_the_default_naming_the_use():
    (e,) = errors_of(BAD_DEFAULT)
    assert e.format() == (
        "<string>:4:17: error[NS203]: layer 1 (conv): filters must be a whole number, "
        "got 'O'\n  the default of 'f' in block 'unit', used at line 8")


def test_an_argument_that_is_invalid_is_reported_at_each_use_that_gives_it():
    errs = errors_of(BAD_DEFAULT.replace("  - unit\n" * 34, "  - unit: {f: 2}\n"
                                         "  - unit: {f: x}\n  - unit: {f: 0}\n"))
    assert [(where(e), e.code) for e in errs] == [("9:15", "NS203"), ("10:15", "NS203")]
    assert not errs[0].details


def test_repeat_from_a_parameter_is_reported_at_the_use_that_passed_it():
    errs = errors_of("input: [1, 8]\nblocks:\n  unit:\n    params: {n: 1}\n    layers:\n"
                     "      - relu: {}\n        repeat: $n\nlayers:\n  - unit: {n: 2}\n"
                     "  - unit: {n: -1}\n")
    assert [(where(e), e.code, e.message) for e in errs] == [
        ("10:15", "NS304", "repeat must be a whole number from 0 to 10,000, got -1")]


def test_a_default_that_names_no_parameter_is_reported_once_at_the_default():
    errs = errors_of("input: [1, 8]\nblocks:\n  unit:\n    params: {a: 1, b: $c}\n"
                     "    layers: [{conv: {filters: $b, kernel: 1}}]\nlayers: [unit, unit, unit]\n")
    assert [(where(e), e.code) for e in errs] == [("4:20", "NS309")]
    assert errs[0].details == ("found using block 'unit' at line 6",)


def test_a_value_passed_through_two_blocks_is_reported_where_it_was_written():
    errs = errors_of("input: [1, 8]\nblocks:\n  inner:\n    params: {k: 3}\n"
                     "    layers: [{conv: {filters: 1, kernel: $k}}]\n"
                     "  outer:\n    params: {kk: required}\n    layers: [{inner: {k: $kk}}]\n"
                     "layers:\n  - outer: {kk: 2}\n  - outer: {kk: 0}\n")
    assert [(where(e), e.code) for e in errs] == [("11:17", "NS203")]


def test_a_typo_in_a_block_used_many_times_is_one_error():
    errs = errors_of("input: [1, 8]\nblocks:\n  unit:\n    layers: [{conv: {filters: 1, "
                     "kernal: 1}}]\nlayers:\n" + "  - unit\n" * 10)
    assert [(where(e), e.code) for e in errs] == [("4:34", "NS201")]


@pytest.mark.parametrize("item, at, message", [
    ("  - unit: {name: a b}", "8:18", "the use of block 'unit': name must be a name of "
     "letters, digits and _ that does not start with a digit, got 'a b'"),
    ("  - unit: {input: [input, 3]}", "8:19",
     "the use of block 'unit': input must be text, got ['input', 3]"),
    ("  - unit: {input: '1x'}", "8:19", "the use of block 'unit': input must name an "
     "earlier layer (letters, digits and _, not starting with a digit; dotted inside blocks) "
     "or be $input, got '1x'"),
    ("  - {name: g, input: 1.5, layers: [relu]}", "8:22",
     "a group: input must be text, got 1.5"),
    ("  - {input: [a, b], layers: [relu]}", "8:13",
     "a group: input must be text, got ['a', 'b']"),
])
def test_the_name_and_input_of_a_group_or_block_use_are_checked(item, at, message):
    """A mutation fuzzer's finds: these gave internal errors (TypeError) or names PyTorch
    cannot take."""
    (e,) = errors_of(BAD_DEFAULT.replace("{f: O}", "{f: 1}").replace("  - unit\n" * 34, "")
                     + item + "\n")
    assert (where(e), e.code, f"{e.layer}: {e.message}") == (at, "NS203", message)




def test_a_bad_reference_in_a_repeated_group_is_one_error():
    errs = errors_of("input: [1, 8]\nlayers:\n  - repeat: 10000\n    layers:\n"
                     "      - relu: {input: nope}\n      - tanh\n")
    assert [(where(e), e.code, e.layer) for e in errs] == [("5:23", "NS313", "layer 1 'relu1' (relu)")]


def test_many_unknown_references_get_bounded_hints():
    """Each of 3,000 layers reads a name that does not exist: 3,000 errors, each found without
    searching every name before it (that took minutes); the first few get a hint."""
    import time

    from netspec.graph.hints import MAX_HINTS

    text = "input: [1, 8]\nlayers:\n" + "".join(f"  - relu: {{input: n{i}x}}\n"
                                               for i in range(3000))
    start = time.perf_counter()
    errs = errors_of(text)
    assert time.perf_counter() - start < 30  # generous: the point is no quadratic search
    assert len(errs) == 3000 and all(e.code == "NS313" for e in errs)
    assert sum(e.hint is not None for e in errs) <= MAX_HINTS


def test_many_failing_merges_do_not_search_the_network_each():
    """10,000 adds of mismatched shapes: each error names its inputs' lines, looked up."""
    import time

    start = time.perf_counter()
    errs = errors_of("input: [3, 8]\nlayers:\n  - conv: {filters: 2, kernel: 1, name: c}\n"
                     "  - repeat: 10000\n    layers: [{add: [c, input]}]\n")
    assert time.perf_counter() - start < 30  # it took 30 s of CPU when each searched
    assert len(errs) == 10000 and errs[0].details == (
        "input 'c' (2, 8) (line 3)", "input 'input' (3, 8) (the network input)")
