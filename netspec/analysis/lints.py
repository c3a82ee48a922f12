"""Design lints: networks that are valid, whose shapes all work out, but that are probably not
what was meant (a softmax inside the network, an image written channels-last, a 1x1 conv that
inherits a 3x3's padding). Warnings with NS6xx codes, errors under ``--strict``.

Each lint is one small function over the checked network. They read what the kinds state about
themselves (``windows``, ``trailing_activation``, the traits ``is_view``, ``is_activation``,
``output_activation``, ``train_only``) and never a kind's name. Valid designs that are merely
unusual (batchnorm on dense features, a sigmoid gate multiplied into features) stay silent.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from operator import add, attrgetter

from ..core.codes import declare
from ..core.errors import Diagnostic, Location
from ..core.shapes import Shape, Window, axis_names, numel, shape_text
from ..graph.network import INPUT, Network, Node
from ..layers.base import Layer
from .result import LayerRecord

HIDDEN_OUTPUT_ACTIVATION = declare(
    "NS601", "hidden-output-activation", "a softmax or sigmoid on a layer that is not the output",
    "Softmax turns a layer's values into probabilities that sum to 1 and sigmoid squashes each "
    "into (0, 1): what a classifier's last layer gives. Inside the network they throw away "
    "scale (softmax keeps only differences) and saturate, so gradients vanish. Use relu (or "
    "another hidden activation) there. A sigmoid or softmax that gates other features (read "
    "by a merge, as in squeeze-and-excitation) is not warned about. A warning, an error under "
    "--strict.",
    "input: [1, 28, 28]\nlayers:\n  - flatten\n  - dense: {units: 64, activation: softmax}\n"
    "  - dense: 10\n", warning=True)
ACTIVATIONS_IN_A_ROW = declare(
    "NS602", "activations-in-a-row", "an activation right after another",
    "Two activations in a row add nothing a network needs: relu after relu changes nothing, "
    "and an activation after a conv or dense layer's `activation:` is usually the same "
    "activation written twice. Layers that only reshape or drop values (flatten, dropout) "
    "between them do not count. Remove one. A warning, an error under --strict.",
    "input: [1, 28, 28]\nlayers:\n  - conv: {filters: 8, kernel: 3, activation: relu}\n"
    "  - relu\n", warning=True)
CHANNELS_LAST_INPUT = declare(
    "NS603", "channels-last-input", "the input shape looks channels-last (H, W, C)",
    "netspec reads shapes channels first, as PyTorch does: `[3, 32, 32]` is a 32x32 RGB image. "
    "`[32, 32, 3]` is 32 channels of 32x3, and the shapes may even work out, with every "
    "parameter count wrong. The warning is at the `input:` line with the shape to write "
    "instead. Said when the last axis is 1, 3 or 4 (grey, RGB, RGBA) and every other axis is at "
    "least 8. A warning, an error under --strict.",
    "input: [32, 32, 3]\nlayers:\n  - conv: {filters: 16, kernel: 3}\n", warning=True)
PADDED_1X1 = declare(
    "NS604", "padded-1x1", "padding on a kernel of size 1",
    "A kernel of 1 needs no padding to keep the size: each pixel of padding adds a border of "
    "zeros that the kernel reads alone, growing the map (a 1x1 map becomes 3x3 with padding "
    "1). This usually comes from `defaults:` written for 3x3 convs; the warning names the "
    "`defaults:` line when it does. Write `padding: 0` on the layer. A warning, an error under "
    "--strict.",
    "input: [3, 32, 32]\ndefaults:\n  conv: {kernel: 3, padding: 1}\nlayers:\n  - conv: 16\n"
    "  - conv: {filters: 8, kernel: 1}\n", warning=True)
DENSE_HOLDS_MOST = declare(
    "NS605", "dense-holds-most-parameters",
    "one layer reading a flattened feature map holds nine tenths or more of the parameters",
    "A dense layer after `flatten` weighs every value of the feature map separately, so its "
    "parameters grow with the map's area; when it holds 90% or more of the network's "
    "parameters, the convolutions are a rounding error beside it. `global_avgpool` instead of "
    "`flatten` gives it one feature per channel (the hint shows the count); more pooling before "
    "the flatten also helps. The classic heads (LeNet-5 78%, VGG-16 74%, AlexNet 60%) are "
    "below the threshold, and flattening the raw input (a fully connected network) is not "
    "warned about. A warning, an error under --strict.",
    "input: [1, 28, 28]\nlayers:\n  - conv: {filters: 32, kernel: 3, activation: relu}\n"
    "  - flatten\n  - dense: 128\n  - dense: 10\n", warning=True)
DROPOUT_AT_OUTPUT = declare(
    "NS606", "dropout-at-output", "dropout after the last layer that learns",
    "Dropout zeroes random values in training so that the next layer learns not to rely on any "
    "one of them. After the last learned layer there is no next layer: it zeroes the "
    "network's outputs (class scores) themselves. Put it before the last dense or conv layer. "
    "A warning, an error under --strict.",
    "input: [1, 28, 28]\nlayers:\n  - flatten\n  - dense: 10\n  - dropout: 0.5\n", warning=True)
WINDOW_DISCARDS_INPUT = declare(
    "NS607", "window-discards-input", "a pool or strided layer never reads half its input or more",
    "A stride longer than the kernel skips the positions between windows (a 1x1 conv with "
    "stride 2 reads one pixel in four), and so do dilated taps that the stride steps over. "
    "When half the input or more is never read by this layer or by any other reader of the "
    "same tensor (a ResNet shortcut's 1x1 stride-2 conv is fine: the main path reads "
    "everything), the information is lost. A kernel at least as long as the stride reads "
    "every position. A warning, an error under --strict.",
    "input: [8, 28, 28]\nlayers:\n  - conv: {filters: 8, kernel: 1, stride: 2}\n", warning=True)
NO_CHANNEL_AXIS = declare(
    "NS608", "no-channel-axis", "a square 2-D input that looks like an image without its "
    "channel axis",
    "netspec reads `[28, 28]` as 28 channels of length 28, a 1-D signal: convs and pools "
    "then slide along one axis only, and the shapes may work out with every count wrong. A "
    "grey 28x28 image is `[1, 28, 28]`. Said when the input has two equal axes of 8 or more "
    "and a layer slides a window over it. A warning, an error under --strict.",
    "input: [28, 28]\nlayers:\n  - conv: {filters: 8, kernel: 3}\n", warning=True)
BATCH_AXIS = declare(
    "NS609", "batch-axis-in-input", "the input shape seems to include the batch axis",
    "`input:` is one sample's shape, without the batch axis: PyTorch's (N, C, H, W) batch of "
    "3-channel 32x32 images is `input: [3, 32, 32]`. `[64, 3, 32, 32]` is read as a 3-D "
    "volume of 64 channels. Said when a 4-D input's second axis is 1, 3 or 4 and the last two "
    "are equal and at least 8. A warning, an error under --strict.",
    "input: [64, 3, 32, 32]\nlayers:\n  - conv: {filters: 8, kernel: 3}\n", warning=True)

DENSE_SHARE = 0.9  # NS605: "most" of the parameters means this share or more
UNREAD_SHARE = 0.5  # NS607: this share of the input or more never read
IMAGE_CHANNELS = (1, 3, 4)  # NS603: grey, RGB, RGBA
MIN_SIDE = 8  # NS603: the other axes of a channels-last image are at least this long


def design_lints(network: Network, records: list[LayerRecord],
                 severity: str) -> list[Diagnostic]:
    """Every lint's findings on a network whose shapes are all known, one per line and code (a
    block used three times is warned about once)."""
    net = _Net(network, records)
    found: dict[tuple, Diagnostic] = {}
    for lint in LINTS:
        for d in lint(net):
            found.setdefault((d.code, d.location), d._replace(severity=severity))
    return list(found.values())


@dataclass
class _Net:
    """The checked network as the lints look at it: nodes and records by name, who reads what."""

    network: Network
    records: list[LayerRecord]

    @cached_property
    def nodes(self) -> dict[str, Node]:
        """Each layer by name, and each part of a split that is read (``halves.1``) by its
        split's: the layer whose output it is a view of."""
        nodes = {n.name: n for n in self.network.nodes}
        return nodes | {ref: nodes[self.network.producer(ref)] for n in self.network.nodes
                        for ref in n.inputs if ref not in nodes and ref != INPUT}

    @cached_property
    def shapes(self) -> dict[str, Shape]:
        shapes = {INPUT: self.network.input_shape} | {r.name: r.output_shape
                                                      for r in self.records}
        return shapes | {ref: self.network.part_shape(ref, shapes) or () for ref in self.nodes
                         if ref not in shapes}

    @cached_property
    def readers(self) -> dict[str, list[Node]]:
        readers: dict[str, list[Node]] = {name: [] for name in (INPUT, *self.nodes)}
        for node in self.network.nodes:
            for ref in node.inputs:
                readers[ref].append(node)
        return readers

    @cached_property
    def _ends(self) -> dict[str, bool]:
        return {self.network.nodes[-1].name: True}

    def at_end(self, name: str) -> bool:
        """Whether only views and activations follow layer ``name``, in one line, to the
        output. Asked only of a few layers (a softmax, a dropout): each walks forward to the
        first layer whose answer is known, and the answer is kept for every layer passed."""
        ends, passed, asked = self._ends, [], name
        while name not in ends:
            rs = self.readers[name]
            if not (len(rs) == 1 and len(rs[0].inputs) == 1 and (
                    rs[0].layer.is_view or rs[0].layer.is_activation)):
                ends[name] = False
                break
            passed.append(name)
            name = rs[0].name
        for p in passed:
            ends[p] = ends[name]
        return ends[asked]

    @cached_property
    def source(self) -> dict[str, str]:
        """The layer whose values each layer passes on: itself, or for a view (flatten,
        dropout) the source of what it reads."""
        source = {INPUT: INPUT}
        for node in self.network.nodes:
            view = node.layer.is_view and len(node.inputs) == 1
            ref = node.inputs[0]  # a split's part (`halves.0`) passes on what its split does
            source[node.name] = (source[ref if ref == INPUT else self.nodes[ref].name] if view
                                 else node.name)
        return source | {ref: source[n.name] for ref, n in self.nodes.items() if ref != n.name}

    def inputs(self, node: Node) -> list[Shape]:
        return [self.shapes[ref] for ref in node.inputs]

    @cached_property
    def windows(self) -> dict[str, tuple[Window, ...]]:
        """The windows of every layer that slides one (the kinds keep them by settings and
        input sizes: repeated layers share them, as they share the walk's rules)."""
        found = {}
        for node in self.network.nodes:
            if type(node.layer).windows is Layer.windows:
                continue  # a kind that slides no window (most layers): nothing to ask
            windows = node.layer.windows([self.shapes[ref] for ref in node.inputs])
            if windows:
                found[node.name] = windows
        return found

    def windowed(self) -> Iterator[tuple[Node, tuple[Window, ...]]]:
        return ((self.nodes[name], w) for name, w in self.windows.items())


