"""pydantic's validation errors, said the way a spec author needs them.

One message per setting (a union's alternatives are merged: "should be a valid integer or a
valid list"), an unknown key that is a typo of a missing setting is reported once, as the typo,
and every message names the setting as it is written in YAML (``input[1]``).
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any, NamedTuple, get_args, get_type_hints

from pydantic_core import ValidationError

from ..core.codes import declare
from ..core.model import PATTERN_WORDS, field_docs
from ..layers import did_you_mean

UNKNOWN_KEY = declare(
    "NS201", "unknown-key", "a key that the spec, a kind or a setting does not take",
    "Every key of the format is checked: a misspelt setting would otherwise be ignored "
    "silently and the layer built with its default. The hint names the closest key, or the "
    "keys that are taken.",
    "input: [1, 28, 28]\nlayers:\n  - conv: {filters: 8, kernal: 3}\n")
MISSING_SETTING = declare(
    "NS202", "missing-setting", "a required setting is not given",
    "Some settings have no default (a conv's `kernel`, the spec's `input`). Give it on the "
    "layer, or for every layer of the kind under `defaults:`.",
    "input: [1, 28, 28]\nlayers:\n  - conv: 8\n")
INVALID_VALUE = declare(
    "NS203", "invalid-value", "a setting's value has the wrong type or is out of range",
    "Sizes are whole numbers from 1, paddings from 0, rates from 0 up to 1, names letters, "
    "digits and _. The message says what the setting takes and what was written.",
    "input: [1, 28, 28]\nlayers:\n  - conv: {filters: 0, kernel: 3}\n")


class Problem(NamedTuple):
    message: str
    loc: tuple  # the setting's path inside the validated mapping
    hint: str | None = None
    at_key: bool = False  # point at the key itself (an unknown key)
    at_item: bool = False  # point at the whole item (a missing setting)
    code: str = INVALID_VALUE


def translate(e: ValidationError, cls: type, what: str, defaults_hint: bool,
              data: Any) -> list[Problem]:
    """Problems for one validation of the spec class ``cls`` on ``data``, in the order of the
    settings."""
    by_setting: dict[tuple, list[Any]] = {}  # pydantic's ErrorDetails, by setting
    for err in e.errors():
        if err["type"] == "unexpected_keyword_argument":  # a dataclass's word for it
            err["type"] = "extra_forbidden"
        by_setting.setdefault(_setting_path(err["loc"], data, err["type"]), []).append(err)
    by_setting = _deepest(by_setting)
    missing = [loc[0] for loc, errs in by_setting.items()
               if errs[0]["type"] == "missing" and len(loc) == 1]
    typos = {loc: _close(str(loc[0]), missing) for loc, errs in by_setting.items()
             if errs[0]["type"] == "extra_forbidden" and len(loc) == 1}
    problems = []
    for loc, errs in by_setting.items():
        key = str(loc[0]) if loc else ""
        kind = errs[0]["type"]
        if kind == "missing" and len(loc) == 1 and key in typos.values():
            continue  # reported as the typo that should have named it
        if kind == "extra_forbidden" and len(loc) > 1:
            problems.append(_unknown_nested_key(loc, cls, what))
        elif kind == "extra_forbidden":
            fields = field_docs(cls)
            hint = (f"did you mean '{typos[loc]}'?" if typos[loc] else
                    did_you_mean(key, fields) or f"{what} takes: {', '.join(fields)}")
            problems.append(Problem(f"unknown key '{key}' for {what}", loc, hint, at_key=True,
                                    code=UNKNOWN_KEY))
        elif kind == "missing":
            problems.append(_missing(loc, cls, what, defaults_hint))
        else:
            wants = " or ".join(dict.fromkeys(_wants(err) for err in errs))
            problems.append(Problem(f"{_yaml_path(loc)} {wants} (got "
                                    f"{describe(errs[0].get('input'))})", loc,
                                    _literal_hint(errs)))
    return problems


def _deepest(by_setting: dict[tuple, list[Any]]) -> dict[tuple, list[Any]]:
    """Of a union's alternatives, the one that got furthest: ``kernel: [x]`` is a list, so the
    mistake is its item (``kernel[0] should be a valid integer``), not that the list is no
    integer. A setting whose value a deeper error is inside is left out."""
    inner = {loc[:i] for loc in by_setting for i in range(1, len(loc))}
    return {loc: errs for loc, errs in by_setting.items()
            if loc not in inner or errs[0]["type"] in ("missing", "extra_forbidden")}


def _missing(loc: tuple, cls: type, what: str, defaults_hint: bool) -> Problem:
    """A required setting not given; inside a nested setting (a block under `blocks:`), named
    with its parent and described by the nested class."""
    key = str(loc[-1])
    inner = _nested_class(cls, loc[:-1]) if len(loc) > 1 else cls
    desc = field_docs(inner).get(key) if inner else None
    owner = what if len(loc) == 1 else f"{_yaml_path(loc[:-1])} of {what}"
    hint = f"give `{key}: ...` here" + (f" or under `defaults: {what}:`" if defaults_hint else "")
    return Problem(f"{owner} needs '{key}'" + (f" ({desc})" if desc else ""), loc, hint,
                   at_item=True, code=MISSING_SETTING)


def _unknown_nested_key(loc: tuple, cls: type, what: str) -> Problem:
    """An unknown key inside a nested setting (a layer's ``expect:``): named with its parent,
    and checked against the nested class's own settings, not the outer one's."""
    key, parent = str(loc[-1]), _yaml_path(loc[:-1])
    inner = _nested_class(cls, loc[:-1])
    fields = list(field_docs(inner)) if inner else []
    named = next((f for f in fields if key.endswith("_" + f)), None)  # output_shape: shape
    hint = did_you_mean(key, fields) or (f"did you mean '{named}'?" if named else None) or (
        f"{parent} takes: {', '.join(fields)}" if fields else None)
    return Problem(f"unknown key '{key}' in {parent} of {what}", loc, hint, at_key=True,
                   code=UNKNOWN_KEY)


def _nested_class(cls: type, path: tuple) -> type | None:
    """The spec class found at ``path`` inside ``cls``, following its type hints; dict keys
    and list indices on the way are passed over."""
    for part in path:
        hint = get_type_hints(cls).get(part) if isinstance(part, str) else None
        if hint is None:
            continue  # a dict key or a list index: the class is the same
        found = _spec_class_in(hint)
        if found is None:
            return None
        cls = found
    return cls


def _spec_class_in(hint: Any) -> type | None:
    """The first spec class in a type hint: ``Expect`` in ``Expect | None``, ``BlockDef`` in
    ``dict[str, BlockDef]``."""
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return hint
    for arg in get_args(hint):
        found = _spec_class_in(arg)
        if found is not None:
            return found
    return None


def _literal_hint(errs: list[dict]) -> str | None:
    """'did you mean' for a word that should have been one of a few (an activation)."""
    for err in errs:
        if err["type"] == "literal_error" and isinstance(err.get("input"), str):
            return did_you_mean(err["input"], re.findall(r"'([^']*)'", err["ctx"]["expected"]))
    return None


def describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _close(word: str, choices: list[str]) -> str | None:
    import difflib  # only on errors: a fresh `netspec check` of a good spec skips it

    close = difflib.get_close_matches(word, choices, n=1)
    return close[0] if close else None


def _setting_path(loc: tuple, data: Any, kind: str) -> tuple:
    """The path of the setting an error is about: pydantic's location without its union-member
    tags (``('kernel', 'list[constrained-int]', 1)`` is ``kernel[1]``). The parts that are keys
    and indices are found by following the validated data, so a key that is not a name
    (``kernel size``) is kept and a tag that looks like one is dropped; a missing key, at the
    end, is not in the data."""
    path = []
    for i, part in enumerate(loc):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        elif not (kind == "missing" and i == len(loc) - 1):
            continue  # a union member's tag
        path.append(part)
    return tuple(path)


def _yaml_path(loc: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)[1:]


def _wants(err: dict) -> str:
    """pydantic's "Input should be ..." as "should be ..." after the setting's name; a pattern
    and a dataclass said in words."""
    if err["type"] == "dataclass_type":
        return "should be a mapping (key: value)"
    if err["type"] == "string_pattern_mismatch" and err["ctx"]["pattern"] in PATTERN_WORDS:
        return PATTERN_WORDS[err["ctx"]["pattern"]]
    msg = re.sub(r"^(Input|List|String|Dictionary|Value) should", "should",
                 err["msg"].rstrip("."))
    return msg.replace(" after validation", "")
