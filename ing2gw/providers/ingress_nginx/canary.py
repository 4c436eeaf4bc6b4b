"""ingress-nginx canary Ingresses (B1, B6, F5), merged into the primary upstream's traffic.

ingress-nginx works with *upstreams*, one per `namespace-service-port` as the Ingress writes the
port (a name and a number of the same Service port are two upstreams). The first Ingress in
its order that names an upstream creates it and decides whether it is a canary upstream and
with which traffic policy (`createUpstreams`; an Ingress's defaultBackend re-creates its
upstream). Consequences we reproduce (`controller.go`: `createUpstreams`, `getBackendServers`,
`mergeAlternativeBackends`):

* a canary is attached to the primary *upstream* of every location with the same host, path
  and path type (canary-19: every host and path that proxies to that upstream is canaried);
* a canary whose upstream was created by a non-canary Ingress has no traffic policy: it never
  takes traffic (ingress2gateway's own `api-service-v1` example);
* a non-canary path whose upstream a canary Ingress created first is skipped (issue #8004);
* a canary path that finds no primary location deletes the canary upstream (for every host),
  and a location whose own upstream was deleted that way answers 503;
* only the first canary of a primary upstream is used.

In Gateway API the canary becomes, on every rule whose location's upstream is canaried:
a rule per header decision (`H: value`, `H: always` -> canary, `H: never` -> primary), listed
first so that they win ties against the cookie rules (same route, first rule in list order);
a rule per cookie decision (a RegularExpression match on the Cookie header); weighted
backendRefs on the original rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ing2gw import ir
from ing2gw.findings import Severity
from ing2gw.model.ingress import Ingress, IngressBackend
from ing2gw.providers.ingress_nginx.annotations import CanaryConfig

if TYPE_CHECKING:
    from ing2gw.providers.ingress_nginx.state import BuildState, Loc

CATCH_ALL = "_"


@dataclass(frozen=True)
class Canary:
    """A canary Ingress with its selection and the backend it sends the selected requests to."""

    ingress: Ingress
    config: CanaryConfig
    backend: ir.ServiceBackend


@dataclass
class Upstream:
    """One ingress-nginx upstream `namespace-service-port` (B1)."""

    name: str
    creator: Ingress
    #: created by a canary Ingress: no server uses it (NoServer)
    no_server: bool
    #: the traffic policy of the Ingress that created it (None: not a canary upstream)
    policy: CanaryConfig | None
    backend: ir.ServiceBackend | None = None
    alternatives: list[str] = field(default_factory=list)
    deleted: bool = False


def upstream_name(namespace: str, backend: IngressBackend | None) -> str:
    """`namespace-service-port`, the port as the Ingress writes it (number or name); '' for none."""
    if backend is None or backend.service is None:
        return ""
    return f"{namespace}-{backend.service.name}-{backend.service.port.value}"


def build_upstreams(b: "BuildState") -> None:
    """B1: the upstreams in creation order, with who created each (canary or not)."""
    b.upstreams = {}
    for ing in b.ings:
        cfg = b.anns[ing.key].canary
        db = ing.spec.default_backend
        if db is not None and db.service is not None:
            # an Ingress's defaultBackend always (re-)creates its upstream
            name = upstream_name(ing.namespace, db)
            b.upstreams[name] = Upstream(name, ing, cfg is not None, cfg)
        for rule in ing.spec.rules:
            for p in rule.http.paths if rule.http is not None else ():
                name = upstream_name(ing.namespace, p.backend)
                if name and name not in b.upstreams:
                    b.upstreams[name] = Upstream(name, ing, cfg is not None, cfg)


def skipped_by_canary(b: "BuildState", ing: Ingress, loc: "Loc") -> bool:
    """B5.2: no location for a path whose upstream a canary Ingress created (a canary's own
    paths, merged later; a non-canary's: issue #8004). A canary's path whose upstream a
    non-canary Ingress created is an ordinary location of the canary Ingress."""
    up = b.upstreams.get(loc.upstream)
    canary = b.anns[ing.key].canary is not None
    if up is None or not up.no_server:
        if canary and up is not None:
            b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-031",
                          f"{loc.where}: upstream {loc.upstream} was first named by non-canary Ingress "
                          f"{up.creator.key}, so ingress-nginx serves this canary path as an ordinary location "
                          "(no canary policy), and it is translated as one", ing=ing,
                          annotation=f"{b.ctx.options.annotations_prefix}/canary",
                          suggestion="give the canary Ingress its own Service")
        return False
    if canary:
        return True
    b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-073",
                  f"{loc.where}: Service upstream {loc.upstream} was first named by canary Ingress {up.creator.key}, "
                  "so ingress-nginx serves no location with it (issue #8004): this path answers as if it did not "
                  "exist, and nothing is emitted for it", ing=ing,
                  suggestion="give the canary its own Service, or make the canary Ingress younger than this one")
    return True


def merge_canaries(b: "BuildState", canaries: list[Ingress]) -> None:
    """B6 (`mergeAlternativeBackends`), canary by canary in ingress-nginx's order."""
    b.canary_of = {}
    prefix = b.ctx.options.annotations_prefix
    if canaries and not any(not b.anns[i.key].canary for i in b.ings):
        for ing in canaries:
            b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-031",
                          "canary Ingress without any non-canary Ingress: ingress-nginx ignores it (404)", ing=ing,
                          annotation=f"{prefix}/canary")
        return

    def live(name: str) -> Upstream | None:
        up = b.upstreams.get(name)
        return None if up is None or up.deleted else up

    def merge_into(locs: list["Loc"], alt: Upstream, path: str | None, ptype: str | None) -> tuple[bool, bool]:
        merged = equal = False
        for loc in locs:
            pri = live(loc.upstream)
            if pri is None:
                continue
            equal = pri.name == alt.name
            if equal:
                break
            if not pri.no_server and (path is None or (loc.path == path and loc.type == ptype)):
                if alt.name not in pri.alternatives:
                    pri.alternatives.append(alt.name)
                merged = True
        return merged, equal

    for ing in canaries:
        where: list[str] = []
        db = ing.spec.default_backend
        if db is not None and db.service is not None:
            alt = live(upstream_name(ing.namespace, db))
            if alt is not None:
                merged, equal = merge_into(b.servers[CATCH_ALL].locs, alt, None, None)
                if not merged and not equal:
                    alt.deleted = True
                    where.append("its defaultBackend has no catch-all location to join")
        for ri, rule in enumerate(ing.spec.rules):
            host = (rule.host or "").strip() or CATCH_ALL
            server = b.servers.get(host)
            for pi, p in enumerate(rule.http.paths if rule.http is not None else ()):
                alt = live(upstream_name(ing.namespace, p.backend))
                if alt is None or server is None:
                    continue
                ptype = "Exact" if p.path_type == "Exact" else "Prefix"
                merged, equal = merge_into(server.locs, alt, p.path or "/", ptype)
                if not merged and not equal:
                    alt.deleted = True
                    where.append(f"spec.rules[{ri}].http.paths[{pi}] ({ptype} {p.path or '/'} on {host}) matches no "
                                 "non-canary location")
        if where:
            b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-031",
                          f"{'; '.join(where)}: ingress-nginx deletes the canary upstream, so this canary takes no "
                          "traffic anywhere (B6)", ing=ing, annotation=f"{prefix}/canary")
    # which canary each primary upstream really uses (F5: the first alternative, with the
    # policy of the Ingress that created the alternative's upstream)
    used: dict[str, list[str]] = {}
    for pri in b.upstreams.values():
        if pri.deleted or not pri.alternatives:
            continue
        alt = b.upstreams[pri.alternatives[0]]
        if alt.deleted:
            continue
        if alt.policy is None:
            b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-031",
                          f"upstream {alt.name} is a canary's backend, but non-canary Ingress {alt.creator.key} named "
                          "it first, so it carries no canary policy: ingress-nginx never sends canary traffic to it",
                          ing=next((c for c in canaries if _names(c, alt.name)), alt.creator),
                          annotation=f"{prefix}/canary",
                          suggestion="give the canary Ingress its own Service")
            continue
        backend = _resolve(b, alt)
        if backend is None:
            continue
        b.canary_of[pri.name] = Canary(alt.creator, alt.policy, backend)
        used.setdefault(alt.creator.key, []).append(pri.name)
    for ing in canaries:
        if ing.key in used:
            b.ctx.out.merged.add(ing.key)
            _report(b, ing, b.anns[ing.key].canary or CanaryConfig(), used[ing.key])


