"""NGINX Gateway Fabric UpstreamSettingsPolicy (gateway.nginx.org/v1alpha1) for load balancing.

An UpstreamSettingsPolicy targets Services (in its own namespace) and sets the nginx upstream of
each: every route that sends to the Service gets it. ingress-nginx balanced per upstream of the
Ingress that named it, so a policy is written only when every route of the input that sends to
the Service asks for the same balancing; otherwise ING2GW-TARGET-030 names the Ingresses that
disagree (a route without a setting asks for ingress-nginx's round robin, which is not NGF's
default `random two least_conn`).

* upstream-hash-by on one variable: `loadBalancingMethod: hash consistent` with
  `hashMethodKey` the same variable (nginx's ketama `hash KEY consistent`; ingress-nginx's Lua
  chash places keys on other endpoints once). NGF accepts `^\\$[a-z_]+$` only.
* load-balance round_robin: `loadBalancingMethod: round_robin`. ewma has no NGINX Open Source
  counterpart (least_time needs NGINX Plus) and is not carried (carry.py).

Which endpoint of a Service answers is not observable by the equivalence check.
"""

from __future__ import annotations

import re
from typing import Any

from ing2gw import ir
from ing2gw.emit.targets.carry import carries
from ing2gw.findings import Finding, Severity

API_VERSION = "gateway.nginx.org/v1alpha1"
TARGET = "nginx-gateway-fabric"
#: the hashMethodKey pattern of NGF v2.6's CRD
HASH_KEY = re.compile(r"^\$[a-z_]+$")


def _name(base: str, suffix: str) -> str:
    return base[:253 - len(suffix)].rstrip("-.") + suffix


def settings(intent: ir.Intent) -> dict[str, Any]:
    """The policy's spec fields (without targetRefs) for a carried load-balancing intent."""
    p = dict(intent.params)
    if "hash" in p:
        return {"loadBalancingMethod": "hash consistent", "hashMethodKey": p["key"]}
    return {"loadBalancingMethod": p["algorithm"]}


def upstream_settings(routes: list[tuple[ir.Route, str]]) -> tuple[list[dict[str, Any]], set[ir.Intent],
                                                                    list[Finding]]:
    """One UpstreamSettingsPolicy per Service whose routes all ask for the same balancing, the
    intents carried or refused (reported here, by name), and what the user must check."""
    users: dict[tuple[str, str], list[tuple[ir.Route, ir.Intent | None]]] = {}
    for route, _ in routes:
        if route.kind == "TLSRoute":
            continue
        wish = next((i for i in route.intents if i.kind == "load-balancing" and carries(TARGET, i.kind, i.params)),
                    None)
        for key in sorted({(b.namespace, b.name) for rule in route.rules for b in rule.backends}):
            users.setdefault(key, []).append((route, wish))
    objects: list[dict[str, Any]] = []
    consumed: set[ir.Intent] = set()
    told: dict[tuple[str, str], Finding] = {}
    for (ns, svc), who in sorted(users.items()):
        wanted = [i for _, i in who if i is not None]
        if not wanted:
            continue
        consumed.update(wanted)
        shapes = {None if i is None else repr(settings(i)) for _, i in who}
        name = _name(svc, "-upstream")
        if len(shapes) > 1:
            sources = ", ".join(sorted({r.source.key for r, _ in who}))
            for i in wanted:
                told.setdefault((i.source.key, f"{ns}/{svc}"), Finding(
                    Severity.WARNING, "ING2GW-TARGET-030",
                    f"nginx-gateway-fabric: no UpstreamSettingsPolicy is written for Service {ns}/{svc}: it sets the "
                    f"upstream of every route to the Service, and the Ingresses sending to it ask for different "
                    f"balancing ({sources}; one without a setting keeps ingress-nginx's round robin)",
                    origin=i.source.origin, subject=f"Ingress {i.source.key}", annotation=i.source.annotation,
                    suggestion="give the Ingresses the same balancing annotations, or split the Service"))
            continue
        first = min(wanted, key=lambda i: i.source.key)
        spec = settings(first)
        objects.append({"apiVersion": API_VERSION, "kind": "UpstreamSettingsPolicy",
                        "metadata": {"name": name, "namespace": ns,
                                     "annotations": {"ing2gw.io/source-ingress": first.source.key}},
                        "spec": {"targetRefs": [{"group": "", "kind": "Service", "name": svc}], **spec}})
        for i in wanted:
            p = dict(i.params)
            what = (f"upstream-hash-by {p['key']} becomes `hash {p['key']} consistent` (nginx's ketama ring; "
                    "ingress-nginx's Lua chash places keys on other endpoints, so each key moves once)"
                    if "hash" in p else f"load-balance {p['algorithm']} becomes loadBalancingMethod {p['algorithm']}")
            told.setdefault((i.source.key, f"{ns}/{svc}"), Finding(
                Severity.WARNING, "ING2GW-TARGET-030",
                f"nginx-gateway-fabric: {what} in UpstreamSettingsPolicy {ns}/{name}, which sets the upstream of "
                f"Service {svc} for every route that sends to it",
                origin=i.source.origin, subject=f"Ingress {i.source.key}", annotation=i.source.annotation,
                suggestion="re-run ing2gw when other routes start sending to the Service"))
    return objects, consumed, [told[k] for k in sorted(told)]
