"""The memory model, stated once and shown in every report (docs/memory.md says it in words).

- forward = every activation x batch + parameters + state: the notes' figure, each layer's new
  tensor counted whether or not it is still alive (an upper bound on inference).
- inference = parameters + state + the peak of live activations when each tensor is freed after
  its last reader, as the compiled module frees them, the layers' passing tensors included
  (each kind's ``inference`` moments: max-pool's indices, a shortcut's pre-activation).
- training = parameters + state + gradients (one per parameter) + the optimizer's state (0, 1
  or 2 values per parameter: sgd, momentum, adam and adamw) + the tensors autograd keeps for
  the backward pass: each kind says which (``saved``), and a tensor two layers keep (a relu's
  output, kept by the relu and by the next conv as its input) is counted once, a view (flatten,
  a split's parts) as the tensor it views.

Activations are in ``dtype``. Parameters, gradients and optimizer state stay float32 unless the
dtype is float64: float16 and bfloat16 are mixed precision (autocast), with float32 master
weights, whose half copies autocast keeps for the backward (``weight_copies``).
"""
from __future__ import annotations

from collections.abc import Mapping, Set
from typing import NamedTuple

from ..core.errors import UsageError
from ..core.shapes import Shape, numel
from ..graph.network import INPUT, Network, Node, named_scopes, part_of
from ..layers.base import ACTIVATION, BEFORE_ACTIVATION, OUTPUT, Moments
from ..layers.base import INPUT as FROM_INPUT

DTYPES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8}
HALF = frozenset({"float16", "bfloat16"})
FIXED = {"int64": 8, "float32": 4, "bool": 1}  # what kinds keep whatever the activations' dtype
OPTIMIZERS = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}  # state values per parameter
STEP_COUNT = {"adam": 4, "adamw": 4}  # bytes per parameter tensor: PyTorch's float32 step


class Memory(NamedTuple):
    """Bytes for one batch; each total is the sum of the parts beside it."""

    batch: int
    dtype: str
    activations: int  # every layer's new tensor and the input, alive or not
    params: int
    state: int
    gradients: int
    optimizer: int  # the optimizer's state
    saved: int = 0  # the tensors autograd keeps for the backward pass
    weight_copies: int = 0  # mixed precision: autocast's half copies of the weights
    inference_peak: int = 0  # the most activation bytes alive at once without autograd
    optimizer_name: str = "adam"

    @property
    def forward(self) -> int:
        return self.activations + self.params + self.state

    @property
    def inference(self) -> int:
        return self.inference_peak + self.params + self.state

    @property
    def training(self) -> int:
        return (self.params + self.state + self.gradients + self.optimizer + self.saved
                + self.weight_copies)


def check_memory_settings(dtype: str, optimizer: str) -> None:
    """A dtype and an optimizer the model knows, or a usage error that names those it does."""
    for what, value, known in (("dtype", dtype, DTYPES), ("optimizer", optimizer, OPTIMIZERS)):
        if value not in known:
            raise UsageError(f"unknown {what} {value!r}; one of {', '.join(known)}")


def param_dtype(dtype: str) -> str:
    """The dtype of parameters, gradients and optimizer state: float32 master weights under
    mixed precision, float64 for a float64 network."""
    return "float64" if dtype == "float64" else "float32"


def estimate(params: int, activations: int, state: int, batch: int = 1,
             dtype: str = "float32", optimizer: str = "adam", saved: int = 0,
             inference_peak: int = 0, param_tensors: int = 0, cast_weights: int = 0,
             extra_state: int = 0) -> Memory:
    """The memory of a network with these element counts (activations per sample), these
    bytes kept for the backward pass and alive at the inference peak, this many parameter
    tensors (Adam counts its steps per tensor), weights that autocast copies, and bytes of
    buffers besides the counted state."""
    weights = params * DTYPES[param_dtype(dtype)]
    optimizer_state = OPTIMIZERS[optimizer] * weights + STEP_COUNT.get(optimizer, 0) * (
        param_tensors)
    return Memory(batch, dtype, activations=activations * batch * DTYPES[dtype], params=weights,
                  state=state * DTYPES[param_dtype(dtype)] + extra_state, gradients=weights,
                  optimizer=optimizer_state, saved=saved,
                  weight_copies=cast_weights * DTYPES[dtype] if dtype in HALF else 0,
                  inference_peak=inference_peak, optimizer_name=optimizer)


class Kept(NamedTuple):
    """One distinct tensor autograd keeps: whose it is (a layer, or ``input``), its elements
    (per sample, or whole when not ``per_sample``) and its dtype."""

    owner: str
    elements: int
    dtype: str = ACTIVATION
    per_sample: bool = True

    def bytes(self, batch: int, dtype: str) -> int:
        size = DTYPES[dtype] if self.dtype == ACTIVATION else FIXED[self.dtype]
        return self.elements * size * (batch if self.per_sample else 1)


