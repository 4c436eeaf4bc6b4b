"""kgateway policies (gateway.kgateway.dev/v1alpha1 TrafficPolicy) for intents plain Gateway API lacks.

One TrafficPolicy per route (`<route>-policy`), attached to that route by name only.

* basic-auth: `basicAuth.secretRef` names the Ingress's own credentials Secret and its key
  `auth` (the key ingress-nginx reads), so nothing is copied; kgateway checks {SHA} hashes only
  (ING2GW-TARGET-007).
* body-size-limit: `buffer.maxRequestSize` (413 above it, as client_max_body_size; the body is
  buffered, ING2GW-TARGET-004).

* source-range (allow/deny lists): `acl` with a deny rule, an allow rule and defaultAction deny
  when an allow list exists (else allow). kgateway lets the longest matching prefix decide,
  nginx the deny list first; CIDRs are nested or disjoint, so the two agree once the allow
  entries inside (or equal to) a deny entry are left out: nginx denies those addresses anyway,
  and without them the longest match of a denied address is always a deny entry. An invalid
  list (nginx denies the location) becomes defaultAction deny without rules.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ing2gw import ir
from ing2gw.emit.targets.carry import carries
from ing2gw.findings import Finding, Severity

API_VERSION = "gateway.kgateway.dev/v1alpha1"


def _name(base: str, suffix: str) -> str:
    """A metadata.name (DNS subdomain: at most 253 characters, ending in a letter or digit)."""
    return base[:253 - len(suffix)].rstrip("-.") + suffix


def _networks(intents: list[ir.Intent], action: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = set()
    for i in intents:
        if dict(i.params).get("action") != action:
            continue
        for c in i.value.split(","):
            if c.strip():
                out.add(ipaddress.ip_network(c.strip(), strict=False))
    return sorted(out, key=lambda n: (n.version, n))


def acl(intents: list[ir.Intent]) -> dict[str, Any]:
    """TrafficPolicy.spec.acl for a route's source-range intents (see the module docstring)."""
    if any(dict(i.params).get("action") == "deny-all" for i in intents):
        return {"defaultAction": "deny"}
    deny = _networks(intents, "deny")
    allow = [a for a in _networks(intents, "allow")
             if not any(a.version == d.version and a.subnet_of(d) for d in deny)]  # type: ignore[arg-type]
    rules: list[dict[str, Any]] = []
    for action, nets in (("deny", deny), ("allow", allow)):
        for k in range(0, len(nets), 256):  # at most 256 CIDRs per rule
            rules.append({"name": f"{action}list", "action": action, "cidrs": [str(n) for n in nets[k:k + 256]]})
    default = "deny" if any(dict(i.params).get("action") == "allow" for i in intents) else "allow"
    if default == "allow" and not rules:
        return {"defaultAction": "deny"}  # never an open policy by accident
    return {"defaultAction": default, **({"rules": rules} if rules else {})}


def emit_policies(routes: list[tuple[ir.Route, str]]) -> tuple[list[dict[str, Any]], set[ir.Intent], list[Finding]]:
    """The TrafficPolicy of each route with intents kgateway carries, those intents, and what the
    user must check."""
    objects: list[dict[str, Any]] = []
    consumed: set[ir.Intent] = set()
    told: dict[tuple[str, str], Finding] = {}
    for route, name in routes:
        spec: dict[str, Any] = {}
        lists = [i for i in route.intents if i.kind == "source-range"]
        if lists and carries("kgateway", "client-allow-list"):
            spec["acl"] = acl(lists)
            consumed.update(lists)
        for i in route.intents:
            if i.kind != "source-range" and not carries("kgateway", i.kind, i.params):
                continue  # a provider's intent this policy cannot carry as given: left over, reported by emit
            p = dict(i.params)
            if i.kind == "basic-auth" and "basicAuth" not in spec:
                spec["basicAuth"] = {"secretRef": {"name": p["secret"], "key": "auth"}}
                consumed.add(i)
                told.setdefault((i.source.key, i.kind), _finding(
                    i, "ING2GW-TARGET-007",
                    f"kgateway: the TrafficPolicy reads Secret {p['secret-namespace']}/{p['secret']} key auth as "
                    "ingress-nginx does, but accepts {SHA} hashes only; other entries never match (401)",
                    "re-hash bcrypt, apr1 and crypt entries with htpasswd -s", Severity.WARNING))
                told.setdefault((i.source.key, "scope"), _finding(
                    i, "ING2GW-TARGET-006",
                    "kgateway: basicAuth covers the whole route: nginx's automatic trailing-slash redirects answer "
                    "before authentication (the Gateway: 401), and unmatched paths of the host get 401 from nginx "
                    "(the Gateway: 404)", None, Severity.INFO))
            elif i.kind == "body-size-limit" and "buffer" not in spec:
                spec["buffer"] = {"maxRequestSize": p["quantity"]}
                consumed.add(i)
                told.setdefault((i.source.key, i.kind), _finding(
                    i, "ING2GW-TARGET-004",
                    f"kgateway: buffer limits bodies to {p['quantity']} (413 above, as nginx) by buffering each "
                    "request body: streaming uploads, gRPC streaming and WebSocket break on these routes",
                    "remove buffer on routes that stream request bodies", Severity.WARNING))
        if spec:
            objects.append({"apiVersion": API_VERSION, "kind": "TrafficPolicy",
                            "metadata": {"name": _name(name, "-policy"), "namespace": route.namespace,
                                         "annotations": {"ing2gw.io/source-ingress": route.source.key}},
                            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": route.kind,
                                                     "name": name}], **spec}})
    return objects, consumed, [told[k] for k in sorted(told)]


def _finding(i: ir.Intent, code: str, message: str, suggestion: str | None, severity: Severity) -> Finding:
    return Finding(severity, code, message, origin=i.source.origin, subject=f"Ingress {i.source.key}",
                   annotation=i.source.annotation, suggestion=suggestion, security=i.security and code != "ING2GW-TARGET-006")
