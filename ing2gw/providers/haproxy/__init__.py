"""HAProxy Kubernetes Ingress Controller (haproxytech/kubernetes-ingress v3.2) -> neutral IR.

Modules by concern: `settings` (ConfigMap, Service annotations, prefixes, chart defaults),
`maps` (the host and path maps and which row wins), `features` (frontend annotations -> rule
features and findings), `routes` (listeners, routes, TLS, redirects, default backend). Facts:
../shared/reference/haproxy-semantics.md (rule ids H-xx). Shares no code with
`simulate.haproxy`, the model the translation is checked against.
"""

from __future__ import annotations

import re

from ing2gw import ir
from ing2gw.findings import Severity
from ing2gw.model.ingress import Ingress
from ing2gw.providers.base import BuildContext, host_problem
from ing2gw.providers.haproxy import backend_settings, features as frontend, maps, routes
from ing2gw.providers.haproxy.flags import ControllerFlags, parse as parse_flags
from ing2gw.providers.haproxy.settings import Settings


def _accepted(ctx: BuildContext, ing: Ingress) -> bool:
    """An invalid rule host makes the API server refuse the whole Ingress: nothing of it existed."""
    ok = True
    for i, rule in enumerate(ing.spec.rules):
        host = (rule.host or "").strip()
        problem = host_problem(host) if host else None
        if problem:
            ok = False
            ctx.finding(Severity.ERROR, "ING2GW-CORE-007",
                        f"spec.rules[{i}].host {host!r}: {problem}; the API server rejects the whole Ingress, so the "
                        "controller never served it and nothing of it is translated", ing=ing,
                        suggestion="fix the host in the Ingress")
    return ok


def _served(ctx: BuildContext, flags: ControllerFlags, ing: Ingress) -> bool:
    """H-A1 with the controller's flags: with --ingress.class=X the class (or, without one, the
    default IngressClass) must have the controller `haproxy.org/ingress-controller/X`, and a
    class-less Ingress is served with --empty-ingress-class; without --ingress.class a class-less
    Ingress is served and a class must have `haproxy.org/ingress-controller`. An IngressClass
    missing from the input is taken as this instance's (detection gave the class to HAProxy).
    The store watches only --namespace-whitelist (or all but --namespace-blacklist)."""
    flags_text = "the chart's flags" if flags.chart else "the given flags"
    if not flags.watches(ing.namespace):
        ctx.finding(Severity.WARNING, "ING2GW-HAPROXY-034",
                    f"namespace {ing.namespace} is not watched by the controller ("
                    + (f"--namespace-whitelist={','.join(flags.namespace_whitelist)}" if flags.namespace_whitelist
                       else f"--namespace-blacklist={','.join(flags.namespace_blacklist)}")
                    + "): it never served this Ingress, and nothing of it is translated", ing=ing,
                    suggestion="add the namespace to the controller's --namespace-whitelist if HAProxy must serve it")
        return False
    classes = ctx.inputs.ingress_classes
    cls = ing.spec.ingress_class_name or ""
    want = flags.class_controller
    if cls:
        if cls not in classes:
            return True
        ctrl = classes[cls].spec.controller or ""
        why = f"IngressClass {cls} has controller {ctrl!r}"
        if ctrl == want:
            return True
    else:
        defaults = [c for c in classes.values()
                    if c.metadata.annotations.get("ingressclass.kubernetes.io/is-default-class") == "true"]
        ctrl = (defaults[0].spec.controller or "") if defaults else ""
        why = "no ingressClassName" + (f" and the default IngressClass has controller {ctrl!r}" if defaults else
                                       " and no default IngressClass (the kubernetes.io/ingress.class annotation is "
                                       "never read)")
        if ctrl == want or (not flags.ingress_class and ctrl == "") or (flags.ingress_class and flags.empty_ingress_class):
            return True
    served = (f"--ingress.class={flags.ingress_class}" + (" --empty-ingress-class" if flags.empty_ingress_class else "")
              if flags.ingress_class else "no --ingress.class")
    ctx.finding(Severity.WARNING, "ING2GW-HAPROXY-023",
                f"{why}: with {flags_text} ({served}) the controller serves only {want}"
                + ("" if flags.ingress_class and not flags.empty_ingress_class else " and class-less Ingresses")
                + ", so it ignores this Ingress, and nothing of it is translated", ing=ing,
                suggestion=f"set ingressClassName to a class with controller {want} if HAProxy must serve it")
    return False


