"""ingress-nginx servers and locations -> IR listeners, routes and rules.

Called by the provider (`provider._Builder`) once the servers are built. Keeps every location with the
Ingress that owns it (one route per Ingress and host group), and reproduces per location:

* D2: nginx's automatic 301 from `/p` to `/p/` when a location is named `/p/` and no location
  is named exactly `/p` -> an Exact `/p` rule with a 301 RequestRedirect;
* G3: the HTTP->HTTPS redirect on hosts with a certificate (or a `*.parent` certificate), for
  every location whose Ingress does not opt out, except the no-tls-redirect-locations (ACME);
* B4: the host's root location (first Ingress's defaultBackend, or the 404 default backend),
  whose annotations also apply to unmatched paths.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Iterable

from ing2gw import ir
from ing2gw.findings import Severity
from ing2gw.model.ingress import Ingress
from ing2gw.equivalence.prediction import paths_detail

if TYPE_CHECKING:
    from ing2gw.providers.ingress_nginx.state import BuildState, Loc, Server

CATCH_ALL = "_"


def enforce_regex(server: "Server") -> bool:
    """B10: any location with use-regex, or a rewrite-target other than its own path."""
    for loc in server.locs:
        a = loc.ann
        if a is None:
            continue
        if a.use_regex or (a.rewrite_target and a.rewrite_target != loc.path):
            return True
    return False


def nginx_location_names(loc: "Loc") -> list[tuple[str, str]]:
    """The nginx location name a location renders on a non-regex host (B9), for duplicates."""
    if loc.type == "Exact":
        return [("exact", loc.path)]
    if loc.path == "/":
        return [("prefix", "/")]
    return [("prefix", loc.path if loc.path.endswith("/") else loc.path + "/")]


def exact_names(server: "Server") -> set[str]:
    """URIs that an exact nginx location answers (B9 twins included)."""
    out = set()
    for loc in server.locs:
        if loc.type == "Exact":
            out.add(loc.path)
        elif loc.path != "/" and not loc.path.endswith("/"):
            out.add(loc.path)
    return out


def cert_configured(b: "BuildState", host: str) -> bool:
    """G3: a certificate is configured for `host`: its own, or a `*.parent` server's (G1)."""
    if host == CATCH_ALL:
        return False
    s = b.servers.get(host)
    if s is not None and s.cert is not None:
        return True
    if not host.startswith("*.") and "." in host:
        parent = b.servers.get("*." + host.split(".", 1)[1])
        if parent is not None and parent.cert is not None:
            return True
    return False


def ssl_redirects(b: "BuildState", server: "Server", loc: "Loc") -> bool:
    a = loc.ann
    if a is None:
        return False  # B2: the catch-all's root has no annotations
    if any(loc.path.startswith(p) for p in b.glob.no_tls_redirect_locations):
        return False  # F11: ACME http-01 challenges must stay on plain HTTP
    return a.force_ssl_redirect or (a.ssl_redirect and cert_configured(b, server.host))


def _source(ing: Ingress | None, b: "BuildState") -> ir.Source:
    if ing is None:
        raise AssertionError("a rule always has an owning Ingress")
    return ir.Source(ing.namespace, ing.name, ing.origin)


def path_matches(loc: "Loc") -> tuple[ir.Match, ...]:
    if loc.type == "Exact":
        return (ir.Match(ir.PathMatch("Exact", loc.path)),)
    return (ir.Match(ir.PathMatch("PathPrefix", loc.path)),)


class _Owner:
    def __init__(self, ing: Ingress) -> None:
        self.ing = ing
        self.http: list[ir.Rule] = []
        self.https: list[ir.Rule] = []


def emit_server(b: "BuildState", server: "Server") -> None:
    """Add listeners, routes and rules for one nginx server whose locations are not regular
    expressions (`enforce_regex` false; the provider sends the others to `regex`) to the IR."""
    owners = _owners_for_static_server(b, server)
    _attach(b, server, owners)


