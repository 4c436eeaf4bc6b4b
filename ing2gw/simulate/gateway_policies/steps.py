"""Steps several implementations share: basic authentication, body-size limits, direct
responses, regex path rewrites, header changes, CORS, client-IP detection, rate-limit and
fault notes, and "the decision is made elsewhere". Each is parameterised by what differs
between implementations (realm, scheme check, accepted hash formats, statuses)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Literal

from ing2gw.simulate.addresses import Network, envoy_trusted_cidrs_client, envoy_trusted_client
from ing2gw.simulate.gateway_filters import apply_header_ops, cors_response_headers
from ing2gw.simulate.gateway_objects import CorsSpec, HeaderOps
from ing2gw.simulate.gateway_policies.base import LocalReply, RequestState, Step
from ing2gw.simulate.gateway_policies.htpasswd import basic_credentials, hash_format, verify
from ing2gw.simulate.oracle import valid_for
from ing2gw.simulate.oracle import auth_service_answer


@dataclass(eq=False)
class Unmodelled(Step):
    """A behaviour decided outside the model (an external authorization service, an OIDC
    provider, a WAF): reported when a request reaches it; the request is modelled as passing."""

    message: str
    phase: Literal["before", "action"] = "before"

    def run(self, state: RequestState) -> LocalReply | None:
        state.unmodelled.append(self.message)
        return None


def envoy_ext_authz(status: int) -> int:
    """What Envoy's HTTP ext_authz filter answers the client when the auth service answers
    `status` (0: let the request through): 200 allows (only 200), a 5xx is an error answered
    with status_on_error (403 Forbidden unless set), any other status is a denial passed to the
    client as it is (extensions/filters/common/ext_authz/ext_authz_http_impl.cc, toResponse;
    ext_authz.proto, failure_mode_allow: when false, a 5xx of the service is rejected with
    Forbidden)."""
    if status == 200:
        return 0
    return 403 if status >= 500 else status


def traefik_forward_auth(status: int) -> int:
    """What Traefik's forwardAuth answers when the auth service answers `status` (0: through):
    any 2xx lets the request through, any other answer goes back to the client as it is."""
    return 0 if 200 <= status < 300 else status


@dataclass(eq=False)
class ExternalAuth(Step):
    """An external authorization service: for the check's oracle probes (`simulate.oracle`) the
    modelled service's answer is known, and `client_status` says what the proxy answers with it
    (0: the request passes); for any other request the decision is not modelled (`message`,
    modelled as passing, as `Unmodelled`)."""

    message: str
    client_status: Callable[[int], int]
    what: str = "external authorization"

    def run(self, state: RequestState) -> LocalReply | None:
        answer = auth_service_answer(state.header("authorization"))
        if answer is None:
            state.unmodelled.append(self.message)
            return None
        status = self.client_status(answer)
        if status == 0:
            state.notes.append(f"{self.what}: the auth service answers {answer}: allowed")
            return None
        return LocalReply(status, "external-auth-denied", note=f"{self.what}: the auth service answers {answer}")


@dataclass(eq=False)
class ClientCertificateRequired(Step):
    """A listener that requires a client certificate in the TLS handshake: a client that presents
    none gets no HTTP answer at all (the handshake fails), shown as status 0. Probes that do
    present one are modelled as presenting a valid one."""

    what: str

    def run(self, state: RequestState) -> LocalReply | None:
        if not state.request.no_client_cert or state.request.scheme != "https":
            return None
        return LocalReply(0, "client-certificate-required",
                          note=f"{self.what}: the client presents no certificate: the TLS handshake fails")


@dataclass(eq=False)
class TlsHandshake(Step):
    """The TLS versions and TLS 1.0-1.2 suites a listener accepts (the `listener-tls` intent):
    a probe offering only a version or suite outside them gets no HTTP answer (status 0,
    "tls-refused"); `suites` None: not known (a probe offering one suite is unmodelled). A
    request that offers nothing in particular (a modern client) is not looked at."""

    what: str
    versions: tuple[str, ...]
    suites: frozenset[str] | None

    def run(self, state: RequestState) -> LocalReply | None:
        from ing2gw.model.tls_suites import offered_refused

        req = state.request
        if req.scheme != "https" or req.tls_version is None:
            return None
        why = offered_refused(req.tls_version, req.tls_cipher, self.versions, self.suites)
        if why == "?":
            state.unmodelled.append(f"{self.what}: which cipher suites the listener accepts is not modelled")
            return None
        if why is None:
            return None
        return LocalReply(0, "tls-refused", note=f"{self.what}: the TLS handshake fails: {why}")


@dataclass(eq=False)
class Note(Step):
    """A policy that changes nothing a single simulated request shows (a rate limit's first
    request, a timeout, a retry policy): said on the answer."""

    message: str
    phase: Literal["before", "action"] = "before"

    def run(self, state: RequestState) -> LocalReply | None:
        state.notes.append(self.message)
        return None


@dataclass(eq=False)
class Reply(Step):
    """Answer every request that reaches this step (a direct response, an invalid policy's 500,
    a fault abort for 100% of requests)."""

    status: int
    generated_by: str
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    note: str | None = None
    phase: Literal["before", "action"] = "before"

    def run(self, state: RequestState) -> LocalReply | None:
        return LocalReply(self.status, self.generated_by, self.headers, self.body, note=self.note)


@dataclass(eq=False)
class XffClientIP(Step):
    """Envoy's client-IP detection with `numTrustedHops` (use_remote_address true)."""

    hops: int

    def run(self, state: RequestState) -> LocalReply | None:
        if self.hops <= 0 or state.client is None:
            return None
        values = [v for k, v in state.headers if k == "x-forwarded-for"]
        state.client = envoy_trusted_client(state.client, values, self.hops)
        if state.client is None:
            state.client_unknown = "X-Forwarded-For holds an entry that is not an address"
        return None


