"""The checker against PyTorch on random specs over every construct of the format.

Each spec (tests/fuzz/specs.py) is drawn with the network it stands for, expanded by the
format's rules as the docs state them and run layer by layer in torch.nn (tests/fuzz/kinds.py),
never by netspec's compiler. The checker must accept a spec exactly when PyTorch runs it, and
then give every layer the name, inputs, output shape and parameter count the oracle gives;
when both refuse, its errors must name the layers PyTorch refuses. `make fuzz` runs the same
comparison on many more specs (tests/fuzz/campaign.py, docs/fuzzing.md).
"""
import collections
import re

import pytest

pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.fuzz.differential import AGREE, Seeded, compare  # noqa: E402
from tests.fuzz.kinds import KINDS  # noqa: E402
from tests.fuzz.specs import GROUP, READS_REFUSED, generate  # noqa: E402


class HypothesisDraw:
    """The generator's choices from hypothesis, which shrinks a failing spec to a small one."""

    def __init__(self, data):
        self.data = data

    def int(self, lo, hi):
        return self.data.draw(st.integers(lo, hi))

    def pick(self, options):
        return self.data.draw(st.sampled_from(list(options)))

    def chance(self, p):  # shrinks towards False
        return self.data.draw(st.integers(0, 99)) >= 100 - round(100 * p)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.data())
def test_the_checker_agrees_with_pytorch(data):
    spec = generate(HypothesisDraw(data))
    outcome = compare(spec)
    assert outcome.kind in AGREE, f"{outcome.kind}: {outcome.detail}\n{spec.yaml()}"


SEEDS = range(200)


@pytest.fixture(scope="module")
def sweep():
    """Seeded specs (fast, no shrinking) and their outcomes."""
    return [(spec, compare(spec)) for spec in (generate(Seeded(s)) for s in SEEDS)]


def test_seeded_specs_agree_with_pytorch(sweep):
    wrong = [(o, s.yaml()) for s, o in sweep if o.kind not in AGREE]
    assert not wrong, "\n\n".join(f"{o.kind}: {o.detail}\n{y}" for o, y in wrong[:3])
    outcomes = collections.Counter(o.kind for _, o in sweep)
    assert outcomes["accepted/agree"] > len(SEEDS) / 4 < outcomes["refused/agree"], outcomes


def features(spec) -> set[str]:
    """The constructs a spec uses, read off the spec and its YAML."""
    text = spec.yaml()
    found = {f"rank {len(spec.input) - 1}"} | {x.kind for x in spec.expanded}
    found |= {f"refused {x.kind}" for x in spec.expanded if x.shape is None
              and x.why != READS_REFUSED}
    found |= {f"accepted {x.kind}" for x in spec.expanded if x.shape is not None}
    found |= {"split read whole" for x in spec.expanded if x.build}
    shapes = {x.name: x.shape for x in spec.expanded}
    splits = {x.name for x in spec.expanded if x.kind == "split"}
    for x in spec.expanded:
        parts = [r for r in x.inputs if r not in shapes and r.rpartition(".")[0] in splits]
        found |= {"split part"} if parts and x.shape is not None else set()
        if x.kind == "concat" and len(parts) == len(x.inputs) and x.shape is not None:
            found.add("concat of parts")
        if x.kind in ("add", "multiply") and x.shape is not None and len(
                {shapes.get(r) for r in x.inputs}) > 1:
            found.add(f"broadcast {x.kind}")
        if x.kind == "crop" and x.shape is not None and shapes.get(x.inputs[0]) != x.shape:
            found.add("crop that cuts")
    marks = {"defaults": r"^defaults:", "block": r"^blocks:", "parameter": r"\$p\d",
             "required": r"required", "sequential block": r"sequential: true",
             "$input": r"\$input", "repeat": r"repeat: [2-9]", "dotted reference":
             r"input: \[?[a-z0-9_]+\.|\[[^\]]*[a-z]+\d*\.[a-z0-9]", "same": r"padding: same",
             "valid": r"padding: valid", "per-side padding": r"padding: \[\[",
             "per-axis list": r"kernel: \[", "dilation": r"dilation: [2-9]",
             "groups": r"groups: [2-9]", "ceil_mode": r"ceil_mode: true",
             "short form": r"- (conv|dense|maxpool|dropout): [0-9]",
             "upsample size": r"upsample: \{[^}]*size: [\[0-9]|^\s+size: [\[0-9]", "fractional scale":
             r"scale: \[?[01]\.\d", "output_padding": r"output_padding: \[?[1-9]",
             "sibling keys": r"\n      ?\s*(kernel|stride|padding): ", "bare kind": r"- [a-z_]+\n"}
    found |= {name for name, pattern in marks.items() if re.search(pattern, text, re.M)}

    def walk(items, depth):
        for item in items:
            if item.kind == GROUP:
                found.add("named group" if item.name else "group")
                found.add("group input") if item.input else None
                walk(item.layers, depth + 1)
            elif item.kind not in KINDS:
                found.add("block use" + (" with input" if item.input else ""))
    walk(spec.layers, 0)
    for block in spec.blocks.values():
        walk(block.layers, 1)
        if any(i.kind in spec.blocks for i in block.layers):
            found.add("block in a block")
    if any(x.inputs[0] in spec.expanded[i - 1:i] for i, x in enumerate(spec.expanded)):
        found.add("chain")
    return found


def test_the_specs_cover_every_kind_and_construct(sweep):
    """A generator that stopped writing a construct would test nothing of it: every kind,
    accepted and refused, and every construct of the format appears in the seeded specs."""
    seen = set().union(*(features(s) for s, _ in sweep))
    wanted = set(KINDS) | {f"rank {r}" for r in range(4)} | {
        "defaults", "block", "parameter", "required", "sequential block", "$input", "repeat",
        "dotted reference", "same", "valid", "per-side padding", "per-axis list", "dilation",
        "groups", "ceil_mode", "short form", "sibling keys", "bare kind", "named group",
        "group", "group input", "block use", "block use with input", "block in a block",
        "refused conv", "refused dense", "refused add", "refused concat", "refused maxpool",
        "refused lrn", "refused multiply", "refused crop", "refused split", "refused upsample",
        "refused conv_transpose", "refused channel_shuffle", "split read whole", "split part",
        "concat of parts", "broadcast add", "broadcast multiply", "crop that cuts",
        "upsample size", "fractional scale", "output_padding"} | {
        f"accepted {kind}" for kind in KINDS}
    assert sorted(wanted - seen) == []