def _owners_for_static_server(b: "BuildState", server: "Server") -> dict[str, _Owner]:
    from ing2gw.providers.ingress_nginx.features import location_rules

    owners: dict[str, _Owner] = {}

    def owner(ing: Ingress) -> _Owner:
        if ing.key not in owners:
            owners[ing.key] = _Owner(ing)
        return owners[ing.key]

    exact = exact_names(server)
    redirect_code = b.glob.http_redirect_code
    auto_done: set[str] = set()
    for loc in server.locs:
        if loc.owner is None:
            continue  # the controller's own 404 root: nothing to emit (no rule = 404)
        o = owner(loc.owner)
        src = _source(loc.owner, b)
        rules = location_rules(b, loc, src, path_matches(loc))
        redirect = ssl_redirects(b, server, loc)
        for rule in rules:
            o.https.append(rule)
            o.http.append(_ssl_redirect_rule(rule, redirect_code, src) if redirect and not rule.redirect else rule)
        if not rules and loc.is_root and redirect:
            # G3: unmatched paths of a redirecting host hit the root location, which redirects too
            o.http.append(ir.Rule(path_matches(loc), src, redirect=ir.Redirect(redirect_code, scheme="https"),
                                  comment="HTTP->HTTPS redirect of the host's unmatched paths (B4, G3)"))
        # D2: the automatic 301 for /p when only /p/ exists (before any redirect or proxying)
        if loc.path != "/" and loc.path.endswith("/"):
            u = loc.path[:-1]
            if u and u not in exact and u not in auto_done:
                auto_done.add(u)
                r = ir.Rule((ir.Match(ir.PathMatch("Exact", u)),), src,
                            redirect=ir.Redirect(301, full_path=loc.path),
                            comment=f"ingress-nginx answers {u} with a 301 to {loc.path} (D2)")
                o.https.append(r)
                o.http.append(r)
    add_app_root(b, server, owners)
    return owners


def add_app_root(b: "BuildState", server: "Server", owners: dict[str, _Owner]) -> None:
    """E1: app-root on any Ingress of a host answers `/` with a 302, before location choice. The
    template writes one `if ($uri = /)` per location with app-root, in the server's location
    order (longest path first, then descending byte order, B8): the first one answers."""
    for loc in sorted(server.locs, key=lambda l: (len(l.path), l.path), reverse=True):
        a = loc.ann
        root = a.app_root if a is not None else None
        if not root or loc.owner is None:
            continue
        o = owners.setdefault(loc.owner.key, _Owner(loc.owner))
        src = _source(loc.owner, b)
        exact_root = ir.Match(ir.PathMatch("Exact", "/"))
        for other in owners.values():
            for side in (other.http, other.https):
                # the redirect answers / whatever the request carries: a match of / that also
                # looks at headers (a canary's), the method or the query would win over it
                side[:] = _without_exact_root(side)
        rule = ir.Rule((exact_root,), src, redirect=ir.Redirect(302, full_path=root),
                       comment="app-root: ingress-nginx answers / with a 302 for the whole host (E1)")
        o.https.insert(0, rule)
        o.http.insert(0, rule)
        b.ctx.finding(Severity.INFO, "ING2GW-NGINX-048",
                      f"app-root {root}: ingress-nginx's Location keeps the port of the Host header and drops the query "
                      "string; the Gateway API redirect uses the listener's port and keeps the query", ing=loc.owner,
                      annotation=f"{b.ctx.options.annotations_prefix}/app-root", value=root,
                      details={"hosts": "*" if server.host == CATCH_ALL else server.host,
                               "paths": paths_detail([("exact", "/")])})
        return


def _without_exact_root(rules: list[ir.Rule]) -> list[ir.Rule]:
    """`rules` without their matches of exactly `/` (a rule left without matches is dropped)."""
    root = ir.PathMatch("Exact", "/")
    out = []
    for r in rules:
        kept = tuple(m for m in r.matches if m.path != root)
        if kept == r.matches:
            out.append(r)
        elif kept:
            out.append(replace(r, matches=kept))
    return out


def is_ssl_redirect(r: ir.Rule) -> bool:
    """The HTTP->HTTPS redirect (scheme only), not an annotation's redirect to an https URL."""
    d = r.redirect
    return d is not None and d.scheme == "https" and d.hostname is None and d.port is None \
        and d.full_path is None and d.prefix_path is None