def _names(ing: Ingress, upstream: str) -> bool:
    backends = [p.backend for r in ing.spec.rules for p in (r.http.paths if r.http is not None else ())]
    return any(upstream_name(ing.namespace, x) == upstream for x in backends + [ing.spec.default_backend])


def _resolve(b: "BuildState", up: Upstream) -> ir.ServiceBackend | None:
    """The Service port of an upstream, resolved once (errors were reported with the path)."""
    if up.backend is None:
        ing = up.creator
        backends = [(p.backend, f"spec.rules[{ri}].http.paths[{pi}]") for ri, r in enumerate(ing.spec.rules)
                    for pi, p in enumerate(r.http.paths if r.http is not None else ())]
        if ing.spec.default_backend is not None:
            backends.append((ing.spec.default_backend, "spec.defaultBackend"))
        for backend, where in backends:
            if upstream_name(ing.namespace, backend) == up.name:
                up.backend = b.ctx.resolve_backend(ing, backend, where)
                break
    return up.backend


def _report(b: "BuildState", ing: Ingress, cfg: CanaryConfig, primaries: list[str]) -> None:
    prefix = b.ctx.options.annotations_prefix
    services = sorted({f"{c.backend.namespace}/{c.backend.name}" for c in b.canary_of.values() if c.ingress is ing}
                      | {f"{be.namespace}/{be.name}" for p in primaries
                         if (be := b.upstreams[p].backend) is not None})
    b.ctx.finding(Severity.INFO, "ING2GW-NGINX-030",
                  f"canary merged into every rule that sends traffic to upstream {', '.join(sorted(primaries))} "
                  "(ingress-nginx canaries the primary upstream on all its hosts and paths)", ing=ing,
                  annotation=f"{prefix}/canary", value="true", details={"services": ",".join(services)})
    if cfg.by_cookie:
        b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-032",
                      f"canary-by-cookie {cfg.by_cookie}: expressed as a RegularExpression match on the Cookie header "
                      "(implementation-specific support in Gateway API)", ing=ing,
                      annotation=f"{prefix}/canary-by-cookie", value=cfg.by_cookie,
                      suggestion="check that your Gateway implementation supports RegularExpression header matches")
    if cfg.by_header_pattern and not cfg.by_header_value:
        b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-032",
                      "canary-by-header-pattern: expressed as a RegularExpression header match (PCRE in nginx, "
                      "implementation-specific dialect in Gateway API)", ing=ing,
                      annotation=f"{prefix}/canary-by-header-pattern", value=cfg.by_header_pattern)
    if 0 < cfg.weight_total <= 100 and cfg.weight_total != 100:
        b.ctx.finding(Severity.INFO, "ING2GW-NGINX-033",
                      f"canary-weight-total {cfg.weight_total} is at most 100, so ingress-nginx uses 100 (F5); the "
                      f"canary gets {cfg.weight}%", ing=ing, annotation=f"{prefix}/canary-weight-total",
                      value=str(cfg.weight_total))