@dataclass(eq=False)
class XffTrustedClientIP(Step):
    """Envoy's client-IP detection with trusted CIDRs (`addresses.envoy_trusted_cidrs_client`)."""

    trusted: tuple[Network, ...]

    def run(self, state: RequestState) -> LocalReply | None:
        if state.client is None:
            return None
        values = [v for k, v in state.headers if k == "x-forwarded-for"]
        client, known = envoy_trusted_cidrs_client(state.client, values, self.trusted)
        state.client = client
        if not known:
            state.client_unknown = "X-Forwarded-For holds an entry that is not an address"
        return None


@dataclass(eq=False)
class BasicAuth(Step):
    """HTTP basic authentication: 401 with WWW-Authenticate without valid credentials.

    `users` is the htpasswd content (None: the Secret is not in the input, so only a request
    without credentials can be decided); `accepts` the hash formats the proxy checks;
    `realm` gives the WWW-Authenticate value for a request; `forward_user` a header that carries
    the user name upstream; `remove_authorization` drops the Authorization header upstream."""

    users: dict[str, str] | None
    accepts: frozenset[str]
    realm: Callable[[RequestState], str]
    what: str
    scheme_case_sensitive: bool = False
    forward_user: str | None = None
    remove_authorization: bool = False
    #: the 401 body: for missing credentials, and for wrong ones
    body: str | None = None
    wrong_body: str | None = None
    #: hash formats whose handling by this proxy is not known (unmodelled when met)
    uncertain: frozenset[str] = frozenset()
    #: the Secret the users come from, `namespace/name` (None: inline users): the check's valid
    #: credentials (`simulate.oracle`) pass exactly when they name it
    secret: str | None = None

    def run(self, state: RequestState) -> LocalReply | None:
        creds = basic_credentials(state.header("authorization"), self.scheme_case_sensitive)
        if creds is None:
            return self._deny(state, "no usable Basic credentials")
        user, password = creds
        valid = valid_for(user, password, self.secret)
        if valid is not None:
            if not valid:
                return self._deny(state, f"the check's credentials name another Secret than {self.secret}", True)
            self._pass(state, user)
            return None
        if self.users is None:
            state.unmodelled.append(f"{self.what}: the htpasswd Secret is not in the input; whether these "
                                    "credentials are valid is not known (modelled as valid)")
            self._pass(state, user)
            return None
        stored = self.users.get(user)
        if stored is None:
            return self._deny(state, f"user {user!r} is not in the htpasswd data", True)
        if hash_format(stored) in self.uncertain:
            state.unmodelled.append(f"{self.what}: how this proxy checks a {hash_format(stored)} hash is not known "
                                    "(modelled as valid)")
            self._pass(state, user)
            return None
        ok = verify(password, stored, self.accepts)
        if ok is None:
            state.unmodelled.append(f"{self.what}: the {hash_format(stored)} hash of user {user!r} cannot be "
                                    "checked here (modelled as valid)")
            self._pass(state, user)
            return None
        if not ok:
            return self._deny(state, f"the password of user {user!r} does not match", True)
        self._pass(state, user)
        return None

    def _deny(self, state: RequestState, why: str, wrong: bool = False) -> LocalReply:
        body = self.wrong_body if wrong and self.wrong_body is not None else self.body
        return LocalReply(401, "basic-auth-401", (("www-authenticate", self.realm(state)),), body,
                          note=f"{self.what}: {why}")

    def _pass(self, state: RequestState, user: str) -> None:
        """What a successful check does to the request."""
        if self.forward_user:
            state.headers = [(k, v) for k, v in state.headers if k != self.forward_user.lower()]
            state.headers.append((self.forward_user.lower(), user))
            state.changed = True
        if self.remove_authorization:
            state.headers = [(k, v) for k, v in state.headers if k != "authorization"]
            state.changed = True


