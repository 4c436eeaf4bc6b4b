"""Whether the target carries an intent a provider produced, asked by the IR intent itself.

`emit.targets.carry` answers by table row (`client-allow-list`, `basic-auth`, ...); an address
list is one IR kind, `source-range`, whose `action` parameter names the row. The Traefik and
HAProxy providers ask here before they report a security loss, so an allow list reaches the same
row (and the same verdict) as an ingress-nginx one.
"""

from __future__ import annotations

from ing2gw import ir
from ing2gw.emit.targets.carry import Verdict, verdict

#: source-range action -> the target table row that writes it (deny-all: an allow list of nobody)
LIST_ROWS = {"allow": "client-allow-list", "deny": "client-deny-list", "deny-all": "client-allow-list"}


def row_of(intent: ir.Intent) -> str | None:
    """The target table row of `intent` (None: an address list with an unknown action)."""
    if intent.kind == "source-range":
        return LIST_ROWS.get(dict(intent.params).get("action", ""))
    return intent.kind


def intent_verdict(target: str | None, intent: ir.Intent) -> Verdict:
    """`carry.verdict` for `intent` with its own parameters."""
    return verdict(target, row_of(intent), intent.params)


__all__ = ["LIST_ROWS", "intent_verdict", "row_of"]
