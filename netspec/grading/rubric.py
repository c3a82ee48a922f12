"""The rubric: an instructor's YAML file of criteria, each with its points, read like a spec.

Its classes are :class:`~netspec.core.model.SpecModel` dataclasses, so pydantic-core validates
them as it does a spec's (unknown keys with "did you mean", located errors) and pydantic writes
their JSON Schema (``netspec schema --rubric``). What a schema cannot say (one check per
criterion, kinds and settings that exist, codes that exist, bounds that hold) is checked here
too, every problem located at its line. The reference solution is read by :mod:`.grader`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

from pydantic_core import ValidationError

from ..core.codes import CODES, declare, lookup
from ..core.errors import Diagnostic, SpecError
from ..core.model import Constrain, Count, Ref, Size, SpecModel, field_docs, setting
from ..core.validation import validate
from ..graph.builder import MAX_LAYERS
from ..layers import KINDS, did_you_mean
from ..layers.base import COMMON
from ..reading.messages import INVALID_VALUE, MISSING_SETTING, UNKNOWN_KEY, translate
from ..reading.source import EMPTY, MAX_BYTES, NOT_A_MAPPING, Document, load_text, read_file

_CRITERION = "criteria:\n  - {check}\n    points: 1\n"
UNKNOWN_RUBRIC_KEY = declare(
    "NS701", "rubric-unknown-key", "a key that the rubric, a criterion or a check does not take",
    "Every key of a rubric is checked, as a spec's are: a misspelt check or bound would "
    "otherwise be ignored and the criterion scored without it. The hint names the closest key.",
    "criteria:\n  - params: {max: 100000}\n    pionts: 2\n")
MISSING_RUBRIC_SETTING = declare(
    "NS702", "rubric-missing-setting", "a rubric or one of its checks lacks a required key",
    "A rubric needs `criteria:`; a count names its `kind:`, a setting bound its `kind:` and "
    "`setting:`, a receptive field its `min:`.",
    _CRITERION.format(check="count: {min: 3}"))
INVALID_RUBRIC_VALUE = declare(
    "NS703", "rubric-invalid-value", "a rubric's value has the wrong type or is out of range",
    "Points are numbers from 0, bounds whole numbers from 0, shapes lists of sizes from 1; "
    "`limits:` cap bytes (at most 8 MiB), layers (at most 100,000) and seconds (at most 600).",
    _CRITERION.format(check="params: {max: lots}"))
CHECK_COUNT = declare(
    "NS704", "rubric-check-count", "a criterion names no check, or more than one",
    "Each criterion scores one check (`params:`, `count:`, `receptive_field:`, ...) so that "
    "its points and feedback say one thing. Split a criterion that names two.",
    "criteria:\n  - name: size\n    params: {max: 100000}\n    macs: {max: 1000000}\n")
UNKNOWN_RUBRIC_KIND = declare(
    "NS705", "rubric-unknown-kind", "a rubric names a layer kind that does not exist",
    "Kinds in `count:`, `setting:`, `receptive_field: {last: ...}`, `required_kinds:` and "
    "`forbidden_kinds:` are netspec's kind names (`netspec kinds` lists them); a kind that "
    "does not exist would match no layer, silently.",
    _CRITERION.format(check="count: {kind: convolution, min: 3}"))
UNKNOWN_RUBRIC_SETTING = declare(
    "NS706", "rubric-unknown-setting", "a setting bound names no setting of its kind",
    "`setting: {kind: dense, setting: units, max: 256}` bounds a setting the kind has "
    "(`netspec kinds dense` lists them).",
    _CRITERION.format(check="setting: {kind: dense, setting: width, max: 256}"))
UNKNOWN_RUBRIC_CODE = declare(
    "NS707", "rubric-unknown-code", "`no_warnings:` names no diagnostic code",
    "Rubrics refer to diagnostics by their stable codes (NS402) or names (ragged-window), "
    "never by message text; `netspec check --explain all` lists them.",
    _CRITERION.format(check="no_warnings: [NS999]"))
BAD_BOUND = declare(
    "NS708", "rubric-bad-bound", "a bound states neither min nor max, or a min above its max",
    "A bound is `{min: N}`, `{max: N}` or both with min <= max; one that no network can meet, "
    "or that says nothing, is a mistake in the rubric. A receptive field is measured at one "
    "place: `layer:`, `last:` or (neither) the output.",
    _CRITERION.format(check="params: {min: 200000, max: 100000}"))
NOT_PROPORTIONAL = declare(
    "NS709", "rubric-not-proportional", "proportional scoring on a check that has no bound",
    "`scoring: proportional` scales the points by how close the network comes to a bound, "
    "which a shape, a list of kinds or warnings do not have: those score all or nothing.",
    _CRITERION.format(check="output_shape: [10]\n    scoring: proportional"))
DUPLICATE_CRITERION = declare(
    "NS710", "rubric-duplicate-name", "two criteria have the same name",
    "A criterion's name heads its feedback and its gradebook column, so each is unique. "
    "Without `name:` a criterion is named after its check: name one of the two.",
    "criteria:\n  - params: {max: 100000}\n  - params: {min: 1000}\n")

# The checks a criterion can name (one each), what each says, and whether it has a bound that
# proportional scoring can scale by.
CHECKS: dict[str, tuple[str, bool]] = {
    "input_shape": ("the input shape the submission must declare", False),
    "output_shape": ("the network's output shape", False),
    "params": ("a bound on learnable parameters (weights + biases)", True),
    "macs": ("a bound on multiply-accumulates per sample", True),
    "activation_memory": ("a bound on activation bytes per sample (float32)", True),
    "layer_count": ("a bound on the number of layers", True),
    "required_kinds": ("kinds the network must use, each at least once", False),
    "forbidden_kinds": ("kinds the network must not use", False),
    "count": ("a bound on the number of layers of a kind", True),
    "setting": ("a bound on a setting of every layer of a kind", True),
    "receptive_field": ("a minimum receptive field at the output or a layer", True),
    "no_warnings": ("diagnostic codes the check must not warn of", False),
}

Points = Annotated[float, Constrain(strict=True, ge=0, le=1_000_000)]
Number = Annotated[float, Constrain(strict=True, allow_inf_nan=False)]
Path_ = Annotated[str, Constrain(min_length=1, max_length=4096)]  # a constrained str: messages
# name a union of it and a mapping as one setting (a plain str's union tag reads as a key)
KindName = Annotated[str, Constrain(max_length=64)]
Kinds = KindName | Annotated[list[KindName], Constrain(min_length=1)]
Shape = Annotated[list[Size], Constrain(min_length=1, max_length=4)]


class Bound(SpecModel):
    """At least ``min``, at most ``max``, or both."""

    min: Count | None = setting(default=None, doc="at least this many")
    max: Count | None = setting(default=None, doc="at most this many")


class KindCount(Bound):
    """How many layers of a kind (or of any of several kinds) the network has."""

    kind: Kinds = setting(doc="a layer kind, or a list of kinds counted together")


class SettingBound(SpecModel):
    """A bound on a setting of every layer of a kind: every number in it (each axis of a
    per-axis setting) must lie within. Its bounds are numbers (a dropout rate), not counts."""

    min: Number | None = setting(default=None, doc="at least this")
    max: Number | None = setting(default=None, doc="at most this")
    kind: Kinds = setting(doc="a layer kind, or a list of kinds")
    # last: from here on, `setting` in this class body is this field, no longer the function
    setting: KindName = setting(doc="the setting, as a spec writes it (units, kernel, filters)")


class FieldBound(SpecModel):
    """The receptive field one position sees, at the output, a named layer or the last layer
    of a kind."""

    min: Size | Annotated[list[Size], Constrain(min_length=1, max_length=3)] = setting(
        doc="at least this many input positions on every spatial axis, or one per axis")
    layer: Ref | None = setting(default=None, doc="measure at the layer of this name")
    last: Kinds | None = setting(default=None, doc="measure at the last layer of this kind")


class Limits(SpecModel):
    """Caps on each submission: one over them is graded invalid, with the reason."""

    bytes: Annotated[int, Constrain(strict=True, ge=1, le=MAX_BYTES)] = setting(
        default=65_536, doc="the largest file accepted")
    layers: Annotated[int, Constrain(strict=True, ge=1, le=MAX_LAYERS)] = setting(
        default=2_000, doc="the most layers a network may have once repeats are expanded")
    seconds: Annotated[float, Constrain(strict=True, gt=0, le=600)] = setting(
        default=5.0, doc="the longest a submission may take to grade")


class Criterion(SpecModel):
    """One scored check, with its points. Names exactly one of the checks."""

    name: Annotated[str, Constrain(min_length=1, max_length=80)] | None = setting(
        default=None, doc="heads its feedback and gradebook column; default: its check")
    points: Points = setting(default=1, doc="what meeting the check earns")
    message: str | None = setting(default=None, doc="shown to a student who misses it")
    scoring: Literal["all", "proportional"] = setting(
        default="all", doc="all or nothing; or proportional to how close a bound is met")
    input_shape: Shape | None = setting(default=None, doc=CHECKS["input_shape"][0])
    output_shape: Shape | None = setting(default=None, doc=CHECKS["output_shape"][0])
    params: Bound | None = setting(default=None, doc=CHECKS["params"][0])
    macs: Bound | None = setting(default=None, doc=CHECKS["macs"][0])
    activation_memory: Bound | None = setting(default=None, doc=CHECKS["activation_memory"][0])
    layer_count: Bound | None = setting(default=None, doc=CHECKS["layer_count"][0])
    required_kinds: Annotated[list[KindName], Constrain(min_length=1)] | None = setting(
        default=None, doc=CHECKS["required_kinds"][0])
    forbidden_kinds: Annotated[list[KindName], Constrain(min_length=1)] | None = setting(
        default=None, doc=CHECKS["forbidden_kinds"][0])
    count: KindCount | None = setting(default=None, doc=CHECKS["count"][0])
    receptive_field: FieldBound | None = setting(default=None, doc=CHECKS["receptive_field"][0])
    no_warnings: Annotated[list[str], Constrain(min_length=1)] | None = setting(
        default=None, doc=CHECKS["no_warnings"][0])
    # last: from here on, `setting` in this class body is this field, no longer the function
    setting: SettingBound | None = setting(default=None, doc=CHECKS["setting"][0])

    def checks(self) -> list[str]:
        """The checks this criterion names (exactly one in a valid rubric)."""
        return [key for key in CHECKS if getattr(self, key) is not None]

    @property
    def check(self) -> str:
        return self.checks()[0]

    @property
    def value(self) -> Any:
        return getattr(self, self.check)


class Rubric(SpecModel):
    """An assignment's rubric: what a submitted spec is scored by, criterion by criterion."""

    assignment: str | None = setting(default=None, doc="the assignment's title, for reports")
    reference: Path_ | dict[str, Any] | None = setting(
        default=None, doc="a reference solution: a spec file (relative to the rubric) or a "
        "spec written inline; every submission is compared with it")
    invalid: Points = setting(
        default=0, doc="the score of a submission that cannot be read, built or checked")
    limits: Limits | None = setting(default=None, doc="caps on each submission")
    criteria: Annotated[list[Criterion], Constrain(min_length=1, max_length=500)] = setting(
        doc="what is scored, in order")


