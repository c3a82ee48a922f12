"""Load a spec's YAML safely and remember where every value came from.

Specs are untrusted (students' files, files from the web), so loading is bounded at every step:
the file's size, its encoding, nesting depth (checked on the event stream, before the recursive
composer can overflow), the number of values produced while expanding aliases, and the length of
scalars. Only plain YAML types are built; any tag that would construct an object is an error.

The result is plain Python data plus a map from each value's path (``("layers", 3, "filters")``)
to its :class:`~netspec.errors.Location`, so later stages can point at the offending line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Location, SpecError

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 64
MAX_VALUES = 1_000_000
MAX_DIGITS = 30
MAX_SCALAR = 10_000

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_construct = yaml.constructor.SafeConstructor()
_SCALARS = {
    "tag:yaml.org,2002:str": lambda n: n.value,
    "tag:yaml.org,2002:int": _construct.construct_yaml_int,
    "tag:yaml.org,2002:float": _construct.construct_yaml_float,
    "tag:yaml.org,2002:bool": _construct.construct_yaml_bool,
    "tag:yaml.org,2002:null": lambda n: None,
}
_SEQ, _MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"

Path_ = tuple  # a path into the document: keys and list indices


@dataclass
class Document:
    """A loaded spec: its data, where each value was written, and its file name."""

    data: Any
    locations: dict[tuple, Location]
    file: str
    key_locations: dict[tuple, Location] = field(default_factory=dict)

    def where(self, path: tuple) -> Location:
        """The location of ``path``, or of its nearest located ancestor."""
        while path not in self.locations and path:
            path = path[:-1]
        return self.locations.get(path, Location(self.file, 1, 1))

    def where_key(self, path: tuple) -> Location:
        """The location of the mapping key that ends ``path`` (for unknown-key errors)."""
        return self.key_locations.get(path) or self.where(path)


def read_file(path: str | Path) -> str:
    """Read a spec file as UTF-8 text, refusing what is not one."""
    p = Path(path)
    try:
        if p.is_dir():
            raise SpecError.single(f"{p} is a directory, not a spec file")
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise SpecError.single(f"{p} is {size:,} bytes; specs are limited to {MAX_BYTES:,}")
        raw = p.read_bytes()
    except FileNotFoundError:
        raise SpecError.single(f"{p}: no such file") from None
    except PermissionError:
        raise SpecError.single(f"{p}: permission denied") from None
    except OSError as e:
        raise SpecError.single(f"{p}: cannot read: {e.strerror or e}") from None
    return decode(raw, str(p))


def decode(raw: bytes, file: str) -> str:
    """Decode UTF-8, pointing at the first bad byte; NUL bytes mean a binary file."""
    if b"\0" in raw:
        line = raw[: raw.index(b"\0")].count(b"\n") + 1
        raise SpecError.single("this is a binary file, not a YAML spec (it contains NUL bytes)",
                               Location(file, line, 1))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise SpecError.single(f"the file is not valid UTF-8 (byte 0x{raw[e.start]:02x})",
                               Location(file, line, col),
                               hint="save the spec as UTF-8 text") from None


def load_text(text: str, file: str = "<string>") -> Document:
    """Parse YAML text into a :class:`Document`, within the limits above."""
    if len(text) > MAX_BYTES:
        raise SpecError.single(f"the spec is {len(text):,} characters; the limit is {MAX_BYTES:,}")
    _check_depth(text, file)
    try:
        node = yaml.compose(text, Loader=Loader)
    except yaml.MarkedYAMLError as e:
        raise SpecError.single(_yaml_message(e), _mark(e.problem_mark or e.context_mark, file)) from None
    except yaml.YAMLError as e:
        raise SpecError.single(f"invalid YAML: {e}", Location(file, 1, 1)) from None
    if node is None:
        raise SpecError.single("the spec is empty", Location(file, 1, 1),
                               hint="a spec is a mapping with at least `input:` and `layers:`")
    _check_expansion(node, file)
    builder = _Builder(file)
    data = builder.build(node, ())
    if not isinstance(data, dict):
        raise SpecError.single(f"a spec must be a YAML mapping, not a {_kind(data)}",
                               _mark(node.start_mark, file),
                               hint="start with `name: ...`, `input: [...]` and `layers:`")
    return Document(data, builder.locations, file, builder.key_locations)


def _check_depth(text: str, file: str) -> None:
    """Reject deep nesting on the event stream, which uses no recursion."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise SpecError.single(f"the YAML nests deeper than {MAX_DEPTH} levels",
                                           _mark(event.start_mark, file))
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as e:
        raise SpecError.single(_yaml_message(e), _mark(e.problem_mark or e.context_mark, file)) from None
    except yaml.YAMLError as e:
        raise SpecError.single(f"invalid YAML: {e}", Location(file, 1, 1)) from None