class _Graph:
    """Which storage each tensor name is (a view is the tensor it views), for one mode."""

    def __init__(self, network: Network, shapes: Mapping[str, Shape], in_place: Set[str],
                 training: bool):
        self.network, self.shapes, self.nodes = network, shapes, network.by_name
        self.storage: dict[str, str] = {INPUT: INPUT}
        for node in network.nodes:
            layer = node.layer
            alias = layer.output_is_input(training) or (node.name in in_place
                                                        and layer.is_activation)
            self.storage[node.name] = self.of(node.inputs[0]) if alias else node.name

    def of(self, ref: str) -> str:
        """The storage of a layer's output, the input, or a part of a split (its split's)."""
        if ref not in self.storage:
            owner = part_of(ref, self.nodes)
            self.storage[ref] = self.storage[owner.name] if owner else ref
        return self.storage[ref]

    def inputs(self, node: Node) -> list[Shape]:
        return [self.shapes[ref] for ref in node.inputs]


def kept_tensors(network: Network, shapes: Mapping[str, Shape], learns: Set[str],
                 in_place: Set[str] = frozenset()) -> list[Kept]:
    """Every distinct tensor autograd keeps in one training forward, parameters aside.

    A layer records nothing for the backward when no gradient flows through it: nothing it
    reads needs one and it learns nothing (``learns``: the layers with parameters), as a pool
    on the network's input."""
    g = _Graph(network, shapes, in_place, training=True)
    needs_grad: dict[str, bool] = {INPUT: False}

    def grad(ref: str) -> bool:
        owner = part_of(ref, g.nodes) if ref not in needs_grad else None
        return needs_grad[owner.name if owner else ref]

    kept: dict[object, Kept] = {}
    for node in network.nodes:
        grads = [grad(ref) for ref in node.inputs]
        needs_grad[node.name] = any(grads) or node.name in learns
        if not needs_grad[node.name]:
            continue
        inputs, out = g.inputs(node), shapes[node.name]
        for k, s in enumerate(node.layer.saved(inputs, out)):
            if s.source == FROM_INPUT:
                others = grads[:s.input_index] + grads[s.input_index + 1:]
                if s.for_other_inputs and not any(others):
                    continue
                key = g.of(node.inputs[s.input_index])
            elif s.source == OUTPUT or (s.source == BEFORE_ACTIVATION and node.name in in_place):
                key = g.of(node.name)
            elif s.source == BEFORE_ACTIVATION:
                kept[(node.name, k)] = Kept(node.name, numel(out))
                continue
            else:
                kept[(node.name, k)] = Kept(node.name, numel(s.shape), s.dtype, s.per_sample)
                continue
            kept.setdefault(key, Kept(key, numel(shapes[key])))
    return list(kept.values())


def releases(network: Network) -> dict[int, list[str]]:
    """After which layer each tensor is freed, as the compiled module frees it: after its last
    reader, or, when a reader is in a block or named group that its producer is not in, after
    that block's last layer (the block's module holds what it was called with until it
    returns); a tensor nothing reads, at once. The output and the input never are."""
    nodes = network.nodes
    paths = [named_scopes(node.group) for node in nodes]
    scope_end = {scope: i for i, path in enumerate(paths) for scope in path}
    made = {node.name: i for i, node in enumerate(nodes)}
    last: dict[str, int] = {}
    for i, node in enumerate(nodes):
        for ref in node.inputs:
            owner = part_of(ref, network.by_name) if ref not in made else None
            p = made[owner.name] if owner else made.get(ref)
            around = set(paths[p]) if p is not None else set()
            outer = next((s for s in paths[i] if s not in around), None)
            last[ref] = max(last.get(ref, 0), i if outer is None else scope_end[outer])
    for i, node in enumerate(nodes):
        for name in node.part_names or (node.name,):
            last.setdefault(name, i)
    out: dict[int, list[str]] = {}
    for ref, i in last.items():
        if ref not in (INPUT, network.output):
            out.setdefault(i, []).append(ref)
    return out


def inference_peak(network: Network, shapes: Mapping[str, Shape], batch: int, dtype: str,
                   in_place: Set[str] = frozenset()) -> int:
    """The most activation bytes alive at once in a forward without autograd, each tensor freed
    when the compiled module lets it go (:func:`releases`); the caller's input throughout."""
    g = _Graph(network, shapes, in_place, training=False)
    freed = releases(network)
    size = DTYPES[dtype]
    live_names: dict[str, int] = {INPUT: 1}  # storage -> how many live names hold it
    live_bytes = {INPUT: numel(network.input_shape) * size * batch}
    peak = sum(live_bytes.values())
    for i, node in enumerate(network.nodes):
        moments = node.layer.inference(g.inputs(node), shapes[node.name], node.name in in_place)
        peak = max(peak, sum(live_bytes.values()) + _moment_bytes(moments, batch, dtype))
        for name in node.part_names or (node.name,):  # a split's parts, never itself
            key = g.of(name)
            live_names[key] = live_names.get(key, 0) + 1
            live_bytes.setdefault(key, numel(shapes[key]) * size * batch)
        for ref in freed.get(i, ()):
            key = g.of(ref)
            live_names[key] -= 1
            if not live_names[key]:
                del live_bytes[key], live_names[key]
    return peak


def _moment_bytes(moments: Moments, batch: int, dtype: str) -> int:
    """The largest of a layer's moments: the bytes of its own tensors alive together."""
    return max((sum(numel(t.shape) * (DTYPES[dtype] if t.dtype == ACTIVATION else FIXED[t.dtype])
                    * (batch if t.per_sample else 1) for t in moment)
                for moment in moments), default=0)
