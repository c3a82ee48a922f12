"""The shapes of the layers built so far, for a block whose settings read its input's shape
(``$input.channels``). Worked out with each kind's own shape rule, only when a block asks, and
each layer once; a layer whose rule fails has no shape here (the analysis reports why)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..core.errors import LayerError
from ..core.shapes import Shape
from .network import INPUT, Node, part_of


class KnownShapes:
    def __init__(self, input_shape: Shape | None):
        self.shapes: dict[str, Shape] = {INPUT: input_shape} if input_shape else {}
        self.done = 0  # how many of the built layers have been worked out

    def of(self, ref: str, nodes: Sequence[Node], by_name: Mapping[str, Node]) -> Shape | None:
        """The shape of ``ref`` (a layer, a split's part or the input), None when unknown."""
        for node in nodes[self.done:]:
            found = [self.lookup(r, by_name) for r in node.inputs]
            inputs = [shape for shape in found if shape is not None]
            if len(inputs) == len(found):
                try:
                    self.shapes[node.name] = tuple(node.layer.infer(inputs, _ignore))
                except LayerError:
                    pass
        self.done = len(nodes)
        return self.lookup(ref, by_name)

    def lookup(self, ref: str, by_name: Mapping[str, Node]) -> Shape | None:
        if ref in self.shapes:
            return self.shapes[ref]
        owner = part_of(ref, by_name)
        if owner is None or owner.name not in self.shapes:
            return None
        return owner.layer.part_shape(self.shapes[owner.name], int(ref.rpartition(".")[2]))


def _ignore(warning: LayerError) -> None:
    """Warnings are the analysis's to report, once."""