def _check_expansion(root: yaml.Node, file: str) -> None:
    """Reject alias bombs before building anything: the expanded size, computed on the node
    graph (where an alias is a shared node) and memoised, so the check itself stays linear.
    Recursion is safe here: the nesting depth was bounded on the event stream."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        if id(node) not in sizes:
            sizes[id(node)] = 1 + sum(size(c) for c in _children(node))
            if sizes[id(node)] > MAX_VALUES:
                raise SpecError.single(
                    f"the spec expands to more than {MAX_VALUES:,} values (an alias bomb?)",
                    _mark(node.start_mark, file),
                    hint="YAML aliases that refer to aliases multiply quickly")
        return sizes[id(node)]

    size(root)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


class _Builder:
    """Turns composed YAML nodes into plain data, recording locations and counting values."""

    def __init__(self, file: str):
        self.file = file
        self.locations: dict[tuple, Location] = {}
        self.key_locations: dict[tuple, Location] = {}
        self.count = 0

    def build(self, node: yaml.Node, path: tuple) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise SpecError.single(
                f"the spec expands to more than {MAX_VALUES:,} values (an alias bomb?)",
                self.where(node), hint="YAML aliases that refer to aliases multiply quickly")
        self.locations[path] = self.where(node)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
            return self._mapping(node, path)
        raise self._bad_tag(node)

    def _mapping(self, node: yaml.MappingNode, path: tuple) -> dict:
        out: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise SpecError.single("YAML merge keys (<<) are not supported",
                                       self.where(key_node),
                                       hint="use the spec's `defaults:` section to share settings")
            if not isinstance(key_node, yaml.ScalarNode):
                raise SpecError.single("mapping keys must be plain names", self.where(key_node))
            key = self._scalar(key_node)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                first = self.locations[path + (key,)]
                raise SpecError.single(f"duplicate key '{key}' (first given at line {first.line})",
                                       self.where(key_node),
                                       hint="YAML would silently keep only the last one")
            self.key_locations[path + (key,)] = self.where(key_node)
            out[key] = self.build(value_node, path + (key,))
        return out

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if len(node.value) > MAX_SCALAR:
            raise SpecError.single(f"a value of {len(node.value):,} characters is too long "
                                   f"(limit {MAX_SCALAR:,})", self.where(node))
        make = _SCALARS.get(node.tag)
        if make is None:
            raise self._bad_tag(node)
        if node.tag == "tag:yaml.org,2002:int" and len(node.value) > MAX_DIGITS:
            raise SpecError.single(f"the number {node.value[:20]}... has {len(node.value):,} "
                                   "digits; no size in a network is that large", self.where(node))
        try:
            return make(node)
        except ValueError as e:
            raise SpecError.single(f"cannot read the number {node.value[:40]!r}: {e}",
                                   self.where(node)) from None

    def _bad_tag(self, node: yaml.Node) -> SpecError:
        return SpecError.single(
            f"the YAML tag {node.tag} is not allowed", self.where(node),
            hint="specs hold plain numbers, strings, lists and mappings; tags that construct "
                 "objects are never executed")

    def where(self, node: yaml.Node) -> Location:
        return _mark(node.start_mark, self.file)


def _mark(mark: Any, file: str) -> Location:
    if mark is None:
        return Location(file, 1, 1)
    return Location(file, mark.line + 1, mark.column + 1)


def _yaml_message(e: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (e.context, e.problem) if p]
    return "invalid YAML: " + ", ".join(parts)


def _kind(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number",
            bool: "boolean"}.get(type(value), type(value).__name__)
