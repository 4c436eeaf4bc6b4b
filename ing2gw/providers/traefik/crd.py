"""IngressRoute CRDs (traefik.io/v1alpha1 and the older traefik.containo.us/v1alpha1) as routers.

Each route's `match` is split into its `||` alternatives (one router each, all with the route's
priority: the explicit `priority` or the length of the whole match string, T-B4); services are
Kubernetes Services (with weights) or TraefikServices of kind `weighted`, flattened into
weighted backends. Facts: Traefik docs
`reference/routing-configuration/kubernetes/crd/http/ingressroute.md` and `traefikservice.md`.
"""

from __future__ import annotations

import re
from typing import Any

from ing2gw import ir
from ing2gw.findings import Severity
from ing2gw.load import Manifest
from ing2gw.providers.base import BuildContext, host_problem
from ing2gw.providers.traefik import middlewares as mw
from ing2gw.providers.traefik.routers import Owner, PathKind, Router, report
from ing2gw.providers.traefik.rule_parser import Conjunction, RuleError, parse_rule
from ing2gw.providers.traefik.scope import rule_scope
from ing2gw.providers.traefik.shapes import ingress_route_problem, mirroring_problem, name_problem, weighted_problem
from ing2gw.providers.traefik.static import static_of

GROUPS = ("traefik.io", "traefik.containo.us")
KINDS = ("IngressRoute", "TraefikService", "Middleware", "IngressRouteTCP", "IngressRouteUDP", "ServersTransport",
         "TLSOption", "TLSStore", "MiddlewareTCP", "ServersTransportTCP")


def traefik_objects(manifests: list[Manifest]) -> list[Manifest]:
    """The Traefik CRD objects of the input."""
    return [m for m in manifests if m.group in GROUPS and m.kind in KINDS]


def crd_routers(ctx: BuildContext) -> list[Router]:
    """Routers of every IngressRoute in the input, sorted by namespace/name."""
    default_ns = ctx.options.default_namespace
    mws = mw.index(ctx.inputs.other, default_ns)
    services = {(m.namespace or default_ns, m.name): m for m in ctx.inputs.other
                if m.kind == "TraefikService" and m.group in GROUPS}
    out: list[Router] = []
    for m in sorted((m for m in ctx.inputs.other if m.kind == "IngressRoute" and m.group in GROUPS),
                    key=lambda x: (x.namespace or default_ns, x.name)):
        out += _ingress_route(ctx, m, mws, services)
    return out


