"""Istio 1.30 as a Gateway API implementation: AuthorizationPolicy, RequestAuthentication,
DestinationRule, and what else of Istio's APIs can reach a Gateway's deployment.

An Istio Gateway (gateway.networking.k8s.io) runs as a deployment in the Gateway's namespace
whose pods carry the label `gateway.networking.k8s.io/gateway-name: <name>`. An
AuthorizationPolicy applies to it when it targets the Gateway (`targetRef(s)`), when its
`selector` matches that label, when it has neither and lives in the Gateway's namespace, or when
it has neither and lives in the root namespace (`istio-system` by default; assumed). It applies
to every listener and route of the Gateway: Istio authorization is per workload, not per route.

Evaluation (Istio docs "Authorization Policy", reference/config/security/authorization-policy):
CUSTOM policies first (an external service, for the requests their rules match: not
modelled), then DENY: any matching rule answers
403; then ALLOW: when at least one ALLOW policy applies, a request that matches none of their
rules gets 403 (an ALLOW policy without rules matches nothing). A rule matches when one of its
`from` sources, one of its `to` operations and all its `when` conditions match; a missing part
matches everything. Denials answer 403 `RBAC: access denied`.

Modelled: `ipBlocks`/`notIpBlocks` (the connection's address), `remoteIpBlocks`/
`notRemoteIpBlocks` (the client address after `numTrustedProxies` hops of X-Forwarded-For, set
by the Gateway's `proxy.istio.io/config` annotation; default 0: the connection's address),
`hosts`, `ports` (the listener's port), `methods`, `paths` (exact, `prefix*`, `*suffix`, `*`) and their negations, `when` on
`request.headers[...]`, `source.ip` and `remote.ip`. Unmodelled: principals, namespaces, service
accounts, trust domains (mTLS identities), requestPrincipals and JWT claims, other `when`
keys. CUSTOM policies: a request one of whose rules matches goes to the external authorizer,
which decides (not modelled: the request is unverified). RequestAuthentication refuses an invalid JWT with 401 and lets a request without a
token through: a request with a token is unmodelled. DestinationRules for a backend Service
change load balancing, connection pools and TLS to the backend: balancing is noted; TLS mode
SIMPLE or MUTUAL (port-level first) makes the Gateway reach that port over TLS (Effects.tls,
compared with how the old controller reached it), its certificate check unmodelled unless
insecureSkipVerify. EnvoyFilter and WasmPlugin that reach the Gateway are
unmodelled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from ing2gw.simulate.addresses import Address, Network, envoy_trusted_client, go_cidr_or_ip, in_networks
from ing2gw.simulate.gateway_policies import Context
from ing2gw.simulate.gateway_policies.base import (Effects, EffectsBuilder, LocalReply, RequestState, Scope, Step,
                                                   mapping, seq)
from ing2gw.simulate.gateway_policies.objects import PolicyObject
from ing2gw.simulate.gateway_policies.steps import TlsHandshake, envoy_ext_authz
from ing2gw.simulate.oracle import auth_service_answer

SECURITY = "security.istio.io"
NETWORKING = "networking.istio.io"
EXTENSIONS = "extensions.istio.io"
GATEWAY_LABEL = "gateway.networking.k8s.io/gateway-name"
ROOT_NAMESPACE = "istio-system"
_NUM_TRUSTED = re.compile(r"numTrustedProxies\"?\s*:\s*(\d+)")


class Istio:
    """The Istio model (see the module docstring)."""

    name = "istio"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = ctx.store

    def reads(self, policy: PolicyObject) -> bool:
        return (policy.group, policy.kind) in ((SECURITY, "AuthorizationPolicy"), (SECURITY, "RequestAuthentication"),
                                               (NETWORKING, "EnvoyFilter"), (EXTENSIONS, "WasmPlugin"))

    def _selects(self, p: PolicyObject, scope: Scope) -> bool:
        """Does a workload policy apply to the Gateway's deployment?"""
        gns, gname = scope.gateway
        if p.target_refs:
            return p.namespace == gns and any(r.kind == "Gateway" and r.name == gname for r in p.target_refs)
        sel = mapping(p.spec.get("selector") or p.spec.get("workloadSelector"))
        labels = {str(k): str(v) for k, v in mapping(sel.get("matchLabels") or sel.get("labels")).items()}
        if labels:
            return p.namespace == gns and labels == {GATEWAY_LABEL: gname}
        return p.namespace in (gns, ROOT_NAMESPACE)

    def _selected(self, group: str, kind: str, scope: Scope) -> list[PolicyObject]:
        return [p for p in self.store.of(group, kind) if self._selects(p, scope)]

    def listener_effects(self, scope: Scope) -> Effects:
        # Istio's gateways accept TLS 1.2 to 1.3 unless meshConfig.tlsDefaults raises the minimum
        # (not modelled), its default suites are not modelled
        return Effects((TlsHandshake("Istio's TLS defaults (TLS 1.2 to 1.3)", ("1.2", "1.3"), None),))

    def _trusted_proxies(self, scope: Scope) -> int:
        anns = self.store.annotations.get(("Gateway", *scope.gateway), {})
        m = _NUM_TRUSTED.search(anns.get("proxy.istio.io/config", ""))
        return int(m.group(1)) if m else 0

    def effects(self, scope: Scope) -> Effects:
        b = EffectsBuilder()
        for group, kind in ((NETWORKING, "EnvoyFilter"), (EXTENSIONS, "WasmPlugin")):
            for p in self._selected(group, kind, scope):
                b.apply(p)
                b.unmodelled.append(f"{p.label()} changes the Gateway's Envoy configuration (not modelled)")
        for p in self._selected(SECURITY, "RequestAuthentication", scope):
            b.apply(p)
            b.step(TokenPresent(f"{p.label()}"), p)
        policies = self._selected(SECURITY, "AuthorizationPolicy", scope)
        custom = [p for p in policies if p.spec.get("action") == "CUSTOM"]
        deny = [p for p in policies if p.spec.get("action") == "DENY"]
        allow = [p for p in policies if p.spec.get("action", "ALLOW") == "ALLOW"]
        for p in policies:
            b.apply(p)
            if p.namespace == ROOT_NAMESPACE and not p.target_refs and not mapping(p.spec.get("selector")):
                b.notes.append(f"{p.label()} applies mesh-wide (root namespace {ROOT_NAMESPACE} assumed)")
        if custom or deny or allow:
            b.step(Authorize(tuple(_rules(p) for p in deny), tuple(_rules(p) for p in allow),
                             self._trusted_proxies(scope),
                             tuple((_rules(p), str(mapping(p.spec.get("provider")).get("name") or "")) for p in custom)))
        for ns, name, port in scope.backends:
            for d in self.store.of(NETWORKING, "DestinationRule"):
                host = str(d.spec.get("host", ""))
                if host in (name, f"{name}.{ns}", f"{name}.{ns}.svc", f"{name}.{ns}.svc.cluster.local") and \
                        (d.namespace == ns or "." in host):
                    b.apply(d)
                    tp = mapping(d.spec.get("trafficPolicy"))
                    self._tls(d, tp, ns, name, port, b)
                    b.notes.append(f"{d.label()}: load balancing, connection pool and outlier settings do not change "
                                   "the answer")
                    if d.spec.get("subsets") is not None:
                        b.notes.append(f"{d.label()}: subsets are not used by Gateway API routes")
        return b.build()

    def extension(self, group: str, kind: str, name: str, scope: Scope) -> Effects | None:
        return None

    @staticmethod
    def _tls(d: PolicyObject, tp: Mapping[str, Any], ns: str, name: str, port: int | str | None,
             b: EffectsBuilder) -> None:
        """TLS origination towards the backend port: the port's portLevelSettings tls, else the
        rule's trafficPolicy tls (Istio overrides field by field per port). SIMPLE or MUTUAL
        reaches the backend over TLS (Effects.tls); without insecureSkipVerify the certificate
        check can fail (a 5xx), which is not modelled. ISTIO_MUTUAL is the mesh's own mTLS."""
        tls = tp.get("tls")
        for pls in seq(tp.get("portLevelSettings")):
            pl = mapping(pls)
            if mapping(pl.get("port")).get("number") == port and pl.get("tls") is not None:
                tls = pl.get("tls")
        if tls is None:
            return
        t = mapping(tls)
        mode = str(t.get("mode", "DISABLE"))
        if mode in ("SIMPLE", "MUTUAL") and isinstance(port, int):
            b.tls.append((ns, name, port))
            if t.get("insecureSkipVerify") is not True:
                b.unmodelled.append(f"{d.label()}: TLS to the backend verifies its certificate (a failed check is a "
                                    "5xx; not modelled)")
            if mode == "MUTUAL":
                b.notes.append(f"{d.label()}: a client certificate is presented to the backend")
        elif mode != "DISABLE":
            b.unmodelled.append(f"{d.label()}: TLS mode {mode} towards the backend is not modelled")


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rules:
    label: str
    rules: tuple[dict[str, Any], ...]


