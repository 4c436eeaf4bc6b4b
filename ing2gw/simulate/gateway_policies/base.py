"""What an implementation's policies do to one request: the scope a request is in, the steps
the policies add, and the state a request carries through them.

A target module turns the policies that apply at a `Scope` (Gateway, listener, route, rule,
backends) into `Effects`: an ordered tuple of `Step`s plus what is not modelled. The router runs
the steps of phase `before` (client-IP detection, CORS preflight, authentication, authorization,
body size, rate limits: each may answer the request itself) before the rule's own redirect, then
the steps of phase `action` (a direct response, or changes to the upstream request and the
response headers) on the way to the backend. `Effects` are built once per (listener, rule) and
hold no request data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Literal, Sequence

from ing2gw.simulate.addresses import Address, parse_address
from ing2gw.simulate.gateway_objects import HeaderOps, Selector
from ing2gw.simulate.gateway_policies.objects import PolicyObject, Store, TargetRef
from ing2gw.simulate.request import Redirect, Request

GW = "gateway.networking.k8s.io"


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a request is when its rule has been chosen: the objects policies attach to.

    `listener_owner` is ("Gateway", ns, name) or ("ListenerSet", ns, name); `route` is
    (kind, namespace, name); `backends` are the rule's Service backends (namespace, name, port);
    `filters` the rule's ExtensionRef filters (group, kind, name)."""

    gateway: tuple[str, str]
    gateway_class: str
    listener: str
    listener_owner: tuple[str, str, str]
    route: tuple[str, str, str]
    rule_index: int
    rule_name: str | None
    backends: tuple[tuple[str, str, int | str | None], ...] = ()
    filters: tuple[tuple[str, str, str], ...] = ()
    #: the types of every rule-level filter, in order (ExtensionRef included)
    filter_types: tuple[str, ...] = ()

    @property
    def route_ns(self) -> str:
        return self.route[1]


@dataclass(frozen=True, slots=True)
class LocalReply:
    """An answer the gateway gives itself (the backend is not contacted)."""

    status: int
    generated_by: str
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    redirect: Redirect | None = None
    note: str | None = None
    #: the rule's CORS filter adds its headers to this reply (set from Step.behind_cors)
    through_cors: bool = False


#: `generated_by` of the LocalReply a rule condition gives when the request does not meet it (an
#: ALB listener rule's source-ip condition from a ListenerRuleConfiguration): the rule does not
#: match, and the router goes on with the next rule in precedence order, as the ALB evaluates
#: its listener rules by priority and runs the first whose conditions all hold
RULE_NOT_MET = "rule-condition-not-met"


@dataclass
class RequestState:
    """One request on its way through the steps.

    `client` is the client address after the implementation's client-IP detection (None:
    unknown, `client_unknown` says why). `path` (without query), `host` and `headers` are the
    upstream request as rewritten so far; `response` collects headers added to the response.
    """

    request: Request
    client: Address | None
    client_unknown: str | None
    path: str
    query: str | None
    host: str | None
    headers: list[tuple[str, str]]
    response: list[tuple[str, str]] = field(default_factory=list)
    response_ops: list[HeaderOps] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unmodelled: list[str] = field(default_factory=list)
    #: a step changed the upstream request (path, host or headers)
    changed: bool = False
    #: the implementation's CORS filter (configured from the rule's CORS filter) has seen the
    #: request: Envoy runs every encoder filter on a local reply, so a later step's reply gets
    #: the simple-request CORS headers too (set by a step of the implementation's model)
    cors_seen: bool = False

    @classmethod
    def start(cls, request: Request, path: str, query: str | None) -> "RequestState":
        client = parse_address(request.client_ip)
        why = None if client is not None else "the client address is not known"
        return cls(request, client, why, path, query, request.host,
                   [(k.lower(), v) for k, v in request.headers])

    def header(self, name: str) -> str | None:
        n = name.lower()
        return next((v for k, v in self.headers if k == n), None)

    def target(self) -> str:
        return self.path + (f"?{self.query}" if self.query is not None else "")


class Step:
    """One thing a policy does to a request. `run` returns a LocalReply to answer the request
    there, or None to go on (after changing `state`)."""

    phase: Literal["before", "action"] = "before"
    #: the policy that adds this step ("SecurityPolicy ns/name"), for `decided_by`
    source: str = ""
    #: the implementation runs the rule's CORS filter (HTTPRoute filter type CORS) before this
    #: step, and that filter adds its headers to the step's local reply as to any answer (Envoy:
    #: a local reply passes through every encoder filter, the CORS filter's included)
    behind_cors: bool = False

    def run(self, state: RequestState) -> LocalReply | None:
        raise NotImplementedError