def _ssl_redirect_rule(rule: ir.Rule, code: int, src: ir.Source) -> ir.Rule:
    return ir.Rule(rule.matches, src, redirect=ir.Redirect(code, scheme="https"),
                   comment="ingress-nginx redirects HTTP to HTTPS on hosts with a certificate (G3)")


def _attach(b: "BuildState", server: "Server", owners: dict[str, _Owner]) -> None:
    """Listeners for the server, and one or two routes per owning Ingress."""
    host = None if server.host == CATCH_ALL else server.host
    gw = b.gw
    default_cert = default_certificate(b)
    if host is None and not any(o.http or o.https for o in owners.values()):
        if default_cert is not None:
            # unknown hosts: ingress-nginx answers HTTPS with its default certificate (and 404)
            _https_listener(b, None, default_cert)
        return  # nothing else for unknown hosts: no catch-all HTTP listener (the Gateway answers 404)
    # a known host always gets its listener, even without routes: its requests must never fall
    # through to the catch-all listener's routes (C5)
    owner_ns = listener_owner(b, server, owners)
    http_l = gw.listener("HTTP", 80, host)
    http_l.owner = owner_ns
    https_l = None
    cert = server.cert if isinstance(server.cert, ir.SecretRef) else None
    cert_owner = server.cert_owner
    if server.cert is None and host is not None:
        # G1: without a certificate of its own, a host is served with a `*.parent` server's
        # certificate (by SNI). Its HTTPS requests must still reach this host's routes, not the
        # wildcard's: give it its own HTTPS listener with that certificate.
        parent = b.servers.get("*." + host.split(".", 1)[1]) if "." in host and not host.startswith("*.") else None
        if parent is not None and isinstance(parent.cert, ir.SecretRef):
            cert, cert_owner = parent.cert, parent.cert_owner
    if cert is None and default_cert is not None:
        # G1/G2: the controller's default certificate (--default-ssl-certificate) serves every host
        # without one of its own, the catch-all server included
        cert = default_cert
    elif cert is None and server.cert is None and host is not None:
        cert = _captor_certificate(b, host, next((o.ing for o in owners.values()), None))
        cert_owner = None  # never a reason to issue a certificate for the host (cert-manager)
    managed = None
    if cert is not None and cert_owner is not None and host is not None:
        from ing2gw.providers.ecosystem import managed_certificate

        managed = managed_certificate(b.ctx, gw, cert_owner, cert, host, owner_ns)
    from ing2gw.providers.ingress_nginx import backend as nginx_backend

    nginx_backend.check_backends(b, server)
    passthrough = nginx_backend.passthrough_backend(b, server) if host is not None else None
    if passthrough is not None:
        _passthrough(b, server, passthrough, owner_ns)
        cert = None
    if cert is not None:
        b.https_hosts.append(server.host)
        if managed is not None:
            https_l = gw.listener("HTTPS", 443, host)
            https_l.owner = owner_ns
            if not https_l.certificates:
                https_l.certificates.append(managed[0])
                https_l.cert_manager = managed[1]
        else:
            https_l = _https_listener(b, host, cert, owner_ns)
    elif server.cert is None and host is not None and passthrough is None:
        b.no_tls_hosts.append(host)
    if server.cert is not None and cert is None and server.cert_owner is not None:
        b.ctx.finding(Severity.ERROR, "ING2GW-CORE-013",
                      f"host {server.host} has a tls section but no Secret for it, so ingress-nginx serves it with "
                      "the controller's default certificate (--default-ssl-certificate, else a generated one); "
                      "ing2gw does not know that certificate, so no HTTPS listener is emitted and HTTPS requests "
                      "for the host get no answer (HTTP requests are still redirected to HTTPS)",
                      ing=server.cert_owner,
                      suggestion="pass the controller's default certificate with "
                                 "--nginx-flag=--default-ssl-certificate=NAMESPACE/SECRET, or give the tls entry of "
                                 f"{server.host} a secretName",
                      details={"hosts": server.host})
    has_redirect = False
    for o in owners.values():
        if not o.http and not o.https:
            continue
        ns = o.ing.namespace
        src = ir.Source(ns, o.ing.name, o.ing.origin)
        hostnames = (host,) if host else ()
        if https_l is not None and nginx_backend.protocol(b, o.ing) in ("GRPC", "GRPCS"):
            grpc = nginx_backend.grpc_rules(b, o.ing, o.https)
            _report_grpc(b, o.ing, grpc is not None, server.host)
            if grpc is not None:
                b.ctx.out.routes.append(ir.Route("GRPCRoute", ns, o.ing.name, src, hostnames, (https_l.key,), grpc,
                                                 qualifiers=(server.host, "grpc")))
                https_l.allowed_namespaces.add(ns)
                if o.http:
                    _add_route(b, o, src, hostnames, (http_l.key,), o.http, server.host, "http")
                    http_l.allowed_namespaces.add(ns)
                continue
        if https_l is None:
            rules = o.http
            parents: tuple[ir.ListenerKey, ...] = (http_l.key,)
            _add_route(b, o, src, hostnames, parents, rules, server.host, "")
            http_l.allowed_namespaces.add(ns)
        elif o.http == o.https and not (b.glob.hsts and any(r.redirect is None for r in o.https)):
            _add_route(b, o, src, hostnames, (http_l.key, https_l.key), o.https, server.host, "")
            http_l.allowed_namespaces.add(ns)
            https_l.allowed_namespaces.add(ns)
        else:
            if o.https:
                _add_route(b, o, src, hostnames, (https_l.key,), with_hsts(b, o.https), server.host, "")
                https_l.allowed_namespaces.add(ns)
            if o.http:
                _add_route(b, o, src, hostnames, (http_l.key,), o.http, server.host, "http")
                http_l.allowed_namespaces.add(ns)
        if any(is_ssl_redirect(r) for r in o.http):
            has_redirect = True
            if https_l is None and server.cert is None:
                b.ctx.finding(Severity.WARNING, "ING2GW-CORE-019",
                              f"force-ssl-redirect sends HTTP requests for {server.host} to HTTPS, but the host has "
                              "no certificate: there is no HTTPS listener to receive them", ing=o.ing,
                              suggestion="add a tls entry for the host, or drop force-ssl-redirect")
    if has_redirect:
        for o in owners.values():
            if any(is_ssl_redirect(r) for r in o.http) and not _preserves_slash(b, o.ing):
                b.slash_hosts.setdefault(o.ing.key, (o.ing, []))[1].append(server.host)
    if host is not None and host.startswith("*."):
        first = server.first or next(iter(owners.values())).ing if owners else server.first
        if first is not None:
            b.ctx.finding(Severity.WARNING, "ING2GW-CORE-006",
                          f"wildcard host {host}: ingress-nginx matches exactly one label ({host[2:]} subdomains "
                          f"like a.{host[2:]}), Gateway API matches one or more (a.b.{host[2:]} too)", ing=first,
                          suggestion=f"if deeper names such as a.b.{host[2:]} must not reach this backend, add "
                          "listeners or routes for them explicitly", details={"wildcard": host})


