"""Turn a loaded spec document into a :class:`~netspec.graph.network.Network`.

This is where the short forms are read (``- conv: 64``, ``- relu``, sibling keys), kind defaults
are applied, repeats are expanded (bounded), names are given and references are resolved. Every
problem is collected with its location, so a student sees all the mistakes of a file at once.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

from pydantic_core import ValidationError

from ..core.codes import declare
from ..core.errors import Diagnostic, Location, SpecError
from ..core.model import field_docs
from ..core.validation import validate
from ..layers import KINDS, did_you_mean
from ..layers.base import COMMON, Layer
from ..reading.document import Placement, SpecFile
from ..reading.messages import (
    COLON_HINT,
    SPEC,
    UNKNOWN_KEY,
    Problem,
    colon_message,
    describe,
    translate,
)
from ..reading.source import MISSING_COLON, Document
from .allowances import BAD_ALLOW, Allowance, allowed_codes
from .blocks import (
    BLOCK_ARGUMENTS,
    BLOCK_PARAMETER,
    MAX_BLOCK_DEPTH,
    BindError,
    Substitution,
    bind,
    expression_defaults,
    literal_defaults,
    reads_input_shape,
    value_sources,
)
from .copies import BAD_CONDITION, NUMBERED_NAME, CopyNames, condition_problem, pop_setting
from .expressions import BAD_EXPRESSION, input_values
from .hints import ReferenceHints
from .known_shapes import KnownShapes
from .module_names import RESERVED_NAME, container_names, name_problem
from .network import INPUT, BlockUse, Network, Node, part_of
from .scope import BLOCK_INPUT, Scope, Scopes

SETTING_TWICE = declare(
    "NS204", "setting-twice", "a setting is given both inside a layer's mapping and beside it",
    "`- conv: {filters: 8}` and `filters: 8` beside `conv:` say the same thing; with both, one "
    "would silently win. Keep one.",
    "input: [1, 28, 28]\nlayers:\n  - conv: {filters: 8, kernel: 3}\n    kernel: 5\n")
TAKES_NO_VALUE = declare(
    "NS205", "takes-no-value", "a kind without a short form is given a single value",
    "`- conv: 64` fills a conv's filters, but kinds like flatten or add have no setting a "
    "single value could fill: write `- flatten`, or a mapping of settings.",
    "input: [1, 28, 28]\nlayers:\n  - flatten: 3\n")
UNKNOWN_KIND = declare(
    "NS301", "unknown-kind", "a layer kind or block that does not exist",
    "A layer item starts with its kind (`conv`, `maxpool`, `dense`, ...) or the name of a block "
    "defined under `blocks:`. The hint names the closest kind, and other frameworks' names "
    "(Conv2d, Linear, MaxPool2d) are recognised; `netspec kinds` lists them all.",
    "input: [1, 28, 28]\nlayers:\n  - convolution: 8\n")
SEVERAL_KINDS = declare(
    "NS302", "several-kinds", "one layer item names more than one kind",
    "Each `- ` item is one layer. Two kinds in one mapping usually mean a missing `- ` before "
    "the second.",
    "input: [1, 28, 28]\nlayers:\n  - conv: 8\n    relu:\n")
BAD_ITEM = declare(
    "NS303", "bad-item", "a layer item that is neither a kind name nor a mapping",
    "Write `- relu`, `- conv: 64` or `- conv: {filters: 64, kernel: 3}`.",
    "input: [1, 28, 28]\nlayers:\n  - 42\n")
BAD_REPEAT = declare(
    "NS304", "bad-repeat", "repeat is not a whole number in range",
    "`repeat:` copies a layer, a group or a block use in a row; it takes a whole number from "
    "0 (the layer is absent, as a block's `repeat: $n` with n = 0 needs) to 10,000.",
    "input: [1, 28, 28]\nlayers:\n  - relu: {}\n    repeat: -2\n")
TOO_MANY_LAYERS = declare(
    "NS305", "too-many-layers", "the network would have more than 100,000 layers",
    "Repeats multiply: a limit on the expanded network keeps a spec (or a hostile file) from "
    "building millions of layers before anything is checked.",
    "input: [1, 28, 28]\nlayers:\n  - repeat: 10000\n    layers: [relu, relu, relu, relu, "
    "relu, relu, relu, relu, relu, relu, relu]\n")
BAD_GROUP = declare(
    "NS306", "bad-group", "a group (`layers:` inside the layer list) is malformed",
    "A group is `- layers: [...]` with, optionally, `repeat:`, `name:` (a Python identifier) "
    "and `input:`; its layers are a non-empty list.",
    "input: [1, 28, 28]\nlayers:\n  - layers: []\n")
BLOCK_NAME = declare(
    "NS307", "block-name", "a block's name is a kind's name or not an identifier",
    "Block uses are written like kinds (`- bottleneck: {...}`), so a block cannot take a "
    "kind's name, and its name must be letters, digits and _.",
    "input: [1, 28, 28]\nblocks:\n  conv: {layers: [relu]}\nlayers: [relu]\n")
BLOCK_RECURSION = declare(
    "NS310", "block-recursion", "a block uses itself, or blocks nest more than 16 deep",
    "A block's layers may use other blocks, but not, through any chain, the block itself: "
    "its expansion would never end.",
    "input: [1, 28, 28]\nblocks:\n  a: {layers: [b]}\n  b: {layers: [a]}\nlayers: [a]\n")
DUPLICATE_NAME = declare(
    "NS311", "duplicate-name", "two layers, or a layer and a group, share a name",
    "Names identify layers in references, reports and PyTorch's state_dict keys, so each is "
    "unique. An automatic name (kind + running number) can meet a name given by hand: name "
    "one of the two.",
    "input: [1, 28, 28]\nlayers:\n  - conv: {filters: 8, kernel: 3, name: c}\n"
    "  - conv: {filters: 8, kernel: 3, name: c}\n")
UNKNOWN_REFERENCE = declare(
    "NS313", "unknown-reference", "an `input:` names no layer",
    "`input:` and a merge's inputs name earlier layers (dotted inside blocks and named "
    "groups, `layer1.0.conv1`), or `input` for the network's input. The hint names the "
    "closest name.",
    "input: [1, 28, 28]\nlayers:\n  - conv: {filters: 8, kernel: 3, name: c1}\n"
    "  - add: [c1, c2]\n")
FORWARD_REFERENCE = declare(
    "NS314", "forward-reference", "an `input:` names a layer that comes later",
    "Layers read earlier layers only, so the network is a graph without cycles in the order "
    "it is written. Move the layer, or read another one.",
    "input: [1, 28, 28]\nlayers:\n  - relu: {input: c}\n"
    "  - conv: {filters: 1, kernel: 3, name: c}\n")
WHOLE_SPLIT = declare(
    "NS317", "whole-split", "a layer reads a split whole, or a split is the network's output",
    "A split's output is its parts, each read by its index: `input: halves.0`, "
    "`concat: [halves.1, branch]`. A layer after a split reads the previous layer by default, "
    "so it names the part it reads; the network's output (its last layer) is one tensor, not "
    "a split.",
    "input: [4, 8, 8]\nlayers:\n  - split: {parts: 2, name: halves}\n  - relu\n")
INPUT_OUTSIDE_BLOCK = declare(
    "NS315", "input-outside-block", "`$input` is used outside a block",
    "`$input` stands for what feeds a block, inside the block's layers. Elsewhere, name the "
    "layer to read.",
    "input: [1, 28, 28]\nlayers:\n  - relu: {input: $input}\n")

MAX_LAYERS = 100_000
_NOTHING: frozenset[str] = frozenset()
# The names of an item's copies depend on its name and count only: a block's layers, named
# alike in each of its uses, are worked out once.
_copy_names = functools.lru_cache(maxsize=1024)(CopyNames.of)
MAX_REPEAT = 10_000
GROUP_KEYS = {"repeat", "layers", "name", "input"}  # and `if:`, `allow:`, read for any item
USE_KEYS = {"name", "repeat", "input"}  # keys of a block use that are not its arguments


class BuildError(SpecError):
    """The spec cannot be built. ``partial`` is the network of the layers built before the first
    error, when every name they read resolved: their shapes can still be checked, so that a
    typo in layer 8 does not hide a kernel too large in layer 3 (the analysis does that)."""

    def __init__(self, diagnostics: list[Diagnostic], partial: Network | None = None):
        super().__init__(diagnostics)
        self.partial = partial


def build(doc: Document) -> Network:
    """Validate the document and expand it into nodes; raise BuildError with every problem."""
    b = _NetworkBuilder(doc)
    spec = b.top_level()
    b.known = KnownShapes(tuple(spec.input) if b.input_known else None)
    b.defaults(spec)
    b.check_blocks(spec)
    b.items(spec.layers, ("layers",), group=())
    before = len(b.errors)
    b.resolve_inputs()
    name = spec.name or _stem(doc.file)
    if b.errors:
        names_resolved = len(b.errors) == before
        prefix = tuple(b.nodes[:b.cutoff])
        partial = Network(name, tuple(spec.input), prefix, doc.file) if (
            names_resolved and prefix and b.input_known) else None
        raise BuildError(b.errors, partial)
    expect_locs = {k: doc.where(("expect", k)) for k in ("output_shape", "params", "max_params")}
    return Network(name, tuple(spec.input), tuple(b.nodes), doc.file, spec.expect,
                   MappingProxyType(expect_locs), doc.where(("input",)),
                   MappingProxyType(b.uses), spec.train,
                   MappingProxyType({k: doc.where(("train", k)) for k in ("task", "loss")}))


class _NetworkBuilder:
    """The state of one build: the nodes so far, the errors found, the open scopes."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.errors: list[Diagnostic] = []
        self.nodes: list[Node] = []
        self.skipped = 0  # layers left out for an error, so that later ones keep their index
        self.index_known = True  # False once an error leaves out layers that cannot be counted
        self.cutoff: int | None = None  # how many layers were built before the first error
        self.kind_defaults: dict[str, dict] = {}
        self.cache: dict[tuple, Layer | list[Problem]] = {}
        self.scopes = Scopes()
        self.blocks: dict = {}
        self.expanding: list[str] = []  # blocks being expanded, to catch one that uses itself
        self.uses: dict[str, BlockUse] = {}  # block instances by full name
        self.pending_input: str | None = None  # what the next layer reads, if not the last one
        # Names of layers, groups and block uses refused for an error: reading them is no error
        # of its own. `last` is the last layer's name, built or refused.
        self.refused: set[str] = set()
        self.last: str | None = None
        # While a block use is expanded: where the value of each `$parameter` in its layers was
        # written (the path of the argument or of the default, and for a default a note naming
        # the use). `reported`: the errors so far, so that one mistake is reported once.
        self.written_at: dict[tuple, tuple[tuple, str | None]] = {}
        self.reported: set[tuple] = set()
        self.over_limit = False  # the layer limit is reached: nothing more is built
        self.names_only = 0  # inside passes of a group after its errors: layers take names only
        self.by_name: dict[str, Node] = {}  # the layers so far, by full name
        self.input_known = True  # False when `input:` is at fault: no shapes to check
        self.broken_blocks: set[str] = set()  # blocks left out for an error: uses not reported
        self.known = KnownShapes(None)  # shapes so far, for a block that reads `$input.channels`
        self.allowing: tuple[Allowance, ...] = ()  # the warnings the layers being built accept
        self.reads_shape: dict[str, bool] = {}  # blocks whose settings read `$input.channels`

    def error(self, message: str, path: tuple, at_key: bool = False, *, code: str,
              details: tuple[str, ...] = (), **kw: Any) -> None:
        """Report a problem at ``path``, or where the value there was written when a block's
        parameter put it there. A mistake written once is reported once, however many layers
        it reaches (a block's default, a typo in a block used 34 times)."""
        if self.cutoff is None:
            self.cutoff = len(self.nodes)
        path, note = self.written(path)
        where = self.doc.where_key(path) if at_key else self.doc.where(path)
        details += (note,) if note else ()
        self.report(Diagnostic("error", message, where, code=code, details=details, **kw))

    def written(self, path: tuple) -> tuple[tuple, str | None]:
        """Where the value at ``path`` was written: ``path`` itself, or inside block uses (one
        in another, at most 16 deep) the argument or default that a `$parameter` stood for,
        with a note naming the use of a default."""
        note = None
        for _ in range(MAX_BLOCK_DEPTH + 1):
            hit = next((i for i in range(len(path), 1, -1) if path[:i] in self.written_at), 0)
            if not hit:
                break
            origin, note_here = self.written_at[path[:hit]]
            path, note = origin + path[hit:], note_here or note
        return path, note

    def report(self, d: Diagnostic) -> None:
        """Add a diagnostic, unless the same one is already there at the same place."""
        if (d.message, d.location, d.code) not in self.reported:
            self.reported.add((d.message, d.location, d.code))
            self.errors.append(d)

    def refuse(self, kind: str, given: Any = None, copies: int = 1) -> None:
        """Take the names of a layer (or its ``copies``), a group or a block use that an error
        left out, as if it were built: later names and positions stay those of the spec once
        fixed, and layers that read it add no error of their own."""
        given = given if isinstance(given, str) and given.isascii() and given.isidentifier() \
            else None
        for r in range(copies):
            name = given if copies == 1 or given is None else f"{given}_{r + 1}"
            self.last = self.scopes.claim(self.scopes.local_name(kind, name))
            self.refused.add(self.last)

    def top_level(self) -> SpecFile:
        """The spec's top level; with its problems reported, the parts of it that are valid,
        so that the layers are still checked (BuildError only when there are no layers)."""
        try:
            return validate(SpecFile, self.doc.data)
        except ValidationError as e:
            problems = translate(e, SpecFile, SPEC, defaults_hint=False, data=self.doc.data)
        self.locate(problems, (), None)
        kept = self.valid_top_level(problems)
        if kept is None:
            raise BuildError(self.errors)
        return kept

    def valid_top_level(self, problems: list[Problem]) -> SpecFile | None:
        """The top level without the keys at fault: an unknown key, a bad `name:` or
        `expect:` change no layer, so the layers' shapes are still checked; a bad `input:`
        leaves the shapes unknown (a stand-in, never analysed), a bad kind under `defaults:`
        or block under `blocks:` is left out (its uses are not reported again). None when
        `layers:` itself is at fault."""
        data = dict(self.doc.data)
        independent = True
        for p in problems:
            key = p.loc[0] if p.loc else None
            if key == "layers" or key is None:
                return None
            if key in ("defaults", "blocks") and len(p.loc) > 1 and isinstance(
                    data.get(key), dict):
                data[key] = {k: v for k, v in data[key].items() if k != p.loc[1]}
                if key == "blocks":
                    self.broken_blocks.add(str(p.loc[1]))
            elif key == "input":
                data[key], self.input_known = [1], False
            else:
                data.pop(key, None)
            independent = independent and key not in ("defaults", "blocks", "input")
        if "input" not in data:  # missing, or misspelt (reported as the typo)
            data["input"], self.input_known, independent = [1], False, False
        if "layers" not in data:
            return None
        if independent:
            self.cutoff = None  # the layers' own shapes can be checked
        try:
            return validate(SpecFile, data)
        except ValidationError:
            return None

    def defaults(self, spec: SpecFile) -> None:
        """Check `defaults:` once, against each kind's schema, so typos are caught there."""
        for kind, values in spec.defaults.items():
            path = ("defaults", kind)
            if kind not in KINDS:
                self.error(f"unknown layer kind '{kind}' in defaults", path, at_key=True,
                           hint=did_you_mean(kind, KINDS) or _known_kinds(), code=UNKNOWN_KIND)
                continue
            fields = [f for f in field_docs(KINDS[kind]) if f not in COMMON]
            for key in values:
                if key not in fields:
                    self.error(f"'{key}' is not a setting of {kind}", path + (key,), at_key=True,
                               hint=did_you_mean(key, fields)
                               or f"{kind} takes: {', '.join(fields)}", code=UNKNOWN_KEY)
            self.kind_defaults[kind] = {k: v for k, v in values.items() if k in fields}

    def items(self, items: list, path: tuple, group: tuple[str, ...]) -> None:
        for i, item in enumerate(items):
            if len(self.nodes) + self.skipped > MAX_LAYERS and not self.over_limit:
                self.over_limit = True
                self.error(f"the network has more than {MAX_LAYERS:,} layers", path + (i,),
                           code=TOO_MANY_LAYERS)
            if self.over_limit:
                return
            self.item(item, path + (i,), group)

    def item(self, item: Any, path: tuple, group: tuple[str, ...]) -> None:
        if isinstance(item, str):
            item = {item: None}
        if not isinstance(item, dict) or not item:
            self.error(f"a layer is a kind name or a mapping, not {describe(item)}", path,
                       layer=self.layer_label(),
                       hint="write `- relu`, `- conv: 64` or `- conv: {filters: 64, kernel: 3}`",
                       code=BAD_ITEM)
            self.refuse("layer")
            self.skip(1)
            return
        kinds = [k for k in item if k in KINDS or k in self.blocks]
        kind = kinds[0] if len(kinds) == 1 and "layers" not in item else None
        inner = item.get(kind) if kind else None
        if not ("if" in item or "allow" in item or isinstance(inner, dict) and (
                "if" in inner or "allow" in inner)):
            return self.built_item(item, path, group, kinds)  # the common case, kept short
        present = self.present(item, path, kind)
        if present is None:
            return
        item, allowed = self.allowances(present, path, kind)
        outside, self.allowing = self.allowing, self.allowing + tuple(allowed)
        try:
            self.built_item(item, path, group, kinds)
        finally:
            self.allowing = outside

    def present(self, item: dict, path: tuple, kind: str | None) -> dict | None:
        """The item without its `if:`; None when the condition is false (the item is absent:
        no layer, no name, no index) or cannot decide (reported)."""
        item, value, at = pop_setting(item, "if", kind)
        if not at:
            return item
        problem = condition_problem(value)
        if problem is not None:
            self.error(problem, path + at, layer=self.layer_label(kind),
                       hint="compare a parameter (`if: $stride == 1`) or name one that is true "
                            "or false", code=BAD_CONDITION)
            if "layers" in item:
                self.refused_group(item.get("name"))
            else:
                self.refuse(kind or "layer", _given_name(item, kind) if kind else None)
                self.skip(1)
                self.index_known = False
            return None
        return item if value else None

    def allowances(self, item: dict, path: tuple, kind: str | None
                   ) -> tuple[dict, list[Allowance]]:
        """The item without its `allow:`, and the warnings it names (each problem reported)."""
        item, value, at = pop_setting(item, "allow", kind)
        found = []
        for index, code, problem, hint in allowed_codes(value) if at else []:
            where = path + at + ((index,) if index is not None else ())
            if code is None:
                self.error(problem, where, hint=hint, code=BAD_ALLOW)
            else:
                found.append(Allowance(code, self.doc.where(self.written(where)[0])))
        return item, found

    def built_item(self, item: dict, path: tuple, group: tuple[str, ...],
                   kinds: list[str]) -> None:
        if "layers" in item:
            return self.group(item, path, group)
        if len(kinds) != 1:
            self._no_single_kind(item, kinds, path)
            self.refuse("layer", _given_name(item, kinds[0] if kinds else next(iter(item))))
            self.skip(1)
            return
        kind = kinds[0]
        if kind in self.blocks:
            return self.use_block(kind, item, path, group)
        inner = item[kind] if isinstance(item[kind], dict) else {}
        where = path + ((kind, "repeat") if "repeat" in inner else ("repeat",))
        repeat = self.repeat_count(inner.get("repeat", item.get("repeat", 1)), where, 1)
        if repeat == 0:
            return  # absent
        given = _given_name(item, kind)
        names = CopyNames.automatic(repeat or 1) if given is None else self.copy_names(
            given, repeat or 1, path + ((kind, "name") if "name" in inner else ("name",)), kind)
        if names is not None and names.special:
            item = _without_name(item, kind)
        settings = None if self.names_only or names is None else self.params(kind, item, path)
        layer = None if settings is None else self.validate(kind, *settings, path)
        if layer is None or settings is None or not repeat or names is None:
            self.refuse(kind, _given_name(item, kind), repeat or 1)
            self.skip(repeat or 1)
            return
        for r in range(repeat):
            # Copies chain, as repeated groups and block uses do: only the first reads `input:`
            # (a merge's inputs are what it is, so every copy keeps them).
            chained = r > 0 and len(_as_tuple(layer.input)) < 2
            self.add_node(layer, names.names[r], path, settings[1], group, chained)

    def copy_names(self, given: Any, copies: int, path: tuple, kind: str | None
                   ) -> CopyNames | None:
        """The names of an item's copies; None when they cannot be used (reported)."""
        names = _copy_names(given, copies) if isinstance(given, (str, int)) else \
            CopyNames.of(given, copies)
        problem = names.problem
        if problem is None and names.numbered and not self.scopes.top.numbered:
            problem = (f"the name {given!r} is a number, which only a child of a named group "
                       "or a sequential block can have (torchvision's `features.3`)")
        if problem is None:
            return names
        self.error(problem, path, layer=self.layer_label(kind), code=NUMBERED_NAME,
                   hint="use a name of letters, digits and _, or {i} in a repeated item's "
                        "name (`denselayer{i}`)")
        return None

    def check_blocks(self, spec: SpecFile) -> None:
        for name in spec.blocks:
            if name in KINDS:
                self.error(f"the block '{name}' has the name of a layer kind", ("blocks", name),
                           at_key=True, hint="give the block another name", code=BLOCK_NAME)
            elif not name.isidentifier():
                self.error(f"'{name}' cannot be a block name", ("blocks", name), at_key=True,
                           hint="use letters, digits and _", code=BLOCK_NAME)
        self.blocks = {k: v for k, v in spec.blocks.items() if k not in KINDS}

    def use_block(self, name: str, item: dict, path: tuple, group: tuple[str, ...]) -> None:
        """Expand one use of a block: its layers, with arguments bound, in a scope of its own."""
        value = item[name]
        if value is not None and not isinstance(value, dict):
            self.error(f"a block takes a mapping of arguments, not {describe(value)}",
                       path + (name,), hint=f"write `- {name}: {{param: value, ...}}`",
                       code=BLOCK_ARGUMENTS)
            self.refused_use(name, item.get("name"))
            return
        args = {**(value or {}), **{k: v for k, v in item.items() if k != name}}
        use = {k: args.pop(k) for k in USE_KEYS & args.keys()}

        def where(key: str) -> tuple:
            return path + ((name, key) if value and key in value else (key,))

        repeat = self.repeat_count(use.get("repeat", 1), where("repeat"),
                                   len(self.blocks[name].layers))
        if repeat == 0:
            return  # absent
        names = self.copy_names(use.get("name"), repeat or 1, where("name"), None)
        placed = {k: v for k, v in use.items() if k != "name" or names and not names.special}
        if names is None or not self.placement(placed, where, f"the use of block '{name}'"):
            self.refused_use(name, None)
            return
        if name in self.expanding or len(self.expanding) >= MAX_BLOCK_DEPTH:
            chain = " -> ".join(self.expanding + [name])
            self.error(f"block '{name}' uses itself ({chain})" if name in self.expanding else
                       f"blocks nest deeper than {MAX_BLOCK_DEPTH} ({chain})", path,
                       code=BLOCK_RECURSION)
            self.refused_use(name, use.get("name"))
            return
        try:
            values = bind(name, self.blocks[name], args)
        except BindError as e:
            self.bind_error(e, name, path, value)
            self.refused_use(name, use.get("name"))
            return
        if repeat is None:
            self.refused_use(name, use.get("name"))
            return
        self.use_copies(name, values, args, use.get("input"), names, path, value, group)

    def use_copies(self, name: str, values: dict, args: dict, input_ref: Any, names: CopyNames,
                   path: tuple, value: dict | None, group: tuple[str, ...]) -> None:
        """The copies of a use whose arguments bind, one after the other: only the first
        reads the use's `input:`; each is worked out over its own input where the block reads
        its input's shape, else all are the first one's."""
        defaults = MappingProxyType(literal_defaults(self.blocks[name]))
        made = None
        for r, local in enumerate(names.names):
            source = self.input_of(_as_tuple(input_ref if r == 0 else None), path)[0]
            if r == 0 or self.reads_shape[name]:
                made = self.instance(name, values, args, source, path, value)
            if made is None:
                self.refused_use(name, local)
                continue
            layers, bound, written = made
            self.written_at.update(written)
            self.expand(BlockUse(name, MappingProxyType(bound), defaults), layers, local,
                        source, path, group)
            for key in written:
                del self.written_at[key]

    def instance(self, name: str, values: dict, args: dict, source: str, path: tuple,
                 value: dict | None) -> tuple[list, dict, dict] | None:
        """One copy of block ``name``'s layers for a use whose input is ``source``: the
        parameters put in and the expressions worked out (over the input's shape where the
        block reads it), with the values bound and where each was written. None when that
        fails (reported)."""
        block, line = self.blocks[name], self.doc.where(path).line
        found_at = (f"found using block '{name}' at line {line}",)
        scope = dict(values)
        if name not in self.reads_shape:
            self.reads_shape[name] = reads_input_shape(block)
        if self.reads_shape[name]:
            shape = self.known.of(source, self.nodes, self.by_name)
            if shape is None:
                if self.input_known:
                    self.error(f"block '{name}' reads the shape of its input ('{source}'), "
                               "which is not known: a layer before it has an error", path,
                               code=BAD_EXPRESSION, hint="fix that layer first")
                return None
            scope.update(input_values(shape))
        failed = expression_defaults(name, block, scope, args)
        for key, message in failed:
            self.error(message, ("blocks", name, "params", key), at_key=True,
                       code=BAD_EXPRESSION, details=found_at)
        sub = Substitution(scope)
        layers = sub(block.layers)
        for ref in dict.fromkeys(sub.unknown):
            self.error(f"block '{name}' uses {ref}, which is not one of its parameters",
                       ("blocks", name), at_key=True,
                       hint=did_you_mean(ref[1:], block.params) or
                       f"declare it under `blocks: {name}: params:`", code=BLOCK_PARAMETER)
        for at, message, details in sub.failed:
            self.error(message, ("blocks", name, "layers") + at, code=BAD_EXPRESSION,
                       details=details + found_at)
        if failed or sub.unknown or sub.failed:
            return None
        bound = {k: scope[k] for k in values}
        return layers, bound, self.arguments_written_at(name, path, value, args, sub.used)

    def bind_error(self, e: BindError, name: str, path: tuple, value: dict | None) -> None:
        """Locate a use's binding error: at the argument at fault, at the block's default that
        is (naming the use), or at the use."""
        if e.default is not None:
            line = self.doc.where(path).line
            self.error(e.message, ("blocks", name, "params", e.default), at_key=True,
                       hint=e.hint, code=e.code,
                       details=(f"found using block '{name}' at line {line}",))
            return
        where = path + (name, e.key) if e.key and value and e.key in value else (
            path + (e.key,) if e.key else path)
        self.error(e.message, where, at_key=e.key is not None, hint=e.hint, code=e.code)

    def refused_use(self, name: str, given: Any) -> None:
        self.refuse(name, given)
        self.index_known = False

    def arguments_written_at(self, name: str, path: tuple, value: dict | None, args: dict,
                             used: list[tuple[tuple, str]]) -> dict:
        """Where each value substituted into a use of block ``name`` was written: the argument
        of the use at ``path``, or the block's default (with a note naming the use). The use
        may itself be inside a block, its arguments `$parameters` of that one's use."""
        sources = value_sources(self.blocks[name], args)
        line = self.doc.where(path).line
        found = {}
        for at, param in used:
            source = sources[param]
            if source in args:
                arg = path + ((name, source) if value and source in value else (source,))
                found[("blocks", name, "layers") + at] = self.written_at.get(arg, (arg, None))
            else:
                note = f"the default of '{source}' in block '{name}', used at line {line}"
                found[("blocks", name, "layers") + at] = (("blocks", name, "params", source),
                                                          note)
        return found

    def expand(self, use: BlockUse, layers: list, local: str | None, source: str,
               path: tuple, group: tuple[str, ...]) -> None:
        name = use.block
        local = self.scopes.local_name(name, local)
        full = self.scopes.open_container(local)
        self.uses[full] = use
        self.scopes.push(Scope(prefix=full + ".", block_input=source, opaque=True,
                               numbered=self.blocks[name].sequential))
        self.expanding.append(name)
        self.pending_input = source
        before = self.last
        self.items(layers, ("blocks", name, "layers"), group + (full,))
        self.expanding.pop()
        self.scopes.pop()
        if self.last != before and self.last is not None:
            self.scopes.close_container(local, full, self.last)

    def group(self, item: dict, path: tuple, group: tuple[str, ...],
              copy: str | None = None) -> None:
        """``- repeat: N`` with ``layers: [...]``: the group's layers, N times in a row.
        ``copy``: the name of one pass of a group named by a template or digits."""
        for key in item:
            if key not in GROUP_KEYS:
                self.error(f"'{key}' is not a key of a layer group", path + (key,), at_key=True,
                           hint="a group has `layers:`, and optionally `repeat:` and `name:`",
                           code=UNKNOWN_KEY)
        layers = item["layers"]
        name = copy or item.get("name")
        if not isinstance(layers, list) or not layers:
            self.error("a group's `layers:` must be a non-empty list", path + ("layers",),
                       code=BAD_GROUP)
            self.refused_group(name)
            return
        repeat = self.repeat_count(item.get("repeat", 1), path + ("repeat",), len(layers))
        if repeat == 0:
            return  # absent
        names = CopyNames.of(name, repeat or 1)
        if names.special and not names.problem and copy is None:
            return self.group_copies(item, names, path, group)
        if name is not None and copy is None and not (isinstance(name, str) and name.isascii()
                                                      and name.isidentifier()):
            self.error(names.problem or
                       f"a group's name must be a Python identifier, got {describe(name)}",
                       path + ("name",), code=NUMBERED_NAME if names.problem else BAD_GROUP)
            self.index_known = False
            return
        if not repeat or not self.placement(item, lambda key: path + (key,), "a group"):
            self.refused_group(name)
            return
        if "input" in item:
            self.pending_input = self.input_of(_as_tuple(item["input"]), path)[0]
        label = f"group@{self.doc.where(path).line}"
        if name:
            label = self.scopes.open_container(self.scopes.local_name("group", name))
            self.scopes.push(Scope(prefix=label + ".", numbered=True))
        before, last = len(self.errors), self.last
        for done in range(1, repeat + 1):
            self.items(layers, path + ("layers",), group + (label,))
            if len(self.errors) > before and done < repeat:
                # Each further pass would repeat the same errors: its layers only take their
                # names, refused, so that a later layer reading one adds no error of its own.
                self.names_only += 1
                for _ in range(repeat - done):
                    self.items(layers, path + ("layers",), group + (label,))
                self.names_only -= 1
                break
        if name:
            self.scopes.pop()
            if self.last != last and self.last is not None:
                self.scopes.close_container(name, label, self.last)

    def group_copies(self, item: dict, names: CopyNames, path: tuple,
                     group: tuple[str, ...]) -> None:
        """A group named by a template (``stage{i}``) or digits: each pass is a group of its
        own, under its own name; only the first reads the group's `input:`."""
        if names.numbered and self.copy_names(item["name"], 1, path + ("name",), None) is None:
            self.refused_group(None)
            return
        first = {k: v for k, v in item.items() if k not in ("repeat", "name")}
        later = {k: v for k, v in first.items() if k != "input"}
        for r, local in enumerate(names.names):
            self.group(later if r else first, path, group, copy=local)

    def placement(self, item: dict, where: Callable[[str], tuple], what: str) -> bool:
        """Whether the name and input of a group or block use are valid (else reported, each
        at its key's path as ``where`` gives it)."""
        values = {k: item[k] for k in ("name", "input") if k in item}
        try:
            validate(Placement, values)
        except ValidationError as e:
            for p in translate(e, Placement, what, defaults_hint=False, data=values):
                self.error(p.message, where(str(p.loc[0])) + p.loc[1:], at_key=p.at_key,
                           layer=what, hint=p.hint, code=p.code)
            return False
        return True

    def refused_group(self, name: Any) -> None:
        """A group whose layers cannot be read: its name is taken, refused."""
        if isinstance(name, str) and name.isascii() and name.isidentifier():
            self.last = self.scopes.claim(name)
            self.refused.add(self.last)
        self.index_known = False

    def repeat_count(self, value: Any, path: tuple, size: int) -> int | None:
        """How many copies to build: 0 leaves the item out; None when the count is at fault
        (reported)."""
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_REPEAT:
            self.error(f"repeat must be a whole number from 0 to {MAX_REPEAT:,}, got {value!r}",
                       path, code=BAD_REPEAT)
            self.index_known = False
            return None
        if len(self.nodes) + value * size > MAX_LAYERS:
            self.over_limit = True
            self.error(f"repeating {size} layer(s) {value:,} times would exceed the limit of "
                       f"{MAX_LAYERS:,} layers", path, code=TOO_MANY_LAYERS)
            self.index_known = False
            return None
        return value

    def params(self, kind: str, item: dict, path: tuple) -> tuple[dict, dict] | None:
        """Merge kind defaults, the short form and sibling keys; remember where each came from.
        None when they cannot be merged (an error is reported)."""
        cls = KINDS[kind]
        params = dict(self.kind_defaults.get(kind, {}))
        origins = {k: ("defaults", kind, k) for k in params}
        value = item[kind]
        if isinstance(value, dict):
            settings = {k: v for k, v in value.items() if k != "repeat"}  # the item's
            params.update(settings)
            origins.update({k: path + (kind, k) for k in settings})
        elif value is not None:
            if cls.shorthand is None:
                self.error(f"{kind} takes no value; write `- {kind}` or a mapping of settings",
                           path + (kind,), code=TAKES_NO_VALUE)
                return None
            params[cls.shorthand] = value
            origins[cls.shorthand] = path + (kind,)
        for key, v in item.items():
            if key == kind:
                continue
            if isinstance(value, dict) and key in value:
                self.error(f"'{key}' is given twice, inside `{kind}:` and beside it",
                           path + (key,), code=SETTING_TWICE)
                return None
            if key == "repeat":
                continue
            params[key] = v
            origins[key] = path + (key,)
        return params, origins

    def validate(self, kind: str, params: dict, origins: dict, path: tuple) -> Layer | None:
        """The layer these settings make, or None with their problems reported. Both are
        cached: a block used 10,000 times validates its layers once."""
        key = (kind, repr(params))  # exact enough for a cache: 1, 1.0 and True differ
        if key not in self.cache:
            try:
                self.cache[key] = validate(KINDS[kind], params)
            except ValidationError as e:
                self.cache[key] = translate(e, KINDS[kind], kind, defaults_hint=True,
                                            data=params)
        found = self.cache[key]
        if isinstance(found, Layer):
            return found
        self.locate(found, path, origins, layer=self.layer_label(kind, params.get("name")))
        return None

    def add_node(self, layer: Layer, name: str | None, path: tuple, origins: dict,
                 group: tuple[str, ...], chained: bool = False) -> None:
        inputs = self.input_of(() if chained else _as_tuple(layer.input), path)
        full = self.last = self.scopes.claim(self.scopes.local_name(layer.kind, name))
        if self.written_at:  # in a block: a setting given by a parameter is where that was
            written = self.written_at
            origins = {k: written[p][0] if p in written else p for k, p in origins.items()}
        key_locs = _KeyLocations(self.doc, origins)
        defaulted = frozenset(k for k, origin in origins.items() if origin[0] == "defaults") \
            if layer.kind in self.kind_defaults else _NOTHING
        self.nodes.append(Node(self.next_index(), full, layer, inputs, self.doc.where(path),
                               key_locs, group, defaulted, self.allowing))
        self.by_name.setdefault(full, self.nodes[-1])

    def skip(self, count: int) -> None:
        """Leave out ``count`` layers (an error was reported for them)."""
        self.skipped += count

    def layer_label(self, kind: str | None = None, name: Any = None) -> str | None:
        """How an error names a layer that was not built: ``layer 5 'c' (conv)``, without the
        index once layers of unknown number were left out before it (a block use that failed)."""
        parts = ["layer"] + ([str(self.next_index())] if self.index_known else [])
        parts += [f"'{name}'"] if isinstance(name, str) else []
        parts += [f"({kind})"] if kind else []
        return " ".join(parts) if len(parts) > 1 else None

    def next_index(self) -> int:
        """The 1-based index the next layer has in the spec, counting layers left out."""
        return len(self.nodes) + self.skipped + 1

    def input_of(self, refs: tuple[str, ...], path: tuple) -> tuple[str, ...]:
        """Full names of what a layer reads: its references, or else the previous layer."""
        if not refs:
            pending, self.pending_input = self.pending_input, None
            return (pending or (self.nodes[-1].name if self.nodes else INPUT),)
        self.pending_input = None
        resolved = []
        for ref in refs:
            full = self.scopes.resolve(ref)
            if full is not None and full not in self.by_name:
                full = self.part_reference(ref) or full
            if full is None:
                self.error(f"{BLOCK_INPUT} means a block's input, but this is not in a block",
                           path, hint="name the layer to read instead", code=INPUT_OUTSIDE_BLOCK)
                full = INPUT
            resolved.append(full)
        return tuple(resolved)

    def part_reference(self, ref: str) -> str | None:
        """The full name of a split's part (``halves.1``), its split looked up as any name
        (also a refused one, whose error is reported: reading its part is not another)."""
        base, _, index = ref.rpartition(".")
        owner = self.scopes.resolve(base) if base else None
        found = owner and (part_of(f"{owner}.{index}", self.by_name) or owner in self.refused)
        return f"{owner}.{index}" if found else None

    def resolve_inputs(self) -> None:
        """Names must be unique and usable as Python attributes; references must look back."""
        seen: dict[str, Node] = {}
        everyone = {n.name for n in self.nodes}
        hint = ReferenceHints(n.name for n in self.nodes)
        containers = container_names(n.name for n in self.nodes)
        for node in self.nodes:
            if node.name in containers:
                self.report(Diagnostic(
                    "error", f"the name '{node.name}' is also the name of a block or group",
                    node.where("name"), node.describe(),
                    hint="a layer and a block or group cannot share a name", code=DUPLICATE_NAME))
            elif node.name in seen:
                first = seen[node.name]
                self.report(Diagnostic(
                    "error", f"the name '{node.name}' is already used by {first.describe()} "
                    f"at line {first.location.line}", node.where("name"), node.describe(),
                    hint="layer names must be unique" if node.layer.name else
                    "this layer was named automatically (kind + running number), and another "
                    "layer was given that name: name one of them with `name:`",
                    code=DUPLICATE_NAME))
            elif problem := name_problem(node.name):
                self.report(Diagnostic("error", problem[0], node.where("name"),
                                       node.describe(), hint=problem[1], code=RESERVED_NAME))
            for ref in node.inputs:
                if ref in seen and seen[ref].layer.part_count() > 1:
                    self.report(_whole_split(node, seen[ref]))
                elif ref not in seen and part_of(ref, seen):
                    continue  # a part of an earlier split
                elif ref != INPUT and ref not in seen and not self.was_refused(ref):
                    later = ref in everyone
                    self.report(Diagnostic(
                        "error", f"input '{ref}' " + ("is defined later; a layer can only read "
                                                      "earlier layers" if later else
                                                      "is not the name of any layer"),
                        node.where("input"), node.describe(),
                        hint=None if later else hint(ref, seen),
                        code=FORWARD_REFERENCE if later else UNKNOWN_REFERENCE))
            seen.setdefault(node.name, node)
        if self.nodes and self.nodes[-1].layer.part_count() > 1:
            last = self.nodes[-1]
            self.report(Diagnostic(
                "error", "the network's output is its last layer, which cannot be a split",
                last.location, last.describe(),
                hint="end with a layer that merges its parts (concat)", code=WHOLE_SPLIT))

    def was_refused(self, ref: str) -> bool:
        """Whether ``ref`` names a refused layer, or one inside a refused group or block use
        (its error is reported; reading it is not another)."""
        parts = ref.split(".")
        return any(".".join(parts[:i]) in self.refused for i in range(1, len(parts) + 1))

    def _no_single_kind(self, item: dict, kinds: list[str], path: tuple) -> None:
        if kinds:
            self.error(f"one layer item names {len(kinds)} kinds ({', '.join(kinds)})", path,
                       layer=self.layer_label(), hint="start a new `- ` item for each layer",
                       code=SEVERAL_KINDS)
            return
        first = next(iter(item))
        if first in self.broken_blocks or self.colonless_kind(first, item[first], path):
            return
        self.error(f"unknown layer kind '{first}'", path + (first,), at_key=True,
                   layer=self.layer_label(), hint=did_you_mean(first, KINDS) or _known_kinds(),
                   code=UNKNOWN_KIND)

    def colonless_kind(self, key: Any, value: Any, path: tuple) -> bool:
        """Whether ``key`` is a kind and its value written without the colon (``- conv 16``,
        ``- conv:16``); reported if so."""
        kind, _, rest = str(key).replace(":", " ", 1).partition(" ")
        if kind not in KINDS and kind not in self.blocks or not rest.strip() or value is not None:
            return False
        self.error(colon_message(str(key), f"{kind}: {rest.strip()}"), path + (key,),
                   at_key=True, layer=self.layer_label(), hint=COLON_HINT, code=MISSING_COLON)
        return True

    def locate(self, problems: list[Problem], path: tuple, origins: dict | None,
               layer: str | None = None) -> None:
        """Report each of pydantic's problems (translated) where its setting was written (an
        item's own key, a sibling key, or the spec's `defaults:`)."""
        for p in problems:
            key = str(p.loc[0]) if p.loc else None
            if p.at_item and origins is not None:
                where = path
            elif origins and key in origins:
                where = origins[key] + p.loc[1:]
            else:
                where = path + p.loc
            if where[:1] == ("defaults",) and len(where) > 1 and not (
                    p.at_item and origins is not None):  # a kind's default, not `defaults:`
                self.default_error(p, where, path)
                continue
            self.error(p.message, where, at_key=p.at_key, layer=layer, hint=p.hint, code=p.code)

    def default_error(self, p: Problem, where: tuple, path: tuple) -> None:
        """A value under `defaults:` that no layer of its kind can take: said once, at the
        default, for the kind (not for the first layer that inherits it), naming that layer."""
        first = self.doc.where(path)
        self.error(f"`defaults: {where[1]}:` {p.message}", where, at_key=p.at_key, hint=p.hint,
                   code=p.code, details=(f"every {where[1]} layer inherits it; the first is at "
                                         f"line {first.line}",))


