"""Turn a loaded spec document into a :class:`~netspec.graph.Network`.

This is where the short forms are read (``- conv: 64``, ``- relu``, sibling keys), kind defaults
are applied, repeats are expanded (bounded), names are given and references are resolved. Every
problem is collected with its location, so a student sees all the mistakes of a file at once.
"""
from __future__ import annotations

import difflib
import keyword
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from .document import SpecFile
from .errors import Diagnostic, SpecError
from .graph import INPUT, Network, Node
from .layers import KINDS, did_you_mean
from .layers.base import Layer
from .source import Document

MAX_LAYERS = 100_000
MAX_REPEAT = 10_000
GROUP_KEYS = {"repeat", "layers", "name"}
# nn.Module attributes a submodule name would shadow (tests check this list against torch).
RESERVED = frozenset({
    "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init", "children",
    "compile", "cpu", "cuda", "double", "dump_patches", "eval", "extra_repr", "float", "forward",
    "get_buffer", "get_extra_state", "get_parameter", "get_submodule", "half", "ipu",
    "load_state_dict", "modules", "mtia", "named_buffers", "named_children", "named_modules",
    "named_parameters", "parameters", "register_backward_hook", "register_buffer",
    "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
    "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_module", "register_parameter",
    "register_state_dict_post_hook", "register_state_dict_pre_hook", "requires_grad_",
    "set_extra_state", "set_submodule", "share_memory", "smooth_l1_loss", "state_dict", "to",
    "to_empty", "train", "training", "type", "xpu", "zero_grad", INPUT})


def build(doc: Document) -> Network:
    """Validate the document and expand it into nodes; raise SpecError with every problem."""
    b = _Builder(doc)
    spec = b.top_level()
    b.defaults(spec)
    b.items(spec.layers, ("layers",), group=())
    b.resolve_inputs()
    if b.errors:
        raise SpecError(b.errors)
    name = spec.name or _stem(doc.file)
    expect_locs = {k: doc.where(("expect", k)) for k in ("output_shape", "params", "max_params")}
    return Network(name, tuple(spec.input), tuple(b.nodes), doc.file, spec.expect,
                   MappingProxyType(expect_locs))


