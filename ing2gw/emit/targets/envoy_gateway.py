"""Envoy Gateway policies (gateway.envoyproxy.io/v1alpha1) for intents plain Gateway API lacks.

One SecurityPolicy and one BackendTrafficPolicy at most per route, attached to that route by
name and to nothing wider: Envoy Gateway applies only one policy of a kind to a target (the
oldest), so every intent of a kind goes into the same object.

* source-range (allowlist/whitelist/denylist-source-range, or the ConfigMap's defaults; see
  providers/nginx_source_ranges): `authorization` with deny rules first, then allow rules,
  default Deny when an allow-list exists (nginx's `allow ...; deny all;`), else default Allow.
  An invalid list, which makes ingress-nginx deny the location (503), becomes default Deny
  without rules (403): closed, never open. A policy never allows by default without a rule.
  The client address is the one Envoy Gateway derives; behind a load balancer configure
  ClientTrafficPolicy's clientIPDetection the way ingress-nginx trusted X-Forwarded-For or
  PROXY protocol.
* basic-auth: `basicAuth.users` references the Ingress's own credentials Secret (never a copy);
  Envoy Gateway reads the key `.htpasswd` with {SHA} hashes only (ING2GW-TARGET-001).
* external-auth: `extAuth.http` calls the auth URL's Service and port; `pathOverride` sends
  every check to the URL's own path, as nginx's auth_request subrequest does (`path` would
  append the request path); auth-response-headers become `headersToBackend` (ING2GW-TARGET-002).
* rate-limit: `rateLimit.local` with one rule per address family whose sourceCIDR selector is
  Distinct, so each client address has its own bucket as in nginx's $binary_remote_addr zone
  (ING2GW-TARGET-003).
* body-size-limit: `requestBuffer.limit` (413 above it, as client_max_body_size; ING2GW-TARGET-004).
* session-affinity (cookie): `loadBalancer` ConsistentHash on the affinity cookie; a `ttl`
  makes Envoy set the cookie when the request has none, as nginx's sticky balancer does: the
  cookie's Max-Age, or 0s for nginx's session cookie (Envoy: "a session cookie if the ttl is
  present and zero"); Path, Domain and SameSite as `attributes` (ING2GW-TARGET-008).
* load-balancing (upstream-hash-by with one variable): `loadBalancer` ConsistentHash on the
  client address, a header, a cookie (no ttl: nginx does not set it either) or a query
  parameter (ING2GW-TARGET-009).
* timeout (proxy-connect-timeout): `timeout.tcp.connectTimeout`, the time to establish the
  upstream connection in both (proxy_connect_timeout, Envoy's cluster connect_timeout).
* health-check (HAProxy check, check-http, check-interval, timeout-check; providers/haproxy/
  backend_settings.py): `healthCheck.active`, TCP (connect only) or HTTP with HAProxy's method,
  path, interval, rise/fall as healthy/unhealthy thresholds and its healthy statuses 200-399;
  the timeout is `inter` without timeout-check, as HAProxy's (ING2GW-TARGET-087).
* backend-connection-limit (HAProxy pod-maxconn): `circuitBreaker.perEndpoint.maxConnections`,
  a cap of connections per endpoint and per Envoy replica (ING2GW-TARGET-089).
* regex rewrites (ir.Rewrite.regex, set by a provider when this target carries `regex-rewrite`):
  one HTTPRouteFilter `urlRewrite.path` ReplaceRegexMatch per distinct rewrite and namespace,
  named by `regex_filter_name`, which the route's rule references by an ExtensionRef filter
  (emit/gateway.py); ING2GW-TARGET-010 names each one.
"""

from __future__ import annotations

from typing import Any

from ing2gw import ir
from ing2gw.emit.targets import direct_statuses, regex_rewrites
from ing2gw.emit.targets.carry import RETRY_TRIGGERS, carries
from ing2gw.emit.targets.external_backends import backend_objects
from ing2gw.findings import Finding, Severity

API_VERSION = "gateway.envoyproxy.io/v1alpha1"
#: the intents that go into a SecurityPolicy and a BackendTrafficPolicy
SECURITY = frozenset({"source-range", "basic-auth", "external-auth"})
TRAFFIC = frozenset({"rate-limit", "body-size-limit", "session-affinity", "load-balancing", "retry", "timeout",
                     "health-check", "backend-connection-limit"})


def _name(base: str, suffix: str) -> str:
    """A metadata.name (DNS subdomain: at most 253 characters, ending in a letter or digit)."""
    return (base[:253 - len(suffix)].rstrip("-.") + suffix)


