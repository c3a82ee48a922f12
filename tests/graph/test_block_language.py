"""The block language: expressions, `if:`, `repeat: 0`, name templates, numbered children and
`allow:`. Shapes and names are checked against what PyTorch builds from modules written here by
hand (the oracle), not against netspec's own compiler."""
from __future__ import annotations

import pytest

import netspec
from tests.graph.test_references import errors_of, where

# MobileNetV2's inverted residual as one block: the expansion conv only when t != 1, the
# residual only when the stride is 1 and the channels stay, the hidden width computed.
INVERTED = """\
input: [16, 32, 32]
defaults:
  conv: {bias: false}
blocks:
  inverted:
    params: {t: 1, c: required, s: 1, hidden: $input.channels * $t}
    layers:
      - name: conv
        layers:
          - conv: {filters: $hidden, kernel: 1, if: $t != 1}
          - depthwise_conv: {kernel: 3, padding: 1, stride: $s, bias: false}
          - conv: {filters: "divisible($c * 1.0, 8)", kernel: 1}
      - add: [conv, $input]
        if: $s == 1 and $input.channels == $c
layers:
  - inverted: {c: 16}
  - inverted: {t: 6, c: 24, s: 2}
  - inverted: {t: 6, c: 24, name: "blk{i}", repeat: 2}
"""


def test_one_block_covers_with_and_without_expansion_and_residual():
    a = netspec.analyze(INVERTED)
    names = [r.name for r in a.layers]
    assert names == [
        "inverted1.conv.0", "inverted1.conv.1", "inverted1.add1",  # t = 1: no expansion
        "inverted2.conv.0", "inverted2.conv.1", "inverted2.conv.2",  # stride 2: no residual
        "blk1.conv.0", "blk1.conv.1", "blk1.conv.2", "blk1.add1",
        "blk2.conv.0", "blk2.conv.1", "blk2.conv.2", "blk2.add1"]
    assert a.layers[3].output_shape == (96, 32, 32)  # hidden = 16 * 6
    assert a.layers[6].output_shape == (144, 16, 16)  # hidden = 24 * 6, from the copy's own input


def test_the_block_matches_hand_written_torch_modules():
    torch = pytest.importorskip("torch")
    nn = torch.nn

    def inverted(cin, t, c, s):
        hidden = cin * t
        layers = [nn.Conv2d(cin, hidden, 1, bias=False)] if t != 1 else []
        layers += [nn.Conv2d(hidden, hidden, 3, s, 1, groups=hidden, bias=False),
                   nn.Conv2d(hidden, c, 1, bias=False)]
        return nn.Sequential(*layers)

    reference = nn.ModuleDict({"inverted1": inverted(16, 1, 16, 1),
                               "inverted2": inverted(16, 6, 24, 2),
                               "blk1": inverted(24, 6, 24, 1), "blk2": inverted(24, 6, 24, 1)})
    model = netspec.compile_model(INVERTED)
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    theirs = {f"{block}.conv.{k}": tuple(v.shape)
              for block, seq in reference.items() for k, v in seq.state_dict().items()}
    assert ours == theirs
    x = torch.randn(2, 16, 32, 32)
    assert tuple(model(x).shape) == (2, 24, 16, 16)


@pytest.mark.parametrize("expression, value", [
    ("$w // 4", 24), ("max(1, $w // 200)", 1), ("divisible($w * 0.25, 8)", 24),
    ("min($w, 64) + 2 * (3 - 1)", 68), ("ceil($w * 1.1)", 106), ("$input.channels * 2", 6),
    ("divisible($w // 5, 8)", 24), ("divisible($w // 8, 8)", 16), ("$input.height // 2", 4),
])
def test_an_expression_gives_a_conv_its_filters(expression, value):
    text = ("input: [3, 8, 8]\nblocks:\n  unit:\n    params: {w: 96}\n    layers:\n"
            f"      - conv: {{filters: \"{expression}\", kernel: 1}}\nlayers: [unit]\n")
    assert netspec.analyze(text).output_shape == (value, 8, 8)


def test_divisible_is_torchvisions_make_divisible():
    from netspec.graph.expressions import divisible

    def make_divisible(v, divisor, min_value=None):  # torchvision.models._utils, verbatim
        if min_value is None:
            min_value = divisor
        new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
        if new_v < 0.9 * v:
            new_v += divisor
        return new_v

    for v in [3, 7.5, 12, 16 * 0.75, 24 * 1.1, 40 * 1.4, 96 * 0.35, 1280 * 1.2, 200]:
        for d in (1, 4, 8):
            assert divisible(v, d) == make_divisible(v, d)


