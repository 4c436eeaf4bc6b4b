"""Glue between a translation and the equivalence check (what `convert --verify` runs)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, Sequence

from ing2gw.load import Manifest
from ing2gw.options import Options
from ing2gw.providers.ingress_nginx import controller_configmap
from ing2gw.simulate.request import Answer, ClusterContext, Request
from ing2gw.translate import Result
from ing2gw.verify import VerifyResult, manifests_from_objects, run_check


def _routes_of(result: Result) -> list[str]:
    """The source annotations of the translation's routes."""
    from ing2gw.emit.gateway import SOURCE_ANNOTATION

    return [str(((o.get("metadata") or {}).get("annotations") or {}).get(SOURCE_ANNOTATION) or "")
            for o in result.objects() if o.get("kind") in ("HTTPRoute", "GRPCRoute", "TLSRoute")]


def verify_translation(result: Result, manifests: Sequence[Manifest], options: Options,
                       new_objects: Sequence[dict[str, Any]] | None = None, context: ClusterContext | None = None,
                       extra_probes: Sequence[Request] = (),
                       observe: Callable[[Request, Answer, Answer], None] | None = None) -> VerifyResult:
    """Check a translation (or hand-edited `new_objects`) against the Ingresses it came from."""
    # objects the translation left out as invalid (skip-invalid, migrate) are no input of the
    # old side either: a duplicate Ingress or a broken Service would route (or refuse) differently
    invalid = {id(m) for m, _ in result.inputs.invalid}
    if invalid:
        manifests = [m for m in manifests if id(m) not in invalid]
    # each Ingress is compared with the model of the controller detection gave it to: an Ingress
    # refused by detection (another controller, disagreeing or unknown evidence) is not routed
    # by a model of a controller that never served it
    groups: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    by_name = False
    for ing in result.inputs.ingresses:
        o = result.ownership[ing.key]
        if not o.translated or o.controller is None:
            continue
        groups[o.controller][o.class_name].append(ing.key)
        if o.controller == "ingress-nginx":
            # a class that is ingress-nginx's by --class, or by an IngressClass of another
            # controller name (AKS application routing): the model must serve it by name
            by_name = by_name or any(e.kind == "class-option" or e.ingress_class_controller not in
                                     (None, "k8s.io/ingress-nginx") for e in o.evidence)
    # Traefik's IngressRoutes: checked with the Traefik model, in the class their Gateway serves
    crds = sorted({r for r in _routes_of(result) if r.startswith("IngressRoute/")})
    if crds:
        classes = groups.get("traefik") or {}
        cls = "traefik" if "traefik" in classes or not classes else sorted(classes)[0]
        groups["traefik"][cls].extend(crds)
    # an Ingress with an invalid host could never have been created: the API server rejects it
    rejected = {f.subject[len("Ingress "):] for f in result.findings if f.code == "ING2GW-CORE-007"}
    old = [m for m in manifests if m.kind != "Ingress"
           or f"{m.namespace or options.default_namespace}/{m.name}" not in rejected]
    new = manifests_from_objects(new_objects if new_objects is not None else result.objects())
    flags = list(options.nginx_flags)
    if by_name:
        flags.append("--ingress-class-by-name=true")
    if options.annotations_prefix != "nginx.ingress.kubernetes.io":
        flags.append(f"--annotations-prefix={options.annotations_prefix}")
    data, _ = controller_configmap(result.inputs, options)
    if data and (context is None or not context.nginx_configmap):
        base = context or ClusterContext()
        context = ClusterContext(services=base.services, default_endpoints=base.default_endpoints,
                                 endpoints=base.endpoints, secrets=base.secrets, secret_facts=base.secret_facts,
                                 nginx_flags=base.nginx_flags, nginx_configmap=data, traefik=base.traefik)
    total: VerifyResult | None = None
    for controller, class_groups in sorted(groups.items()) or [("ingress-nginx", {})]:
        part = run_check(old, new, result.findings, controller=controller, class_groups=dict(class_groups),
                         configmap_flags=flags if controller == "ingress-nginx" else (), context=context,
                         extra_probes=extra_probes, observe=observe)
        if total is None:
            total = part
        else:
            total.absorb(part)
    assert total is not None
    return total
