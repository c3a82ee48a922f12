"""Where commands write: -o is checked before any work, never replaces the spec, and the
commands that write a file show the spec's warnings on standard error, as a compiler does."""
import shutil
from pathlib import Path

import pytest

from netspec.cli import main

ROOT = Path(__file__).resolve().parents[2]
RAGGED = ROOT / "examples" / "ragged_stride3.yaml"


@pytest.mark.parametrize("argv", [["report"], ["compile"]])
def test_minus_o_cannot_replace_the_spec(tmp_path, capsys, argv):
    spec = tmp_path / "net.py"  # a spec may have any name, even the output's suffix
    shutil.copy(ROOT / "specs" / "lenet5.yaml", spec)
    before = spec.read_text()
    assert main([*argv, str(spec), "-o", str(spec)]) == 2
    assert "is the spec itself; writing there would replace it" in capsys.readouterr().err
    assert spec.read_text() == before


@pytest.mark.parametrize("output, message", [("folder.py", "is a folder; give a file name"),
                                             ("/proc/net.py", "cannot write /proc/net.py")])
def test_minus_o_that_cannot_be_written_is_a_usage_error(tmp_path, capsys, output, message):
    (tmp_path / "folder.py").mkdir()
    assert main(["compile", str(RAGGED), "-o", str(tmp_path / output)]) == 2
    assert message in capsys.readouterr().err


def test_the_probe_leaves_no_file_behind(tmp_path):
    from netspec.commands.common import output_path

    path = output_path(str(tmp_path / "new.py"), (".py",), str(RAGGED))
    assert not path.exists()


def test_writing_commands_show_warnings_on_stderr(tmp_path, capsys):
    assert main(["compile", str(RAGGED), "-o", str(tmp_path / "net.py")]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("wrote ") and "warning[NS402]: layer 1 'conv1' (conv)" in err
    assert main(["compile", "--strict", str(RAGGED), "-o", str(tmp_path / "net.py")]) == 1


@pytest.mark.parametrize("error", [
    MemoryError(),
    RuntimeError("[enforce fail at alloc_cpu.cpp:121] DefaultCPUAllocator: can't allocate "
                 "memory: you tried to allocate 57600000000 bytes.")])
def test_out_of_memory_is_not_called_a_bug(capsys, monkeypatch, error):
    import netspec.commands.report as report

    def run(args):
        raise error
    monkeypatch.setattr(report, "run", run)
    assert main(["report", str(RAGGED)]) == 2
    err = capsys.readouterr().err
    assert "netspec report: error: out of memory" in err and "bug" not in err


def test_debug_is_accepted_after_the_command(capsys, monkeypatch):
    import netspec.commands.report as report

    def run(args):
        raise ValueError("boom")
    monkeypatch.setattr(report, "run", run)
    assert main(["report", str(RAGGED), "--debug"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "internal error: ValueError: boom" in err


def test_a_missing_spec_with_an_existing_output_is_still_a_missing_spec(tmp_path, capsys):
    existing = tmp_path / "net.py"
    existing.write_text("# mine\n")
    with pytest.raises(SystemExit) as e:
        main(["compile", str(tmp_path / "nosuch.yaml"), "-o", str(existing)])
    assert e.value.code == 2
    assert "nosuch.yaml: no such file" in capsys.readouterr().err
    assert existing.read_text() == "# mine\n"
