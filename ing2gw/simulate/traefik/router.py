"""The Traefik router: where does this request go with these Ingresses and IngressRoutes (the old
side of the equivalence check for Traefik inputs).

`TraefikRouter(manifests, context)` builds once what Traefik v3.7 would run (the static
configuration from `context.traefik`, the Ingress and CRD providers, the router tables);
`route(request)` then follows one request (traefik-semantics.md K):

1. the entry point listening on the request's port (none: no connection, status 0);
2. for TLS, the certificate by SNI and the connection's TLS options (T-C5);
3. what Go's HTTP server and Traefik's entry point do before routing: the Host header must be
   valid, a '#' or a bad %-escape in the path is a 400, unreserved %XX are decoded, the path is
   cleaned, untrusted X-Forwarded-* headers are replaced (T-D1..D6);
4. the first router of the entry point's table (TLS or plain side) whose rule matches, in
   priority order (T-F); none: 404;
5. the router's denied encoded characters (400), its TLS options (421 on a mismatch), its
   middlewares in order, the service's middlewares, the service (503 without servers);
6. the proxied request: the cleaned and rewritten request-target, the Host header as sent
   (unless passHostHeader is false) and the headers as changed.

`decide(request)` returns the Answer with what the cases need besides it (entry point, router,
rule, priority, the answers of equally ranked routers, the scheme to the pods).

Routers of equal priority and provider match in an undefined order (T-F3); objects Traefik
lists in map order can change the configuration (two default backends, two Ingresses writing
one router name). The answer then comes from the first candidate by name, and when the others
would answer differently it says so in `unmodelled`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from ing2gw.load import Manifest
from ing2gw.simulate.request import Answer, BackendRef, ClusterContext, Redirect, Request, Share
from ing2gw.simulate.traefik.build import Builder, Built, RouterState, Table
from ing2gw.simulate.traefik.cluster import Cluster
from ing2gw.simulate.traefik.config import PROVIDER_INGRESS, DynamicConfig, LoadBalancer
from ing2gw.simulate.traefik.flow import Flow, Headers, Response
from ing2gw.simulate.traefik.gourl import GoURL, GoURLError, parse_request_uri, split_host_port, valid_host_header
from ing2gw.simulate.traefik.middlewares import denied_escape
from ing2gw.simulate.traefik.objects import read_traefik_inputs
from ing2gw.simulate.traefik.provider_crd import CRDProvider
from ing2gw.simulate.traefik.provider_ingress import IngressProvider
from ing2gw.simulate.traefik.rules import MatchInput, Undecided, domains, parse
from ing2gw.simulate.traefik.services import Target
from ing2gw.simulate.traefik.static import EntryPoint, StaticConfig, parse_static
from ing2gw.simulate.traefik.tls import CertStore

#: headers the entry point removes from an untrusted client (forwardedheaders XHeadersSet)
_X_HEADERS = frozenset({"X-Forwarded-Proto", "X-Forwarded-Scheme", "X-Forwarded-For", "X-Forwarded-Host",
                        "X-Forwarded-Port", "X-Forwarded-Server", "X-Forwarded-Uri", "X-Forwarded-Method",
                        "X-Forwarded-Prefix", "X-Forwarded-Tls-Client-Cert", "X-Forwarded-Tls-Client-Cert-Info",
                        "X-Scheme", "X-Real-Ip"})
#: clientAuthType values under which a client without a certificate fails the TLS handshake
#: (crypto/tls ClientAuthType; doc.traefik.io .../tls/tls-options/#clientauth)
_REQUIRE_CERT = frozenset({"RequireAnyClientCert", "RequireAndVerifyClientCert"})
#: hop-by-hop headers Go's reverse proxy does not forward
_HOP = frozenset({"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te",
                  "Trailer", "Transfer-Encoding", "Upgrade"})
#: %XX the routing path keeps encoded (pkg/muxer/http/mux.go reservedCharacters)
_RESERVED = frozenset({"%3A", "%2F", "%3F", "%23", "%5B", "%5D", "%40", "%21", "%24", "%26", "%27", "%28", "%29",
                       "%2A", "%2B", "%2C", "%3B", "%3D", "%25"})
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_MEMO_LIMIT = 1 << 14


@dataclass(frozen=True, slots=True)
class Decision:
    """An answer and how it was reached."""

    answer: Answer
    entrypoint: str | None = None
    router: str | None = None
    runtime_router: str | None = None
    rule: str | None = None
    priority: int | None = None
    tls_cert: str | None = None
    upstream_scheme: str | None = None
    #: answers of the routers that rank equally and match too (or could own the router's name)
    tied: tuple[tuple[str, Answer], ...] = ()


@dataclass(frozen=True)
class Prepared:
    """The request-target after Go's parser and the entry point (shared by many requests)."""

    error: str | None
    url: GoURL | None = None
    request_uri: str = ""
    routing_path: str = ""
    #: the request-target the backend receives when no middleware changes it
    upstream: str = ""


