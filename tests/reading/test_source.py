"""Untrusted specs: each hostile input ends in a clear, located error, and nothing executes."""
import io
import tracemalloc
from pathlib import Path

import pytest

import netspec
from netspec.cli import main
from netspec.core.errors import SpecError
from netspec.reading.source import MAX_BYTES


def error_of(tmp_path, content: bytes | str) -> str:
    path = tmp_path / "spec.yaml"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    with pytest.raises(SpecError) as info:
        netspec.analyze(path)
    return info.value.diagnostics[0].format()


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))


@pytest.mark.parametrize("content, code, expected", [
    ("", "NS105", "spec.yaml:1:1: error[NS105]: the spec is empty"),
    ("# only a comment\n", "NS105", "the spec is empty"),
    ("- a\n- b\n", "NS106", "a spec must be a YAML mapping, not a list"),
    ("just text", "NS106", "a spec must be a YAML mapping, not a string"),
    (b"\x00\x01\x02binary", "NS103", "this is a binary file, not a YAML spec"),
    (b"name: caf\xe9\n", "NS103",
     "spec.yaml:1:10: error[NS103]: the file is not valid UTF-8 (byte 0xe9)"),
    ("name: x\nname: y\n", "NS112",
     "spec.yaml:2:1: error[NS112]: duplicate key 'name' (first given at line 1)"),
    ("input: [1, 2\nlayers: [relu]\n", "NS104", "invalid YAML"),
    ("layers:\n  - !!python/object/apply:os.system [echo hacked]\n", "NS117",
     "the YAML tag tag:yaml.org,2002:python/object/apply:os.system is not allowed"),
    ("x: !!binary aGVsbG8=\n", "NS117", "is not allowed"),
    ("a: &x {k: 1}\nb:\n  <<: *x\n", "NS115", "YAML merge keys (<<) are not supported"),
    (BOMB, "NS111", "more than 1,000,000 values (an alias bomb?)"),
    ("a: " + "[" * 200 + "]" * 200 + "\n", "NS109", "nests deeper than 64 levels"),
    ("a: " + "[" * 100_000 + "]" * 100_000 + "\n", "NS104", "exceeded maximum nesting depth"),
    ("input: [1, " + "9" * 5000 + "]\nlayers: [relu]\n", "NS114", "has 5,000 digits"),
    ("name: " + "x" * 20_000 + "\n", "NS113", "a value of 20,000 characters is too long"),
    ("input: [1, 100000000000000000000, 8]\nlayers: [relu]\n", "NS203",
     "input[1] must be at most 2,147,483,647, got 100000000000000000000"),
    ("input: [1, 8, 8]\nlayers:\n  - repeat: 10000\n    layers:\n"
     "      - repeat: 10000\n        layers: [relu]\n", "NS305",
     "would exceed the limit of 100,000 layers"),
    ("input: [1, 8, 8]\nlayers: relu\n", "NS203", "layers must be a list, got 'relu'"),
    ("input: [1, 8, 8]\nlayers: [3]\n", "NS303", "a layer is a kind name or a mapping, not 3"),
    ("input: [1, 8, 8]\nlayers: [relu]\nblokcs: {}\n", "NS201",
     "unknown key 'blokcs' for the spec"),
    ("input: [1, 2, 3, 4, 5]\nlayers: [relu]\n", "NS203",
     "input must have at most 4 items, not 5"),
    ("input: [true, 8]\nlayers: [relu]\n", "NS203", "input[0] must be a whole number, got true"),
])
def test_hostile_and_malformed_inputs(tmp_path, content, code, expected):
    found = error_of(tmp_path, content)
    assert expected in found
    assert f"error[{code}]: " in found


def test_an_oversized_or_missing_file_has_its_code(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_BYTES + 1))
    for path, code in ((big, "NS102"), (tmp_path / "missing.yaml", "NS101"), (tmp_path, "NS101")):
        with pytest.raises(SpecError) as info:
            netspec.analyze(path)
        assert info.value.diagnostics[0].code == code


def test_alias_bomb_stays_in_bounded_memory(tmp_path):
    tracemalloc.start()
    error_of(tmp_path, BOMB)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50 * 2**20  # 9**9 = 387 million strings would need tens of GiB


def test_oversized_file(tmp_path):
    assert "is over the 8,388,608-byte limit for specs" in error_of(tmp_path, "#" * (MAX_BYTES + 1))


class Endless(io.RawIOBase):
    """A stream of "y\\n" that never ends, like `yes` piped into stdin."""

    def readable(self):
        return True

    def readinto(self, buffer):
        buffer[:] = b"y\n" * (len(buffer) // 2) + b"y" * (len(buffer) % 2)
        return len(buffer)


def test_endless_devices_and_pipes_are_read_only_up_to_the_limit(capsys, monkeypatch):
    """stat() gives 0 bytes for /dev/zero and pipes: the limit must hold while reading."""
    with pytest.raises(SpecError, match="/dev/zero is over the 8,388,608-byte limit for specs"):
        netspec.analyze(Path("/dev/zero"))
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BufferedReader(Endless())))
    assert main(["check", "-"]) == 1
    assert "<stdin> is over the 8,388,608-byte limit" in capsys.readouterr().out


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(SpecError, match="no such file"):
        netspec.analyze(tmp_path / "missing.yaml")
    with pytest.raises(SpecError, match="is a directory"):
        netspec.analyze(tmp_path / "dir.yaml" if (tmp_path / "dir.yaml").mkdir() is None else "")


@pytest.mark.parametrize("spec, expected", [
    ("specs/lenet5", "specs/lenet5: no such file"),  # no suffix: still a path
    ("specs/lenet5.yaml", None),
    (str(Path(__file__).parents[2] / "specs" / "lenet5.yaml"), None),
    ("{name: t, input: [1, 4], layers: [relu]}", None),  # one line of flow YAML: text
    ("name: t", "<string>:1:1: error[NS202]: the spec needs 'input'"),  # key: value is text
    ("", "<string>"),  # blank: empty text, not the current folder
    ("net: v2.yaml", "net: v2.yaml: no such file"),  # a .yaml name is a path, ': ' or not
])
def test_a_string_is_a_path_unless_it_reads_as_yaml(spec, expected, monkeypatch):
    monkeypatch.chdir(Path(__file__).parents[2])
    if expected is None:
        assert netspec.analyze(spec).layers
    else:
        with pytest.raises(SpecError) as info:
            netspec.analyze(spec)
        assert expected in str(info.value)


def test_tags_never_execute(tmp_path):
    marker = tmp_path / "pwned"
    error_of(tmp_path, f"a: !!python/object/apply:os.system ['touch {marker}']\n")
    assert not marker.exists()


def test_locations_point_into_the_file(tmp_path):
    text = "name: t\ninput: [1, 8, 8]\nlayers:\n  - relu\n  - conv: {filters: 0, kernel: 3}\n"
    assert error_of(tmp_path, text).startswith(f"{tmp_path / 'spec.yaml'}:5:21: error[NS203]: ")
