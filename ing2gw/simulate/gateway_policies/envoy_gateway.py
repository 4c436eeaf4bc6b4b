"""Envoy Gateway v1.9 (gateway.envoyproxy.io/v1alpha1): SecurityPolicy, BackendTrafficPolicy,
ClientTrafficPolicy, HTTPRouteFilter (ExtensionRef), EnvoyExtensionPolicy and EnvoyPatchPolicy.

Attachment and precedence (docs `concepts/gateway_api_extensions/security-policy.md`, the same
for BackendTrafficPolicy): a policy targets a Gateway (optionally a listener by sectionName), a
ListenerSet (optionally one of its listeners), or an HTTPRoute/GRPCRoute (optionally a named rule)
in its own namespace, by targetRef(s) or by targetSelectors (labels). For a request the most
specific one applies whole: route rule, route, then the listener's (Gateway listener, or
ListenerSet listener, ListenerSet), then the Gateway's; at one level the oldest wins, then
namespace/name. A route-level policy with `mergeType` is merged with the closest parent policy:
each top-level feature the route policy sets replaces the parent's. ClientTrafficPolicy applies
per listener (listener, ListenerSet, Gateway; no merging).

What a request meets, in the order Envoy Gateway sorts its HTTP filters
(`internal/xds/translator/httpfilters.go`): the listener's client-IP detection and health check,
fault injection, CORS (a preflight is answered 200), CSRF, external authorization, API key
auth, basic auth, OIDC, JWT, the request buffer (413), Lua/ext_proc/Wasm extensions, then the
authorization rules (403, `RBAC: access denied`), rate limits, and finally the route action:
a direct response, a redirect, or the backend with the rewrites.

Modelled: client CIDR authorization (first matching rule, else defaultAction, default Deny; CIDR,
header, method and path predicates), basic auth against the `.htpasswd` key of the Secret (401
with `WWW-Authenticate: Basic realm="<original URL>"`; only `{SHA}` is accepted, any other line
makes the policy invalid), API keys, a JWT missing from every place it is looked for (401 unless
optional), CORS (Envoy's CORS filter; the HTTPRoute CORS filter's headers also go on the answers
Envoy Gateway makes itself after it: 401, 403, 413, direct responses, not a fault abort), the
request buffer limit (413 on a larger
Content-Length), fault aborts of 100% of requests, numTrustedHops and trustedCIDRs client-IP detection, the
listener health check path, headers with underscores (rejected with 400 unless a
ClientTrafficPolicy says otherwise: Envoy Gateway's default), HTTPRouteFilter regex path
rewrites, host rewrites from a header or the path, and direct responses. A SecurityPolicy Envoy
Gateway cannot translate (a missing Secret, a bad htpasswd) makes its routes answer 500.

Not modelled (said on the answers they affect): external authorization and OIDC (decided by
another service), a JWT that is present (its signature and claims), CEL, JWT-claim and GeoIP
authorization predicates, CSRF on unsafe methods, responseOverride, PROXY protocol and
custom-header client-IP detection, Lua/ext_proc/Wasm extensions, EnvoyPatchPolicy, credential
injection, cookie matches of an HTTPRouteFilter. Timeouts, retries, load balancing, session
persistence, circuit breakers, connection settings and rate limits (a first request passes)
do not change what one simulated request gets; the answers say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Literal

from ing2gw.simulate.addresses import Network, in_networks, strict_cidr
from ing2gw.simulate.gateway_policies import Context
from ing2gw.simulate.gateway_policies.base import (Effects, EffectsBuilder, LocalReply, RequestState, Scope, Step,
                                                   by_level, duration_seconds, levels_for, mapping, quantity, seq)
from ing2gw.simulate.gateway_policies.htpasswd import parse_htpasswd
from ing2gw.simulate.gateway_policies.objects import PolicyObject
from ing2gw.simulate.gateway_policies.steps import (envoy_handshake, BasicAuth, BodyLimit, ClientCertificateRequired, EnvoyCors,
                                                    ExternalAuth, Note, RegexPathRewrite, Reply, Unmodelled,
                                                    XffClientIP, XffTrustedClientIP, envoy_ext_authz,
                                                    python_replacement, wildcard_origin)

GROUP = "gateway.envoyproxy.io"
ATTACHMENT = ("targetRef", "targetRefs", "targetSelectors", "mergeType")
_NOT_RE2 = re.compile(r"\(\?<?[=!]|\(\?P=|\\[1-9]")

#: BackendTrafficPolicy fields that do not change what one simulated request gets
BTP_NEUTRAL = {
    "timeout": "a slower backend gets 504; latency is not modelled",
    "retry": "retries depend on backend failures",
    "loadBalancer": "chooses an endpoint inside the same Service (session affinity keeps the backend set)",
    "circuitBreaker": "limits concurrent requests; one request passes",
    "healthCheck": "removes unhealthy endpoints; endpoint health is not modelled",
    "connection": "connection settings", "dns": "DNS settings", "http2": "HTTP/2 settings",
    "tcpKeepalive": "TCP keepalive", "proxyProtocol": "PROXY protocol towards the backend",
    "compression": "response compression", "compressor": "response compression",
    "telemetry": "metrics and tracing", "useClientProtocol": "the protocol towards the backend",
    "routingType": "Service or endpoint routing inside the same Service",
    "bandwidthLimit": "bandwidth", "admissionControl": "rejects a share of requests only while the backend fails",
    "httpUpgrade": "protocol upgrades (WebSocket)",
}
#: ClientTrafficPolicy fields that do not change what one simulated request gets
CTP_NEUTRAL = {
    "timeout": "client timeouts", "connection": "connection limits and buffers (no 413)",
    "tcpKeepalive": "TCP keepalive", "http1": "HTTP/1 options", "http2": "HTTP/2 options", "http3": "HTTP/3",
    "grpc": "gRPC-Web translation", "scheme": "the scheme towards the backend",
}
#: EnvoyProxy fields (GatewayClass or Gateway parametersRef) that change answers or their order
ENVOY_PROXY_UNMODELLED = {
    "filterOrder": "reorders the HTTP filters (authentication, authorization, ...)",
    "bootstrap": "replaces parts of Envoy's bootstrap configuration",
    "preserveRouteOrder": "keeps the routes' order instead of Gateway API precedence",
    "mergeGateways": "serves several Gateways from one Envoy",
    "backendTLS": "client certificates and TLS settings towards backends",
    "dynamicModules": "loads dynamic modules that can change anything",
}
CTP_HEADERS_NEUTRAL = ("enableEnvoyHeaders", "requestID", "preserveXRequestID", "disableRateLimitHeaders",
                       "xForwardedClientCert", "withUnderscoresAction")


class EnvoyGateway:
    """The Envoy Gateway model (see the module docstring)."""

    name = "envoy-gateway"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = ctx.store

    def reads(self, policy: PolicyObject) -> bool:
        return policy.group == GROUP and policy.kind in ("SecurityPolicy", "BackendTrafficPolicy",
                                                         "ClientTrafficPolicy", "EnvoyExtensionPolicy",
                                                         "EnvoyPatchPolicy")

    # ---- resolution ---------------------------------------------------------------------------

    def resolve(self, kind: str, scope: Scope, b: EffectsBuilder,
                route_levels: bool = True) -> dict[str, tuple[Any, PolicyObject]] | None:
        """The features of the policy of `kind` that applies at `scope`, merged per `mergeType`:
        feature -> (value, the policy it comes from)."""
        candidates = self.store.of(GROUP, kind)
        if not candidates:
            return None
        levels = by_level(candidates, levels_for(self.store, scope, route_levels=route_levels))
        if not levels:
            return None
        level, hits = levels[0]
        winner = hits[0]
        for other in hits[1:]:
            b.notes.append(f"{other.label()} also targets this {level}; {winner.label()} is older (then first by "
                           "namespace/name) and applies")
        fields = {k: (v, winner) for k, v in winner.spec.items() if k not in ATTACHMENT}
        used = [winner]
        merged_parent: PolicyObject | None = None
        if winner.spec.get("mergeType") and level in ("route rule", "route"):
            parent = next(((lv, h) for lv, h in levels[1:] if lv not in ("route rule", "route")), None)
            if parent is not None:
                merged_parent = parent[1][0]
                base = {k: (v, merged_parent) for k, v in merged_parent.spec.items() if k not in ATTACHMENT}
                base.update(fields)
                fields = base
                used.insert(0, merged_parent)
        for lv, h in levels[1:]:
            for p in h:
                if p is not merged_parent:
                    b.notes.append(f"{p.label()} ({lv}) is overridden here by {winner.label()} ({level})")
        for p in used:
            b.apply(p)
        return fields

    # ---- the effects of a scope ---------------------------------------------------------------

    def _envoy_proxy(self, scope: Scope, b: EffectsBuilder) -> None:
        """The EnvoyProxy of the GatewayClass and of the Gateway (parametersRef): what of it
        changes answers is unmodelled, the rest (deployment, telemetry, logging) is not."""
        refs: list[tuple[str, str]] = []
        cls = self.store.classes.get(scope.gateway_class)
        if cls is not None and cls[1] is not None and cls[1][:2] == (GROUP, "EnvoyProxy"):
            refs.append((cls[1][2], cls[1][3]))
        gw = self.store.gateway_params.get(scope.gateway)
        if gw is not None and gw[:2] == (GROUP, "EnvoyProxy"):
            refs.append((scope.gateway[0], gw[2]))
        for ns, name in refs:
            proxy = self.store.get(GROUP, "EnvoyProxy", ns, name)
            if proxy is None:
                b.unmodelled.append(f"EnvoyProxy {ns}/{name} (parametersRef) is not in the input")
                continue
            b.apply(proxy)
            for key in sorted(proxy.spec):
                if key in ENVOY_PROXY_UNMODELLED:
                    b.unmodelled.append(f"{proxy.label()}: {key} {ENVOY_PROXY_UNMODELLED[key]} (not modelled)")

    def effects(self, scope: Scope) -> Effects:
        b = EffectsBuilder()
        self._envoy_proxy(scope, b)
        self._client_traffic(scope, b)
        sp = self.resolve("SecurityPolicy", scope, b)
        btp = self.resolve("BackendTrafficPolicy", scope, b)
        before_auth, after_auth = self._backend_traffic(btp, b)
        fault, buffer = before_auth
        security = self._security(sp, scope, b)
        # filter order: fault (2), CORS (3), CSRF (4), extAuth (6), apiKey (7), basic (8), OIDC (9),
        # JWT (10), buffer (12), extensions (13..), RBAC (301), rate limits (302, 303)
        for s in fault:
            b.step(s[0], s[1])
        first_behind_cors = len(b.steps)
        for name in ("invalid", "cors", "csrf", "extAuth", "apiKeyAuth", "basicAuth", "oidc", "jwt"):
            for s in security.get(name, []):
                b.step(s[0], s[1])
        for s in buffer:
            b.step(s[0], s[1])
        self._extensions(scope, b)
        for s in security.get("authorization", []):
            b.step(s[0], s[1])
        for s in after_auth:
            b.step(s[0], s[1])
        # the CORS filter (order 3) ran before every step from CSRF (4) on, and Envoy passes a
        # local reply through every encoder filter (filter_manager.cc: sendLocalReply encodes
        # from the first encoder filter), so the CORS filter adds its headers to a 401, 403 or
        # 413 of these steps as to a backend's answer (cors_filter.cc encodeHeaders: the
        # latched allowed Origin, credentials, expose headers); a fault abort comes before it
        for step in b.steps[first_behind_cors:]:
            step.behind_cors = True
        return b.build()

    def listener_effects(self, scope: Scope) -> Effects:
        """The HTTP connection manager, before routing: headers with underscores (rejected with
        400 by Envoy Gateway's default, or dropped) and the health check path."""
        b = EffectsBuilder()
        fields = self.resolve("ClientTrafficPolicy", scope, b, route_levels=False) or {}
        b.notes.clear()  # said on the rule's answers
        headers = mapping(fields.get("headers", ({}, None))[0])
        underscores = headers.get("withUnderscoresAction", "RejectRequest")
        source: PolicyObject | str = fields["headers"][1] if "headers" in fields else "Envoy Gateway default"
        if underscores == "RejectRequest":
            b.step(UnderscoreHeaders(reject=True), source)
        elif underscores == "DropHeader":
            b.step(UnderscoreHeaders(reject=False), source)
        path = mapping(fields.get("healthCheck", ({}, None))[0]).get("path")
        if path:
            b.step(HealthCheck(str(path)), fields["healthCheck"][1])
        validation = mapping(mapping(fields.get("tls", ({}, None))[0]).get("clientValidation"))
        # tls.clientValidation: mode RequireAndVerify (the default) fails the handshake without a
        # client certificate; VerifyIfGiven, Request and the older `optional: true` do not
        if "tls" in fields and mapping(fields["tls"][0]).get("clientValidation") is not None \
                and validation.get("optional") is not True \
                and validation.get("mode", "RequireAndVerify") == "RequireAndVerify":
            b.step(ClientCertificateRequired(f"{fields['tls'][1].label()}: tls.clientValidation"), fields["tls"][1])
        tls_source = fields["tls"][1] if "tls" in fields else None
        b.step(envoy_handshake(mapping(fields.get("tls", ({}, None))[0]),
                               tls_source.label() + ": tls" if tls_source is not None else "Envoy Gateway's TLS defaults"),
               tls_source or "Envoy Gateway default")
        b.applied.clear()
        return b.build()

    def _client_traffic(self, scope: Scope, b: EffectsBuilder) -> None:
        fields = self.resolve("ClientTrafficPolicy", scope, b, route_levels=False)
        fields = fields or {}
        for key, (value, policy) in sorted(fields.items()):
            v = mapping(value)
            if key == "clientIPDetection":
                xff = mapping(v.get("xForwardedFor"))
                cidrs = [strict_cidr(str(c)) for c in seq(xff.get("trustedCIDRs"))]
                if xff.get("numTrustedHops") is not None:
                    b.step(XffClientIP(int(xff["numTrustedHops"])), policy)
                elif cidrs and all(c is not None for c in cidrs):
                    b.step(XffTrustedClientIP(tuple(c for c in cidrs if c is not None)), policy)
                elif v:
                    b.steps.append(Unmodelled(f"{policy.label()}: clientIPDetection {', '.join(sorted(v))} decides the "
                                              "client address (not modelled; the connection's address is used)"))
            elif key in ("enableProxyProtocol", "proxyProtocol"):
                if value is not None and value is not False:
                    b.unmodelled.append(f"{policy.label()}: PROXY protocol: the client address comes from the PROXY "
                                        "header (not modelled)")
            elif key == "healthCheck":
                pass  # on the listener, before routing (listener_effects)
            elif key == "headers":
                for hk in sorted(v):
                    if hk not in CTP_HEADERS_NEUTRAL:
                        b.unmodelled.append(f"{policy.label()}: headers.{hk} is not modelled")
            elif key == "path":
                b.unmodelled.append(f"{policy.label()}: path normalisation settings ({', '.join(sorted(v))}) are not "
                                    "modelled")
            elif key == "tls":
                if v.get("clientValidation") is not None:
                    # the same words as the ingress-nginx model's auth-tls note: a request that
                    # presents a certificate is modelled as presenting a valid one on both sides,
                    # and where it goes stays comparable (equivalence/explain.py); one without
                    # (Request.no_client_cert) fails the handshake (listener_effects)
                    b.unmodelled.append(f"{policy.label()}: tls.clientValidation: client-certificate checks can refuse "
                                        "the connection (a presented certificate is modelled as valid)")
            elif key in CTP_NEUTRAL:
                b.notes.append(f"{policy.label()}: {key} does not change the answer ({CTP_NEUTRAL[key]})")
            else:
                b.unmodelled.append(f"{policy.label()}: spec.{key} is not modelled")

    def _backend_traffic(self, fields: dict[str, tuple[Any, PolicyObject]] | None, b: EffectsBuilder) -> tuple[
            tuple[list[tuple[Step, PolicyObject]], list[tuple[Step, PolicyObject]]], list[tuple[Step, PolicyObject]]]:
        fault: list[tuple[Step, PolicyObject]] = []
        buffer: list[tuple[Step, PolicyObject]] = []
        after: list[tuple[Step, PolicyObject]] = []
        for key, (value, policy) in sorted((fields or {}).items()):
            v = mapping(value)
            what = f"{policy.label()}"
            if key == "requestBuffer":
                limit = quantity(v.get("limit"))
                if limit is None:
                    b.unmodelled.append(f"{what}: requestBuffer.limit {v.get('limit')!r} is not a quantity")
                else:
                    buffer.append((BodyLimit(limit, f"{what} requestBuffer"), policy))
            elif key == "rateLimit":
                after.append((Note(f"{what}: rate limit ({v.get('type', 'Local')}): a first request passes; later ones "
                                   "may get 429 (request counts are not modelled)"), policy))
            elif key == "faultInjection":
                abort = mapping(v.get("abort"))
                if abort:
                    pct = float(abort.get("percentage", 100))
                    status = abort.get("httpStatus")
                    if status is not None and pct >= 100:
                        fault.append((Reply(int(status), "fault-abort", note=f"{what}: faultInjection aborts every "
                                                                             f"request with {status}"), policy))
                    elif status is not None and pct > 0:
                        fault.append((Unmodelled(f"{what}: faultInjection aborts {pct}% of requests with {status} "
                                                 "(modelled as passing)"), policy))
                    elif abort.get("grpcStatus") is not None:
                        fault.append((Unmodelled(f"{what}: faultInjection aborts gRPC requests (not modelled)"),
                                      policy))
                if v.get("delay") is not None:
                    b.notes.append(f"{what}: faultInjection delays requests (latency is not modelled)")
            elif key == "responseOverride":
                b.unmodelled.append(f"{what}: responseOverride replaces the status or body of matching responses, the "
                                    "gateway's own included (not modelled)")
            elif key in BTP_NEUTRAL:
                b.notes.append(f"{what}: {key} does not change the answer ({BTP_NEUTRAL[key]})")
            else:
                b.unmodelled.append(f"{what}: spec.{key} is not modelled")
        return (fault, buffer), after

    def _security(self, fields: dict[str, tuple[Any, PolicyObject]] | None, scope: Scope,
                  b: EffectsBuilder) -> dict[str, list[tuple[Step, PolicyObject]]]:
        out: dict[str, list[tuple[Step, PolicyObject]]] = {}
        for key, (value, policy) in sorted((fields or {}).items()):
            v = mapping(value)
            what = f"{policy.label()}"
            try:
                if key == "cors":
                    out.setdefault(key, []).append((self._cors(v), policy))
                elif key == "csrf":
                    out.setdefault(key, []).append((UnsafeMethods(f"{what}: CSRF protection may refuse this cross-site "
                                                                  "request (403; not modelled)"), policy))
                elif key == "extAuth":
                    backend = _backend_names(v)
                    out.setdefault(key, []).append((ExternalAuth(
                        f"{what}: external authorization ({backend}) decides whether the request passes (not "
                        "modelled; modelled as allowed)", _eg_ext_auth_status(v), f"{what}: extAuth"), policy))
                elif key == "apiKeyAuth":
                    out.setdefault(key, []).append((self._api_key(v, policy), policy))
                elif key == "basicAuth":
                    out.setdefault(key, []).append((self._basic_auth(v, policy), policy))
                elif key == "oidc":
                    out.setdefault(key, []).append((Unmodelled(
                        f"{what}: OIDC: a request without a session cookie is redirected to the provider (302) "
                        "(not modelled; modelled as logged in)"), policy))
                elif key == "jwt":
                    out.setdefault(key, []).append((self._jwt(v, policy), policy))
                elif key == "authorization":
                    out.setdefault(key, []).append((self._authorization(v, policy), policy))
                else:
                    b.unmodelled.append(f"{what}: spec.{key} is not modelled")
            except _Invalid as exc:
                # Envoy Gateway answers 500 on the policy's routes rather than letting requests through
                out.setdefault("invalid", []).append((Reply(500, "invalid-policy",
                                                            note=f"{what} is invalid ({exc}): Envoy Gateway answers "
                                                                 "500 on its routes"), policy))
        return out

    # ---- features -----------------------------------------------------------------------------

    @staticmethod
    def _cors(v: dict[str, Any]) -> Step:
        seconds = duration_seconds(v["maxAge"]) if v.get("maxAge") else None
        return EnvoyCors(tuple(wildcard_origin(str(o)) for o in seq(v.get("allowOrigins"))),
                         ", ".join(str(m) for m in seq(v.get("allowMethods"))),
                         ", ".join(str(h) for h in seq(v.get("allowHeaders"))),
                         ", ".join(str(h) for h in seq(v.get("exposeHeaders"))),
                         "" if seconds is None else str(seconds), v.get("allowCredentials") is True)

    def _secret_ref(self, ref: dict[str, Any], policy: PolicyObject) -> tuple[str, str]:
        ns = str(ref.get("namespace") or policy.namespace)
        name = str(ref.get("name") or "")
        if (ref.get("kind") or "Secret") != "Secret" or (ref.get("group") or "") != "":
            raise _Invalid(f"{ref.get('kind')} {name} is not a Secret")
        if not self.ctx.granted(GROUP, policy.kind, policy.namespace, "Secret", ns, name):
            raise _Invalid(f"Secret {ns}/{name} is in another namespace and no ReferenceGrant allows it")
        return ns, name

    def _basic_auth(self, v: dict[str, Any], policy: PolicyObject) -> Step:
        ns, name = self._secret_ref(mapping(v.get("users")), policy)
        exists, data = self.ctx.secret(ns, name)
        if not exists:
            raise _Invalid(f"Secret {ns}/{name} does not exist")
        users: dict[str, str] | None = None
        if data is not None:
            text = data.get(".htpasswd")
            if not text:
                raise _Invalid(f"Secret {ns}/{name} has no \".htpasswd\" key")
            users, bad = parse_htpasswd(text)
            if bad:
                raise _Invalid("a line of the htpasswd data is not user:password")
            if any(not h.startswith("{SHA}") for h in users.values()):
                raise _Invalid("unsupported htpasswd format: Envoy Gateway accepts {SHA} hashes only")
        return BasicAuth(users, frozenset({"sha"}), _envoy_realm("Basic"), f"{policy.label()} basicAuth",
                         scheme_case_sensitive=True, forward_user=v.get("forwardUsernameHeader") or None,
                         body="User authentication failed. Missing username and password.",
                         wrong_body="User authentication failed. Invalid username/password combination.",
                         secret=f"{ns}/{name}")

    def _api_key(self, v: dict[str, Any], policy: PolicyObject) -> Step:
        keys: set[str] | None = set()
        for ref in seq(v.get("credentialRefs")):
            ns, name = self._secret_ref(mapping(ref), policy)
            exists, data = self.ctx.secret(ns, name)
            if not exists:
                raise _Invalid(f"Secret {ns}/{name} does not exist")
            if data is None:
                keys = None
            elif keys is not None:
                keys.update(val for val in data.values() if val)
        sources: list[tuple[str, str]] = []
        for src in seq(v.get("extractFrom")):
            s = mapping(src)
            sources += [("header", str(x)) for x in seq(s.get("headers"))]
            sources += [("param", str(x)) for x in seq(s.get("params"))]
            sources += [("cookie", str(x)) for x in seq(s.get("cookies"))]
        return ApiKey(tuple(sources), None if keys is None else frozenset(keys), f"{policy.label()} apiKeyAuth")

    def _jwt(self, v: dict[str, Any], policy: PolicyObject) -> Step:
        sources: list[tuple[str, str, str]] = []
        for p in seq(v.get("providers")):
            ex = mapping(mapping(p).get("extractFrom"))
            if not ex:
                sources += [("header", "authorization", "Bearer "), ("param", "access_token", "")]
            sources += [("header", str(mapping(h).get("name", "")).lower(), str(mapping(h).get("valuePrefix", "")))
                        for h in seq(ex.get("headers"))]
            sources += [("cookie", str(c), "") for c in seq(ex.get("cookies"))]
            sources += [("param", str(q), "") for q in seq(ex.get("params"))]
        optional = v.get("optional") is True or v.get("failOpen") is True
        return Jwt(tuple(dict.fromkeys(sources)), optional, f"{policy.label()} jwt")

    def _authorization(self, v: dict[str, Any], policy: PolicyObject) -> Step:
        rules = []
        for i, raw in enumerate(seq(v.get("rules"))):
            r = mapping(raw)
            principal = mapping(r.get("principal"))
            nets: tuple[Network, ...] | None = None
            if principal.get("clientCIDRs") is not None:
                parsed = [strict_cidr(str(c)) for c in seq(principal.get("clientCIDRs"))]
                if any(n is None for n in parsed):
                    raise _Invalid(f"authorization rule {i}: a clientCIDRs entry is not a CIDR")
                nets = tuple(n for n in parsed if n is not None)
            headers = tuple((str(mapping(h).get("name", "")).lower(), tuple(str(x) for x in seq(mapping(h).get("values"))))
                            for h in seq(principal.get("headers")))
            op = mapping(r.get("operation"))
            methods = tuple(str(m) for m in seq(op.get("methods"))) or None
            path = None
            if op.get("path") is not None:
                pm = mapping(op.get("path"))
                path = (str(pm.get("type", "PathPrefix")), str(pm.get("value", "/")), pm.get("invert") is True)
            unknown = [k for k in ("jwt", "clientIPGeoLocations") if principal.get(k) is not None]
            if r.get("cel"):
                unknown.append("cel")
            rules.append(_Rule(str(r.get("name") or f"rule {i}"), str(r.get("action", "Deny")), nets, headers, methods,
                               path, tuple(unknown)))
        return Authorization(tuple(rules), str(v.get("defaultAction", "Deny")), f"{policy.label()} authorization")

    def _extensions(self, scope: Scope, b: EffectsBuilder) -> None:
        for kind, what in (("EnvoyExtensionPolicy", "Lua, ext_proc or Wasm extensions can change anything"),
                           ("EnvoyPatchPolicy", "patches to the generated Envoy configuration can change anything")):
            hits = by_level(self.store.of(GROUP, kind), levels_for(self.store, scope))
            for _, policies in hits:
                for p in policies:
                    b.apply(p)
                    b.unmodelled.append(f"{p.label()}: {what} (not modelled)")

    # ---- ExtensionRef ---------------------------------------------------------------------------

    def extension(self, group: str, kind: str, name: str, scope: Scope) -> Effects | None:
        if group != GROUP or kind != "HTTPRouteFilter":
            return None
        b = EffectsBuilder()
        f = self.store.get(GROUP, kind, scope.route_ns, name)
        if f is None:
            # Gateway API: an ExtensionRef that cannot be resolved must not be skipped
            b.step(Reply(500, "invalid-filter", note=f"HTTPRouteFilter {scope.route_ns}/{name} does not exist: the "
                                                     "rule answers 500"))
            return b.build()
        b.apply(f)
        spec = f.spec
        for key in sorted(spec):
            v = mapping(spec[key])
            if key == "urlRewrite":
                self._url_rewrite(f, v, b)
            elif key == "directResponse":
                b.step(self._direct_response(f, v), f)
            elif key == "matches":
                b.unmodelled.append(f"{f.label()}: matches (cookies) narrow the rule's matches (not modelled; the rule "
                                    "is modelled as matching)")
            elif key == "credentialInjection":
                b.unmodelled.append(f"{f.label()}: credentialInjection adds a credential header from a Secret (not "
                                    "shown)")
            else:
                b.unmodelled.append(f"{f.label()}: spec.{key} is not modelled")
        for step in b.steps:
            step.behind_cors = True  # the router's direct response passes the CORS filter too
        return b.build()

    def _url_rewrite(self, f: PolicyObject, v: dict[str, Any], b: EffectsBuilder) -> None:
        path = mapping(v.get("path"))
        if path:
            rm = mapping(path.get("replaceRegexMatch"))
            pattern = str(rm.get("pattern", ""))
            if _NOT_RE2.search(pattern):
                b.unmodelled.append(f"{f.label()}: pattern {pattern!r} uses features RE2 does not have")
            b.step(RegexPathRewrite(_compile(pattern), str(rm.get("substitution", "")),
                                    f"{f.label()} urlRewrite", replace_all=True), f)
        host = mapping(v.get("hostname"))
        if host:
            typ = host.get("type")
            if typ == "Header":
                b.step(HostFromHeader(str(host.get("header", "")).lower()), f)
            elif typ == "PathRegex":
                pr = mapping(host.get("pathRegex"))
                b.step(HostFromPath(_compile(str(pr.get("pattern", ""))), str(pr.get("substitution", ""))), f)
            else:
                b.unmodelled.append(f"{f.label()}: hostname rewrite {typ} (the backend's own host name) is not modelled")

    def _direct_response(self, f: PolicyObject, v: dict[str, Any]) -> Step:
        status = int(v.get("statusCode", 200))
        body = mapping(v.get("body"))
        text: str | None = None
        if body:
            if body.get("type", "Inline") == "Inline":
                text = str(body.get("inline", ""))
            else:
                ref = mapping(body.get("valueRef"))
                data = self.store.configmaps.get((f.namespace, str(ref.get("name", ""))))
                if data is None:
                    return Reply(500, "invalid-filter", note=f"{f.label()}: ConfigMap {ref.get('name')} is not in the "
                                                             "input (Envoy Gateway rejects the filter: 500)",
                                 phase="action")
                text = data.get("response.body", next(iter(data.values()), ""))
        headers: list[tuple[str, str]] = []
        if v.get("contentType"):
            headers.append(("content-type", str(v["contentType"])))
        hdr = mapping(v.get("header"))
        for h in seq(hdr.get("set")) + seq(hdr.get("add")):
            headers.append((str(mapping(h).get("name", "")).lower(), str(mapping(h).get("value", ""))))
        return Reply(status, "direct-response", tuple(headers), text, phase="action")


# ---------------------------------------------------------------------------------------------
# Envoy Gateway's own steps


class _Invalid(Exception):
    """A policy Envoy Gateway cannot translate."""


def _compile(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _backend_names(v: dict[str, Any]) -> str:
    names = []
    for proto in ("http", "grpc"):
        p = mapping(v.get(proto))
        for ref in seq(p.get("backendRefs")) + ([p["backendRef"]] if isinstance(p.get("backendRef"), dict) else []):
            names.append(f"{proto} {mapping(ref).get('name')}")
    return ", ".join(names) or "a service"


def _envoy_realm(scheme: str) -> Callable[[RequestState], str]:
    """`<scheme> realm="<scheme>://<host><path>"` (Envoy's buildOriginalUri, path cut at 256)."""
    def realm(state: RequestState) -> str:
        req = state.request
        return f'{scheme} realm="{req.scheme}://{req.host or ""}{req.target[:256]}"'
    return realm


@dataclass(eq=False)
class UnderscoreHeaders(Step):
    """Envoy's headers_with_underscores_action: REJECT_REQUEST answers 400, DROP_HEADER drops them."""

    reject: bool

    def run(self, state: RequestState) -> LocalReply | None:
        names = [k for k, _ in state.headers if "_" in k]
        if not names:
            return None
        if self.reject:
            return LocalReply(400, "header-with-underscore", note=f"header {names[0]} has an underscore: Envoy Gateway "
                                                                  "rejects the request (withUnderscoresAction)")
        state.headers = [(k, v) for k, v in state.headers if "_" not in k]
        state.changed = True
        return None


@dataclass(eq=False)
class HealthCheck(Step):
    """The listener's health check path: answered 200 by Envoy itself."""

    path: str

    def run(self, state: RequestState) -> LocalReply | None:
        if state.request.path == self.path:
            return LocalReply(200, "health-check", note=f"{self.path} is the listener's health check path")
        return None


@dataclass(eq=False)
class UnsafeMethods(Step):
    """Unmodelled for methods that are not safe (a CSRF check looks at them only)."""

    message: str

    def run(self, state: RequestState) -> LocalReply | None:
        if state.request.method not in ("GET", "HEAD", "OPTIONS"):
            state.unmodelled.append(self.message)
        return None


@dataclass(eq=False)
class ApiKey(Step):
    """Envoy's api_key_auth: the key from the first source that has one must be a known key."""

    sources: tuple[tuple[str, str], ...]
    keys: frozenset[str] | None
    what: str

    def run(self, state: RequestState) -> LocalReply | None:
        key = None
        req = state.request
        for kind, name in self.sources:
            if kind == "header":
                key = state.header(name)
            elif kind == "param":
                key = next((v for k, v in req.query_params() if k == name), None)
            else:
                key = req.cookies().get(name)
            if key is not None:
                break
        if key is None:
            return LocalReply(401, "api-key-401", note=f"{self.what}: no API key in the request")
        if self.keys is None:
            state.unmodelled.append(f"{self.what}: the key Secret is not in the input; whether the key is valid is not "
                                    "known (modelled as valid)")
            return None
        if key not in self.keys:
            return LocalReply(401, "api-key-401", note=f"{self.what}: the API key is not known")
        return None


@dataclass(eq=False)
class Jwt(Step):
    """Envoy's jwt_authn: a request with no token in any place the providers look answers 401
    (unless optional); a token's validity is not modelled."""

    sources: tuple[tuple[str, str, str], ...]
    optional: bool
    what: str

    def run(self, state: RequestState) -> LocalReply | None:
        req = state.request
        for kind, name, prefix in self.sources:
            if kind == "header":
                value = state.header(name)
                found = value is not None and value.startswith(prefix)
            elif kind == "param":
                found = any(k == name for k, _ in req.query_params())
            else:
                found = name in req.cookies()
            if found:
                state.unmodelled.append(f"{self.what}: the request carries a token; its signature and claims are not "
                                        "checked (modelled as valid)")
                return None
        if self.optional:
            return None
        return LocalReply(401, "jwt-401", (("www-authenticate", _envoy_realm("Bearer")(state)),), "Jwt is missing",
                          note=f"{self.what}: the request carries no JWT")


@dataclass(frozen=True)
class _Rule:
    name: str
    action: str
    cidrs: tuple[Network, ...] | None
    headers: tuple[tuple[str, tuple[str, ...]], ...]
    methods: tuple[str, ...] | None
    path: tuple[str, str, bool] | None
    unknown: tuple[str, ...]


@dataclass(eq=False)
class Authorization(Step):
    """SecurityPolicy.authorization: the first rule whose predicates all match decides; else
    the default action. Deny answers 403 `RBAC: access denied`."""

    rules: tuple[_Rule, ...]
    default: str
    what: str

    def run(self, state: RequestState) -> LocalReply | None:
        req = state.request
        for rule in self.rules:
            if rule.methods is not None and req.method not in rule.methods:
                continue
            if rule.path is not None and not _path_matches(rule.path, req.path):
                continue
            if any(not any(v == want for v in [x for k, x in state.headers if k == name] for want in values)
                   for name, values in rule.headers):
                continue
            if rule.cidrs is not None:
                if state.client is None:
                    state.unmodelled.append(f"{self.what}: {rule.name} decides on the client address, and "
                                            f"{state.client_unknown} (modelled as allowed)")
                    return None
                if not in_networks(state.client, rule.cidrs):
                    continue
            if rule.unknown:
                state.unmodelled.append(f"{self.what}: {rule.name} also needs {', '.join(rule.unknown)} (not modelled; "
                                        "modelled as not matching)")
                continue
            return self._decide(rule.action, f"{rule.name} matches")
        return self._decide(self.default, "no rule matches: the default action")

    def _decide(self, action: str, why: str) -> LocalReply | None:
        if action == "Allow":
            return None
        return LocalReply(403, "authorization-403", body="RBAC: access denied", note=f"{self.what}: {why} ({action})")


def _path_matches(spec: tuple[str, str, bool], path: str) -> bool:
    typ, value, invert = spec
    if typ == "Exact":
        hit = path == value
    elif typ == "RegularExpression":
        rx = _compile(value)
        hit = rx is not None and rx.fullmatch(path) is not None
    else:
        prefix = value.rstrip("/")
        hit = path == prefix or path.startswith(prefix + "/") or value == "/"
    return hit != invert


@dataclass(eq=False)
class HostFromHeader(Step):
    """urlRewrite.hostname type Header: the upstream Host is the value of a request header
    (unchanged when the header is absent)."""

    header: str
    phase: Literal["before", "action"] = "action"

    def run(self, state: RequestState) -> LocalReply | None:
        value = state.header(self.header)
        if value is not None:
            state.host = value
            state.changed = True
        return None


@dataclass(eq=False)
class HostFromPath(Step):
    """urlRewrite.hostname type PathRegex: the upstream Host is the substitution of the path's
    regex match (unchanged when the pattern does not match)."""

    pattern: re.Pattern[str] | None
    substitution: str
    phase: Literal["before", "action"] = "action"

    def run(self, state: RequestState) -> LocalReply | None:
        if self.pattern is None:
            state.unmodelled.append("urlRewrite.hostname pathRegex does not compile here")
            return None
        m = self.pattern.search(state.path)
        if m is not None:
            state.host = m.expand(python_replacement(self.substitution))
            state.changed = True
        return None


__all__ = ["EnvoyGateway"]


def _eg_ext_auth_status(spec: dict[str, Any]) -> Callable[[int], int]:
    """What the client gets for the auth service's answer under this extAuth: Envoy's ext_authz
    (`steps.envoy_ext_authz`); with failOpen an error of the service (a 5xx) lets the request
    through (failure_mode_allow)."""
    if spec.get("failOpen") is True:
        return lambda status: 0 if status >= 500 else envoy_ext_authz(status)
    return envoy_ext_authz
