"""Routers of Traefik Ingresses (T-B1..T-B6), with the findings for what Traefik skips."""

from __future__ import annotations

from ing2gw import ir
from ing2gw.findings import Severity
from ing2gw.model.ingress import Ingress, IngressBackend, Service
from ing2gw.providers.base import BuildContext, host_problem
from ing2gw.providers.traefik import middlewares as mw
from ing2gw.providers.traefik.annotations import PREFIX, RouterAnnotations, parse_router_annotations
from ing2gw.providers.traefik.routers import MIN_INT32, PathKind, Router, owner_of, priority_of, rule_string
from ing2gw.providers.traefik.static import HOSTREGEXP_BEFORE, TraefikStatic, static_of

_MATCHERS: dict[str, PathKind] = {"Path": "exact", "PathPrefix": "prefix", "PathRegexp": "regex"}


def build_routers(ctx: BuildContext, ingresses: list[Ingress]) -> list[Router]:
    """Every router Traefik builds from `ingresses` that the translation can emit."""
    mws = mw.index(ctx.inputs.other, ctx.options.default_namespace)
    routers: list[Router] = []
    default_taken: Ingress | None = None
    for ing in ingresses:
        ann, problems = parse_router_annotations(ing.annotations)
        if ann is None:
            ctx.finding(Severity.WARNING, "ING2GW-TRAEFIK-001",
                        "Traefik skips this Ingress (nothing of it is translated): " + "; ".join(problems), ing=ing,
                        suggestion="fix the annotation; Traefik serves none of this Ingress's paths until then")
            continue
        _report_annotations(ctx, ing, ann)
        if not ing.spec.rules and ing.spec.default_backend is not None:
            if default_taken is not None:
                ctx.finding(Severity.WARNING, "ING2GW-TRAEFIK-041",
                            f"{default_taken.key} is already Traefik's default backend; which of the two Traefik "
                            "uses depends on list order (T-B5), ing2gw keeps the first by namespace/name", ing=ing,
                            details={"services": _svc_names(default_taken, ing)})
                continue
            r = _router(ctx, ing, ann, mws, None, "prefix", "/", ing.spec.default_backend, "spec.defaultBackend",
                        default=True)
            if r is not None:
                default_taken = ing
                routers.append(r)
            continue
        if ing.spec.default_backend is not None:
            ctx.finding(Severity.INFO, "ING2GW-TRAEFIK-040",
                        "spec.defaultBackend is ignored by Traefik on an Ingress with rules; nothing is emitted for it",
                        ing=ing)
        mine: dict[str, Router] = {}
        for ri, rule in enumerate(ing.spec.rules):
            host = (rule.host or "").strip().lower() or None
            if host is not None and host_problem(host):
                ctx.finding(Severity.ERROR, "ING2GW-CORE-007",
                            f"spec.rules[{ri}].host {host!r}: {host_problem(host)}; the rule is not translated",
                            ing=ing, suggestion="fix the host in the Ingress")
                continue
            if rule.http is None:
                continue
            for pi, p in enumerate(rule.http.paths):
                where = f"spec.rules[{ri}].http.paths[{pi}]"
                kind = _kind(ctx, ing, ann, p.path_type, where)
                if kind is None:
                    continue
                path = p.path or ""
                if not path:
                    if host is None:
                        ctx.finding(Severity.WARNING, "ING2GW-TRAEFIK-004",
                                    f"{where}: no host and no path: Traefik's rule would be empty, so it builds no "
                                    "router", ing=ing)
                        continue
                    kind, path = "prefix", "/"
                r = _router(ctx, ing, ann, mws, host, kind, path, p.backend, where, host_only=not p.path)
                if r is not None:
                    # two paths of one Ingress with the same rule share a router name: the later
                    # one overwrites the earlier (T-B3)
                    mine[r.rule] = r
        routers += mine.values()
    return routers


def _svc_names(*ings: Ingress) -> str:
    out = []
    for i in ings:
        b = i.spec.default_backend
        if b is not None and b.service is not None:
            out.append(f"{i.namespace}/{b.service.name}")
    return ",".join(out)


def _report_annotations(ctx: BuildContext, ing: Ingress, ann: RouterAnnotations) -> None:
    for key in ann.used:
        ctx.finding(Severity.INFO, "ING2GW-TRAEFIK-003", f"{key} converted", ing=ing, annotation=key,
                    value=ing.annotations.get(key), status="converted")
    for key in ann.neutral:
        ctx.finding(Severity.INFO, "ING2GW-TRAEFIK-002", f"{key} changes nothing on routing; not carried over",
                    ing=ing, annotation=key, value=ing.annotations.get(key), status="ignored")
    for key in sorted(ing.annotations):
        if key.startswith(PREFIX) and not key[len(PREFIX):].lower().startswith("router."):
            ctx.finding(Severity.INFO, "ING2GW-TRAEFIK-002",
                        f"{key}: Traefik reads only router.* annotations on an Ingress (service.* belong on the "
                        "Service)", ing=ing, annotation=key, value=ing.annotations[key], status="ignored")


