"""Train a compiled spec to classify, segment or reconstruct (:mod:`.tasks`): one process, or
one per GPU/CPU under torchrun.

The model is netspec's own compiled module (``build_module``), so a checkpoint's ``state_dict``
keys are the spec's layer names and load back into it. The loss always sees logits or
log-probabilities: while training, a final ``Softmax`` passes its input through (cross-entropy
then applies log-softmax itself), a final ``LogSoftmax`` pairs with the negative
log-likelihood, and a final ``Sigmoid`` under binary cross-entropy passes its input through to
``BCEWithLogitsLoss``; the figures are scored on the network's real output.
Under torchrun (``WORLD_SIZE`` > 1) the model is wrapped in DistributedDataParallel with a
DistributedSampler, the figures and loss are all-reduced, and only rank 0 shows progress. Each
epoch ends with the task's figure on the validation split; training batches alone are augmented
(:mod:`.augment`). torch and tqdm load inside the functions.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from ...analysis import CheckedNetwork
from ...core.errors import UsageError
from ...core.shapes import numel
from .augment import Augmentation
from .tasks import Task

if TYPE_CHECKING:
    import torch
    from torch.utils.data import DistributedSampler, RandomSampler

    from .data import Data

DEFAULT_LR = {"adam": 1e-3, "sgd": 1e-2}  # sgd with momentum 0.9
EVAL_BATCH = 512
CLASSIFY = Task("classify", "cross_entropy")


@dataclass(frozen=True)
class Options:
    """How to train (the command line holds the defaults)."""

    epochs: int
    batch_size: int  # per process
    lr: float | None  # None: DEFAULT_LR of the optimizer
    optimizer: str  # adam | sgd
    seed: int
    device: str  # auto | cpu | cuda
    schedule: str = "cosine"  # cosine | constant
    augmentation: Augmentation = Augmentation()
    task: Task = CLASSIFY

    @property
    def learning_rate(self) -> float:
        return self.lr or DEFAULT_LR[self.optimizer]


@dataclass(frozen=True)
class World:
    """This process's place among torchrun's processes (rank 0 of 1 without torchrun)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @classmethod
    def from_env(cls) -> World:
        env = os.environ
        return cls(int(env.get("RANK", 0)), int(env.get("WORLD_SIZE", 1)),
                   int(env.get("LOCAL_RANK", 0)))

    @property
    def is_main(self) -> bool:
        return self.rank == 0


@dataclass(frozen=True)
class Result:
    """What the summary reports; losses and figures (the task's: accuracy, pixel accuracy,
    reconstruction error) are over all processes."""

    test_score: float
    train_loss: float  # mean over the last epoch
    train_score: float  # over the last epoch, in training mode (dropout on)
    val_score: float | None  # after the last epoch; None without a validation split
    seconds: float
    samples_per_s: float
    device: str
    loss: str  # which loss ran, in words
    first_loss: float  # the mean loss of the first epoch, for the summary to compare with


def train(analysis: CheckedNetwork, data: Data, options: Options, world: World = World(),
          log: Callable[[str], None] = lambda line: print(line, file=sys.stderr)
          ) -> tuple[torch.nn.Module, Result]:
    """Train netspec's compiled module on ``data``; return it (final softmax intact) and results.

    The caller owns the process group (see :func:`distributed`); ``log`` gets what is being
    done (building the model) and one line per epoch when no progress bar shows, on rank 0.
    """
    from torch.utils.data import DistributedSampler

    from ..pytorch.device import resolve_device
    from ..pytorch.module import build_module
    from .augment import Augmenter

    _check_batchnorm_batches(analysis, options.batch_size)
    options.augmentation.check(analysis.input_shape)
    device = _device(resolve_device(options.device), world)
    if world.is_main:
        log(f"building the model: {analysis.name}, {analysis.total_params:,} parameters, "
            f"on {device}")
    with _reproducible(options.seed, device):
        model = build_module(analysis).to(device)
        optimizer = _optimizer(model, options)
        scheduler = _scheduler(optimizer, options)
        loader, order = _loader(data, options, world)
        augment = Augmenter(options.augmentation, options.seed, world.rank) \
            if options.augmentation.active else None
        task = options.task
        with training_head(model, analysis, task.loss) as head:
            net = _parallel(model, device, world)
            start = time.perf_counter()
            losses = []
            for epoch in range(1, options.epochs + 1):
                if isinstance(order, DistributedSampler):
                    order.set_epoch(epoch)  # a different shuffle each epoch, the same on all
                step = _Step(net, head, optimizer, device, augment, task)
                loss, score, seen, val = _epoch(
                    step, loader, len(order), world, f"epoch {epoch}/{options.epochs}", log,
                    lambda: _validate(model, head, task, data, device, world))
                losses.append(loss)
                scheduler.step()
            seconds = time.perf_counter() - start
            test_score = evaluate(model, data.x_test, data.y_test, device, world, task, head)
    return model, Result(test_score, loss, score, val, seconds,
                         seen * options.epochs / seconds, str(device), head.name, losses[0])