def listener_owner(b: "BuildState", server: "Server", owners: dict[str, _Owner]) -> str | None:
    """With `--listeners listenerset`: the namespace whose ListenerSet holds the host's listeners.

    That is the one namespace whose Ingresses serve the host. The catch-all (host-less rules,
    what unknown hosts get) is the platform's, and a host served from several namespaces cannot
    live in one namespace's ListenerSet (two ListenerSets with the same host conflict): both stay
    on the Gateway (None), reported once (ING2GW-CORE-062). Always None with `--listeners gateway`.
    """
    if b.ctx.options.listeners != "listenerset":
        return None
    ings = [o.ing for o in owners.values()] + ([server.first] if server.first is not None else [])
    if not ings:
        return None
    namespaces = sorted({i.namespace for i in ings})
    if server.host != CATCH_ALL and len(namespaces) == 1:
        return namespaces[0]
    if any(o.http or o.https for o in owners.values()) and ("listener-owner", server.host) not in b.reported:
        b.reported.add(("listener-owner", server.host))
        first = min(ings, key=lambda i: i.key)
        what = ("the catch-all for host-less rules and unknown hosts belongs to the platform" if server.host == CATCH_ALL
                else f"host {server.host} is served by Ingresses of {len(namespaces)} namespaces ({', '.join(namespaces)})")
        b.ctx.finding(Severity.INFO, "ING2GW-CORE-062",
                      f"{what}: its listeners stay on the platform's Gateway {b.gw.namespace}/{b.gw.name} instead of a "
                      "ListenerSet, and its routes attach to the Gateway", ing=first,
                      details={"hosts": server.host if server.host != CATCH_ALL else ""})
    return None


