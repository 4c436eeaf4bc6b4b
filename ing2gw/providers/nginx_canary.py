"""ingress-nginx canary Ingresses (B6, F5), merged into the primary Service's traffic.

ingress-nginx attaches a canary to the primary *Service upstream*, not to a location: every host
and path that proxies to the primary Service is canaried (canary-19). Per request it decides by
header, then cookie, then weight. In Gateway API that becomes, on every rule whose backend is
the primary Service:

* a rule per header decision (`H: value`, `H: always` -> canary, `H: never` -> primary), listed
  first so that they win ties against the cookie rules (same route, first rule in list order);
* a rule per cookie decision, matching the Cookie header with a regular expression (partial:
  implementation-specific support);
* weighted backendRefs on the original rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ing2gw import ir
from ing2gw.findings import Severity
from ing2gw.model.ingress import Ingress
from ing2gw.providers.nginx_annotations import CanaryConfig

if TYPE_CHECKING:
    from ing2gw.providers.ingress_nginx import Loc, _Builder

CATCH_ALL = "_"


@dataclass(frozen=True)
class Canary:
    ingress: Ingress
    config: CanaryConfig
    backend: ir.ServiceBackend


def _key(b: ir.ServiceBackend) -> tuple[str, str, int]:
    return (b.namespace, b.name, b.port)


def merge_canaries(b: "_Builder", canaries: list[Ingress]) -> None:
    """B6: find each canary's primary upstreams; the first canary of a primary wins."""
    b.canary_of = {}
    prefix = b.ctx.options.annotations_prefix
    if canaries and not any(not b.anns[i.key].canary for i in b.ings):
        for ing in canaries:
            b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-031",
                          "canary Ingress without any non-canary Ingress: ingress-nginx ignores it (404)", ing=ing,
                          annotation=f"{prefix}/canary")
        return
    for ing in canaries:
        cfg = b.anns[ing.key].canary
        assert cfg is not None
        per_upstream: dict[tuple[str, str, int], list[ir.ServiceBackend | None]] = {}
        for ri, rule in enumerate(ing.spec.rules):
            host = (rule.host or "").strip() or CATCH_ALL
            if rule.http is None:
                continue
            server = b.servers.get(host)
            for pi, p in enumerate(rule.http.paths):
                if p.backend.service is None:
                    continue
                cb = b.ctx.resolve_backend(ing, p.backend, f"spec.rules[{ri}].http.paths[{pi}]")
                if cb is None:
                    continue
                path = p.path or "/"
                ptype = "Exact" if p.path_type == "Exact" else "Prefix"
                primary = None
                if server is not None:
                    for loc in server.locs:
                        if loc.path == path and loc.type == ptype and loc.backend is not None:
                            primary = loc.backend
                            break
                per_upstream.setdefault(_key(cb), []).append(primary)
                if primary is None:
                    b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-031",
                                  f"canary path {ptype} {path} on {host} has no matching non-canary location: "
                                  "ingress-nginx drops this canary backend (B6)", ing=ing, annotation=f"{prefix}/canary")
                else:
                    _attach(b, primary, Canary(ing, cfg, cb))
        if ing.spec.default_backend is not None and ing.spec.default_backend.service is not None:
            cb = b.ctx.resolve_backend(ing, ing.spec.default_backend, "spec.defaultBackend")
            if cb is not None:
                for loc in b.servers[CATCH_ALL].locs:
                    if loc.backend is not None:
                        _attach(b, loc.backend, Canary(ing, cfg, cb))
        for cbk, primaries in per_upstream.items():
            if any(p is None for p in primaries):
                # "If a path finds no match, the canary upstream is deleted" (B6)
                for k in [k for k, c in b.canary_of.items() if c.ingress is ing and _key(c.backend) == cbk]:
                    del b.canary_of[k]
        if any(c.ingress is ing for c in b.canary_of.values()):
            b.ctx.out.merged.add(ing.key)
            _report(b, ing, cfg)


def _attach(b: "_Builder", primary: ir.ServiceBackend, canary: Canary) -> None:
    k = _key(primary)
    if k in b.canary_of:
        if b.canary_of[k].ingress is not canary.ingress:
            b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-031",
                          f"a second canary for Service {primary.namespace}/{primary.name}:{primary.port}: "
                          f"ingress-nginx uses only the first ({b.canary_of[k].ingress.key})", ing=canary.ingress,
                          annotation=f"{b.ctx.options.annotations_prefix}/canary")
        return
    b.canary_of[k] = canary


def _report(b: "_Builder", ing: Ingress, cfg: CanaryConfig) -> None:
    prefix = b.ctx.options.annotations_prefix
    mine = [(k, c) for k, c in b.canary_of.items() if c.ingress is ing]
    primaries = sorted({f"{k[0]}/{k[1]}:{k[2]}" for k, _ in mine})
    services = sorted({f"{k[0]}/{k[1]}" for k, _ in mine} | {f"{c.backend.namespace}/{c.backend.name}" for _, c in mine})
    b.ctx.finding(Severity.INFO, "ING2GW-NGINX-030",
                  f"canary merged into every rule that sends traffic to {', '.join(primaries)} (ingress-nginx "
                  "canaries the primary Service on all its hosts and paths). ingress-nginx answers 503 for canary "
                  "traffic too when the primary has no endpoints, and keeps canary traffic on the primary when the "
                  "canary has none; Gateway API does neither", ing=ing, annotation=f"{prefix}/canary", value="true",
                  details={"services": ",".join(services)})
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


def apply_canary(b: "_Builder", loc: "Loc", rule: ir.Rule) -> list[ir.Rule]:
    """The location's rules once its primary Service's canary (if any) is merged in."""
    primary = loc.backend
    canary_of = getattr(b, "canary_of", {})
    if primary is None or _key(primary) not in canary_of or rule.redirect is not None:
        return [rule]
    c = canary_of[_key(primary)]
    cfg, cb = c.config, c.backend
    out: list[ir.Rule] = []
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
                out.append(_with_header(rule, ir.HeaderMatch(h, ".*", "RegularExpression"), (primary,),
                                        "canary header pattern is not a valid regex: the header means primary (F5)"))
        else:
            out.append(_with_header(rule, ir.HeaderMatch(h, "always"), (cb,), "canary header always (F5)"))
            out.append(_with_header(rule, ir.HeaderMatch(h, "never"), (primary,), "canary header never (F5)"))
    if cfg.by_cookie:
        for value, target in (("always", cb), ("never", primary)):
            out.append(_with_header(rule, ir.HeaderMatch("Cookie", cookie_regex(cfg.by_cookie, value), "RegularExpression"),
                                    (target,), f"canary cookie {value} (F5)"))
    total = cfg.weight_total if cfg.weight_total > 100 else 100
    w = max(0, cfg.weight)
    if w >= total:
        out.append(replace(rule, backends=(cb,), comment="canary weight covers all traffic (F5)"))
    elif w > 0:
        out.append(replace(rule, backends=(replace(primary, weight=total - w), replace(cb, weight=w)),
                           comment=f"canary weight {w}/{total} (F5)"))
    else:
        out.append(rule)
    return out
