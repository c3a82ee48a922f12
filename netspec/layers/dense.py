"""Fully connected layer: ``(n_in + 1) * n_out`` parameters on a flat input."""
from __future__ import annotations

from collections.abc import Sequence

from ..core.codes import declare
from ..core.errors import LayerError
from ..core.model import setting
from ..core.shapes import Field, Shape, fmt_shape, numel
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
    one_input,
)
from .registry import register

NEEDS_FLAT = declare(
    "NS404", "needs-flat", "a dense layer gets an input with spatial axes",
    "A dense (fully connected) layer takes a flat vector of features. After conv and pool "
    "layers, `- flatten` lays (C, H, W) out as C*H*W features, or `- global_avgpool` "
    "averages each channel to one (C features, far fewer parameters).",
    "input: [1, 28, 28]\nlayers:\n  - conv: {filters: 8, kernel: 3}\n  - dense: 10\n")


@register
class Dense(Layer):
    """Every output unit sees every input feature (Keras' Dense, PyTorch's Linear)."""

    kind = "dense"
    casts_weights = True
    shorthand = "units"
    example = "- dense: {units: 10, activation: softmax}"

    units: Size = setting(doc="number of output units")
    bias: bool = setting(default=True, doc="learn one bias per unit")
    activation: ActivationName | None = setting(
        default=None,
        doc="an activation applied after the layer (relu, gelu, ...): one layer fewer")

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        x = one_input(inputs, self.kind)
        check_shortcut(self.activation)
        if len(x) != 1:
            raise LayerError(
                f"dense needs a flat input (features,), got {fmt_shape(x)}",
                details=[f"flattening {fmt_shape(x)} gives {numel(x):,} features"],
                hint=f"add `- flatten` before this layer ({numel(x):,} features)"
                     + (f" or `- global_avgpool` ({x[0]:,} features)" if len(x) > 1 else ""),
                code=NEEDS_FLAT)
        return (self.units,)

    def counts(self, inputs: Sequence[Shape], out: Shape) -> Counts:
        n_in = inputs[0][0]
        return Counts(weights=n_in * self.units, biases=self.units if self.bias else 0,
                      macs=n_in * self.units)

    def trailing_activation(self) -> type[Layer] | None:
        return activation_kind(self.activation)

    def working(self, inputs: Sequence[Shape], out: Shape,
                fields: Sequence[Field] | None = None) -> Working:
        """``(n_in + 1) * n_out``: every unit weighs every input and has one bias."""
        n, c = inputs[0][0], self.counts(inputs, out)
        params = (f"({n} + 1) * {self.units} = {c.params:,}" if self.bias else
                  f"{n} * {self.units} = {c.params:,} (no biases)")
        return super().working(inputs, out, fields)._replace(
            shape=(f"units = {self.units}",), params=(params,),
            macs=(f"{n} * {self.units} = {c.macs:,}",))

    def label(self, inputs: Sequence[Shape]) -> str:
        return f"dense {self.units}" + (f" +{self.activation}" if self.activation else "")

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        main = TorchCall("Linear", (inputs[0][0], self.units), {"bias": self.bias})
        return TorchPlan(main, post=shortcut(self.activation))

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        """Its input, for the weights' gradient, and what its activation keeps."""
        return (SavedTensor(INPUT),) + shortcut_saved(self.activation)

    def inference(self, inputs: Sequence[Shape], out: Shape, in_place: bool = False) -> Moments:
        return chain(Tensor(out), *shortcut_tensors(self.activation, out, in_place))
