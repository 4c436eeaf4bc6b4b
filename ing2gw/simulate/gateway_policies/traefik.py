"""Traefik v3.7 as a Gateway API implementation: Middlewares (traefik.io/v1alpha1) referenced by
HTTPRoute ExtensionRef filters.

Traefik's Gateway API provider (`pkg/provider/kubernetes/gateway/httproute.go`, loadMiddlewares)
turns every filter of a rule into a middleware, in order: RequestRedirect,
Request/ResponseHeaderModifier, URLRewrite and ExtensionRef to a Middleware in the route's
namespace. Any other filter type (CORS, RequestMirror, ...) is unsupported: the rule answers 500.
A Middleware that cannot be built (a missing Secret) makes the router that uses it disappear.

Middlewares modelled (`pkg/middlewares/...`): IPAllowList / IPWhiteList (the connection's address
against sourceRange, `rejectStatusCode`, default 403), BasicAuth (401 with
`WWW-Authenticate: Basic realm="traefik"` or the realm; credentials from a
`kubernetes.io/basic-auth` Secret, whose password is stored as `{SHA}`, or from the single key of
another Secret holding htpasswd lines; go-http-auth accepts `{SHA}`, MD5-crypt and bcrypt;
`removeHeader`, `headerField`), DigestAuth (401 without credentials), StripPrefix (first string
prefix, `X-Forwarded-Prefix`), StripPrefixRegex, AddPrefix, ReplacePath and ReplacePathRegex
(`X-Replaced-Path`), RedirectRegex and RedirectScheme (302/307, permanent 301/308 by method,
`statusCode`; no redirect when the URL does not change), Headers' custom request and response
headers (an empty value removes), Buffering (413 above maxRequestBodyBytes), Chain (its members,
in order). RateLimit and InFlightReq let a first request pass; Retry, CircuitBreaker, Compress,
ContentType and GrpcWeb do not change one answer. Headers' CORS options (`TraefikCors`,
pkg/middlewares/headers/header.go): a preflight (OPTIONS with Origin and
Access-Control-Request-Method) is answered 200 with the configured Allow-Credentials,
Allow-Headers, Allow-Methods, Max-Age (0 by default) and, for an allowed Origin, Allow-Origin (the
list's entry: `*` or the Origin; a regex match echoes the Origin); other answers get
Allow-Origin when the Origin (empty when absent) is allowed, and Allow-Credentials and
Expose-Headers always. Unmodelled: ForwardAuth (another service
decides), Errors (replaces error pages), PassTLSClientCert, Plugin, EncodedCharacters, the
security options of Headers, ipStrategy (X-Forwarded-For depends on the entry point's
trusted IPs), and the order when a rewriting middleware comes before one that reads the URL or
answers.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Literal

from ing2gw.simulate.addresses import Network, go_cidr_or_ip, in_networks
from ing2gw.simulate.gateway_objects import HeaderOps
from ing2gw.simulate.gateway_policies import Context
from ing2gw.simulate.gateway_policies.base import (Effects, EffectsBuilder, LocalReply, RequestState, Scope, Step,
                                                   mapping, seq)
from ing2gw.simulate.gateway_policies.htpasswd import parse_htpasswd
from ing2gw.simulate.gateway_policies.objects import PolicyObject
from ing2gw.simulate.gateway_policies.steps import (TlsHandshake, BasicAuth, BodyLimit, ExternalAuth, HeaderChanges, Note, Reply,
                                                    Unmodelled, traefik_forward_auth)
from ing2gw.simulate.request import Redirect

GROUPS = ("traefik.io", "traefik.containo.us")
SUPPORTED_FILTERS = ("RequestRedirect", "RequestHeaderModifier", "ResponseHeaderModifier", "URLRewrite", "ExtensionRef")
NEUTRAL = {"retry": "retries depend on backend failures", "circuitBreaker": "trips only after backend failures",
           "compress": "response compression", "contentType": "the response Content-Type",
           "grpcWeb": "gRPC-Web translation"}
UNMODELLED = {"forwardAuth": "ForwardAuth: another service decides whether the request passes",
              "errors": "Errors replaces the pages of error statuses",
              "passTLSClientCert": "PassTLSClientCert adds client-certificate headers",
              "plugin": "a plugin can change anything",
              "encodedCharacters": "EncodedCharacters may refuse encoded characters in the path"}


class Traefik:
    """The Traefik model (see the module docstring)."""

    name = "traefik"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = ctx.store

    def reads(self, policy: PolicyObject) -> bool:
        return False  # Traefik has no policy attachment: Middlewares come through ExtensionRef

    def listener_effects(self, scope: Scope) -> Effects:
        # the TLSOption `default` when none is written: minVersion VersionTLS12 (Traefik docs, TLS
        # options), Go's maximum TLS 1.3; Go's default suites are not modelled
        return Effects((TlsHandshake("Traefik's default TLS options (TLS 1.2 to 1.3)", ("1.2", "1.3"), None),))

    def effects(self, scope: Scope) -> Effects:
        b = EffectsBuilder()
        bad = [t for t in scope.filter_types if t not in SUPPORTED_FILTERS]
        if bad:
            b.step(Reply(500, "invalid-filter", note=f"Traefik does not support the {bad[0]} filter: the rule answers "
                                                     "500 (invalid-httproute-filter)"))
        types = list(scope.filter_types)
        if "ExtensionRef" in types and any(t in ("URLRewrite", "RequestRedirect") for t in types):
            first_ext = types.index("ExtensionRef")
            if any(t in ("URLRewrite", "RequestRedirect") for t in types[first_ext:]):
                b.unmodelled.append("Traefik runs the rule's filters in order as middlewares; a Middleware before "
                                    "URLRewrite or RequestRedirect is modelled as running after them")
        return b.build()

    # ---- ExtensionRef ---------------------------------------------------------------------------

    def extension(self, group: str, kind: str, name: str, scope: Scope) -> Effects | None:
        if group not in GROUPS or kind != "Middleware":
            return None
        b = EffectsBuilder()
        self._middleware(group, scope.route_ns, name, b, depth=0)
        steps = b.steps
        first_action = next((i for i, s in enumerate(steps) if s.phase == "action"), None)
        if first_action is not None and any(s.phase == "before" and not isinstance(s, Note)
                                            for s in steps[first_action:]):
            b.unmodelled.append(f"Middleware {scope.route_ns}/{name}: a rewriting middleware comes before one that "
                                "reads the URL or answers (modelled with the rewrite last)")
        return b.build()

    def _middleware(self, group: str, namespace: str, name: str, b: EffectsBuilder, depth: int) -> None:
        m = self.store.get(group, "Middleware", namespace, name)
        if m is None:
            b.unmodelled.append(f"Middleware {namespace}/{name} does not exist: Traefik drops the router that uses it "
                                "(other rules or 404 answer; not modelled)")
            return
        b.apply(m)
        if depth > 10:
            b.unmodelled.append(f"{m.label()}: chains nested too deep (not modelled)")
            return
        for key in sorted(m.spec):
            v = mapping(m.spec[key])
            what = f"{m.label()} {key}"
            if key in ("ipAllowList", "ipWhiteList"):
                b.step(self._allow_list(v, what), m)
                if v.get("ipStrategy") is not None:
                    b.unmodelled.append(f"{what}: ipStrategy reads X-Forwarded-For as the entry point's trusted IPs "
                                        "leave it (not modelled; the connection's address is used)")
            elif key == "basicAuth":
                b.step(self._basic(v, m, what), m)
            elif key == "digestAuth":
                b.step(DigestChallenge(what, str(v.get("realm") or "traefik")), m)
            elif key == "buffering":
                limit = v.get("maxRequestBodyBytes")
                if isinstance(limit, int) and limit > 0:
                    b.step(BodyLimit(limit, what), m)
            elif key in ("rateLimit", "inFlightReq"):
                b.step(Note(f"{what}: a first request passes (request counts are not modelled)"), m)
            elif key == "stripPrefix":
                b.step(StripPrefix(tuple(str(p).strip() for p in seq(v.get("prefixes")))), m)
            elif key == "stripPrefixRegex":
                b.step(StripPrefixRegex(tuple(_go_regex(str(r)) for r in seq(v.get("regex")))), m)
            elif key == "addPrefix":
                b.step(AddPrefix(str(v.get("prefix", ""))), m)
            elif key == "replacePath":
                b.step(ReplacePath(None, str(v.get("path", ""))), m)
            elif key == "replacePathRegex":
                b.step(ReplacePath(_go_regex(str(v.get("regex", ""))), str(v.get("replacement", ""))), m)
            elif key == "redirectRegex":
                b.step(RedirectRegex(_go_regex(str(v.get("regex", ""))), str(v.get("replacement", "")),
                                     v.get("permanent") is True, v.get("statusCode")), m)
            elif key == "redirectScheme":
                b.step(RedirectScheme(str(v.get("scheme", "https")), None if v.get("port") is None
                                      else str(v["port"]), v.get("permanent") is True, v.get("statusCode")), m)
            elif key == "headers":
                self._headers(v, what, m, b)
            elif key == "chain":
                for ref in seq(v.get("middlewares")):
                    ref = mapping(ref)
                    ns = str(ref.get("namespace") or namespace)
                    if ns != namespace:
                        b.unmodelled.append(f"{what}: a member in namespace {ns} needs allowCrossNamespace (not "
                                            "modelled; applied)")
                    self._middleware(group, ns, str(ref.get("name", "")), b, depth + 1)
            elif key in NEUTRAL:
                b.notes.append(f"{what}: does not change the answer ({NEUTRAL[key]})")
            elif key == "forwardAuth":
                # the auth service's answer is known for the check's oracle probes only
                b.step(ExternalAuth(f"{m.label()}: {UNMODELLED[key]} (not modelled)", traefik_forward_auth,
                                    f"{m.label()}: forwardAuth"), m)
            elif key in UNMODELLED:
                b.step(Unmodelled(f"{m.label()}: {UNMODELLED[key]} (not modelled)"), m)
            else:
                b.unmodelled.append(f"{what} is not modelled")

    @staticmethod
    def _allow_list(v: dict[str, Any], what: str) -> Step:
        nets = []
        for r in seq(v.get("sourceRange")):
            n = go_cidr_or_ip(str(r))
            if n is not None:
                nets.append(n)
        return AllowList(tuple(nets), int(v.get("rejectStatusCode") or 403), what)

    def _basic(self, v: dict[str, Any], m: PolicyObject, what: str) -> Step:
        realm = str(v.get("realm") or "traefik")
        name = str(v.get("secret") or "")
        exists, data = self.ctx.secret(m.namespace, name)
        if not exists:
            return Unmodelled(f"{what}: Secret {m.namespace}/{name} does not exist: Traefik drops the router (not "
                              "modelled)")
        users: dict[str, str] | None = None
        if data is not None:
            secret_type = self.store.secret_types.get((m.namespace, name), "Opaque")
            if secret_type == "kubernetes.io/basic-auth":
                pw = (data.get("password") or "").encode()
                users = {str(data.get("username") or ""): "{SHA}" + base64.b64encode(hashlib.sha1(pw).digest()).decode()}
            elif len(data) != 1:
                return Unmodelled(f"{what}: Secret {m.namespace}/{name} must hold exactly one key: Traefik drops the "
                                  "router (not modelled)")
            else:
                users, _ = parse_htpasswd(next(iter(data.values())) or "")
        return BasicAuth(users, frozenset({"sha", "md5crypt", "bcrypt"}), lambda state: f'Basic realm="{realm}"', what,
                         forward_user=str(v["headerField"]) if v.get("headerField") else None,
                         remove_authorization=v.get("removeHeader") is True, body="401 Unauthorized\n",
                         uncertain=frozenset({"plain", "crypt", "ssha"}), secret=f"{m.namespace}/{name}")

    @staticmethod
    def _headers(v: dict[str, Any], what: str, m: PolicyObject, b: EffectsBuilder) -> None:
        def ops(raw: Any) -> HeaderOps | None:
            h = mapping(raw)
            if not h:
                return None
            sets = tuple((str(k), str(x)) for k, x in h.items() if str(x) != "")
            removes = tuple(str(k) for k, x in h.items() if str(x) == "")
            return HeaderOps(sets, (), removes)
        cors = {k: x for k, x in v.items() if k in CORS_FIELDS}
        if cors:
            b.step(_cors(cors, what), m)
        b.step(HeaderChanges(ops(v.get("customRequestHeaders")), ops(v.get("customResponseHeaders"))), m)
        rest = sorted(k for k in v if k not in ("customRequestHeaders", "customResponseHeaders") and k not in CORS_FIELDS)
        if rest:
            b.unmodelled.append(f"{what}: {', '.join(rest)} (security headers) are not modelled")


CORS_FIELDS = frozenset({"accessControlAllowOriginList", "accessControlAllowOriginListRegex",
                         "accessControlAllowMethods", "accessControlAllowHeaders", "accessControlExposeHeaders",
                         "accessControlAllowCredentials", "accessControlMaxAge", "addVaryHeader"})


def _cors(v: dict[str, Any], what: str) -> Step:
    def strings(key: str) -> tuple[str, ...]:
        return tuple(str(x) for x in seq(v.get(key)))
    return TraefikCors(what, strings("accessControlAllowOriginList"),
                       tuple(_go_regex(r) for r in strings("accessControlAllowOriginListRegex")),
                       ",".join(strings("accessControlAllowMethods")), ",".join(strings("accessControlAllowHeaders")),
                       ",".join(strings("accessControlExposeHeaders")), v.get("accessControlAllowCredentials") is True,
                       int(v.get("accessControlMaxAge") or 0), v.get("addVaryHeader") is True)


def _go_regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _go_expand(template: str) -> str:
    """Go's `$1` / `${1}` / `${name}` replacement syntax as Python's."""
    out = re.sub(r"\$\{(\w+)\}", r"\\g<\1>", template.replace("\\", "\\\\"))
    return re.sub(r"\$(\d+)", r"\\g<\1>", out)


def _status(method: str, permanent: bool, code: Any) -> int:
    if isinstance(code, int):
        return code
    if permanent:
        return 301 if method == "GET" else 308
    return 302 if method == "GET" else 307


@dataclass(eq=False)
class AllowList(Step):
    """IPAllowList with the default strategy: the connection's address."""

    nets: tuple[Network, ...]
    status: int
    what: str

    def run(self, state: RequestState) -> LocalReply | None:
        if state.client is None:
            state.unmodelled.append(f"{self.what}: {state.client_unknown} (modelled as allowed)")
            return None
        if in_networks(state.client, self.nets):
            return None
        return LocalReply(self.status, "ip-allow-list", body="Forbidden",
                          note=f"{self.what}: {state.client} is not in sourceRange")