def _normalize_raw(raw: str) -> str | None:
    """normalizePath: unreserved %XX decoded, other %xx upper-cased (None: a '%' at the end)."""
    out = []
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        if i + 2 >= n:
            return None
        enc = raw[i:i + 3].upper()
        ch = chr(int(enc[1:], 16))
        out.append(ch if ch in _UNRESERVED else enc)
        i += 3
    return "".join(out)


def routing_path(escaped: str) -> str:
    """withRoutingPath: every %XX decoded except the reserved characters."""
    if "%" not in escaped:
        return escaped
    out = []
    raw = bytearray()
    i, n = 0, len(escaped)
    while i < n:
        c = escaped[i]
        if c == "%" and i + 2 < n:
            enc = escaped[i:i + 3].upper()
            if enc in _RESERVED:
                out.append(raw.decode("utf-8", "surrogateescape") if raw else "")
                raw = bytearray()
                out.append(escaped[i:i + 3])
            else:
                raw.append(int(enc[1:], 16))
            i += 3
            continue
        if raw:
            out.append(raw.decode("utf-8", "surrogateescape"))
            raw = bytearray()
        out.append(c)
        i += 1
    if raw:
        out.append(raw.decode("utf-8", "surrogateescape"))
    return "".join(out)


def prepare(target: str, ep: EntryPoint) -> Prepared:
    """T-D1..D4: parse the request-target as Go's server does, deny '#', normalize, sanitize."""
    if " " in target:
        return Prepared("malformed request line (a space in the request-target)")
    try:
        url = parse_request_uri(target)
    except GoURLError as exc:
        return Prepared(f"Go's HTTP server refuses the request-target: {exc}")
    if "#" in url.raw_path:
        return Prepared("the path contains a '#' (denyFragment)")
    request_uri = target  # Go keeps the raw request-target until a handler rewrites it
    if url.raw_path:
        norm = _normalize_raw(url.raw_path)
        if norm is None:
            return Prepared("invalid percent-encoding at the end of the path")
        if norm != url.raw_path:
            url.raw_path = norm
            request_uri = url.request_uri()
    if ep.sanitize_path:
        url = url.join_path()
        request_uri = url.request_uri()
    if ep.encode_query_semicolons:
        if ";" in url.raw_query:
            url.raw_query = url.raw_query.replace(";", "%3B")
            request_uri = url.request_uri()
    else:
        # http.AllowQuerySemicolons rewrites the URL's query, not RequestURI
        url.raw_query = url.raw_query.replace(";", "&")
    return Prepared(None, url, request_uri, routing_path(url.escaped_path()), upstream_target(request_uri, url))


def upstream_target(request_uri: str, url: GoURL) -> str:
    """rewriteRequestBuilder: RequestURI parsed again, ';' in the query becomes '&'."""
    try:
        u = parse_request_uri(request_uri)
    except GoURLError:
        u = url
    q = u.raw_query.replace(";", "&")
    path = u.escaped_path() or "/"
    return path + ("?" + q if q or url.force_query or u.force_query else "")


