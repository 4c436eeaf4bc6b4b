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
* circuit-breaker (a Traefik source's circuitBreaker Middleware): the same Middleware fields
  (expression, checkPeriod, fallbackDuration, recoveryDuration, responseCode), last in the chain.
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
from ing2gw.emit.targets import Emitted, cors_filter_name, regex_rewrites
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
        for rate in by_kind.get("rate-limit", []):
            if not carries(TARGET, rate.kind, rate.params):
                continue
            chain.extend(rate_limits(rate))
            consumed.add(rate)
            told.setdefault((rate.source.key, rate.kind), _rate_finding(rate))
            break
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
                + ("" if p.get("realm") else ", and answers with realm \"traefik\" (nginx: an empty realm)")
                + ("; the host's unmatched paths ask for credentials as nginx's root location did, then answer 500 "
                   "(nginx: 404)" if any(r.direct_status is not None for r in route.rules) else ""),
                "re-hash crypt, {SSHA} and plain entries; keep the Secret to the one key auth"))
        ext = next((i for i in by_kind.get("external-auth", []) if carries(TARGET, i.kind, i.params)), None)
        if ext is not None:
            chain.append(("forward-auth", {"forwardAuth": forward_auth(ext)}))
            consumed.add(ext)
            told.setdefault((ext.source.key, ext.kind), _forward_finding(ext))
        again = next((i for i in by_kind.get("retry", []) if carries(TARGET, i.kind, i.params)), None)
        if again is not None:
            consumed.add(again)  # no retry (off, one try) is Traefik's default: carried by writing nothing
            spec = retry(again)
            if spec is not None:
                chain.append(("retry", {"retry": spec}))
                told.setdefault((again.source.key, again.kind), _retry_finding(again, spec))
        breaker = next((i for i in by_kind.get("circuit-breaker", []) if carries(TARGET, i.kind, i.params)), None)
        if breaker is not None:
            chain.append(("circuit-breaker", {"circuitBreaker": circuit_breaker(breaker)}))
            consumed.add(breaker)
        for suffix, spec in chain:
            mname = _name(name, f"-{suffix}")
            objects.append({"apiVersion": API_VERSION, "kind": "Middleware",
                            "metadata": {"name": mname, "namespace": route.namespace,
                                         "annotations": {"ing2gw.io/source-ingress": route.source.key}},
                            "spec": spec})
            filters.setdefault((route.namespace, name), []).append(
                {"type": "ExtensionRef", "extensionRef": {"group": "traefik.io", "kind": "Middleware", "name": mname}})
    rewrites, rewritten = regex_rewrite_middlewares([route for route, _ in routes])
    objects += rewrites
    return Emitted(objects, consumed, [told[k] for k in sorted(told)] + rewritten, filters)


def circuit_breaker(intent: ir.Intent) -> dict[str, Any]:
    """Middleware.spec.circuitBreaker: the source Middleware's own fields, unchanged (the
    responseCode as a number, as the CRD takes it)."""
    spec: dict[str, Any] = {}
    for k, v in intent.params:
        spec[k] = int(v) if k == "responseCode" else v
    return spec


#: ingress-nginx's limit-burst-multiplier default (internal/ingress/annotations/ratelimit)
BURST_MULTIPLIER = 5


def rate_limits(intent: ir.Intent) -> list[tuple[str, dict[str, Any]]]:
    """The rateLimit Middlewares (name suffix, spec) of ingress-nginx's limit-rps / limit-rpm.

    nginx's limit_req with burst B and nodelay lets B + 1 requests of one client address through
    at once (the first finds no excess, each next adds one) and one more per 1/rate; Traefik's
    token bucket (golang.org/x/time/rate) holding B + 1 tokens and refilled at `average` per
    `period` does the same. The source is the connection's address (the default
    sourceCriterion), as $binary_remote_addr. Each limit is its own Middleware, as each
    limit_req zone counts on its own (pkg/middlewares/ratelimiter/rate_limiter.go)."""
    p = dict(intent.params)
    raw = p.get("burst-multiplier", "")
    # ingress-nginx falls back to 5 for a multiplier that is not a whole number of at least 1
    mult = int(raw) if raw.isdigit() and int(raw) >= 1 else BURST_MULTIPLIER
    out = []
    for key, period, suffix in (("per-second", "1s", "rate-limit"), ("per-minute", "1m", "rate-limit-minute")):
        if key in p:
            n = int(p[key])
            out.append((suffix, {"rateLimit": {"average": n, "period": period, "burst": n * mult + 1}}))
    return out


def forward_auth(intent: ir.Intent) -> dict[str, Any]:
    """The forwardAuth Middleware of auth-url: the URL itself (Traefik resolves the Service's
    name as nginx did), the auth-response-headers copied upstream, and X-Forwarded-* headers of
    the client's request not trusted (nginx's auth subrequest sends its own)."""
    p = dict(intent.params)
    spec: dict[str, Any] = {"address": p["url"], "trustForwardHeader": False}
    headers = [h for h in p.get("response-headers", "").split(",") if h]
    if headers:
        spec["authResponseHeaders"] = headers
    return spec


