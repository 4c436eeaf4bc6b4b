"""Envoy Gateway policies (gateway.envoyproxy.io/v1alpha1) for intents plain Gateway API lacks.

* source-range (whitelist/allowlist/denylist-source-range): a SecurityPolicy per route with
  `authorization`: deny rules first, then allow rules, default Deny when an allow-list exists
  (nginx's `allow ...; deny all;`), else default Allow. The client address is the one Envoy
  Gateway derives; behind a load balancer configure ClientTrafficPolicy's clientIPDetection
  the way ingress-nginx trusted X-Forwarded-For or PROXY protocol.
"""

from __future__ import annotations

from typing import Any

from ing2gw import ir

API_VERSION = "gateway.envoyproxy.io/v1alpha1"


def emit_policies(routes: list[tuple[ir.Route, str]]) -> tuple[list[dict[str, Any]], set[ir.Intent]]:
    objects: list[dict[str, Any]] = []
    consumed: set[ir.Intent] = set()
    for route, name in routes:
        ranges = [i for i in route.intents if i.kind == "source-range"]
        if not ranges:
            continue
        deny = [c for i in ranges if dict(i.params).get("action") == "deny" for c in i.value.split(",") if c]
        allow = [c for i in ranges if dict(i.params).get("action") != "deny" for c in i.value.split(",") if c]
        rules: list[dict[str, Any]] = []
        if deny:
            rules.append({"name": "denylist", "action": "Deny", "principal": {"clientCIDRs": sorted(set(deny))}})
        if allow:
            rules.append({"name": "allowlist", "action": "Allow", "principal": {"clientCIDRs": sorted(set(allow))}})
        objects.append({
            "apiVersion": API_VERSION, "kind": "SecurityPolicy",
            "metadata": {"name": f"{name}-source-ranges"[:253], "namespace": route.namespace,
                         "annotations": {"ing2gw.io/source-ingress": route.source.key}},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": route.kind, "name": name}],
                     "authorization": {"defaultAction": "Deny" if allow else "Allow", "rules": rules}},
        })
        consumed.update(ranges)
    return objects, consumed
