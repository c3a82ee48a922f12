"""Diagrams are views of an analysis: every layer, every tensor shape, groups as clusters."""
import re
import shutil
import sys

import pytest

pytest.importorskip("graphviz")

import netspec  # noqa: E402
from netspec.backends import diagram as backend  # noqa: E402
from netspec.cli import main  # noqa: E402
from netspec.core.errors import UsageError  # noqa: E402
from netspec.core.shapes import shape_text  # noqa: E402
from tests.zoo import EVERY_SPEC, zoo_id  # noqa: E402

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot not installed")
EDGE = re.compile(r'^\s*(\w+) -> (\w+) \[label=" ([^"]*) "\]', re.M)

# VGG-16 with each stage written as a repeated group instead of `repeat:` on one layer.
VGG16_GROUPED = """
name: VGG-16 (stages as groups)
input: [3, 224, 224]
defaults:
  conv: {kernel: 3, padding: 1, activation: relu}
  maxpool: {kernel: 2, stride: 2}
layers:
  - {repeat: 2, layers: [{conv: 64}]}
  - maxpool
  - {repeat: 2, layers: [{conv: 128}]}
  - maxpool
  - {repeat: 3, layers: [{conv: 256}]}
  - maxpool
  - {repeat: 3, layers: [{conv: 512}]}
  - maxpool
  - {repeat: 3, layers: [{conv: 512}]}
  - maxpool
  - flatten
  - dense: {units: 4096, activation: relu}
  - dropout: 0.5
  - dense: {units: 4096, activation: relu}
  - dropout: 0.5
  - dense: 1000
"""

RESIDUAL = """
name: residual
input: [8, 16, 16]
layers:
  - conv: {filters: 8, kernel: 3, padding: 1, name: a}
  - conv: {filters: 8, kernel: 3, padding: 1, name: b}
  - add: [b, input]
  - conv: {filters: 4, kernel: 1, name: side, input: a}
  - concat: [add1, side]
"""


def edges(source: str) -> dict[tuple[str, str], str]:
    """(from, to) -> the shape written on the edge, read back from DOT text."""
    return {(a, b): label for a, b, label in EDGE.findall(source)}


@pytest.fixture(scope="module")
def vgg():
    return netspec.analyze("specs/vgg16.yaml")


def test_every_layer_and_shape_is_drawn(vgg):
    source = netspec.diagram(vgg).source
    ids = {"input": backend.INPUT_ID} | {r.name: f"L{r.index}" for r in vgg.layers}
    shapes = {"input": vgg.input_shape} | {r.name: r.output_shape for r in vgg.layers}
    drawn = edges(source)
    for r in vgg.layers:
        assert re.search(rf">{r.name}(  ·  {r.params:,} params)?<", source)
        assert f"<B>{r.label}</B>" in source
        for ref in r.inputs:
            assert drawn[(ids[ref], ids[r.name])] == shape_text(shapes[ref])
    assert drawn[(backend.INPUT_ID, "L1")] == "3x224x224"
    assert drawn[("L24", backend.OUTPUT_ID)] == "1000"
    assert "conv1  ·  1,792 params" in source and "dense1  ·  102,764,544 params" in source
    assert "VGG-16: 138,357,544 parameters" in source


@pytest.mark.parametrize("spec", EVERY_SPEC, ids=zoo_id)
def test_one_node_and_edge_per_layer_input(spec):
    a = netspec.analyze(spec)
    drawn = edges(netspec.diagram(a).source)
    assert len(drawn) == sum(len(r.inputs) for r in a.layers) + 1  # + the output edge
    assert {to for _, to in drawn} == {f"L{r.index}" for r in a.layers} | {backend.OUTPUT_ID}


def test_branches_and_merges_follow_the_inputs():
    a = netspec.analyze(RESIDUAL)
    drawn = edges(netspec.diagram(a).source)
    assert drawn == {
        (backend.INPUT_ID, "L1"): "8x16x16", ("L1", "L2"): "8x16x16",
        ("L2", "L3"): "8x16x16", (backend.INPUT_ID, "L3"): "8x16x16",  # add: [b, input]
        ("L1", "L4"): "8x16x16",  # side reads a
        ("L3", "L5"): "8x16x16", ("L4", "L5"): "4x16x16",  # concat: [add1, side]
        ("L5", backend.OUTPUT_ID): "12x16x16"}