@dataclass(eq=False)
class TraefikCors(Step):
    """The CORS options of a headers Middleware (module docstring)."""

    what: str
    origins: tuple[str, ...]
    regexes: tuple[re.Pattern[str] | None, ...]
    methods: str
    headers: str
    expose: str
    credentials: bool
    max_age: int
    vary: bool

    def allowed(self, origin: str) -> str | None:
        """The Access-Control-Allow-Origin value for `origin`, None when it is not allowed."""
        for item in self.origins:
            if item == "*" or item == origin:
                return item
        if any(rx is not None and rx.search(origin) for rx in self.regexes):
            return origin
        return None

    def run(self, state: RequestState) -> LocalReply | None:
        req = state.request
        origin = req.header("origin") or ""
        if req.method == "OPTIONS" and origin and req.header("access-control-request-method"):
            out: list[tuple[str, str]] = []
            if self.credentials:
                out.append(("access-control-allow-credentials", "true"))
            if self.headers:
                out.append(("access-control-allow-headers", self.headers))
            if self.methods:
                out.append(("access-control-allow-methods", self.methods))
            match = self.allowed(origin)
            if match is not None:
                out.append(("access-control-allow-origin", match))
            out.append(("access-control-max-age", str(self.max_age)))
            return LocalReply(200, "cors-preflight", tuple(out),
                              note=None if match else f"{self.what}: Origin {origin} is not allowed")
        match = self.allowed(origin)
        if match is not None:
            state.response.append(("access-control-allow-origin", match))
        if self.credentials:
            state.response.append(("access-control-allow-credentials", "true"))
        if self.expose:
            state.response.append(("access-control-expose-headers", self.expose))
        if self.vary:
            state.response.append(("vary", "Origin"))
        return None


