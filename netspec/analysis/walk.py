"""Infer every layer's shape and counts: plain records that every report is a view of.

The walker calls each kind's rules and adds what the kinds cannot know: where the layer is
written, its index and name. Warnings (a window that does not tile, a layer nothing reads) are
kept with the result; under ``strict`` they are errors. Expectations a spec states are checked last.
"""
from __future__ import annotations

from dataclasses import replace

from ..core.errors import Diagnostic, LayerError, SpecError
from ..core.shapes import Field, Shape, fmt_shape, numel, shape_text
from ..graph.builder import BuildError, build
from ..graph.module_names import clashes
from ..graph.network import INPUT, Network, Node
from ..layers.base import Counts, Layer
from ..layers.merge import MERGE_MISMATCH
from ..reading.source import Document
from .allowances import allow
from .checks import layer_expectations, network_expectations, unread_layers
from .lints import channels_first, design_lints, input_lints
from .result import CheckedNetwork, LayerRecord
from .tasks import training_settings


def build_network(doc: Document) -> Network:
    """The document's network (:func:`netspec.graph.builder.build`); when it cannot be built,
    the shape errors of the layers built before the first error are reported with the build's
    own. (Errors only: whether a layer is read, or the network's expectations, depend on the
    layers that are missing.)"""
    try:
        return build(doc)
    except BuildError as e:
        raise SpecError(sorted(_shape_errors(e.partial) + e.diagnostics, key=_order)) from None


def _shape_errors(partial: Network | None) -> list[Diagnostic]:
    if partial is None:
        return []
    try:
        analyze(partial)
    except SpecError as e:
        return [d for d in e.diagnostics if d.severity == "error"]
    return []


def analyze(network: Network, strict: bool = False) -> CheckedNetwork:
    """Infer shapes and counts; raise SpecError with every error (and warning) found."""
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    shapes: dict[str, Shape] = {INPUT: network.input_shape}
    fields = {INPUT: Field.of_input(len(network.input_shape) - 1)}
    records: list[LayerRecord] = []
    rules = _Rules()
    for node in network.nodes:
        layer = node.layer
        try:  # every input's shape known: the common case
            inputs = tuple([shapes[ref] for ref in node.inputs])
        except KeyError:
            parts = _part_inputs(network, node, shapes, fields)
            if parts is None:
                continue  # an earlier error already explains why this input has no shape
            inputs = parts
        facts = rules(layer, inputs)
        if isinstance(facts, LayerError):
            errors.append(_located(node, facts, "error", _input_details(network, node, shapes,
                                                                   facts.code == MERGE_MISMATCH)))
            continue
        out, c, label, found = facts
        f = fields[node.name] = layer.field(inputs, [fields[ref] for ref in node.inputs])
        record = LayerRecord(node.index, node.name, layer.kind, label, node.inputs, out,
                             0 if layer.is_view else numel(out), c.weights, c.biases,
                             c.state, c.macs, node.group, *f.rounded())
        if found:
            warnings += [_located(node, w, "error" if strict else "warning") for w in found]
        if layer.expect is not None:
            errors += layer_expectations(node, record, inputs)
        shapes[node.name] = out
        records.append(record)
    warnings += unread_layers(network, "error" if strict else "warning")
    warnings += input_lints(network, "error" if strict else "warning")
    if errors and (first := channels_first(network.input_shape)) is not None:
        errors = _blame_channels_last(network, first, errors)
    if len(records) == len(network.nodes):  # every shape is known: the design lints
        warnings += design_lints(network, records, "error" if strict else "warning")
    warnings = allow(network, warnings, len(records) == len(network.nodes),
                     "error" if strict else "warning")
    if strict:
        errors, warnings = errors + warnings, []
    if len(records) == len(network.nodes):  # every shape is known: check the whole network
        errors += clashes(network.nodes, shapes) + network_expectations(network, records) \
                + training_settings(network, records)
    if errors:
        raise SpecError(sorted(errors + warnings, key=_order))
    return CheckedNetwork(network, tuple(records), tuple(warnings))


def _part_inputs(network: Network, node: Node, shapes: dict[str, Shape],
                 fields: dict[str, Field]) -> tuple[Shape, ...] | None:
    """The input shapes of a layer that reads a split's part, which gets its shape (and its
    split's field) when a layer first reads it; None when an input has no shape."""
    for ref in node.inputs:
        if ref not in shapes and (part := network.part_shape(ref, shapes)) is not None:
            shapes[ref], fields[ref] = part, fields[network.producer(ref)]
    if any(ref not in shapes for ref in node.inputs):
        return None
    return tuple(shapes[ref] for ref in node.inputs)


