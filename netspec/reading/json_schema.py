"""The JSON Schema of the YAML format, which pydantic writes from the kinds' classes, for editors.

It describes what users write (short forms included), so the YAML language server can complete
and validate a spec with ``# yaml-language-server: $schema=netspec.schema.json``.
"""
from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from ..layers import KINDS
from .document import SpecFile

REF = "#/$defs/{model}"


def json_schema() -> dict[str, Any]:
    top = TypeAdapter(SpecFile).json_schema(ref_template=REF)
    defs: dict[str, Any] = top.pop("$defs", {})
    items: list[dict] = [{"type": "string", "enum": sorted(KINDS),
                          "description": "a layer with its default settings"}]
    for kind, cls in sorted(KINDS.items()):
        s = TypeAdapter(cls).json_schema(ref_template=REF)
        defs.update(s.pop("$defs", {}))
        props = s.get("properties", {})
        settings = {"type": "object", "properties": props, "additionalProperties": False,
                    "description": (cls.__doc__ or "").strip().splitlines()[0]}
        value: list[dict] = [settings, {"type": "null"}]
        if cls.shorthand:
            value.insert(0, props[cls.shorthand])
        siblings = {k: v for k, v in props.items()}
        siblings[kind] = {"anyOf": value}
        siblings["repeat"] = {"type": "integer", "minimum": 1, "maximum": 10000}
        items.append({"type": "object", "title": kind, "properties": siblings,
                      "required": [kind], "additionalProperties": False})
    items.append({"type": "object", "title": "group", "required": ["layers"],
                  "additionalProperties": False,
                  "properties": {"layers": {"type": "array", "items": {"$ref": "#/$defs/item"}},
                                 "repeat": {"type": "integer", "minimum": 1},
                                 "name": {"type": "string"}, "input": {"type": "string"}}})
    # Block names are the spec's own, so a use is any mapping not keyed by a kind or `layers`.
    items.append({"type": "object", "title": "block use", "minProperties": 1,
                  "propertyNames": {"not": {"enum": sorted(KINDS) + ["layers"]}},
                  "description": "a block defined under `blocks:`, with its arguments"})
    defs["item"] = {"anyOf": items}
    # A block's layers hold `$parameters` in place of values: checked after substitution.
    defs["BlockDef"]["properties"]["layers"]["items"] = {"type": ["string", "object"]}
    top["properties"]["layers"] = {"type": "array", "minItems": 1,
                                   "items": {"$ref": "#/$defs/item"}}
    top["properties"]["defaults"] = {
        "type": "object", "additionalProperties": False,
        "properties": {k: {"type": "object"} for k in sorted(KINDS)}}
    top["$defs"] = defs
    top["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    top["title"] = "netspec network spec"
    return top
