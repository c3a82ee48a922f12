"""Element-wise activations: each is a kind of its own (`- relu`) and a shortcut
(`activation: relu`) on conv and dense. Shape in = shape out, no MACs, and no parameters but
prelu's, which learns its negative slope (and so is a layer of its own, never a shortcut).

The compiled module runs relu and leaky_relu in place (``inplace=True``, ``runs_in_place``)
where nothing else reads their input (netspec.analysis.inplace says where), and no other kind,
as measured with ``saved_tensors_hooks`` after conv and batchnorm: relu and leaky_relu keep
their result, so in place they overwrite their input and keep that storage, one tensor less,
with bit-identical outputs and gradients. The other kinds PyTorch runs in place save nothing
by it: relu6, silu, hardswish, hardsigmoid and mish differentiate from their input, so autograd
keeps a clone of it (as many bytes kept, one copy more); elu differentiates from its result by
another formula, so its gradients are no longer bit-identical."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, ClassVar, Literal

from ..core.codes import declare
from ..core.errors import LayerError
from ..core.model import Constrain, setting
from ..core.shapes import Shape
from .base import (
    BEFORE_ACTIVATION,
    INPUT,
    OUTPUT,
    Counts,
    Layer,
    Moments,
    SavedTensor,
    Tensor,
    TorchCall,
    TorchPlan,
    Warn,
    one_input,
)
from .registry import register

LEARNABLE_SHORTCUT = declare(
    "NS206", "learnable-shortcut", "`activation: prelu` on a conv or dense layer",
    "The `activation:` shortcut adds a parameterless module after the layer, so that the "
    "state_dict keys stay the spec's layer names. prelu learns its slope: write it as a layer "
    "of its own (`- prelu`) after this one.",
    "input: [1, 28, 28]\nlayers:\n  - conv: {filters: 8, kernel: 3, activation: prelu}\n")


class _Activation(Layer):
    torch_cls: ClassVar[str] = ""
    is_activation = True
    # what its backward keeps: its input (most), or its output, from which the derivative
    # follows (relu, tanh, sigmoid, softmax), as PyTorch's derivatives.yaml has it
    keeps: ClassVar[str] = INPUT

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        return one_input(inputs, self.kind)

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        return (SavedTensor(self.keeps),)

    def inference(self, inputs: Sequence[Shape], out: Shape, in_place: bool = False) -> Moments:
        return () if in_place else ((Tensor(out),),)

    def call(self) -> TorchCall:
        return TorchCall(self.torch_cls, (), self.settings())

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        return TorchPlan(self.call())


@register
class Relu(_Activation):
    """max(0, x)."""

    kind = "relu"
    torch_cls = "ReLU"
    keeps = OUTPUT
    runs_in_place = True
    example = "- relu"


@register
class Relu6(_Activation):
    """min(max(0, x), 6), as in MobileNet."""

    kind = "relu6"
    torch_cls = "ReLU6"
    example = "- relu6"


@register
class Gelu(_Activation):
    """Gaussian error linear unit."""

    kind = "gelu"
    torch_cls = "GELU"
    example = "- gelu"


@register
class Tanh(_Activation):
    """Hyperbolic tangent."""

    kind = "tanh"
    torch_cls = "Tanh"
    keeps = OUTPUT
    example = "- tanh"


@register
class Sigmoid(_Activation):
    """1 / (1 + exp(-x))."""

    kind = "sigmoid"
    torch_cls = "Sigmoid"
    output_activation = True  # a probability per output; inside a network it saturates
    independent_probabilities = True
    keeps = OUTPUT
    example = "- sigmoid"


@register
class LeakyRelu(_Activation):
    """x for x > 0, else negative_slope * x."""

    kind = "leaky_relu"
    torch_cls = "LeakyReLU"
    runs_in_place = True
    shorthand = "negative_slope"
    example = "- leaky_relu: 0.1"
    negative_slope: Annotated[float, Constrain(ge=0, le=1)] = setting(
        default=0.01, doc="the slope for x < 0")


@register
class Elu(_Activation):
    """x for x > 0, else alpha * (exp(x) - 1)."""

    kind = "elu"
    torch_cls = "ELU"
    shorthand = "alpha"
    example = "- elu"
    alpha: Annotated[float, Constrain(gt=0, le=100)] = setting(
        default=1.0, doc="the value approached as x goes to minus infinity is -alpha")


@register
class Silu(_Activation):
    """x * sigmoid(x), EfficientNet's activation (also called swish)."""

    kind = "silu"
    torch_cls = "SiLU"
    example = "- silu"


@register
class Swish(_Activation):
    """Another name for silu: x * sigmoid(x)."""

    kind = "swish"
    torch_cls = "SiLU"
    example = "- swish"


