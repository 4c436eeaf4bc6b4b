"""The traffic-equivalence check: the same probes through the old and the new configuration.

For every IngressClass the translation handled, the Ingresses go through a model of their
controller (`simulate.nginx`), the Gateway API objects through the Gateway API model
(`simulate.gateway`), and each probe's answers are compared (`simulate.compare`). A difference
is *explained* only when findings of the translation predicted every field that differs, for
that request (`verify_explain`, the predictions declared in `data/codes-*.yaml`); otherwise it is
*unexplained*: a translator bug, a hand edit or a missing finding. It is *unverified* when
behaviour a simulator does not model can change exactly the fields that differ.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Sequence

from ing2gw.findings import Finding, Severity
from ing2gw.load import Manifest
from ing2gw.origin import GENERATED
from ing2gw.simulate import build_router
from ing2gw.simulate.compare import Difference, compare
from ing2gw.simulate.tls_probes import CONFIGMAP_KEYS as TLS_CONFIGMAP_KEYS, tls_probes
from ing2gw.simulate.probes import Forwarded, iter_probes
from ing2gw.simulate.request import Answer, ClusterContext, Request, depends_on_access
from ing2gw.equivalence.explain import (FindingIndex, KnownHosts, Probe, explain, host_of, subject_key,
                                        undecided, unverified)

#: the ingress-nginx ConfigMap keys whose address lists cover every host (probed on each)
GLOBAL_LIST_KEYS = ("whitelist-source-range", "denylist-source-range")

SOURCE_ANNOTATION = "ing2gw.io/source-ingress"
CLASS_ANNOTATION = "ing2gw.io/ingress-class"


@dataclass
class Record:
    """One probe whose answers differ."""

    request: Request
    old: Answer
    new: Answer
    differences: list[Difference]
    explained_by: list[str]
    unverified: bool
    #: the differing fields no finding predicted (empty when explained)
    unexplained_fields: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"request": self.request.describe(), "old": _brief(self.old), "new": _brief(self.new),
                "differences": [d.to_dict() for d in self.differences], "explained_by": self.explained_by,
                **({"unexplained_fields": self.unexplained_fields} if self.unexplained_fields else {}),
                **({"unverified": True} if self.unverified else {})}


def describe_answer(a: Answer) -> str:
    """One line for a simulated answer: `308 -> URL`, `200 ns/svc:port path /x`, `no response (why)`."""
    if a.redirect is not None:
        return f"{a.redirect.status} -> {a.redirect.location}"
    if a.status == 0:
        return f"no response ({a.generated_by or 'connection failed'})"
    if a.backend is not None:
        s = f"{a.status} {a.backend}"
        if len(a.backends) > 1:
            s += " (" + ", ".join(f"{x.weight:.0%} {x.backend or x.status}" for x in a.backends) + ")"
        if a.upstream_path is not None:
            s += f" path {a.upstream_path}"
        return s
    return f"{a.status}" + (f" ({a.generated_by})" if a.generated_by else "")


def _brief(a: Answer) -> dict[str, Any]:
    d = a.to_dict()
    keep = ("status", "backend", "backends", "redirect", "upstream_path", "upstream_host", "generated_by",
            "decided_by", "unmodelled")
    out = {k: d[k] for k in keep if d.get(k) not in (None, [], {})}
    if len(a.backends) <= 1:
        out.pop("backends", None)
    return out


@dataclass
class VerifyResult:
    probes: int = 0
    equivalent: int = 0
    explained: int = 0
    unexplained: int = 0
    unverified: int = 0
    #: every unexplained difference, and up to `keep` examples of each other cause
    differences: list[Record] = field(default_factory=list)
    seconds: float = 0.0
    groups: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: cause (the explaining codes, or ("UNEXPLAINED",) / ("UNVERIFIED",)) -> number of probes
    cause_counts: dict[tuple[str, ...], int] = field(default_factory=dict)
    keep: int = 50

    def add(self, rec: Record) -> None:
        """Count a differing probe; keep it unless its cause already has enough examples."""
        cause = _cause(rec)
        n = self.cause_counts.get(cause, 0)
        self.count(cause)
        if cause == ("UNEXPLAINED",) or n < self.keep:
            self.differences.append(rec)

    def count(self, cause: tuple[str, ...], n: int = 1) -> None:
        """Count `n` differing probes of `cause` without keeping them (`add` would not keep them:
        their cause had `keep` examples already)."""
        if cause == ("UNEXPLAINED",):
            self.unexplained += n
        elif cause == ("UNVERIFIED",):
            self.unverified += n
        else:
            self.explained += n
        self.cause_counts[cause] = self.cause_counts.get(cause, 0) + n

    def absorb(self, other: "VerifyResult") -> None:
        """Add another check's counts and records (one check per controller of the input)."""
        self.probes += other.probes
        self.equivalent += other.equivalent
        self.explained += other.explained
        self.unexplained += other.unexplained
        self.unverified += other.unverified
        self.differences += other.differences
        self.seconds += other.seconds
        self.groups += other.groups
        self.notes += [n for n in other.notes if n not in self.notes]
        for cause, n in other.cause_counts.items():
            self.cause_counts[cause] = self.cause_counts.get(cause, 0) + n

    def causes(self) -> list[tuple[tuple[str, ...], int, list[Record]]]:
        """(cause, count, kept examples), unexplained first, then unverified, then by codes."""
        kept: dict[tuple[str, ...], list[Record]] = {}
        for r in self.differences:
            kept.setdefault(_cause(r), []).append(r)
        order = sorted(self.cause_counts, key=lambda k: (k != ("UNEXPLAINED",), k != ("UNVERIFIED",), k))
        return [(k, self.cause_counts[k], kept.get(k, [])) for k in order]

    def to_dict(self, limit: int | None = None) -> dict[str, Any]:
        diffs = self.differences if limit is None else self.differences[:limit]
        d: dict[str, Any] = {"probes": self.probes, "equivalent": self.equivalent, "explained": self.explained,
                             "unexplained": self.unexplained, "unverified": self.unverified,
                             "differences": [r.to_dict() for r in diffs],
                             "causes": [{"explained_by": list(k) if k[0] not in ("UNEXPLAINED", "UNVERIFIED") else [],
                                         "cause": k[0].lower() if k[0] in ("UNEXPLAINED", "UNVERIFIED") else "explained",
                                         "count": n} for k, n, _ in self.causes()]}
        if self.notes:
            d["notes"] = list(self.notes)
        return d

    @property
    def ok(self) -> bool:
        return self.unexplained == 0


