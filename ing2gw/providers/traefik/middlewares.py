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
from ing2gw.emit.targets.carry import carries
from ing2gw.load import Manifest
from ing2gw.providers.carried import intent_verdict
from ing2gw.providers.traefik import headers as headers_mw
from ing2gw.providers.traefik import regexes
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
    #: response headers set on the HTTPS listener's rules only (Strict-Transport-Security)
    https_response_set: tuple[tuple[str, str], ...] = ()
    cors: ir.Cors | None = None
    intents: list[ir.Intent] = field(default_factory=list)
    #: (severity, code, message, middleware type, finding details) to report
    notes: list[tuple[str, str, str, str, dict[str, str]]] = field(default_factory=list)
    converted: list[str] = field(default_factory=list)
    #: (label, loss note) of middlewares reported converted because the target's policy carries
    #: their intent; views.py reports the loss after all when the route's policy would be wider
    withheld: list[tuple[str, tuple[str, str, str, str, dict[str, str]]]] = field(default_factory=list)

    def note(self, severity: str, code: str, message: str, kind: str, details: dict[str, str] | None = None) -> None:
        """A finding to report for every router with this plan."""
        self.notes.append((severity, code, message, kind, dict(details or {})))


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


def plan(kind: str, path: str, mws: list[Middleware], source: ir.Source, host: str | None = None,
         target: str | None = None) -> Plan:
    """Filters for a router matching `kind` `path` (and `host`, None: any) with middlewares `mws`
    in order, for `target` (the implementation whose policies may carry what Gateway API cannot)."""
    p = Plan()
    req_set: dict[str, str] = {}
    req_remove: list[str] = []
    resp_set: dict[str, str] = {}
    resp_remove: list[str] = []
    https_set: dict[str, str] = {}
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
                p.note("warning", "ING2GW-TRAEFIK-033",
                                f"{label}: scheme {scheme!r} / port {port!r} cannot be a Gateway API redirect; not "
                                "converted", mw.kind)
                continue
            if i != 0 or p.rewrite is not None:
                p.note("warning", "ING2GW-TRAEFIK-033",
                                f"{label} runs after other middlewares that change the request: not converted",
                                mw.kind)
                continue
            redirect = (ir.Redirect(get, scheme=scheme, port=port_n), ir.Redirect(other, scheme=scheme, port=port_n))
            # Traefik does not redirect when the URL would not change (https on an https request
            # to its default port): the request goes on to the next middlewares (redirect.go)
            if scheme == "https":
                p.http_redirect = redirect
                if port_n not in (None, 443):
                    p.https_redirect = redirect
                else:
                    p.note("info", "ING2GW-TRAEFIK-037",
                                    f"{label}: HTTPS requests are forwarded; Traefik redirects those whose Host "
                                    "names a port (the URL without it differs)", mw.kind)
            elif scheme == "http":
                p.https_redirect = redirect
                if port_n not in (None, 80):
                    p.http_redirect = redirect
            else:
                p.http_redirect = p.https_redirect = redirect
            p.converted.append(label)
        elif mw.kind == "redirectRegex":
            _redirect_regex(p, mw, label, i == 0 and p.rewrite is None, host, target, source, kind, path)
        elif mw.kind == "stripPrefixRegex" and _literal_prefixes(s) is None:
            regs = [str(r).strip() for r in s.get("regex") or []]
            _regex_left(p, mw, label, target, source, "ING2GW-TRAEFIK-080",
                        f"{label}: the regexes {regs} are not literal prefixes; the backend receives the path "
                        "unstripped and without X-Forwarded-Prefix",
                        (("type", "strip-prefix"), ("pattern", "|".join(f"^(?:{r})" for r in regs))), regs)
        elif mw.kind == "replacePathRegex":
            rx, rep = str(s.get("regex") or "").strip(), str(s.get("replacement") or "").strip()
            full = regexes.full_replace(rx, rep, current_path) if current_path is not None else None
            swap = regexes.prefix_rewrite(rx, rep)
            if current_path is not None and full is not None and (not full[1] or regexes.clean_path(full[0])):
                if full[1]:
                    req_set["X-Replaced-Path"] = current_path
                    current_path = full[0]
                    p.rewrite = ir.Rewrite(full_path=current_path)
                p.converted.append(label)
            elif (swap is not None and current_prefix is not None and p.rewrite is None
                  and swap[0] == current_prefix and not current_prefix.endswith("/")
                  and swap[1].startswith("/") and not swap[1].endswith("/")):
                # ^L(.*) -> R$1 on a router PathPrefix(L): L is replaced by R, segment for segment
                p.rewrite = ir.Rewrite(prefix_path=swap[1])
                current_prefix = None
                p.converted.append(label)
                p.note("info", "ING2GW-TRAEFIK-036",
                       f"{label}: the backend no longer receives X-Replaced-Path (the original path)", mw.kind)
            else:
                _regex_left(p, mw, label, target, source, "ING2GW-TRAEFIK-081",
                            f"{label}: {rx!r} -> {rep!r} is not a fixed prefix or path change of this route; the "
                            "backend receives the path unchanged and without X-Replaced-Path",
                            (("type", "replace"), ("pattern", rx), ("substitution", rep)), [rx])
        elif mw.kind in ("stripPrefix", "stripPrefixRegex"):
            prefixes = ([str(x) for x in s.get("prefixes") or []] if mw.kind == "stripPrefix"
                        else _literal_prefixes(s) or [])
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
            elif mw.kind == "stripPrefixRegex":
                p.note("warning", "ING2GW-TRAEFIK-080",
                       f"{label}: the prefixes {prefixes} are not the route's own path {path!r}, so which part "
                       "Traefik strips depends on the request; not converted", mw.kind,
                       _paths_detail(["^" + re.escape(x) for x in prefixes]))
            else:
                p.note("warning", "ING2GW-TRAEFIK-033",
                                f"{label}: the prefixes {prefixes} are not the route's own path {path!r}, so which "
                                "part Traefik strips depends on the request; not converted", mw.kind)
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
                p.note("warning", "ING2GW-TRAEFIK-033",
                                f"{label} after another rewrite, or on the root prefix: not converted", mw.kind)
        elif mw.kind == "replacePath":
            new = str(s.get("path") or "")
            p.rewrite = ir.Rewrite(full_path=new)
            if current_path is not None:
                req_set["X-Replaced-Path"] = current_path
            else:
                p.note("info", "ING2GW-TRAEFIK-036",
                                f"{label}: the backend no longer receives X-Replaced-Path (the original path)", mw.kind)
            current_path, current_prefix = new, None
            p.converted.append(label)
        elif mw.kind == "headers":
            bad = sorted(str(k) for k in {**(s.get("customRequestHeaders") or {}),
                                          **(s.get("customResponseHeaders") or {})} if not _TOKEN.match(str(k)))
            if bad:
                p.note("warning", "ING2GW-TRAEFIK-033",
                                f"{label}: header name(s) {', '.join(map(repr, bad))} are not valid HTTP header names; "
                                "not converted", mw.kind)
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
            hp = headers_mw.plan_headers(s)
            custom = {str(k) for k in s.get("customResponseHeaders") or {}}
            # the custom-header modifier runs after the secure one: its values win
            for k, v in hp.always.items():
                if k not in custom:
                    resp_set.setdefault(k, v)
            for k, v in hp.https_only.items():
                if k not in custom:
                    https_set.setdefault(k, v)
            if hp.cors is not None:
                p.cors = hp.cors
                p.note("info", "ING2GW-TRAEFIK-085",
                       f"{label}: CORS filter; Traefik answers in another form (lists joined with ',', its lists "
                       "and credentials on every answer, no default max age)", mw.kind,
                       {"change": ",".join(dict.fromkeys(hp.cors_changes))})
            if hp.always or hp.https_only:
                p.note("info", "ING2GW-TRAEFIK-084",
                       f"{label}: {', '.join(sorted({**hp.always, **hp.https_only}))} set by ResponseHeaderModifier "
                       "on backend responses; Traefik also sets them on its own answers (redirects, CORS preflights)",
                       mw.kind, {"headers": "Access-Control-Request-Method"})
            ignored = sorted(k for k in headers_mw.IGNORED_V3 if s.get(k))
            if ignored:
                p.note("info", "ING2GW-TRAEFIK-032", f"{label}: {', '.join(ignored)} have no effect in Traefik v3",
                       mw.kind)
            handled = {"customRequestHeaders", "customResponseHeaders", "addVaryHeader",
                       *headers_mw.SECURE, *headers_mw.CORS, *headers_mw.IGNORED_V3}
            others = sorted(set(s) - handled) + hp.left
            if others:
                p.note("warning", "ING2GW-TRAEFIK-033",
                                f"{label}: {', '.join(others)} not converted", mw.kind)
            else:
                p.converted.append(label)
        elif mw.kind in ("ipAllowList", "ipWhiteList"):
            ranges = ",".join(str(x) for x in s.get("sourceRange") or [])
            intent = ir.Intent("source-range", source, ranges, security=True, params=(("action", "allow"),))
            p.intents.append(intent)
            loss: tuple[str, str, str, str, dict[str, str]] = ("error", "ING2GW-TRAEFIK-034",
                    f"{label}: only clients from {ranges or 'nowhere'} may reach these routes in Traefik; "
                    "the Gateway routes serve every client", mw.kind, {})
            if _list_carried(mws, s, intent, target):
                done = f"{label} as {target}'s {intent_verdict(target, intent).becomes} (the source-range intent)"
                p.converted.append(done)
                p.withheld.append((done, loss))
            else:
                p.notes.append(loss)
        elif mw.kind in ("basicAuth", "digestAuth", "forwardAuth"):
            value = str(s.get("secret") or s.get("address") or "")
            p.intents.append(ir.Intent({"basicAuth": "basic-auth", "digestAuth": "digest-auth",
                                        "forwardAuth": "external-auth"}[mw.kind], source, value, security=True))
            p.note("error", "ING2GW-TRAEFIK-034",
                            f"{label}: Traefik authenticates every request of these routes; the Gateway routes do "
                            "not", mw.kind)
        elif mw.kind in RATE:
            p.intents.append(ir.Intent("rate-limit", source, str(s.get("average") or s.get("amount") or "")))
            p.note("warning", "ING2GW-TRAEFIK-035", f"{label}: the limit is not enforced by the Gateway",
                            mw.kind)
        elif mw.kind == "buffering" and _body_limit(s) > 0:
            # a real limit (413 above a declared Content-Length, as client_max_body_size): the
            # body-size-limit intent ingress-nginx's proxy-body-size produces, in bytes
            limit = _body_limit(s)
            intent = ir.Intent("body-size-limit", source, str(limit),
                               params=(("bytes", str(limit)), ("quantity", str(limit))))
            p.intents.append(intent)
            if intent_verdict(target, intent).carried:
                p.converted.append(f"{label} as {target}'s {intent_verdict(target, intent).becomes} "
                                   "(the body-size-limit intent)")
            else:
                # its loss is predicted
                p.note("warning", "ING2GW-TARGET-070",
                       f"{label}: Traefik answers 413 to bodies above {limit} bytes; the Gateway routes have no "
                       "limit", mw.kind)
        elif mw.kind == "circuitBreaker":
            _circuit_breaker(p, mw, label, source, target)
        elif mw.kind in NEUTRAL:
            p.note("info", "ING2GW-TRAEFIK-032", f"{label}: not carried over", mw.kind)
        else:
            p.note("warning", "ING2GW-TRAEFIK-033", f"{label}: not converted", mw.kind)
    p.request_headers = ir.HeaderChanges(set=tuple(sorted(req_set.items())), remove=tuple(sorted(req_remove)))
    p.response_headers = ir.HeaderChanges(set=tuple(sorted(resp_set.items())), remove=tuple(sorted(resp_remove)))
    p.https_response_set = tuple(sorted(https_set.items()))
    return p


