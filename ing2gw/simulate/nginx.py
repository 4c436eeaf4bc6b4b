"""The ingress-nginx router: where does this request go with these Ingresses (the old side).

`NginxRouter(manifests, context)` builds the configuration ingress-nginx v1.15.1 would render
(`nginx_build`) once; `route(request)` then follows one request through nginx and the
controller's Lua code in the order they run (nginx-semantics.md E and the ROUTE pseudo-code in
section I): certificate by SNI (G1), Host (C2) and URI (D1) checks, from-to-www server (F4),
server choice (C4), app-root (E1), location choice (D2/D3, with the automatic 301), `return`
redirects and `rewrite` (E3, F1), ssl-redirect (G3), the access phase's allow/deny lists (403;
an invalid list denies the location with 503), the balancer's 503 (H), canary (F5), the proxied
request (E7), custom error pages (F7) and HSTS (G4). A declared Content-Length above the
location's client_max_body_size gets 413 right after the location is chosen (`nginx_access`).

Limits: behaviours that change the answer but are not modelled (authentication, rate limits,
snippets, ...) are listed in `Answer.unmodelled` for every request they can affect; so is an
allow-list when the request's client address is unknown (`Request.client_ip`);
annotations that cannot change routing are listed in `nginx_annotations.ROUTING_NEUTRAL`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Sequence

from ing2gw.load import Manifest
from ing2gw.simulate.gateway_policies.htpasswd import basic_credentials
from ing2gw.simulate.ingress_objects import read_ingress_inputs
from ing2gw.simulate.nginx_access import access_status, body_limit, declared_length
from ing2gw.simulate.nginx_annotations import Canary, Cors, LocationAnns
from ing2gw.simulate.nginx_build import CATCH_ALL, DEFAULT_UPSTREAM, HEALTHZ, Cert, Location, NginxConfig, Server, Upstream
from ing2gw.simulate.nginx_http import (BadRequest, escape_uri, expand_replacement, from_bytes_str, normalise_host,
                                        normalise_uri)
from ing2gw.simulate.nginx_settings import NginxSettings, parse_settings
from ing2gw.simulate.oracle import auth_service_answer, valid_for
from ing2gw.simulate.request import Answer, BackendRef, ClusterContext, Redirect, Request, Share, proxied

#: nginx `return CODE URL` sends a Location only for these codes.
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                         "upgrade", "proxy", "host"})
#: nginx regex server names `~^(?<subdomain>[\w-]+)\.<rest>$` (C3); PCRE \w without UTF is ASCII.
_ONE_LABEL = re.compile(r"[\w-]+\Z", re.ASCII)
#: entries a memo of per-request values keeps before it starts over (bounds memory)
_MEMO_LIMIT = 1 << 14


class _Trace:
    """What decided an answer, and what it depends on, collected along the way."""

    __slots__ = ("ingress", "server", "location", "cert", "canary", "notes", "unmodelled", "hsts")

    def __init__(self, unmodelled: list[str], notes: list[str]) -> None:
        self.ingress: str | None = None
        self.server: str | None = None
        self.location: str | None = None
        self.cert: str | None = None
        self.canary: str | None = None
        self.notes = notes
        self.unmodelled = unmodelled
        self.hsts: tuple[tuple[str, str], ...] = ()

    def decided(self) -> tuple[tuple[str, str], ...]:
        out = []
        if self.ingress:
            out.append(("ingress", self.ingress))
        if self.server:
            out.append(("server", self.server))
        if self.location:
            out.append(("location", self.location))
        if self.canary:
            out.append(("canary", self.canary))
        if self.cert:
            out.append(("certificate", self.cert))
        return tuple(out)

    def answer(self, status: int, **kwargs: object) -> Answer:
        return Answer(status=status, decided_by=self.decided(), response_headers=self.hsts,
                      unmodelled=tuple(dict.fromkeys(self.unmodelled)) if self.unmodelled else (),
                      notes=tuple(dict.fromkeys(self.notes)) if self.notes else (),
                      **kwargs)  # type: ignore[arg-type]

    def proxied(self, shares: Sequence[Share], **kwargs: object) -> Answer:
        return proxied(shares, decided_by=self.decided(), response_headers=self.hsts,
                       unmodelled=tuple(dict.fromkeys(self.unmodelled)) if self.unmodelled else (),
                       notes=tuple(dict.fromkeys(self.notes)) if self.notes else (),
                       **kwargs)

    # the two most frequent answers, built without passing keyword arguments along

    def redirect(self, code: int, url: str, generated_by: str) -> Answer:
        return Answer(status=code, redirect=Redirect(url, code), generated_by=generated_by,
                      decided_by=self.decided(), response_headers=self.hsts,
                      unmodelled=tuple(dict.fromkeys(self.unmodelled)) if self.unmodelled else (),
                      notes=tuple(dict.fromkeys(self.notes)) if self.notes else ())

    def forwarded(self, shares: Sequence[Share], status: int, upstream_path: str, upstream_host: str,
                  upstream_headers: tuple[tuple[str, str], ...], upstream_tls: str | None = None) -> Answer:
        """Like `proxied(shares, status=..., upstream_path=..., ...)`."""
        shares = tuple(shares)
        best = shares[0] if len(shares) == 1 else max(shares, key=lambda sh: sh.weight)
        return Answer(status=status, backend=best.backend, backends=shares, upstream_path=upstream_path,
                      upstream_host=upstream_host, upstream_headers=upstream_headers, response_headers=self.hsts,
                      decided_by=self.decided(), upstream_tls=upstream_tls,
                      unmodelled=tuple(dict.fromkeys(self.unmodelled)) if self.unmodelled else (),
                      notes=tuple(dict.fromkeys(self.notes)) if self.notes else ())


class NginxRouter:
    """ingress-nginx (controller v1.15.1) as a router over a fixed set of manifests.

    `config_errors` lists why nginx would reject the rendered configuration (`nginx -t`, e.g. a
    duplicate location): the controller then keeps serving its previous configuration. Answers
    are still computed (first location wins) but carry that in `unmodelled` for the affected
    hosts and in `notes` for all. `ignored` maps Ingresses the controller does not load to why.
    """

    def __init__(self, manifests: Sequence[Manifest], context: ClusterContext) -> None:
        self.context = context
        self.settings: NginxSettings = parse_settings(context.nginx_flags, context.nginx_configmap)
        self.config = NginxConfig(read_ingress_inputs(manifests), context, self.settings)
        self.config_errors: tuple[str, ...] = tuple(self.config.errors)
        self.ignored: dict[str, str] = dict(self.config.ignored)
        #: facts assumed for the whole input (e.g. an IngressClass not in the input)
        self.notes: tuple[str, ...] = tuple(self.config.assumptions + self.config.notes)
        self._global_notes = list(self.config.notes) + [
            f"nginx rejects the configuration: {e}" for e in self.config_errors]
        self._default_backend = self._default_backend_upstream()
        self._patterns: dict[str, re.Pattern[str] | None] = {}
        # what many requests share, worked out once: Host header -> normalised host, host ->
        # server, (name, fallback) -> certificate, upstream -> its sole share
        self._hosts: dict[str, str] = {}
        self._servers: dict[str | None, Server] = {}
        self._certs: dict[tuple[str | None, bool], Cert | None] = {}
        self._sole_shares: dict[str, tuple[Share, ...]] = {}
        # client_max_body_size of locations no Ingress owns (the ConfigMap's proxy-body-size)
        self._default_body_limit = body_limit({}, self.settings.annotations_prefix,
                                              {"proxy-body-size": self.settings.proxy_body_size}, True)

    @property
    def config_valid(self) -> bool:
        """False when nginx would refuse the rendered configuration (see `config_errors`)."""
        return not self.config_errors

    # -----------------------------------------------------------------------------------------

    def route(self, request: Request, *, upstream_status: int | None = None) -> Answer:
        """Where `request` goes. `upstream_status` is what the backend would answer (default: a
        success, shown as 200); it matters for custom-http-errors (F7)."""
        cfg, s = self.config, self.settings
        t = _Trace(list(cfg.unmodelled), list(self._global_notes))
        https = request.scheme == "https"
        if https:
            cert = self._cert(request.sni, True)                                      # G1
            t.cert = cert.name if cert is not None else None
        raw_path, _, args = request.target.partition("?")
        try:
            uri = normalise_uri(raw_path)                                             # D1
            host = None if request.host is None else self._host(request.host)         # C2
        except BadRequest as exc:
            t.notes.append(str(exc))
            return t.answer(400, generated_by="nginx-400")
        if host is not None and host in cfg.www_redirects:                           # F4
            return self._www_redirect(request, host, cfg.www_redirects[host], t)
        server = self._servers.get(host)
        if server is None:
            server = self._server(host)                                               # C4, C5
            if len(self._servers) >= _MEMO_LIMIT:
                self._servers.clear()
            self._servers[host] = server
        t.server = server.host
        if cfg.ignored_by_host:
            for key in dict.fromkeys((host or CATCH_ALL, server.host)):
                for ig in cfg.ignored_by_host.get(key, ()):
                    t.notes.append(f"Ingress {ig} names this host but is ignored: {self.ignored[ig]}")
        if server.notes:
            t.notes.extend(server.notes)
        if server.unmodelled:
            t.unmodelled.extend(server.unmodelled)
        if https and request.tls_version is not None:
            refused = self._tls_refused(request, server, t)
            if refused is not None:
                return refused
        if https and request.no_client_cert and server.client_verify == "on":
            return self._no_client_cert(server, t)
        if server.app_root and uri == "/":                                            # E1
            t.location = "server-level app-root"
            loc_url = f"{request.scheme}://{request.host or ''}{server.app_root}"
            return t.answer(302, redirect=Redirect(loc_url, 302), generated_by="redirect")
        if https and s.hsts:
            t.hsts = (("strict-transport-security", s.hsts_value),)                   # G4
        loc, auto_redirect = self._location(server, uri)                              # D2, D3
        if loc.special is None and request.headers:
            too_large = self._body_too_large(request, loc.anns.body_limit if loc.anns.owner else
                                             self._default_body_limit, t)
            if too_large is not None:
                t.location = loc.label
                t.ingress = loc.ingress_key or None
                return too_large
        if auto_redirect:                                                             # D2.2
            target = f"{uri}/" + (f"?{args}" if args else "")
            url = self._absolute(request, host or server.host, loc.anns.use_port_in_redirects) + from_bytes_str(target)
            t.location = f"{from_bytes_str(uri)}/ (auto-redirect)"
            return t.redirect(301, url, "nginx-auto-redirect")
        return self._in_location(request, server, loc, uri, host, args, t, upstream_status)

    def _host(self, raw: str) -> str:
        """normalise_host, remembered per Host header (raises BadRequest, never remembered)."""
        host = self._hosts.get(raw)
        if host is None:
            host = normalise_host(raw)
            if len(self._hosts) >= _MEMO_LIMIT:
                self._hosts.clear()
            self._hosts[raw] = host
        return host

    def _cert(self, name: str | None, fallback: bool) -> Cert | None:
        """NginxConfig.cert_lookup, remembered per name."""
        key = (name, fallback)
        if key in self._certs:
            return self._certs[key]
        if len(self._certs) >= _MEMO_LIMIT:
            self._certs.clear()
        cert = self._certs[key] = self.config.cert_lookup(name, fallback)
        return cert

    # -----------------------------------------------------------------------------------------
    # Server and location choice

    def _server(self, host: str | None) -> Server:
        cfg = self.config
        if host is None:
            return cfg.servers[CATCH_ALL]           # no Host (HTTP/1.0): the default server
        srv = cfg.exact_servers.get(host)
        if srv is not None:
            return srv
        dot = host.find(".")
        if dot > 0 and cfg.wildcard_servers:
            srv = cfg.wildcard_servers.get(host[dot + 1:])
            if srv is not None and _ONE_LABEL.match(host, 0, dot):
                return srv                           # C3: exactly one label [\w-]+
        return cfg.servers[CATCH_ALL]

    @staticmethod
    def _location(server: Server, uri: str) -> tuple[Location, bool]:
        """The location for `uri`, and whether nginx answers it with its automatic 301 (D2.2)
        instead (then the location is the one named `uri + "/"`)."""
        if server.enforce_regex:                                                      # D3
            lowered = uri.lower()
            candidates = server.regex_by_segment.get(lowered[1:].split("/", 1)[0], server.regex_any_segment)
            for loc in candidates:
                if not lowered.startswith(loc.regex_prefix):
                    continue
                if loc.regex_literal:
                    return loc, False
                assert loc.regex is not None
                if loc.regex.search(uri):
                    return loc, False
            return server.locations[-1], False
        exact = server.exact.get(uri)                                                 # D2.1
        if exact is not None:
            return exact, False
        if uri + "/" in server.names:                                                 # D2.2
            return server.exact.get(uri + "/") or server.prefix[uri + "/"], True
        best = server.prefix["/"]                                                     # D2.3
        i = len(uri)
        while i > 0:
            i = uri.rfind("/", 0, i)
            if i < 0:
                break
            cand = server.prefix.get(uri[:i + 1])
            if cand is not None:
                best = cand
                break
        for sp in server.specials:
            if uri.startswith(sp.path) and len(sp.path) > len(best.path):
                best = sp
        return best, False

    # -----------------------------------------------------------------------------------------
    # Inside the location (E)

    def _in_location(self, request: Request, server: Server, loc: Location, uri: str, host: str | None,
                     args: str, t: _Trace, upstream_status: int | None) -> Answer:
        s = self.settings
        t.location = loc.label
        if loc.special is not None:
            t.hsts = ()  # template locations have no Lua header filter
            if loc.special == HEALTHZ:
                return t.answer(200, generated_by="nginx-healthz")
            t.notes.append("/nginx_status is allowed only from 127.0.0.1")
            return t.answer(403, generated_by="nginx-status-denied")
        anns = loc.anns
        t.ingress = loc.ingress_key or None
        if anns.unmodelled:
            t.unmodelled.extend(anns.unmodelled)
        if loc.unmodelled:
            t.unmodelled.extend(loc.unmodelled)
        if anns.notes:
            t.notes.extend(anns.notes)
        if loc.notes:
            t.notes.extend(loc.notes)
        if anns.access.denied is not None:
            # an invalid access list: the location is rendered as `return 503;` only
            t.notes.append(f"{anns.access.denied_by} of {anns.owner}: {anns.access.denied}; the location is "
                           "denied (\"Location denied\")")
            return t.answer(503, generated_by="location-denied")
        if anns.cors is not None:                                                      # F3
            cors = self._cors(anns.cors, request)
            if cors is not None:
                if request.method == "OPTIONS":
                    # `return 204` in the location's rewrite phase, for every OPTIONS request
                    t.hsts = t.hsts + cors
                    return t.answer(204, generated_by="cors-options")
                t.hsts = t.hsts + cors  # more_set_headers: on every response of the location
        if anns.redirect_url:                                                          # E3, F4
            url = anns.redirect_url
            if url.startswith("/") and not anns.relative_redirects:
                url = self._absolute(request, host or server.host, anns.use_port_in_redirects) + url
            code = anns.redirect_code
            if code not in REDIRECT_CODES:
                t.notes.append(f"`return {code}` sends the URL as the response body, without Location")
                return t.answer(code, generated_by="redirect")
            return t.redirect(code, url, "redirect")
        up_path = request.target
        rewritten = False
        if loc.rewrite is not None:                                                    # F1
            m = loc.rewrite.search(uri)
            if m is not None:
                template = anns.rewrite_target
                if template.startswith("$scheme"):
                    template = request.scheme + template[len("$scheme"):]
                new, unknown = expand_replacement(template, m)
                for var in unknown:
                    t.unmodelled.append(f"rewrite-target of {anns.owner} uses the nginx variable ${var}")
                tail = f"?{args}" if args else ""
                if template.startswith(("http://", "https://")):
                    # an absolute replacement makes nginx's `rewrite` answer 302
                    return t.answer(302, redirect=Redirect(from_bytes_str(new) + tail, 302), generated_by="redirect")
                up_path = escape_uri(new) + tail
                rewritten = True
        pass_scheme, best_host, pass_port = request.scheme, request.host or host or "", str(request.port)
        if s.use_forwarded_headers:                                                    # E7
            xfp = request.header("X-Forwarded-Proto")
            if xfp is not None:
                pass_scheme = xfp
            xport = request.header("X-Forwarded-Port")
            if xport is not None:
                pass_port = xport
            xfh = request.header("X-Forwarded-Host")
            if xfh:
                best_host = xfh.split(",", 1)[0]
        if pass_scheme == "http" and not loc.path.startswith(s.no_tls_redirect_locations or ("\0",)):   # G3
            if anns.force_ssl_redirect or (anns.ssl_redirect and self._cert(host, False)):
                ru = request.target
                if not anns.preserve_trailing_slash and ru.endswith("/"):
                    ru = ru[:-1]
                rh = best_host.split(":", 1)[0]
                url = f"https://{rh}:{s.https_port}{ru}" if anns.use_port_in_redirects else f"https://{rh}{ru}"
                code = s.http_redirect_code
                return t.redirect(code, url, "ssl-redirect")
        if anns.access.active:                                                         # access phase
            refused = self._access(request, anns, t)
            if refused is not None:
                return refused
        if anns.basic_auth_realm is not None:
            refused = self._basic_auth(request, anns, t)
            if refused is not None:
                return refused
        if anns.external_auth:
            refused = self._external_auth(request, anns, t)
            if refused is not None:
                return refused
        extra: dict[str, str] = {}
        if rewritten and anns.x_forwarded_prefix:
            extra["x-forwarded-prefix"] = anns.x_forwarded_prefix                      # F2
        upstream_host = anns.upstream_vhost or best_host                               # F8
        headers = self._upstream_headers(request, best_host, pass_scheme, pass_port, extra, t)
        if loc.backend == DEFAULT_UPSTREAM:
            return self._default_backend_answer(request, up_path, upstream_host, headers, t, None)
        up = self.config.upstreams.get(loc.backend)
        if up is None or up.deleted:
            t.notes.append(f"upstream {loc.backend} no longer exists (canary removed)")
            return t.answer(503, generated_by="balancer-no-endpoints")
        if up.notes:
            t.notes.extend(up.notes)
        if up.endpoints == 0:                                                          # H
            if up.service_upstream and up.exists:
                t.notes.append("service-upstream: nginx connects to the Service ClusterIP, which has no ready "
                               "endpoints; the connection fails (502 or 504)")
                return t.answer(502, generated_by="upstream-connect-failed")
            if 503 in anns.custom_http_errors:
                return self._error_page(request, loc, up, 503, t)
            return t.answer(503, generated_by="balancer-no-endpoints")
        if loc.backend.startswith("custom-default-backend-"):                          # B7, F6
            return self._custom_default_backend(request, loc, up, up_path, upstream_host, headers, t)
        shares = self._canary(up, request, t)                                          # F5
        status = upstream_status if upstream_status is not None else 200
        if (upstream_status is not None and upstream_status in anns.custom_http_errors
                and anns.intercept_upstream_errors):                                   # F7
            return self._error_page(request, loc, up, upstream_status, t)
        if up.service_upstream:
            port = up.backend.port if up.backend else "?"
            t.notes.append(f"service-upstream: proxied to the Service ClusterIP:{port}, not to pod endpoints")
        # TLS towards the upstream (template buildProxyPass: https:// or grpcs://; AUTO_HTTP proxies
        # to $scheme://, the scheme of the client's own connection)
        proto = anns.backend_protocol
        tls = proto in ("HTTPS", "GRPCS") or (proto == "AUTO_HTTP" and request.scheme == "https")
        return t.forwarded(shares, status, up_path, upstream_host, headers, "tls" if tls else "plain")

    def _access(self, request: Request, anns: LocationAnns, t: _Trace) -> Answer | None:
        """nginx's access module with the location's deny/allow rules (nginx_access)."""
        lists = anns.access
        header = self.settings.real_ip.header
        client, unknown = self.settings.real_ip.client(request.client_ip, request.header_values(header))
        what = " and ".join(f for f in (lists.deny_from, lists.allow_from) if f)
        if client is None:
            t.unmodelled.append(f"{what} of {anns.owner}: {unknown} (403 when it is not allowed)")
            return None
        if access_status(lists, client) is not None:
            t.notes.append(f"client address {client} is refused by {what} of {anns.owner}")
            return t.answer(403, generated_by="access-denied")
        return None

    def _basic_auth(self, request: Request, anns: LocationAnns, t: _Trace) -> Answer | None:
        """auth_basic: 401 with the realm's challenge without Basic credentials (nginx compares
        the scheme without case). Whether given credentials are valid needs the Secret's htpasswd
        file, which is not read: such a request is unmodelled (modelled as valid)."""
        realm = anns.basic_auth_realm or ""
        if basic_credentials(request.header("authorization"), False) is None:
            t.notes.append(f"basic auth of {anns.owner}: the request has no Basic credentials")
            ans = t.answer(401, generated_by="basic-auth-401")
            return replace(ans, response_headers=ans.response_headers + (("www-authenticate", f'Basic realm="{realm}"'),))
        user, password = basic_credentials(request.header("authorization"), False) or ("", "")
        valid = valid_for(user, password, anns.basic_auth_secret)
        if valid is not None:
            # the check's stand-in for a user of that Secret (simulate.oracle)
            if valid:
                t.notes.append(f"basic auth of {anns.owner}: valid credentials for Secret {anns.basic_auth_secret}")
                return None
            t.notes.append(f"basic auth of {anns.owner}: the credentials are valid for another Secret than "
                           f"{anns.basic_auth_secret}")
            ans = t.answer(401, generated_by="basic-auth-401")
            return replace(ans, response_headers=ans.response_headers + (("www-authenticate", f'Basic realm="{realm}"'),))
        t.unmodelled.append(f"basic auth of {anns.owner}: whether the credentials are valid is not modelled (the "
                            "htpasswd Secret is not read; modelled as valid)")
        return None

    def _external_auth(self, request: Request, anns: LocationAnns, t: _Trace) -> Answer | None:
        """auth_request to auth-url, for the check's oracle probes (`simulate.oracle`): a 2xx of
        the auth service lets the request through, 401 and 403 are the client's answer, any other
        status is an error (500) (ngx_http_auth_request_module). With auth-signin a 401 becomes a
        redirect to the sign-in URL (not modelled: unmodelled). Other requests: the service's
        answer is not known (the location's unmodelled note says so)."""
        status = auth_service_answer(request.header("authorization"))
        if status is None:
            return None
        if 200 <= status < 300:
            t.notes.append(f"auth-url of {anns.owner}: the auth service answers {status}: allowed")
            return None
        if status == 401 and anns.auth_signin:
            t.unmodelled.append(f"auth-signin of {anns.owner}: the auth service's 401 becomes a redirect to the "
                                "sign-in URL (not modelled)")
            return None
        t.notes.append(f"auth-url of {anns.owner}: the auth service answers {status}")
        return t.answer(status if status in (401, 403) else 500, generated_by="external-auth-denied")

    def _tls_refused(self, request: Request, server: Server, t: _Trace) -> Answer | None:
        """A probe offering one TLS version or suite that the server's ssl_protocols / ssl_ciphers
        refuse: no HTTP answer (simulate/nginx_tls.py)."""
        from ing2gw.simulate.nginx_tls import handshake

        ciphers = server.ssl_ciphers or self.settings.ssl_ciphers
        why, unknown = handshake(request, self.settings.ssl_protocols, ciphers)
        if unknown is not None:
            t.unmodelled.append(unknown)
        if why is None:
            return None
        t.notes.append(f"{server.host}: the TLS handshake fails: {why}")
        # the Ingress whose ssl-ciphers annotation set the server's suites decided a suite refused
        t.ingress = (server.ssl_ciphers_owner or None) if why.startswith(("cipher", "no suite")) else None
        return t.answer(0, generated_by="tls-refused")

    @staticmethod
    def _no_client_cert(server: Server, t: _Trace) -> Answer:
        """ssl_verify_client on and the client sent no certificate: nginx answers 400 ("No
        required SSL certificate was sent", its 496 shown as 400) after choosing the server by
        Host, before any location; with auth-tls-error-page (`error_page 495 496 = URL`) a 302
        to that URL. optional and optional_no_ca let the request through."""
        t.notes.append(f"{server.host}: ssl_verify_client on and the client sent no certificate")
        # the Ingress whose auth-tls-secret set the server's verification decided
        t.ingress = server.client_verify_owner or None
        if server.client_error_page:
            return t.redirect(302, server.client_error_page, "client-certificate-error-page")
        return t.answer(400, generated_by="client-certificate-required")

    def _body_too_large(self, request: Request, limit: int, t: _Trace) -> Answer | None:
        """413 when the request declares a body larger than client_max_body_size (0: no limit)."""
        length = declared_length(request.header_values("content-length"))
        if length is None or limit == 0 or length <= limit:
            return None
        t.notes.append(f"Content-Length {length} is larger than client_max_body_size ({limit} bytes)")
        return t.answer(413, generated_by="body-too-large")

    @staticmethod
    def _cors(cors: "Cors", request: Request) -> tuple[tuple[str, str], ...] | None:
        """The `CORS` template (nginx.tmpl): the headers `more_set_headers` adds when `$cors` is
        "true", or None. With origin `*` every request gets them (`$http_origin` set to `*`);
        otherwise the Origin header must match buildCorsOriginRegex."""
        rx = cors.origin_regex()
        if rx is None:
            origin: str | None = "*"
        else:
            origin = request.header("Origin")
            if origin is None or not cors.origins or rx.search(origin) is None:
                return None
        out = [("access-control-allow-origin", origin or "")]
        if cors.credentials:
            out.append(("access-control-allow-credentials", "true"))
        out.append(("access-control-allow-methods", cors.methods))
        out.append(("access-control-allow-headers", cors.headers))
        if cors.expose:
            out.append(("access-control-expose-headers", cors.expose))
        out.append(("access-control-max-age", str(cors.max_age)))
        return tuple(out)

    # -----------------------------------------------------------------------------------------
    # Answers nginx makes itself

    def _www_redirect(self, request: Request, host: str, to: str, t: _Trace) -> Answer:
        """F4: the separate server for www.<host> / <host> answers with a redirect."""
        t.server = host
        t.location = f"from-to-www-redirect to {to}"
        ru = request.target[:-1] if request.target.endswith("/") else request.target
        scheme = request.scheme
        if self.settings.use_forwarded_headers:
            scheme = request.header("X-Forwarded-Proto") or scheme
        url = f"{scheme}://{to}:{request.port}{ru}"
        code = self.settings.http_redirect_code
        return t.answer(code, redirect=Redirect(url, code), generated_by="from-to-www-redirect")

    @staticmethod
    def _absolute(request: Request, host: str, port_in_redirect: bool) -> str:
        """How nginx makes a relative Location absolute: scheme, Host without port (unless
        port_in_redirect and a non-default port)."""
        default = 443 if request.scheme == "https" else 80
        port = f":{request.port}" if port_in_redirect and request.port != default else ""
        return f"{request.scheme}://{host}{port}"

    def _default_backend_upstream(self) -> Upstream | None:
        """--default-backend-service: the Service behind `upstream-default-backend` (first port)."""
        name = self.settings.default_backend_service
        if not name:
            return None
        ns, _, svc_name = name.partition("/")
        svc = self.config.inputs.services.get(name)
        ready = self.context.ready_endpoints(ns, svc_name, svc is not None)
        port: int | str | None = svc.ports[0].port if svc is not None and svc.ports else None
        up = Upstream(DEFAULT_UPSTREAM, BackendRef(ns, svc_name, port), ready or 0, ready is not None)
        if up.endpoints == 0:
            up.notes.append(f"--default-backend-service {name} has no ready endpoints: nginx's own 404 answers")
        return up

    def _default_backend_answer(self, request: Request, up_path: str, upstream_host: str,
                                headers: tuple[tuple[str, str], ...], t: _Trace, via: str | None) -> Answer:
        dbs = self._default_backend
        suffix = f" via {via}" if via else ""
        if dbs is not None:
            t.notes.extend(dbs.notes)
            if dbs.endpoints > 0:
                assert dbs.backend is not None
                return t.proxied([Share(dbs.backend, 1.0)], generated_by="default-backend" + suffix,
                                 upstream_path=up_path, upstream_host=upstream_host, upstream_headers=headers)
        return t.answer(404, generated_by="default-backend-404" + suffix)

    def _error_page(self, request: Request, loc: Location, up: Upstream, code: int, t: _Trace) -> Answer:
        """F7: `error_page CODE = @custom_<upstream>_<CODE>`: GET / to the default backend (or the
        default-backend annotation's Service) with X-Code and friends."""
        target = loc.custom_default_backend or DEFAULT_UPSTREAM
        via = f"@custom_{target}_{code}"
        headers = dict(self._error_headers(request, loc, up, code))
        headers["x-original-uri"] = request.target
        hdrs = tuple(headers.items())
        host = request.host or ""
        if target == DEFAULT_UPSTREAM:
            return self._default_backend_answer(request, "/", host, hdrs, t, via)
        custom = self.config.upstreams[target]
        assert custom.backend is not None
        return t.proxied([Share(custom.backend, 1.0)], generated_by=f"custom-default-backend via {via}",
                         upstream_path="/", upstream_host=host, upstream_headers=hdrs)

    def _error_headers(self, request: Request, loc: Location, up: Upstream,
                       code: int) -> list[tuple[str, str]]:
        ing = loc.ingress
        ref = up.backend
        out = [("x-code", str(code))]
        accept = request.header("Accept")
        if accept:
            out.append(("x-format", accept))
        out += [("x-namespace", ing.namespace if ing else ""), ("x-ingress-name", ing.name if ing else ""),
                ("x-service-name", ref.name if ref else ""), ("x-service-port", str(ref.port) if ref else "")]
        rid = request.header("X-Request-ID")
        if rid:
            out.append(("x-request-id", rid))
        return out

    def _custom_default_backend(self, request: Request, loc: Location, custom: Upstream, up_path: str,
                                upstream_host: str, headers: tuple[tuple[str, str], ...], t: _Trace) -> Answer:
        """F6: the location's Service has no endpoints; the default-backend annotation's Service
        gets the request with the original URI and X-Code: 503."""
        original = self.config.upstreams.get(loc.swapped_from or "")
        merged = dict(headers)
        merged.update(self._error_headers(request, loc, original or custom, 503))
        assert custom.backend is not None
        return t.proxied([Share(custom.backend, 1.0)], generated_by="custom-default-backend", upstream_path=up_path,
                         upstream_host=upstream_host, upstream_headers=tuple(merged.items()))

    # -----------------------------------------------------------------------------------------
    # Canary (F5) and the request the backend sees (E7)

    def _canary(self, primary: Upstream, request: Request, t: _Trace) -> Sequence[Share]:
        assert primary.backend is not None
        only_primary = self._sole_shares.get(primary.name)
        if only_primary is None:
            only_primary = self._sole_shares[primary.name] = (Share(primary.backend, 1.0),)
        if not primary.alternatives:
            return only_primary
        alt = self.config.upstreams.get(primary.alternatives[0])      # only the first is used (B6)
        if alt is None or alt.deleted or alt.endpoints == 0 or alt.policy is None or alt.backend is None:
            return only_primary                                         # F5.2
        if primary.affinity or alt.affinity:
            t.unmodelled.append(f"session affinity on {primary.name}/{alt.name}: a sticky client may stay on "
                                "the canary or the primary")
        decision = self._canary_decision(alt.policy, request, t)
        if decision is True:
            return (Share(alt.backend, 1.0),)
        if decision is False:
            return only_primary
        pol = alt.policy
        total = pol.weight_total if pol.weight_total > 100 else 100   # weight-total <= 100 is ignored
        share = min(pol.weight, total) / total
        if share <= 0:
            return only_primary
        if share >= 1:
            t.canary = f"weight {pol.weight}/{total}"
            return (Share(alt.backend, 1.0),)
        t.canary = f"weight {pol.weight}/{total}"
        return (Share(primary.backend, 1.0 - share), Share(alt.backend, share))

    def _canary_decision(self, pol: Canary, request: Request, t: _Trace) -> bool | None:
        """Header, then cookie (balancer.lua route_to_alternative_balancer). None: by weight."""
        if pol.header:
            value = self._header_var(request, pol.header)
            if value is not None:
                if pol.header_value:
                    if value == pol.header_value:
                        t.canary = f"header {pol.header}={value}"
                        return True
                elif pol.header_pattern:
                    rx = self._pattern(pol.header_pattern)
                    if rx is None:
                        t.canary = f"header {pol.header}: canary-by-header-pattern does not compile"
                        return False                       # a regex error means primary, final
                    if rx.search(value):
                        t.canary = f"header {pol.header}~{pol.header_pattern}"
                        return True
                elif value == "always":
                    t.canary = f"header {pol.header}=always"
                    return True
                elif value == "never":
                    t.canary = f"header {pol.header}=never"
                    return False
        if pol.cookie:
            value = _cookie(request, pol.cookie)
            if value == "always":
                t.canary = f"cookie {pol.cookie}=always"
                return True
            if value == "never":
                t.canary = f"cookie {pol.cookie}=never"
                return False
        return None

    def _pattern(self, pattern: str) -> re.Pattern[str] | None:
        if pattern not in self._patterns:
            try:
                self._patterns[pattern] = re.compile(pattern)
            except re.error:
                self._patterns[pattern] = None
        return self._patterns[pattern]

    def _header_var(self, request: Request, name: str) -> str | None:
        """nginx `$http_<name>`: '-' and '_' are the same, case-insensitive; headers whose name
        has '_' are dropped by default (underscores_in_headers off)."""
        want = name.lower().replace("-", "_")
        drop = self.settings.drop_underscore_headers
        values = [v for k, v in request.headers
                  if not (drop and "_" in k) and k.lower().replace("-", "_") == want]
        return ", ".join(values) if values else None

    def _upstream_headers(self, request: Request, best_host: str, scheme: str, port: str, extra: dict[str, str],
                          t: _Trace) -> tuple[tuple[str, str], ...]:
        s = self.settings
        if not request.headers and not extra and not s.add_original_uri_header:
            # nothing from the client: only the proxy's own headers
            return (("x-forwarded-host", best_host), ("x-forwarded-port", port), ("x-forwarded-proto", scheme),
                    ("x-forwarded-scheme", scheme), ("x-scheme", scheme))
        out: dict[str, str] = {}
        for k, v in request.headers:
            lk = k.lower()
            if lk in _HOP_BY_HOP or (s.drop_underscore_headers and "_" in k):
                continue
            out[lk] = f"{out[lk]}, {v}" if lk in out else v
        client_xff = out.pop("x-forwarded-for", None)
        out.pop("x-real-ip", None)
        if client_xff:
            out["x-original-forwarded-for"] = client_xff
        if s.use_forwarded_headers and client_xff:
            # real_ip from X-Forwarded-For: $remote_addr is the first address
            first = client_xff.split(",", 1)[0].strip()
            out["x-real-ip"] = first
            if s.compute_full_forwarded_for:
                t.notes.append("compute-full-forwarded-for: X-Forwarded-For also gets the client's address")
            else:
                out["x-forwarded-for"] = first
        out["x-forwarded-host"] = best_host
        out["x-forwarded-port"] = port
        out["x-forwarded-proto"] = scheme
        out["x-forwarded-scheme"] = scheme
        out["x-scheme"] = scheme
        if s.add_original_uri_header:
            out["x-original-uri"] = request.target
        out.update(extra)
        return tuple(out.items())


def _cookie(request: Request, name: str) -> str | None:
    """nginx `$cookie_<name>`: the first cookie with that name (case-insensitive)."""
    want = name.lower()
    for raw in request.header_values("cookie"):
        for part in raw.split(";"):
            k, sep, v = part.strip().partition("=")
            if sep and k.strip().lower() == want:
                return v.strip()
    return None

