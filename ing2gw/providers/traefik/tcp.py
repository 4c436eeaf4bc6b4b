"""IngressRouteTCP and IngressRouteUDP (traefik.io and traefik.containo.us) as TLSRoutes, or reported.

Traefik's TCP routers take a connection on an entry point before its HTTP routers: a TLS
ClientHello whose SNI matches `HostSNI(...)` goes to the TCP router, `HostSNI("*")` takes every
connection (and, without TLS, every plain one) (traefik-semantics.md T-C4; Traefik docs
`reference/routing-configuration/kubernetes/crd/tcp/ingressroutetcp.md` and
`reference/routing-configuration/tcp/routing/rules-and-priority.md`). What fits Gateway API:

* `HostSNI` of names with `tls.passthrough: true`: a TLS listener in Passthrough mode per name on
  the entry point's port, and a TLSRoute to the services (weights kept);
* everything else is reported precisely (ING2GW-TRAEFIK-060): `HostSNI("*")` needs a TCPRoute,
  TLS terminated by Traefik needs a TLS listener in Terminate mode and a TCPRoute, UDP needs a
  UDPRoute; those kinds are in Gateway API's Experimental channel and ing2gw writes none of them.
"""

from __future__ import annotations

import re
from typing import Any

from ing2gw import ir
from ing2gw.findings import Severity
from ing2gw.providers.base import BuildContext, host_problem
from ing2gw.providers.traefik.routers import Owner, report
from ing2gw.providers.traefik.shapes import name_problem
from ing2gw.providers.traefik.static import static_of

GROUPS = ("traefik.io", "traefik.containo.us")
_ONE = re.compile(r"\s*HostSNI\(\s*((?:`[^`]*`|\"[^\"]*\")(?:\s*,\s*(?:`[^`]*`|\"[^\"]*\"))*)\s*\)\s*", re.I)


def sni_names(match: str) -> list[str] | None:
    """The names of a match made only of `HostSNI(...)` joined by `||` (v2's several arguments
    too), lower-cased; None for anything else (HostSNIRegexp, ClientIP, ALPN, `&&`, `!`)."""
    names: list[str] = []
    for part in match.split("||"):
        m = _ONE.fullmatch(part)
        if m is None:
            return None
        names += [a.strip()[1:-1].strip().lower() for a in re.findall(r"`[^`]*`|\"[^\"]*\"", m.group(1))]
    return names or None


def tcp_routes(ctx: BuildContext, gw: ir.Gateway) -> None:
    """TLSRoutes on `gw` for the IngressRouteTCPs that fit, a finding for every other one and for
    every IngressRouteUDP."""
    default_ns = ctx.options.default_namespace
    objects = sorted((m for m in ctx.inputs.other if m.group in GROUPS and m.kind in ("IngressRouteTCP",
                                                                                      "IngressRouteUDP")),
                     key=lambda x: (x.kind, x.namespace or default_ns, x.name))
    for m in objects:
        owner = Owner(m.kind, m.namespace or default_ns, m.name, m.origin)
        raw = m.obj.get("spec")
        spec: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if m.kind == "IngressRouteUDP":
            report(ctx, owner, Severity.WARNING, "ING2GW-TRAEFIK-060",
                   "IngressRouteUDP is not translated: its datagrams need a UDPRoute on a UDP listener (Gateway API "
                   "Experimental channel), which ing2gw does not write; write it by hand if your implementation "
                   "supports UDPRoute")
            continue
        problem = name_problem(owner.namespace, m.name) or _shape_problem(raw)
        if problem:
            report(ctx, owner, Severity.WARNING, "ING2GW-TRAEFIK-004",
                   f"invalid IngressRouteTCP ({problem}): the API server refuses it, so Traefik never had its "
                   "routes; nothing is translated")
            continue
        _tcp(ctx, gw, owner, spec)


def _shape_problem(spec: Any) -> str | None:
    """Why an IngressRouteTCP spec has a shape the CRD's schema refuses (the fields read here), or None."""
    if not isinstance(spec, dict):
        return "spec must be a mapping"
    if not isinstance(spec.get("entryPoints") or [], list):
        return "spec.entryPoints must be a list"
    routes = spec.get("routes") or []
    if not isinstance(routes, list) or not all(isinstance(r, dict) for r in routes):
        return "spec.routes must be a list of mappings"
    for i, route in enumerate(routes):
        services = route.get("services") or []
        if not isinstance(services, list) or not all(isinstance(x, dict) for x in services):
            return f"spec.routes[{i}].services must be a list of mappings"
    if spec.get("tls") is not None and not isinstance(spec.get("tls"), dict):
        return "spec.tls must be a mapping"
    return None