class RubricFile(NamedTuple):
    """A validated rubric, where it was read from, and the names of its criteria."""

    rubric: Rubric
    file: str  # as given
    doc: Document
    names: tuple[str, ...]  # each criterion's name (given, or made from its check)
    checks: tuple[str, ...]  # each criterion's check
    codes: tuple[tuple[str, ...], ...]  # no_warnings normalised to code ids, per criterion

    @property
    def limits(self) -> Limits:
        return self.rubric.limits or Limits()

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.rubric.criteria)


_SCHEMA_CODES = {UNKNOWN_KEY: UNKNOWN_RUBRIC_KEY, MISSING_SETTING: MISSING_RUBRIC_SETTING,
                 INVALID_VALUE: INVALID_RUBRIC_VALUE}


def read_rubric(path: str) -> RubricFile:
    """The rubric at ``path``, read with the bounded loading specs have; SpecError with every
    problem found."""
    try:
        doc = load_text(read_file(path), path)
    except SpecError as e:
        raise SpecError([_as_rubric(d) for d in e.diagnostics]) from None
    return parse_rubric(doc)


def _as_rubric(d: Diagnostic) -> Diagnostic:
    """The reader's words for an empty file or one that is not a mapping, said of a rubric."""
    if d.code not in (EMPTY, NOT_A_MAPPING):
        return d
    said = "the rubric is empty" if d.code == EMPTY else d.message.replace("a spec", "a rubric")
    return d._replace(message=said, hint="a rubric is a mapping with at least `criteria:` "
                      "(docs/grading.md)")


