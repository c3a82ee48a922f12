"""User-facing problems: where they are, what is wrong, and how to fix it.

Layer kinds raise :class:`LayerError` with plain arithmetic; the graph walker adds the location
and the layer's identity (the ONNX way: the operator says what, the walker says where). Everything
a user can get wrong ends as a :class:`SpecError` holding one or more :class:`Diagnostic`; the CLI
prints those and exits 1, never a traceback.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Location(NamedTuple):
    """A 1-based position in a spec file."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class Diagnostic(NamedTuple):
    """One finding about a spec, formatted like a compiler message:
    ``hw3.yaml:23:32: error[NS401]: layer 4 'down2' (conv): output height is ...``."""

    severity: str  # "error" or "warning"
    message: str
    location: Location | None = None
    layer: str | None = None  # e.g. "layer 4 'down2' (conv)"
    details: tuple[str, ...] = ()
    hint: str | None = None
    code: str | None = None  # the stable code (netspec.core.codes), e.g. "NS401"

    def format(self) -> str:
        where = f"{self.location}: " if self.location else ""
        who = f"{self.layer}: " if self.layer else ""
        code = f"[{self.code}]" if self.code else ""
        lines = [f"{where}{self.severity}{code}: {who}{self.message}"]
        lines += [f"  {d}" for d in self.details]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        loc = self.location
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "col": loc.col if loc else None,
            "layer": self.layer,
            "details": list(self.details),
            "hint": self.hint,
        }


class SpecError(Exception):
    """The spec is invalid; carries every diagnostic found (errors and warnings)."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))

    @classmethod
    def single(cls, message: str, location: Location | None = None, **kw: Any) -> SpecError:
        return cls([Diagnostic("error", message, location, **kw)])


@dataclass
class LayerError(Exception):
    """Raised by a layer kind's rules; the walker turns it into a located Diagnostic."""

    message: str
    details: list[str] = field(default_factory=list)
    hint: str | None = None
    key: str | None = None  # the parameter at fault, to point at its line
    code: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)


class UsageError(Exception):
    """The command line itself is wrong (exit code 2)."""
