"""Run-time cost of compiling: forward+backward of compiled models against hand-written ones.

- The compiled VGG-16 (batch 8) and LeNet-5 (batch 256) against the same networks written by
  hand in plain PyTorch below (issue: the compiler adds nothing at run time; target within 3%).
- The in-memory compiled ResNet-50 (batch 8) against its emitted source (branching adds no
  interpreter overhead; target within 3%).
Both sides of a pair run interleaved in the same process, train mode, on the CPU.
"""
from __future__ import annotations

import runpy
import tempfile
from pathlib import Path

from common import ROOT, Result, Row, interleaved, median, runs, spread

TITLE = "compiled PyTorch models vs hand-written / emitted (forward + backward, CPU)"
TARGET = 1.03


def available() -> str | None:
    try:
        import torch  # noqa: F401
    except ImportError:
        return "torch is not installed"
    return None


def hand_vgg16():
    from torch import nn

    layers, c = [], 3
    for width, n in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        for _ in range(n):
            layers += [nn.Conv2d(c, width, 3, padding=1), nn.ReLU()]
            c = width
        layers.append(nn.MaxPool2d(2))
    layers += [nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(),
               nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 1000)]
    return nn.Sequential(*layers)


def hand_lenet5():
    from torch import nn

    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(),
                         nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def emitted(spec: str):
    from netspec import emit

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.py"
        path.write_text(emit(ROOT / spec))
        return runpy.run_path(str(path))["build"]()


def step(model, x, inner: int):
    def go():
        for _ in range(inner):
            model.zero_grad(set_to_none=True)
            model(x).sum().backward()
    return go


def compare(res: Result, name: str, ours, theirs, x, n: int, inner: int, baseline: str):
    ours.train(), theirs.train()
    times = interleaved({"ours": step(ours, x, inner), "theirs": step(theirs, x, inner)}, n)
    m, b = median(times["ours"]), median(times["theirs"])
    res.rows.append(Row(name, m / inner, b / inner, f"<= {TARGET:.2f}x", m / b <= TARGET))
    res.notes.append(f"{name}: {baseline}; {n} runs of {inner}: ours {spread(times['ours'])}, "
                     f"theirs {spread(times['theirs'])}")


def run(opts) -> Result:
    import torch

    from netspec import compile_model

    torch.manual_seed(0)
    res = Result(TITLE)
    res.notes.append(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    compare(res, "VGG-16 compiled, batch 8", compile_model(ROOT / "specs/vgg16.yaml"),
            hand_vgg16(), torch.randn(8, 3, 224, 224), runs(opts, 5, 2), 1,
            "baseline: the same network hand-written as nn.Sequential")
    compare(res, "LeNet-5 compiled, batch 256", compile_model(ROOT / "specs/lenet5.yaml"),
            hand_lenet5(), torch.randn(256, 1, 32, 32), runs(opts, 15, 5), 20,
            "baseline: the same network hand-written as nn.Sequential")
    compare(res, "ResNet-50 in memory, batch 8", compile_model(ROOT / "specs/resnet50.yaml"),
            emitted("specs/resnet50.yaml"), torch.randn(8, 3, 224, 224), runs(opts, 7, 2), 1,
            "baseline: netspec's emitted source for the same spec")
    return res
