"""`netspec schema` describes the YAML people write: every zoo spec validates against it with an
independent validator, and so does a spec that uses every kind's short form."""
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from netspec.cli import main
from netspec.layers import KINDS
from netspec.reading.json_schema import json_schema

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted(ROOT.glob("specs/*.yaml")) + sorted(ROOT.glob("examples/*.yaml"))


@pytest.fixture(scope="module")
def validator():
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_zoo_validates(validator, path):
    validator.validate(yaml.safe_load(path.read_text()))


def test_every_kind_is_in_the_schema(validator):
    layers = [kind for kind in KINDS]
    validator.validate({"input": [1, 8, 8], "layers": layers})


def test_schema_rejects_unknown_keys_and_kinds(validator):
    assert not validator.is_valid({"input": [1], "layers": [{"conv": {"filtres": 3}}]})
    assert not validator.is_valid({"input": [1], "layers": ["convolution"]})


def test_schema_command(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "netspec network spec"
