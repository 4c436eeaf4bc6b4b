"""Istio policies (security.istio.io/v1 AuthorizationPolicy) for the client address lists and
external authentication (istio_ext_authz: a CUSTOM policy scoped the same way), and
DestinationRules for balancing (istio_destination_rules).

Istio binds an AuthorizationPolicy to a whole Gateway (targetRefs, in the Gateway's namespace),
never to one HTTPRoute, and evaluates it before routing. So each route's lists become one DENY
policy whose rules single out exactly the requests the Gateway routes to that route: its
listener ports, its hostnames, its paths, minus the paths that other routes of the same host
win by Gateway API precedence (a longer prefix or an exact path). A route ing2gw cannot single
out exactly (a regular-expression path, a match on headers, query or method, a wildcard host,
a ListenerSet parent, a tie with another route) gets no policy and its lists stay an error
(ING2GW-CORE-026): never a policy wider or narrower than the Ingress.

Only DENY is used: an ALLOW policy on a Gateway denies every request that no ALLOW rule of any
policy matches, so it would reach every other route. nginx's `deny D; allow A; deny all;`
(deny list first) becomes: deny when the client is in D, or (with an allow list) not in A.

Client address: `remoteIpBlocks`, which Istio derives like nginx's $remote_addr: the peer of
the connection by default (numTrustedProxies 0), the PROXY protocol address when the listener
takes it, and the X-Forwarded-For entry numTrustedProxies hops from the right when the Gateway's
proxy.istio.io/config sets it (as nginx's real_ip with use-forwarded-headers). `ipBlocks` would
keep checking the load balancer's address whatever the Gateway trusts (Istio docs,
reference/config/security/authorization-policy, Source).

Hosts are listed with and without a port (`h`, `h:*`): Istio matches the Host header as sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ing2gw import ir
from ing2gw.emit.targets.carry import carries
from ing2gw.findings import Finding, Severity

API_VERSION = "security.istio.io/v1"
#: ListenerKey -> (kind, namespace, name, sectionName) of the listener's owner (emit.gateway)
Parents = Mapping[ir.ListenerKey, tuple[str, str, str, str]]


class _Inexact(Exception):
    """The route's requests cannot be singled out exactly by an AuthorizationPolicy."""


def _name(base: str, suffix: str) -> str:
    """A metadata.name (DNS subdomain: at most 253 characters, ending in a letter or digit)."""
    return base[:253 - len(suffix)].rstrip("-.") + suffix


@dataclass(frozen=True)
class _Path:
    """A path match of a route rule: Exact or PathPrefix (normalized: no trailing '/')."""

    exact: bool
    value: str

    def patterns(self) -> list[str]:
        if self.exact:
            return [self.value]
        if self.value == "":
            return ["/*"]
        return [self.value, self.value + "/*"]

    def covers(self, other: "_Path") -> bool:
        """Does every path `other` matches also match self (or at least overlap it)?"""
        if self.exact:
            return other.exact and other.value == self.value
        v = other.value
        return self.value == "" or v == self.value or v.startswith(self.value + "/")

    def beaten_by(self, other: "_Path") -> bool:
        """Would a request matching both go to `other` by Gateway API precedence (exact before
        prefix, then the longer prefix)? Raises _Inexact on a tie."""
        if not self.covers(other):
            return False
        if other.exact == self.exact and other.value == self.value:
            raise _Inexact(f"another route matches the same path {self.value or '/'}")
        return other.exact or len(other.value) > len(self.value)


def _path(m: ir.Match) -> _Path:
    if m.headers or m.query or m.method:
        raise _Inexact("a rule matches on headers, query parameters or the method")
    if m.path is None:
        return _Path(False, "")
    if m.path.type == "Exact":
        return _Path(True, m.path.value)
    if m.path.type == "PathPrefix":
        return _Path(False, m.path.value.rstrip("/"))
    raise _Inexact(f"a {m.path.type} path ({m.path.value}) has no Istio path pattern")


def _paths(route: ir.Route) -> list[_Path]:
    out: list[_Path] = []
    for rule in route.rules:
        for m in rule.matches or (ir.Match(),):
            p = _path(m)
            if p not in out:
                out.append(p)
    return out


def _loose_paths(route: ir.Route) -> list[_Path] | None:
    """The paths of a competing route, or None when one of them cannot be expressed."""
    try:
        return _paths(route)
    except _Inexact:
        return None


def _hosts(names: tuple[str, ...]) -> list[str]:
    return [x for h in names for x in (h, f"{h}:*")]


@dataclass
class _Placed:
    route: ir.Route
    name: str
    #: (Gateway namespace, name) -> the route's listeners on it
    gateways: dict[tuple[str, str], list[ir.ListenerKey]]


