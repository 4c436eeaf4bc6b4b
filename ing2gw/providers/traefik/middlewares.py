"""Traefik Middleware CRDs (traefik.io/v1alpha1 and traefik.containo.us/v1alpha1) and what
they become on one router: Gateway API filters, intents for a target's policies, or findings.

Facts: traefik-semantics.md section I and Traefik docs
`reference/routing-configuration/http/middlewares/*.md`. A Middleware is referenced from an
Ingress as `<namespace>-<name>@kubernetescrd`; one that does not exist (or holds no or several
middleware types) makes Traefik drop the router (T-F6).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ing2gw import ir
from ing2gw.load import Manifest
from ing2gw.providers.traefik.shapes import middleware_problem

GROUPS = ("traefik.io", "traefik.containo.us")
#: an HTTP header name (RFC 9110 token), as Gateway API's HeaderName requires
_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`|~]+\Z")
#: types that change nothing the equivalence check compares (compression, retries, ...)
NEUTRAL = {"compress", "buffering", "retry", "circuitBreaker", "contentType", "grpcWeb", "passTLSClientCert"}
SECURITY = {"ipAllowList", "ipWhiteList", "basicAuth", "digestAuth", "forwardAuth"}
RATE = {"rateLimit", "inFlightReq"}


@dataclass(frozen=True)
class Middleware:
    namespace: str
    name: str
    kind: str
    spec: dict[str, Any]
    manifest: Manifest


@dataclass
class Plan:
    """What a router's middlewares amount to, per side (HTTP and HTTPS listeners)."""

    #: (redirect for GET, redirect for other methods) on the HTTP side; None: none
    http_redirect: tuple[ir.Redirect, ir.Redirect] | None = None
    https_redirect: tuple[ir.Redirect, ir.Redirect] | None = None
    rewrite: ir.Rewrite | None = None
    request_headers: ir.HeaderChanges = ir.HeaderChanges()
    response_headers: ir.HeaderChanges = ir.HeaderChanges()
    intents: list[ir.Intent] = field(default_factory=list)
    #: (severity, code, message, middleware type) to report
    notes: list[tuple[str, str, str, str]] = field(default_factory=list)
    converted: list[str] = field(default_factory=list)


def index(manifests: list[Manifest], default_ns: str) -> dict[str, Middleware | str]:
    """`<namespace>-<name>` -> the Middleware, or why Traefik cannot build it."""
    out: dict[str, Middleware | str] = {}
    secrets = {(m.namespace or default_ns, m.name) for m in manifests if m.kind == "Secret" and not m.group}
    secret_namespaces = {ns for ns, _ in secrets}
    for m in manifests:
        if m.kind != "Middleware" or m.group not in GROUPS:
            continue
        ns = m.namespace or default_ns
        spec = m.obj.get("spec") or {}
        kinds = [str(k) for k in spec] if isinstance(spec, dict) else []
        key = f"{ns}-{m.name}"
        if not isinstance(spec, dict) or len(kinds) != 1:
            out[key] = f"Middleware {ns}/{m.name} must hold exactly one middleware type (it has {len(kinds)})"
            continue
        problem = middleware_problem(kinds[0], spec[kinds[0]])
        if problem:
            out[key] = f"Middleware {ns}/{m.name} is invalid ({problem}): the API server refuses it"
            continue
        body = spec[kinds[0]]
        secret = body.get("secret") if kinds[0] in ("basicAuth", "digestAuth") else None
        # Traefik cannot create an auth Middleware whose Secret is missing, and every router
        # using it goes (kubernetes.go createBasicAuthMiddleware). A Secret absent from an input
        # that holds other Secrets of the namespace is taken as missing; otherwise as present.
        if secret and ns in secret_namespaces and (ns, str(secret)) not in secrets:
            out[key] = f"Middleware {ns}/{m.name}: its Secret {ns}/{secret} does not exist, so Traefik cannot create it"
            continue
        out[key] = Middleware(ns, m.name, kinds[0], body, m)
    return out


def resolve(names: tuple[str, ...], mws: dict[str, Middleware | str]) -> tuple[list[Middleware], str | None]:
    """The router's middlewares in order with chains expanded, or why Traefik drops the router."""
    out: list[Middleware] = []
    for ref in names:
        name, at, provider = ref.partition("@")
        if not at:
            return [], f"middleware {ref!r} is not qualified with a provider (write <namespace>-<name>@kubernetescrd)"
        if provider != "kubernetescrd":
            return [], f"middleware {ref!r} comes from provider {provider!r}, which ing2gw does not read"
        found = mws.get(name)
        if found is None:
            return [], f"middleware {ref!r} does not exist in the input"
        if isinstance(found, str):
            return [], found
        expanded, problem = _expand(found, mws, 0)
        if problem:
            return [], problem
        out += expanded
    return out, None