@dataclass(eq=False)
class BodyLimit(Step):
    """413 when the request declares a Content-Length above `limit` bytes (0: no limit)."""

    limit: int
    what: str
    status: int = 413

    def run(self, state: RequestState) -> LocalReply | None:
        raw = state.header("content-length")
        if raw is None or not raw.strip().isdigit() or self.limit <= 0:
            return None
        length = int(raw.strip())
        if length <= self.limit:
            return None
        return LocalReply(self.status, "body-too-large", note=f"{self.what}: Content-Length {length} is above "
                                                              f"{self.limit} bytes")


@dataclass(eq=False)
class RegexPathRewrite(Step):
    """Replace what `pattern` matches in the upstream path (query kept) with `substitution`.

    `replace_all`: every non-overlapping match (Envoy's regex_rewrite, RE2 GlobalReplace) or the
    first one only. `substitution` uses `\\1` back-references (converted to Python's)."""

    pattern: re.Pattern[str] | None
    substitution: str
    what: str
    replace_all: bool = True
    phase: Literal["before", "action"] = "action"

    def run(self, state: RequestState) -> LocalReply | None:
        if self.pattern is None:
            state.unmodelled.append(f"{self.what}: the regular expression does not compile here")
            return None
        repl = python_replacement(self.substitution)
        try:
            new = self.pattern.sub(repl, state.path, count=0 if self.replace_all else 1)
        except (re.error, IndexError) as exc:
            state.unmodelled.append(f"{self.what}: the substitution cannot be applied here ({exc})")
            return None
        if new != state.path:
            state.path = new
            state.changed = True
        return None


def python_replacement(sub: str) -> str:
    r"""An RE2/Go-style replacement (`\1`, `$1`, `${name}`) as a Python one (`\g<1>`)."""
    out = []
    i = 0
    while i < len(sub):
        c = sub[i]
        if c == "\\" and i + 1 < len(sub) and sub[i + 1].isdigit():
            out.append(f"\\g<{sub[i + 1]}>")
            i += 2
            continue
        if c == "\\":
            out.append("\\\\")
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


@dataclass(eq=False)
class HeaderChanges(Step):
    """Request and response header modifiers a policy applies."""

    request: HeaderOps | None
    response: HeaderOps | None
    phase: Literal["before", "action"] = "action"

    def run(self, state: RequestState) -> LocalReply | None:
        if self.request is not None:
            state.headers = apply_header_ops(state.headers, self.request)
            state.changed = True
        if self.response is not None:
            state.response_ops.append(self.response)
        return None


@dataclass(eq=False)
class CorsPolicy(Step):
    """An implementation's CORS: answers a preflight (OPTIONS with Origin and
    Access-Control-Request-Method) itself, and adds CORS headers to the other answers of an
    allowed Origin. Modelled with the Gateway API CORS filter's rules (`gateway_filters`)."""

    spec: CorsSpec
    preflight_status: int = 200
    headers_on_replies: bool = True
    extra: list[str] = field(default_factory=list)

    def run(self, state: RequestState) -> LocalReply | None:
        req = state.request
        origin = req.header("origin")
        if origin is None:
            return None
        if req.method == "OPTIONS" and req.header("access-control-request-method") is not None:
            hdrs = cors_response_headers(self.spec, origin, True, req.header("access-control-request-method"),
                                         req.header("access-control-request-headers"))
            return LocalReply(self.preflight_status, "cors-preflight", tuple(hdrs),
                              note=None if hdrs else f"Origin {origin} is not allowed: no CORS headers")
        state.response.extend(cors_response_headers(self.spec, origin, False, None, None))
        return None


