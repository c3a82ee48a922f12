"""Scalars resolve exactly as PyYAML's safe loader resolves them (YAML 1.1), and a scalar that
cannot be read as what its tag says is a located error, never an internal one.

netspec reads YAML from PyYAML's C event stream with a resolver of its own (fast paths for
names and plain decimals), so the oracle here is ``yaml.safe_load``, PyYAML's own composer,
resolver and constructors, on random and on targeted scalars.
"""
import datetime
import math

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from netspec.core.errors import SpecError
from netspec.reading.source import MAX_DIGITS, load_text

# What netspec refuses on purpose where PyYAML builds a value (a number of more than 30 digits);
# every other difference is a bug.
LIMITS = {"NS114"}


def pyyaml(text: str, loader: type = yaml.SafeLoader):
    """("ok", what PyYAML's loader gives) or ("error", None) when it refuses the text."""
    try:
        return "ok", yaml.load(text, Loader=loader)
    except yaml.YAMLError:
        return "error", None
    except (ValueError, LookupError, ArithmeticError, AttributeError):  # its constructors
        return "error", None


def same(a, b) -> bool:
    """Equal values of the same type (NaN equals NaN; containers compared item by item)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def agree(text: str) -> None:
    """netspec reads ``text`` as ``yaml.safe_load`` does, or refuses it where PyYAML does (or
    for a limit). netspec parses with libyaml, PyYAML's C parser, which refuses a few flow
    forms the pure-Python one reads (``[0:]``): there the C loader is the oracle."""
    status, expected = pyyaml(text)
    c_status, c_expected = pyyaml(text, CLoader)
    if c_status != status or not same(c_expected, expected):
        status, expected = c_status, c_expected
    try:
        found = load_text(text).data
    except SpecError as e:
        code = e.diagnostics[0].code
        assert status == "error" or code in LIMITS or code in STRUCTURAL, (text, expected, code)
        return
    assert status == "ok", (text, found)
    assert same(found, expected), (text, found, expected)


CLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Refusals of the document's structure that have nothing to do with scalars: a spec is one
# mapping with plain, unique keys (PyYAML keeps the last of two keys, or builds a list).
STRUCTURAL = {"NS105", "NS106", "NS107", "NS108", "NS112", "NS115"}

# Pieces of YAML 1.1's number, boolean, null and date forms, and digits of other scripts, so
# that random scalars hit the resolver's patterns and their edges.
PIECES = ["0", "1", "7", "9", "00", "12", "_", ":", ".", "e", "E", "+", "-", "x", "o", "b",
          "0x", "0o", "0b", "1_0", "inf", "Inf", "INF", "nan", "NaN", ".inf", ".nan", "~",
          "null", "Null", "true", "False", "yes", "NO", "on", "Off", "y", "n", "a", "f",
          "٣", "²", "³", "１", "߃", "१", "Ⅻ", "٫", "2001-12-14", "T", "t", " ", "Z",
          "12:30:45", "-05:00", "2001-1-1", "60", "59", "5", ".5", "1.", "0.", "=", "<<"]
PLAIN = st.lists(st.sampled_from(PIECES), min_size=1, max_size=6).map("".join)
NUMBERS = st.one_of(
    st.integers(-10**12, 10**12).map(str),
    st.integers(0, 10**9).map(lambda n: f"{n:o}").map(lambda s: "0" + s),
    st.integers(0, 10**9).map(hex), st.integers(0, 10**9).map(bin),
    st.integers(0, 10**9).map(oct),  # 0o17: a string in YAML 1.1
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: f"{f:e}"),
    st.from_regex(r"[-+]?[0-9]{1,3}(:[0-5]?[0-9]){1,4}(\.[0-9]*)?", fullmatch=True),
    st.from_regex(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{2}:[0-9]{2}"
                  r"(\.[0-9]*)?( ?(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?", fullmatch=True),
)
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)


@pytest.mark.parametrize("scalar", [
    "٣", "3²", "²", "١٢", "１２", "߃", "१०", "0o17", "0x1F", "0b101", "017", "09", "1_000",
    "1:30", "-1:30", "1:30.5", "190:20:30.15", "1e3", "1.0e+3", ".inf", "-.Inf", "+.INF",
    ".NaN", "~", "null", "Null", "NULL", "", "y", "n", "Y", "yes", "No", "ON", "off",
    "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "+0", "-0",
    "0.", "._5", "_1", "1__", "0x_", "0b", "1" * 30, "layer3", "conv_1", "ℌ", "ﬁlters",
])
def test_targeted_scalars_resolve_as_pyyaml_does(scalar):
    agree(f"v: {scalar}\n")
    agree(f"v: [{scalar}]\n")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(PLAIN, NUMBERS, ANY_TEXT))
@example("٣")
@example("1:" * 200 + "1.5")  # a sexagesimal float past 1e308: PyYAML's OverflowError
def test_random_scalars_resolve_as_pyyaml_does(scalar):
    for text in (f"v: {scalar}\n", f"v: [{scalar}]\n", f"v: !!str {scalar}\n"):
        agree(text)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["!!int", "!!float", "!!bool", "!!null", "!!str", "!!timestamp"]),
       st.one_of(PLAIN, NUMBERS))
def test_tagged_scalars_read_as_pyyaml_does_or_are_located_errors(tag, scalar):
    agree(f"v: {tag} {scalar}\n")


def error_of(text: str):
    with pytest.raises(SpecError) as info:
        load_text(text, "spec.yaml")
    (d,) = info.value.diagnostics
    return d


@pytest.mark.parametrize("text, where, code, message", [
    # the issue's `name: !!bool layer3` (PyYAML's constructor raised KeyError: exit 3)
    ("input: [1, 8]\nlayers:\n  - relu: {name: !!bool layer3}\n", "3:18", "NS118",
     "cannot read 'layer3' as a boolean (true/false, yes/no, on/off)"),
    ("input: [1, !!int ]\nlayers: [relu]\n", "1:12", "NS116", "cannot read '' as a number"),
    ("input: [1, !!float ]\nlayers: [relu]\n", "1:12", "NS116", "cannot read '' as a number"),
    ("input: [1, !!timestamp 0]\nlayers: [relu]\n", "1:12", "NS119", "cannot read '0' as a date"),
    ("input: [1, 0x_]\nlayers: [relu]\n", "1:12", "NS116",
     "cannot read '0x_' as a number: invalid literal for int() with base 16: ''"),
    ("input: [1, 8]\nname: " + "1:" * 200 + "1.5\nlayers: [relu]\n", "2:7", "NS116",
     "as a number: int too large to convert to float"),
    ("input: [1, 8]\ndescription: 2024-02-30\nlayers: [relu]\n", "2:14", "NS119",
     "cannot read '2024-02-30' as a date: day is out of range for month"),
    ("input: [1, " + "1" * (MAX_DIGITS + 1) + "]\nlayers: [relu]\n", "1:12", "NS114",
     "has 31 digits"),
])
def test_a_scalar_its_tag_cannot_read_is_a_located_error(text, where, code, message):
    d = error_of(text)
    assert (f"{d.location.line}:{d.location.col}", d.code) == (where, code), d.format()
    assert message in d.message
    assert d.location.file == "spec.yaml"


def test_dates_are_built_as_pyyaml_builds_them():
    assert load_text("d: 2001-12-14\n").data == {"d": datetime.date(2001, 12, 14)}
