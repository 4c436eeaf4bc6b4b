"""HAProxy Kubernetes Ingress Controller (haproxytech/kubernetes-ingress v3.2) -> neutral IR.

Modules by concern: `settings` (ConfigMap, Service annotations, prefixes, chart defaults),
`maps` (the host and path maps and which row wins), `annotations` (frontend annotations -> rule
features and findings), `routes` (listeners, routes, TLS, redirects, default backend). Facts:
../shared/reference/haproxy-semantics.md (rule ids H-xx). Shares no code with
`simulate.haproxy`, the model the translation is checked against.
"""

from __future__ import annotations

from ing2gw import ir
from ing2gw.findings import Severity
from ing2gw.model.ingress import Ingress
from ing2gw.providers.base import BuildContext, host_problem
from ing2gw.providers.haproxy import annotations, maps, routes
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


class HAProxyProvider:
    """Builds IR for the Ingresses of one HAProxy IngressClass."""

    name = "haproxy"

    def build(self, ctx: BuildContext, class_name: str, ingresses: list[Ingress]) -> None:
        settings = Settings.read(ctx.inputs)
        gw = ctx.gateway_for(class_name)
        ings = sorted((i for i in ingresses if _accepted(ctx, i)), key=lambda i: i.key)
        rows: list[maps.Row] = []
        features: dict[str, annotations.Features] = {}
        for ing in ings:
            own = maps.rows_of(ctx, settings, ing)
            features[ing.key] = annotations.read_features(ctx, settings, ing, {(r.type, r.value) for r in own})
            for r in own:
                if r.string_prefix:
                    ctx.finding(Severity.WARNING, "ING2GW-HAPROXY-010",
                                f"{r.where}: ImplementationSpecific {r.value} is a string prefix in HAProxy "
                                f"({r.value}x matches too); emitted as PathPrefix {r.value}", ing=ing,
                                suggestion="use pathType Prefix if whole path segments are meant",
                                details={"hosts": r.host or "*", "paths": f"prefix:{r.value}"})
            rows += own
        won = maps.winners(ctx, rows, {k: f.has_rules for k, f in features.items()})
        default = self._default_backend(ctx, ings)
        routes.emit(ctx, gw, ings, won, features, default)
        routes.gateway_findings(ctx, gw, default is not None)

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
