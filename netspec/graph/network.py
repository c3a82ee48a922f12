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
    from ..reading.document import NetworkExpect, TrainSettings
    from .allowances import Allowance

INPUT = "input"  # the name by which layers refer to the network's input
_NO_KEYS: Mapping[str, Location] = MappingProxyType({})


class BlockUse(NamedTuple):
    """One use of a block: which definition, its parameters' values (defaults filled in), and
    the definition's literal defaults. The PyTorch backend writes one class per definition,
    whose constructor takes these values."""

    block: str
    arguments: Mapping[str, object]
    defaults: Mapping[str, object]  # the parameters declared with a value (not required or $ref)


def named_scopes(group: tuple[str, ...]) -> tuple[str, ...]:
    """The named groups and blocks of a layer's ``group``, outermost first (unnamed repeats,
    ``group@<line>``, left out): the scopes the PyTorch backend builds a module for."""
    return tuple(g for g in group if "@" not in g)


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
    allowed: tuple[Allowance, ...] = ()  # warnings it accepts (`allow:`, its own or a group's)

    @property
    def kind(self) -> str:
        return self.layer.kind

    @property
    def part_names(self) -> tuple[str, ...]:
        """The names of its parts, for a layer of several (a split ``halves``: ``halves.0``,
        ``halves.1``), which later layers read instead of the layer's own name; else ()."""
        count = self.layer.part_count()
        return tuple(f"{self.name}.{i}" for i in range(count)) if count > 1 else ()

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
    # every block instance by its dotted name (layer1.0), in the order they start
    blocks: Mapping[str, BlockUse] = field(default_factory=lambda: MappingProxyType({}))
    train: TrainSettings | None = None  # `train:`, how `netspec train` trains it
    train_locations: Mapping[str, Location] = field(default_factory=lambda: MappingProxyType({}))

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

    def producer(self, ref: str) -> str:
        """The layer whose output ``ref`` reads: ``ref`` itself, or the split of a part."""
        if ref in self.by_name:
            return ref  # a layer's name (the common case) is no part
        owner = part_of(ref, self.by_name)
        return owner.name if owner is not None and ref not in self.by_name else ref

    def part_shape(self, ref: str, shapes: Mapping[str, Shape]) -> Shape | None:
        """The shape of part ``ref`` (``halves.1``) from its split's output shape in
        ``shapes``; None when ``ref`` names no part, or its split has no shape."""
        owner = part_of(ref, self.by_name)
        if owner is None or ref in self.by_name or owner.name not in shapes:
            return None
        return owner.layer.part_shape(shapes[owner.name], int(ref.rpartition(".")[2]))


def part_of(ref: str, nodes: Mapping[str, Node]) -> Node | None:
    """The layer of several parts whose part ``ref`` names (``halves.1``: the split
    ``halves``), or None. Parts are named when read, never listed: a split's parts cost
    nothing until a layer reads one."""
    base, _, index = ref.rpartition(".")
    node = nodes.get(base)
    if node is None or not index.isdigit() or str(int(index)) != index:
        return None
    count = node.layer.part_count()
    return node if count > 1 and int(index) < count else None