@pytest.mark.parametrize("expression, message", [
    ("$w // 0", "cannot work out `$w // 0`: 96 // 0 divides by zero"),
    ("$w +", "cannot work out `$w +`: the expression ends too early"),
    ("sqrt($w)", "cannot work out `sqrt($w)`: unexpected 'sqrt': the functions are"),
    ("$input.depth * 2", "cannot work out `$input.depth * 2`: $input.depth is not known here"),
    ("$w and true", "'and' needs true or false, got 96"),
    ("$w = 1", "cannot read '= 1' (at character 4): compare with '=='"),
    ("$w" + " + 1" * 300, "at most 500 characters"),
    ("(" * 60 + "$w" + ")" * 60, "nests deeper than 50"),
    ("min($w)", "min() takes 2 or more arguments, got 1"),
    ("divisible($w)", "divisible() takes 2 or 3 arguments, got 1"),
    ("ceil(" + "9" * 400 + ".0) + $w", "a value beyond 2^62"),
    ("$w * 99999999999 * 99999999999", "a value beyond 2^62"),
])
def test_a_bad_expression_is_located_with_its_values(expression, message):
    text = ("input: [3, 8, 8]\nblocks:\n  unit:\n    params: {w: 96}\n    layers:\n"
            f"      - conv: {{filters: \"{expression}\", kernel: 1}}\nlayers: [unit]\n")
    (e,) = errors_of(text)
    assert (e.code, where(e)) == ("NS318", "6:25") and message in e.message
    assert "found using block 'unit' at line 7" in e.details


def test_a_comma_in_a_flow_mapping_gets_the_quoting_hint():
    text = ("input: [3, 8, 8]\nblocks:\n  unit:\n    params: {w: 96}\n    layers:\n"
            "      - conv: {filters: divisible($w, 8), kernel: 1}\nlayers: [unit]\n")
    (e,) = errors_of(text)
    assert e.code == "NS318" and any("quote the expression" in d for d in e.details)


def test_an_expression_naming_no_parameter_is_ns309():
    text = ("input: [3, 8, 8]\nblocks:\n  unit:\n    params: {width: 96}\n    layers:\n"
            "      - conv: {filters: $widht // 2, kernel: 1}\nlayers: [unit]\n")
    (e,) = errors_of(text)
    assert e.code == "NS309" and "$widht" in e.message and e.hint == "did you mean 'width'?"


def test_an_expression_default_reads_the_other_parameters_and_the_input():
    text = ("input: [3, 8, 8]\nblocks:\n  unit:\n    params: {t: 4, hidden: $input.channels * $t}\n"
            "    layers: [{conv: {filters: $hidden, kernel: 1}}]\nlayers: [unit, {unit: {t: 2}}]\n")
    a = netspec.analyze(text)
    assert [r.output_shape[0] for r in a.layers] == [12, 24]
    assert a.network.blocks["unit2"].arguments == {"t": 2, "hidden": 24}


def test_input_shape_of_a_block_after_a_broken_layer_is_reported_not_guessed():
    text = ("input: [3, 8, 8]\nblocks:\n  unit:\n    layers:\n"
            "      - conv: {filters: $input.channels, kernel: 1}\n"
            "layers:\n  - conv: {filters: 4, kernel: 9}\n  - unit\n")
    codes = [e.code for e in errors_of(text)]
    assert codes == ["NS401", "NS318"]


@pytest.mark.parametrize("condition, names", [
    ("true", ["conv1", "relu1"]), ("false", ["conv1"]),
])
def test_if_outside_a_block_takes_a_literal(condition, names):
    text = ("input: [1, 8, 8]\nlayers:\n  - conv: {filters: 2, kernel: 1}\n"
            f"  - relu: {{if: {condition}}}\n")
    assert [r.name for r in netspec.analyze(text).layers] == names


@pytest.mark.parametrize("value, message", [
    ("1", "if: takes true or false, got 1"),
    ("$expand", "if: $expand is not a parameter here"),
])
def test_a_condition_that_cannot_decide_is_ns319(value, message):
    text = f"input: [1, 8, 8]\nlayers:\n  - conv: {{filters: 2, kernel: 1}}\n  - relu:\n    if: {value}\n"
    (e,) = errors_of(text)
    assert (e.code, where(e)) == ("NS319", "5:9") and message in e.message


def test_a_group_refused_for_its_condition_adds_no_error_where_it_is_read():
    (e,) = errors_of("input: [1, 8, 8]\nlayers:\n  - {name: g, layers: [relu], if: 2}\n"
                     "  - sigmoid: {input: g}\n")
    assert (e.code, where(e)) == ("NS319", "3:35")


