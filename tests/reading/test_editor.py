"""The editor schema in the real YAML language server (the npm package yaml-language-server, which
VS Code's YAML extension runs), driven over stdio as an editor drives it (tests/reading/yaml_ls.py).

The oracle is `netspec check`: on a spec with mistakes, the server flags exactly the lines
where check reports an error; on the zoo it flags nothing; what completion inserts is valid to
both. Skipped where node or the server is missing (.ci/run installs them)."""
import json
import re
from pathlib import Path

import pytest
import yaml

from netspec.api import analyze
from netspec.core.errors import SpecError
from netspec.layers import KINDS
from netspec.reading.json_schema import json_schema

from .yaml_ls import YamlLanguageServer, find_server

ROOT = Path(__file__).resolve().parents[2]
COMMAND = find_server()
pytestmark = pytest.mark.skipif(COMMAND is None, reason="needs node and yaml-language-server "
                                "(.ci/run installs them: npm install --prefix .node ...)")


@pytest.fixture(scope="module")
def server():
    ls = YamlLanguageServer(COMMAND)
    yield ls
    ls.close()


@pytest.fixture(scope="module")
def generic(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "netspec.schema.json"
    path.write_text(json.dumps(json_schema()))
    return path


class Doc:
    """A spec opened in the server with the modeline on its first line, as docs/editor.md says;
    lines are counted without the modeline, 1-based, as `netspec check` counts them."""
    count = 0

    def __init__(self, server, schema: Path, text: str):
        Doc.count += 1
        self.server, self.text = server, text
        self.uri = f"file:///tmp/netspec-editor-test/spec{Doc.count}.yaml"
        self.diagnostics = server.open(self.uri, f"# yaml-language-server: $schema={schema}\n"
                                       + text)

    def lines(self) -> set[int]:
        return {d["range"]["start"]["line"] for d in self.diagnostics}

    def complete(self, line: int, col: int) -> list[dict]:
        return self.server.completion(self.uri, line, col)

    def hover(self, line: int, col: int) -> str:
        return self.server.hover(self.uri, line, col)


def check_error_lines(text: str) -> set[int]:
    try:
        analyze(text)
    except SpecError as e:
        return {d.location.line for d in e.diagnostics if d.severity == "error"}
    return set()


@pytest.mark.parametrize("name", ["lenet5", "vgg16", "resnet18", "googlenet", "mobilenet_v2",
                                  "same_size"])
def test_the_zoo_has_no_diagnostics(server, generic, tmp_path, name):
    path = next((ROOT / d / f"{name}.yaml") for d in ("specs", "examples")
                if (ROOT / d / f"{name}.yaml").exists())
    text = path.read_text()
    assert Doc(server, generic, text).diagnostics == []
    own = tmp_path / "own.schema.json"  # the schema written for the spec knows its blocks
    own.write_text(json.dumps(json_schema(yaml.safe_load(text).get("blocks", {}))))
    assert Doc(server, own, text).diagnostics == []


MISTAKES = """\
input: [1, 28, 28]
defaults:
  conv: {kernel: 3, filtres: 8}
  maxpol: {kernel: 2}
layers:
  - maxpol: 2
  - conv: {filters: 0}
  - conv: 8
    kernal: 3
  - relu: {}
    repeat: -1
  - layers: [relu, reluu]
  - dropout: 1.5
"""


def test_mistakes_are_flagged_where_check_flags_them(server, generic):
    """A misspelt kind in mapping form, an unknown kind in defaults, bad settings in defaults
    and items, values out of range: the lines the server marks are the lines check reports."""
    expected = check_error_lines(MISTAKES)
    assert expected == {3, 4, 6, 7, 9, 11, 12, 13}  # check finds every one
    assert Doc(server, generic, MISTAKES).lines() == expected


def test_two_kinds_in_one_item(server, generic):
    text = "input: [16]\nlayers:\n  - dense: {units: 10}\n    relu:\n"
    assert check_error_lines(text) == {3}
    assert 3 in Doc(server, generic, text).lines() <= {3, 4}  # each kind refuses the other


BLOCKS = (ROOT / "specs" / "resnet18.yaml").read_text()
BAD_BLOCKS = (BLOCKS.replace("- {basic: {filters: 64}, repeat: 2}", "- {basic: {filtres: 64}, repeat: 2}")
              .replace("      - basic_down: {filters: 128}", "      - basic_dwn: {filters: 128}")
              .replace("      - relu: {name: relu}", "      - maxpol: {kernel: 2}")
              .replace("      - basic: {filters: 512}", "      - basic")
              .replace("kernel: 3, stride: $stride", "kernl: 3, stride: $stride"))


def test_a_schema_for_the_spec_knows_its_blocks(server, tmp_path):
    """Unknown blocks and kinds, wrong and missing block arguments, bad settings inside a block:
    all flagged, on exactly check's lines."""
    assert BAD_BLOCKS.count("\n") == BLOCKS.count("\n")
    own = tmp_path / "resnet18.schema.json"
    own.write_text(json.dumps(json_schema(yaml.safe_load(BAD_BLOCKS)["blocks"])))
    expected = check_error_lines(BAD_BLOCKS)
    assert len(expected) == 6
    assert Doc(server, own, BAD_BLOCKS).lines() == expected


def test_the_generic_schema_in_a_spec_with_blocks(server, generic):
    """Without the spec's block names, a misspelt kind with a mapping reads as a block use
    (docs/editor.md); a misspelt setting of a kind, inside a block too, is still flagged."""
    lines = Doc(server, generic, BAD_BLOCKS).lines()
    kernl = next(i for i, line in enumerate(BAD_BLOCKS.splitlines(), 1) if "kernl" in line)
    assert kernl in lines and lines <= check_error_lines(BAD_BLOCKS)


ITEMS = "input: [3, 32, 32]\nlayers:\n  - conv: {filters: 8, kernel: 3}\n  - \n"


def expand(snippet: str) -> str:
    """A snippet as the editor leaves it when each tab stop keeps its first value."""
    snippet = re.sub(r"\$\{\d+\|([^,|]*)[^}]*\}", r"\1", snippet)
    snippet = re.sub(r"\$\{\d+:([^}]*)\}", r"\1", snippet)
    return re.sub(r"\$\{?\d+\}?", "", snippet)


def insert(text: str, line: int, col: int, snippet: str) -> str:
    """Insert as VS Code does: each further line of the snippet gets the current line's
    indentation."""
    lines = text.split("\n")
    current = lines[line - 1]
    indent = current[:len(current) - len(current.lstrip())]
    body = expand(snippet).replace("\n", "\n" + indent)
    lines[line - 1] = current[:col] + body + current[col:]
    return "\n".join(lines)


def test_completion_at_the_kind_position_offers_the_kinds(server, generic):
    items = Doc(server, generic, ITEMS).complete(4, 4)
    assert {i["label"] for i in items} == set(KINDS) | {"layers"}  # no settings, no dumps


def test_what_completion_inserts_is_valid(server, generic):
    """Every item completion offers, inserted: no diagnostic from the server; and those with
    settings pass `netspec check` in a network their kind fits (a bare `conv` would take its
    kernel from `defaults:`)."""
    for item in Doc(server, generic, ITEMS).complete(4, 4):
        snippet = item.get("insertText") or item["label"]
        text = insert(ITEMS, 4, 4, snippet)
        assert Doc(server, generic, text).diagnostics == [], (item, text)
        if "\n" in snippet:
            alone = insert("layers:\n  - \n", 2, 4, snippet)
            assert any(check_error_lines(f"input: {shape}\n{alone}") == set()
                       for shape in ("[3, 32, 32]", "[16]")), alone


def test_completion_beside_a_kind_offers_its_settings(server, generic):
    text = "input: [3, 32, 32]\nlayers:\n  - conv: 8\n    kernel: 3\n    \n"
    labels = {i["label"] for i in Doc(server, generic, text).complete(5, 4)}
    settings = set(KINDS["conv"].__dataclass_fields__) | {"repeat", "if", "allow"}
    assert "stride" in labels and labels <= settings - {"kernel"}


@pytest.mark.parametrize("setting, lines, col", [
    ("repeat", "  - relu:\n    ", 4),
    ("filters", "  - conv:\n      kernel: 3\n      ", 6)])
def test_setting_snippets_insert_valid_values(server, generic, setting, lines, col):
    """`repeat` inserts 2, not 0; `filters` its example, not 0."""
    text = f"input: [3, 32, 32]\nlayers:\n{lines}\n"
    row = len(text.rstrip("\n").split("\n"))
    (item,) = [i for i in Doc(server, generic, text).complete(row, col) if i["label"] == setting]
    filled = insert(text, row, col, item["insertText"])
    assert Doc(server, generic, filled).diagnostics == [] and check_error_lines(filled) == set()


def test_hovers_are_clean(server, generic):
    text = "input: [3, 32, 32]\nlayers:\n  - conv: {filters: 8, kernel: 3}\n"
    doc = Doc(server, generic, text)
    kernel, conv = doc.hover(3, 23), doc.hover(3, 5)
    assert "kernel size" in kernel and "||" not in kernel and not re.search(r"(?<!`)``[^`]", kernel)
    assert conv.startswith("**conv**: A bank of `filters` learned kernels")


def test_the_modeline_path_is_relative_to_the_spec(server, tmp_path):
    """docs/editor.md's set-up: `netspec schema -o netspec.schema.json` beside the spec, and a
    modeline that names it."""
    from netspec.cli import main

    assert main(["schema", "-o", str(tmp_path / "netspec.schema.json")]) == 0
    text = "# yaml-language-server: $schema=netspec.schema.json\n" + MISTAKES
    diagnostics = server.open((tmp_path / "hw.yaml").as_uri(), text)
    assert {d["range"]["start"]["line"] for d in diagnostics} == check_error_lines(MISTAKES)
