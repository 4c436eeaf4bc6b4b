"""Listeners and route attachment for the Gateway API router (`reference/gateway-api.md` §3.2, §3.3).

A Gateway's listeners are merged with those of the ListenerSets it allows, in the spec's
precedence (the Gateway, then ListenerSets oldest first, then by namespace/name); a ListenerSet
listener that conflicts with an earlier one is not accepted, and listeners of one Gateway that
conflict with each other are all rejected. A ListenerSet is accepted while one of its
listeners is (GEP-1713; the ListenerSet*Conflict conformance tests), and only when its
parentRef is a Gateway that allows its namespace (`allowedListeners`, default None). A route attaches through each parentRef to the
listeners that match its sectionName and port, allow its kind and namespace, and share a
hostname with it. Every refusal is recorded as a route status condition, with the reasons the
conformance tests check (NoMatchingParent, NotAllowedByListeners, NoMatchingListenerHostname).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ing2gw.simulate.gateway_match import GrpcTable, HostIndex, HttpTable, TlsTable, intersect_hostnames
from ing2gw.simulate.gateway_objects import (GW_GROUP, GatewaySpec, Inventory, ListenerSetSpec, ListenerSpec,
                                             ParentRefSpec, RouteSpec, Selector)

#: Route kinds a listener accepts when `allowedRoutes.kinds` is empty, by protocol.
KINDS_BY_PROTOCOL = {
    "HTTP": ("HTTPRoute", "GRPCRoute"),
    "HTTPS": ("HTTPRoute", "GRPCRoute"),
    "TLS": ("TLSRoute", "TCPRoute"),
    "TCP": ("TCPRoute",),
    "UDP": ("UDPRoute",),
}
#: Which protocols may share a port (TLS-based listeners are told apart by SNI).
FAMILY = {"HTTP": "http", "HTTPS": "tls", "TLS": "tls", "TCP": "tcp", "UDP": "udp"}


@dataclass(frozen=True, slots=True)
class Condition:
    """A status condition as a controller would write it."""

    type: str
    status: str
    reason: str
    message: str = ""


@dataclass
class Listener:
    """A listener as the router uses it: its spec, acceptance, and the routes attached to it."""

    spec: ListenerSpec
    gateway: GatewaySpec
    label: str
    accepted: bool = True
    conditions: list[Condition] = field(default_factory=list)
    kinds: frozenset[str] = frozenset()
    http: HostIndex[HttpTable] = field(default_factory=HostIndex)
    grpc: HostIndex[GrpcTable] = field(default_factory=HostIndex)
    tls: HostIndex[TlsTable] = field(default_factory=HostIndex)
    attached: dict[str, RouteSpec] = field(default_factory=dict)
    caveats: list[str] = field(default_factory=list)     # unmodelled, for every answer here
    tls_failure: str | None = None                       # why a TLS handshake cannot complete
    tls_notes: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.spec.port

    @property
    def protocol(self) -> str:
        return self.spec.protocol

    @property
    def hostname(self) -> str | None:
        return self.spec.hostname


@dataclass
class GatewayRuntime:
    spec: GatewaySpec
    listeners: list[Listener] = field(default_factory=list)
    key: tuple[str, str] = ("", "")
    label: str = ""
    notes: list[str] = field(default_factory=list)      # for every answer through this Gateway
    caveats: list[str] = field(default_factory=list)    # unmodelled, for every answer through it

    def __post_init__(self) -> None:
        self.key = (self.spec.namespace, self.spec.name)
        self.label = f"{self.spec.namespace}/{self.spec.name}"
        self._own: dict[str, list[Listener]] | None = None
        self._everything: list[Listener] = []

    def own_listeners(self, section_name: str | None) -> list[Listener]:
        """The Gateway's own listeners (not its ListenerSets'), or those named `section_name`.
        Indexed on first use, once every listener is known; callers must not change the list."""
        if self._own is None:
            own: dict[str, list[Listener]] = {}
            everything: list[Listener] = []
            for li in self.listeners:
                if li.spec.owner_kind == "Gateway":
                    everything.append(li)
                    own.setdefault(li.spec.name, []).append(li)
            self._own = own
            self._everything = everything
        if section_name is None:
            return self._everything
        return self._own.get(section_name, [])


@dataclass(frozen=True, slots=True)
class RouteParentStatus:
    """What a controller would write in `status.parents[]` of a route for one parentRef."""

    route_kind: str
    route_namespace: str
    route_name: str
    parent_kind: str
    parent_namespace: str
    parent_name: str
    section_name: str | None
    port: int | None
    conditions: tuple[Condition, ...]

    def condition(self, type_: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == type_), None)


class Namespaces:
    """Namespace labels from the input; namespaces missing from it only have the label the API
    server always sets, and every decision that needed more is reported."""

    def __init__(self, known: dict[str, dict[str, str]]) -> None:
        self.known = known

    def labels(self, ns: str) -> tuple[dict[str, str], bool]:
        if ns in self.known:
            return self.known[ns], True
        return {"kubernetes.io/metadata.name": ns}, False


def _selected(selector: Selector | None, ns: str, namespaces: Namespaces, caveats: list[str], what: str) -> bool:
    labels, known = namespaces.labels(ns)
    ok = selector.matches(labels) if selector is not None else False
    if not known and not ok and not any(c.startswith(f"Namespace {ns} is not") for c in caveats):
        caveats.append(f"Namespace {ns} is not in the input, so its labels are unknown: {what} modelled "
                       "as not selecting it (pass the Namespace objects to decide)")
    return ok


def build_gateways(inv: Inventory, namespaces: Namespaces) -> tuple[list[GatewayRuntime], dict[tuple[str, str], list[Condition]]]:
    """Merge listeners (Gateway + ListenerSets), decide conflicts and allowed kinds.

    Returns the gateways and, per ListenerSet, its Accepted condition.
    """
    runtimes = [GatewayRuntime(g) for g in sorted(inv.gateways, key=lambda g: (g.namespace, g.name))]
    by_key = {rt.key: rt for rt in runtimes}
    ls_status: dict[tuple[str, str], list[Condition]] = {}
    sets_by_gateway: dict[tuple[str, str], list[ListenerSetSpec]] = {}
    for ls in inv.listener_sets:
        rt = by_key.get((ls.parent_ns, ls.parent_name))
        if (ls.parent_group, ls.parent_kind) != (GW_GROUP, "Gateway"):
            ls_status[(ls.namespace, ls.name)] = [Condition("Accepted", "False", "Invalid",
                                                            f"parentRef {ls.parent_group}/{ls.parent_kind} is not a "
                                                            "Gateway")]
            continue
        if rt is None:
            ls_status[(ls.namespace, ls.name)] = [Condition("Accepted", "False", "NoMatchingParent",
                                                            f"Gateway {ls.parent_ns}/{ls.parent_name} is not in the input")]
            continue
        g = rt.spec
        caveats = rt.caveats
        if g.allowed_listeners_from == "All":
            allowed = True
        elif g.allowed_listeners_from == "Same":
            allowed = ls.namespace == g.namespace
        elif g.allowed_listeners_from == "Selector":
            allowed = _selected(g.allowed_listeners_selector, ls.namespace, namespaces, caveats,
                                f"Gateway {rt.label} allowedListeners")
        else:
            allowed = False
        if not allowed:
            ls_status[(ls.namespace, ls.name)] = [Condition("Accepted", "False", "NotAllowed",
                                                            f"Gateway {rt.label} allowedListeners does not allow it")]
            continue
        ls_status[(ls.namespace, ls.name)] = [Condition("Accepted", "True", "Accepted")]
        sets_by_gateway.setdefault(rt.key, []).append(ls)
    for rt in runtimes:
        rt.caveats.extend(rt.spec.unmodelled)
        if inv.gateway_classes and rt.spec.class_name not in inv.gateway_classes:
            rt.notes.append(f"GatewayClass {rt.spec.class_name} is not in the input (known: "
                            f"{', '.join(sorted(inv.gateway_classes))}); without it no controller programs "
                            f"Gateway {rt.label}")
        for spec in rt.spec.listeners:
            rt.listeners.append(_listener(spec, rt.spec, spec.name))
        sets = sorted(sets_by_gateway.get(rt.key, []), key=lambda s: (s.age, s.namespace, s.name))
        for ls in sets:
            for spec in ls.listeners:
                rt.listeners.append(_listener(spec, rt.spec, f"ListenerSet {ls.namespace}/{ls.name} {spec.name}"))
        _decide_conflicts(rt)
    return runtimes, ls_status


def settle_listener_sets(runtimes: list[GatewayRuntime], ls_status: dict[tuple[str, str], list[Condition]]) -> None:
    """The Accepted condition of each attached ListenerSet, once its listeners are decided
    (conflicts, certificate references): accepted while one listener is valid, with reason
    ListenersNotValid when some are not (ListenerSetHostnameConflict, ListenerSetProtocolConflict,
    ListenerSetReferenceGrant)."""
    by_set: dict[tuple[str, str], list[Listener]] = {}
    for rt in runtimes:
        for li in rt.listeners:
            if li.spec.owner_kind == "ListenerSet":
                by_set.setdefault((li.spec.owner_ns, li.spec.owner_name), []).append(li)
    for key, mine in by_set.items():
        bad = [li.spec.name for li in mine
               if not li.accepted or any(c.type == "ResolvedRefs" and c.status == "False" for c in li.conditions)]
        if bad:
            ls_status[key] = [Condition("Accepted", "True" if len(bad) < len(mine) else "False", "ListenersNotValid",
                                        f"listener(s) {', '.join(bad)} not valid (conflicted, unsupported or with "
                                        "unresolved references)")]


def _listener(spec: ListenerSpec, gw: GatewaySpec, label: str) -> Listener:
    li = Listener(spec, gw, label)
    compatible = KINDS_BY_PROTOCOL.get(spec.protocol)
    if compatible is None:
        li.accepted = False
        li.conditions.append(Condition("Accepted", "False", "UnsupportedProtocol",
                                       f"protocol {spec.protocol} is implementation-specific; not modelled"))
        return li
    if spec.protocol == "TLS" and spec.tls_mode == "Terminate":
        li.caveats.append(f"listener {label}: TLS listener in Terminate mode (TLSRouteModeTerminate is "
                          "Extended and provisional)")
    if spec.allowed_kinds is None:
        li.kinds = frozenset(compatible)
    else:
        ok = [k for g, k in spec.allowed_kinds if g == GW_GROUP and k in compatible]
        bad = [f"{g}/{k}" for g, k in spec.allowed_kinds if not (g == GW_GROUP and k in compatible)]
        li.kinds = frozenset(ok)
        if bad:
            li.conditions.append(Condition("ResolvedRefs", "False", "InvalidRouteKinds",
                                           f"kinds {', '.join(bad)} cannot attach to a {spec.protocol} listener"))
    return li


def _decide_conflicts(rt: GatewayRuntime) -> None:
    families: dict[int, str] = {}
    seen: dict[tuple[int, str, str | None], Listener] = {}
    for li in rt.listeners:
        if not li.accepted:
            continue
        fam = FAMILY[li.protocol]
        from_gateway = li.spec.owner_kind == "Gateway"
        if li.port in families and families[li.port] != fam:
            _conflict(li, "ProtocolConflict", f"port {li.port} is already used by another protocol family")
            if from_gateway:
                for other in rt.listeners:
                    if other is not li and other.port == li.port and other.spec.owner_kind == "Gateway" \
                            and FAMILY.get(other.protocol) != fam and other.accepted:
                        _conflict(other, "ProtocolConflict", f"port {li.port} is also used by listener {li.label}")
            continue
        families.setdefault(li.port, fam)
        key = (li.port, fam, None if fam in ("tcp", "udp") else li.hostname)
        if key in seen:
            first = seen[key]
            _conflict(li, "HostnameConflict", f"listener {first.label} already serves port {li.port} "
                                              f"hostname {li.hostname or '(any)'}")
            if from_gateway and first.spec.owner_kind == "Gateway":
                _conflict(first, "HostnameConflict", f"listener {li.label} serves the same port and hostname")
            continue
        seen[key] = li


def _conflict(li: Listener, reason: str, message: str) -> None:
    li.accepted = False
    li.conditions.append(Condition("Conflicted", "True", reason, message))


# ---------------------------------------------------------------------------------------------
# Route attachment


@dataclass
class Attachment:
    """A route attached to one listener, with the hostnames it serves there."""

    route: RouteSpec
    listener: Listener
    hostnames: list[str | None]


def attach_route(route: RouteSpec, pref: ParentRefSpec, runtimes: dict[tuple[str, str], GatewayRuntime],
                 ls_listeners: dict[tuple[str, str], tuple[GatewayRuntime, list[Listener]]],
                 namespaces: Namespaces) -> tuple[list[Attachment], Condition]:
    """Attach `route` through one parentRef: the attachments and the route's Accepted condition."""
    parent_label = f"{pref.kind} {pref.namespace}/{pref.name}"
    if pref.group != GW_GROUP or pref.kind not in ("Gateway", "ListenerSet", "XListenerSet"):
        return [], Condition("Accepted", "False", "UnsupportedValue",
                             f"parent {pref.group}/{pref.kind} is not modelled (only Gateway and ListenerSet)")
    if pref.kind == "Gateway":
        rt = runtimes.get((pref.namespace, pref.name))
        if rt is None:
            return [], Condition("Accepted", "False", "NoMatchingParent", f"{parent_label} is not in the input")
        # a Gateway parentRef reaches only the Gateway's own listeners, not its ListenerSets'
        candidates = rt.own_listeners(pref.section_name)
    else:
        found = ls_listeners.get((pref.namespace, pref.name))
        if found is None:
            return [], Condition("Accepted", "False", "NoMatchingParent",
                                 f"{parent_label} is not in the input or not attached to its Gateway")
        candidates = found[1]
        if pref.section_name is not None:
            candidates = [li for li in candidates if li.spec.name == pref.section_name]
    if pref.port is not None:
        candidates = [li for li in candidates if li.port == pref.port]
    if not candidates:
        want = " and ".join(x for x in (f"sectionName {pref.section_name}" if pref.section_name else "",
                                        f"port {pref.port}" if pref.port else "") if x)
        return [], Condition("Accepted", "False", "NoMatchingParent", f"{parent_label} has no listener with {want}")
    allowed = []
    for li in candidates:
        if route.kind not in li.kinds:
            continue
        s = li.spec
        if s.allowed_from == "All":
            ok = True
        elif s.allowed_from == "Same":
            ok = route.namespace == s.owner_ns
        elif s.allowed_from == "Selector":
            ok = _selected(s.allowed_selector, route.namespace, namespaces, li.caveats,
                           f"listener {li.label} allowedRoutes selector")
        else:
            ok = False
        if ok:
            allowed.append(li)
    if not allowed:
        return [], Condition("Accepted", "False", "NotAllowedByListeners",
                             f"no listener of {parent_label} allows {route.kind} from namespace {route.namespace}")
    attachments = []
    for li in allowed:
        hosts = intersect_hostnames(li.hostname, route.hostnames)
        if hosts:
            attachments.append(Attachment(route, li, hosts))
    if not attachments:
        return [], Condition("Accepted", "False", "NoMatchingListenerHostname",
                             f"no hostname of {route.label()} intersects a listener hostname of {parent_label}")
    live = [a for a in attachments if a.listener.accepted]
    if not live:
        return [], Condition("Accepted", "False", "NoMatchingParent",
                             f"the matching listeners of {parent_label} are not accepted (conflicted)")
    return live, Condition("Accepted", "True", "Accepted")
