"""The traffic-equivalence check: the same probes through the old and the new configuration.

For every IngressClass the translation handled, the Ingresses go through a model of their
controller (`simulate.nginx`), the Gateway API objects through the Gateway API model
(`simulate.gateway`), and each probe's answers are compared (`simulate.compare`). A difference
is *explained* when a finding of the translation predicted it (the wildcard-depth finding
explains a two-label probe under a wildcard, a partly converted annotation explains differences
on its Ingress's routes, ...); otherwise it is *unexplained*: a translator bug or a missing
finding. Answers that depend on behaviour a simulator does not model are *unverified*.
"""

from __future__ import annotations

import functools

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from ing2gw.findings import Finding, Severity
from ing2gw.load import Manifest
from ing2gw.origin import GENERATED
from ing2gw.simulate import build_router
from ing2gw.simulate.compare import Difference, compare, normalise_location
from ing2gw.simulate.probes import generate
from ing2gw.simulate.request import Answer, ClusterContext, Request, depends_on_access

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

    def to_dict(self) -> dict[str, Any]:
        return {"request": self.request.describe(), "old": _brief(self.old), "new": _brief(self.new),
                "differences": [d.to_dict() for d in self.differences], "explained_by": self.explained_by,
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
        if rec.explained_by:
            self.explained += 1
            cause = tuple(rec.explained_by)
        elif rec.unverified:
            self.unverified += 1
            cause = ("UNVERIFIED",)
        else:
            self.unexplained += 1
            cause = ("UNEXPLAINED",)
        n = self.cause_counts.get(cause, 0)
        self.cause_counts[cause] = n + 1
        if cause == ("UNEXPLAINED",) or n < self.keep:
            self.differences.append(rec)

    def causes(self) -> list[tuple[tuple[str, ...], int, list[Record]]]:
        """(cause, count, kept examples), unexplained first, then unverified, then by codes."""
        kept: dict[tuple[str, ...], list[Record]] = {}
        for r in self.differences:
            key = tuple(r.explained_by) if r.explained_by else (("UNVERIFIED",) if r.unverified else ("UNEXPLAINED",))
            kept.setdefault(key, []).append(r)
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


# -- explanations ----------------------------------------------------------------------------


@dataclass
class _Probe:
    request: Request
    old: Answer
    new: Answer
    diffs: list[Difference]
    host: str
    ingresses: set[str]


def _host_of(r: Request) -> str:
    h = (r.host or "").lower()
    if h.startswith("["):
        return h
    return h.rsplit(":", 1)[0].rstrip(".") if ":" in h else h.rstrip(".")


def _subject_key(f: Finding) -> str | None:
    return f.subject[len("Ingress "):] if f.subject.startswith("Ingress ") else None


def _detail(f: Finding, key: str) -> list[str]:
    for k, v in f.details:
        if k == key:
            return [x for x in v.split(",") if x]
    return []


def _only_slash(d: Difference) -> bool:
    if d.field != "redirect.location":
        return False
    o, n = normalise_location(d.old) or "", normalise_location(d.new) or ""
    return o.split("?")[0].rstrip("/") == n.split("?")[0].rstrip("/") and o.split("?")[1:] == n.split("?")[1:]


def _under_wildcard(host: str, wildcard: str) -> bool:
    d = wildcard[2:]
    return host.endswith("." + d) and host[: -len(d) - 1].count(".") >= 1


@functools.lru_cache(maxsize=1 << 16)
def _host_set(f: Finding) -> frozenset[str]:
    return frozenset(_detail(f, "hosts"))


def _on_hosts(f: Finding, p: _Probe) -> bool:
    """The probe's host is one the finding names, or matches one of its wildcards (`*.b.c`
    matches `a.b.c`, one label deeper only). A set lookup: some findings name thousands of hosts."""
    hosts = _host_set(f)
    if not hosts:
        return False
    h = p.host
    if h in hosts:
        return True
    dot = h.find(".")
    return dot >= 0 and "*" + h[dot:] in hosts


def _unknown_host(p: _Probe) -> bool:
    """ingress-nginx served the request from its catch-all server `_`."""
    return dict(p.old.decided_by).get("server") in ("_", None)


def _backend_error(f: Finding, p: _Probe) -> bool:
    """An unresolved backend: the Gateway answers 500 where ingress-nginx proxied or said 503."""
    return _ingress_involved(f, p) and (p.new.status == 500 or p.old.status == 503 or any(
        s.backend is None and s.status == 500 for s in p.new.backends))


def _https_on_hosts(f: Finding, p: _Probe) -> bool:
    return p.request.scheme == "https" and _on_hosts(f, p)


def _ingress_involved(f: Finding, p: _Probe) -> bool:
    key = _subject_key(f)
    return key is not None and key in p.ingresses


Explainer = Callable[[Finding, _Probe], bool]

#: finding code -> when it explains a difference. Codes not listed explain nothing on their own.
EXPLAINERS: dict[str, Explainer] = {
    "ING2GW-CORE-006": lambda f, p: any(_under_wildcard(p.host, w) for w in _detail(f, "wildcard")),
    "ING2GW-CORE-013": _https_on_hosts,
    "ING2GW-CORE-015": _https_on_hosts,
    "ING2GW-CORE-016": lambda f, p: _on_hosts(f, p) and all(_only_slash(d) for d in p.diffs),
    "ING2GW-CORE-018": lambda f, p: p.request.scheme == "https" and p.new.status == 0 and _unknown_host(p),
    "ING2GW-CORE-023": lambda f, p: all(d.field == "response_headers.strict-transport-security" for d in p.diffs)
    and (p.new.generated_by == "no-route" or p.new.redirect is not None),
    "ING2GW-CORE-010": _backend_error,
    "ING2GW-CORE-011": _backend_error,
    "ING2GW-CORE-012": _on_hosts,
    "ING2GW-CORE-008": _ingress_involved,
    "ING2GW-CORE-007": _ingress_involved,
    # regex matching changes which location answers: who answers and with what path
    "ING2GW-NGINX-020": lambda f, p: _on_hosts(f, p) and any(
        d.field in ("status", "backend", "backends", "upstream_path") for d in p.diffs),
    "ING2GW-NGINX-030": lambda f, p: _touches_services(f, p),
    "ING2GW-NGINX-060": lambda f, p: any(k.lower().startswith("x-forwarded-") for k, _ in p.request.headers),
    "ING2GW-CORE-021": lambda f, p: _ingress_involved(f, p) and p.old.status == 503 and p.new.status == 500,
    "ING2GW-CORE-024": lambda f, p: (p.request.host or "").split(":")[0].endswith("."),
    "ING2GW-VERIFY-001": _https_on_hosts,
    "ING2GW-VERIFY-002": lambda f, p: p.old.status == 503 and p.new.status == 500,
}


def _touches_services(f: Finding, p: _Probe) -> bool:
    """The probe's traffic involves one of the Services the finding names (canary merges)."""
    services = set(_detail(f, "services"))
    for a in (p.old, p.new):
        for s in a.backends:
            if s.backend is not None and f"{s.backend.namespace}/{s.backend.name}" in services:
                return True
        if a.backend is not None and f"{a.backend.namespace}/{a.backend.name}" in services:
            return True
    return _ingress_involved(f, p)

#: annotation statuses whose findings explain differences on their Ingress's routes
_LOSSY_STATUS = frozenset({"partial", "policy", "unsupported", "unknown", "invalid"})


class FindingIndex:
    """Findings arranged so that a probe only looks at those that can concern it: the ones of
    the Ingresses involved, the ones naming its host (or a wildcard above it), and the few that
    concern a whole Gateway. Without it the check is O(differences x findings)."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.by_ingress: dict[str, list[Finding]] = {}
        self.by_host: dict[str, list[Finding]] = {}
        self.by_service: dict[str, list[Finding]] = {}
        self.general: list[Finding] = []
        for f in findings:
            hosts = _detail(f, "hosts") + _detail(f, "wildcard")
            for h in hosts:
                self.by_host.setdefault(h, []).append(f)
            services = _detail(f, "services")
            for s in services:
                self.by_service.setdefault(s, []).append(f)
            key = _subject_key(f)
            if key is not None:
                self.by_ingress.setdefault(key, []).append(f)
            elif not hosts and not services:
                self.general.append(f)

    def candidates(self, p: "_Probe") -> list[Finding]:
        out: list[Finding] = list(self.general)
        for key in p.ingresses:
            out += self.by_ingress.get(key, ())
        host = p.host
        out += self.by_host.get(host, ())
        labels = host.split(".")
        for i in range(1, len(labels)):
            out += self.by_host.get("*." + ".".join(labels[i:]), ())
        if self.by_service:
            for a in (p.old, p.new):
                for s in a.backends:
                    if s.backend is not None:
                        out += self.by_service.get(f"{s.backend.namespace}/{s.backend.name}", ())
                if a.backend is not None:
                    out += self.by_service.get(f"{a.backend.namespace}/{a.backend.name}", ())
        return out


def explain(p: _Probe, findings: "Sequence[Finding] | FindingIndex") -> list[str]:
    """The codes of the findings that predicted this difference. Findings whose own explainer
    recognises the difference win; only when none does, the lossy annotation findings of the
    Ingresses involved explain it (they predict *some* change on that Ingress's routes)."""
    specific: list[str] = []
    codes: list[str] = []
    candidates = findings.candidates(p) if isinstance(findings, FindingIndex) else findings
    seen: set[int] = set()
    for f in candidates:
        if id(f) in seen:
            continue
        seen.add(id(f))
        fn = EXPLAINERS.get(f.code)
        if fn is not None:
            if fn(f, p) and f.code not in specific:
                specific.append(f.code)
        elif f.code.startswith("ING2GW-NGINX-") and (f.status in _LOSSY_STATUS or f.severity.value != "info"
                                                     or f.code in _NGINX_INFO_EXPLAIN):
            if _ingress_involved(f, p) and f.code not in codes:
                codes.append(f.code)
    return specific or codes


#: info-level annotation findings that still describe a visible difference
_NGINX_INFO_EXPLAIN = frozenset({"ING2GW-NGINX-023", "ING2GW-NGINX-030", "ING2GW-NGINX-033", "ING2GW-NGINX-040",
                                 "ING2GW-NGINX-045", "ING2GW-NGINX-048", "ING2GW-NGINX-050", "ING2GW-NGINX-054",
                                 "ING2GW-NGINX-055"})


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
    for m in new:
        if m.kind not in ("HTTPRoute", "GRPCRoute"):
            continue
        for rule in (m.obj.get("spec") or {}).get("rules") or []:
            for ref in rule.get("backendRefs") or []:
                if ref.get("kind", "Service") != "Service" or ref.get("group", "") != "":
                    continue
                ns = ref.get("namespace") or m.namespace
                if ctx.ready_endpoints(ns, ref.get("name", ""), f"{ns}/{ref.get('name')}" in names) is None:
                    missing.add(f"{ns}/{ref.get('name')}")
    if missing:
        out.append(Finding(Severity.INFO, "ING2GW-VERIFY-002",
                           f"Service(s) missing in the cluster context: {', '.join(sorted(missing))}; ingress-nginx "
                           "answers 503 for them, a Gateway 500", details=(("missing", ",".join(sorted(missing))),)))
    return out


def _gateway_index(new: Sequence[Manifest]) -> list[tuple[str, str | None, list[str | None]]]:
    """(namespace/name, ingress class annotation, listener hostnames) per Gateway."""
    out = []
    for m in new:
        if m.kind == "Gateway":
            anns = (m.obj.get("metadata") or {}).get("annotations") or {}
            hosts = [l.get("hostname") for l in (m.obj.get("spec") or {}).get("listeners") or [] if isinstance(l, dict)]
            out.append((f"{m.namespace}/{m.name}", anns.get(CLASS_ANNOTATION), hosts))
    return out


class GatewayPicker:
    """The Gateway a request for a host reaches: DNS points each host at the Gateway holding its
    listener (exact hostname, else the longest wildcard, else one without hostname). Gateways
    annotated with the Ingress class come first. Indexed once: hosts are looked up, not scanned."""

    def __init__(self, gateways: list[tuple[str, str | None, list[str | None]]], class_name: str | None) -> None:
        mine = [g for g in gateways if g[1] is not None and class_name in (g[1] or "").split(",")] or gateways
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


def pick_gateway(gateways: list[tuple[str, str | None, list[str | None]]], host: str, class_name: str | None) -> str | None:
    """One-off form of GatewayPicker."""
    return GatewayPicker(gateways, class_name)(host)


def run_check(old: Sequence[Manifest], new: Sequence[Manifest], findings: Sequence[Finding], *,
              controller: str = "ingress-nginx", class_groups: dict[str, list[str]] | None = None,
              default_class: str | None = None, context: ClusterContext | None = None,
              configmap_flags: Sequence[str] = (), extra_probes: Sequence[Request] = ()) -> VerifyResult:
    """Compare `old` (Ingress side) and `new` (Gateway API side) on generated probes.

    `class_groups` maps an IngressClass to the keys of its Ingresses (as the translation grouped
    them); each group is checked against the Gateway(s) of its class.
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
    new_router = build_router("gateway", None, new, ctx)
    findings = list(findings) + _cluster_findings(new, ctx)
    for class_name, keys in sorted(class_groups.items()):
        wanted = set(keys)
        group_ings = [m for m in ingresses if f"{m.namespace or 'default'}/{m.name}" in wanted]
        if not group_ings:
            continue
        result.groups.append(class_name)
        flags = [f"--ingress-class={class_name}", "--watch-ingress-without-class=true", *configmap_flags]
        group_ctx = ClusterContext(services=ctx.services, default_endpoints=ctx.default_endpoints,
                                   endpoints=ctx.endpoints, secrets=ctx.secrets, secret_facts=ctx.secret_facts,
                                   nginx_flags=tuple(flags) + tuple(ctx.nginx_flags),
                                   nginx_configmap=ctx.nginx_configmap)
        old_router = build_router("ingress", controller, [*support, *group_ings], group_ctx)
        group_routes = [m for m in routes if route_source.get(f"{m.kind} {m.namespace}/{m.name}") in wanted
                        or route_source.get(f"{m.kind} {m.namespace}/{m.name}") is None]
        probes = generate(group_ings, group_routes)
        seen = {r.describe() for r in probes}
        probes += [r for r in extra_probes if r.describe() not in seen]
        relevant = FindingIndex([f for f in findings if _subject_key(f) in wanted or not f.subject.startswith("Ingress ")])
        job = _Job(old_router, new_router, GatewayPicker(gateways, class_name), relevant, route_source)
        for eq, records in _evaluate(job, probes):
            result.probes += eq + len(records)
            result.equivalent += eq
            for rec in records:
                result.add(rec)
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

    def run(self, probes: Sequence[Request]) -> tuple[int, list[Record]]:
        equivalent = 0
        records = []
        for req in probes:
            host = _host_of(req)
            gw = self.pick(host)
            o = self.old_router.route(req)
            n = self.new_router.route(req, gateway=gw) if gw else self.new_router.route(req)
            diffs = compare(o, n)
            if not diffs:
                if o.unmodelled and depends_on_access(o):
                    # the same answer, but the old one holds only for clients the controller's
                    # access settings let through: unverified, never equivalent
                    records.append(Record(req, o, n, [], [], True))
                    continue
                equivalent += 1
                continue
            involved = {dict(o.decided_by).get("ingress") or ""}
            src = self.route_source.get(dict(n.decided_by).get("route", ""))
            if src:
                involved.add(src)
            involved.discard("")
            probe = _Probe(req, o, n, diffs, host, involved)
            codes = explain(probe, self.findings)
            unverified = bool(o.unmodelled or n.unmodelled)
            records.append(Record(req, o, n, diffs, codes, unverified and not codes))
        return equivalent, records


def _evaluate(job: _Job, probes: Sequence[Request]) -> Iterable[tuple[int, list[Record]]]:
    """Run the probes. (Forked workers were tried: copy-on-write of the routers' pages and
    sending the answers back cost more than the second core gave, so this stays in-process.)"""
    yield job.run(probes)


def manifests_from_objects(objs: Iterable[dict[str, Any]]) -> list[Manifest]:
    """Emitted objects as manifests for the Gateway API router."""
    return [Manifest(o, GENERATED) for o in objs]
