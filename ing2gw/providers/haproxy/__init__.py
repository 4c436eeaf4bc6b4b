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
from ing2gw.providers.haproxy import features as frontend, maps, routes
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


#: the IngressClass controller the chart's --ingress.class=haproxy serves (H-A1)
CHART_CONTROLLER = "haproxy.org/ingress-controller/haproxy"


def _served(ctx: BuildContext, ing: Ingress) -> bool:
    """H-A1 with the chart's flags: the class (or, without one, the default IngressClass) must
    have the controller `haproxy.org/ingress-controller/haproxy`. An IngressClass missing from
    the input is taken as the chart's (detection gave the class to HAProxy)."""
    classes = ctx.inputs.ingress_classes
    cls = ing.spec.ingress_class_name or ""
    if cls:
        if cls not in classes:
            return True
        ctrl = classes[cls].spec.controller or ""
        why = f"IngressClass {cls} has controller {ctrl!r}"
    else:
        defaults = [c for c in classes.values()
                    if c.metadata.annotations.get("ingressclass.kubernetes.io/is-default-class") == "true"]
        ctrl = (defaults[0].spec.controller or "") if defaults else ""
        why = "no ingressClassName" + (f" and the default IngressClass has controller {ctrl!r}" if defaults else
                                       " and no default IngressClass (the kubernetes.io/ingress.class annotation is "
                                       "never read)")
    if ctrl == CHART_CONTROLLER:
        return True
    ctx.finding(Severity.WARNING, "ING2GW-HAPROXY-023",
                f"{why}: with the chart's --ingress.class=haproxy the controller serves only {CHART_CONTROLLER}, so "
                "it ignores this Ingress, and nothing of it is translated", ing=ing,
                suggestion=f"set ingressClassName to a class with controller {CHART_CONTROLLER} if HAProxy must serve it")
    return False


class HAProxyProvider:
    """Builds IR for the Ingresses of one HAProxy IngressClass."""

    name = "haproxy"

    def build(self, ctx: BuildContext, class_name: str, ingresses: list[Ingress]) -> None:
        settings = Settings.read(ctx.inputs)
        ings = sorted((i for i in ingresses if _served(ctx, i) and _accepted(ctx, i)), key=lambda i: i.key)
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
        self._redirect_order(ctx, ings, settings, features)
        won = maps.winners(ctx, rows, {k: f.has_rules for k, f in features.items()})
        default = self._default_backend(ctx, ings)
        routes.emit(ctx, gw, ings, won, features, default)
        routes.gateway_findings(ctx, gw, default is not None, any(not r.host for r in won) or default is not None)

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