def _ingress_route(ctx: BuildContext, m: Manifest, mws: dict[str, mw.Middleware | str],
                   services: dict[tuple[str, str], Manifest]) -> list[Router]:
    ns = m.namespace or ctx.options.default_namespace
    owner = Owner("IngressRoute", ns, m.name, m.origin)
    spec = m.obj.get("spec") or {}
    problem = name_problem(ns, m.name) or ingress_route_problem(spec)
    if problem:
        report(ctx, owner, Severity.WARNING, "ING2GW-TRAEFIK-004",
               f"invalid IngressRoute ({problem}): the API server refuses it, so Traefik never had its routes; "
               "nothing is translated")
        return []
    st = static_of(ctx.options)
    eps_raw = spec.get("entryPoints")
    eps = tuple(str(e) for e in eps_raw) if eps_raw else st.defaults()
    known = tuple(e for e in eps if e in st.http_names)
    if len(known) != len(eps):
        report(ctx, owner, Severity.WARNING, "ING2GW-TRAEFIK-004",
               f"entry point(s) {', '.join(e for e in eps if e not in st.http_names)} are not among Traefik's "
               f"({', '.join(st.http_names)}): Traefik drops them")
    if not known:
        return []
    tls = spec.get("tls")
    secret = str(tls.get("secretName")) if isinstance(tls, dict) and tls.get("secretName") else None
    out: list[Router] = []
    #: routes Traefik has and the translation cannot express: (where, match, why, priority, route)
    untranslated: list[tuple[str, str, str, int, dict[str, Any]]] = []
    for i, route in enumerate(spec.get("routes") or []):
        where = f"spec.routes[{i}]"
        match = str(route.get("match") or "")
        try:
            alternatives = parse_rule(match)
        except RuleError as e:
            if e.traefik_refuses:
                report(ctx, owner, Severity.WARNING, "ING2GW-TRAEFIK-004",
                       f"{where}: {e}: Traefik refuses the rule and builds no router; nothing is emitted")
            else:
                prio_raw = route.get("priority")
                untranslated.append((where, match, str(e), int(prio_raw) if isinstance(prio_raw, int) and prio_raw
                                     else len(match.encode()), route))
            continue
        refs = tuple(f"{(x or {}).get('namespace') or ns}-{(x or {}).get('name')}@kubernetescrd"
                     for x in route.get("middlewares") or [])
        resolved, problem = mw.resolve(refs, mws)
        if problem:
            report(ctx, owner, Severity.WARNING, "ING2GW-TRAEFIK-030",
                   f"{where}: {problem}; Traefik drops the router, so nothing is emitted for it")
            continue
        mirrors: list[ir.Mirror] = []
        backends = _backends(ctx, owner, ns, route.get("services") or [], services, where, 0, mirrors)
        if backends is None:
            continue
        prio_raw = route.get("priority")
        priority = int(prio_raw) if isinstance(prio_raw, int) and prio_raw else len(match.encode())
        for alt in alternatives:
            r = _router(ctx, owner, alt, match, priority, backends, known, tls is not None, secret, where)
            if r is not None:
                r.actions = list(resolved)
                r.mirrors = tuple(mirrors)
                out.append(r)
    for where, match, why, priority, route in untranslated:
        report(ctx, owner, Severity.ERROR, "ING2GW-TRAEFIK-061", f"{where}: {match!r}: {why}; the route is not "
               "translated", details=_untranslated_scope(match, priority, route, out) or {"ingresses": owner.key})
    return out


def _untranslated_scope(match: str, priority: int, route: dict[str, Any], others: list[Router]) -> dict[str, str]:
    """The hosts and paths where an untranslated route of this IngressRoute decided requests in
    Traefik and the Gateway answers otherwise: the requests its rule may match, less those a
    router of the same IngressRoute takes first (higher priority) or answers alike (the same
    Services and middlewares). Empty when the rule's hosts cannot be bounded."""
    sc = rule_scope(match)
    if sc.hosts is None:
        return {}
    same = ([str((x or {}).get("name")) for x in route.get("middlewares") or []],
            [(str((x or {}).get("name")), (x or {}).get("port"), (x or {}).get("kind") or "Service")
             for x in route.get("services") or []])
    excluded: list[str] = []
    for r in others:
        if r.headers or r.query or r.method or (r.host is not None and {r.host} != set(sc.hosts)):
            continue
        alike = r.priority < priority and not r.actions and not same[0] and len(r.backends) == len(same[1]) == 1 \
            and (r.backends[0].name, r.backends[0].port, "Service") == same[1][0] and not r.mirrors
        if r.priority > priority or alike:
            excluded.append(re.escape(r.path) + (".*" if r.kind == "prefix" else ""))
    path = f"(?!(?:{'|'.join(excluded)})\\Z)(?:{sc.path})" if excluded else sc.path
    return {"hosts": ",".join(sorted(sc.hosts)), "paths": f"regex:{path}"}


