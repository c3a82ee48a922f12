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


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_setting_is_described_for_kinds_and_editors(kind):
    """`netspec kinds` and the JSON Schema (an editor's hover) show each setting's doc."""
    from netspec.core.model import field_docs
    from netspec.layers.base import COMMON

    undocumented = [f for f, doc in field_docs(KINDS[kind]).items() if f not in COMMON and not doc]
    assert undocumented == []


def test_kinds_shows_summary_defaults_and_docs(capsys):
    from netspec.cli import main

    assert main(["kinds", "maxpool"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "maxpool: The largest value in each window.",
        "  kernel          = 2 (short form)       pool size: one number or one per axis",
        "  stride          = null                 default: the pool size",
        "  padding         = 0                    n, one per axis, [before, after] pairs, same, valid",
        "  ceil_mode       = false                keep a last, partial window (PyTorch's ceil_mode)",
        "  example: - maxpool: 2"]
    assert main(["kinds", "batchnorm"]) == 0
    summary = capsys.readouterr().out.splitlines()[0]
    assert summary.endswith("Keras prints as non-trainable params.")  # the whole paragraph
    assert main(["kinds", "leaky_relu"]) == 0
    assert "  negative_slope  = 0.01 (short form)" in capsys.readouterr().out  # the longest name