# -- running ---------------------------------------------------------------------------------


def _cluster_findings(new: Sequence[Manifest], ctx: ClusterContext) -> list[Finding]:
    """Differences the cluster facts cause, not the translation: a listener's certificate Secret
    that the context says is missing or invalid (ingress-nginx then serves its default
    certificate; the Gateway refuses the listener)."""
    out = []
    for m in new:
        if m.kind != "Gateway":
            continue
        for lst in (m.obj.get("spec") or {}).get("listeners") or []:
            tls = lst.get("tls") or {}
            for ref in tls.get("certificateRefs") or []:
                ns = ref.get("namespace") or m.namespace
                fact = ctx.secret(ns, ref.get("name", ""))
                if fact is None or fact.invalid:
                    out.append(Finding(Severity.INFO, "ING2GW-VERIFY-001",
                                       f"Secret {ns}/{ref.get('name')} is {'invalid' if fact else 'missing'} in the "
                                       "cluster context: ingress-nginx serves its default certificate, the Gateway "
                                       f"listener {lst.get('name')} refuses TLS",
                                       subject=f"Gateway {m.namespace}/{m.name}",
                                       details=(("hosts", str(lst.get("hostname") or "")),)))
    names = {f"{m.namespace}/{m.name}" for m in new if m.kind == "Service"}
    missing: set[str] = set()
    #: Services without ready endpoints, and every Service their routes also send traffic to
    idle: set[str] = set()
    partners: set[str] = set()
    for m in new:
        if m.kind not in ("HTTPRoute", "GRPCRoute"):
            continue
        route_services: set[str] = set()
        route_idle = False
        for rule in (m.obj.get("spec") or {}).get("rules") or []:
            for ref in rule.get("backendRefs") or []:
                if ref.get("kind", "Service") != "Service" or ref.get("group", "") != "":
                    continue
                ns = ref.get("namespace") or m.namespace
                key = f"{ns}/{ref.get('name')}"
                route_services.add(key)
                ready = ctx.ready_endpoints(ns, ref.get("name", ""), key in names)
                if ready is None:
                    missing.add(key)
                elif ready == 0:
                    idle.add(key)
                    route_idle = True
        if route_idle:
            partners |= route_services
    if idle:
        out.append(Finding(Severity.INFO, "ING2GW-VERIFY-004",
                           f"Service(s) without ready endpoints in the cluster context: {', '.join(sorted(idle))}",
                           details=(("services", ",".join(sorted(idle | partners))),)))
    if missing:
        out.append(Finding(Severity.INFO, "ING2GW-VERIFY-002",
                           f"Service(s) missing in the cluster context: {', '.join(sorted(missing))}; ingress-nginx "
                           "answers 503 for them, a Gateway 500", details=(("services", ",".join(sorted(missing))),)))
    return out


