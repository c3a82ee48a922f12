"""Convolution, 1-D to 3-D by the input's rank: ``floor((n + 2p - f)/s) + 1`` per axis."""
from __future__ import annotations

import math
from collections.abc import Sequence

from ..core.codes import declare
from ..core.errors import LayerError
from ..core.model import setting
from ..core.shapes import Field, Shape, Window, fmt_axes, fmt_shape, numel
from .activations import (
    ActivationName,
    activation_kind,
    check_shortcut,
    shortcut,
    shortcut_saved,
    shortcut_tensors,
)
from .base import (
    INPUT,
    OWN,
    Counts,
    Layer,
    Moments,
    SavedTensor,
    Size,
    Tensor,
    TorchCall,
    TorchPlan,
    Warn,
    Working,
    chain,
    fmt_kernel,
    fmt_padding,
    one_input,
    per_axis,
    spatial,
)
from .registry import register
from .window import (
    Geometry,
    Padding,
    geometry,
    slide,
    window_field_lines,
    window_lines,
)

GROUPS_DIVIDE = declare(
    "NS407", "groups-divide", "a grouped conv's groups do not divide its channels",
    "A conv with `groups: g` splits its input channels and its filters into g groups, so g "
    "divides both (depthwise: groups = channels).",
    "input: [3, 28, 28]\nlayers:\n  - conv: {filters: 8, kernel: 3, groups: 2}\n")


class _Sliding(Layer):
    """The settings every convolution kind shares: the window, the bias, the activation."""

    casts_weights = True

    kernel: Size | list[Size] = setting(doc="kernel size: one number or one per axis")
    stride: Size | list[Size] = setting(
        default=1, doc="step between windows: one number or one per axis")
    padding: Padding = setting(
        default=0, doc="n, one per axis, [before, after] pairs, same, valid")
    dilation: Size | list[Size] = setting(
        default=1, doc="spacing between kernel taps (1: none): one number or one per axis")
    bias: bool = setting(default=True, doc="learn one bias per output channel")
    activation: ActivationName | None = setting(
        default=None,
        doc="an activation applied after the layer (relu, gelu, ...): one layer fewer")

    def window(self) -> dict:
        return self.settings("kernel", "stride", "padding", "dilation")

    def _geometry(self, x: Shape) -> Geometry:
        """The window on input ``x``: per-axis (before, after) padding and windows."""
        spatial(x, self.kind)
        return geometry(x, self.kernel, self.stride, self.padding, self.dilation)

    def field(self, inputs: Sequence[Shape], fields: Sequence[Field]) -> Field:
        return self._geometry(inputs[0]).field(fields[0])

    def windows(self, inputs: Sequence[Shape]) -> tuple[Window, ...]:
        return self._geometry(inputs[0]).windows

    def trailing_activation(self) -> type[Layer] | None:
        return activation_kind(self.activation)

    def _field_lines(self, inputs: Sequence[Shape], fields: Sequence[Field] | None
                     ) -> tuple[str, ...]:
        if fields is None:
            return ()
        return window_field_lines(fields[0], self.field(inputs, fields), self.windows(inputs))


