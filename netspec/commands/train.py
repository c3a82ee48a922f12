"""Train the compiled spec as a classifier and report its test accuracy.

Without --data it trains on scikit-learn's bundled digits (1,797 8x8 images, 10 classes),
resized to the spec's input, with a fixed stratified 80/20 split. --data takes a .npz with
arrays x (N, *input shape) and y (N,) integer labels, or a folder with one subfolder of images
per class. Under torchrun (WORLD_SIZE > 1) every process trains a DistributedDataParallel
replica on its share of the data; rank 0 prints and saves. The last line is the test accuracy.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from .common import add_device, add_spec, add_strict, load_analysis, output_path

if TYPE_CHECKING:
    from pathlib import Path

    from ..api import Analysis
    from ..backends.training.data import Data
    from ..backends.training.loop import Options, Result, World

T = TypeVar("T", int, float)
HELP = "train the compiled model (default data: scikit-learn's digits) and report test accuracy"
CHECKPOINT_SUFFIXES = (".pt", ".pth")
EXAMPLES = "  netspec train lenet5 --epochs 5 -o lenet5.pt    # digits by default; --data my.npz"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_spec(p)
    p.add_argument("--data", metavar="PATH",
                   help="a .npz with x and y, or a folder of class subfolders of images "
                        "(default: scikit-learn's digits, resized to the spec's input)")
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
                   help="seeds weights and shuffling; runs with one seed on the CPU are "
                        "identical (default 0)")
    add_device(p)
    add_strict(p)
    p.add_argument("-o", "--output", metavar="CHECKPOINT.pt",
                   help="save the trained state_dict here (torch.save)")


def run(args: argparse.Namespace) -> int:
    _check_libraries(args.data)
    checkpoint = output_path(args.output, CHECKPOINT_SUFFIXES, args.spec) if args.output else None
    analysis = load_analysis(args.spec, args.strict)
    from ..backends.training.data import load_data
    from ..backends.training.loop import (
        Options,
        World,
        distributed,
        save_checkpoint,
        train,
    )

    data = load_data(args.data, analysis.input_shape, analysis.output_shape)
    options = Options(args.epochs, args.batch_size, args.lr, args.optimizer, args.seed,
                      args.device, args.schedule)
    world = World.from_env()
    with distributed(world, args.device):
        model, result = train(analysis, data, options, world)
        if world.is_main:
            if checkpoint:
                save_checkpoint(model, checkpoint)
            print(_summary(analysis, data, options, world, result, checkpoint))
    return 0


def _summary(analysis: Analysis, data: Data, options: Options, world: World, result: Result,
             checkpoint: Path | None) -> str:
    """A few lines for people and logs; the last one is always the test accuracy."""
    processes = f" x {world.size} processes" if world.size > 1 else ""
    lines = [
        f"{analysis.name}: {analysis.total_params:,} parameters, trained on {data.source} "
        f"({data.note}): {len(data.y_train):,} train / {len(data.y_test):,} test samples",
        f"{options.epochs} epochs, batch {options.batch_size}{processes}, {options.optimizer} "
        f"lr {options.learning_rate:g} {options.schedule}, seed {options.seed}, "
        f"on {result.device}: {result.seconds:.1f} s, {result.samples_per_s:,.0f} samples/s",
        f"loss: {result.loss}; last epoch: loss {result.train_loss:.4f}, "
        f"train accuracy {100 * result.train_accuracy:.1f}%",
    ]
    if checkpoint:
        lines.append(f"checkpoint: {checkpoint} (state_dict)")
    lines.append(f"test accuracy {100 * result.test_accuracy:.1f}%")
    return "\n".join(lines)


def _count(text: str) -> int:
    return _bounded(text, int, 1, 1_000_000, "a whole number")


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