def _router(ctx: BuildContext, owner: Owner, alt: Conjunction, match: str, priority: int,
            backends: tuple[ir.ServiceBackend, ...], eps: tuple[str, ...], tls: bool, secret: str | None,
            where: str) -> Router | None:
    hosts: list[str] = []
    paths: list[tuple[PathKind, str]] = []
    headers: list[tuple[str, str]] = []
    query: list[tuple[str, str]] = []
    methods: list[str] = []
    for atom in alt:
        if atom.name == "Host":
            hosts.append(",".join(a.lower() for a in atom.args))
        elif atom.name in ("Path", "PathPrefix"):
            paths.append(("exact" if atom.name == "Path" else "prefix", ",".join(atom.args)))
        elif atom.name in ("Header", "Headers") and len(atom.args) == 2:
            headers.append((atom.args[0], atom.args[1]))
        elif atom.name == "Query" and len(atom.args) == 2:
            query.append((atom.args[0], atom.args[1]))
        elif atom.name == "Method" and len(atom.args) == 1:
            methods.append(atom.args[0].upper())
        else:
            report(ctx, owner, Severity.ERROR, "ING2GW-TRAEFIK-061",
                   f"{where}: {atom.name}({', '.join(atom.args)}) cannot be expressed; the route is not translated",
                   details={"ingresses": owner.key})
            return None
    if len(hosts) > 1 or len(paths) > 1 or len(methods) > 1 or any("," in h for h in hosts):
        report(ctx, owner, Severity.ERROR, "ING2GW-TRAEFIK-061",
               f"{where}: {match!r} combines several Host, Path or Method matchers in one alternative; the route "
               "is not translated", details={"ingresses": owner.key})
        return None
    host = hosts[0] if hosts else None
    if host is not None and host_problem(host):
        report(ctx, owner, Severity.ERROR, "ING2GW-TRAEFIK-061",
               f"{where}: Host({host!r}): {host_problem(host)}; the route is not translated",
               details={"ingresses": owner.key})
        return None
    kind, path = paths[0] if paths else ("prefix", "/")
    return Router(owner, host, kind, path, match, priority, backends, eps, tls, where, headers=tuple(headers),
                  method=methods[0] if methods else None, query=tuple(query), tls_secret=secret)


