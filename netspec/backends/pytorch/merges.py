"""The modules of merging layers, which ``torch.nn`` lacks: a merge is then a module like any
other, so a forward hook sees it, torchinfo lists it, and its ONNX nodes carry its name.

The emitted source copies these classes (their text, read from this file by
:mod:`.emit`), so both forms of a compiled network run the same code.
"""
from __future__ import annotations

import torch
from torch import nn


class Add(nn.Module):
    """The sum of its inputs, in order (a residual connection)."""

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Concat(nn.Module):
    """Its inputs joined along the channel axis (Inception's merge)."""

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return torch.cat(inputs, dim=1)