@register
class Conv(_Sliding):
    """A bank of ``filters`` learned kernels; one bias per filter (seeds 000, 003)."""

    kind = "conv"
    shorthand = "filters"
    example = "- conv: {filters: 96, kernel: 11, stride: 4, name: conv1}"

    filters: Size = setting(doc="number of filters = output channels")
    groups: Size = setting(
        default=1, doc="split channels into groups; groups = channels is depthwise")

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        x = one_input(inputs, self.kind)
        check_shortcut(self.activation)
        g = self._geometry(x)
        for what, n in (("input channels", x[0]), ("filters", self.filters)):
            if n % self.groups:
                raise LayerError(f"groups={self.groups} does not divide the {n} {what}",
                                 details=[f"input {fmt_shape(x)}"], key="groups",
                                 hint="groups must divide both the input channels and filters",
                                 code=GROUPS_DIVIDE)
        return (self.filters, *slide(x, g, warn=warn))

    def counts(self, inputs: Sequence[Shape], out: Shape) -> Counts:
        x = inputs[0]
        per_output = math.prod(per_axis(self.kernel, len(x) - 1, "kernel")) * x[0] // self.groups
        return Counts(weights=per_output * self.filters, biases=self.filters if self.bias else 0,
                      macs=per_output * math.prod(out))

    def working(self, inputs: Sequence[Shape], out: Shape,
                fields: Sequence[Field] | None = None) -> Working:
        """``(3*3*64 + 1) * 128 = 73,856``: one bias per filter (seeds 000, 003)."""
        x, wins = inputs[0], self.windows(inputs)
        c = self.counts(inputs, out)
        channels = (str(x[0]) if self.groups == 1 else
                    "1" if self.groups == x[0] else f"({x[0]}/{self.groups})")
        per_filter = "*".join(str(w.kernel) for w in wins) + f"*{channels}"
        params = (f"({per_filter} + 1) * {self.filters} = {c.params:,}" if self.bias else
                  f"{per_filter} * {self.filters} = {c.params:,} (no biases)")
        macs = (f"{per_filter} = {c.weights // self.filters:,} per output value, times "
                f"{'*'.join(map(str, out))} = {numel(out):,} values: {c.macs:,}")
        return Working(shape=(f"channels: filters = {self.filters}",) + window_lines(wins),
                       params=(params,), macs=(macs,), field=self._field_lines(inputs, fields))

    def label(self, inputs: Sequence[Shape]) -> str:
        rank = len(inputs[0]) - 1
        text = (f"conv {self.filters} {fmt_kernel(self.kernel, rank)} "
                f"/{fmt_axes(per_axis(self.stride, rank, 'stride'))} p{fmt_padding(self.padding)}")
        if self.groups > 1:
            text += f" g{self.groups}"
        if self.dilation != 1:
            text += f" d{fmt_axes(per_axis(self.dilation, rank, 'dilation'))}"
        return text + (f" +{self.activation}" if self.activation else "")

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        x = inputs[0]
        rank = len(x) - 1
        pads = self._geometry(x).pads
        symmetric = all(lo == hi for lo, hi in pads)
        kwargs = {"kernel_size": per_axis(self.kernel, rank, "kernel"),
                  "stride": per_axis(self.stride, rank, "stride"),
                  "padding": tuple(lo for lo, _ in pads) if symmetric else 0,
                  "dilation": per_axis(self.dilation, rank, "dilation"),
                  "groups": self.groups, "bias": self.bias}
        main = TorchCall(f"Conv{rank}d", (x[0], self.filters), kwargs)
        return TorchPlan(main, pre=None if symmetric else ("pad", pad_call(pads)),
                         post=shortcut(self.activation))

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        """Its input, for the weights' gradient (or the padded copy its explicit pad makes),
        and what its activation keeps."""
        return window_input(self.torch(inputs, out), inputs[0]) + shortcut_saved(self.activation)

    def inference(self, inputs: Sequence[Shape], out: Shape, in_place: bool = False) -> Moments:
        return chain(*padded_copy(self.torch(inputs, out), inputs[0]), Tensor(out),
                     *shortcut_tensors(self.activation, out, in_place))


def pad_call(pads: list[tuple[int, int]], value: float = 0.0) -> TorchCall:
    """A ConstantPadNd for per-side padding PyTorch's conv argument cannot express."""
    flat = tuple(p for lo_hi in reversed(pads) for p in lo_hi)  # last axis first, as F.pad wants
    return TorchCall(f"ConstantPad{len(pads)}d", (flat, value))


def padded_copy(plan: TorchPlan, x: Shape) -> tuple[Tensor, ...]:
    """The padded copy of the input that a layer's explicit pad (``plan.pre``) makes, if any."""
    if plan.pre is None:
        return ()
    flat = plan.pre[1].args[0]  # (before, after) per axis, last axis first
    sizes = [n + flat[2 * i] + flat[2 * i + 1] for i, n in enumerate(reversed(x[1:]))]
    return (Tensor((x[0], *reversed(sizes))),)


def window_input(plan: TorchPlan, x: Shape) -> tuple[SavedTensor, ...]:
    """What a sliding window's backward keeps of what it reads: the input, or the padded copy
    its explicit pad made instead (the pad itself keeps nothing)."""
    return tuple(SavedTensor(OWN, t.shape) for t in padded_copy(plan, x)) or (SavedTensor(INPUT),)


@register
class DepthwiseConv(_Sliding):
    """One filter (or ``multiplier`` filters) per input channel, as Keras' DepthwiseConv2D:
    a conv with groups = input channels. MobileNet's spatial step."""

    kind = "depthwise_conv"
    shorthand = "kernel"
    example = "- depthwise_conv: {kernel: 3, stride: 2, padding: 1, bias: false}"

    multiplier: Size = setting(default=1, doc="filters per input channel")

    def as_conv(self, channels: int) -> Conv:
        return Conv(filters=channels * self.multiplier, groups=channels, bias=self.bias,
                    activation=self.activation, **self.window())

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        x = one_input(inputs, self.kind)
        spatial(x, self.kind)
        return self.as_conv(x[0]).infer(inputs, warn)

    def counts(self, inputs: Sequence[Shape], out: Shape) -> Counts:
        return self.as_conv(inputs[0][0]).counts(inputs, out)

    def working(self, inputs: Sequence[Shape], out: Shape,
                fields: Sequence[Field] | None = None) -> Working:
        """A conv's working, with the channels said as one filter set per input channel."""
        c = inputs[0][0]
        w = self.as_conv(c).working(inputs, out, fields)
        return w._replace(shape=(f"channels: {c} input channels * multiplier {self.multiplier} "
                                 f"= {c * self.multiplier} (one filter set per channel)",)
                          + w.shape[1:])

    def label(self, inputs: Sequence[Shape]) -> str:
        return "depthwise " + self.as_conv(inputs[0][0]).label(inputs).split(" ", 2)[2]

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        return self.as_conv(inputs[0][0]).torch(inputs, out)

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        return self.as_conv(inputs[0][0]).saved(inputs, out)

    def inference(self, inputs: Sequence[Shape], out: Shape, in_place: bool = False) -> Moments:
        return self.as_conv(inputs[0][0]).inference(inputs, out, in_place)