def test_if_on_a_group_and_on_a_block_use():
    text = ("input: [1, 8, 8]\nblocks:\n  unit: {params: {gate: true}, layers: [relu, "
            "{layers: [sigmoid], if: $gate}]}\nlayers:\n  - unit\n  - unit: {gate: false}\n"
            "  - {unit: {}, if: false}\n  - {layers: [tanh], if: false}\n")
    assert [r.name for r in netspec.analyze(text).layers] == [
        "unit1.relu1", "unit1.sigmoid1", "unit2.relu1"]


def test_repeat_zero_leaves_a_layer_a_group_and_a_use_out():
    text = ("input: [1, 8, 8]\nblocks:\n  unit:\n    params: {n: 0}\n"
            "    layers: [relu, {sigmoid: {}, repeat: $n}]\nlayers:\n  - unit\n"
            "  - {unit: {n: 2}}\n  - {tanh: {}, repeat: 0}\n  - {layers: [relu], repeat: 0}\n"
            "  - {unit: {}, repeat: 0}\n")
    assert [r.name for r in netspec.analyze(text).layers] == [
        "unit1.relu1", "unit2.relu1", "unit2.sigmoid1", "unit2.sigmoid2"]


def test_a_name_template_counts_from_one_or_zero():
    text = ("input: [1, 8, 8]\nblocks:\n  layer: {layers: [relu]}\nlayers:\n"
            "  - {layer: {}, repeat: 3, name: 'denselayer{i}'}\n"
            "  - {conv: {filters: 1, kernel: 1}, repeat: 2, name: 'c{i0}'}\n"
            "  - {layers: [sigmoid], repeat: 2, name: 'stage{i}'}\n")
    assert [r.name for r in netspec.analyze(text).layers] == [
        "denselayer1.relu1", "denselayer2.relu1", "denselayer3.relu1", "c0", "c1",
        "stage1.0", "stage2.0"]


@pytest.mark.parametrize("name, message", [
    ("'d{j}'", "has {j}"), ("'d{i'", "cannot be read"), ("'1{i}x'", "gives '11x'"),
])
def test_a_bad_template_is_ns320(name, message):
    (e,) = errors_of(f"input: [1, 8, 8]\nlayers:\n  - {{relu: {{}}, repeat: 2, name: {name}}}\n")
    assert (e.code, where(e)) == ("NS320", "3:33") and message in e.message


def test_numbered_children_keep_torchvisions_numbering():
    """torchvision's Sequential counts an activation as a child; a spec's activation shortcut
    does not, so the next child is named by its number."""
    text = ("input: [3, 16, 16]\nlayers:\n  - name: features\n    layers:\n"
            "      - conv: {filters: 4, kernel: 3, activation: relu}\n"
            "      - maxpool: {kernel: 2, name: 2}\n      - conv: {filters: 4, kernel: 3}\n"
            "      - {layers: [relu], name: 5}\n")
    assert [r.name for r in netspec.analyze(text).layers] == [
        "features.0", "features.2", "features.3", "features.5.0"]
    torch = pytest.importorskip("torch")
    reference = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(),
                                    torch.nn.MaxPool2d(2), torch.nn.Conv2d(4, 4, 3))
    ours = {k: v.shape for k, v in netspec.compile_model(text).state_dict().items()}
    assert ours == {f"features.{k}": v.shape for k, v in reference.state_dict().items()}


def test_a_number_outside_a_group_is_ns320():
    (e,) = errors_of("input: [1, 8, 8]\nlayers:\n  - relu: {name: 3}\n")
    assert (e.code, where(e)) == ("NS320", "3:18") and "is a number" in e.message


def test_allow_accepts_the_warning_it_names_and_strict_passes():
    text = ("input: [1, 7, 7]\nlayers:\n  - conv: {filters: 1, kernel: 3, stride: 3, "
            "allow: [ragged-window]}\n  - flatten\n  - dense: 2\n")
    assert netspec.analyze(text, strict=True).warnings == ()
    plain = text.replace(", allow: [ragged-window]", "")
    assert [w.code for w in netspec.analyze(plain).warnings] == ["NS402"]


def test_an_allowance_on_a_block_use_covers_its_layers():
    text = ("input: [1, 7, 7]\nblocks:\n  down: {layers: [{conv: {filters: 1, kernel: 3, "
            "stride: 3}}]}\nlayers:\n  - {down: {}, allow: NS402}\n  - flatten\n  - dense: 2\n")
    assert netspec.analyze(text, strict=True).warnings == ()