def _rules(p: PolicyObject) -> _Rules:
    return _Rules(p.label(), tuple(mapping(r) for r in seq(p.spec.get("rules"))))


def _nets(values: Any) -> tuple[Network, ...]:
    out = []
    for v in seq(values):
        n = go_cidr_or_ip(str(v))
        if n is not None:
            out.append(n)
    return tuple(out)


def _string_match(pattern: str, value: str, fold: bool = False) -> bool:
    """Istio's string match: exact, `prefix*`, `*suffix` or `*`."""
    if fold:
        pattern, value = pattern.lower(), value.lower()
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    return value == pattern


class _Unknown(Exception):
    """The match depends on something not modelled."""


@dataclass
class _Request:
    state: RequestState
    peer: Address | None
    remote: Address | None

    def ip(self, which: str) -> Address:
        addr = self.peer if which == "source" else self.remote
        if addr is None:
            raise _Unknown(f"{self.state.client_unknown}")
        return addr


_SOURCE_UNKNOWN = ("principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals", "namespaces",
                   "notNamespaces", "serviceAccounts", "notServiceAccounts", "trustDomains", "notTrustDomains")


def _source(src: dict[str, Any], r: _Request) -> bool:
    for key in _SOURCE_UNKNOWN:
        if src.get(key) is not None:
            raise _Unknown(f"source.{key}")
    for key, which, negate in (("ipBlocks", "source", False), ("notIpBlocks", "source", True),
                               ("remoteIpBlocks", "remote", False), ("notRemoteIpBlocks", "remote", True)):
        if src.get(key) is not None:
            if in_networks(r.ip(which), _nets(src[key])) == negate:
                return False
    return True


