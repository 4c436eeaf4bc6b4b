"""Type checks of the Traefik CRD fields the translation reads.

The CRDs' OpenAPI schemas make the API server refuse an object whose fields have the wrong
type, so such an object never exists in a cluster: it is reported and treated as missing
(never read half-way, never a traceback).
"""

from __future__ import annotations

from typing import Any

from ing2gw.model.ingress import label_problem, service_name_problem, subdomain_problem

#: field -> expected type name, per Middleware type (the fields `middlewares.plan` reads)
MIDDLEWARE_FIELDS: dict[str, dict[str, str]] = {
    "redirectScheme": {"scheme": "str", "port": "scalar", "permanent": "bool", "forcePermanentRedirect": "bool"},
    "stripPrefix": {"prefixes": "list[str]"},
    "stripPrefixRegex": {"regex": "list[str]"},
    "replacePathRegex": {"regex": "str", "replacement": "str"},
    "redirectRegex": {"regex": "str", "replacement": "str", "permanent": "bool"},
    "addPrefix": {"prefix": "str"},
    "replacePath": {"path": "str"},
    "headers": {"customRequestHeaders": "dict[str,str]", "customResponseHeaders": "dict[str,str]",
                "frameDeny": "bool", "customFrameOptionsValue": "str", "contentTypeNosniff": "bool",
                "browserXssFilter": "bool", "customBrowserXSSValue": "str", "contentSecurityPolicy": "str",
                "contentSecurityPolicyReportOnly": "str", "referrerPolicy": "str", "permissionsPolicy": "str",
                "stsSeconds": "int", "stsIncludeSubdomains": "bool", "stsPreload": "bool", "forceSTSHeader": "bool",
                "publicKey": "str", "isDevelopment": "bool", "accessControlAllowCredentials": "bool",
                "accessControlAllowHeaders": "list[str]", "accessControlAllowMethods": "list[str]",
                "accessControlAllowOriginList": "list[str]", "accessControlExposeHeaders": "list[str]",
                "accessControlMaxAge": "int", "addVaryHeader": "bool"},
    "ipAllowList": {"sourceRange": "list[str]"},
    "ipWhiteList": {"sourceRange": "list[str]"},
    "basicAuth": {"secret": "str"},
    "digestAuth": {"secret": "str"},
    "forwardAuth": {"address": "str"},
    "rateLimit": {"average": "scalar"},
    "inFlightReq": {"amount": "scalar"},
    "chain": {"middlewares": "list[dict]"},
}


def type_problem(value: Any, want: str) -> bool:
    """Is `value` not of the type `want` names (None always passes: the field is unset)?"""
    if value is None:
        return False
    if want == "str":
        return not isinstance(value, str)
    if want == "bool":
        return not isinstance(value, bool)
    if want == "int":
        return not isinstance(value, int) or isinstance(value, bool)
    if want == "scalar":
        return not isinstance(value, (str, int)) or isinstance(value, bool)
    if want == "dict":
        return not isinstance(value, dict)
    if want == "list[str]":
        return not isinstance(value, list) or any(not isinstance(x, str) for x in value)
    if want == "list[dict]":
        return not isinstance(value, list) or any(not isinstance(x, dict) for x in value)
    if want == "dict[str,str]":
        return not isinstance(value, dict) or any(not isinstance(v, str) for v in value.values())
    return False


def middleware_problem(kind: str, body: Any) -> str | None:
    """Why a Middleware body has the wrong shape, or None."""
    if not isinstance(body, dict):
        return f"{kind} must be a mapping"
    for name, want in MIDDLEWARE_FIELDS.get(kind, {}).items():
        if type_problem(body.get(name), want):
            return f"{kind}.{name} must be {want}"
    return None


_ROUTE_FIELDS = {"match": "str", "priority": "int", "services": "list[dict]", "middlewares": "list[dict]"}
_SERVICE_FIELDS = {"name": "str", "namespace": "str", "port": "scalar", "weight": "int", "kind": "str"}


def name_problem(namespace: str, name: str) -> str | None:
    """Why an object's namespace or name would be refused by the API server, or None."""
    return label_problem(namespace) or subdomain_problem(name)


def ingress_route_problem(spec: Any) -> str | None:
    """Why an IngressRoute spec has the wrong shape, or None."""
    if not isinstance(spec, dict):
        return "spec must be a mapping"
    if type_problem(spec.get("entryPoints"), "list[str]"):
        return "spec.entryPoints must be a list of strings"
    if type_problem(spec.get("routes"), "list[dict]"):
        return "spec.routes must be a list of mappings"
    if type_problem(spec.get("tls"), "dict") or type_problem((spec.get("tls") or {}).get("secretName"), "str"):
        return "spec.tls must be a mapping with a string secretName"
    for i, route in enumerate(spec.get("routes") or []):
        for name, want in _ROUTE_FIELDS.items():
            if type_problem(route.get(name), want):
                return f"spec.routes[{i}].{name} must be {want}"
        for j, ref in enumerate((route.get("services") or []) + (route.get("middlewares") or [])):
            for name, want in _SERVICE_FIELDS.items():
                if type_problem(ref.get(name), want):
                    return f"spec.routes[{i}] service or middleware [{j}].{name} must be {want}"
        for ref in route.get("services") or []:
            problem = _ref_problem(ref)
            if problem:
                return f"spec.routes[{i}].services: {problem}"
    secret = (spec.get("tls") or {}).get("secretName")
    if secret and subdomain_problem(secret):
        return f"spec.tls.secretName: {subdomain_problem(secret)}"
    return None


def _ref_problem(ref: dict[str, Any]) -> str | None:
    name = str(ref.get("name") or "")
    if ref.get("kind") == "TraefikService":
        return subdomain_problem(name)
    problem = service_name_problem(name)
    if problem is None and ref.get("namespace"):
        problem = label_problem(str(ref["namespace"]))
    if problem is None and isinstance(ref.get("port"), int) and not 0 < ref["port"] < 65536:
        problem = f"port {ref['port']} is out of range"
    if problem is None and isinstance(ref.get("weight"), int) and not 0 <= ref["weight"] <= 1000000:
        problem = f"weight {ref['weight']} is out of range"
    return problem
    return None


def weighted_problem(spec: Any) -> str | None:
    """Why a TraefikService spec.weighted has the wrong shape, or None."""
    if not isinstance(spec, dict) or type_problem(spec.get("weighted"), "dict"):
        return "spec.weighted must be a mapping"
    services = (spec.get("weighted") or {}).get("services")
    if type_problem(services, "list[dict]"):
        return "spec.weighted.services must be a list of mappings"
    for ref in services or []:
        for name, want in _SERVICE_FIELDS.items():
            if type_problem(ref.get(name), want):
                return f"spec.weighted.services[].{name} must be {want}"
        problem = _ref_problem(ref)
        if problem:
            return f"spec.weighted.services: {problem}"
    return None


def mirroring_problem(spec: Any) -> str | None:
    """Why a TraefikService spec.mirroring has the wrong shape, or None."""
    m = spec.get("mirroring") if isinstance(spec, dict) else None
    if not isinstance(m, dict):
        return "spec.mirroring must be a mapping"
    if type_problem(m.get("mirrors"), "list[dict]"):
        return "spec.mirroring.mirrors must be a list of mappings"
    for ref in [m, *(m.get("mirrors") or [])]:
        for name, want in {**_SERVICE_FIELDS, "percent": "int"}.items():
            if type_problem(ref.get(name), want):
                return f"spec.mirroring {name} must be {want}"
        problem = _ref_problem(ref)
        if problem:
            return f"spec.mirroring: {problem}"
    return None