class HAProxyProvider:
    """Builds IR for the Ingresses of one HAProxy IngressClass."""

    name = "haproxy"

    def build(self, ctx: BuildContext, class_name: str, ingresses: list[Ingress]) -> None:
        flags = parse_flags(ctx.options.haproxy_flags)
        settings = Settings.read(ctx.inputs, flags)
        ings = sorted((i for i in ingresses if _served(ctx, flags, i) and _accepted(ctx, i)), key=lambda i: i.key)
        if not ings:
            return
        gw = ctx.gateway_for(class_name)
        settings.rewrites = any(settings.frontend(i, "path-rewrite") is not None for i in ings)
        rows: list[maps.Row] = []
        features: dict[str, frontend.Features] = {}
        for ing in ings:
            own = maps.rows_of(ctx, settings, ing)
            features[ing.key] = frontend.read_features(ctx, settings, ing, {(r.type, r.value) for r in own})
            for r in own:
                if r.string_prefix:
                    ctx.finding(Severity.WARNING, "ING2GW-HAPROXY-010",
                                f"{r.where}: ImplementationSpecific {r.value} is a string prefix in HAProxy "
                                f"({r.value}x matches too); emitted as PathPrefix {r.value}", ing=ing,
                                suggestion="use pathType Prefix if whole path segments are meant",
                                details={"hosts": r.host or "*",
                                         # requests the string prefix takes and the segment prefix not
                                         "paths": f"regex:{re.escape(r.value)}[^/].*"})
            rows += own
        used: dict[tuple[str, str], Ingress] = {}
        for r in rows:
            used.setdefault((r.backend.namespace, r.backend.name), r.ing)
        frontend.report_services(ctx, settings, used)
        frontend.report_configmap(ctx, settings)
        self._redirect_order(ctx, ings, settings, features)
        has_rules = {k: f.has_rules for k, f in features.items()}
        acl_rows = [r for r in rows if r.acl]
        won = maps.winners(ctx, [r for r in rows if not r.acl], has_rules)
        won += maps.check_acl_rows(ctx, settings, acl_rows, won, has_rules)
        default = self._default_backend(ctx, ings) or self._default_service(ctx, ings, settings)
        # the default backend's rule joins its Ingress's route: its Service is one of the route's
        for key, extra in backend_settings.backend_intents(ctx, settings, rows, default).items():
            features[key].intents.extend(extra)
        routes.emit(ctx, gw, ings, won, features, default, settings)
        routes.gateway_findings(ctx, gw, settings, default is not None,
                                any(not r.host for r in won) or default is not None,
                                routes.fallback_certificate(ings, settings))

    def _redirect_order(self, ctx: BuildContext, ings: list[Ingress], settings: Settings,
                        features: dict[str, frontend.Features]) -> None:
        """H-G1: an identical request-redirect of another Ingress may sit before this Ingress's
        HTTPS redirect in the frontend's rule list (first insertion, undefined order)."""
        for ing in ings:
            f = features[ing.key]
            if f.ssl_redirect is None or f.redirect is None:
                continue
            others = [o.key for o in ings if o is not ing and features[o.key].redirect == f.redirect]
            if others:
                ctx.finding(Severity.WARNING, "ING2GW-HAPROXY-031",
                            f"this Ingress redirects HTTP to HTTPS and has a request-redirect that {', '.join(others)} "
                            "shares: which of the two answers HTTP requests depends on the controller's processing "
                            "order; ing2gw emits the HTTPS redirect", ing=ing)

    def _default_backend(self, ctx: BuildContext, ings: list[Ingress]) -> tuple[Ingress, ir.ServiceBackend] | None:
        """H-D2: any Ingress's spec.defaultBackend serves every unmatched request (the last
        processed wins, in an undefined order)."""
        found: list[tuple[Ingress, ir.ServiceBackend]] = []
        for ing in ings:
            if ing.spec.default_backend is None:
                continue
            r = maps.resolve(ctx, ing, ing.spec.default_backend, "spec.defaultBackend")
            if r is not None:
                found.append((ing, r[0]))
        if not found:
            return None
        if len({(b.namespace, b.name, b.port) for _, b in found}) > 1:
            ctx.finding(Severity.WARNING, "ING2GW-HAPROXY-016",
                        "several Ingresses set spec.defaultBackend (" + ", ".join(i.key for i, _ in found) + "): the "
                        f"controller uses the last it processes, in an undefined order; ing2gw uses {found[0][0].key}'s",
                        ing=found[0][0], details={"services": ",".join(f"{b.namespace}/{b.name}" for _, b in found)})
        ing, backend = found[0]
        ctx.finding(Severity.INFO, "ING2GW-HAPROXY-015",
                    f"spec.defaultBackend {backend.namespace}/{backend.name}:{backend.port} answers every unmatched "
                    "request of every host (H-D2): each host gets a `/` rule to it", ing=ing)
        return found[0]

    def _default_service(self, ctx: BuildContext, ings: list[Ingress],
                         settings: Settings) -> tuple[Ingress, ir.ServiceBackend] | None:
        """H-D1: --default-backend-service (the ConfigMap's default-backend-service over it, read
        only when the flag is set) serves unmatched requests when no Ingress has a defaultBackend;
        the Service's first port unless one is named. Its `/` rules go on the routes of the
        class's first Ingress (by namespace/name): the flag belongs to no Ingress."""
        if settings.flags.default_backend is None:
            return None
        ns, name, _ = settings.flags.default_backend
        cm = settings.configmap.get("default-backend-service")
        if cm is not None and cm[0].strip():
            cns, sep, cname = cm[0].strip().partition("/")
            if sep and cns and cname:
                ns, name = cns, cname
        svc = ctx.inputs.service(ns, name)
        first = ings[0]
        if svc is None or not svc.spec.ports:
            ctx.finding(Severity.WARNING, "ING2GW-HAPROXY-033",
                        f"the default service {ns}/{name} (--default-backend-service) is not in the input, so its port is "
                        "unknown: unmatched requests get the Gateway's 404 instead of that Service", ing=first,
                        suggestion="pass the Service manifest too (-f service.yaml)",
                        details={"services": f"{ns}/{name}"})
            return None
        backend = ir.ServiceBackend(ns, name, svc.spec.ports[0].port)
        ctx.finding(Severity.INFO, "ING2GW-HAPROXY-033",
                    f"the default service {ns}/{name}:{backend.port} (--default-backend-service) answers every "
                    "unmatched request of every host (H-D1): each host gets a `/` rule to it, on the routes of "
                    f"{first.key}", ing=first)
        return first, backend