def _warning(node: Node, message: str, where: Location | None = None,
             details: tuple[str, ...] = (), hint: str | None = None, *, code: str) -> Diagnostic:
    return Diagnostic("warning", message, where or node.location, node.describe(), details, hint,
                      code)


def hidden_output_activation(net: _Net) -> Iterator[Diagnostic]:
    last = net.network.nodes[-1]
    for node in net.network.nodes:
        act = node.layer.trailing_activation()
        if act is None or not act.output_activation or net.at_end(node.name):
            continue
        if any(len(r.inputs) > 1 for r in net.readers[node.name]):
            continue  # a gate: merged with the features it weighs
        shortcut = act is not type(node.layer)
        yield _warning(
            node, f"{act.kind} on a hidden layer: it is meant for the network's output, and "
            f"the output is layer {last.index} '{last.name}'",
            node.where("activation") if shortcut else None,
            (f"{act.kind}: {(act.__doc__ or '').strip()}",),
            f"use relu (or another hidden activation) here and {act.kind} only at the end; "
            "PyTorch's CrossEntropyLoss takes the last layer's raw scores",
            code=HIDDEN_OUTPUT_ACTIVATION)


def activations_in_a_row(net: _Net) -> Iterator[Diagnostic]:
    for node in net.network.nodes:
        if not node.layer.is_activation or len(node.inputs) != 1:
            continue
        source = net.source[node.inputs[0]]
        before = net.nodes[source].layer.trailing_activation() if source != INPUT else None
        if before is None:
            continue
        prev = net.nodes[source]
        own = before is type(prev.layer)
        what = (f"layer {prev.index} '{prev.name}'" if own else
                f"the `activation: {before.kind}` of layer {prev.index} '{prev.name}'")
        yield _warning(
            node, f"{node.kind} right after {before.kind} ({what}): two activations in a row"
            + (", the same one twice" if before is type(node.layer) else ""),
            hint="remove one of them" + ("" if own else
                                         f", or the `activation:` of layer '{prev.name}'"),
            code=ACTIVATIONS_IN_A_ROW)


