"""The JSON Schema of the YAML format, for editors: the YAML language server (VS Code's YAML
extension, or any other client of it) validates, completes and explains a spec with it.

It is as strict as the format wherever a schema can know it (docs/editor.md): every kind and its
settings, in layers, groups, `defaults:` and blocks. What it cannot know is the spec's own block
names, so there are two schemas. ``json_schema()`` is the generic one: in a spec without
`blocks:` an item must be a kind or a group; in a spec with `blocks:`, another name reads as a
block use when its value is a mapping of arguments or nothing (``- maxpol: 2`` is still an
error, ``- maxpol: {kernel: 2}`` is not). ``json_schema(blocks)``, written for one spec
(``netspec schema SPEC``), knows its blocks and their parameters and refuses any other name.

Its definitions (``$defs``): per kind K, ``settings.K``, ``item.K`` and ``defaults.K``
(:mod:`.schema_kinds`); ``item``, any layer item, whose head (its kind, ``layers`` for a group,
a block's name) picks the definition that checks the rest (``if``/``then``), so that completion
offers the heads where an item has none yet and the head's settings once it has one; ``group``;
``use.B``, a use of block B. ``u.`` prefixes the family of a generic schema's spec with `blocks:`
(any block name), ``p.`` the family inside a block's layers, where any value may be a
``$parameter``.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..core.model import NAME_PATTERN, field_docs
from ..layers import KINDS
from .document import REQUIRED, BlockDef, SpecFile
from .schema_kinds import ITEM_KEYS, describe, head, item_name, kind_defs, pydantic_schema

GROUP_KEYS = ("layers", "repeat", "name", "input", "if", "allow")
USE_KEYS = ("name", "repeat", "input", "if", "allow")  # beside a block's arguments
ANY_BLOCK = None  # the block uses of the generic `u.` family: any name that is no kind
UNKNOWN_KEY = ("not a layer kind, a setting or a block use of this spec: an item is a kind (relu, "
               "conv: 64, maxpool: {kernel: 2}, ...), a group (layers: [...]) or a block with "
               "its arguments (unit: {width: 64})")
NO_HEAD = ("this item names no layer kind, group or block: it starts with a kind (relu, "
           "conv: 64, maxpool: {kernel: 2}, ...), layers: [...] or a block's name")
PARAMETER = describe({"type": "string", "pattern": r"\$[A-Za-z_]"},
                     "a parameter of the block (`$name`), replaced by its value where the "
                     "block is used, or an expression over them (`$hidden // 4`)")


def json_schema(blocks: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The generic schema, or (``blocks``: a spec's `blocks:` mapping) one for that spec."""
    top = pydantic_schema(SpecFile)
    defs: dict[str, Any] = {**top.pop("$defs", {}), "parameter": PARAMETER}
    for kind in sorted(KINDS):
        defs.update(kind_defs(kind, KINDS[kind], defs))
    if blocks is None:
        defs.update(_item_defs("", uses={}))
        defs.update(_item_defs("u.", uses=ANY_BLOCK))
        inside = "u.item"
    else:
        defs.update(_item_defs("", uses=_block_params(blocks)))
        inside = "item"
    defs.update(_parametrised(defs, inside))
    # Inside a block a whole item may be a parameter (`- $act`), replaced by the kind it names.
    defs[f"p.{inside}"] = {"anyOf": [defs[f"p.{inside}"], {"$ref": "#/$defs/parameter"}]}
    props = top["properties"]
    props["layers"] = describe({"type": "array", "minItems": 1},
                               props["layers"].get("description"))
    props["defaults"] = describe(
        {"type": "object", "additionalProperties": False,
         "properties": {k: {"$ref": f"#/$defs/defaults.{k}"} for k in sorted(KINDS)}},
        props["defaults"].get("description"))
    props["blocks"] = describe(_blocks(f"p.{inside}"), props["blocks"].get("description"))
    props["input"]["examples"] = [[3, 224, 224], [1, 28, 28]]
    # The family that reads `layers:` depends on the spec; a condition can see which.
    strict = {"properties": {"layers": {"items": {"$ref": "#/$defs/item"}}}}
    if blocks is None:
        top.update({"if": {"required": ["blocks"]}, "else": strict,
                    "then": {"properties": {"layers": {"items": {"$ref": "#/$defs/u.item"}}}}})
    else:
        top["allOf"] = [strict]
    # No titles: the language server heads a hover with the nearest one, twice over where a
    # setting takes several forms (`Kernel || Kernel`).
    top.update({"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": defs})
    describe(top, "A netspec network spec: " + (top.get("description") or ""))
    return top