def _gateway_index(new: Sequence[Manifest]) -> list[tuple[str, str | None, list[str | None]]]:
    """(namespace/name, ingress class annotation, listener hostnames) per Gateway; the hostnames
    of a ListenerSet's listeners count for the Gateway it attaches to (its parentRef)."""
    out = []
    via_sets: dict[str, list[str | None]] = {}
    for m in new:
        if m.kind == "ListenerSet":
            parent = (m.obj.get("spec") or {}).get("parentRef") or {}
            key = f"{parent.get('namespace') or m.namespace}/{parent.get('name')}"
            via_sets.setdefault(key, []).extend(
                l.get("hostname") for l in (m.obj.get("spec") or {}).get("listeners") or [] if isinstance(l, dict))
    for m in new:
        if m.kind == "Gateway":
            anns = (m.obj.get("metadata") or {}).get("annotations") or {}
            hosts = [l.get("hostname") for l in (m.obj.get("spec") or {}).get("listeners") or [] if isinstance(l, dict)]
            key = f"{m.namespace}/{m.name}"
            out.append((key, anns.get(CLASS_ANNOTATION), hosts + via_sets.get(key, [])))
    return out


class GatewayPicker:
    """The Gateway a request for a host reaches: DNS points each host at the Gateway holding its
    listener (exact hostname, else the longest wildcard, else one without hostname). Gateways
    annotated with the Ingress class come first. Indexed once: hosts are looked up, not scanned."""

    def __init__(self, gateways: list[tuple[str, str | None, list[str | None]]], class_name: str | None) -> None:
        mine = [g for g in gateways if g[1] is not None and class_name in (g[1] or "").split(",")]
        if not mine:
            # Gateways without the class annotation (hand-written) may be anyone's; when every
            # Gateway names other classes, this class has none: its requests reach no Gateway
            mine = [g for g in gateways if g[1] is None]
        #: the class has no Gateway of its own (nothing of it was translated): see `no_gateway`
        self.none = not mine and class_name is not None
        self.default = mine[0][0] if mine else None
        self.exact: dict[str, str] = {}
        self.wild: dict[str, str] = {}
        self.catch_all: str | None = None
        for name, _, hosts in mine:
            for h in hosts:
                if h is None:
                    self.catch_all = self.catch_all or name
                elif h.startswith("*."):
                    self.wild.setdefault(h[1:], name)
                else:
                    self.exact.setdefault(h, name)
        self.cache: dict[str, str | None] = {}

    def __call__(self, host: str) -> str | None:
        if host in self.cache:
            return self.cache[host]
        found = self.exact.get(host)
        if found is None:
            labels = host.split(".")
            for i in range(1, len(labels)):
                found = self.wild.get("." + ".".join(labels[i:]))
                if found is not None:
                    break
        if found is None:
            found = self.catch_all or self.default
        self.cache[host] = found
        return found


def no_gateway(request: Request, old: Answer) -> Answer:
    """The answer for a request of a class without a Gateway (none of its Ingresses was
    translated): no route. When the old side served nothing either (a 404 without backend, or no
    HTTP answer at all, e.g. a failed TLS handshake) that is the same "not served"; anything else
    the old side answered (a backend, a redirect, its own 200) is compared with a 404."""
    note = (f"no Gateway serves the class of this request's Ingresses ({request.describe()})",)
    if old.status in (0, 404) and old.backend is None and old.redirect is None:
        return Answer(status=old.status, generated_by="no-gateway", notes=note)
    return Answer(status=404, generated_by="no-gateway", notes=note)


