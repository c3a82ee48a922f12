"""What the analysis produces: a record per layer, one per block or group, and the checked
network that holds them with its totals. Plain data that every report and backend reads."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..core.errors import Diagnostic
from ..core.shapes import Shape, numel
from ..graph.network import INPUT, Network, named_scopes
from .inplace import in_place_layers
from .memory import Kept, Memory, estimate, inference_peak, kept_tensors


class LayerRecord(NamedTuple):
    """One row of the report: what a layer produces and what it costs, per sample.
    (A NamedTuple: immutable, and cheap to make for 10,000-layer specs.)"""

    index: int  # type: ignore[assignment]  # the layer's 1-based index (shadows tuple.index)
    name: str
    kind: str
    label: str
    inputs: tuple[str, ...]
    output_shape: Shape
    activations: int  # elements of the new tensor it produces (0 for views)
    weights: int
    biases: int
    state: int  # non-trainable (batchnorm running statistics)
    macs: int
    group: tuple[str, ...]
    # What one output position sees of the network input, per spatial axis of the input
    # (core.shapes.Field): the receptive field, the jump (effective stride), where it starts.
    receptive_field: tuple[int, ...] = ()
    jump: tuple[int | float, ...] = ()  # a float after upsampling: 0.5 for half a position
    field_start: tuple[int, ...] = ()

    @property
    def params(self) -> int:
        return self.weights + self.biases

    def to_dict(self) -> dict:
        d = self._asdict()
        for key in ("inputs", "output_shape", "group", "receptive_field", "jump", "field_start"):
            d[key] = list(d[key])
        d["params"] = self.params
        return d


class GroupRecord(NamedTuple):
    """A block instance or named group: its layers' sums, for subtotals and folded rows."""

    name: str
    depth: int  # 1 for a top-level group
    first: int  # index of its first and last layer
    last: int
    layers: int
    output_shape: Shape
    activations: int
    weights: int
    biases: int
    state: int
    macs: int
    receptive_field: tuple[int, ...] = ()  # of its last layer

    @property
    def params(self) -> int:
        return self.weights + self.biases

    def to_dict(self) -> dict:
        d = self._asdict()
        d["output_shape"] = list(self.output_shape)
        d["receptive_field"] = list(self.receptive_field)
        d["params"] = self.params
        return d


def scope_path(record: LayerRecord) -> tuple[str, ...]:
    """The named groups and blocks a layer is in, outermost first (unnamed repeats left out)."""
    return named_scopes(record.group)


@dataclass(frozen=True)
class CheckedNetwork:
    """A network whose shapes and counts are known: per-layer records, totals, and the warnings
    found. Plain figures; :class:`netspec.Analysis`, what users hold, adds the views."""

    network: Network
    layers: tuple[LayerRecord, ...]
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def name(self) -> str:
        return self.network.name

    @property
    def input_shape(self) -> Shape:
        return self.network.input_shape

    @property
    def output_shape(self) -> Shape:
        return self.layers[-1].output_shape

    @property
    def shapes(self) -> dict[str, Shape]:
        """Every tensor's shape by name: the network input's (``input``), each layer's, and
        each part of a split that a layer reads (``halves.1``)."""
        shapes = {INPUT: self.input_shape} | {r.name: r.output_shape for r in self.layers}
        for node in self.network.nodes:
            for ref in node.inputs:
                if ref not in shapes:
                    shapes[ref] = self.network.part_shape(ref, shapes) or ()
        return shapes

    @property
    def total_params(self) -> int:
        return sum(r.params for r in self.layers)

    @property
    def trainable_params(self) -> int:
        return self.total_params  # every learnable parameter trains; nothing is frozen

    @property
    def total_weights(self) -> int:
        return sum(r.weights for r in self.layers)

    @property
    def total_biases(self) -> int:
        return sum(r.biases for r in self.layers)

    @property
    def total_state(self) -> int:
        return sum(r.state for r in self.layers)

    @property
    def total_activations(self) -> int:
        """Elements of the input plus every new tensor a layer produces, per sample."""
        return numel(self.input_shape) + sum(r.activations for r in self.layers)

    @property
    def total_macs(self) -> int:
        return sum(r.macs for r in self.layers)

    def groups(self) -> list[GroupRecord]:
        """Every block instance and named group, in the order they start."""
        members: dict[str, list[LayerRecord]] = {}
        for r in self.layers:
            for name in scope_path(r):
                members.setdefault(name, []).append(r)
        return [GroupRecord(name, scope_path(rs[0]).index(name) + 1, rs[0].index,
                            rs[-1].index, len(rs), rs[-1].output_shape,
                            sum(r.activations for r in rs), sum(r.weights for r in rs),
                            sum(r.biases for r in rs), sum(r.state for r in rs),
                            sum(r.macs for r in rs), rs[-1].receptive_field)
                for name, rs in members.items()]

    def memory(self, batch: int = 1, dtype: str = "float32", optimizer: str = "adam") -> Memory:
        """Forward, inference and training memory for one batch (analysis/memory.py)."""
        shapes = self.shapes
        saved = sum(k.bytes(batch, dtype) for k in self.kept())
        peak = inference_peak(self.network, shapes, batch, dtype, self.in_place)
        tensors = sum(node.layer.parameter_tensors([shapes[i] for i in node.inputs],
                                                   shapes[node.name])
                      for node in self.network.nodes)
        cast = sum(r.weights for r, node in zip(self.layers, self.network.nodes)
                   if node.layer.casts_weights)
        extra = sum(node.layer.extra_buffer_bytes for node in self.network.nodes)
        return estimate(self.total_params, self.total_activations, self.total_state, batch,
                        dtype, optimizer, saved=saved, inference_peak=peak,
                        param_tensors=tensors, cast_weights=cast, extra_state=extra)

    def saved_by_layer(self, batch: int = 1, dtype: str = "float32") -> dict[str, int]:
        """Bytes autograd keeps of each layer's tensors (``input``: the network input's); a
        tensor two layers keep is its producer's, once."""
        out = dict.fromkeys([INPUT, *(r.name for r in self.layers)], 0)
        for k in self.kept():
            out[k.owner] += k.bytes(batch, dtype)
        return out

    @property
    def in_place(self) -> frozenset[str]:
        """The layers whose activation the compiled module runs in place (:mod:`.inplace`)."""
        return in_place_layers(self.network, self.shapes)

    def kept(self) -> list[Kept]:
        """The distinct tensors autograd keeps in one training forward."""
        learns = {r.name for r in self.layers if r.params}
        return kept_tensors(self.network, self.shapes, learns, self.in_place)
