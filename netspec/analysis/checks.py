"""The checks of a whole network once its shapes are known: layers nothing reads, and the
expectations a spec states for a layer (``expect:`` on the layer) or for the network."""
from __future__ import annotations

from ..core.codes import declare
from ..core.errors import Diagnostic
from ..core.shapes import Shape, axis_names, fmt_shape
from ..graph.network import INPUT, Network, Node
from ..layers.base import Working
from .result import LayerRecord

UNREAD_LAYER = declare(
    "NS501", "unread-layer", "no layer reads this layer, and it is not the output",
    "A branch that is never merged (with add or concat) does nothing for the output, yet "
    "PyTorch computes it and the report counts its parameters. The output is the last layer. "
    "A warning, an error under --strict.",
    "input: [1, 28, 28]\nlayers:\n  - conv: {filters: 8, kernel: 3, name: side}\n"
    "  - relu: {input: input}\n", warning=True)
EXPECTED_SHAPE = declare(
    "NS502", "expected-shape", "an output shape differs from the one the spec expects",
    "`expect: {shape: [...]}` on a layer, or `expect: {output_shape: [...]}` for the network, "
    "states the shape the author worked out; the checker's figure differs. The details show "
    "the layer that produces it.",
    "input: [1, 28, 28]\nlayers:\n  - conv: {filters: 8, kernel: 5, expect: {shape: [8, 26, "
    "26]}}\n")
EXPECTED_PARAMS = declare(
    "NS503", "expected-params", "a parameter count differs from the one the spec expects",
    "`expect: {params: N}` on a layer or the network states the count the author worked out; "
    "the details show how the actual count arises (weights + biases).",
    "input: [3, 32, 32]\nlayers:\n  - conv: {filters: 10, kernel: 5, expect: {params: 750}}\n")
OVER_BUDGET = declare(
    "NS504", "over-budget", "the network has more parameters than `expect: max_params` allows",
    "A parameter budget (`expect: {max_params: N}`) caps the network's size. The hint names "
    "the layer holding the most parameters, which is where a smaller design saves most.",
    "input: [1, 28, 28]\nlayers:\n  - flatten\n  - dense: 100\nexpect: {max_params: 10000}\n")


def unread_layers(network: Network, severity: str) -> list[Diagnostic]:
    """A layer that no later layer reads and that is not the output (the last layer): a branch
    left unmerged. PyTorch would still compute it, and the report counts its parameters. One
    warning per line: a block used three times names its unread layer once."""
    read = {network.producer(ref) for node in network.nodes for ref in node.inputs}
    last = network.nodes[-1].name if network.nodes else None
    by_line: dict = {}
    for node in network.nodes[:-1]:
        if node.name not in read:
            by_line.setdefault(node.location, []).append(node)
    return [Diagnostic(severity, "no layer reads this layer's output, and it is not the "
                       f"network's output (the last layer, '{last}')", where, nodes[0].describe(),
                       _also(nodes[1:]), hint="merge it with add or concat, or remove it",
                       code=UNREAD_LAYER)
            for where, nodes in by_line.items()]


def _also(nodes: list[Node]) -> tuple[str, ...]:
    if not nodes:
        return ()
    names = ", ".join(n.name for n in nodes[:3]) + (", ..." if len(nodes) > 3 else "")
    return (f"nor are {len(nodes)} more from this line: {names}",)


def layer_expectations(node: Node, r: LayerRecord, inputs: tuple[Shape, ...]) -> list[Diagnostic]:
    """A layer's ``expect:`` against its figures; a mismatch shows how the figure arises, with
    the layer's own arithmetic (``floor((32 + 2*0 - 3) / 1) + 1 = 30``, ``(3*3*3 + 1) * 16``)."""
    expect = node.layer.expect
    if expect is None:
        return []
    found = []
    loc = node.where("expect")
    shape_wrong = expect.shape is not None and tuple(expect.shape) != r.output_shape
    params_wrong = expect.params is not None and expect.params != r.params
    if not (shape_wrong or params_wrong):
        return []
    working = node.layer.working(inputs, r.output_shape)
    if shape_wrong:
        found.append(Diagnostic(
            "error", f"expected output shape {fmt_shape(tuple(expect.shape or ()))}, "
            f"got {fmt_shape(r.output_shape)}", loc, node.describe(),
            (f"layer: {r.label}, input {' and '.join(map(fmt_shape, inputs))}",
             *_shape_lines(working)), code=EXPECTED_SHAPE))
    if params_wrong:
        found.append(Diagnostic(
            "error", f"expected {expect.params:,} parameters, got {r.params:,}", loc,
            node.describe(), _params_lines(working, r), code=EXPECTED_PARAMS))
    return found


