"""Random specs over every construct of the format, each with the network it stands for.

A spec is drawn item by item; each item is expanded as it is drawn by :class:`Expansion`, this
file's own model of the format (docs/spec-format.md: `defaults:`, short forms and sibling keys,
`repeat`, groups named and not, blocks with parameters, `$input`, dotted names, `input:`, a
split's parts read as `name.0`), and
each expanded layer is run at once by PyTorch through the kinds table (tests/fuzz/kinds.py).
So the generator knows, for the YAML it writes, every layer's name, what it reads, and what
PyTorch makes of it (its output shape and parameters, or that it refuses it), and it can draw
the next layer to fit the shapes so far, or, now and then, not to.

Nothing here uses netspec: the expansion is written from the docs, and the oracle from torch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
import yaml

from .kinds import KINDS, Draw, Refused

GROUP = "group"
REQUIRED = "required"
READS_REFUSED = "reads a refused layer"
MAX_EXPANDED = 24  # layers per spec: enough for every construct, few enough to run at once


@dataclass
class Item:
    """One `- ` item of a layer list. ``settings`` are the layer's effective settings (values
    may be `$parameters` inside a block); ``written`` the keys the YAML writes (the others
    come from `defaults:` or the kind's documented defaults, and equal them)."""

    kind: str  # a layer kind, a block's name, or GROUP
    settings: dict = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    name: str | None = None
    repeat: Any = None  # as written: an int, a "$parameter", or None (not written)
    input: Any = None  # as written: a reference, a list of them, or None
    layers: list[Item] = field(default_factory=list)  # a group's
    style: str = "mapping"  # mapping | short | siblings | bare


@dataclass
class Block:
    name: str
    params: dict = field(default_factory=dict)  # parameter -> default, or REQUIRED
    layers: list[Item] = field(default_factory=list)
    sequential: bool = False
    origin: dict = field(default_factory=dict)  # parameter -> (kind, setting) it stands for


@dataclass
class Layer:
    """One layer of the expanded network, as PyTorch ran it."""

    name: str
    kind: str
    inputs: tuple[str, ...]
    shape: tuple[int, ...] | None  # None: PyTorch (or the format, on purpose) refuses it
    params: int | None
    why: str | None = None
    build: bool = False  # refused while the network is built: no shape is inferred (NS3xx)
    early: bool = False  # refused before any shape: built so (NS3xx) or on its settings (NS203)


@dataclass
class Spec:
    input: list[int]
    defaults: dict = field(default_factory=dict)
    blocks: dict[str, Block] = field(default_factory=dict)
    layers: list[Item] = field(default_factory=list)
    expanded: list[Layer] = field(default_factory=list)

    @property
    def runs(self) -> bool:
        """Whether PyTorch runs the whole network."""
        return all(layer.shape is not None for layer in self.expanded)

    def first_refused(self) -> Layer | None:
        """The first layer refused; of a network netspec could not build (a split read
        whole), it infers no shape, so the first refused before any shape."""
        refused = [layer for layer in self.expanded if layer.shape is None]
        if any(layer.build for layer in refused):
            refused = [layer for layer in refused if layer.early]
        return next(iter(refused), None)

    def yaml(self) -> str:
        lines = [f"input: {flow(self.input)}"]
        if self.defaults:
            lines.append("defaults:")
            lines += [f"  {k}: {flow(v)}" for k, v in self.defaults.items()]
        if self.blocks:
            lines.append("blocks:")
            for b in self.blocks.values():
                lines.append(f"  {b.name}:")
                if b.params:
                    lines.append(f"    params: {flow(b.params)}")
                if b.sequential:
                    lines.append("    sequential: true")
                lines.append("    layers:")
                lines += render(b.layers, 6, self.defaults)
        lines.append("layers:")
        lines += render(self.layers, 2, self.defaults)
        return "\n".join(lines) + "\n"


def flow(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10**6).strip().removesuffix(
        "\n...")


def render(items: list[Item], indent: int, defaults: dict) -> list[str]:
    pad = " " * indent
    lines = []
    for item in items:
        if item.kind == GROUP:
            extra = {k: v for k, v in (("name", item.name), ("repeat", item.repeat),
                                       ("input", item.input)) if v is not None}
            first = True
            for k, v in extra.items():
                lines.append(f"{pad}{'- ' if first else '  '}{k}: {flow(v)}")
                first = False
            lines.append(f"{pad}{'- ' if first else '  '}layers:")
            lines += render(item.layers, indent + 4, defaults)
            continue
        own = ({k: item.settings[k] for k in item.written} if item.kind in KINDS
               else dict(item.settings))  # a block use: its arguments
        own |= {k: v for k, v in (("name", item.name), ("input", item.input)) if v is not None}
        repeat = {"repeat": item.repeat} if item.repeat is not None else {}
        shorthand = KINDS[item.kind].shorthand if item.kind in KINDS else None
        if item.style == "bare" and not own and not repeat:
            lines.append(f"{pad}- {item.kind}")
        elif item.style in ("short", "siblings") and shorthand in own and (
                item.style == "siblings" or len(own) == 1):
            value = own.pop(shorthand)
            lines.append(f"{pad}- {item.kind}: {flow(value)}")
            lines += [f"{pad}  {k}: {flow(v)}" for k, v in {**own, **repeat}.items()]
        else:
            lines.append(f"{pad}- {item.kind}: {flow(own)}")
            lines += [f"{pad}  {k}: {flow(v)}" for k, v in repeat.items()]
    return lines


# --- the expansion: the format's semantics, from the docs -------------------------------------

@dataclass
class Scope:
    prefix: str = ""
    numbered: bool = False  # a named group, or a sequential block: children by position
    block_input: str | None = None  # a block instance: what feeds it ($input)
    counters: dict = field(default_factory=dict)
    position: int = 0


class Expansion:
    """Expands items into layers as the docs say and runs each in PyTorch."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.scopes = [Scope()]
        self.tensors: dict[str, torch.Tensor | None] = {"input": torch.randn(2, *spec.input)}
        self.ends: dict[str, str] = {}  # a closed group or block instance -> its last layer
        self.names: list[tuple[str, str]] = []  # (full name, the layer it means), in order
        self.pending: str | None = None  # what the next layer reads, if not the last one
        self.repeats: list[bool | None] = []  # open groups: repeated? (None: a block)
        self.using: list[str] = []  # blocks being expanded
        self.splits: set[str] = set()  # splits: read by their parts only
        self.refused_settings: set[str] = set()  # layers the format refuses on their settings

    @property
    def top(self) -> Scope:
        return self.scopes[-1]

    @property
    def block(self) -> Scope | None:
        """The innermost block instance being expanded, if any."""
        return next((s for s in reversed(self.scopes) if s.block_input is not None), None)

    @property
    def in_repeat(self) -> bool:
        """Inside a repeated group (and no block since): a name given here would repeat."""
        flags = self.repeats[len(self.repeats) - self.repeats[::-1].index(None):] \
            if None in self.repeats else self.repeats
        return any(flags)

    def last(self) -> str:
        return self.spec.expanded[-1].name if self.spec.expanded else "input"

    def shape_of(self, name: str) -> tuple[int, ...] | None:
        t = self.tensors.get(name)
        return None if t is None else tuple(t.shape[1:])

    def current_shape(self) -> tuple[int, ...]:
        """The shape the next layer would read: the last known one, if it was refused."""
        for layer in reversed(self.spec.expanded):
            if layer.shape is not None:
                return layer.shape
        return tuple(self.spec.input)

    def visible(self) -> list[tuple[str, str]]:
        """(reference, the layer it means) for what a layer here may read: inside a block its
        own layers, by their names below the block ($input too); elsewhere every earlier
        layer and closed group or block instance, by its full name (the input too)."""
        block = self.block
        prefix = block.prefix if block else ""
        found = [(full[len(prefix):], target) for full, target in self.names
                 if full.startswith(prefix) and not full[len(prefix)].isdigit()]
        return found + [("$input", block.block_input) if block and block.block_input
                        else ("input", "input")]

    # names: kind + running number per scope, a position in numbered scopes, `name_k` copies
    def local_name(self, kind: str, given: str | None) -> str:
        top = self.top
        top.counters[kind] = top.counters.get(kind, 0) + 1
        if given:
            return given
        if top.numbered:
            return str(top.position)
        return f"{kind}{'_' if kind[-1].isdigit() else ''}{top.counters[kind]}"

    def claim(self, local: str) -> str:
        self.top.position += 1
        return self.top.prefix + local

    def resolve(self, ref: str) -> str:
        """What a reference the generator wrote means here (it writes the names `visible`
        gives)."""
        block = self.block
        if ref == "$input" and block is not None:
            return block.block_input or "input"
        full = (block.prefix if block else "") + ref if ref != "input" else ref
        return self.ends.get(full, full)

    def reads(self, refs: list[str]) -> tuple[str, ...]:
        """What a layer reads: its references, else the pending input or the last layer."""
        pending, self.pending = self.pending, None
        if refs:
            return tuple(self.resolve(r) for r in refs)
        return (pending or self.last(),)

    def layer(self, item: Item, settings: dict, name: str | None, chained: bool) -> None:
        """One layer: named, wired, and run."""
        inputs = self.reads([] if chained else as_list(item.input))
        full = self.claim(self.local_name(item.kind, name))
        xs = [self.tensors.get(r) for r in inputs]
        shape = params = None
        why = self.unsettled(KINDS[item.kind], settings, full)
        # docs: "the split itself is never read whole (NS317)"; of a split whose settings
        # are refused netspec says nothing more ("a layer refused for a mistake adds no
        # errors to the layers that read it")
        whole = [r for r in inputs if r in self.splits and r not in self.refused_settings]
        if why is None and whole:
            why = f"reads the split {whole[0]} whole"
        elif why is None and any(x is None for x in xs):  # a split's tensor is None too
            why = READS_REFUSED
        elif why is None:
            try:
                with torch.no_grad():
                    y, params = KINDS[item.kind].run(settings, xs)  # type: ignore[arg-type]
                if y.numel() == 0:
                    raise Refused("an empty output")
                shape = tuple(y.shape[1:])
                self.tensors[full] = y
            except (RuntimeError, ValueError, IndexError, NotImplementedError, Refused) as e:
                why, params = (str(e).splitlines() or [type(e).__name__])[0][:200], None
        self.tensors.setdefault(full, None)
        self.spec.expanded.append(Layer(full, item.kind, inputs, shape, params, why,
                                        build=bool(whole), early=bool(whole) or (
                                            full in self.refused_settings)))
        self.names.append((full, full))
        if KINDS[item.kind].parts is not None:
            self.split(full, settings, xs[0] if shape is not None else None)

    def unsettled(self, entry: Any, settings: dict, full: str) -> str | None:
        """Why the format refuses these settings whatever the layer reads, if it does."""
        try:
            if entry.check is not None:
                entry.check(settings)
        except Refused as e:
            self.refused_settings.add(full)
            return str(e)
        return None

    def split(self, full: str, settings: dict, x: torch.Tensor | None) -> None:
        """A split's parts, `full.0`, `full.1`, ...: what later layers read of it."""
        entry = KINDS[self.spec.expanded[-1].kind]
        assert entry.parts is not None and entry.part_count is not None
        parts = entry.parts(settings, x) if x is not None else [None] * entry.part_count(
            settings)
        for i, part in enumerate(parts):
            self.tensors[f"{full}.{i}"] = part
            self.names.append((f"{full}.{i}", f"{full}.{i}"))
        self.splits.add(full)
        self.tensors[full] = None

    def finish(self) -> None:
        """docs: the network's output is its last layer, never a split (NS317)."""
        last = self.spec.expanded[-1]
        if last.name in self.splits - self.refused_settings:
            last.shape, last.params, last.why = None, None, "a split is the output"
            last.build = last.early = True

    def item(self, item: Item, args: dict | None = None, draw_body: Any = None) -> None:
        """Expand one item (its settings' `$parameters` from ``args``); a group's layers or a
        new block's may be drawn while its first pass expands (``draw_body``)."""
        args = args or {}
        if item.kind == GROUP:
            return self.group(item, args, draw_body)
        if item.kind in self.spec.blocks:
            return self.use(item, args, draw_body)
        settings = substitute(item.settings, args)
        repeat = substitute(item.repeat, args) or 1
        merge = KINDS[item.kind].merge and len(as_list(item.input)) >= 2
        for r in range(repeat):
            name = item.name if repeat == 1 or item.name is None else f"{item.name}_{r + 1}"
            self.layer(item, settings, name, chained=r > 0 and not merge)

    def group(self, item: Item, args: dict, draw_body: Any) -> None:
        if item.input is not None:
            (self.pending,) = self.reads(as_list(item.input))
        full = None
        if item.name:
            full = self.claim(item.name)
            self.scopes.append(Scope(prefix=full + ".", numbered=True))
        before = len(self.spec.expanded)
        self.repeats.append((item.repeat or 1) > 1)
        for done in range(item.repeat or 1):
            if done == 0 and draw_body is not None:
                draw_body()
            else:
                for child in item.layers:
                    self.item(child, args)
        self.repeats.pop()
        if full is not None:
            self.scopes.pop()
            if len(self.spec.expanded) > before:
                self.close(full, self.last())

    def close(self, full: str, last: str) -> None:
        self.ends[full] = last
        self.names.append((full, last))

    def use(self, item: Item, args: dict, draw_body: Any) -> None:
        block = self.spec.blocks[item.kind]
        repeat = substitute(item.repeat, args) or 1
        self.using.append(block.name)
        self.repeats.append(None)
        for r in range(repeat):
            given = item.name if repeat == 1 or item.name is None else f"{item.name}_{r + 1}"
            source = self.reads(as_list(item.input) if r == 0 else [])[0]
            full = self.claim(self.local_name(item.kind, given))
            self.scopes.append(Scope(prefix=full + ".", numbered=block.sequential,
                                     block_input=source))
            self.pending = source
            before = len(self.spec.expanded)
            if draw_body is not None and r == 0:
                draw_body()
            else:
                bound = {**block.params, **{k: substitute(v, args)
                                            for k, v in item.settings.items()}}
                for child in block.layers:
                    self.item(child, bound)
            self.scopes.pop()
            if len(self.spec.expanded) > before:
                self.close(full, self.last())
        self.repeats.pop()
        self.using.pop()


def as_list(value: Any) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def is_param(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("$") and value != "$input"


def substitute(value: Any, args: dict) -> Any:
    if is_param(value):
        return args[value[1:]]
    if isinstance(value, dict):
        return {k: substitute(v, args) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, args) for v in value]
    return value


# --- drawing ---------------------------------------------------------------------------------

SPATIAL = ["conv", "conv", "depthwise_conv", "separable_conv", "maxpool", "maxpool", "avgpool",
           "avgpool", "adaptive_avgpool", "batchnorm", "lrn", "relu", "dropout", "conv_transpose",
           "conv_transpose", "upsample", "upsample", "zero_pad", "split", "split", "channel_shuffle", "layernorm", "layer_scale",
           "prelu", "stochastic_depth"]
FLAT = ["dense", "dense", "dense", "relu", "dropout", "batchnorm", "tanh", "softmax", "lrn",
        "layernorm", "layer_scale", "prelu", "split", "stochastic_depth"]
ACTIVATION_LAYERS = ["relu6", "gelu", "sigmoid", "leaky_relu", "elu", "softmax", "log_softmax",
                     "silu", "swish", "hardswish", "hardsigmoid", "mish"]
ANYWHERE = [k for k in KINDS if not KINDS[k].merge]
# The kinds that multiply sizes, and settings that do not, for where they are repeated (a
# group's repeat, a block used again): the sizes stay bounded.
GROWING = {"conv_transpose": lambda d: {"stride": 1},
           "upsample": lambda d: {"scale": d.pick([1, 0.5, 0.7]), "size": None}}
Shape = tuple[int, ...]


def broadcasts(a: Shape | None, b: Shape) -> bool:
    """docs: sizes equal, or one of them 1, axis by axis, in shapes of one rank."""
    return a is not None and len(a) == len(b) and all(x == y or 1 in (x, y)
                                                      for x, y in zip(a, b))


def same_spatial(a: Shape | None, b: Shape) -> bool:
    return a is not None and a[1:] == b[1:] and len(a) == len(b)


def larger(a: Shape | None, b: Shape) -> bool:
    """A map ``a`` a crop can cut to ``b``'s size: as large on every spatial axis."""
    return a is not None and len(a) == len(b) > 1 and all(x >= y for x, y in zip(a[1:], b[1:]))


class Generator:
    """Draws a spec and expands it as it goes."""

    def __init__(self, d: Draw):
        self.d = d
        rank = d.pick([0, 1, 1, 2, 2, 2, 3])
        sizes = [d.int(1, 9 if rank < 3 else 5) for _ in range(rank)]
        self.spec = Spec([d.int(1, 4), *sizes])
        self.x = Expansion(self.spec)
        self.counter = 0
        self.depth = 0
        self.spec.defaults = self.draw_defaults()

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def room(self) -> bool:
        return len(self.spec.expanded) < MAX_EXPANDED

    def draw(self) -> Spec:
        for _ in range(self.d.int(1, 6)):
            if not self.room():
                break
            self.next_item(self.spec.layers)
        if not self.spec.expanded:
            self.plain(self.spec.layers)
        if self.last_split() and self.d.chance(0.9):
            self.merge(self.spec.layers, "concat", self.parts(self.x.last()))
        self.x.finish()  # a split left last is refused
        return self.spec

    def draw_defaults(self) -> dict:
        """`defaults:` for a kind or two, scalar values only (they apply at every rank)."""
        found = {}
        for kind in ("conv", "maxpool", "avgpool", "dense", "lrn", "dropout", "conv_transpose",
                     "upsample", "split", "zero_pad", "stochastic_depth"):
            if self.d.chance(0.12):
                shape = (1,) * (len(self.spec.input))
                settings = KINDS[kind].draw(self.d, shape)
                try:  # a default the format refuses is said once, at `defaults:` (no layer)
                    (KINDS[kind].check or (lambda s: None))(settings)
                except Refused:
                    continue
                keys = [k for k, v in settings.items() if not isinstance(v, list)]
                if keys:
                    key = self.d.pick(keys)
                    found[kind] = {key: settings[key]}
        return found

    def next_item(self, into: list[Item]) -> None:
        if self.last_split() and self.d.chance(0.9):
            return self.after_split(into)
        choice = self.d.int(0, 10)
        if choice <= 4 or self.depth >= 2 and choice != 5:
            self.plain(into)
        elif choice == 5:
            self.merge(into)
        elif choice == 6:
            self.gate(into)
        elif choice <= 8:
            self.group(into)
        else:
            self.block_use(into)

    def last_split(self) -> bool:
        return self.x.last() in self.x.splits

    def parts(self, split: str) -> list[str]:
        """References to a split's parts visible here (none from inside a block it is not
        in)."""
        return [r for r, full in self.x.visible() if full.startswith(split + ".")
                and full[len(split) + 1:].isdigit()]

    def close_split(self, into: list[Item]) -> None:
        """A group's or block's layers mostly end in a layer that reads a split's parts, not
        in the split, which what reads the group (its next pass too) would read whole."""
        if self.last_split() and self.d.chance(0.9):
            self.after_split(into)

    def after_split(self, into: list[Item]) -> None:
        """What follows a split names a part: a layer (or a group) reading one, or a concat
        of them (ShuffleNet v2's unit reads a part, then concatenates the other with it)."""
        parts = self.parts(self.x.last())
        if not parts:
            return self.plain(into)
        choice = self.d.int(0, 4)
        if choice <= 1:
            return self.merge(into, "concat", [self.d.pick(parts) for _ in parts]
                              if self.d.chance(0.2) else parts)
        part = self.d.pick(parts)
        if choice == 2 and self.depth < 2:
            return self.group(into, part)
        self.plain(into, part)

    def pick_kind(self, shape: Shape) -> str:
        if self.d.chance(0.08):
            return self.d.pick(ANYWHERE)  # whatever the shape: a mismatch, most likely
        if len(shape) == 1:
            return self.d.pick(FLAT + (["flatten"] if self.d.chance(0.1) else []))
        if self.d.chance(0.15):
            return self.d.pick(["flatten", "global_avgpool"])
        return self.d.pick(SPATIAL + ACTIVATION_LAYERS)

    def settings_for(self, kind: str, shape: Shape) -> tuple[dict, list[str]]:
        """The layer's settings and which of them to write: a setting that equals the
        kind's documented default, or the spec's `defaults:`, may be left out."""
        entry = KINDS[kind]
        settings = entry.draw(self.d, shape)
        spec_defaults = self.spec.defaults.get(kind, {})
        written = []
        for key, value in settings.items():
            if key in spec_defaults and self.d.chance(0.6):
                settings[key] = spec_defaults[key]  # from `defaults:`
            elif key not in spec_defaults and key in entry.defaults and \
                    value == entry.defaults[key] and self.d.chance(0.7):
                pass  # the kind's own default
            else:
                written.append(key)
        return settings, written

    def reference(self, fits: Any = None) -> str | None:
        """A reference to an earlier layer visible here, whose shape ``fits`` if one does."""
        visible = self.x.visible()
        fitting = [r for r, full in visible if fits is None or fits(self.x.shape_of(full))]
        options = fitting if fitting and self.d.chance(0.85) else [r for r, _ in visible]
        return self.d.pick(options) if options else None

    def to_last(self) -> str | None:
        """A reference to the last layer, if one is visible here."""
        last = self.x.last()
        return next((r for r, full in reversed(self.x.visible()) if full == last), None)

    def plain(self, into: list[Item], reads: str | None = None,
              given: dict | None = None, kind: str | None = None) -> None:
        """One layer (reading ``reads`` if given), drawn for the shape it reads; ``given``
        settings, written, override drawn ones."""
        shape = self.x.current_shape() if reads is None else \
            self.x.shape_of(self.x.resolve(reads)) or self.x.current_shape()
        directed = kind is not None  # a step of a composite: it reads the last layer
        kind = kind or self.pick_kind(shape)
        settings, written = self.settings_for(kind, shape)
        given = given or {}
        if kind in GROWING and (self.x.in_repeat or self.x.using):
            given = {**GROWING[kind](self.d), **given}  # repeated, it would grow exponentially
        settings.update(given)
        written += [k for k in given if k not in written]
        item = Item(kind, settings, written, input=reads)
        if reads is None and not directed and self.d.chance(0.15):
            item.input = self.reference()
        if self.d.chance(0.25) and not self.x.in_repeat:
            item.name = self.fresh("n")
        if self.d.chance(0.02 if kind == "split" else 0 if kind in GROWING else 0.12):
            item.repeat = self.d.int(1, 3)  # a split's copy reads it whole
        item.style = self.d.pick(["mapping", "short", "siblings", "bare"])
        into.append(item)
        self.x.item(item)

    def merge(self, into: list[Item], kind: str | None = None,
              refs: list[str] | None = None) -> None:
        """A layer of several inputs: ``refs`` if given, else earlier layers that fit the
        last one's shape (add and multiply: broadcasting to it, concat: of its spatial size,
        crop: an earlier map as large, cut to the last one's size)."""
        kind = kind or self.d.pick(["add", "add", "multiply", "concat", "concat", "crop"])
        shape = self.x.current_shape()
        if refs is None and kind == "crop":
            refs = [self.reference(lambda s: larger(s, shape)), self.to_last()]
            if self.d.chance(0.2):  # the smaller first: refused
                refs.reverse()
        elif refs is None:
            fits = broadcasts if kind != "concat" else same_spatial
            exact = self.d.chance(0.5)
            wild = self.d.chance(0.25)  # whatever their shapes: a mismatch, most likely
            refs = [self.reference(None if wild else lambda s: s == shape if exact else
                                   fits(s, shape)) for _ in range(self.d.int(2, 3))]
        refs = [r for r in refs if r]
        if len(refs) < 2:
            return self.plain(into)
        named = self.d.chance(0.3) and not self.x.in_repeat
        item = Item(kind, {}, [], input=refs, name=self.fresh("m") if named else None,
                    style=self.d.pick(["short", "mapping"]))
        into.append(item)
        self.x.item(item)

    def gate(self, into: list[Item]) -> None:
        """A branch that weighs the last map: squeeze-and-excitation's (C, 1, 1) gate or a
        (1, H, W) attention map, then `multiply` (or `add`) of the map and the branch: the
        broadcasting the docs describe. Else (a flat input, a U-Net's step up) a crop of an
        earlier larger map to the size of the last one, then a concat of the two."""
        shape = self.x.current_shape()
        source = self.to_last()
        if source is None or len(shape) < 2 or not self.room():
            return self.plain(into)
        if self.d.chance(0.3):
            self.merge(into, "crop")
            if self.x.last() != source and self.d.chance(0.7) and (up := self.to_last()):
                self.merge(into, "concat", [up, source])
            return
        c = shape[0]
        if self.d.chance(0.7):  # squeeze and excitation
            self.plain(into, kind="adaptive_avgpool", given={"output": 1})
            self.plain(into, kind="conv", given={"filters": self.d.int(1, 4), "kernel": 1,
                                                 "stride": 1, "padding": 0, "dilation": 1,
                                                 "groups": 1,
                                                 "activation": self.d.pick(["relu", "silu"])})
            self.plain(into, kind="conv", given={"filters": c if self.d.chance(0.9) else
                                                 c + 1, "kernel": 1, "stride": 1,
                                                 "padding": 0, "dilation": 1, "groups": 1,
                                                 "activation": None})
        else:  # a spatial attention map
            self.plain(into, kind="conv", given={"filters": 1, "kernel": 1, "stride": 1,
                                                 "padding": 0, "dilation": 1, "groups": 1,
                                                 "activation": None})
        self.plain(into, kind=self.d.pick(["sigmoid", "hardsigmoid"]))
        gate = self.to_last()
        if gate is not None:
            refs = [source, gate] if self.d.chance(0.7) else [gate, source]
            self.merge(into, self.d.pick(["multiply", "multiply", "add"]), refs)

    def group(self, into: list[Item], reads: str | None = None) -> None:
        named = self.d.chance(0.6) and not self.x.in_repeat
        item = Item(GROUP, name=self.fresh("g") if named else None,
                    repeat=self.d.int(1, 3) if self.d.chance(0.4) else None)
        if reads is not None or self.d.chance(0.2):
            item.input = reads or self.reference()
        into.append(item)
        self.depth += 1

        def body() -> None:
            for _ in range(self.d.int(1, 3)):
                if self.room():
                    self.next_item(item.layers)
            if not item.layers:
                self.plain(item.layers)
            self.close_split(item.layers)
        self.x.item(item, draw_body=body)
        self.depth -= 1

    def block_use(self, into: list[Item]) -> None:
        old = [b for b in self.spec.blocks.values() if b.name not in self.x.using]
        if old and self.d.chance(0.5):
            return self.reuse(self.d.pick(old), into)
        block = Block(f"b{chr(ord('a') + len(self.spec.blocks))}",
                      sequential=self.d.chance(0.3))
        self.spec.blocks[block.name] = block
        item = self.use_item(block)
        into.append(item)
        self.depth += 1

        def body() -> None:
            for _ in range(self.d.int(1, 3)):
                if self.room():
                    self.next_item(block.layers)
            if not block.layers:
                self.plain(block.layers)
            self.close_split(block.layers)
            self.parametrise(block, item)
        self.x.item(item, draw_body=body)
        self.depth -= 1

    def use_item(self, block: Block) -> Item:
        named = self.d.chance(0.4) and not self.x.in_repeat
        item = Item(block.name, name=self.fresh("u") if named else None,
                    repeat=self.d.int(1, 2) if self.d.chance(0.2) else None)
        if self.d.chance(0.25):
            item.input = self.reference()
        return item

    def parametrise(self, block: Block, use: Item) -> None:
        """Turn some settings of the block's own layers into `$parameters`: the first use
        (already expanded) gets their values, as an argument or as the default."""
        for child in block.layers:
            if child.kind not in KINDS or not child.settings:
                continue
            for key in list(child.settings):
                value = child.settings[key]
                if value is None or not self.d.chance(0.3):
                    continue
                param = f"p{len(block.params) + 1}"
                block.params[param] = value if self.d.chance(0.6) else REQUIRED
                block.origin[param] = (child.kind, key)
                if block.params[param] == REQUIRED or self.d.chance(0.4):
                    use.settings[param] = value
                child.settings[key] = f"${param}"
                if key not in child.written:
                    child.written.append(key)
                if len(block.params) >= 3:
                    return

    def reuse(self, block: Block, into: list[Item]) -> None:
        item = self.use_item(block)
        for param, default in block.params.items():
            kind, key = block.origin[param]
            if default == REQUIRED or self.d.chance(0.5):
                item.settings[param] = KINDS[kind].draw(self.d, self.x.current_shape())[key]
        into.append(item)
        self.x.item(item)


def generate(d: Draw) -> Spec:
    return Generator(d).draw()


