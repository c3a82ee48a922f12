"""The base of the spec format's classes, and the constrained types their fields use.

Every class of the format (a layer kind, ``SpecFile``, ``BlockDef``) is a frozen, keyword-only
stdlib dataclass that subclasses :class:`SpecModel`; pydantic validates it and writes its JSON
Schema, as it does for any dataclass. They are not pydantic ``BaseModel``\\ s, and their field
types carry :class:`Constrain` rather than pydantic's ``Field``/``Strict``, because defining
them must not import pydantic's Python side: ``netspec check`` runs cached validators with
pydantic-core alone (see :mod:`netspec.core.validation`), and importing ``pydantic.main`` would
cost a fresh process more than the whole check. Each class registers itself with the validation
module when it is defined, so that the cache can hold its schema.
"""
from __future__ import annotations

import dataclasses
from typing import Annotated, Any, ClassVar

from typing_extensions import dataclass_transform

from . import validation

MAX_INT = 2**31 - 1  # sizes, filters, units: what a framework's int32 shape can hold
MAX_COUNT = 10**15  # parameter counts: the notes' fully connected layer alone has 1.4e10


class Constrain:
    """``Annotated`` metadata adding pydantic-core constraints to a type's core schema.

    ``Annotated[int, Constrain(ge=1, strict=True)]`` validates like pydantic's
    ``Annotated[int, Strict(), Field(ge=1)]``, and its JSON Schema says ``minimum: 1``. The keys
    are those of the type's core schema (``ge``, ``lt``, ``max_length``, ``pattern``, ...);
    pydantic-core rejects any other when it builds the validator.
    """

    def __init__(self, **constraints: Any):
        self.constraints = constraints

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> dict:
        return {**handler(source), **self.constraints}

    def __repr__(self) -> str:
        return f"Constrain({', '.join(f'{k}={v!r}' for k, v in self.constraints.items())})"


Size = Annotated[int, Constrain(strict=True, ge=1, le=MAX_INT)]
NonNeg = Annotated[int, Constrain(strict=True, ge=0, le=MAX_INT)]
Count = Annotated[int, Constrain(strict=True, ge=0, le=MAX_COUNT)]
Rate = Annotated[float, Constrain(ge=0.0, lt=1.0)]
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
# A reference to an earlier layer: a name, a dotted name inside blocks, or a block's $input.
REF_PATTERN = r"^(\$input|[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*)$"
# What a pattern means, for messages (a regex is no help to a spec's author).
PATTERN_WORDS = {
    NAME_PATTERN: "should be a name of letters, digits and _ that does not start with a digit",
    REF_PATTERN: "should name an earlier layer (letters, digits and _, not starting with a "
                 "digit; dotted inside blocks) or be $input",
}
Name = Annotated[str, Constrain(pattern=NAME_PATTERN, max_length=64)]
Ref = Annotated[str, Constrain(pattern=REF_PATTERN, max_length=256)]


def setting(*, default: Any = dataclasses.MISSING, doc: str | None = None,
            default_factory: Any = dataclasses.MISSING) -> Any:
    """A field with a description, which the JSON Schema and the error for a missing setting
    show."""
    return dataclasses.field(default=default, default_factory=default_factory,
                             metadata={"doc": doc} if doc else {})


def field_docs(cls: type) -> dict[str, str | None]:
    """The settings of a spec class, in declaration order (base classes' first), with their docs."""
    return {f.name: f.metadata.get("doc") for f in dataclasses.fields(cls)}


def _json_schema_docs(schema: dict, cls: type) -> None:
    """pydantic's ``json_schema_extra`` hook: each field's ``doc`` as its description."""
    docs = field_docs(cls)
    for field, prop in schema.get("properties", {}).items():
        if docs.get(field):
            prop["description"] = docs[field]


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(setting,))
class SpecModel:
    """Subclasses become frozen, keyword-only dataclasses that refuse unknown keys.

    ``Dense(units=10)`` validates its settings as a spec's would (``ValidationError`` on bad
    ones). Instances are normally made by the validators, which fill ``__dict__`` directly, so
    the dataclass decorator generates no methods: one generic ``__init__``, ``__repr__``,
    ``__eq__`` and frozen ``__setattr__`` here serve every class, and defining the ~40 classes
    costs a fresh process next to nothing.
    """

    __pydantic_config__: ClassVar[dict] = {"extra": "forbid",
                                           "json_schema_extra": _json_schema_docs}

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(init=False, repr=False, eq=False, kw_only=True)(cls)
        validation.register(cls)

    def __init__(self, **values: Any):
        object.__setattr__(self, "__dict__", validation.validate(type(self), values).__dict__)

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({settings})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    __hash__ = None  # type: ignore[assignment]  # equal by value, but lists are unhashable

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
