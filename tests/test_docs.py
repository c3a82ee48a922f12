"""The docs keep up with the code: every kind is documented with its example."""
from pathlib import Path

import pytest

from netspec.layers import KINDS

DOC = (Path(__file__).resolve().parents[1] / "docs" / "spec-format.md").read_text()


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_is_documented_with_its_example(kind):
    assert KINDS[kind].example in DOC