def _with_header(rule: ir.Rule, header: ir.HeaderMatch, backends: tuple[ir.ServiceBackend, ...],
                 comment: str) -> ir.Rule:
    matches = tuple(replace(m, headers=m.headers + (header,)) for m in rule.matches)
    return replace(rule, matches=matches, backends=backends, comment=comment)


def cookie_regex(name: str, value: str) -> str:
    return f"(?:.*;\\s*)?{re.escape(name)}={re.escape(value)}(?:\\s*;.*)?"


def apply_canary(b: "BuildState", loc: "Loc", rule: ir.Rule) -> list[ir.Rule]:
    """The location's rules once its primary upstream's canary (if any) is merged in."""
    primary = loc.backend
    canary_of = getattr(b, "canary_of", {})
    if loc.upstream not in canary_of or rule.redirect is not None or (primary is None and not loc.unresolved):
        return [rule]
    c = canary_of[loc.upstream]
    cfg, cb = c.config, c.backend
    if loc.owner is not None and cb.namespace != loc.owner.namespace:
        # a canary Ingress of another namespace: the route needs that namespace's permission
        b.ctx.out.grants.add(ir.Grant(cb.namespace, "gateway.networking.k8s.io", "HTTPRoute", loc.owner.namespace,
                                      "", "Service", cb.name))
    total = cfg.weight_total if cfg.weight_total > 100 else 100
    w = max(0, cfg.weight)
    if primary is None:
        # the primary's port is unknown (its rule answers 500): header and cookie decisions for
        # the canary still reach it, as in nginx, and so does a weight that covers all traffic
        last = replace(rule, backends=(cb,), comment="canary weight covers all traffic (F5)") if w >= total else rule
        return [r for r in _decisions(cfg, cb, None, rule)] + [last]
    out = _decisions(cfg, cb, primary, rule)
    if w >= total:
        out.append(replace(rule, backends=(cb,), comment="canary weight covers all traffic (F5)"))
    elif w > 0:
        out.append(replace(rule, backends=(replace(primary, weight=total - w), replace(cb, weight=w)),
                           comment=f"canary weight {w}/{total} (F5)"))
    else:
        out.append(rule)
    return out


