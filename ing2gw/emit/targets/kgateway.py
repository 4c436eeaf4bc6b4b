"""kgateway policies (gateway.kgateway.dev/v1alpha1 TrafficPolicy) for intents plain Gateway API lacks.

One TrafficPolicy per route (`<route>-policy`), attached to that route by name only.

* basic-auth: `basicAuth.secretRef` names the Ingress's own credentials Secret and its key
  `auth` (the key ingress-nginx reads), so nothing is copied; kgateway checks {SHA} hashes only
  (ING2GW-TARGET-007).
* body-size-limit: `buffer.maxRequestSize` (413 above it, as client_max_body_size; the body is
  buffered, ING2GW-TARGET-004).

Allow/deny lists are not written yet: kgateway's acl lets the longest matching prefix win, while
nginx applies the deny list first, so an allow entry inside a deny entry would open it.
"""

from __future__ import annotations

from typing import Any

from ing2gw import ir
from ing2gw.emit.targets.carry import carries
from ing2gw.findings import Finding, Severity

API_VERSION = "gateway.kgateway.dev/v1alpha1"


def _name(base: str, suffix: str) -> str:
    """A metadata.name (DNS subdomain: at most 253 characters, ending in a letter or digit)."""
    return base[:253 - len(suffix)].rstrip("-.") + suffix


def emit_policies(routes: list[tuple[ir.Route, str]]) -> tuple[list[dict[str, Any]], set[ir.Intent], list[Finding]]:
    """The TrafficPolicy of each route with intents kgateway carries, those intents, and what the
    user must check."""
    objects: list[dict[str, Any]] = []
    consumed: set[ir.Intent] = set()
    told: dict[tuple[str, str], Finding] = {}
    for route, name in routes:
        spec: dict[str, Any] = {}
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
