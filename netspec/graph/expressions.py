"""Arithmetic in a block's settings: ``$hidden // 4``, ``divisible($c * $width, 8)``,
``$stride == 1 and $input.channels == $filters``.

A small grammar read by a recursive-descent parser, never ``eval``: a spec is untrusted input,
and a located message with the values filled in teaches more than Python's. Names are a block's
``$parameters`` and the shape of what feeds the block (``$input.channels``, ``$input.height``,
``$input.width``); the functions are ``min``, ``max``, ``ceil``, ``floor`` and ``divisible``,
torchvision's ``_make_divisible`` (round to the nearest multiple, never more than 10% down),
so that width multipliers are written as torchvision computes them.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from ..core.codes import declare

BAD_EXPRESSION = declare(
    "NS318", "bad-expression", "a block setting's expression cannot be read or worked out",
    "Inside a block, a setting may be an expression over the block's `$parameters` and its "
    "input's shape (`$input.channels`, `$input.height`, `$input.width`): numbers, "
    "`+ - * / // %`, parentheses, comparisons, `and`/`or`/`not`, and the functions min, max, "
    "ceil, floor and divisible(value, multiple) (torchvision's _make_divisible). The message "
    "shows the values the names had.",
    "input: [3, 32, 32]\nblocks:\n  unit:\n    params: {width: 8}\n"
    "    layers: [{conv: {filters: $width // 0, kernel: 3}}]\nlayers: [unit]\n")

MAX_LENGTH = 500  # characters: an expression is a line of arithmetic, not a program
MAX_DEPTH = 50  # nesting of parentheses and operators, so a hostile one cannot overflow
MAX_MAGNITUDE = 2 ** 62  # a value beyond any tensor size: refused before it grows further
INPUT_AXES = ("channels", "height", "width")

_TOKEN = re.compile(r"\s*(?:(\d+\.\d*|\d*\.\d+|\d+)|(\$[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_]+)?)"
                    r"|([A-Za-z_][A-Za-z0-9_]*)|(//|==|!=|<=|>=|[-+*/%(),<>]))")
_KEYWORDS = {"and", "or", "not", "true", "false"}
# name -> (fewest arguments, most arguments or None for any, the function)
_FUNCTIONS: dict[str, tuple[int, int | None, Callable[..., Any]]] = {}


class ExpressionError(Exception):
    """An expression that cannot be read or worked out; the message says why, with values."""


def looks_like_expression(value: Any) -> bool:
    """Whether a setting's value is an expression: a string naming a parameter with anything
    around it (a plain ``$name`` is substituted as is, keeping its type)."""
    return (isinstance(value, str) and "$" in value
            and not re.fullmatch(r"\$[A-Za-z_][A-Za-z0-9_]*", value.strip()))


def input_values(shape: tuple[int, ...]) -> dict[str, Any]:
    """What ``$input.<axis>`` means for a block whose input has ``shape`` (channels first;
    a flat input's features are its channels)."""
    found: dict[str, Any] = {"input": shape, "input.channels": shape[0]}
    if len(shape) >= 3:
        found["input.height"] = shape[-2]
    if len(shape) >= 2:
        found["input.width"] = shape[-1]
    return found


def names_in(text: str) -> list[str]:
    """The ``$names`` an expression reads (``$input.channels`` as ``input.channels``)."""
    return re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_]+)?)", text)


