"""Per-host views of Traefik's router table, as Gateway listeners and HTTPRoutes.

Traefik has one flat router list per entry point: a request goes to the matching router of
highest priority, whatever host it names (T-F1, T-F2). A Gateway first picks the listener by
hostname, then the most specific match (Exact, then the longest prefix). For every host a rule
names (and every wildcard, and the host-less rules) we take the routers Traefik would try for
that host, drop those a router of higher priority always takes first (Gateway API would prefer
them, T-F5), and emit the rest on the host's listener. What remains different is reported:
character-wise prefixes (T-E5), equal priorities (T-F3), one-label wildcards (T-E2).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from ing2gw import ir
from ing2gw.findings import Finding, Severity
from ing2gw.providers.base import BuildContext, gateway_path_problem
from ing2gw.providers.traefik import middlewares as mw
from ing2gw.providers.traefik.routers import Owner, Router, covers, gateway_prefers, host_matches, overlap, report
from ing2gw.providers.traefik.static import EntryPoint, TraefikStatic, static_of
from ing2gw.origin import GENERATED

ANY = "*"


#: a listener side of a view: (protocol, port) of the entry point a router is attached to
Side = tuple[str, int]


@dataclass
class _View:
    """The routers Traefik tries for requests to one host (or one wildcard, or any other host),
    per listener side (an entry point's protocol and port)."""

    host: str  # a name, "*.d", or ANY
    sides: dict[Side, list[Router]] = field(default_factory=dict)


def _sides(r: Router, st: TraefikStatic) -> list[Side]:
    """The listeners a router is served on: a plain entry point's HTTP port unless the router
    is a TLS router (T-C3: TLS on a plain port is not expressed), a TLS entry point's HTTPS
    port; entry points that redirect every request are left to their redirect route (T-C6)."""
    out: list[Side] = []
    for name in r.entrypoints:
        ep = st.entry_point(name)
        if ep is None or ep.udp or ep.redirection is not None:
            continue
        if ep.tls:
            out.append(("HTTPS", ep.port))
        elif not r.tls:
            out.append(("HTTP", ep.port))
    return sorted(set(out))


def _label(side: Side) -> str:
    """A side's part of a route name: http/https on the usual ports, else protocol-port."""
    if side in (("HTTP", 80), ("HTTPS", 443)):
        return side[0].lower()
    return f"{side[0].lower()}-{side[1]}"


def _pattern(r: Router) -> str:
    return re.escape(r.path) + (".*" if r.kind == "prefix" else "")


def _live(ctx: BuildContext, view: str, routers: list[Router], reported: set[tuple[str, ...]],
          where: str) -> list[Router]:
    """The routers Traefik can choose for this view, highest priority first (T-F2); `where` is
    the view's hosts as a finding detail."""
    ordered = sorted(routers, key=lambda r: (-r.priority, r.key, r.rule))
    live: list[Router] = []
    higher = 0  # ordered[:higher] are the routers of a priority above the current one's
    for n, a in enumerate(ordered):
        if n and ordered[n - 1].priority != a.priority:
            higher = n
        shadow = next((b for b in ordered[:higher] if covers(b, a)), None)
        if shadow is not None:
            dead = ("dead", view, a.key, a.rule)
            if dead not in reported:
                reported.add(dead)
                report(ctx, a.owner, Severity.INFO, "ING2GW-TRAEFIK-012",
                            f"{a.where} ({a.rule}, priority {a.priority}) is never chosen by Traefik for "
                            f"{'any other host' if view == ANY else view}: {shadow.key}'s {shadow.rule} (priority "
                            f"{shadow.priority}) takes every request it matches first; it is not emitted there")
            continue
        for b in live:
            if b.priority == a.priority and overlap(a, b):
                tie = ("tie", view, a.key, a.rule, b.key, b.rule)
                if tie not in reported:
                    reported.add(tie)
                    report(ctx, a.owner, Severity.WARNING, "ING2GW-TRAEFIK-013",
                                f"{a.where} ({a.rule}) and {b.key}'s {b.rule} have the same priority "
                                f"{a.priority}: Traefik tries them in an undefined order (T-F3)",
                                suggestion="set router.priority on one of them to make the choice explicit",
                                details={"hosts": where, "paths": f"tie:{_pattern(a)}\ntie:{_pattern(b)}"})
            elif b.priority > a.priority and overlap(a, b) and gateway_prefers(a, b):
                # Traefik takes b first; the Gateway prefers a's more specific match
                order = ("order", view, a.key, a.rule, b.key, b.rule)
                if order not in reported:
                    reported.add(order)
                    report(ctx, a.owner, Severity.WARNING, "ING2GW-TRAEFIK-016",
                           f"{a.where} ({a.rule}, priority {a.priority}) ranks below {b.key}'s {b.rule} (priority "
                           f"{b.priority}) in Traefik, but Gateway API prefers its more specific match for requests "
                           "both take", suggestion="give the routers priorities that agree with their specificity",
                           details={"hosts": where, "paths": f"regex:{_pattern(a)}"})
        live.append(a)
    return live


def _certificates(routers: list[Router]) -> dict[str, ir.SecretRef]:
    """Host -> the Secret Traefik serves for it: spec.tls / tls.secretName Secrets go to one
    global store matched by SAN (T-C5); ing2gw assumes a Secret covers the hosts its entry lists
    (or, without hosts, the hosts of its object's rules)."""
    out: dict[str, ir.SecretRef] = {}
    owners: dict[str, Owner] = {r.key: r.owner for r in routers}
    for r in sorted(routers, key=lambda x: (x.key, x.rule)):
        if r.tls_secret and r.host:
            out.setdefault(r.host, ir.SecretRef(r.owner.namespace, r.tls_secret))
    for key in sorted(owners):
        ing = owners[key].ingress
        if ing is None:
            continue
        for t in ing.spec.tls:
            if not t.secret_name:
                continue
            hosts = [h.lower() for h in t.hosts] or [(x.host or "").lower() for x in ing.spec.rules if x.host]
            for h in hosts:
                out.setdefault(h, ir.SecretRef(ing.namespace, t.secret_name))
    return out


def emit_views(ctx: BuildContext, class_name: str, routers: list[Router], rule_hosts: list[str]) -> None:
    """Listeners and routes on the class's Gateway for `routers`; `rule_hosts` are every host the
    class's Ingresses name (with or without a router left)."""
    gw = ctx.gateway_for(class_name)
    st = static_of(ctx.options)
    reported: set[tuple[str, ...]] = set()
    names = sorted({r.host for r in routers if r.host and not r.host.startswith("*.")})
    wildcards = sorted({r.host for r in routers if r.host and r.host.startswith("*.")})
    orphans = sorted(h for h in rule_hosts if h not in names and not any(host_matches(w, h) for w in wildcards))
    views: list[_View] = []
    sides_of = {id(r): _sides(r, st) for r in routers}
    for v in names + wildcards + [ANY]:
        view = _View(v)
        for r in routers:
            applies = (host_matches(r.host, v) if v not in wildcards and v != ANY
                       else r.host is None or r.host == v)
            if not applies:
                continue
            for side in sides_of[id(r)]:
                view.sides.setdefault(side, []).append(r)
        views.append(view)
    certs = _certificates(routers)
    default_cert = _default_certificate(ctx, gw) if routers else None
    #: hosts with an HTTPS listener; Traefik's TLS entry point answers every other host too
    with_https: set[str] = set()
    tls_on_web: set[str] = set()
    plans: dict[int, mw.Plan] = {}
    #: every backend an owner's routers send to: what a refused request reaches on the Gateway
    reached: dict[str, set[str]] = defaultdict(set)
    pending: dict[tuple[str, str, str], _Note] = {}
    for r in routers:
        reached[r.key] |= {f"{b.namespace}/{b.name}:{b.port}" for b in r.backends}
    for r in routers:
        plans[id(r)] = mw.plan(r.kind, r.path, r.actions, r.owner.source, r.host, ctx.options.target)
    _withhold_wider(routers, plans)
    for r in routers:
        plain = [e for e in r.entrypoints if (ep := st.entry_point(e)) is not None and not ep.tls and not ep.udp
                 and ep.redirection is None]
        if r.tls and plain and r.key not in tls_on_web:
            tls_on_web.add(r.key)
            report(ctx, r.owner, Severity.INFO, "ING2GW-TRAEFIK-021",
                   f"TLS router on the {plain[0]} entry point: Traefik answers TLS on port "
                   f"{st.entry_point(plain[0]).port} there; the route is not attached to the HTTP listener (plain "  # type: ignore[union-attr]
                   "HTTP gets a 404, as in Traefik)")
        _collect_plan(ctx, r, plans[id(r)], reported, reached[r.key], pending)
        _report_plan(ctx, r, plans[id(r)], reported)
    _report_notes(ctx, pending)
    charwise: dict[tuple[str, str], list[str]] = defaultdict(list)
    for view in views:
        # a host some Ingress names but no router serves is answered like any other host
        where = ",".join([ANY] + orphans) if view.host == ANY else view.host
        live = {side: _live(ctx, view.host, rs, reported, where) for side, rs in sorted(view.sides.items())}
        live = {side: rs for side, rs in live.items() if rs}
        if not live:
            continue
        hostname = None if view.host == ANY else view.host
        # the store matches SANs, a wildcard certificate covering one label too (T-C5)
        cert = (certs.get(view.host) or certs.get("*." + view.host.partition(".")[2]) or default_cert) if hostname \
            else default_cert
        if any(side[0] == "HTTPS" for side in live) and cert is not None:
            with_https.add(view.host)
        for r in {id(x): x for rs in live.values() for x in rs}.values():
            if r.kind == "prefix" and not r.strict and r.path != "/" and not r.path.endswith("/"):
                charwise[(r.key, r.path)].append(where)
            elif r.kind == "prefix" and not r.strict and r.path.endswith("/") and r.path != "/":
                slash = ("slash", view.host, r.key, r.path)
                if slash not in reported:
                    reported.add(slash)
                    report(ctx, r.owner, Severity.INFO, "ING2GW-TRAEFIK-011",
                                f"{r.where}: Traefik's PathPrefix({r.path!r}) does not match {r.path[:-1]!r}; the "
                                "Gateway's PathPrefix does",
                                details={"hosts": where, "paths": f"exact:{r.path[:-1]}"})
        by_ing: dict[str, tuple[Owner, dict[Side, list[ir.Rule]], list[ir.Intent]]] = {}
        for side, side_routers in live.items():
            if side[0] == "HTTPS" and cert is None:
                continue
            for r in side_routers:
                entry = by_ing.setdefault(r.key, (r.owner, {}, []))
                rules = _rules(ctx, r, plans[id(r)], "http" if side[0] == "HTTP" else "https", where, reported,
                               exact=_slash_shadowed(r, side_routers))
                entry[1].setdefault(side, []).extend(rules)
                for i in plans[id(r)].intents:
                    if i not in entry[2]:
                        entry[2].append(i)
        for ing_key in sorted(by_ing):
            ing, side_rules, intents = by_ing[ing_key]
            src = ing.source
            hostnames = (hostname,) if hostname else ()
            qual = view.host if hostname else "any-host"
            parents: dict[Side, ir.Listener] = {}
            for side, rules in side_rules.items():
                if not rules:
                    continue
                lst = gw.listener("HTTPS" if side[0] == "HTTPS" else "HTTP", side[1], hostname)
                parents[side] = lst
                lst.allowed_namespaces.add(ing.namespace)
                if side[0] == "HTTPS" and cert is not None and not lst.certificates:
                    lst.certificates.append(cert)
                    if cert.namespace != gw.namespace:
                        ctx.out.grants.add(ir.Grant(cert.namespace, "gateway.networking.k8s.io", "Gateway",
                                                    gw.namespace, "", "Secret", cert.name))
            # sides with the same rules share one route
            groups: dict[tuple[ir.Rule, ...], list[Side]] = {}
            for side in sorted(parents):
                groups.setdefault(tuple(side_rules[side]), []).append(side)
            for rules_t, group in groups.items():
                quals = (qual,) if len(groups) == 1 and len(group) > 1 else (qual, "-".join(_label(x) for x in group))
                keep_intents = any(x[0] == "HTTPS" for x in group) or any(r.redirect is None for r in rules_t)
                ctx.out.routes.append(ir.Route("HTTPRoute", ing.namespace, ing.name, src, hostnames,
                                               tuple(parents[x].key for x in group), list(rules_t),
                                               qualifiers=quals, intents=tuple(intents) if keep_intents else ()))
    ings = {r.key: r.owner for r in routers}
    for (ing_key, path), hosts in sorted(charwise.items()):
        report(ctx, ings[ing_key], Severity.INFO, "ING2GW-TRAEFIK-010",
                    f"PathPrefix({path!r}) matches character-wise in Traefik ({path}x, {path}.html, ...); the "
                    "Gateway's PathPrefix only matches whole segments",
                    suggestion=f"use the path {path}/ (or strict prefix matching) if the character-wise match was "
                               "not intended",
                    details={"hosts": ",".join(sorted(set(hosts))), "paths": f"regex:{re.escape(path)}[^/].*"})
    for w in wildcards:
        ctx.findings.append(Finding(Severity.INFO, "ING2GW-TRAEFIK-014",
                                    f"Traefik's Host({w!r}) matches one label; the Gateway's {w} matches names "
                                    "two or more labels deep too", subject=f"Gateway {gw.namespace}/{gw.name}",
                                    details=(("wildcard", w),)))
    for ep in st.entry_points:
        used = any(ep.name in r.entrypoints for r in routers)
        if ep.redirection is not None and (used or routers):
            _redirect_route(ctx, gw, ep)
        elif routers and (used or ep.name in st.defaults()) and not ep.tls and not ep.udp \
                and not any(k.protocol == "HTTP" and k.port == ep.port and k.hostname is None for k in gw.listeners):
            # a plain entry point answers HTTP for every host (404 without a router); a Gateway
            # without a plain listener there would refuse the connection instead
            gw.listener("HTTP", ep.port, None)
    no_cert = sorted(({v.host for v in views} | set(rule_hosts)) - with_https - {ANY}) + [ANY]
    if (routers or rule_hosts) and default_cert is None:
        ctx.findings.append(Finding(
            Severity.INFO, "ING2GW-TRAEFIK-020",
            f"Traefik answers HTTPS for every host on its websecure entry point (with its default certificate when "
            f"none is loaded for the host, and a 404 when no router matches); the Gateway has no HTTPS listener "
            f"for {len(no_cert) - 1} host(s) without a certificate in the input, nor for other hosts: "
            f"{', '.join(no_cert[:10])}",
            subject=f"Gateway {gw.namespace}/{gw.name}",
            suggestion="add spec.tls with a Secret for hosts clients reach over HTTPS",
            details=(("hosts", ",".join(no_cert)),)))
    if routers:
        ctx.findings.append(Finding(Severity.INFO, "ING2GW-TRAEFIK-015",
                                    "Traefik ignores one trailing dot in the Host header; whether a Gateway matches "
                                    "such names is implementation-specific",
                                    subject=f"Gateway {gw.namespace}/{gw.name}"))


#: codes of middleware notes whose predictions concern the router's own paths (`paths` detail)
_ON_PATHS = {"ING2GW-TRAEFIK-033", "ING2GW-TRAEFIK-036", "ING2GW-TRAEFIK-037", "ING2GW-TRAEFIK-080",
             "ING2GW-TRAEFIK-081", "ING2GW-TRAEFIK-082", "ING2GW-TRAEFIK-083", "ING2GW-TRAEFIK-084",
             "ING2GW-TRAEFIK-085"}


@dataclass
class _Note:
    """One middleware finding of an owner, gathered over all the routers it concerns."""

    router: Router
    severity: str
    kind: str
    details: dict[str, str]
    paths: list[str] = field(default_factory=list)


def _region(r: Router, spec: str | None) -> str:
    """The `paths` spec of requests router `r` takes (Traefik's PathPrefix compares characters),
    narrowed by `spec` (a `regex:` spec of the note) when given."""
    if spec is None:
        return f"{'prefix' if r.kind == 'prefix' else 'exact'}:{r.path}"
    own = re.escape(r.path) + (".*" if r.kind == "prefix" else "")
    return f"regex:(?=(?:{own})\\Z)(?:{spec.removeprefix('regex:')})"


def _withhold_wider(routers: list[Router], plans: dict[int, mw.Plan]) -> None:
    """An owner's routers share one route per host, whose intents are those of all of them: an
    address list the target would carry is reported lost after all unless every router of the
    owner has the same lists (else the policy would also cover routers Traefik did not filter)."""
    lists: dict[str, set[tuple[ir.Intent, ...]]] = defaultdict(set)
    for r in routers:
        lists[r.key].add(tuple(i for i in plans[id(r)].intents if i.kind == "source-range"))
    for r in routers:
        p = plans[id(r)]
        if p.withheld and len(lists[r.key]) > 1:
            for label, loss in p.withheld:
                p.converted.remove(label)
                p.notes.append(loss)
            p.withheld.clear()


def _collect_plan(ctx: BuildContext, r: Router, p: mw.Plan, reported: set[tuple[str, ...]], reached: set[str],
                  pending: dict[tuple[str, str, str], _Note]) -> None:
    for severity, code, message, kind, details in p.notes:
        if code == "ING2GW-TRAEFIK-034":
            # a request Traefik refused reaches one of the owner's backends on the Gateway, which
            # answers (200 in the model): nothing else
            details = {**details, "change": ",".join([f"*>{b}" for b in sorted(reached)] + ["*>200"])}
        note = pending.setdefault((r.key, code, message), _Note(r, severity, kind, dict(details)))
        if code in _ON_PATHS:
            specs = details["paths"].split("\n") if details.get("paths") else [None]
            note.paths += [_region(r, x) for x in specs]


def _report_notes(ctx: BuildContext, pending: dict[tuple[str, str, str], _Note]) -> None:
    for (_, code, message), n in pending.items():
        details = dict(n.details)
        if n.paths:
            details["paths"] = "\n".join(dict.fromkeys(n.paths))
        sev = Severity(n.severity)
        accepted = code == "ING2GW-TRAEFIK-034" and n.kind in ctx.options.allow_weakened
        report(ctx, n.router.owner, Severity.WARNING if accepted else sev, code, message, annotation=n.kind,
               security=code == "ING2GW-TRAEFIK-034",
               suggestion="re-create it with your implementation's policy, or accept the loss with "
                          f"--allow-weakened {n.kind}" if code == "ING2GW-TRAEFIK-034" else None,
               details=details or None)
def _default_certificate(ctx: BuildContext, gw: ir.Gateway) -> ir.SecretRef | None:
    """The certificate of the TLSStore named `default` (spec.defaultCertificate.secretName): what
    Traefik serves to an SNI no loaded certificate matches (T-C5; Traefik docs
    `reference/routing-configuration/kubernetes/crd/tls/tlsstore.md`). The HTTPS listeners of hosts
    without a certificate of their own, and a catch-all one, get it."""
    stores = sorted((m for m in ctx.inputs.other if m.kind == "TLSStore" and m.name == "default"
                     and m.group in ("traefik.io", "traefik.containo.us")),
                    key=lambda m: m.namespace or ctx.options.default_namespace)
    for m in stores:
        spec = m.obj.get("spec") if isinstance(m.obj.get("spec"), dict) else {}
        dc = spec.get("defaultCertificate") if isinstance(spec, dict) else None
        if isinstance(dc, dict) and dc.get("secretName"):
            ns = m.namespace or ctx.options.default_namespace
            if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", ns):
                continue  # no cluster holds a TLSStore in such a namespace (a Gateway could not name it)
            name = dc["secretName"]
            if not isinstance(name, str) or len(name) > 253 or not re.fullmatch(
                    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", name):
                continue  # the CRD (a string) and Secret names refuse it: no cluster holds such a TLSStore
            ref = ir.SecretRef(ns, name)
            ctx.findings.append(Finding(Severity.INFO, "ING2GW-TRAEFIK-072",
                                        f"defaultCertificate {ref.namespace}/{ref.name} "
                                        "is the certificate of every HTTPS listener of a host without one of its own, "
                                        "and of a catch-all HTTPS listener", origin=m.origin,
                                        subject=f"TLSStore {ns}/default", status="converted"))
            if len(stores) > 1:
                ctx.findings.append(Finding(Severity.WARNING, "ING2GW-TRAEFIK-072",
                                            f"TLSStores named default in several namespaces "
                                            f"({', '.join(sorted(x.namespace or '' for x in stores))}): ing2gw uses "
                                            f"the one of {ns}", subject=f"Gateway {gw.namespace}/{gw.name}"))
            return ref
    return None


def _redirect_route(ctx: BuildContext, gw: ir.Gateway, ep: EntryPoint) -> None:
    """Entry point redirection (T-C6): Traefik's internal router on `ep` (priority MaxInt-1,
    every request with a Host) answers with a RedirectScheme to the target entry point; on the
    Gateway, one route on a catch-all listener of that port redirects every request."""
    red = ep.redirection
    assert red is not None
    lst = gw.listener("HTTP", ep.port, None)
    lst.allowed_namespaces.add(gw.namespace)
    src = ir.Source(gw.namespace, f"entrypoint-{ep.name}", GENERATED, kind="EntryPoint")
    # RedirectScheme: 301 for GET and 308 for the other methods when permanent, else 302/307
    get, other = (301, 308) if red.permanent else (302, 307)
    anything = ir.Match(ir.PathMatch("PathPrefix", "/"))
    rules = [ir.Rule((ir.Match(anything.path, method="GET"),), src,
                     redirect=ir.Redirect(get, scheme=red.scheme, port=red.port),
                     comment=f"Traefik entryPoints.{ep.name}.http.redirections: GET"),
             ir.Rule((anything,), src, redirect=ir.Redirect(other, scheme=red.scheme, port=red.port))]
    ctx.out.routes.append(ir.Route("HTTPRoute", gw.namespace, f"{gw.name}-{ep.name}", src, (), (lst.key,), rules,
                                   qualifiers=("redirect",)))
    ctx.findings.append(Finding(Severity.INFO, "ING2GW-TRAEFIK-064",
                                f"entryPoints.{ep.name}.http.redirections (to {red.to}) converted: every request on "
                                f"port {ep.port} is redirected to {red.scheme}",
                                subject=f"Gateway {gw.namespace}/{gw.name}", status="converted"))


def _report_plan(ctx: BuildContext, r: Router, p: mw.Plan, reported: set[tuple[str, ...]]) -> None:
    for label in p.converted:
        done = ("mwok", r.key, label)
        if done not in reported:
            reported.add(done)
            report(ctx, r.owner, Severity.INFO, "ING2GW-TRAEFIK-031", f"{label} converted")


def _slash_shadowed(r: Router, live: list[Router]) -> bool:
    """PathPrefix("/p") below a PathPrefix("/p/") of higher priority keeps only `/p` itself (and
    character-wise neighbours): Gateway API reads both as the prefix /p and would pick by age,
    so the lower one becomes an Exact /p rule."""
    if r.kind != "prefix" or r.path.endswith("/"):
        return False
    return any(b.kind == "prefix" and b.path == r.path + "/" and b.priority > r.priority and not b.extra
               for b in live)


def _rules(ctx: BuildContext, r: Router, p: mw.Plan, side: str, view: str,
           reported: set[tuple[str, ...]], *, exact: bool = False) -> list[ir.Rule]:
    problem = gateway_path_problem(r.path)
    if problem is not None:
        bad = ("path", r.key, r.path)
        if bad not in reported:
            reported.add(bad)
            report(ctx, r.owner, Severity.ERROR, "ING2GW-CORE-008",
                        f"{r.where}: path {r.path!r} {problem}; this route is not in the output",
                        details={"hosts": view, "paths": f"regex:{_pattern(r)}"})
        return []
    match = ir.Match(ir.PathMatch("Exact" if r.kind == "exact" or exact else "PathPrefix", r.path),
                     headers=tuple(ir.HeaderMatch(k, v) for k, v in r.headers),
                     query=tuple(ir.QueryMatch(k, v) for k, v in r.query), method=r.method)
    src = r.owner.source
    redirect = p.http_redirect if side == "http" else p.https_redirect
    if redirect is not None:
        get, other = redirect
        if get == other:
            return [ir.Rule((match,), src, redirect=get)]
        if match.method is not None:
            return [ir.Rule((match,), src, redirect=get if match.method == "GET" else other)]
        return [ir.Rule((ir.Match(match.path, match.headers, match.query, method="GET"),), src, redirect=get,
                        comment="Traefik redirects GET with the method-changing code"),
                ir.Rule((match,), src, redirect=other)]
    rewrite = p.rewrite
    if exact and rewrite is not None and rewrite.prefix_path is not None:
        # the request path is the matched path itself: the prefix replacement is the whole path
        rewrite = ir.Rewrite(hostname=rewrite.hostname, full_path=rewrite.prefix_path)
    response = p.response_headers
    if side == "https" and p.https_response_set:
        # Strict-Transport-Security and Public-Key-Pins: Traefik sends them on TLS requests only
        response = ir.HeaderChanges(set=tuple(sorted({**dict(p.https_response_set), **dict(response.set)}.items())),
                                    add=response.add, remove=response.remove)
    return [ir.Rule((match,), src, backends=r.backends, rewrite=rewrite, request_headers=p.request_headers,
                    response_headers=response, cors=p.cors, mirrors=r.mirrors)]
