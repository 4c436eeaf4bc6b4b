"""Backend settings that a target attaches to a Service (kgateway BackendConfigPolicy, GKE
HealthCheckPolicy): which Services get one, from which routes' intents, and which intents that
carries.

A Service-level policy reaches every route that sends to the Service, so it is written only when
every such route asks for the same setting, and a route's intent is consumed only when every
Service it sends to gets it: never wider than the source asked, never half of a route. A route
whose intent is refused gets ING2GW-TARGET-088 naming the routes that disagree; its intent stays
unconsumed (emit reports it as not carried too).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ing2gw import ir
from ing2gw.emit.targets.carry import carries
from ing2gw.findings import Finding, Severity

ServiceKey = tuple[str, str]
Params = tuple[tuple[str, str], ...]


@dataclass
class Agreement:
    """Per Service: the parameters every route sending there asked for, and the lead intent (the
    first by source) for the object's source annotation; the intents carried; the findings."""

    services: dict[ServiceKey, tuple[Params, ir.Intent]] = field(default_factory=dict)
    consumed: set[ir.Intent] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)


def _services(route: ir.Route) -> set[ServiceKey]:
    """The Services a route's forwarding rules send to (mirrors answer nobody)."""
    return {(b.namespace, b.name) for rule in route.rules if rule.redirect is None for b in rule.backends
            if b.external_name is None}


def agree(routes: list[ir.Route], target: str, kind: str) -> Agreement:
    """The Services whose routes all ask `target` for the same `kind` intent (see the module)."""
    wants: dict[int, ir.Intent | None] = {}
    for r in routes:
        wants[id(r)] = next((i for i in r.intents if i.kind == kind and carries(target, kind, i.params)), None)
    users: dict[ServiceKey, list[ir.Route]] = {}
    for r in routes:
        for svc in _services(r):
            users.setdefault(svc, []).append(r)

    def params(r: ir.Route) -> Params | None:
        i = wants[id(r)]
        return i.params if i is not None else None

    carried = {id(r) for r in routes if wants[id(r)] is not None and _services(r)}
    while True:
        agreed = {svc for svc, rs in users.items()
                  if all(id(r) in carried for r in rs) and len({params(r) for r in rs}) == 1}
        still = {n for n in carried if all(svc in agreed for r in routes if id(r) == n for svc in _services(r))}
        if still == carried:
            break
        carried = still
    out = Agreement()
    for svc in sorted(agreed):
        rs = users[svc]
        lead = min((wants[id(r)] for r in rs), key=lambda i: (i.source.key if i else ""))
        assert lead is not None
        out.services[svc] = (lead.params, lead)
    told: dict[str, Finding] = {}
    for r in routes:
        i = wants[id(r)]
        if i is None:
            continue
        if id(r) in carried:
            out.consumed.add(i)
            continue
        others = sorted({o.source.key for svc in _services(r) for o in users.get(svc, [])
                         if params(o) != params(r)} - {r.source.key})
        told.setdefault(i.source.key, Finding(
            Severity.WARNING, "ING2GW-TARGET-088",
            f"{target}: {kind} is not written: the policy attaches to the Service, and "
            + (f"the route's Services also serve {', '.join(others[:5])}, which ask for another setting or none"
               if others else "another Service of the route cannot get the same setting")
            + "; the policy would reach routes that did not ask for it",
            origin=i.source.origin, subject=f"Ingress {i.source.key}", annotation=i.source.annotation,
            suggestion="give the Ingress its own Service (a second Service selecting the same pods), or the same "
                       "setting to every route of the Service"))
    out.findings = [told[k] for k in sorted(told)]
    return out
