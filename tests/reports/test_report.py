"""Reports are views of one analysis: every format carries the same figures."""
import csv
import io
import json
import sys
from pathlib import Path

import pytest

import netspec
from netspec.cli import main
from netspec.core.errors import UsageError
from netspec.reports import render

JSON_KEYS = {"name", "input_shape", "output_shape", "total_params", "trainable_params",
             "total_weights", "total_activations", "total_macs", "layers"}
LAYER_KEYS = {"name", "kind", "output_shape", "params", "weights", "biases", "activations",
              "macs"}


@pytest.fixture(scope="module")
def vgg():
    return netspec.analyze("specs/vgg16.yaml")


def test_json_contract(vgg):
    d = json.loads(render(vgg, "json"))
    assert JSON_KEYS <= d.keys()
    assert all(LAYER_KEYS <= layer.keys() for layer in d["layers"])
    assert d["input_shape"] == [3, 224, 224] and d["output_shape"] == [1000]
    assert d["total_params"] == d["trainable_params"] == 138_357_544
    assert d["total_weights"] == 138_344_128 and d["total_activations"] == 15_237_608
    assert d["layers"][0] == {**d["layers"][0], "name": "conv1", "kind": "conv",
                              "output_shape": [64, 224, 224], "params": 1_792, "weights": 1_728,
                              "biases": 64, "activations": 3_211_264, "macs": 86_704_128}
    assert sum(layer["params"] for layer in d["layers"]) == d["total_params"]


def test_macs_are_per_sample_and_flops_twice(vgg):
    d = vgg.to_dict()
    assert d["total_macs"] == 15_470_264_320  # the commonly quoted 15.5 GMACs of VGG-16
    assert d["total_flops"] == 2 * d["total_macs"]


@pytest.mark.parametrize("batch, dtype, act_bytes", [(1, "float32", 15_237_608 * 4),
                                                     (8, "float16", 15_237_608 * 8 * 2)])
def test_memory_scales_with_batch_and_dtype(vgg, batch, dtype, act_bytes):
    m = vgg.to_dict(batch, dtype)["memory"]
    assert m["activation_bytes"] == act_bytes
    assert m["param_bytes"] == 4 * 138_357_544  # float32 master weights in mixed precision too
    assert m["forward_bytes"] == act_bytes + m["param_bytes"]
    assert m["gradient_bytes"] == m["param_bytes"]
    assert m["optimizer_bytes"] == 2 * m["param_bytes"] + 4 * 32  # Adam: 2 moments, 32 steps
    assert m["training_bytes"] == (m["param_bytes"] + m["state_bytes"] + m["gradient_bytes"]
                                   + m["optimizer_bytes"] + m["saved_bytes"]
                                   + m["weight_copy_bytes"])
    assert m["weight_copy_bytes"] == (0 if dtype == "float32" else 2 * 138_344_128)
    assert m["inference_bytes"] == m["inference_peak_bytes"] + m["param_bytes"]


@pytest.mark.parametrize("optimizer, values", [("sgd", 0), ("momentum", 1), ("adam", 2),
                                               ("adamw", 2)])
def test_the_optimizer_sets_the_state_per_parameter(vgg, optimizer, values):
    m = vgg.to_dict(optimizer=optimizer)["memory"]
    steps = 4 * 32 if optimizer.startswith("adam") else 0
    assert (m["optimizer"], m["optimizer_bytes"]) == (optimizer, values * m["param_bytes"] + steps)


def test_saved_bytes_per_layer_add_up_to_the_total(vgg):
    """Each tensor autograd keeps is its producer's, once: relu outputs, max-pool's input and
    indices; the flatten keeps nothing, a view of the last pool's output."""
    d = vgg.to_dict(batch=8)
    per_layer = {layer["name"]: layer["saved_bytes"] for layer in d["layers"]}
    assert sum(per_layer.values()) + d["memory"]["saved_input_bytes"] == d["memory"][
        "saved_bytes"]
    assert per_layer["conv1"] == 8 * 64 * 224 * 224 * 4  # its relu's output, kept once
    assert per_layer["maxpool1"] == 8 * 64 * 112 * 112 * (4 + 8)  # output and int64 indices
    assert per_layer["flatten1"] == 0


