"""The Gateway API router: where does a request go, given Gateways, ListenerSets and routes?

An independent model of the Gateway API specification (v1.6.1, `reference/gateway-api.md` §3),
not of one implementation. Built once from the manifests (`GatewayRouter(manifests, context)`),
then `route(request)` answers many requests.

How a request is decided:

1. Gateway: the one named by `gateway=` (constructor or call), else the Gateway listening on the
   request's connection port (several: the first by namespace/name, with a note).
2. Listener, on that port: `http` requests go to HTTP listeners chosen by the Host header;
   `https` requests to HTTPS/TLS listeners chosen by SNI (most specific hostname: exact, then
   the longest wildcard suffix, then no hostname). A TLS listener passes the stream to a
   TLSRoute chosen by SNI. An HTTPS listener terminates TLS, then the Host header chooses a
   listener again: a different listener than the SNI's gives 421 (Misdirected Request,
   GatewayHTTPSListenerDetectMisdirectedRequests; modelled for every HTTP version), no listener
   gives 404. Listeners are isolated: a request never falls through to another listener.
3. Rule, among the routes attached to that listener (see `gateway_match`): hostname
   specificity, Exact path, longest PathPrefix (by path element), method, header count, query
   count, oldest route (`metadata.creationTimestamp`; routes without one count as newest),
   `{namespace}/{name}`, rule order. No match: 404. GRPCRoutes take part for gRPC requests
   (POST with `content-type: application/grpc...`; service and method from the path
   `/pkg.Service/Method`) and never merge with HTTPRoutes.
4. Filters: CORS preflight (answered by the gateway), RequestRedirect (the gateway answers
   3xx), URLRewrite, Request/ResponseHeaderModifier (rule-level, then the chosen backendRef's),
   RequestMirror; then the weighted backendRefs (see `gateway_backends`).
5. Implementation policies (`gateway_policies`): the Gateway's implementation (its GatewayClass
   controllerName) decides what its own objects do. Before a route is chosen, the listener's
   steps run (health checks, headers the implementation refuses or drops, a load balancer's
   source ranges); once the rule is chosen, the steps of the policies attached to the Gateway,
   listener, route, rule or backend Services, and of the rule's ExtensionRef filters, run in the
   implementation's own order: client-IP detection, CORS, authentication (401),
   authorization (403), body size (413), fault aborts, before the rule's redirect; direct
   responses and rewrites on the way to the backend. The request's `client_ip` is what
   allow-lists decide on; unknown, the answer says so in `unmodelled`.

`decide()` returns the `Answer` with what the shared contract has no field for (mirror
fractions, response header modifiers, timeouts, retry policy, the upstream view of any share);
`status()` returns the route conditions (Accepted, ResolvedRefs) and listener attachment counts
a controller would write. Reading and validating the input is `gateway_read`; listeners and
attachment `gateway_attach`; precedence tables `gateway_match`; filters `gateway_filters`;
backendRefs `gateway_backends`.

Modelling decisions:

* RegularExpression matches (paths, headers, query parameters, gRPC service/method) use an
  RE2-like dialect: Python `re.fullmatch`, case-sensitive, against the raw value. Patterns
  using features RE2 lacks (look-around, back-references) are reported in `unmodelled`.
  RegularExpression paths rank after PathPrefix; when one competes with another matching
  rule, the answer says so in `unmodelled` (their precedence is implementation-specific).
* The hostname a route serves on a listener is the intersection of both; it decides hostname
  specificity. When the most specific hostname has routes but none matches, precedence goes on
  with less specific hostnames, as the spec orders it, with a note (implementations that choose
  a virtual host first answer 404 there).
* Two routes that tie on everything up to age, neither with a creationTimestamp, are ordered
  by namespace/name and the answer says, in `unmodelled`, that the route created first wins.
* Paths are matched as sent (no percent-decoding, no dot-segment or slash merging); a path that
  an implementation might normalise is reported in `unmodelled`.
* `upstream_host` is the Host header as the client sent it, port included (the spec: forward it
  unmodified), or the URLRewrite hostname. `upstream_path` is the request target the backend
  receives, query kept. Header names in answers are lower-case.
* `status` 0 means no HTTP response at all: nothing listens on the port (`connection-refused`),
  the TLS handshake cannot complete (`tls-no-listener`, `tls-handshake-failed`), or a TLS
  passthrough stream has no TLSRoute (`tls-no-route`).
* Timeouts, retries and session persistence are reported in `unmodelled`: they change answers
  only through backend behaviour (latency, failures) that a static model does not know. So are
  BackendTLSPolicy, the Gateway's frontend/backend TLS settings, ExternalAuth filters (the
  external service decides), ExtensionRef filters the Gateway's implementation model does not
  resolve, TCPRoute/UDPRoute and implementation-specific listener protocols.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

from ing2gw.errors import InputError, Problem, UsageError
from ing2gw.load import Manifest
from ing2gw.simulate.gateway_attach import (Condition, GatewayRuntime, Listener, Namespaces, RouteParentStatus,
                                            attach_route, build_gateways, settle_listener_sets)
from ing2gw.simulate.gateway_backends import BackendResolver, RuleAction, ShareInfo
from ing2gw.simulate.gateway_frontend import frontend_mode, without_certificate
from ing2gw.simulate.gateway_filters import (apply_header_ops, cors_response_headers, modify_path,
                                             redirect_location)
from ing2gw.simulate.gateway_match import (GrpcCandidate, GrpcTable, HostIndex, HttpCandidate, HttpTable,
                                           RequestView, TlsTable, is_ip, request_hostname)
from ing2gw.simulate.gateway_objects import CorsSpec, HeaderOps, RedirectSpec, RouteSpec, RuleSpec
from ing2gw.simulate.gateway_policies import PolicyIndex
from ing2gw.simulate.gateway_policies.base import RULE_NOT_MET, Effects, LocalReply, RequestState, Scope
from ing2gw.simulate.gateway_read import read_inventory
from ing2gw.simulate.request import Answer, BackendRef, ClusterContext, Redirect, Request, Share

GatewaySelector = tuple[str, str] | str | None
#: entries a memo of per-request values keeps before it starts over (bounds memory)
_MEMO_LIMIT = 1 << 14
_NO_NAMES: frozenset[str] = frozenset()
# a percent-escape of an unreserved character or of '/' or '\': an implementation may decode it
_NORMALISABLE = re.compile(r"%(?:[46][1-9A-Fa-f]|[57][0-9Aa]|3[0-9]|2[dDeEfF]|5[fFcC]|7[eE])"
                           r"|//|/\.\.?(?:/|$)")


class _RuleNotMet(Exception):
    """The chosen rule's implementation-specific conditions do not hold for the request
    (gateway_policies.base.RULE_NOT_MET): the router tries the next rule."""


@dataclass
class PortIndex:
    """The accepted listeners of one Gateway on one port, by how a request selects them."""

    http: HostIndex[Listener] = field(default_factory=HostIndex)
    secure: HostIndex[Listener] = field(default_factory=HostIndex)    # HTTPS and TLS, by SNI
    https: HostIndex[Listener] = field(default_factory=HostIndex)     # HTTPS, by Host header
    others: list[Listener] = field(default_factory=list)              # TCP, UDP


@dataclass(frozen=True, slots=True)
class _Plan:
    """Everything about a rule's answer that does not depend on the request, built once."""

    route: RouteSpec
    rule: RuleSpec
    action: RuleAction
    label_route: tuple[str, str]
    label_rule: tuple[str, str]
    cors: CorsSpec | None
    redirect: RedirectSpec | None
    resp_ops: tuple[HeaderOps, ...]
    best: ShareInfo | None
    shares: tuple[Share, ...]
    mirrored: tuple[BackendRef, ...]
    unmodelled: tuple[str, ...]
    notes: tuple[str, ...]
    status: int
    generated_by: str | None
    #: no rule-level filter changes the upstream request (Host, path, headers)
    plain_upstream: bool
    #: the response headers `resp_ops` add when the backend's own headers are not given, and
    #: the notes for the headers they remove
    resp_static: tuple[tuple[str, str], ...]
    resp_notes: tuple[str, ...]
    #: the rule's ExtensionRef filters (group, kind, name), resolved per implementation
    ext_filters: tuple[tuple[str, str, str], ...] = ()

    @classmethod
    def build(cls, route: RouteSpec, rule: RuleSpec, action: RuleAction) -> "_Plan":
        unmodelled = list(rule.unmodelled) + list(action.unmodelled)
        notes = list(action.notes)
        resp_ops = tuple(f.header_ops for f in rule.filters
                         if f.type == "ResponseHeaderModifier" and f.header_ops is not None)
        redirect = next((f.redirect for f in rule.filters if f.redirect is not None), None)
        if redirect is not None and resp_ops:
            unmodelled.append("ResponseHeaderModifier on a redirecting rule: whether it applies to the "
                              "redirect is implementation-specific (not applied)")
        best = max(action.shares, key=lambda s: s.fraction) if action.shares else None
        for sh in action.shares:
            unmodelled.extend(sh.unmodelled)
            notes.extend(sh.notes)
            if sh.status is not None and sh.fraction > 0:
                notes.append(f"{sh.fraction:.0%} of requests get {sh.status}: {sh.message}")
        for b, frac in action.mirrors:
            if frac < 1:
                notes.append(f"{frac:.0%} of requests are mirrored to {b}")
        status, generated_by = 200, None
        if action.error is not None:
            status, generated_by, why = action.error
            notes.append(why)
        elif best is not None and best.status is not None:
            status = best.status
            generated_by = "invalid-backend" if best.status == 500 else "no-endpoints"
        plain_upstream = not any((f.type == "RequestHeaderModifier" and f.header_ops is not None)
                                 or (f.type == "URLRewrite" and f.rewrite is not None) for f in rule.filters)
        resp_static, resp_notes = _static_response_headers(resp_ops)
        return cls(route, rule, action, ("route", route.label()), ("rule", rule.label()),
                   next((f.cors for f in rule.filters if f.cors is not None), None), redirect, resp_ops, best,
                   tuple(Share(sh.backend, sh.fraction, sh.status) for sh in action.shares),
                   tuple(b for b, frac in action.mirrors if frac > 0), tuple(unmodelled), tuple(notes),
                   status, generated_by, plain_upstream, resp_static, resp_notes,
                   tuple(f.ext for f in rule.filters if f.ext is not None))


