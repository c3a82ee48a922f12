"""netspec's checker held against PyTorch on one generated spec: the outcome, in words.

The checker must accept a spec exactly when PyTorch runs it, and then give every layer the
name, the inputs, the output shape and the parameter count that the spec's own expansion and
PyTorch give (tests/fuzz/specs.py). When both refuse, netspec's errors must name exactly the
layers PyTorch refuses (those that read a refused one excepted); when a build error stops
netspec before the shapes, they must name the first.
"""
from __future__ import annotations

import random
import re
import time
from collections.abc import Sequence
from typing import NamedTuple, TypeVar

import netspec
from netspec.core.errors import SpecError

from .specs import READS_REFUSED, Spec

T = TypeVar("T")

AGREE = ("accepted/agree", "refused/agree")
OUTCOMES = ("accepted/agree", "refused/agree", "false acceptance", "false rejection",
            "wrong figures", "refused elsewhere", "internal error", "hang")
SLOW = 3.0  # seconds for one check: more is a hang


class Outcome(NamedTuple):
    kind: str  # one of OUTCOMES
    detail: str = ""


class Seeded:
    """The generator's choices from a seeded random.Random: reproducible and fast."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)

    def int(self, lo: int, hi: int) -> int:
        return self.r.randint(lo, hi)

    def pick(self, options: Sequence[T]) -> T:
        return self.r.choice(list(options))

    def chance(self, p: float) -> bool:
        return self.r.random() < p


def named_layer(where: str, spec: Spec) -> str | None:
    """The layer an error names, by its index (`layer 3 'relu1' (relu)`; a setting refused
    in a block's definition shows the name written there, and one refused before the layer
    is named, `layer 3 (split)`, none), else by its name."""
    if (m := re.match(r"layer (\d+) ", where)) and int(m.group(1)) <= len(spec.expanded):
        return spec.expanded[int(m.group(1)) - 1].name
    return m.group(1) if (m := re.search(r"'([^']+)'", where)) else None


def compare(spec: Spec) -> Outcome:
    text = spec.yaml()
    start = time.perf_counter()
    try:
        a = netspec.analyze(text)
        errors = None
    except SpecError as e:
        errors = [d for d in e.diagnostics if d.severity == "error"]
    except Exception as e:  # a bug: exit 3 from the CLI
        return Outcome("internal error", f"{type(e).__name__}: {e}")
    if time.perf_counter() - start > SLOW:
        return Outcome("hang", f"{time.perf_counter() - start:.1f} s")
    first = spec.first_refused()
    if errors is not None:
        if first is None:
            return Outcome("false rejection", "\n".join(d.format() for d in errors))
        named = {named_layer(d.layer or "", spec) for d in errors}
        refused = {x.name for x in spec.expanded if x.shape is None and x.why != READS_REFUSED}
        shapes_only = all((d.code or "").startswith("NS4") for d in errors)
        if named != refused if shapes_only else first.name not in named:
            return Outcome("refused elsewhere", f"PyTorch refuses {sorted(refused)}: "
                           f"{first.why}\n" + "\n".join(d.format() for d in errors))
        return Outcome("refused/agree")
    if first is not None:
        return Outcome("false acceptance", f"PyTorch refuses {first.name} ({first.kind}): "
                       f"{first.why}")
    found = [(r.name, r.inputs, r.output_shape, r.params) for r in a.layers]
    expected = [(x.name, x.inputs, x.shape, x.params) for x in spec.expanded]
    if found != expected:
        diff = next((f, e) for f, e in zip(found + [None] * len(expected),
                                           expected + [None] * len(found)) if f != e)
        return Outcome("wrong figures", f"netspec {diff[0]}\nexpected {diff[1]}")
    return Outcome("accepted/agree")
