"""Which activations the compiled module runs in place: the one rule that the memory model
(:mod:`.memory`) and the PyTorch plan both read, so that the prediction and the module agree.

An activation in place (PyTorch's ``inplace=True``, as torchvision's ``ReLU(inplace=True)``)
overwrites its input, which is safe only where nothing needs that input afterwards:

- the kind keeps its result for the backward and differentiates from it as it does out of place
  (``runs_in_place``: relu and leaky_relu; layers/activations.py says why no other);
- an ``activation:`` shortcut overwrites its layer's tensor before the activation, which only
  the shortcut reads; it is safe unless the layer's backward keeps that tensor;
- an activation layer overwrites the layer it reads, so that tensor must be a layer's own new
  one (not the network's input, which is the caller's; not a view such as flatten, a crop, a
  split's part or dropout at inference, which would overwrite the tensor it views), read by no
  other layer or merge (nor twice by this one), and not kept by its producer's backward (a
  sigmoid, tanh, softmax or relu keeps its output, and so does any activation in place, whose
  output is its input's storage; conv, batchnorm, add and dense do not).

The network's output is never overwritten: an activation layer comes after what it reads.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from ..core.shapes import Shape
from ..graph.network import Network, Node
from ..layers.base import BEFORE_ACTIVATION, INPUT, OUTPUT


def in_place_layers(network: Network, shapes: Mapping[str, Shape]) -> frozenset[str]:
    """The layers whose activation (the layer itself, or its ``activation:`` shortcut) runs in
    place, overwriting its input."""
    readers = Counter(ref for node in network.nodes for ref in node.inputs)
    found: set[str] = set()
    for node in network.nodes:  # in order: whether a layer is in place depends on its producer
        if _safe(network, node, shapes, readers, found):
            found.add(node.name)
    return frozenset(found)


def _safe(network: Network, node: Node, shapes: Mapping[str, Shape], readers: Counter[str],
          in_place: set[str]) -> bool:
    """Whether the node's activation may overwrite its input, given the layers before it that
    run in place (whose output is what their backward keeps: their result)."""
    layer = node.layer
    kind = layer.trailing_activation()
    if kind is None or not kind.runs_in_place:
        return False
    if not layer.is_activation:  # a shortcut: its input is the layer's tensor before it,
        # which the shortcut keeps itself where its kind keeps its input (in place: its result)
        out = shapes[node.name]
        by_shortcut = sum(s.source == INPUT for s in kind().saved([out], out))
        return _keeps(node, shapes, BEFORE_ACTIVATION) == by_shortcut
    producer = network.by_name.get(node.inputs[0])  # None: the network's input, a split's part
    return (producer is not None and not producer.layer.is_view
            and readers[producer.name] == 1 and producer.name not in in_place
            and not _keeps(producer, shapes, OUTPUT))


def _keeps(node: Node, shapes: Mapping[str, Shape], source: str) -> int:
    """How many times the layer's backward keeps this tensor of its own (its output, or its
    tensor before the shortcut)."""
    inputs = [shapes[ref] for ref in node.inputs]
    return sum(s.source == source for s in node.layer.saved(inputs, shapes[node.name]))