@contextmanager
def distributed(world: World, device_name: str) -> Iterator[None]:
    """A process group for torchrun's processes (nccl on CUDA, gloo on CPU); none for one."""
    if world.size == 1:
        yield
        return
    import torch.distributed as dist

    from ..pytorch.device import resolve_device

    cuda = resolve_device(device_name).type == "cuda"
    dist.init_process_group("nccl" if cuda else "gloo")
    try:
        yield
    finally:
        dist.destroy_process_group()


def save_checkpoint(model: torch.nn.Module, path: str | os.PathLike) -> None:
    """``torch.save`` of the state_dict on the CPU: loads anywhere with ``load_state_dict``."""
    import torch

    try:
        torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, path)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None


class Head(NamedTuple):
    """The loss to train with, in words, and how the network's real output is had back from
    what the model gives while the head is on (probabilities from the logits a hook let
    through; else the output itself)."""

    loss_fn: Callable
    name: str
    output: Callable[[torch.Tensor], torch.Tensor]


@contextmanager
def training_head(model: torch.nn.Module, analysis: CheckedNetwork,
                  loss: str = "cross_entropy") -> Iterator[Head]:
    """The loss to train with, never on probabilities: a final Softmax passes its input through
    to cross-entropy, a final Sigmoid to binary cross-entropy with logits.

    A forward hook, not a swapped module: the compiled module's forward may hold its modules
    directly, and a hook works wherever the module is called from. Removed on the way out.
    """
    from torch import nn

    final = _final_module(model, analysis)
    if loss == "mse":
        yield Head(nn.MSELoss(), "mean squared error", _same)
    elif loss == "bce" and isinstance(final, nn.Sigmoid):
        with _pass_through(final):
            yield Head(nn.BCEWithLogitsLoss(), "binary cross-entropy on the logits before the "
                                               "final sigmoid", _sigmoid)
    elif loss == "bce":  # the analysis refuses bce on an output that is not a sigmoid's
        raise UsageError("bce needs the network to end in a sigmoid")
    elif isinstance(final, nn.LogSoftmax):
        yield Head(nn.NLLLoss(), "negative log-likelihood of the final log-softmax", _same)
    elif isinstance(final, nn.Softmax):
        with _pass_through(final):
            yield Head(nn.CrossEntropyLoss(),
                       "cross-entropy on the logits before the final softmax", _softmax)
    else:
        yield Head(nn.CrossEntropyLoss(), "cross-entropy", _same)


@contextmanager
def _pass_through(module: torch.nn.Module) -> Iterator[None]:
    """While on, ``module`` gives its input back (the logits before a final activation)."""
    hook = module.register_forward_hook(lambda module, args, output: args[0])
    try:
        yield
    finally:
        hook.remove()


def _same(out: torch.Tensor) -> torch.Tensor:
    return out


def _sigmoid(out: torch.Tensor) -> torch.Tensor:
    return out.sigmoid()


def _softmax(out: torch.Tensor) -> torch.Tensor:
    return out.softmax(1)


def _final_module(model: torch.nn.Module, analysis: CheckedNetwork
                  ) -> torch.nn.Module | None:
    """The module the network's output comes from, by the compiler's own plan (None: a view)."""
    from ..pytorch.plan import plan

    modules = plan(analysis)[-1].modules  # (dotted path, call) pairs, applied in order
    return model.get_submodule(modules[-1][0]) if modules else None


