"""What every provider shares: who owns an Ingress, the build context, backend resolution.

The plain Ingress semantics (hosts, paths, TLS entries) are in `providers/ingress.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from ing2gw import ir
from ing2gw.findings import Finding, Severity
from ing2gw.model.ingress import Ingress, IngressBackend
from ing2gw.model.inputs import Inputs
from ing2gw.options import Options
from ing2gw.origin import Origin
from ing2gw.providers.detect import Verdict, detect
# re-exported: the plain-Ingress checks every provider uses lived here before providers/ingress.py
from ing2gw.providers.ingress import gateway_path_problem, host_problem

__all__ = ["BuildContext", "Ownership", "Provider", "gateway_path_problem", "host_problem",
           "resolve_ownership"]


#: Which controller serves an Ingress (decided in providers/detect.py, which fails closed).
Ownership = Verdict


def resolve_ownership(ing: Ingress, inputs: Inputs, options: Options) -> Ownership:
    """The controller detection's verdict for `ing` (see ing2gw.providers.detect)."""
    return detect(ing, inputs, options)


@dataclass
class BuildContext:
    """What a provider needs while building IR for one group of Ingresses."""

    inputs: Inputs
    options: Options
    out: ir.IR
    gateway_for: Callable[[str], ir.Gateway]
    findings: list[Finding] = field(default_factory=list)
    #: (Ingress key, topic, ...) already reported by `ecosystem`
    reported_ecosystem: set[tuple[str, ...]] = field(default_factory=set)
    #: Ingresses that carry external-dns annotations (translate reports the sources needed)
    dns_ingresses: set[str] = field(default_factory=set)

    def finding(self, severity: Severity | str, code: str, message: str, *, ing: Ingress | None = None,
                origin: Origin | None = None, annotation: str | None = None, value: str | None = None,
                suggestion: str | None = None, status: str | None = None, security: bool = False,
                details: dict[str, str] | None = None) -> None:
        sev = Severity(severity)
        accepted = False
        if security and annotation is not None and self.accepts_loss(annotation) and sev is Severity.ERROR:
            sev, accepted = Severity.WARNING, True
        self.findings.append(Finding(
            sev, code, message, origin=origin or (ing.origin if ing is not None else None),
            subject=f"Ingress {ing.key}" if ing is not None else "", annotation=annotation, value=value,
            suggestion=suggestion, status=status, security=security, accepted=accepted,
            details=tuple(sorted((details or {}).items()))))

    def accepts_loss(self, annotation: str) -> bool:
        short = annotation.rsplit("/", 1)[-1]
        return annotation in self.options.allow_weakened or short in self.options.allow_weakened

    def resolve_backend(self, ing: Ingress, backend: IngressBackend, where: str,
                        scope: dict[str, str] | None = None) -> ir.ServiceBackend | None:
        """The Service port number of an Ingress backend, or None with an error finding.

        Named ports are resolved from Service objects in the input; a name that cannot be
        resolved is an error, never a guess. `scope` (the hosts and paths that reach the
        backend, as finding details) tells the equivalence check which requests the findings
        concern.
        """
        scoped = dict(scope or {})
        svc_ref = backend.service
        if svc_ref is None:
            return None
        svc = self.inputs.service(ing.namespace, svc_ref.name)
        port = svc_ref.port
        if svc is None and any(ns == ing.namespace for ns, _ in self.inputs.services):
            self.finding(Severity.INFO, "ING2GW-CORE-021",
                         f"{where}: Service {ing.namespace}/{svc_ref.name} is not among the Services in the input; if "
                         "it does not exist, ingress-nginx answers 503 and the Gateway 500", ing=ing,
                         details={"services": f"{ing.namespace}/{svc_ref.name}", **scoped})
        external = svc is not None and svc.spec.type == "ExternalName"
        external_name = ((svc.spec.external_name or "").lower().rstrip(".") or None) if svc is not None and external \
            else None
        if external and self.options.target is not None:
            assert svc is not None
            from ing2gw.providers.external_backends import target_finding

            named = svc.port_by_name(str(port.name)) if port.number is None else None
            severity, code, message, suggestion = target_finding(
                self.options.target, f"{ing.namespace}/{svc_ref.name}", external_name or "",
                port.number if port.number is not None else named.port if named is not None else None,
                [p.port for p in svc.spec.ports])
            self.finding(severity, code, message, ing=ing, suggestion=suggestion or None,
                         details={"services": f"{ing.namespace}/{svc_ref.name}", **scoped})
        elif external:
            assert svc is not None
            self.finding(Severity.WARNING, "ING2GW-CORE-040",
                         f"Service {ing.namespace}/{svc_ref.name} is of type ExternalName ({svc.spec.external_name}): "
                         "ingress-nginx proxies to that DNS name; whether a Gateway accepts an ExternalName Service "
                         "as a backendRef is implementation-specific, so the equivalence check cannot vouch for its "
                         "routes", ing=ing,
                         suggestion="check your implementation's support, or point the route at a Service with "
                                    "endpoints (or the implementation's own external-backend resource)",
                         details={"services": f"{ing.namespace}/{svc_ref.name}", **scoped})
        if port.number is not None:
            # ingress-nginx uses a number an ExternalName Service does not list as it is (externalNamePorts)
            if svc is not None and svc.spec.ports and svc.port_by_number(port.number) is None and not external:
                self.finding(Severity.ERROR, "ING2GW-CORE-011",
                             f"{where}: Service {ing.namespace}/{svc_ref.name} has no port {port.number} "
                             f"(it has {', '.join(str(p.port) for p in svc.spec.ports)})", ing=ing,
                             suggestion="fix the Ingress backend port; ingress-nginx answers 503 for this path",
                             details={"services": f"{ing.namespace}/{svc_ref.name}", **scoped})
            return ir.ServiceBackend(ing.namespace, svc_ref.name, port.number, external_name=external_name)
        if svc is None:
            self.finding(Severity.ERROR, "ING2GW-CORE-010",
                         f"{where}: named port {port.name!r} of Service {ing.namespace}/{svc_ref.name} cannot be "
                         "resolved: the Service is not in the input", ing=ing,
                         suggestion="pass the Service manifest too (-f service.yaml), or use a port number",
                         details={"services": f"{ing.namespace}/{svc_ref.name}", **scoped})
            return None
        sp = svc.port_by_name(str(port.name))
        if sp is None:
            self.finding(Severity.ERROR, "ING2GW-CORE-010",
                         f"{where}: Service {ing.namespace}/{svc_ref.name} has no port named {port.name!r} "
                         f"(it has {', '.join(repr(p.name) for p in svc.spec.ports) or 'no ports'})", ing=ing,
                         suggestion="fix the port name; ingress-nginx answers 503 for this path",
                         details={"services": f"{ing.namespace}/{svc_ref.name}", **scoped})
            return None
        return ir.ServiceBackend(ing.namespace, svc_ref.name, sp.port, external_name=external_name)


class Provider(Protocol):
    """Builds IR for the Ingresses of one controller, one IngressClass at a time."""

    def build(self, ctx: BuildContext, class_name: str, ingresses: list[Ingress]) -> None: ...