def test_the_command_line_takes_an_optimizer(capsys):
    assert main(["report", "lenet5", "--optimizer", "sgd"]) == 0
    out = capsys.readouterr().out
    assert "training estimate (sgd): " in out and "optimizer state 0 B" in out
    with pytest.raises(SystemExit) as e:
        main(["report", "lenet5", "--optimizer", "lion"])
    assert e.value.code == 2 and "invalid choice: 'lion'" in capsys.readouterr().err


def test_an_unknown_optimizer_is_a_usage_error(vgg):
    with pytest.raises(UsageError, match="unknown optimizer 'lion'; one of sgd, momentum"):
        vgg.report(optimizer="lion")


@pytest.mark.parametrize("n, text", [(0, "0 B"), (1023, "1,023 B"), (1024, "1.00 KiB"),
                                     (15_237_608 * 4, "58.13 MiB"), (5 * 2**40, "5.00 TiB"),
                                     (3 * 2**50, "3.00 PiB"), (2**50 * 12_345, "1.2e+04 PiB")])
def test_bytes_in_binary_units_and_absurd_sizes_stay_short(n, text):
    from netspec.reports.summary import human

    assert human(n) == text


def test_batchnorm_state_is_shown_apart():
    a = netspec.analyze("input: [3, 8, 8]\nlayers:\n  - conv: {filters: 4, kernel: 3}\n"
                        "  - batchnorm\n")
    bn = a.layers[1]
    assert (bn.weights, bn.biases, bn.state) == (4, 4, 8)
    assert a.total_params == 3 * 9 * 4 + 4 + 8 and a.to_dict()["non_trainable_state"] == 8
    assert "non-trainable state: 8" in str(a)


def test_csv_rows(vgg):
    rows = list(csv.DictReader(io.StringIO(render(vgg, "csv"))))
    assert rows[0]["name"] == "input" and rows[0]["activations"] == "150528"
    assert sum(int(r["params"]) for r in rows) == 138_357_544


def test_markdown_and_notebook_html(vgg):
    md = render(vgg, "markdown")
    assert "| 1 | conv1 | conv 64 3x3 /1 p1 +relu | 64x224x224 | 3 | 3,211,264 |" in md
    html = vgg._repr_html_()
    assert html.startswith("<div") and "138,357,544" in html and "<table>" in html


def test_table_states_conventions(vgg):
    text = render(vgg, "table")
    assert "FLOPs = 2 x MACs" in text and "weights exclude biases" in text