def parse_rubric(doc: Document) -> RubricFile:
    """Validate a loaded rubric: its schema, then what the schema cannot say."""
    try:
        rubric = validate(Rubric, doc.data)
    except ValidationError as e:
        raise SpecError([_located(doc, p.loc, p.message, _SCHEMA_CODES.get(p.code, p.code),
                                  p.hint, p.at_key)
                           for p in translate(e, Rubric, "the rubric", False, doc.data)]) from None
    problems: list[Diagnostic] = []
    codes = []
    for i, c in enumerate(rubric.criteria):
        problems += _check_criterion(doc, ("criteria", i), c)
        codes.append(_codes(doc, ("criteria", i, "no_warnings"), c.no_warnings or [], problems))
    names = tuple(c.name or (default_name(c) if len(c.checks()) == 1 else f"criterion {i + 1}")
                  for i, c in enumerate(rubric.criteria))
    for i, name in enumerate(names):
        if name in names[:i]:
            problems.append(_located(
                doc, ("criteria", i), f"criterion {i + 1} is named '{name}', as criterion "
                f"{names.index(name) + 1} is", DUPLICATE_CRITERION,
                "give one of them its own `name:`"))
    if problems:
        raise SpecError(problems)
    return RubricFile(rubric, doc.file, doc, names, tuple(c.check for c in rubric.criteria),
                      tuple(codes))


