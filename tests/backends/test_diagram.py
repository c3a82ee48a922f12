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
    source = netspec.diagram(vgg, wrap=1).source
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
    drawn = edges(netspec.diagram(a, wrap=1).source)
    assert len(drawn) == sum(len(r.inputs) for r in a.layers) + 1  # + the output edge
    assert {to for _, to in drawn} == {f"L{r.index}" for r in a.layers} | {backend.OUTPUT_ID}
    # wrapped into columns, an edge from an earlier column starts at an entry stub instead
    wrapped = edges(netspec.diagram(a).source)
    assert sorted(to for _, to in wrapped) == sorted(to for _, to in drawn)
    assert {re.sub(r"__in\d+$", "", frm) for frm, _ in wrapped} == {frm for frm, _ in drawn}


def test_branches_and_merges_follow_the_inputs():
    a = netspec.analyze(RESIDUAL)
    drawn = edges(netspec.diagram(a, wrap=1).source)
    assert drawn == {
        (backend.INPUT_ID, "L1"): "8x16x16", ("L1", "L2"): "8x16x16",
        ("L2", "L3"): "8x16x16", (backend.INPUT_ID, "L3"): "8x16x16",  # add: [b, input]
        ("L1", "L4"): "8x16x16",  # side reads a
        ("L3", "L5"): "8x16x16", ("L4", "L5"): "4x16x16",  # concat: [add1, side]
        ("L5", backend.OUTPUT_ID): "12x16x16"}


def test_repeated_groups_are_clusters():
    a = netspec.analyze(VGG16_GROUPED)
    assert a.total_params == netspec.analyze("specs/vgg16.yaml").total_params
    source = netspec.diagram(a, wrap=1).source
    clusters = re.findall(r"subgraph (cluster_\w+) \{\s*graph \[.*?label=\"([^\"]*)\"", source)
    assert len(clusters) == 5
    assert [label for _, label in clusters] == [f"group, line {n}" for n in (8, 10, 12, 14, 16)]


def test_named_groups_nest_their_repeats():
    source = netspec.diagram("specs/vgg16_bn.yaml", wrap=1).source
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


# -- folding to a depth, as the report does -----------------------------------------------------

def boxes_of(source: str) -> dict[str, str]:
    """Node id -> its header (the bold text), read back from DOT text."""
    return dict(re.findall(r"^\s*(\w+) \[label=<.*?<B>([^<]*)</B>", source, re.M))


def test_depth_1_draws_resnet50_stages_as_one_box_each():
    a = netspec.analyze("specs/resnet50.yaml")
    source = netspec.diagram(a, depth=1, wrap=1).source
    headers = boxes_of(source)
    assert list(headers.values()) == [
        "input", "conv 64 7x7 /2 p3", "batchnorm", "relu", "maxpool 3x3 /2 p1",
        "layer1: bottleneck_down + 2 bottleneck", "layer2: bottleneck_down + 3 bottleneck",
        "layer3: bottleneck_down + 5 bottleneck", "layer4: bottleneck_down + 2 bottleneck",
        "global_avgpool", "dense 1000", "output"]
    for stage in ("layer1", "layer2", "layer3", "layer4"):  # each box's totals, summed here
        inside = [r for r in a.layers if r.name.startswith(stage + ".")]
        assert f">{len(inside)} layers  ·  {sum(r.params for r in inside):,} params<" in source
    assert "subgraph cluster" not in source  # nothing left to box
    shapes = list(edges(source).values())
    assert shapes == ["3x224x224", "64x112x112", "64x112x112", "64x112x112", "64x56x56",
                      "256x56x56", "512x28x28", "1024x14x14", "2048x7x7", "2048", "1000"]


def test_depth_folds_as_the_report_does():
    """The boxes are the report's rows at the same depth (its subtotal rows aside)."""
    from netspec.reports.rows import rows

    for spec, depth in [("googlenet", 1), ("googlenet", 2), ("resnet18", 2),
                        ("mobilenet_v2", 1), ("vgg16_bn", 1)]:
        a = netspec.analyze(f"specs/{spec}.yaml")
        source = netspec.diagram(a, depth=depth, wrap=1).source
        names = re.findall(r'<FONT POINT-SIZE="10" COLOR="#333333">([^<&]*?)(?:  ·  [^<]*)?</FONT>',
                           source)
        layer_names = [n for n in names if not n.endswith(" layers")]
        folded = [row for row in rows(a, depth)[1:] if not str(row[1]).startswith("= ")]
        assert len(boxes_of(source)) - 2 == len(folded)  # input and output aside
        assert layer_names == [row[1] for row in folded if isinstance(row[0], int)]