def grant_certificate(b: "BuildState", cert: ir.SecretRef, owner_ns: str | None) -> None:
    """The ReferenceGrant a listener needs for a certificate in another namespace: from the
    Gateway (listener on the Gateway), or from the ListenerSet of `owner_ns`."""
    gw = b.gw
    if owner_ns is None and cert.namespace != gw.namespace:
        b.ctx.out.grants.add(ir.Grant(cert.namespace, "gateway.networking.k8s.io", "Gateway",
                                      gw.namespace, "", "Secret", cert.name))
    elif owner_ns is not None and cert.namespace != owner_ns:
        b.ctx.out.grants.add(ir.Grant(cert.namespace, "gateway.networking.k8s.io", "ListenerSet",
                                      owner_ns, "", "Secret", cert.name))


def _captor_certificate(b: "BuildState", host: str, ing: "Ingress | None") -> ir.SecretRef | None:
    """The certificate of the HTTPS wildcard listener that would capture `host`'s HTTPS requests
    in Gateway API (`*.d` matches any depth under d) although ingress-nginx does not give the host
    that certificate (its wildcard match is one label deep): nginx serves the host over HTTPS with
    its generated default certificate and routes by the host's own rules. A listener of the host's
    own with the captor's certificate keeps the routing; the certificate does not cover the host
    either, so clients see the same invalid certificate situation (CORE-063)."""
    built, wildcards = b.wildcards
    if built != len(b.servers):
        wildcards = {name[1:]: name for name in b.servers if name.startswith("*.")}
        b.wildcards = (len(b.servers), wildcards)
    best: tuple[ir.SecretRef, str] | None = None
    # the longest wildcard name with a certificate wins: walk the host's parent suffixes, longest first
    at = host.find(".", 1)
    while at > 0 and best is None:
        name = wildcards.get(host[at:], host)
        other = b.servers.get(name) if name != host else None
        if other is not None and isinstance(other.cert, ir.SecretRef):
            best = (other.cert, name)
        at = host.find(".", at + 1)
    if best is None:
        return None
    b.ctx.finding(Severity.INFO, "ING2GW-CORE-063",
                  f"host {host} has no certificate: ingress-nginx serves its HTTPS requests with the controller's "
                  f"generated default certificate; in Gateway API the HTTPS listener of {best[1]} would capture them "
                  f"(a wildcard matches any depth there), so {host} gets an HTTPS listener of its own with the "
                  f"certificate of {best[1]}, which does not cover it either", ing=ing,
                  suggestion=f"add a tls entry for {host} if clients use HTTPS", details={"hosts": host})
    return best[0]


def default_certificate(b: "BuildState") -> ir.SecretRef | None:
    """The Secret of --default-ssl-certificate=NAMESPACE/NAME, when that flag is given."""
    value = b.ctx.options.nginx_flag("default-ssl-certificate")
    if not value or "/" not in value:
        return None
    ns, _, name = value.partition("/")
    return ir.SecretRef(ns, name) if ns and name else None


def _https_listener(b: "BuildState", host: str | None, cert: ir.SecretRef, owner_ns: str | None = None) -> ir.Listener:
    """The HTTPS listener of a host (None: every host) with its certificate (and the grant a
    certificate in another namespace needs); `owner_ns`: the namespace whose ListenerSet holds it."""
    https_l = b.gw.listener("HTTPS", 443, host)
    https_l.owner = owner_ns
    if not https_l.certificates:
        https_l.certificates.append(cert)
        grant_certificate(b, cert, owner_ns)
    return https_l


