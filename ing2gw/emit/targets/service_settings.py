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
    """The Services whose routes all ask `target` for the same `kind` intent (see the module).
    A provider names the Service an intent is for in its `service` parameter (namespace/name);
    an intent without one is for every Service of its route."""
    def want(r: ir.Route, svc: ServiceKey) -> ir.Intent | None:
        for i in r.intents:
            named = dict(i.params).get("service")
            if i.kind == kind and named in (None, f"{svc[0]}/{svc[1]}") and carries(target, kind, i.params):
                return i
        return None

    users: dict[ServiceKey, list[ir.Route]] = {}
    for r in routes:
        for svc in _services(r):
            users.setdefault(svc, []).append(r)

    def params(r: ir.Route, svc: ServiceKey) -> Params | None:
        i = want(r, svc)
        return i.params if i is not None else None

    agreed = {svc for svc, rs in users.items()
              if all(want(r, svc) is not None for r in rs) and len({params(r, svc) for r in rs}) == 1}
    # an intent for every Service of its route is carried only when all of them agree: never half
    # of what the route asked for
    out = Agreement()
    told: dict[tuple[str, str], Finding] = {}
    for r in routes:
        mine: dict[ir.Intent, list[ServiceKey]] = {}
        for svc in sorted(_services(r)):
            i = want(r, svc)
            if i is not None:
                mine.setdefault(i, []).append(svc)
        for i, svcs in mine.items():
            if all(svc in agreed for svc in svcs):
                out.consumed.add(i)
                for svc in svcs:
                    out.services.setdefault(svc, (i.params, i))
                continue
            others = sorted({o.source.key for svc in svcs for o in users.get(svc, [])
                             if params(o, svc) != params(r, svc)} - {r.source.key})
            told.setdefault((i.source.key, i.value), Finding(
                Severity.WARNING, "ING2GW-TARGET-088",
                f"{target}: {kind} for {i.value} is not written: the policy attaches to the Service, and "
                + (f"the Service also serves {', '.join(others[:5])}, which ask for another setting or none"
                   if others else "another Service of the route cannot get the same setting")
                + "; the policy would reach routes that did not ask for it",
                origin=i.source.origin, subject=f"Ingress {i.source.key}", annotation=i.source.annotation,
                suggestion="give the Ingress its own Service (a second Service selecting the same pods), or the same "
                           "setting to every route of the Service"))
    # the object's source: the first Ingress (by key) among the Service's routes
    for svc in list(out.services):
        lead = min((want(r, svc) for r in users[svc]), key=lambda i: i.source.key if i else "")
        assert lead is not None
        out.services[svc] = (out.services[svc][0], lead)
    if any(svc not in agreed for svc in out.services):
        raise AssertionError("a Service policy outside the agreement")
    out.services = dict(sorted(out.services.items()))
    out.findings = [told[k] for k in sorted(told)]
    return out