def _static_response_headers(ops: Sequence[HeaderOps]) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """Response headers that header modifiers set or add, and notes for those they remove,
    when the backend's own response headers are unknown."""
    out: list[tuple[str, str]] = []
    notes: list[str] = []
    for o in ops:
        out.extend((n.lower(), v) for n, v in o.set)
        out.extend((n.lower(), v) for n, v in o.add)
        notes.extend(f"the response header {n.lower()} is removed" for n in o.remove)
    return tuple(out), tuple(notes)


@dataclass(slots=True)
class Decision:
    """An `Answer` plus what the Gateway API router knows beyond the shared contract.

    `mirrors`: (backend, fraction of requests mirrored). `response_ops`: response header
    modifiers applied (rule-level, then backendRef-level). `timeouts`: the rule's timeouts.
    `listener`, `route`, `rule`: the deciding objects (None when the gateway answered earlier).
    """

    answer: Answer
    mirrors: tuple[tuple[BackendRef, float], ...] = ()
    response_ops: tuple[HeaderOps, ...] = ()
    timeouts: tuple[tuple[str, str], ...] = ()
    retry: tuple[int, tuple[int, ...]] | None = None
    listener: Listener | None = None
    route: RouteSpec | None = None
    rule: RuleSpec | None = None


@dataclass(frozen=True)
class ListenerStatus:
    gateway_namespace: str
    gateway_name: str
    listener: str                       # listener name (a ListenerSet's listeners are prefixed)
    owner: str                          # "Gateway ns/name" or "ListenerSet ns/name"
    attached_routes: int
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class StatusReport:
    """What a controller would write into route and Gateway status, as far as routing goes."""

    routes: tuple[RouteParentStatus, ...]
    listeners: tuple[ListenerStatus, ...]
    listener_sets: tuple[tuple[str, str, tuple[Condition, ...]], ...]

    def route_parent(self, kind: str, namespace: str, name: str, parent_namespace: str,
                     parent_name: str) -> list[RouteParentStatus]:
        """The status entries of one route for one parent (several when sectionNames differ)."""
        return [r for r in self.routes if (r.route_kind, r.route_namespace, r.route_name) == (kind, namespace, name)
                and (r.parent_namespace, r.parent_name) == (parent_namespace, parent_name)]

    def attached_routes(self, gateway_namespace: str, gateway_name: str) -> dict[str, int]:
        """listener name -> attached route count, for one Gateway's own listeners."""
        return {li.listener: li.attached_routes for li in self.listeners
                if (li.gateway_namespace, li.gateway_name) == (gateway_namespace, gateway_name)
                and li.owner.startswith("Gateway ")}


