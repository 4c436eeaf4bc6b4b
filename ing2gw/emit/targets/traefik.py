"""Traefik Middlewares (traefik.io/v1alpha1) for intents plain Gateway API lacks, attached through
ExtensionRef filters on the forwarding rules of exactly the Ingress's route.

Traefik's Gateway API provider runs a rule's filters in order, so the Middlewares follow
nginx's phases: the body-size check (nginx checks client_max_body_size when it picks the
location), then the address list (access phase), then basic authentication.

* body-size-limit: `buffering.maxRequestBodyBytes` (413 above it), which buffers the request
  body (ING2GW-TARGET-025).
* source-range allow lists: `ipAllowList.sourceRange`; other clients get 403 as from nginx.
  The address is the connection's (no ipStrategy), as nginx's $remote_addr by default. Traefik
  has no deny list: routes with one keep their lists as errors (not written at all, so nothing
  is half carried). An invalid list, for which nginx denies the location (503), becomes an
  allow list of the unspecified addresses only (no connection comes from them) answering 503.
* basic-auth: `basicAuth.secret` names the Ingress's own Secret, whose single key `auth` holds
  the htpasswd lines (referenced, never copied), with the Ingress's auth-realm; Traefik accepts
  {SHA}, MD5-crypt and bcrypt entries and cannot send an empty realm (ING2GW-TARGET-024).
* CORS (ir.Rule.cors): Traefik v3.7 refuses the HTTPRoute CORS filter (the rule answers 500),
  so `emit.gateway` names a `headers` Middleware by ExtensionRef at the filter's place and this
  module writes it (`cors_middleware`, ING2GW-TARGET-042): accessControl* fields, a wildcard
  origin as accessControlAllowOriginListRegex, and max-age 5 when the rule sets none (the CORS
  filter's default; Traefik's is 0). Source: pkg/middlewares/headers/header.go.
"""

from __future__ import annotations

import re
from typing import Any

from ing2gw import ir
from ing2gw.emit.targets import Emitted, cors_filter_name
from ing2gw.emit.targets.carry import carries
from ing2gw.findings import Finding, Severity

API_VERSION = "traefik.io/v1alpha1"
TARGET = "traefik"


def _name(base: str, suffix: str) -> str:
    """A metadata.name (DNS subdomain: at most 253 characters, ending in a letter or digit)."""
    return base[:253 - len(suffix)].rstrip("-.") + suffix


#: no connection comes from an unspecified address: an allow list of these admits nobody
NOBODY = ["0.0.0.0/32", "::/128"]


def _allow_only(intents: list[ir.Intent]) -> list[str] | None:
    """The allowed ranges when the route's lists are allow lists only (Traefik has no deny list)."""
    actions = {dict(i.params).get("action") for i in intents}
    if "deny-all" in actions:
        return NOBODY
    if actions != {"allow"}:
        return None
    ranges = sorted({c.strip() for i in intents for c in i.value.split(",") if c.strip()})
    return ranges or None