def _expand(mw: Middleware, mws: dict[str, Middleware | str], depth: int) -> tuple[list[Middleware], str | None]:
    if mw.kind != "chain":
        return [mw], None
    if depth > 10:
        return [], f"chain {mw.namespace}/{mw.name} nests too deeply (a loop?)"
    out: list[Middleware] = []
    for member in mw.spec.get("middlewares") or []:
        name = str(member.get("name") or "")
        ns = str((member or {}).get("namespace") or mw.namespace)
        found = mws.get(name.partition("@")[0] if "@" in name else f"{ns}-{name}")
        if found is None or isinstance(found, str):
            return [], f"chain {mw.namespace}/{mw.name}: member {name!r} does not exist"
        sub, problem = _expand(found, mws, depth + 1)
        if problem:
            return [], problem
        out += sub
    return out, None


def _codes(permanent: bool, force: bool) -> tuple[int, int]:
    """(status for GET, for other methods): Traefik's moveHandler (redirect.go)."""
    if force:
        return 308, 308
    return (301, 308) if permanent else (302, 307)


def plan(kind: str, path: str, mws: list[Middleware], source: ir.Source) -> Plan:
    """Filters for a router matching `kind` `path` with middlewares `mws` in order."""
    p = Plan()
    req_set: dict[str, str] = {}
    req_remove: list[str] = []
    resp_set: dict[str, str] = {}
    resp_remove: list[str] = []
    current_prefix = path if kind == "prefix" else None
    current_path = path if kind == "exact" else None
    for i, mw in enumerate(mws):
        label = f"{mw.kind} ({mw.namespace}/{mw.name})"
        s = mw.spec
        if mw.kind == "redirectScheme":
            scheme = str(s.get("scheme") or "https")
            port = s.get("port")
            port_n = int(port) if port not in (None, "") and str(port).isdigit() else None
            get, other = _codes(bool(s.get("permanent")), bool(s.get("forcePermanentRedirect")))
            if scheme not in ("http", "https") or (port_n is not None and not 0 < port_n < 65536):
                p.notes.append(("warning", "ING2GW-TRAEFIK-033",
                                f"{label}: scheme {scheme!r} / port {port!r} cannot be a Gateway API redirect; not "
                                "converted", mw.kind))
                continue
            if i != 0 or p.rewrite is not None:
                p.notes.append(("warning", "ING2GW-TRAEFIK-033",
                                f"{label} runs after other middlewares that change the request: not converted",
                                mw.kind))
                continue
            redirect = (ir.Redirect(get, scheme=scheme, port=port_n), ir.Redirect(other, scheme=scheme, port=port_n))
            # Traefik does not redirect when the URL would not change (https on an https request
            # to its default port): the request goes on to the next middlewares (redirect.go)
            if scheme == "https":
                p.http_redirect = redirect
                if port_n not in (None, 443):
                    p.https_redirect = redirect
                else:
                    p.notes.append(("info", "ING2GW-TRAEFIK-037",
                                    f"{label}: HTTPS requests are forwarded; Traefik redirects those whose Host "
                                    "names a port (the URL without it differs)", mw.kind))
            elif scheme == "http":
                p.https_redirect = redirect
                if port_n not in (None, 80):
                    p.http_redirect = redirect
            else:
                p.http_redirect = p.https_redirect = redirect
            p.converted.append(label)
        elif mw.kind == "stripPrefix":
            prefixes = [str(x) for x in s.get("prefixes") or []]
            first = next((x for x in prefixes if current_prefix is not None and current_prefix.startswith(x)
                          or current_path is not None and current_path.startswith(x)), None)
            if current_prefix is not None and first is not None and first == current_prefix and all(
                    not (x != first and (first.startswith(x) or x.startswith(first))) for x in prefixes[:prefixes.index(first)]):
                p.rewrite = ir.Rewrite(prefix_path="/")
                req_set["X-Forwarded-Prefix"] = first
                current_prefix = "/"
                p.converted.append(label)
            elif current_path is not None and first is not None and not any(
                    current_path.startswith(x) for x in prefixes[:prefixes.index(first)]):
                rest = current_path[len(first):]
                current_path = rest if rest.startswith("/") else "/" + rest
                p.rewrite = ir.Rewrite(full_path=current_path)
                req_set["X-Forwarded-Prefix"] = first
                p.converted.append(label)
            else:
                p.notes.append(("warning", "ING2GW-TRAEFIK-033",
                                f"{label}: the prefixes {prefixes} are not the route's own path {path!r}, so which "
                                "part Traefik strips depends on the request; not converted", mw.kind))
        elif mw.kind == "addPrefix":
            prefix = str(s.get("prefix") or "")
            if current_path is not None:
                current_path = prefix + current_path
                p.rewrite = ir.Rewrite(full_path=current_path)
                p.converted.append(label)
            elif current_prefix is not None and p.rewrite is None and current_prefix != "/":
                p.rewrite = ir.Rewrite(prefix_path=prefix + current_prefix)
                current_prefix = None
                p.converted.append(label)
            else:
                p.notes.append(("warning", "ING2GW-TRAEFIK-033",
                                f"{label} after another rewrite, or on the root prefix: not converted", mw.kind))
        elif mw.kind == "replacePath":
            new = str(s.get("path") or "")
            p.rewrite = ir.Rewrite(full_path=new)
            if current_path is not None:
                req_set["X-Replaced-Path"] = current_path
            else:
                p.notes.append(("info", "ING2GW-TRAEFIK-036",
                                f"{label}: the backend no longer receives X-Replaced-Path (the original path)", mw.kind))
            current_path, current_prefix = new, None
            p.converted.append(label)
        elif mw.kind == "headers":
            bad = sorted(str(k) for k in {**(s.get("customRequestHeaders") or {}),
                                          **(s.get("customResponseHeaders") or {})} if not _TOKEN.match(str(k)))
            if bad:
                p.notes.append(("warning", "ING2GW-TRAEFIK-033",
                                f"{label}: header name(s) {', '.join(map(repr, bad))} are not valid HTTP header names; "
                                "not converted", mw.kind))
                continue
            for k, v in sorted((s.get("customRequestHeaders") or {}).items()):
                if v == "":
                    req_remove.append(str(k))
                else:
                    req_set[str(k)] = str(v)
            for k, v in sorted((s.get("customResponseHeaders") or {}).items()):
                if v == "":
                    resp_remove.append(str(k))
                else:
                    resp_set[str(k)] = str(v)
            others = sorted(set(s) - {"customRequestHeaders", "customResponseHeaders"})
            if others:
                p.notes.append(("warning", "ING2GW-TRAEFIK-033",
                                f"{label}: {', '.join(others)} not converted (only custom request and response headers "
                                "are)", mw.kind))
            else:
                p.converted.append(label)
        elif mw.kind in ("ipAllowList", "ipWhiteList"):
            ranges = ",".join(str(x) for x in s.get("sourceRange") or [])
            p.intents.append(ir.Intent("source-range", source, ranges, security=True, params=(("action", "allow"),)))
            p.notes.append(("error", "ING2GW-TRAEFIK-034",
                            f"{label}: only clients from {ranges or 'nowhere'} may reach these routes in Traefik; "
                            "the Gateway routes serve every client", mw.kind))
        elif mw.kind in ("basicAuth", "digestAuth", "forwardAuth"):
            value = str(s.get("secret") or s.get("address") or "")
            p.intents.append(ir.Intent({"basicAuth": "basic-auth", "digestAuth": "digest-auth",
                                        "forwardAuth": "external-auth"}[mw.kind], source, value, security=True))
            p.notes.append(("error", "ING2GW-TRAEFIK-034",
                            f"{label}: Traefik authenticates every request of these routes; the Gateway routes do "
                            "not", mw.kind))
        elif mw.kind in RATE:
            p.intents.append(ir.Intent("rate-limit", source, str(s.get("average") or s.get("amount") or "")))
            p.notes.append(("warning", "ING2GW-TRAEFIK-035", f"{label}: the limit is not enforced by the Gateway",
                            mw.kind))
        elif mw.kind in NEUTRAL:
            p.notes.append(("info", "ING2GW-TRAEFIK-032", f"{label}: not carried over", mw.kind))
        else:
            p.notes.append(("warning", "ING2GW-TRAEFIK-033", f"{label}: not converted", mw.kind))
    p.request_headers = ir.HeaderChanges(set=tuple(sorted(req_set.items())), remove=tuple(sorted(req_remove)))
    p.response_headers = ir.HeaderChanges(set=tuple(sorted(resp_set.items())), remove=tuple(sorted(resp_remove)))
    return p
