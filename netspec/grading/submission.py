"""Reading a student's submission: untrusted, so through the same bounded loading as `netspec
check`, under the rubric's tighter caps (bytes, layers), with the student's own ``expect:``
taken out before the build (a student who raises their own budget changes nothing)."""
from __future__ import annotations

import os
import stat
from typing import Any, NamedTuple

from ..analysis import CheckedNetwork, analyze, build_network
from ..core.codes import declare
from ..core.errors import Diagnostic, Location, SpecError
from ..graph.builder import MAX_REPEAT
from ..graph.network import Network
from ..layers import KINDS
from ..reading.source import UNREADABLE, Document, decode, load_text
from .rubric import Limits

TOO_LARGE = declare(
    "NS713", "submission-too-large", "a submission is larger than the rubric allows",
    "The rubric's `limits: {bytes: N}` (64 KiB unless it says otherwise) caps each submitted "
    "file; a homework spec is a few kilobytes, and a larger file is refused before it is "
    "parsed. Use `repeat:` and `blocks:` rather than writing layers out.")
TOO_MANY_LAYERS = declare(
    "NS714", "submission-too-many-layers", "a submission has more layers than the rubric allows",
    "The rubric's `limits: {layers: N}` (2,000 unless it says otherwise) caps the layers of a "
    "submitted network once repeats and blocks are expanded, so that one huge network cannot "
    "hold up the batch. The assignment's networks are far smaller.")


class Checked(NamedTuple):
    """A submission after the check: its network (None when it is invalid), the diagnostics
    (errors, or the warnings of a valid one), and the lines of the ``expect:`` ignored."""

    net: CheckedNetwork | None
    network: Network | None  # built, even when its shapes fail (for the copy check)
    diagnostics: tuple[Diagnostic, ...]
    ignored_expect: tuple[int, ...]


def check_submission(path: str, limits: Limits) -> Checked:
    """Load, build and check one submission under ``limits``."""
    ignored: tuple[int, ...] = ()
    network = None
    try:
        doc = load_text(read_capped(path, limits.bytes), path)
        _count_items(doc, limits.layers)
        ignored = strip_expectations(doc)
        network = build_network(doc)
        if len(network.nodes) > limits.layers:
            raise SpecError.single(
                f"the network has {len(network.nodes):,} layers; this assignment accepts at "
                f"most {limits.layers:,}", Location(path, 1, 1), code=TOO_MANY_LAYERS)
        net = analyze(network)
    except SpecError as e:
        return Checked(None, network, tuple(e.diagnostics), ignored)
    return Checked(net, network, net.warnings, ignored)


def read_capped(path: str, cap: int) -> str:
    """A plain file's text, at most ``cap`` bytes. Links, folders, pipes and devices are
    refused before they are opened (a pipe would block the read)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise SpecError.single(f"{path}: no such file", code=UNREADABLE) from None
    except OSError as e:
        raise SpecError.single(f"{path}: cannot read: {e.strerror or e}",
                               code=UNREADABLE) from None
    what = ("a symbolic link" if stat.S_ISLNK(st.st_mode) else "a folder"
            if stat.S_ISDIR(st.st_mode) else None if stat.S_ISREG(st.st_mode) else
            "not a regular file")
    if what:
        raise SpecError.single(f"{path} is {what}; a submission is a spec file",
                               code=UNREADABLE)
    if st.st_size > cap:
        raise _too_large(path, st.st_size, cap)
    try:
        with open(path, "rb") as f:
            raw = f.read(cap + 1)
    except OSError as e:
        raise SpecError.single(f"{path}: cannot read: {e.strerror or e}",
                               code=UNREADABLE) from None
    if len(raw) > cap:  # grew since the stat
        raise _too_large(path, len(raw), cap)
    return decode(raw, path)


def _too_large(path: str, size: int, cap: int) -> SpecError:
    return SpecError.single(f"{path} is {size:,} bytes; this assignment accepts at most "
                            f"{cap:,}", hint="a homework spec is a few kilobytes: use `repeat:` "
                            "and `blocks:` rather than writing layers out", code=TOO_LARGE)


def _count_items(doc: Document, cap: int) -> None:
    """More layers than the cap, before any is built: a lower bound on the network's layers
    (items, times their repeats, groups' items counted inside; a block use counts one) is
    cheap, and stops a `repeat:` that would build 90,000 layers before it does."""
    items = doc.data.get("layers") if isinstance(doc.data, dict) else None
    found = _at_least(items, cap)
    if found > cap:
        raise SpecError.single(f"the spec has more than {cap:,} layers once repeats are "
                               f"expanded (at least {found:,}); this assignment accepts at "
                               f"most {cap:,}", doc.where(("layers",)), code=TOO_MANY_LAYERS)


def _at_least(items: Any, cap: int) -> int:
    """At least how many layers ``items`` expand to; stops counting past ``cap``."""
    if not isinstance(items, list):
        return 0
    total = 0
    for item in items:
        if not isinstance(item, dict):
            total += 1
            continue
        inner = [v for v in item.values() if isinstance(v, dict) and "repeat" in v]
        repeat = item.get("repeat", inner[0]["repeat"] if inner else 1)
        times = repeat if isinstance(repeat, int) and 1 <= repeat <= MAX_REPEAT else 1
        each = _at_least(item["layers"], cap) if "layers" in item else 1
        total += times * max(each, 1)
        if total > cap:
            break
    return total


def strip_expectations(doc: Document) -> tuple[int, ...]:
    """Take the student's own ``expect:`` out of the document (the network's, and every
    layer's, inside groups and blocks too); the lines they were on, for the feedback."""
    lines: list[int] = []
    data = doc.data
    if isinstance(data, dict):
        if "expect" in data:
            lines.append(doc.where_key(("expect",)).line)
            del data["expect"]
        seen: set[int] = set()
        _strip_items(doc, data.get("layers"), ("layers",), lines, seen)
        blocks = data.get("blocks")
        if isinstance(blocks, dict):
            for name, block in blocks.items():
                if isinstance(block, dict):
                    _strip_items(doc, block.get("layers"), ("blocks", name, "layers"), lines,
                                 seen)
    return tuple(sorted(set(lines)))


def _strip_items(doc: Document, items: Any, path: tuple, lines: list[int],
                 seen: set[int]) -> None:
    if not isinstance(items, list) or id(items) in seen:
        return  # an alias shares its anchor's list: visited once
    seen.add(id(items))
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        if "layers" in item:  # a group
            _strip_items(doc, item["layers"], path + (i, "layers"), lines, seen)
            continue
        kinds = [k for k in item if k in KINDS]
        if not kinds:
            continue  # a block use: its keys are the block's arguments
        inner = item[kinds[0]]
        if isinstance(inner, dict) and "expect" in inner:
            lines.append(doc.where_key(path + (i, kinds[0], "expect")).line)
            del inner["expect"]
        if "expect" in item:
            lines.append(doc.where_key(path + (i, "expect")).line)
            del item["expect"]