def authorization(intents: list[ir.Intent]) -> dict[str, Any]:
    """SecurityPolicy.spec.authorization for a route's source-range intents."""
    actions = [dict(i.params).get("action") for i in intents]
    if "deny-all" in actions:
        return {"defaultAction": "Deny"}
    deny = sorted({c for i, a in zip(intents, actions) if a == "deny" for c in i.value.split(",") if c})
    allow = sorted({c for i, a in zip(intents, actions) if a == "allow" for c in i.value.split(",") if c})
    rules: list[dict[str, Any]] = []
    if deny:
        rules.append({"name": "denylist", "action": "Deny", "principal": {"clientCIDRs": deny}})
    if allow:
        rules.append({"name": "allowlist", "action": "Allow", "principal": {"clientCIDRs": allow}})
    default = "Deny" if "allow" in actions else "Allow"
    if default == "Allow" and not rules:  # nothing to say; never an open policy by accident
        return {"defaultAction": "Deny"}
    return {"defaultAction": default, **({"rules": rules} if rules else {})}


def basic_auth(intent: ir.Intent) -> dict[str, Any]:
    """SecurityPolicy.spec.basicAuth: a reference to the Ingress's credentials Secret."""
    p = dict(intent.params)
    return {"users": {"name": p["secret"]}}  # same namespace (carry.py refuses another one)


def ext_auth(intent: ir.Intent) -> dict[str, Any]:
    """SecurityPolicy.spec.extAuth calling the auth URL's Service at the URL's path."""
    p = dict(intent.params)
    http: dict[str, Any] = {"backendRefs": [{"name": p["service"], "port": int(p["port"])}],
                            "pathOverride": p["path"]}
    headers = [h for h in p.get("response-headers", "").split(",") if h]
    if headers:
        http["headersToBackend"] = headers
    return {"http": http}


def rate_limit(intent: ir.Intent) -> dict[str, Any]:
    """BackendTrafficPolicy.spec.rateLimit: a bucket per client address for each limit."""
    p = dict(intent.params)
    rules = []
    for key, unit in (("per-second", "Second"), ("per-minute", "Minute")):
        if key in p:
            for cidr in ("0.0.0.0/0", "::/0"):
                rules.append({"clientSelectors": [{"sourceCIDR": {"type": "Distinct", "value": cidr}}],
                              "limit": {"requests": int(p[key]), "unit": unit}})
    return {"type": "Local", "local": {"rules": rules}}


def retry(intent: ir.Intent) -> dict[str, Any] | None:
    """BackendTrafficPolicy.spec.retry for nginx's proxy_next_upstream, or None for no retry."""
    p = dict(intent.params)
    words = p["conditions"].split()
    if "off" in words or p["tries"] == "1":
        return None
    triggers = sorted({t for w in words for t in RETRY_TRIGGERS.get(w, ())})
    codes = sorted({int(w[5:]) for w in words if w.startswith("http_")})
    if codes:
        triggers.append("retriable-status-codes")
    on: dict[str, Any] = {"triggers": triggers}
    if codes:
        on["httpStatusCodes"] = codes
    return {"numRetries": int(p["tries"]) - 1, "retryOn": on}


def duration(seconds: int) -> str:
    """A Gateway duration within Envoy Gateway's pattern (at most 5 digits per unit)."""
    if seconds <= 99999:
        return f"{seconds}s"
    h, rest = divmod(seconds, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}h" + (f"{m}m" if m else "") + (f"{sec}s" if sec else "")


