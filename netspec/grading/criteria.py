"""Scoring a checked network criterion by criterion, with feedback a student can act on: what
the assignment asks, what the submission has, with the numbers, and a way to get there.

Each check of the rubric is a function of its value and the network's figures (the records the
analysis produced; nothing is recomputed) returning how far the check is met: 1 when it is,
otherwise the fraction that proportional scoring pays (see docs/grading.md, "Points").
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

from ..analysis import DTYPES, CheckedNetwork, LayerRecord
from ..core.shapes import shape_text
from ..graph.network import INPUT
from ..layers import did_you_mean
from ..reports.summary import human
from .results import CriterionResult
from .rubric import (
    Bound,
    Criterion,
    FieldBound,
    KindCount,
    RubricFile,
    SettingBound,
    as_list,
    number,
)


class Outcome(NamedTuple):
    fraction: float  # 1: met; below: how close (what proportional scoring pays)
    text: str


class Facts(NamedTuple):
    """What the checks read: the checked network, and the rubric's codes for ``no_warnings``."""

    net: CheckedNetwork
    codes: tuple[str, ...]

    @property
    def layers(self) -> tuple[LayerRecord, ...]:
        return self.net.layers


def evaluate(rf: RubricFile, net: CheckedNetwork) -> tuple[CriterionResult, ...]:
    """Every criterion of the rubric scored on ``net``, in the rubric's order."""
    results = []
    for c, name, check, codes in zip(rf.rubric.criteria, rf.names, rf.checks, rf.codes):
        outcome = CHECKS[check](getattr(c, check), Facts(net, codes))
        results.append(CriterionResult(name, check, c.points, score(c, outcome.fraction),
                                       outcome.fraction >= 1, outcome.text,
                                       c.message if outcome.fraction < 1 else None))
    return tuple(results)


def score(c: Criterion, fraction: float) -> float:
    """All or nothing; or, proportionally, the points times how close the bound is met."""
    if fraction >= 1:
        return c.points
    return round(c.points * max(fraction, 0.0), 2) if c.scoring == "proportional" else 0.0


def closeness(b: Bound | SettingBound, value: float) -> float:
    """1 within the bound; over a max, max/value; under a min, value/min (0 where a ratio
    would say nothing: a bound or a value of 0 or below)."""
    if b.max is not None and value > b.max:
        return b.max / value if b.max > 0 else 0.0
    if b.min is not None and value < b.min:
        return value / b.min if value > 0 else 0.0
    return 1.0


def bound_words(b: Bound | SettingBound, fmt: Callable[[float], str] = number) -> str:
    if b.min is not None and b.max is not None:
        return f"from {fmt(b.min)} to {fmt(b.max)}"
    return f"at least {fmt(b.min)}" if b.min is not None else f"at most {fmt(b.max or 0)}"


def _bounded(what: str, value: int, b: Bound, fmt: Callable[[float], str] = number,
             hint: str = "") -> Outcome:
    """The usual sentence for a bounded total: met, or over / under by how much."""
    fraction = closeness(b, value)
    if fraction >= 1:
        return Outcome(1.0, f"{what} {fmt(value)} ({bound_words(b, fmt)})")
    if b.max is not None and value > b.max:
        said = (f"{what} {fmt(value)}, over the assignment's {fmt(b.max)} by "
                f"{fmt(value - b.max)}")
    else:
        said = f"{what} {fmt(value)}, under the assignment's {fmt(b.min or 0)}"
    return Outcome(fraction, said + (f": {hint}" if hint else ""))


def _largest(layers: tuple[LayerRecord, ...], figure: Callable[[LayerRecord], int], total: int,
             unit: str, fmt: Callable[[float], str] = number) -> str:
    """Where most of a total is: the layer a smaller design saves most in."""
    top = max(layers, key=figure)
    share = f" ({100 * figure(top) / total:.0f}%)" if total else ""
    return (f"the largest share is layer {top.index} '{top.name}' ({top.label}) with "
            f"{fmt(figure(top))}{unit}{share}")


def input_shape(value: list[int], f: Facts) -> Outcome:
    want, got = tuple(value), f.net.input_shape
    if got == want:
        return Outcome(1.0, f"input {shape_text(got)}")
    return Outcome(0.0, f"the spec's input is {shape_text(got)}, the assignment's is "
                        f"{shape_text(want)}: write `input: [{', '.join(map(str, want))}]`")


