"""What PyTorch really keeps and allocates, measured on CPU: the oracle of netspec's memory model
(tests/analysis/test_memory_truth.py). It knows nothing of netspec's model: it runs the compiled
module and counts tensors.

- training: the tensors autograd saves during one forward (``saved_tensors_hooks``), each
  storage once (a view is the tensor it views), parameters and buffers aside; then the bytes of
  the parameters, buffers, gradients and optimizer state after one step;
- inference: in eval mode under ``torch.no_grad()``, every tensor an operation returns is
  followed by weak references until it dies (a count of tensor lifetimes, not the allocator's
  figures): the peak is the most bytes alive just after an operation returns.

``python -m tests.analysis.memory_oracle`` prints the real / predicted ratios for the zoo.
"""
from __future__ import annotations

import sys
import weakref
from pathlib import Path
from typing import Any, NamedTuple

import torch
import yaml
from torch.autograd.graph import saved_tensors_hooks
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

import netspec
from netspec.core.errors import SpecError

BATCH = 2  # batchnorm needs two samples
MACS_BUDGET = 2e8  # multiply-accumulates per measured batch: specs above run at a smaller input
OPTIMIZERS = {"sgd": lambda p: torch.optim.SGD(p, lr=0.01),
              "momentum": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
              "adam": lambda p: torch.optim.Adam(p), "adamw": lambda p: torch.optim.AdamW(p)}


class Training(NamedTuple):
    saved: int
    params: int
    state: int
    gradients: int
    optimizer: int

    @property
    def total(self) -> int:
        return sum(self)


def _storage(t: torch.Tensor) -> tuple[int, int]:
    s = t.untyped_storage()
    return s.data_ptr(), s.nbytes()


def measure_training(model: torch.nn.Module, input_shape: tuple[int, ...],
                     optimizer: str = "adam", batch: int = BATCH) -> Training:
    """One training step: what autograd saved in the forward, then what the step left."""
    model.train()
    own = {_storage(t)[0] for t in [*model.parameters(), *model.buffers()]}
    saved: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        ptr, nbytes = _storage(t)
        if ptr not in own and nbytes:
            saved[ptr] = nbytes
        return t

    torch.manual_seed(0)
    x = torch.randn(batch, *input_shape)
    opt = OPTIMIZERS[optimizer](list(model.parameters()))
    with saved_tensors_hooks(pack, lambda t: t):
        y = model(x)
    y.float().square().mean().backward()
    opt.step()
    state = [t for s in opt.state.values() for t in s.values() if isinstance(t, torch.Tensor)]
    return Training(saved=sum(saved.values()),
                    params=sum(p.nbytes for p in model.parameters()),
                    state=sum(b.nbytes for b in model.buffers()),
                    gradients=sum(p.grad.nbytes for p in model.parameters()
                                  if p.grad is not None),
                    optimizer=sum(t.nbytes for t in state))


class _Lifetimes(TorchDispatchMode):
    """Follows every tensor an operation returns until the last tensor on its storage dies."""

    def __init__(self, skip: set[int]) -> None:
        super().__init__()
        self.skip = skip  # parameters' and buffers' storages
        self.storages: list[tuple[int, int, list[weakref.ref]]] = []
        self.peak = 0

    def alive(self) -> int:
        self.storages = [s for s in self.storages if any(r() is not None for r in s[2])]
        return sum(nbytes for _, nbytes, _ in self.storages)

    def follow(self, t: Any) -> None:
        if not isinstance(t, torch.Tensor):
            return
        ptr, nbytes = _storage(t)
        if ptr in self.skip or not nbytes:
            return
        for p, _, refs in self.storages:
            if p == ptr and any(r() is not None for r in refs):
                refs.append(weakref.ref(t))
                return
        self.storages.append((ptr, nbytes, [weakref.ref(t)]))

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            self.follow(t)
        self.peak = max(self.peak, self.alive())
        return out


def measure_inference(model: torch.nn.Module, input_shape: tuple[int, ...],
                      batch: int = BATCH) -> int:
    """The most bytes of activations alive at once in one forward without autograd; the input,
    which the caller holds throughout, included."""
    model.eval()
    skip = {_storage(t)[0] for t in [*model.parameters(), *model.buffers()]}
    x = torch.randn(batch, *input_shape)
    mode = _Lifetimes(skip)
    with torch.no_grad(), mode:
        mode.follow(x)
        mode.peak = mode.alive()
        model(x)
    return mode.peak


def measurable(path: Path) -> str | Path:
    """The spec, or, when one batch of it costs more than the budget, a copy at a smaller input
    (the same layers; ``expect:`` dropped, as the counts change) that the checker also reads."""
    a = netspec.analyze(path)
    if a.total_macs * BATCH <= MACS_BUDGET:
        return path
    data = yaml.safe_load(path.read_text())
    _drop_expect(data)
    channels, *sizes = a.input_shape
    cheapest: tuple[float, str] = (a.total_macs, str(path))
    for step in range(1, 40):
        ratio = 0.85 ** step
        for extra in range(17):  # only some sizes fit (U-Net's crops, strides that must tile)
            data["input"] = [channels] + [max(1, round(n * ratio) + extra) for n in sizes]
            text = yaml.safe_dump(data, sort_keys=False)
            try:
                small = netspec.analyze(text)
            except SpecError:
                continue
            if small.total_macs * BATCH <= MACS_BUDGET:
                return text
            cheapest = min(cheapest, (small.total_macs, text))
            break
    return cheapest[1]  # the smallest input the spec takes (U-Net's valid convolutions)


def _drop_expect(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("expect", None)
        for value in node.values():
            _drop_expect(value)
    elif isinstance(node, list):
        for value in node:
            _drop_expect(value)


def main() -> None:
    """The real / predicted ratio of each term for every spec of the zoo."""
    from tests.zoo import EVERY_SPEC

    torch.set_num_threads(1)  # small tensors: threads cost more than they give

    print(f"{'spec':20} {'input':>14} {'saved':>6} {'train':>6} {'infer':>6}   saved MiB "
          "real / netspec")
    for path in EVERY_SPEC:
        spec = measurable(path)
        a = netspec.analyze(spec)
        model = netspec.compile_model(a)
        real = measure_training(model, a.input_shape)
        peak = measure_inference(model, a.input_shape)
        m = a.memory(BATCH)
        ratios = [real.saved / max(m.saved, 1), real.total / m.training,
                  peak / m.inference_peak]
        print(f"{path.stem:20} {'x'.join(map(str, a.input_shape)):>14} "
              + " ".join(f"{r:7.4f}" for r in ratios)
              + f"   {real.saved / 2**20:.2f} / {m.saved / 2**20:.2f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