class _Builder:
    def __init__(self, doc: Document):
        self.doc = doc
        self.errors: list[Diagnostic] = []
        self.nodes: list[Node] = []
        self.counters: dict[str, int] = {}
        self.kind_defaults: dict[str, dict] = {}
        self.cache: dict[tuple, Layer] = {}

    def error(self, message: str, path: tuple, at_key: bool = False, **kw) -> None:
        where = self.doc.where_key(path) if at_key else self.doc.where(path)
        self.errors.append(Diagnostic("error", message, where, **kw))

    def top_level(self) -> SpecFile:
        try:
            return SpecFile.model_validate(self.doc.data)
        except ValidationError as e:
            self._pydantic_errors(e, (), "the spec", SpecFile.model_fields)
            raise SpecError(self.errors) from None

    def defaults(self, spec: SpecFile) -> None:
        """Check `defaults:` once, against each kind's schema, so typos are caught there."""
        for kind, values in spec.defaults.items():
            path = ("defaults", kind)
            if kind not in KINDS:
                self.error(f"unknown layer kind '{kind}' in defaults", path, at_key=True,
                           hint=did_you_mean(kind, KINDS) or _known_kinds())
                continue
            fields = [f for f in KINDS[kind].model_fields if f not in ("name", "input", "expect")]
            for key in values:
                if key not in fields:
                    self.error(f"'{key}' is not a setting of {kind}", path + (key,), at_key=True,
                               hint=did_you_mean(key, fields) or f"{kind} takes: {', '.join(fields)}")
            self.kind_defaults[kind] = {k: v for k, v in values.items() if k in fields}

    def items(self, items: list, path: tuple, group: tuple[str, ...]) -> None:
        for i, item in enumerate(items):
            if len(self.nodes) > MAX_LAYERS:
                return
            self.item(item, path + (i,), group)

    def item(self, item: Any, path: tuple, group: tuple[str, ...]) -> None:
        if isinstance(item, str):
            item = {item: None}
        if not isinstance(item, dict) or not item:
            self.error(f"a layer is a kind name or a mapping, not {_describe(item)}", path,
                       hint="write `- relu`, `- conv: 64` or `- conv: {filters: 64, kernel: 3}`")
            return
        if "layers" in item:
            return self.group(item, path, group)
        kinds = [k for k in item if k in KINDS]
        if len(kinds) != 1:
            return self._no_single_kind(item, kinds, path)
        kind = kinds[0]
        repeat = self.repeat_count(item.get("repeat", 1), path + ("repeat",), 1)
        params, origins = self.params(kind, item, path)
        if params is None:
            return
        layer = self.validate(kind, params, origins, path)
        if layer is None:
            return
        for r in range(repeat):
            name = layer.name if repeat == 1 or layer.name is None else f"{layer.name}_{r + 1}"
            self.add_node(layer, name, path, origins, group)

    def group(self, item: dict, path: tuple, group: tuple[str, ...]) -> None:
        """``- repeat: N`` with ``layers: [...]``: the group's layers, N times in a row."""
        for key in item:
            if key not in GROUP_KEYS:
                self.error(f"'{key}' is not a key of a layer group", path + (key,), at_key=True,
                           hint="a group has `layers:`, and optionally `repeat:` and `name:`")
        layers = item["layers"]
        if not isinstance(layers, list) or not layers:
            self.error("a group's `layers:` must be a non-empty list", path + ("layers",))
            return
        repeat = self.repeat_count(item.get("repeat", 1), path + ("repeat",), len(layers))
        label = str(item.get("name") or f"group@{self.doc.where(path).line}")
        before = len(self.errors)
        for _ in range(repeat):
            self.items(layers, path + ("layers",), group + (label,))
            if len(self.errors) > before:
                return  # each further pass would repeat the same errors

    def repeat_count(self, value: Any, path: tuple, size: int) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_REPEAT:
            self.error(f"repeat must be a whole number from 1 to {MAX_REPEAT:,}, got {value!r}",
                       path)
            return 0
        if len(self.nodes) + value * size > MAX_LAYERS:
            self.error(f"repeating {size} layer(s) {value:,} times would exceed the limit of "
                       f"{MAX_LAYERS:,} layers", path)
            return 0
        return value

    def params(self, kind: str, item: dict, path: tuple):
        """Merge kind defaults, the short form and sibling keys; remember where each came from."""
        cls = KINDS[kind]
        params = dict(self.kind_defaults.get(kind, {}))
        origins = {k: ("defaults", kind, k) for k in params}
        value = item[kind]
        if isinstance(value, dict):
            params.update(value)
            origins.update({k: path + (kind, k) for k in value})
        elif value is not None:
            if cls.shorthand is None:
                self.error(f"{kind} takes no value; write `- {kind}` or a mapping of settings",
                           path + (kind,))
                return None, None
            params[cls.shorthand] = value
            origins[cls.shorthand] = path + (kind,)
        for key, v in item.items():
            if key in (kind, "repeat"):
                continue
            if isinstance(value, dict) and key in value:
                self.error(f"'{key}' is given twice, inside `{kind}:` and beside it",
                           path + (key,))
                return None, None
            params[key] = v
            origins[key] = path + (key,)
        return params, origins

    def validate(self, kind: str, params: dict, origins: dict, path: tuple) -> Layer | None:
        key = (kind, repr(params))  # exact enough for a cache: 1, 1.0 and True differ
        if key in self.cache:
            return self.cache[key]
        try:
            layer = KINDS[kind].model_validate(params)
        except ValidationError as e:
            self._pydantic_errors(e, path, kind, KINDS[kind].model_fields, origins,
                                  layer=f"layer {len(self.nodes) + 1} ({kind})")
            return None
        self.cache[key] = layer
        return layer

    def add_node(self, layer: Layer, name: str | None, path: tuple, origins: dict,
                 group: tuple[str, ...]) -> None:
        kind = layer.kind
        self.counters[kind] = self.counters.get(kind, 0) + 1
        name = name or f"{kind}{self.counters[kind]}"
        key_locs = _KeyLocations(self.doc, origins)
        index = len(self.nodes) + 1
        inputs = _as_tuple(layer.input)
        if not inputs:
            inputs = (self.nodes[-1].name if self.nodes else INPUT,)
        self.nodes.append(Node(index, name, layer, inputs, self.doc.where(path), key_locs, group))

    def resolve_inputs(self) -> None:
        """Names must be unique and usable as Python attributes; references must look back."""
        seen: dict[str, Node] = {}
        for node in self.nodes:
            if node.name in seen:
                first = seen[node.name]
                self.errors.append(Diagnostic(
                    "error", f"the name '{node.name}' is already used by {first.describe()} "
                    f"at line {first.location.line}", node.where("name"), node.describe(),
                    hint="layer names must be unique"))
            elif keyword.iskeyword(node.name) or node.name in RESERVED:
                self.errors.append(Diagnostic(
                    "error", f"'{node.name}' cannot be a layer name (it is reserved in Python "
                    "or PyTorch)", node.where("name"), node.describe(), hint="choose another name"))
            for ref in node.inputs:
                if ref != INPUT and ref not in seen:
                    later = any(n.name == ref for n in self.nodes)
                    self.errors.append(Diagnostic(
                        "error", f"input '{ref}' " + ("is defined later; a layer can only read "
                                                      "earlier layers" if later else
                                                      "is not the name of any layer"),
                        node.where("input"), node.describe(),
                        hint=None if later else did_you_mean(ref, list(seen) + [INPUT])))
            seen.setdefault(node.name, node)

    def _no_single_kind(self, item: dict, kinds: list[str], path: tuple) -> None:
        if kinds:
            self.error(f"one layer item names {len(kinds)} kinds ({', '.join(kinds)})", path,
                       hint="start a new `- ` item for each layer")
            return
        first = next(iter(item))
        self.error(f"unknown layer kind '{first}'", path + (first,), at_key=True,
                   hint=did_you_mean(first, KINDS) or _known_kinds())

    def _pydantic_errors(self, e: ValidationError, path: tuple, what: str, fields,
                         origins: dict | None = None, layer: str | None = None) -> None:
        """Translate pydantic's errors: one message per setting, a typo not also "missing"."""
        by_field: dict[tuple, list[dict]] = {}
        for err in e.errors():
            by_field.setdefault(_setting_path(err["loc"]), []).append(err)
        missing = {loc[0] for loc, errs in by_field.items() if errs[0]["type"] == "missing"}
        typos = {}
        for loc, errs in by_field.items():
            if errs[0]["type"] == "extra_forbidden":
                close = difflib.get_close_matches(str(loc[0]), list(missing), n=1)
                typos[loc] = close[0] if close else None
        for loc, errs in by_field.items():
            key = str(loc[0]) if loc else None
            where = origins[key] + loc[1:] if origins and key in origins else path + loc
            typ = errs[0]["type"]
            if typ == "missing" and key in typos.values():
                continue  # reported as the typo that should have named it
            if typ == "extra_forbidden":
                hint = (f"did you mean '{typos[loc]}'?" if typos.get(loc) else
                        did_you_mean(key, fields) or f"{what} takes: {', '.join(fields)}")
                self.errors.append(Diagnostic("error", f"unknown key '{key}' for {what}",
                                              self.doc.where_key(where), layer, hint=hint))
            elif typ == "missing":
                desc = getattr(fields.get(key), "description", None)
                self.error(f"{what} needs '{key}'" + (f" ({desc})" if desc else ""),
                           path if origins is not None else where, layer=layer,
                           hint=f"give `{key}: ...` here" + (
                               f" or under `defaults: {what}:`" if what in KINDS else ""))
            else:
                wants = " or ".join(dict.fromkeys(_wants(err["msg"]) for err in errs))
                shown = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)[1:]
                self.error(f"{shown} {wants} (got {_describe(errs[0].get('input'))})", where,
                           layer=layer)


def _setting_path(loc: tuple) -> tuple:
    """Drop pydantic's union-member tags (``constrained-int``) from an error location."""
    return tuple(p for p in loc if isinstance(p, int) or p.isidentifier())


def _wants(msg: str) -> str:
    """pydantic's "Input should be ..." as "should be ..." after the setting's name."""
    msg = re.sub(r"^(Input|List|String|Dictionary|Value) should", "should", msg.rstrip("."))
    return msg.replace(" after validation", "")


class _KeyLocations(Mapping):
    """Where each setting of a layer was written, looked up only when an error needs it."""

    def __init__(self, doc: Document, origins: dict[str, tuple]):
        self.doc, self.origins = doc, origins

    def __getitem__(self, key: str):
        return self.doc.where(self.origins[key])

    def __iter__(self):
        return iter(self.origins)

    def __len__(self) -> int:
        return len(self.origins)


def _as_tuple(value) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _known_kinds() -> str:
    return "known kinds: " + ", ".join(sorted(KINDS))


def _stem(file: str) -> str:
    from pathlib import PurePath

    return PurePath(file).stem if not file.startswith("<") else "network"
