"""kgateway v2.4 (gateway.kgateway.dev/v1alpha1): TrafficPolicy, HTTPListenerPolicy /
ListenerPolicy, BackendConfigPolicy, DirectResponse and TrafficPolicy by ExtensionRef.

Attachment and merging (docs `about/trafficpolicy.md` "Policy priority and merging rules",
`about/policy-merging.md`): TrafficPolicies merge per top-level field ("shallow merge"). For each
field the policy with the highest priority that sets it wins: ExtensionRef on the rule, then a
targetRef to the route rule (sectionName), then to the route; below every route-level policy,
the Gateway listener (sectionName), then the Gateway. At one level the oldest wins (then
namespace/name). The Gateway annotation `kgateway.dev/inherited-policy-priority:
ShallowMergePreferParent` makes Gateway-level fields win. `acl` is deep-merged within the route
group or within the Gateway group (rules unioned, singletons from the higher priority; a
conflict of singletons falls back to the higher-priority ACL whole), and a route-level ACL
replaces the Gateway's (the CRD's description of `acl`).

Filter order (`pkg/pluginsdk/filters/stages.go`, `plugins/trafficpolicy`): fault injection, the
ACL right after it, CORS, authentication (OAuth2/OIDC, external auth, JWT, basic auth, API keys),
RBAC, rate limits, then CSRF, header mutation and the request buffer in the route stage; the
route action last (direct response, rewrites).

Modelled: the ACL (longest prefix match on the client address, default action, deny status and
headers), basic auth (Envoy's basic_auth filter; `{SHA}` only; inline users or a Secret key,
default `.htpasswd`), API keys, the request buffer limit (413), fault aborts of every request,
CORS (Envoy's CORS filter), request and response header modifiers with inline values, the
regex path rewrite (`urlRewrite.pathRegex`, every match replaced), DirectResponse, the listener's
trusted X-Forwarded-For hops or trusted CIDRs (`xffTrustedCIDRs` with useRemoteAddress false: Envoy's
XffConfig.xff_trusted_cidrs) and health check path. Unmodelled: external auth, JWT, OAuth2/OIDC
(their providers are GatewayExtensions the model does not follow), CEL RBAC, transformations,
ext_proc, CSRF on unsafe methods, header values from Secrets, autoHostRewrite, internalRedirect,
the PROXY protocol, early header modifiers. Timeouts, retries, rate limits (a first request
passes), compression, tracing and BackendConfigPolicy do not change one simulated answer, except
BackendConfigPolicy `tls`: the Gateway reaches the Service over TLS (Effects.tls).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ing2gw.simulate.addresses import Network, go_cidr_or_ip, longest_prefix, strict_cidr
from ing2gw.simulate.gateway_objects import HeaderOps
from ing2gw.simulate.gateway_policies import Context
from ing2gw.simulate.gateway_policies.base import (Effects, EffectsBuilder, LocalReply, RequestState, Scope, Step,
                                                   attaches, by_level, levels_for, mapping, quantity, seq)
from ing2gw.simulate.gateway_policies.envoy_gateway import ApiKey, HealthCheck, _envoy_realm
from ing2gw.simulate.gateway_policies.htpasswd import parse_htpasswd
from ing2gw.simulate.gateway_policies.objects import PolicyObject
from ing2gw.simulate.gateway_policies.steps import (TlsHandshake, BasicAuth, BodyLimit, EnvoyCors, ExternalAuth, HeaderChanges,
                                                    Note, RegexPathRewrite, Reply, Unmodelled, XffClientIP,
                                                    XffTrustedClientIP, envoy_ext_authz, wildcard_origin)

GROUP = "gateway.kgateway.dev"
ATTACHMENT = ("targetRefs", "targetSelectors")
PREFER_PARENT = "kgateway.dev/inherited-policy-priority"

NEUTRAL = {
    "timeouts": "a slower backend gets 504; latency is not modelled",
    "retry": "retries depend on backend failures",
    "compression": "response compression", "tracing": "tracing", "statPrefix": "statistics",
}


@dataclass(frozen=True)
class _Field:
    """One top-level TrafficPolicy field as it applies: its value, its policy and its level."""

    value: Any
    policy: PolicyObject
    level: str


class Kgateway:
    """The kgateway model (see the module docstring)."""

    name = "kgateway"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = ctx.store

    def reads(self, policy: PolicyObject) -> bool:
        return policy.group == GROUP and policy.kind in ("TrafficPolicy", "HTTPListenerPolicy", "ListenerPolicy",
                                                         "BackendConfigPolicy")

    # ---- merging ------------------------------------------------------------------------------

    def _ordered(self, scope: Scope) -> list[tuple[str, PolicyObject]]:
        """TrafficPolicies that apply at `scope`, highest priority first, with their level."""
        out: list[tuple[str, PolicyObject]] = []
        for group, kind, name in scope.filters:
            if group == GROUP and kind == "TrafficPolicy":
                p = self.store.get(GROUP, kind, scope.route_ns, name)
                if p is not None:
                    out.append(("extensionRef", p))
        route_levels = by_level(self.store.of(GROUP, "TrafficPolicy"), levels_for(self.store, scope))
        gateway_first = self._prefer_parent(scope)
        route = [(lv, p) for lv, ps in route_levels if lv in ("route rule", "route") for p in ps]
        gateway = [(lv, p) for lv, ps in route_levels if lv not in ("route rule", "route") for p in ps]
        return (gateway + out + route) if gateway_first else (out + route + gateway)

    def _prefer_parent(self, scope: Scope) -> bool:
        anns = self.store.annotations.get(("Gateway", *scope.gateway), {})
        return anns.get(PREFER_PARENT) == "ShallowMergePreferParent"

    def merged(self, scope: Scope, b: EffectsBuilder) -> dict[str, _Field]:
        """Top-level field -> the value that applies (shallow merge by priority)."""
        out: dict[str, _Field] = {}
        for level, p in self._ordered(scope):
            for key, value in p.spec.items():
                if key in ATTACHMENT:
                    continue
                if key in out:
                    if key != "acl":
                        b.notes.append(f"{p.label()} ({level}) sets {key} too; {out[key].policy.label()} "
                                       f"({out[key].level}) has priority")
                    continue
                out[key] = _Field(value, p, level)
                b.apply(p)
        return out

    def _acl(self, scope: Scope, b: EffectsBuilder) -> Step | None:
        ordered = [(lv, p) for lv, p in self._ordered(scope) if isinstance(p.spec.get("acl"), dict)]
        if not ordered:
            return None
        route_group = [(lv, p) for lv, p in ordered if lv in ("extensionRef", "route rule", "route")]
        group = route_group or ordered       # a route-level ACL replaces the Gateway's
        acls = [(p, mapping(p.spec["acl"])) for _, p in group]
        first_policy, first = acls[0]
        singletons = {"defaultAction": first.get("defaultAction"), "denyResponse": first.get("denyResponse")}
        conflict = any(a.get(k) is not None and a.get(k) != v for _, a in acls[1:] for k, v in singletons.items())
        used = acls[:1] if conflict else acls
        rules: list[tuple[Network, str, str]] = []
        for policy, acl in used:
            b.apply(policy)
            for r in seq(acl.get("rules")):
                r = mapping(r)
                for c in seq(r.get("cidrs")):
                    net = go_cidr_or_ip(str(c))
                    if net is None:
                        b.unmodelled.append(f"{policy.label()}: acl entry {c!r} is not an address or CIDR (not modelled)")
                        continue
                    rules.append((net, str(r.get("action", "deny")), str(r.get("name") or "rule")))
        deny = mapping(first.get("denyResponse"))
        headers = tuple((str(mapping(h).get("name", "")).lower(), str(mapping(h).get("value", "")))
                        for h in seq(deny.get("headers")))
        return Acl(tuple(rules), str(first.get("defaultAction", "deny")), int(deny.get("statusCode", 403)), headers,
                   deny.get("blockedByHeaderName"), f"{first_policy.label()} acl")

    # ---- effects ------------------------------------------------------------------------------

    def listener_effects(self, scope: Scope) -> Effects:
        b = EffectsBuilder()
        for kind in ("HTTPListenerPolicy", "ListenerPolicy"):
            for p in self._listener_policies(kind, scope):
                settings = p.spec if kind == "HTTPListenerPolicy" else mapping(mapping(p.spec.get("default")).get(
                    "httpSettings"))
                path = mapping(settings.get("healthCheck")).get("path")
                if path:
                    b.step(HealthCheck(str(path)), p)
        b.step(kgateway_handshake(self.store.listener_options.get((*scope.gateway, scope.listener), {})
                                  if scope.listener_owner[0] == "Gateway" else {}, scope.listener), "kgateway listener")
        return b.build()

    def _listener_policies(self, kind: str, scope: Scope) -> list[PolicyObject]:
        levels = by_level(self.store.of(GROUP, kind), levels_for(self.store, scope, route_levels=False))
        return levels[0][1][:1] if levels else []

    def effects(self, scope: Scope) -> Effects:
        b = EffectsBuilder()
        self._listener(scope, b)
        fields = self.merged(scope, b)
        acl = self._acl(scope, b)
        steps: dict[str, list[Step]] = {}
        for key, f in sorted(fields.items()):
            v = mapping(f.value)
            what = f.policy.label()
            if key == "acl":
                continue
            if v.get("disable") is not None and key not in ("acl",):
                b.notes.append(f"{what} disables {key} here")
                continue
            if key == "faultInjection":
                abort = mapping(v.get("abort"))
                if abort.get("httpStatus") is not None and int(abort.get("percentage", 100)) >= 100:
                    steps.setdefault("fault", []).append(Reply(int(abort["httpStatus"]), "fault-abort",
                                                               note=f"{what}: faultInjection aborts every request"))
                elif abort:
                    steps.setdefault("fault", []).append(Unmodelled(f"{what}: faultInjection aborts a share of "
                                                                    "requests (modelled as passing)"))
                if v.get("delay") is not None or v.get("responseRateLimit") is not None:
                    b.notes.append(f"{what}: faultInjection delays (latency is not modelled)")
            elif key == "cors":
                steps.setdefault("cors", []).append(self._cors(v, what))
            elif key == "extAuth":
                steps.setdefault("authn", []).append(ExternalAuth(f"{what}: external auth decides whether the request "
                                                                  "passes (not modelled; modelled as allowed)",
                                                                  envoy_ext_authz, f"{what}: extAuth"))
            elif key in ("jwtAuth", "oauth2"):
                steps.setdefault("authn", []).append(Unmodelled(f"{what}: {key} (its provider is a GatewayExtension): "
                                                                "not modelled; modelled as authenticated"))
            elif key == "basicAuth":
                steps.setdefault("authn", []).append(self._basic_auth(v, f.policy))
            elif key == "apiKeyAuth":
                steps.setdefault("authn", []).append(self._api_key(v, f.policy, b))
            elif key == "rbac":
                steps.setdefault("authz", []).append(Unmodelled(f"{what}: rbac decides with CEL expressions (not "
                                                                "modelled; modelled as allowed)"))
            elif key == "rateLimit":
                steps.setdefault("ratelimit", []).append(Note(f"{what}: rate limit: a first request passes (request "
                                                              "counts are not modelled)"))
            elif key == "csrf":
                steps.setdefault("route", []).append(Unmodelled(f"{what}: CSRF protection may refuse unsafe "
                                                                "cross-site requests (not modelled)"))
            elif key == "headerModifiers":
                steps.setdefault("route", []).append(self._headers(v, what, b))
            elif key == "buffer":
                limit = quantity(v.get("maxRequestSize"))
                if limit is None:
                    b.unmodelled.append(f"{what}: buffer.maxRequestSize {v.get('maxRequestSize')!r} is not modelled")
                else:
                    steps.setdefault("buffer", []).append(BodyLimit(limit, f"{what} buffer"))
            elif key == "urlRewrite":
                if "URLRewrite" in scope.filter_types:
                    b.unmodelled.append(f"{what}: urlRewrite and the rule's own URLRewrite filter both rewrite the "
                                        "path; Gateway API's filter has priority (how they combine is not modelled)")
                    continue
                rx = mapping(v.get("pathRegex"))
                steps.setdefault("rewrite", []).append(RegexPathRewrite(_compile(str(rx.get("pattern", ""))),
                                                                        str(rx.get("substitution", "")),
                                                                        f"{what} urlRewrite"))
            elif key in NEUTRAL:
                b.notes.append(f"{what}: {key} does not change the answer ({NEUTRAL[key]})")
            else:
                b.unmodelled.append(f"{what}: spec.{key} is not modelled")
        order = ["fault"]
        for name in order:
            for s in steps.get(name, []):
                b.step(s)
        if acl is not None:
            b.step(acl)
        if "CORS" in scope.filter_types:
            # the rule's CORS filter is Envoy's CORS filter at this stage: the local replies of the
            # stages after it (authentication's 401) pass its encoder and get the CORS headers
            # (cors_filter.cc encodeHeaders; filter_manager.cc runs a local reply through every
            # encoder filter)
            steps.setdefault("cors", []).append(CorsSeen())
        for name in ("cors", "authn", "authz", "ratelimit", "route", "buffer", "rewrite"):
            for s in steps.get(name, []):
                b.step(s)
        self._backend_config(scope, b)
        return b.build()

    def _listener(self, scope: Scope, b: EffectsBuilder) -> None:
        for kind in ("HTTPListenerPolicy", "ListenerPolicy"):
            for p in self._listener_policies(kind, scope):
                b.apply(p)
                settings = p.spec if kind == "HTTPListenerPolicy" else mapping(mapping(p.spec.get("default")).get(
                    "httpSettings"))
                cidrs = [strict_cidr(str(c)) for c in seq(settings.get("xffTrustedCIDRs"))]
                if settings.get("useRemoteAddress") is False and cidrs and all(c is not None for c in cidrs) \
                        and settings.get("xffNumTrustedHops") is None:
                    # Envoy's XFF detection with trusted CIDRs (XffConfig.xff_trusted_cidrs)
                    b.step(XffTrustedClientIP(tuple(c for c in cidrs if c is not None)), p)
                elif settings.get("useRemoteAddress") is False or settings.get("xffTrustedCIDRs") is not None:
                    b.step(Unmodelled(f"{p.label()}: client-IP detection without useRemoteAddress and without trusted "
                                      "CIDRs, or with hops and CIDRs, is not modelled (the connection's address is used)"))
                elif settings.get("xffNumTrustedHops") is not None:
                    b.step(XffClientIP(int(settings["xffNumTrustedHops"])), p)
                for key in ("earlyRequestHeaderModifier", "localReplies"):
                    if settings.get(key) is not None:
                        b.unmodelled.append(f"{p.label()}: {key} is not modelled")
                if kind == "ListenerPolicy" and p.spec.get("perPort") is not None:
                    b.unmodelled.append(f"{p.label()}: perPort settings are not modelled")

    def _backend_config(self, scope: Scope, b: EffectsBuilder) -> None:
        for p in self.store.of(GROUP, "BackendConfigPolicy"):
            if any(attaches(self.store, p, "Service", ns, name, None) for ns, name, _ in scope.backends):
                b.apply(p)
                b.notes.append(f"{p.label()}: connection, load-balancing and health settings towards the backend do "
                               "not change the answer")
                tls = p.spec.get("tls")
                if tls is not None:
                    # TLS origination to every port of the targeted Service (the policy has no port)
                    b.tls.extend((ns, name, port) for ns, name, port in scope.backends if isinstance(port, int)
                                 and attaches(self.store, p, "Service", ns, name, None))
                    if mapping(tls).get("insecureSkipVerify") is not True:
                        b.unmodelled.append(f"{p.label()}: TLS to the backend verifies its certificate (a failed "
                                            "check is a 5xx; not modelled)")

    # ---- features -----------------------------------------------------------------------------

    @staticmethod
    def _cors(v: dict[str, Any], what: str) -> Step:
        origins = tuple(wildcard_origin(str(o)) for o in seq(v.get("allowOrigins")))
        step = EnvoyCors(origins, ", ".join(map(str, seq(v.get("allowMethods")))),
                         ", ".join(map(str, seq(v.get("allowHeaders")))),
                         ", ".join(map(str, seq(v.get("exposeHeaders")))),
                         str(v.get("maxAge", 5)), v.get("allowCredentials") is True, forward_not_matching=True)
        return step

    def _basic_auth(self, v: dict[str, Any], policy: PolicyObject) -> Step:
        what = f"{policy.label()} basicAuth"
        users: dict[str, str] | None
        secret: str | None = None
        if v.get("users") is not None:
            users, _ = parse_htpasswd("\n".join(str(u) for u in seq(v.get("users"))))
        else:
            ref = mapping(v.get("secretRef"))
            ns, name = str(ref.get("namespace") or policy.namespace), str(ref.get("name", ""))
            if not self.ctx.granted(GROUP, policy.kind, policy.namespace, "Secret", ns, name):
                return Unmodelled(f"{what}: Secret {ns}/{name} needs a ReferenceGrant; what kgateway does without "
                                  "one is not modelled")
            exists, data = self.ctx.secret(ns, name)
            if not exists:
                return Unmodelled(f"{what}: Secret {ns}/{name} does not exist; what kgateway does then is not modelled")
            users, secret = None, f"{ns}/{name}"
            if data is not None:
                text = data.get(str(ref.get("key") or ".htpasswd"))
                if text is None:
                    return Unmodelled(f"{what}: Secret {ns}/{name} has no key {ref.get('key') or '.htpasswd'} (not "
                                      "modelled)")
                users, _ = parse_htpasswd(text)
        return BasicAuth(users, frozenset({"sha"}), _envoy_realm("Basic"), what, scheme_case_sensitive=True,
                         body="User authentication failed. Missing username and password.",
                         wrong_body="User authentication failed. Invalid username/password combination.",
                         secret=secret)

    def _api_key(self, v: dict[str, Any], policy: PolicyObject, b: EffectsBuilder) -> Step:
        what = f"{policy.label()} apiKeyAuth"
        if v.get("secretSelector") is not None:
            return Unmodelled(f"{what}: keys from Secrets chosen by labels (not modelled)")
        ref = mapping(v.get("secretRef"))
        ns, name = str(ref.get("namespace") or policy.namespace), str(ref.get("name", ""))
        exists, data = self.ctx.secret(ns, name)
        if not exists:
            return Unmodelled(f"{what}: Secret {ns}/{name} does not exist (not modelled)")
        keys = None if data is None else frozenset(x for x in data.values() if x)
        sources: list[tuple[str, str]] = []
        for s in seq(v.get("keySources")):
            s = mapping(s)
            for kind, field in (("header", "header"), ("param", "query"), ("cookie", "cookie")):
                if s.get(field):
                    sources.append((kind, str(s[field])))
        if not sources:
            sources = [("header", "api-key")]
            b.unmodelled.append(f"{what}: the default key source is assumed to be the api-key header")
        return ApiKey(tuple(sources), keys, what)

    @staticmethod
    def _headers(v: dict[str, Any], what: str, b: EffectsBuilder) -> Step:
        def ops(raw: Any) -> HeaderOps | None:
            m = mapping(raw)
            if not m:
                return None
            pairs: dict[str, list[tuple[str, str]]] = {"set": [], "add": []}
            for k in ("set", "add"):
                for h in seq(m.get(k)):
                    h = mapping(h)
                    if h.get("secretRef") is not None:
                        b.unmodelled.append(f"{what}: a header value from a Secret is not shown")
                        continue
                    pairs[k].append((str(h.get("name", "")), str(h.get("value", ""))))
            return HeaderOps(tuple(pairs["set"]), tuple(pairs["add"]), tuple(str(x) for x in seq(m.get("remove"))))
        return HeaderChanges(ops(v.get("request")), ops(v.get("response")))

    # ---- ExtensionRef ---------------------------------------------------------------------------

    def extension(self, group: str, kind: str, name: str, scope: Scope) -> Effects | None:
        if group != GROUP:
            return None
        if kind == "TrafficPolicy":
            # merged by `effects` (highest priority); a missing one answers 500
            if self.store.get(GROUP, kind, scope.route_ns, name) is None:
                return Effects(steps=(Reply(500, "invalid-filter", note=f"TrafficPolicy {scope.route_ns}/{name} does "
                                                                        "not exist: the rule answers 500"),))
            return Effects()
        if kind == "DirectResponse":
            d = self.store.get(GROUP, kind, scope.route_ns, name)
            if d is None:
                return Effects(steps=(Reply(500, "invalid-filter", note=f"DirectResponse {scope.route_ns}/{name} does "
                                                                        "not exist: the rule answers 500"),))
            body = d.spec.get("body")
            unmodelled: tuple[str, ...] = ()
            if d.spec.get("bodyFormat") is not None:
                unmodelled = (f"{d.label()}: bodyFormat is an Envoy format string (not modelled)",)
            return Effects(steps=(Reply(int(d.spec.get("status", 200)), "direct-response", (),
                                        None if body is None else str(body), phase="action"),),
                           unmodelled=unmodelled, applied=(d.label(),))
        return None


def _compile(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


@dataclass(eq=False)
class Acl(Step):
    """kgateway's http-acl module: the most specific CIDR containing the client address decides
    (its action), else the default action; deny answers `status` (default 403) with the deny
    headers and the blocked-by header (the rule's name, or `default`)."""

    rules: tuple[tuple[Network, str, str], ...]
    default: str
    status: int
    headers: tuple[tuple[str, str], ...]
    blocked_by: Any
    what: str

    def run(self, state: RequestState) -> LocalReply | None:
        if state.client is None:
            state.unmodelled.append(f"{self.what}: {state.client_unknown} (modelled as allowed)")
            return None
        nets = [n for n, _, _ in self.rules]
        best = longest_prefix(state.client, nets)
        if best is None:
            action, rule = self.default, "default"
        else:
            matching = {(a, r) for n, a, r in self.rules if n == best}
            if len({a for a, _ in matching}) > 1:
                state.unmodelled.append(f"{self.what}: {best} is both allowed and denied (not modelled)")
                return None
            action, rule = sorted(matching)[0]
        if action == "allow":
            return None
        headers = self.headers + (((str(self.blocked_by).lower(), rule),) if self.blocked_by else ())
        return LocalReply(self.status, "acl-denied", headers, note=f"{self.what}: {state.client} is denied by {rule}")


@dataclass(eq=False)
class CorsSeen(Step):
    """Marks that the rule's CORS filter has seen the request (RequestState.cors_seen)."""

    def run(self, state: RequestState) -> LocalReply | None:
        state.cors_seen = True
        return None


def kgateway_handshake(options: dict[str, str], listener: str) -> TlsHandshake:
    """What a kgateway listener accepts: its tls.options kgateway.dev/min-tls-version and
    max-tls-version ("1.2"; default Envoy's 1.2 to 1.3) and kgateway.dev/cipher-suites
    (comma-separated IANA names; kgateway's pkg/apiclient annotation keys). Without cipher-suites
    (Envoy's defaults as kgateway passes them) or with a name the model does not know, which suites
    it accepts is not modelled."""
    from ing2gw.model.tls_suites import SUITES, VERSIONS

    lo = options.get("kgateway.dev/min-tls-version", "1.2").strip()
    hi = options.get("kgateway.dev/max-tls-version", "1.3").strip()
    lo, hi = (lo if lo in VERSIONS else "1.2"), (hi if hi in VERSIONS else "1.3")
    versions = VERSIONS[VERSIONS.index(lo):VERSIONS.index(hi) + 1]
    by_iana = {s.iana: s.openssl for s in SUITES if s.boringssl}
    raw = [c.strip() for c in options.get("kgateway.dev/cipher-suites", "").split(",") if c.strip()]
    suites = frozenset(by_iana[c] for c in raw) if raw and all(c in by_iana for c in raw) else None
    what = (f"listener {listener} tls.options" if options else f"kgateway's TLS defaults on listener {listener} "
            "(Envoy: TLS 1.2 to 1.3)")
    return TlsHandshake(what, tuple(versions), suites)
