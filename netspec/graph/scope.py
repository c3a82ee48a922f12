"""Names and references inside blocks and groups, mirroring how PyTorch names submodules.

A block instance is a module with named children (``layer1.0.conv1``); a named group is like
``nn.Sequential``: its children are numbered (``downsample.0``). A reference is looked up from
the innermost scope outwards and stops at the enclosing block, whose input is ``$input``. A
group's or block instance's name stands for its last layer, dotted too (``layer2.0``, ``g.h``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .network import INPUT

BLOCK_INPUT = "$input"


@dataclass
class Scope:
    prefix: str = ""  # "layer1.0." inside that block
    numbered: bool = False  # a named group: children default to their position
    block_input: str | None = None  # full name of what feeds the enclosing block
    opaque: bool = False  # a block: lookups stop here
    names: dict[str, str] = field(default_factory=dict)  # local name -> full name
    containers: dict[str, str] = field(default_factory=dict)  # groups and blocks, local -> full
    counters: dict[str, int] = field(default_factory=dict)
    position: int = 0


class Scopes:
    """The stack of open scopes while a spec is expanded."""

    def __init__(self) -> None:
        self.stack = [Scope()]
        self.ends: dict[str, str] = {}  # full name of a closed group or block -> its last layer

    @property
    def top(self) -> Scope:
        return self.stack[-1]

    def push(self, scope: Scope) -> None:
        self.stack.append(scope)

    def pop(self) -> Scope:
        return self.stack.pop()

    def local_name(self, kind: str, given: str | None) -> str:
        """The given name, else the position inside a numbered group, else kind and running
        number: the n-th conv of a scope is ``conv<n>``, named or not. A kind ending in a digit
        gets a separator (``relu6_1``), or the 61st relu and the first relu6 would collide.
        A child named with digits sets the numbering: the children after it count on."""
        top = self.stack[-1]
        top.counters[kind] = top.counters.get(kind, 0) + 1
        if given and given.isdigit():  # a numbered child (`name: 3`): the next is 4
            top.position = int(given)
        if given:
            return given
        if top.numbered:
            return str(top.position)
        return f"{kind}{'_' if kind[-1].isdigit() else ''}{top.counters[kind]}"

    def claim(self, local: str) -> str:
        """Register a child by its local name; returns its full, dotted name."""
        top = self.stack[-1]
        top.position += 1
        full = top.prefix + local
        top.names[local] = full
        return full

    def open_container(self, local: str) -> str:
        """Claim the name of a group or block instance that is about to be expanded, so that
        dotted names through it resolve (``layer1.0.conv1``); returns its full name."""
        full = self.claim(local)
        self.top.containers[local] = full
        return full

    def close_container(self, local: str, full: str, last: str) -> None:
        """Once a group or block instance is expanded (and its scope popped): let its name, and
        its full dotted name, stand for its last layer."""
        self.top.names[local] = last
        self.ends[full] = last

    def resolve(self, ref: str) -> str | None:
        """The full name a reference means here; None for ``$input`` outside a block. A dotted
        name starts with a group or block that is visible here; if it names a group or block
        itself, it means that one's last layer."""
        if ref == BLOCK_INPUT:
            return next((s.block_input for s in reversed(self.stack) if s.opaque), None)
        head, _, rest = ref.partition(".")
        for scope in reversed(self.stack):
            if ref in scope.names:
                return scope.names[ref]
            if rest and head in scope.containers:
                full = f"{scope.containers[head]}.{rest}"
                return self.ends.get(full, full)
            if scope.opaque:
                break
        if ref == INPUT or not self.top.prefix:
            return ref
        return self.top.prefix + ref  # unknown here: reported later, under its full name