def emit_policies(routes: list[tuple[ir.Route, str]]) -> Emitted:
    """The Middlewares of each route with intents Traefik carries, the ExtensionRef filters that
    attach them, the intents carried, and what the user must check."""
    objects: list[dict[str, Any]] = []
    consumed: set[ir.Intent] = set()
    filters: dict[tuple[str, str], list[dict[str, Any]]] = {}
    told: dict[tuple[str, str], Finding] = {}
    written: set[tuple[str, str]] = set()
    for route, name in routes:
        if route.kind == "HTTPRoute":
            for rule in route.rules:
                if rule.cors is None or (route.namespace, cors_filter_name(rule.cors)) in written:
                    continue
                written.add((route.namespace, cors_filter_name(rule.cors)))
                objects.append(cors_middleware(rule.cors, route.namespace, route.source.key))
                told.setdefault((route.source.key, "cors"), Finding(
                    Severity.INFO, "ING2GW-TARGET-042",
                    f"traefik: the CORS policy is a headers Middleware {route.namespace}/"
                    f"{cors_filter_name(rule.cors)} (Traefik refuses the CORS filter); it also answers preflights "
                    "of other origins and sends Access-Control-Allow-Credentials/-Expose-Headers on every answer",
                    origin=route.source.origin, subject=f"Ingress {route.source.key}",
                    suggestion="nothing to do unless clients read those headers without an Origin",
                    details=(("paths", "\n".join(_rule_paths(route))),)))
        if route.kind != "HTTPRoute":
            continue  # Traefik reads ExtensionRef filters of HTTPRoutes only; the intents stay reported
        chain: list[tuple[str, dict[str, Any]]] = []
        by_kind: dict[str, list[ir.Intent]] = {}
        for i in route.intents:
            by_kind.setdefault(i.kind, []).append(i)
        body = next((i for i in by_kind.get("body-size-limit", []) if carries(TARGET, i.kind, i.params)), None)
        if body is not None:
            chain.append(("body-size", {"buffering": {"maxRequestBodyBytes": int(dict(body.params)["bytes"])}}))
            consumed.add(body)
            told.setdefault((body.source.key, body.kind), _finding(
                body, Severity.WARNING, "ING2GW-TARGET-025",
                f"traefik: buffering limits bodies to {dict(body.params)['quantity']} (413 above, as nginx) by "
                "buffering each request body before it goes upstream", "remove the buffering Middleware on routes "
                "that stream request bodies"))
        lists = by_kind.get("source-range", [])
        allowed = _allow_only(lists) if lists and carries(TARGET, "client-allow-list") else None
        if allowed is not None:
            allow_list: dict[str, Any] = {"sourceRange": allowed}
            if allowed is NOBODY:  # an invalid list: nginx denies the location with 503
                allow_list["rejectStatusCode"] = 503
            chain.append(("allowlist", {"ipAllowList": allow_list}))
            consumed.update(lists)
        auth = next((i for i in by_kind.get("basic-auth", []) if carries(TARGET, i.kind, i.params)), None)
        if auth is not None:
            p = dict(auth.params)
            basic: dict[str, Any] = {"secret": p["secret"]}
            if p.get("realm"):
                basic["realm"] = p["realm"]
            chain.append(("basic-auth", {"basicAuth": basic}))
            consumed.add(auth)
            told.setdefault((auth.source.key, auth.kind), _finding(
                auth, Severity.WARNING, "ING2GW-TARGET-024",
                f"traefik: the basicAuth Middleware reads Secret {p['secret-namespace']}/{p['secret']} as it is (its "
                "single key auth) but accepts {SHA}, MD5-crypt and bcrypt hashes only"
                + ("" if p.get("realm") else ", and answers with realm \"traefik\" (nginx: an empty realm)"),
                "re-hash crypt, {SSHA} and plain entries; keep the Secret to the one key auth"))
        for suffix, spec in chain:
            mname = _name(name, f"-{suffix}")
            objects.append({"apiVersion": API_VERSION, "kind": "Middleware",
                            "metadata": {"name": mname, "namespace": route.namespace,
                                         "annotations": {"ing2gw.io/source-ingress": route.source.key}},
                            "spec": spec})
            filters.setdefault((route.namespace, name), []).append(
                {"type": "ExtensionRef", "extensionRef": {"group": "traefik.io", "kind": "Middleware", "name": mname}})
    return Emitted(objects, consumed, [told[k] for k in sorted(told)], filters)


def _rule_paths(route: ir.Route) -> list[str]:
    """The `paths` detail of the route's rules with CORS (equivalence.explain.paths_match)."""
    kinds = {"Exact": "exact", "PathPrefix": "segment", "RegularExpression": "regex"}
    out = {f"{kinds[m.path.type]}:{m.path.value}" if m.path is not None else "segment:/"
           for r in route.rules if r.cors is not None for m in (r.matches or (ir.Match(),))}
    return sorted(out)


def _origin_regex(origin: str) -> str:
    """A Gateway API origin with a `*` in the host as the Go regexp Traefik matches: the `*`
    covers one or more labels, and an absent port may be written as the scheme's default."""
    scheme, _, host = origin.partition("://")
    head, _, tail = host.partition("*")
    port = {"http": "(:80)?", "https": "(:443)?"}.get(scheme, "") if ":" not in tail else ""
    return f"^{re.escape(scheme + '://' + head)}[^/:]+{re.escape(tail)}{port}$"


def cors_middleware(c: ir.Cors, namespace: str, source: str) -> dict[str, Any]:
    """The headers Middleware that carries one CORS policy (module docstring)."""
    h: dict[str, Any] = {}
    exact = [o for o in c.allow_origins if o == "*" or "*" not in o]
    wild = [_origin_regex(o) for o in c.allow_origins if o != "*" and "*" in o]
    if exact:
        h["accessControlAllowOriginList"] = exact
    if wild:
        h["accessControlAllowOriginListRegex"] = wild
    if c.allow_methods:
        h["accessControlAllowMethods"] = list(c.allow_methods)
    if c.allow_headers:
        h["accessControlAllowHeaders"] = list(c.allow_headers)
    if c.expose_headers:
        h["accessControlExposeHeaders"] = list(c.expose_headers)
    if c.allow_credentials:
        h["accessControlAllowCredentials"] = True
    h["accessControlMaxAge"] = c.max_age if c.max_age is not None else 5
    return {"apiVersion": API_VERSION, "kind": "Middleware",
            "metadata": {"name": cors_filter_name(c), "namespace": namespace,
                         "annotations": {"ing2gw.io/source-ingress": source}},
            "spec": {"headers": h}}


def _finding(i: ir.Intent, severity: Severity, code: str, message: str, suggestion: str) -> Finding:
    return Finding(severity, code, message, origin=i.source.origin, subject=f"Ingress {i.source.key}",
                   annotation=i.source.annotation, suggestion=suggestion, security=i.security)