def input_lints(network: Network, severity: str) -> list[Diagnostic]:
    """The lints of the input shape alone, which hold whether or not the layers' shapes work
    out: a channels-last input often makes a later layer fail, and the fix is at `input:`."""
    net = _Net(network, [])
    found = [*channels_last_input(net), *no_channel_axis(net), *batch_axis(net)]
    return [d._replace(severity=severity) for d in found]


def channels_first(shape: Shape) -> Shape | None:
    """The channels-first order of an input that looks channels-last (``(32, 32, 3)`` ->
    ``(3, 32, 32)``), or None."""
    if len(shape) < 3 or shape[-1] not in IMAGE_CHANNELS or min(shape[:-1]) < MIN_SIDE:
        return None
    return (shape[-1], *shape[:-1])


def channels_last_input(net: _Net) -> Iterator[Diagnostic]:
    shape = net.network.input_shape
    first = channels_first(shape)
    if first is None:
        return
    readers = ", ".join(f"layer {n.index} '{n.name}'" for n in net.readers[INPUT][:3])
    yield Diagnostic(
        "warning", f"the input {list(shape)} looks channels-last ({', '.join(_axes(shape))}, "
        f"channels): netspec reads shapes channels first, so this is {shape[0]} channels of "
        f"{shape_text(shape[1:])}", net.network.input_location,
        details=(f"{readers} then read{'s' if len(net.readers[INPUT]) == 1 else ''} {shape[0]} "
                 "input channels, and every parameter count follows from that",),
        hint=f"for a {shape[-1]}-channel {shape_text(shape[:-1])} input write `input: "
             f"{list(first)}`", code=CHANNELS_LAST_INPUT)