class TraefikRouter:
    """Traefik Proxy v3.7 (Kubernetes Ingress and CRD providers) as a router over fixed manifests.

    `config` is the dynamic configuration the providers generated; `states` what became of each
    router (entry points, build errors); `ignored` the objects Traefik does not load and why.
    """

    def __init__(self, manifests: Sequence[Manifest], context: ClusterContext) -> None:
        self.context = context
        inputs = read_traefik_inputs(manifests)
        static = parse_static(context.traefik)
        assumptions: list[str] = []
        if not static.version_given and inputs.legacy_group:
            static = replace(static, version=(2, 11))
            assumptions.append("the input has traefik.containo.us objects, which Traefik v3 ignores: modelled as "
                               "Traefik v2.11 (v2 rule syntax by default; request handling as v3.7); set "
                               "traefikVersion to override")
        if static.version < (3, 0) and not static.default_rule_syntax:
            static = replace(static, default_rule_syntax="v2")
        self.static: StaticConfig = static
        conf = DynamicConfig()
        conf.assumptions += assumptions
        cluster = Cluster(inputs, context)
        ingress = IngressProvider(inputs, cluster, static, conf)
        if static.ingress.enabled:
            ingress.load()
            ingress.publish()
        if static.crd.enabled:
            hosts_of: dict[str, list[str]] = {}
            for ir in inputs.ingress_routes:
                hs: list[str] = []
                for route in ir.routes:
                    try:
                        hs += domains(parse(route.match, route.syntax or static.default_rule_syntax or "v3"))
                    except ValueError:
                        pass
                hosts_of[ir.key] = hs
            CRDProvider(inputs, cluster, static, conf, legacy_group=static.version < (3, 0)).load(hosts_of)
        elif inputs.ingress_routes:
            conf.notes.append("providers.kubernetesCRD is disabled: IngressRoutes are not read")
        if inputs.tcp_routes:
            conf.notes.append(f"{len(inputs.tcp_routes)} IngressRouteTCP route(s): TCP routing is modelled only as "
                              "far as it takes connections away from HTTP routers")
        if inputs.udp_routes:
            conf.notes.append(f"IngressRouteUDP {', '.join(inputs.udp_routes)}: UDP is not HTTP (not modelled)")
        self.config: DynamicConfig = conf
        self.ingress_service_errors = dict(ingress.service_errors)
        builder = Builder(static, conf)
        builder.build()
        self.builder = builder
        self.states: dict[str, RouterState] = builder.states
        self.ignored: dict[str, str] = dict(conf.ignored)
        self.certs = CertStore(conf.certificates, conf.default_certificate)
        self.eps = static.by_port()
        self.tcp_routes = inputs.tcp_routes
        self._global_unmodelled = tuple(dict.fromkeys(list(static.unmodelled) + conf.unmodelled))
        self._global_notes = tuple(dict.fromkeys(list(static.notes) + conf.notes))
        #: facts assumed for the whole input
        self.notes: tuple[str, ...] = tuple(conf.assumptions) + self._global_notes
        self._prepared: dict[tuple[str, str], Prepared] = {}
        self._built_parts: dict[int, _Parts] = {}
        self._conns: dict[tuple[str, bool, str | None], _Conn] = {}
        self._hosts: dict[str, str | None] = {}

    # ---- helpers -----------------------------------------------------------------------------

    def _prepare(self, target: str, ep: EntryPoint) -> Prepared:
        key = (target, ep.name)
        p = self._prepared.get(key)
        if p is None:
            p = prepare(target, ep)
            if len(self._prepared) >= _MEMO_LIMIT:
                self._prepared.clear()
            self._prepared[key] = p
        # middlewares change the URL: every request gets its own copy
        return p

    def _canonical_host(self, raw: str) -> str | None:
        """request_decorator parseHost + CanonicalDomain (None: Go refuses the Host header)."""
        if raw in self._hosts:
            return self._hosts[raw]
        result: str | None
        if not valid_host_header(raw):
            result = None
        else:
            if ":" in raw:
                hp = split_host_port(raw)
                host = hp[0] if hp is not None else (raw[1:-1] if raw.startswith("[") and raw.endswith("]") else raw)
            else:
                host = raw
            result = host.strip().lower()
        if len(self._hosts) >= _MEMO_LIMIT:
            self._hosts.clear()
        self._hosts[raw] = result
        return result

    # ---- the request -------------------------------------------------------------------------

    def route(self, request: Request, *, client_ip: str | None = None, upstream_status: int | None = None) -> Answer:
        """Where `request` goes. `client_ip` is the remote address (allow-lists, ClientIP rules);
        `upstream_status` what the backend answers (errors middleware)."""
        return self.decide(request, client_ip=client_ip, upstream_status=upstream_status).answer

    def decide(self, request: Request, *, client_ip: str | None = None,
               upstream_status: int | None = None) -> Decision:
        """`route` with how the answer was reached. The client address is the keyword's, else
        the request's own (`Request.client_ip`)."""
        if client_ip is None:
            client_ip = request.client_ip
        ep = self.eps.get(request.port)
        if ep is None:
            return Decision(Answer(status=0, generated_by="connection-refused",
                                   notes=(f"no entry point listens on port {request.port}",)))
        tls = request.scheme == "https"
        conn = self._connection(ep, tls, request.sni)
        if conn.refused is not None:
            return conn.refused
        decided = list(conn.decided)
        unmodelled = list(conn.unmodelled)
        notes = list(conn.notes)
        cert, conn_name = conn.cert, conn.options
        refused = self._no_client_cert(request, tls, conn_name, decided, notes)
        if refused is not None:
            return refused
        if request.host is None:
            return self._plain(400, "bad-request-400", "missing required Host header (HTTP/1.1)", decided, unmodelled,
                               notes, ep, cert)
        host = self._canonical_host(request.host)
        if host is None:
            return self._plain(400, "bad-request-400", f"malformed Host header {request.host!r}", decided,
                               unmodelled, notes, ep, cert)
        prep = self._prepare(request.target, ep)
        if prep.error is not None:
            return self._plain(400, "bad-request-400", prep.error, decided, unmodelled, notes, ep, cert)
        headers = self._headers(request, ep, tls, client_ip, unmodelled)
        if headers is None:
            return self._plain(400, "bad-request-400", "a header name has an underscore (underscoreHeadersStrategy: "
                               "reject)", decided, unmodelled, notes, ep, cert)
        assert prep.url is not None
        mi = MatchInput(host=host, raw_host=request.host, path=prep.routing_path, method=request.method,
                        headers=headers.as_dict(), raw_query=prep.url.raw_query, client_ip=client_ip)
        table = self.builder.table(ep.name, tls)
        found = self._match(table, mi) if table is not None else None
        if mi.undecided:
            unmodelled.extend(dict.fromkeys(mi.undecided))
        if found is None:
            if len(unmodelled) == len(conn.unmodelled):
                return conn.not_found  # the same answer for every request of this connection kind
            side = "TLS" if tls else "plain"
            notes.append(f"no {side} router of entry point {ep.name} matches")
            return self._plain(404, "no-router-404", None, decided, unmodelled, notes, ep, cert)
        built, ties = found
        ctx = _Ctx(request, ep, tls, cert, conn_name, client_ip, upstream_status, headers, prep, decided, unmodelled,
                   notes)
        decision = self._serve(built, ctx)
        others = [b for b in ties] + list(built.alternatives)
        if not others:
            return decision
        tied = tuple((b.runtime_name + (f" ({b.router.source_kind} {b.router.source})" if b.router.source else ""),
                      self._serve(b, _Ctx(request, ep, tls, cert, conn_name, client_ip, upstream_status,
                                          self._headers(request, ep, tls, client_ip, []) or Headers(), prep,
                                          list(conn.decided), [], [])).answer)
                     for b in others)
        names = ", ".join([built.runtime_name] + [t[0] for t in tied])
        if any(_differs(decision.answer, a) for _, a in tied):
            extra = (f"undefined order: routers {names} rank equally (priority {built.priority}) or share a name; "
                     "Traefik may answer with any of them (T-F3)",)
            answer = replace(decision.answer, unmodelled=tuple(dict.fromkeys(decision.answer.unmodelled + extra)))
        else:
            answer = replace(decision.answer, notes=tuple(dict.fromkeys(
                decision.answer.notes + (f"routers {names} rank equally and answer alike",))))
        return replace(decision, answer=answer, tied=tied)

    def _no_client_cert(self, request: Request, tls: bool, conn_name: str, decided: list[tuple[str, str]],
                        notes: list[str]) -> Decision | None:
        """The failed handshake of a client that presents no certificate where the connection's
        TLS options require one (clientAuthType RequireAnyClientCert or
        RequireAndVerifyClientCert; VerifyClientCertIfGiven and RequestClientCert accept it)."""
        if not (tls and request.no_client_cert):
            return None
        opt = self.config.tls_options.get(conn_name)
        if opt is None or opt.client_auth not in _REQUIRE_CERT:
            return None
        return Decision(Answer(status=0, generated_by="client-certificate-required", decided_by=tuple(decided),
                               notes=tuple(dict.fromkeys(notes + [f"TLS options {conn_name} ({opt.client_auth}): "
                                                                 "the client presents no certificate: the TLS "
                                                                 "handshake fails"]))))

    def _connection(self, ep: EntryPoint, tls: bool, sni: str | None) -> "_Conn":
        """Entry point and TLS facts shared by every request on the same (entry point, TLS, SNI)."""
        key = (ep.name, tls, sni)
        conn = self._conns.get(key)
        if conn is not None:
            return conn
        decided: list[tuple[str, str]] = [("entrypoint", ep.name)]
        unmodelled = list(self._global_unmodelled)
        notes = list(self._global_notes)
        cert: str | None = None
        conn_name = ""
        refused: Decision | None = None
        if tls:
            cert, assumed = self.certs.best(sni)
            decided.append(("certificate", cert))
            if assumed:
                notes.append(f"certificate {cert}: its names are not known; assumed to be the hosts it is listed for")
            conn_opt = self.builder.options.get(ep.name)
            conn_name = conn_opt.for_server_name(sni) if conn_opt is not None else "default"
            opt = self.config.tls_options.get(conn_name)
            if opt is not None and opt.sni_strict and not self.certs.matched(sni):
                refused = Decision(Answer(status=0, generated_by="tls-handshake-failed", decided_by=tuple(decided),
                                          notes=(f"TLS options {conn_name} (sniStrict) refuse a handshake without a "
                                                 "certificate for the SNI",)), ep.name, tls_cert=cert)
            if opt is not None and opt.client_auth in _REQUIRE_CERT:
                # a client without a certificate fails the handshake (Go's crypto/tls answers the
                # missing certificate with an alert); the other probes are modelled as presenting
                # a valid one (Request.no_client_cert)
                notes.append(f"TLS options {conn_name} ({opt.client_auth}) require a client certificate")
        for tr in self.tcp_routes:
            if (not tr.entry_points or ep.name in tr.entry_points) and (tr.tls == tls or "HostSNI(`*`)" in tr.match):
                unmodelled.append(f"IngressRouteTCP {tr.namespace}/{tr.name} ({tr.match}) may take this connection "
                                  "before the HTTP routers (TCP routing is not modelled)")
        side = "TLS" if tls else "plain"
        not_found = self._plain(404, "no-router-404", f"no {side} router of entry point {ep.name} matches",
                                list(decided), list(unmodelled), list(notes), ep, cert)
        conn = _Conn(tuple(decided), tuple(unmodelled), tuple(notes), cert, conn_name, refused, not_found)
        if len(self._conns) >= _MEMO_LIMIT:
            self._conns.clear()
        self._conns[key] = conn
        return conn

    def _headers(self, request: Request, ep: EntryPoint, tls: bool, client_ip: str | None,
                 unmodelled: list[str]) -> Headers | None:
        """The request headers after the entry point (None: refused for an underscore)."""
        headers = Headers(request.headers)
        if ep.underscore_headers != "keep" and any("_" in n for n in headers.names()):
            if ep.underscore_headers == "reject":
                return None
            for n in [n for n in headers.names() if "_" in n]:
                headers.delete(n)
        self._forwarded(headers, request, ep, tls, client_ip, unmodelled)
        return headers

    def _forwarded(self, headers: Headers, request: Request, ep: EntryPoint, tls: bool, client_ip: str | None,
                   unmodelled: list[str]) -> None:
        """The entry point's forwardedheaders handler."""
        trusted = ep.forwarded_insecure
        if not trusted and ep.forwarded_trusted:
            if client_ip is None:
                if any(n in _X_HEADERS for n in headers.names()):
                    unmodelled.append(f"entry point {ep.name} trusts X-Forwarded-* from some addresses; the client "
                                      "address is not given")
            else:
                import ipaddress
                try:
                    ip = ipaddress.ip_address(client_ip)
                    trusted = any(ip in ipaddress.ip_network(t.strip(), strict=False)
                                  for t in ep.forwarded_trusted)
                except ValueError:
                    trusted = False
        d = headers.as_dict()  # canonical names: the constants below are canonical already
        if not trusted and d:
            for n in [n for n in d if n.startswith("X") and (n in _X_HEADERS or n.replace("_", "-") in _X_HEADERS)]:
                del d[n]
        if client_ip is not None and not d.get("X-Real-Ip", ("",))[0]:
            d["X-Real-Ip"] = [client_ip]
        if not d.get("X-Forwarded-Proto", ("",))[0]:
            d["X-Forwarded-Proto"] = ["https" if tls else "http"]
        if not d.get("X-Forwarded-Port", ("",))[0]:
            hp = split_host_port(request.host or "") if ":" in (request.host or "") else None
            d["X-Forwarded-Port"] = [hp[1] if hp is not None else ("443" if tls else "80")]
        if request.host and not d.get("X-Forwarded-Host", ("",))[0]:
            d["X-Forwarded-Host"] = [request.host]

    def _match(self, table: Table, mi: MatchInput) -> tuple[Built, list[Built]] | None:
        cands = table.candidates(mi.host, mi.path)
        for pos, b in enumerate(cands):
            try:
                ok = b.matcher(mi)
            except Undecided:
                ok = False
            if not ok:
                continue
            ties = []
            for o in cands[pos + 1:]:
                if o.priority != b.priority or o.rank != b.rank:
                    break
                try:
                    if o.matcher(mi):
                        ties.append(o)
                except Undecided:
                    pass
            return b, ties
        return None

    def _plain(self, status: int, generated_by: str, why: str | None, decided: list[tuple[str, str]],
               unmodelled: list[str], notes: list[str], ep: EntryPoint, cert: str | None) -> Decision:
        if why:
            notes.append(why)
        return Decision(Answer(status=status, generated_by=generated_by, decided_by=tuple(decided),
                               unmodelled=tuple(dict.fromkeys(unmodelled)), notes=tuple(dict.fromkeys(notes))),
                        ep.name, tls_cert=cert)

    def _parts(self, b: Built) -> "_Parts":
        """What every request served by `b` shares, worked out once."""
        parts = self._built_parts.get(id(b))
        if parts is not None:
            return parts
        rt, plan = b.router, b.plan
        decided = [("router", b.runtime_name), ("rule", rt.rule), ("priority", str(b.priority))]
        if rt.source_kind:
            decided.append((rt.source_kind.lower(), rt.source))
        notes = list(rt.notes) + list(plan.notes)
        unmodelled = list(rt.unmodelled) + list(plan.unmodelled)
        best = None
        if plan.targets:
            best = plan.targets[0] if len(plan.targets) == 1 else max(plan.targets, key=lambda t: t.weight)
            if len(plan.targets) > 1 and len({t.middlewares for t in plan.targets}) > 1:
                unmodelled.append("the shares of this service run different service middlewares; the request is "
                                  "followed through the largest share")
        shares = tuple(Share(_backend(t.lb), t.weight, t.status) if t.lb is not None else
                       Share(None, t.weight, t.status) for t in plan.targets)
        # a mirror gets a request while count*100 < total*percent: never with percent 0 (mirror.go)
        mirrored = tuple(dict.fromkeys(_backend(lb) for lb, pct in plan.mirrors if pct > 0))
        if plan.mirrors:
            notes.append("mirrors: " + ", ".join(f"{_backend(lb)} {pct}%" for lb, pct in plan.mirrors))
        if best is not None and best.lb is not None and best.lb.scheme != "http":
            notes.append(f"to the pods over {best.lb.scheme}")
        if best is not None and best.service == "noop@internal":
            notes.append("the noop service answers 200 with an empty body")
        parts = _Parts(tuple(decided), tuple(notes), tuple(unmodelled), best, shares, mirrored,
                       not b.chain and (best is None or not best.middlewares),
                       _backend(best.lb) if best is not None and best.lb is not None else None)
        self._built_parts[id(b)] = parts
        return parts

    def _serve(self, b: Built, c: "_Ctx") -> Decision:
        """Steps 5 and 6 for the matched router `b`."""
        rt = b.router
        p = self._parts(b)
        c.decided += p.decided
        c.notes += p.notes
        c.unmodelled += p.unmodelled
        prep = c.prep
        assert prep.url is not None
        best = p.best
        if p.no_middlewares and best is not None and best.lb is not None and not b.denied \
                and (b.tls is None or not c.tls or b.options == c.conn_options):
            # nothing changes the request: the backend gets it as the entry point left it
            lb = best.lb
            return Decision(Answer(status=200, backend=p.backend, backends=p.shares, upstream_path=prep.upstream,
                                   upstream_host=(c.request.host or "") if lb.pass_host_header else
                                   (f"{lb.external_name}:{lb.port}" if lb.external_name else "<endpoint>"),
                                   upstream_headers=self._upstream_headers(c.headers, c.client_ip),
                                   mirrored_to=p.mirrored, decided_by=tuple(c.decided),
                                   unmodelled=tuple(dict.fromkeys(c.unmodelled)) if c.unmodelled else (),
                                   notes=tuple(dict.fromkeys(c.notes)) if c.notes else ()),
                            c.ep.name, rt.name, b.runtime_name, rt.rule, b.priority, c.cert, lb.scheme)
        flow = Flow(url=prep.url if p.no_middlewares else prep.url.copy(), request_uri=prep.request_uri,
                    host=c.request.host or "", method=c.request.method, tls=c.tls, headers=c.headers,
                    client_ip=c.client_ip, port=c.request.port, upstream_status=c.upstream_status)
        base = Decision(Answer(0), entrypoint=c.ep.name, router=rt.name, runtime_router=b.runtime_name,
                        rule=rt.rule, priority=b.priority, tls_cert=c.cert)
        if b.denied and denied_escape(flow.url.escaped_path(), b.denied):
            return self._finish(Response(400, "bad-request-400"), flow, c, base,
                                why="an encoded character the entry point denies (encodedCharacters)")
        if b.tls is not None and c.tls and b.options != c.conn_options:
            return self._finish(Response(421, "misdirected-421"), flow, c, base,
                                why=f"the router's TLS options {b.options} differ from the connection's "
                                    f"{c.conn_options} (snicheck)")
        for mw in b.chain:
            resp = mw.apply(flow)
            if resp is not None:
                return self._finish(resp, flow, c, base)
        if best is None:
            return self._finish(Response(404, "acme-http-challenge"), flow, c, base)
        for mw in best.middlewares:
            resp = mw.apply(flow)
            if resp is not None:
                return self._finish(resp, flow, c, base)
        if best.lb is None:
            status = best.status or 503
            gen = "noop" if best.service == "noop@internal" else "no-server-503" if status == 503 else "service"
            return _decision(base, self._answer(status, flow, c, generated_by=gen,
                                                backends=p.shares if len(p.shares) > 1 else (), mirrored=p.mirrored))
        lb = best.lb
        if p.no_middlewares:
            up = prep.upstream
        else:
            up = self._upstream_target(flow)
        if not lb.pass_host_header:
            up_host = f"{lb.external_name}:{lb.port}" if lb.external_name else "<endpoint>"
        else:
            up_host = flow.host
        answer = Answer(status=200, backend=_backend(lb), backends=p.shares, upstream_path=up, upstream_host=up_host,
                        upstream_headers=self._upstream_headers(flow.headers, c.client_ip),
                        response_headers=flow.response_headers() if flow.response_ops else (),
                        mirrored_to=p.mirrored, decided_by=tuple(c.decided),
                        unmodelled=_uniq(c.unmodelled, flow.unmodelled), notes=_uniq(c.notes, flow.notes))
        return Decision(answer, base.entrypoint, base.router, base.runtime_router, base.rule, base.priority,
                        base.tls_cert, lb.scheme)

    @staticmethod
    def _upstream_headers(hdrs: Headers, client_ip: str | None) -> tuple[tuple[str, str], ...]:
        """What the backend gets: hop-by-hop headers dropped, the client appended to
        X-Forwarded-For (Go's ReverseProxy)."""
        xff = client_ip is not None
        pairs = [(k.lower(), v) for k, vals in hdrs.as_dict().items() if k not in _HOP
                 and not (xff and k == "X-Forwarded-For") for v in vals]
        if client_ip is not None:
            pairs.append(("x-forwarded-for", ", ".join(hdrs.values("X-Forwarded-For") + [client_ip])))
        return tuple(pairs)

    def _upstream_target(self, flow: Flow) -> str:
        return upstream_target(flow.request_uri, flow.url)

    def _answer(self, status: int, flow: Flow, c: "_Ctx", generated_by: str,
                redirect: Redirect | None = None, base_headers: list[tuple[str, str]] | None = None,
                backends: tuple[Share, ...] = (), mirrored: tuple[BackendRef, ...] = ()) -> Answer:
        return Answer(status=status, redirect=redirect, backends=backends, generated_by=generated_by,
                      response_headers=flow.response_headers(base_headers), mirrored_to=mirrored,
                      decided_by=tuple(c.decided), unmodelled=_uniq(c.unmodelled, flow.unmodelled),
                      notes=_uniq(c.notes, flow.notes))

    def _finish(self, resp: Response, flow: Flow, c: "_Ctx", base: Decision, why: str | None = None) -> Decision:
        if why:
            c.notes.append(why)
        if resp.decided_by is not None:
            c.decided.append(resp.decided_by)
        return _decision(base, self._answer(resp.status, flow, c, resp.generated_by, resp.redirect, resp.headers))

    # ---- the configuration, for tests and reports ---------------------------------------------

    def router_config(self, name: str) -> dict[str, object] | None:
        """A router of the configuration by provider-level or qualified name: rule, priority,
        service, middlewares, entry points, tls, usable, errors."""
        q = name if "@" in name else f"{name}@{PROVIDER_INGRESS}"
        state = self.states.get(q)
        if state is None:
            for key, st in self.states.items():
                if key.partition("@")[0] == name:
                    state = st
                    break
        if state is None:
            return None
        rt = state.router
        return {"rule": rt.rule, "priority": rt.effective_priority(), "service": rt.service,
                "middlewares": list(rt.middlewares), "entrypoints": list(state.entry_points), "tls": rt.tls is not None,
                "usable": state.usable, "errors": list(state.errors), "source": f"{rt.source_kind} {rt.source}"}

    def configuration(self) -> dict[str, object]:
        """The whole generated configuration, sorted: routers (qualified name -> rule, priority,
        service, middlewares, entry points, tls, usable, errors), services, the objects Traefik
        ignores and what the providers skipped."""
        routers = {q: self.router_config(q) for q in sorted(self.states)}
        services = {q: self.service_config(q) for q in sorted(self.config.services)}
        return {"routers": routers, "services": services, "ignored": dict(sorted(self.ignored.items())),
                "skipped": list(self.config.skipped)}

    def service_config(self, name: str) -> dict[str, object] | None:
        """A service of the configuration by provider-level or qualified name."""
        q = name if "@" in name else f"{name}@{PROVIDER_INGRESS}"
        svc = self.config.services.get(q)
        if svc is None:
            svc = next((s for k, s in self.config.services.items() if k.partition("@")[0] == name), None)
        if svc is None:
            return None
        body = svc.body
        out: dict[str, object] = {"type": type(body).__name__, "middlewares": list(svc.middlewares)}
        if isinstance(body, LoadBalancer):
            out.update(namespace=body.namespace, service=body.service, port=body.port, port_name=body.port_name,
                       servers=body.servers, scheme=body.scheme, pass_host_header=body.pass_host_header)
        return out