def _tcp(ctx: BuildContext, gw: ir.Gateway, owner: Owner, spec: dict[str, Any]) -> None:
    st = static_of(ctx.options)
    tls = spec.get("tls")
    passthrough = isinstance(tls, dict) and tls.get("passthrough") is True
    eps = [str(e) for e in spec.get("entryPoints") or []] or list(st.defaults())
    ports = sorted({ep.port for e in eps if (ep := st.entry_point(e)) is not None and not ep.udp})
    if not ports:
        report(ctx, owner, Severity.WARNING, "ING2GW-TRAEFIK-004",
               f"entry point(s) {', '.join(eps)} are not among Traefik's ({', '.join(st.http_names)}): Traefik "
               "builds no TCP router; nothing is translated")
        return
    for i, route in enumerate(spec.get("routes") or []):
        route = route if isinstance(route, dict) else {}
        where = f"spec.routes[{i}]"
        match = str(route.get("match") or "")
        names = sni_names(match)
        if names is None:
            report(ctx, owner, Severity.WARNING, "ING2GW-TRAEFIK-060",
                   f"{where}: {match!r} is not a list of HostSNI names (HostSNIRegexp, ClientIP and ALPN have no "
                   "Gateway API field): not translated; write a TLSRoute or TCPRoute by hand")
            continue
        if "*" in names:
            what = ("a TCPRoute on a TCP listener" if tls is None else
                    "a TCPRoute on a TLS listener" + (" in Passthrough mode" if passthrough else " in Terminate mode"))
            report(ctx, owner, Severity.WARNING, "ING2GW-TRAEFIK-060",
                   f"{where}: HostSNI(`*`) takes every connection on port(s) {', '.join(map(str, ports))}: that is "
                   f"{what} (Gateway API Experimental channel), which ing2gw does not write; write it by hand")
            continue
        if not passthrough:
            report(ctx, owner, Severity.WARNING, "ING2GW-TRAEFIK-060",
                   f"{where}: {match} " + ("terminates TLS in Traefik and forwards the decrypted stream: that is a "
                                          "TLS listener in Terminate mode with a TCPRoute" if tls is not None else
                                          "without tls matches no connection (HostSNI needs TLS)")
                   + ", which ing2gw does not write; write it by hand (or use tls.passthrough for a TLSRoute)")
            continue
        bad = [n for n in names if host_problem(n)]
        if bad:
            report(ctx, owner, Severity.ERROR, "ING2GW-TRAEFIK-061",
                   f"{where}: HostSNI({bad[0]!r}): {host_problem(bad[0])}; the route is not translated",
                   details={"ingresses": owner.key})
            continue
        backends = _backends(ctx, owner, route.get("services") or [], where)
        if backends is None:
            continue
        parents = []
        for port in ports:
            for name in names:
                lst = gw.listener("TLS", port, name)
                lst.tls_mode = "Passthrough"
                lst.allowed_namespaces.add(owner.namespace)
                parents.append(lst.key)
        ctx.out.routes.append(ir.Route("TLSRoute", owner.namespace, owner.name, owner.source, tuple(names),
                                       tuple(parents), [], qualifiers=(names[0], "tls", str(i)),
                                       tls_backends=backends))
        report(ctx, owner, Severity.INFO, "ING2GW-TRAEFIK-067",
               f"{where}: {match} with tls.passthrough converted: a TLSRoute on TLS Passthrough listener(s) for "
               f"{', '.join(names)} on port(s) {', '.join(map(str, ports))}", status="converted")


def _backends(ctx: BuildContext, owner: Owner, refs: list[Any], where: str) -> tuple[ir.ServiceBackend, ...] | None:
    out: list[ir.ServiceBackend] = []
    for ref in refs:
        ref = ref if isinstance(ref, dict) else {}
        name, ns = str(ref.get("name") or ""), str(ref.get("namespace") or owner.namespace)
        port = ref.get("port")
        if ns != owner.namespace and not static_of(ctx.options).crd_allow_cross_namespace:
            report(ctx, owner, Severity.WARNING, "ING2GW-TRAEFIK-004",
                   f"{where}: service {ns}/{name} is in another namespace, which Traefik refuses unless "
                   "allowCrossNamespace is set: no router")
            return None
        svc = ctx.inputs.service(ns, name)
        number = port if isinstance(port, int) and not isinstance(port, bool) else None
        if number is None and svc is not None and port is not None:
            sp = svc.port_by_name(str(port))
            number = sp.port if sp is not None else None
        if number is None:
            report(ctx, owner, Severity.ERROR, "ING2GW-CORE-010",
                   f"{where}: port {port!r} of Service {ns}/{name} cannot be resolved; the route is not translated",
                   suggestion="pass the Service manifest too, or use a port number")
            return None
        if ns != owner.namespace:
            ctx.out.grants.add(ir.Grant(ns, "gateway.networking.k8s.io", "TLSRoute", owner.namespace, "", "Service",
                                        name))
        weight = ref.get("weight")
        out.append(ir.ServiceBackend(ns, name, number, int(weight) if isinstance(weight, int) else None))
    if not out:
        report(ctx, owner, Severity.WARNING, "ING2GW-TRAEFIK-004", f"{where}: no services: no router")
        return None
    return tuple(out)
