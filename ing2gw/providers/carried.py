"""Whether the target carries an intent a provider produced, asked by the IR intent itself.

`emit.targets.carry` answers by table row (`client-allow-list`, `basic-auth`, ...); an address
list is one IR kind, `source-range`, whose `action` parameter names the row. The Traefik and
HAProxy providers ask here before they report a security loss, so an allow list reaches the same
row (and the same verdict) as an ingress-nginx one.
"""

from __future__ import annotations

from ing2gw import ir
from ing2gw.emit.targets.carry import LIST_ROWS, Verdict, row_of, verdict


def intent_verdict(target: str | None, intent: ir.Intent) -> Verdict:
    """`carry.verdict` for `intent` with its own parameters."""
    return verdict(target, row_of(intent.kind, intent.params), intent.params)


__all__ = ["LIST_ROWS", "intent_verdict", "row_of"]