def _kind(ctx: BuildContext, ing: Ingress, ann: RouterAnnotations, path_type: str | None,
          where: str) -> PathKind | None:
    """T-B2: Exact -> Path, Prefix -> PathPrefix, else router.pathmatcher (default PathPrefix)."""
    if path_type == "Exact":
        return "exact"
    if path_type == "Prefix":
        return "prefix"
    matcher = ann.pathmatcher or "PathPrefix"
    kind = _MATCHERS.get(matcher)
    if kind is None:
        ctx.finding(Severity.WARNING, "ING2GW-TRAEFIK-004",
                    f"{where}: router.pathmatcher {matcher!r} is not Path, PathPrefix or PathRegexp: Traefik builds "
                    "no router for this path", ing=ing, annotation=PREFIX + "router.pathmatcher", value=matcher)
    return kind


def _router(ctx: BuildContext, ing: Ingress, ann: RouterAnnotations, mws: dict[str, mw.Middleware | str],
            host: str | None, kind: PathKind, path: str, backend: IngressBackend, where: str, *,
            default: bool = False, host_only: bool = False) -> Router | None:
    scope = {"hosts": host or "*"}
    if backend.service is None:
        ctx.finding(Severity.WARNING, "ING2GW-TRAEFIK-004",
                    f"{where}: a resource backend is not supported by Traefik: no router", ing=ing)
        return None
    st = static_of(ctx.options)
    sb = _service(ctx, ing, backend, where, st)
    if sb is None:
        return None
    strict = st.strict_prefix_matching and kind == "prefix" and not host_only and not default
    rule = 'PathPrefix("/")' if default else rule_string(host, None if host_only else kind, path, strict=strict)
    # the rule of Traefik v3.0-v3.6 for a wildcard host is longer, and so is its priority (T-B2)
    ranked = rule if default or st.version >= HOSTREGEXP_BEFORE else \
        rule_string(host, None if host_only else kind, path, strict=strict, host_regexp=True)
    prio = MIN_INT32 if default else priority_of(ranked, ann.priority)
    if strict and path != "/" and path.endswith("/"):
        path = path[:-1]
    eps = ann.entrypoints if ann.entrypoints is not None else st.defaults()
    known = tuple(e for e in eps if e in st.http_names)
    unknown = [e for e in eps if e not in st.http_names]
    if unknown:
        ctx.finding(Severity.WARNING, "ING2GW-TRAEFIK-004",
                    f"{where}: entry point(s) {', '.join(unknown)} are not among Traefik's "
                    f"({', '.join(st.http_names)}): "
                    "Traefik drops them" + ("" if known else ", and with none left the router is unused"), ing=ing,
                    annotation=PREFIX + "router.entrypoints")
        if not known:
            return None
    resolved, problem = mw.resolve(ann.middlewares, mws)
    if problem:
        ctx.finding(Severity.WARNING, "ING2GW-TRAEFIK-030",
                    f"{where}: {problem}; Traefik drops the router, so nothing is emitted for it", ing=ing,
                    annotation=PREFIX + "router.middlewares", details=scope)
        return None
    r = Router(owner_of(ing), host, kind, path, rule, prio, (sb,), known, ann.tls is True, where, list(resolved),
               strict=strict)
    if kind == "regex":
        ctx.finding(Severity.ERROR, "ING2GW-TRAEFIK-005",
                    f"{where}: PathRegexp({path!r}) is not translated (Gateway API regular expressions are "
                    "implementation-specific); requests it matched get what the other rules give them", ing=ing,
                    annotation=PREFIX + "router.pathmatcher", value="PathRegexp",
                    details={**scope, "paths": f"regex:.*(?:{path}).*"})
        return None
    return r


