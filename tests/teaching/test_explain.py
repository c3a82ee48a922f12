"""`netspec explain`: the worked solution. The figures asserted are the notes' own (the VGG-16
and AlexNet tables of seed 002, /work/shared/reference.md), written here, not read from
netspec; and over every bundled spec each layer's working ends in the figure the analysis
reports, so a kind's arithmetic and its counts cannot disagree."""
import pytest

import netspec
from netspec.cli import main
from netspec.layers import KINDS
from tests.zoo import EVERY_SPEC, zoo_id


def section(text, title):
    """The lines of a layer's section in the text output, from its title to the next one."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("layer ")),
               len(lines))
    return "\n".join(lines[start:end])


@pytest.fixture(scope="module")
def vgg():
    return str(netspec.explain("specs/vgg16.yaml"))


def test_vgg16_convs_of_the_notes_table(vgg):
    """CONV3-128 on 112x112x64: the seed's (3*3*64)*128 = 73,728 weights, + 128 biases; the
    next one (3*3*128)*128 = 147,456, + 128; memory 112*112*128 = 1.6M."""
    conv3 = section(vgg, "layer 4 'conv3'")
    assert "layer 4 'conv3': conv 128 3x3 /1 p1 +relu, (64, 112, 112) -> (128, 112, 112)" in conv3
    assert "height and width: floor((112 + 2*1 - 3) / 1) + 1 = 112" in conv3
    assert "parameters: (3*3*64 + 1) * 128 = 73,856" in conv3
    assert "activation memory: 128*112*112 = 1,605,632 elements: 6.12 MiB in float32" in conv3
    assert "MACs: 3*3*64 = 576 per output value, times 128*112*112 = 1,605,632 values: " \
           f"{576 * 1_605_632:,}" in conv3
    assert "parameters: (3*3*128 + 1) * 128 = 147,584" in section(vgg, "layer 5 'conv4'")
    assert "height and width: floor((224 + 2*0 - 2) / 2) + 1 = 112" in \
        section(vgg, "layer 3 'maxpool1'")


def test_vgg16_receptive_field_grows_to_the_published_figures(vgg):
    """196 at conv5_3 and 212 at pool5 (the standard VGG-16 figures)."""
    assert "receptive field: height and width: 164 + (3 - 1)*16 = 196, jump 16*1 = 16" in \
        section(vgg, "layer 17 'conv13'")
    assert "receptive field: height and width: 196 + (2 - 1)*16 = 212, jump 16*2 = 32" in \
        section(vgg, "layer 18 'maxpool5'")


def test_vgg16_fc6_and_the_totals(vgg):
    fc6 = section(vgg, "layer 20 'dense1'")
    assert "parameters: (25088 + 1) * 4096 = 102,764,544" in fc6  # 102,760,448 + 4,096
    assert "flatten" in section(vgg, "layer 19 'flatten1'") and \
        "512*7*7 = 25,088 features" in section(vgg, "layer 19 'flatten1'")
    assert "activation memory: none: a view of its input" in section(vgg, "layer 19 'flatten1'")
    assert "  parameters: 138,357,544" in vgg  # 24 layers: the total alone, not a long sum
    assert "  activations (the input's and every new tensor's elements): 15,237,608" in vgg


def test_alexnet_conv1_and_pool1_as_in_the_seed():
    text = str(netspec.explain("specs/alexnet.yaml", ["conv1", "pool1"]))
    assert "height and width: floor((227 + 2*0 - 11) / 4) + 1 = 55" in text  # [55x55x96]
    assert "parameters: (11*11*3 + 1) * 96 = 34,944" in text
    assert "height and width: floor((55 + 2*0 - 3) / 2) + 1 = 27" in text  # [27x27x96]
    assert "totals" not in text  # only some layers: no totals


def test_lenet_totals_are_the_sum_of_the_layers():
    text = str(netspec.explain("specs/lenet5.yaml"))
    assert "parameters: 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706" in text  # the notes'


def test_the_non_tiling_remainder_and_axes_that_differ():
    text = str(netspec.explain("input: [1, 7, 6]\nlayers:\n  - maxpool: 2\n"))
    assert "    height: floor((7 + 2*0 - 2) / 2) + 1 = 3\n" \
           "      (7 + 0 - 2) / 2 + 1 = 3.5, not whole: remainder (7 + 0 - 2) mod 2 = 1, so the " \
           "last 1 row of the input is never visited\n" \
           "    width: floor((6 + 2*0 - 2) / 2) + 1 = 3\n" in text
    seed = str(netspec.explain("examples/ragged_stride3.yaml"))  # seed 001: 2.33 -> 2
    assert "2.33, not whole: remainder (7 + 0 - 3) mod 3 = 1, so the last 1 row and column " \
           "of the input are never visited" in seed
    assert "warning[NS402]" in seed  # the warnings are part of the solution


def test_separable_depthwise_batchnorm_and_pooling_kinds():
    text = str(netspec.explain(
        "input: [32, 14, 14]\nlayers:\n  - separable_conv: {filters: 64, kernel: 3, "
        "padding: 1}\n  - depthwise_conv: {kernel: 3, stride: 2, padding: 1}\n"
        "  - batchnorm\n  - adaptive_avgpool: 3\n  - global_avgpool\n"))
    # by hand: depthwise 3*3*32 = 288 weights, pointwise (32 + 1) * 64 = 2,112
    assert "depthwise: 3*3*1 * 32 = 288 (no biases)" in text
    assert "pointwise: (1*1*32 + 1) * 64 = 2,112" in text and "288 + 2,112 = 2,400" in text
    assert "(3*3*1 + 1) * 64 = 640" in text  # one 3x3 filter and a bias per channel
    assert "a scale and a shift per channel: 2 * 64 = 128" in text
    assert "running mean and variance: 2 * 64 = 128 values of state" in text
    assert "height and width: 7 into 3 cells = 3: cell i averages input cells floor(i*7/3) to " \
           "ceil((i+1)*7/3) - 1: cell 0 reads 0 to 2, cell 1 reads 2 to 4, cell 2 reads 4 to 6" \
        in text  # PyTorch's rule: 7 does not divide by 3, so the cells overlap
    assert "(64, 3, 3) -> (64,): each channel's 3*3 = 9 values averaged to one" in text


@pytest.mark.parametrize("path", EVERY_SPEC, ids=zoo_id)
def test_every_working_ends_in_the_analysis_figures(path):
    """For every layer of every bundled spec: the parameter lines reach the record's count, the
    MAC lines its MACs, and a window's lines each spatial output size."""
    a = netspec.analyze(path)
    e = netspec.explain(a)
    assert [s.record for s in e.layers] == list(a.layers)
    for s in e.layers:
        r, w = s.record, s.working
        assert any(f"{r.params:,}" in line for line in w.params) if r.params else \
            w.params[0].startswith("none")
        assert any(f"{r.macs:,}" in line for line in w.macs) if r.macs else \
            w.macs[0].startswith("none")
        assert w.shape and w.field
        if any(line.startswith(("height", "width", "length", "depth")) for line in w.shape):
            assert all(f"= {o}" in "\n".join(w.shape) for o in r.output_shape[1:]), w.shape


