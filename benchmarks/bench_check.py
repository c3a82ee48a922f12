"""In-process check of long generated specs: YAML text to a finished Analysis.

The specs are sequential stacks of 1,000 and 10,000 layers that mix conv (long form, shorthand
through ``defaults:``, ``padding: same``, kernels 1/3/5), batchnorm, activations (plain and with
a shorthand value), max/avg pooling and dropout. Every conv and pool keeps the spatial size
(stride 1, padding = kernel // 2), so a stack of any length stays valid; filter counts and
kernels vary so that most conv items are distinct and build's validation cache does not make the
run trivial. Timed: ``netspec.analyze(text)`` (load_text + build + analyze), median of N.

Baseline, same run: PyYAML alone composing the same text (``yaml.compose`` with CSafeLoader), so
the ratio is netspec's cost over the parse it cannot avoid.
"""
from __future__ import annotations

from collections import deque

import yaml
from common import Result, Row, fmt_time, interleaved, median, runs, spread, time_once

TITLE = "in-process check of generated N-layer specs (text -> Analysis)"
SIZES = (1_000, 10_000)
TARGET_10K = 0.5  # seconds
TARGET_GROWTH = 1.5  # time per layer at 10k over time per layer at 1k
TARGET_RESNET152 = 0.020  # seconds, checking specs/resnet152.yaml in-process

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
    import netspec
    from netspec.analysis import analyze
    from netspec.graph.builder import build
    from netspec.reading.source import load_text

    res = Result(TITLE)
    texts = {n: generate(n) for n in SIZES}
    per_layer: dict[int, float] = {}
    for text in texts.values():  # warm every size first: validators built, allocator warmed
        netspec.analyze(text)
    # Every size and its baseline in one interleaved loop, so that load from other processes
    # falls on all of them alike (the growth ratio compares two sizes).
    count = runs(opts, 7, 3)
    fns = {}
    for n, text in texts.items():
        fns[("netspec", n)] = lambda text=text: netspec.analyze(text)
        fns[("yaml", n)] = lambda text=text: yaml.compose(text, Loader=Loader)
    times = interleaved(fns, count, warmup=0)
    for n, text in texts.items():
        a = netspec.analyze(text)
        assert len(a.layers) == n, f"expected {n} layers, got {len(a.layers)}"
        mine, theirs = times[("netspec", n)], times[("yaml", n)]
        t, base = median(mine), median(theirs)
        per_layer[n] = t / n
        target = (f"< {fmt_time(TARGET_10K)}", t < TARGET_10K) if n == 10_000 else ("", None)
        res.rows.append(Row(f"{n:,} layers (median of {count}) vs yaml.compose",
                            t, base, target[0], target[1]))
        items = text.splitlines()[5:]
        res.notes.append(f"{n:,} layers: {len(text):,} chars, {len(set(items)):,} distinct items, "
                         f"netspec {spread(mine)}, yaml {spread(theirs)}")

    small, big = SIZES
    growth = per_layer[big] / per_layer[small]
    res.rows.append(Row(f"time per layer: {big:,} vs {small:,}", per_layer[big], per_layer[small],
                        f"<= {TARGET_GROWTH:.2f}x", growth <= TARGET_GROWTH))

    resnet152(res, opts)

    # Where the 10k time goes, stage by stage (informational), interleaved with the baseline.
    text = texts[big]
    count = runs(opts, 5, 3)
    state: dict = {}
    stages = {
        "yaml": lambda: yaml.compose(text, Loader=Loader),  # the baseline, nothing else alive
        "events": lambda: deque(yaml.parse(text, Loader=Loader), maxlen=0),
        "load_text": lambda: state.update(doc=load_text(text)),
        "build": lambda: state.update(net=build(state["doc"])),
        "analyze": lambda: analyze(state["net"]),
    }
    times = {k: [] for k in stages}
    for _ in range(count):  # in pipeline order: each stage reads the one before
        state.clear()
        for name, fn in stages.items():
            times[name].append(time_once(fn))
    yaml_t = median(times.pop("yaml"))
    res.rows.append(Row(f"  {big:,}: yaml.parse alone (events: the loader's floor)",
                        median(times.pop("events")), yaml_t))
    for stage, ts in times.items():
        res.rows.append(Row(f"  {big:,}: stage {stage}", median(ts),
                            yaml_t if stage == "load_text" else None))
    return res


def resnet152(res: Result, opts) -> None:
    """A real branching network with blocks: specs/resnet152.yaml (514 layers), file text to
    Analysis, against PyYAML composing the same text."""
    from common import ROOT

    import netspec

    text = (ROOT / "specs" / "resnet152.yaml").read_text()
    count = runs(opts, 20, 5)
    times = interleaved({"netspec": lambda: netspec.analyze(text),
                         "yaml": lambda: yaml.compose(text, Loader=Loader)}, count)
    t = median(times["netspec"])
    res.rows.append(Row(f"resnet152.yaml (median of {count}) vs yaml.compose", t,
                        median(times["yaml"]), f"< {fmt_time(TARGET_RESNET152)}",
                        t < TARGET_RESNET152))
