"""netspec's memory model against what PyTorch keeps and allocates, measured on CPU
(tests/analysis/memory_oracle.py): every spec of the zoo, every kind, every optimizer, and mixed
precision. Each term and each total within 5% (today they agree to the byte)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import netspec
from netspec.layers.registry import KINDS
from netspec.reading import zoo
from tests.zoo import EVERY_SPEC, zoo_id

torch = pytest.importorskip("torch")
oracle = pytest.importorskip("tests.analysis.memory_oracle")

CLOSE = 0.05


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Small tensors: one thread is several times faster than two on a shared machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def check(a: netspec.Analysis, optimizer: str = "adam") -> None:
    """Each training term, the training total and the inference peak, real against predicted."""
    model = netspec.compile_model(a)
    real = oracle.measure_training(model, a.input_shape, optimizer)
    peak = oracle.measure_inference(model, a.input_shape)
    m = a.memory(oracle.BATCH, optimizer=optimizer)
    predicted = {"saved": m.saved, "params": m.params, "state": m.state,
                 "gradients": m.gradients, "optimizer": m.optimizer, "total": m.training,
                 "inference peak": m.inference_peak}
    measured = real._asdict() | {"total": real.total, "inference peak": peak}
    wrong = {k: (measured[k], v) for k, v in predicted.items()
             if measured[k] != pytest.approx(v, rel=CLOSE)}
    assert not wrong, f"{a.name}: real, predicted bytes: {wrong}"


@pytest.mark.slow
@pytest.mark.parametrize("path", EVERY_SPEC, ids=zoo_id)
def test_the_zoo_keeps_what_netspec_predicts(path: Path) -> None:
    """At batch 2; a spec too costly to run here is measured at a smaller input, which the
    checker predicts as well."""
    check(netspec.analyze(oracle.measurable(path)))


# One spec per kind and per way a kind keeps something different, after a layer `lead` that
# learns, so that a gradient flows through the kind (a layer on the input alone keeps nothing).
KIND_SPECS = {
    "conv": ("[3, 8, 8]", "- conv: {filters: 4, kernel: 3}"),
    "conv+relu6": ("[3, 8, 8]", "- conv: {filters: 4, kernel: 3, activation: relu6}"),
    "conv+sigmoid": ("[3, 8, 8]", "- conv: {filters: 4, kernel: 3, activation: sigmoid}"),
    "conv, same padding of an even kernel": ("[3, 8, 8]",
                                             "- conv: {filters: 4, kernel: 2, padding: same, "
                                             "activation: relu}"),
    "conv1d": ("[3, 16]", "- conv: {filters: 4, kernel: 3}"),
    "conv3d": ("[3, 4, 8, 8]", "- conv: {filters: 4, kernel: 3}"),
    "depthwise_conv": ("[4, 8, 8]", "- depthwise_conv: {kernel: 3, padding: 1}"),
    "separable_conv": ("[4, 8, 8]", "- separable_conv: {filters: 6, kernel: 3, padding: 1, "
                                    "activation: gelu}"),
    "conv_transpose": ("[3, 8, 8]", "- conv_transpose: {filters: 4, kernel: 2, stride: 2, "
                                    "activation: tanh}"),
    "dense": ("[12]", "- dense: {units: 5, activation: softmax}"),
    "maxpool": ("[3, 8, 8]", "- maxpool: 2"),
    "maxpool, one-sided padding": ("[3, 8, 8]", "- maxpool: {kernel: 2, stride: 1, "
                                                "padding: same}"),
    "maxpool1d": ("[3, 8]", "- maxpool: 2"),
    "maxpool3d": ("[3, 4, 8, 8]", "- maxpool: 2"),
    "avgpool": ("[3, 8, 8]", "- avgpool: 2"),
    "global_avgpool": ("[3, 8, 8]", "- global_avgpool"),
    "adaptive_avgpool": ("[3, 7, 7]", "- adaptive_avgpool: 3"),
    "adaptive_avgpool to 1": ("[3, 7, 7]", "- adaptive_avgpool: 1"),
    "batchnorm": ("[3, 8, 8]", "- batchnorm"),
    "batchnorm, flat": ("[6]", "- batchnorm: {affine: false}"),
    "lrn": ("[6, 8, 8]", "- lrn: 5"),
    "lrn, even size": ("[6, 8]", "- lrn: 4"),
    "layernorm": ("[6, 8, 8]", "- layernorm"),
    "layernorm, flat": ("[6]", "- layernorm"),
    "layer_scale": ("[6, 8, 8]", "- layer_scale"),
    "dropout": ("[6, 8, 8]", "- dropout: 0.5"),
    "stochastic_depth": ("[6, 8, 8]", "- stochastic_depth: 0.5"),
    "stochastic_depth, batch": ("[6, 8, 8]", "- stochastic_depth: {rate: 0.5, mode: batch}"),
    "flatten": ("[6, 8, 8]", "- flatten\n  - dense: 3"),
    "channel_shuffle": ("[6, 8, 8]", "- channel_shuffle: 2"),
    "upsample": ("[3, 8, 8]", "- upsample: 2"),
    "upsample, bilinear": ("[3, 8, 8]", "- upsample: {scale: 2, mode: bilinear}"),
    "zero_pad": ("[3, 8, 8]", "- zero_pad: 1"),
    "prelu": ("[3, 8, 8]", "- prelu: {per_channel: true}"),
    "add of three": ("[3, 8, 8]", "- conv: {filters: 3, kernel: 1, name: b, input: input}\n"
                                  "  - add: [lead, b, lead]"),
    "multiply": ("[3, 8, 8]", "- conv: {filters: 3, kernel: 1, name: b, input: input}\n"
                              "  - multiply: [lead, b]\n  - relu"),
    "multiply by the input": ("[4, 8, 8]", "- multiply: [lead, input]"),
    "concat": ("[3, 8, 8]", "- conv: {filters: 2, kernel: 1, name: b, input: input}\n"
                            "  - concat: [lead, b]"),
    "split": ("[4, 8, 8]", "- split: {parts: 2, name: s}\n  - conv: {filters: 2, kernel: 1, "
                           "input: s.1, name: c}\n  - concat: [s.0, c]"),
    "crop": ("[4, 8, 8]", "- conv: {filters: 4, kernel: 3, name: small}\n"
                          "  - crop: [lead, small]\n  - add: [small, crop1]"),
    # activations in place (netspec.analysis.inplace) and beside them, out of place
    "dense+leaky_relu, in place": ("[12]", "- dense: {units: 5, activation: leaky_relu}"),
    "relu after a leaky relu in place": ("[3, 8, 8]", "- leaky_relu\n  - relu"),
    "relu after an add": ("[3, 8, 8]", "- add: [lead, input]\n  - relu"),
    "relu whose input is read again": ("[3, 8, 8]", "- relu\n  - add: [relu1, lead]"),
} | {k: ("[3, 8, 8]", f"- {k}") for k in sorted(KINDS) if KINDS[k].is_activation
     and k != "prelu"}


def kind_spec(case: str) -> str:
    shape, layers = KIND_SPECS[case]
    channels = shape.strip("[]").split(",")[0]
    lead = ("conv: {filters: %s, kernel: 1" if "," in shape else "dense: {units: %s") % channels
    return f"name: {case}\ninput: {shape}\nlayers:\n  - {lead}, name: lead}}\n  {layers}\n"


def test_every_kind_is_measured() -> None:
    used = {node.layer.kind for c in KIND_SPECS for node in netspec.analyze(
        kind_spec(c)).network.nodes}
    assert used == set(KINDS), set(KINDS) - used


@pytest.mark.parametrize("case", KIND_SPECS)
def test_each_kind_keeps_what_it_says(case: str) -> None:
    check(netspec.analyze(kind_spec(case)))


def test_a_layer_no_gradient_reaches_keeps_nothing() -> None:
    """A pool and a relu on the network's input record nothing; the conv after them keeps its
    input, the relu's output, which is the pool's storage (the relu runs in place)."""
    a = netspec.analyze("input: [3, 8, 8]\nlayers:\n  - maxpool: 2\n  - relu\n"
                        "  - conv: {filters: 2, kernel: 1}\n")
    assert a.in_place == {"relu1"}
    assert a.saved_by_layer(2) == {"input": 0, "maxpool1": 2 * 3 * 16 * 4, "relu1": 0,
                                   "conv1": 0}
    check(a)


@pytest.mark.parametrize("optimizer", list(oracle.OPTIMIZERS))
def test_each_optimizer_keeps_its_state(optimizer: str) -> None:
    """sgd keeps nothing, momentum a buffer per parameter, adam and adamw two and a step."""
    check(netspec.analyze("lenet5"), optimizer)


@pytest.mark.parametrize("spec", ["lenet5", "mnist_cnn", "resnet18"])
def test_mixed_precision_keeps_half_activations_and_half_weight_copies(spec: str) -> None:
    """Under autocast (bfloat16 on CPU) autograd keeps half activations, the float32 batch
    statistics, int64 indices, and the half copies of the weights that convolutions and matrix
    products were cast to; the parameters stay float32."""
    a = netspec.analyze(oracle.measurable(zoo.find(spec)))
    model = netspec.compile_model(a).train()
    own = {p.untyped_storage().data_ptr() for p in [*model.parameters(), *model.buffers()]}
    saved: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        s = t.untyped_storage()
        if s.data_ptr() not in own:
            saved[s.data_ptr()] = s.nbytes()
        return t

    x = torch.randn(oracle.BATCH, *a.input_shape)
    with torch.autocast("cpu", dtype=torch.bfloat16), torch.autograd.graph.saved_tensors_hooks(
            pack, lambda t: t):
        model(x)
    m = a.memory(oracle.BATCH, "bfloat16")
    assert sum(saved.values()) == pytest.approx(m.saved + m.weight_copies, rel=CLOSE)
    assert m.params == 4 * a.total_params  # float32 master weights
