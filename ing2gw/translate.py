"""The public entry point: manifests + options -> Gateway API objects by owner, and findings."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from ing2gw import ir, mappings
from ing2gw.emit.gateway import SOURCE_ANNOTATION, ClassSpec, EarlierGateways, Output, emit
from ing2gw.errors import UsageError
from ing2gw.findings import Finding, Severity, sort_findings
from ing2gw.load import Manifest
from ing2gw.model.ingress import Ingress
from ing2gw.model.inputs import Inputs, classify
from ing2gw.options import Options
from ing2gw.options import problems as option_problems
from ing2gw.providers import provider_for
from ing2gw.providers.base import BuildContext
from ing2gw.providers.detect import Verdict, detect, unused_class_options


@dataclass
class Result:
    """A finished translation."""

    output: Output
    inputs: Inputs
    findings: list[Finding]
    #: Ingress key -> which controller serves it, how we know (providers/detect.py)
    ownership: dict[str, Verdict] = field(default_factory=dict)

    @property
    def platform(self) -> list[dict[str, Any]]:
        return self.output.platform

    @property
    def apps(self) -> dict[str, list[dict[str, Any]]]:
        return self.output.apps

    def objects(self) -> list[dict[str, Any]]:
        return self.output.all_objects()

    def translated_ingresses(self) -> list[Ingress]:
        """Ingresses of controllers ing2gw translated (what the equivalence check compares)."""
        return [i for i in self.inputs.ingresses if self.ownership[i.key].translated]



def _traefik_objects(other: list[Manifest]) -> list[Manifest]:
    """The input's Traefik CRD objects; the Traefik package is imported only when there are
    objects it could claim (a run with only Ingresses and Services does not load it)."""
    if not other:
        return []
    from ing2gw.providers.traefik.crd import traefik_objects

    return traefik_objects(other)

def _dns_label(text: str) -> str:
    s = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return s[:63].rstrip("-") or "gateway"


def target_spec(target: str | None) -> dict[str, Any] | None:
    """The target implementation's table (mappings/targets/<target>.yaml), or None."""
    if target is None:
        return None
    try:
        spec: dict[str, Any] = mappings.table(f"targets/{target}")
    except FileNotFoundError:
        known = ", ".join(known_targets()) or "none"
        raise UsageError(f"unknown --target {target!r}; known targets: {known}") from None
    return spec


def known_targets() -> list[str]:
    """The targets `--target` accepts (those with a table in mappings/targets/)."""
    return mappings.target_names()


