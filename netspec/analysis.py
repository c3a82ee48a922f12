"""Infer every layer's shape and counts: plain records that every report is a view of.

The walker calls each kind's rules and adds what the kinds cannot know: where the layer is
written, its index and name. Warnings (a window that does not tile, a layer nothing reads) are
kept with the result; under ``strict`` they are errors. Expectations a spec states are checked last.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from .errors import Diagnostic, LayerError, SpecError
from .graph import INPUT, Network, Node
from .layers.base import Layer
from .memory import DTYPES, Memory, estimate
from .module_names import clashes
from .shapes import Shape, fmt_shape, numel


class LayerRecord(NamedTuple):
    """One row of the report: what a layer produces and what it costs, per sample.
    (A NamedTuple: immutable, and cheap to make for 10,000-layer specs.)"""

    index: int
    name: str
    kind: str
    label: str
    inputs: tuple[str, ...]
    output_shape: Shape
    activations: int  # elements of the new tensor it produces (0 for views)
    weights: int
    biases: int
    state: int  # non-trainable (batchnorm running statistics)
    macs: int
    group: tuple[str, ...]

    @property
    def params(self) -> int:
        return self.weights + self.biases

    def to_dict(self) -> dict:
        d = self._asdict()
        d["inputs"] = list(self.inputs)
        d["output_shape"] = list(self.output_shape)
        d["group"] = list(self.group)
        d["params"] = self.params
        return d


class GroupRecord(NamedTuple):
    """A block instance or named group: its layers' sums, for subtotals and folded rows."""

    name: str
    depth: int  # 1 for a top-level group
    first: int  # index of its first and last layer
    last: int
    layers: int
    output_shape: Shape
    activations: int
    weights: int
    biases: int
    state: int
    macs: int

    @property
    def params(self) -> int:
        return self.weights + self.biases

    def to_dict(self) -> dict:
        d = self._asdict()
        d["output_shape"] = list(self.output_shape)
        d["params"] = self.params
        return d


def scope_path(record: LayerRecord) -> tuple[str, ...]:
    """The named groups and blocks a layer is in, outermost first (unnamed repeats left out)."""
    return tuple(g for g in record.group if "@" not in g)


@dataclass(frozen=True)
class Analysis:
    """The checked network: per-layer records, totals, and the warnings found."""

    network: Network
    layers: tuple[LayerRecord, ...]
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def name(self) -> str:
        return self.network.name

    @property
    def input_shape(self) -> Shape:
        return self.network.input_shape

    @property
    def output_shape(self) -> Shape:
        return self.layers[-1].output_shape

    @property
    def shapes(self) -> dict[str, Shape]:
        """Every tensor's shape by name: the network input's (``input``) and each layer's."""
        return {INPUT: self.input_shape} | {r.name: r.output_shape for r in self.layers}

    @property
    def total_params(self) -> int:
        return sum(r.params for r in self.layers)

    @property
    def trainable_params(self) -> int:
        return self.total_params  # every learnable parameter trains; nothing is frozen

    @property
    def total_weights(self) -> int:
        return sum(r.weights for r in self.layers)

    @property
    def total_biases(self) -> int:
        return sum(r.biases for r in self.layers)

    @property
    def total_state(self) -> int:
        return sum(r.state for r in self.layers)

    @property
    def total_activations(self) -> int:
        """Elements of the input plus every new tensor a layer produces, per sample."""
        return numel(self.input_shape) + sum(r.activations for r in self.layers)

    @property
    def total_macs(self) -> int:
        return sum(r.macs for r in self.layers)

    def groups(self) -> list[GroupRecord]:
        """Every block instance and named group, in the order they start."""
        members: dict[str, list[LayerRecord]] = {}
        for r in self.layers:
            for name in scope_path(r):
                members.setdefault(name, []).append(r)
        return [GroupRecord(name, scope_path(rs[0]).index(name) + 1, rs[0].index,
                            rs[-1].index, len(rs), rs[-1].output_shape,
                            sum(r.activations for r in rs), sum(r.weights for r in rs),
                            sum(r.biases for r in rs), sum(r.state for r in rs),
                            sum(r.macs for r in rs))
                for name, rs in members.items()]

    def memory(self, batch: int = 1, dtype: str = "float32") -> Memory:
        return estimate(self, batch, dtype)

    def to_dict(self, batch: int = 1, dtype: str = "float32") -> dict:
        from .report import as_dict

        return as_dict(self, batch, dtype)

    def _repr_html_(self) -> str:
        from .report import render

        return render(self, "html")

    def __str__(self) -> str:
        from .report import render

        return render(self, "table")


def analyze(network: Network, strict: bool = False) -> Analysis:
    """Infer shapes and counts; raise SpecError with every error (and warning) found."""
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    shapes: dict[str, Shape] = {INPUT: network.input_shape}
    records: list[LayerRecord] = []
    rules = _Rules()
    for node in network.nodes:
        if any(ref not in shapes for ref in node.inputs):
            continue  # an earlier error already explains why this input has no shape
        facts = rules(node.layer, tuple(shapes[ref] for ref in node.inputs))
        if isinstance(facts, LayerError):
            errors.append(_located(node, facts, "error", _input_details(network, node, shapes)))
            continue
        out, c, label, found = facts
        record = LayerRecord(node.index, node.name, node.kind, label, node.inputs, out,
                             0 if node.layer.is_view else numel(out), c.weights, c.biases,
                             c.state, c.macs, node.group)
        warnings += [_located(node, w, "error" if strict else "warning") for w in found]
        errors += _layer_expectations(node, record)
        shapes[node.name] = out
        records.append(record)
    warnings += _unused(network, "error" if strict else "warning")
    if strict:
        errors, warnings = errors + warnings, []
    if len(records) == len(network.nodes):  # every shape is known: check the whole network
        errors += clashes(network.nodes, shapes) + _network_expectations(network, records)
    if errors:
        raise SpecError(sorted(errors + warnings, key=_order))
    return Analysis(network, tuple(records), tuple(warnings))