def test_depth_2_keeps_the_stages_as_clusters():
    source = netspec.diagram("specs/resnet50.yaml", depth=2, wrap=1).source
    clusters = re.findall(r"subgraph cluster_\w+ \{\s*graph \[.*?label=(\w+)", source)
    assert clusters == ["layer1", "layer2", "layer3", "layer4"]
    assert "layer2.3: bottleneck" in source and "layer2.0: bottleneck_down" in source


def test_bad_depth_and_options_are_usage_errors():
    for options, message in [({"depth": 0}, "depth must be"), ({"wrap": 0}, "wrap must be"),
                             ({"wrap": "many"}, "wrap must be"), ({"dpi": 5}, "dpi must be")]:
        with pytest.raises(UsageError, match=message):
            netspec.diagram("specs/lenet5.yaml", **options)


def test_no_shapes_and_no_params():
    full = netspec.diagram("specs/lenet5.yaml").source
    bare = netspec.diagram("specs/lenet5.yaml", shapes=False, params=False).source
    assert 'label=" 6x28x28 "' in full and "156 params" in full
    assert edges(bare) == {} and re.findall(r"-> (\w+)\n", bare)  # edges, unlabelled
    assert " params<" not in bare and ">c1<" in bare  # the hover text keeps the figures
    assert "LeNet-5: 61,706 parameters" in bare  # the title keeps the total


# -- wrapping into columns, checked on Graphviz's own layout -----------------------------------

def layout(d) -> dict[str, tuple[float, float, float, float]]:
    """Node -> (x, y, width, height) in inches, as dot lays it out (its plain output)."""
    found = {}
    for line in d.graph.pipe(format="plain").decode().splitlines():
        parts = line.split()
        if parts[0] == "node":
            found[parts[1]] = tuple(map(float, parts[2:6]))
    return found


def segments_of(d) -> list[list[str]]:
    """The nodes of each segment in order, read from the invisible clusters that hold them
    (in the order of their first nodes, which the rank=same subgraph lists)."""
    parts = re.split(r"subgraph cluster_\d+_\S+ \{\n\t\tgraph \[label=\"\" margin=0 style=invis\]",
                     d.source)[1:]
    found = [re.findall(r"^\t\t+(\w+) \[label", part, re.M) for part in parts]
    heads = re.findall(r"^\t\t(\w+)$", d.source.split("subgraph wrap {")[-1], re.M)
    return sorted(found, key=lambda part: heads.index(part[0]))


@needs_dot
def test_resnet50_at_depth_1_fits_a_slide():
    d = netspec.diagram("specs/resnet50.yaml", depth=1)
    width, height = d.size(d.graph)
    assert d.segments >= 2 and 1.0 <= width / height <= 16 / 9 * 1.3
    assert width <= 13.4 and height <= 7.5 * 1.1  # a 16:9 slide, 13.33 x 7.5 in, at 100%


@needs_dot
@pytest.mark.parametrize("rankdir", ["TB", "LR"])
def test_segments_stand_side_by_side_in_order(rankdir):
    d = netspec.diagram("specs/resnet18.yaml", rankdir, depth=2, wrap=3)
    where = layout(d)
    parts = segments_of(d)
    assert d.segments == len(parts) == 3
    for before, after in zip(parts, parts[1:]):
        if rankdir == "TB":  # columns left to right, each starting at the top
            assert max(where[n][0] for n in before) < min(where[n][0] for n in after)
            assert abs(where[before[0]][1] - where[after[0]][1]) < 0.01
        else:  # rows top to bottom (plain's y grows upwards)
            assert min(where[n][1] for n in before) > max(where[n][1] for n in after)
    for part in parts[1:]:  # a later segment starts with where its input comes from
        assert part[0].rsplit("__in", 1)[-1].isdigit()
    assert len(re.findall(r"<I>from [\w.]+</I>", d.source)) >= 2


