"""What `netspec train` can train a network to do, judged from its output's shape: classify
(one score per class), segment (a score per class at every position: per-pixel classes) or
reconstruct (the output has the input's shape: an autoencoder), and which losses fit each.

The rules live here, below the backends, so that `netspec check` reports a `train:` setting
that does not fit the output as a located error, and `netspec train` refuses a ``--task`` or
``--loss`` that does not fit with the same words.
"""
from __future__ import annotations

from ..core.codes import declare
from ..core.errors import Diagnostic
from ..core.shapes import Shape, fmt_shape
from ..graph.network import Network
from .result import LayerRecord

TASKS = ("classify", "segment", "reconstruct")
LOSSES = {"classify": ("cross_entropy",), "segment": ("cross_entropy",),
          "reconstruct": ("mse", "bce")}

TASK_OUTPUT = declare(
    "NS505", "task-output", "the training task does not fit the network's output",
    "`train: {task: ...}` says how `netspec train` trains the network: `classify` needs an "
    "output of one score per class, (classes,); `segment` a score per class at every position, "
    "(classes, H, W) with the input's number of spatial axes; `reconstruct` an output of the "
    "input's shape (an autoencoder).",
    "input: [1, 28, 28]\nlayers:\n  - flatten\n  - dense: 10\ntrain: {task: segment}\n")
LOSS_TASK = declare(
    "NS506", "loss-task", "the training loss does not fit the task or the output",
    "Classifying and segmenting train with `cross_entropy`; reconstructing with `mse` or `bce` "
    "(binary cross-entropy), and `bce` compares probabilities: the network must end in a "
    "sigmoid.",
    "input: [1, 8, 8]\nlayers:\n  - conv: {filters: 1, kernel: 3, padding: 1}\n"
    "train: {task: reconstruct, loss: bce}\n")


def task_problem(task: str, input_shape: Shape, output_shape: Shape) -> str | None:
    """Why ``task`` cannot train a network of these shapes; None when it can."""
    out = fmt_shape(output_shape)
    if task == "classify" and (len(output_shape) != 1 or output_shape[0] < 2):
        return f"classify needs an output of one score per class, (classes,) with at least " \
               f"2 classes; the output is {out}"
    if task == "segment" and (len(output_shape) != len(input_shape) or len(output_shape) < 2
                              or output_shape[0] < 2):
        return f"segment needs a score per class at every position: an output (classes, ...) " \
               f"with at least 2 classes and {len(input_shape) - 1} spatial axes, as the " \
               f"input {fmt_shape(input_shape)} has; the output is {out}"
    if task == "reconstruct" and tuple(output_shape) != tuple(input_shape):
        return f"reconstruct needs an output of the input's shape {fmt_shape(input_shape)}; " \
               f"the output is {out}"
    return None


def default_task(input_shape: Shape, output_shape: Shape) -> str | None:
    """The task an output's shape means: scores per class, the input again, or a map of
    scores per class; None when it says none of these."""
    for task in ("classify", "reconstruct", "segment"):
        if task_problem(task, input_shape, output_shape) is None:
            return task
    return None


def loss_problem(loss: str, task: str, network: Network, last_label: str
                 ) -> tuple[str, str] | None:
    """Why ``loss`` cannot train ``task`` on this network, and a hint; None when it can.
    ``last_label``: how the network's last layer is shown (``conv1, conv 1 3x3 /1 p1``)."""
    if loss not in LOSSES[task]:
        return (f"{task} trains with {' or '.join(LOSSES[task])}, not {loss}",
                f"use {' or '.join(LOSSES[task])}")
    if loss == "bce" and not ends_in_probabilities(network):
        return (f"bce compares probabilities, but the network does not end in a sigmoid (its "
                f"last layer is {last_label})",
                "end the last layer with `activation: sigmoid`, or use mse")
    return None


def default_loss(task: str, network: Network) -> str:
    """cross_entropy for classes; for reconstruction bce after a sigmoid, else mse."""
    if task != "reconstruct":
        return "cross_entropy"
    return "bce" if ends_in_probabilities(network) else "mse"


def ends_in_probabilities(network: Network) -> bool:
    activation = network.nodes[-1].layer.trailing_activation()
    return activation is not None and activation.independent_probabilities


def training_settings(network: Network, records: list[LayerRecord]) -> list[Diagnostic]:
    """The errors of a ``train:`` setting that does not fit the output, at their lines."""
    train = network.train
    if train is None or not records:
        return []
    where = network.train_locations
    task = train.task or default_task(network.input_shape, records[-1].output_shape)
    if train.task is not None:
        wrong = task_problem(train.task, network.input_shape, records[-1].output_shape)
        if wrong:
            return [Diagnostic("error", wrong, where["task"], code=TASK_OUTPUT,
                               details=(f"the last layer is {records[-1].name} "
                                        f"({records[-1].label})",))]
    if train.loss is None or task is None:
        return []
    last = records[-1]
    problem = loss_problem(train.loss, task, network, f"{last.name}, {last.label}")
    return [Diagnostic("error", problem[0], where["loss"], code=LOSS_TASK, hint=problem[1])] \
        if problem else []
