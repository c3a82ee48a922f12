"""The docs keep up with the code: every kind is documented with its example, and the
README shows what `make demo` prints."""
import re
from pathlib import Path

import pytest

import netspec
from netspec.layers import KINDS

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "spec-format.md").read_text()


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_is_documented_with_its_example(kind):
    assert KINDS[kind].example in DOC


def test_readme_shows_lines_the_vgg16_report_prints():
    """Every line of the README's `make demo` output, but its elisions, is in the real report."""
    readme = (ROOT / "README.md").read_text()
    shown = re.search(r"`make demo` prints:\n\n```\n(.*?)```", readme, re.S).group(1)
    lines = [line for line in shown.splitlines() if not line.rstrip().endswith("...")]
    report = str(netspec.analyze(ROOT / "specs" / "vgg16.yaml"))
    missing = [line for line in lines if line not in report.splitlines()]
    assert len(lines) > 15 and missing == []
