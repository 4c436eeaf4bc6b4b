"""NGINX Gateway Fabric: the Gateway's controller-wide settings in an NginxProxy.

NGINX Gateway Fabric (v2) reads data-plane settings from an NginxProxy referenced by the
GatewayClass (`parametersRef`, the Helm chart's `<release>-proxy-config`) and by the Gateway
(`spec.infrastructure.parametersRef`, same namespace); the Gateway's fields win over the
class's (docs `how-to/data-plane-configuration`). ing2gw writes one NginxProxy per Gateway,
`<gateway>-proxy`, and references it from the Gateway, so the class-wide one is left as it is.

client-ip: `rewriteClientIP` renders nginx's realip module as ingress-nginx did (`real_ip_header
X-Forwarded-For` or `proxy_protocol`, `set_real_ip_from` per trusted address,
`real_ip_recursive` from setIPRecursively; API reference `RewriteClientIP`), so ingress-nginx's
use-forwarded-headers / enable-real-ip / use-proxy-protocol with proxy-real-ip-cidr carry over
exactly; only a forwarded-for-header other than X-Forwarded-For has no counterpart (carry.py).
"""

from __future__ import annotations

from typing import Any

from ing2gw import ir
from ing2gw.emit.targets.client_ip import carried, policy_metadata, written
from ing2gw.findings import Finding

API_VERSION = "gateway.nginx.org/v1alpha2"
GROUP = "gateway.nginx.org"


def rewrite_client_ip(params: dict[str, str]) -> dict[str, Any]:
    """NginxProxy.spec.rewriteClientIP for a Gateway's client-ip parameters."""
    trusted = [c for c in params.get("trusted", "").split(",") if c]
    return {"mode": "ProxyProtocol" if params.get("source") == "proxy-protocol" else "XForwardedFor",
            "setIPRecursively": params.get("recursive") == "on",
            "trustedAddresses": [{"type": "CIDR", "value": c} for c in trusted]}


def emit_gateway_policies(places: list[tuple[ir.Gateway, list[dict[str, Any]]]],
                          objects: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], set[ir.Intent], list[Finding]]:
    """One NginxProxy per IR Gateway with the settings of its intents, referenced from each
    Gateway object it became (`objects` is not needed: NGF policies on routes do not repeat it)."""
    out: list[dict[str, Any]] = []
    consumed: set[ir.Intent] = set()
    findings: list[Finding] = []
    for g, intents, params, gateways in carried("nginx-gateway-fabric", places, findings):
        name = f"{gateways[0]['metadata']['name']}-proxy"
        for gw in gateways:
            gw["spec"]["infrastructure"] = {**gw["spec"].get("infrastructure", {}),
                                            "parametersRef": {"group": GROUP, "kind": "NginxProxy", "name": name}}
        out.append({"apiVersion": API_VERSION, "kind": "NginxProxy",
                    "metadata": policy_metadata(g, name, intents),
                    "spec": {"rewriteClientIP": rewrite_client_ip(params)}})
        consumed.update(intents)
        findings.append(written(
            intents,
            f"nginx-gateway-fabric: NginxProxy {g.namespace}/{name}, referenced by Gateway(s) "
            f"{', '.join(o['metadata']['name'] for o in gateways)}, sets rewriteClientIP "
            f"{'ProxyProtocol' if params.get('source') == 'proxy-protocol' else 'XForwardedFor'} with trusted "
            f"addresses {params.get('trusted')} and setIPRecursively: nginx's realip module as ingress-nginx set it",
            "the Gateway's NginxProxy overrides these fields of the GatewayClass's; make sure only the load "
            "balancer can reach the Gateway's pods from the trusted ranges"))
    return out, consumed, findings
