"""kgateway policies (gateway.kgateway.dev/v1alpha1 TrafficPolicy) for intents plain Gateway API lacks.

One TrafficPolicy per route (`<route>-policy`), attached to that route by name only.

* basic-auth: `basicAuth.secretRef` names the Ingress's own credentials Secret and its key
  `auth` (the key ingress-nginx reads), so nothing is copied; kgateway checks {SHA} hashes only
  (ING2GW-TARGET-007).
* body-size-limit: `buffer.maxRequestSize` (413 above it, as client_max_body_size; the body is
  buffered, ING2GW-TARGET-004).

* external-auth: a GatewayExtension (type ExtAuth, httpService: the auth URL's Service and port,
  its path as pathPrefix, auth-response-headers as headersToBackend) per distinct call, named by
  the route's `extAuth.extensionRef`; Envoy appends the request's path to pathPrefix where nginx
  called the URL's own path (ING2GW-TARGET-036).
* session-affinity (cookie) and load-balancing (upstream-hash-by with one variable): a
  BackendConfigPolicy `loadBalancer.ringHash` on the Service (a ring, as nginx's Ketama hash),
  only when every route using the Service asks for the same (ING2GW-TARGET-038; otherwise an
  error, ING2GW-TARGET-037, and nothing is written).
* regex-rewrite (a rewrite-target with capture groups URLRewrite cannot express): a
  TrafficPolicy without targetRefs whose `urlRewrite.pathRegex` replaces the whole path matching
  the location's regex (`(?i)^<path>.*`) by the target (`$N` written `\\N`), named by an
  ExtensionRef filter of the rule (ING2GW-TARGET-080).
* backend-tls (TLS without verification, emit/targets/backend_tls.py): BackendConfigPolicy
  `tls.insecureSkipVerify` (and `sni` when nginx sent one) on the Service, when every route using
  any port of the Service asks for the same (the policy has no port); merged into the Service's
  `-load-balancer` policy when there is one, else `<svc>-backend-tls`. kgateway's tls takes
  exactly one of secretRef, files, insecureSkipVerify and wellKnownCACertificates (the CRD's
  rule), so a client certificate cannot go with skipping verification (carry.py).
* retry (proxy_next_upstream with non_idempotent): `retry` with attempts = tries - 1, the
  connect-failure/reset triggers of error and timeout and the http_NNN statuses
  (ING2GW-TARGET-039); the HTTPRoute retry field cannot say which failures are retried.
* source-range (allow/deny lists): `acl` with a deny rule, an allow rule and defaultAction deny
  when an allow list exists (else allow). kgateway lets the longest matching prefix decide,
  nginx the deny list first; CIDRs are nested or disjoint, so the two agree once the allow
  entries inside (or equal to) a deny entry are left out: nginx denies those addresses anyway,
  and without them the longest match of a denied address is always a deny entry. An invalid
  list (nginx denies the location) becomes defaultAction deny without rules.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ing2gw import ir
from ing2gw.emit.targets import direct_statuses, regex_rewrites
from ing2gw.emit.targets.external_backends import backend_objects
from ing2gw.emit.targets.carry import carries
from ing2gw.emit.targets.envoy_gateway import duration
from ing2gw.findings import Finding, Severity

API_VERSION = "gateway.kgateway.dev/v1alpha1"


def _name(base: str, suffix: str) -> str:
    """A metadata.name (DNS subdomain: at most 253 characters, ending in a letter or digit)."""
    return base[:253 - len(suffix)].rstrip("-.") + suffix


def _networks(intents: list[ir.Intent], action: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = set()
    for i in intents:
        if dict(i.params).get("action") != action:
            continue
        for c in i.value.split(","):
            if c.strip():
                out.add(ipaddress.ip_network(c.strip(), strict=False))
    return sorted(out, key=lambda n: (n.version, n))


def acl(intents: list[ir.Intent]) -> dict[str, Any]:
    """TrafficPolicy.spec.acl for a route's source-range intents (see the module docstring)."""
    if any(dict(i.params).get("action") == "deny-all" for i in intents):
        return {"defaultAction": "deny"}
    deny = _networks(intents, "deny")
    allow = [a for a in _networks(intents, "allow")
             if not any(a.version == d.version and a.subnet_of(d) for d in deny)]  # type: ignore[arg-type]
    rules: list[dict[str, Any]] = []
    for action, nets in (("deny", deny), ("allow", allow)):
        for k in range(0, len(nets), 256):  # at most 256 CIDRs per rule
            rules.append({"name": f"{action}list", "action": action, "cidrs": [str(n) for n in nets[k:k + 256]]})
    default = "deny" if any(dict(i.params).get("action") == "allow" for i in intents) else "allow"
    if default == "allow" and not rules:
        return {"defaultAction": "deny"}  # never an open policy by accident
    return {"defaultAction": default, **({"rules": rules} if rules else {})}


