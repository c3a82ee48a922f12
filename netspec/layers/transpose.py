"""Transposed convolution, 1-D to 3-D by the input's rank: each input position spreads a learned
kernel over the output, ``stride`` apart, so the output grows:
``(n-1)*s - 2p + d*(f-1) + output_padding + 1`` per axis (PyTorch's ConvTranspose)."""
from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from ..core.codes import declare
from ..core.errors import LayerError
from ..core.model import NonNeg, setting
from ..core.shapes import Field, Shape, axis_names, fmt_axes, fmt_shape, numel
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
    one_input,
    per_axis,
    spatial,
)
from .conv import GROUPS_DIVIDE
from .registry import register
from .resize import RESIZED_EMPTY, bounded, resampled_field

OUTPUT_PADDING = declare(
    "NS414", "output-padding", "a transposed conv's output_padding is not below its stride or "
    "dilation",
    "A strided conv maps several input sizes to one output size; `output_padding` picks which "
    "of them its transpose gives back, by adding up to stride - 1 rows at the end. PyTorch "
    "requires it to be smaller than the stride or the dilation on each axis.",
    "input: [1, 7, 7]\nlayers:\n  - conv_transpose: {filters: 1, kernel: 3, stride: 2, "
    "output_padding: 2}\n")


@register
class ConvTranspose(Layer):
    """A transposed convolution (U-Net's up-convolution, a decoder's upsampling step): output
    ``(n-1)*s - 2p + d*(f-1) + output_padding + 1`` per axis; parameters
    ``f^dims * C_in * filters / groups`` + ``filters`` biases."""

    kind = "conv_transpose"
    casts_weights = True
    shorthand = "filters"
    example = "- conv_transpose: {filters: 512, kernel: 2, stride: 2}"

    filters: Size = setting(doc="number of filters = output channels")
    kernel: Size | list[Size] = setting(doc="kernel size: one number or one per axis")
    stride: Size | list[Size] = setting(
        default=1, doc="step between the kernels' placements: one number or one per axis")
    padding: NonNeg | list[NonNeg] = setting(
        default=0, doc="rows taken off both ends of each axis: one number or one per axis")
    output_padding: NonNeg | list[NonNeg] = setting(
        default=0, doc="rows added at the end of each axis, below the stride or dilation")
    dilation: Size | list[Size] = setting(
        default=1, doc="spacing between kernel taps (1: none): one number or one per axis")
    groups: Size = setting(default=1, doc="split channels into groups, as for conv")
    bias: bool = setting(default=True, doc="learn one bias per output channel")
    activation: ActivationName | None = setting(
        default=None,
        doc="an activation applied after the layer (relu, gelu, ...): one layer fewer")

    def _axes(self, rank: int) -> list[tuple[int, int, int, int, int]]:
        """Per axis: (kernel, stride, padding, output_padding, dilation)."""
        return list(zip(*(per_axis(getattr(self, k), rank, k) for k in (
            "kernel", "stride", "padding", "output_padding", "dilation"))))

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        x = one_input(inputs, self.kind)
        rank = spatial(x, self.kind)
        check_shortcut(self.activation)
        for what, n in (("input channels", x[0]), ("filters", self.filters)):
            if n % self.groups:
                raise LayerError(f"groups={self.groups} does not divide the {n} {what}",
                                 details=[f"input {fmt_shape(x)}"], key="groups",
                                 hint="groups must divide both the input channels and filters",
                                 code=GROUPS_DIVIDE)
        out = []
        for (name, formula, size), (_, s, p, op, d) in zip(self.formulas(x), self._axes(rank)):
            if op >= s and op >= d:
                raise LayerError(
                    f"output_padding {op} on the {name} must be smaller than the stride ({s}) "
                    f"or the dilation ({d})", key="output_padding",
                    hint=f"an output_padding of at most {max(s, d) - 1} (PyTorch's rule)",
                    code=OUTPUT_PADDING)
            if size < 1:
                raise LayerError(
                    f"output {name} is {formula} = {size}, but every size must be at least 1",
                    details=[f"input {fmt_shape(x)}"], key="padding",
                    hint=f"padding of at most {(size + 2 * p - 1) // 2} keeps the {name} "
                         "positive", code=RESIZED_EMPTY)
            out.append(bounded(name, formula, size, "stride"))
        return (self.filters, *out)

    def formulas(self, x: Shape) -> list[tuple[str, str, int]]:
        """Per spatial axis: its name, the output size's arithmetic, the size."""
        rank = len(x) - 1
        return [(name, f"({n}-1)*{s} - 2*{p} + {d}*({f}-1) + {op} + 1",
                 (n - 1) * s - 2 * p + d * (f - 1) + op + 1)
                for name, n, (f, s, p, op, d) in zip(axis_names(rank), x[1:], self._axes(rank))]

    def trailing_activation(self) -> type[Layer] | None:
        return activation_kind(self.activation)

    def working(self, inputs: Sequence[Shape], out: Shape,
                fields: Sequence[Field] | None = None) -> Working:
        """``(n-1)*s - 2p + d*(f-1) + output_padding + 1`` per axis; a conv's parameters."""
        x, c = inputs[0], self.counts(inputs, out)
        taps = "*".join(map(str, per_axis(self.kernel, len(x) - 1, "kernel")))
        per_input = f"{taps}*{self.filters}" + (f"/{self.groups}" if self.groups > 1 else "")
        params = (f"{per_input}*{x[0]} + {self.filters} = {c.params:,}" if self.bias else
                  f"{per_input}*{x[0]} = {c.params:,} (no biases)")
        return super().working(inputs, out, fields)._replace(
            shape=(f"channels: filters = {self.filters}",) + tuple(
                f"{name}: {formula} = {size}" for name, formula, size in self.formulas(x)),
            params=(params,), macs=(f"{per_input} = {c.weights // x[0]:,} per input value, "
                                    f"times {'*'.join(map(str, x))} = {numel(x):,} values: "
                                    f"{c.macs:,}",))

    def counts(self, inputs: Sequence[Shape], out: Shape) -> Counts:
        x = inputs[0]
        per_input = math.prod(per_axis(self.kernel, len(x) - 1, "kernel")) * (
            self.filters // self.groups)
        return Counts(weights=per_input * x[0], biases=self.filters if self.bias else 0,
                      macs=per_input * math.prod(x))

    def field(self, inputs: Sequence[Shape], fields: Sequence[Field]) -> Field:
        """Output ``o`` gathers the inputs ``i`` with ``i*s - p + t*d = o`` for a tap ``t``:
        those from ``(o + p - d(f-1))/s`` to ``(o + p)/s``."""
        x = inputs[0]
        rank = len(x) - 1
        reads = [(Fraction(p - d * (f - 1), s), Fraction(p, s), Fraction(1, s))
                 for f, s, p, _, d in self._axes(rank)]
        return resampled_field(fields[0], reads)

    def label(self, inputs: Sequence[Shape]) -> str:
        rank = len(inputs[0]) - 1
        text = (f"conv_transpose {self.filters} {fmt_kernel(self.kernel, rank)} "
                f"/{fmt_axes(per_axis(self.stride, rank, 'stride'))} "
                f"p{fmt_axes(per_axis(self.padding, rank, 'padding'))}")
        if self.output_padding != 0:
            text += f" op{fmt_axes(per_axis(self.output_padding, rank, 'output_padding'))}"
        if self.groups > 1:
            text += f" g{self.groups}"
        if self.dilation != 1:
            text += f" d{fmt_axes(per_axis(self.dilation, rank, 'dilation'))}"
        return text + (f" +{self.activation}" if self.activation else "")

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        x = inputs[0]
        rank = len(x) - 1
        kernel, stride, padding, output_padding, dilation = zip(*self._axes(rank))
        kwargs = {"kernel_size": kernel, "stride": stride, "padding": padding,
                  "output_padding": output_padding, "groups": self.groups, "bias": self.bias,
                  "dilation": dilation}
        main = TorchCall(f"ConvTranspose{rank}d", (x[0], self.filters), kwargs)
        return TorchPlan(main, post=shortcut(self.activation))

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        """Its input, for the weights' gradient, and what its activation keeps."""
        return (SavedTensor(INPUT),) + shortcut_saved(self.activation)

    def inference(self, inputs: Sequence[Shape], out: Shape, in_place: bool = False) -> Moments:
        return chain(Tensor(out), *shortcut_tensors(self.activation, out, in_place))
