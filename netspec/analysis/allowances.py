"""Warnings a layer accepts (its ``allow:``, :mod:`netspec.graph.allowances`) are left out of
the result, so ``--strict`` passes on a design that means them; an allowance that allows
nothing is itself a warning, as a stale ``# noqa`` is to a linter."""
from __future__ import annotations

from ..core.codes import CODES, declare
from ..core.errors import Diagnostic
from ..graph.allowances import Allowance
from ..graph.network import Network

UNUSED_ALLOW = declare(
    "NS507", "unused-allow", "an `allow:` that allows no warning",
    "`allow:` says a layer (or every layer of a group or block use) is expected to give a "
    "warning. When it gives none, the allowance is stale: the design changed, or the code "
    "names the wrong warning. Remove it, or name the warning the layer gives.",
    "input: [1, 28, 28]\nlayers:\n  - conv: {filters: 8, kernel: 3, allow: NS402}\n",
    warning=True)


def allow(network: Network, warnings: list[Diagnostic], complete: bool,
          severity: str) -> list[Diagnostic]:
    """``warnings`` without those their layer allows; with, when every shape is known (so
    every warning was looked for), one NS507 per allowance that allowed none."""
    allowing = {node.describe(): node.allowed for node in network.nodes if node.allowed}
    if not allowing:
        return warnings
    used: set[Allowance] = set()
    kept = []
    for w in warnings:
        hit = next((a for a in allowing.get(w.layer or "", ()) if a.code == w.code), None)
        if hit is None:
            kept.append(w)
        else:
            used.add(hit)
    if complete:
        stale = dict.fromkeys(a for node_allows in allowing.values() for a in node_allows
                              if a not in used)
        kept += [Diagnostic(severity, f"`allow: {a.code}` allows nothing here: no layer it "
                            f"covers gives {a.code} ({CODES[a.code].name})", a.location,
                            hint="remove it, or name the warning the layer gives",
                            code=UNUSED_ALLOW) for a in stale]
    return kept