def emit_policies(routes: list[tuple[ir.Route, str]]) -> tuple[list[dict[str, Any]], set[ir.Intent], list[Finding]]:
    """The TrafficPolicy of each route with intents kgateway carries, those intents, and what the
    user must check."""
    objects: list[dict[str, Any]] = []
    consumed: set[ir.Intent] = set()
    told: dict[tuple[str, str], Finding] = {}
    extensions: dict[tuple[str, str], dict[str, Any]] = {}
    for route, name in routes:
        spec: dict[str, Any] = {}
        lists = [i for i in route.intents if i.kind == "source-range"]
        if lists and carries("kgateway", "client-allow-list"):
            spec["acl"] = acl(lists)
            consumed.update(lists)
        for i in route.intents:
            if i.kind != "source-range" and not carries("kgateway", i.kind, i.params):
                continue  # a provider's intent this policy cannot carry as given: left over, reported by emit
            p = dict(i.params)
            if i.kind == "basic-auth" and "basicAuth" not in spec:
                spec["basicAuth"] = {"secretRef": {"name": p["secret"], "key": "auth"}}
                consumed.add(i)
                told.setdefault((i.source.key, i.kind), _finding(
                    i, "ING2GW-TARGET-007",
                    f"kgateway: the TrafficPolicy reads Secret {p['secret-namespace']}/{p['secret']} key auth as "
                    "ingress-nginx does, but accepts {SHA} hashes only; other entries never match (401)",
                    "re-hash bcrypt, apr1 and crypt entries with htpasswd -s", Severity.WARNING))
                told.setdefault((i.source.key, "scope"), _finding(
                    i, "ING2GW-TARGET-006",
                    "kgateway: basicAuth covers the whole route: nginx's automatic trailing-slash redirects answer "
                    "before authentication (the Gateway: 401), and unmatched paths of a regex host get 401 from nginx "
                    "(the Gateway: 404; on other hosts the route's `/` rule answers 404 after asking for credentials)",
                    None, Severity.INFO))
            elif i.kind == "external-auth" and "extAuth" not in spec:
                ext = gateway_extension(i)
                extensions.setdefault((route.namespace, ext["metadata"]["name"]), ext)
                spec["extAuth"] = {"extensionRef": {"name": ext["metadata"]["name"]}}
                consumed.add(i)
                told.setdefault((i.source.key, i.kind), _ext_auth_finding(i, ext["metadata"]["name"]))
            elif i.kind == "retry" and "retry" not in spec:
                consumed.add(i)  # no retry (off, one try) is kgateway's default: carried by writing nothing
                again = retry(i)
                if again is not None:
                    spec["retry"] = again
                    told.setdefault((i.source.key, i.kind), _finding(
                        i, "ING2GW-TARGET-039",
                        f"kgateway: proxy_next_upstream {p['conditions']} (tries {p['tries']}) becomes a TrafficPolicy "
                        f"retry ({again['attempts']} retries): Envoy may retry on the same endpoint (nginx takes the "
                        "next one), waits a back-off (25 ms base) between tries, and does not retry a response "
                        "slower than the proxy timeouts (no perTryTimeout is written)",
                        "set retry.perTryTimeout if slow responses should be retried", Severity.WARNING))
            elif i.kind == "body-size-limit" and "buffer" not in spec:
                spec["buffer"] = {"maxRequestSize": p["quantity"]}
                consumed.add(i)
                told.setdefault((i.source.key, i.kind), _finding(
                    i, "ING2GW-TARGET-004",
                    f"kgateway: buffer limits bodies to {p['quantity']} (413 above, as nginx) by buffering each "
                    "request body: streaming uploads, gRPC streaming and WebSocket break on these routes",
                    "remove buffer on routes that stream request bodies", Severity.WARNING))
        if spec:
            objects.append({"apiVersion": API_VERSION, "kind": "TrafficPolicy",
                            "metadata": {"name": _name(name, "-policy"), "namespace": route.namespace,
                                         "annotations": {"ing2gw.io/source-ingress": route.source.key}},
                            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": route.kind,
                                                     "name": name}], **spec}})
    objects += [extensions[k] for k in sorted(extensions)]
    objects += direct_responses([route for route, _ in routes])
    rewrites, rewritten = regex_rewrite_policies([route for route, _ in routes])
    objects += rewrites
    told.update(rewritten)
    balancers, carried, balanced = backend_config_policies([route for route, _ in routes])
    tls_carried, tls_told = _backend_tls([route for route, _ in routes], balancers)
    hc_carried, hc_told = _health_checks([route for route, _ in routes], balancers)
    objects += balancers
    consumed |= carried | tls_carried | hc_carried
    objects += backend_objects(routes, "kgateway")
    return objects, consumed, [told[k] for k in sorted(told)] + balanced + tls_told + hc_told