def output_shape(value: list[int], f: Facts) -> Outcome:
    want, got, last = tuple(value), f.net.output_shape, f.layers[-1]
    if got == want:
        return Outcome(1.0, f"output {shape_text(got)}")
    how = (f"flatten (or global_avgpool) and a dense layer of {want[0]} at the end would give "
           "it") if len(want) == 1 and len(got) > 1 else (
        f"give the last layer {want[0]} outputs" if len(want) == len(got) == 1 else
        f"the last layer must produce {shape_text(want)}")
    return Outcome(0.0, f"the network's output is {shape_text(got)} (the last layer, layer "
                        f"{last.index} '{last.name}', is {last.label}), the assignment asks "
                        f"for {shape_text(want)}: {how}")


def params(b: Bound, f: Facts) -> Outcome:
    total = f.net.total_params
    over = b.max is not None and total > b.max
    return _bounded("parameters:", total, b, hint=_largest(
        f.layers, lambda r: r.params, total, " parameters") if over else "")


def macs(b: Bound, f: Facts) -> Outcome:
    total = f.net.total_macs
    over = b.max is not None and total > b.max
    return _bounded("MACs per sample:", total, b, hint=_largest(
        f.layers, lambda r: r.macs, total, " MACs") if over else "")


def activation_memory(b: Bound, f: Facts) -> Outcome:
    total = f.net.memory().activations  # bytes per sample, float32
    over = b.max is not None and total > b.max
    size = DTYPES["float32"]
    hint = _largest(f.layers, lambda r: size * r.activations, total, " of output",
                    _bytes) if over else ""
    return _bounded("activation memory per sample (float32):", total, b, _bytes, hint)


def _bytes(n: float) -> str:
    return human(int(n))


def layer_count(b: Bound, f: Facts) -> Outcome:
    return _bounded("layers:", len(f.layers), b)


def required_kinds(kinds: list[str], f: Facts) -> Outcome:
    present = {r.kind for r in f.layers}
    missing = [k for k in kinds if k not in present]
    if not missing:
        return Outcome(1.0, "uses " + ", ".join(kinds))
    return Outcome(0.0, f"the network has no {' and no '.join(missing)} layer; the assignment "
                        f"requires {'it' if len(missing) == 1 else 'each'}")


def forbidden_kinds(kinds: list[str], f: Facts) -> Outcome:
    found = [r for r in f.layers if r.kind in kinds]
    if not found:
        return Outcome(1.0, "uses none of " + ", ".join(kinds))
    return Outcome(0.0, _some(found) + f": the assignment forbids {', '.join(kinds)}")


def count(b: KindCount, f: Facts) -> Outcome:
    kinds = as_list(b.kind)
    found = [r for r in f.layers if r.kind in kinds]
    what = f"{'/'.join(kinds)} layers:"
    listed = f" ({', '.join(r.name for r in found[:6])}{', ...' if len(found) > 6 else ''})" \
        if found else ""
    met = _bounded(what, len(found), b)
    return Outcome(met.fraction, met.text.replace(f"{what} {len(found):,}",
                                                  f"{what} {len(found):,}{listed}", 1))


def setting(b: SettingBound, f: Facts) -> Outcome:
    """Every number of the setting (each axis of a per-axis one) of every layer of the kinds."""
    kinds = as_list(b.kind)
    worst, offenders = 1.0, []
    for node in f.net.network.nodes:
        if node.kind not in kinds:
            continue
        value = getattr(node.layer, b.setting)
        fraction = min((closeness(b, n) for n in _numbers(value)), default=1.0)
        if fraction < 1:
            offenders.append(f"layer {node.index} '{node.name}' has {b.setting} "
                             f"{_setting_text(value)}")
            worst = min(worst, fraction)
    wanted = f"{'/'.join(kinds)} {b.setting} {bound_words(b)}"
    if not offenders:
        return Outcome(1.0, wanted)
    more = f" (and {len(offenders) - 3} more)" if len(offenders) > 3 else ""
    return Outcome(worst, "; ".join(offenders[:3]) + more + f": the assignment asks for "
                                                            f"{wanted}")