def _body_limit(s: dict[str, Any]) -> int:
    """A buffering Middleware's maxRequestBodyBytes (0: none, Traefik's default)."""
    v = s.get("maxRequestBodyBytes")
    return v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else 0


#: the circuitBreaker Middleware's fields (pkg/config/dynamic/middlewares.go CircuitBreaker)
CIRCUIT_BREAKER_FIELDS = ("expression", "checkPeriod", "fallbackDuration", "recoveryDuration", "responseCode")


def _circuit_breaker(p: Plan, mw: Middleware, label: str, source: ir.Source, target: str | None) -> None:
    """A circuitBreaker Middleware: the circuit-breaker intent with its fields as they are, when the
    target writes the same breaker (Traefik itself); otherwise a note that names what the
    target's nearest form (outlier detection) does differently."""
    s = mw.spec
    params = tuple((k, str(s[k])) for k in CIRCUIT_BREAKER_FIELDS if s.get(k) not in (None, ""))
    intent = ir.Intent("circuit-breaker", source, str(s.get("expression") or ""), params=params)
    verdict = intent_verdict(target, intent)
    if verdict:
        p.intents.append(intent)
        p.converted.append(f"{label} as {target}'s {verdict.becomes} (the circuit-breaker intent)")
        return
    why = ""
    if target:
        from ing2gw import mappings

        row = mappings.target_rows(target).get("circuit-breaker") or {}
        why = f" on {target}: " + str(row.get("lost") or verdict.why_not)
    p.note("info", "ING2GW-TRAEFIK-032",
           f"{label}: not carried over{why} (Traefik trips the whole service on {s.get('expression')!r} and "
           "answers its responseCode while open; the check has healthy backends and cannot see the breaker)", mw.kind)


