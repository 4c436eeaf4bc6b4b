"""Build the configuration ingress-nginx would render from a set of Ingresses: upstreams,
servers and their ordered locations, certificates, and the indexes the router uses per request.

Follows nginx-semantics.md sections A, B, C3, G2 and the BUILD pseudo-code in section I, rule by
rule; comments cite the rule ids. Everything is computed once, so that `NginxRouter.route` only
does dictionary lookups and precompiled regex matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ing2gw.simulate.ingress_objects import (CLASS_ANNOTATION, Ingress, IngressInputs, IngressPath,
                                             ServiceBackend)
from ing2gw.simulate.nginx_annotations import Canary, IngressAnns, LocationAnns, Rejected, parse_ingress_annotations
from ing2gw.simulate.nginx_http import from_bytes_str, literal_prefix, pcre_to_python, to_bytes_str
from ing2gw.simulate.nginx_settings import NginxSettings
from ing2gw.simulate.request import BackendRef, ClusterContext

DEFAULT_UPSTREAM = "upstream-default-backend"
CATCH_ALL = "_"
FAKE_CERT = "default-fake-certificate"
_EPOCH = datetime(1, 1, 1, tzinfo=timezone.utc)
#: `location` kinds rendered by nginx.tmpl itself in the catch-all server (C1).
HEALTHZ, NGINX_STATUS = "healthz", "nginx-status"


@dataclass
class Upstream:
    """One `namespace-service-port` upstream (B1)."""

    name: str
    backend: BackendRef | None
    endpoints: int
    exists: bool
    no_server: bool = False
    policy: Canary | None = None
    alternatives: list[str] = field(default_factory=list)
    deleted: bool = False
    affinity: bool = False
    service_upstream: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Cert:
    """A certificate a server presents: a Secret "ns/name", or the default certificate.
    `dns_names` None means "assumed to cover the hosts it is used for" (ClusterContext assume)."""

    name: str
    dns_names: tuple[str, ...] | None

    def covers(self, host: str) -> bool:
        return self.dns_names is None or covers(self.dns_names, host)


@dataclass
class Location:
    """One nginx `location` of a server."""

    path: str                     # the nginx location name (after B9), byte-per-character form
    path_type: str                # "Exact" or "Prefix" (ImplementationSpecific is Prefix, A2)
    backend: str                  # upstream name
    is_def_backend: bool
    ingress: Ingress | None       # the Ingress whose rule made it (None: a server's root default)
    anns: LocationAnns
    twin: bool = False
    special: str | None = None    # HEALTHZ / NGINX_STATUS (template locations of '_')
    custom_default_backend: str | None = None   # B7: upstream for custom errors / no endpoints
    swapped_from: str | None = None             # B7: the upstream without endpoints it replaced
    regex: "re.Pattern[str] | None" = None
    regex_prefix: str = ""        # literal (lower-case) text the location regex needs first
    regex_literal: bool = False   # the whole location regex is that literal: no need to run it
    rewrite: "re.Pattern[str] | None" = None
    label: str = ""
    notes: list[str] = field(default_factory=list)
    unmodelled: list[str] = field(default_factory=list)

    @property
    def ingress_key(self) -> str:
        """The Ingress that decided this location: its rule's, else the one whose annotations and
        defaultBackend the root inherited (B4)."""
        return self.ingress.key if self.ingress is not None else self.anns.owner


@dataclass
class Server:
    """One nginx `server` (a host, or the catch-all `_`)."""

    host: str
    locations: list[Location]
    first_ingress: Ingress | None = None
    aliases: list[str] = field(default_factory=list)
    cert: Cert | None = None
    www_redirect: bool = False
    enforce_regex: bool = False
    app_root: str = ""
    exact: dict[str, Location] = field(default_factory=dict)
    prefix: dict[str, Location] = field(default_factory=dict)
    names: frozenset[str] = frozenset()
    specials: tuple[Location, ...] = ()
    regex_locs: list[Location] = field(default_factory=list)
    #: regex locations that can match a URI whose first segment is the key (in order), and those
    #: that can match any first segment; only a speed-up of scanning `regex_locs` in order
    regex_by_segment: dict[str, list[Location]] = field(default_factory=dict)
    regex_any_segment: list[Location] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unmodelled: list[str] = field(default_factory=list)
    #: ssl_verify_client of the server (the first Ingress of the host with auth-tls-secret) and
    #: its auth-tls-error-page ("" : none)
    client_verify: str = ""
    client_error_page: str = ""
    client_verify_owner: str = ""
    #: ssl_ciphers of the server (the first Ingress of the host with the ssl-ciphers annotation,
    #: internal/ingress/controller/controller.go createServers) and that Ingress ("": the ConfigMap's)
    ssl_ciphers: str = ""
    ssl_ciphers_owner: str = ""


def covers(dns_names: tuple[str, ...], host: str) -> bool:
    """Go x509 VerifyHostname: a SAN `*.x` matches exactly one extra label; names compare
    case-insensitively; a host that is not a valid host name (e.g. `*.x`) must match exactly."""
    h = host.lower().rstrip(".")
    valid = "*" not in h
    hp = h.split(".")
    for pattern in dns_names:
        p = pattern.lower()
        if not valid:
            if p == h:
                return True
            continue
        pp = p.split(".")
        if len(pp) != len(hp):
            continue
        if all((i == 0 and a == "*") or a == b for i, (a, b) in enumerate(zip(pp, hp))):
            return True
    return False


def upstream_name(namespace: str, svc: ServiceBackend) -> str:
    """`namespace-service-port`, port being the number else the port name (B1)."""
    return f"{namespace}-{svc.name}-{svc.port}"


def _location_label(loc: Location, regex: bool) -> str:
    p = from_bytes_str(loc.path)
    if loc.special:
        return p
    if regex:
        return f"~* ^{p}"
    return f"= {p}" if loc.path_type == "Exact" else p


class NginxConfig:
    """The configuration ingress-nginx renders, indexed for routing.

    Attributes the router uses: `servers` (host -> Server), `exact_servers` and
    `wildcard_servers` (C4), `www_redirects` (from -> to, F4), `cert_servers` (G1), `upstreams`,
    `errors` (an nginx config test failure: the controller keeps its previous config), `notes`
    and `unmodelled` (apply to every answer), `assumptions` (made once for the whole input, not
    repeated on answers), `ignored` (ingress key -> why) and `ignored_by_host`.
    """

    def __init__(self, inputs: IngressInputs, context: ClusterContext, settings: NginxSettings) -> None:
        self.inputs = inputs
        self.context = context
        self.settings = settings
        self.notes: list[str] = []
        self.assumptions: list[str] = []
        self.unmodelled: list[str] = list(settings.unmodelled)
        self.errors: list[str] = []
        self.ignored: dict[str, str] = {}
        self.ignored_by_host: dict[str, list[str]] = {}
        self.upstreams: dict[str, Upstream] = {}
        self.servers: dict[str, Server] = {}
        self.anns: dict[str, IngressAnns] = {}
        self.default_cert = self._default_cert()
        ings = self._accepted(inputs.ingresses)              # A1, A3
        ings = self._sorted(ings)                            # A4
        self.ingresses = ings
        self._create_upstreams(ings)                         # B1
        self._create_servers(ings)                           # B2, B3, B4
        self._aliases_and_certs(ings)                        # C3, G2
        canaries = self._add_locations(ings)                 # B5
        if any(self.anns[i.key].canary is None for i in ings):
            for c in canaries:                               # B6
                self._merge_canary(c)
        self._custom_default_backends()                      # B7
        for server in self.servers.values():
            self._finish_server(server)                      # B8, B9, B10
        self._index()                                        # C4, F4 (www), G1

    # -----------------------------------------------------------------------------------------
    # A: which Ingresses the controller loads

    def _class_ok(self, ing: Ingress) -> str | None:
        """Why the Ingress is not for this controller, or None (A1)."""
        s = self.settings
        cls = ing.class_name
        if cls is None and CLASS_ANNOTATION not in ing.annotations:
            # the DefaultIngressClass admission plugin fills ingressClassName at creation time
            defaults = sorted((c for c in self.inputs.classes.values() if c.is_default),
                              key=lambda c: (c.created or _EPOCH, c.name))
            if defaults:
                cls = defaults[-1].name
                if len(defaults) > 1:
                    self.notes.append(f"several default IngressClasses; {ing.key} gets the newest, {cls}")
        if cls is not None:
            ic = self.inputs.classes.get(cls)
            if ic is not None:
                if ic.controller == s.controller_class or (s.ingress_class_by_name and ic.name == s.ingress_class):
                    return None
                return f"IngressClass {cls} belongs to controller {ic.controller}, not {s.controller_class}"
            if cls == s.ingress_class:
                # the IngressClass every ingress-nginx install creates; assumed present
                note = f"IngressClass {cls} is not in the input; assumed to exist for controller {s.controller_class}"
                if note not in self.assumptions:
                    self.assumptions.append(note)
                return None
            return (f"ingressClassName {cls!r} is not in the input and is not --ingress-class={s.ingress_class}; "
                    "assumed to belong to another controller")
        if CLASS_ANNOTATION in ing.annotations:
            value = ing.annotations[CLASS_ANNOTATION]
            if value == s.ingress_class:
                return None
            return f"annotation {CLASS_ANNOTATION}={value!r} is not {s.ingress_class!r}"
        if s.watch_without_class:
            return None
        return "no ingressClassName or class annotation (the controller runs without --watch-ingress-without-class)"

    def _accepted(self, ingresses: list[Ingress]) -> list[Ingress]:
        out = []
        for ing in ingresses:
            why = None
            if self.settings.watch_namespaces and ing.namespace not in self.settings.watch_namespaces:
                why = f"namespace {ing.namespace} is not watched (--watch-namespace)"
            if why is None:
                why = self._class_ok(ing)
            if why is None and self.settings.disable_catch_all and ing.default_backend is not None:
                why = "it has a defaultBackend and the controller runs with --disable-catch-all"
            if why is None:
                try:
                    self.anns[ing.key] = parse_ingress_annotations(ing, self.settings)
                except Rejected as exc:
                    why = str(exc)
            if why is not None:
                self.ignored[ing.key] = why
                for h in ing.hosts():
                    self.ignored_by_host.setdefault(h or CATCH_ALL, []).append(ing.key)
                continue
            out.append(ing)
        return out

    @staticmethod
    def _sorted(ings: list[Ingress]) -> list[Ingress]:
        """A4: creationTimestamp ascending; ties by "namespace/name" descending."""
        by_name = sorted(ings, key=lambda i: i.key, reverse=True)
        return sorted(by_name, key=lambda i: i.created or _EPOCH)

    # -----------------------------------------------------------------------------------------
    # B1: upstreams

    def _service(self, namespace: str, svc: ServiceBackend) -> Upstream:
        name = upstream_name(namespace, svc)
        s = self.inputs.services.get(f"{namespace}/{svc.name}")
        ready = self.context.ready_endpoints(namespace, svc.name, s is not None)
        if ready is None:
            return Upstream(name, BackendRef(namespace, svc.name, svc.port), 0, False,
                            notes=[f"Service {namespace}/{svc.name} does not exist (no endpoints: 503)"])
        port: int | str = svc.port
        notes = []
        if s is not None:
            if s.type == "ExternalName":
                ready = max(ready, 1)
                notes.append(f"Service {s.key} is ExternalName {s.external_name}: reachable only if that name "
                             "resolves (else 502)")
                # externalNamePorts (controller.go): a port name or number of the Service's ports
                # picks that port; a number it does not list is used as it is
                p = next((sp for sp in s.ports if sp.name == str(svc.port) or str(sp.port) == str(svc.port)), None)
                if p is not None:
                    port = p.port
            else:
                p = s.find_port(svc.port)
                if p is None:
                    notes.append(f"Service {s.key} has no port {svc.port} (no endpoints: 503)")
                    ready = 0
                else:
                    port = p.port
        # the upstream is the DNS name (compared case-insensitively, without the root dot)
        external = (s.external_name or "").lower().rstrip(".") if s is not None and s.type == "ExternalName" else None
        return Upstream(name, BackendRef(namespace, svc.name, port, external), ready, True, notes=notes)

    def _create_upstreams(self, ings: list[Ingress]) -> None:
        for ing in ings:
            ia = self.anns[ing.key]
            db = ing.default_backend
            if db is not None and db.service is not None:
                # an Ingress's defaultBackend always re-creates its upstream (B1)
                up = self._service(ing.namespace, db.service)
                up.no_server = ia.canary is not None
                up.policy = ia.canary
                up.affinity = ia.affinity
                up.service_upstream = ia.location.service_upstream
                self.upstreams[up.name] = up
            for rule in ing.rules:
                for p in rule.paths or ():
                    if p.backend.service is None:
                        continue
                    name = upstream_name(ing.namespace, p.backend.service)
                    if name in self.upstreams:
                        continue  # the first Ingress in sort order creates it and fixes NoServer (B1)
                    up = self._service(ing.namespace, p.backend.service)
                    up.no_server = ia.canary is not None
                    up.policy = ia.canary
                    up.affinity = ia.affinity
                    up.service_upstream = ia.location.service_upstream
                    self.upstreams[name] = up

    # -----------------------------------------------------------------------------------------
    # B2-B4: servers and their root locations

    def _create_servers(self, ings: list[Ingress]) -> None:
        root = Location("/", "Prefix", DEFAULT_UPSTREAM, True, None, LocationAnns())
        self.servers[CATCH_ALL] = Server(CATCH_ALL, [root], cert=self.default_cert)     # B2
        for ing in ings:
            ia = self.anns[ing.key]
            if ia.canary is not None:
                continue  # canary Ingresses never create servers (B4)
            un = DEFAULT_UPSTREAM
            db = ing.default_backend
            if db is not None and db.service is not None:
                up_name = upstream_name(ing.namespace, db.service)
                if up_name in self.upstreams:
                    un = up_name
                    catch_root = self.servers[CATCH_ALL].locations[0]
                    if catch_root.is_def_backend and not ing.rules:
                        # B3: the first Ingress with a defaultBackend and no rules owns '_' root;
                        # its redirect and rewrite settings are not applied
                        catch_root.is_def_backend = False
                        catch_root.backend = up_name
                        catch_root.ingress = ing
                        catch_root.anns = ia.location.without_redirect_and_rewrite()
            elif db is not None:
                self.servers[CATCH_ALL].notes.append(f"{ing.key}: defaultBackend is a resource backend "
                                                     f"({db.resource}); ingress-nginx ignores it")
            for host in ing.hosts():
                h = host or CATCH_ALL
                if h in self.servers:
                    continue
                # B4: the root inherits the first Ingress's defaultBackend and location annotations
                loc = Location("/", "Prefix", un, True, None, ia.location)
                self.servers[h] = Server(h, [loc], first_ingress=ing)

    def _aliases_and_certs(self, ings: list[Ingress]) -> None:
        for ing in ings:
            ia = self.anns[ing.key]
            if ia.canary is not None:
                continue
            for host in ing.hosts():
                server = self.servers[host or CATCH_ALL]
                if ia.aliases and not server.aliases and server.host != CATCH_ALL:
                    server.aliases = list(ia.aliases)            # first Ingress with aliases wins (C7)
                for u in ia.server_unmodelled:
                    if u not in server.unmodelled:
                        server.unmodelled.append(u)
                if ia.client_verify and not server.client_verify:
                    # controller.go: the first Ingress of the host with a CA sets the server's
                    # CertificateAuth
                    server.client_verify, server.client_error_page = ia.client_verify, ia.client_error_page
                    server.client_verify_owner = ing.key
                if ia.ssl_ciphers and not server.ssl_ciphers:
                    server.ssl_ciphers, server.ssl_ciphers_owner = ia.ssl_ciphers, ing.key
                if server.cert is not None or not ing.tls:
                    continue                                      # G2: first Ingress with TLS decides
                server.cert = self._pick_cert(server, ing)

    def _default_cert(self) -> Cert:
        fake = Cert(FAKE_CERT, ("ingress.local",))
        name = self.settings.default_ssl_certificate
        if not name:
            return fake
        ns, _, sec = name.partition("/")
        fact = self.context.secret(ns, sec)
        if fact is None or fact.invalid:
            self.notes.append(f"--default-ssl-certificate {name} is missing or invalid; the generated fake "
                              "certificate is used")
            return fake
        return Cert(name, fact.dns_names or None)

    def _pick_cert(self, server: Server, ing: Ingress) -> Cert:
        """G2: the TLS entry listing the host, else one whose certificate covers it, else the
        default certificate (also for a missing/invalid Secret or a certificate not covering)."""
        host = server.host
        secret = ""
        for t in ing.tls:
            if any(h.lower() == host for h in t.hosts):
                secret = t.secret_name
                break
        else:
            for t in ing.tls:
                if not t.secret_name:
                    continue
                fact = self.context.secret(ing.namespace, t.secret_name)
                if fact is None or fact.invalid:
                    continue
                if not fact.dns_names:
                    server.notes.append(f"TLS Secret {ing.namespace}/{t.secret_name}: its names are unknown, so "
                                        f"it is not assumed to cover {host}")
                    continue
                if covers(fact.dns_names, host):
                    secret = t.secret_name
                    break
        if not secret:
            server.notes.append(f"{ing.key} has a TLS section but none covers {host}: default certificate")
            return self.default_cert
        key = f"{ing.namespace}/{secret}"
        fact = self.context.secret(ing.namespace, secret)
        if fact is None:
            server.notes.append(f"TLS Secret {key} does not exist: default certificate")
            return self.default_cert
        if fact.invalid:
            server.notes.append(f"TLS Secret {key} has no valid certificate: default certificate")
            return self.default_cert
        if fact.dns_names and not covers(fact.dns_names, host):
            server.notes.append(f"TLS Secret {key} does not cover {host}: default certificate")
            return self.default_cert
        return Cert(key, fact.dns_names or None)

    # -----------------------------------------------------------------------------------------
    # B5: path locations

    def _add_locations(self, ings: list[Ingress]) -> list[Ingress]:
        canaries = []
        for ing in ings:
            ia = self.anns[ing.key]
            for rule in ing.rules:
                server = self.servers.get(rule.host or CATCH_ALL) or self.servers[CATCH_ALL]
                if rule.paths is None:
                    continue
                for p in rule.paths:
                    self._add_path(server, ing, ia, p)
            if ia.canary is not None:
                canaries.append(ing)
        return canaries

    def _add_path(self, server: Server, ing: Ingress, ia: IngressAnns, p: IngressPath) -> None:
        svc = p.backend.service
        if svc is None:
            server.notes.append(f"{ing.key} {p.where}: resource backend {p.backend.resource} is skipped by "
                                "ingress-nginx")
            return
        up = self.upstreams[upstream_name(ing.namespace, svc)]
        if up.no_server:
            if ia.canary is None:
                server.notes.append(f"{ing.key} {p.where}: Service {svc.name} was first used by a canary Ingress, "
                                    "so ingress-nginx skips this path (issue #8004)")
            return
        path = to_bytes_str(p.path or "/")                     # A2: empty path is '/'
        path_type = "Exact" if p.path_type == "Exact" else "Prefix"   # A2: IS and unset are Prefix
        for loc in server.locations:                           # B5.3, in list order
            if loc.path != path:
                continue
            if loc.path_type != path_type:
                break  # (sic) ingress-nginx stops searching here (issue #10090)
            if not loc.is_def_backend:
                note = f"{ing.key} also claims {p.path or '/'} ({path_type}); ignored, {loc.ingress_key} came first"
                if loc.ingress is not None and (loc.ingress.created is None or ing.created is None):
                    note += " (decided by namespace/name, creationTimestamp is missing)"
                loc.notes.append(note)
                return
            loc.backend = up.name
            loc.is_def_backend = False
            loc.ingress = ing
            loc.anns = ia.location
            if ia.location.from_to_www:
                server.www_redirect = True
            return
        server.locations.append(Location(path, path_type, up.name, False, ing, ia.location))
        if ia.location.from_to_www:
            server.www_redirect = True                          # B5.4

    # -----------------------------------------------------------------------------------------
    # B6: canary merge

    def _merge_canary(self, ing: Ingress) -> None:
        def can_merge(pri: Upstream | None, alt: Upstream) -> bool:
            return pri is not None and pri.name != alt.name and not pri.no_server

        def merge(pri: Upstream, alt: Upstream) -> bool:
            if alt.name not in pri.alternatives:
                pri.alternatives.append(alt.name)
            return True

        db = ing.default_backend
        if db is not None and db.service is not None:
            alt = self._live(upstream_name(ing.namespace, db.service))
            if alt is not None:
                merged = False
                for loc in self.servers[CATCH_ALL].locations:
                    pri = self._live(loc.backend)
                    if pri is not None and can_merge(pri, alt):
                        merged = merge(pri, alt)
                if not merged:
                    alt.deleted = True
        for rule in ing.rules:
            server = self.servers.get(rule.host or CATCH_ALL)
            for p in rule.paths or ():
                if p.backend.service is None:
                    continue
                alt = self._live(upstream_name(ing.namespace, p.backend.service))
                if alt is None or server is None:
                    continue
                merged = alt_is_primary = False
                path = to_bytes_str(p.path or "/")
                path_type = "Exact" if p.path_type == "Exact" else "Prefix"
                for loc in server.locations:
                    pri = self._live(loc.backend)
                    if pri is not None and pri.name == alt.name:
                        alt_is_primary = True
                        break
                    if can_merge(pri, alt) and loc.path == path and loc.path_type == path_type:
                        assert pri is not None
                        merged = merge(pri, alt)
                if not merged and not alt_is_primary:
                    # no primary location with the same host, path and pathType: deleted (B6)
                    alt.deleted = True
                    server.notes.append(f"canary {ing.key}: no Ingress serves {rule.host}{p.path or '/'} with "
                                        f"pathType {path_type}; canary upstream {alt.name} removed")

    def _live(self, name: str) -> Upstream | None:
        up = self.upstreams.get(name)
        return None if up is None or up.deleted else up

    # -----------------------------------------------------------------------------------------
    # B7: default-backend annotation

    def _custom_default_backends(self) -> None:
        for server in self.servers.values():
            for loc in server.locations:
                svc_name = loc.anns.default_backend
                if not svc_name or loc.backend == DEFAULT_UPSTREAM:
                    continue
                up = self.upstreams.get(loc.backend)
                if up is None or not (up.endpoints == 0 or loc.anns.custom_http_errors):
                    continue
                ns = loc.anns.owner.split("/", 1)[0]
                svc = self.inputs.services.get(f"{ns}/{svc_name}")
                ready = self.context.ready_endpoints(ns, svc_name, svc is not None)
                if ready is None:
                    loc.notes.append(f"default-backend Service {ns}/{svc_name} does not exist; annotation ignored")
                    continue
                if ready == 0:
                    loc.notes.append(f"default-backend Service {ns}/{svc_name} has no endpoints; annotation ignored")
                    continue
                name = f"custom-default-backend-{ns}-{svc_name}"
                if name not in self.upstreams:
                    port: int | str | None = svc.ports[0].port if svc is not None and svc.ports else None
                    self.upstreams[name] = Upstream(name, BackendRef(ns, svc_name, port), ready, True,
                                                    alternatives=list(up.alternatives))
                loc.custom_default_backend = name
                if up.endpoints == 0:
                    loc.swapped_from = loc.backend
                    loc.backend = name

    # -----------------------------------------------------------------------------------------
    # B8-B10: order, prefix expansion, regex switch, static index

    def _finish_server(self, server: Server) -> None:
        locs = sorted(server.locations, key=lambda l: l.path, reverse=True)         # B8
        locs.sort(key=lambda l: len(l.path), reverse=True)
        exact_paths = {l.path for l in locs if l.path_type == "Exact"}
        expanded: list[Location] = []
        for loc in locs:                                                             # B9
            if loc.path == "/" or loc.path_type != "Prefix" or _needs_rewrite(loc) or loc.anns.use_regex:
                expanded.append(loc)
                continue
            original = loc.path
            normalised = original if original.endswith("/") else original + "/"
            if original in exact_paths:
                loc.path = normalised
                expanded.append(loc)
                continue
            loc.path = normalised
            expanded.append(loc)
            twin = Location(original, "Exact", loc.backend, loc.is_def_backend, loc.ingress, loc.anns, twin=True,
                            custom_default_backend=loc.custom_default_backend, swapped_from=loc.swapped_from,
                            notes=loc.notes, unmodelled=loc.unmodelled)
            expanded.append(twin)
        server.locations = expanded
        server.enforce_regex = any(_needs_rewrite(l) or l.anns.use_regex for l in expanded)   # B10
        for loc in expanded:
            if loc.anns.app_root and not server.app_root:
                server.app_root = loc.anns.app_root                                  # E1
            if _needs_rewrite(loc):
                loc.rewrite = self._compile(server, loc, loc.path)
            if server.enforce_regex:
                loc.regex = self._compile(server, loc, "^" + loc.path)
                loc.regex_prefix, loc.regex_literal = literal_prefix(loc.path)
            loc.label = _location_label(loc, server.enforce_regex)
        if server.enforce_regex:
            server.regex_locs = [l for l in expanded if l.regex is not None]
            self._index_regex(server)
        else:
            seen: dict[tuple[str, str], Location] = {}
            for loc in expanded:
                kind = "=" if loc.path_type == "Exact" else "prefix"
                if (kind, loc.path) in seen:
                    # nginx -t: duplicate location -> the whole config is rejected (B5.3, B9)
                    msg = f'duplicate location "{loc.label.removeprefix("= ")}" in server {server.host}'
                    self.errors.append(msg)
                    server.unmodelled.append(f"nginx rejects this configuration ({msg}); the controller keeps "
                                             "its previous configuration, simulated here as the first location")
                    continue
                seen[(kind, loc.path)] = loc
                if kind == "=":
                    server.exact[loc.path] = loc
                else:
                    server.prefix[loc.path] = loc
            server.names = frozenset(path for _, path in seen)
        if server.host == CATCH_ALL:
            # C1: nginx.tmpl adds these literal prefix locations to the catch-all server
            server.specials = (
                Location(to_bytes_str(self.settings.health_check_path), "Prefix", "", False, None, LocationAnns(),
                         special=HEALTHZ, label=self.settings.health_check_path),
                Location("/nginx_status", "Prefix", "", False, None, LocationAnns(), special=NGINX_STATUS,
                         label="/nginx_status"),
            )

    @staticmethod
    def _index_regex(server: Server) -> None:
        """Bucket regex locations by the first path segment their literal prefix fixes."""
        keyed: dict[str, list[int]] = {}
        anywhere: list[int] = []
        for i, loc in enumerate(server.regex_locs):
            p = loc.regex_prefix
            if p.startswith("/") and "/" in p[1:]:
                keyed.setdefault(p[1:].split("/", 1)[0], []).append(i)
            else:
                anywhere.append(i)
        server.regex_any_segment = [server.regex_locs[i] for i in anywhere]
        server.regex_by_segment = {k: [server.regex_locs[i] for i in sorted(v + anywhere)] for k, v in keyed.items()}

    def _compile(self, server: Server, loc: Location, pattern: str) -> "re.Pattern[str] | None":
        """A location regex (`~*`) or rewrite regex (`(?i)`): both case-insensitive PCRE."""
        try:
            # nginx's PCRE runs without UTF: caseless and \w are ASCII-only
            return re.compile(pcre_to_python(pattern), re.IGNORECASE | re.DOTALL | re.ASCII)
        except re.error as exc:
            msg = (f"regex {pattern!r} of {loc.ingress_key or server.host} cannot be read by the simulator ({exc}); "
                   "nginx may reject the configuration or match differently")
            server.unmodelled.append(msg)
            return None

    # -----------------------------------------------------------------------------------------
    # C4, F4 (from-to-www), G1: lookup tables

    def _index(self) -> None:
        self.exact_servers: dict[str, Server] = {}
        self.wildcard_servers: dict[str, Server] = {}
        for host, server in self.servers.items():
            if host.startswith("*."):
                self.wildcard_servers[host[2:]] = server
            else:
                self.exact_servers[host] = server
        # nginx keeps the first server block that names an alias, in the config's order: servers
        # sorted by hostname (controller.go getBackendServers; "conflicting server name ... ignored")
        for server in sorted(self.servers.values(), key=lambda s: s.host):
            kept = []
            for alias in server.aliases:
                if alias in self.exact_servers:
                    other = self.exact_servers[alias]
                    why = "a server" if other.host == alias else f"an alias of {other.host}"
                    server.notes.append(f"server-alias {alias} ignored: already {why}")
                    continue
                self.exact_servers[alias] = server
                kept.append(alias)
            server.aliases = kept
        self.www_redirects: dict[str, str] = {}
        for server in sorted(self.servers.values(), key=lambda s: s.host):
            if not server.www_redirect or server.host in (CATCH_ALL,) or server.host.startswith("*."):
                continue
            to = server.host
            src = to[4:] if to.startswith("www.") else f"www.{to}"
            if src in self.servers or src in self.exact_servers:
                server.notes.append(f"from-to-www-redirect: {src} is already a server; no redirect")
                continue
            self.www_redirects[src] = to
        self.cert_servers: dict[str, Cert] = {}
        for server in self.servers.values():
            if server.cert is None:
                continue
            self.cert_servers[server.host] = server.cert
            for alias in server.aliases:
                if server.cert.covers(alias):
                    self.cert_servers.setdefault(alias, server.cert)
        for src, to in self.www_redirects.items():
            cert = self.servers[to].cert
            if cert is not None and cert.covers(src):
                self.cert_servers.setdefault(src, cert)

    def cert_lookup(self, name: str | None, fallback: bool) -> Cert | None:
        """G1: exact name, then '*.' + name minus its first label, then (with `fallback`) '_'."""
        if name:
            h = name.lower()
            if h.endswith("."):
                h = h[:-1]
            cert = self.cert_servers.get(h)
            if cert is not None:
                return cert
            dot = h.find(".")
            if dot > 0:
                cert = self.cert_servers.get("*" + h[dot:])
                if cert is not None:
                    return cert
        if fallback:
            return self.cert_servers.get(CATCH_ALL, self.default_cert)
        return None


def _needs_rewrite(loc: Location) -> bool:
    """F1: rewrite-target is active when set and different from the path."""
    target = loc.anns.rewrite_target
    return bool(target) and target != loc.path