def hsts_value(b: "BuildState") -> str:
    v = f"max-age={b.glob.hsts_max_age}"
    if b.glob.hsts_include_subdomains:
        v += "; includeSubDomains"
    if b.glob.hsts_preload:
        v += "; preload"
    return v


def with_hsts(b: "BuildState", rules: list[ir.Rule]) -> list[ir.Rule]:
    """G4: ingress-nginx adds HSTS to every HTTPS response of its locations (ConfigMap hsts),
    redirects included."""
    if not b.glob.hsts:
        return rules
    header = ("Strict-Transport-Security", hsts_value(b))
    out = []
    for r in rules:
        if not any(k.lower() == "strict-transport-security" for k, _ in r.response_headers.set):
            rh = r.response_headers
            r = replace(r, response_headers=ir.HeaderChanges(set=rh.set + (header,), add=rh.add, remove=rh.remove))
        out.append(r)
    return out


def _report_grpc(b: "BuildState", ing: Ingress, as_grpc_route: bool, host: str) -> None:
    if (ing.key, "grpc") in b.reported:
        return
    b.reported.add((ing.key, "grpc"))
    b.ctx.finding(Severity.INFO, "ING2GW-NGINX-054",
                  "backend-protocol GRPC: emitted as a GRPCRoute (it answers gRPC requests only)" if as_grpc_route else
                  "backend-protocol GRPC: its paths are not gRPC service/method matches, so the HTTPRoute stays; the "
                  "Service port must declare appProtocol: kubernetes.io/h2c for the Gateway to speak HTTP/2 to it",
                  ing=ing, annotation=f"{b.ctx.options.annotations_prefix}/backend-protocol", value="GRPC",
                  # only a GRPCRoute changes answers (plain HTTP requests find no route)
                  details={"hosts": host} if as_grpc_route else None)


def _passthrough(b: "BuildState", server: "Server", found: tuple[Ingress, ir.ServiceBackend | None],
                 owner_ns: str | None) -> None:
    ing, backend = found
    prefix = b.ctx.options.annotations_prefix
    if backend is None:
        b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-055",
                      f"ssl-passthrough on {server.host}: the host has no `/` path with a Service, so ingress-nginx "
                      "passes TLS to its default backend; nothing is emitted for it", ing=ing,
                      annotation=f"{prefix}/ssl-passthrough", value="true")
        return
    lst = b.gw.listener("TLS", 443, server.host)
    lst.tls_mode = "Passthrough"
    lst.owner = owner_ns
    lst.allowed_namespaces.add(ing.namespace)
    src = ir.Source(ing.namespace, ing.name, ing.origin)
    b.ctx.out.routes.append(ir.Route("TLSRoute", ing.namespace, ing.name, src, (server.host,), (lst.key,), [],
                                     qualifiers=(server.host, "tls"), tls_backends=(backend,)))
    b.ctx.finding(Severity.INFO, "ING2GW-NGINX-055",
                  f"ssl-passthrough: TLS for {server.host} is passed by SNI to {backend.namespace}/{backend.name}:"
                  f"{backend.port} (the `/` location's backend); ingress-nginx must have run with "
                  "--enable-ssl-passthrough for this to be what it did", ing=ing, details={"hosts": server.host},
                  annotation=f"{prefix}/ssl-passthrough",
                  value="true")


def _preserves_slash(b: "BuildState", ing: Ingress) -> bool:
    a = b.anns.get(ing.key)
    return bool(a and a.preserve_trailing_slash)


def _add_route(b: "BuildState", o: _Owner, src: ir.Source, hostnames: tuple[str, ...],
               parents: tuple[ir.ListenerKey, ...], rules: Iterable[ir.Rule], host: str, variant: str) -> None:
    quals = ("default" if host == CATCH_ALL else host,) + ((variant,) if variant else ())
    b.ctx.out.routes.append(ir.Route("HTTPRoute", o.ing.namespace, o.ing.name, src, hostnames, parents,
                                     list(rules), qualifiers=quals))