def retry(intent: ir.Intent) -> dict[str, Any] | None:
    """The retry Middleware of proxy_next_upstream (carry._retry_traefik), or None for no retry:
    `attempts` counts every try as proxy_next_upstream_tries does; a connection error before
    the request is sent is retried unless neither error nor timeout is listed; statuses are
    retried for idempotent methods only unless non_idempotent is listed (Traefik's own rule:
    POST, PATCH and LOCK are not idempotent, nginx's too); no initialInterval, so no back-off."""
    p = dict(intent.params)
    words = p["conditions"].split()
    if "off" in words or p["tries"] == "1":
        return None
    spec: dict[str, Any] = {"attempts": int(p["tries"])}
    codes = sorted({w[5:] for w in words if w.startswith("http_")})
    if codes:
        spec["status"] = codes
    if "error" not in words and "timeout" not in words:
        spec["disableRetryOnNetworkError"] = True
    if "non_idempotent" in words:
        spec["retryNonIdempotentMethod"] = True
    return spec


def go_replacement(substitution: str) -> str:
    """An RE2 substitution of ir.Rewrite.regex (`\\1`, a backslash doubled) in Go's
    Regexp.ReplaceAllString syntax (`${1}`, a dollar doubled)."""
    out, k = [], 0
    while k < len(substitution):
        c = substitution[k]
        if c == "\\" and k + 1 < len(substitution):
            nxt = substitution[k + 1]
            out.append("${" + nxt + "}" if nxt.isdigit() else nxt)
            k += 2
            continue
        out.append("$$" if c == "$" else c)
        k += 1
    return "".join(out)


def regex_rewrite_middlewares(routes: list[ir.Route]) -> tuple[list[dict[str, Any]], list[Finding]]:
    """The replacePathRegex Middleware of every regex rewrite of the routes' rules (one per
    rewrite and namespace, named by `regex_filter_name`, which emit.gateway's ExtensionRef names)
    and one finding per Ingress and rewrite."""
    objects: dict[tuple[str, str], dict[str, Any]] = {}
    told: dict[tuple[str, str], Finding] = {}
    for route, rule, pattern, substitution, name in regex_rewrites(routes):
        objects.setdefault((route.namespace, name), {
            "apiVersion": API_VERSION, "kind": "Middleware",
            "metadata": {"name": name, "namespace": route.namespace,
                         "annotations": {"ing2gw.io/source-ingress": rule.source.key}},
            "spec": {"replacePathRegex": {"regex": pattern, "replacement": go_replacement(substitution)}}})
        told.setdefault((rule.source.key, name), Finding(
            Severity.INFO, "ING2GW-TARGET-034",
            f"traefik: the rewrite becomes Middleware {route.namespace}/{name} (replacePathRegex), which replaces "
            f"the path matching {pattern} as nginx's rewrite did, and also sends the old path upstream in "
            "X-Replaced-Path (Go's RE2 instead of PCRE; Traefik matches the percent-encoded path)",
            origin=rule.source.origin, subject=f"Ingress {rule.source.key}",
            annotation=rule.source.annotation or None,
            suggestion="nothing to do unless the backend reads X-Replaced-Path"))
    return [objects[k] for k in sorted(objects)], [told[k] for k in sorted(told)]


def _rate_finding(i: ir.Intent) -> Finding:
    p = dict(i.params)
    limits = " and ".join(f"{p[k]} per {k[4:]}" for k in ("per-second", "per-minute") if k in p)
    return _finding(
        i, Severity.WARNING, "ING2GW-TARGET-032",
        f"traefik: rateLimit Middlewares count {limits} per client address with nginx's burst (limit x "
        "limit-burst-multiplier, nodelay), but refuse with 429 and Retry-After (nginx: 503), let a request up to "
        "half a refill interval early wait instead of refusing it, and forget a client idle for about one refill "
        "interval (2 s at one or more per second), who gets the whole burst again (nginx: refilled at the rate)",
        "accept 429 in clients that retried on 503, or set limit-req-status-code 429 in ingress-nginx first")


def _forward_finding(i: ir.Intent) -> Finding:
    p = dict(i.params)
    return _finding(
        i, Severity.WARNING, "ING2GW-TARGET-033",
        f"traefik: forwardAuth calls {p['url']} for each request as nginx's auth_request did (GET, no body; a 2xx "
        "answer lets the request through"
        + (f" with {p['response-headers'].replace(',', ', ')} copied upstream" if p.get("response-headers") else "")
        + "); the auth service gets the client's headers with X-Forwarded-Method/-Proto/-Host/-Uri/-For "
        "instead of X-Original-URL/-Method, and any other answer (not only 401 and 403) goes back to the client "
        "as it is (nginx: 500)", "check that the auth service reads X-Forwarded-Uri where it read X-Original-URL")


def _retry_finding(i: ir.Intent, spec: dict[str, Any]) -> Finding:
    p = dict(i.params)
    parts = [f"traefik: proxy_next_upstream {p['conditions']} (tries {p['tries']}) becomes a retry Middleware "
             f"({spec['attempts']} attempts"]
    parts[0] += (", statuses " + ", ".join(spec["status"]) if spec.get("status") else "") + ")"
    if not spec.get("disableRetryOnNetworkError"):
        parts.append("a connection error is retried only before the request is sent (nginx also after), and a "
                     "slow response is never retried (nginx's 'timeout' passes it to the next server)")
    parts.append("the next attempt goes to the server Traefik's balancer picks, which may be the same one")
    return _finding(i, Severity.WARNING, "ING2GW-TARGET-035", "; ".join(parts),
                    "set the Service's ServersTransport forwardingTimeouts if slow answers should fail over")


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
