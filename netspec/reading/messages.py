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
from .source import MISSING_COLON

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
    fields = field_docs(cls)
    typos = {loc: _renamed(str(loc[0]), fields, what) or _colonless(str(loc[0]), fields)[0]
             or _close(str(loc[0]), missing)
             for loc, errs in by_setting.items()
             if errs[0]["type"] == "extra_forbidden" and len(loc) == 1}
    problems = []
    for loc, errs in by_setting.items():
        key = str(loc[0]) if loc else ""
        kind = errs[0]["type"]
        if kind == "missing" and len(loc) == 1 and key in typos.values():
            continue  # reported as the typo that should have named it
        if kind == "extra_forbidden" and len(loc) > 1:
            problems.append(_unknown_nested_key(loc, cls, what))
        elif kind == "extra_forbidden" and len(loc) == 1 and _colonless(key, fields)[0]:
            name, value = _colonless(key, fields)
            problems.append(Problem(colon_message(key, f"{name}: {value}"), loc,
                                    COLON_HINT, at_key=True, code=MISSING_COLON))
        elif kind == "extra_forbidden" and (foreign := _foreign(key, fields, what, data)):
            problems.append(foreign._replace(loc=loc))
        elif kind == "extra_forbidden":
            hint = (f"did you mean '{typos[loc]}'?" if typos[loc] else
                    did_you_mean(key, fields) or f"{what} takes: {', '.join(fields)}")
            problems.append(Problem(f"unknown key '{key}' for {what}", loc, hint, at_key=True,
                                    code=UNKNOWN_KEY))
        elif kind == "missing":
            problems.append(_missing(loc, cls, what, defaults_hint))
        else:
            inner = _nested_class(cls, loc[:-1]) if len(loc) > 1 else cls
            doc = field_docs(inner).get(str(loc[-1])) if inner and loc else None
            problems.append(_bad_value(loc, errs, doc))
    return problems


# pydantic's error types that say the value is of the wrong type for one alternative of a
# union, as against a value of the right type out of range (a constraint)
_TYPE_ERRORS = {"int_type", "int_from_float", "int_parsing", "float_type", "float_parsing",
                "list_type", "string_type", "bool_type", "bool_parsing", "dict_type",
                "dataclass_type", "literal_error"}
_TYPE_WORDS = {"int_type": "a whole number", "int_from_float": "a whole number",
               "int_parsing": "a whole number", "float_type": "a number",
               "float_parsing": "a number", "list_type": "a list", "string_type": "text",
               "bool_type": "true or false", "bool_parsing": "true or false",
               "dict_type": "a mapping (key: value)", "dataclass_type": "a mapping (key: value)"}


def _bad_value(loc: tuple, errs: list[dict], doc: str | None) -> Problem:
    """A value of the wrong type or out of range, in plain words: a union's alternatives are
    narrowed to those the value could be (``padding: -1`` is a number below 0, not "no
    list"), a whole number written as ``3.0`` or ``"64"`` is told how to write it, and the
    setting's other forms (its doc) go to the hint."""
    value: Any = errs[0].get("input")
    path = _yaml_path(loc)
    of_its_type = [e for e in errs if not _wrong_type(e)]
    hint = _literal_hint(errs) or (f"{path}: {doc}" if doc and (
        len(errs) > 1 or of_its_type) else None)
    if of_its_type:  # the value has the right type for these: say what they want of it
        wants = " and ".join(dict.fromkeys(_wants(e) for e in of_its_type))
        if _percentage(of_its_type, value):
            hint = f"{path} is a fraction: {value:g}% is {path}: {float(value) / 100:g}"
        return Problem(f"{path} must {wants}, got {describe(value)}", loc, hint)
    wanted = list(dict.fromkeys(_alternative(e) for e in errs))
    if not isinstance(value, list) and len(wanted) > 1 and "a list" in wanted:
        wanted.remove("a list")  # a single value that is wrong: what a single value must be
    wants = " or ".join(wanted)
    message = f"{path} must be {wants}, got {describe(value)}"
    whole = "a whole number" in wanted or "a number" in wanted
    if whole and isinstance(value, float) and value.is_integer():
        message += f": write {int(value)}"
    elif whole and isinstance(value, str) and _number(value) is not None:
        message = (f"{path} must be {wants}, got the text {value!r} (in quotes): write "
                   f"{_number(value)}, without the quotes")
    elif whole and isinstance(value, float):
        message += " (sizes, strides and paddings count whole pixels)"
    return Problem(message, loc, hint)


def _percentage(errs: list[dict], value: Any) -> bool:
    """Whether a value over a bound of 1 reads as a percentage (``dropout: 50``)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and 1 < value <= 100
            and any(e["type"] in ("less_than", "less_than_equal") and
                    (e.get("ctx") or {}).get("lt", (e.get("ctx") or {}).get("le")) == 1
                    for e in errs))


def _wrong_type(err: dict) -> bool:
    """Whether ``err`` says the value is not of its alternative's type at all (a word that
    should have been one of a few is of the right type, text, and said as a choice)."""
    if err["type"] == "literal_error":
        return not isinstance(err.get("input"), str)
    return err["type"] in _TYPE_ERRORS


def _alternative(err: dict) -> str:
    """What one alternative of a setting takes, in words: "a whole number", "'same' or
    'valid'"."""
    if err["type"] == "literal_error":
        return err["ctx"]["expected"]
    return _TYPE_WORDS.get(err["type"]) or _wants(err).removeprefix("be ")