def no_channel_axis(net: _Net) -> Iterator[Diagnostic]:
    shape = net.network.input_shape
    if len(shape) != 2 or shape[0] != shape[1] or shape[0] < MIN_SIDE or not any(
            type(n.layer).windows is not Layer.windows for n in net.readers[INPUT]):
        return  # the shape first: who reads the input is asked only of a square one
    side = shape[0]
    yield Diagnostic(
        "warning", f"the input {list(shape)} has no channel axis if it is a {side}x{side} "
        f"image: netspec reads it as {side} channels of length {side}, and the layers that "
        "read it slide along one axis only", net.network.input_location,
        hint=f"for a grey {side}x{side} image write `input: [1, {side}, {side}]` (RGB: "
             f"`[3, {side}, {side}]`)", code=NO_CHANNEL_AXIS)


def batch_axis(net: _Net) -> Iterator[Diagnostic]:
    shape = net.network.input_shape
    if len(shape) != 4 or shape[1] not in IMAGE_CHANNELS or shape[2] != shape[3] or (
            shape[2] < MIN_SIDE):
        return
    yield Diagnostic(
        "warning", f"the input {list(shape)} looks like a batch of {shape[0]} images: "
        "`input:` is one sample's shape, so this is read as a 3-D volume of "
        f"{shape[0]} channels", net.network.input_location,
        hint=f"leave the batch axis out: `input: {list(shape[1:])}`", code=BATCH_AXIS)


def _axes(shape: Shape) -> tuple[str, ...]:
    return axis_names(len(shape) - 1)


def padded_1x1(net: _Net) -> Iterator[Diagnostic]:
    for node, windows in net.windowed():
        padded = [w for w in windows if w.kernel == 1 and (w.pad_lo or w.pad_hi)]
        if not padded:
            continue
        pads = sorted({(w.pad_lo, w.pad_hi) for w in padded})
        pad = ", ".join(str(lo) if lo == hi else f"[{lo}, {hi}]" for lo, hi in pads)
        x, out = net.inputs(node)[0], net.shapes[node.name]
        inherited = "padding" in node.defaulted
        message = (f"padding {pad} on a kernel of 1: each pixel of padding adds a border of "
                   f"zeros that the kernel reads alone, so the map grows from "
                   f"{shape_text(x[1:])} to {shape_text(out[1:])}")
        details = (f"the padding comes from `defaults:` at {node.where('padding')}, written "
                   f"for the other {node.kind} layers",) if inherited else ()
        yield _warning(node, message, None if inherited else node.where("padding"), details,
                       "write `padding: 0` on this layer: a kernel of 1 needs none",
                       code=PADDED_1X1)