def test_a_top_level_group_is_never_cut():
    a = netspec.analyze("specs/resnet18.yaml")
    for n in (2, 3, 5, 8):
        d = netspec.diagram(a, wrap=n)
        for part in segments_of(d):
            stages = {r.name.split(".")[0] for r in a.layers if f"L{r.index}" in part}
            for stage in stages & {"layer1", "layer2", "layer3", "layer4"}:
                inside = {f"L{r.index}" for r in a.layers if r.name.startswith(stage + ".")}
                assert inside <= set(part), (n, stage)


def test_one_column_has_no_stubs():
    source = netspec.diagram("specs/resnet18.yaml", wrap=1).source
    assert "__in" not in source.replace("__input__", "") and "rank=same" not in source


# -- the resolution and Graphviz's size limit ---------------------------------------------------

def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@needs_dot
def test_dpi_sets_the_png_resolution():
    small = png_size(netspec.diagram("specs/lenet5.yaml", dpi=72).render("png"))
    large = png_size(netspec.diagram("specs/lenet5.yaml", dpi=216).render("png"))
    assert 2.9 < large[0] / small[0] < 3.1 and 2.9 < large[1] / small[1] < 3.1
    d = netspec.diagram("specs/lenet5.yaml")
    inches = d.size(d.graph)
    drawn = png_size(d.render("png"))  # 144 dpi by default, and 4 points of margin a side
    assert all(abs(px - (side + 8 / 72) * 144) <= 1 for px, side in zip(drawn, inches))


@needs_dot
def test_a_png_over_graphvizs_limit_is_refused_not_shrunk(tmp_path, capsys):
    """resnet152 in full is 64,000 px tall at 144 dpi: Graphviz would scale it to 32,767 and
    exit 0. netspec says how to make it fit instead, and writes nothing."""
    out = tmp_path / "r152.png"
    assert main(["diagram", "specs/resnet152.yaml", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert re.search(r"resnet152 drawn at 144 dpi would be [\d,]+ x [\d,]+ pixels, more than "
                     r"the 32,767 a side", err), err
    assert "--depth 1 or 2" in err and ".svg or .pdf" in err and not out.exists()
    dpi = int(re.search(r"--dpi (\d+) or less", err).group(1))
    d = netspec.diagram("specs/resnet152.yaml", dpi=dpi)
    assert max(png_size(d.render("png"))) <= backend.MAX_PIXELS  # the advice works
    assert main(["diagram", "specs/resnet152.yaml", "--depth", "2", "-o", str(out)]) == 0
    assert max(png_size(out.read_bytes())) <= backend.MAX_PIXELS


def test_the_guard_reads_the_layout_size(monkeypatch):
    d = netspec.diagram("specs/lenet5.yaml", dpi=100)
    monkeypatch.setattr(backend.Diagram, "size", staticmethod(lambda graph: (3.0, 400.0)))
    monkeypatch.setattr(backend.shutil, "which", lambda name: "/usr/bin/dot")
    with pytest.raises(UsageError, match=r"311 x 40,011 pixels.*--dpi 81 or less"):
        d.render("png")


def test_cli_options(tmp_path, capsys):
    out = tmp_path / "r.dot"
    assert main(["diagram", "specs/resnet50.yaml", "--depth", "1", "--no-shapes", "--no-params",
                 "--wrap", "2", "-o", str(out)]) == 0
    assert "in 2 columns" in capsys.readouterr().out
    text = out.read_text()
    assert "layer1: bottleneck_down" in text and "params<" not in text and 'label=" ' not in text
    assert main(["diagram", "specs/lenet5.yaml", "--dpi", "300", "-o", str(tmp_path / "x.svg")]) \
        == 2
    assert "--dpi applies to .png files only; x.svg is a vector drawing" in capsys.readouterr().err
    for argv, message in [(["--dpi", "10", "-o", str(tmp_path / "x.png")], "10 is not from 36"),
                          (["--depth", "0", "-o", str(out)], "0 is not from 1"),
                          (["--wrap", "two", "-o", str(out)], "neither auto nor a whole")]:
        with pytest.raises(SystemExit) as done:  # argparse's own errors
            main(["diagram", "specs/lenet5.yaml", *argv])
        assert done.value.code == 2 and message in capsys.readouterr().err
