"""The kinds' part of the editor schema (:mod:`.json_schema`): per kind, what pydantic writes
from its class, cleaned for editors, with examples and snippets taken from its ``example``.

Cleaned: pydantic's generated titles are dropped (a hover over ``kernel`` read
``Kernel || Kernel``), and so is ``default: null`` (completion inserted ``name: null``);
descriptions are plain text, with a Markdown twin (``markdownDescription``) for hovers. Every
setting without a default gets an example and a snippet with a valid value, so completion never
inserts ``filters: 0``."""
from __future__ import annotations

import copy
import dataclasses
from typing import Any

import yaml
from pydantic import TypeAdapter

from ..core.model import field_docs
from ..layers.base import COMMON, Layer
from .doc_text import plain, summary

REF = "#/$defs/{model}"
MAX_REPEAT = 10_000  # graph.builder's limit (a test keeps the two equal)
REPEAT = {"type": "integer", "minimum": 0, "maximum": MAX_REPEAT,
          "description": "how many copies of this in a row (default 1; 0: absent)",
          "markdownDescription": "how many copies of this in a row (default 1; 0: absent)",
          "defaultSnippets": [{"body": 2}]}
# A name, a template counting copies ({i} from 1, {i0} from 0), or a group child's number.
NAME_OR_TEMPLATE = r"^(([A-Za-z_]|\{i0?\})([A-Za-z0-9_]|\{i0?\})*|[0-9]+)$"
# The keys every item may have, whatever it is (a layer, a group, a block use).
ITEM_KEYS: dict[str, Any] = {
    "repeat": REPEAT,
    "if": {"type": "boolean", "description": "build this only when true (`if: $expand`)",
           "markdownDescription": "build this only when true (`if: $expand`)"},
    "allow": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
              "description": "the warnings this is expected to give, by code or name "
                             "(`allow: NS402`)",
              "markdownDescription": "the warnings this is expected to give, by code or name "
                                     "(`allow: NS402`)"},
}


def item_name(text: str) -> dict[str, Any]:
    """The schema of an item's `name:`: a name, a template (`denselayer{i}`) or a number."""
    return {"anyOf": [{"type": "string", "pattern": NAME_OR_TEMPLATE, "maxLength": 64},
                      {"type": "integer", "minimum": 0}],
            "description": text, "markdownDescription": text}


def pydantic_schema(cls: type) -> dict[str, Any]:
    """pydantic's JSON Schema of a class of the format, cleaned for editors."""
    schema = TypeAdapter(cls).json_schema(ref_template=REF)
    _clean(schema)
    return schema


def _clean(node: Any) -> None:
    if isinstance(node, list):
        for child in node:
            _clean(child)
        return
    if not isinstance(node, dict):
        return
    node.pop("title", None)
    if "default" in node and node["default"] is None:
        del node["default"]
    describe(node, node.get("description"))
    for key, child in node.items():
        if key == "properties":
            for prop in child.values():
                _clean(prop)
        elif key not in ("default", "examples", "enum", "const"):
            _clean(child)


def describe(node: dict[str, Any], text: str | None) -> dict[str, Any]:
    """Give ``node`` a plain description and its Markdown twin, which hovers show."""
    if text:
        node["description"] = plain(text)
        node["markdownDescription"] = node["description"]
    return node


