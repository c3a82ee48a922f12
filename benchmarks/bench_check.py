"""In-process check of long generated specs and of ResNet-152: YAML text to a finished Analysis.

The generated specs are sequential stacks of N layers that mix conv (long form, shorthand
through ``defaults:``, ``padding: same``, kernels 1/3/5), batchnorm, activations (plain and with
a shorthand value), max/avg pooling and dropout. Every conv and pool keeps the spatial size
(stride 1, padding = kernel // 2), so a stack of any length stays valid; filter counts and
kernels vary so that most conv items are distinct and build's validation cache does not make the
run trivial. Timed: ``netspec.analyze(text)``, the work of ``netspec check`` on a file already
read (load_text, build, the walk, the network checks and the design lints), median of N, in CPU
time (``time.process_time``): a check is one thread, and on a shared machine the wall time also
counts the time other processes take the core from it (the notes give the wall times too).

Baseline, same run: PyYAML alone composing the same text (``yaml.compose`` with CSafeLoader), so
the ratio is netspec's cost over the parse it cannot avoid. Growth: the time per layer at 20,000
and 50,000 layers against the time per layer at 10,000, in one interleaved loop.
"""
from __future__ import annotations

import time
from collections import deque

import yaml
from common import Result, Row, fmt_time, interleaved, median, runs, spread, time_once

CPU = time.process_time  # the clock of every row (see above)

TITLE = "in-process check of generated N-layer specs and ResNet-152 (text -> Analysis, CPU time)"
SIZE = 10_000  # the spec timed against yaml.compose
GROWTH = (10_000, 20_000, 50_000)  # time per layer at each size, against the first
TARGET_RATIO = 2.0  # 10,000 layers: netspec.analyze over yaml.compose of the same text
TARGET_GROWTH = 1.3  # time per layer at 20k and 50k over time per layer at 10k
TARGET_RESNET152 = 0.010  # seconds, checking specs/resnet152.yaml in-process

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

HEADER = """\
name: generated-{n}
input: [3, 16, 16]
defaults:
  conv: {{kernel: 3, padding: 1}}
layers:
"""
ACTIVATIONS = ("gelu", "tanh", "sigmoid", "elu: 0.5")


def generate(n: int) -> str:
    """A valid sequential spec of exactly ``n`` layers (no repeat: one item per layer)."""
    lines: list[str] = []
    conv = 0  # running conv number, to vary filters and kernels

    def next_conv() -> tuple[int, int]:
        nonlocal conv
        conv += 1
        return 8 + (conv * 31) % 1021, (1, 3, 5)[conv % 3]  # (filters, kernel)

    block = 0
    while len(lines) < n:
        f1, k1 = next_conv()
        f2, _ = next_conv()
        f3, _ = next_conv()
        lines += [
            f"  - conv: {{filters: {f1}, kernel: {k1}, padding: {k1 // 2}}}",
            "  - batchnorm",
            "  - relu",
            f"  - conv: {f2}",  # kernel and padding from defaults
            f"  - leaky_relu: 0.{1 + block % 9}",
            "  - maxpool: {kernel: 3, stride: 1, padding: 1}",
            f"  - conv: {{filters: {f3}, padding: same, activation: relu}}",
            f"  - dropout: 0.{1 + block % 5}",
            "  - avgpool: {kernel: 3, stride: 1, padding: 1}",
            f"  - {ACTIVATIONS[block % len(ACTIVATIONS)]}",
        ]
        block += 1
    return HEADER.format(n=n) + "\n".join(lines[:n]) + "\n"


def available() -> str | None:
    return None


def run(opts) -> Result:
    res = Result(TITLE)
    versus_yaml(res, opts)
    growth(res, opts)
    resnet152(res, opts)
    stages(res, opts)
    return res