class GatewayRouter:
    """Index Gateway API objects once; answer `route(request)` many times.

    `gateway`: default Gateway ("namespace/name" or a tuple) for requests that do not name one.
    Raises InputError for objects the API server would refuse, or when there is no Gateway.
    """

    def __init__(self, manifests: Sequence[Manifest], context: ClusterContext | None = None,
                 gateway: GatewaySelector = None) -> None:
        inv, problems = read_inventory(manifests)
        self.context = context or ClusterContext()
        # implementation policies and ExtensionRef filters (gateway_policies)
        self._policy_index = PolicyIndex(manifests, inv, self.context)
        problems = problems + self._policy_index.problems
        if problems:
            raise InputError(problems)
        if not inv.gateways:
            first = next(iter(manifests), None)
            where = first.origin.file if first is not None else "<input>"
            raise InputError([Problem(where, 0, "no Gateway in the input: the Gateway API side needs the "
                                                "Gateway objects too (pass the platform manifests with -f)")])
        self.inventory = inv
        self._effects_cache: dict[tuple[int, str, str, str, int], Effects] = {}
        self._listener_effects: dict[int, Effects] = {}
        namespaces = Namespaces(inv.namespaces)
        runtimes, ls_status = build_gateways(inv, namespaces)
        self._gateways: dict[tuple[str, str], GatewayRuntime] = {rt.key: rt for rt in runtimes}
        self._ls_status = ls_status
        self._default: tuple[str, str] | None = None
        # per-request work that many requests share: Host header -> hostname, SNI -> SNI
        # hostname (None: no usable SNI), selector -> Gateway key
        self._names: dict[str | None, str] = {}
        self._sni_hosts: dict[str | None, str | None] = {}
        self._selectors: dict[tuple[str, str] | str, tuple[str, str]] = {}
        if gateway is not None:
            self.select_gateway(gateway)
        ls_listeners: dict[tuple[str, str], tuple[GatewayRuntime, list[Listener]]] = {}
        for rt in runtimes:
            for li in rt.listeners:
                if li.spec.owner_kind == "ListenerSet":
                    ls_listeners.setdefault((li.spec.owner_ns, li.spec.owner_name), (rt, []))[1].append(li)
        impls = {self._policy_index.implementation(g.class_name)[0] for g in inv.gateways}
        store = self._policy_index.store

        def lookup(group: str, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
            obj = store.get(group, kind, namespace, name)
            return dict(obj.spec) if obj is not None else None

        resolver = BackendResolver(inv, self.context, next(iter(impls)) if len(impls) == 1 else None, lookup)
        self._plans: dict[tuple[str, str, str, int], _Plan] = {}
        statuses: list[RouteParentStatus] = []
        for route in sorted(inv.routes, key=lambda r: (r.kind, r.namespace, r.name)):
            resolved = Condition("ResolvedRefs", "True", "ResolvedRefs")
            for rule in route.rules:
                answers_itself = any(f.redirect is not None for f in rule.filters)
                action = resolver.rule_action(route.kind, route.namespace, rule, answers_itself)
                self._plans[(route.kind, route.namespace, route.name, rule.index)] = _Plan.build(route, rule, action)
                if resolved.status == "True" and action.resolved.status == "False":
                    resolved = action.resolved
            placed: set[tuple[int, str | None]] = set()
            for pref in route.parent_refs:
                attachments, accepted = attach_route(route, pref, self._gateways, ls_listeners, namespaces)
                statuses.append(RouteParentStatus(route.kind, route.namespace, route.name, pref.kind, pref.namespace,
                                                  pref.name, pref.section_name, pref.port, (accepted, resolved)))
                for a in attachments:
                    a.listener.attached[f"{route.kind} {route.key}"] = route
                    for host in a.hostnames:
                        # two parentRefs may reach the same listener: index the route once
                        if (id(a.listener), host) in placed:
                            continue
                        placed.add((id(a.listener), host))
                        self._index(route, a.listener, host)
        self._statuses = tuple(statuses)
        self._ports: dict[tuple[str, str], dict[int, PortIndex]] = {}
        self._cert_names: dict[int, list[tuple[str, ...]]] = {}
        for rt in runtimes:
            ports: dict[int, PortIndex] = {}
            for li in rt.listeners:
                for table in list(li.http.values()) + list(li.grpc.values()) + list(li.tls.values()):
                    table.freeze()
                if not li.accepted:
                    if any(c.reason == "UnsupportedProtocol" for c in li.conditions):
                        # something listens there, but what it does is implementation-specific
                        ports.setdefault(li.port, PortIndex()).others.append(li)
                    continue
                self._check_certificates(li, resolver)
                pi = ports.setdefault(li.port, PortIndex())
                if li.protocol == "HTTP":
                    pi.http.set(li.hostname, li)
                elif li.protocol in ("HTTPS", "TLS"):
                    pi.secure.set(li.hostname, li)
                    if li.protocol == "HTTPS":
                        pi.https.set(li.hostname, li)
                else:
                    pi.others.append(li)
            self._ports[rt.key] = ports
        settle_listener_sets(runtimes, self._ls_status)
        for kind, ns, name in inv.other_routes:
            for rt in runtimes:
                for li in rt.listeners:
                    if kind in li.kinds:
                        li.caveats.append(f"{kind} {ns}/{name} may use this listener; {kind} is not modelled")

    # ---- building ---------------------------------------------------------------------------

    def _index(self, route: RouteSpec, li: Listener, host: str | None) -> None:
        if route.kind == "HTTPRoute":
            table = li.http.get_or_add(host, HttpTable)
            for rule in route.rules:
                plan = self._plans[(route.kind, route.namespace, route.name, rule.index)]
                for i, m in enumerate(rule.http_matches):
                    table.add(HttpCandidate(route, rule, i, m, plan))
        elif route.kind == "GRPCRoute":
            gtable = li.grpc.get_or_add(host, GrpcTable)
            for rule in route.rules:
                plan = self._plans[(route.kind, route.namespace, route.name, rule.index)]
                for i, gm in enumerate(rule.grpc_matches):
                    gtable.add(GrpcCandidate(route, rule, i, gm, plan))
        elif route.kind == "TLSRoute":
            li.tls.get_or_add(host, TlsTable).add(route)

    def _check_certificates(self, li: Listener, resolver: BackendResolver) -> None:
        """Decide whether a terminating listener can complete a TLS handshake."""
        if li.protocol not in ("HTTPS", "TLS") or (li.protocol == "TLS" and li.spec.tls_mode != "Terminate"):
            return
        if not li.spec.cert_refs:
            li.tls_failure = "the listener has no certificateRefs"
            li.caveats.append(f"listener {li.label}: no certificateRefs (tls.options or an implementation "
                              "default certificate may apply; modelled as no certificate)")
            return
        usable: list[tuple[str, ...]] = []
        problems: list[str] = []
        refused = False
        for group, kind, ns, name in li.spec.cert_refs:
            if (group, kind) != ("", "Secret"):
                problems.append(f"certificateRef {group}/{kind} {name} is not a Secret")
                continue
            # a ListenerSet reads Secrets of its own namespace, and others through grants to
            # ListenerSets; a Gateway's grants do not reach its ListenerSets (GEP-1713
            # "ReferenceGrant Semantics")
            owner_kind, owner_ns = li.spec.owner_kind, li.spec.owner_ns
            if ns != owner_ns and not resolver.granted(owner_kind, owner_ns, "", "Secret", ns, name):
                problems.append(f"Secret {ns}/{name} is in another namespace and no ReferenceGrant allows it")
                refused = True
                continue
            if (ns, name) in self.inventory.secrets:
                if self.inventory.secrets[(ns, name)]:
                    usable.append(())
                else:
                    problems.append(f"Secret {ns}/{name} has no tls.crt/tls.key")
                continue
            fact = self.context.secret(ns, name)
            if fact is None:
                problems.append(f"Secret {ns}/{name} does not exist")
            elif fact.invalid:
                problems.append(f"Secret {ns}/{name} is not a valid certificate")
            else:
                usable.append(fact.dns_names)
        if not usable:
            li.tls_failure = "; ".join(problems)
            li.conditions.append(Condition("ResolvedRefs", "False", "RefNotPermitted" if refused
                                           else "InvalidCertificateRef", li.tls_failure))
        li.tls_notes = problems
        # DNS names of the usable certificates that declare them (under "assume", none do)
        self._cert_names[id(li)] = [u for u in usable if u]

    def _effects(self, li: Listener, plan: _Plan) -> Effects:
        """What implementation policies do at this listener and rule (built once, remembered)."""
        route, rule = plan.route, plan.rule
        key = (id(li), route.kind, route.namespace, route.name, rule.index)
        eff = self._effects_cache.get(key)
        if eff is None:
            gw = li.gateway
            backends = tuple((sh.backend.namespace, sh.backend.name, sh.backend.port)
                             for sh in plan.action.shares if sh.backend is not None)
            scope = Scope((gw.namespace, gw.name), gw.class_name, li.spec.name,
                          (li.spec.owner_kind, li.spec.owner_ns, li.spec.owner_name),
                          (route.kind, route.namespace, route.name), rule.index, rule.name, backends,
                          plan.ext_filters, tuple(f.type for f in rule.filters))
            eff = self._effects_cache[key] = self._policy_index.effects(scope)
        return eff

    def _effects_on_listener(self, li: Listener) -> Effects:
        """What the implementation does on a listener before a route is chosen (remembered)."""
        eff = self._listener_effects.get(id(li))
        if eff is None:
            gw = li.gateway
            scope = Scope((gw.namespace, gw.name), gw.class_name, li.spec.name,
                          (li.spec.owner_kind, li.spec.owner_ns, li.spec.owner_name), ("", "", ""), -1, None)
            eff = self._listener_effects[id(li)] = self._policy_index.listener_effects(scope)
        return eff

    def select_gateway(self, gateway: GatewaySelector) -> None:
        """Send requests that name no Gateway to this one ("namespace/name"; None: by port)."""
        if gateway is None:
            self._default = None
            return
        key = self._parse_selector(gateway)
        if key not in self._gateways:
            known = ", ".join(f"{ns}/{n}" for ns, n in sorted(self._gateways))
            raise UsageError(f"no Gateway {key[0]}/{key[1]} in the input; known: {known}")
        self._default = key

    @staticmethod
    def _parse_selector(selector: GatewaySelector) -> tuple[str, str]:
        if isinstance(selector, tuple):
            return selector
        assert selector is not None
        ns, sep, name = selector.partition("/")
        if not sep or not ns or not name:
            raise UsageError(f"a gateway is named 'namespace/name', not {selector!r}")
        return ns, name

    # ---- status -----------------------------------------------------------------------------

    def status(self) -> StatusReport:
        """Route parent conditions (Accepted, ResolvedRefs) and listener attachment counts."""
        listeners = []
        for rt in self._gateways.values():
            for li in rt.listeners:
                owner = (f"Gateway {rt.label}" if li.spec.owner_kind == "Gateway"
                         else f"ListenerSet {li.spec.owner_ns}/{li.spec.owner_name}")
                conds = list(li.conditions)
                if li.accepted and not any(c.type == "Accepted" for c in conds):
                    conds.insert(0, Condition("Accepted", "True", "Accepted"))
                listeners.append(ListenerStatus(rt.spec.namespace, rt.spec.name, li.spec.name, owner,
                                                len(li.attached) if li.accepted else 0, tuple(conds)))
        sets = tuple((ns, name, tuple(c)) for (ns, name), c in sorted(self._ls_status.items()))
        return StatusReport(self._statuses, tuple(listeners), sets)

    # ---- routing ----------------------------------------------------------------------------

    def route(self, request: Request, gateway: GatewaySelector = None) -> Answer:
        """Where `request` goes. `gateway` ("namespace/name") picks the Gateway it is sent to."""
        return self.decide(request, gateway).answer

    def decide(self, request: Request, gateway: GatewaySelector = None, *,
               for_backend: BackendRef | None = None,
               backend_response_headers: Sequence[tuple[str, str]] | None = None) -> Decision:
        """Like `route`, with the router's details. `for_backend`: describe the upstream request
        as the given backendRef receives it (default: the largest share).
        `backend_response_headers`: the headers the backend answers with; `response_headers` is
        then the complete response header set after the gateway's modifiers."""
        rt, notes = self._pick_gateway(request.port, gateway)
        if rt is None:
            return Decision(Answer(status=0, generated_by="connection-refused", notes=tuple(notes)))
        if rt.notes:
            notes.extend(rt.notes)
        port = request.port
        pi = self._ports[rt.key].get(port)
        if pi is None:
            return Decision(Answer(status=0, generated_by="connection-refused", decided_by=(("gateway", rt.label),),
                                   notes=tuple(notes + [f"Gateway {rt.label} has no accepted listener on port {port}"])))
        names = self._names
        host = names.get(request.host)
        if host is None:
            host = self._remember_name(request.host, request_hostname(request.host))
        ctx = _Ctx(self, request, rt, notes, for_backend, backend_response_headers)
        if request.scheme == "http":
            if not pi.http:
                if pi.secure:
                    return ctx.plain("tls-expected", 0, f"port {port} expects TLS; a plain HTTP request gets "
                                                        "no HTTP answer")
                return ctx.unmodelled_listener(pi)
            li = pi.http.best(host)
            if li is None:
                return ctx.plain("no-listener", 404, f"no listener of Gateway {rt.label} on port {port} "
                                                     f"matches host {host or '(none)'}")
            return ctx.http(li, host)
        sni = request.sni
        sni_host = self._sni_hosts.get(sni, "")
        if sni_host == "":
            sni_name = request_hostname(sni) if sni else ""
            sni_host = sni_name if sni_name and not is_ip(sni_name) else None
            if len(self._sni_hosts) >= _MEMO_LIMIT:
                self._sni_hosts.clear()
            self._sni_hosts[sni] = sni_host
        if not pi.secure:
            if pi.http:
                return ctx.plain("tls-handshake-failed", 0, f"port {port} serves plain HTTP; the TLS "
                                                            "handshake fails")
            return ctx.unmodelled_listener(pi)
        if sni_host is None:
            li_sni = pi.secure.any
            ctx.notes.append("the client sent no SNI: only a listener without hostname can take the connection")
        else:
            li_sni = pi.secure.best(sni_host)
        if li_sni is None:
            return ctx.plain("tls-no-listener", 0, f"no TLS listener on port {port} matches SNI "
                                                   f"{sni_host or '(none)'}: the handshake fails")
        if li_sni.protocol == "TLS":
            return ctx.tls(li_sni, sni_host)
        if li_sni.tls_failure:
            ctx.decided.append(("listener", li_sni.label))
            return ctx.plain("tls-handshake-failed", 0, f"listener {li_sni.label}: {li_sni.tls_failure}")
        if self._cert_names:
            self._cert_coverage(li_sni, sni_host or host, ctx.notes)
        li_host = pi.https.best(host)
        if li_host is None:
            ctx.decided.append(("listener", li_sni.label))
            return ctx.plain("no-listener", 404, f"no HTTPS listener on port {port} matches host {host or '(none)'}")
        if rt.spec.frontend:
            # client-certificate validation happens in the handshake, before the Host is read
            refused = self._frontend(rt, li_sni, ctx)
            if refused is not None:
                return refused
        if li_host is not li_sni:
            ctx.decided.append(("listener", li_sni.label))
            return ctx.plain("misdirected-request", 421,
                             f"the Host {host} selects listener {li_host.label}, but the connection (SNI "
                             f"{sni_host or '(none)'}) was accepted by listener {li_sni.label}")
        return ctx.http(li_sni, host)

    def _frontend(self, rt: GatewayRuntime, li: Listener, ctx: "_Ctx") -> Decision | None:
        """The Gateway's spec.tls.frontend on the listener's port (simulate.gateway_frontend):
        the refusal of a client without a certificate, or None (a note or an unmodelled entry)."""
        mode = frontend_mode(rt.spec.frontend, li.port)
        if not mode:
            return None
        if not ctx.request.no_client_cert:
            ctx.notes.append(f"spec.tls.frontend ({mode}) on port {li.port}: the client's certificate is "
                             "modelled as valid")
            return None
        impl, _, _ = self._policy_index.implementation(rt.spec.class_name)
        verdict, why = without_certificate(impl, mode)
        if verdict == "refused":
            ctx.decided.append(("listener", li.label))
            return ctx.plain("client-certificate-required", 0, why, li)
        (ctx.notes if verdict == "accepted" else ctx.unmodelled).append(why)
        return None

    def _remember_name(self, raw: str | None, name: str) -> str:
        """Remember the hostname of a Host header (many requests share one)."""
        if len(self._names) >= _MEMO_LIMIT:
            self._names.clear()
        self._names[raw] = name
        return name

    def _cert_coverage(self, li: Listener, name: str, notes: list[str]) -> None:
        names = self._cert_names.get(id(li))
        if not names or not name:
            return
        # certificates use RFC 6125 wildcards: one label
        def covers(pattern: str) -> bool:
            if pattern.startswith("*."):
                return name.endswith(pattern[1:]) and "." not in name[: -len(pattern) + 1]
            return pattern.lower() == name
        if not any(covers(n) for dns in names for n in dns):
            notes.append(f"the certificate of listener {li.label} does not cover {name}: clients that verify "
                         "certificates fail the handshake")

    def _pick_gateway(self, port: int, selector: GatewaySelector) -> tuple[GatewayRuntime | None, list[str]]:
        if selector is not None:
            key = self._selectors.get(selector)
            if key is None:
                key = self._parse_selector(selector)
                if len(self._selectors) < _MEMO_LIMIT:
                    self._selectors[selector] = key
        else:
            key = self._default
        if key is not None:
            rt = self._gateways.get(key)
            if rt is None:
                known = ", ".join(f"{ns}/{n}" for ns, n in sorted(self._gateways))
                raise UsageError(f"no Gateway {key[0]}/{key[1]} in the input; known: {known}")
            return rt, []
        if len(self._gateways) == 1:
            return next(iter(self._gateways.values())), []
        on_port = [rt for rt in self._gateways.values() if any(li.accepted and li.port == port for li in rt.listeners)]
        if not on_port:
            return None, [f"no Gateway listens on port {port}"]
        on_port.sort(key=lambda rt: rt.key)
        notes = []
        if len(on_port) > 1:
            names = ", ".join(rt.label for rt in on_port)
            notes.append(f"Gateways {names} all listen on port {port}; the request was sent to {on_port[0].label} "
                         "(name one with --gateway / gateway=)")
        return on_port[0], notes


class _Ctx:
    """One request on its way through the router (keeps `decide` readable)."""

    __slots__ = ("router", "request", "rt", "notes", "unmodelled", "decided", "for_backend",
                 "backend_response_headers", "path", "query")

    def __init__(self, router: GatewayRouter, request: Request, rt: GatewayRuntime, notes: list[str],
                 for_backend: BackendRef | None, backend_response_headers: Sequence[tuple[str, str]] | None) -> None:
        self.router = router
        self.request = request
        self.rt = rt
        self.notes = notes
        self.unmodelled: list[str] = list(rt.caveats)
        self.decided: list[tuple[str, str]] = [("gateway", rt.label)]
        self.for_backend = for_backend
        self.backend_response_headers = backend_response_headers
        # Request.path and Request.query, split once
        path, sep, query = request.target.partition("?")
        self.path = path
        self.query = query if sep else None

    def answer(self, status: int, **kwargs: Any) -> Answer:
        return Answer(status=status, decided_by=tuple(self.decided),
                      notes=tuple(dict.fromkeys(self.notes)) if self.notes else (),
                      unmodelled=tuple(dict.fromkeys(self.unmodelled)) if self.unmodelled else (), **kwargs)

    def plain(self, generated_by: str, status: int, why: str, li: Listener | None = None) -> Decision:
        self.notes.append(why)
        return Decision(self.answer(status, generated_by=generated_by), listener=li)

    def unmodelled_listener(self, pi: PortIndex) -> Decision:
        kinds = ", ".join(sorted({li.protocol for li in pi.others})) or "no HTTP"
        self.unmodelled.append(f"port {self.request.port} has only {kinds} listeners; TCPRoute, UDPRoute and "
                               "implementation-specific protocols are not modelled")
        return Decision(self.answer(0, generated_by="not-modelled"))

    # ---- HTTP and gRPC ------------------------------------------------------------------------

    def view(self) -> RequestView:
        req = self.request
        if not req.headers:
            # no headers: not gRPC either (that needs a content-type)
            return RequestView(req.method, self.path, {"host": req.host} if req.host is not None else {}, _NO_NAMES,
                               self.query, None)
        headers: dict[str, str] = {}
        repeated = set()
        for k, v in req.headers:
            n = k.lower()
            if n in headers:
                repeated.add(n)
                headers[n] = headers[n] + "," + v
            else:
                headers[n] = v
        if req.host is not None and "host" not in headers:
            # a header match on Host sees the Host header (HTTP/2 :authority) as sent
            headers["host"] = req.host
        path = self.path
        grpc = None
        if req.method == "POST":
            ctype = headers.get("content-type", "")
            # gRPC is application/grpc, optionally +proto/+json or with parameters (not grpc-web)
            if ctype == "application/grpc" or ctype.startswith(("application/grpc+", "application/grpc;")):
                parts = path.split("/")
                if len(parts) == 3 and parts[0] == "" and parts[1] and parts[2]:
                    grpc = (parts[1], parts[2])
        return RequestView(req.method, path, headers, frozenset(repeated) if repeated else _NO_NAMES,
                           self.query, grpc)

    def _tls_unknown(self, li: Listener) -> None:
        """A probe offering one TLS version or suite (simulate/tls_probes.py) on a listener whose
        implementation's model does not say what it accepts (no TlsHandshake step): unmodelled."""
        from ing2gw.simulate.gateway_policies.steps import TlsHandshake

        early = self.router._effects_on_listener(li) if not self.router._policy_index.empty else None
        if early is None or not any(isinstance(s, TlsHandshake) for s in early.steps):
            self.unmodelled.append(f"listener {li.label}: which TLS versions and cipher suites the implementation "
                                   "accepts is not modelled (the handshake is modelled as completing)")

    def http(self, li: Listener, host: str) -> Decision:
        self.decided.append(("listener", li.label))
        if li.caveats:
            self.unmodelled.extend(li.caveats)
        if not self.router._policy_index.empty:
            early = self.router._effects_on_listener(li)
            if early.steps or early.unmodelled or early.notes:
                self.unmodelled.extend(early.unmodelled)
                self.notes.extend(early.notes)
                state = RequestState.start(self.request, self.path, self.query)
                reply = self.run_steps(early, "before", state)
                if reply is not None:
                    return Decision(self.local(reply, state), listener=li)
                if state.changed:
                    self.request = replace(self.request, headers=tuple(state.headers))
        if self.request.tls_version is not None and self.request.scheme == "https":
            self._tls_unknown(li)
        req = self.request
        path = self.path
        if ("%" in path or "//" in path or "/." in path) and _NORMALISABLE.search(path):
            self.unmodelled.append(f"path {path!r} may be normalised (dot segments, merged slashes, decoded "
                                   "escapes) before matching; implementation-specific (matched as sent)")
        if host.endswith("."):
            self.unmodelled.append(f"Host {req.host!r} ends with a dot; implementations differ on stripping it "
                                   "(matched as sent)")
        rv = self.view()
        if rv.grpc is not None:
            grpc_tables = li.grpc.matching(host)
            for pattern, gtable in grpc_tables:
                gfound = gtable.find(rv)
                if gfound is not None:
                    if li.http.matching(host):
                        self.unmodelled.append(f"GRPCRoutes and HTTPRoutes both serve host {host} on listener "
                                               f"{li.label}; implementations may reject one of them")
                    try:
                        return self.forward(li, gfound.winner.plan, None)
                    except _RuleNotMet:
                        self.unmodelled.append("a condition of the GRPCRoute rule does not hold; the rules after "
                                               "it are not tried for gRPC requests (not modelled)")
                        return Decision(self.answer(404, generated_by="no-route"), listener=li)
            if grpc_tables:
                self.notes.append("no GRPCRoute rule matches this gRPC request; HTTPRoutes were tried")
        elif li.grpc.matching(host):
            self.notes.append("GRPCRoutes serve this host but the request is not gRPC (POST with content-type "
                              "application/grpc); only HTTPRoutes were tried")
        skipped: list[str | None] = []
        #: rules whose implementation-specific conditions this request does not meet (RULE_NOT_MET)
        passed: frozenset[int] = frozenset()
        for pattern, table in li.http.matching(host):
            while True:
                found = table.find(rv, passed)
                if found is None:
                    break
                if skipped:
                    self.notes.append(f"routes for the more specific hostname {skipped[0]} have no rule matching "
                                      f"this request; the spec's precedence continues with "
                                      f"{pattern or 'routes for any host'} (implementations that pick a virtual host "
                                      "first answer 404)")
                    skipped = []
                c = found.winner
                if rv.repeated and rv.repeated & {h.name for h in c.headers}:
                    self.unmodelled.append("a repeated request header takes part in the match; matched as the "
                                           "values joined with ',' (implementation-specific)")
                if found.unmodelled:
                    self.unmodelled.extend(found.unmodelled)
                try:
                    return self.forward(li, c.plan, c.matched_prefix)
                except _RuleNotMet:
                    # the implementation evaluates its rules in precedence order and runs the first
                    # whose conditions all hold: the next one is tried
                    passed = passed | {id(c.rule)}
            if not passed:
                skipped.append(pattern)
        self.notes.append(f"no rule of the routes attached to listener {li.label} matches")
        return Decision(self.answer(404, generated_by="no-route"), listener=li)

    def _decision(self, answer: Answer, li: Listener, plan: _Plan, mirrors: tuple[tuple[BackendRef, float], ...] = (),
                  response_ops: tuple[HeaderOps, ...] = ()) -> Decision:
        rule = plan.rule
        return Decision(answer, mirrors, response_ops, rule.timeouts, rule.retry, li, plan.route, rule)

    def forward(self, li: Listener, plan: _Plan, matched_prefix: str | None) -> Decision:
        """Apply the rule's filters and backends to the request."""
        req = self.request
        rule = plan.rule
        self.decided.append(plan.label_route)
        self.decided.append(plan.label_rule)
        if plan.unmodelled:
            self.unmodelled.extend(plan.unmodelled)
        if plan.notes:
            self.notes.extend(plan.notes)
        effects: Effects | None = None
        state: RequestState | None = None
        if plan.ext_filters or not self.router._policy_index.empty:
            effects = self.router._effects(li, plan)
            if effects.empty:
                effects = None
            else:
                if effects.applied:
                    self.decided.append(("policies", ", ".join(effects.applied)))
                self.unmodelled.extend(effects.unmodelled)
                self.notes.extend(effects.notes)
        cors = plan.cors
        origin = req.header("origin") if cors is not None else None
        if cors is not None and origin is not None and req.method == "OPTIONS":
            request_method = req.header("access-control-request-method")
            if request_method is not None:  # a CORS preflight: the gateway answers it
                hdrs = cors_response_headers(cors, origin, True, request_method,
                                             req.header("access-control-request-headers"))
                if not hdrs:
                    self.notes.append(f"Origin {origin} is not allowed: the preflight gets no CORS headers")
                return self._decision(self.answer(200, generated_by="cors-preflight", response_headers=tuple(hdrs)),
                                      li, plan)
        if effects is not None and effects.steps:
            state = RequestState.start(req, self.path, self.query)
            reply = self.run_steps(effects, "before", state)
            if reply is not None:
                if reply.generated_by == RULE_NOT_MET:
                    if reply.note:
                        self.notes.append(reply.note)
                    raise _RuleNotMet()
                if state.cors_seen and cors is not None and origin is not None:
                    # the implementation's CORS filter ran before the step that answered
                    state.response.extend(cors_response_headers(cors, origin, False, None, None))
                return self._decision(self.local(reply, state, cors, origin), li, plan)
            if state.changed:
                # a policy changed the request headers (a forwarded user name, dropped headers):
                # the rule's own filters see the changed request
                req = self.request = replace(req, headers=tuple(state.headers))
        redirect = plan.redirect
        if redirect is not None:
            if req.host is None and redirect.hostname is None:
                self.unmodelled.append("the request has no Host header: the redirect hostname is undefined")
            location = redirect_location(redirect, req.scheme, req.host, self.path, self.query, li.port,
                                         matched_prefix)
            return self._decision(Answer(status=redirect.status, redirect=Redirect(location, redirect.status),
                                         generated_by="redirect", decided_by=tuple(self.decided),
                                         notes=tuple(dict.fromkeys(self.notes)) if self.notes else (),
                                         unmodelled=tuple(dict.fromkeys(self.unmodelled)) if self.unmodelled else ()),
                                  li, plan)
        best = plan.best
        if plan.action.error is not None or best is None:
            if state is not None and effects is not None:
                reply = self.run_steps(effects, "action", state)
                if reply is not None:
                    if plan.action.error is not None:
                        # the rule answers through its filter: the "no backends" reason does not apply
                        self.notes = [n for n in self.notes if n != plan.action.error[2]]
                    return self._decision(self.local(reply, state, cors, origin), li, plan)
            return self._decision(self.answer(plan.status, generated_by=plan.generated_by,
                                              backends=(Share(None, 1.0, plan.status),)), li, plan)
        chosen = best
        if self.for_backend is not None:
            chosen = next((sh for sh in plan.action.shares if sh.backend == self.for_backend), best)
        upstream_path = upstream_host = None
        upstream_headers: tuple[tuple[str, str], ...] = ()
        view_ops = plan.resp_ops
        if chosen.status is None:
            if plan.plain_upstream and not chosen.spec.filters:
                # nothing rewrites the request: the backend sees it as sent (header names lower-case)
                upstream_host, upstream_path = req.host, req.target
                if req.headers:
                    upstream_headers = tuple([(k.lower(), v) for k, v in req.headers])
            else:
                upstream_host, upstream_path, headers, extra_ops = self.upstream(rule, chosen, matched_prefix)
                upstream_headers = tuple(headers)
                if extra_ops:
                    view_ops = view_ops + tuple(extra_ops)
            if chosen.host is not None and upstream_host == req.host:
                # the implementation names the external host in Host (no filter set another one)
                upstream_host = chosen.host
        if state is not None and effects is not None:
            # policy steps on the way to the backend: a direct response, or changes to the request
            state.path, _, _ = (upstream_path if upstream_path is not None else req.target).partition("?")
            state.host = upstream_host if upstream_path is not None else req.host
            state.headers = list(upstream_headers) if upstream_path is not None else \
                [(k.lower(), v) for k, v in req.headers]
            state.changed = False
            reply = self.run_steps(effects, "action", state)
            if reply is not None:
                return self._decision(self.local(reply, state, cors, origin), li, plan)
            if state.changed and chosen.status is None:
                upstream_path, upstream_host, upstream_headers = state.target(), state.host, tuple(state.headers)
            if state.response_ops:
                view_ops = view_ops + tuple(state.response_ops)
        if self.backend_response_headers is None and view_ops is plan.resp_ops:
            response = list(plan.resp_static)
            if plan.resp_notes:
                self.notes.extend(plan.resp_notes)
        else:
            response = self.response_headers(list(view_ops)) if view_ops or self.backend_response_headers else []
        if cors is not None and origin is not None:
            response.extend(cors_response_headers(cors, origin, False, None, None))
        if state is not None and state.response:
            response.extend(state.response)
        # TLS towards the backend: a BackendTLSPolicy for the Service, or the implementation's own
        # setting for the Service port (Effects.tls); plain HTTP otherwise
        upstream_tls: str | None = None
        if chosen.status is None and chosen.backend is not None:
            b = chosen.backend
            standard = (b.namespace, b.name) in self.router.inventory.backend_tls and \
                not (effects is not None and effects.ignores_backend_tls_policy)
            tls = standard or (effects is not None and (b.namespace, b.name, b.port) in effects.tls)
            upstream_tls = "tls" if tls else "plain"
        # built here, not through answer(**kwargs): this is most answers
        answer = Answer(status=plan.status, backend=best.backend if best.status in (None, 503) else None,
                        backends=plan.shares, upstream_path=upstream_path, upstream_host=upstream_host,
                        upstream_headers=upstream_headers, response_headers=tuple(response),
                        mirrored_to=plan.mirrored, generated_by=plan.generated_by, decided_by=tuple(self.decided),
                        notes=tuple(dict.fromkeys(self.notes)) if self.notes else (),
                        unmodelled=tuple(dict.fromkeys(self.unmodelled)) if self.unmodelled else (),
                        upstream_tls=upstream_tls)
        return self._decision(answer, li, plan, plan.action.mirrors, view_ops)

    def run_steps(self, effects: Effects, phase: str, state: RequestState) -> LocalReply | None:
        """Run the policy steps of one phase; the first local reply ends the request."""
        try:
            for step in effects.steps:
                if step.phase == phase:
                    reply = step.run(state)
                    if reply is not None:
                        if step.source:
                            self.decided.append(("answered-by", step.source))
                        if step.behind_cors and not reply.through_cors:
                            reply = replace(reply, through_cors=True)
                        return reply
            return None
        finally:
            if state.unmodelled:
                self.unmodelled.extend(state.unmodelled)
                state.unmodelled.clear()
            if state.notes:
                self.notes.extend(state.notes)
                state.notes.clear()

    def local(self, reply: LocalReply, state: RequestState, cors: CorsSpec | None = None,
              origin: str | None = None) -> Answer:
        """The Answer for a reply the gateway makes itself because of a policy (with the rule's
        CORS headers when the implementation's CORS filter sees that reply)."""
        if reply.note:
            self.notes.append(reply.note)
        headers = tuple((k.lower(), v) for k, v in reply.headers) + tuple(state.response)
        if reply.through_cors and cors is not None and origin is not None:
            headers += tuple(cors_response_headers(cors, origin, False, None, None))
        return Answer(status=reply.status, redirect=reply.redirect, response_headers=headers,
                      generated_by=reply.generated_by, decided_by=tuple(self.decided), body=reply.body,
                      notes=tuple(dict.fromkeys(self.notes)) if self.notes else (),
                      unmodelled=tuple(dict.fromkeys(self.unmodelled)) if self.unmodelled else ())

    def upstream(self, rule: RuleSpec, share: ShareInfo,
                 matched_prefix: str | None) -> tuple[str | None, str, list[tuple[str, str]], list[HeaderOps]]:
        """Host, target and headers the backend of `share` receives, and backend-level response ops."""
        req = self.request
        host = req.host
        path = self.path
        headers = [(k.lower(), v) for k, v in req.headers]
        resp_ops: list[HeaderOps] = []
        touched_host = False
        for level, filters in (("rule", rule.filters), ("backend", share.spec.filters)):
            for f in filters:
                if f.type == "RequestHeaderModifier" and f.header_ops is not None:
                    ops = f.header_ops
                    names = {n.lower() for n, _ in ops.set + ops.add} | {n.lower() for n in ops.remove}
                    if "host" in names:
                        # the Host header is carried separately: apply the modifier to it there
                        hosted = apply_header_ops([("host", host)] if host is not None else [], ops)
                        host = next((v for k, v in hosted if k == "host"), None)
                        touched_host = True
                    headers = [(k, v) for k, v in apply_header_ops(headers, ops) if k != "host"]
                elif f.type == "URLRewrite" and f.rewrite is not None:
                    if level == "backend":
                        self.unmodelled.append("backendRef-level URLRewrite: support is implementation-specific "
                                               "(modelled as applied)")
                    if f.rewrite.hostname:
                        if touched_host:
                            self.unmodelled.append("both URLRewrite and a header modifier change Host; the order "
                                                   "is implementation-specific (applied in filter order)")
                        host = f.rewrite.hostname
                    if f.rewrite.path is not None:
                        path = modify_path(path, f.rewrite.path, matched_prefix)
                elif level == "backend":
                    if f.type == "ResponseHeaderModifier" and f.header_ops is not None:
                        # only the request modifier is a named (Extended) backendRef feature
                        self.unmodelled.append("backendRef-level ResponseHeaderModifier: support is "
                                               "implementation-specific (modelled as applied)")
                        resp_ops.append(f.header_ops)
                    else:
                        self.unmodelled.append(f"backendRef-level {f.type} filter is implementation-specific "
                                               "(not applied)")
        target = path + (f"?{self.query}" if self.query is not None else "")
        return host, target, headers, resp_ops

    def response_headers(self, ops: list[HeaderOps]) -> list[tuple[str, str]]:
        if self.backend_response_headers is not None:
            out = [(k.lower(), v) for k, v in self.backend_response_headers]
            for o in ops:
                out = apply_header_ops(out, o)
            return out
        static, notes = _static_response_headers(ops)
        self.notes.extend(notes)
        return list(static)

    # ---- TLS passthrough --------------------------------------------------------------------

    def tls(self, li: Listener, sni_host: str | None) -> Decision:
        self.decided.append(("listener", li.label))
        self.unmodelled.extend(li.caveats)
        route = None
        for _, table in li.tls.lookup(sni_host or ""):
            if sni_host is None and table is not li.tls.any:
                continue
            if table.items:
                route = table.items[0]
                if len(table.items) > 1:
                    others = ", ".join(r.label() for r in table.items[1:])
                    self.notes.append(f"{others} also claim(s) this SNI; the oldest route (then namespace/name) wins")
                break
        if route is None:
            self.notes.append(f"no TLSRoute on listener {li.label} matches SNI {sni_host or '(none)'}: the "
                              "connection is closed")
            return Decision(self.answer(0, generated_by="tls-no-route"), listener=li)
        rule = route.rules[0]
        plan = self.router._plans[(route.kind, route.namespace, route.name, rule.index)]
        self.decided.append(plan.label_route)
        self.decided.append(plan.label_rule)
        action = plan.action
        self.unmodelled.extend(plan.unmodelled)
        mode = "passthrough" if li.spec.tls_mode == "Passthrough" else "terminated at the gateway"
        self.notes.append(f"TLS {mode}: the stream goes to the backend; the gateway does not see HTTP")
        if action.error is not None:
            self.notes.append(action.error[2] + "; the connection is closed")
            return Decision(self.answer(0, generated_by=action.error[1], backends=(Share(None, 1.0, 0),)),
                            listener=li, route=route, rule=rule)
        shares = tuple(Share(s.backend, s.fraction, None if s.status is None else 0) for s in action.shares)
        best = max(action.shares, key=lambda s: s.fraction)
        if best.status is not None:
            self.notes.append(f"{best.message}; the connection is closed")
            by = "invalid-backend" if best.status == 500 else "no-endpoints"
            return Decision(self.answer(0, generated_by=by, backends=shares), listener=li, route=route, rule=rule)
        return Decision(self.answer(200, backend=best.backend, backends=shares), listener=li, route=route, rule=rule)


__all__ = ["Decision", "GatewayRouter", "ListenerStatus", "StatusReport"]