def _item_defs(prefix: str, uses: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    """``item`` and ``group`` of one family, and a ``use.B`` per block ``uses`` names (with
    its parameters); ``ANY_BLOCK``: any name that is not a kind is a block."""
    kinds = sorted(KINDS)
    known = uses or {}
    heads = {k: head(k, KINDS[k]) for k in kinds}
    heads["layers"] = {"description": "a group: its layers, repeated and named as one",
                       "markdownDescription": "a **group** of layers, repeated (`repeat:`) "
                                              "and named (`name:`) as one",
                       "defaultSnippets": [{"label": "layers: [relu]", "body": ["relu"]}]}
    for b, params in known.items():
        heads[b] = _block_head(b, params)
    cases = [_case(k, f"item.{k}") for k in kinds] + [_case("layers", f"{prefix}group")]
    cases += [_case(b, f"{prefix}use.{b}") for b in known]
    has_head = [{"required": [h], "errorMessage": NO_HEAD} for h in heads]
    # Completion offers the heads only where an item has none yet (a kind that needs nothing
    # by its bare name, from `names`); once it has one, its definition offers its settings.
    offered = {h: v for h, v in heads.items() if "defaultSnippets" in v}
    mapping: dict[str, Any] = {"type": "object", "errorMessage": UNKNOWN_KEY,
                               "allOf": cases, "if": {"type": "object", "anyOf": has_head},
                               "else": {"properties": offered, "anyOf": has_head}}
    bare = kinds + [b for b, params in known.items() if REQUIRED not in params.values()]
    names: dict[str, Any] = describe(
        {"type": "string", "enum": bare,
         "enumDescriptions": [heads[n]["description"] for n in bare],
         "markdownEnumDescriptions": [heads[n]["markdownDescription"] for n in bare]},
        "a layer with its default settings, or a block's use with its defaults")
    if uses is ANY_BLOCK:
        names = {"anyOf": [names, describe({"type": "string", "pattern": NAME_PATTERN},
                                           "a block defined under `blocks:`")]}
        mapping["else"]["anyOf"] = has_head + [_any_use()]
    else:
        # Known keys are `true`: hidden from completion, and they make the language server
        # report a mapping's own problems rather than the string form's.
        mapping["properties"] = {k: True for k in sorted(set(heads) | _other_keys(known))}
        mapping["additionalProperties"] = False
    # The mapping first: where both forms fail, the language server reports the first.
    out = {f"{prefix}item": {"anyOf": [mapping, names]}, f"{prefix}group": _group(prefix)}
    out.update({f"{prefix}use.{b}": _use(b, params) for b, params in known.items()})
    return out


def _case(head: str, definition: str) -> dict[str, Any]:
    """The item's head picks the definition that checks the whole item. (An empty item is null,
    for which ``required`` alone holds: completion there would offer every setting.)"""
    return {"if": {"type": "object", "required": [head]},
            "then": {"$ref": f"#/$defs/{definition}"}}


def _other_keys(uses: Mapping[str, dict[str, Any]]) -> set[str]:
    """Every key an item may have besides its head: settings beside a kind, a group's keys,
    a block use's arguments."""
    keys = {"repeat", *GROUP_KEYS}
    for cls in KINDS.values():
        keys.update(field_docs(cls))
    for params in uses.values():
        keys.update(params)
    return keys


def _group(prefix: str) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": ["layers"],
            "properties": {
                "layers": describe({"type": "array", "minItems": 1,
                                    "items": {"$ref": f"#/$defs/{prefix}item"}},
                                   "the group's layers, in order"),
                **ITEM_KEYS,
                "name": item_name("a name for the group; its layers are named name.0, "
                                  "name.1, ... (a Python identifier; {i} in a repeated "
                                  "group's name counts its copies)"),
                "input": describe({"type": "string"}, "the layer the group reads")}}


def _any_use() -> dict[str, Any]:
    """A use of a block the generic schema cannot name: no key is a kind or `layers`, and some
    value is a mapping of arguments or nothing (``- maxpol: 2`` is no block use)."""
    return {"propertyNames": {"not": {"enum": [*sorted(KINDS), "layers"]}},
            "not": {"additionalProperties": {"not": {"type": ["object", "null"]}}}}