def versus_yaml(res: Result, opts) -> None:
    """10,000 layers against PyYAML composing the same text, interleaved."""
    import netspec

    text = generate(SIZE)
    netspec.analyze(text)  # warm: validators built, allocator warmed
    count = runs(opts, 7, 3)
    fns = {"netspec": lambda: netspec.analyze(text),
           "yaml": lambda: yaml.compose(text, Loader=Loader)}
    times = interleaved(fns, count, clock=CPU)
    wall = interleaved(fns, count, warmup=0)
    a = netspec.analyze(text)
    assert len(a.layers) == SIZE, f"expected {SIZE} layers, got {len(a.layers)}"
    t, base = median(times["netspec"]), median(times["yaml"])
    res.rows.append(Row(f"{SIZE:,} layers (median of {count}) vs yaml.compose", t, base,
                        f"<= {TARGET_RATIO:.2f}x", t <= TARGET_RATIO * base))
    items = text.splitlines()[5:]
    res.notes.append(f"{SIZE:,} layers: {len(text):,} chars, {len(set(items)):,} distinct items, "
                     f"netspec {spread(times['netspec'])}, yaml {spread(times['yaml'])}; "
                     f"wall time: netspec {fmt_time(median(wall['netspec']))}, yaml "
                     f"{fmt_time(median(wall['yaml']))} "
                     f"({median(wall['netspec']) / median(wall['yaml']):.2f}x)")


def growth(res: Result, opts) -> None:
    """Time per layer at each size of GROWTH against the smallest, every size in one
    interleaved loop (so that load from other processes falls on all of them alike)."""
    import netspec

    texts = {n: generate(n) for n in GROWTH}
    for text in texts.values():
        netspec.analyze(text)
    count = runs(opts, 3, 1)
    times = interleaved({n: lambda text=text: netspec.analyze(text)
                         for n, text in texts.items()}, count, warmup=0, clock=CPU)
    per_layer = {n: median(ts) / n for n, ts in times.items()}
    first = GROWTH[0]
    for n in GROWTH[1:]:
        ratio = per_layer[n] / per_layer[first]
        res.rows.append(Row(f"time per layer: {n:,} vs {first:,} (median of {count})",
                            per_layer[n], per_layer[first], f"<= {TARGET_GROWTH:.2f}x",
                            ratio <= TARGET_GROWTH))
    res.notes.append("growth, whole check: " + ", ".join(
        f"{n:,} layers {fmt_time(median(ts))}" for n, ts in times.items()))


def stages(res: Result, opts) -> None:
    """Where the 10k time goes, stage by stage (informational), with the baseline."""
    from netspec.analysis import analyze
    from netspec.graph.builder import build
    from netspec.reading.source import load_text

    text = generate(SIZE)
    count = runs(opts, 5, 3)
    state: dict = {}
    stages = {
        "yaml": lambda: yaml.compose(text, Loader=Loader),  # the baseline, nothing else alive
        "events": lambda: deque(yaml.parse(text, Loader=Loader), maxlen=0),
        "load_text": lambda: state.update(doc=load_text(text)),
        "build": lambda: state.update(net=build(state["doc"])),
        "analyze": lambda: analyze(state["net"]),
    }
    times: dict[str, list[float]] = {k: [] for k in stages}
    for _ in range(count):  # in pipeline order: each stage reads the one before
        state.clear()
        for name, fn in stages.items():
            times[name].append(time_once(fn, CPU))
    yaml_t = median(times.pop("yaml"))
    res.rows.append(Row(f"  {SIZE:,}: yaml.parse alone (events: the loader's floor)",
                        median(times.pop("events")), yaml_t))
    for stage, ts in times.items():
        res.rows.append(Row(f"  {SIZE:,}: stage {stage}", median(ts),
                            yaml_t if stage == "load_text" else None))


def resnet152(res: Result, opts) -> None:
    """A real branching network with blocks: specs/resnet152.yaml (514 layers), file text to
    Analysis, against PyYAML composing the same text."""
    from common import ROOT

    import netspec

    text = (ROOT / "specs" / "resnet152.yaml").read_text()
    count = runs(opts, 20, 5)
    fns = {"netspec": lambda: netspec.analyze(text),
           "yaml": lambda: yaml.compose(text, Loader=Loader)}
    times = interleaved(fns, count, clock=CPU)
    wall = interleaved(fns, count, warmup=0)
    t = median(times["netspec"])
    res.rows.append(Row(f"resnet152.yaml (median of {count}) vs yaml.compose", t,
                        median(times["yaml"]), f"<= {fmt_time(TARGET_RESNET152)}",
                        t <= TARGET_RESNET152))
    res.notes.append(f"resnet152.yaml: netspec {spread(times['netspec'])}; wall time: median "
                     f"{fmt_time(median(wall['netspec']))}, {spread(wall['netspec'])}")
