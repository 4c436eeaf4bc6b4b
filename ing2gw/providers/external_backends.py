"""What an ExternalName Service backend becomes with a `--target`: the finding that says it.

ingress-nginx proxies to an ExternalName Service's DNS name and sends the client's Host header
(`$best_http_host`, unless upstream-vhost is set). Gateway API leaves ExternalName backendRefs to
the implementation (`ING2GW-CORE-040` without a target). With a target, each implementation's
own behaviour, from its source:

* Envoy Gateway v1.9 refuses an ExternalName Service as a backend (ResolvedRefs False,
  internal/gatewayapi/validate.go) and offers its `Backend` (endpoints `fqdn`), which ing2gw
  writes (emit/targets/external_backends.py) when the Backend API is usable for the name;
* kgateway finds no endpoints for it (503; no EndpointSlices) and offers its `Backend` of type
  Static, which ing2gw writes;
* NGINX Gateway Fabric (2.3+) proxies to it when the Gateway's NginxProxy has a dnsResolver, on
  a port the Service lists, with the external name as Host (config/servers.go);
* Istio proxies to it by DNS on the ports the Service lists;
* Traefik's Gateway API provider (v3.7) refuses it (BackendNotFound); GKE and AWS build their
  load balancers' backends from endpoints an ExternalName Service does not have.

The emitter writes the objects; this module only says what happens, in the target's terms, so
that the equivalence check can hold the translation to it (`ing2gw/data/codes-target.yaml`).
"""

from __future__ import annotations

from ing2gw.emit.targets.carry import external_backend_name, verdict
from ing2gw.findings import Severity

__all__ = ["target_finding"]

#: implementations whose own backend object ing2gw writes: target -> (object, how to enable it)
_OWN = {
    "envoy-gateway": ("ING2GW-TARGET-073", "an Envoy Gateway Backend (gateway.envoyproxy.io/v1alpha1) {name} with "
                      "the FQDN endpoint {host}:{port}, named by the route's backendRef (Envoy Gateway refuses an "
                      "ExternalName Service); Envoy Gateway accepts a Backend only with the Backend API enabled in "
                      "its EnvoyGateway configuration (extensionApis.enableBackend: true), else the route answers "
                      "500; Envoy sends the client's Host header as ingress-nginx did"),
    "kgateway": ("ING2GW-TARGET-074", "a kgateway Backend (gateway.kgateway.dev/v1alpha1) {name} of type Static "
                 "with the host {host}:{port}, named by the route's backendRef (kgateway finds no endpoints for an "
                 "ExternalName Service); Envoy resolves the name by DNS and sends the client's Host header as "
                 "ingress-nginx did"),
}

#: targets that refuse an ExternalName Service and for which ing2gw writes nothing else: what to do
_REFUSED = {
    "traefik": ("Traefik's Gateway API provider (v3.7) refuses an ExternalName Service as a backendRef "
                "(BackendNotFound: the rule answers 500; its allowExternalNameServices option applies to the "
                "Ingress and CRD providers only)",
                "write a TraefikService in the kubernetesCRD provider (with allowExternalNameServices) and name it "
                "from the backendRef (group traefik.io, kind TraefikService), or give the Service endpoints"),
    "gke": ("GKE Gateway builds its backend services from network endpoint groups of the Service's Pods, which an "
            "ExternalName Service does not have: the route has no backend",
            "reach the external host through an Internet NEG behind a load balancer of your own, or give the "
            "Service endpoints"),
    "aws": ("the AWS Load Balancer Controller registers a Service's endpoints in a target group, and an "
            "ExternalName Service has none: the target group stays empty",
            "point the route at a Service with endpoints (an in-cluster proxy to the external host)"),
}


def target_finding(target: str, service: str, host: str, port: int | None,
                   service_ports: list[int]) -> tuple[Severity, str, str, str]:
    """(severity, code, message, suggestion) of the finding about ExternalName Service `service`
    (namespace/name) of DNS name `host`, reached on `port`, with `target`."""
    where = f"Service {service} is of type ExternalName ({host}): ingress-nginx proxies to that name"
    if target in _OWN:
        v = verdict(target, "external-backend", {"host": host, "port": str(port or "")})
        if v.carried:
            code, text = _OWN[target]
            name = external_backend_name(service.partition("/")[2], port or 0)
            severity = Severity.WARNING if target == "envoy-gateway" else Severity.INFO
            suggestion = ("enable the Backend API (EnvoyGateway extensionApis.enableBackend) and limit who may "
                          "create Backends (RBAC)" if target == "envoy-gateway"
                          else "limit who may create Backends (RBAC): a Backend reaches any host")
            return severity, code, f"{target}: {where}; it becomes " + text.format(name=name, host=host, port=port), \
                suggestion
        why = (f"{target}: {where}, but its Backend is not written: {v.why_not}; the route names the Service, "
               + ("which Envoy Gateway refuses (500)" if target == "envoy-gateway"
                  else "for which kgateway finds no endpoints (503)"))
        return Severity.WARNING, "ING2GW-TARGET-077", why, "write the Backend by hand, or give the Service endpoints"
    if target == "nginx-gateway-fabric":
        if port not in service_ports:
            return (Severity.WARNING, "ING2GW-TARGET-077",
                    f"{target}: {where} on port {port}, which the Service does not list: NGINX Gateway Fabric "
                    "refuses the backendRef (the rule answers 500)", f"add port {port} to the Service's ports")
        return (Severity.WARNING, "ING2GW-TARGET-075",
                f"{target}: {where}; NGINX Gateway Fabric (2.3+) proxies to it too, only when the Gateway's "
                "NginxProxy sets spec.dnsResolver (else the backendRef is refused and the rule answers 500), and "
                f"it sends Host: {host} where ingress-nginx sent the client's Host header",
                "set spec.dnsResolver.addresses in the NginxProxy of the Gateway (or its GatewayClass), and check "
                f"that {host} answers for that Host (add a RequestHeaderModifier setting Host if it needs the "
                "client's)")
    if target == "istio":
        if port not in service_ports:
            return (Severity.WARNING, "ING2GW-TARGET-077",
                    f"{target}: {where} on port {port}, which the Service does not list: Istio builds a DNS "
                    "cluster only for the ports an ExternalName Service lists, so the route has no backend",
                    f"add port {port} to the Service's ports")
        return (Severity.INFO, "ING2GW-TARGET-076",
                f"{target}: {where}; Istio proxies to it too (a DNS cluster of {host}:{port}) with the client's "
                "Host header, as ingress-nginx did", "")
    if target in _REFUSED:
        why, suggestion = _REFUSED[target]
        return Severity.WARNING, "ING2GW-TARGET-077", f"{target}: {where}; {why}", suggestion
    return (Severity.WARNING, "ING2GW-CORE-040",
            f"{where}; whether a Gateway accepts an ExternalName Service as a backendRef is implementation-specific, "
            "so the equivalence check cannot vouch for its routes",
            "check your implementation's support, or point the route at a Service with endpoints (or the "
            "implementation's own external-backend resource)")
