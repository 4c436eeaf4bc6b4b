"""Istio external authorization: an AuthorizationPolicy with action CUSTOM for auth-url.

Istio sends a request to an external authorizer when a CUSTOM AuthorizationPolicy's rules match
it; the authorizer is a mesh `extensionProvider` (meshConfig.extensionProviders, in istiod's
mesh configuration, not a Kubernetes object ing2gw writes). The policy is scoped exactly like
the address lists' DENY policies (istio.py: the route's listener ports, hosts and paths minus
the paths other routes win) and names a provider derived from the auth URL's Service, port,
path and response headers; ING2GW-TARGET-028 gives the exact provider entry to add.

Facts (Istio docs tasks/security/authorization/authz-custom and reference/config/
istio.mesh.v1alpha1 EnvoyExternalAuthorizationHttpProvider; Envoy's ext_authz http_service):
* `pathPrefix` is put in front of the request's own path: the auth service is called at
  `<auth path><request path>`, where nginx's auth_request called exactly the auth URL (the
  original URI in X-Original-URL).
* the check request carries Host, Method, Path, Content-Length and Authorization plus the
  headers `includeRequestHeadersInCheck` lists (nginx passed every client header);
  `headersToUpstreamOnAllow` copies headers of the auth answer upstream (auth-response-headers).
* a CUSTOM policy naming a provider the mesh configuration lacks makes istiod generate a
  deny-all RBAC filter for the whole gateway in its place (pilot/pkg/security/authz/builder:
  "will generate a deny all config"): closed, for every route of the Gateway.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ing2gw import ir
from ing2gw.findings import Finding, Severity

API_VERSION = "security.istio.io/v1"


def _name(base: str, suffix: str) -> str:
    """A metadata.name (DNS subdomain: at most 253 characters, ending in a letter or digit)."""
    return base[:253 - len(suffix)].rstrip("-.") + suffix


def _headers(p: dict[str, str]) -> list[str]:
    return [h.lower() for h in p.get("response-headers", "").split(",") if h]


def provider_name(intent: ir.Intent) -> str:
    """The extension provider's name: the auth Service, port and a digest of the path and the
    headers copied upstream (the same auth URL and headers, the same provider)."""
    p = dict(intent.params)
    digest = hashlib.sha256(f"{p['path']}\0{','.join(_headers(p))}".encode()).hexdigest()[:8]
    return f"ing2gw-ext-authz-{p['service']}-{p['service-namespace']}-{p['port']}-{digest}"


def provider_entry(intent: ir.Intent) -> dict[str, Any]:
    """The meshConfig.extensionProviders entry the CUSTOM policy names."""
    p = dict(intent.params)
    http: dict[str, Any] = {"service": f"{p['service']}.{p['service-namespace']}.svc.cluster.local",
                            "port": int(p["port"])}
    if p["path"] not in ("", "/"):
        http["pathPrefix"] = p["path"]
    if _headers(p):
        http["headersToUpstreamOnAllow"] = _headers(p)
    return {"name": provider_name(intent), "envoyExtAuthzHttp": http}


def custom_policy(intent: ir.Intent, route: ir.Route, name: str, gw: tuple[str, str],
                  ops: list[dict[str, Any]]) -> dict[str, Any]:
    """The CUSTOM AuthorizationPolicy on Gateway `gw` whose rules name the route's requests."""
    ns, gname = gw
    return {"apiVersion": API_VERSION, "kind": "AuthorizationPolicy",
            "metadata": {"name": _name(f"{route.namespace}-{name}", "-ext-authz"), "namespace": ns,
                         "annotations": {"ing2gw.io/source-ingress": route.source.key}},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gname}],
                     "action": "CUSTOM", "provider": {"name": provider_name(intent)},
                     "rules": [{"to": [{"operation": o} for o in ops]}]}}


def _flow(entry: dict[str, Any]) -> str:
    """The entry in YAML flow style, for a one-line finding."""
    import json

    return json.dumps(entry, sort_keys=False, separators=(", ", ": "))


def written_finding(intent: ir.Intent, gateways: list[tuple[str, str]]) -> Finding:
    """ING2GW-TARGET-028: the provider entry to add, and what differs from auth_request."""
    p = dict(intent.params)
    gws = ", ".join(f"{ns}/{n}" for ns, n in gateways)
    entry = provider_entry(intent)
    path = p["path"]
    return Finding(
        Severity.WARNING, "ING2GW-TARGET-028",
        f"istio: auth-url becomes a CUSTOM AuthorizationPolicy on Gateway {gws} naming extension provider "
        f"{entry['name']}, which the mesh configuration must define before the policy is applied (istiod answers "
        f"every request of the Gateway with 403 while it is missing): add to meshConfig.extensionProviders "
        f"{_flow(entry)}. The auth service is then called at "
        + (f"{path} followed by the request's path (pathPrefix; nginx called exactly {path})"
           if path not in ("", "/") else "the request's own path (nginx called /)")
        + " and receives Host, Method, Path, Content-Length and Authorization only (nginx sent every client header "
        "and X-Original-URL): list the headers it reads (Cookie, ...) in includeRequestHeadersInCheck",
        origin=intent.source.origin, subject=f"Ingress {intent.source.key}", annotation=intent.source.annotation,
        suggestion="add the provider with istioctl install --set meshConfig.extensionProviders[...] or the istio "
                   "ConfigMap's mesh key, then apply the policy; check the auth service accepts the longer paths",
        security=True)


def lost_finding(intent: ir.Intent, namespace: str, name: str, why: str) -> Finding:
    """ING2GW-TARGET-029: the route cannot be singled out, so no CUSTOM policy is written."""
    return Finding(
        Severity.ERROR, "ING2GW-TARGET-029",
        f"istio: the external authentication of route {namespace}/{name} is not written: {why}, so a CUSTOM "
        "AuthorizationPolicy on the Gateway cannot single out exactly its requests",
        origin=intent.source.origin, subject=f"Ingress {intent.source.key}", annotation=intent.source.annotation,
        suggestion="split the Ingress so its paths are Exact or Prefix on named hosts, or write the policy by hand",
        security=True)