class _Rules:
    """A kind's rules are pure functions of its settings and input shapes, so a layer repeated
    on the same shapes (VGG's blocks, ResNet's stages) is worked out once."""

    def __init__(self):
        self.memo: dict[tuple, tuple | LayerError] = {}

    def __call__(self, layer: Layer, inputs: tuple[Shape, ...]):
        key = (id(layer), inputs)
        if key not in self.memo:
            self.memo[key] = self._apply(layer, inputs)
        return self.memo[key]

    @staticmethod
    def _apply(layer: Layer, inputs: tuple[Shape, ...]):
        found: list[LayerError] = []
        try:
            out = tuple(layer.infer(inputs, found.append))
            return out, layer.counts(inputs, out), layer.label(inputs), found
        except LayerError as e:
            return e


def _located(node: Node, e: LayerError, severity: str, extra: tuple[str, ...] = ()) -> Diagnostic:
    return Diagnostic(severity, e.message, node.where(e.key), node.describe(),
                      tuple(e.details) + extra, e.hint)


def _input_details(network: Network, node: Node, shapes: dict) -> tuple[str, ...]:
    """For a layer with several inputs: each one's name, shape and line."""
    if len(node.inputs) < 2:
        return ()
    lines = {n.name: n.location.line for n in network.nodes}
    return tuple(f"input '{ref}' {fmt_shape(shapes[ref])}"
                 + (f" (line {lines[ref]})" if ref in lines else " (the network input)")
                 for ref in node.inputs)


def _unused(network: Network, severity: str) -> list[Diagnostic]:
    """A layer that no later layer reads and that is not the output (the last layer): a branch
    left unmerged. PyTorch would still compute it, and the report counts its parameters. One
    warning per line: a block used three times names its unread layer once."""
    read = {ref for node in network.nodes for ref in node.inputs}
    last = network.nodes[-1].name if network.nodes else None
    by_line: dict = {}
    for node in network.nodes[:-1]:
        if node.name not in read:
            by_line.setdefault(node.location, []).append(node)
    return [Diagnostic(severity, "no layer reads this layer's output, and it is not the "
                       f"network's output (the last layer, '{last}')", where, nodes[0].describe(),
                       _also(nodes[1:]), hint="merge it with add or concat, or remove it")
            for where, nodes in by_line.items()]


def _also(nodes: list[Node]) -> tuple[str, ...]:
    if not nodes:
        return ()
    names = ", ".join(n.name for n in nodes[:3]) + (", ..." if len(nodes) > 3 else "")
    return (f"nor are {len(nodes)} more from this line: {names}",)


def _layer_expectations(node: Node, r: LayerRecord) -> list[Diagnostic]:
    expect = node.layer.expect
    if expect is None:
        return []
    found = []
    loc = node.where("expect")
    if expect.shape is not None and tuple(expect.shape) != r.output_shape:
        found.append(Diagnostic(
            "error", f"expected output shape {fmt_shape(tuple(expect.shape))}, "
            f"got {fmt_shape(r.output_shape)}", loc, node.describe(), (f"layer: {r.label}",)))
    if expect.params is not None and expect.params != r.params:
        found.append(Diagnostic(
            "error", f"expected {expect.params:,} parameters, got {r.params:,}", loc,
            node.describe(), (f"weights {r.weights:,} + biases {r.biases:,} = {r.params:,}",)))
    return found


def _network_expectations(network: Network, records: list[LayerRecord]) -> list[Diagnostic]:
    expect = network.expect
    if expect is None or not records:
        return []
    where = network.expect_locations
    out, total = records[-1].output_shape, sum(r.params for r in records)
    found = []
    if expect.output_shape is not None and tuple(expect.output_shape) != out:
        found.append(Diagnostic(
            "error", f"the network's output shape is {fmt_shape(out)}, expected "
            f"{fmt_shape(tuple(expect.output_shape))}", where["output_shape"],
            details=(f"the last layer is {records[-1].name} ({records[-1].label})",)))
    if expect.params is not None and expect.params != total:
        found.append(Diagnostic(
            "error", f"the network has {total:,} parameters, expected {expect.params:,} "
            f"(off by {total - expect.params:+,})", where["params"]))
    if expect.max_params is not None and total > expect.max_params:
        top = max(records, key=lambda r: r.params)
        found.append(Diagnostic(
            "error", f"the network has {total:,} parameters, over the budget of "
            f"{expect.max_params:,} by {total - expect.max_params:,}", where["max_params"],
            hint=f"the largest layer is {top.name} ({top.label}) with {top.params:,} "
                 f"parameters ({100 * top.params / total:.0f}%)"))
    return found


def _order(d: Diagnostic):
    loc = d.location
    return (loc.line, loc.col) if loc else (0, 0)


__all__ = ["DTYPES", "Analysis", "LayerRecord", "analyze"]
