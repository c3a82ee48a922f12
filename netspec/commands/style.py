"""Colour on a terminal: errors, warnings and hints in diagnostics, the table's header.

`--color auto` (the default) colours a stream that is a terminal, unless the NO_COLOR
environment variable is set to anything (no-color.org) or TERM is `dumb`; `always` colours
pipes too (and wins over NO_COLOR, as a command-line choice does); `never` never colours. The
command line sets the mode once (:func:`configure`); the views themselves stay plain text."""
from __future__ import annotations

import os
import re
from typing import TextIO

MODES = ("auto", "always", "never")
_mode = "auto"

RED, YELLOW, CYAN, GREEN, BOLD, RESET = ("\033[1;31m", "\033[1;33m", "\033[36m", "\033[32m",
                                         "\033[1m", "\033[0m")
_SEVERITY = re.compile(r"^(.*?)\b(error|warning)(\[NS\d+\])?:", re.M)
_HINT = re.compile(r"^(\s+)(hint:)", re.M)


def configure(mode: str) -> None:
    global _mode
    _mode = mode


def enabled(stream: TextIO) -> bool:
    if _mode != "auto":
        return _mode == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def diagnostic(text: str, stream: TextIO) -> str:
    """A formatted diagnostic (or a usage error) with its severity and code in colour."""
    if not enabled(stream):
        return text

    def severity(m: re.Match) -> str:
        colour = RED if m.group(2) == "error" else YELLOW
        return f"{m.group(1)}{colour}{m.group(2)}{m.group(3) or ''}{RESET}:"

    return _HINT.sub(rf"\1{CYAN}\2{RESET}", _SEVERITY.sub(severity, text, count=1))


def ok(text: str, stream: TextIO) -> str:
    return f"{GREEN}{text}{RESET}" if enabled(stream) else text


def bold(text: str, stream: TextIO) -> str:
    return f"{BOLD}{text}{RESET}" if enabled(stream) else text
