"""Istio DestinationRules (networking.istio.io/v1) for load balancing and cookie affinity.

A DestinationRule configures the traffic to one host (a Service) for every client that sends
to it: every route of every Gateway, and the mesh's sidecars (Istio docs, reference/config/
networking/destination-rule; lookup: the client's namespace, then the Service's, then the root
namespace). ingress-nginx balanced per upstream of the Ingress that named it, so a rule is
written only when every route of the whole input that sends to the Service asks for the same
balancing; otherwise nothing is written and ING2GW-TARGET-027 names the Ingresses that disagree
(a route without a setting asks for nginx's default, which is not Istio's: round robin against
LEAST_REQUEST).

* session-affinity (cookie): `loadBalancer.consistentHash.httpCookie` on the affinity cookie
  with a `ttl`, so Envoy sets the cookie when a request has none (Istio: "If the TTL is present
  and zero, the generated cookie will be a session cookie", as nginx's default), its Path, and
  Domain / SameSite as `attributes`.
* load-balancing: upstream-hash-by on one variable becomes `consistentHash` `useSourceIp`,
  `httpHeaderName`, `httpCookie` (no ttl: nginx does not set that cookie either) or
  `httpQueryParameterName`; load-balance round_robin / ewma becomes `simple` ROUND_ROBIN /
  LEAST_REQUEST (carry.ISTIO_SIMPLE).

* backend-tls (TLS without verification, emit/targets/backend_tls.py): `portLevelSettings` for
  the Service port with `tls` mode SIMPLE, `insecureSkipVerify: true` (without it Istio checks
  the certificate against the system roots) and `sni` when nginx sent one; Istio overrides the
  Service-level policy field by field for that port, so the balancing above still applies. Put
  in the Service's balancing DestinationRule when there is one (Istio uses one rule per host),
  else in `<svc>-backend-tls`. Docs: istio.io/latest/docs/reference/config/networking/
  destination-rule/#ClientTLSSettings.

Which endpoint of a Service answers is not observable by the equivalence check (both sides
reach the same Service): ING2GW-TARGET-026 says what changes.
"""

from __future__ import annotations

from typing import Any

from ing2gw import ir
from ing2gw.emit.targets.carry import ISTIO_SIMPLE, carries
from ing2gw.findings import Finding, Severity

API_VERSION = "networking.istio.io/v1"
#: the intents a DestinationRule's loadBalancer carries (affinity first: nginx's sticky
#: balancer replaces the hash and the algorithm)
KINDS = ("session-affinity", "load-balancing")


def _name(base: str, suffix: str) -> str:
    """A metadata.name (DNS subdomain: at most 253 characters, ending in a letter or digit)."""
    return base[:253 - len(suffix)].rstrip("-.") + suffix


def load_balancer(intent: ir.Intent, path: str | None = None) -> dict[str, Any]:
    """DestinationRule.spec.trafficPolicy.loadBalancer for one carried intent (`path`: the
    cookie Path when the Ingress's locations have several and one alone sends to the Service)."""
    p = dict(intent.params)
    if intent.kind == "session-affinity":
        cookie: dict[str, Any] = {"name": p["cookie"], "path": p.get("path", path or "/"),
                                  "ttl": f"{int(p.get('max-age') or p.get('expires') or 0)}s"}
        attributes = [{"name": n, "value": p[k]} for n, k in (("Domain", "domain"), ("SameSite", "samesite"))
                      if p.get(k)]
        if attributes:
            cookie["attributes"] = attributes
        return {"consistentHash": {"httpCookie": cookie}}
    if "hash" not in p:
        return {"simple": ISTIO_SIMPLE[p["algorithm"]]}
    how = p["hash"]
    if how == "source-ip":
        return {"consistentHash": {"useSourceIp": True}}
    if how == "header":
        return {"consistentHash": {"httpHeaderName": p["name"]}}
    if how == "cookie":
        return {"consistentHash": {"httpCookie": {"name": p["name"]}}}
    return {"consistentHash": {"httpQueryParameterName": p["name"]}}


def _wish(route: ir.Route) -> ir.Intent | None:
    """The route's carried balancing intent (affinity wins, as nginx's sticky balancer)."""
    for kind in KINDS:
        for i in route.intents:
            if i.kind == kind and carries("istio", i.kind, i.params):
                return i
    return None


