"""Glue between a translation and the equivalence check (what `convert --verify` runs)."""

from __future__ import annotations

import dataclasses
import importlib
from collections import defaultdict
from typing import Any, Callable, Sequence

from ing2gw.equivalence.check import VerifyResult, manifests_from_objects, run_check
from ing2gw.load import Manifest
from ing2gw.options import DEFAULT_CONTROLLER, Options
from ing2gw.providers.detect import Verdict
from ing2gw.providers.registry import OldSide, entry
from ing2gw.simulate.request import Answer, ClusterContext, Request
from ing2gw.translate import Result


def _routes_of(result: Result) -> list[str]:
    """The source annotations of the translation's routes."""
    from ing2gw.emit.gateway import SOURCE_ANNOTATION

    return [str(((o.get("metadata") or {}).get("annotations") or {}).get(SOURCE_ANNOTATION) or "")
            for o in result.objects() if o.get("kind") in ("HTTPRoute", "GRPCRoute", "TLSRoute")]


def verify_translation(result: Result, manifests: Sequence[Manifest], options: Options,
                       new_objects: Sequence[dict[str, Any]] | None = None, context: ClusterContext | None = None,
                       extra_probes: Sequence[Request] = (),
                       observe: Callable[[Request, Answer, Answer], None] | None = None,
                       workers: int | None = None) -> VerifyResult:
    """Check a translation (or hand-edited `new_objects`) against the Ingresses it came from:
    one check per controller (its registry entry's simulator), grouped by class. `workers` as
    `run_check`'s (None: decided by the machine and the size)."""
    # objects the translation left out as invalid (skip-invalid, migrate) are no input of the
    # old side either: a duplicate Ingress or a broken Service would route (or refuse) differently
    invalid = {id(m) for m, _ in result.inputs.invalid}
    if invalid:
        manifests = [m for m in manifests if id(m) not in invalid]
    # each Ingress is compared with the model of the controller detection gave it to: an Ingress
    # refused by detection (another controller, disagreeing or unknown evidence) is not routed
    # by a model of a controller that never served it
    groups: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    verdicts: dict[str, list[Verdict]] = defaultdict(list)
    for ing in result.inputs.ingresses:
        o = result.ownership[ing.key]
        if not o.translated or o.controller is None:
            continue
        groups[o.controller][o.class_name].append(ing.key)
        verdicts[o.controller].append(o)
    # Traefik's IngressRoutes: checked with the Traefik model, in the class their Gateway serves
    crds = sorted({r for r in _routes_of(result) if r.startswith(("IngressRoute/", "IngressRouteTCP/"))})
    if crds:
        classes = groups.get("traefik") or {}
        cls = "traefik" if "traefik" in classes or not classes else sorted(classes)[0]
        groups["traefik"][cls].extend(crds)
    # an Ingress with an invalid host could never have been created: the API server rejects it
    rejected = {f.subject[len("Ingress "):] for f in result.findings if f.code == "ING2GW-CORE-007"}
    old = [m for m in manifests if m.kind != "Ingress"
           or f"{m.namespace or options.default_namespace}/{m.name}" not in rejected]
    new = manifests_from_objects(new_objects if new_objects is not None else result.objects())
    total: VerifyResult | None = None
    for controller, class_groups in sorted(groups.items()) or [(DEFAULT_CONTROLLER, {})]:
        found = entry(controller)
        if found is None:
            raise ValueError(f"controller {controller!r} is translated but has no registry entry")
        setup = _old_side(found.old_side, result, options, verdicts[controller])
        part = run_check(old + list(setup.manifests), new, result.findings, controller=found.simulator, class_groups=dict(class_groups),
                         configmap_flags=setup.flags,
                         context=_with_setup(_with_static(_with_configmap(context, setup.configmap), setup.static),
                                             setup.context),
                         extra_probes=extra_probes, observe=observe, workers=workers)
        if total is None:
            total = part
        else:
            total.absorb(part)
    assert total is not None
    return total


def _old_side(spec: str | None, result: Result, options: Options, verdicts: Sequence[Verdict]) -> OldSide:
    """The registry entry's old-side setup ("module:function"), or nothing."""
    if spec is None:
        return OldSide()
    module, _, fn = spec.partition(":")
    setup: OldSide = getattr(importlib.import_module(module), fn)(result.inputs, options, verdicts)
    return setup


def _with_setup(context: ClusterContext | None, fields: dict[str, Any]) -> ClusterContext | None:
    """The cluster context with the old side's own fields (OldSide.context), where the caller's
    context leaves them at their default."""
    if not fields:
        return context
    base = context or ClusterContext()
    blank = ClusterContext()
    keep = {k: v for k, v in fields.items() if getattr(base, k) == getattr(blank, k)}
    return dataclasses.replace(base, **keep) if keep else base


def _with_configmap(context: ClusterContext | None, data: dict[str, str]) -> ClusterContext | None:
    """The cluster context with the controller's ConfigMap from the input, unless the caller's
    context already carries one."""
    if not data or (context is not None and context.nginx_configmap):
        return context
    base = context or ClusterContext()
    return dataclasses.replace(base, nginx_configmap=data)


def _with_static(context: ClusterContext | None, static: dict[str, Any]) -> ClusterContext | None:
    """The cluster context with the controller's static configuration (Traefik's) under the
    caller's: keys the caller's context gives win."""
    if not static:
        return context
    base = context or ClusterContext()
    return dataclasses.replace(base, traefik={**static, **dict(base.traefik)})
