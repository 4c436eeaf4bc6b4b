"""Envoy Gateway: the settings of every listener of a Gateway, in one ClientTrafficPolicy.

Envoy Gateway takes one ClientTrafficPolicy per listener, the most specific one whole (a policy
on a listener's sectionName replaces the Gateway's, without merging; two policies on the same
target: the older wins and the other is reported as conflicting; `concepts/gateway_api_extensions/
client-traffic-policy`). So ing2gw writes one policy per Gateway, `<gateway>-listeners`, whose
spec is built from all of the Gateway's controller-wide intents (`listener_settings`; today
`client-ip`), and copies the same fields into every listener-level ClientTrafficPolicy written
for that Gateway's listeners (client certificates), so that no listener loses them.

client-ip (ingress-nginx realip, `real_ip_recursive on`, `set_real_ip_from` = the trusted
ranges): `clientIPDetection.xForwardedFor.trustedCIDRs` reproduces it exactly: Envoy's XFF
original-IP detection with trusted CIDRs uses the connection's address unless it is trusted,
then walks X-Forwarded-For from the right to the first untrusted address, and takes the
leftmost one when all are trusted (Envoy `extensions/http/original_ip_detection/xff`,
XffConfig.xff_trusted_cidrs; Envoy Gateway docs `tasks/traffic/client-traffic-policy`,
"Configure Client IP Detection"). `numTrustedHops` would take a fixed position instead.
The PROXY protocol (`use-proxy-protocol`): `proxyProtocol` takes the address from the PROXY
header of every connection, which is what nginx does when the load balancer is trusted (the
default 0.0.0.0/0; carry.py refuses narrower ranges).
"""

from __future__ import annotations

from typing import Any

from ing2gw import ir
from ing2gw.emit.targets.client_ip import carried, policy_metadata, written
from ing2gw.findings import Finding

API_VERSION = "gateway.envoyproxy.io/v1alpha1"
#: the ClientTrafficPolicy fields `listener_settings` may write (copied into listener policies)
FIELDS = ("clientIPDetection", "proxyProtocol")


def listener_settings(params: dict[str, str]) -> dict[str, Any]:
    """ClientTrafficPolicy spec fields for a Gateway's client-ip parameters."""
    if params.get("source") == "proxy-protocol":
        return {"proxyProtocol": {}}
    trusted = [c for c in params.get("trusted", "").split(",") if c]
    return {"clientIPDetection": {"xForwardedFor": {"trustedCIDRs": trusted}}}


def _targets_gateway(policy: dict[str, Any], namespace: str, gateways: set[str], sets: set[tuple[str, str]]) -> bool:
    """The policy attaches to one of the Gateways (or one of their ListenerSets), or a listener of them."""
    refs = [r for r in (policy.get("spec", {}).get("targetRefs") or []) if isinstance(r, dict)]
    ns = policy["metadata"].get("namespace")
    return any((r.get("kind") == "Gateway" and ns == namespace and r.get("name") in gateways)
               or (r.get("kind") == "ListenerSet" and (ns, r.get("name")) in sets) for r in refs)


def emit_gateway_policies(places: list[tuple[ir.Gateway, list[dict[str, Any]]]],
                          objects: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], set[ir.Intent], list[Finding]]:
    """One ClientTrafficPolicy per IR Gateway with the settings of its intents, targeting each
    Gateway object it became; the same fields go into the listener-level policies of those
    Gateways (and of their ListenerSets) in `objects`."""
    out: list[dict[str, Any]] = []
    consumed: set[ir.Intent] = set()
    findings: list[Finding] = []
    for g, intents, params, gateways in carried("envoy-gateway", places, findings):
        settings = listener_settings(params)
        names = [o["metadata"]["name"] for o in gateways]
        sets = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects if o.get("kind") == "ListenerSet"
                and (o.get("spec", {}).get("parentRef") or {}).get("name") in names}
        patched = []
        for policy in objects:
            if policy.get("kind") == "ClientTrafficPolicy" and policy.get("apiVersion") == API_VERSION \
                    and _targets_gateway(policy, g.namespace, set(names), sets):
                policy["spec"].update({k: v for k, v in settings.items()})
                patched.append(f"{policy['metadata']['namespace']}/{policy['metadata']['name']}")
        name = f"{names[0]}-listeners"
        out.append({"apiVersion": API_VERSION, "kind": "ClientTrafficPolicy",
                    "metadata": policy_metadata(g, name, intents),
                    "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": n}
                                            for n in names], **settings}})
        consumed.update(intents)
        how = ("proxyProtocol: the client address comes from the PROXY protocol header, and a connection without "
               "one is refused (as nginx with use-proxy-protocol)" if "proxyProtocol" in settings
               else f"clientIPDetection.xForwardedFor.trustedCIDRs {params.get('trusted')}: the client address is the "
                    "rightmost X-Forwarded-For entry outside these ranges when the peer is inside them (as nginx's "
                    "real_ip_recursive)")
        findings.append(written(
            intents,
            f"envoy-gateway: ClientTrafficPolicy {g.namespace}/{name} on Gateway(s) {', '.join(names)} derives the "
            f"client address as ingress-nginx did: {how}"
            + (f"; also written into the listener policies {', '.join(sorted(patched))}" if patched else ""),
            "make sure only the load balancer can reach the Gateway's pods (the trusted ranges are trusted "
            "to tell the truth)" if "clientIPDetection" in settings
            else "make sure the load balancer in front sends the PROXY protocol to the Gateway's Service"))
    return out, consumed, findings
