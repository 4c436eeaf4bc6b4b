"""Extra nginx servers an annotation creates: server-alias (C3, F12) and from-to-www (F4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ing2gw import ir
from ing2gw.findings import Severity
from ing2gw.model.ingress import Ingress
from ing2gw.providers.ingress import host_problem

if TYPE_CHECKING:
    from ing2gw.providers.ingress_nginx.state import BuildState, Server

CATCH_ALL = "_"


def plan_aliases(b: "BuildState", hosts: set[str] | None = None) -> list[tuple[str, str, Ingress, str | None]]:
    """(host, alias, owner, why it is not used) for every server-alias (C3, C7): the first
    non-canary Ingress naming a host that has aliases sets them, whether or not any of its paths
    survives on the host; nginx keeps an alias for the first server in hostname order, and never
    one that is a server's own name. `hosts`: the servers' names (default: the servers built)."""
    names = set(b.servers) if hosts is None else hosts
    chosen: dict[str, list[tuple[str, Ingress]]] = {}
    for ing in b.ings:
        a = b.anns[ing.key]
        aliases = a.server_alias if a.canary is None else None
        if aliases is None:
            continue
        for host in b._hosts_quiet(ing):
            if host != CATCH_ALL and host in names and host not in chosen:
                chosen[host] = [(x, ing) for x in aliases]
    taken = set(names)
    out: list[tuple[str, str, Ingress, str | None]] = []
    for host in sorted(chosen):
        for alias, owner in chosen[host]:
            if alias in taken:
                out.append((host, alias, owner, "a server for that name already exists"))
                continue
            problem = host_problem(alias)
            if problem:
                out.append((host, alias, owner, problem))
                continue
            taken.add(alias)
            out.append((host, alias, owner, None))
    return out


def alias_names(b: "BuildState", hosts: set[str]) -> dict[str, list[str]]:
    """host -> the aliases that serve what it serves, for servers of these names."""
    out: dict[str, list[str]] = {}
    for host, alias, _, problem in plan_aliases(b, hosts):
        if problem is None:
            out.setdefault(host, []).append(alias)
    return out


def apply_aliases(b: "BuildState") -> None:
    """server-alias: more literal names for a server, unless another server has the name.

    The alias serves exactly what the host serves, so it gets a copy of the server (listeners
    of its own keep host isolation) with the same certificate.
    """
    from ing2gw.providers.ingress_nginx.state import Server

    prefix = b.ctx.options.annotations_prefix
    for host, alias, owner, problem in plan_aliases(b):
        if problem is not None:
            severity = Severity.WARNING if problem.startswith("a server") else Severity.ERROR
            b.ctx.finding(severity, "ING2GW-NGINX-051",
                          f"server-alias {alias} is ignored: {problem}" if severity is Severity.WARNING
                          else f"server-alias {alias!r}: {problem}", ing=owner,
                          annotation=f"{prefix}/server-alias", value=alias)
            continue
        server = b.servers[host]
        cert = server.cert
        if cert is not None and not isinstance(cert, ir.SecretRef):
            from ing2gw.providers.ingress_nginx.paths import default_certificate

            if default_certificate(b) is None:
                # G1: an alias has a certificate only when the server's covers it; the generated
                # default certificate covers no real name (so no HTTPS redirect either)
                cert = None
        b.servers[alias] = Server(alias, server.first, list(server.locs), cert,
                                  server.cert_owner if cert is not None else None, alias_of=host)
        b.ctx.finding(Severity.INFO, "ING2GW-NGINX-051",
                      f"server-alias {alias} serves what {host} serves: own listeners, same routes"
                      + (" and certificate (assumed to cover the alias)" if server.cert is not None else ""),
                      ing=owner, annotation=f"{prefix}/server-alias", value=alias)


def www_targets(b: "BuildState") -> list[tuple[str, str, "Server"]]:
    """(from, to, server) for every server marked by from-to-www-redirect (B5 step 4)."""
    out = []
    for host in sorted(b.servers):
        server = b.servers[host]
        if host == CATCH_ALL or host.startswith("*.") or server.alias_of is not None:
            continue  # BuildRedirects (pkg/util/ingress) looks at a server's Hostname, never its aliases
        if not any(loc.ann is not None and loc.ann.from_to_www_redirect and loc.owner is not None
                   for loc in server.locs):
            continue
        source = host[4:] if host.startswith("www.") else "www." + host
        if source in b.servers or host_problem(source):
            continue
        out.append((source, host, server))
    return out


def emit_www(b: "BuildState") -> None:
    """from-to-www-redirect: a server for the other name answering every request with a redirect."""
    prefix = b.ctx.options.annotations_prefix
    for source, target, server in www_targets(b):
        owner = next(loc.owner for loc in server.locs
                     if loc.ann is not None and loc.ann.from_to_www_redirect and loc.owner is not None)
        src = ir.Source(owner.namespace, owner.name, owner.origin)
        # the redirecting name is served by one Ingress: with --listeners listenerset its
        # listeners go to that Ingress's namespace
        owner_ns = owner.namespace if b.ctx.options.listeners == "listenerset" else None
        http_l = b.gw.listener("HTTP", 80, source)
        http_l.owner = owner_ns
        parents = [http_l.key]
        http_l.allowed_namespaces.add(owner.namespace)
        from ing2gw.providers.ingress_nginx.paths import _https_listener, default_certificate

        # the redirect server answers HTTPS with the host's certificate, else the default one (G1)
        cert = server.cert if isinstance(server.cert, ir.SecretRef) else default_certificate(b)
        if cert is None:
            b.no_tls_hosts.append(source)
        else:
            https_l = _https_listener(b, source, cert, owner_ns)
            https_l.allowed_namespaces.add(owner.namespace)
            parents.append(https_l.key)
        rule = ir.Rule((ir.Match(ir.PathMatch("PathPrefix", "/")),), src,
                       redirect=ir.Redirect(b.glob.http_redirect_code, hostname=target),
                       comment=f"from-to-www-redirect: {source} -> {target} (F4)")
        b.ctx.out.routes.append(ir.Route("HTTPRoute", owner.namespace, owner.name, src, (source,), tuple(parents),
                                         [rule], qualifiers=(source, "www")))
        b.ctx.finding(Severity.INFO, "ING2GW-NGINX-050",
                      f"{source} redirects to {target} ({b.glob.http_redirect_code}); ingress-nginx writes the port "
                      "into the Location and drops one trailing '/', Gateway API does neither",
                      ing=owner, annotation=f"{prefix}/from-to-www-redirect", value="true", details={"hosts": source})