def _block_head(block: str, params: dict[str, Any]) -> dict[str, Any]:
    """A block's name as completion offers it: with a snippet of its required parameters."""
    out = describe({}, f"the block {block}")
    out["markdownDescription"] = f"the block **{block}**" + (
        f": parameters {', '.join(f'`{p}`' for p in params)}" if params else "")
    needed = [p for p, d in params.items() if d == REQUIRED]
    if needed:
        out["defaultSnippets"] = [{
            "label": f"{block}: {{{', '.join(needed)}}}",
            "body": {p: f"${{{i}}}" for i, p in enumerate(needed, 1)}}]
    return out


def _use(block: str, params: dict[str, Any]) -> dict[str, Any]:
    """A use of one block: each argument a parameter of it, inside the block's mapping or beside
    it, and every required one given."""
    args = {p: describe({}, f"a parameter of {block} (" + (
        "required" if d == REQUIRED else f"default: {d!r}") + ")") for p, d in params.items()}
    keys = {**args, **ITEM_KEYS,
            "name": item_name("the use's name ({i} in a repeated use's name counts copies)"),
            "input": describe({"type": "string"}, "the layer the block reads")}
    value = {"anyOf": [{"type": "object", "properties": keys, "additionalProperties": False},
                       {"type": "null"}]}
    use: dict[str, Any] = {"type": "object", "additionalProperties": False,
                           "required": [block], "properties": {block: value, **keys}}
    needed = [{"anyOf": [{"required": [p]},
                         {"properties": {block: {"type": "object", "required": [p]}}}]}
              for p, d in params.items() if d == REQUIRED]
    if needed:
        use["allOf"] = needed
    return use


def _block_params(blocks: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each block's parameters and their defaults, from a spec's `blocks:` (a malformed block
    is left to `netspec check`, which says what is wrong with it)."""
    out = {}
    for name, block in blocks.items():
        if isinstance(name, str) and name not in KINDS and name.isidentifier():
            params = block.get("params") if isinstance(block, dict) else None
            out[name] = dict(params) if isinstance(params, dict) else {}
    return out


def _blocks(layers: str) -> dict[str, Any]:
    """`blocks:`: each a name (no kind's) and a BlockDef whose layers are ``layers`` items."""
    block = pydantic_schema(BlockDef)
    block.pop("$defs", None)
    block["properties"]["layers"]["items"] = {"$ref": f"#/$defs/{layers}"}
    block["properties"]["params"] = describe(
        {"type": "object", "propertyNames": {"pattern": NAME_PATTERN},
         "examples": [{"planes": "required", "stride": 1}]},
        "each parameter and its default (`required`: none); `$name` in the block's layers "
        "stands for its value")
    return {"type": "object", "additionalProperties": block,
            "propertyNames": {"pattern": NAME_PATTERN, "not": {"enum": sorted(KINDS)}}}


def _parametrised(defs: dict[str, Any], root: str) -> dict[str, Any]:
    """A ``p.`` copy of ``root`` and of the definitions it uses, in which each value may also
    be a ``$parameter`` (a block's layers are checked before their parameters are bound)."""
    seen, todo = set(), [root]
    while todo:
        name = todo.pop()
        if name not in seen and name != "parameter":
            seen.add(name)
            todo += [n["$ref"].removeprefix("#/$defs/") for n in _walk(defs[name])
                     if isinstance(n.get("$ref"), str)]
    return {f"p.{name}": _with_parameters(defs[name]) for name in sorted(seen)}


def _with_parameters(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_with_parameters(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "$ref" and value != "#/$defs/parameter":
            out[key] = "#/$defs/p." + value.removeprefix("#/$defs/")
        elif key == "properties":
            out[key] = {k: _or_parameter(_with_parameters(v)) for k, v in value.items()}
        elif key == "items" and isinstance(value, dict):
            out[key] = _or_parameter(_with_parameters(value))
        elif key in ("anyOf", "allOf", "then", "else", "additionalProperties"):
            out[key] = _with_parameters(value)
        else:
            out[key] = value
    return out


def _or_parameter(schema: Any) -> Any:
    """``schema``, or a ``$parameter`` instead; annotations stay outside, for hovers."""
    if not isinstance(schema, dict) or set(schema) <= _ANNOTATIONS:
        return schema
    kept = {k: schema[k] for k in _ANNOTATIONS & schema.keys()}
    return {"anyOf": [schema, {"$ref": "#/$defs/parameter"}], **kept}


def _walk(schema: Any) -> Iterator[dict]:
    if isinstance(schema, dict):
        yield schema
        for v in schema.values():
            yield from _walk(v)
    elif isinstance(schema, list):
        for v in schema:
            yield from _walk(v)


_ANNOTATIONS = {"description", "markdownDescription", "examples", "defaultSnippets"}