def _shape_lines(working: Working) -> tuple[str, ...]:
    return tuple(f"output size: {line}" for line in working.shape)


def _params_lines(working: Working, r: LayerRecord) -> tuple[str, ...]:
    lines = tuple(f"parameters: {line}" for line in working.params)
    return lines or (f"weights {r.weights:,} + biases {r.biases:,} = {r.params:,}",)


MAX_TERMS = 12  # the per-layer terms a sum of parameters shows before it folds the rest


def network_expectations(network: Network, records: list[LayerRecord]) -> list[Diagnostic]:
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
            details=(f"the last layer is {records[-1].name} ({records[-1].label})",
                     *_where_axis_arises(network, records, tuple(expect.output_shape))),
            code=EXPECTED_SHAPE))
    if expect.params is not None and expect.params != total:
        found.append(Diagnostic(
            "error", f"the network has {total:,} parameters, expected {expect.params:,} "
            f"(off by {total - expect.params:+,})", where["params"],
            details=(params_sum(records),), code=EXPECTED_PARAMS))
    if expect.max_params is not None and total > expect.max_params:
        top = max(records, key=lambda r: r.params)
        found.append(Diagnostic(
            "error", f"the network has {total:,} parameters, over the budget of "
            f"{expect.max_params:,} by {total - expect.max_params:,}", where["max_params"],
            details=(params_sum(records),),
            hint=f"the largest layer is {top.name} ({top.label}) with {top.params:,} "
                 f"parameters ({100 * top.params / total:.0f}%)", code=OVER_BUDGET))
    return found


def params_sum(records: list[LayerRecord]) -> str:
    """The network's parameter count as the sum of its layers' (``conv1 448 + dense1 54,090
    = 54,538``); past MAX_TERMS layers the largest are shown and the others summed."""
    terms = [r for r in records if r.params]
    total = sum(r.params for r in terms)
    if not terms:
        return "no layer has parameters"
    if len(terms) == 1:
        return f"all of them are {terms[0].name}'s ({terms[0].label})"
    shown = terms
    if len(terms) > MAX_TERMS:
        keep = {id(r) for r in sorted(terms, key=lambda r: -r.params)[:MAX_TERMS - 1]}
        shown = [r for r in terms if id(r) in keep]
    text = " + ".join(f"{r.name} {r.params:,}" for r in shown)
    rest = [r for r in terms if r not in shown]
    if rest:
        text += f" + {len(rest)} other layers {sum(r.params for r in rest):,}"
    return f"per layer: {text} = {total:,}"


def _where_axis_arises(network: Network, records: list[LayerRecord],
                       expected: Shape) -> tuple[str, ...]:
    """The layer that made the output's first axis that differs from ``expected`` (or its
    rank), found back along the last layer's first inputs, with its arithmetic."""
    shapes: dict[str, Shape] = {INPUT: network.input_shape}
    shapes |= {r.name: r.output_shape for r in records}
    out = records[-1].output_shape
    axis = next((i for i, (a, b) in enumerate(zip(out, expected)) if a != b), None)
    name = records[-1].name
    while name in network.by_name:
        node = network.by_name[name]
        before = node.inputs[0]
        x = shapes.get(before) or network.part_shape(before, shapes) or ()
        here = shapes[name]
        changed = len(x) != len(here) if axis is None or len(x) != len(out) else (
            x[axis] != here[axis])
        if changed:
            inputs = tuple(shapes.get(ref) or network.part_shape(ref, shapes) or ()
                           for ref in node.inputs)
            names = ("channels", *axis_names(len(out) - 1)) if len(out) > 1 else ("features",)
            what = "its rank" if axis is None else f"the {names[axis]} {out[axis]}"
            lines = node.layer.working(inputs, here).shape
            return (f"{what} is made by {node.describe()} at line {node.location.line}: "
                    f"{fmt_shape(x)} -> {fmt_shape(here)}",
                    *(f"  {line}" for line in lines))
        name = network.producer(before)
    return ()