def evaluate(text: str, values: Mapping[str, Any]) -> int | float | bool:
    """The value of ``text`` with ``values`` for its names (``input.channels`` included).
    A whole float comes back as an int, as a setting that counts things expects."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"an expression is at most {MAX_LENGTH} characters")
    parser = _Parser(_tokens(text), values)
    result = parser.expression()
    if parser.peek() is not None:
        raise ExpressionError(f"unexpected '{parser.peek()}' after a complete expression")
    if isinstance(result, float) and result.is_integer():
        return int(result)
    return result


def _tokens(text: str) -> list[str]:
    found, at = [], 0
    while at < len(text.rstrip()):
        m = _TOKEN.match(text, at)
        if not m:
            rest = text[at:].strip()
            column = len(text) - len(text[at:].lstrip()) + 1
            raise ExpressionError(f"cannot read '{rest[:20]}' (at character {column})" + (
                ": compare with '=='" if rest.startswith("=") else ""))
        found.append(m.group(m.lastindex or 0))
        at = m.end()
    return found


class _Parser:
    """One pass over the tokens, lowest precedence first: or, and, not, comparison, sum,
    product, sign, atom."""

    def __init__(self, tokens: list[str], values: Mapping[str, Any]):
        self.tokens, self.at, self.values, self.depth = tokens, 0, values, 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None:
            raise ExpressionError("the expression ends too early"
                                  + (f": '{expected}' is missing" if expected else ""))
        if expected is not None and token != expected:
            raise ExpressionError(f"expected '{expected}', found '{token}'")
        self.at += 1
        return token

    def nested(self, parse: Callable[[], Any]) -> Any:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"the expression nests deeper than {MAX_DEPTH}")
        try:
            return parse()
        finally:
            self.depth -= 1

    def expression(self) -> Any:
        return self.nested(self.disjunction)

    def disjunction(self) -> Any:
        value = self.conjunction()
        while self.peek() == "or":
            self.take()
            right = self.conjunction()
            value = _truth(value, "or") or _truth(right, "or")
        return value

    def conjunction(self) -> Any:
        value = self.negation()
        while self.peek() == "and":
            self.take()
            right = self.negation()
            value = _truth(value, "and") and _truth(right, "and")
        return value

    def negation(self) -> Any:
        if self.peek() == "not":
            self.take()
            return not _truth(self.nested(self.negation), "not")
        return self.comparison()

    def comparison(self) -> Any:
        left = self.sum()
        op = self.peek()
        if op in _COMPARE:
            self.take()
            right = self.sum()
            return _COMPARE[op](_number(left, op), _number(right, op))
        return left

    def sum(self) -> Any:
        value = self.product()
        while self.peek() in ("+", "-"):
            op = self.take()
            value = _arith(op, value, self.product())
        return value

    def product(self) -> Any:
        value = self.sign()
        while self.peek() in ("*", "/", "//", "%"):
            op = self.take()
            value = _arith(op, value, self.sign())
        return value

    def sign(self) -> Any:
        if self.peek() in ("-", "+"):
            op = self.take()
            value = _number(self.nested(self.sign), op)
            return -value if op == "-" else value
        return self.atom()

    def atom(self) -> Any:
        token = self.take()
        if token == "(":
            value = self.expression()
            self.take(")")
            return value
        if token[0].isdigit() or token[0] == ".":
            return _checked(float(token) if "." in token else int(token))
        if token.startswith("$"):
            return self.name(token[1:])
        if token in ("true", "false"):
            return token == "true"
        if token in _FUNCTIONS:
            return self.call(token)
        raise ExpressionError(f"unexpected '{token}'" + (
            "" if token in _KEYWORDS or not token.isidentifier() else
            f": the functions are {', '.join(_FUNCTIONS)}, and parameters start with $"))

    def name(self, name: str) -> Any:
        if name not in self.values:
            axis = name.partition(".")[2]
            if name.startswith("input.") and axis in INPUT_AXES and "input" in self.values:
                raise ExpressionError(f"${name}: the block's input {self.values['input']} has "
                                      f"no {axis} axis")
            raise ExpressionError(f"${name} is not known here" + (
                f" (the input's axes: {', '.join(INPUT_AXES)})" if name.startswith("input.")
                else ""))
        value = self.values[name]
        if not isinstance(value, (bool, int, float)):
            raise ExpressionError(f"${name} is {value!r}, not a number")
        return value

    def call(self, function: str) -> Any:
        least, most, apply = _FUNCTIONS[function]
        self.take("(")
        args = [self.expression()]
        while self.peek() == ",":
            self.take()
            args.append(self.expression())
        self.take(")")
        if not least <= len(args) <= (most or len(args)):
            wanted = str(least) if least == most else (
                f"{least} or {most}" if most else f"{least} or more")
            raise ExpressionError(f"{function}() takes {wanted} arguments, got {len(args)}")
        return apply(*(_number(a, function) for a in args))


def _truth(value: Any, op: str) -> bool:
    if not isinstance(value, bool):
        raise ExpressionError(f"'{op}' needs true or false, got {value!r}: compare it "
                              "(`== 1`) first")
    return value


def _number(value: Any, op: str) -> int | float:
    if isinstance(value, bool):
        raise ExpressionError(f"'{op}' needs a number, got {str(value).lower()}")
    return value


def _checked(value: int | float) -> int | float:
    if abs(value) > MAX_MAGNITUDE:
        raise ExpressionError("a value beyond 2^62 (any tensor size) comes up")
    return value


def _arith(op: str, left: Any, right: Any) -> int | float:
    a, b = _number(left, op), _number(right, op)
    if op in ("/", "//", "%") and b == 0:
        raise ExpressionError(f"{_show(a)} {op} {_show(b)} divides by zero")
    result = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
              "//": lambda: a // b, "%": lambda: a % b}[op]()
    return _checked(result)


def _show(value: int | float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def divisible(value: float, multiple: float, least: float | None = None) -> int:
    """torchvision's ``_make_divisible``: ``value`` rounded to the nearest multiple of
    ``multiple`` (at least ``least``, which defaults to the multiple), and one multiple more
    when rounding would lose more than 10% of the value."""
    if multiple <= 0:
        raise ExpressionError(f"divisible({_show(value)}, {_show(multiple)}): the multiple "
                              "must be positive")
    least = multiple if least is None else least
    rounded = max(least, int(value + multiple / 2) // multiple * multiple)
    if rounded < 0.9 * value:
        rounded += multiple
    return int(_checked(rounded))


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
_FUNCTIONS.update({
    "min": (2, None, min), "max": (2, None, max),
    "ceil": (1, 1, lambda v: _checked(math.ceil(v))),
    "floor": (1, 1, lambda v: _checked(math.floor(v))),
    "divisible": (2, 3, divisible),
})