def _whole_split(node: Node, split: Node) -> Diagnostic:
    count = split.layer.part_count()
    shown = ", ".join(f"{split.name}.{i}" for i in range(min(count, 3))) + (
        ", ..." if count > 3 else "")
    return Diagnostic("error", f"'{split.name}' is a split: its output is its parts ({shown}), "
                      "not one tensor", node.where("input"), node.describe(),
                      hint=f"read one part, e.g. `input: {split.name}.0`", code=WHOLE_SPLIT)



class _KeyLocations(Mapping):
    """Where each setting of a layer was written, looked up only when an error needs it."""

    def __init__(self, doc: Document, origins: dict[str, tuple]):
        self.doc, self.origins = doc, origins

    def __getitem__(self, key: str) -> Location:
        return self.doc.where(self.origins[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self.origins)

    def __len__(self) -> int:
        return len(self.origins)


def _given_name(item: dict, kind: str) -> Any:
    """The ``name:`` of a layer item, inside its kind's mapping or beside it."""
    inner = item.get(kind)
    return inner.get("name") if isinstance(inner, dict) and "name" in inner else item.get("name")


def _without_name(item: dict, kind: str) -> dict:
    """A layer item without its ``name:`` (the builder names its copies)."""
    inner = item.get(kind)
    if isinstance(inner, dict) and "name" in inner:
        return {**item, kind: {k: v for k, v in inner.items() if k != "name"}}
    return {k: v for k, v in item.items() if k != "name"}


def _as_tuple(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _known_kinds() -> str:
    return "known kinds: " + ", ".join(sorted(KINDS))


def _stem(file: str) -> str:
    from pathlib import PurePath

    return PurePath(file).stem if not file.startswith("<") else "network"