def _services(route: ir.Route) -> list[tuple[str, str]]:
    return sorted({(b.namespace, b.name) for rule in route.rules for b in rule.backends})


def _cookie_path(route: ir.Route, svc: tuple[str, str]) -> str | None:
    """The one location path of the route that sends to `svc` (nginx sets the affinity cookie's
    Path to the location's path), or None when there are several or one is not a plain path."""
    paths = {m.path.value if m.path is not None and m.path.type in ("PathPrefix", "Exact") else None
             for rule in route.rules if any((b.namespace, b.name) == svc for b in rule.backends)
             for m in rule.matches or (ir.Match(),)}
    return paths.pop() if len(paths) == 1 else None


def _shape(route: ir.Route, intent: ir.Intent | None, svc: tuple[str, str]) -> dict[str, Any] | None:
    if intent is None:
        return None
    return load_balancer(intent, _cookie_path(route, svc) if "paths" in dict(intent.params) else None)


def destination_rules(routes: list[tuple[ir.Route, str]]) -> tuple[list[dict[str, Any]], set[ir.Intent],
                                                                   list[Finding]]:
    """One DestinationRule per Service whose routes all ask for the same balancing, the intents
    carried or refused (a refusal is reported here, by name), and what the user must check."""
    users: dict[tuple[str, str], list[tuple[ir.Route, ir.Intent | None]]] = {}
    for route, _ in routes:
        if route.kind == "TLSRoute":
            continue
        wish = _wish(route)
        for key in _services(route):
            users.setdefault(key, []).append((route, wish))
    objects: list[dict[str, Any]] = []
    consumed: set[ir.Intent] = set()
    told: dict[tuple[str, str], Finding] = {}
    for (ns, svc), who in sorted(users.items()):
        wanted = [i for _, i in who if i is not None]
        if not wanted:
            continue
        consumed.update(wanted)
        shapes = {repr(_shape(r, i, (ns, svc))) for r, i in who}
        if len(shapes) > 1:
            sources = sorted({r.source.key for r, _ in who})
            for i in wanted:
                told.setdefault((i.source.key, f"disagree {ns}/{svc}"), Finding(
                    Severity.WARNING, "ING2GW-TARGET-027",
                    f"istio: no DestinationRule is written for Service {ns}/{svc}: a DestinationRule balances every "
                    f"request to the Service, and the Ingresses sending to it ask for different balancing "
                    f"({', '.join(sources)}; one without a setting keeps nginx's round robin)",
                    origin=i.source.origin, subject=f"Ingress {i.source.key}", annotation=i.source.annotation,
                    suggestion="give the Ingresses the same balancing annotations, or split the Service, or write "
                               "the DestinationRule by hand"))
            continue
        route, first = min(((r, i) for r, i in who if i is not None), key=lambda ri: ri[1].source.key)
        balancer = load_balancer(first, _cookie_path(route, (ns, svc)) if "paths" in dict(first.params) else None)
        objects.append({"apiVersion": API_VERSION, "kind": "DestinationRule",
                        "metadata": {"name": _name(svc, "-load-balancing"), "namespace": ns,
                                     "annotations": {"ing2gw.io/source-ingress": first.source.key}},
                        "spec": {"host": f"{svc}.{ns}.svc.cluster.local",
                                 "trafficPolicy": {"loadBalancer": balancer}}})
        for i in wanted:
            told.setdefault((i.source.key, f"written {ns}/{svc}"), _written(i, ns, svc, balancer))
    tls_consumed, tls_findings = _backend_tls([route for route, _ in routes], objects)
    return objects, consumed | tls_consumed, [told[k] for k in sorted(told)] + tls_findings