def test_report_cli_formats(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["report", "specs/lenet5.yaml", "--format", "json", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["total_params"] == 61_706
    assert main(["report", "specs/lenet5.yaml", "--batch", "4", "--dtype", "bfloat16"]) == 0
    assert "forward memory (batch 4, bfloat16)" in capsys.readouterr().out


def test_check_json_output(capsys):
    assert main(["check", "--format", "json", "examples/ragged_stride3.yaml"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert result["valid"] and result["diagnostics"][0]["severity"] == "warning"
    assert result["diagnostics"][0]["line"] == 6


# --- the CSV: per-layer rows only, so that a column sums to the total


COUNTS = ("activations", "weights", "biases", "params", "macs")
TOTALS = {"activations": "total_activations", "weights": "total_weights",
          "biases": "total_biases", "params": "total_params", "macs": "total_macs"}
ROOT = Path(__file__).resolve().parents[2]
ZOO = sorted(ROOT.glob("specs/*.yaml")) + [ROOT / "examples" / "three_3x3.yaml"]


@pytest.mark.parametrize("depth", [None, 1, 2])
@pytest.mark.parametrize("path", ZOO, ids=lambda p: p.stem)
def test_csv_columns_sum_to_the_totals(path, depth):
    """Summing any count column over the CSV's rows gives the report's total, at any depth
    (the subtotal rows are in the other formats only)."""
    a = netspec.analyze(path)
    totals = a.to_dict()
    rows = list(csv.DictReader(io.StringIO(render(a, "csv", depth=depth))))
    assert not any(r["name"].startswith("=") for r in rows)
    for column in COUNTS:
        assert sum(int(r[column]) for r in rows) == totals[TOTALS[column]], column


def test_csv_in_pandas():
    pandas = pytest.importorskip("pandas")
    a = netspec.analyze("specs/resnet18.yaml")
    df = pandas.read_csv(io.StringIO(render(a, "csv")))
    assert df.params.sum() == 11_689_512 == a.total_params
    assert df.macs.sum() == a.total_macs and df.activations.sum() == a.total_activations
    assert "subtotal" not in " ".join(df.layer) and "subtotal" in render(a, "table")


# --- the Python face: repr, str, report(), to_dataframe()


def test_repr_is_one_line_and_str_the_table(vgg):
    assert repr(vgg) == "<Analysis VGG-16: 3x224x224 -> 1000, 24 layers, 138,357,544 params>"
    assert str(vgg) == vgg.report() == render(vgg, "table")


def test_report_takes_a_format_and_a_depth(capsys):
    a = netspec.analyze("specs/resnet18.yaml")
    assert main(["report", "specs/resnet18.yaml", "--depth", "1", "--format", "markdown"]) == 0
    assert capsys.readouterr().out == a.report("markdown", depth=1) + "\n"
    assert "| 5-18 | layer1 | 14 layers |" in a.report("markdown", depth=1)
    with pytest.raises(netspec.api.UsageError, match="unknown report format 'xml'"):
        a.report("xml")


def test_to_dataframe(vgg):
    pytest.importorskip("pandas")
    df = vgg.to_dataframe()
    assert list(df.columns) == list(vgg.layers[0].to_dict())
    assert len(df) == 24 and df.params.sum() == vgg.total_params
    assert df.loc[0, "output_shape"] == (64, 224, 224) and df.loc[0, "name"] == "conv1"


def test_to_dataframe_without_pandas_names_the_extra(vgg, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now fails
    with pytest.raises(ImportError, match=r"pip install 'netspec\[pandas\]'"):
        vgg.to_dataframe()


# --- the file's format from its suffix


@pytest.mark.parametrize("name, argv, check", [
    ("r.json", [], lambda t: json.loads(t)["total_params"] == 61_706),
    ("r.csv", [], lambda t: t.startswith("index,name,layer")),
    ("r.md", [], lambda t: t.startswith("### LeNet-5")),
    ("r.html", [], lambda t: t.startswith("<!DOCTYPE html>")),
    ("r.txt", [], lambda t: t.startswith("LeNet-5: input 1x32x32")),
    ("r.json", ["--format", "csv"], lambda t: t.startswith("index,")),  # --format wins
])
def test_the_suffix_picks_the_format(tmp_path, name, argv, check):
    out = tmp_path / name
    assert main(["report", "lenet5", "-o", str(out), *argv]) == 0
    assert check(out.read_text())


@pytest.mark.parametrize("name", ["r.xlsx", "report"])
def test_a_suffix_that_names_no_format_is_a_usage_error(tmp_path, capsys, name):
    assert main(["report", "lenet5", "-o", str(tmp_path / name)]) == 2
    assert "cannot tell the format from" in capsys.readouterr().err
    assert not (tmp_path / name).exists()
    assert main(["report", "lenet5", "-o", str(tmp_path / name), "--format", "csv"]) == 0


# --- JSON: the contract's version


def test_json_reports_carry_the_format_version(tmp_path, capsys):
    from netspec.reports import FORMAT_VERSION

    assert netspec.analyze("specs/lenet5.yaml").to_dict()["format_version"] == FORMAT_VERSION == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [1, 8, 8]\nlayers:\n  - conv: {filters: 2, kernel: 9}\n")
    assert main(["report", str(bad), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["format_version"] == FORMAT_VERSION


def test_report_json_doc_lists_every_key():
    """docs/report-json.md documents each top-level key the report writes."""
    doc = (ROOT / "docs" / "report-json.md").read_text()
    for key in netspec.analyze("specs/lenet5.yaml").to_dict():
        assert f"`{key}`" in doc, key