def _place(route: ir.Route, name: str, parents: Parents) -> _Placed:
    gws: dict[tuple[str, str], list[ir.ListenerKey]] = {}
    for key in route.parents:
        kind, ns, gname, _ = parents[key]
        if kind != "Gateway":
            raise _Inexact(f"the route attaches to a {kind}; an AuthorizationPolicy targets Gateways only")
        gws.setdefault((ns, gname), []).append(key)
    return _Placed(route, name, gws)


def _beaten(path: _Path, rivals: list[ir.Route], always: bool) -> list[_Path]:
    """The rivals' paths that take requests `path` matches: all overlapping ones when `always`
    (a route with a hostname beats one without), else those Gateway API precedence prefers."""
    out: list[_Path] = []
    for rival in rivals:
        ps = _loose_paths(rival)
        if ps is None:
            raise _Inexact("another route of the same host matches by regular expression, headers, query "
                           "parameters or the method")
        for q in ps:
            if always:
                if path.covers(q) or q.covers(path):
                    out.append(q if path.covers(q) else path)
            elif path.beaten_by(q):
                out.append(q)
    return out


def _operations(me: _Placed, gw: tuple[str, str], placed: list[_Placed], parents: Parents
                ) -> list[dict[str, Any]]:
    """The `to` operations matching exactly the requests `me` gets on Gateway `gw`: per listener
    of the route, the listener's port and the hosts that listener takes, the route's paths minus
    those the other routes of that listener win."""
    if any(h.startswith("*") for h in me.route.hostnames):
        raise _Inexact("a wildcard hostname (Istio matches a Host with a port against it literally)")
    mine = _paths(me.route)
    ops: list[dict[str, Any]] = []

    def op(port: int, hosts: list[str] | None, not_hosts: list[str] | None, path: _Path,
           beaten: list[_Path]) -> None:
        o: dict[str, Any] = {}
        if hosts:
            o["hosts"] = hosts
        if not_hosts:
            o["notHosts"] = not_hosts
        o["ports"] = [str(port)]
        o["paths"] = path.patterns()
        excluded = sorted({x for b in beaten for x in b.patterns()})
        if excluded:
            o["notPaths"] = excluded
        ops.append(o)

    for key in me.gateways[gw]:
        rivals = [o.route for o in placed if o is not me and key in o.gateways.get(gw, [])]
        # listeners of the same port with a hostname take their hosts' requests first
        siblings = sorted({k.hostname for k, (kind, ns, name, _) in parents.items()
                           if (ns, name) == gw and kind == "Gateway" and k.port == key.port and k != key
                           and k.hostname is not None})
        if key.hostname is not None and key.hostname.startswith("*"):
            raise _Inexact(f"the route's listener has a wildcard hostname ({key.hostname})")
        if key.hostname is not None:
            names: tuple[str, ...] = (key.hostname,) if not me.route.hostnames or key.hostname in \
                me.route.hostnames else ()
        else:
            if any(h.startswith("*") for h in siblings):
                raise _Inexact("another listener of the same port has a wildcard hostname")
            names = tuple(h for h in me.route.hostnames if h not in siblings)
        if names:
            same = [r for r in rivals if set(r.hostnames) & set(names) or (not r.hostnames and key.hostname)]
            if any(r.hostnames and set(r.hostnames) != set(names) for r in same):
                raise _Inexact("another route shares some of this route's hostnames but not all")
            for p in mine:
                op(key.port, _hosts(names), None, p, _beaten(p, same, False))
            continue
        if me.route.hostnames:
            continue  # every hostname of the route has a listener of its own: none reaches it here
        # a route without hostnames on a listener without hostname: the hosts no other listener
        # takes; on a host another route of this listener names, only the requests none of that
        # host's rules match (a hostname wins over none)
        hosted = sorted({h for r in rivals for h in r.hostnames})
        if any(h.startswith("*") for h in hosted):
            raise _Inexact("another route of the listener has a wildcard hostname")
        unnamed = [r for r in rivals if not r.hostnames]
        for p in mine:
            op(key.port, None, _hosts(tuple(sorted(set(hosted) | set(siblings)))), p, _beaten(p, unnamed, False))
            for h in (h for h in hosted if h not in siblings):
                lost = _beaten(p, [r for r in rivals if h in r.hostnames], True)
                if p in lost:
                    continue  # that host's routes take every request of this path
                op(key.port, _hosts((h,)), None, p, lost + _beaten(p, unnamed, False))
    return ops