def translate(manifests: list[Manifest], options: Options | None = None, *,
              earlier: EarlierGateways | None = None) -> Result:
    """Translate every Ingress in `manifests`. Raises InputError for unusable input (with
    `options.skip_invalid`, invalid objects are left out with an error finding instead).

    `earlier`: the Gateways an earlier run wrote (`migrate`), so that hosts keep their Gateway."""
    options = options or Options()
    bad = option_problems(options)
    if bad:
        raise UsageError("; ".join(bad))
    if options.haproxy_flags:
        # refused before anything is read, with or without HAProxy Ingresses in the input
        from ing2gw.providers.haproxy.flags import parse as parse_haproxy_flags

        parse_haproxy_flags(options.haproxy_flags)
    target = target_spec(options.target)
    inputs = classify(manifests, options.default_namespace, skip_invalid=options.skip_invalid)
    out = ir.IR()
    findings: list[Finding] = list(inputs.findings)
    ownership = {ing.key: detect(ing, inputs, options) for ing in inputs.ingresses}
    findings += unused_class_options(inputs.ingresses, inputs, options)

    groups: dict[tuple[str, str], list[Ingress]] = defaultdict(list)
    for ing in inputs.ingresses:
        o = ownership[ing.key]
        f = o.finding(ing)
        if f is not None:
            findings.append(f)
        if not o.translated:
            continue
        groups[(o.controller, o.class_name)].append(ing)

    if not any(c == "traefik" for c, _ in groups) and _traefik_objects(inputs.other):
        # IngressRoutes are Traefik's without an Ingress to detect it from: its provider runs
        groups[("traefik", "traefik")] = []
    class_names = sorted({c for _, c in groups})
    gateways: dict[str, ir.Gateway] = {}
    default_class = options.gateway_class or (target or {}).get("gatewayClassName")

    def gateway_for(class_name: str) -> ir.Gateway:
        key = "single" if options.single_gateway else class_name
        if key not in gateways:
            if options.single_gateway or len(class_names) == 1:
                name = options.gateway_name or _dns_label(class_name if not options.single_gateway else "ingress")
            else:
                name = f"{options.gateway_name}-{_dns_label(class_name)}" if options.gateway_name else _dns_label(class_name)
            gateways[key] = ir.Gateway(key=key, name=name, namespace=options.gateway_namespace,
                                       class_name=default_class or _dns_label(class_name))
        g = gateways[key]
        if class_name not in g.ingress_classes:
            g.ingress_classes.append(class_name)
        return g

    dns_ingresses: set[str] = set()
    for (controller, class_name), ings in sorted(groups.items()):
        provider = provider_for(controller)
        assert provider is not None
        ctx = BuildContext(inputs=inputs, options=options, out=out, gateway_for=gateway_for)
        provider.build(ctx, class_name, ings)
        findings.extend(ctx.findings)
        dns_ingresses |= ctx.dns_ingresses
    out.gateways = {g.key: g for g in gateways.values()}

    class_spec = None
    if options.emit_gateway_class or target is not None:
        controller_name = options.gateway_controller_name or (target or {}).get("controllerName")
        if controller_name is None:
            raise UsageError("--emit-gateway-class needs --target or --gateway-controller-name to know the controller")
        names = {g.class_name for g in gateways.values()}
        if len(names) == 1:
            class_spec = ClassSpec(next(iter(names)), controller_name)
    output = emit(out, class_spec, options.target, earlier, listeners=options.listeners)
    findings.extend(output.findings)
    if dns_ingresses:
        sources = mappings.table("external-dns")["sources"]
        kinds = sorted({o["kind"] for objs in output.apps.values() for o in objs if o["kind"] in sources})
        flags = " ".join(f"--source={sources[k]}" for k in kinds)
        readable = "gateways and routes"
        if any(o["kind"] == "ListenerSet" for objs in output.apps.values() for o in objs):
            # external-dns follows a route's ListenerSet parent to its Gateway only when told to
            # (0.21+, docs/sources/gateway-api.md); without it those routes get no records
            flags += " --gateway-listener-sets"
            readable = "gateways, listenersets and routes"
        findings.append(Finding(
            Severity.WARNING, "ING2GW-DNS-003",
            f"{len(dns_ingresses)} Ingress(es) carry external-dns annotations: external-dns must run with {flags} "
            f"(instead of, or besides, --source=ingress) and may read {readable}, or their DNS records go "
            "away with the Ingresses", suggestion="update external-dns's arguments and RBAC before removing Ingresses"))

    emitted_sources = {o.get("metadata", {}).get("annotations", {}).get(SOURCE_ANNOTATION)
                       for objs in output.apps.values() for o in objs}
    for ings in groups.values():
        for ing in ings:
            if ing.key not in emitted_sources and ing.key not in out.merged:
                findings.append(Finding(Severity.WARNING, "ING2GW-CORE-022",
                                        "nothing in this Ingress reaches the output (see the other findings for it)",
                                        origin=ing.origin, subject=f"Ingress {ing.key}"))
    read = {id(m) for m in _traefik_objects(inputs.other)} if any(c == "traefik" for c, _ in groups) else set()
    untouched = Counter(m.kind for m in inputs.other if m.kind != "ConfigMap" and id(m) not in read)
    if untouched:
        findings.append(Finding(Severity.INFO, "ING2GW-LOAD-002",
                                "objects passed through untouched: " + ", ".join(f"{n} {k}" for k, n in sorted(untouched.items()))))
    output.findings = []
    return Result(output=output, inputs=inputs, findings=sort_findings(findings), ownership=ownership)