def test_repeated_groups_are_clusters():
    a = netspec.analyze(VGG16_GROUPED)
    assert a.total_params == netspec.analyze("specs/vgg16.yaml").total_params
    source = netspec.diagram(a).source
    clusters = re.findall(r"subgraph (cluster_\w+) \{\s*graph \[.*?label=\"([^\"]*)\"", source)
    assert len(clusters) == 5
    assert [label for _, label in clusters] == [f"group, line {n}" for n in (8, 10, 12, 14, 16)]


def test_named_groups_nest_their_repeats():
    source = netspec.diagram("specs/vgg16_bn.yaml").source
    labels = re.findall(r"subgraph cluster_\w+ \{\s*graph \[.*?label=(\w+|\"[^\"]*\")", source)
    assert labels[0] == "features" and labels[-1] == "classifier"
    assert len([x for x in labels if x.startswith('"group')]) == 5
    # graphviz indents a subgraph by its depth: features and classifier at the top, the
    # repeated groups one level down, inside features
    assert len(re.findall(r"^\tsubgraph cluster_", source, re.M)) == 2
    assert len(re.findall(r"^\t\tsubgraph cluster_", source, re.M)) == 5


def test_rankdir():
    assert "rankdir=LR" in netspec.diagram("specs/lenet5.yaml", rankdir="LR").source
    with pytest.raises(UsageError, match="TB or LR"):
        netspec.diagram("specs/lenet5.yaml", rankdir="BT")


@needs_dot
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"),
                                           (".pdf", b"%PDF")])
def test_cli_draws(tmp_path, suffix, magic):
    out = tmp_path / f"lenet5{suffix}"
    assert main(["diagram", "specs/lenet5.yaml", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(magic)


def test_cli_writes_dot(tmp_path):
    out = tmp_path / "alexnet.dot"
    assert main(["diagram", "specs/alexnet.yaml", "-o", str(out), "--rankdir", "LR"]) == 0
    text = out.read_text()
    assert text.startswith("digraph AlexNet {") and "rankdir=LR" in text


@needs_dot
def test_repr_svg_is_svg_text():
    svg = netspec.diagram("specs/lenet5.yaml")._repr_svg_()
    assert isinstance(svg, str) and "<svg" in svg and "conv 6 5x5 /1 p0 +relu" in svg


def test_missing_dot_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(backend.shutil, "which", lambda name: None)
    assert main(["diagram", "specs/lenet5.yaml", "-o", str(tmp_path / "x.svg")]) == 2
    err = capsys.readouterr().err
    assert "`dot`" in err and "apt-get install graphviz" in err and "brew install graphviz" in err
    assert not (tmp_path / "x.svg").exists()
    assert main(["diagram", "specs/lenet5.yaml", "-o", str(tmp_path / "x.dot")]) == 0
    assert netspec.diagram("specs/lenet5.yaml")._repr_svg_() is None  # the notebook falls back


def test_missing_graphviz_package_says_how_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` fail
    assert main(["diagram", "specs/lenet5.yaml", "-o", str(tmp_path / "x.dot")]) == 2
    assert "pip install graphviz" in capsys.readouterr().err


def test_bad_suffix_is_exit_2(tmp_path, capsys):
    assert main(["diagram", "specs/lenet5.yaml", "-o", str(tmp_path / "x.jpg")]) == 2
    assert "must end in .dot or .svg or .png or .pdf" in capsys.readouterr().err
    with pytest.raises(UsageError):
        netspec.diagram("specs/lenet5.yaml").save(tmp_path / "x.gif")


def test_invalid_spec_is_exit_1(tmp_path, capsys):
    spec = tmp_path / "bad.yaml"
    spec.write_text("input: [1, 4, 4]\nlayers:\n  - conv: {filters: 2, kernel: 5}\n")
    assert main(["diagram", str(spec), "-o", str(tmp_path / "x.dot")]) == 1
    assert "bad.yaml:3" in capsys.readouterr().err
    assert not (tmp_path / "x.dot").exists()