def pick_gateway(gateways: list[tuple[str, str | None, list[str | None]]], host: str, class_name: str | None) -> str | None:
    """One-off form of GatewayPicker."""
    return GatewayPicker(gateways, class_name)(host)


def run_check(old: Sequence[Manifest], new: Sequence[Manifest], findings: Sequence[Finding], *,
              controller: str = "ingress-nginx", class_groups: dict[str, list[str]] | None = None,
              default_class: str | None = None, context: ClusterContext | None = None,
              configmap_flags: Sequence[str] = (), extra_probes: Sequence[Request] = (),
              observe: Callable[[Request, Answer, Answer], None] | None = None,
              workers: int | None = None) -> VerifyResult:
    """Compare `old` (Ingress side) and `new` (Gateway API side) on generated probes.

    `class_groups` maps an IngressClass to the keys of its Ingresses (as the translation grouped
    them); each group is checked against the Gateway(s) of its class. `observe`, when given, sees
    every probe with both answers (tests use it to look at equal answers too). `workers`: 1 runs
    every probe in this process, 2 splits a group's batches with a forked process (the result is
    the same, record for record); None decides by the machine and the group's size
    (`_processes`).
    """
    start = time.perf_counter()
    result = VerifyResult()
    ctx = context or ClusterContext()
    ingresses = [m for m in old if m.kind == "Ingress"]
    support = [m for m in old if m.kind != "Ingress"]
    if class_groups is None:
        class_groups = {default_class or "nginx": [f"{m.namespace or 'default'}/{m.name}" for m in ingresses]}
    routes = [m for m in new if m.kind in ("HTTPRoute", "GRPCRoute", "TLSRoute")]
    route_source = {f"{m.kind} {m.namespace}/{m.name}":
                    ((m.obj.get("metadata") or {}).get("annotations") or {}).get(SOURCE_ANNOTATION) for m in routes}
    gateways = _gateway_index(new)
    if not gateways:
        result.notes.append("the Gateway API side has no Gateway: nothing to compare")
        result.seconds = time.perf_counter() - start
        return result
    # the Services are the cluster's, on both sides: the Gateway API model reads their type
    # (an ExternalName backendRef is implementation-specific) and ports
    given = {(n.namespace, n.name) for n in new if n.kind == "Service"}
    services = [m for m in old if m.kind == "Service" and (m.namespace, m.name) not in given]
    new_router = build_router("gateway", None, [*new, *services], ctx)
    findings = list(findings) + _cluster_findings(new, ctx)
    for class_name, keys in sorted(class_groups.items()):
        wanted = set(keys)
        group_ings = [m for m in ingresses if f"{m.namespace or 'default'}/{m.name}" in wanted]
        if not group_ings and not any(k.startswith("IngressRoute/") for k in wanted):
            continue
        result.groups.append(class_name)
        flags = [f"--ingress-class={class_name}", "--watch-ingress-without-class=true", *configmap_flags]
        # every other field (another controller's setup) carries over unchanged
        group_ctx = dataclasses.replace(ctx, nginx_flags=tuple(flags) + tuple(ctx.nginx_flags))
        old_router = build_router("ingress", controller, [*support, *group_ings], group_ctx)
        group_routes = [m for m in routes if route_source.get(f"{m.kind} {m.namespace}/{m.name}") in wanted
                        or route_source.get(f"{m.kind} {m.namespace}/{m.name}") is None]
        # Traefik IngressRoutes: their hosts and paths seed probes as an Ingress's would, so a
        # Gateway side that lost a route is still probed where the old one answered
        seeds = group_ings + _ingress_route_seeds(support, wanted)
        # the Services too: a Service's annotations can route (HAProxy's route-acl)
        seeds += [m for m in support if m.kind == "Service"]
        # Traefik Middlewares and IngressRoutes: an ipAllowList's ranges seed client-address probes
        seeds += [m for m in support if m.kind == "Middleware" or m.kind == "IngressRoute"
                  and f"IngressRoute/{m.namespace or 'default'}/{m.name}" in wanted]
        # Traefik TLSOptions and HAProxy's ConfigMap: clientAuth / client-ca seed probes without a
        # client certificate, src-ip-header forwarded-address probes (simulate.source_probes)
        seeds += [m for m in support if m.kind == "TLSOption" or m.kind == "ConfigMap" and controller == "haproxy"]
        # a generator: the probes are made, run, compared and dropped a batch at a time
        global_lists = [v for k, v in sorted(ctx.nginx_configmap.items())
                        if k in GLOBAL_LIST_KEYS] if controller == "ingress-nginx" else []

        forwarded = _forwarded(group_ctx) if controller == "ingress-nginx" else None

        # the listener's TLS versions and suites, where the ConfigMap or an annotation restricts them
        tls_keys = {k: v for k, v in ctx.nginx_configmap.items() if k in TLS_CONFIGMAP_KEYS} \
            if controller == "ingress-nginx" else {}

        def make_probes(seeds: list[Manifest] = seeds, group_routes: list[Manifest] = group_routes,
                        global_lists: list[str] = global_lists,
                        forwarded: Forwarded | None = forwarded,
                        tls_keys: dict[str, str] = tls_keys) -> Iterable[Request]:
            return itertools.chain(iter_probes(seeds, group_routes, global_lists=global_lists, forwarded=forwarded),
                                   tls_probes(seeds if controller == "ingress-nginx" else [], tls_keys))

        probes: Iterable[Request] = make_probes()
        if extra_probes:  # the set of every probe's description is ~40 MB at 10,000 Ingresses: only when needed
            listed = list(probes)
            seen = {r.describe() for r in listed}
            probes = listed + [r for r in extra_probes if r.describe() not in seen]
        relevant = FindingIndex([f for f in findings if subject_key(f) in wanted or not f.subject.startswith("Ingress ")])
        job = _Job(old_router, new_router, GatewayPicker(gateways, class_name), relevant, route_source,
                   KnownHosts(_rule_hosts(group_ings)), observe)
        if _processes(workers, len(seeds), observe) > 1 and not extra_probes:
            outcomes: Iterable[_Outcome] = _evaluate_in_two(job, make_probes, result.keep)
        else:
            outcomes = (_condense(eq, records, {}, None) for eq, records in _evaluate(job, probes))
        for outcome in outcomes:
            result.probes += outcome.probes
            result.equivalent += outcome.equivalent
            for _, rec in outcome.kept:
                result.add(rec)
            for cause, n in outcome.dropped.items():
                result.count(cause, n)
    # unexplained first, then by request
    result.differences.sort(key=lambda r: (bool(r.explained_by), r.unverified, r.request.describe()))
    result.seconds = time.perf_counter() - start
    return result