def _source_rules(intents: list[ir.Intent], ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """DENY rules for a route's source-range intents (deny list first, as nginx)."""
    actions = [dict(i.params).get("action") for i in intents]
    to = [{"operation": o} for o in ops]
    if "deny-all" in actions:
        return [{"to": to}]  # nginx denies the location: every request of the route
    deny = sorted({c.strip() for i, a in zip(intents, actions) if a == "deny" for c in i.value.split(",") if c.strip()})
    allow = sorted({c.strip() for i, a in zip(intents, actions) if a == "allow" for c in i.value.split(",")
                    if c.strip()})
    rules: list[dict[str, Any]] = []
    if deny:
        rules.append({"from": [{"source": {"remoteIpBlocks": deny}}], "to": to})
    if "allow" in actions:
        if allow:
            rules.append({"from": [{"source": {"notRemoteIpBlocks": allow}}], "to": to})
        else:  # an empty allow list admits nobody (nginx: deny all)
            rules.append({"to": to})
    return rules


def emit_policies(routes: list[tuple[ir.Route, str]], parents: Parents | None = None
                  ) -> tuple[list[dict[str, Any]], set[ir.Intent], list[Finding]]:
    """Per route and Gateway, one DENY AuthorizationPolicy for the address lists and one CUSTOM
    AuthorizationPolicy for external authentication; a DestinationRule per Service for the
    balancing (istio_destination_rules); the intents carried, and what the user must check."""
    from ing2gw.emit.targets.istio_destination_rules import destination_rules
    from ing2gw.emit.targets.istio_ext_authz import custom_policy, lost_finding, written_finding

    objects, consumed, balancing = destination_rules(routes)
    told: dict[tuple[str, str], Finding] = {}
    if parents is None:
        return objects, consumed, balancing
    placed: list[_Placed] = []
    failed: dict[int, str] = {}
    for route, name in routes:
        try:
            placed.append(_place(route, name, parents))
        except _Inexact as exc:
            failed[id(route)] = str(exc)
            placed.append(_Placed(route, name, {}))
    for me in placed:
        if me.route.kind != "HTTPRoute":
            continue
        lists = [i for i in me.route.intents if i.kind == "source-range"] \
            if carries("istio", "client-allow-list") else []
        auth = [i for i in me.route.intents if i.kind == "external-auth" and carries("istio", i.kind, i.params)][:1]
        if not lists and not auth:
            continue
        why = failed.get(id(me.route))
        ops_of: dict[tuple[str, str], list[dict[str, Any]]] = {}
        if why is None:
            try:
                for gw in sorted(me.gateways):
                    ops_of[gw] = _operations(me, gw, placed, parents)
            except _Inexact as exc:
                why = str(exc)
        if auth:
            a = auth[0]
            consumed.add(a)  # written, or reported here with the reason (not again as ING2GW-CORE-026)
            if why is not None:
                told.setdefault((a.source.key, f"inexact auth {me.name}"), lost_finding(a, me.route.namespace,
                                                                                         me.name, why))
            else:
                for gw, ops in ops_of.items():
                    if ops:
                        objects.append(custom_policy(a, me.route, me.name, gw, ops))
                told.setdefault((a.source.key, "external-auth"), written_finding(a, sorted(ops_of)))
        if not lists:
            continue
        i = lists[0]
        consumed.update(lists)  # written, or reported here with the reason (not again as ING2GW-CORE-026)
        if why is not None:
            told.setdefault((i.source.key, f"inexact {me.name}"), Finding(
                Severity.ERROR, "ING2GW-TARGET-021",
                f"istio: the address lists of route {me.route.namespace}/{me.name} are not written: {why}, so an "
                "AuthorizationPolicy on the Gateway cannot single out exactly its requests",
                origin=i.source.origin, subject=f"Ingress {i.source.key}", annotation=i.source.annotation,
                suggestion="split the Ingress so its paths are Exact or Prefix on named hosts, or write the policy "
                           "by hand", security=True))
            continue
        for gw, ops in ops_of.items():
            rules = _source_rules(lists, ops)
            if rules:
                objects.append(_policy(me, gw, rules))
        gws = ", ".join(f"{ns}/{n}" for ns, n in sorted(me.gateways))
        told.setdefault((i.source.key, "source-range"), Finding(
            Severity.WARNING, "ING2GW-TARGET-020",
            f"istio: the address lists are a DENY AuthorizationPolicy on Gateway {gws} (in the Gateway's namespace) "
            "whose rules name this route's ports, hosts and paths; it checks remoteIpBlocks, which is the peer "
            "address unless the Gateway's proxy.istio.io/config sets numTrustedProxies (then X-Forwarded-For)",
            origin=i.source.origin, subject=f"Ingress {i.source.key}", annotation=i.source.annotation,
            suggestion="behind a load balancer set numTrustedProxies as nginx trusted X-Forwarded-For; re-run "
                       "ing2gw when routes of the same hosts change (the policy excludes their paths)",
            security=True))
    return objects, consumed, [told[k] for k in sorted(told)] + balancing


def _policy(me: _Placed, gw: tuple[str, str], rules: list[dict[str, Any]]) -> dict[str, Any]:
    ns, gname = gw
    return {"apiVersion": API_VERSION, "kind": "AuthorizationPolicy",
            "metadata": {"name": _name(f"{me.route.namespace}-{me.name}", "-access"), "namespace": ns,
                         "annotations": {"ing2gw.io/source-ingress": me.route.source.key}},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gname}],
                     "action": "DENY", "rules": rules}}
