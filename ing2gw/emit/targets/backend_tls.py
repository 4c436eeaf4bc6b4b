"""TLS to a backend without verifying its certificate (intent `backend-tls`), for the targets
whose own policy can say it: Istio (a DestinationRule's port-level `tls`) and kgateway (a
BackendConfigPolicy's `tls`).

ingress-nginx decides TLS per Ingress (backend-protocol HTTPS/GRPCS): every location of that
Ingress speaks TLS to its upstream and other Ingresses sending to the same Service may speak
plain HTTP. These policies configure the Service (Istio: one port of it; kgateway: the whole
Service) for every route that sends to it, so a policy is written only when every forwarding
rule of the input that reaches the Service (port) asks for the same TLS; a rule that asks for
none disagrees (the policy would turn its plain HTTP into TLS). Otherwise nothing is written
and ING2GW-TARGET-061 (an error: the Gateway would speak plain HTTP to a TLS port) names the
Ingresses. Never wider than the Ingresses that asked.

This module finds the agreeing Services; the target modules write the objects (and merge them
into the DestinationRule / BackendConfigPolicy they already write for the same Service: Istio
and kgateway do not merge two such objects for one Service reliably).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ing2gw import ir
from ing2gw.emit.targets.carry import carries
from ing2gw.findings import Finding, Severity

#: one Service, with its port for targets whose policy is per port (port 0: the whole Service)
ServiceKey = tuple[str, str, int]
#: what one rule asks of the Service: (protocol, sni) or None for plain HTTP
Wish = tuple[str, str] | None


@dataclass
class Agreement:
    """Where TLS without verification is written and what is said about it."""

    #: Service (port) -> (protocol, sni, the intents carried there, sorted by Ingress)
    written: dict[ServiceKey, tuple[str, str, list[ir.Intent]]] = field(default_factory=dict)
    consumed: set[ir.Intent] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)


def _intent(route: ir.Route, target: str) -> dict[str, ir.Intent]:
    """The route's carried backend-tls intents by the Ingress that asked (source key)."""
    return {i.source.key: i for i in route.intents if i.kind == "backend-tls" and carries(target, i.kind, i.params)}


def _wish(intent: ir.Intent | None) -> Wish:
    if intent is None:
        return None
    p = dict(intent.params)
    return p.get("protocol", "https"), p.get("sni", "")


def agree(routes: list[ir.Route], target: str, per_port: bool) -> Agreement:
    """The Services (ports) whose users all ask for the same TLS without verification, the
    intents carried, and an error per Ingress whose Service is shared with users that disagree."""
    uses: dict[ServiceKey, list[tuple[str, Wish, ir.Intent | None]]] = {}
    asked: dict[str, ir.Intent] = {}
    for route in routes:
        mine = _intent(route, target)
        asked.update(mine)
        for rule in route.rules:
            if rule.redirect is not None or not rule.backends:
                continue
            # the Ingress of the rule decides (ingress-nginx's backend-protocol is per Ingress)
            intent = mine.get(rule.source.key)
            for b in rule.backends:
                key = (b.namespace, b.name, b.port if per_port and b.port is not None else 0)
                uses.setdefault(key, []).append((rule.source.key, _wish(intent), intent))
        for b in route.tls_backends:  # a TLSRoute passes the client's TLS through: no origination
            key = (b.namespace, b.name, b.port if per_port and b.port is not None else 0)
            uses.setdefault(key, []).append((route.source.key, None, None))
    out = Agreement()
    blocked: dict[str, list[str]] = {}  # Ingress -> why its TLS is not written
    for key in sorted(uses):
        wishes = {w for _, w, _ in uses[key]}
        if wishes == {None}:
            continue
        intents = sorted({i for _, _, i in uses[key] if i is not None}, key=lambda i: i.source.key)
        if len(wishes) == 1:
            (wish,) = wishes
            assert wish is not None
            out.written[key] = (wish[0], wish[1], intents)
            continue
        ns, svc, port = key
        where = f"Service {ns}/{svc}" + (f" port {port}" if port else "")
        plain = sorted({ing for ing, w, _ in uses[key] if w is None})
        other = sorted({f"{ing} ({w[0]}" + (f", SNI {w[1]})" if w[1] else ")") for ing, w, _ in uses[key] if w})
        for i in intents:
            why = f"{where} is also reached " + (f"in plain HTTP by {', '.join(plain)}" if plain else
                                                 f"with other TLS settings: {', '.join(other)}")
            blocked.setdefault(i.source.key, []).append(why)
    for ing in sorted(asked):
        i = asked[ing]
        out.consumed.add(i)
        if ing in blocked:
            out.findings.append(Finding(
                Severity.ERROR, "ING2GW-TARGET-061",
                f"{target}: TLS to the backend without verification is not written for this Ingress: the policy would "
                f"configure the whole Service for every route sending to it, and {'; '.join(blocked[ing])}; the "
                "Gateway would speak plain HTTP to the TLS port", origin=i.source.origin, subject=f"Ingress {ing}",
                annotation=i.source.annotation, security=True,
                suggestion="give this Ingress its own Service (a second Service selecting the same Pods and port), or "
                           "make every Ingress of the Service use the same backend-protocol, then rerun ing2gw"))
    return out
