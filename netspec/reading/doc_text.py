"""The docs of the format's classes as users read them: `netspec kinds` and an editor's hover
show the first paragraph of a kind's docstring, without the reStructuredText written for
developers (``code`` becomes `code`, :class:`x` becomes `x`)."""
from __future__ import annotations

import re

_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")


def plain(text: str) -> str:
    """One line of Markdown-ish text: roles and double backticks become single backticks."""
    text = _ROLE.sub(lambda m: f"`{m.group(1).rsplit('.', 1)[-1]}`", text)
    text = _LITERAL.sub(r"`\1`", text).replace("\\ ", "")
    return " ".join(text.split())


def summary(cls: type) -> str:
    """The docstring's first paragraph on one line (the rest is for developers)."""
    return plain((cls.__doc__ or "").strip().split("\n\n")[0])