@dataclass
class _Job:
    """Everything a probe needs, built once (and shared with forked workers copy-on-write)."""

    old_router: Any
    new_router: Any
    pick: GatewayPicker
    findings: FindingIndex
    route_source: dict[str, str | None]
    known: KnownHosts
    observe: Callable[[Request, Answer, Answer], None] | None = None

    def run(self, probes: Sequence[Request]) -> tuple[int, list[Record]]:
        equivalent = 0
        records = []
        for req in probes:
            host = host_of(req)
            gw = self.pick(host)
            o = self.old_router.route(req)
            if self.pick.none:
                n = no_gateway(req, o)
            else:
                n = self.new_router.route(req, gateway=gw) if gw else self.new_router.route(req)
            if self.observe is not None:
                self.observe(req, o, n)
            diffs = compare(o, n, req)
            if not diffs:
                if undecided(o, n) or (o.unmodelled and depends_on_access(o)):
                    # the same answers, but one side's is not known (an ExternalName backendRef), or
                    # the old one holds only for clients the controller's access settings let
                    # through: unverified, never equivalent
                    records.append(Record(req, o, n, [], [], True))
                    continue
                equivalent += 1
                continue
            decided = dict(o.decided_by)
            involved = {decided.get("ingress") or ""}
            if decided.get("ingressroute"):
                involved.add("IngressRoute/" + decided["ingressroute"])
            src = self.route_source.get(dict(n.decided_by).get("route", ""))
            if src:
                involved.add(src)
            involved.discard("")
            probe = Probe(req, o, n, diffs, host, involved, self.known)
            codes, missing = explain(probe, self.findings)
            records.append(Record(req, o, n, diffs, codes, unverified(probe, missing), missing))
        return equivalent, records


_MATCHER = re.compile(r"(Host|PathPrefix|Path)\(\s*[`\"]([^`\"]*)[`\"]")