def _backends(ctx: BuildContext, owner: Owner, ns: str, refs: list[Any], services: dict[tuple[str, str], Manifest],
              where: str, depth: int, mirrors: list[ir.Mirror] | None = None) -> tuple[ir.ServiceBackend, ...] | None:
    """Weighted backends of a route's services (TraefikService `weighted` flattened); the mirrors
    of a TraefikService `mirroring` that is the route's only service go to `mirrors`."""
    out: list[ir.ServiceBackend] = []
    for ref in refs:
        ref = ref or {}
        name = str(ref.get("name") or "")
        svc_ns = str(ref.get("namespace") or ns)
        weight = ref.get("weight")
        if svc_ns != ns and not static_of(ctx.options).crd_allow_cross_namespace:
            report(ctx, owner, Severity.WARNING, "ING2GW-TRAEFIK-004",
                   f"{where}: service {svc_ns}/{name} is in another namespace, which Traefik refuses unless "
                   "allowCrossNamespace is set: no router")
            return None
        if ref.get("kind") == "TraefikService":
            ts = services.get((svc_ns, name))
            spec = (ts.obj.get("spec") or {}) if ts is not None else {}
            if isinstance(spec, dict) and "mirroring" in spec and not mirroring_problem(spec) and depth == 0 \
                    and len(refs) == 1 and mirrors is not None:
                inner = _mirroring(ctx, owner, ns, svc_ns, name, spec["mirroring"], services, where, mirrors)
                if inner is None:
                    return None
                out += inner
                continue
            if ts is None or not isinstance(spec, dict) or "weighted" not in spec or weighted_problem(spec) \
                    or depth > 5:
                report(ctx, owner, Severity.WARNING, "ING2GW-TRAEFIK-062",
                       f"{where}: TraefikService {svc_ns}/{name} is missing, of another kind than weighted or "
                       "mirroring, or a mirroring one that is not the route's only service (its mirrors would "
                       "concern part of the traffic); the route is not translated")
                return None
            inner = _backends(ctx, owner, ns, (spec["weighted"] or {}).get("services") or [], services, where,
                              depth + 1)
            if inner is None:
                return None
            share = int(weight) if isinstance(weight, int) else 1
            total = sum(b.weight or 1 for b in inner) or 1
            out += [ir.ServiceBackend(b.namespace, b.name, b.port, ((b.weight or 1) * share * 1000) // total)
                    for b in inner]
            continue
        if svc_ns != ns:
            # allowCrossNamespace: Traefik let the route use another namespace's Service; Gateway
            # API needs that namespace's consent, a ReferenceGrant written there
            ctx.out.grants.add(ir.Grant(svc_ns, "gateway.networking.k8s.io", "HTTPRoute", ns, "", "Service", name))
            report(ctx, owner, Severity.WARNING, "ING2GW-TRAEFIK-066",
                   f"{where}: service {svc_ns}/{name} is in another namespace (Traefik's allowCrossNamespace): a "
                   f"ReferenceGrant in {svc_ns} lets HTTPRoutes of {ns} use it",
                   suggestion=f"have the owners of namespace {svc_ns} review the ReferenceGrant")
        port = ref.get("port")
        svc = ctx.inputs.service(svc_ns, name)
        number: int | None = port if isinstance(port, int) else None
        if number is None and svc is not None:
            sp = svc.port_by_name(str(port)) if port is not None else (svc.spec.ports[0] if len(svc.spec.ports) == 1
                                                                        else None)
            number = sp.port if sp is not None else None
        if number is None:
            report(ctx, owner, Severity.ERROR, "ING2GW-CORE-010",
                   f"{where}: port {port!r} of Service {svc_ns}/{name} cannot be resolved; the route is not translated",
                   suggestion="pass the Service manifest too, or use a port number")
            return None
        out.append(ir.ServiceBackend(svc_ns, name, number, int(weight) if isinstance(weight, int) else None))
    if len(out) > 1:
        out = [ir.ServiceBackend(b.namespace, b.name, b.port, b.weight if b.weight is not None else 1) for b in out]
    return tuple(out) if out else None


def _mirroring(ctx: BuildContext, owner: Owner, ns: str, ts_ns: str, ts_name: str, m: dict[str, Any],
               services: dict[tuple[str, str], Manifest], where: str,
               mirrors: list[ir.Mirror]) -> tuple[ir.ServiceBackend, ...] | None:
    """A TraefikService `mirroring`: its main service as the backends (a weighted TraefikService
    flattened), each mirror that is a Kubernetes Service as a RequestMirror with its percent."""
    main = {k: v for k, v in m.items() if k in ("name", "namespace", "port", "kind")}
    inner = _backends(ctx, owner, ns, [main], services, where, 1)
    if inner is None:
        return None
    label = f"{where}: TraefikService {ts_ns}/{ts_name}"
    for i, ref in enumerate(m.get("mirrors") or []):
        percent = ref.get("percent") or 0
        name = f"{ref.get('namespace') or ns}/{ref.get('name')}"
        if ref.get("kind") == "TraefikService":
            report(ctx, owner, Severity.WARNING, "ING2GW-TRAEFIK-086",
                   f"{label}: mirror {name} is a TraefikService, which RequestMirror cannot name; it gets no copies")
            continue
        if percent <= 0:
            report(ctx, owner, Severity.INFO, "ING2GW-TRAEFIK-086",
                   f"{label}: mirror {name} has percent {percent}: Traefik copies no request to it; no filter")
            continue
        got = _backends(ctx, owner, ns, [{k: v for k, v in ref.items() if k in ("name", "namespace", "port")}],
                        services, where, 1)
        if got is None:
            return None
        b = got[0]
        mirrors.append(ir.Mirror(ir.ServiceBackend(b.namespace, b.name, b.port), None if percent >= 100 else
                                 int(percent)))
    lost = [k for k in ("mirrorBody", "maxBodySize") if m.get(k) is not None and not (k == "mirrorBody" and m[k])
            and not (k == "maxBodySize" and m[k] in (-1, "-1"))]
    if lost:
        report(ctx, owner, Severity.INFO, "ING2GW-TRAEFIK-086",
               f"{label}: {', '.join(lost)} not carried: RequestMirror copies every selected request with its body")
    return inner