def default_name(c: Criterion) -> str:
    """A criterion's name when it has none: its check, and the kind or layer it is about."""
    value = c.value
    words = c.check.replace("_", " ")
    if isinstance(value, (KindCount, SettingBound)):
        kinds = "/".join(as_list(value.kind))
        return f"{kinds} {value.setting}" if isinstance(value, SettingBound) else \
            f"{kinds} count"
    if isinstance(value, FieldBound) and (value.layer or value.last):
        return f"{words} at {value.layer or 'last ' + '/'.join(as_list(value.last))}"
    return words


def _check_criterion(doc: Document, path: tuple, c: Criterion) -> list[Diagnostic]:
    checks = c.checks()
    if len(checks) != 1:
        said = f"names {len(checks)} checks ({', '.join(checks)})" if checks else \
            "names no check"
        return [_located(doc, path, f"criterion {path[1] + 1} {said}", CHECK_COUNT,
                         "one check per criterion; the checks are: " + ", ".join(CHECKS))]
    key = checks[0]
    where = path + (key,)
    found: list[Diagnostic] = []
    if c.scoring == "proportional" and not CHECKS[key][1]:
        found.append(_located(doc, path + ("scoring",), f"{key} has no bound to score "
                              "proportionally", NOT_PROPORTIONAL, "use `scoring: all`"))
    value = c.value
    for kind, kpath in _kinds_named(key, value, where):
        if kind not in KINDS:
            found.append(_located(doc, kpath, f"unknown layer kind '{kind}'", UNKNOWN_RUBRIC_KIND,
                                  did_you_mean(kind, KINDS) or "`netspec kinds` lists them"))
    if isinstance(value, (Bound, SettingBound)):
        found += _check_bound(doc, where, value)
    if isinstance(value, SettingBound):
        found += _check_setting(doc, where, value)
    if isinstance(value, FieldBound) and value.layer and value.last:
        found.append(_located(doc, where, "receptive_field names both `layer:` and `last:`",
                              BAD_BOUND, "measure at one place: keep one of them"))
    return found


