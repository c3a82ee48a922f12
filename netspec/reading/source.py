"""Load a spec's YAML safely and remember where every value came from.

Specs are untrusted (students' files, files from the web), so loading is bounded at every step:
the file's size, its encoding, nesting depth (checked on the event stream, before the recursive
composer can overflow), the number of values produced while expanding aliases, and the length of
scalars. Only the plain types of PyYAML's safe loader are built (strings, numbers, booleans, null,
dates, lists, mappings), each scalar resolved as it resolves them; any tag that would construct
an object is an error.

The result is plain Python data plus a map from each value's path (``("layers", 3, "filters")``)
to its :class:`~netspec.core.errors.Location`, so later stages can point at the offending line.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from ..core.codes import declare
from ..core.errors import Diagnostic, Location, SpecError

UNREADABLE = declare(
    "NS101", "file-unreadable", "the spec file cannot be read",
    "The path does not exist, is a folder, or may not be read. Check the path and its "
    "permissions; `-` reads the spec from standard input.")
TOO_LARGE = declare(
    "NS102", "too-large", "the spec is over the 8 MiB limit",
    "A network spec is a few kilobytes; a larger file is refused before it is parsed, so that "
    "a file given by mistake (a dataset, a log) costs nothing. Use `repeat:` and `blocks:` "
    "rather than writing layers out.")
NOT_TEXT = declare(
    "NS103", "not-text", "the file is binary or not UTF-8 text",
    "Specs are UTF-8 text. A NUL byte means a binary file; other bad bytes mean another "
    "encoding: save the file as UTF-8.")
INVALID_YAML = declare(
    "NS104", "invalid-yaml", "the file is not valid YAML",
    "The YAML parser stopped here: an unclosed bracket or quote, a tab in the indentation, "
    "or a line indented unlike its neighbours. The position is where the parser noticed, "
    "which may be just after the mistake.",
    "input: [1, 8\nlayers: [relu]\n")
EMPTY = declare(
    "NS105", "empty-spec", "the spec is empty",
    "A spec is a mapping with at least `input:` (the input shape, channels first) and "
    "`layers:`.",
    "# nothing but a comment\n")
NOT_A_MAPPING = declare(
    "NS106", "not-a-mapping", "the spec is not a YAML mapping",
    "The top level of a spec is a mapping (`name:`, `input:`, `layers:`), not a list or a "
    "single value. A list of layers belongs under `layers:`.",
    "- conv: 8\n- relu\n")
SEVERAL_DOCUMENTS = declare(
    "NS107", "several-documents", "the file holds more than one YAML document",
    "A `---` line starts a second document; a spec is one. Put each network in a file of "
    "its own.",
    "input: [1, 8]\nlayers: [relu]\n---\ninput: [1, 8]\n")
KEY_NOT_PLAIN = declare(
    "NS108", "key-not-plain", "a mapping key is not a plain name",
    "Keys are plain names (`filters`, `conv`); YAML's complex keys (a list or a mapping as a "
    "key, or an alias) mean nothing in a spec.",
    "input: [1, 8]\nlayers: [relu]\n? [1, 2]\n: x\n")
TOO_DEEP = declare(
    "NS109", "too-deep", "the YAML nests deeper than 64 levels",
    "No spec nests that deep; the limit stops a hostile file before the parser recurses.",
    "input: " + "[" * 70 + "]" * 70 + "\nlayers: [relu]\n")
UNKNOWN_ALIAS = declare(
    "NS110", "unknown-alias", "an alias names no anchor",
    "`*name` repeats the value marked `&name` earlier in the file; there is no such anchor "
    "before this point.",
    "input: *size\nlayers: [relu]\n")
ALIAS_BOMB = declare(
    "NS111", "alias-bomb", "the spec expands to more than a million values",
    "Aliases that refer to aliases multiply: a few lines can stand for billions of values. "
    "The count is kept as the file is read, so such a file ends here, quickly.")
DUPLICATE_KEY = declare(
    "NS112", "duplicate-key", "a key is given twice in one mapping",
    "YAML would silently keep only the last value; netspec refuses the file so that neither "
    "value is lost unseen. Keep one of them.",
    "input: [1, 8]\ninput: [1, 9]\nlayers: [relu]\n")
VALUE_TOO_LONG = declare(
    "NS113", "value-too-long", "a value is over 10,000 characters",
    "No name or setting is that long; the limit keeps a hostile file from costing memory.")
NUMBER_TOO_LONG = declare(
    "NS114", "number-too-long", "a number has more than 30 digits",
    "No size in a network is that large, and reading huge integers costs time that grows "
    "with their length.",
    "input: [1, 1234567890123456789012345678901234567890]\nlayers: [relu]\n")
MERGE_KEY = declare(
    "NS115", "merge-key", "YAML merge keys (<<) are not supported",
    "A merge key copies a mapping into another, and its keys into the spec's settings "
    "without a line of their own. Settings shared by many layers go under `defaults:`.",
    "defaults:\n  conv: &c {kernel: 3}\n  maxpool:\n    <<: *c\ninput: [1, 8]\n"
    "layers: [relu]\n")
BAD_NUMBER = declare(
    "NS116", "bad-number", "a value tagged as a number cannot be read as one",
    "An explicit `!!int` or `!!float` tag asks for a number, but the text is not one.",
    "input: [1, !!int 0x]\nlayers: [relu]\n")
TAG_NOT_ALLOWED = declare(
    "NS117", "tag-not-allowed", "a YAML tag that is not plain data",
    "Specs hold plain numbers, strings, lists and mappings. Tags that would construct Python "
    "objects (`!!python/...`) or any other application's types are refused, never run.",
    "input: !!python/tuple [1, 8]\nlayers: [relu]\n")
BAD_BOOLEAN = declare(
    "NS118", "bad-boolean", "a value tagged as a boolean is not one",
    "An explicit `!!bool` tag asks for a boolean, and YAML 1.1 has twelve words for one: "
    "true/false, yes/no, on/off, in lower case, capitalised or upper case. Remove the tag to "
    "keep the text as it is.",
    "input: [1, 8]\nlayers:\n  - relu: {name: !!bool layer3}\n")
BAD_DATE = declare(
    "NS119", "bad-date", "a value that YAML reads as a date is not a real date",
    "YAML 1.1 reads a plain `2024-02-30` or `2024-1-1 10:00` as a date (PyYAML builds a "
    "datetime), and this one names a day, hour or offset that does not exist. Quote it to "
    "keep it as text.",
    "input: [1, 8]\ndescription: 2024-02-30\nlayers: [relu]\n")
MISSING_COLON = declare(
    "NS120", "missing-colon", "a key without its colon (`kernel 3`, `kernel:3`)",
    "YAML reads `key: value`, a colon and a space. Without them the key and its value are one "
    "text that runs on into the next line, and the parser notices only there; netspec points "
    "at the line whose colon is missing and writes the fix. Inside braces (`{filters: 16, "
    "kernel 3}`) the text is read as a key of its own, with the same message.",
    "input: [1, 8]\nlayers\n  - relu\n")

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
    "tag:yaml.org,2002:timestamp": _construct.construct_yaml_timestamp,
}
# What each scalar tag reads as, and the code for a text that is none: PyYAML's constructors
# raise ValueError, KeyError (a !!bool that is no boolean), IndexError (an empty !!int),
# OverflowError (a sexagesimal float past 1e308) or AttributeError (`!!timestamp 0`) for those.
_READS_AS = {"tag:yaml.org,2002:int": ("a number", BAD_NUMBER),
             "tag:yaml.org,2002:float": ("a number", BAD_NUMBER),
             "tag:yaml.org,2002:bool": ("a boolean (true/false, yes/no, on/off)", BAD_BOOLEAN),
             "tag:yaml.org,2002:timestamp": ("a date", BAD_DATE)}
_SEQ, _MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"



@dataclass
class Document:
    """A loaded spec: its data, where each value was written, and its file name."""

    data: Any
    locations: dict[tuple, tuple[int, int]]  # path -> (line, col); Locations made on demand
    file: str
    key_locations: dict[tuple, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: tuple) -> Location:
        """The location of ``path``, or of its nearest located ancestor."""
        found = self.locations.get(path)
        if found is not None:  # the common case: a value that was written
            return Location(self.file, found[0], found[1])
        while path not in self.locations and path:
            path = path[:-1]
        return Location(self.file, *self.locations.get(path, (1, 1)))

    def where_key(self, path: tuple) -> Location:
        """The location of the mapping key that ends ``path`` (for unknown-key errors)."""
        if path in self.key_locations:
            return Location(self.file, *self.key_locations[path])
        return self.where(path)


def read_file(path: str | Path) -> str:
    """Read a spec file as UTF-8 text, refusing what is not one."""
    p = Path(path)
    try:
        if p.is_dir():
            raise SpecError.single(f"{p} is a directory, not a spec file", code=UNREADABLE)
        with p.open("rb") as f:
            raw = read_limited(f, str(p))
    except FileNotFoundError:
        raise SpecError.single(f"{p}: no such file", code=UNREADABLE) from None
    except PermissionError:
        raise SpecError.single(f"{p}: permission denied", code=UNREADABLE) from None
    except OSError as e:
        raise SpecError.single(f"{p}: cannot read: {e.strerror or e}",
                               code=UNREADABLE) from None
    return decode(raw, str(p))


def read_limited(stream: BinaryIO, name: str) -> bytes:
    """At most MAX_BYTES from a file, a pipe or a device: their size is unknown until read
    (``stat`` says 0 for /dev/zero), so read one byte past the limit and stop there."""
    raw = stream.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise SpecError.single(f"{name} is over the {MAX_BYTES:,}-byte limit for specs",
                               hint="is this a spec? a network spec is a few kilobytes",
                               code=TOO_LARGE)
    return raw


def decode(raw: bytes, file: str) -> str:
    """Decode UTF-8, pointing at the first bad byte; NUL bytes mean a binary file."""
    if b"\0" in raw:
        line = raw[: raw.index(b"\0")].count(b"\n") + 1
        raise SpecError.single("this is a binary file, not a YAML spec (it contains NUL bytes)",
                               Location(file, line, 1), code=NOT_TEXT)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise SpecError.single(f"the file is not valid UTF-8 (byte 0x{raw[e.start]:02x})",
                               Location(file, line, col),
                               hint="save the spec as UTF-8 text", code=NOT_TEXT) from None


def load_text(text: str, file: str = "<string>") -> Document:
    """Parse YAML text into a :class:`Document`, within the limits above."""
    if len(text) > MAX_BYTES:
        raise SpecError.single(f"the spec is {len(text):,} characters; the limit is {MAX_BYTES:,}",
                               code=TOO_LARGE)
    reader = _EventReader(file)
    try:
        data = reader.run(text)
    except yaml.MarkedYAMLError as e:
        raise SpecError([yaml_problem(e, text, file)]) from None
    except yaml.YAMLError as e:
        raise SpecError.single(f"invalid YAML: {e}", Location(file, 1, 1),
                               code=INVALID_YAML) from None
    if data is _EMPTY:
        raise SpecError.single("the spec is empty", Location(file, 1, 1),
                               hint="a spec is a mapping with at least `input:` and `layers:`",
                               code=EMPTY)
    if not isinstance(data, dict):
        raise SpecError.single(f"a spec must be a YAML mapping, not a {_kind(data)}",
                               Location(file, *reader.locations.get((), (1, 1))),
                               hint="start with `name: ...`, `input: [...]` and `layers:`",
                               code=NOT_A_MAPPING)
    return Document(data, reader.locations, file, reader.key_locations)


_EMPTY = object()
_NO_KEY = object()
_COLLECTION_TAGS = (None, "!", _SEQ, _MAP)


class _Frame:
    """An open sequence or mapping while the event stream is read."""

    __slots__ = ("value", "path", "key", "anchor", "size")

    def __init__(self, value: dict | list, path: tuple, anchor: str | None):
        self.value, self.path, self.anchor = value, path, anchor
        self.key = _NO_KEY  # in a mapping: the key waiting for its value
        self.size = 1


class _EventReader:
    """Builds plain data straight from PyYAML's C event stream, in one pass and no recursion.

    PyYAML's own composer and resolver cost most of the load time; here scalars are resolved
    by the same YAML 1.1 rules (a fast path for names), nesting is bounded as it opens, and an
    alias shares the value built for its anchor, so an alias bomb is counted, never expanded.
    """

    def __init__(self, file: str):
        self.file = file
        self.locations: dict[tuple, tuple[int, int]] = {}
        self.key_locations: dict[tuple, tuple[int, int]] = {}
        self.anchors: dict[str, tuple[object, int]] = {}
        self.count = 0
        self.stack: list[_Frame] = []
        self.root = _EMPTY
        self.documents = 0

    def run(self, text: str) -> object:
        """The data of ``text``, read from PyYAML's event stream (pulled with ``iter`` over the
        parser's ``get_event``: no generator frame per event, as ``yaml.parse`` has)."""
        loader = Loader(text)
        try:
            return self.read(iter(loader.get_event, None))
        finally:
            loader.dispose()

    def read(self, events: Iterable[Any]) -> object:
        """The data of PyYAML's ``events``. Event types are told apart with ``type() is``, the
        fastest test there is, and a scalar, the most common event by far, is handled here in
        full on its common path (a plain name or a whole number, in a list or as a mapping's
        key or value): one Python call per scalar costs a tenth of the load. Everything else
        (tags, quoted text, floats, anchors, errors) goes through :meth:`resolve` and
        :meth:`attach`, which give the same values."""
        stack, locations, key_locations = self.stack, self.locations, self.key_locations
        scalar_event, words = yaml.ScalarEvent, _WORDS
        for event in events:
            kind = type(event)
            if kind is scalar_event:
                text, tag = event.value, event.tag
                if (tag is None and event.implicit[0] and len(text) <= MAX_DIGITS
                        and text.isascii() and not event.anchor and stack):
                    if text.isidentifier() and text not in words:
                        value: Any = text
                    elif text.isdigit() and (text[0] != "0" or text == "0"):
                        value = int(text)
                    else:
                        value = self.resolve(event)
                else:
                    self.scalar(event)
                    continue
                parent = stack[-1]
                held: Any = parent.value
                mark = event.start_mark
                if type(held) is list:
                    locations[parent.path + (len(held),)] = (mark.line + 1, mark.column + 1)
                    self.count += 1
                    if self.count > MAX_VALUES:
                        raise self.alias_bomb()
                    parent.size += 1
                    held.append(value)
                elif parent.key is _NO_KEY:
                    key = value if type(value) is str else str(value)
                    if key in held:
                        self.set_key(parent, value, event)  # the duplicate-key error
                    key_locations[parent.path + (key,)] = (mark.line + 1, mark.column + 1)
                    parent.key = key
                else:
                    locations[parent.path + (parent.key,)] = (mark.line + 1, mark.column + 1)
                    self.count += 1
                    if self.count > MAX_VALUES:
                        raise self.alias_bomb()
                    parent.size += 1
                    held[parent.key] = value
                    parent.key = _NO_KEY
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                value = {} if kind is yaml.MappingStartEvent else []
                outer = stack[-1] if stack else None
                if event.tag is not None or outer is None or len(stack) >= MAX_DEPTH or (
                        type(outer.value) is dict and outer.key is _NO_KEY):
                    self.open(event, value)  # the root, a tag, or an error
                    continue
                held = outer.value
                path = outer.path + ((len(held),) if type(held) is list else (outer.key,))
                mark = event.start_mark
                locations[path] = (mark.line + 1, mark.column + 1)
                stack.append(_Frame(value, path, event.anchor))
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                frame = stack.pop()
                if frame.anchor:
                    self.anchors[frame.anchor] = (frame.value, frame.size)
                if not stack:
                    self.attach(frame.value, frame.size, None)
                    continue
                self.count += frame.size
                if self.count > MAX_VALUES:
                    raise self.alias_bomb()
                parent = stack[-1]
                parent.size += frame.size
                held = parent.value
                if type(held) is list:
                    held.append(frame.value)
                else:
                    held[parent.key] = frame.value
                    parent.key = _NO_KEY
            elif kind is yaml.AliasEvent:
                self.alias(event)
            elif kind is yaml.DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    raise self.error("a spec is one YAML document; found a second `---`", event,
                                     code=SEVERAL_DOCUMENTS)
        return self.root

    def open(self, event: yaml.CollectionStartEvent, value: dict | list) -> None:
        if event.tag not in _COLLECTION_TAGS:
            raise self._bad_tag(event.tag, event)
        if self.stack and isinstance(self.stack[-1].value, dict) and self.stack[-1].key is _NO_KEY:
            raise self.error("mapping keys must be plain names", event, code=KEY_NOT_PLAIN)
        if len(self.stack) >= MAX_DEPTH:
            raise self.error(f"the YAML nests deeper than {MAX_DEPTH} levels", event,
                             code=TOO_DEEP)
        path = self.child_path()
        self.locate(path, event)
        self.stack.append(_Frame(value, path, event.anchor))

    def scalar(self, event: yaml.ScalarEvent) -> None:
        value = self.resolve(event)
        parent = self.stack[-1] if self.stack else None
        if parent is not None and isinstance(parent.value, dict) and parent.key is _NO_KEY:
            self.set_key(parent, value, event)
            return
        self.locate(self.child_path(), event)
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)
        self.attach(value, 1, event)

    def alias(self, event: yaml.AliasEvent) -> None:
        if event.anchor not in self.anchors:
            raise self.error(f"unknown alias *{event.anchor}", event, code=UNKNOWN_ALIAS)
        value, size = self.anchors[event.anchor]
        parent = self.stack[-1] if self.stack else None
        if parent is not None and isinstance(parent.value, dict) and parent.key is _NO_KEY:
            raise self.error("mapping keys must be plain names", event, code=KEY_NOT_PLAIN)
        self.locate(self.child_path(), event)
        self.attach(value, size, event)

    def attach(self, value: Any, size: int, event: yaml.Event | None) -> None:
        """Put a finished value into its parent, counting what aliases would expand to."""
        self.count += size
        if self.count > MAX_VALUES:
            raise self.alias_bomb()
        if not self.stack:
            self.root = value
            return
        parent = self.stack[-1]
        parent.size += size
        if isinstance(parent.value, list):
            parent.value.append(value)
        else:
            parent.value[parent.key] = value
            parent.key = _NO_KEY

    def alias_bomb(self) -> SpecError:
        """The error for a value past MAX_VALUES, at the value being attached."""
        return SpecError.single(
            f"the spec expands to more than {MAX_VALUES:,} values (an alias bomb?)",
            Location(self.file, *self.locations.get(self.child_path(), (1, 1))),
            hint="YAML aliases that refer to aliases multiply quickly", code=ALIAS_BOMB)

    def set_key(self, parent: _Frame, key: Any, event: yaml.Event) -> None:
        key = key if isinstance(key, str) else str(key)
        path = parent.path + (key,)
        if key in parent.value:
            first_line = self.key_locations[path][0]
            raise self.error(f"duplicate key '{key}' (first given at line {first_line})", event,
                             hint="YAML would silently keep only the last one",
                             code=DUPLICATE_KEY)
        self.key_locations[path] = self.where(event)
        parent.key = key

    def child_path(self) -> tuple:
        if not self.stack:
            return ()
        parent = self.stack[-1]
        if isinstance(parent.value, list):
            return parent.path + (len(parent.value),)
        return parent.path + (parent.key,)

    def locate(self, path: tuple, event: yaml.Event) -> None:
        self.locations[path] = self.where(event)

    def resolve(self, event: yaml.ScalarEvent) -> Any:
        """A scalar's value by YAML 1.1's rules (as PyYAML's safe loader), tags checked."""
        text = event.value
        if len(text) > MAX_SCALAR:
            raise self.error(f"a value of {len(text):,} characters is too long "
                             f"(limit {MAX_SCALAR:,})", event, code=VALUE_TOO_LONG)
        tag = event.tag
        if tag is None or tag == "!":
            plain, _quoted = event.implicit
            if not plain:
                return text
            # Fast paths for the common cases, ASCII only: YAML's patterns are, and str's own
            # tests take any script's letters and digits (`3²`, `٣` are strings in YAML).
            if text.isascii():
                if text.isidentifier() and text not in _WORDS:
                    return text  # a plain name, no regex needed
                if text.isdigit() and (text[0] != "0" or text == "0"):
                    return int(self.check_digits(text, event))
            tag = _resolver.resolve(yaml.ScalarNode, text, (True, False))
        if tag == _MERGE:
            raise self.error("YAML merge keys (<<) are not supported", event,
                             hint="use the spec's `defaults:` section to share settings",
                             code=MERGE_KEY)
        make = _SCALARS.get(tag)
        if make is None:
            raise self._bad_tag(tag, event)
        if tag == "tag:yaml.org,2002:int":
            self.check_digits(text, event)
        try:
            return make(yaml.ScalarNode(tag, text))
        except (ValueError, LookupError, ArithmeticError, AttributeError) as e:
            what, code = _READS_AS[tag]
            why = f": {e}" if isinstance(e, (ValueError, OverflowError)) and str(e) else ""
            raise self.error(f"cannot read {text[:40]!r} as {what}{why}", event,
                             hint="quote it to keep it as text" if code == BAD_DATE else None,
                             code=code) from None

    def check_digits(self, text: str, event: yaml.Event) -> str:
        if len(text) > MAX_DIGITS:
            raise self.error(f"the number {text[:20]}... has {len(text):,} digits; no size in a "
                             "network is that large", event, code=NUMBER_TOO_LONG)
        return text

    def _bad_tag(self, tag: str, event: yaml.Event) -> SpecError:
        return self.error(
            f"the YAML tag {tag} is not allowed", event,
            hint="specs hold plain numbers, strings, lists and mappings; tags that construct "
                 "objects are never executed", code=TAG_NOT_ALLOWED)

    def error(self, message: str, event: yaml.Event, hint: str | None = None, *,
              code: str) -> SpecError:
        return SpecError.single(message, _mark(event.start_mark, self.file), hint=hint,
                                code=code)

    @staticmethod
    def where(event: yaml.Event) -> tuple[int, int]:
        mark: Any = event.start_mark  # PyYAML's parser marks every event
        return mark.line + 1, mark.column + 1


