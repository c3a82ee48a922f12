"""The checks of a whole network once its shapes are known: layers nothing reads, and the
expectations a spec states for a layer (``expect:`` on the layer) or for the network."""
from __future__ import annotations

from ..core.codes import declare
from ..core.errors import Diagnostic
from ..core.shapes import fmt_shape
from ..graph.network import Network, Node
from .result import LayerRecord

UNREAD_LAYER = declare(
    "NS501", "unread-layer", "no layer reads this layer, and it is not the output",
    "A branch that is never merged (with add or concat) does nothing for the output, yet "
    "PyTorch computes it and the report counts its parameters. The output is the last layer. "
    "A warning, an error under --strict.",
    "input: [1, 28, 28]\nlayers:\n  - conv: {filters: 8, kernel: 3, name: side}\n"
    "  - relu: {input: input}\n")
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


def layer_expectations(node: Node, r: LayerRecord) -> list[Diagnostic]:
    expect = node.layer.expect
    if expect is None:
        return []
    found = []
    loc = node.where("expect")
    if expect.shape is not None and tuple(expect.shape) != r.output_shape:
        found.append(Diagnostic(
            "error", f"expected output shape {fmt_shape(tuple(expect.shape))}, "
            f"got {fmt_shape(r.output_shape)}", loc, node.describe(), (f"layer: {r.label}",),
            code=EXPECTED_SHAPE))
    if expect.params is not None and expect.params != r.params:
        found.append(Diagnostic(
            "error", f"expected {expect.params:,} parameters, got {r.params:,}", loc,
            node.describe(), (f"weights {r.weights:,} + biases {r.biases:,} = {r.params:,}",),
            code=EXPECTED_PARAMS))
    return found


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
            details=(f"the last layer is {records[-1].name} ({records[-1].label})",),
            code=EXPECTED_SHAPE))
    if expect.params is not None and expect.params != total:
        found.append(Diagnostic(
            "error", f"the network has {total:,} parameters, expected {expect.params:,} "
            f"(off by {total - expect.params:+,})", where["params"], code=EXPECTED_PARAMS))
    if expect.max_params is not None and total > expect.max_params:
        top = max(records, key=lambda r: r.params)
        found.append(Diagnostic(
            "error", f"the network has {total:,} parameters, over the budget of "
            f"{expect.max_params:,} by {total - expect.max_params:,}", where["max_params"],
            hint=f"the largest layer is {top.name} ({top.label}) with {top.params:,} "
                 f"parameters ({100 * top.params / total:.0f}%)", code=OVER_BUDGET))
    return found
