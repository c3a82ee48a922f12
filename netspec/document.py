"""The top level of a spec file, as pydantic models. Layer items are validated by their kinds."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .blocks import BlockDef
from .layers.base import NonNeg, Size


class NetworkExpect(BaseModel):
    """What the whole network should be: checked by `netspec check`, reported at its line."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    output_shape: list[Size] | None = Field(None, description="the network's output shape")
    params: NonNeg | None = Field(None, description="exact number of learnable parameters")
    max_params: NonNeg | None = Field(None, description="parameter budget: at most this many")


class SpecFile(BaseModel):
    """A network: its input shape (channels first, no batch axis) and its layers, in order."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    name: str | None = Field(None, max_length=128, description="default: the file's name")
    description: str | None = None
    input: list[Size] = Field(min_length=1, max_length=4,
                              description="[C], [C, L], [C, H, W] or [C, D, H, W]")
    defaults: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="settings per layer kind, e.g. conv: {kernel: 3}")
    blocks: dict[str, BlockDef] = Field(
        default_factory=dict, description="reusable blocks: name -> {params, layers}")
    layers: list[Any] = Field(min_length=1, description="layer items, in order")
    expect: NetworkExpect | None = None
