"""Read the Gateway API side of the input into the typed values of `gateway_objects`.

Works on the raw dicts of `Manifest.obj` (the input may use experimental-channel fields), and
validates what the router relies on. What the API server would refuse (a required field missing,
a CEL rule of the v1.6.1 CRDs broken, an enum value that does not exist) is collected as a
`Problem` naming the file, line and object, and raised once as `InputError`: such an object can
never exist in a cluster, so there is nothing to simulate. What the API server accepts but the
router does not model is kept (in `unmodelled` lists) and reported on every answer it affects.

Only the fields the router uses are read; unknown fields are ignored.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, TypeVar, cast

from ing2gw.errors import Problem
from ing2gw.load import Manifest, field_line_at
from ing2gw.simulate.gateway_objects import (GATEWAY_KINDS, GW_GROUP, HTTP_METHODS, REDIRECT_CODES, ROUTE_KINDS,
                                             BackendRefSpec, CorsSpec, FilterSpec, GatewaySpec, GrantSpec, GRPCMatch,
                                             HeaderOps, HTTPMatch, Inventory, ListenerSetSpec, ListenerSpec,
                                             MirrorSpec, ParentRefSpec, PathMatch, PathModifier, RedirectSpec,
                                             RewriteSpec, RouteSpec, RuleSpec, Selector, ServiceSpec, ValueMatch,
                                             age_key, duration_ms)

_HOSTNAME = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_PRECISE_HOSTNAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DURATION = re.compile(r"^([0-9]{1,5}(h|m|s|ms)){1,4}$")
_PATH_CHARS = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$")
#: Python `re` features that RE2 (the dialect most implementations use) does not have.
_NOT_RE2 = re.compile(r"\(\?<?[=!]|\(\?P=|\\[1-9]|\(\?\(|\*\+|\+\+|\?\+")
T = TypeVar("T")


class _Reader:
    """Typed access to one manifest's fields; every problem names the object and field path.

    `memo` is shared by the readers of one input: parts that many objects repeat word for word
    (a filter list, a match, a listener's allowedRoutes) are read once per distinct value, see
    `remembered`."""

    def __init__(self, m: Manifest, problems: list[Problem], memo: dict[tuple[str, str], Any] | None = None) -> None:
        self.m = m
        self.problems = problems
        self.memo: dict[tuple[str, str], Any] = {} if memo is None else memo
        self.kind = m.kind
        md = m.obj.get("metadata")
        self.meta: dict[str, Any] = md if isinstance(md, dict) else {}
        self.name = str(self.meta.get("name") or "")
        self.namespace = str(self.meta.get("namespace") or "default")
        self.what = f"{self.kind} {self.namespace}/{self.name or '<no name>'}"
        if not self.name:
            self.problem("metadata.name", "is required")

    def remembered(self, what: str, raw: Any, read: Callable[[], T], unmodelled: list[str] | None = None) -> T:
        """`read()`, or what it returned for an equal `raw` value of the same kind before.

        A value is remembered only when reading it raised no problem and reported nothing
        unmodelled: those messages name the field path, which differs from object to object.
        What is remembered depends only on the value itself. `repr` tells values apart (True
        from 1, 1 from 1.0 and from "1"), so equal keys mean equal values.
        """
        key = (what, repr(raw))
        if key in self.memo:
            return cast(T, self.memo[key])
        problems, notes = len(self.problems), len(unmodelled) if unmodelled is not None else 0
        value = read()
        if len(self.problems) == problems and (unmodelled is None or len(unmodelled) == notes):
            self.memo[key] = value
        return value

    def problem(self, path: str, message: str) -> None:
        sep = ": " if message[:1].isupper() else " "
        where = f"{path}{sep}" if path else ""
        # the line of the field itself, not of the object: the file is read again, on errors only
        self.problems.append(Problem(self.m.origin.file, field_line_at(self.m.origin, path),
                                     f"{self.what}: {where}{message}"))

    def mapping(self, value: Any, path: str, required: bool = False) -> dict[str, Any]:
        if value is None:
            if required:
                self.problem(path, "is required")
            return {}
        if not isinstance(value, dict):
            self.problem(path, f"must be a mapping, not {type(value).__name__}")
            return {}
        return value

    def seq(self, value: Any, path: str, required: bool = False) -> list[Any]:
        if value is None:
            if required:
                self.problem(path, "is required")
            return []
        if not isinstance(value, list):
            self.problem(path, f"must be a list, not {type(value).__name__}")
            return []
        return value

    def text(self, obj: dict[str, Any], key: str, path: str, required: bool = False,
             default: str | None = None) -> str | None:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                self.problem(f"{path}.{key}", "is required")
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.problem(f"{path}.{key}", f"must be a string, not {type(value).__name__}")
            return default
        return str(value)

    def integer(self, obj: dict[str, Any], key: str, path: str, required: bool = False,
                lo: int | None = None, hi: int | None = None, default: int | None = None) -> int | None:
        value = obj.get(key)
        if value is None:
            if required:
                self.problem(f"{path}.{key}", "is required")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, str) and value.isascii() and value.isdigit():
                value = int(value)
            else:
                self.problem(f"{path}.{key}", f"must be an integer, not {value!r}")
                return default
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            self.problem(f"{path}.{key}", f"must be between {lo} and {hi}, not {value}")
            return default
        return value

    def enum(self, obj: dict[str, Any], key: str, path: str, allowed: Iterable[str], default: str) -> str:
        value = self.text(obj, key, path, default=default)
        allowed = tuple(allowed)
        if value not in allowed:
            self.problem(f"{path}.{key}", f"must be one of {', '.join(allowed)}, not {value!r}")
            return default
        return value

    def hostname(self, value: Any, path: str, wildcard: bool = True) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.problem(path, f"must be a hostname string, not {value!r}")
            return None
        pattern = _HOSTNAME if wildcard else _PRECISE_HOSTNAME
        if len(value) > 253 or not pattern.match(value):
            hint = " (lower-case letters, digits, '-' and '.'" + (", an optional leading '*.')" if wildcard else ")")
            self.problem(path, f"{value!r} is not a valid hostname{hint}")
            return None
        return value

    def regex(self, value: str, path: str, unmodelled: list[str]) -> re.Pattern[str] | None:
        """Compile a RegularExpression value. The model is RE2-like: Python `re`, full match,
        case-sensitive. Patterns Python cannot compile, or that use features RE2 lacks, are
        reported as not modelled (an implementation with another dialect decides)."""
        if _NOT_RE2.search(value):
            unmodelled.append(f"{path}: regular expression {value!r} uses features RE2 does not have; "
                              "implementations differ")
        try:
            return re.compile(value)
        except re.error as exc:
            unmodelled.append(f"{path}: regular expression {value!r} does not compile ({exc}); "
                              "modelled as matching nothing")
            return None


def read_inventory(manifests: Iterable[Manifest]) -> tuple[Inventory, list[Problem]]:
    """Read and validate every object the Gateway API router uses."""
    inv = Inventory()
    problems: list[Problem] = []
    seen: dict[tuple[str, str, str], Manifest] = {}
    memo: dict[tuple[str, str], Any] = {}
    for m in manifests:
        kind, group = m.kind, m.group
        if kind == "Namespace" and group == "":
            md = m.obj.get("metadata")
            labels = md.get("labels") if isinstance(md, dict) else None
            name = m.name
            ns_labels = {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}
            # the API server sets this label on every Namespace
            ns_labels.setdefault("kubernetes.io/metadata.name", name)
            inv.namespaces[name] = ns_labels
            continue
        if kind == "Service" and group == "":
            _read_service(m, inv, problems)
            continue
        if kind == "Secret" and group == "":
            data = m.obj.get("data") or m.obj.get("stringData") or {}
            valid = isinstance(data, dict) and "tls.crt" in data and "tls.key" in data
            inv.secrets[(m.namespace or "default", m.name)] = valid
            continue
        if kind not in GATEWAY_KINDS or group not in (GW_GROUP, "gateway.networking.x-k8s.io"):
            continue
        r = _Reader(m, problems, memo)
        key = (kind, r.namespace, r.name)
        if key in seen:
            first = seen[key]
            r.problem("", f"is defined twice (also at {first.origin}); remove one of them")
            continue
        seen[key] = m
        if kind == "GatewayClass":
            inv.gateway_classes.add(r.name)
        elif kind == "Gateway":
            _read_gateway(r, inv)
        elif kind in ("ListenerSet", "XListenerSet"):
            _read_listener_set(r, inv)
        elif kind in ROUTE_KINDS:
            _read_route(r, inv)
        elif kind in ("TCPRoute", "UDPRoute"):
            inv.other_routes.append((kind, r.namespace, r.name))
        elif kind == "BackendTLSPolicy":
            spec = r.mapping(r.m.obj.get("spec"), "spec", required=True)
            for i, t in enumerate(r.seq(spec.get("targetRefs"), "spec.targetRefs", required=True)):
                t = r.mapping(t, f"spec.targetRefs[{i}]")
                if (t.get("group") or "") == "" and t.get("kind") == "Service" and t.get("name"):
                    inv.backend_tls.setdefault((r.namespace, str(t["name"])), []).append(r.name)
        elif kind == "ReferenceGrant":
            _read_grant(r, inv)
    return inv, problems


def _read_service(m: Manifest, inv: Inventory, problems: list[Problem]) -> None:
    raw = m.obj.get("spec")
    spec: dict[str, Any] = raw if isinstance(raw, dict) else {}
    ports = []
    raw_ports = spec.get("ports")
    for p in raw_ports if isinstance(raw_ports, list) else []:
        if isinstance(p, dict) and isinstance(p.get("port"), int):
            ports.append((p.get("name"), int(p["port"]), p.get("appProtocol")))
    ns = m.namespace or "default"
    external = spec.get("externalName")
    inv.services[(ns, m.name)] = ServiceSpec(ns, m.name, tuple(ports), str(spec.get("type") or "ClusterIP"),
                                             str(external).lower().rstrip(".") if external else None)


def _selector(r: _Reader, value: Any, path: str) -> Selector:
    sel = r.mapping(value, path)
    labels = r.mapping(sel.get("matchLabels"), f"{path}.matchLabels")
    exprs = []
    for i, e in enumerate(r.seq(sel.get("matchExpressions"), f"{path}.matchExpressions")):
        p = f"{path}.matchExpressions[{i}]"
        e = r.mapping(e, p)
        key = r.text(e, "key", p, required=True) or ""
        op = r.enum(e, "operator", p, ("In", "NotIn", "Exists", "DoesNotExist"), "In")
        values = tuple(str(v) for v in r.seq(e.get("values"), f"{p}.values"))
        if op in ("In", "NotIn") and not values:
            r.problem(f"{p}.values", f"must not be empty for operator {op}")
        exprs.append((key, op, values))
    return Selector(tuple((str(k), str(v)) for k, v in labels.items()), tuple(exprs))


def _read_listeners(r: _Reader, raw: Any, path: str, owner_kind: str) -> tuple[ListenerSpec, ...]:
    items = r.seq(raw, path, required=True)
    if raw is not None and isinstance(raw, list) and not items:
        r.problem(path, "must list at least one listener")
    out = []
    names: set[str] = set()
    combos: set[tuple[int, str, str | None]] = set()
    for i, li in enumerate(items):
        p = f"{path}[{i}]"
        li = r.mapping(li, p)
        name = r.text(li, "name", p, required=True) or f"#{i}"
        port = r.integer(li, "port", p, required=True, lo=1, hi=65535)
        protocol = r.text(li, "protocol", p, required=True)
        hostname = r.hostname(li.get("hostname"), f"{p}.hostname")
        if name in names:
            r.problem(f"{p}.name", f"{name!r} is used by two listeners; listener names must be unique")
        names.add(name)
        tls_mode: str | None = None
        certs: list[tuple[str, str, str, str]] = []
        if li.get("tls") is not None:
            tls = r.mapping(li.get("tls"), f"{p}.tls")
            if protocol in ("HTTP", "TCP", "UDP"):
                r.problem(f"{p}.tls", f"must not be set for protocol {protocol}")
            if protocol == "TLS" and not tls.get("mode"):
                r.problem(f"{p}.tls.mode", "must be set for protocol TLS (Terminate or Passthrough)")
            tls_mode = r.enum(tls, "mode", f"{p}.tls", ("Terminate", "Passthrough"), "Terminate")
            if protocol == "HTTPS" and tls_mode != "Terminate":
                r.problem(f"{p}.tls.mode", "must be Terminate for protocol HTTPS")
            for j, c in enumerate(r.seq(tls.get("certificateRefs"), f"{p}.tls.certificateRefs")):
                cp = f"{p}.tls.certificateRefs[{j}]"
                c = r.mapping(c, cp)
                cname = r.text(c, "name", cp, required=True) or ""
                certs.append((r.text(c, "group", cp, default="") or "", r.text(c, "kind", cp, default="Secret") or "Secret",
                              r.text(c, "namespace", cp, default=r.namespace) or r.namespace, cname))
        if protocol in ("TCP", "UDP") and hostname:
            r.problem(f"{p}.hostname", f"must not be set for protocol {protocol}")
        if port is not None and protocol:
            combo = (port, protocol, hostname)
            if combo in combos:
                r.problem(p, f"repeats port {port}, protocol {protocol} and hostname {hostname or '(none)'} "
                             "of another listener; the combination must be unique")
            combos.add(combo)
        raw_ar = li.get("allowedRoutes")
        allowed_from, selector, kinds = r.remembered(
            "allowedRoutes", raw_ar, lambda: _read_allowed_routes(r, raw_ar, f"{p}.allowedRoutes"))
        if port is None or protocol is None:
            continue
        out.append(ListenerSpec(owner_kind, r.namespace, r.name, name, port, protocol, hostname, tls_mode,
                                tuple(certs), allowed_from, selector, kinds, i))
    return tuple(out)


def _read_allowed_routes(r: _Reader, raw: Any,
                         p: str) -> tuple[str, Selector | None, tuple[tuple[str, str], ...] | None]:
    """A listener's allowedRoutes: namespaces.from, its selector, and the kinds (None: by protocol)."""
    ar = r.mapping(raw, p)
    nsm = r.mapping(ar.get("namespaces"), f"{p}.namespaces")
    allowed_from = r.enum(nsm, "from", f"{p}.namespaces", ("Same", "All", "Selector", "None"), "Same")
    selector = None
    if allowed_from == "Selector":
        if nsm.get("selector") is None:
            r.problem(f"{p}.namespaces.selector", "must be set when from is Selector")
        selector = _selector(r, nsm.get("selector"), f"{p}.namespaces.selector")
    kinds: tuple[tuple[str, str], ...] | None = None
    if ar.get("kinds"):
        ks = []
        for j, k in enumerate(r.seq(ar.get("kinds"), f"{p}.kinds")):
            kp = f"{p}.kinds[{j}]"
            k = r.mapping(k, kp)
            ks.append((r.text(k, "group", kp, default=GW_GROUP) or GW_GROUP, r.text(k, "kind", kp, required=True) or ""))
        kinds = tuple(ks)
    return allowed_from, selector, kinds


def _read_gateway(r: _Reader, inv: Inventory) -> None:
    spec = r.mapping(r.m.obj.get("spec"), "spec", required=True)
    class_name = r.text(spec, "gatewayClassName", "spec", required=True) or ""
    listeners = _read_listeners(r, spec.get("listeners"), "spec.listeners", "Gateway")
    al = r.mapping(spec.get("allowedListeners"), "spec.allowedListeners")
    aln = r.mapping(al.get("namespaces"), "spec.allowedListeners.namespaces")
    al_from = r.enum(aln, "from", "spec.allowedListeners.namespaces", ("None", "Same", "All", "Selector"), "None")
    al_sel = _selector(r, aln.get("selector"), "spec.allowedListeners.namespaces.selector") if al_from == "Selector" else None
    unmodelled = []
    tls = r.mapping(spec.get("tls"), "spec.tls")
    frontend = _frontend(tls.get("frontend"))
    if tls.get("backend") is not None:
        unmodelled.append(f"Gateway {r.namespace}/{r.name}: spec.tls.backend (client certificate to backends) "
                          "is not modelled")
    inv.gateways.append(GatewaySpec(r.namespace, r.name, class_name, listeners, al_from, al_sel, r.m.origin,
                                    tuple(unmodelled), frontend))


def _frontend(raw: Any) -> tuple[tuple[int | None, str], ...]:
    """spec.tls.frontend as (port, mode) pairs, the default as port None: a validation's mode
    (AllowValidOnly when unset, the CRD's default), "" where an entry validates nothing. The CRD
    schema (checked by the input validation) keeps the shapes right; anything else is skipped."""
    if not isinstance(raw, dict):
        return ()

    def mode(tls: Any) -> str:
        validation = tls.get("validation") if isinstance(tls, dict) else None
        if not isinstance(validation, dict):
            return ""
        return str(validation.get("mode") or "AllowValidOnly")

    out: list[tuple[int | None, str]] = [(None, mode(raw.get("default")))]
    for entry in raw.get("perPort") or []:
        if isinstance(entry, dict) and isinstance(entry.get("port"), int):
            out.append((entry["port"], mode(entry.get("tls"))))
    return tuple(out)


def _read_listener_set(r: _Reader, inv: Inventory) -> None:
    spec = r.mapping(r.m.obj.get("spec"), "spec", required=True)
    parent = r.mapping(spec.get("parentRef"), "spec.parentRef", required=True)
    pname = r.text(parent, "name", "spec.parentRef", required=True) or ""
    pns = r.text(parent, "namespace", "spec.parentRef", default=r.namespace) or r.namespace
    # an explicit "" is the core group (no Gateway there), not the default
    pgroup = "" if parent.get("group") == "" else r.text(parent, "group", "spec.parentRef", default=GW_GROUP)
    pkind = r.text(parent, "kind", "spec.parentRef", default="Gateway") or "Gateway"
    listeners = _read_listeners(r, spec.get("listeners"), "spec.listeners", "ListenerSet")
    if len(listeners) > 64:
        r.problem("spec.listeners", f"has {len(listeners)} listeners; a ListenerSet holds at most 64")
    inv.listener_sets.append(ListenerSetSpec(r.namespace, r.name, age_key(r.meta.get("creationTimestamp")),
                                             pns, pname, listeners, r.m.origin,
                                             GW_GROUP if pgroup is None else pgroup, pkind))


def _read_grant(r: _Reader, inv: Inventory) -> None:
    spec = r.mapping(r.m.obj.get("spec"), "spec", required=True)
    froms, tos = [], []
    for i, f in enumerate(r.seq(spec.get("from"), "spec.from", required=True)):
        p = f"spec.from[{i}]"
        f = r.mapping(f, p)
        froms.append((r.text(f, "group", p, required=True, default="") or "",
                      r.text(f, "kind", p, required=True) or "", r.text(f, "namespace", p, required=True) or ""))
    for i, t in enumerate(r.seq(spec.get("to"), "spec.to", required=True)):
        p = f"spec.to[{i}]"
        t = r.mapping(t, p)
        # `group: ""` is the core group and is required: the reader sees it as missing, so
        # only a group key that is absent altogether is an error
        if "group" not in t:
            r.problem(f"{p}.group", "is required (\"\" for the core group)")
        tos.append((r.text(t, "group", p, default="") or "", r.text(t, "kind", p, required=True) or "",
                    r.text(t, "name", p)))
    inv.grants.append(GrantSpec(r.namespace, tuple(froms), tuple(tos)))


# ---- routes ----------------------------------------------------------------------------------


def _read_route(r: _Reader, inv: Inventory) -> None:
    spec = r.mapping(r.m.obj.get("spec"), "spec", required=r.kind == "TLSRoute")
    hostnames = []
    for i, h in enumerate(r.seq(spec.get("hostnames"), "spec.hostnames", required=r.kind == "TLSRoute")):
        hn = r.hostname(h, f"spec.hostnames[{i}]")
        if hn:
            hostnames.append(hn)
    parents = []
    for i, pr in enumerate(r.seq(spec.get("parentRefs"), "spec.parentRefs")):
        p = f"spec.parentRefs[{i}]"
        pr = r.mapping(pr, p)
        # `group: ""` (the core group, for a Service parent) must stay empty, not defaulted
        group = GW_GROUP if "group" not in pr else (r.text(pr, "group", p, default="") or "")
        parents.append(ParentRefSpec(
            group=group,
            kind=r.text(pr, "kind", p, default="Gateway") or "Gateway",
            namespace=r.text(pr, "namespace", p, default=r.namespace) or r.namespace,
            name=r.text(pr, "name", p, required=True) or "",
            section_name=r.text(pr, "sectionName", p),
            port=r.integer(pr, "port", p, lo=1, hi=65535)))
    raw_rules = spec.get("rules")
    if raw_rules is None and r.kind == "HTTPRoute":
        # the CRD default: one rule matching every path, with no backends
        raw_rules = [{}]
    if r.kind == "HTTPRoute" and isinstance(raw_rules, list) and not raw_rules:
        r.problem("spec.rules", "must have at least one rule (omit it for the default rule)")
    rules = tuple(_read_rule(r, rule, i) for i, rule in enumerate(r.seq(raw_rules, "spec.rules", required=True)))
    if r.kind == "TLSRoute" and len(rules) != 1 and raw_rules is not None:
        r.problem("spec.rules", f"must have exactly one rule for TLSRoute v1, not {len(rules)}")
    inv.routes.append(RouteSpec(r.kind, r.namespace, r.name, age_key(r.meta.get("creationTimestamp")),
                                tuple(hostnames), tuple(parents), rules, r.m.origin))


def _read_rule(r: _Reader, raw: Any, index: int) -> RuleSpec:
    p = f"spec.rules[{index}]"
    rule = r.mapping(raw, p)
    unmodelled: list[str] = []
    label = f"rule {index}"
    http_matches: list[HTTPMatch] = []
    grpc_matches: list[GRPCMatch] = []
    if r.kind == "HTTPRoute":
        raw_matches = rule.get("matches")
        matches = r.seq(raw_matches, f"{p}.matches") if raw_matches is not None else [{}]
        http_matches = [_read_http_match(r, m, f"{p}.matches[{j}]", unmodelled) for j, m in enumerate(matches)]
        if raw_matches is not None and not matches:
            # `matches: []` matches nothing? The CRD default applies only when omitted; an empty
            # list is kept as written and behaves like the default in every implementation we
            # know of, but the spec does not say so.
            http_matches = [HTTPMatch(PathMatch("PathPrefix", "/"), (), (), None)]
            unmodelled.append(f"{label}: an empty matches list is modelled as matching every request")
    elif r.kind == "GRPCRoute":
        raw_matches = rule.get("matches")
        matches = r.seq(raw_matches, f"{p}.matches") if raw_matches else [{}]
        grpc_matches = [_read_grpc_match(r, m, f"{p}.matches[{j}]", unmodelled) for j, m in enumerate(matches)]
    filters = _read_filters(r, rule.get("filters"), f"{p}.filters", unmodelled, label)
    backends = []
    for j, b in enumerate(r.seq(rule.get("backendRefs"), f"{p}.backendRefs")):
        bp = f"{p}.backendRefs[{j}]"
        b = r.mapping(b, bp)
        ref = _read_backend_ref(r, b, bp)
        bfilters = _read_filters(r, b.get("filters"), f"{bp}.filters", unmodelled, f"{label} backendRef {j}", True)
        backends.append(BackendRefSpec(ref.group, ref.kind, ref.namespace, ref.name, ref.port,
                                       r.integer(b, "weight", bp, lo=0, hi=1_000_000, default=1) or 0,
                                       bfilters))
    types = [f.type for f in filters]
    if "RequestRedirect" in types and backends:
        r.problem(p, "RequestRedirect filter must not be used together with backendRefs")
    every_filter = list(filters) + [f for b in backends for f in b.filters]
    for f in every_filter:
        mod = (f.redirect.path if f.redirect else f.rewrite.path if f.rewrite else None)
        # an omitted `matches` is the default single PathPrefix "/" match, which qualifies
        if mod is not None and mod.type == "ReplacePrefixMatch" and \
                (len(http_matches) != 1 or http_matches[0].path.type != "PathPrefix"):
            r.problem(p, f"When using {f.type} filter with path.replacePrefixMatch, exactly one "
                         "PathPrefix match must be specified")
    timeouts = []
    tmo = r.mapping(rule.get("timeouts"), f"{p}.timeouts")
    for k in ("request", "backendRequest"):
        v = tmo.get(k)
        if v is None:
            continue
        if not isinstance(v, str) or not _DURATION.match(v):
            r.problem(f"{p}.timeouts.{k}", f"{v!r} is not a duration like 500ms, 10s or 1m30s")
            continue
        timeouts.append((k, v))
    tm = dict(timeouts)
    if "request" in tm and "backendRequest" in tm and duration_ms(tm["request"]) and \
            duration_ms(tm["backendRequest"]) > duration_ms(tm["request"]):
        r.problem(f"{p}.timeouts", "backendRequest timeout cannot be longer than request timeout")
    for k, v in timeouts:
        if duration_ms(v):
            unmodelled.append(f"{label}: timeouts.{k} {v} (a slower backend gets 504; latency is not modelled)")
    retry = None
    if rule.get("retry") is not None:
        rt = r.mapping(rule.get("retry"), f"{p}.retry")
        attempts = r.integer(rt, "attempts", f"{p}.retry", lo=1, default=1) or 1
        codes = tuple(int(c) for c in r.seq(rt.get("codes"), f"{p}.retry.codes") if isinstance(c, int))
        if len(set(codes)) != len(codes) or any(c < 400 or c > 599 for c in codes):
            r.problem(f"{p}.retry.codes", "must be unique status codes between 400 and 599")
        retry = (attempts, codes)
        unmodelled.append(f"{label}: retry up to {attempts} time(s) on {', '.join(map(str, codes)) or 'errors'} "
                          "(retries depend on backend answers; not modelled)")
    if rule.get("sessionPersistence") is not None:
        unmodelled.append(f"{label}: sessionPersistence (sticky backend choice; not modelled)")
    name = r.text(rule, "name", p)
    return RuleSpec(index, name, tuple(http_matches), tuple(grpc_matches), tuple(filters), tuple(backends),
                    tuple(timeouts), tuple(unmodelled), retry)


def _read_backend_ref(r: _Reader, b: dict[str, Any], p: str) -> BackendRefSpec:
    group = r.text(b, "group", p, default="") or ""
    kind = r.text(b, "kind", p, default="Service") or "Service"
    name = r.text(b, "name", p, required=True) or ""
    port = r.integer(b, "port", p, lo=1, hi=65535)
    if group == "" and kind == "Service" and port is None and "port" not in b:
        r.problem(p, "Must have port for Service reference (add port: <Service port number>)")
    return BackendRefSpec(group, kind, r.text(b, "namespace", p), name, port, 1)


def _read_value_matches(r: _Reader, raw: Any, p: str, header: bool, unmodelled: list[str]) -> tuple[ValueMatch, ...]:
    out: list[ValueMatch] = []
    seen: set[str] = set()
    exact_names: set[str] = set()
    for j, h in enumerate(r.seq(raw, p)):
        hp = f"{p}[{j}]"
        h = r.mapping(h, hp)
        name = r.text(h, "name", hp, required=True) or ""
        value = r.text(h, "value", hp, required=True) or ""
        typ = r.enum(h, "type", hp, ("Exact", "RegularExpression"), "Exact")
        if name in exact_names:
            r.problem(f"{hp}.name", f"{name!r} is listed twice (names are map keys)")
        exact_names.add(name)
        key = name.lower() if header else name
        if key in seen:
            # "only the first entry with an equivalent name MUST be considered"
            continue
        seen.add(key)
        rx = r.regex(value, f"{hp}.value", unmodelled) if typ == "RegularExpression" else None
        if typ == "RegularExpression" and rx is None:
            rx = re.compile(r"(?!)")  # matches nothing
        out.append(ValueMatch(key, typ, value, rx))
    return tuple(out)


def _read_http_match(r: _Reader, raw: Any, p: str, unmodelled: list[str]) -> HTTPMatch:
    return r.remembered("match", raw, lambda: _read_one_http_match(r, raw, p, unmodelled), unmodelled)


def _read_one_http_match(r: _Reader, raw: Any, p: str, unmodelled: list[str]) -> HTTPMatch:
    m = r.mapping(raw, p)
    path = PathMatch("PathPrefix", "/")
    if m.get("path") is not None:
        pm = r.mapping(m.get("path"), f"{p}.path")
        typ = r.enum(pm, "type", f"{p}.path", ("Exact", "PathPrefix", "RegularExpression"), "PathPrefix")
        value = r.text(pm, "value", f"{p}.path", default="/") or "/"
        if typ in ("Exact", "PathPrefix"):
            if not value.startswith("/"):
                r.problem(f"{p}.path.value", f"{value!r} must be an absolute path and start with '/'")
            for bad in ("//", "/./", "/../", "%2f", "%2F", "#"):
                if bad in value:
                    r.problem(f"{p}.path.value", f"{value!r} must not contain {bad!r}")
            if value.endswith(("/..", "/.")):
                r.problem(f"{p}.path.value", f"{value!r} must not end with '/.' or '/..'")
            if not _PATH_CHARS.match(value):
                r.problem(f"{p}.path.value", f"{value!r} contains characters a path match cannot use")
            path = PathMatch(typ, value)
        else:
            rx = r.regex(value, f"{p}.path.value", unmodelled) or re.compile(r"(?!)")
            path = PathMatch(typ, value, rx)
    method = None
    if m.get("method") is not None:
        method = r.text(m, "method", p)
        if method not in HTTP_METHODS:
            r.problem(f"{p}.method", f"must be one of {', '.join(sorted(HTTP_METHODS))}, not {method!r}")
    return HTTPMatch(path, _read_value_matches(r, m.get("headers"), f"{p}.headers", True, unmodelled),
                     _read_value_matches(r, m.get("queryParams"), f"{p}.queryParams", False, unmodelled),
                     method)


def _read_grpc_match(r: _Reader, raw: Any, p: str, unmodelled: list[str]) -> GRPCMatch:
    m = r.mapping(raw, p)
    meth = r.mapping(m.get("method"), f"{p}.method")
    typ = r.enum(meth, "type", f"{p}.method", ("Exact", "RegularExpression"), "Exact")
    service = r.text(meth, "service", f"{p}.method")
    method = r.text(meth, "method", f"{p}.method")
    if m.get("method") is not None and not service and not method:
        r.problem(f"{p}.method", "needs at least one of service and method")
    srx = mrx = None
    if typ == "RegularExpression":
        srx = r.regex(service, f"{p}.method.service", unmodelled) if service else None
        mrx = r.regex(method, f"{p}.method.method", unmodelled) if method else None
    elif method and not service:
        unmodelled.append(f"{p}.method: Exact method without service is implementation-specific")
    return GRPCMatch(typ, service, method, srx, mrx,
                     _read_value_matches(r, m.get("headers"), f"{p}.headers", True, unmodelled))


_FILTER_FIELDS = {
    "RequestHeaderModifier": "requestHeaderModifier",
    "ResponseHeaderModifier": "responseHeaderModifier",
    "RequestRedirect": "requestRedirect",
    "URLRewrite": "urlRewrite",
    "RequestMirror": "requestMirror",
    "CORS": "cors",
    "ExtensionRef": "extensionRef",
    "ExternalAuth": "externalAuth",
}
_GRPC_FILTERS = ("RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "ExtensionRef")


def _read_filters(r: _Reader, raw: Any, p: str, unmodelled: list[str], label: str,
                  backend_level: bool = False) -> tuple[FilterSpec, ...]:
    if raw is None:
        return ()
    # the allowed filter types depend on the route kind; an ExtensionRef is resolved by the
    # implementation's model at rule level only (gateway_policies)
    return r.remembered(f"filters {r.kind} {backend_level}", raw,
                        lambda: _read_filter_list(r, raw, p, unmodelled, label, backend_level), unmodelled)


def _read_filter_list(r: _Reader, raw: Any, p: str, unmodelled: list[str], label: str,
                      backend_level: bool = False) -> tuple[FilterSpec, ...]:
    out: list[FilterSpec] = []
    allowed = _GRPC_FILTERS if r.kind == "GRPCRoute" else tuple(_FILTER_FIELDS)
    for j, f in enumerate(r.seq(raw, p)):
        fp = f"{p}[{j}]"
        f = r.mapping(f, fp)
        typ = r.text(f, "type", fp, required=True)
        if typ is None:
            continue
        if typ not in allowed:
            r.problem(f"{fp}.type", f"must be one of {', '.join(allowed)}, not {typ!r}")
            continue
        fld = _FILTER_FIELDS[typ]
        for other_type, other in _FILTER_FIELDS.items():
            if other != fld and f.get(other) is not None:
                r.problem(fp, f"filter.{other} must be nil if the filter.type is not {other_type}")
        if f.get(fld) is None:
            r.problem(fp, f"filter.{fld} must be specified for {typ} filter.type")
            continue
        body = r.mapping(f.get(fld), f"{fp}.{fld}")
        bp = f"{fp}.{fld}"
        if typ in ("RequestHeaderModifier", "ResponseHeaderModifier"):
            ops = _read_header_ops(r, body, bp)
            clash = ops.names_in_conflict()
            if clash:
                unmodelled.append(f"{label}: {typ} has several actions for header(s) {', '.join(clash)}; "
                                  "the spec calls this invalid (modelled as set, then add, then remove)")
            out.append(FilterSpec(typ, header_ops=ops))
        elif typ == "RequestRedirect":
            out.append(FilterSpec(typ, redirect=RedirectSpec(
                scheme=r.enum(body, "scheme", bp, ("http", "https"), "") if body.get("scheme") else None,
                hostname=r.hostname(body.get("hostname"), f"{bp}.hostname", wildcard=False),
                port=r.integer(body, "port", bp, lo=1, hi=65535),
                path=_read_path_modifier(r, body.get("path"), f"{bp}.path"),
                status=_redirect_status(r, body, bp))))
        elif typ == "URLRewrite":
            out.append(FilterSpec(typ, rewrite=RewriteSpec(
                hostname=r.hostname(body.get("hostname"), f"{bp}.hostname", wildcard=False),
                path=_read_path_modifier(r, body.get("path"), f"{bp}.path"))))
        elif typ == "RequestMirror":
            mb = r.mapping(body.get("backendRef"), f"{bp}.backendRef", required=True)
            ref = _read_backend_ref(r, mb, f"{bp}.backendRef")
            if body.get("percent") is not None and body.get("fraction") is not None:
                r.problem(bp, "Only one of percent or fraction may be specified in HTTPRequestMirrorFilter")
            fraction = 1.0
            if body.get("percent") is not None:
                fraction = (r.integer(body, "percent", bp, lo=0, hi=100, default=100) or 0) / 100
            elif body.get("fraction") is not None:
                fr = r.mapping(body.get("fraction"), f"{bp}.fraction")
                num = r.integer(fr, "numerator", f"{bp}.fraction", required=True, lo=0, default=0) or 0
                den = r.integer(fr, "denominator", f"{bp}.fraction", lo=1, default=100) or 100
                if num > den:
                    r.problem(f"{bp}.fraction", "numerator must be less than or equal to denominator")
                fraction = num / den
            out.append(FilterSpec(typ, mirror=MirrorSpec(ref, fraction)))
        elif typ == "CORS":
            out.append(FilterSpec(typ, cors=_read_cors(r, body, bp)))
        elif typ == "ExtensionRef":
            # group and kind are required by the CRD; the implementation's model resolves the
            # reference (simulate/gateway_policies); at backendRef level it is not modelled
            name = r.text(body, "name", bp, required=True) or ""
            group = r.text(body, "group", bp, required=True, default="") or ""
            ext_kind = r.text(body, "kind", bp, required=True) or ""
            if backend_level:
                unmodelled.append(f"{label}: ExtensionRef filter {group}/{ext_kind} {name} (implementation-specific; "
                                  "not modelled)")
            out.append(FilterSpec(typ, detail=name, ext=(group, ext_kind, name)))
        else:  # ExternalAuth: the decision is made by the external service
            ext_ref = body.get("backendRef")
            what = str(ext_ref.get("name") if isinstance(ext_ref, dict) else "")
            unmodelled.append(f"{label}: ExternalAuth filter {what}: the external service decides whether the request "
                              "passes (not modelled; modelled as allowed)")
            out.append(FilterSpec(typ, detail=what))
    types = [f.type for f in out]
    for once in ("RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite", "CORS"):
        if types.count(once) > 1:
            r.problem(p, f"{once} filter cannot be repeated")
    if "RequestRedirect" in types and "URLRewrite" in types:
        r.problem(p, "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both")
    return tuple(out)


def _redirect_status(r: _Reader, body: dict[str, Any], p: str) -> int:
    code = r.integer(body, "statusCode", p, default=302) or 302
    if code not in REDIRECT_CODES:
        r.problem(f"{p}.statusCode", f"must be one of 301, 302, 303, 307, 308, not {code}")
        return 302
    return code


def _read_path_modifier(r: _Reader, raw: Any, p: str) -> PathModifier | None:
    if raw is None:
        return None
    pm = r.mapping(raw, p)
    typ = r.enum(pm, "type", p, ("ReplaceFullPath", "ReplacePrefixMatch"), "ReplaceFullPath")
    field_name = "replaceFullPath" if typ == "ReplaceFullPath" else "replacePrefixMatch"
    other = "replacePrefixMatch" if typ == "ReplaceFullPath" else "replaceFullPath"
    if field_name not in pm:
        r.problem(p, f"{field_name} must be specified when type is set to '{typ}'")
    if other in pm:
        r.problem(p, f"type must be '{'ReplacePrefixMatch' if typ == 'ReplaceFullPath' else 'ReplaceFullPath'}' "
                     f"when {other} is set")
    value = pm.get(field_name)
    return PathModifier(typ, "" if value is None else str(value))


def _read_header_ops(r: _Reader, body: dict[str, Any], p: str) -> HeaderOps:
    def pairs(key: str) -> tuple[tuple[str, str], ...]:
        out = []
        for j, h in enumerate(r.seq(body.get(key), f"{p}.{key}")):
            hp = f"{p}.{key}[{j}]"
            h = r.mapping(h, hp)
            out.append((r.text(h, "name", hp, required=True) or "", str(h.get("value", "")) if h.get("value") is not None else ""))
        return tuple(out)

    remove = tuple(str(x) for x in r.seq(body.get("remove"), f"{p}.remove"))
    return HeaderOps(pairs("set"), pairs("add"), remove)


def _read_cors(r: _Reader, body: dict[str, Any], p: str) -> CorsSpec:
    def strings(key: str) -> tuple[str, ...]:
        values = tuple(str(x) for x in r.seq(body.get(key), f"{p}.{key}"))
        if "*" in values and len(values) > 1:
            r.problem(f"{p}.{key}", "cannot contain '*' alongside other values")
        return values

    creds = body.get("allowCredentials")
    if creds is not None and not isinstance(creds, bool):
        r.problem(f"{p}.allowCredentials", f"must be true or false, not {creds!r}")
    return CorsSpec(strings("allowOrigins"), strings("allowMethods"), strings("allowHeaders"),
                    strings("exposeHeaders"), r.integer(body, "maxAge", p, lo=1, default=5) or 5, creds is True)