def _blame_channels_last(network: Network, first: Shape,
                         errors: list[Diagnostic]) -> list[Diagnostic]:
    """When the input looks channels-last and the channels-first order makes a failing
    layer's shapes work out, that layer's hint is the input's order, not its own settings
    (a pool's "use kernel 1" for a width of 3 would be the wrong fix)."""
    try:
        analyze(replace(network, input_shape=first))
        fixed = {d.layer for d in errors}
    except SpecError as e:
        fixed = {d.layer for d in errors} - {d.layer for d in e.diagnostics
                                             if d.severity == "error"}
    line = network.input_location.line if network.input_location else 1
    hint = (f"the input {list(network.input_shape)} looks channels-last (line {line}): with "
            f"`input: {list(first)}` this layer's shapes work out")
    return [d._replace(hint=hint) if d.layer in fixed and d.code and d.code.startswith("NS4")
            else d for d in errors]


# What a kind's rules give for one layer: output shape, counts, label and warnings.
_Facts = tuple[Shape, Counts, str, list[LayerError]]


class _Rules:
    """A kind's rules are pure functions of its settings and input shapes, so a layer repeated
    on the same shapes (VGG's blocks, ResNet's stages) is worked out once. Keyed by the layer
    object, which stands for its settings: the builder makes one object per distinct settings
    (its validation cache), and the network holds every one alive for the whole walk. (Layers
    whose input shapes differ are worked out anew, but the windows of convs and pools are kept
    by their settings and spatial sizes alone: ``netspec.layers.window.geometry``.)"""

    def __init__(self) -> None:
        self.memo: dict[tuple, _Facts | LayerError] = {}

    def __call__(self, layer: Layer, inputs: tuple[Shape, ...]) -> _Facts | LayerError:
        key = (id(layer), inputs)
        facts = self.memo.get(key)
        if facts is None:
            facts = self.memo[key] = self._apply(layer, inputs)
        return facts

    @staticmethod
    def _apply(layer: Layer, inputs: tuple[Shape, ...]) -> _Facts | LayerError:
        found: list[LayerError] = []
        try:
            out = tuple(layer.infer(inputs, found.append))
            return out, layer.counts(inputs, out), layer.label(inputs), found
        except LayerError as e:
            return e


def _located(node: Node, e: LayerError, severity: str, extra: tuple[str, ...] = ()) -> Diagnostic:
    """The kind's error at the setting at fault; a setting the layer takes from `defaults:`
    is reported at the layer (the defaults suit the other layers), naming the defaults line."""
    where, details = node.where(e.key), tuple(e.details) + extra
    if e.key in node.defaulted:
        value = getattr(node.layer, e.key, None)
        where = node.location
        details += (f"`{e.key}: {_yaml(value)}` comes from `defaults:` at {node.where(e.key)}; "
                    f"a `{e.key}:` on this layer overrides it",)
    return Diagnostic(severity, e.message, where, node.describe(), details, e.hint, e.code)


def _yaml(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _input_details(network: Network, node: Node, shapes: dict,
                   mismatch: bool) -> tuple[str, ...]:
    """For a layer with several inputs: each one's name, shape and line; for a merge of
    inputs whose spatial sizes differ, the layer on each one's path where its size last
    changed."""
    if len(node.inputs) < 2:
        return ()
    nodes = network.by_name
    sizes = {shapes[ref][1:] for ref in node.inputs}
    trace = mismatch and len(sizes) > 1 and len({len(size) for size in sizes}) == 1
    details = []
    for ref in node.inputs:
        line = (f"input '{ref}' {fmt_shape(shapes[ref])}"
                + (f" (line {nodes[network.producer(ref)].location.line})"
                   if network.producer(ref) in nodes else " (the network input)"))
        changed = _size_changed_at(network, ref, shapes) if trace else None
        if changed is not None:
            was, now = shapes[changed.inputs[0]][1:], shapes[changed.name][1:]
            was_text = shape_text(was) or "a flat input"
            line += (f": it makes {was_text} into {shape_text(now)}"
                     if changed.name == network.producer(ref) else
                     f": its size {shape_text(now)} is made by {changed.describe()} at line "
                     f"{changed.location.line}, from {was_text}")
        details.append(line)
    return tuple(details)


def _size_changed_at(network: Network, ref: str, shapes: dict) -> Node | None:
    """The last layer on the path to ``ref`` (through each layer's first input) that changed
    the spatial size; None when the size is the network input's."""
    name = network.producer(ref)
    while name != INPUT and name in network.by_name:
        node = network.by_name[name]
        before = node.inputs[0]
        if before not in shapes or shapes[before][1:] != shapes[name][1:]:
            return node
        name = network.producer(before)
    return None


def _order(d: Diagnostic) -> tuple[int, int]:
    loc = d.location
    return (loc.line, loc.col) if loc else (0, 0)