@register
class SeparableConv(_Sliding):
    """A depthwise conv then a 1x1 pointwise conv, as Keras' SeparableConv2D (Xception): one
    bias, on the pointwise step. Compiles to ``Sequential(depthwise=..., pointwise=...)``."""

    kind = "separable_conv"
    shorthand = "filters"
    example = "- separable_conv: {filters: 128, kernel: 3, padding: same, bias: false}"

    filters: Size = setting(doc="output channels of the pointwise step")
    multiplier: Size = setting(default=1, doc="depthwise filters per input channel")

    def _depthwise(self, channels: int) -> Conv:
        return Conv(filters=channels * self.multiplier, groups=channels, bias=False,
                    **self.window())

    def _pointwise(self, channels: int) -> Conv:
        return Conv(filters=self.filters, kernel=1, bias=self.bias)

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        x = one_input(inputs, self.kind)
        spatial(x, self.kind)
        check_shortcut(self.activation)
        mid = self._depthwise(x[0]).infer(inputs, warn)
        return self._pointwise(mid[0]).infer([mid], warn)

    def counts(self, inputs: Sequence[Shape], out: Shape) -> Counts:
        x = inputs[0]
        mid = (x[0] * self.multiplier, *out[1:])
        d = self._depthwise(x[0]).counts(inputs, mid)
        p = self._pointwise(mid[0]).counts([mid], out)
        return Counts(d.weights + p.weights, p.biases, 0, d.macs + p.macs)

    def working(self, inputs: Sequence[Shape], out: Shape,
                fields: Sequence[Field] | None = None) -> Working:
        """The depthwise step's working, then the pointwise step's, then their sums."""
        x = inputs[0]
        mid = (x[0] * self.multiplier, *out[1:])
        dw, pw = self._depthwise(x[0]), self._pointwise(mid[0])
        d, p = dw.working(inputs, mid, fields), pw.working([mid], out)
        dc, pc = dw.counts(inputs, mid), pw.counts([mid], out)
        return Working(
            shape=(f"channels: {x[0]} * multiplier {self.multiplier} = {mid[0]} (depthwise), "
                   f"then filters = {self.filters} (pointwise 1x1)",) + d.shape[1:],
            params=(f"depthwise: {d.params[0]}", f"pointwise: {p.params[0]}",
                    f"{dc.params:,} + {pc.params:,} = {dc.params + pc.params:,}"),
            macs=(f"depthwise: {d.macs[0]}", f"pointwise: {p.macs[0]}",
                  f"{dc.macs:,} + {pc.macs:,} = {dc.macs + pc.macs:,}"),
            field=d.field)

    def label(self, inputs: Sequence[Shape]) -> str:
        rank = len(inputs[0]) - 1
        return (f"separable {self.filters} {fmt_kernel(self.kernel, rank)} "
                f"/{fmt_axes(per_axis(self.stride, rank, 'stride'))} p{fmt_padding(self.padding)}"
                + (f" +{self.activation}" if self.activation else ""))

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        x = inputs[0]
        mid = (x[0] * self.multiplier, *out[1:])
        depthwise = self._depthwise(x[0]).torch(inputs, mid)
        pointwise = self._pointwise(mid[0]).torch([mid], out)
        main = TorchCall("Sequential", (), {"depthwise": depthwise.main,
                                            "pointwise": pointwise.main})
        return TorchPlan(main, pre=depthwise.pre, post=shortcut(self.activation))

    def parameter_tensors(self, inputs: Sequence[Shape], out: Shape) -> int:
        return 2 + self.bias  # the depthwise and the pointwise weights, the pointwise bias

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        """The depthwise step keeps its input, the pointwise step the depthwise output."""
        x = inputs[0]
        mid = (x[0] * self.multiplier, *out[1:])
        return (window_input(self.torch(inputs, out), x) + (SavedTensor(OWN, mid),)
                + shortcut_saved(self.activation))

    def inference(self, inputs: Sequence[Shape], out: Shape, in_place: bool = False) -> Moments:
        x = inputs[0]
        mid = (x[0] * self.multiplier, *out[1:])
        return chain(*padded_copy(self.torch(inputs, out), x), Tensor(mid), Tensor(out),
                     *shortcut_tensors(self.activation, out, in_place))
