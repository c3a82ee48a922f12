"""Pooling: max and average windows (no parameters, each channel apart, seed 003), and global
average pooling. The default stride is the pool size (seed 000)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from ..core.codes import declare
from ..core.errors import LayerError
from ..core.model import setting
from ..core.shapes import Field, Shape, Window, axis_names, fmt_axes, fmt_shape, numel
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
    field_lines,
    fmt_kernel,
    fmt_padding,
    one_input,
    per_axis,
    spatial,
)
from .conv import pad_call, padded_copy, window_input
from .registry import register
from .window import (
    BAD_PADDING,
    Geometry,
    Padding,
    PaddingRule,
    geometry,
    slide,
    window_field_lines,
    window_lines,
)

POOL_LARGER_THAN_INPUT = declare(
    "NS410", "pool-larger-than-input", "a 3-D average pool is larger than its input",
    "PyTorch's AvgPool3d refuses an input smaller than the pool on any axis, even with "
    "padding (its 1-D and 2-D forms do not). Use a smaller kernel.",
    "input: [1, 2, 8, 8]\nlayers:\n  - avgpool: {kernel: 3, padding: 1}\n")


class _Pool(Layer):
    shorthand = "kernel"
    torch_prefix: ClassVar[str] = ""
    padding_rule: ClassVar[PaddingRule] = PaddingRule(half_kernel=True)

    kernel: Size | list[Size] = setting(default=2, doc="pool size: one number or one per axis")
    stride: Size | list[Size] | None = setting(default=None, doc="default: the pool size")
    padding: Padding = setting(
        default=0, doc="n, one per axis, [before, after] pairs, same, valid")
    ceil_mode: bool = setting(
        default=False, doc="keep a last, partial window (PyTorch's ceil_mode)")

    def _geometry(self, x: Shape) -> Geometry:
        """The window on input ``x``: per-axis (before, after) padding and windows."""
        return geometry(x, self.kernel, self._stride(), self.padding, ceil_mode=self.ceil_mode)

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        x = one_input(inputs, self.kind)
        rank = spatial(x, self.kind)
        ks, g = per_axis(self.kernel, rank, "kernel"), self._geometry(x)
        self._check(x, ks, g.pads)
        return (x[0], *slide(x, g, warn=warn, rule=self.padding_rule))

    def _check(self, x: Shape, ks: tuple[int, ...], pads: list[tuple[int, int]]) -> None:
        """The padding PyTorch's pools refuse, as ``padding_rule`` states it (the non-tiling
        hint reads the same rule): more than half the pool on a side, and one-sided padding
        for a kind that pads both sides alike."""
        if self.padding_rule.symmetric and any(lo != hi for lo, hi in pads):
            raise LayerError(f"{self.kind} pads both sides alike", key="padding",
                             hint="one-sided padding ('same' on some sizes) is for maxpool",
                             code=BAD_PADDING)
        for k, (lo, hi) in zip(ks, pads):
            if self.padding_rule.half_kernel and 2 * max(lo, hi) > k:
                raise LayerError(f"padding {max(lo, hi)} is more than half the pool size {k}",
                                 key="padding", hint=f"PyTorch allows padding of at most {k // 2}",
                                 code=BAD_PADDING)

    def _stride(self) -> int | list[int]:
        return self.kernel if self.stride is None else self.stride

    def field(self, inputs: Sequence[Shape], fields: Sequence[Field]) -> Field:
        return self._geometry(inputs[0]).field(fields[0])

    def counts(self, inputs: Sequence[Shape], out: Shape) -> Counts:
        return Counts()

    def windows(self, inputs: Sequence[Shape]) -> tuple[Window, ...]:
        return self._geometry(inputs[0]).windows

    def working(self, inputs: Sequence[Shape], out: Shape,
                fields: Sequence[Field] | None = None) -> Working:
        """The window per axis; no parameters, each channel pooled alone (seed 003)."""
        wins = self.windows(inputs)
        field = () if fields is None else window_field_lines(
            fields[0], self.field(inputs, fields), wins)
        stride = "" if self.stride is not None else "; the stride is the pool size"
        return Working(shape=(f"channels: unchanged, {out[0]}, each pooled alone{stride}",)
                       + window_lines(wins),
                       params=("none: a pool has no parameters",),
                       macs=("none counted (a max or a mean of each window, no weights)",),
                       field=field)

    def label(self, inputs: Sequence[Shape]) -> str:
        rank = len(inputs[0]) - 1
        text = (f"{self.kind} {fmt_kernel(self.kernel, rank)} "
                f"/{fmt_axes(per_axis(self._stride(), rank, 'stride'))}")
        if self.padding not in (0, "valid"):
            text += f" p{fmt_padding(self.padding)}"
        return text + (" ceil" if self.ceil_mode else "")

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        x = inputs[0]
        rank = len(x) - 1
        ks, ss = per_axis(self.kernel, rank, "kernel"), per_axis(self._stride(), rank, "stride")
        pads = self._geometry(x).pads
        kw: dict[str, Any] = {"kernel_size": ks, "stride": ss}
        if all(lo == hi for lo, hi in pads):
            kw.update(padding=tuple(lo for lo, _ in pads), ceil_mode=self.ceil_mode)
            return TorchPlan(TorchCall(f"{self.torch_prefix}{rank}d", (), kw))
        # One-sided padding (TensorFlow's 'same'): pad with -inf first, which no max picks,
        # exactly as far as the windows reach. PyTorch then sees no padding of its own, and
        # ceil_mode's rule (no window starts in the right padding) is applied here instead.
        reach = [(lo, max(0, (o - 1) * s + k - n - lo))
                 for (lo, _), o, s, k, n in zip(pads, out[1:], ss, ks, x[1:])]
        kw.update(padding=0, ceil_mode=False)
        return TorchPlan(TorchCall(f"{self.torch_prefix}{rank}d", (), kw),
                         pre=("pad", pad_call(reach, float("-inf"))))


@register
class MaxPool(_Pool):
    """The largest value in each window."""

    kind = "maxpool"
    torch_prefix = "MaxPool"
    example = "- maxpool: 2"

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        """Its input (or the padded copy) and where each maximum was: int64 indices, one per
        output value (twice a float32 output's bytes)."""
        return window_input(self.torch(inputs, out), inputs[0]) + (
            SavedTensor(OWN, out, "int64"),)

    def inference(self, inputs: Sequence[Shape], out: Shape, in_place: bool = False) -> Moments:
        """PyTorch's CPU kernel finds the indices even without a backward, and drops them."""
        pool = (Tensor(out), Tensor(out, "int64"))
        pads = padded_copy(self.torch(inputs, out), inputs[0])
        return (pads, pads + pool) if pads else (pool,)


@register
class AvgPool(_Pool):
    """The mean of each window (padding counts as zeros, as in PyTorch)."""

    kind = "avgpool"
    torch_prefix = "AvgPool"
    padding_rule = PaddingRule(symmetric=True, half_kernel=True)
    example = "- avgpool: {kernel: 3, stride: 1, padding: 1}"

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        return window_input(self.torch(inputs, out), inputs[0])

    def inference(self, inputs: Sequence[Shape], out: Shape, in_place: bool = False) -> Moments:
        return chain(*padded_copy(self.torch(inputs, out), inputs[0]), Tensor(out))

    def _check(self, x: Shape, ks: tuple[int, ...], pads: list[tuple[int, int]]) -> None:
        """PyTorch's AvgPool3d also refuses an input smaller than the pool, padding or not."""
        super()._check(x, ks, pads)
        if len(ks) == 3 and any(n < k for n, k in zip(x[1:], ks)):
            raise LayerError(  # PyTorch's avg_pool3d checks this; its 1-D and 2-D forms do not
                f"a 3-D avgpool needs every input size to be at least the pool size, got input "
                f"{fmt_shape(x)} and kernel {fmt_kernel(self.kernel, 3)}", key="kernel",
                hint="PyTorch's AvgPool3d refuses this even with padding: a smaller kernel",
                code=POOL_LARGER_THAN_INPUT)


@register
class GlobalAvgPool(Layer):
    """The mean of each channel over all positions: (C, H, W) -> (C,)."""

    kind = "global_avgpool"
    example = "- global_avgpool"

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        x = one_input(inputs, self.kind)
        spatial(x, self.kind, hint="global pooling needs spatial axes to average over")
        return (x[0],)

    def field(self, inputs: Sequence[Shape], fields: Sequence[Field]) -> Field:
        return fields[0].whole(inputs[0][1:])  # the whole input

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        return ()  # PyTorch takes a mean, whose backward needs only the input's size

    def working(self, inputs: Sequence[Shape], out: Shape,
                fields: Sequence[Field] | None = None) -> Working:
        """One mean per channel; each output sees every position its input's positions see."""
        x = inputs[0]
        shape = (f"{fmt_shape(x)} -> {fmt_shape(out)}: each channel's "
                 f"{'*'.join(map(str, x[1:]))} = {numel(x[1:]):,} values averaged to one",)
        field: tuple[str, ...] = ()
        if fields is not None:
            before, after = fields[0], self.field(inputs, fields)
            field = tuple(f"{axis}: the whole input, {r} + ({n} - 1)*{j} = {r2}"
                          for axis, r, n, j, r2 in zip(axis_names(len(x) - 1), before.size,
                                                       x[1:], before.jump, after.size))
        return Working(shape=shape, params=("none",), macs=("none counted (a mean per channel)",),
                       field=field)

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        rank = len(inputs[0]) - 1
        return TorchPlan(TorchCall(f"AdaptiveAvgPool{rank}d", (1,)),
                         post=("flatten", TorchCall("Flatten")))


@register
class AdaptiveAvgPool(Layer):
    """Average pooling to a fixed output size, whatever the input size (torchvision's VGG and
    ResNet heads): each output cell averages its share of the input."""

    kind = "adaptive_avgpool"
    shorthand = "output"
    example = "- adaptive_avgpool: 7"

    output: Size | list[Size] = setting(default=1, doc="output size: one number or one per axis")

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        x = one_input(inputs, self.kind)
        rank = spatial(x, self.kind, hint="adaptive pooling needs spatial axes")
        return (x[0], *per_axis(self.output, rank, "output"))

    def label(self, inputs: Sequence[Shape]) -> str:
        return f"adaptive_avgpool {fmt_kernel(self.output, len(inputs[0]) - 1)}"

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        """Its input; nothing for an output of one cell, which PyTorch takes as a mean."""
        return () if all(n == 1 for n in out[1:]) else (SavedTensor(INPUT),)

    def field(self, inputs: Sequence[Shape], fields: Sequence[Field]) -> Field:
        """Output cell i averages input cells floor(i*n/o) to ceil((i+1)*n/o) - 1 (PyTorch's
        rule). When o divides n these are windows of n/o with a stride of n/o, exactly; else
        they overlap unevenly, and the field is the stride n // o with a window widened to hold
        every cell's (n - (o - 1) * (n // o)): an upper bound, never short of what is read."""
        sizes = inputs[0][1:]
        outs = per_axis(self.output, len(sizes), "output")
        steps = [n // o for n, o in zip(sizes, outs)]
        return fields[0].through([n - (o - 1) * q for n, o, q in zip(sizes, outs, steps)],
                                 steps, [0] * len(sizes))

    def working(self, inputs: Sequence[Shape], out: Shape,
                fields: Sequence[Field] | None = None) -> Working:
        """Per axis, which input cells each output cell averages (PyTorch's rule)."""
        x = inputs[0]
        axes: dict[tuple[int, int], list[str]] = {}
        for axis, n, o in zip(axis_names(len(x) - 1), x[1:], out[1:]):
            axes.setdefault((n, o), []).append(axis)
        lines = [f"channels: unchanged, {x[0]}"]
        for (n, o), names in axes.items():
            head = f"{' and '.join(names)}: {n} into {o} cells = {o}: "
            if n % o == 0:
                lines.append(head + f"{n} / {o} = {n // o} values each, a window of {n // o} "
                             f"with stride {n // o}")
            else:
                cells = [0, 1, o - 1] if o > 3 else list(range(o))
                reads = [f"cell {i} reads {i * n // o} to {-(-(i + 1) * n // o) - 1}"
                         for i in cells]
                lines.append(head + f"cell i averages input cells floor(i*{n}/{o}) to "
                             f"ceil((i+1)*{n}/{o}) - 1: " + ", ".join(reads[:2])
                             + (", ..., " if o > 3 else ", ") * (len(reads) > 2)
                             + ", ".join(reads[2:]))
        field = () if fields is None else field_lines(fields, self.field(inputs, fields))
        return Working(shape=tuple(lines), params=("none",),
                       macs=("none counted (a mean per cell)",), field=field)

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        rank = len(inputs[0]) - 1
        return TorchPlan(TorchCall(f"AdaptiveAvgPool{rank}d", (out[1:],)))
