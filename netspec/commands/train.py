"""Train the compiled spec and report its figure on the test split.

The task is the spec's `train: {task: ...}`, --task, or what the output's shape says: classify
(output (classes,)), reconstruct (output = input: an autoencoder, loss mse or bce) or segment
(per-pixel classes, output (classes, H, W)). Without --data it trains on scikit-learn's bundled
digits (1,797 8x8 images, 10 classes), resized to the spec's input, to classify or reconstruct,
and on generated shapes to segment; a fixed 80/20 split (stratified by class), a tenth of the
training part held out to score each epoch (--validation). --data takes a .npz with arrays x
(N, *input shape) and y (N,) integer labels (or label maps, to segment; no y to reconstruct),
or a folder with one subfolder of images per class. --crop, --flip, --rotate and --scale
augment the training batches. Under torchrun (WORLD_SIZE > 1) every process trains a
DistributedDataParallel replica on its share of the data; rank 0 prints and saves. Progress
goes to standard error from the first second on; the summary to standard output, whose last
line is the test figure (accuracy, pixel accuracy or reconstruction error).
"""
from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from ..analysis.tasks import TASKS, default_loss, default_task, loss_problem, task_problem
from ..core.errors import UsageError
from ..core.shapes import fmt_shape
from .common import add_device, add_spec, add_strict, load_analysis, output_path

if TYPE_CHECKING:
    from pathlib import Path

    from ..api import Analysis
    from ..backends.training.data import Data
    from ..backends.training.loop import Options, Result, World
    from ..backends.training.tasks import Task

T = TypeVar("T", int, float)
HELP = ("train the compiled model to classify, segment or reconstruct (default data: "
        "scikit-learn's digits, generated shapes) and report its test figure")
CHECKPOINT_SUFFIXES = (".pt", ".pth")
EXAMPLES = "  netspec train lenet5 --epochs 5 -o lenet5.pt    # digits by default; --data my.npz"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_spec(p)
    p.add_argument("--data", metavar="PATH",
                   help="a .npz with x and y, or a folder of class subfolders of images "
                        "(default: scikit-learn's digits, resized to the spec's input; "
                        "generated shapes to segment)")
    p.add_argument("--task", choices=TASKS,
                   help="what to train the network to do (default: the spec's `train: task`, "
                        "else what the output's shape says: (classes,) classify, the input's "
                        "shape reconstruct, (classes, H, W) segment)")
    p.add_argument("--loss", choices=("cross_entropy", "mse", "bce"),
                   help="cross_entropy to classify or segment; mse or bce to reconstruct "
                        "(default: the spec's `train: loss`, else bce after a final sigmoid, "
                        "else mse)")
    # 12 epochs of batches of 16 with Adam, cosine-decayed: on digits 95.5%+ for LeNet-5 (seeds
    # 0-9) and 97%+ for the MNIST lab CNN (seeds 0-4), with as many steps as 24 epochs of 32 for
    # half the compute, which keeps the lab CNN under 2 minutes on 2 busy CPU cores
    # (docs/training.md, Timings)
    p.add_argument("--epochs", type=_count, default=12, metavar="N", help="default 12")
    p.add_argument("--batch-size", type=_count, default=16, metavar="N",
                   help="per process (default 16)")
    p.add_argument("--lr", type=_rate, metavar="F",
                   help="learning rate (default 0.001 for adam, 0.01 for sgd)")
    p.add_argument("--optimizer", choices=("adam", "sgd"), default="adam",
                   help="adam, or sgd with momentum 0.9 (default adam)")
    p.add_argument("--schedule", choices=("cosine", "constant"), default="cosine",
                   help="learning rate per epoch: cosine from --lr down to 0, or constant "
                        "(default cosine)")
    p.add_argument("--seed", type=_seed, default=0, metavar="N",
                   help="seeds weights, shuffling and augmentation; runs with one seed on the "
                        "CPU are identical (default 0)")
    p.add_argument("--validation", type=_fraction, default=0.1, metavar="F",
                   help="share of the training split held out to score each epoch (default "
                        "0.1; 0: none)")
    augment = p.add_argument_group("augmentation (training batches only; default none)")
    augment.add_argument("--crop", type=_pixels, default=0, metavar="PIXELS",
                         help="pad each image with zeros and crop it back at a random place: "
                              "a shift of up to PIXELS (torchvision's RandomCrop(padding=))")
    augment.add_argument("--flip", action="store_true",
                         help="mirror half the images left to right")
    augment.add_argument("--rotate", type=_degrees, default=0.0, metavar="DEGREES",
                         help="rotate each image by up to DEGREES either way")
    augment.add_argument("--scale", type=_scale, default=0.0, metavar="F",
                         help="scale each image by a factor from 1-F to 1+F")
    add_device(p)
    add_strict(p)
    p.add_argument("-o", "--output", metavar="CHECKPOINT.pt",
                   help="save the trained state_dict here (torch.save)")