def ms_duration(ms: int) -> str:
    """Milliseconds as an Envoy Gateway duration (whole seconds when they are, else ms)."""
    if ms % 1000 == 0:
        return duration(ms // 1000)
    if ms <= 99999:
        return f"{ms}ms"
    return duration(ms // 1000) + f"{ms % 1000}ms"


#: the statuses HAProxy's `option httpchk` takes as healthy (2xx and 3xx, configuration manual
#: 4.2 "http-check expect": without one, 2xx and 3xx pass); Envoy Gateway's default is 200 only
HTTPCHK_HEALTHY = tuple(range(200, 400))


def health_check(intent: ir.Intent) -> dict[str, Any]:
    """BackendTrafficPolicy.spec.healthCheck: the active check HAProxy ran on each server."""
    p = dict(intent.params)
    interval = int(p["interval-ms"])
    active: dict[str, Any] = {"type": "HTTP" if p["type"] == "http" else "TCP",
                              "interval": ms_duration(interval),
                              # without timeout-check HAProxy gives the whole check `inter`
                              "timeout": ms_duration(int(p.get("read-timeout-ms", interval))),
                              "healthyThreshold": int(p["rise"]), "unhealthyThreshold": int(p["fall"])}
    if p["type"] == "http":
        active["http"] = {"path": p["path"], "method": p["method"], "expectedStatuses": list(HTTPCHK_HEALTHY)}
    else:
        active["tcp"] = {}  # neither send nor receive: a connect-only check, as HAProxy's `check`
    return {"active": active}


def session_affinity(intent: ir.Intent) -> dict[str, Any]:
    """BackendTrafficPolicy.spec.loadBalancer: a consistent hash on nginx's affinity cookie."""
    p = dict(intent.params)
    # nginx: Max-Age wins over Expires in browsers; without either a session cookie (ttl 0s)
    ttl = int(p.get("max-age") or p.get("expires") or 0)
    attributes = {"Path": p.get("path", "/")}
    if p.get("domain"):
        attributes["Domain"] = p["domain"]
    if p.get("samesite"):
        attributes["SameSite"] = p["samesite"]
    cookie = {"name": p["cookie"], "ttl": duration(ttl), "attributes": attributes}
    return {"type": "ConsistentHash", "consistentHash": {"type": "Cookie", "cookie": cookie}}


def load_balancer(intent: ir.Intent) -> dict[str, Any]:
    """BackendTrafficPolicy.spec.loadBalancer: a consistent hash on upstream-hash-by's variable."""
    p = dict(intent.params)
    how = p["hash"]
    if how == "source-ip":
        ch: dict[str, Any] = {"type": "SourceIP"}
    elif how == "header":
        ch = {"type": "Header", "header": {"name": p["name"]}}
    elif how == "cookie":
        ch = {"type": "Cookie", "cookie": {"name": p["name"]}}
    else:
        ch = {"type": "QueryParams", "queryParams": [{"name": p["name"]}]}
    return {"type": "ConsistentHash", "consistentHash": ch}


def _meta(name: str, route: ir.Route, suffix: str) -> dict[str, Any]:
    return {"name": _name(name, suffix), "namespace": route.namespace,
            "annotations": {"ing2gw.io/source-ingress": route.source.key}}


def _ref(route: ir.Route, name: str) -> list[dict[str, Any]]:
    return [{"group": "gateway.networking.k8s.io", "kind": route.kind, "name": name}]


def emit_policies(routes: list[tuple[ir.Route, str]]) -> tuple[list[dict[str, Any]], set[ir.Intent], list[Finding]]:
    """The SecurityPolicy and BackendTrafficPolicy of each route with intents, the intents they
    carry, and what the user must check (one finding per Ingress and intent)."""
    objects: list[dict[str, Any]] = []
    consumed: set[ir.Intent] = set()
    told: dict[tuple[str, str], Finding] = {}
    for route, name in routes:
        by_kind: dict[str, list[ir.Intent]] = {}
        for i in route.intents:
            if i.kind != "source-range" and not carries("envoy-gateway", i.kind, i.params):
                continue  # a provider's intent this policy cannot carry as given: left over, reported by emit
            by_kind.setdefault(i.kind, []).append(i)
        security: dict[str, Any] = {}
        if "source-range" in by_kind:
            security["authorization"] = authorization(by_kind["source-range"])
        if "basic-auth" in by_kind:
            security["basicAuth"] = basic_auth(by_kind["basic-auth"][0])
        if "external-auth" in by_kind:
            security["extAuth"] = ext_auth(by_kind["external-auth"][0])
        traffic: dict[str, Any] = {}
        if "rate-limit" in by_kind:
            traffic["rateLimit"] = rate_limit(by_kind["rate-limit"][0])
        if "body-size-limit" in by_kind and dict(by_kind["body-size-limit"][0].params).get("bytes") != "0":
            # 0 is nginx's "no limit": Envoy Gateway has none without a policy, so none is written
            traffic["requestBuffer"] = {"limit": dict(by_kind["body-size-limit"][0].params)["quantity"]}
        if "retry" in by_kind:
            again = retry(by_kind["retry"][0])
            if again is not None:  # no retry is Envoy Gateway's default: nothing to write
                traffic["retry"] = again
        if "timeout" in by_kind:
            # nginx's proxy_connect_timeout is Envoy's cluster connect_timeout: exact, no finding
            seconds = int(dict(by_kind["timeout"][0].params)["connect"])
            traffic["timeout"] = {"tcp": {"connectTimeout": duration(seconds)}}
        if "health-check" in by_kind:
            traffic["healthCheck"] = health_check(by_kind["health-check"][0])
        if "backend-connection-limit" in by_kind:
            cap = int(dict(by_kind["backend-connection-limit"][0].params)["max-connections"])
            traffic["circuitBreaker"] = {"perEndpoint": {"maxConnections": cap}}
        if "session-affinity" in by_kind:
            traffic["loadBalancer"] = session_affinity(by_kind["session-affinity"][0])
        elif "load-balancing" in by_kind:
            traffic["loadBalancer"] = load_balancer(by_kind["load-balancing"][0])
        if security:
            objects.append({"apiVersion": API_VERSION, "kind": "SecurityPolicy", "metadata": _meta(name, route, "-security"),
                            "spec": {"targetRefs": _ref(route, name), **security}})
        if traffic:
            objects.append({"apiVersion": API_VERSION, "kind": "BackendTrafficPolicy",
                            "metadata": _meta(name, route, "-traffic"), "spec": {"targetRefs": _ref(route, name), **traffic}})
        for kind in sorted(SECURITY | TRAFFIC):
            consumed.update(by_kind.get(kind, ()))
            if kind == "body-size-limit" and kind in by_kind and dict(by_kind[kind][0].params).get("bytes") == "0":
                continue  # no limit, no policy: nothing to check
            if kind == "retry" and kind in by_kind and retry(by_kind[kind][0]) is None:
                continue  # no retry, no policy: nothing to check
            if kind in by_kind and kind in _TOLD:
                i = by_kind[kind][0]
                told.setdefault((i.source.key, kind), _finding(i, kind))
            if kind == "session-affinity" and kind in by_kind:
                i = by_kind[kind][0]
                told.setdefault((i.source.key, kind), _affinity_finding(i))
            if kind == "health-check" and kind in by_kind:
                i = by_kind[kind][0]
                told.setdefault((i.source.key, kind), _health_finding(i))
            if kind == "basic-auth" and kind in by_kind:
                i = by_kind[kind][0]
                told.setdefault((i.source.key, "basic-auth-scope"), Finding(
                    Severity.INFO, "ING2GW-TARGET-006",
                    "envoy-gateway: basicAuth covers the whole route: nginx's automatic trailing-slash redirects "
                    "answer before authentication (the Gateway: 401), unmatched paths of a regex host with a "
                    "PathPrefix rewrite get 401 from nginx (the Gateway: 404), and a client outside an allow-list gets 403 from nginx (the Gateway: "
                    "401 first)", origin=i.source.origin, subject=f"Ingress {i.source.key}",
                    annotation=i.source.annotation))
    filters, rewrites = regex_rewrite_filters([route for route, _ in routes])
    objects += filters
    objects += backend_objects(routes, "envoy-gateway")
    return objects, consumed, [told[k] for k in sorted(told)] + rewrites


def regex_rewrite_filters(routes: list[ir.Route]) -> tuple[list[dict[str, Any]], list[Finding]]:
    """The HTTPRouteFilter of every regex rewrite (one per rewrite and namespace, and one
    finding per Ingress and rewrite) and of every direct response of the routes' rules."""
    objects: dict[tuple[str, str], dict[str, Any]] = {}
    told: dict[tuple[str, str], Finding] = {}
    for ns, status, name in direct_statuses(routes):
        objects[(ns, name)] = {"apiVersion": API_VERSION, "kind": "HTTPRouteFilter",
                               "metadata": {"name": name, "namespace": ns},
                               "spec": {"directResponse": {"statusCode": status}}}
    for route, rule, pattern, substitution, name in regex_rewrites(routes):
        objects.setdefault((route.namespace, name), {
            "apiVersion": API_VERSION, "kind": "HTTPRouteFilter",
            "metadata": {"name": name, "namespace": route.namespace,
                         "annotations": {"ing2gw.io/source-ingress": rule.source.key}},
            "spec": {"urlRewrite": {"path": {"type": "ReplaceRegexMatch", "replaceRegexMatch": {
                "pattern": pattern, "substitution": substitution}}}}})
        told.setdefault((rule.source.key, name), Finding(
            Severity.INFO, "ING2GW-TARGET-010",
            f"envoy-gateway: the rewrite becomes HTTPRouteFilter {route.namespace}/{name}, which replaces the whole "
            f"path matching {pattern} by {substitution} as nginx's rewrite did (RE2 instead of PCRE; the query "
            "string is kept by both)", origin=rule.source.origin, subject=f"Ingress {rule.source.key}",
            annotation=rule.source.annotation or None))
    return [objects[k] for k in sorted(objects)], [told[k] for k in sorted(told)]


#: intent -> (code, message) of what the user must check when the policy is written
_TOLD: dict[str, tuple[str, str]] = {
    "basic-auth": ("ING2GW-TARGET-001",
                   "the SecurityPolicy references Secret {secret-namespace}/{secret} as it is: Envoy Gateway reads "
                   "the htpasswd lines from its key .htpasswd (ingress-nginx reads auth) and accepts {{SHA}} hashes "
                   "only; until that key exists in that format the route answers 500"),
    "external-auth": ("ING2GW-TARGET-002",
                      "extAuth calls Service {service} port {port} at {path} as nginx's auth_request did; the auth "
                      "service gets Host, Method, Path, Content-Length and Authorization only (no X-Original-URL)"),
    "rate-limit": ("ING2GW-TARGET-003",
                   "the local rate limit counts per client address but has no burst (nginx allows limit x "
                   "limit-burst-multiplier) and refuses with 429 (nginx: 503)"),
    "body-size-limit": ("ING2GW-TARGET-004",
                        "requestBuffer limits bodies to {quantity} (413 above, as nginx) by buffering each request "
                        "body: streaming uploads, gRPC streaming and WebSocket break on these routes"),
    "retry": ("ING2GW-TARGET-013",
              "proxy_next_upstream {conditions} (tries {tries}) becomes retry: Envoy may retry on the same endpoint "
              "(nginx always takes the next one), and a response slower than the proxy timeouts, which nginx passes "
              "to the next server on 'timeout', is not retried (no per-try timeout is written)"),
    "backend-connection-limit": ("ING2GW-TARGET-089",
                                 "pod-maxconn {max-connections} becomes circuitBreaker.perEndpoint.maxConnections "
                                 "{max-connections}: HAProxy divided it by the number of HAProxy pods, Envoy applies it "
                                 "in each Envoy replica, and requests above it wait in Envoy's pending queue "
                                 "(maxPendingRequests, 1024 by default, 503 beyond it) where HAProxy queued them for "
                                 "timeout-queue (5s) before its 503"),
    "load-balancing": ("ING2GW-TARGET-009",
                       "upstream-hash-by {key} becomes a consistent hash on the same key; Envoy's Maglev table places "
                       "keys on other endpoints than nginx's Ketama ring (each key moves once), and a request without "
                       "the key goes to any endpoint (nginx: always the one of the empty key)"),
}

def _affinity_finding(intent: ir.Intent) -> Finding:
    p = dict(intent.params)
    parts = [f"session affinity becomes a consistent hash on cookie {p['cookie']}, which Envoy sets when a request "
             "has none (as nginx): the same cookie keeps reaching the same endpoint, but the value names Envoy's "
             "choice, so clients pinned by ingress-nginx move to another endpoint once"]
    if p.get("mode") == "persistent":
        parts.append("affinity-mode persistent becomes a hash: when endpoints come and go some sessions move")
    if "paths" in p:
        parts.append(f"nginx set the cookie's Path to each location's path ({p['paths']}); the policy sets Path=/ "
                     "for the whole route")
    if p.get("expires") and not p.get("max-age"):
        parts.append(f"session-cookie-expires {p['expires']} s becomes Max-Age (the same lifetime, no Expires date)")
    return Finding(Severity.WARNING, "ING2GW-TARGET-008", "envoy-gateway: " + "; ".join(parts),
                   origin=intent.source.origin, subject=f"Ingress {intent.source.key}",
                   annotation=intent.source.annotation,
                   suggestion="expect sticky clients to be re-pinned once at the switch-over")


_SUGGESTION = {
    "basic-auth": "add a .htpasswd key with {SHA} hashes to the Secret (htpasswd -s), then apply the policy",
    "external-auth": "list the headers the auth service needs in extAuth.headersToExtAuth",
    "rate-limit": "raise the limit if clients relied on the burst",
    "body-size-limit": "remove requestBuffer on routes that stream request bodies",
    "load-balancing": "expect each key to move to another endpoint once at the switch-over",
    "retry": "set retry.perRetry.timeout if slow responses should be retried",
    "backend-connection-limit": "divide maxConnections by the number of Envoy replicas for HAProxy's total cap",
}


def _health_finding(intent: ir.Intent) -> Finding:
    """What the active health check written for HAProxy's does differently (TARGET-087)."""
    p = dict(intent.params)
    parts = ["the active health check of the route's endpoints (" + (
        f"HTTP {p['method']} {p['path']}" if p["type"] == "http" else "TCP connect")
        + f", every {ms_duration(int(p['interval-ms']))}, down after {p['fall']} failures, up after {p['rise']} "
          "successes) is written as HAProxy ran it; checks run from each Envoy replica, and the request-level check "
          "cannot observe them (its backends are always healthy)"]
    if p["type"] == "http":
        parts.append(f"HAProxy sent {p['version']} without a Host header unless check-http gave one; Envoy sends "
                     "HTTP/1.1 with the cluster's name as Host (set healthCheck.active.http.hostname if the backend "
                     "checks it)")
    if "read-timeout-ms" in p:
        parts.append("timeout-check is HAProxy's read timeout after connecting (the connect itself had up to "
                     "min(timeout-connect, check-interval)); Envoy's timeout covers the whole check")
    return Finding(Severity.INFO, "ING2GW-TARGET-087", "envoy-gateway: " + "; ".join(parts),
                   origin=intent.source.origin, subject=f"Ingress {intent.source.key}",
                   annotation=intent.source.annotation)


def _finding(intent: ir.Intent, kind: str) -> Finding:
    code, template = _TOLD[kind]
    return Finding(Severity.WARNING, code, "envoy-gateway: " + template.format_map(dict(intent.params)),
                   origin=intent.source.origin, subject=f"Ingress {intent.source.key}",
                   annotation=intent.source.annotation, suggestion=_SUGGESTION[kind], security=intent.security)


# ---- listener policies ----------------------------------------------------------------------

#: auth-tls-verify-client -> ClientTrafficPolicy tls.clientValidation.mode
_MODES = {"on": "RequireAndVerify", "optional": "VerifyIfGiven"}


def _fail(intent: ir.Intent, why: str) -> Finding:
    return Finding(Severity.ERROR, "ING2GW-TARGET-012",
                   f"envoy-gateway: client-certificate validation is not written: {why}",
                   origin=intent.source.origin, subject=f"Ingress {intent.source.key}",
                   annotation=intent.source.annotation, security=True,
                   suggestion="give the host its own HTTPS listener (a TLS section naming it), or write the "
                              "ClientTrafficPolicy by hand")


def _forwarding_told(intent: ir.Intent, ns: str, spec: dict[str, Any], listener: str) -> Finding:
    return Finding(Severity.WARNING, "ING2GW-TARGET-014",
                   f"envoy-gateway: the ClientTrafficPolicy of listener {listener} also sets x-forwarded-client-cert "
                   "(SanitizeSet, Cert): the backend gets Hash=<sha256>;Cert=\"<URL-encoded PEM>\" in "
                   "x-forwarded-client-cert instead of the URL-encoded PEM in ssl-client-cert, no ssl-client-verify, "
                   "-subject-dn or -issuer-dn, and an ssl-client-cert header the client sends reaches it unchanged",
                   origin=intent.source.origin, subject=f"Ingress {intent.source.key}",
                   annotation=intent.source.annotation, security=True,
                   suggestion="make the backend read x-forwarded-client-cert and ignore ssl-client-* headers, or "
                              "remove them with a RequestHeaderModifier")


def _forwarding_refused(intent: ir.Intent, listener: str, others: list[str]) -> Finding:
    return Finding(Severity.ERROR, "ING2GW-TARGET-015",
                   f"envoy-gateway: the client certificate is not forwarded: x-forwarded-client-cert is set per listener "
                   f"and listener {listener} also serves {', '.join(others[:5])}, which do not forward it",
                   origin=intent.source.origin, subject=f"Ingress {intent.source.key}",
                   annotation=intent.source.annotation, security=True,
                   suggestion="give the Ingresses that forward the certificate a host (listener) of their own, or set "
                              "headers.xForwardedClientCert in the ClientTrafficPolicy by hand")


def emit_listener_policies(routes: list[tuple[ir.Route, str]],
                           sections: dict[ir.ListenerKey, tuple[str, str, str, str]]) -> tuple[
        list[dict[str, Any]], set[ir.Intent], list[Finding]]:
    """One ClientTrafficPolicy `tls.clientValidation` per HTTPS listener of a host whose Ingress
    asks for client certificates (auth-tls-secret), attached to that listener only (Gateway +
    sectionName), and the ReferenceGrant that lets it read the CA Secret.

    ingress-nginx verifies client certificates for the whole server block, that is the host, so
    the listener must serve that host alone: a listener without a hostname or with a wildcard
    would widen the check to other hosts (too strict for them) and is refused with an error, as
    are two Ingresses of one host asking for different CAs or modes (nothing is weakened
    silently: the intent stays unconsumed and is reported).
    """
    wanted: dict[tuple[str, str, str, str], list[ir.Intent]] = {}
    failed: dict[tuple[str, str], Finding] = {}
    refused: set[ir.Intent] = set()  # never consumed: `emit` reports them as lost too
    #: per listener: the client-certificate-forwarding intents, and every Ingress routed through it
    forwarding: dict[tuple[str, str, str, str], list[ir.Intent]] = {}
    served: dict[tuple[str, str, str, str], set[str]] = {}
    for route, _ in routes:
        for k in route.parents:
            if k in sections:
                served.setdefault(sections[k], set()).add(route.source.key)
                forwarding.setdefault(sections[k], []).extend(
                    i for i in route.intents if i.kind == "client-certificate-forwarding"
                    and carries("envoy-gateway", i.kind, i.params))
        mine = [i for i in route.intents if i.kind == "client-certificate"
                and carries("envoy-gateway", i.kind, i.params)]
        if not mine:
            continue
        listeners = [k for k in route.parents if k.protocol == "HTTPS"]
        for i in mine:
            if not listeners:
                refused.add(i)
                failed.setdefault((i.source.key, "none"), _fail(i, "the host has no HTTPS listener (no TLS section)"))
                continue
            shared = [k for k in listeners if k.hostname is None or k.hostname.startswith("*")]
            if shared:
                refused.add(i)
                failed.setdefault((i.source.key, "shared"), _fail(
                    i, f"its HTTPS listener serves other hosts too ({shared[0].hostname or 'any host'}): the "
                       "check would reach hosts ingress-nginx did not check"))
                continue
            for k in listeners:
                if k in sections:
                    wanted.setdefault(sections[k], []).append(i)
    objects: list[dict[str, Any]] = []
    grants: dict[tuple[str, str, str], dict[str, Any]] = {}
    consumed: set[ir.Intent] = set()
    told: dict[tuple[str, str], Finding] = {}
    for section in sorted(wanted):
        kind, ns, gw, name = section
        intents = wanted[section]
        shapes = {(p["secret-namespace"], p["secret"], p["verify"]) for p in (dict(i.params) for i in intents)}
        if len(shapes) > 1:
            refused.update(intents)
            for i in intents:
                failed.setdefault((i.source.key, "conflict"), _fail(
                    i, f"Ingresses of host {name} ask for different CAs or modes ({len(shapes)}); nginx takes the "
                       "first Ingress's, ing2gw does not guess which"))
            continue
        (secret_ns, secret, verify), = shapes
        ref: dict[str, Any] = {"group": "", "kind": "Secret", "name": secret}
        if secret_ns != ns:
            ref["namespace"] = secret_ns
            key = (secret_ns, ns, secret)
            grants.setdefault(key, {
                "apiVersion": "gateway.networking.k8s.io/v1", "kind": "ReferenceGrant",
                "metadata": {"name": _name(f"from-{ns}-clienttrafficpolicy-to-secret-{secret}", ""),
                             "namespace": secret_ns},
                "spec": {"from": [{"group": "gateway.envoyproxy.io", "kind": "ClientTrafficPolicy", "namespace": ns}],
                         "to": [{"group": "", "kind": "Secret", "name": secret}]}})
        first = min(intents, key=lambda i: i.source.key)
        spec: dict[str, Any] = {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": kind, "name": gw,
                                                "sectionName": name}],
                                "tls": {"clientValidation": {"caCertificateRefs": [ref], "mode": _MODES[verify]}}}
        objects.append({"apiVersion": API_VERSION, "kind": "ClientTrafficPolicy",
                        "metadata": {"name": _name(f"{gw}-{name}", "-client-certificates"), "namespace": ns,
                                     "annotations": {"ing2gw.io/source-ingress": first.source.key}},
                        "spec": spec})
        consumed.update(intents)
        fwd = forwarding.get(section, [])
        if fwd:
            # XFCC is a listener setting: written only when no other Ingress's backends would get it
            others = sorted(served.get(section, set()) - {i.source.key for i in fwd})
            if others:
                for i in fwd:
                    failed.setdefault((i.source.key, "forwarding"), _forwarding_refused(i, name, others))
            else:
                spec["headers"] = {"xForwardedClientCert": {"mode": "SanitizeSet", "certDetailsToAdd": ["Cert"]}}
                consumed.update(fwd)
                for i in fwd:
                    told.setdefault((i.source.key, "forwarding"), _forwarding_told(i, ns, spec, name))
        for i in intents:
            p = dict(i.params)
            told.setdefault((i.source.key, "client-certificate"), Finding(
                Severity.WARNING, "ING2GW-TARGET-011",
                f"envoy-gateway: ClientTrafficPolicy {ns}/{objects[-1]['metadata']['name']} validates client "
                f"certificates on listener {name} against ca.crt of Secret {secret_ns}/{secret} ({_MODES[verify]}): "
                + ("a missing or invalid certificate" if verify == "on" else "an invalid certificate")
                + " fails the TLS handshake (nginx answered 400)"
                + (f"; auth-tls-verify-depth {p['depth']} has no counterpart (longer chains to the CA are accepted)"
                   if p.get("depth") else ""),
                origin=i.source.origin, subject=f"Ingress {i.source.key}", annotation=i.source.annotation,
                suggestion="keep client chains as short as before, or check the CA bundle holds only the CAs that "
                           "issue client certificates", security=True))
    consumed -= refused
    tls_findings = _host_tls(routes, sections, objects, consumed)
    objects += [grants[k] for k in sorted(grants)]
    return objects, consumed, [told[k] for k in sorted(told)] + [failed[k] for k in sorted(failed)] + tls_findings