@pytest.mark.parametrize("kind", ["relu", "lrn", "add", "dropout", "softmax"])
def test_kinds_without_arithmetic_get_the_default_working(kind):
    """The default of the layer contract: what a new kind gets until it says more."""
    assert "working" not in vars(KINDS[kind])
    text = {"add": "input: [4, 8, 8]\nlayers:\n  - conv: {filters: 4, kernel: 1, name: a}\n"
                   "  - add: [a, input]\n",
            }.get(kind, f"input: [4, 8, 8]\nlayers:\n  - {kind}\n")
    s = netspec.explain(text).layers[-1]
    assert s.working.shape == ("unchanged: (4, 8, 8) (it acts on each value)",) or \
        s.working.shape == ("(4, 8, 8) and (4, 8, 8) -> (4, 8, 8)",)
    assert s.working.params == ("none",) and s.working.macs == ("none",)
    assert s.working.field[0].startswith("unchanged: ")


def test_markdown_handout_and_notebook_views(capsys, tmp_path):
    assert main(["explain", "specs/lenet5.yaml", "c1", "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("# LeNet-5: worked solution\n")
    assert "## 1. `c1`: conv 6 5x5 /1 p0 +relu" in md
    assert "- **parameters**: (5\\*5\\*1 + 1) \\* 6 = 156" in md  # stars are not emphasis
    e = netspec.explain("specs/lenet5.yaml", ["c1"])
    assert e._repr_markdown_() == md
    assert "<code>(5*5*1 + 1) * 6 = 156</code>" in e._repr_html_()
    out = tmp_path / "lenet.md"
    assert main(["explain", "specs/lenet5.yaml", "--format", "markdown", "-o", str(out)]) == 0
    assert out.read_text().count("\n## ") == 9  # 8 layers and the totals


def test_layers_by_index_and_by_group():
    e = netspec.explain("specs/resnet18.yaml", ["1", "layer2.0"])
    names = [s.record.name for s in e.layers]
    assert names == ["conv1", "layer2.0.conv1", "layer2.0.bn1", "layer2.0.relu", "layer2.0.conv2",
                     "layer2.0.bn2", "layer2.0.downsample.0", "layer2.0.downsample.1",
                     "layer2.0.add1", "layer2.0.relu2"]


def test_an_unknown_layer_is_a_usage_error(capsys):
    assert main(["explain", "specs/resnet18.yaml", "lyer2"]) == 2
    assert "no layer or group 'lyer2' in resnet18; did you mean 'layer2'?" in \
        capsys.readouterr().err


def test_an_invalid_spec_is_exit_1(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [1, 7, 7]\nlayers:\n  - conv: {filters: 8, kernel: 9}\n")
    assert main(["explain", str(bad)]) == 1
    assert "error[NS401]" in capsys.readouterr().err


def test_the_docs_show_what_explain_and_solve_print(capsys):
    """docs/teaching.md's two samples are real output."""
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "teaching.md").read_text()
    sample = re.search(r"\n(layer 4 'conv3'.*?)```", page, re.S).group(1)
    assert sample in str(netspec.explain("specs/vgg16.yaml", ["conv3"]))
    solved = re.search(r"\$ netspec solve (padding .*?)\n(.*?)```", page, re.S)
    assert main(["solve", *solved.group(1).split()]) == 0
    assert capsys.readouterr().out == solved.group(2)