@dataclass(frozen=True)
class Effects:
    """The steps an implementation's policies add at one scope, in the order they run, and
    what the model does not know about them (reported on every answer through the scope)."""

    steps: tuple[Step, ...] = ()
    unmodelled: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    applied: tuple[str, ...] = ()
    #: backends (namespace, Service, port) the implementation's own policies reach over TLS
    #: (a BackendTLSPolicy is the router's: gateway_backends)
    tls: tuple[tuple[str, str, int], ...] = ()
    #: the implementation does not implement BackendTLSPolicy: a Service it targets is still
    #: reached in plain HTTP (unless `tls` says otherwise)
    ignores_backend_tls_policy: bool = False

    @property
    def empty(self) -> bool:
        return not (self.steps or self.unmodelled or self.notes or self.applied or self.tls
                    or self.ignores_backend_tls_policy)

    def __add__(self, other: "Effects") -> "Effects":
        return Effects(self.steps + other.steps, self.unmodelled + other.unmodelled, self.notes + other.notes,
                       self.applied + other.applied, self.tls + other.tls,
                       self.ignores_backend_tls_policy or other.ignores_backend_tls_policy)


NO_EFFECTS = Effects()


class EffectsBuilder:
    """Collects steps, unmodelled behaviours and notes while a target reads its policies."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.unmodelled: list[str] = []
        self.notes: list[str] = []
        self.applied: list[str] = []
        self.tls: list[tuple[str, str, int]] = []
        self.ignores_backend_tls_policy = False

    def step(self, step: Step, source: PolicyObject | str | None = None) -> None:
        if source is not None:
            step.source = source if isinstance(source, str) else source.label()
        self.steps.append(step)

    def apply(self, policy: PolicyObject) -> None:
        if policy.label() not in self.applied:
            self.applied.append(policy.label())

    def build(self) -> Effects:
        return Effects(tuple(self.steps), tuple(dict.fromkeys(self.unmodelled)), tuple(dict.fromkeys(self.notes)),
                       tuple(self.applied), tuple(dict.fromkeys(self.tls)), self.ignores_backend_tls_policy)


# ---------------------------------------------------------------------------------------------
# attachment


def selected(store: Store, policy: PolicyObject, kind: str, namespace: str, name: str) -> tuple[bool, str | None]:
    """Whether one of the policy's targetSelectors selects the object; and why not modelled."""
    labels = store.labels.get((kind, namespace, name), {})
    for sel in policy.selectors:
        if sel.kind == kind and sel.group == GW and policy.namespace == namespace and sel.selector.matches(labels):
            return True, sel.unmodelled
    return False, None


def refs_to(policy: PolicyObject, kind: str, name: str, namespace: str) -> list[TargetRef]:
    """The policy's targetRefs that name this Gateway API object (any sectionName)."""
    if policy.namespace != namespace:
        return []
    return [r for r in policy.target_refs if r.kind == kind and r.name == name and r.group in (GW, "")]


def attaches(store: Store, policy: PolicyObject, kind: str, namespace: str, name: str,
             section: str | None) -> bool:
    """Does the policy attach to this object at exactly this section (None: the whole object)?"""
    for r in refs_to(policy, kind, name, namespace):
        if r.section == section:
            return True
    if section is None:
        hit, _ = selected(store, policy, kind, namespace, name)
        if hit:
            return True
    else:
        labels = store.labels.get((kind, namespace, name), {})
        for sel in policy.selectors:
            if sel.kind == kind and sel.section == section and policy.namespace == namespace \
                    and sel.selector.matches(labels):
                return True
    return False


@dataclass(frozen=True)
class Level:
    """One attachment level of a scope: policies attach here when they target (kind,
    namespace, name) with exactly `section` (None: the whole object)."""

    name: str
    kind: str
    namespace: str
    target: str
    section: str | None
    store: Store

    def __call__(self, policy: PolicyObject) -> bool:
        return attaches(self.store, policy, self.kind, self.namespace, self.target, self.section)

    def policies(self) -> list[PolicyObject]:
        """Every policy of the input that attaches at this level (any group and kind)."""
        return self.store.attached(self.kind, self.namespace, self.target, self.section,
                                   lambda p: attaches(self.store, p, self.kind, self.namespace, self.target,
                                                      self.section))