def _host_tls(routes: list[tuple[ir.Route, str]], sections: dict[ir.ListenerKey, tuple[str, str, str, str]],
              objects: list[dict[str, Any]], consumed: set[ir.Intent]) -> list[Finding]:
    """An Ingress's ssl-ciphers (`listener-tls`, scope host) as `tls.ciphers` of the ClientTrafficPolicy
    of its host's own HTTPS listener (sectionName): the client-certificate policy of that listener
    when there is one (Envoy Gateway takes one policy per listener), else `<gateway>-<listener>-tls`.
    nginx sets ssl_ciphers for the host's server only, so a listener without a hostname or with a
    wildcard (other hosts) and Ingresses of one host asking for different suites get nothing
    (ING2GW-TARGET-084). The versions stay the Gateway's (the gateway emitter copies the
    ConfigMap's into this policy)."""
    from ing2gw.emit.targets.listener_tls import dropped_finding, envoy_tls, written_finding

    wanted: dict[tuple[str, str, str, str], list[ir.Intent]] = {}
    names: dict[tuple[str, str, str, str], set[str]] = {}
    out: list[Finding] = []
    refused: set[ir.Intent] = set()
    placed: set[ir.Intent] = set()
    plain: dict[ir.Intent, str] = {}
    for route, _ in routes:
        mine = [i for i in route.intents if i.kind == "listener-tls" and carries("envoy-gateway", i.kind, i.params)]
        if not mine:
            continue
        listeners = [k for k in route.parents if k.protocol == "HTTPS"]
        if not listeners:
            # the host's plain-HTTP route (ssl-redirect off): the HTTPS route places the intent
            for i in mine:
                plain.setdefault(i, ",".join(route.hostnames))
            continue
        shared = [k for k in listeners if k.hostname is None or k.hostname.startswith("*")]
        hosts = ",".join(route.hostnames)
        why = f"its HTTPS listener serves other hosts too ({shared[0].hostname or 'any host'})" if shared else ""
        for i in mine:
            placed.add(i)
            if why:
                refused.add(i)
                out.append(_tls_refused(i, why, hosts))
                continue
            for k in listeners:
                if k in sections:
                    wanted.setdefault(sections[k], []).append(i)
                    names.setdefault(sections[k], set()).add(k.hostname or "*")
    for i, hosts in sorted(plain.items(), key=lambda t: t[0].source.key):
        if i not in placed:
            refused.add(i)
            out.append(_tls_refused(i, "the host has no HTTPS listener (no TLS section)", hosts))
    for section in sorted(wanted):
        kind, ns, gw, name = section
        intents = list(dict.fromkeys(wanted[section]))
        hosts = ",".join(sorted(names[section]))
        lists = {dict(i.params).get("ciphers") for i in intents}
        if len(lists) > 1:
            refused.update(intents)
            out += [_tls_refused(i, f"Ingresses of host {name} ask for different suites ({len(lists)}); nginx takes "
                                    "the first Ingress's, ing2gw does not guess which", hosts) for i in intents]
            continue
        tls = envoy_tls(dict(intents[0].params))
        policy = next((o for o in objects if o.get("kind") == "ClientTrafficPolicy"
                       and o["metadata"]["namespace"] == ns
                       and any(r.get("name") == gw and r.get("sectionName") == name
                               for r in o["spec"].get("targetRefs", []))), None)
        if policy is None:
            policy = {"apiVersion": API_VERSION, "kind": "ClientTrafficPolicy",
                      "metadata": {"name": _name(f"{gw}-{name}", "-tls"), "namespace": ns,
                                   "annotations": {"ing2gw.io/source-ingress": min(i.source.key for i in intents)}},
                      "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": kind, "name": gw,
                                               "sectionName": name}]}}
            objects.append(policy)
        policy["spec"].setdefault("tls", {})["ciphers"] = tls["ciphers"]
        consumed.update(intents)
        where = f"envoy-gateway: ClientTrafficPolicy {ns}/{policy['metadata']['name']} on listener {name}"
        for i in sorted(intents, key=lambda i: i.source.key):
            out.append(written_finding(i, where, {"ciphers": tls["ciphers"]}, hosts))
            dropped = dropped_finding(i, where, hosts)
            if dropped is not None:
                out.append(dropped)
    consumed -= refused
    return out


def _tls_refused(intent: ir.Intent, why: str, hosts: str) -> Finding:
    return Finding(Severity.ERROR, "ING2GW-TARGET-084",
                   f"envoy-gateway: the host's cipher suites (ssl-ciphers) are not written: {why}",
                   origin=intent.source.origin, subject=f"Ingress {intent.source.key}",
                   annotation=intent.source.annotation, value=intent.value, security=True,
                   suggestion="give the host its own HTTPS listener (a TLS section naming it), or write the "
                              "ClientTrafficPolicy tls.ciphers by hand", details=(("hosts", hosts),))