def _list_carried(mws: list[Middleware], s: dict[str, Any], intent: ir.Intent, target: str | None) -> bool:
    """Whether the target's allow-list policy checks exactly what this ipAllowList checks
    (traefik-semantics.md, IPAllowList row): the router's only address list (two in a chain
    both apply, where a route's policy takes the union of its lists), of the connection's
    peer address (`ipStrategy` reads X-Forwarded-For instead), answering 403 (`rejectStatusCode`
    changes it), with at least one range, and a target that carries the intent."""
    if sum(m.kind in ("ipAllowList", "ipWhiteList") for m in mws) != 1 or not intent.value:
        return False
    if s.get("ipStrategy") or s.get("rejectStatusCode") not in (None, "", 403, "403"):
        return False
    return intent_verdict(target, intent).carried


def _literal_prefixes(s: dict[str, Any]) -> list[str] | None:
    """A stripPrefixRegex whose regexes are all literal text (`^` optional): Traefik strips the
    first of them the path starts with, exactly as stripPrefix with these prefixes does."""
    out = []
    for r in s.get("regex") or []:
        lit = regexes.anchored_literal(str(r).strip())
        if lit is None or not lit[0]:
            return None
        out.append(lit[0])
    return out or None


def _paths_detail(patterns: list[str]) -> dict[str, str]:
    """The `paths` detail of requests whose path one of `patterns` (Go regexes, searched) matches;
    empty (every request of the router) when Python may read one of them otherwise."""
    specs = [regexes.python_pattern(x) for x in patterns]
    if not specs or any(x is None for x in specs):
        return {}
    return {"paths": "\n".join(f"regex:{x}" for x in specs)}


