"""The top level of a spec file and its block definitions, as dataclasses pydantic validates.
Layer items are validated by their kinds, when the graph is built."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from ..core.model import Constrain, Count, Name, Ref, Size, SpecModel, setting

REQUIRED = "required"  # a block parameter's default that means "must be given"


class BlockDef(SpecModel):
    """``params`` maps each parameter to its default (``required`` for none)."""

    params: dict[str, Any] = setting(default_factory=dict)
    layers: Annotated[list[Any], Constrain(min_length=1)]
    description: str | None = None
    # like nn.Sequential (torchvision's Conv2dNormActivation): unnamed children are numbered
    sequential: bool = False


class Placement(SpecModel):
    """Where a group or a block's use stands: its name, and the one layer its first layer
    reads (its `repeat:` is checked apart, as every repeat is)."""

    name: Name | None = setting(default=None, doc="the group's or block use's name")
    input: Ref | None = setting(default=None, doc="what its first layer reads")


class NetworkExpect(SpecModel):
    """What the whole network should be: checked by `netspec check`, reported at its line."""

    output_shape: list[Size] | None = setting(default=None, doc="the network's output shape")
    params: Count | None = setting(default=None, doc="exact number of learnable parameters")
    max_params: Count | None = setting(default=None, doc="parameter budget: at most this many")


class TrainSettings(SpecModel):
    """How `netspec train` trains the network, when its output's shape alone does not say
    (checked against the output by `netspec check`, reported at its line)."""

    task: Literal["classify", "segment", "reconstruct"] | None = setting(
        default=None, doc="classify (output (classes,)), segment (per-pixel classes, output "
                          "(classes, H, W)) or reconstruct (output = input); default: from "
                          "the output's shape")
    loss: Literal["cross_entropy", "mse", "bce"] | None = setting(
        default=None, doc="cross_entropy (classify, segment); mse or bce (reconstruct; bce "
                          "needs a sigmoid output); default: bce after a sigmoid, else mse")


class SpecFile(SpecModel):
    """A network: its input shape (channels first, no batch axis) and its layers, in order."""

    name: Annotated[str, Constrain(max_length=128)] | None = setting(
        default=None, doc="default: the file's name")
    description: str | None = None
    input: Annotated[list[Size], Constrain(min_length=1, max_length=4)] = setting(
        doc="[C], [C, L], [C, H, W] or [C, D, H, W]")
    defaults: dict[str, dict[str, Any]] = setting(
        default_factory=dict, doc="settings per layer kind, e.g. conv: {kernel: 3}")
    blocks: dict[str, BlockDef] = setting(
        default_factory=dict, doc="reusable blocks: name -> {params, layers}")
    layers: Annotated[list[Any], Constrain(min_length=1)] = setting(
        doc="layer items, in order")
    expect: NetworkExpect | None = None
    train: TrainSettings | None = None
