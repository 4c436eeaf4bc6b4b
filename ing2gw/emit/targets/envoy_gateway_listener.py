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
    _listener_tls(places, objects, out, consumed, findings)
    return out, consumed, findings


def _listener_tls(places: list[tuple[ir.Gateway, list[dict[str, Any]]]], objects: list[dict[str, Any]],
                  out: list[dict[str, Any]], consumed: set[ir.Intent], findings: list[Finding]) -> None:
    """The ConfigMap's ssl-protocols / ssl-ciphers (`listener-tls` on the Gateway) as the `tls` of
    the Gateway's ClientTrafficPolicy `<gateway>-listeners` (created when client-ip wrote none)
    and of every listener-level policy of the Gateway: a listener policy replaces the Gateway's
    whole, and its own suites (a host's ssl-ciphers) win over the ConfigMap's, as nginx's
    server-level ssl_ciphers over the http-level one."""
    from ing2gw.emit.targets.carry import carries
    from ing2gw.emit.targets.listener_tls import (dropped_finding, envoy_tls, gateway_settings, not_carried,
                                                  written_finding)

    for g, objs in places:
        mine, hosts, params = gateway_settings(g)
        if not mine:
            continue
        if params is None:
            for i in mine:
                findings.append(not_carried("envoy-gateway", i, hosts, "the Gateway serves IngressClasses with "
                                            "different TLS settings; one Gateway policy cannot serve both"))
            consumed.update(mine)
            continue
        if not carries("envoy-gateway", "listener-tls", params):
            continue  # reported by emit (not consumed)
        gateways = sorted((o for o in objs if o.get("kind") == "Gateway"), key=lambda o: str(o["metadata"]["name"]))
        if not gateways:
            continue
        tls = envoy_tls(params)
        names = [o["metadata"]["name"] for o in gateways]
        name = f"{names[0]}-listeners"
        policy = next((o for o in out if o["metadata"]["name"] == name and o["metadata"]["namespace"] == g.namespace),
                      None)
        if policy is None:
            policy = {"apiVersion": API_VERSION, "kind": "ClientTrafficPolicy",
                      "metadata": policy_metadata(g, name, mine),
                      "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": n}
                                              for n in names]}}
            out.append(policy)
        policy["spec"]["tls"] = dict(tls)
        sets = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects if o.get("kind") == "ListenerSet"
                and (o.get("spec", {}).get("parentRef") or {}).get("name") in names}
        patched = []
        for other in objects:
            if other.get("kind") == "ClientTrafficPolicy" and other.get("apiVersion") == API_VERSION \
                    and _targets_gateway(other, g.namespace, set(names), sets):
                own = other["spec"].setdefault("tls", {})
                for k, v in tls.items():
                    own.setdefault(k, v)
                patched.append(f"{other['metadata']['namespace']}/{other['metadata']['name']}")
        consumed.update(mine)
        first = min(mine, key=lambda i: i.source.key)
        where = (f"envoy-gateway: ClientTrafficPolicy {g.namespace}/{name} on Gateway(s) {', '.join(names)}"
                 + (f" (and the listener policies {', '.join(sorted(patched))})" if patched else ""))
        findings.append(written_finding(first, where, tls, hosts))
        dropped = dropped_finding(first, where, hosts)
        if dropped is not None:
            findings.append(dropped)