@dataclass(eq=False)
class DigestChallenge(Step):
    """DigestAuth: a request without Digest credentials gets 401; credentials are not checked."""

    what: str
    realm: str

    def run(self, state: RequestState) -> LocalReply | None:
        auth = state.header("authorization") or ""
        if auth.lower().startswith("digest "):
            state.unmodelled.append(f"{self.what}: digest credentials are not checked (modelled as valid)")
            return None
        return LocalReply(401, "digest-auth-401", note=f"{self.what}: no Digest credentials")


@dataclass(eq=False)
class StripPrefix(Step):
    prefixes: tuple[str, ...]
    phase: Literal["before", "action"] = "action"

    def run(self, state: RequestState) -> LocalReply | None:
        for p in self.prefixes:
            if p and state.path.startswith(p):
                new = state.path[len(p):]
                state.path = new if new.startswith("/") else "/" + new
                state.headers.append(("x-forwarded-prefix", p))
                state.changed = True
                if "//" in state.path or "/./" in state.path or "/../" in state.path:
                    state.unmodelled.append("StripPrefix left a path Traefik rejects as unclean (400; not modelled)")
                break
        return None


@dataclass(eq=False)
class StripPrefixRegex(Step):
    patterns: tuple[re.Pattern[str] | None, ...]
    phase: Literal["before", "action"] = "action"

    def run(self, state: RequestState) -> LocalReply | None:
        for rx in self.patterns:
            if rx is None:
                continue
            m = rx.match(state.path)
            if m is not None:
                prefix = m.group(0)
                new = state.path[len(prefix):]
                state.path = new if new.startswith("/") else "/" + new
                state.headers.append(("x-forwarded-prefix", prefix))
                state.changed = True
                break
        return None