def _decisions(cfg: CanaryConfig, cb: ir.ServiceBackend, primary: ir.ServiceBackend | None,
               rule: ir.Rule) -> list[ir.Rule]:
    """The header and cookie rules of a canary (balancer.lua: header, then cookie); `primary`
    None: the primary cannot be reached (no backends, 500)."""
    out: list[ir.Rule] = []
    to_primary = (primary,) if primary is not None else ()
    if cfg.by_header:
        h = cfg.by_header
        if cfg.by_header_value:
            out.append(_with_header(rule, ir.HeaderMatch(h, cfg.by_header_value), (cb,), "canary by header value (F5)"))
        elif cfg.by_header_pattern:
            try:
                re.compile(cfg.by_header_pattern)
                out.append(_with_header(rule, ir.HeaderMatch(h, f".*(?:{cfg.by_header_pattern}).*", "RegularExpression"),
                                        (cb,), "canary by header pattern (F5)"))
            except re.error:
                # F5: a regex error makes any request carrying the header go to the primary (final)
                out.append(_with_header(rule, ir.HeaderMatch(h, ".*", "RegularExpression"), to_primary,
                                        "canary header pattern is not a valid regex: the header means primary (F5)"))
        else:
            out.append(_with_header(rule, ir.HeaderMatch(h, "always"), (cb,), "canary header always (F5)"))
            out.append(_with_header(rule, ir.HeaderMatch(h, "never"), to_primary, "canary header never (F5)"))
    if cfg.by_cookie:
        for value, target in (("always", (cb,)), ("never", to_primary)):
            out.append(_with_header(rule, ir.HeaderMatch("Cookie", cookie_regex(cfg.by_cookie, value), "RegularExpression"),
                                    target, f"canary cookie {value} (F5)"))
    return out
