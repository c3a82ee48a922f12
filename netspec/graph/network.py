"""The network as a graph of located nodes: the one representation every stage reads.

A stack is a graph whose every node reads the previous one; a layer's ``input:`` names any
earlier layer instead, which is how residual and concatenating networks are written. Nodes are
kept in the order written, which is a topological order because references may only look back.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from ..core.errors import Location
from ..core.shapes import Shape
from ..layers.base import Layer

if TYPE_CHECKING:
    from ..reading.document import NetworkExpect

INPUT = "input"  # the name by which layers refer to the network's input
_NO_KEYS: Mapping[str, Location] = MappingProxyType({})


class Node(NamedTuple):
    """One layer instance after defaults, repeats and blocks are expanded.
    (A NamedTuple: immutable, and cheap to make for 10,000-layer specs.)"""

    index: int  # type: ignore[assignment]  # 1-based, in the expanded network (shadows tuple.index)
    name: str  # dotted inside blocks and named groups: layer1.0.conv1
    layer: Layer
    inputs: tuple[str, ...]
    location: Location  # the item that produced it
    key_locations: Mapping[str, Location] = _NO_KEYS
    group: tuple[str, ...] = ()  # enclosing groups and blocks, outermost first
    defaulted: frozenset[str] = frozenset()  # settings taken from the spec's `defaults:`

    @property
    def kind(self) -> str:
        return self.layer.kind

    def describe(self) -> str:
        """How messages name a layer: ``layer 4 'conv3' (conv)``."""
        return f"layer {self.index} '{self.name}' ({self.kind})"

    def where(self, key: str | None) -> Location:
        return self.key_locations.get(key, self.location) if key else self.location


@dataclass(frozen=True)
class Network:
    """A validated spec: name, input shape and nodes. Shapes are not inferred yet."""

    name: str
    input_shape: Shape
    nodes: tuple[Node, ...]
    file: str
    expect: NetworkExpect | None = None
    expect_locations: Mapping[str, Location] = field(default_factory=lambda: MappingProxyType({}))
    input_location: Location | None = None  # where `input:` is written

    @property
    def output(self) -> str:
        return self.nodes[-1].name

    @cached_property
    def by_name(self) -> dict[str, Node]:
        """The nodes by name (the first of a name), made once: a check with 10,000 errors
        that each name an input looks each up, it does not search the nodes."""
        found: dict[str, Node] = {}
        for node in self.nodes:
            found.setdefault(node.name, node)
        return found