def _operation(op: dict[str, Any], r: _Request) -> bool:
    req = r.state.request
    host = (req.host or "").rsplit(":", 1)[0] if not (req.host or "").startswith("[") else req.host or ""
    # ports: the destination port of the connection, which for an Istio Gateway API deployment
    # is the listener's port (the gateway's Envoy listens on the Gateway's ports as declared)
    port = str(req.port)
    if op.get("ports") is not None and port not in [str(p) for p in seq(op["ports"])]:
        return False
    if op.get("notPorts") is not None and port in [str(p) for p in seq(op["notPorts"])]:
        return False
    checks = (("hosts", host, True), ("methods", req.method, False), ("paths", req.path, False))
    for key, value, fold in checks:
        if op.get(key) is not None and not any(_string_match(str(p), value, fold) for p in seq(op[key])):
            return False
        neg = "not" + key[0].upper() + key[1:]
        if op.get(neg) is not None and any(_string_match(str(p), value, fold) for p in seq(op[neg])):
            return False
    return True


def _when(cond: dict[str, Any], r: _Request) -> bool:
    key = str(cond.get("key", ""))
    values = [str(v) for v in seq(cond.get("values"))]
    not_values = [str(v) for v in seq(cond.get("notValues"))]
    m = re.fullmatch(r"request\.headers\[(.+)\]", key)
    if m:
        actual: str | None = r.state.header(m.group(1))
        if actual is None:
            return not values and bool(not_values)
        ok = (not values or any(_string_match(v, actual) for v in values))
        return ok and not any(_string_match(v, actual) for v in not_values)
    if key in ("source.ip", "remote.ip"):
        addr = r.ip("source" if key == "source.ip" else "remote")
        ok = not values or in_networks(addr, _nets(values))
        return ok and not (not_values and in_networks(addr, _nets(not_values)))
    raise _Unknown(f"when {key}")