def _number(text: str) -> int | float | None:
    """The number a quoted text spells (``"64"``), or None."""
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


# Other frameworks' names for settings (PyTorch's, Keras'): the netspec setting that says the
# same, or None and why netspec needs none (what it infers from the previous layer).
FOREIGN_NAMES: dict[str, tuple[str | None, str]] = {
    "in_channels": (None, "netspec infers the input channels from the previous layer"),
    "in_features": (None, "netspec infers the input features from the previous layer"),
    "num_features": (None, "netspec infers the channels it normalises from the previous layer"),
    "normalized_shape": (None, "netspec infers the shape it normalises from the previous layer"),
    "input_dim": (None, "netspec infers a layer's input size from the previous layer"),
    "input_shape": (None, "netspec infers a layer's input shape from the previous layer; the "
                          "network's is the spec's top-level `input:`"),
    "padding_mode": (None, "netspec pads with zeros only (PyTorch's default, 'zeros')"),
    "inplace": (None, "whether PyTorch overwrites its input changes no shape or count"),
    "out_channels": ("filters", "PyTorch's name"),
    "out_features": ("units", "PyTorch's name"),
    "kernel_size": ("kernel", "PyTorch's and Keras' name"),
    "pool_size": ("kernel", "Keras' name"),
    "strides": ("stride", "Keras' name"),
    "dilation_rate": ("dilation", "Keras' name"),
    "use_bias": ("bias", "Keras' name"),
    "p": ("rate", "PyTorch's name"),
}
SPEC = "the spec"  # how messages name the top level


COLON_HINT = "YAML reads `key: value`, a colon and a space; without them the two are one key"


def colon_message(written: str, fixed: str) -> str:
    """What is wrong with a key and value written without their colon, or its space."""
    if ":" in written:
        return f"'{written}' needs a space after its colon: write `{fixed}`"
    return f"'{written}' is missing the colon after '{fixed.split(':')[0]}': write `{fixed}`"


def _colonless(key: str, fields: dict) -> tuple[str | None, str]:
    """The setting and value of a key that is ``kernel 3`` or ``kernel:3`` (a colon or its
    space missing inside braces), or (None, '')."""
    name, _, value = key.replace(":", " ", 1).partition(" ")
    value = value.strip()
    looks_like_a_value = value[:1].isdigit() or value[:1] in "[-$" or value in (
        "same", "valid", "true", "false")
    return (name, value) if name in fields and value and looks_like_a_value else (None, "")


def _renamed(key: str, fields: dict, what: str) -> str | None:
    """The setting a foreign name stands for, when ``fields`` has it."""
    name = "input" if what == SPEC and key == "input_shape" else FOREIGN_NAMES.get(key, ("",))[0]
    return name if name in fields else None


def _foreign(key: str, fields: dict, what: str, data: Any) -> Problem | None:
    """An unknown key that is another framework's name: what netspec calls it, or why
    netspec needs no such setting. None for any other key."""
    if key not in FOREIGN_NAMES:
        return None
    name, why = FOREIGN_NAMES[key]
    value = data.get(key) if isinstance(data, dict) else None
    if what == SPEC and key == "input_shape":
        name, why = "input", "Keras' name"
    if name is None:
        return Problem(f"{what} has no setting '{key}': {why}", (), f"remove `{key}: "
                       f"{_yaml(value)}`", at_key=True, code=UNKNOWN_KEY)
    if name not in fields:
        return None
    return Problem(f"{what} has no setting '{key}' ({why}): netspec calls it `{name}`", (),
                   f"write `{name}: {_yaml(value)}`", at_key=True, code=UNKNOWN_KEY)


def _yaml(value: Any) -> str:
    """A value as a spec would write it (``true``, ``[3, 3]``)."""
    if isinstance(value, bool):
        return str(value).lower()
    return "null" if value is None else str(value)


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
    if what == SPEC and loc == ("input",):
        hint = ("give the input's shape without the batch axis, channels first: `input: "
                "[3, 32, 32]` for 32x32 RGB images, `input: [1, 28, 28]` for MNIST digits")
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
    """A value as messages show it: Python's repr, but YAML's words for true, false, null."""
    text = {True: "true", False: "false", None: "null"}.get(value, repr(value)) if (
        value is None or isinstance(value, bool)) else repr(value)
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


_BOUNDS = {"greater_than_equal": ("ge", "be at least {}"),
           "greater_than": ("gt", "be more than {}"),
           "less_than_equal": ("le", "be at most {}"), "less_than": ("lt", "be less than {}")}


def _wants(err: dict) -> str:
    """What an alternative wants of a value of its type, after "must": a bound ("be at least
    1"), a pattern and a dataclass in words, else pydantic's "Input should ..." trimmed."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        bound = ctx.get(key)
        return words.format(f"{bound:,}" if isinstance(bound, int) else f"{bound:g}")
    if kind == "dataclass_type":
        return "be a mapping (key: value)"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in PATTERN_WORDS:
        return PATTERN_WORDS[ctx["pattern"]].removeprefix("should ")
    if kind == "literal_error":
        return "be one of " + ctx["expected"]
    msg = re.sub(r"^(Input|List|String|Dictionary|Value) should ", "", err["msg"].rstrip("."))
    return msg.replace(" after validation", "")
