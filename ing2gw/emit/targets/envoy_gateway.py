"""Envoy Gateway policies (gateway.envoyproxy.io/v1alpha1) for intents plain Gateway API lacks.

* source-range (allowlist/whitelist/denylist-source-range, or the ConfigMap's defaults; see
  providers/nginx_source_ranges): a SecurityPolicy per route with `authorization`: deny rules
  first, then allow rules, default Deny when an allow-list exists (nginx's `allow ...; deny
  all;`), else default Allow. An invalid list, which makes ingress-nginx deny the location (503),
  becomes default Deny without rules (403): closed, never open. A policy never allows by default
  without a rule. The client address is the one Envoy Gateway derives; behind a load balancer
  configure ClientTrafficPolicy's clientIPDetection the way ingress-nginx trusted
  X-Forwarded-For or PROXY protocol.
"""

from __future__ import annotations

from typing import Any

from ing2gw import ir

API_VERSION = "gateway.envoyproxy.io/v1alpha1"


def _name(base: str, suffix: str) -> str:
    """A metadata.name (DNS subdomain: at most 253 characters, ending in a letter or digit)."""
    return (base[:253 - len(suffix)].rstrip("-.") + suffix)


def authorization(intents: list[ir.Intent]) -> dict[str, Any]:
    """SecurityPolicy.spec.authorization for a route's source-range intents."""
    actions = [dict(i.params).get("action") for i in intents]
    if "deny-all" in actions:
        return {"defaultAction": "Deny"}
    deny = sorted({c for i, a in zip(intents, actions) if a == "deny" for c in i.value.split(",") if c})
    allow = sorted({c for i, a in zip(intents, actions) if a == "allow" for c in i.value.split(",") if c})
    rules: list[dict[str, Any]] = []
    if deny:
        rules.append({"name": "denylist", "action": "Deny", "principal": {"clientCIDRs": deny}})
    if allow:
        rules.append({"name": "allowlist", "action": "Allow", "principal": {"clientCIDRs": allow}})
    default = "Deny" if "allow" in actions else "Allow"
    if default == "Allow" and not rules:  # nothing to say; never an open policy by accident
        return {"defaultAction": "Deny"}
    return {"defaultAction": default, **({"rules": rules} if rules else {})}


def emit_policies(routes: list[tuple[ir.Route, str]]) -> tuple[list[dict[str, Any]], set[ir.Intent]]:
    objects: list[dict[str, Any]] = []
    consumed: set[ir.Intent] = set()
    for route, name in routes:
        ranges = [i for i in route.intents if i.kind == "source-range"]
        if not ranges:
            continue
        objects.append({
            "apiVersion": API_VERSION, "kind": "SecurityPolicy",
            "metadata": {"name": _name(name, "-source-ranges"), "namespace": route.namespace,
                         "annotations": {"ing2gw.io/source-ingress": route.source.key}},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": route.kind, "name": name}],
                     "authorization": authorization(ranges)},
        })
        consumed.update(ranges)
    return objects, consumed