def run(args: argparse.Namespace) -> int:
    _check_libraries(args.data)
    checkpoint = output_path(args.output, CHECKPOINT_SUFFIXES, args.spec) if args.output else None
    analysis = load_analysis(args.spec, args.strict)
    from ..backends.training.augment import Augmentation
    from ..backends.training.data import load_data
    from ..backends.training.loop import (
        Options,
        World,
        distributed,
        save_checkpoint,
        train,
    )

    world = World.from_env()
    task = _task(analysis, args.task, args.loss)
    augmentation = Augmentation(args.crop, args.flip, args.rotate, args.scale)
    augmentation.check(analysis.input_shape)
    if world.is_main:  # what takes the first seconds: importing torch and reading the data
        default = "generated shapes" if task.name == "segment" else "digits (scikit-learn)"
        print(f"loading data: {args.data or default}", file=sys.stderr, flush=True)
    data = load_data(args.data, analysis.input_shape, analysis.output_shape, args.validation,
                     task.name, label_positions(analysis))
    options = Options(args.epochs, args.batch_size, args.lr, args.optimizer, args.seed,
                      args.device, args.schedule, augmentation, task)
    with distributed(world, args.device):
        model, result = train(analysis, data, options, world)
        if world.is_main:
            if checkpoint:
                save_checkpoint(model, checkpoint)
            print(_summary(analysis, data, options, world, result, checkpoint))
    return 0


def _task(analysis: Analysis, task: str | None, loss: str | None) -> Task:
    """The task and loss: the flag's, else the spec's ``train:``, else the output's default.
    One that does not fit the output is a usage error (the spec's own the check reported)."""
    from ..backends.training.tasks import Task

    spec = analysis.network.train
    name = task or (spec.task if spec else None) or default_task(analysis.input_shape,
                                                                 analysis.output_shape)
    if name is None:
        raise UsageError(
            f"train cannot tell the task from the output {fmt_shape(analysis.output_shape)} "
            f"(input {fmt_shape(analysis.input_shape)}): it is not (classes,), the input's "
            f"shape, nor (classes, ...) over the input's spatial axes; see --task")
    problem = task_problem(name, analysis.input_shape, analysis.output_shape)
    if problem:
        raise UsageError(f"--task {name}: {problem}")
    chosen = loss or (spec.loss if spec and not task else None) or default_loss(
        name, analysis.network)
    last = analysis.layers[-1]
    found = loss_problem(chosen, name, analysis.network, f"{last.name}, {last.label}")
    if found:
        raise UsageError(f"--loss {chosen}: {found[0]}; {found[1]}")
    return Task(name, chosen)