def _backend_tls(routes: list[ir.Route], policies: list[dict[str, Any]]) -> tuple[set[ir.Intent], list[Finding]]:
    """BackendConfigPolicy `tls` (insecureSkipVerify, sni) for each Service whose users all ask for
    TLS without verification, added to `policies` (into the Service's balancing policy if any)."""
    from ing2gw.emit.targets.backend_tls import agree

    result = agree(routes, "kgateway", per_port=False)
    by_service = {(str(p["metadata"]["namespace"]), str(p["spec"]["targetRefs"][0]["name"])): p for p in policies}
    told: list[Finding] = []
    for (ns, svc, _), (protocol, sni, intents) in sorted(result.written.items()):
        policy = by_service.get((ns, svc))
        if policy is None:
            policy = {"apiVersion": API_VERSION, "kind": "BackendConfigPolicy",
                      "metadata": {"name": _name(svc, "-backend-tls"), "namespace": ns,
                                   "annotations": {"ing2gw.io/source-ingress": intents[0].source.key}},
                      "spec": {"targetRefs": [{"group": "", "kind": "Service", "name": svc}]}}
            policies.append(policy)
        tls: dict[str, Any] = {"insecureSkipVerify": True}
        if sni:
            tls["sni"] = sni
        policy["spec"]["tls"] = tls
        for i in intents:
            told.append(_finding(
                i, "ING2GW-TARGET-060",
                f"kgateway: backend-protocol {protocol.upper()} becomes TLS without verification (tls.insecureSkipVerify"
                + (f", sni {sni}" if sni else "") + f") in BackendConfigPolicy {ns}/{policy['metadata']['name']} for "
                "Service " + f"{ns}/{svc}, as ingress-nginx (which does not check the backend's certificate either); "
                "the policy covers every port of the Service, and every route of the input that sends to the Service asks "
                "for this TLS"
                + ("" if sni else "; no SNI is set, as nginx sent none"),
                "verify the backend instead when you can (proxy-ssl-verify on, a BackendTLSPolicy)", Severity.INFO))
    return result.consumed, told + result.findings