@dataclass(frozen=True, slots=True)
class _Conn:
    decided: tuple[tuple[str, str], ...]
    unmodelled: tuple[str, ...]
    notes: tuple[str, ...]
    cert: str | None
    options: str
    refused: Decision | None
    not_found: Decision


@dataclass(slots=True)
class _Ctx:
    request: Request
    ep: EntryPoint
    tls: bool
    cert: str | None
    conn_options: str
    client_ip: str | None
    upstream_status: int | None
    headers: Headers
    prep: Prepared
    decided: list[tuple[str, str]]
    unmodelled: list[str]
    notes: list[str]


@dataclass(frozen=True)
class _Parts:
    decided: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]
    unmodelled: tuple[str, ...]
    best: Target | None
    shares: tuple[Share, ...]
    mirrored: tuple[BackendRef, ...]
    no_middlewares: bool
    backend: BackendRef | None


def _uniq(a: list[str], b: list[str]) -> tuple[str, ...]:
    if not a and not b:
        return ()
    return tuple(dict.fromkeys(a + b))


def _decision(base: Decision, answer: Answer) -> Decision:
    return Decision(answer, base.entrypoint, base.router, base.runtime_router, base.rule, base.priority,
                    base.tls_cert)


def _backend(lb: LoadBalancer) -> BackendRef:
    # an ExternalName Service is the DNS name Traefik connects to (compared by name and port)
    host = lb.external_name.lower().rstrip(".") if lb.external_name else None
    return BackendRef(lb.namespace, lb.service, lb.port, host)


def _differs(a: Answer, b: Answer) -> bool:
    return (a.status, a.backend, a.redirect, a.upstream_path, a.upstream_host) != \
           (b.status, b.backend, b.redirect, b.upstream_path, b.upstream_host)