def _rule_matches(rule: dict[str, Any], r: _Request) -> bool:
    froms = [mapping(mapping(f).get("source")) for f in seq(rule.get("from"))]
    tos = [mapping(mapping(t).get("operation")) for t in seq(rule.get("to"))]
    # the operations first: a rule none of whose operations matches does not match, whatever the
    # client address (which may be unknown)
    if tos and not any(_operation(o, r) for o in tos):
        return False
    if froms and not any(_source(s, r) for s in froms):
        return False
    return all(_when(mapping(c), r) for c in seq(rule.get("when")))


@dataclass(eq=False)
class Authorize(Step):
    """DENY policies, then ALLOW policies (see the module docstring)."""

    deny: tuple[_Rules, ...]
    allow: tuple[_Rules, ...]
    trusted_proxies: int
    #: CUSTOM policies and the extension provider each names
    custom: tuple[tuple[_Rules, str], ...] = ()

    def run(self, state: RequestState) -> LocalReply | None:
        peer = state.client
        remote = peer
        if peer is not None and self.trusted_proxies:
            remote = envoy_trusted_client(peer, [v for k, v in state.headers if k == "x-forwarded-for"],
                                          self.trusted_proxies)
        r = _Request(state, peer, remote)
        # CUSTOM first: a request one of whose rules matches is sent to the external authorizer,
        # whose answer decides (a policy without rules matches nothing, as ALLOW's)
        for policy, provider in self.custom:
            for i, rule in enumerate(policy.rules):
                try:
                    matched = _rule_matches(rule, r)
                except _Unknown as exc:
                    matched, why = True, f" (rule {i} depends on {exc})"
                else:
                    why = ""
                if matched:
                    answer = auth_service_answer(state.header("authorization"))
                    if answer is not None:
                        # the check's oracle probe: the provider is Envoy's HTTP ext_authz
                        # (envoyExtAuthzHttp), which passes a refusal below 500 to the client
                        status = envoy_ext_authz(answer)
                        if status:
                            return LocalReply(status, "external-auth-denied",
                                              note=f"{policy.label}: CUSTOM action: the external authorizer "
                                                   f"{provider} answers {answer}")
                        break
                    state.unmodelled.append(f"{policy.label}: CUSTOM action: the external authorizer {provider}"
                                            f"{why} decides whether the request passes (not modelled; modelled as "
                                            "allowed)")
                    break
        for policy in self.deny:
            for i, rule in enumerate(policy.rules):
                try:
                    if _rule_matches(rule, r):
                        return self._deny(f"{policy.label} DENY rule {i} matches")
                except _Unknown as exc:
                    state.unmodelled.append(f"{policy.label} DENY rule {i} depends on {exc} (not modelled; modelled as "
                                            "not matching)")
        if not self.allow:
            return None
        unknown = []
        for policy in self.allow:
            for i, rule in enumerate(policy.rules):
                try:
                    if _rule_matches(rule, r):
                        return None
                except _Unknown as exc:
                    unknown.append(f"{policy.label} ALLOW rule {i} depends on {exc}")
        if unknown:
            state.unmodelled.append("; ".join(unknown) + " (not modelled; modelled as allowed)")
            return None
        return self._deny("no ALLOW rule matches")

    @staticmethod
    def _deny(why: str) -> LocalReply:
        return LocalReply(403, "authorization-403", body="RBAC: access denied", note=why)


@dataclass(eq=False)
class TokenPresent(Step):
    """RequestAuthentication: a request without a token passes; one with a token is checked
    (an invalid token gets 401): not modelled."""

    what: str

    def run(self, state: RequestState) -> LocalReply | None:
        auth = state.header("authorization") or ""
        if auth.lower().startswith("bearer ") or any(k == "access_token" for k, _ in state.request.query_params()):
            state.unmodelled.append(f"{self.what}: the request carries a token; an invalid one gets 401 (not "
                                    "modelled; modelled as valid)")
        return None


__all__ = ["Istio"]