def _health_checks(routes: list[ir.Route], policies: list[dict[str, Any]]) -> tuple[set[ir.Intent], list[Finding]]:
    """BackendConfigPolicy `healthCheck` for each Service whose routes all ask for the same active
    HTTP check (HAProxy check-http; providers/haproxy/backend_settings.py), added to `policies`
    (into the Service's other BackendConfigPolicy if any: one object per Service)."""
    from ing2gw.emit.targets.envoy_gateway import ms_duration
    from ing2gw.emit.targets.service_settings import agree

    result = agree(routes, "kgateway", "health-check")
    by_service = {(str(p["metadata"]["namespace"]), str(p["spec"]["targetRefs"][0]["name"])): p for p in policies}
    told: list[Finding] = []
    for (ns, svc), (params, lead) in sorted(result.services.items()):
        p = dict(params)
        policy = by_service.get((ns, svc))
        if policy is None:
            policy = {"apiVersion": API_VERSION, "kind": "BackendConfigPolicy",
                      "metadata": {"name": _name(svc, "-health-check"), "namespace": ns,
                                   "annotations": {"ing2gw.io/source-ingress": lead.source.key}},
                      "spec": {"targetRefs": [{"group": "", "kind": "Service", "name": svc}]}}
            policies.append(policy)
        interval = int(p["interval-ms"])
        policy["spec"]["healthCheck"] = {
            "interval": ms_duration(interval), "timeout": ms_duration(int(p.get("read-timeout-ms", interval))),
            "healthyThreshold": int(p["rise"]), "unhealthyThreshold": int(p["fall"]),
            "http": {"path": p["path"], "method": p["method"]}}
        told.append(_finding(
            lead, "ING2GW-TARGET-090",
            f"kgateway: the active health check (HTTP {p['method']} {p['path']} every {ms_duration(interval)}, down "
            f"after {p['fall']} failures, up after {p['rise']} successes) is written in BackendConfigPolicy "
            f"{ns}/{policy['metadata']['name']} for Service {ns}/{svc} (every port; every route of the input that "
            "sends to the Service asks for it); Envoy takes only 200 as healthy where HAProxy took 2xx and 3xx, and "
            f"probes with HTTP/1.1 and the cluster's name as Host (HAProxy: {p['version']})"
            + ("; timeout-check was HAProxy's read timeout after connecting, Envoy's timeout covers the whole check"
               if "read-timeout-ms" in p else ""),
            "make the health path answer 200, and set healthCheck.http.host if the backend checks the Host",
            Severity.WARNING))
    return result.consumed, told + result.findings


def direct_responses(routes: list[ir.Route]) -> list[dict[str, Any]]:
    """The DirectResponse (one per status and namespace, named by `direct_filter_name`) of every
    rule answering without a backend (ir.Rule.direct_status: the `/` rule the nginx provider adds
    for a basic-auth host's root location, so the route's basicAuth asks for credentials there
    first, as nginx's root location inherited the first Ingress's authentication)."""
    return [{"apiVersion": API_VERSION, "kind": "DirectResponse", "metadata": {"name": name, "namespace": ns},
             "spec": {"status": status}} for ns, status, name in direct_statuses(routes)]


def regex_rewrite_policies(routes: list[ir.Route]) -> tuple[list[dict[str, Any]], dict[tuple[str, str], Finding]]:
    """The TrafficPolicy (`urlRewrite.pathRegex`, no targetRefs: one per rewrite and namespace,
    named by `regex_filter_name`, which emit.gateway's ExtensionRef names) of every regex rewrite
    of the routes' rules, and one finding per Ingress and rewrite."""
    objects: dict[tuple[str, str], dict[str, Any]] = {}
    told: dict[tuple[str, str], Finding] = {}
    for route, rule, pattern, substitution, name in regex_rewrites(routes):
        objects.setdefault((route.namespace, name), {
            "apiVersion": API_VERSION, "kind": "TrafficPolicy",
            "metadata": {"name": name, "namespace": route.namespace,
                         "annotations": {"ing2gw.io/source-ingress": rule.source.key}},
            "spec": {"urlRewrite": {"pathRegex": {"pattern": pattern, "substitution": substitution}}}})
        told.setdefault((rule.source.key, name), Finding(
            Severity.INFO, "ING2GW-TARGET-080",
            f"kgateway: the rewrite becomes TrafficPolicy {route.namespace}/{name} (urlRewrite.pathRegex, named by "
            f"an ExtensionRef filter of the rule), which replaces the whole path matching {pattern} by "
            f"{substitution} as nginx's rewrite did (RE2 instead of PCRE; the query string is kept by both)",
            origin=rule.source.origin, subject=f"Ingress {rule.source.key}",
            annotation=rule.source.annotation or None))
    return [objects[k] for k in sorted(objects)], told


def retry(intent: ir.Intent) -> dict[str, Any] | None:
    """TrafficPolicy.spec.retry for nginx's proxy_next_upstream (carry._retry_eg: only with
    non_idempotent, as Envoy's retry has no method condition), None for no retry; `attempts`
    counts the retries (tries - 1)."""
    from ing2gw.emit.targets.envoy_gateway import retry as eg_retry

    eg = eg_retry(intent)
    if eg is None:
        return None
    out: dict[str, Any] = {"attempts": eg["numRetries"], "retryOn": eg["retryOn"]["triggers"]}
    if eg["retryOn"].get("httpStatusCodes"):
        out["statusCodes"] = eg["retryOn"]["httpStatusCodes"]
    return out