def levels_for(store: Store, scope: Scope, route_levels: bool = True, listener_levels: bool = True,
               gateway_level: bool = True) -> list[Level]:
    """The attachment levels of a scope, most specific first: route rule, route, listener
    (of the Gateway or of the ListenerSet, then the ListenerSet as a whole), Gateway."""
    kind, rns, rname = scope.route
    gns, gname = scope.gateway
    owner_kind, ons, oname = scope.listener_owner
    out: list[Level] = []
    if route_levels and rname:
        if scope.rule_name:
            out.append(Level("route rule", kind, rns, rname, scope.rule_name, store))
        out.append(Level("route", kind, rns, rname, None, store))
    if listener_levels:
        out.append(Level("listener", owner_kind, ons, oname, scope.listener, store))
        if owner_kind == "ListenerSet":
            out.append(Level("ListenerSet", owner_kind, ons, oname, None, store))
    if gateway_level:
        out.append(Level("Gateway", "Gateway", gns, gname, None, store))
    return out


def by_level(candidates: Sequence[PolicyObject], levels: Sequence[Level]) -> list[tuple[str, list[PolicyObject]]]:
    """The policies that attach at each level, oldest first (then namespace/name); levels
    without any are left out. `candidates` is every object of one (group, kind) of the input
    (`Store.of`): the policies are looked up by attachment and filtered by that kind."""
    if not candidates:
        return []
    kind = (candidates[0].group, candidates[0].kind)
    out = []
    for lv in levels:
        hits = sorted((p for p in lv.policies() if (p.group, p.kind) == kind), key=PolicyObject.sort_key)
        if hits:
            out.append((lv.name, hits))
    return out


def spec_fields(policy: PolicyObject, modelled: Iterable[str], neutral: dict[str, str],
                ignore: Iterable[str] = ("targetRef", "targetRefs", "targetSelectors")) -> list[str]:
    """What in the policy's spec the model does not read: every top-level field that is neither
    modelled, nor known not to change answers (`neutral`, with why), nor attachment."""
    known = set(modelled) | set(neutral) | set(ignore)
    return [f"{policy.label()}: spec.{k} is not modelled" for k in sorted(policy.spec) if k not in known]


def neutral_notes(policy: PolicyObject, neutral: dict[str, str]) -> list[str]:
    """Notes for the fields of a policy that do not change a simulated answer, with why."""
    return [f"{policy.label()}: spec.{k} does not change the answer ({why})" for k, why in sorted(neutral.items())
            if k in policy.spec]


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def seq(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def selector_of(raw: Any) -> Selector:
    sel = mapping(raw)
    labels = {str(k): str(v) for k, v in mapping(sel.get("matchLabels")).items()}
    exprs = [(str(e.get("key")), str(e.get("operator")), tuple(str(v) for v in seq(e.get("values"))))
             for e in seq(sel.get("matchExpressions")) if isinstance(e, dict)]
    return Selector(tuple(sorted(labels.items())), tuple(exprs))


_QUANTITY_UNITS = {"Ki": 1024, "Mi": 1024 ** 2, "Gi": 1024 ** 3, "Ti": 1024 ** 4, "k": 1000, "M": 1000 ** 2,
                   "G": 1000 ** 3, "T": 1000 ** 4, "": 1}


def quantity(value: Any) -> int | None:
    """A Kubernetes resource.Quantity of bytes ("10Mi", "500Ki", "1G", 1048576) as an integer."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    for unit in sorted(_QUANTITY_UNITS, key=len, reverse=True):
        if unit and text.endswith(unit):
            number = text[: -len(unit)]
            break
    else:
        unit, number = "", text
    try:
        return int(float(number) * _QUANTITY_UNITS[unit])
    except ValueError:
        return None


def duration_seconds(text: Any) -> int | None:
    """A Go/Gateway duration ("1h30m", "500ms", "10s") in whole seconds (rounded down)."""
    import re as _re
    parts = _re.findall(r"([0-9.]+)(h|ms|m|s|us|µs|ns)", str(text))
    if not parts:
        return None
    unit = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
    return int(sum(float(n) * unit[u] for n, u in parts))