def _ingress_route_seeds(support: Sequence[Manifest], wanted: set[str]) -> list[Manifest]:
    """Stand-in Ingresses with the hosts and paths named in the match rules of the IngressRoutes
    in `wanted` (`IngressRoute/ns/name`), for the probe generator only."""
    out: list[Manifest] = []
    for m in support:
        if m.kind != "IngressRoute" or f"IngressRoute/{m.namespace or 'default'}/{m.name}" not in wanted:
            continue
        hosts: list[str] = []
        paths: list[dict[str, Any]] = []
        for route in ((m.obj.get("spec") or {}).get("routes") or []):
            for name, value in _MATCHER.findall(str((route or {}).get("match") or "")):
                if name == "Host":
                    hosts.append(value)
                elif value.startswith("/"):
                    paths.append({"path": value, "pathType": "Exact" if name == "Path" else "Prefix",
                                  "backend": {"service": {"name": "probe-seed", "port": {"number": 80}}}})
        rules = [{"host": h, "http": {"paths": paths or [{"path": "/", "pathType": "Prefix", "backend": {
            "service": {"name": "probe-seed", "port": {"number": 80}}}}]}} for h in dict.fromkeys(hosts)]
        out.append(Manifest({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                             "metadata": {"name": m.name, "namespace": m.namespace or "default"},
                             "spec": {"rules": rules or [{"http": {"paths": paths}}]}}, m.origin))
    return out


def _forwarded(ctx: ClusterContext) -> Forwarded | None:
    """The header ingress-nginx takes the client address from, and from which peers (its realip
    module: use-forwarded-headers / enable-real-ip, not the PROXY protocol, which a probe does not
    carry), for the client-address probes; None when nginx uses the connection's address."""
    from ing2gw.simulate.nginx_settings import parse_settings

    real_ip = parse_settings(ctx.nginx_flags, ctx.nginx_configmap).real_ip
    if not real_ip.enabled or real_ip.proxy_protocol or not real_ip.trusted:
        return None
    return Forwarded(real_ip.header, real_ip.trusted)


def _rule_hosts(ingresses: Sequence[Manifest]) -> list[str]:
    """Every host an Ingress rule names (for predictions about hosts no rule names)."""
    out = []
    for m in ingresses:
        for rule in (m.obj.get("spec") or {}).get("rules") or []:
            if isinstance(rule, dict) and isinstance(rule.get("host"), str):
                out.append(rule["host"].strip())
    return out


#: probes run and compared per batch: the records of a batch (every differing probe with its
#: request and both answers) are counted and dropped, all but a few examples per cause, before
#: the next batch runs; run at once, 10,000 Ingresses held ~120,000 of them (~300 MB) together
BATCH = 2048


def _evaluate(job: _Job, probes: Iterable[Request]) -> Iterable[tuple[int, list[Record]]]:
    """Run the probes in this process, in batches and in order (so the examples kept are the same
    as at once); `probes` is consumed a batch at a time, so a generator's probes are never all
    held. Two cores: `_evaluate_in_two`, which sends back only what may still be kept (sending
    every answer back cost more than the second core gave, when that was tried first)."""
    it = iter(probes)
    while batch := list(itertools.islice(it, BATCH)):
        yield job.run(batch)


def _cause(rec: Record) -> tuple[str, ...]:
    """A differing probe's cause: the codes that explain it, or UNVERIFIED / UNEXPLAINED."""
    if rec.explained_by:
        return tuple(rec.explained_by)
    return ("UNVERIFIED",) if rec.unverified else ("UNEXPLAINED",)


@dataclass
class _Outcome:
    """One batch's result, small enough to send between processes: the equivalent probes counted,
    the differing probes whose records may still be kept (with their causes, in order), and how
    many others each cause had. A cause's kept records come before its dropped ones in a batch
    (see `_condense`), and causes do not interact, so counting the dropped after the kept keeps
    exactly what adding every record in order would."""

    equivalent: int
    kept: list[tuple[tuple[str, ...], Record]]
    dropped: dict[tuple[str, ...], int]

    @property
    def probes(self) -> int:
        return self.equivalent + len(self.kept) + sum(self.dropped.values())