@register
class Hardswish(_Activation):
    """x * relu6(x + 3) / 6, MobileNetV3's cheap swish."""

    kind = "hardswish"
    torch_cls = "Hardswish"
    example = "- hardswish"


@register
class Hardsigmoid(_Activation):
    """relu6(x + 3) / 6, MobileNetV3's cheap sigmoid (its squeeze-and-excitation gate)."""

    kind = "hardsigmoid"
    torch_cls = "Hardsigmoid"
    example = "- hardsigmoid"


@register
class Mish(_Activation):
    """x * tanh(softplus(x))."""

    kind = "mish"
    torch_cls = "Mish"
    example = "- mish"


@register
class Prelu(_Activation):
    """x for x > 0, else a * x with the slope a learned: one slope for the whole layer, as
    PyTorch's PReLU by default, or one per channel (``per_channel``)."""

    kind = "prelu"
    casts_weights = True
    torch_cls = "PReLU"
    example = "- prelu: {per_channel: true}"

    per_channel: bool = setting(
        default=False, doc="learn one slope per channel instead of one (PyTorch's default)")
    init: Annotated[float, Constrain(ge=-100, le=100)] = setting(
        default=0.25, doc="the slopes' initial value")

    def _slopes(self, x: Shape) -> int:
        return x[0] if self.per_channel else 1

    def counts(self, inputs: Sequence[Shape], out: Shape) -> Counts:
        return Counts(weights=self._slopes(inputs[0]))

    def label(self, inputs: Sequence[Shape]) -> str:
        return f"prelu {self._slopes(inputs[0])}"

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        return TorchPlan(TorchCall("PReLU", (), {"num_parameters": self._slopes(inputs[0]),
                                                 "init": self.init}))


class _ChannelNorm(_Activation):
    """Normalised over the channel axis (axis 1 with the batch: a classifier's class scores)."""

    output_activation = True
    keeps = OUTPUT

    def call(self) -> TorchCall:
        return TorchCall(type(self).torch_cls, (), {"dim": 1})


@register
class Softmax(_ChannelNorm):
    """exp(x_i) / sum_j exp(x_j) over the channels: class probabilities."""

    kind = "softmax"
    torch_cls = "Softmax"
    example = "- softmax"


@register
class LogSoftmax(_ChannelNorm):
    """log of softmax, computed stably; pairs with a negative log-likelihood loss."""

    kind = "log_softmax"
    torch_cls = "LogSoftmax"
    example = "- log_softmax"


# prelu is named so that its refusal can say why (check_shortcut), rather than "did you mean relu"
ActivationName = Literal["relu", "relu6", "leaky_relu", "elu", "gelu", "tanh", "sigmoid",
                         "softmax", "log_softmax", "silu", "swish", "hardswish", "hardsigmoid",
                         "mish", "prelu"]
_BY_NAME = {c.kind: c for c in (Relu, Relu6, LeakyRelu, Elu, Gelu, Tanh, Sigmoid, Softmax,
                                LogSoftmax, Silu, Swish, Hardswish, Hardsigmoid, Mish)}


def check_shortcut(name: str | None) -> None:
    """Refuse a shortcut to a kind with parameters (prelu): the layer's infer calls this."""
    if name is not None and name not in _BY_NAME:
        raise LayerError(f"activation: {name} learns parameters, so it cannot be a shortcut",
                         key="activation", hint=f"write `- {name}` as a layer after this one",
                         code=LEARNABLE_SHORTCUT)


def activation_kind(name: str | None) -> type[Layer] | None:
    """The kind an ``activation:`` shortcut names (None for none; prelu too, which is no
    shortcut: check_shortcut refuses it)."""
    return None if name is None else _BY_NAME.get(name)


def shortcut(name: str | None) -> tuple[str, TorchCall] | None:
    """The parameterless post-module for an ``activation:`` shortcut, with its default settings."""
    return None if name is None else (name, _BY_NAME[name]().call())


def shortcut_saved(name: str | None) -> tuple[SavedTensor, ...]:
    """What an ``activation:`` shortcut's backward keeps, said of the layer it ends: its input
    is the layer's tensor before the activation, its output the layer's output."""
    if name is None:
        return ()
    keeps = _BY_NAME[name].keeps
    return (SavedTensor(BEFORE_ACTIVATION if keeps == INPUT else OUTPUT),)


def shortcut_tensors(name: str | None, out: Shape, in_place: bool) -> tuple[Tensor, ...]:
    """The tensors an ``activation:`` shortcut adds at inference after the layer's main module:
    a new output, or none when it runs in place."""
    return () if name is None or in_place else (Tensor(out),)