def _device(device: torch.device, world: World) -> torch.device:
    """Under torchrun each process takes the GPU of its local rank."""
    import torch

    if device.type == "cuda" and world.size > 1:
        if world.local_rank >= torch.cuda.device_count():
            raise UsageError(f"process {world.rank} (local rank {world.local_rank}) has no GPU: "
                             f"this machine has {torch.cuda.device_count()}; start at most that "
                             f"many processes per node (--nproc_per_node)")
        torch.cuda.set_device(world.local_rank)
        return torch.device("cuda", world.local_rank)
    return device


@contextmanager
def _reproducible(seed: int, device: torch.device) -> Iterator[None]:
    """Seeded, deterministic kernels and a fixed CPU thread count; global settings restored after.

    The thread count changes the last bits of CPU results, so it is fixed per machine (see
    :func:`_cpu_threads`), never chosen by load.
    """
    import torch

    if device.type == "cuda":  # cuBLAS needs this before its first call to be deterministic
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    before = torch.are_deterministic_algorithms_enabled(), torch.get_num_threads()
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    if device.type == "cpu" and "OMP_NUM_THREADS" not in os.environ:  # torchrun sets it to 1
        torch.set_num_threads(_cpu_threads(before[1]))
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before[0])
        torch.set_num_threads(before[1])


def _cpu_threads(default: int) -> int:
    """One intra-op thread fewer than the usable cores (at least 1), at most torch's default.

    Every op waits for the slowest thread of the pool, so a pool on every core stalls whenever
    anything else runs: on two shared cores, training steps ran 6 to 20 times slower with 2
    threads than with 1. The core left out is the price of never stalling like that.
    """
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(default, (usable or 1) - 1))


def _check_batchnorm_batches(analysis: CheckedNetwork, batch_size: int) -> None:
    """In training, a kind with batch statistics (batchnorm) needs more than one value per
    channel in a batch: a batch of one sample fails on a flat (or 1x1) input. Said before
    training, not by torch mid-epoch."""
    if batch_size > 1:
        return
    shapes = analysis.shapes
    for node in analysis.network.nodes:
        if node.layer.batch_statistics and numel(shapes[node.inputs[0]][1:]) == 1:
            raise UsageError(f"--batch-size 1: {node.describe()} would see one value per "
                             "channel, which it cannot normalise in training; use "
                             "--batch-size 2 or more")


def _optimizer(model: torch.nn.Module, options: Options) -> torch.optim.Optimizer:
    import torch

    if options.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=options.learning_rate, momentum=0.9)
    return torch.optim.Adam(model.parameters(), lr=options.learning_rate)


def _scheduler(optimizer: torch.optim.Optimizer, options: Options
               ) -> torch.optim.lr_scheduler.LRScheduler:
    """The learning rate per epoch: constant, or cosine from the set rate down to 0.

    Cosine is the default because the last epochs at a small rate settle the weights: at a
    constant rate, the test accuracy after the last epoch swung by 3 points from seed to seed.
    """
    import torch

    if options.schedule == "constant":
        return torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0)
    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=options.epochs)


def _loader(data: Data, options: Options, world: World
            ) -> tuple[torch.utils.data.DataLoader, DistributedSampler | RandomSampler]:
    """Whole batches indexed at once from in-memory tensors, shuffled by a seeded generator, and
    the sampler that orders them (a distributed one is told each epoch's number).

    A BatchSampler over the (distributed) sampler hands TensorDataset a list of indices, so a
    batch is one fancy-indexing call rather than one call per sample.
    """
    import torch
    from torch.utils.data import (
        BatchSampler,
        DataLoader,
        DistributedSampler,
        RandomSampler,
        TensorDataset,
    )

    dataset = TensorDataset(data.x_train, data.y_train)
    order: DistributedSampler | RandomSampler
    if world.size > 1:
        order = DistributedSampler(dataset, world.size, world.rank, shuffle=True, seed=options.seed)
    else:
        order = RandomSampler(dataset, generator=torch.Generator().manual_seed(options.seed))
    # A last batch of one sample is left out (a different one each epoch): batchnorm cannot
    # train on a batch whose channels hold one value each.
    lone_last = 1 < options.batch_size < len(order) and len(order) % options.batch_size == 1
    batches = BatchSampler(order, options.batch_size, drop_last=lone_last)
    return DataLoader(dataset, sampler=batches, batch_size=None), order


def _parallel(model: torch.nn.Module, device: torch.device, world: World) -> torch.nn.Module:
    if world.size == 1:
        return model
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda"
                                   else None)