_resolver = yaml.resolver.Resolver()
_MERGE = "tag:yaml.org,2002:merge"
# Plain words YAML 1.1 reads as booleans or null, which the fast path must not take as names.
_WORDS = frozenset(w for b in ("yes", "no", "true", "false", "on", "off", "null")
                   for w in (b, b.title(), b.upper()))


def _mark(mark: Any, file: str) -> Location:
    if mark is None:
        return Location(file, 1, 1)
    return Location(file, mark.line + 1, mark.column + 1)


def yaml_problem(e: yaml.MarkedYAMLError, text: str, file: str) -> Diagnostic:
    """PyYAML's error said in plain words at the line of the mistake, which is often before
    where the parser noticed it: a key without its colon runs on into the next line, an
    unclosed bracket is noticed where the file goes on. PyYAML's own words when no case fits."""
    problem, context = e.problem or "", e.context or ""
    at, opened = _mark(e.problem_mark or e.context_mark, file), e.context_mark
    lines = text.splitlines()
    if "could not find expected ':'" in problem and opened is not None:
        return _missing_colon(lines, opened.line, opened.column, file)
    if "mapping values are not allowed" in problem:
        return _colon_not_allowed(lines, at, file)
    if "\t" in problem or "tab" in problem or _char_at(lines, e.problem_mark) == "\t":
        return Diagnostic("error", "invalid YAML: a tab in the indentation; YAML indents with "
                          "spaces only", at, hint="replace the tab with spaces",
                          code=INVALID_YAML)
    if ("flow sequence" in context or "flow mapping" in context) and opened is not None:
        bracket = "[]" if "sequence" in context else "{}"
        where = _mark(opened, file)
        return Diagnostic("error", f"invalid YAML: this `{bracket[0]}` is never closed: "
                          f"`{bracket[1]}` or `,` expected before line {at.line}, column "
                          f"{at.col}", where,
                          hint=f"close it with `{bracket[1]}`, and separate items with `,`",
                          code=INVALID_YAML)
    if "block mapping" in context or "block collection" in context or (
            "block sequence" in context):
        begun = f" (begun at line {opened.line + 1}, column {opened.column + 1})" if opened else ""
        return Diagnostic("error", "invalid YAML: this line is indented unlike the lines of "
                          f"the mapping or list it belongs to{begun}", at,
                          hint="the keys of one mapping start in one column, and so do the "
                               "`- ` items of one list", code=INVALID_YAML)
    if "quoted scalar" in context and opened is not None:
        where = _mark(opened, file)
        return Diagnostic("error", "invalid YAML: this quote is never closed", where,
                          hint="end the text with the same quote it starts with",
                          code=INVALID_YAML)
    parts = [p for p in (context, problem) if p]
    return Diagnostic("error", "invalid YAML: " + ", ".join(parts), at, code=INVALID_YAML)


