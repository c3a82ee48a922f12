"""The command line's manners: colour on a terminal only (NO_COLOR, --color), shell completion,
an example in every command's --help, one wording for a missing file (exit 2) in every
command, standard input named <stdin> in every message, and the zoo by name."""
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import netspec
from netspec.cli import COMMANDS, main, parser

ROOT = Path(__file__).resolve().parents[2]
RAGGED = ROOT / "examples" / "ragged_stride3.yaml"
BAD = "input: [1, 8, 8]\nlayers:\n  - conv: {filters: 2, kernel: 9}\n"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
SPEC_COMMANDS = {  # each command that reads a spec, with what else it requires
    "check": [], "report": [], "schema": [], "compile": [], "train": [],
    "export": ["-o", "x.onnx"], "diagram": ["-o", "x.png"]}


def run(argv, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    try:
        return main(argv)
    except SystemExit as e:
        return e.code


# --- a missing file: exit 2, one wording


@pytest.mark.parametrize("command", sorted(SPEC_COMMANDS))
def test_a_missing_file_is_a_usage_error_worded_alike(command, capsys):
    assert run([command, "nosuch.yaml", *SPEC_COMMANDS[command]]) == 2
    err = capsys.readouterr().err
    assert (f"netspec {command}: error: argument SPEC: nosuch.yaml: no such file, nor a spec "
            "of the zoo (`netspec zoo` lists them)") in err


@pytest.mark.parametrize("command", sorted(SPEC_COMMANDS))
def test_a_folder_is_a_usage_error(command, capsys, tmp_path):
    assert run([command, str(tmp_path), *SPEC_COMMANDS[command]]) == 2
    assert f"argument SPEC: {tmp_path} is a folder, not a spec file" in capsys.readouterr().err


def test_a_near_zoo_name_gets_a_hint(capsys):
    assert run(["report", "VGG-16"]) == 2
    assert "VGG-16: no such file, nor a spec of the zoo (did you mean 'vgg16'?)" in \
        capsys.readouterr().err


# --- standard input is <stdin>


def test_stdin_is_named_in_checks(capsys, monkeypatch):
    assert run(["check", "-"], (ROOT / "specs" / "lenet5.yaml").read_text(), monkeypatch) == 0
    assert capsys.readouterr().out.startswith("<stdin>: ok: LeNet-5")
    assert run(["check", "-"], BAD, monkeypatch) == 1
    assert capsys.readouterr().out.startswith("<stdin>:3:")
    assert run(["check", "--format", "json", "-"], BAD, monkeypatch) == 1
    (result,) = json.loads(capsys.readouterr().out)
    assert result["spec"] == "<stdin>" and result["diagnostics"][0]["file"] == "<stdin>"


def test_stdin_is_named_in_reports_and_warnings(capsys, monkeypatch):
    assert run(["report", "--format", "json", "-"], BAD, monkeypatch) == 1
    assert json.loads(capsys.readouterr().out)["spec"] == "<stdin>"
    assert run(["compile", "-"], RAGGED.read_text(), monkeypatch) == 0
    assert capsys.readouterr().err.startswith("<stdin>:6:43: warning[NS402]")
    assert run(["schema", "-"], "blocks: {unit: {layers: [relu]}}\n", monkeypatch) == 0
    assert "use.unit" in json.loads(capsys.readouterr().out)["$defs"]


# --- colour


class Terminal(io.StringIO):
    def isatty(self):
        return True


def terminal(monkeypatch):
    """Standard output and error as terminals (set inside the test: pytest's capture replaces
    them between a fixture's setup and the test)."""
    out, err = Terminal(), Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    return out, err


def invalid(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    return str(path)


def test_errors_and_hints_are_coloured_on_a_terminal(monkeypatch, tmp_path):
    out, err = terminal(monkeypatch)
    assert main(["compile", invalid(tmp_path)]) == 1
    text = err.getvalue()
    assert "\x1b[1;31merror[NS401]\x1b[0m:" in text and "\x1b[36mhint:\x1b[0m" in text
    assert main(["check", str(RAGGED)]) == 0
    assert "\x1b[1;33mwarning[NS402]\x1b[0m:" in out.getvalue()
    assert "\x1b[32mok\x1b[0m" in out.getvalue()


def test_the_table_header_is_bold_on_a_terminal(monkeypatch):
    out, _ = terminal(monkeypatch)
    assert main(["report", "lenet5"]) == 0
    lines = out.getvalue().splitlines()
    assert lines[2].startswith("\x1b[1m#") and lines[2].endswith("\x1b[0m")
    assert ANSI.sub("", out.getvalue()) == netspec.analyze("lenet5").report() + "\n"


@pytest.mark.parametrize("env, flag, coloured", [
    ({"NO_COLOR": "1"}, [], False),
    ({"NO_COLOR": "1"}, ["--color", "always"], True),  # the command line wins
    ({"TERM": "dumb"}, [], False),
    ({}, ["--color", "never"], False),
    ({}, ["--color=never"], False),
    ({}, [], True)])
def test_no_color_and_the_flag(monkeypatch, tmp_path, env, flag, coloured):
    _, err = terminal(monkeypatch)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert main([*flag, "compile", invalid(tmp_path)]) == 1
    assert ("\x1b[" in err.getvalue()) is coloured
    err.seek(0)
    err.truncate()
    assert main(["compile", invalid(tmp_path), *flag]) == 1  # after the command too
    assert ("\x1b[" in err.getvalue()) is coloured


def test_never_colour_in_a_pipe(tmp_path):
    """A real pipe (not a terminal): no escape codes unless --color always."""
    spec = invalid(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("NO_COLOR", None)
    plain = subprocess.run([sys.executable, "-m", "netspec", "check", spec],
                           capture_output=True, text=True, env=env)
    forced = subprocess.run([sys.executable, "-m", "netspec", "--color", "always", "check",
                             spec], capture_output=True, text=True, env=env)
    assert plain.returncode == forced.returncode == 1
    assert "\x1b[" not in plain.stdout and "\x1b[1;31merror" in forced.stdout


def test_usage_errors_are_coloured_too(monkeypatch):
    _, err = terminal(monkeypatch)
    assert run(["report", "lenet5", "--batch", "0"]) == 2
    assert "netspec report: \x1b[1;31merror\x1b[0m:" in err.getvalue()


# --- --help shows examples, and they parse


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_shows_an_example(command, capsys):
    assert run([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:\n" in out and f"  netspec {command}" in out.split("examples:")[1] or \
        (command == "completion" and "netspec completion bash" in out)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_example_parses(command, monkeypatch):
    """Each example's command line is one the parser accepts (files aside)."""
    import importlib

    import netspec.commands.common as common

    monkeypatch.setattr(common, "spec_argument", str)
    module = importlib.import_module(f"netspec.commands.{command}")
    lines = [m.group(1) for m in re.finditer(r"(netspec [^#|>\n\")]*)", module.EXAMPLES)]
    assert lines
    for line in lines:
        argv = shlex.split(line)[1:]
        parser(argv).parse_args(argv)


def test_the_main_help_shows_examples(capsys):
    assert run(["--help"]) == 0
    assert "examples:\n  netspec check specs/*.yaml" in capsys.readouterr().out


# --- shell completion


def complete(line: str, tmp_path) -> list[str]:
    """What netspec answers the shell (argcomplete's protocol) for ``line``, cursor at its end."""
    out = tmp_path / "completions"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "_ARGCOMPLETE": "1", "COMP_LINE": line,
           "COMP_POINT": str(len(line)), "_ARGCOMPLETE_STDOUT_FILENAME": str(out),
           "_ARGCOMPLETE_IFS": "\n"}
    subprocess.run([sys.executable, "-m", "netspec"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    return out.read_text().split("\n")


@pytest.mark.parametrize("line, expected", [
    ("netspec rep", {"report"}),
    ("netspec kinds con", {"conv", "concat"}),
    ("netspec check --explain NS40", {f"NS40{i}" for i in range(1, 10)}),
    ("netspec report vgg1", {"vgg16", "vgg16_bn", "vgg19"}),
    ("netspec report --format ", {"table", "markdown", "json", "csv", "html"}),
    ("netspec --color ", {"auto", "always", "never"}),
    ("netspec report specs/lenet", {"specs/lenet5.yaml"}),
])
def test_completion_answers(tmp_path, line, expected):
    assert expected <= {w.strip() for w in complete(line, tmp_path)}


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_bash_script_completes_in_bash(tmp_path):
    """The script `netspec completion bash` prints, sourced in a real bash, completes."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "netspec"
    wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} -m netspec \"$@\"\n")
    wrapper.chmod(0o755)
    script = subprocess.run([sys.executable, "-m", "netspec", "completion", "bash"],
                            capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    test = (script + '\nCOMP_WORDS=(netspec kinds dro); COMP_CWORD=2; COMP_LINE="netspec kinds '
            'dro"; COMP_POINT=${#COMP_LINE}\n$(complete -p netspec | sed "s/.*-F \\([^ ]*\\) .*/'
            '\\1/") netspec dro kinds\necho "${COMPREPLY[@]}"\n')
    done = subprocess.run(["bash", "-c", test], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
                               "PYTHONPATH": str(ROOT)})
    assert done.stdout.split() == ["dropout"], done.stderr


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts(shell, capsys):
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    assert "netspec" in script
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed: the script's syntax is not checked")
    done = subprocess.run([shell, "-n"], input=script, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# --- the zoo, by name


def test_zoo_lists_every_spec_once(capsys):
    assert main(["zoo"]) == 0
    lines = capsys.readouterr().out.splitlines()
    files = sorted(ROOT.glob("specs/*.yaml")) + sorted(ROOT.glob("examples/*.yaml"))
    assert [line.split()[0] for line in lines] == [p.stem for p in files]
    for line, path in zip(lines, files):
        assert len(line) <= 100
        assert f"{netspec.analyze(path).total_params:,} params" in line


def test_zoo_names_work_in_every_command(capsys, tmp_path):
    assert main(["report", "vgg16"]) == 0
    by_name = capsys.readouterr().out
    assert main(["report", str(ROOT / "specs" / "vgg16.yaml")]) == 0
    assert capsys.readouterr().out == by_name
    assert main(["zoo", "vgg16"]) == 0
    assert capsys.readouterr().out == (ROOT / "specs" / "vgg16.yaml").read_text()
    assert run(["zoo", "vgg61"]) == 2
    assert netspec.analyze("resnet18").total_params == 11_689_512  # the Python API too
    (tmp_path / "vgg16").write_text("input: [4]\nlayers: [relu]\n")
    os.chdir(tmp_path)  # a file of that name wins over the zoo
    assert main(["check", "vgg16"]) == 0
    assert capsys.readouterr().out.startswith("vgg16: ok: vgg16, 1 layers")