def receptive_field(b: FieldBound, f: Facts) -> Outcome:
    target, where = _field_target(b, f)
    if target is None:
        return Outcome(0.0, where)
    rf = target.receptive_field
    if not rf:
        return Outcome(0.0, f"{where} has no receptive field: the input has no spatial axes")
    want = (b.min,) * len(rf) if isinstance(b.min, int) else tuple(b.min)
    if len(want) != len(rf):
        return Outcome(0.0, f"the assignment's minimum {shape_text(want)} has {len(want)} axes, "
                            f"the input {len(rf)}")
    got, asked = shape_text(rf), (str(b.min) if isinstance(b.min, int) else shape_text(want))
    fraction = min(r / w for r, w in zip(rf, want))
    if fraction >= 1:
        return Outcome(1.0, f"receptive field of {where} is {got} (at least {asked})")
    return Outcome(fraction, f"receptive field of {where} is {got}, the assignment asks for at "
                             f"least {asked}: {_field_hint(target, where, want, f)}")


def _field_target(b: FieldBound, f: Facts) -> tuple[LayerRecord | None, str]:
    """The layer to measure at and how feedback names it; (None, why) when there is none."""
    if b.layer is not None:
        found = next((r for r in f.layers if r.name == b.layer), None)
        if found is None:
            hint = did_you_mean(b.layer, [r.name for r in f.layers])
            return None, (f"there is no layer named '{b.layer}', where the assignment measures "
                          "the receptive field" + (f" ({hint})" if hint else ""))
        return found, found.name
    if b.last is not None:
        kinds = as_list(b.last)
        found = next((r for r in reversed(f.layers) if r.kind in kinds), None)
        if found is None:
            return None, (f"the network has no {'/'.join(kinds)} layer, where the assignment "
                          "measures the receptive field")
        return found, found.name
    last = f.layers[-1]
    return last, f"the output ('{last.name}')"


def _field_hint(target: LayerRecord, where: str, want: tuple[int, ...], f: Facts) -> str:
    """How to widen the field at ``target``: each 3x3 conv (stride 1) inserted before it adds
    2 x the jump of its input; a 2x2 pool of stride 2 there adds one jump and doubles what the
    target's own window adds (the standard recurrence, core.shapes.Field)."""
    sizes = f.net.input_shape[1:]
    rf = target.receptive_field
    if all(r >= n for r, n in zip(rf, sizes)):
        return f"it already sees the whole {shape_text(sizes)} input, and no layer sees more"
    axis = max(range(len(rf)), key=lambda a: want[a] - rf[a])
    gap = want[axis] - rf[axis]
    source = target.inputs[0]
    before = next((r for r in f.layers if r.name == source), None) if source != INPUT else None
    in_rf = before.receptive_field[axis] if before else 1
    jump = before.jump[axis] if before else 1
    convs = math.ceil(gap / (2 * jump))
    pool = gap <= jump + (rf[axis] - in_rf)
    name = target.name
    if convs == 1:
        return f"another 3x3 conv{' or a pool' if pool else ''} before {name} would reach it"
    if pool:
        return f"{convs} more 3x3 convs, or a 2x2 pool (stride 2), before {name} would reach it"
    return (f"{convs} more 3x3 convs before {name} would reach it, fewer after a 2x2 pool "
            "(stride 2), which doubles what each adds")


def no_warnings(words: list[str], f: Facts) -> Outcome:
    found = [w for w in f.net.warnings if w.code in f.codes]
    if not found:
        return Outcome(1.0, "no warnings of " + ", ".join(f.codes))
    said = "; ".join(f"{w.code} at line {w.location.line if w.location else '?'}"
                     + (f" ({w.layer})" if w.layer else "") + f": {w.message}"
                     for w in found[:3])
    return Outcome(0.0, f"the check warns {said}" + (
        f" (and {len(found) - 3} more)" if len(found) > 3 else "") +
        ": the assignment asks for none of " + ", ".join(f.codes))


CHECKS: dict[str, Callable[[Any, Facts], Outcome]] = {
    "input_shape": input_shape, "output_shape": output_shape, "params": params, "macs": macs,
    "activation_memory": activation_memory, "layer_count": layer_count,
    "required_kinds": required_kinds, "forbidden_kinds": forbidden_kinds, "count": count,
    "setting": setting, "receptive_field": receptive_field, "no_warnings": no_warnings,
}


def _some(found: list[LayerRecord]) -> str:
    named = ", ".join(f"layer {r.index} '{r.name}' ({r.kind})" for r in found[:3])
    return named + (f" and {len(found) - 3} more" if len(found) > 3 else "")


def _numbers(value: Any) -> list[float]:
    """The numbers in a setting's value: 3, [3, 5], [[1, 1], [0, 1]]; words (same) have none."""
    if isinstance(value, (list, tuple)):
        return [n for v in value for n in _numbers(v)]
    return [value] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


def _setting_text(value: Any) -> str:
    return str(value).replace(" ", "")