def dense_holds_most(net: _Net) -> Iterator[Diagnostic]:
    params = list(map(add, map(attrgetter("weights"), net.records),
                      map(attrgetter("biases"), net.records)))
    total = sum(params)
    r = net.records[params.index(max(params))]  # only the largest can hold nine tenths
    node = net.nodes[r.name]
    if not total or r.params < DENSE_SHARE * total or len(node.inputs) != 1:
        return
    flatten = _flattening(net, node.inputs[0])
    if flatten is None or flatten.inputs[0] == INPUT:
        return  # no flattened feature map (a fully connected network: nothing to pool)
    fmap = net.shapes[flatten.inputs[0]]
    pooled = [(fmap[0],)]
    alternative = node.layer.counts(pooled, r.output_shape).params
    working = node.layer.working(pooled, r.output_shape).params
    yield _warning(
        node, f"this layer holds {r.params:,} of the network's {total:,} parameters "
        f"({100 * r.params / total:.1f}%): it weighs each of the {numel(fmap):,} values of "
        f"the {shape_text(fmap)} map that '{flatten.name}' flattens separately",
        hint=f"`- global_avgpool` instead of '{flatten.name}' gives it {fmap[0]:,} features, "
             f"one per channel: {working[0] if working else f'{alternative:,}'}, and the "
             f"network {total - r.params + alternative:,} parameters", code=DENSE_HOLDS_MOST)


def _flattening(net: _Net, name: str) -> Node | None:
    """The view that flattened a feature map into what ``name`` holds (back through views
    that keep it flat, such as dropout), or None."""
    while name != INPUT and len(net.shapes[name]) == 1:
        node = net.nodes[name]
        if not node.layer.is_view or len(node.inputs) != 1:
            return None
        if len(net.shapes[node.inputs[0]]) > 1:
            return node
        name = node.inputs[0]
    return None


def dropout_at_output(net: _Net) -> Iterator[Diagnostic]:
    for node in net.network.nodes:
        if node.layer.train_only and net.at_end(node.name):
            yield _warning(
                node, f"{node.kind} after the last layer that learns: in training it zeroes "
                "the network's outputs themselves, and no later layer learns to do without them",
                hint="move it before the last dense (or conv) layer", code=DROPOUT_AT_OUTPUT)


def window_discards_input(net: _Net) -> Iterator[Diagnostic]:
    read = {name: _read_share(windows) for name, windows in net.windows.items()}
    for node, windows in net.windowed():
        share = read[node.name]
        if share is None or share > 1 - UNREAD_SHARE:
            continue
        others = [read.get(r.name, 1.0) for r in net.readers[node.inputs[0]] if r is not node]
        if any(o is None or o > 1 - UNREAD_SHARE for o in others):
            continue  # another layer reads what this one skips
        x = net.inputs(node)[0]
        rows: dict[str, list[str]] = {}
        for axis, w in zip(_axes(x), windows):
            rows.setdefault(f"kernel {w.kernel}, stride {w.stride}"
                            + (f", dilation {w.dilation}" if w.dilation > 1 else "")
                            + f": {w.visited} of {w.size} read", []).append(axis)
        longest = max(w.stride for w in windows)
        gaps = any(w.stride > w.span for w in windows)
        yield _warning(
            node, f"this layer reads {share:.0%} of the {shape_text(x[1:])} positions of its "
            "input: the rest is never read, by it or by any other layer", node.where("stride"),
            tuple(f"{' and '.join(axes)}: {row}" for row, axes in rows.items()),
            f"a kernel at least as long as the stride ({longest}) reads every position"
            if gaps else None, code=WINDOW_DISCARDS_INPUT)


def _read_share(windows: tuple[Window, ...]) -> float | None:
    """The share of the input's positions that the windows read (None: not counted)."""
    if all(w.stride == 1 and w.dilation == 1 for w in windows):
        return 1.0  # a window at every position reads every position
    share = 1.0
    for w in windows:
        visited = w.visited
        if visited is None:
            return None
        share *= visited / w.size
    return share


LINTS: tuple[Callable[[_Net], Iterator[Diagnostic]], ...] = (
    hidden_output_activation, activations_in_a_row, padded_1x1,
    dense_holds_most, dropout_at_output, window_discards_input)