def test_an_allowance_that_allows_nothing_is_ns507():
    text = "input: [1, 8, 8]\nlayers:\n  - conv: {filters: 1, kernel: 3, allow: NS402}\n"
    (w,) = netspec.analyze(text).warnings
    assert (w.code, where(w)) == ("NS507", "3:42") and "allows nothing" in w.message


@pytest.mark.parametrize("value, at, message", [
    ("NS40", "3:42", "names no diagnostic"),
    ("NS401", "3:42", "is an error, which cannot be allowed"),
    ("[NS402, 3]", "3:50", "names no diagnostic: 3"),
])
def test_allow_naming_no_warning_is_ns322(value, at, message):
    (e,) = errors_of(f"input: [1, 8, 8]\nlayers:\n  - conv: {{filters: 1, kernel: 3, "
                     f"allow: {value}}}\n")
    assert (e.code, where(e)) == ("NS322", at) and message in e.message


def _expressions():
    """(text, value) pairs: integer arithmetic trees, their value worked out by Python."""
    from hypothesis import strategies as st

    leaves = st.integers(0, 50).map(lambda n: (str(n), n)) | st.just(("$w", 7))

    def combine(children):
        def make(pair):
            (a, x), op, (b, y) = pair
            if op in ("//", "%") and y == 0:
                return (f"({a}) + ({b})", x + y)
            value = {"+": x + y, "-": x - y, "*": x * y, "//": x // y if y else 0,
                     "%": x % y if y else 0}[op]
            return (f"({a}) {op} ({b})", value)
        return st.tuples(children, st.sampled_from(["+", "-", "*", "//", "%"]),
                         children).map(make) | st.tuples(
            st.sampled_from(["min", "max"]), children, children).map(
            lambda t: (f"{t[0]}({t[1][0]}, {t[2][0]})",
                       (min if t[0] == "min" else max)(t[1][1], t[2][1])))
    return st.recursive(leaves, combine, max_leaves=12)


def test_the_evaluator_agrees_with_python_on_integer_arithmetic():
    from hypothesis import given, settings

    from netspec.graph.expressions import evaluate

    @settings(max_examples=300, deadline=None)
    @given(_expressions())
    def check(pair):
        text, value = pair
        if abs(value) < 2 ** 62:
            assert evaluate(text, {"w": 7}) == value

    check()


def test_the_emitted_source_of_a_block_with_variants_is_the_same_model():
    """Uses of one block that `if:` makes differ get a class each (Inverted, Inverted2, ...);
    the emitted source computes what the in-memory module does."""
    torch = pytest.importorskip("torch")
    model = netspec.compile_model(INVERTED)
    namespace: dict = {}
    exec(netspec.emit(INVERTED), namespace)  # tests run generated code; netspec never does
    emitted = namespace["build"]()
    emitted.load_state_dict(model.state_dict())
    x = torch.randn(2, 16, 32, 32)
    model.eval(), emitted.eval()
    with torch.no_grad():
        assert torch.equal(emitted(x), model(x))


def test_the_evaluator_refuses_any_text_with_its_own_error():
    """Whatever an expression is, it has a value or an ExpressionError (a located NS318),
    never another exception (a traceback for the user)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from netspec.graph.expressions import ExpressionError, evaluate

    pieces = st.sampled_from(["$w", "$input.channels", "$s", "1", "0", "2.5", "9" * 30, "(",
                              ")", ",", "+", "-", "*", "/", "//", "%", "==", "<", "and", "or",
                              "not", "true", "min", "max", "ceil", "floor", "divisible", "=",
                              "#", " "])

    @settings(max_examples=400, deadline=None)
    @given(st.lists(pieces, max_size=14).map(" ".join))
    def check(text):
        try:
            evaluate(text, {"w": 7, "input.channels": 3, "s": "text"})
        except ExpressionError:
            pass

    check()


def test_the_cli_reports_a_bad_expression_at_its_line_with_exit_1(tmp_path, capsys):
    from netspec.cli import main

    spec = tmp_path / "hw.yaml"
    spec.write_text("input: [3, 8, 8]\nblocks:\n  unit:\n    params: {w: 96}\n    layers:\n"
                    "      - conv: {filters: \"$w // 0\", kernel: 1}\nlayers: [unit]\n")
    assert main(["check", str(spec)]) == 1
    err = capsys.readouterr()
    text = err.out + err.err
    assert f"{spec}:6:25: error[NS318]: cannot work out `$w // 0`: 96 // 0 divides by zero" \
        in text and "where $w = 96" in text and "Traceback" not in text
