"""The validators run pydantic's own schemas, read back from the cache exactly as generated.

The oracle is pydantic itself: a schema read from the cache must equal the one pydantic
generates now, and validate every input the same way. The cache is an optimisation only: a
damaged, hostile or unwritable one changes speed, never results.
"""
import json
import os
import subprocess
import sys

import pytest
from pydantic import TypeAdapter, ValidationError

from netspec.core import validation
from netspec.layers import KINDS
from netspec.layers.conv import Conv
from netspec.reading.document import BlockDef, SpecFile

CLASSES = [SpecFile, BlockDef, *KINDS.values()]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder, and validators that forget what this process built so far."""
    monkeypatch.setenv("NETSPEC_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(validation, "_validators", {})
    monkeypatch.setattr(validation, "_cached", None)
    return tmp_path


def _without_metadata(value):
    if isinstance(value, dict):
        return {k: _without_metadata(v) for k, v in value.items() if k != "metadata"}
    if isinstance(value, (list, tuple)):
        return [_without_metadata(v) for v in value]
    return value


def _stored(cache_dir) -> dict:
    (file,) = cache_dir.glob("schemas-*.json")
    return json.loads(file.read_text())


def test_the_first_validation_writes_every_class_and_the_file_reads_back_as_generated(cache):
    validation.validate(Conv, {"filters": 8, "kernel": 3})
    stored = _stored(cache)
    for cls in CLASSES:
        text = stored[validation._path(cls)]
        assert validation._decode(json.loads(text)) == _without_metadata(
            validation.generate(cls)), cls


# Good and bad settings; each must be judged the same by the cached and pydantic's validator.
CASES = [
    (Conv, {"filters": 8, "kernel": [3, 5], "padding": [[1, 2], 0], "activation": "relu"}),
    (Conv, {"filters": 8, "kernel": 3, "padding": "sam"}),
    (Conv, {"filters": 8.0, "kernel": 3}),
    (Conv, {"filters": True, "kernel": 3}),
    (Conv, {"filters": 8, "kernel": 3, "expect": {"shape": [8, 4, 4], "parms": 1}}),
    (Conv, {"filters": 8, "kernel": 3, "name": "1x"}),
    (KINDS["dropout"], {"rate": 1.0}),
    (KINDS["dropout"], {"rate": "0.5"}),
    (KINDS["add"], {"input": ["a"]}),
    (KINDS["batchnorm"], {"eps": 0}),
    (SpecFile, {"input": [3, 32, 32], "layers": ["relu"], "blocks": {"b": {"layers": []}}}),
    (SpecFile, {"input": [], "layers": [], "defaults": {"conv": 3}}),
]


@pytest.mark.parametrize(("cls", "data"), CASES)
def test_cached_validators_judge_like_pydantic(cache, cls, data):
    def outcome(validate):
        try:
            return "ok", validate(data)
        except ValidationError as e:
            return "error", [(err["type"], err["loc"]) for err in e.errors()]

    validation.validate(Conv, {"filters": 8, "kernel": 3})  # writes the cache
    validation._validators.clear()
    assert outcome(lambda d: validation.validate(cls, d)) == outcome(
        TypeAdapter(cls).validate_python)


def test_a_spec_class_validates_its_constructor_and_is_frozen(cache):
    conv = Conv(filters=8, kernel=3)
    assert conv == Conv(filters=8, kernel=3) != Conv(filters=9, kernel=3)
    assert repr(conv).startswith("Conv(name=None, ")
    with pytest.raises(ValidationError):
        Conv(filters=0, kernel=3)
    with pytest.raises(AttributeError):
        conv.filters = 9


@pytest.mark.parametrize("content", [
    "not json",
    "[1, 2]",
    '{"netspec.layers.conv:Conv": {"type": "int"}}',
    '{"netspec.layers.conv:Conv": "{\\"type\\": \\"nonsense\\"}"}',
    # a hostile cache may name only netspec's own, already imported spec classes
    '{"netspec.layers.conv:Conv": "{\\"type\\": \\"dataclass\\", \\"cls\\": {\\"$py\\": '
    '\\"os:system\\"}}"}',
])
def test_a_damaged_or_hostile_cache_is_regenerated(cache, content):
    (cache / f"schemas-{validation.fingerprint()}.json").write_text(content)
    assert validation.validate(Conv, {"filters": 8, "kernel": 3}).filters == 8
    with pytest.raises(ValidationError):
        validation.validate(Conv, {"filters": 0, "kernel": 3})
    assert validation._path(Conv) in _stored(cache)  # rewritten whole


@pytest.mark.parametrize("entry", [{"type": "any"}, "dense"])
def test_an_entry_for_another_class_is_not_used(cache, entry):
    """A valid schema, but not Conv's: Dense's would report 'conv needs units'."""
    validation.validate(Conv, {"filters": 8, "kernel": 3})
    file = next(cache.glob("schemas-*.json"))
    stored = json.loads(file.read_text())
    stored[validation._path(Conv)] = (stored[validation._path(KINDS["dense"])]
                                      if entry == "dense" else json.dumps(entry))
    file.write_text(json.dumps(stored))
    validation._validators.clear()
    validation._cached = None
    assert validation.validate(Conv, {"filters": 8, "kernel": 3}) == Conv(filters=8, kernel=3)


def test_deep_nesting_and_fifos_at_the_cache_path_cost_only_speed(cache):
    path = cache / f"schemas-{validation.fingerprint()}.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    assert validation.validate(Conv, {"filters": 8, "kernel": 3}).filters == 8
    path.unlink()
    os.mkfifo(path)  # opening it for reading would wait for a writer forever
    validation._validators.clear()
    validation._cached = None
    assert validation.validate(Conv, {"filters": 8, "kernel": 3}).filters == 8


def test_a_class_defined_elsewhere_is_validated_but_not_cached(cache):
    from netspec.core.model import Size, SpecModel

    class Mine(SpecModel):
        size: Size

    assert Mine(size=3).size == 3
    with pytest.raises(ValidationError):
        Mine(size=0)
    assert not list(cache.glob("schemas-*.json"))


def test_only_netspec_spec_classes_and_plain_factories_resolve():
    assert validation._resolve("netspec.layers.conv:Conv") is Conv
    assert validation._resolve("builtins:dict") is dict
    for path in ("os:system", "builtins:eval", "netspec.core.validation:validate",
                 "netspec.layers.conv:math", "netspec.nowhere:Conv"):
        assert validation._resolve(path) is None, path


def test_an_unwritable_cache_costs_only_speed(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("NETSPEC_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(validation, "_validators", {})
    monkeypatch.setattr(validation, "_cached", None)
    assert validation.validate(Conv, {"filters": 8, "kernel": 3}).filters == 8


def test_old_cache_files_are_pruned(cache):
    for i in range(validation.KEEP_FILES + 3):
        old = cache / f"schemas-old{i}.json"
        old.write_text("{}")
        os.utime(old, (1_000_000 + i, 1_000_000 + i))
    validation.validate(Conv, {"filters": 8, "kernel": 3})
    left = sorted(p.name for p in cache.glob("schemas-*.json"))
    assert len(left) == validation.KEEP_FILES
    assert f"schemas-{validation.fingerprint()}.json" in left
    assert "schemas-old0.json" not in left  # the oldest went first


PROBE = """
import sys
from netspec.cli import main
code = main(["check", "-q", "specs/resnet18.yaml"])
print(code, "pydantic.main" in sys.modules)
"""


def test_a_warm_cache_spares_the_check_pydantic_python_side(tmp_path):
    env = {**os.environ, "NETSPEC_CACHE_DIR": str(tmp_path)}

    def check():
        done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                              env=env, check=True)
        return done.stdout.split()

    assert check() == ["0", "True"]  # the first run generates the schemas with pydantic
    assert check() == ["0", "False"]
