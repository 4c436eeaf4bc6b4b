"""Sort loaded manifests into typed inputs, collecting every problem at once."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ing2gw.errors import InputError, Problem
from ing2gw.findings import Finding, Severity
from ing2gw.load import Manifest
from ing2gw.origin import Origin
from ing2gw.model.ingress import (
    INGRESS_API_VERSIONS,
    LEGACY_INGRESS_API_VERSIONS,
    Ingress,
    IngressClass,
    Namespace,
    ParseError,
    Service,
    parse,
    parse_ingress,
)

GATEWAY_API_GROUPS = ("gateway.networking.k8s.io", "gateway.networking.x-k8s.io")


@dataclass
class Inputs:
    """Everything the translation reads, typed; plus the objects it passes through."""

    ingresses: list[Ingress] = field(default_factory=list)
    ingress_classes: dict[str, IngressClass] = field(default_factory=dict)
    services: dict[tuple[str, str], Service] = field(default_factory=dict)
    namespaces: dict[str, Namespace] = field(default_factory=dict)
    configmaps: list[Manifest] = field(default_factory=list)
    gateway_api: list[Manifest] = field(default_factory=list)
    other: list[Manifest] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: objects left out because they are invalid (only with skip_invalid), with their problems
    invalid: list[tuple[Manifest, list[Problem]]] = field(default_factory=list)

    def service(self, namespace: str, name: str) -> Service | None:
        return self.services.get((namespace, name))


def _is_kind(m: Manifest, kind: str, group: str) -> bool:
    return m.kind == kind and m.group == group


def classify(manifests: list[Manifest], default_namespace: str = "default", *, skip_invalid: bool = False) -> Inputs:
    """Parse every Ingress, IngressClass, Service and Namespace; keep everything else.

    Raises InputError with every problem of every object (one bad Ingress never hides others).
    With `skip_invalid`, an invalid object (or the second of two Ingresses with the same
    namespace/name) is left out instead, with an error finding per problem (ING2GW-LOAD-005),
    and listed in `Inputs.invalid`.
    """
    inputs = Inputs()
    problems: list[Problem] = []
    seen: dict[tuple[str, str, str], Manifest] = {}
    for m in manifests:
        try:
            if m.kind == "Ingress" and m.api_version in INGRESS_API_VERSIONS + LEGACY_INGRESS_API_VERSIONS:
                ing, fs = parse_ingress(m)
                key = ("Ingress", ing.metadata.namespace or default_namespace, ing.name)
                if key in seen:
                    raise ParseError([Problem(m.origin.file, m.origin.line, f"Ingress {key[1]}/{key[2]}: defined twice "
                                                                            f"(first at {seen[key].origin})")])
                seen[key] = m
                if not ing.metadata.namespace:
                    ing = replace(ing, metadata=replace(ing.metadata, namespace=default_namespace))
                inputs.ingresses.append(ing)
                inputs.findings.extend(fs)
            elif _is_kind(m, "IngressClass", "networking.k8s.io"):
                ic = parse(IngressClass, m)
                assert isinstance(ic, IngressClass)
                inputs.ingress_classes[ic.metadata.name] = ic
            elif _is_kind(m, "Service", ""):
                svc = parse(Service, m)
                assert isinstance(svc, Service)
                ns = svc.metadata.namespace or default_namespace
                inputs.services[(ns, svc.metadata.name)] = svc
            elif _is_kind(m, "Namespace", ""):
                n = parse(Namespace, m)
                assert isinstance(n, Namespace)
                inputs.namespaces[n.metadata.name] = n
            elif _is_kind(m, "ConfigMap", ""):
                inputs.configmaps.append(m)
                inputs.other.append(m)
            elif m.group in GATEWAY_API_GROUPS:
                inputs.gateway_api.append(m)
                inputs.other.append(m)
            else:
                inputs.other.append(m)
        except ParseError as exc:
            if skip_invalid:
                inputs.invalid.append((m, exc.problems))
                inputs.findings.extend(_skipped_finding(m, p, default_namespace) for p in exc.problems)
            else:
                problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return inputs


def _skipped_finding(m: Manifest, p: Problem, default_namespace: str) -> Finding:
    subject = f"{m.kind} {m.namespace or default_namespace}/{m.name or '?'}"
    message = p.message
    for prefix in (f"{subject}: ", f"{m.kind} {m.namespace or 'default'}/{m.name or '?'}: ", f"{m.kind} {m.name}: "):
        message = message.removeprefix(prefix)
    return Finding(Severity.ERROR, "ING2GW-LOAD-005", f"{message}; left out of the translation (skip-invalid)",
                   origin=Origin(p.file, p.line), subject=subject,
                   suggestion="fix the object at the line given, or remove it from the input")


def configmap_data(m: Manifest) -> dict[str, str]:
    """The `data` of a ConfigMap manifest, values as strings."""
    data: Any = m.obj.get("data") or {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