def label_positions(analysis: Analysis) -> list[list[int]]:
    """Per spatial axis of the output, the input position each output position is labelled
    from: the centre of its receptive field (start + i * jump + (size - 1) / 2), within the
    input. A same-padded map labels each position from itself, a valid one (U-Net) from the
    centre crop, a strided one from every jump-th position."""
    last, spatial = analysis.layers[-1], analysis.output_shape[1:]
    if len(spatial) != len(analysis.input_shape) - 1 or not last.receptive_field:
        return []
    return [[min(n - 1, max(0, math.floor(start + i * jump + (size - 1) / 2)))
             for i in range(out)]
            for out, n, size, jump, start in zip(spatial, analysis.input_shape[1:],
                                                 last.receptive_field, last.jump,
                                                 last.field_start)]


def _summary(analysis: Analysis, data: Data, options: Options, world: World, result: Result,
             checkpoint: Path | None) -> str:
    """A few lines for people and logs, among them the test figure without learning; the last
    one is always the test figure (accuracy, pixel accuracy or reconstruction error)."""
    task = options.task
    processes = f" x {world.size} processes" if world.size > 1 else ""
    epochs = f"{options.epochs} epoch{'s' if options.epochs != 1 else ''}"
    held = f" / {len(data.y_val):,} validation" if len(data.y_val) else ""
    scored = (f", validation {task.figure} {task.show(result.val_score)}"
              if result.val_score is not None else "")
    baseline, how = task.baseline(data)
    augmentation = options.augmentation
    lines = [
        f"{analysis.name}: {analysis.total_params:,} parameters, trained on {data.source} "
        f"({data.note}): {len(data.y_train):,} train{held} / {len(data.y_test):,} test samples",
        f"{epochs}, batch {options.batch_size}{processes}, {options.optimizer} "
        f"lr {options.learning_rate:g} {options.schedule}, seed {options.seed}, "
        f"on {result.device}: {result.seconds:.1f} s, {result.samples_per_s:,.0f} samples/s",
        f"augmentation: {augmentation.describe()}"
        + (" (training batches only)" if augmentation.active else ""),
        f"task: {task.name}; loss: {result.loss}; loss {result.first_loss:.4f} in the first "
        f"epoch, {result.train_loss:.4f} in the last, train {task.figure} "
        f"{task.show(result.train_score)}{scored}",
        f"without learning ({how}): test {task.figure} {task.show(baseline)}",
    ]
    if checkpoint:
        lines.append(f"checkpoint: {checkpoint} (state_dict)")
    lines.append(f"test {task.figure} {task.show(result.test_score)}")
    return "\n".join(lines)


def _count(text: str) -> int:
    return _bounded(text, int, 1, 1_000_000, "a whole number")


def _fraction(text: str) -> float:
    return _bounded(text, float, 0, 0.9, "a number")


def _pixels(text: str) -> int:
    return _bounded(text, int, 0, 1_000, "a whole number")


def _degrees(text: str) -> float:
    return _bounded(text, float, 0, 180, "a number")


def _scale(text: str) -> float:
    return _bounded(text, float, 0, 0.9, "a number")


def _seed(text: str) -> int:
    return _bounded(text, int, 0, 2**32 - 1, "a whole number")


def _rate(text: str) -> float:
    value = _bounded(text, float, 0, 10, "a number")  # NaN and infinity fail the range too
    if value == 0:
        raise argparse.ArgumentTypeError("the learning rate must be above 0")
    return value


def _bounded(text: str, kind: Callable[[str], T], low: float, high: float, what: str) -> T:
    """Parse and range-check an option value as an argparse error (exit 2, usage shown)."""
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{value} is not from {low:,} to {high:,}")
    return value


def _check_libraries(data: str | None) -> None:
    """Digits need scikit-learn, image folders pillow; said before any work."""
    from pathlib import Path

    from ..backends import require

    require("training", "train", ["torch", "numpy", "tqdm"]
            + (["sklearn"] if data is None else [])
            + (["PIL"] if data is not None and Path(data).is_dir() else []))