@dataclass(eq=False)
class AddPrefix(Step):
    prefix: str
    phase: Literal["before", "action"] = "action"

    def run(self, state: RequestState) -> LocalReply | None:
        state.path = self.prefix + state.path
        state.changed = True
        return None


@dataclass(eq=False)
class ReplacePath(Step):
    """ReplacePath (pattern None) or ReplacePathRegex (Go ReplaceAllString); X-Replaced-Path
    carries the old path."""

    pattern: re.Pattern[str] | None
    replacement: str
    phase: Literal["before", "action"] = "action"

    def run(self, state: RequestState) -> LocalReply | None:
        old = state.path
        if self.pattern is None:
            new = self.replacement
        elif not self.pattern.search(old):
            return None
        else:
            new = self.pattern.sub(_go_expand(self.replacement), old)
        state.path = new
        state.headers.append(("x-replaced-path", old))
        state.changed = True
        return None


@dataclass(eq=False)
class RedirectRegex(Step):
    pattern: re.Pattern[str] | None
    replacement: str
    permanent: bool
    code: Any

    def run(self, state: RequestState) -> LocalReply | None:
        req = state.request
        old = f"{req.scheme}://{req.host or ''}{req.target}"
        if self.pattern is None or not self.pattern.search(old):
            return None
        new = self.pattern.sub(_go_expand(self.replacement), old)
        if new == old:
            return None
        status = _status(req.method, self.permanent, self.code)
        return LocalReply(status, "redirect", redirect=Redirect(new, status))


@dataclass(eq=False)
class RedirectScheme(Step):
    scheme: str
    port: str | None
    permanent: bool
    code: Any

    def run(self, state: RequestState) -> LocalReply | None:
        req = state.request
        host = (req.host or "")
        if not host.startswith("["):
            host = host.split(":", 1)[0]
        port = f":{self.port}" if self.port and (self.scheme, self.port) not in (("http", "80"), ("https", "443")) else ""
        new = f"{self.scheme}://{host}{port}{req.target}"
        if new == f"{req.scheme}://{req.host or ''}{req.target}":
            return None
        status = _status(req.method, self.permanent, self.code)
        return LocalReply(status, "redirect", redirect=Redirect(new, status))
