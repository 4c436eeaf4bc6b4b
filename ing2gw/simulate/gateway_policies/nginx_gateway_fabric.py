"""NGINX Gateway Fabric v2.6 (gateway.nginx.org): ClientSettingsPolicy, AuthenticationFilter and
SnippetsFilter (ExtensionRef), RateLimitPolicy, UpstreamSettingsPolicy, ProxySettingsPolicy,
ObservabilityPolicy, SnippetsPolicy, WAFPolicy and NginxProxy.

NGINX Gateway Fabric renders nginx configuration: a Gateway-level ClientSettingsPolicy becomes
server-level directives and a route-level one location-level directives, so a route policy's
settings override the Gateway's one directive at a time (nginx inheritance); of two policies on
the same object the oldest applies (the other is Conflicted). Without any, nginx's defaults
apply: `client_max_body_size 1m` (NGINX Gateway Fabric writes the directive only from a
ClientSettingsPolicy, `internal/controller/nginx/config/policies/clientsettings`), and request
headers with underscores are dropped (`underscores_in_headers off`, `ignore_invalid_headers on`).

The order is nginx's: the body-size check right after the location is chosen (413), then the
rewrite phase (the rule's redirects), the access phase (basic auth: 401 with
`WWW-Authenticate: Basic realm="<realm>"`), then proxying. AuthenticationFilter Basic reads the
`auth` key of its Secret (htpasswd; nginx accepts crypt(3), `$apr1$`, `{PLAIN}`, `{SHA}`,
`{SSHA}`). NginxProxy `rewriteClientIP` (Gateway-level over GatewayClass-level) sets the realip
module: X-Forwarded-For from `trustedAddresses`, optionally recursive.

Unmodelled: SnippetsFilter and SnippetsPolicy (raw nginx configuration), WAFPolicy, JWT and
OIDC AuthenticationFilters (NGINX Plus; a request without a token gets 401, one with a token is
not checked), PROXY protocol and hostname trusted addresses. Rate limits (a first request
passes), upstream and proxy settings, observability: do not change one simulated answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ing2gw.simulate.addresses import Network, go_cidr_or_ip, nginx_real_ip
from ing2gw.simulate.gateway_policies import Context
from ing2gw.simulate.gateway_policies.base import (Effects, EffectsBuilder, LocalReply, RequestState, Scope, Step,
                                                   attaches, by_level, levels_for, mapping, seq)
from ing2gw.simulate.gateway_policies.htpasswd import parse_htpasswd
from ing2gw.simulate.gateway_policies.objects import PolicyObject
from ing2gw.simulate.gateway_policies.steps import BasicAuth, BodyLimit, Note, Reply, Unmodelled
from ing2gw.simulate.nginx_access import parse_size

GROUP = "gateway.nginx.org"
NGINX_DEFAULT_BODY = 1024 * 1024
NGINX_HASHES = frozenset({"sha", "ssha", "plain", "md5crypt", "bcrypt", "crypt"})
NEUTRAL = {
    "RateLimitPolicy": "rate limit: a first request passes (request counts are not modelled)",
    "ProxySettingsPolicy": "buffering and timeouts towards the backend",
    "ObservabilityPolicy": "tracing",
}


class NginxGatewayFabric:
    """The NGINX Gateway Fabric model (see the module docstring)."""

    name = "nginx-gateway-fabric"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = ctx.store

    def reads(self, policy: PolicyObject) -> bool:
        return policy.group == GROUP and policy.kind in ("ClientSettingsPolicy", "RateLimitPolicy",
                                                         "UpstreamSettingsPolicy", "ProxySettingsPolicy",
                                                         "ObservabilityPolicy", "SnippetsPolicy", "WAFPolicy")

    def listener_effects(self, scope: Scope) -> Effects:
        b = EffectsBuilder()
        b.step(DropUnderscores(), "nginx default (underscores_in_headers off)")
        return b.build()

    # ---- the effects of a scope ---------------------------------------------------------------

    def _client_settings(self, scope: Scope, b: EffectsBuilder) -> int:
        """client_max_body_size in bytes (0: unlimited) after the Gateway's and the route's
        ClientSettingsPolicies."""
        limit = NGINX_DEFAULT_BODY
        levels = by_level(self.store.of(GROUP, "ClientSettingsPolicy"),
                          [lv for lv in levels_for(self.store, scope) if lv.name in ("route", "Gateway")])
        for level, policies in reversed(levels):      # Gateway first, the route overrides it
            p = policies[0]
            b.apply(p)
            for other in policies[1:]:
                b.notes.append(f"{other.label()} is Conflicted with {p.label()} (the older one applies)")
            size = mapping(p.spec.get("body")).get("maxSize")
            if size is not None:
                parsed = parse_size(str(size))
                if parsed is None:
                    b.unmodelled.append(f"{p.label()}: body.maxSize {size!r} is not an nginx size")
                else:
                    limit = parsed
            for key in sorted(p.spec):
                if key not in ("targetRef", "body", "keepAlive"):
                    b.unmodelled.append(f"{p.label()}: spec.{key} is not modelled")
            if mapping(p.spec.get("body")).get("timeout") is not None or p.spec.get("keepAlive") is not None:
                b.notes.append(f"{p.label()}: body timeout and keep-alive settings do not change the answer")
        return limit

    def _real_ip(self, scope: Scope, b: EffectsBuilder) -> Step | None:
        params = []
        cls = self.store.classes.get(scope.gateway_class)
        if cls is not None and cls[1] is not None and cls[1][1] == "NginxProxy":
            params.append(self.store.get(GROUP, "NginxProxy", cls[1][2], cls[1][3]))
        ref = self.store.gateway_params.get(scope.gateway)
        if ref is not None and ref[1] == "NginxProxy":
            params.append(self.store.get(GROUP, "NginxProxy", scope.gateway[0], ref[2]))
        rewrite: dict[str, Any] = {}
        source = None
        for p in params:
            if p is None:
                continue
            b.apply(p)
            if p.spec.get("rewriteClientIP") is not None:
                rewrite, source = mapping(p.spec["rewriteClientIP"]), p
        if not rewrite or source is None:
            return None
        if rewrite.get("mode") != "XForwardedFor":
            return Unmodelled(f"{source.label()}: rewriteClientIP mode {rewrite.get('mode')} (the PROXY protocol "
                              "header decides the client address; not modelled)")
        nets: list[Network] = []
        for t in seq(rewrite.get("trustedAddresses")):
            t = mapping(t)
            net = go_cidr_or_ip(str(t.get("value", ""))) if t.get("type") in ("CIDR", "IPAddress") else None
            if net is None:
                return Unmodelled(f"{source.label()}: trusted address {t.get('value')!r} ({t.get('type')}) is not "
                                  "modelled")
            nets.append(net)
        return RealIP(tuple(nets), rewrite.get("setIPRecursively") is True)

    def effects(self, scope: Scope) -> Effects:
        b = EffectsBuilder()
        real_ip = self._real_ip(scope, b)
        if real_ip is not None:
            b.step(real_ip)
        # client_max_body_size is the location's too (servers_template.go), so is its 413 with the
        # location's CORS headers
        limit = BodyLimit(self._client_settings(scope, b), "client_max_body_size")
        limit.behind_cors = True
        b.step(limit)
        for kind in sorted(NEUTRAL):
            for level, ps in by_level(self.store.of(GROUP, kind), levels_for(self.store, scope)):
                for p in ps:
                    b.apply(p)
                    b.step(Note(f"{p.label()}: {NEUTRAL[kind]}"))
        for kind, what in (("SnippetsPolicy", "raw nginx configuration can change anything"),
                           ("WAFPolicy", "the WAF can refuse requests")):
            for level, ps in by_level(self.store.of(GROUP, kind), levels_for(self.store, scope)):
                for p in ps:
                    b.apply(p)
                    b.unmodelled.append(f"{p.label()}: {what} (not modelled)")
        for p in self.store.of(GROUP, "UpstreamSettingsPolicy"):
            if any(attaches(self.store, p, "Service", ns, name, None) for ns, name, _ in scope.backends):
                b.apply(p)
                b.notes.append(f"{p.label()}: load balancing and keep-alive towards the backend do not change the "
                               "answer")
        return b.build()

    # ---- ExtensionRef ---------------------------------------------------------------------------

    def extension(self, group: str, kind: str, name: str, scope: Scope) -> Effects | None:
        if group != GROUP or kind not in ("AuthenticationFilter", "SnippetsFilter"):
            return None
        f = self.store.get(GROUP, kind, scope.route_ns, name)
        b = EffectsBuilder()
        if f is None:
            b.step(Reply(500, "invalid-filter", note=f"{kind} {scope.route_ns}/{name} does not exist: the rule answers "
                                                     "500"))
            return b.build()
        b.apply(f)
        if kind == "SnippetsFilter":
            b.unmodelled.append(f"{f.label()}: nginx snippets can change anything (not modelled)")
            return b.build()
        typ = f.spec.get("type")
        if typ in ("Basic", "JWT"):
            step = self._basic(f) if typ == "Basic" else \
                BearerRequired(f"{f.label()} JWT", str(mapping(f.spec.get("jwt")).get("realm") or ""))
            # NGF writes auth_basic / auth_jwt and the rule's CORS headers (add_header ... always)
            # into the same location (internal/controller/nginx/config/servers_template.go): the
            # 401 of the access phase carries them, as ingress-nginx's does
            step.behind_cors = True
            b.step(step, f)
        else:
            b.step(Unmodelled(f"{f.label()}: {typ} authentication (a request without a session is redirected to the "
                              "provider; not modelled)"), f)
        return b.build()

    def _basic(self, f: PolicyObject) -> Step:
        basic = mapping(f.spec.get("basic"))
        name = str(mapping(basic.get("secretRef")).get("name", ""))
        realm = str(basic.get("realm") or "")
        exists, data = self.ctx.secret(f.namespace, name)
        if not exists:
            return Reply(500, "invalid-filter", note=f"{f.label()}: Secret {f.namespace}/{name} does not exist: the "
                                                     "filter is invalid (500)")
        users = None
        if data is not None:
            text = data.get("auth")
            if text is None:
                return Reply(500, "invalid-filter", note=f"{f.label()}: Secret {f.namespace}/{name} has no `auth` key "
                                                         "(500)")
            users, _ = parse_htpasswd(text)
        return BasicAuth(users, NGINX_HASHES, lambda state: f'Basic realm="{realm}"', f"{f.label()} basic auth",
                         secret=f"{f.namespace}/{name}")


@dataclass(eq=False)
class DropUnderscores(Step):
    """nginx drops request headers whose names have an underscore (underscores_in_headers off)."""

    def run(self, state: RequestState) -> LocalReply | None:
        if any("_" in k for k, _ in state.headers):
            state.headers = [(k, v) for k, v in state.headers if "_" not in k]
            state.changed = True
        return None


@dataclass(eq=False)
class RealIP(Step):
    """nginx's realip module with `real_ip_header X-Forwarded-For`."""

    trusted: tuple[Network, ...]
    recursive: bool

    def run(self, state: RequestState) -> LocalReply | None:
        if state.client is None:
            return None
        values = [v for k, v in state.headers if k == "x-forwarded-for"]
        state.client = nginx_real_ip(state.client, ", ".join(values) if values else None, self.trusted, self.recursive)
        return None


@dataclass(eq=False)
class BearerRequired(Step):
    """nginx auth_jwt: no token gets 401; a token is not checked here."""

    what: str
    realm: str

    def run(self, state: RequestState) -> LocalReply | None:
        auth = state.header("authorization") or ""
        if auth.lower().startswith("bearer "):
            state.unmodelled.append(f"{self.what}: the token's signature and claims are not checked (modelled as valid)")
            return None
        return LocalReply(401, "jwt-401", (("www-authenticate", f'Bearer realm="{self.realm}"'),),
                          note=f"{self.what}: the request carries no token")