@dataclass(eq=False)
class EnvoyCors(Step):
    """Envoy's CORS filter (`cors_filter.cc`), which Envoy-based gateways configure from their
    CORS policies. A preflight (OPTIONS with a non-empty Origin and Access-Control-Request-Method)
    is answered 200 by the gateway: Access-Control-Allow-Origin echoes an allowed Origin (never
    `*`), the methods, headers and max-age are the configured strings (`*` echoes the request's);
    with `forward_not_matching` a preflight from an Origin that is not allowed goes on to the
    backend instead. Other requests from an allowed Origin get Allow-Origin (the Origin),
    Allow-Credentials and Expose-Headers on every answer, the gateway's own included."""

    origins: tuple[re.Pattern[str], ...]
    methods: str = ""
    headers: str = ""
    expose: str = ""
    max_age: str = ""
    credentials: bool = False
    forward_not_matching: bool = False

    def allowed(self, origin: str) -> bool:
        return any(p.fullmatch(origin) or p.fullmatch("*") for p in self.origins)

    def run(self, state: RequestState) -> LocalReply | None:
        req = state.request
        origin = req.header("origin")
        if not origin:
            return None
        allowed = self.allowed(origin)
        method = req.header("access-control-request-method")
        if req.method == "OPTIONS" and method:
            if not allowed and self.forward_not_matching:
                return None
            out: list[tuple[str, str]] = []
            if allowed:
                out.append(("access-control-allow-origin", origin))
            if self.credentials:
                out.append(("access-control-allow-credentials", "true"))
            if self.methods:
                out.append(("access-control-allow-methods", method if self.methods == "*" else self.methods))
            if self.headers:
                echo = req.header("access-control-request-headers") or ""
                out.append(("access-control-allow-headers", echo if self.headers == "*" else self.headers))
            if self.max_age:
                out.append(("access-control-max-age", self.max_age))
            return LocalReply(200, "cors-preflight", tuple(out),
                              note=None if allowed else f"Origin {origin} is not allowed: no Allow-Origin")
        if allowed:
            state.response.append(("access-control-allow-origin", origin))
            if self.credentials:
                state.response.append(("access-control-allow-credentials", "true"))
            if self.expose:
                state.response.append(("access-control-expose-headers", self.expose))
        return None


def wildcard_origin(pattern: str) -> re.Pattern[str]:
    """An origin with `*` wildcards as the full-match regex Envoy Gateway and kgateway build
    (every other character literal, `*` any run of characters)."""
    return re.compile(re.escape(pattern).replace(r"\*", ".*"))


#: Envoy's TlsProtocol enum names (Envoy Gateway's ClientTLSSettings minVersion/maxVersion: "Auto",
#: "1.0".."1.3") -> version
_EG_VERSIONS = {"1.0": "1.0", "1.1": "1.1", "1.2": "1.2", "1.3": "1.3"}


def envoy_handshake(tls: dict[str, object], what: str) -> TlsHandshake:
    """What an Envoy listener accepts with Envoy Gateway's ClientTrafficPolicy `tls` fields
    (minVersion, maxVersion, ciphers; `Auto` or unset: Envoy's defaults, 1.2 to 1.3 for a server,
    and its default AEAD suites; Envoy TlsParameters). A `[A|B]` equivalence group names both
    suites; a name BoringSSL does not know makes Envoy refuse the listener's configuration (not
    modelled: the suites are unknown then)."""
    from ing2gw.model.tls_suites import BY_OPENSSL, ENVOY_DEFAULT_CIPHERS, ENVOY_DEFAULT_VERSIONS, VERSIONS

    lo = _EG_VERSIONS.get(str(tls.get("minVersion") or ""), ENVOY_DEFAULT_VERSIONS[0])
    hi = _EG_VERSIONS.get(str(tls.get("maxVersion") or ""), ENVOY_DEFAULT_VERSIONS[-1])
    versions = VERSIONS[VERSIONS.index(lo):VERSIONS.index(hi) + 1]
    raw = tls.get("ciphers")
    suites: frozenset[str] | None = ENVOY_DEFAULT_CIPHERS
    if isinstance(raw, list) and raw:
        names = {n.strip() for item in raw for n in str(item).strip("[]").split("|")}
        known = all(n in BY_OPENSSL and BY_OPENSSL[n].boringssl for n in names)
        suites = frozenset(names) if known else None
    return TlsHandshake(what, tuple(versions), suites)
