"""The HAProxy Kubernetes Ingress Controller (haproxytech/kubernetes-ingress v3.2) as a router.

`HAProxyRouter(manifests, context)` builds the configuration the controller writes (`config`)
once; `route(request)` follows one request through HAProxy in the order it runs (haproxy-
semantics.md J): the frontend (http or https, certificate by SNI), the routing variables (host
lower-cased without port, host map with the one-label wildcard step, then path-exact,
path-prefix-exact and the longest path-prefix key), the annotation rules guarded by the rule
ids of the matched row (set-src, allow/deny lists, basic auth, rate limit, redirects,
X-Forwarded-Proto, header changes, path rewrite, CORS 204), the route-acl `use_backend` rules
(on the rewritten path), the main `use_backend` rule and the default backend, then the answer:
the built-in default service (404, 200 for GET /healthz), 503 without ready endpoints, or the
proxied request with response headers (`http-response` on backend answers,
`http-after-response` CORS on every answer).

What a request's answer depends on but cannot be decided offline is listed in
`Answer.unmodelled` (an unknown client address against an allow-list, a rate limit without the
request count, `rand()` with no drawn value is a traffic split instead, an ACL form not
evaluated, an undefined processing order, configuration snippets, ...).
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Sequence

from ing2gw.load import Manifest
from ing2gw.simulate.haproxy.acl import Unsupported
from ing2gw.simulate.haproxy.auth import CannotCheck, authenticated, credentials
from ing2gw.simulate.haproxy.config import HTTP, HTTPS, Backend, CustomRoute, HAProxyConfig, RuleSet
from ing2gw.simulate.haproxy.inputs import read_inputs
from ing2gw.simulate.haproxy.maps import HOST, PATH_EXACT, PATH_PREFIX, PATH_PREFIX_EXACT, Row
from ing2gw.simulate.haproxy.net import Address, in_networks, parse_address
from ing2gw.simulate.haproxy.rules import (REQ_FORWARDED_PROTO, BasicAuth, Deny, PathRewrite, RateLimit, Redirect,
                                          ReturnStatus, SetHeader, SetSrc, SetVar)
from ing2gw.simulate.haproxy.settings import parse_flags
from ing2gw.simulate.oracle import valid_for
from ing2gw.simulate.haproxy.tls import Certificate
from ing2gw.simulate.haproxy.text import (ConfigSyntax, ascii_lower, compile_pcre, config_word, log_format,
                                          replace_path, req_hdr)
from ing2gw.simulate.request import Answer, BackendRef, ClusterContext, Redirect as RedirectAnswer, Request, Share

#: headers HAProxy does not forward (connection-specific)
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
                         "upgrade", "host"})
#: paths the built-in default service answers with 200 (`pkg/controller/builder.go`)
HEALTHZ = ("/healthz", "/healtz")
_MEMO_LIMIT = 1 << 14
_MISSING = object()
_ONE = Fraction(1)


class _Trace:
    """What decided an answer and what it depends on, collected along the way."""

    __slots__ = ("decided", "unmodelled", "notes", "response")

    def __init__(self, unmodelled: list[str], notes: list[str]) -> None:
        self.decided: dict[str, str] = {}
        self.unmodelled = unmodelled
        self.notes = notes
        self.response: list[tuple[str, str]] = []

    def answer(self, status: int, **kwargs: object) -> Answer:
        return Answer(status=status, decided_by=tuple(self.decided.items()), response_headers=tuple(self.response),
                      unmodelled=tuple(dict.fromkeys(self.unmodelled)) if self.unmodelled else (),
                      notes=tuple(dict.fromkeys(self.notes)) if self.notes else (),
                      **kwargs)  # type: ignore[arg-type]


class HAProxyRouter:
    """The HAProxy controller over a fixed set of manifests.

    `flags` are the controller's arguments (default: the context's `haproxy_flags`, else the Helm
    chart's, see `settings`);
    `pod_namespace` is the controller's namespace (default: that of --configmap). The controller
    ConfigMap (--configmap), the pattern-file ConfigMap (--configmap-patternfiles), basic-auth
    Secrets and IngressClasses are read from the manifests; Service endpoints and TLS Secrets
    from `context`. `config` exposes what the controller writes (maps, backends, rules,
    route-acl rules, certificates), `config_errors` what HAProxy would refuse, `ignored` the
    Ingresses the controller does not serve and why.
    """

    def __init__(self, manifests: Sequence[Manifest], context: ClusterContext, *,
                 flags: Sequence[str] | None = None, pod_namespace: str | None = None) -> None:
        self.context = context
        self.flags = parse_flags(flags if flags is not None else context.haproxy_flags)
        self.config = HAProxyConfig(read_inputs(manifests), context, self.flags, pod_namespace)
        cfg = self.config
        self.config_errors: tuple[str, ...] = tuple(cfg.config_errors)
        self.ignored: dict[str, str] = dict(cfg.ignored)
        self.notes: tuple[str, ...] = tuple(dict.fromkeys(cfg.notes))
        self._unmodelled = list(cfg.unmodelled) + [
            f"HAProxy refuses the configuration ({e}): the controller keeps serving its previous one"
            for e in cfg.config_errors]
        self._maps = cfg.maps
        self._host_memo: dict[str | None, str | None] = {}
        self._pm_memo: dict[tuple[str, str], Row | None] = {}
        self._regex: dict[str, re.Pattern[str]] = {}
        self._txn_hosts: dict[str | None, object] = {}
        self._ids: dict[str, frozenset[str]] = {}
        self._certs: dict[str | None, object] = {}
        # route-acl rules in evaluation order (the last created first), indexed by their host
        # condition: exact host, `-m end <suffix>` of a wildcard, or none
        self._routes = list(reversed(cfg.custom_routes))
        self._routes_exact: dict[str, list[int]] = {}
        self._routes_suffix: dict[str, list[int]] = {}
        self._routes_any: list[int] = []
        self._route_memo: dict[str | None, list[CustomRoute]] = {}
        candidates = cfg.default.candidates
        self._default_undefined = "" if len({b for b, _ in candidates}) < 2 else (
            "several Ingresses set spec.defaultBackend and the last one processed wins (undefined order): "
            + ", ".join(f"{i} -> {b}" for b, i in candidates))
        self._fmt_memo: dict[str, tuple[str, bool]] = {}
        for i, r in enumerate(self._routes):
            if not r.host:
                self._routes_any.append(i)
            elif r.host.startswith("*"):
                self._routes_suffix.setdefault(r.host[1:], []).append(i)
            else:
                self._routes_exact.setdefault(r.host, []).append(i)

    @property
    def config_valid(self) -> bool:
        """False when HAProxy would refuse the configuration (see `config_errors`)."""
        return not self.config_errors

    # -----------------------------------------------------------------------------------------------

    def route(self, request: Request, *, client_ip: str | None = None, prior_requests: int | None = None,
              rand: int | None = None) -> Answer:
        """Where `request` goes. `client_ip` is the TCP source (None: `request.client_ip`, which
        may be unknown too), `prior_requests`
        how many requests that source already sent in the rate-limit period (None: unknown),
        `rand` the value `rand(N)` returns in route-acl rules (None: a traffic split)."""
        cfg = self.config
        t = _Trace(list(self._unmodelled), list(self.notes))
        https = request.scheme == "https"
        fe = cfg.frontends[HTTPS if https else HTTP]
        if (https and self.flags.disable_https) or (not https and self.flags.disable_http):
            return t.answer(0, generated_by="connection-refused")
        if https:
            if not cfg.certs.in_use:
                # no certificate in use: the https port speaks plain HTTP (H-F1)
                return t.answer(0, generated_by="tls-handshake-failure")
            cert = self._certs.get(request.sni, _MISSING)
            if cert is _MISSING:
                cert = cfg.certs.select(request.sni)
                if len(self._certs) >= _MEMO_LIMIT:
                    self._certs.clear()
                self._certs[request.sni] = cert
            assert cert is None or isinstance(cert, Certificate)
            if cert is not None:
                t.decided["certificate"] = cert.secret
            if cfg.client_cert_required and request.no_client_cert:
                t.notes.append("ConfigMap client-ca: the client presents no certificate (verify required): the "
                               "TLS handshake fails")
                return t.answer(0, generated_by="client-certificate-required")
            if cfg.unmodelled_https:
                t.unmodelled.extend(cfg.unmodelled_https)
        # routing variables (H-B2, H-C2..H-C4)
        raw_host = request.host
        txn_host = self._txn_hosts.get(raw_host, _MISSING)
        if txn_host is _MISSING:
            txn_host = None if raw_host is None else ascii_lower(raw_host.rsplit(",", 1)[-1].strip().split(":", 1)[0])
            if len(self._txn_hosts) >= _MEMO_LIMIT:
                self._txn_hosts.clear()
            self._txn_hosts[raw_host] = txn_host
        assert txn_host is None or isinstance(txn_host, str)
        hm = self._host_match(txn_host)
        if cfg.ignored_by_host and txn_host is not None:
            # Ingresses that would have served this request had the controller loaded them
            dot = txn_host.find(".")
            names = [txn_host, "*" + txn_host[dot:] if dot > 0 else None, "" if hm == "" else None]
            for name in names:
                for key in cfg.ignored_by_host.get(name, ()) if name is not None else ():
                    t.notes.append(f"Ingress {key} names this host but the controller ignores it: {self.ignored[key]}")
        path = request.path
        row: Row | None = None
        if hm is not None:
            t.decided["host-match"] = hm
            row = self._path_match(hm, path)
        ids: frozenset[str] | None = None
        if row is not None:
            ids = self._ids.get(row.value)
            if ids is None:
                # `{ var(txn.path_match) -m dom <id> }`: the id between `.`, `/` or `?` delimiters
                ids = self._ids[row.value] = frozenset(re.split(r"[./?]", row.value)[1:])
            t.decided["ingress"] = row.ingress
        rules = fe.applicable(ids)
        source = client_ip if client_ip is not None else request.client_ip
        src: Address | None = parse_address(source) if source else None
        return self._run(request, rules, row, txn_host, path, src, prior_requests, rand, https, t)

    def _host_match(self, txn_host: str | None) -> str | None:
        if txn_host in self._host_memo:
            return self._host_memo[txn_host]
        hm: str | None = None
        if txn_host is not None:
            host_map = self._maps[HOST]
            found = host_map.get(txn_host)
            if found is not None:
                hm = found.value
            else:
                dot = txn_host.find(".")
                found = host_map.get(txn_host[dot:] if dot != -1 else "")
                hm = found.value if found is not None else ""
        if len(self._host_memo) >= _MEMO_LIMIT:
            self._host_memo.clear()
        self._host_memo[txn_host] = hm
        return hm

    def _path_match(self, hm: str, path: str) -> Row | None:
        key = (hm, path)
        if key in self._pm_memo:
            return self._pm_memo[key]
        m = self._maps
        full = hm + path
        row = m[PATH_EXACT].get(full) or m[PATH_PREFIX_EXACT].get(full) or m[PATH_PREFIX].get_beg(hm, path)
        if len(self._pm_memo) >= _MEMO_LIMIT:
            self._pm_memo.clear()
        self._pm_memo[key] = row
        return row

    # -----------------------------------------------------------------------------------------------

    def _run(self, request: Request, rule_set: RuleSet, row: Row | None, txn_host: str | None, path: str,
             src: Address | None, prior: int | None, drawn: int | None, https: bool, t: _Trace) -> Answer:
        """The `http-request` rules, backend switching and the answer."""
        variables: dict[str, str] = {}
        headers: list[tuple[str, str]] = list(request.headers)
        up_host = request.host
        # http-after-response (CORS) and http-response rules act on the answer, whoever gives it
        cors = rule_set.after_response
        response_rules = rule_set.response
        xfp_done = not https
        for rule in rule_set.request:
            rtype = rule.rule_type
            if not xfp_done and rtype > REQ_FORWARDED_PROTO:
                headers = _set(headers, "X-Forwarded-Proto", "https")
                xfp_done = True
            if isinstance(rule, SetHeader):
                value = self._fmt(rule.fmt, variables, t, f"{rule.name} value")
                if rule.name.lower() == "host":
                    up_host = value
                else:
                    headers = _set(headers, rule.name, value)
            elif isinstance(rule, SetVar):
                origin = req_hdr(request.headers, "origin")
                if origin is not None:
                    variables["txn.cors_origin"] = origin
            elif isinstance(rule, SetSrc):
                src_text = req_hdr(request.headers, rule.header)
                addr = parse_address(src_text) if src_text is not None else None
                if addr is not None:
                    src = addr
            elif isinstance(rule, Deny):
                if rule.networks is None:
                    t.unmodelled.append(f"{rule.kind} {rule.listed}: the pattern file's content is not in the input")
                    continue
                if src is None:
                    t.unmodelled.append(f"{rule.kind} {rule.listed!r}: the client address decides (403 when refused)")
                    continue
                inside = in_networks(src, rule.networks)
                if inside != rule.allow:
                    return self._own(403, "deny-403", cors, variables, t)
            elif isinstance(rule, BasicAuth):
                answer = self._auth(request, rule, cors, variables, t)
                if answer is not None:
                    return answer
            elif isinstance(rule, RateLimit):
                answer = self._rate_limit(rule, src, prior, cors, variables, t)
                if answer is not None:
                    return answer
            elif isinstance(rule, Redirect):
                return self._redirect(request, rule, cors, variables, t)
            elif isinstance(rule, PathRewrite):
                fmt = self._fmt(rule.fmt, variables, t, "path-rewrite format")
                path = replace_path(path, self._compiled(rule.match), fmt)
            elif isinstance(rule, ReturnStatus):
                if request.method == "OPTIONS":
                    return self._own(rule.status, "cors-preflight-204", cors, variables, t)
        if not xfp_done:
            headers = _set(headers, "X-Forwarded-Proto", "https")
        # backend switching (H-C7): route-acl rules, then the map row, then the default backend
        shares = self._switch(request, row, txn_host, path, drawn, t)
        query = request.query
        upstream_path = path if query is None else f"{path}?{query}"
        return self._respond(request, shares, headers, up_host, upstream_path, src, https, cors, response_rules,
                             variables, t)

    def _fmt(self, fmt: str, variables: dict[str, str], t: _Trace, what: str) -> str:
        known = self._fmt_memo.get(fmt)
        if known is None:
            try:
                known = config_word(fmt)
            except ConfigSyntax:
                known = (fmt, False)
            self._fmt_memo[fmt] = known
        word, env = known
        if env:
            t.unmodelled.append(f"{what} {fmt!r} uses an environment variable (not modelled)")
        if "%" not in word:
            return word
        value, exact = log_format(word, variables)
        if not exact:
            t.unmodelled.append(f"{what} {fmt!r} has log-format expressions (taken literally)")
        return value

    def _compiled(self, pattern: str) -> re.Pattern[str]:
        rx = self._regex.get(pattern)
        if rx is None:
            try:
                rx = compile_pcre(pattern)
            except re.error:
                rx = re.compile(r"(?!)")  # refused by HAProxy: config_errors says so
            self._regex[pattern] = rx
        return rx

    # -- answers HAProxy generates -----------------------------------------------------------------

    def _own(self, status: int, why: str, cors: Sequence[SetHeader], variables: dict[str, str], t: _Trace,
             extra: Sequence[tuple[str, str]] = (), redirect: RedirectAnswer | None = None) -> Answer:
        """An answer HAProxy generates itself: http-after-response (CORS) still applies."""
        t.response.extend(extra)
        self._cors(cors, variables, t)
        return t.answer(status, generated_by=why, redirect=redirect)

    def _auth(self, request: Request, rule: BasicAuth, cors: Sequence[SetHeader], variables: dict[str, str],
              t: _Trace) -> Answer | None:
        challenge = [("www-authenticate", f'Basic realm="{rule.realm}"')]
        if request.header("authorization") is None:
            return self._own(401, "auth-401", cors, variables, t, challenge)
        creds = credentials(request)
        valid = valid_for(creds[0], creds[1], rule.secret) if creds is not None else None
        if valid is not None:
            # the check's stand-in for a user of that Secret (simulate.oracle)
            return None if valid else self._own(401, "auth-401", cors, variables, t, challenge)
        if not rule.known:
            t.unmodelled.append(f"basic auth {rule.group}: the credentials Secret is not in the input")
            return None
        try:
            ok = authenticated(request, rule.credentials or {})
        except CannotCheck as exc:
            t.unmodelled.append(f"basic auth {rule.group}: {exc}")
            return None
        return None if ok else self._own(401, "auth-401", cors, variables, t, challenge)

    def _rate_limit(self, rule: RateLimit, src: Address | None, prior: int | None, cors: Sequence[SetHeader],
                    variables: dict[str, str], t: _Trace) -> Answer | None:
        if rule.limit == 0:
            return None  # the deny rule is not written
        status = rule.status or 403
        if rule.whitelist or rule.whitelist_unknown:
            if src is None:
                t.unmodelled.append(f"rate limit {rule.table}: the client address decides whether it is whitelisted")
            elif in_networks(src, rule.whitelist):
                return None
            elif rule.whitelist_unknown:
                t.unmodelled.append(f"rate limit {rule.table}: whitelist pattern files not in the input")
        if prior is None:
            t.unmodelled.append(f"rate limit {rule.table}: {rule.limit} requests per period per client address, "
                                f"then {status}")
            return None
        if prior + 1 > rule.limit:
            return self._own(status, "rate-limit", cors, variables, t)
        return None

    def _redirect(self, request: Request, rule: Redirect, cors: Sequence[SetHeader], variables: dict[str, str],
                  t: _Trace) -> Answer:
        uri = request.target
        if rule.ssl_redirect:
            host = (request.host or "").rsplit(",", 1)[-1].strip().split(":", 1)[0]
            location = f"https://{host}:{rule.port}{uri}"
            why = "ssl-redirect"
        else:
            target = self._fmt(rule.host, variables, t, "request-redirect")
            location = f"{'https' if rule.ssl_request else 'http'}://{target}{uri}"
            why = "request-redirect"
        return self._own(rule.code, why, cors, variables, t, redirect=RedirectAnswer(location, rule.code))

    def _cors(self, cors: Sequence[SetHeader], variables: dict[str, str], t: _Trace) -> None:
        """http-after-response CORS headers (H-G8): only when the request had an Origin (matching
        the origin regex when there is one)."""
        if not cors:
            return
        origin = variables.get("txn.cors_origin")
        if origin is None:
            return
        for rule in cors:
            if rule.cors_origins and not any(self._compiled(p).search(origin) for p in rule.cors_origins):
                continue
            t.response = [(k, v) for k, v in t.response if k != rule.name.lower()]
            t.response.append((rule.name.lower(), self._fmt(rule.fmt, variables, t, rule.name)))

    # -- backend switching --------------------------------------------------------------------------------

    def _switch(self, request: Request, row: Row | None, txn_host: str | None, path: str, drawn: int | None,
                t: _Trace) -> list[tuple[str | None, Fraction, str | None, str]]:
        """(backend, share, deciding Ingress, how) for each backend the request can reach."""
        out: list[tuple[str | None, Fraction, str | None, str]] = []
        remaining = _ONE
        candidates = self._candidate_routes(txn_host) if self._routes else ()
        if not candidates and row is not None and row.backend in self.config.backends:
            return [(row.backend, _ONE, row.ingress, "map")]
        if candidates:
            matched: list[tuple[CustomRoute, Fraction]] = []
            for route in candidates:
                if not route.path_ok(path):
                    continue
                if route.acl is None:
                    t.unmodelled.append(f"{route.text}: {route.problem} (treated as not matching)")
                    continue
                try:
                    hit = route.acl.evaluate(request, path, drawn)
                except (Unsupported, re.error) as exc:
                    t.unmodelled.append(f"{route.text}: {exc} (treated as not matching)")
                    continue
                if hit is True:
                    matched.append((route, _ONE))
                elif isinstance(hit, Fraction) and hit > 0:
                    matched.append((route, hit))
            if len(matched) > 1 and len({r.backend for r, _ in matched}) > 1:
                t.unmodelled.append("several route-acl rules match this request and their order is undefined "
                                    "(the controller creates them from Go maps): "
                                    + "; ".join(r.text for r, _ in matched))
            for route, p in matched:
                share = remaining if p is _ONE else remaining * p
                if share:
                    out.append((route.backend, share, route.ingress, "route-acl"))
                remaining -= share
                if not remaining:
                    break
        if remaining:
            cfg = self.config
            if row is not None and row.backend in cfg.backends:
                out.append((row.backend, remaining, row.ingress, "map"))
            else:
                default = cfg.default
                if self._default_undefined:
                    t.unmodelled.append(self._default_undefined)
                out.append((default.backend, remaining, default.ingress, "default"))
        return out

    def _candidate_routes(self, txn_host: str | None) -> list[CustomRoute]:
        """The route-acl rules whose host condition `txn_host` meets, in evaluation order."""
        hit = self._route_memo.get(txn_host)
        if hit is not None:
            return hit
        idx = list(self._routes_any)
        if txn_host is not None:
            idx.extend(self._routes_exact.get(txn_host, ()))
            if self._routes_suffix:
                # `-m end .<suffix>` of `*.<suffix>`: any suffix of the host starting at a dot
                i = txn_host.find(".")
                while i != -1:
                    idx.extend(self._routes_suffix.get(txn_host[i:], ()))
                    i = txn_host.find(".", i + 1)
        out = [self._routes[i] for i in sorted(set(idx))]
        if len(self._route_memo) >= _MEMO_LIMIT:
            self._route_memo.clear()
        self._route_memo[txn_host] = out
        return out

    # -- the answer ---------------------------------------------------------------------------------------

    def _respond(self, request: Request, shares: list[tuple[str | None, Fraction, str | None, str]],
                 headers: list[tuple[str, str]], up_host: str | None, upstream_path: str, src: Address | None,
                 https: bool, cors: Sequence[SetHeader], response_rules: Sequence[SetHeader], variables: dict[str, str],
                 t: _Trace) -> Answer:
        cfg = self.config
        main = shares[0] if len(shares) == 1 else max(shares, key=lambda s: s[1])
        backend_name, _, ingress, how = main
        if ingress is not None:
            t.decided["ingress"] = ingress
        elif "ingress" in t.decided and how == "default":
            del t.decided["ingress"]
        t.decided["via"] = how
        if backend_name is not None:
            t.decided["haproxy-backend"] = backend_name
        if len(shares) == 1:
            be = cfg.backends.get(backend_name) if backend_name is not None else None
            if be is None:
                t.notes.append("no default backend is configured: HAProxy answers 503")
                return self._own(503, "no-backend-503", cors, variables, t)
            if be.unmodelled:
                t.unmodelled.extend(be.unmodelled)
            if be.notes:
                t.notes.extend(be.notes)
            if be.builtin:
                return self._builtin(request, https, cors, response_rules, variables, t)
            if not be.endpoints:
                return self._own(503, "no-server-503", cors, variables, t)
            self._backend_response(response_rules, variables, https, t)
            self._cors(cors, variables, t)
            ref = be.ref
            return t.answer(200, backend=ref, backends=(Share(ref, 1.0),), upstream_path=upstream_path,
                            upstream_host=up_host,
                            upstream_headers=self._upstream_headers(headers, src, be, request),
                            generated_by="default-backend" if how == "default" else None)
        # a traffic split (route-acl with rand())
        out_shares = []
        best_ref: BackendRef | None = None
        best_be: Backend | None = None
        for name, share, _, _ in shares:
            be = cfg.backends.get(name) if name is not None else None
            if be is None or be.builtin or not be.endpoints:
                status = 404 if be is not None and be.builtin else 503
                out_shares.append(Share(None, float(share), status))
                continue
            ref = BackendRef(be.namespace, be.service, be.port)
            out_shares.append(Share(ref, float(share)))
            if name == backend_name:
                best_ref, best_be = ref, be
        self._backend_response(response_rules, variables, https, t)
        self._cors(cors, variables, t)
        if best_ref is None or best_be is None:
            return t.answer(503, backends=tuple(out_shares), generated_by="no-server-503")
        return t.answer(200, backend=best_ref, backends=tuple(out_shares), upstream_path=upstream_path,
                        upstream_host=up_host, upstream_headers=self._upstream_headers(headers, src, best_be, request))

    def _builtin(self, request: Request, https: bool, cors: Sequence[SetHeader], response_rules: Sequence[SetHeader],
                 variables: dict[str, str], t: _Trace) -> Answer:
        """The controller's built-in default service: a router with GET /healthz and /healtz (H-D1)."""
        path = request.path
        status = 404
        if path in HEALTHZ:
            if request.method == "GET":
                status = 200
            else:
                t.unmodelled.append(f"{request.method} {path} on the built-in default service (its router may "
                                    "answer 405)")
        elif ("ealt" in path.lower() or "%" in path) and _fasthttp_path(path).rstrip("/").lower() in HEALTHZ:
            t.unmodelled.append(f"{path} on the built-in default service: its router cleans, decodes and may "
                                "redirect this path (not modelled)")
        self._backend_response(response_rules, variables, https, t)
        self._cors(cors, variables, t)
        return t.answer(status, generated_by="default-local-service")

    def _backend_response(self, response_rules: Sequence[SetHeader], variables: dict[str, str], https: bool,
                          t: _Trace) -> None:
        """http-response rules: response-set-header and, on https with QUIC, alt-svc."""
        for rule in response_rules:
            value = self._fmt(rule.fmt, variables, t, rule.name)
            t.response = [(k, v) for k, v in t.response if k != rule.name.lower()]
            t.response.append((rule.name.lower(), value))
        if https and self.config.alt_svc is not None:
            t.response = [(k, v) for k, v in t.response if k != "alt-svc"]
            t.response.append(("alt-svc", self.config.alt_svc))

    @staticmethod
    def _upstream_headers(headers: list[tuple[str, str]], src: Address | None, be: Backend,
                          request: Request) -> tuple[tuple[str, str], ...]:
        out: dict[str, str] = {}
        for k, v in headers:
            lk = k.lower()
            if lk in _HOP_BY_HOP:
                continue
            out[lk] = f"{out[lk]}, {v}" if lk in out else v
        if be.forwarded_for and src is not None:
            # `option forwardfor` adds its own X-Forwarded-For line after the client's
            out["x-forwarded-for"] = f"{out['x-forwarded-for']}, {src}" if "x-forwarded-for" in out else str(src)
        return tuple(out.items())


def _set(headers: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    """`set-header`: every occurrence removed, one added."""
    low = name.lower()
    return [(k, v) for k, v in headers if k.lower() != low] + [(name, value)]


def _fasthttp_path(path: str) -> str:
    """The path the built-in service's router sees: %-decoded, `//` merged, dot segments removed."""
    from urllib.parse import unquote

    segs: list[str] = []
    for seg in unquote(path).split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if segs:
                segs.pop()
            continue
        segs.append(seg)
    return "/" + "/".join(segs) + ("/" if path.endswith("/") and segs else "")