def _condense(equivalent: int, records: list[Record], seen: dict[tuple[str, ...], int], keep: int | None) -> _Outcome:
    """The batch's outcome. With `keep`, a record is dropped (only counted) once its cause has had
    `keep` records in the batches `seen` counted so far: VerifyResult.add keeps the first `keep` of
    each cause over all batches in order, and a record that is not among the first `keep` of this
    process's batches cannot be among the first `keep` of all of them, so merging the outcomes in
    batch order keeps exactly what one process would have kept."""
    kept: list[tuple[tuple[str, ...], Record]] = []
    dropped: dict[tuple[str, ...], int] = {}
    for rec in records:
        cause = _cause(rec)
        n = seen.get(cause, 0)
        seen[cause] = n + 1
        if keep is None or cause == ("UNEXPLAINED",) or n < keep:
            kept.append((cause, rec))
        else:
            dropped[cause] = dropped.get(cause, 0) + 1
    return _Outcome(equivalent, kept, dropped)


#: a class group with at least this many seed objects (Ingresses, IngressRoutes, Services) is
#: checked by two processes when the machine has two cores: below it, forking and generating the
#: probes twice cost more than the second core gives
PARALLEL_MIN = 400


def _processes(workers: int | None, seeds: int, observe: object) -> int:
    """How many processes run a group's probes (`observe` needs every answer here: one; so does a
    process with other threads, which a fork would leave behind holding their locks)."""
    import threading

    if observe is not None or not hasattr(os, "fork") or threading.active_count() > 1:
        return 1
    if workers is not None:
        return max(1, min(workers, 2))
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - platforms without affinity
        cpus = os.cpu_count() or 1
    return 2 if cpus >= 2 and seeds >= PARALLEL_MIN else 1


def _evaluate_in_two(job: _Job, make_probes: Callable[[], Iterable[Request]], keep: int) -> list[_Outcome]:
    """The outcomes of every batch, in order, the odd batches run by a forked copy of this process.

    Both processes generate the same probe stream (the fork shares the hash seed, so every set
    iterates alike) and each runs every other batch; the child writes its condensed outcomes to a
    temporary file and exits. If it fails, this process runs its batches too: the answer never
    depends on the second process."""
    import pickle
    import tempfile

    fd, path = tempfile.mkstemp(prefix="ing2gw-check-", suffix=".pickle")
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        code = 1
        try:
            seen: dict[tuple[str, ...], int] = {}
            done = [(i, _condense(*job.run(batch), seen, keep)) for i, batch in _every_other(make_probes(), 1, [])]
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(done, fh, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(fd)
    try:
        seen = {}
        mine: dict[int, _Outcome] = {}
        counted: list[int] = []
        for i, batch in _every_other(make_probes(), 0, counted):
            mine[i] = _condense(*job.run(batch), seen, keep)
        count = counted[0]
        _, status = os.waitpid(pid, 0)
        pid = 0
        theirs: dict[int, _Outcome] = {}
        if status == 0:
            with open(path, "rb") as fh:
                theirs = dict(pickle.load(fh))
        if set(mine) | set(theirs) != set(range(count)):
            # the second process failed: its batches run here, the outcome is the same
            own: dict[tuple[str, ...], int] = {}
            theirs = {i: _condense(*job.run(batch), own, keep) for i, batch in _every_other(make_probes(), 1, [])}
        return [mine[i] if i in mine else theirs[i] for i in range(count)]
    finally:
        if pid:
            try:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            except OSError:
                pass
        os.unlink(path)


def _every_other(probes: Iterable[Request], parity: int, counted: list[int]) -> Iterator[tuple[int, list[Request]]]:
    """(index, batch) of the batches of `probes` whose index has `parity`; the others' probes are
    generated and dropped one by one (never held as a batch). When the stream ends, the number of
    batches is appended to `counted`."""
    it = iter(probes)
    i = 0
    while True:
        if i % 2 == parity:
            batch = list(itertools.islice(it, BATCH))
            if not batch:
                break
            yield i, batch
        else:
            skipped = 0
            for _ in itertools.islice(it, BATCH):
                skipped += 1
            if not skipped:
                break
        i += 1
    counted.append(i)


def manifests_from_objects(objs: Iterable[dict[str, Any]]) -> list[Manifest]:
    """Emitted objects as manifests for the Gateway API router."""
    return [Manifest(o, GENERATED) for o in objs]
