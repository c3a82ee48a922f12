"""The contract every layer kind fulfils, in one class per kind.

A kind is a frozen dataclass that pydantic validates (its schema: fields, defaults, bounds; see
:mod:`netspec.core.model`) plus five rules:
``infer`` (output shape, raising :class:`~netspec.core.errors.LayerError` with the arithmetic),
``counts`` (weights, biases, non-trainable state, MACs), ``field`` (the receptive field of its
output), ``label`` (the short text reports and diagrams show) and ``torch`` (which ``torch.nn``
modules build it, described as data so that this package never imports torch). What it costs in
memory is stated by the kind too: ``saved`` (the tensors its backward keeps) and ``inference``
(the tensors it allocates when only the forward runs), read by :mod:`netspec.analysis.memory`.
Engines, reports and backends call these and never branch on a kind. What the design lints and the
worked solutions read is stated by the kind too: its ``windows``, its ``working`` (the
arithmetic written out) and a few class-level traits (``is_activation``, ...).
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple, TypeVar

from ..core.codes import declare
from ..core.errors import LayerError
from ..core.model import Count, Name, Ref, Size, SpecModel, field_docs, setting
from ..core.shapes import Field, Shape, Window, fmt_shape, numel

WRONG_INPUT_COUNT = declare(
    "NS405", "wrong-input-count", "a layer reads more or fewer inputs than its kind takes",
    "Most kinds read one tensor (the previous layer's, or the one `input:` names); `add`, "
    "`multiply` and `concat` read two or more, named in their `input:` list.",
    "input: [1, 28, 28]\nlayers:\n  - conv: {filters: 1, kernel: 3, name: a}\n"
    "  - relu: {input: [a, input]}\n")
NEEDS_SPATIAL = declare(
    "NS403", "needs-spatial", "a conv or pool layer gets an input without spatial axes",
    "Convolutions and pools slide over the spatial axes of a channels-first input, (C, L), "
    "(C, H, W) or (C, D, H, W). A flat (features,) input has none: such a layer comes before "
    "flatten and dense layers, or the spec's `input:` lacks its channel axis.",
    "input: [1, 28, 28]\nlayers:\n  - flatten\n  - conv: {filters: 8, kernel: 3}\n")
PER_AXIS_COUNT = declare(
    "NS408", "per-axis-count", "a per-axis setting has more or fewer values than spatial axes",
    "A kernel, stride, dilation or padding is one number for every spatial axis, or a list "
    "with one value per axis: two for an image (H, W), three for a volume.",
    "input: [1, 28, 28]\nlayers:\n  - conv: {filters: 8, kernel: [3, 3, 3]}\n")
N = TypeVar("N", int, float)  # a per-axis setting's numbers
COMMON = ("name", "input", "expect")  # the settings every kind has
Warn = Callable[[LayerError], None]


class Counts(NamedTuple):
    """Per-sample counts of one layer. ``state`` is non-trainable (batchnorm's running stats)."""

    weights: int = 0
    biases: int = 0
    state: int = 0
    macs: int = 0

    @property
    def params(self) -> int:
        return self.weights + self.biases


@dataclass(frozen=True)
class TorchCall:
    """A ``torch.nn`` constructor as data: ``TorchCall("Conv2d", (3, 64), {"kernel_size": 3})``.

    ``TorchCall("Sequential", (), {"depthwise": call, "pointwise": call})`` is a Sequential with
    named children (keys ``<layer>.depthwise.weight``), built from the nested calls in order.
    ``own=True`` names one of netspec's own modules instead, for what ``torch.nn`` lacks
    (``netspec/backends/pytorch/extra_modules.py``: a channels-first layer norm, a split, ...),
    which the emitted source writes out so that it stays standalone.
    """

    cls: str
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    own: bool = False


@dataclass(frozen=True)
class TorchPlan:
    """How one spec layer becomes modules: ``post(main(pre(x)))``.

    A layer with several inputs first merges them as ``combine`` says. ``pre`` and ``post`` are
    parameterless (an explicit pad, an activation shortcut), so the
    ``state_dict`` keys are exactly the spec's layer names. ``main`` is None for a layer that is
    the identity at run time.
    """

    main: TorchCall | None
    pre: tuple[str, TorchCall] | None = None  # (suffix, call): module `<name>_<suffix>`
    post: tuple[str, TorchCall] | None = None
    # how several inputs merge: "sum", "product" (both broadcast size-1 axes) or "cat" (over
    # channels); None: main reads the first input (the others give only their shapes: crop)
    combine: str | None = None


class Working(NamedTuple):
    """A layer's arithmetic as a teaching assistant writes it out (``netspec explain``): lines
    with the numbers filled in, each ending in the figure the analysis reports. ``field`` is
    empty when the input's receptive fields were not given."""

    shape: tuple[str, ...] = ()  # how the output shape arises
    params: tuple[str, ...] = ()  # how the parameter count arises
    macs: tuple[str, ...] = ()  # how the multiply-accumulates arise
    field: tuple[str, ...] = ()  # how the receptive field grows


ACTIVATION = "activation"  # a tensor's dtype is the activations' (the report's --dtype)
# Whose tensor a SavedTensor is: one of the layer's inputs, its output, the tensor its main
# module gives before its `activation:` shortcut, or one of its own (max-pool's indices).
INPUT, OUTPUT, BEFORE_ACTIVATION, OWN = "input", "output", "before_activation", "own"


class SavedTensor(NamedTuple):
    """A tensor a layer's backward keeps, as ``torch.autograd.graph.saved_tensors_hooks`` sees
    it in one training forward (parameters and buffers aside: they are counted as such).

    An input, the output and the tensor before the activation shortcut are identified by whose
    they are, so the analysis counts a tensor that two layers keep once (a relu's output that
    the next conv keeps as its input); ``shape`` and ``dtype`` describe an ``OWN`` tensor."""

    source: str  # INPUT, OUTPUT, BEFORE_ACTIVATION or OWN
    shape: Shape = ()  # an OWN tensor's, per sample (or whole: per_sample False)
    dtype: str = ACTIVATION  # or "int64", "float32" (batch statistics whatever the --dtype)
    input_index: int = 0  # which input, for INPUT
    per_sample: bool = True  # False: the tensor has this shape whatever the batch
    # kept only for the gradient of the layer's other inputs (multiply: d(a*b)/da = b), so not
    # kept when none of them needs a gradient (a product with the network's input)
    for_other_inputs: bool = False


class Tensor(NamedTuple):
    """A tensor a layer allocates at inference: its shape per sample (or whole), its dtype."""

    shape: Shape
    dtype: str = ACTIVATION
    per_sample: bool = True


# What a layer allocates at inference, as moments: at each, the layer's own tensors that are
# alive together (its inputs are alive throughout); the output is alive after the last one.
Moments = tuple[tuple[Tensor, ...], ...]


def chain(*tensors: Tensor) -> Moments:
    """Modules applied one after another (``post(main(pre(x)))``, a Sequential): each result
    is alive with the one it is computed from, which is freed once it is replaced."""
    return tuple(tensors[max(0, i - 1):i + 1] for i in range(len(tensors)))


class Expect(SpecModel):
    """What a homework layer should produce; a mismatch is an error at its line."""

    shape: list[Size] | None = None
    params: Count | None = None


class Layer(SpecModel):
    """Base of every kind. Subclasses set ``kind`` and, for one-line forms, ``shorthand``."""

    kind: ClassVar[str]
    shorthand: ClassVar[str | None] = None  # the field `- conv: 64` fills
    is_view: ClassVar[bool] = False  # no new tensor at inference (flatten, dropout)
    # normalises over the batch in training: needs two or more values per channel (batchnorm)
    batch_statistics: ClassVar[bool] = False
    example: ClassVar[str] = ""  # a YAML line for the docs
    # Traits the design lints read (netspec.analysis.lints), so that they never ask a kind's name:
    is_activation: ClassVar[bool] = False  # an element-wise activation kind (relu, softmax, ...)
    # an activation kind the compiled module may run in place (layers/activations.py: which)
    runs_in_place: ClassVar[bool] = False
    output_activation: ClassVar[bool] = False  # squashes scores to probabilities: for the output
    train_only: ClassVar[bool] = False  # acts only in training, the identity at inference
    # each output on its own in (0, 1) (sigmoid): what binary cross-entropy compares with a
    # target (netspec train's reconstruction, netspec.analysis.tasks)
    independent_probabilities: ClassVar[bool] = False
    # mixed precision runs it in the half dtype (autocast's list: convolutions, matrix
    # products, prelu), keeping a half copy of its weights for the backward
    casts_weights: ClassVar[bool] = False
    # bytes of buffers besides the state counted (batchnorm's int64 count of batches seen)
    extra_buffer_bytes: ClassVar[int] = 0

    name: Name | None = setting(default=None, doc="layer name; default: kind + running number")
    input: Ref | list[Ref] | None = setting(
        default=None, doc="the layer(s) this one reads; default: the previous layer")
    expect: Expect | None = setting(default=None, doc="expected output shape and/or parameters")

    def settings(self, *names: str) -> dict[str, Any]:
        """Copies of these settings by name, or of all but name/input/expect: what a backend
        call takes (copies: builders share one layer object between repeated layers)."""
        names = names or tuple(f for f in field_docs(type(self)) if f not in COMMON)
        return copy.deepcopy({n: getattr(self, n) for n in names})

    def infer(self, inputs: Sequence[Shape], warn: Warn) -> Shape:
        """The output shape for these input shapes; raise LayerError when there is none."""
        raise NotImplementedError

    def counts(self, inputs: Sequence[Shape], out: Shape) -> Counts:
        return Counts()

    def field(self, inputs: Sequence[Shape], fields: Sequence[Field]) -> Field:
        """What one output position sees of the network's input, given what the inputs' positions
        see: for a kind that acts position by position (activations, norms, merges), the
        largest of its inputs' fields; windows, global pooling and flatten say otherwise."""
        return Field.merge(fields)

    def part_count(self) -> int:
        """How many tensors the layer gives: 1, read by the layer's name, for every kind but
        ``split``, whose parts are read as ``<name>.0``, ``<name>.1``, ... (never whole). Known
        from the settings alone, so that the builder can resolve references to the parts."""
        return 1

    def part_shape(self, out: Shape, index: int) -> Shape:
        """The shape of part ``index`` of a layer of several parts (``out``, the shape ``infer``
        gives, is the parts' concatenation over the channels)."""
        raise NotImplementedError

    def label(self, inputs: Sequence[Shape]) -> str:
        """Kind and key settings, as reports and diagrams show them: ``conv 64 3x3 /1 p1``."""
        return self.kind

    def torch(self, inputs: Sequence[Shape], out: Shape) -> TorchPlan:
        raise NotImplementedError

    def saved(self, inputs: Sequence[Shape], out: Shape) -> tuple[SavedTensor, ...]:
        """The tensors this layer's backward keeps (parameters aside), measured for each kind
        with ``saved_tensors_hooks`` (tests/analysis/test_memory_truth.py). This default is an
        upper bound for a kind that does not say: every input and the output."""
        return tuple(SavedTensor(INPUT, input_index=i) for i in range(len(inputs))) + (
            SavedTensor(OUTPUT),)

    def inference(self, inputs: Sequence[Shape], out: Shape, in_place: bool = False) -> Moments:
        """The tensors this layer allocates when only the forward runs (``torch.no_grad()``),
        moment by moment; ``in_place``: its activation overwrites its input instead of
        allocating an output. By default one new tensor, the output, or none for a view."""
        return () if self.is_view else ((Tensor(out),),)

    def parameter_tensors(self, inputs: Sequence[Shape], out: Shape) -> int:
        """How many parameter tensors its modules hold (Adam keeps a step count per tensor):
        one for the weights and one for the biases, by default."""
        c = self.counts(inputs, out)
        return (c.weights > 0) + (c.biases > 0)

    def output_is_input(self, training: bool) -> bool:
        """Whether the output is its (first) input's storage, a view or the input itself:
        flatten, crop and split always; dropout and stochastic depth at inference only."""
        return self.is_view and not (training and self.train_only)

    def windows(self, inputs: Sequence[Shape]) -> tuple[Window, ...]:
        """The sliding window over each spatial axis, for a kind that slides one (conv,
        pools): what the lints of padding and strides read. None slide by default."""
        return ()

    def trailing_activation(self) -> type[Layer] | None:
        """The activation kind this layer ends with: its own class for an activation kind,
        the ``activation:`` shortcut's for conv and dense; None otherwise."""
        return type(self) if self.is_activation else None

    def working(self, inputs: Sequence[Shape], out: Shape,
                fields: Sequence[Field] | None = None) -> Working:
        """How this layer's figures arise, written out (``netspec explain``). This default
        suits any kind: its shapes, its counts as weights + biases, and its receptive field
        before and after; kinds with arithmetic worth showing override it."""
        c = self.counts(inputs, out)
        return Working(shape=(generic_shape_line(inputs, out),), params=counts_lines(c),
                       macs=(f"{c.macs:,}",) if c.macs else ("none",),
                       field=() if fields is None else field_lines(
                           fields, self.field(inputs, fields)))


def generic_shape_line(inputs: Sequence[Shape], out: Shape) -> str:
    if len(inputs) == 1 and inputs[0] == out:
        return f"unchanged: {fmt_shape(out)} (it acts on each value)"
    if len(inputs) == 1 and numel(inputs[0]) == numel(out):
        return f"{fmt_shape(inputs[0])} rearranged as {fmt_shape(out)} ({numel(out):,} values)"
    return " and ".join(map(fmt_shape, inputs)) + f" -> {fmt_shape(out)}"


def counts_lines(c: Counts) -> tuple[str, ...]:
    """Parameters as weights + biases, and the non-trainable state apart."""
    lines = [] if not c.params else [f"weights {c.weights:,} + biases {c.biases:,} = "
                                     f"{c.params:,}" if c.biases else f"weights {c.weights:,}"]
    if c.state:
        lines.append(f"and {c.state:,} values of state, not learned")
    return tuple(lines) or ("none",)


def field_lines(before: Sequence[Field], after: Field) -> tuple[str, ...]:
    """The receptive field when a kind has no formula of its own to show: unchanged, or
    before -> after."""
    size, jump = "x".join(map(str, after.size)), "x".join(map(str, after.jump))
    if not after.size:
        return ()
    if all(f == after for f in before):
        return (f"unchanged: {size} (jump {jump})",)
    was = " and ".join("x".join(map(str, f.size)) for f in before)
    return (f"{was} -> {size} (jump {jump})",)


def one_input(inputs: Sequence[Shape], kind: str) -> Shape:
    if len(inputs) != 1:
        raise LayerError(f"{kind} takes one input, got {len(inputs)}", key="input",
                         code=WRONG_INPUT_COUNT)
    return inputs[0]


def spatial(shape: Shape, kind: str, hint: str | None = None) -> int:
    """The number of spatial axes of a channels-first shape; conv and pool need at least one."""
    if len(shape) < 2:
        raise LayerError(
            f"{kind} needs a channels-first input with spatial axes, got {fmt_shape(shape)}",
            hint=hint or "conv and pool layers come before flatten and dense layers",
            code=NEEDS_SPATIAL)
    return len(shape) - 1


def per_axis(value: N | list[N], rank: int, key: str) -> tuple[N, ...]:
    """Broadcast a number to every spatial axis, or check a per-axis list's length."""
    if not isinstance(value, list):
        return (value,) * rank
    if len(value) != rank:
        raise LayerError(f"{key} has {len(value)} values but the input has {rank} spatial "
                         f"ax{'is' if rank == 1 else 'es'}", key=key,
                         hint=f"give one {key} per spatial axis, or a single number for all",
                         code=PER_AXIS_COUNT)
    return tuple(value)


def fmt_kernel(kernel: int | list[int], rank: int) -> str:
    """A kernel the way the notes write it: ``3x3`` in 2-D, ``5`` in 1-D."""
    return "x".join(map(str, per_axis(kernel, rank, "kernel")))


def fmt_padding(padding: object) -> str:
    return str(padding).replace(" ", "")