def kind_defs(kind: str, cls: type[Layer], shared: dict[str, Any]) -> dict[str, Any]:
    """The definitions of one kind: ``settings.K`` (its mapping), ``item.K`` (a whole item of
    kind K, settings beside the kind included) and ``defaults.K`` (under `defaults:`). The
    definitions they share (``Expect``) go into ``shared``."""
    schema = pydantic_schema(cls)
    shared.update(schema.pop("$defs", {}))
    props: dict[str, Any] = schema["properties"]
    for name, prop in props.items():
        _give_example(prop, _example_value(cls, name))
    props["name"] = item_name(props["name"].get("description", "the layer's name"))
    settings = {"type": "object", "additionalProperties": False,
                "properties": {**props, **ITEM_KEYS}}
    forms: list[dict[str, Any]] = [{"$ref": f"#/$defs/settings.{kind}"}, {"type": "null"}]
    if cls.shorthand:
        forms.insert(0, copy.deepcopy(props[cls.shorthand]))
    value = describe({"anyOf": forms}, summary(cls))
    value["markdownDescription"] = head(kind, cls)["markdownDescription"]
    item: dict[str, Any] = {"type": "object", "additionalProperties": False,
                            "required": [kind],
                            "properties": {kind: value, **ITEM_KEYS, **props}}
    if cls.example:
        item["examples"] = yaml.safe_load(cls.example)
    defaults = describe({"type": "object", "additionalProperties": False,
                         "properties": {k: v for k, v in props.items() if k not in COMMON}},
                        f"settings of every {kind} layer that does not set them itself")
    return {f"settings.{kind}": settings, f"item.{kind}": item, f"defaults.{kind}": defaults}


def head(kind: str, cls: type[Layer]) -> dict[str, Any]:
    """The kind's key as completion offers it: its summary and example, and, for a kind that
    needs settings, a snippet of them with its example's values (so what it inserts is
    valid: ``conv: {filters: 96, kernel: 11}``)."""
    about = summary(cls)
    example = f"\n\n```yaml\n{cls.example}\n```" if cls.example else ""
    out: dict[str, Any] = {"description": about,
                           "markdownDescription": f"**{kind}**: {about}{example}"}
    needed = _needed(cls)
    if needed is not None:
        out["defaultSnippets"] = [{"label": f"{kind}: {_flow(needed)}",
                                   "description": f"a {kind} layer with the settings it needs",
                                   "body": _tab_stops(needed)}]
    return out


def _example(cls: type[Layer]) -> Any:
    """The value of the kind's example item: ``{filters: 96, kernel: 11, ...}``, ``0.25``."""
    if not cls.example:
        return None
    (item,) = yaml.safe_load(cls.example)
    return item[cls.kind] if isinstance(item, dict) else None


def _example_value(cls: type[Layer], name: str) -> Any:
    example = _example(cls)
    if isinstance(example, dict):
        return example.get(name)
    return example if name == cls.shorthand else None


def _give_example(prop: dict[str, Any], value: Any) -> None:
    """A setting without a default gets the example's value (or, without one, the least value
    allowed), which completion inserts: never ``filters: 0``. (A default, an example and a
    snippet together would leave the inserted value empty.)"""
    if "default" in prop:
        return
    if value is not None:
        prop["examples"] = [value]
    elif (least := _least(prop)) is not None:
        prop["defaultSnippets"] = [{"body": least}]


def _least(prop: dict[str, Any]) -> Any:
    for branch in [prop, *prop.get("anyOf", [])]:
        if branch.get("type") == "integer":
            return max(branch.get("minimum", 1), 1)
    return None


def _needed(cls: type[Layer]) -> dict[str, Any] | None:
    """The settings a kind cannot do without, with its example's values, or None when it needs
    none (``relu``: its bare name is complete). Always a mapping: the language server merges a
    short form's snippet (``dense: 10``) with the bare name into an invalid choice."""
    fields = list(field_docs(cls))
    required = [f.name for f in dataclasses.fields(cls) if f.name not in COMMON
                and f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]
    order = sorted(required, key=lambda f: (f != cls.shorthand, fields.index(f)))
    return {f: _example_value(cls, f) or 1 for f in order} or None


def _flow(value: Any) -> str:
    """``{filters: 96, kernel: 11}``: YAML's flow form, as a label."""
    return yaml.safe_dump(value, default_flow_style=True, width=1000).strip().removesuffix(
        "\n...")


def _tab_stops(values: dict[str, Any]) -> dict[str, str]:
    """A snippet body whose values are tab stops that start as the values given."""
    return {k: f"${{{i}:{v}}}" for i, (k, v) in enumerate(values.items(), 1)}
