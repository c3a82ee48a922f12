"""The fuzzers' table of kinds (tests/fuzz/kinds.py) covers every kind netspec registers, and
says of each what netspec's own schema says: a kind added without an entry fails here."""
import dataclasses

import pytest

pytest.importorskip("torch")

from netspec.layers import KINDS  # noqa: E402
from tests.fuzz.differential import Seeded  # noqa: E402
from tests.fuzz.kinds import KINDS as TABLE  # noqa: E402


def test_every_registered_kind_has_an_entry():
    assert sorted(set(KINDS) - set(TABLE)) == [], "add an entry to tests/fuzz/kinds.py"
    assert sorted(set(TABLE) - set(KINDS)) == []


@pytest.mark.parametrize("kind", sorted(TABLE))
def test_an_entry_states_the_kinds_documented_defaults_and_short_form(kind):
    fields = {f.name: f.default for f in dataclasses.fields(KINDS[kind])}
    entry = TABLE[kind]
    assert entry.shorthand == KINDS[kind].shorthand
    assert {k: fields[k] for k in entry.defaults} == entry.defaults
    assert entry.merge == (kind in ("add", "multiply", "concat", "crop"))  # docs: several inputs
    assert (entry.parts is not None) == (kind == "split")  # docs: parts read as `name.0`


@pytest.mark.parametrize("kind", sorted(TABLE))
def test_an_entry_draws_settings_the_kind_has(kind):
    d = Seeded(0)
    fields = {f.name for f in dataclasses.fields(KINDS[kind])}
    for shape in [(3,), (3, 8), (4, 6, 6), (2, 4, 4, 4)]:
        for _ in range(20):
            assert set(TABLE[kind].draw(d, shape)) <= fields