def _backend_tls(routes: list[ir.Route], objects: list[dict[str, Any]]) -> tuple[set[ir.Intent], list[Finding]]:
    """Port-level `tls` (SIMPLE, insecureSkipVerify) for each Service port whose users all ask for
    TLS without verification, added to `objects` (into the Service's DestinationRule if any)."""
    from ing2gw.emit.targets.backend_tls import agree

    result = agree(routes, "istio", per_port=True)
    by_host = {str(o["spec"]["host"]): o for o in objects}
    told: list[Finding] = []
    for (ns, svc, port), (protocol, sni, intents) in sorted(result.written.items()):
        host = f"{svc}.{ns}.svc.cluster.local"
        rule = by_host.get(host)
        if rule is None:
            rule = {"apiVersion": API_VERSION, "kind": "DestinationRule",
                    "metadata": {"name": _name(svc, "-backend-tls"), "namespace": ns,
                                 "annotations": {"ing2gw.io/source-ingress": intents[0].source.key}},
                    "spec": {"host": host, "trafficPolicy": {}}}
            objects.append(rule)
            by_host[host] = rule
        tls: dict[str, Any] = {"mode": "SIMPLE", "insecureSkipVerify": True}
        if sni:
            tls["sni"] = sni
        rule["spec"]["trafficPolicy"].setdefault("portLevelSettings", []).append({"port": {"number": port},
                                                                                 "tls": tls})
        where = f"DestinationRule {ns}/{rule['metadata']['name']} (host {host}, port {port})"
        for i in intents:
            told.append(Finding(
                Severity.WARNING, "ING2GW-TARGET-062",
                f"istio: backend-protocol {protocol.upper()} becomes TLS without verification (mode SIMPLE, "
                f"insecureSkipVerify) in {where}" + (f", SNI {sni}" if sni else
                                                    ", no SNI set (Istio may send the request's Host as SNI; nginx "
                                                    "sent none)")
                + "; the DestinationRule applies to every client of the Service in the mesh, not only to the "
                  "Gateway: a sidecar whose application already speaks TLS to this port would encrypt twice",
                origin=i.source.origin, subject=f"Ingress {i.source.key}", annotation=i.source.annotation,
                suggestion="if mesh clients call this Service, move the DestinationRule to the Gateway's namespace "
                           "with a workloadSelector for the Gateway's pods (gateway.networking.k8s.io/gateway-name)"))
    return result.consumed, told + result.findings


def _written(intent: ir.Intent, ns: str, svc: str, balancer: dict[str, Any]) -> Finding:
    p = dict(intent.params)
    where = f"DestinationRule {ns}/{_name(svc, '-load-balancing')} (host {svc}.{ns}.svc.cluster.local)"
    if intent.kind == "session-affinity":
        parts = [f"session affinity becomes a consistent hash on cookie {p['cookie']} in {where}; Envoy sets the "
                 "cookie when a request has none (as nginx), but its value names Envoy's choice, so clients pinned "
                 "by ingress-nginx move to another endpoint once"]
        if p.get("mode") == "persistent":
            parts.append("affinity-mode persistent becomes a hash: when endpoints come and go some sessions move")
        path = balancer.get("consistentHash", {}).get("httpCookie", {}).get("path")
        if "paths" in p and path == "/":
            parts.append(f"nginx set the cookie's Path to each location's path ({p['paths']}); the rule, which "
                         f"serves several of them, sets Path=/")
        elif "paths" in p and path != "/":
            parts.append(f"the cookie's Path is {path}, the one location that sends to this Service")
        if p.get("expires") and not p.get("max-age"):
            parts.append(f"session-cookie-expires {p['expires']} s becomes the cookie's Max-Age")
    elif "hash" in p:
        parts = [f"upstream-hash-by {p['key']} becomes a consistent hash on the same key in {where}; Envoy places "
                 "keys on other endpoints than nginx's Ketama ring (each key moves once), and a request without the "
                 "key goes to any endpoint (nginx: always the one of the empty key)"]
    elif p["algorithm"] == "ewma":
        parts = [f"load-balance ewma becomes LEAST_REQUEST in {where}: Envoy prefers the endpoint with fewer requests "
                 "in flight, nginx the one with the lowest moving average of response times; no Envoy balancer "
                 "weighs latency"]
    else:
        parts = [f"load-balance round_robin becomes ROUND_ROBIN in {where} (Istio's default is LEAST_REQUEST)"]
    parts.append("the rule applies to every client of the Service in the mesh (sidecars too), not only to the "
                 "Gateway")
    return Finding(Severity.WARNING, "ING2GW-TARGET-026", "istio: " + "; ".join(parts),
                   origin=intent.source.origin, subject=f"Ingress {intent.source.key}",
                   annotation=intent.source.annotation,
                   suggestion="expect each client or key to move once at the switch-over; add a workloadSelector "
                              "(in the Gateway's namespace) if mesh clients must keep their own balancing")