class _Step(NamedTuple):
    """What one training step needs: the (wrapped) model, its loss and optimizer, where it
    runs, the augmenter of training batches (None: none), and the task it scores."""

    net: torch.nn.Module
    head: Head
    optimizer: torch.optim.Optimizer
    device: torch.device
    augment: Callable[[torch.Tensor], torch.Tensor] | None
    task: Task


def _epoch(step: _Step, loader: torch.utils.data.DataLoader, share: int, world: World,
           title: str, log: Callable[[str], None], validate: Callable[[], float | None]
           ) -> tuple[float, float, int, float | None]:
    """One pass over this process's ``share`` of the samples, then the validation split;
    (mean loss, the task's figure, samples, validation figure) over all processes."""
    import torch
    from tqdm import tqdm

    net, device, task = step.net, step.device, step.task
    net.train()
    # loss sum, the figure's sum and count (right samples or pixels; squared errors), samples
    totals = torch.zeros(4, dtype=torch.float64, device=device)
    start = time.perf_counter()
    with tqdm(total=share * world.size, desc=title, unit="sample", leave=True,
              disable=None if world.is_main else True, dynamic_ncols=True) as bar:
        quiet = bar.disable  # no bar where stderr is not a terminal (closing sets it too)
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            if step.augment is not None:
                x = step.augment(x)
            step.optimizer.zero_grad(set_to_none=True)
            out = net(x)
            target = task.target(x, y)
            loss = step.head.loss_fn(out, target)
            loss.backward()
            step.optimizer.step()
            totals += torch.cat([(loss.detach() * len(y)).double().view(1),
                                 task.score(step.head.output(out.detach()), target),
                                 torch.tensor([len(y)], dtype=torch.float64, device=device)])
            bar.update(len(y) * world.size)
            if not quiet:  # reading the totals waits for the GPU: only for a bar people see
                bar.set_postfix(_figures(totals, task), refresh=False)
        val = validate()
        if not quiet:
            bar.set_postfix(_figures(totals, task, val))
    totals = _all_reduce(totals, world)
    loss, score, seen = (totals[0] / totals[3]).item(), (totals[1] / totals[2]).item(), \
        int(totals[3])
    if world.is_main and quiet:
        rate = seen / (time.perf_counter() - start)
        scored = f", validation {task.figure} {task.show(val)}" if val is not None else ""
        log(f"{title}: loss {loss:.4f}, train {task.figure} {task.show(score)}{scored}, "
            f"{rate:,.0f} samples/s")
    return loss, score, seen, val


def _figures(totals: torch.Tensor, task: Task, val: float | None = None) -> dict[str, str]:
    """The progress bar's figures: running loss and the task's figure, and the validation's."""
    short = "err" if task.name == "reconstruct" else "acc"
    shown = {"loss": f"{totals[0] / totals[3]:.4f}",
             short: task.show(float(totals[1] / totals[2]))}
    return shown | ({"val": task.show(val)} if val is not None else {})


def _validate(model: torch.nn.Module, head: Head, task: Task, data: Data, device: torch.device,
              world: World) -> float | None:
    """The figure on the validation split (never augmented); None when it holds no samples."""
    if not len(data.y_val):
        return None
    return evaluate(model, data.x_val, data.y_val, device, world, task, head)


def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, device: torch.device,
             world: World = World(), task: Task = CLASSIFY, head: Head | None = None) -> float:
    """The task's figure on (x, y) in eval mode (accuracy by default), on the network's real
    output (``head`` gives it back while a training head is on); each process scores every
    world.size-th sample and the sums are summed."""
    import torch

    model.eval()
    output = head.output if head is not None else _same
    x, y = x[world.rank::world.size], y[world.rank::world.size]
    totals = torch.zeros(2, dtype=torch.float64, device=device)
    with torch.no_grad():
        for i in range(0, len(x), EVAL_BATCH):
            xb, yb = x[i:i + EVAL_BATCH].to(device), y[i:i + EVAL_BATCH].to(device)
            totals += task.score(output(model(xb)), task.target(xb, yb))
    totals = _all_reduce(totals, world)
    return (totals[0] / totals[1]).item()


def _all_reduce(t: torch.Tensor, world: World) -> torch.Tensor:
    if world.size > 1:
        import torch.distributed as dist

        dist.all_reduce(t)
    return t
