"""Traefik services to the shares of traffic a request is split into (pkg/server/service).

A load balancer of a Kubernetes Service port receives the request, or answers 503 when it has no
servers (`no available server`, T-G2). A weighted service (a TraefikService or a route with
several services) splits by weight, children with a non-positive weight ignored; highest random
weight splits alike across clients (which one a given client gets depends on its address);
mirroring sends to the main service and copies to the mirrors; failover sends to the main
service while it is healthy. Service middlewares (`service.middlewares`, a LoadBalancerSpec's
`middlewares`) run before the share's servers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ing2gw.simulate.traefik.config import DynamicConfig, Failover, LoadBalancer, Mirroring, Weighted, qualify
from ing2gw.simulate.traefik.middlewares import BuildError, Compiled, build_chain

NOOP = "noop@internal"


@dataclass(frozen=True)
class Target:
    """One share: a load balancer with servers, or an answer Traefik gives itself (`status`)."""

    weight: float
    lb: LoadBalancer | None = None
    status: int | None = None
    service: str = ""
    middlewares: tuple[Compiled, ...] = ()


@dataclass
class Plan:
    targets: list[Target]
    mirrors: list[tuple[LoadBalancer, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unmodelled: list[str] = field(default_factory=list)


def build_plan(name: str, provider: str, conf: DynamicConfig, insecure_default: bool,
               foreign: Callable[[str], str | None] | None = None, stack: tuple[str, ...] = ()) -> Plan:
    """The shares of service `name` (qualified with `provider` when it names none); BuildError
    when the service, a child, a middleware or a ServersTransport does not exist."""
    q = qualify(name, provider)
    if q == NOOP:
        return Plan([Target(1.0, status=200, service=q)])
    if q in stack:
        raise BuildError(f"recursion detected in service {' -> '.join(stack + (q,))}")
    svc = conf.services.get(q)
    if svc is None:
        why = foreign(q) if foreign is not None else None
        if why is None:
            raise BuildError(f"the service {q!r} does not exist")
        return Plan([Target(1.0, status=200, service=q)], unmodelled=[why])
    mws = tuple(build_chain(svc.middlewares, svc.provider, conf, foreign=foreign)) if svc.middlewares else ()
    body = svc.body
    plan: Plan
    if isinstance(body, LoadBalancer):
        plan = Plan([Target(1.0, lb=body, service=q, middlewares=mws) if body.servers > 0
                     else Target(1.0, status=503, service=q, middlewares=mws)])
        if body.servers_transport:
            tq = qualify(body.servers_transport, svc.provider)
            transport = conf.transports.get(tq)
            if transport is None:
                raise BuildError(f"servers transport {tq!r} not found")
            insecure = transport.insecure_skip_verify
        else:
            insecure = insecure_default
        if body.scheme == "https" and not insecure:
            plan.unmodelled.append(f"service {q}: TLS to the pods is verified (no insecureSkipVerify); whether "
                                   "their certificate verifies is not known (a failure answers 500)")
        if body.sticky:
            plan.notes.append(f"service {q}: sticky sessions (cookie) keep a client on one server")
        if body.external_name:
            plan.notes.append(f"service {q}: ExternalName {body.external_name}")
        if body.assumed:
            plan.notes.append(f"service {q}: Service {body.namespace}/{body.service} is not in the input; assumed "
                              "to exist")
        return plan
    if isinstance(body, Weighted):
        kids = [(n, w) for n, w in body.children if w > 0]
        total = sum(w for _, w in kids)
        if total == 0:
            return Plan([Target(1.0, status=503, service=q, middlewares=mws)])
        plan = Plan([])
        for child, w in kids:
            sub = build_plan(child, svc.provider, conf, insecure_default, foreign, stack + (q,))
            for t in sub.targets:
                plan.targets.append(Target(t.weight * w / total, t.lb, t.status, t.service, mws + t.middlewares))
            plan.mirrors += sub.mirrors
            plan.notes += sub.notes
            plan.unmodelled += sub.unmodelled
        if body.hrw:
            plan.notes.append(f"service {q}: highest random weight: each client address sticks to one child, the "
                              "shares hold across clients")
        if body.sticky:
            plan.notes.append(f"service {q}: sticky sessions (cookie) keep a client on one child")
        return plan
    if isinstance(body, Mirroring):
        plan = build_plan(body.main, svc.provider, conf, insecure_default, foreign, stack + (q,))
        plan = Plan([Target(t.weight, t.lb, t.status, t.service, mws + t.middlewares) for t in plan.targets],
                    list(plan.mirrors), list(plan.notes), list(plan.unmodelled))
        for mirror, percent in body.mirrors:
            sub = build_plan(mirror, svc.provider, conf, insecure_default, foreign, stack + (q,))
            for t in sub.targets:
                if t.lb is not None and percent > 0:
                    plan.mirrors.append((t.lb, percent))
        return plan
    if isinstance(body, Failover):
        plan = build_plan(body.main, svc.provider, conf, insecure_default, foreign, stack + (q,))
        build_plan(body.fallback, svc.provider, conf, insecure_default, foreign, stack + (q,))
        plan.notes.append(f"service {q}: failover to {body.fallback} only when {body.main} is down")
        return Plan([Target(t.weight, t.lb, t.status, t.service, mws + t.middlewares) for t in plan.targets],
                    plan.mirrors, plan.notes, plan.unmodelled)
    raise BuildError(f"the service {q!r} does not have any type defined")  # pragma: no cover