def gateway_extension(intent: ir.Intent) -> dict[str, Any]:
    """The GatewayExtension (type ExtAuth, httpService) calling auth-url's Service: one per
    Service, port, path and response headers, in the Service's (the route's) namespace."""
    import hashlib

    p = dict(intent.params)
    http: dict[str, Any] = {"backendRef": {"name": p["service"], "port": int(p["port"])}}
    if p["path"] not in ("", "/"):
        http["pathPrefix"] = p["path"]
    headers = [h for h in p.get("response-headers", "").split(",") if h]
    if headers:
        http["authorizationResponse"] = {"headersToBackend": headers}
    digest = hashlib.sha256(repr(sorted(http.items())).encode()).hexdigest()[:8]
    return {"apiVersion": API_VERSION, "kind": "GatewayExtension",
            "metadata": {"name": _name(f"{p['service']}-ext-auth", f"-{digest}"), "namespace": p["namespace"],
                         "annotations": {"ing2gw.io/source-ingress": intent.source.key}},
            "spec": {"type": "ExtAuth", "extAuth": {"httpService": http}}}


def _ext_auth_finding(i: ir.Intent, extension: str) -> Finding:
    p = dict(i.params)
    where = (f"{p['path']} followed by the request's own path (Envoy's path_prefix), where nginx asked {p['path']} "
             "itself" if p["path"] not in ("", "/") else "the request's own path, where nginx asked /")
    return _finding(
        i, "ING2GW-TARGET-036",
        f"kgateway: extAuth (GatewayExtension {p['namespace']}/{extension}) calls Service {p['service']} port "
        f"{p['port']} for each request, as nginx's auth_request did, but at {where}; the auth service gets the "
        "request's headers without X-Original-URL/-Method, and a 2xx answer lets the request through"
        + (f" with {p['response-headers'].replace(',', ', ')} copied upstream" if p.get("response-headers") else ""),
        "make the auth service answer its check on every path under its prefix, or write the GatewayExtension by hand",
        Severity.WARNING)


def _balancer(intents: list[ir.Intent]) -> dict[str, Any] | None:
    """BackendConfigPolicy.spec.loadBalancer for a route's affinity or hash intent (affinity
    wins, as nginx's sticky balancer replaces the hash), None without one."""
    by_kind = {i.kind: i for i in intents if i.kind in ("session-affinity", "load-balancing")
               and carries("kgateway", i.kind, i.params)}
    if "session-affinity" in by_kind:
        p = dict(by_kind["session-affinity"].params)
        # nginx: Max-Age wins over Expires; neither is a session cookie (ttl 0s, Envoy's session cookie)
        ttl = int(p.get("max-age") or p.get("expires") or 0)
        cookie: dict[str, Any] = {"name": p["cookie"], "ttl": duration(ttl), "path": p.get("path", "/"),
                                  "httpOnly": True}  # nginx's sticky cookie is always HttpOnly
        if p.get("samesite") in ("Strict", "Lax", "None"):
            cookie["sameSite"] = p["samesite"]
        return {"ringHash": {"hashPolicies": [{"cookie": cookie}]}}
    if "load-balancing" in by_kind:
        p = dict(by_kind["load-balancing"].params)
        policy: dict[str, Any] = ({"sourceIP": {}} if p["hash"] == "source-ip" else
                                  {"header": {"name": p["name"]}} if p["hash"] == "header" else
                                  {"cookie": {"name": p["name"]}})
        return {"ringHash": {"hashPolicies": [policy]}}
    return None


