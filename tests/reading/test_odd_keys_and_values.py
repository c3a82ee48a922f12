"""Keys that are not names and values in other scripts' digits: what a mutation fuzzer found
ending as internal errors (exit 3) or read wrongly. Each is a located error with its code now,
from `netspec check` as a user runs it."""
import pytest

from netspec.cli import main


def check(tmp_path, capsys, text: str) -> tuple[int, str]:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    code = main(["check", str(spec)])
    out = capsys.readouterr()
    assert "internal error" not in out.err and "Traceback" not in out.err
    return code, out.out.replace(str(spec), "spec.yaml")


@pytest.mark.parametrize("text, expected", [
    ("input: [1, 8]\nlayers:\n  - conv: {filters: 8, kernel size: 3}\n",
     "spec.yaml:3:24: error[NS201]: layer 1 (conv): unknown key 'kernel size' for conv\n"
     "  hint: did you mean 'kernel'?"),
    ("input: [1, 8]\nlayers: [relu]\nmy key: 1\n",
     "spec.yaml:3:1: error[NS201]: unknown key 'my key' for the spec\n"
     "  hint: the spec takes: name, description, input, defaults, blocks, layers, expect"),
    ("input: [1, 8]\nlayers: [relu]\nexpect: {output shape: [10]}\n",
     "spec.yaml:3:10: error[NS201]: unknown key 'output shape' in expect of the spec\n"
     "  hint: did you mean 'output_shape'?"),
    ("input: [1, 8]\nlayers:\n  - conv: {filters: 3², kernel: 3}\n",
     "spec.yaml:3:21: error[NS203]: layer 1 (conv): filters must be a whole number, "
     "got '3²'"),
    ("input: [1, 8]\ns: ²\nlayers: [relu]\n",
     "spec.yaml:2:1: error[NS201]: unknown key 's' for the spec"),
    ("input: [1, 8]\nlayers:\n  - relu: {name: !!bool layer3}\n",
     "spec.yaml:3:18: error[NS118]: cannot read 'layer3' as a boolean (true/false, yes/no, "
     "on/off)"),
    # An Arabic-Indic three is a string in YAML (PyYAML reads '٣'), not 3 filters.
    ("input: [1, 8]\nlayers:\n  - conv: {filters: ٣, kernel: 3}\n",
     "spec.yaml:3:21: error[NS203]: layer 1 (conv): filters must be a whole number, "
     "got the text '٣' (in quotes): write 3, without the quotes"),
    ("input: [1, 8]\nlayers:\n  - conv: {filters: 2, kernel: [x]}\n",  # the list's item
     "spec.yaml:3:33: error[NS203]: layer 1 (conv): kernel[0] must be a whole number, "
     "got 'x'"),
])
def test_the_mistake_is_located_and_coded(tmp_path, capsys, text, expected):
    code, out = check(tmp_path, capsys, text)
    assert code == 1
    assert out.startswith(expected), out
    assert out.count("error[") == 1, out


@pytest.mark.parametrize("text, expected", [
    ("input: [1, 8]\ndefaults:\n  conv: {kernel size: 3}\nlayers: [relu]\n",
     "spec.yaml:3:10: error[NS201]: 'kernel size' is not a setting of conv"),
    ("input: [1, 8]\nblocks:\n  b:\n    layers: [relu]\n    my params: {}\nlayers: [relu]\n",
     "spec.yaml:5:5: error[NS201]: unknown key 'my params' in blocks.b of the spec"),
])
def test_a_key_that_is_not_a_name_inside_defaults_and_blocks(tmp_path, capsys, text,
                                                             expected):
    code, out = check(tmp_path, capsys, text)
    assert code == 1 and out.startswith(expected), out
