"""`netspec schema` describes the YAML people write, as strictly as the format: every zoo spec
validates against it with an independent validator (jsonschema), and so does every kind's
example and short form, while the mistakes `netspec check` refuses that a schema can see are
refused. (tests/reading/test_editor.py runs it in the YAML language server.)"""
import functools
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

import netspec
from netspec.cli import main
from netspec.graph.builder import MAX_REPEAT
from netspec.layers import KINDS
from netspec.reading import schema_kinds
from netspec.reading.json_schema import json_schema

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted(ROOT.glob("specs/*.yaml")) + sorted(ROOT.glob("examples/*.yaml"))


@functools.cache
def validator_for(blocks_json: str | None = None):
    """A validator of the generic schema (None) or of one for these blocks (as JSON text)."""
    schema = json_schema(None if blocks_json is None else json.loads(blocks_json))
    return jsonschema.Draft202012Validator(schema)


def own(blocks) -> jsonschema.Draft202012Validator:
    return validator_for(json.dumps(blocks, sort_keys=True))


@pytest.fixture(scope="module")
def validator():
    return validator_for()


def test_the_schemas_are_valid_json_schemas():
    jsonschema.Draft202012Validator.check_schema(json_schema())  # ~7 s each: once
    jsonschema.Draft202012Validator.check_schema(json_schema(UNIT))


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_zoo_validates(validator, path):
    data = yaml.safe_load(path.read_text())
    validator.validate(data)
    own(data.get("blocks", {})).validate(data)  # its own schema too


def test_every_kind_is_in_the_schema(validator):
    validator.validate({"input": [1, 8, 8], "layers": list(KINDS)})


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_example_validates(validator, kind):
    example = yaml.safe_load(KINDS[kind].example)
    validator.validate({"input": [1, 8, 8], "layers": example})


NO_BLOCKS = {"input": [1, 28, 28], "layers": ["relu"]}


@pytest.mark.parametrize("change", [
    {"layers": [{"maxpol": 2}]},                       # a misspelt kind in mapping form
    {"layers": [{"maxpol": {"kernel": 2}}]},           # ... with a mapping: no block here
    {"layers": ["convolution"]},
    {"layers": [{"conv": {"filtres": 3}}]},
    {"layers": [{"conv": 8, "kernal": 3}]},            # a setting beside the kind
    {"layers": [{"dense": 10, "relu": None}]},         # two kinds in one item
    {"layers": [{"kernel": 3}]},                       # no kind at all
    {"layers": [{"relu": None, "repeat": -1}]},
    {"layers": [{"layers": ["relu", "reluu"]}]},       # inside a group
    {"defaults": {"maxpol": {"kernel": 2}}},
    {"defaults": {"conv": {"filtres": 8}}},
    {"defaults": {"conv": {"name": "c1"}}},            # not a default: it names one layer
    {"blocks": {"unit": {"layers": [{"conv": {"kernl": 3}}]}}, "layers": ["unit"]},
    {"blocks": {"conv": {"layers": ["relu"]}}},        # a block named like a kind
])
def test_the_mistakes_check_refuses_are_refused(validator, change):
    assert not validator.is_valid({**NO_BLOCKS, **change})


UNIT = {"unit": {"params": {"width": "required", "stride": 1},
                 "layers": [{"conv": {"filters": "$width", "kernel": 3, "stride": "$stride"}},
                            "relu"]}}


@pytest.mark.parametrize("layers, generic, mine", [
    ([{"unit": {"width": 8}}], True, True),
    ([{"unit": None, "width": 8, "name": "u1"}], True, True),    # arguments beside the name
    ([{"unit": {"width": 8, "name": "u1", "repeat": 2}}], True, True),
    ([{"unit": {"widht": 8}}], True, False),                      # not one of its parameters
    ([{"unit": {"stride": 2}}], True, False),                     # width is required
    (["unit"], True, False),
    ([{"unti": {"width": 8}}], True, False),                      # no such block
    ([{"maxpol": 2}], False, False),                              # a block takes a mapping
])
def test_block_uses(layers, generic, mine):
    """The generic schema cannot know the spec's blocks; the spec's own schema can."""
    spec = {"input": [3, 32, 32], "blocks": UNIT, "layers": layers}
    assert validator_for().is_valid(spec) is generic
    assert own(UNIT).is_valid(spec) is mine


def test_parameters_are_values_only_inside_blocks(validator):
    assert not validator.is_valid({**NO_BLOCKS, "layers": [{"conv": {"filters": "$width"}}]})
    bad = {"unit": {"params": {"w": 8}, "layers": [{"conv": {"filters": "width"}}]}}
    assert not validator.is_valid({**NO_BLOCKS, "blocks": bad})


def walk(node, path=()):
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, path + (i,))


def test_editor_text_is_clean():
    """No generated titles (hovers read `Kernel || Kernel`), no `default: null` (completion
    inserted `name: null`), no reStructuredText, and every description has its Markdown twin."""
    for path, node in walk(json_schema()):
        if "properties" in path[-1:] or "defaultSnippets" in path:
            continue  # a property named `title` or `default` would be no annotation
        assert "title" not in node, path
        assert node.get("default", 0) is not None, path
        text = node.get("description", "")
        assert isinstance(text, str) and not re.search(r"(?<!`)``[^`]|:class:|:mod:", text), path
        assert ("markdownDescription" in node) == bool(text), path


def test_snippets_insert_valid_values():
    """Each value a snippet or an example inserts is valid where it goes."""
    schema = json_schema()
    for kind in KINDS:
        props = schema["$defs"][f"settings.{kind}"]["properties"]
        for prop in props.values():
            for value in [*(s["body"] for s in prop.get("defaultSnippets", [])),
                          *prop.get("examples", [])]:
                jsonschema.Draft202012Validator({**prop, "$defs": schema["$defs"]}).validate(value)


def test_repeat_limit_is_the_builders():
    assert schema_kinds.MAX_REPEAT == MAX_REPEAT


def test_schema_command(capsys, tmp_path):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["description"].startswith("A netspec network")
    out = tmp_path / "resnet18.schema.json"
    assert main(["schema", "resnet18", "-o", str(out)]) == 0  # a zoo name, as every SPEC
    assert "use.basic_down" in json.loads(out.read_text())["$defs"]


def test_a_block_item_may_be_a_parameter_naming_a_kind(validator):
    """`- $act` in a block's layers is the kind the use passes (netspec check builds it)."""
    blocks = {"cba": {"params": {"act": "relu"}, "layers": [
        {"conv": {"filters": 4, "kernel": 1}}, "$act"]}}
    spec = {"input": [3, 8, 8], "blocks": blocks, "layers": [{"cba": {"act": "tanh"}}]}
    for schema in (validator, own(blocks)):
        assert schema.is_valid(spec)
        assert not schema.is_valid({**spec, "layers": ["$act"]})  # outside a block: no kind
    assert netspec.analyze(spec_text(spec)).layers[1].kind == "tanh"


def spec_text(spec: dict) -> str:
    return yaml.safe_dump(spec, sort_keys=False)