def backend_config_policies(routes: list[ir.Route]) -> tuple[list[dict[str, Any]], set[ir.Intent], list[Finding]]:
    """One BackendConfigPolicy `loadBalancer` per Service whose routes all ask for the same
    affinity or hash (nginx's sticky balancer or `hash ... consistent`, a ring hash as Ketama).

    The policy attaches to the Service, so every route that sends traffic there gets it: it is
    written only when every route using the Service wants that same balancer, and a route's
    intent is carried only when every Service it uses gets it (else an error names the
    disagreement and the intent stays reported: never wider than the Ingress asked)."""
    wants = {id(r): _balancer(list(r.intents)) for r in routes}
    users: dict[tuple[str, str], list[ir.Route]] = {}
    for r in routes:
        for svc in {(b.namespace, b.name) for rule in r.rules for b in rule.backends}:
            users.setdefault(svc, []).append(r)
    carried = {id(r) for r in routes if wants[id(r)] is not None}
    while True:
        agree = {svc for svc, rs in users.items()
                 if all(id(r) in carried and wants[id(r)] == wants[id(rs[0])] for r in rs)}
        still = {i for i in carried if all((b.namespace, b.name) in agree for r in routes if id(r) == i
                                              for rule in r.rules for b in rule.backends)}
        if still == carried:
            break
        carried = still
    objects: list[dict[str, Any]] = []
    consumed: set[ir.Intent] = set()
    told: dict[tuple[str, str], Finding] = {}
    for svc in sorted(agree):
        rs = users[svc]
        first = min(rs, key=lambda r: r.source.key)
        objects.append({"apiVersion": API_VERSION, "kind": "BackendConfigPolicy",
                        "metadata": {"name": _name(svc[1], "-load-balancer"), "namespace": svc[0],
                                     "annotations": {"ing2gw.io/source-ingress": first.source.key}},
                        "spec": {"targetRefs": [{"group": "", "kind": "Service", "name": svc[1]}],
                                 "loadBalancer": wants[id(first)]}})
    for r in routes:
        mine = [i for i in r.intents if i.kind in ("session-affinity", "load-balancing")
                and carries("kgateway", i.kind, i.params)]
        if not mine:
            continue
        if id(r) in carried:
            consumed.update(mine)
            lead = next((i for i in mine if i.kind == "session-affinity"), mine[0])
            told.setdefault((lead.source.key, "balancer"), _balancer_finding(lead, mine))
            continue
        others = sorted({o.source.key for rule in r.rules for b in rule.backends
                         for o in users.get((b.namespace, b.name), []) if o is not r
                         and wants[id(o)] != wants[id(r)]} - {r.source.key})
        i = mine[0]
        told.setdefault((i.source.key, "shared"), _finding(
            i, "ING2GW-TARGET-037",
            "kgateway: the " + i.kind + " policy is not written: a BackendConfigPolicy attaches to the Service, and "
            + (f"the Service also serves {', '.join(others[:5])}, which ask for another balancer or none"
               if others else "another Service of the route cannot get the same balancer")
            + "; the policy would reach routes that did not ask for it",
            "give the Ingress its own Service (a second Service selecting the same pods), then write the "
            "BackendConfigPolicy for it", Severity.ERROR))
    return objects, consumed, [told[k] for k in sorted(told)]


def _balancer_finding(lead: ir.Intent, mine: list[ir.Intent]) -> Finding:
    p = dict(lead.params)
    if lead.kind == "session-affinity":
        parts = [f"kgateway: session affinity becomes a BackendConfigPolicy ring hash on cookie {p['cookie']} for the "
                 "Service, which Envoy sets when a request has none (as nginx): the same cookie keeps reaching the "
                 "same endpoint, but the value names Envoy's choice, so clients pinned by ingress-nginx move once"]
        if p.get("mode") == "persistent":
            parts.append("affinity-mode persistent becomes a hash: when endpoints come and go some sessions move")
        if "paths" in p:
            parts.append(f"nginx set the cookie's Path to each location's path ({p['paths']}); the policy sets Path=/")
        if p.get("domain"):
            parts.append(f"the cookie's Domain {p['domain']} cannot be set (host-only cookie)")
        if any(i.kind == "load-balancing" for i in mine):
            parts.append("upstream-hash-by is not written: nginx's sticky balancer replaces it too")
    else:
        parts = [f"kgateway: upstream-hash-by {p['key']} becomes a BackendConfigPolicy ring hash on the same key for "
                 "the Service; Envoy's ring places keys on other endpoints than nginx's Ketama ring (each key moves "
                 "once), and a request without the key goes to any endpoint"]
    return _finding(lead, "ING2GW-TARGET-038", "; ".join(parts),
                    "expect sticky clients and hashed keys to be re-pinned once at the switch-over", Severity.WARNING)


def _finding(i: ir.Intent, code: str, message: str, suggestion: str | None, severity: Severity) -> Finding:
    return Finding(severity, code, message, origin=i.source.origin, subject=f"Ingress {i.source.key}",
                   annotation=i.source.annotation, suggestion=suggestion, security=i.security and code != "ING2GW-TARGET-006")