def _kinds_named(key: str, value: Any, where: tuple) -> list[tuple[str, tuple]]:
    """Every kind a check names, with the path of where it is written."""
    if key in ("required_kinds", "forbidden_kinds"):
        return [(k, where + (i,)) for i, k in enumerate(value)]
    for attr in ("kind", "last"):
        named = getattr(value, attr, None)
        if isinstance(named, str):
            return [(named, where + (attr,))]
        if isinstance(named, list):
            return [(k, where + (attr, i)) for i, k in enumerate(named)]
    return []


def _check_bound(doc: Document, where: tuple, b: Bound | SettingBound) -> list[Diagnostic]:
    if b.min is None and b.max is None:
        return [_located(doc, where, "a bound needs `min:`, `max:` or both", BAD_BOUND,
                         "e.g. {max: 100000}")]
    if b.min is not None and b.max is not None and b.min > b.max:
        return [_located(doc, where + ("min",), f"min {number(b.min)} is above max "
                         f"{number(b.max)}: no network meets this bound", BAD_BOUND,
                         "swap them")]
    return []


def _check_setting(doc: Document, where: tuple, b: SettingBound) -> list[Diagnostic]:
    found = []
    for kind in as_list(b.kind):
        if kind not in KINDS:
            continue  # reported as an unknown kind
        settings = [f for f in field_docs(KINDS[kind]) if f not in COMMON]
        if b.setting not in settings:
            found.append(_located(
                doc, where + ("setting",), f"'{b.setting}' is not a setting of {kind}",
                UNKNOWN_RUBRIC_SETTING, did_you_mean(b.setting, settings)
                or f"{kind} takes: {', '.join(settings)}"))
    return found


def _codes(doc: Document, where: tuple, words: list[str], problems: list) -> tuple[str, ...]:
    """``no_warnings:`` as code ids (names and any case accepted); unknown ones reported."""
    ids = []
    for i, word in enumerate(words):
        code = lookup(word)
        if code is None:
            names = [] if word.upper().startswith("NS") else [c.name for c in CODES.values()]
            problems.append(_located(doc, where + (i,), f"no diagnostic code '{word}'",
                                     UNKNOWN_RUBRIC_CODE, did_you_mean(word, names)
                                     or "`netspec check --explain all` lists them"))
        else:
            ids.append(code.id)
    return tuple(ids)


def _located(doc: Document, path: tuple, message: str, code: str, hint: str | None = None,
             at_key: bool = False) -> Diagnostic:
    where = doc.where_key(path) if at_key else doc.where(path)
    return Diagnostic("error", message, where, hint=hint, code=code)


def number(value: float) -> str:
    """1,000 and 0.5: whole numbers without a decimal point."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,}"


def as_list(value: str | list[str] | None) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def reference_document(rf: RubricFile) -> Document | None:
    """The reference solution as a loaded document: a file beside the rubric (bounded loading),
    or the spec written inline, located in the rubric's own file. None without one."""
    ref = rf.rubric.reference
    if ref is None:
        return None
    if isinstance(ref, str):
        path = str(Path(rf.file).parent / ref) if not Path(ref).is_absolute() else ref
        return load_text(read_file(path), path)
    prefix = ("reference",)
    inner = {p[1:]: at for p, at in rf.doc.locations.items() if p[:1] == prefix}
    keys = {p[1:]: at for p, at in rf.doc.key_locations.items() if p[:1] == prefix}
    return Document(ref, inner, rf.file, keys)


def rubric_schema() -> dict[str, Any]:
    """The rubric's JSON Schema, for editors: pydantic's, with "exactly one check" stated."""
    from pydantic import TypeAdapter  # pydantic's schema generator: only for this command

    schema = TypeAdapter(Rubric).json_schema(ref_template="#/$defs/{model}")
    criterion = schema["$defs"]["Criterion"]
    criterion["oneOf"] = [{"required": [key]} for key in CHECKS]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "netspec grading rubric"
    return schema