def _service(ctx: BuildContext, ing: Ingress, backend: IngressBackend, where: str,
             st: TraefikStatic) -> ir.ServiceBackend | None:
    """The Service port Traefik's loadService finds, or None (no router) with a finding (T-B6)."""
    ref = backend.service
    assert ref is not None
    svc = ctx.inputs.service(ing.namespace, ref.name)
    if svc is None and any(ns == ing.namespace for ns, _ in ctx.inputs.services):
        # other Services of the namespace are in the input, this one is not: it is taken as
        # missing, and Traefik builds no router for a missing Service (T-B6)
        ctx.finding(Severity.WARNING, "ING2GW-TRAEFIK-006",
                    f"{where}: Service {ing.namespace}/{ref.name} is not among the Services in the input: Traefik "
                    "builds no router for a path whose Service is missing; nothing is emitted for it", ing=ing,
                    suggestion="pass the Service manifest too if it exists",
                    details={"services": f"{ing.namespace}/{ref.name}"})
        return None
    if svc is None:
        if ref.port.number is not None:
            return ir.ServiceBackend(ing.namespace, ref.name, ref.port.number)
        ctx.finding(Severity.ERROR, "ING2GW-CORE-010",
                    f"{where}: named port {ref.port.name!r} of Service {ing.namespace}/{ref.name} cannot be resolved: "
                    "the Service is not in the input", ing=ing,
                    suggestion="pass the Service manifest too (-f service.yaml), or use a port number")
        return None
    external_name = (svc.spec.external_name or "").lower().rstrip(".") or None \
        if svc.spec.type == "ExternalName" else None
    if svc.spec.type == "ExternalName" and st.allow_external_name_services and ctx.options.target is not None:
        # what the target does with it (and the Backend its emitter writes), as for ingress-nginx
        from ing2gw.providers.external_backends import target_finding

        sp_ = svc.port_by_number(ref.port.number) if ref.port.number is not None else \
            svc.port_by_name(str(ref.port.name))
        severity, code, message, suggestion = target_finding(
            ctx.options.target, f"{ing.namespace}/{ref.name}", external_name or "", sp_.port if sp_ else None,
            [p.port for p in svc.spec.ports])
        ctx.finding(severity, code, f"{where}: " + message.replace("ingress-nginx", "Traefik"),
                    ing=ing, suggestion=suggestion or None, details={"services": f"{ing.namespace}/{ref.name}"})
    elif svc.spec.type == "ExternalName" and st.allow_external_name_services:
        ctx.finding(Severity.WARNING, "ING2GW-TRAEFIK-065",
                    f"{where}: Service {ing.namespace}/{ref.name} is of type ExternalName "
                    f"({svc.spec.external_name}), which Traefik proxies with allowExternalNameServices; a backendRef "
                    "to an ExternalName Service is implementation-specific in Gateway API (many implementations "
                    "refuse it)", ing=ing, details={"services": f"{ing.namespace}/{ref.name}"},
                    suggestion="check that your implementation supports ExternalName backends, or use a Service "
                               "with endpoints")
    elif svc.spec.type == "ExternalName":
        ctx.finding(Severity.WARNING, "ING2GW-TRAEFIK-004",
                    f"{where}: Service {ing.namespace}/{ref.name} is of type ExternalName, which Traefik's Ingress "
                    "provider refuses unless allowExternalNameServices is set: no router", ing=ing)
        return None
    if not _service_annotations(ctx, ing, svc, where):
        return None
    if ref.port.number is not None:
        sp = svc.port_by_number(ref.port.number)
    else:
        sp = svc.port_by_name(str(ref.port.name))
    if sp is None:
        ctx.finding(Severity.WARNING, "ING2GW-TRAEFIK-004",
                    f"{where}: Service {ing.namespace}/{ref.name} has no port {ref.port.number or ref.port.name!r}: "
                    "Traefik builds no router for this path", ing=ing)
        return None
    return ir.ServiceBackend(ing.namespace, ref.name, sp.port, external_name=external_name)


#: service.* keys Traefik reads on a Service (annotations.go), lower case
_SERVICE_KEYS = ("service.serversscheme", "service.serverstransport", "service.passhostheader",
                 "service.nativelb", "service.nodeportlb", "service.middlewares", "service.sticky")


def _service_annotations(ctx: BuildContext, ing: Ingress, svc: Service, where: str) -> bool:
    """Report the Service's service.* annotations; False when one makes Traefik drop the path."""
    key = f"{svc.metadata.namespace or ing.namespace}/{svc.metadata.name}"
    ok = True
    for name, value in sorted((svc.metadata.annotations or {}).items()):
        if not name.startswith(PREFIX):
            continue
        short = name[len(PREFIX):].lower()
        if not short.startswith("service."):
            continue
        if not short.startswith(_SERVICE_KEYS):
            ctx.finding(Severity.WARNING, "ING2GW-TRAEFIK-052",
                        f"{where}: Service {key} carries unknown annotation {name}: Traefik builds no router for "
                        "paths using it; nothing is emitted for this path", ing=ing, annotation=name, value=value)
            ok = False
        elif short == "service.passhostheader":
            if value.strip().lower() in ("false", "0", "f"):
                ctx.finding(Severity.WARNING, "ING2GW-TRAEFIK-050",
                            f"{where}: Service {key} has {name}=false: Traefik sent the pod address as Host; the "
                            "Gateway sends the client's Host header", ing=ing, annotation=name, value=value,
                            details={"services": key})
        else:
            ctx.finding(Severity.WARNING, "ING2GW-TRAEFIK-051",
                        f"{where}: Service {key}: {name}={value!r} is not carried over", ing=ing, annotation=name,
                        value=value)
    return ok
