"""Element-wise activations: each is a kind of its own (`- relu`) and a shortcut
(`activation: relu`) on conv and dense. Shape in = shape out, no parameters, no MACs."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, ClassVar, Literal

from ..core.model import Constrain, setting
from ..core.shapes import Shape
from .base import Layer, TorchCall, TorchPlan, Warn, one_input
from .registry import register


class _Activation(Layer):
    torch_cls: ClassVar[str] = ""
    is_activation = True

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        return one_input(inputs, self.kind)

    def call(self) -> TorchCall:
        return TorchCall(self.torch_cls, (), self.settings())

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        return TorchPlan(self.call())


@register
class Relu(_Activation):
    """max(0, x)."""

    kind = "relu"
    torch_cls = "ReLU"
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
    example = "- tanh"


@register
class Sigmoid(_Activation):
    """1 / (1 + exp(-x))."""

    kind = "sigmoid"
    torch_cls = "Sigmoid"
    output_activation = True  # a probability per output; inside a network it saturates
    example = "- sigmoid"


@register
class LeakyRelu(_Activation):
    """x for x > 0, else negative_slope * x."""

    kind = "leaky_relu"
    torch_cls = "LeakyReLU"
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


class _ChannelNorm(_Activation):
    """Normalised over the channel axis (axis 1 with the batch: a classifier's class scores)."""

    output_activation = True

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


ActivationName = Literal["relu", "relu6", "leaky_relu", "elu", "gelu", "tanh", "sigmoid",
                         "softmax", "log_softmax"]
_BY_NAME = {c.kind: c for c in (Relu, Relu6, LeakyRelu, Elu, Gelu, Tanh, Sigmoid, Softmax,
                                LogSoftmax)}


def activation_kind(name: str | None) -> type[Layer] | None:
    """The kind an ``activation:`` shortcut names (None for none)."""
    return None if name is None else _BY_NAME[name]


def shortcut(name: str | None) -> tuple[str, TorchCall] | None:
    """The parameterless post-module for an ``activation:`` shortcut, with its default settings."""
    return None if name is None else (name, _BY_NAME[name]().call())
