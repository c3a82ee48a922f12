"""Reports are views of one analysis: every format carries the same figures."""
import csv
import io
import json

import pytest

import netspec
from netspec.cli import main
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
    assert m["forward_bytes"] == act_bytes + m["param_bytes"]
    assert m["training_bytes"] == m["forward_bytes"] + 3 * m["param_bytes"]


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


def test_markdown_and_html(vgg):
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
