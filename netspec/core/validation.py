"""Validation of spec data against the format's classes, with their schemas cached between runs.

pydantic turns each class of the format (a :class:`~netspec.core.model.SpecModel` dataclass)
into a *core schema*: plain data saying which fields, bounds and unions pydantic-core checks.
Generating it needs all of pydantic's Python side (``pydantic.main`` and its schema generator),
which costs a fresh process more than the whole rest of ``netspec check``; running it needs only
pydantic-core. So the first run writes the core schemas of all of netspec's classes to a JSON
file in the user's cache (one JSON text per class, classes as import paths), and later runs
parse only the schemas they use and never import pydantic's Python side.

The file's name is a fingerprint of netspec's sources (every ``.py`` file of the package) and of
pydantic's versions, so an edit or an upgrade writes a new one. A
cache that cannot be read, parsed or written costs only speed: the schemas are generated again.
An entry is used only if it decodes to the dataclass schema of its own class, and it can name
no class but netspec's spec classes (nothing is imported or called on its say-so); beyond that,
the file is trusted like the user's other files. The cache lives in ``$NETSPEC_CACHE_DIR``, else
``$XDG_CACHE_HOME/netspec``, else ``~/.cache/netspec``.
"""
from __future__ import annotations

import json
import os
import sys
import zlib
from typing import Any, TypeVar

from pydantic_core import SchemaValidator

T = TypeVar("T")
KEEP_FILES = 8  # fingerprints kept side by side (other checkouts, other pydantic versions)
_PY = "$py"  # {"$py": "module:qualname"} stands for a class in the cached JSON
_SAFE_BUILTINS = {"builtins:dict": dict, "builtins:list": list}  # default factories

_validators: dict[type, SchemaValidator] = {}
_cached: dict[str, Any] | None = None
_spec_classes: dict[type, None] = {}  # every SpecModel subclass, in definition order


def register(cls: type) -> None:
    """Called by ``SpecModel.__init_subclass__``: ``cls`` is a class of the spec format. (A
    registry rather than ``SpecModel.__subclasses__()``, so that this module needs no import
    of the model module, which imports this one to validate.)"""
    _spec_classes[cls] = None


def validate(cls: type[T], data: Any) -> T:
    """``data`` (plain YAML values) as an instance of ``cls``; raises pydantic-core's
    ``ValidationError``, which is pydantic's."""
    validator = _validators.get(cls)
    if validator is None:
        validator = _validators[cls] = _build(cls)
    return validator.validate_python(data)


def _build(cls: type) -> SchemaValidator:
    if cls not in netspec_classes():  # a class of the caller's own: not cached
        return SchemaValidator(generate(cls))
    stored = _read_cache().get(_path(cls))
    if isinstance(stored, str):
        try:
            schema = _decode(json.loads(stored))
            if schema.get("type") == "dataclass" and schema.get("cls") is cls:
                return SchemaValidator(schema)
        except Exception:  # a damaged or foreign file: fall through and write a good one
            pass
    schemas = {_path(c): generate(c) for c in netspec_classes()}
    _write_cache(schemas)
    return SchemaValidator(schemas[_path(cls)])


def generate(cls: type) -> dict[str, Any]:
    """The core schema pydantic generates for ``cls`` (imports pydantic's Python side)."""
    from pydantic import TypeAdapter

    return dict(TypeAdapter(cls).core_schema)


def netspec_classes() -> list[type]:
    """Every spec class defined by netspec's own modules so far."""
    return [cls for cls in _spec_classes
            if cls.__module__.startswith("netspec.") and "<locals>" not in cls.__qualname__]


def _path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


# --- the cache file ---------------------------------------------------------------------------

def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.environ.get("NETSPEC_CACHE_DIR") or os.path.join(base, "netspec")


def cache_file() -> str:
    return os.path.join(cache_dir(), f"schemas-{fingerprint()}.json")


def fingerprint() -> str:
    """A checksum and length of the sources that define the format's classes, with pydantic's,
    pydantic-core's and Python's versions. (zlib's CRC rather than hashlib, whose import alone,
    OpenSSL's, costs a fresh process ~4 ms.)"""
    from pydantic.version import VERSION
    from pydantic_core import __version__ as core_version

    data = [f"{VERSION} {core_version} {sys.version_info[:2]}".encode()]
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for folder, subfolders, names in os.walk(package):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(n for n in names if n.endswith(".py")):
            with open(os.path.join(folder, name), "rb") as f:
                data += [os.path.relpath(os.path.join(folder, name), package).encode(), f.read()]
    blob = b"\0".join(data)
    return f"{zlib.crc32(blob):08x}{len(blob):x}"


def _read_cache() -> dict[str, Any]:
    global _cached
    if _cached is None:
        _cached = {}
        path = cache_file()
        if os.path.isfile(path):  # not a FIFO or a device, which could block the read
            try:
                with open(path, "rb") as f:
                    found = json.load(f)
                _cached = found if isinstance(found, dict) else {}
            except (OSError, ValueError, RecursionError):
                pass
    return _cached


def _write_cache(schemas: dict[str, dict]) -> None:
    """Write atomically (a concurrent reader sees the old file or the new, never half), then
    drop the oldest files beyond KEEP_FILES."""
    global _cached
    encoded = {}
    for path, schema in schemas.items():
        try:
            encoded[path] = json.dumps(_encode(schema), separators=(",", ":"))
        except TypeError:  # holds a function: this class is generated on every run
            pass
    _cached = encoded
    target = cache_file()
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        partial = f"{target}.{os.getpid()}.tmp"
        with open(partial, "w") as f:
            json.dump(encoded, f)
        os.replace(partial, target)
        _prune(os.path.dirname(target))
    except OSError:
        pass


def _prune(folder: str) -> None:
    files = [os.path.join(folder, n) for n in os.listdir(folder)
             if n.startswith("schemas-") and n.endswith(".json")]
    for old in sorted(files, key=os.path.getmtime, reverse=True)[KEEP_FILES:]:
        os.remove(old)


def _encode(value: Any) -> Any:
    """A core schema as JSON data. ``metadata`` (pydantic's JSON-Schema hooks, unused by
    validation) is dropped; a class becomes its import path; any other callable is refused."""
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items() if k != "metadata"}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, type) and _resolve(_path(value)) is value:
        return {_PY: _path(value)}
    raise TypeError(f"cannot cache {value!r} in a core schema")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_PY}:
            found = _resolve(value[_PY])
            if found is None:
                raise ValueError(f"unknown class {value[_PY]!r} in the schema cache")
            return found
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _resolve(path: str) -> type | None:
    """A class named in the cache: a builtin default factory, or a spec class of a netspec
    module that is already imported. Nothing is imported or called on the cache's say-so."""
    if path in _SAFE_BUILTINS:
        return _SAFE_BUILTINS[path]
    module_name, _, qualname = path.partition(":")
    found: Any = sys.modules.get(module_name) if module_name.startswith("netspec.") else None
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found if isinstance(found, type) and found in _spec_classes else None
