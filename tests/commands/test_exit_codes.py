"""Exit codes: 0 valid, 1 an invalid spec, 2 bad usage; never a traceback for a user mistake."""
import pytest

from netspec.cli import main


@pytest.mark.parametrize("argv, code", [
    (["check", "specs/lenet5.yaml"], 0),
    (["check", "specs/lenet5.yaml", "examples/ragged_stride3.yaml"], 0),
    (["check", "--strict", "examples/ragged_stride3.yaml"], 1),
    (["check", "missing.yaml"], 2),  # a missing file is bad usage, in every command
    (["check", "specs"], 2),  # a folder
    (["report", "lenet5", "-o", "r.xyz"], 2),  # no format has that suffix
    (["check"], 2),
    (["check", "--format", "xml", "specs/lenet5.yaml"], 2),
    (["report", "specs/lenet5.yaml", "--batch", "0"], 2),
    (["report", "specs/lenet5.yaml", "--dtype", "int8"], 2),
    (["frobnicate"], 2),
    (["kinds", "convv"], 2),
])
def test_exit_codes(argv, code, capsys):
    try:
        assert main(argv) == code
    except SystemExit as e:  # argparse exits for usage errors
        assert e.code == code
    assert "Traceback" not in capsys.readouterr().err


def test_cli_prints_located_error(tmp_path, capsys):
    bad = tmp_path / "hw3.yaml"
    bad.write_text("name: hw3\ninput: [64, 7, 7]\nlayers:\n"
                   "  - conv: {filters: 8, kernel: 9, stride: 2, name: down2}\n")
    assert main(["check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:4:32: error[NS401]: layer 1 'down2' (conv): output height is " \
           "floor((7 + 2*0 - 9) / 2) + 1 = 0, but every size must be at least 1" in out
    assert "hint: a kernel of at most 7, or padding of at least 1" in out