def _char_at(lines: list[str], mark: Any) -> str:
    """The character at a 0-based PyYAML mark, or ''."""
    if mark is None or mark.line >= len(lines) or mark.column >= len(lines[mark.line]):
        return ""
    return lines[mark.line][mark.column]


def _missing_colon(lines: list[str], line: int, col: int, file: str) -> Diagnostic:
    """A key whose colon is missing (``kernel 3``) or has no space after it (``kernel:3``),
    at 0-based ``line`` and ``col``; the fix written out."""
    written = lines[line][col:].split("#")[0].strip() if line < len(lines) else ""
    key, _, value = written.replace(":", " ", 1).partition(" ")
    fixed = f"{key}: {value.strip()}" if value.strip() else f"{key}:"
    message = (f"`{written}` needs a space after its colon: write `{fixed}`" if ":" in written
               else f"`{written}` is missing the colon after '{key}': write `{fixed}`")
    return Diagnostic("error", message, Location(file, line + 1, col + 1),
                      hint="YAML reads `key: value`, a colon and a space; without them the "
                           "line runs on into the next", code=MISSING_COLON)


def _colon_not_allowed(lines: list[str], at: Location, file: str) -> Diagnostic:
    """A colon where YAML takes no `key: value`: a second on one line (``- conv: filters:
    16``), or one after a line whose own colon is missing (the two read as one text)."""
    here = lines[at.line - 1] if at.line <= len(lines) else ""
    if ": " in here[:at.col - 1]:
        outer, _, inner = here[:at.col - 1].partition(": ")
        outer, inner = outer.strip().lstrip("- "), inner.strip()
        return Diagnostic("error", "invalid YAML: a second `key: value` on one line; a value "
                          "that is itself a mapping goes in braces or on indented lines of "
                          "its own", at, hint=f"write `{outer}: {{{inner}: ...}}`, or put "
                          f"`{inner}:` on the next line, indented", code=INVALID_YAML)
    before = at.line - 2
    while before >= 0 and not lines[before].split("#")[0].strip():
        before -= 1
    if before >= 0 and ":" not in lines[before].split("#")[0]:
        line = lines[before]
        col = len(line) - len(line.lstrip(" -"))
        return _missing_colon(lines, before, col, file)
    return Diagnostic("error", "invalid YAML: a colon that YAML takes for a second `key: value` "
                      "here", at, hint="check the colons and the indentation of this line and "
                      "the one before", code=INVALID_YAML)


def _kind(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number",
            bool: "boolean"}.get(type(value), type(value).__name__)