def _regex_left(p: Plan, mw: Middleware, label: str, target: str | None, source: ir.Source, code: str,
                message: str, params: tuple[tuple[str, str], ...], patterns: list[str]) -> None:
    """A regex rewrite Gateway API cannot express: the target's policy when it carries the
    `regex-rewrite` intent with these parameters, else a finding of the paths the regex touches."""
    if carries(target, "regex-rewrite", params):
        p.intents.append(ir.Intent("regex-rewrite", source, params[1][1], params=params))
        p.converted.append(label)
        return
    p.note("warning", code, message, mw.kind, _paths_detail(patterns))


def _redirect_regex(p: Plan, mw: Middleware, label: str, first: bool, host: str | None, target: str | None,
                    source: ir.Source, kind: str, path: str) -> None:
    """redirectRegex: a RequestRedirect on the listener sides it changes the URL of, when its
    regex and replacement are a fixed change of scheme, host and port (regexes.redirect_shape)."""
    s = mw.spec
    rx, rep = str(s.get("regex") or ""), str(s.get("replacement") or "")
    shape = regexes.redirect_shape(rx, rep)
    why = ""
    if shape is None:
        why = "is not a fixed change of scheme, host or port"
    elif not first:
        why = "runs after other middlewares that change the request"
    elif shape.host is not None and shape.host != host:
        why = f"only matches the host {shape.host!r}, and the route serves {host or 'every host'}"
    elif shape.hostname is not None and shape.host is None and host is None and shape.scheme in shape.schemes:
        why = "leaves the URL of requests to its target host unchanged, which a route for every host cannot tell"
    elif shape.prefix is not None and (kind != "prefix" or path != shape.prefix[0]):
        why = f"replaces the path prefix {shape.prefix[0]!r}, which is not the route's own PathPrefix"
    if shape is None or why:
        params = (("pattern", rx), ("replacement", rep))
        if carries(target, "regex-redirect", params):
            p.intents.append(ir.Intent("regex-redirect", source, rx, params=params))
            p.converted.append(label)
            return
        p.note("warning", "ING2GW-TRAEFIK-082", f"{label}: {rx!r} -> {rep!r} {why}; not converted, so requests "
               "Traefik redirected reach the backend", mw.kind)
        return
    get, other = _codes(bool(s.get("permanent")), False)
    to = shape.prefix[1] if shape.prefix else None
    redirect = (ir.Redirect(get, scheme=shape.scheme, hostname=shape.hostname, port=shape.port, prefix_path=to),
                ir.Redirect(other, scheme=shape.scheme, hostname=shape.hostname, port=shape.port, prefix_path=to))
    request_host = shape.host or host
    for side in shape.schemes:
        # Traefik forwards a request whose URL the replacement leaves as it was (redirect.go)
        if side == shape.scheme and shape.port is None and shape.hostname in (None, request_host) and to is None:
            continue
        if side == "http":
            p.http_redirect = redirect
        else:
            p.https_redirect = redirect
    p.converted.append(label)
    p.note("info", "ING2GW-TRAEFIK-083",
           f"{label}: Traefik matches {rx!r} against the URL with the Host header as sent: a Host naming a port, or "
           "in other letters, may escape the redirect that the Gateway makes", mw.kind)

