"""Traefik's HTTP middlewares, as they change where or how a request is answered.

Each Middleware object is built once (`build_chain`): the checks Traefik makes when it creates
the handler (an empty prefix, a regexp that does not compile, a Headers middleware with nothing
set, a multi-type or unknown Middleware, a chain that loops) raise BuildError, and the router
using it is not created (traefik-semantics.md T-F6). `apply(flow)` then runs it on one request:
it changes the flow and returns None, or answers (a Response).

Modelled from the middleware sources (pkg/middlewares/...): addPrefix, stripPrefix,
stripPrefixRegex, replacePath, replacePathRegex (including the 400 when the result is not a
clean path), redirectScheme, redirectRegex, headers (custom request/response headers, security
headers, CORS and its preflight answer, allowedHosts), ipAllowList/ipWhiteList (remote address,
X-Forwarded-For depth, excluded IPs), basicAuth ({SHA} and MD5-crypt users), encodedCharacters,
chain, forwardAuth for the check's oracle probes (the modelled auth service's answer) and
buffering (413 above maxRequestBodyBytes). Answers that depend on what cannot be known offline
are marked in `Flow.unmodelled`: forwardAuth otherwise (the auth service decides), digestAuth with credentials, basicAuth with bcrypt users
or a Secret whose content is not in the input, rateLimit and inFlightReq (traffic), circuitBreaker
(backend health), compress (the backend's response), errors (the backend's status), plugins.
retry, contentType, grpcWeb and passTLSClientCert leave a note only.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from typing import Any, Callable, Sequence

from ing2gw.simulate.oracle import auth_service_answer, valid_for
from ing2gw.simulate.request import Redirect
from ing2gw.simulate.traefik import htpasswd
from ing2gw.simulate.traefik.config import DynamicConfig, Middleware, qualify
from ing2gw.simulate.traefik.flow import Flow, Response
from ing2gw.simulate.traefik.goregex import GoRegexError, compile_go, replace_all
from ing2gw.simulate.traefik.gourl import GoURLError, parse_url, split_host_port, unescape


class BuildError(ValueError):
    """Traefik cannot create the middleware (the router using it is dropped)."""


class Compiled:
    """A built middleware."""

    kind = ""

    def __init__(self, name: str) -> None:
        self.name = name

    def apply(self, flow: Flow) -> Response | None:  # pragma: no cover - overridden
        raise NotImplementedError


def _ensure_slash(s: str) -> str:
    return s if not s or s.startswith("/") else "/" + s


def _encoded_prefix_len(raw: str, decoded_prefix: str) -> int:
    """encodedPrefixLen: bytes of RawPath covering the decoded prefix (3 per %XX)."""
    decoded = i = 0
    n = len(raw)
    while i < n and decoded < len(decoded_prefix):
        i += 3 if raw[i] == "%" and i + 2 < n else 1
        decoded += 1
    return i


def _resanitize(flow: Flow) -> bool:
    """The check stripPrefix, stripPrefixRegex and replacePathRegex make after changing the path:
    cleaning the new path must not change it (else 400)."""
    path = flow.url.path
    if path != "":
        flow.url = flow.url.join_path()
    return path == flow.url.path


def _bad_request(name: str) -> Response:
    return Response(400, "bad-request-400", decided_by=("middleware", name))


class AddPrefix(Compiled):
    kind = "addPrefix"

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name)
        self.prefix = str(spec.get("prefix") or "")
        if not self.prefix:
            raise BuildError("prefix cannot be empty")

    def apply(self, flow: Flow) -> Response | None:
        u = flow.url
        u.path = _ensure_slash(self.prefix + u.path)
        if u.raw_path:
            u.raw_path = _ensure_slash(self.prefix + u.raw_path)
        flow.request_uri = u.request_uri()
        return None


class StripPrefix(Compiled):
    kind = "stripPrefix"

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name)
        self.prefixes = [str(p).strip() for p in spec.get("prefixes") or []]
        self.force_slash = bool(spec.get("forceSlash"))

    def apply(self, flow: Flow) -> Response | None:
        u = flow.url
        for prefix in self.prefixes:
            if u.path.startswith(prefix):
                if self.force_slash:
                    u.path = "/" + u.path[len(prefix):].removeprefix("/")
                    if u.raw_path:
                        rest = u.raw_path[_encoded_prefix_len(u.raw_path, prefix):]
                        u.raw_path = "/" + rest.removeprefix("/")
                else:
                    u.path = _ensure_slash(u.path[len(prefix):])
                    if u.raw_path:
                        u.raw_path = _ensure_slash(u.raw_path[_encoded_prefix_len(u.raw_path, prefix):])
                if not _resanitize(flow):
                    return _bad_request(self.name)
                flow.headers.add("X-Forwarded-Prefix", prefix)
                flow.request_uri = flow.url.request_uri()
                break
        return None


def _regex(pattern: str, what: str) -> re.Pattern[str]:
    try:
        return compile_go(pattern)
    except GoRegexError as exc:
        raise BuildError(f"{what}: {exc}") from None


class StripPrefixRegex(Compiled):
    kind = "stripPrefixRegex"

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name)
        self.res = [_regex(str(r).strip(), "stripPrefixRegex") for r in spec.get("regex") or []]

    def apply(self, flow: Flow) -> Response | None:
        u = flow.url
        for rx in self.res:
            m = rx.search(u.path)
            if m is None or not m.group(0):
                continue
            prefix = m.group(0)
            if not u.path.startswith(prefix):
                continue
            flow.headers.add("X-Forwarded-Prefix", prefix)
            u.path = _ensure_slash(u.path.replace(prefix, "", 1))
            if u.raw_path:
                u.raw_path = _ensure_slash(u.raw_path[_encoded_prefix_len(u.raw_path, prefix):])
            if not _resanitize(flow):
                return _bad_request(self.name)
            flow.request_uri = flow.url.request_uri()
            break
        return None


class ReplacePath(Compiled):
    kind = "replacePath"

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name)
        self.path = str(spec.get("path") or "")

    def apply(self, flow: Flow) -> Response | None:
        u = flow.url
        current = u.raw_path or u.escaped_path()
        flow.headers.add("X-Replaced-Path", current)
        u.raw_path = self.path
        try:
            u.path = unescape(u.raw_path)
        except GoURLError:
            return Response(500, "replace-path-500", decided_by=("middleware", self.name))
        flow.request_uri = u.request_uri()
        return None


class ReplacePathRegex(Compiled):
    kind = "replacePathRegex"

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name)
        self.rx = _regex(str(spec.get("regex") or "").strip(), "replacePathRegex")
        self.replacement = str(spec.get("replacement") or "").strip()

    def apply(self, flow: Flow) -> Response | None:
        u = flow.url
        current = u.raw_path or u.escaped_path()
        if not self.rx.search(current):
            return None
        flow.headers.add("X-Replaced-Path", current)
        u.raw_path = replace_all(self.rx, current, self.replacement)
        try:
            u.path = unescape(u.raw_path)
        except GoURLError:
            return Response(500, "replace-path-500", decided_by=("middleware", self.name))
        flow.request_uri = u.request_uri()
        if not _resanitize(flow):
            return _bad_request(self.name)
        return None


# ---- redirects (pkg/middlewares/redirect) -----------------------------------------------------

_URI = re.compile(r"^(https?)://(\[[\w:.]+\]|[\w._-]+)?(:\d+)?(.*)\Z", re.ASCII)
_SCHEME_URI = r"^(https?:\/\/)?(\[[\w:.]+\]|[\w\._-]+)?(:\d+)?(.*)$"


def _status(method: str, permanent: bool, fixed: int | None) -> int:
    """moveHandler: 302/307 or 301/308 (GET keeps the method-changing codes), unless fixed."""
    if fixed is not None:
        return fixed
    if permanent:
        return 301 if method == "GET" else 308
    return 302 if method == "GET" else 307


class _Redirect(Compiled):
    rx: re.Pattern[str]
    replacement: str
    permanent: bool
    fixed: int | None

    def raw_url(self, flow: Flow) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def apply(self, flow: Flow) -> Response | None:
        old = self.raw_url(flow)
        if not self.rx.search(old):
            return None
        new = replace_all(self.rx, old, self.replacement)
        try:
            parsed = parse_url(new)
        except GoURLError:
            return Response(500, "redirect-500", decided_by=("middleware", self.name))
        if new != old:
            status = _status(flow.method, self.permanent, self.fixed)
            return Response(status, "redirect", Redirect(parsed.string(), status), decided_by=("middleware", self.name))
        # unchanged: the request goes on with the parsed URL
        flow.url = parsed.url
        flow.request_uri = flow.url.request_uri()
        return None


class RedirectScheme(_Redirect):
    kind = "redirectScheme"

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name)
        scheme = str(spec.get("scheme") or "")
        if not scheme:
            raise BuildError("you must provide a target scheme")
        port = str(spec.get("port") or "")
        if port and not ((scheme == "http" and port == "80") or (scheme == "https" and port == "443")):
            port = ":" + port
        else:
            port = ""
        self.rx = compile_go(_SCHEME_URI)
        self.replacement = scheme + "://${2}" + port + "${4}"
        self.permanent = bool(spec.get("permanent"))
        self.fixed = 308 if spec.get("forcePermanentRedirect") else None

    def raw_url(self, flow: Flow) -> str:
        """clientRequestURL: scheme (TLS, X-Forwarded-Proto), Host and port, RequestURI."""
        scheme = "http"
        hp = split_host_port(flow.host)
        host, port = (flow.host, "") if hp is None else (hp[0], ":" + hp[1])
        uri = flow.request_uri
        m = _URI.match(flow.request_uri)
        if m:
            scheme = m.group(1)
            host = m.group(2) or host
            port = m.group(3) or port
            uri = m.group(4)
        if flow.tls:
            scheme = "https"
        xp = flow.headers.get("X-Forwarded-Proto")
        if xp:
            if xp.lower() in ("http", "ws"):
                scheme = "http"
            elif xp.lower() in ("https", "wss"):
                scheme = "https"
        if (scheme == "http" and port == ":80") or (scheme == "https" and port == ":443"):
            port = ""
        return f"{scheme}://{host}{port}{uri}"


class RedirectRegex(_Redirect):
    kind = "redirectRegex"

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name)
        self.rx = _regex(str(spec.get("regex") or ""), "redirectRegex")
        self.replacement = str(spec.get("replacement") or "")
        self.permanent = bool(spec.get("permanent"))
        code = spec.get("statusCode")
        self.fixed = int(code) if isinstance(code, int) and not isinstance(code, bool) and code else None

    def raw_url(self, flow: Flow) -> str:
        """rawURL: scheme by TLS, the Host header as sent (port included), RequestURI."""
        scheme, host, port, uri = "http", flow.host, "", flow.request_uri
        m = _URI.match(flow.request_uri)
        if m:
            scheme, host, port, uri = m.group(1), m.group(2) or host, m.group(3) or "", m.group(4)
        if flow.tls:
            scheme = "https"
        return f"{scheme}://{host}{port}{uri}"


# ---- headers (pkg/middlewares/headers) --------------------------------------------------------

_SECURE_KEYS = ("allowedHosts", "hostsProxyHeaders", "sslRedirect", "sslTemporaryRedirect", "sslForceHost", "sslHost",
                "sslProxyHeaders", "stsSeconds", "stsIncludeSubdomains", "stsPreload", "forceSTSHeader", "frameDeny",
                "customFrameOptionsValue", "contentTypeNosniff", "browserXssFilter", "customBrowserXSSValue",
                "contentSecurityPolicy", "contentSecurityPolicyReportOnly", "publicKey", "referrerPolicy",
                "featurePolicy", "permissionsPolicy", "isDevelopment")
_CORS_KEYS = ("accessControlAllowCredentials", "accessControlAllowHeaders", "accessControlAllowMethods",
              "accessControlAllowOriginList", "accessControlAllowOriginListRegex", "accessControlExposeHeaders",
              "accessControlMaxAge", "addVaryHeader")


def _set(v: Any) -> bool:
    """A field counts as configured when it holds a value (Has*Defined in config/dynamic)."""
    return v not in (None, False, "", [], {})


class Headers(Compiled):
    kind = "headers"

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name)
        s = spec
        self.req: dict[str, str] = {str(k): "" if v is None else str(v)
                                    for k, v in (s.get("customRequestHeaders") or {}).items()}
        self.resp: dict[str, str] = {str(k): "" if v is None else str(v)
                                     for k, v in (s.get("customResponseHeaders") or {}).items()}
        has_secure = any(_set(s.get(k)) for k in _SECURE_KEYS) or s.get("stsSeconds") is not None
        has_cors = any(_set(s.get(k)) for k in _CORS_KEYS) or s.get("accessControlMaxAge") is not None
        if not has_secure and not self.req and not self.resp and not has_cors:
            raise BuildError("headers configuration not valid")
        self.cors = has_cors
        self.origins = [str(o) for o in s.get("accessControlAllowOriginList") or []]
        self.origin_res = [_regex(str(r), "accessControlAllowOriginListRegex")
                           for r in s.get("accessControlAllowOriginListRegex") or []]
        self.credentials = bool(s.get("accessControlAllowCredentials"))
        self.allow_headers = [str(h) for h in s.get("accessControlAllowHeaders") or []]
        self.allow_methods = [str(h) for h in s.get("accessControlAllowMethods") or []]
        self.expose = [str(h) for h in s.get("accessControlExposeHeaders") or []]
        self.max_age = s.get("accessControlMaxAge")
        self.vary = bool(s.get("addVaryHeader"))
        self.secure = has_secure
        self.dev = bool(s.get("isDevelopment"))
        self.allowed_hosts = [str(h) for h in s.get("allowedHosts") or []]
        self.hosts_proxy = [str(h) for h in s.get("hostsProxyHeaders") or []]
        self.ssl_proxy = {str(k): str(v) for k, v in (s.get("sslProxyHeaders") or {}).items()}
        self.sts = int(s.get("stsSeconds") or 0)
        self.sts_sub = bool(s.get("stsIncludeSubdomains"))
        self.sts_preload = bool(s.get("stsPreload"))
        self.force_sts = bool(s.get("forceSTSHeader"))
        self.static_secure: list[tuple[str, str]] = []
        frame = str(s.get("customFrameOptionsValue") or "") or ("DENY" if s.get("frameDeny") else "")
        if frame:
            self.static_secure.append(("X-Frame-Options", frame))
        if s.get("contentTypeNosniff"):
            self.static_secure.append(("X-Content-Type-Options", "nosniff"))
        xss = str(s.get("customBrowserXSSValue") or "") or ("1; mode=block" if s.get("browserXssFilter") else "")
        if xss:
            self.static_secure.append(("X-XSS-Protection", xss))
        for key, header in (("contentSecurityPolicy", "Content-Security-Policy"),
                            ("contentSecurityPolicyReportOnly", "Content-Security-Policy-Report-Only"),
                            ("referrerPolicy", "Referrer-Policy"), ("permissionsPolicy", "Permissions-Policy")):
            if s.get(key):
                self.static_secure.append((header, str(s[key])))
        self.public_key = str(s.get("publicKey") or "")
        self.csp_nonce = "$NONCE" in str(s.get("contentSecurityPolicy") or "") + \
                         str(s.get("contentSecurityPolicyReportOnly") or "")
        self.deprecated = [k for k in ("sslRedirect", "sslTemporaryRedirect", "sslForceHost", "sslHost",
                                       "featurePolicy") if s.get(k)]

    def _match_origin(self, origin: str) -> str | None:
        for item in self.origins:
            if item == origin:
                return item
            if item == "*":
                return origin if self.credentials else item
        for rx in self.origin_res:
            if rx.search(origin):
                return origin
        return None

    def apply(self, flow: Flow) -> Response | None:
        h = flow.headers
        if self.cors:
            acrm, origin = h.get("Access-Control-Request-Method"), h.get("Origin")
            if acrm and origin and flow.method == "OPTIONS":
                out: list[tuple[str, str]] = []
                if self.credentials:
                    out.append(("Access-Control-Allow-Credentials", "true"))
                if "*" in self.allow_headers and self.credentials:
                    if h.get("Access-Control-Request-Headers"):
                        out.append(("Access-Control-Allow-Headers", h.get("Access-Control-Request-Headers")))
                elif self.allow_headers:
                    out.append(("Access-Control-Allow-Headers", ",".join(self.allow_headers)))
                if "*" in self.allow_methods and self.credentials:
                    out.append(("Access-Control-Allow-Methods", acrm))
                elif self.allow_methods:
                    out.append(("Access-Control-Allow-Methods", ",".join(self.allow_methods)))
                match = self._match_origin(origin)
                if match is not None:
                    out.append(("Access-Control-Allow-Origin", match))
                if self.max_age is not None:
                    out.append(("Access-Control-Max-Age", str(int(self.max_age))))
                if self.expose and not ("*" in self.expose and self.credentials):
                    out.append(("Access-Control-Expose-Headers", ",".join(self.expose)))
                return Response(200, "cors-preflight", headers=out, decided_by=("middleware", self.name))
        for k, v in self.req.items():
            if v == "":
                h.delete(k)
            elif k.lower() == "host":
                flow.host = v
            else:
                h.set(k, v)
        ops: list[tuple[str, str, str]] = []
        if self.secure:
            host = flow.host
            for hdr in self.hosts_proxy:
                if h.get(hdr):
                    host = h.get(hdr)
                    break
            if self.allowed_hosts and not self.dev and not any(a.lower() == host.lower() for a in self.allowed_hosts):
                return Response(500, "bad-host-500", decided_by=("middleware", self.name))
            ssl = flow.tls or any(h.get(k) == v for k, v in self.ssl_proxy.items())
            if self.sts and (ssl or self.force_sts) and not self.dev:
                value = f"max-age={self.sts}" + ("; includeSubDomains" if self.sts_sub else "") + \
                        ("; preload" if self.sts_preload else "")
                ops.append(("set", "Strict-Transport-Security", value))
            for name, value in self.static_secure:
                ops.append(("set", name, value))
            if self.public_key and ssl and not self.dev:
                ops.append(("set", "Public-Key-Pins", self.public_key))
            if self.csp_nonce:
                flow.unmodelled.append(f"middleware {self.name}: the Content-Security-Policy carries a random nonce")
            if self.deprecated:
                flow.notes.append(f"middleware {self.name}: {', '.join(self.deprecated)} are deprecated and ignored "
                                  "by Traefik v3")
        # the custom-header modifier wraps the secure one: its changes come after (win)
        custom: list[tuple[str, str, str]] = []
        for k, v in self.resp.items():
            custom.append(("del", k, "") if v == "" else ("set", k, v))
        if self.cors:
            origin = h.get("Origin")
            match = self._match_origin(origin) if origin or self.origins else None
            if match is not None:
                custom.append(("set", "Access-Control-Allow-Origin", match))
            if self.credentials:
                custom.append(("set", "Access-Control-Allow-Credentials", "true"))
            if self.expose and not ("*" in self.expose and self.credentials):
                custom.append(("set", "Access-Control-Expose-Headers", ",".join(self.expose)))
            if self.vary:
                custom.append(("set", "Vary", "Origin"))
                flow.notes.append(f"middleware {self.name}: Vary gets Origin appended to the backend's value")
        # inner (secure) first: register it after the custom ops so that reversed order applies it first
        if custom:
            flow.response_ops.append(custom)
        if ops:
            flow.response_ops.append(ops)
        return None


# ---- access control ---------------------------------------------------------------------------


def _checker(values: Sequence[Any], what: str) -> Callable[[str], bool]:
    nets = []
    for v in values:
        text = str(v).strip()
        try:
            nets.append(ipaddress.ip_network(text, strict=False) if "/" in text
                        else ipaddress.ip_network(ipaddress.ip_address(text)))
        except ValueError:
            raise BuildError(f"{what}: cannot parse CIDR or IP {text!r}") from None

    def contains(addr: str) -> bool:
        try:
            ip = ipaddress.ip_address(addr.strip())
        except ValueError:
            return False
        return any(ip in n for n in nets)

    return contains


class IPAllowList(Compiled):
    kind = "ipAllowList"

    def __init__(self, name: str, spec: dict[str, Any], whitelist: bool = False) -> None:
        super().__init__(name)
        self.kind = "ipWhiteList" if whitelist else "ipAllowList"
        ranges = spec.get("sourceRange") or []
        if not ranges:
            raise BuildError("sourceRange is empty, IPAllowLister not created")
        self.allowed = _checker(ranges, "sourceRange")
        code = spec.get("rejectStatusCode") if not whitelist else None
        self.reject = int(code) if isinstance(code, int) and code else 403
        if not 100 <= self.reject <= 599:
            raise BuildError(f"invalid HTTP status code {self.reject}")
        st = spec.get("ipStrategy") or {}
        self.depth = int(st.get("depth") or 0)
        self.excluded = _checker(st.get("excludedIPs") or [], "excludedIPs") if st.get("excludedIPs") else None
        self.v6_subnet = st.get("ipv6Subnet")

    def client_ip(self, flow: Flow) -> str | None:
        """The address the strategy picks ('' when none; None when it is the unknown remote one)."""
        if self.depth > 0:
            xffs = flow.headers.get("X-Forwarded-For").split(",")
            return xffs[len(xffs) - self.depth].strip() if len(xffs) >= self.depth else ""
        if self.excluded is not None:
            for v in reversed(flow.headers.get("X-Forwarded-For").split(",")):
                v = v.strip()
                if v and not self.excluded(v):
                    return v
            return ""
        return flow.client_ip

    def apply(self, flow: Flow) -> Response | None:
        ip = self.client_ip(flow)
        if ip is None:
            flow.unmodelled.append(f"{self.kind} {self.name}: the client address is not given (allowed here)")
            return None
        if self.v6_subnet:
            flow.notes.append(f"{self.kind} {self.name}: IPv6 addresses are compared by /{self.v6_subnet} subnet")
        if self.allowed(ip):
            return None
        return Response(self.reject, "ip-allowlist-403" if self.reject == 403 else f"ip-allowlist-{self.reject}",
                        decided_by=("middleware", self.name))


class BasicAuth(Compiled):
    kind = "basicAuth"

    def __init__(self, name: str, spec: dict[str, Any], users: list[str] | None, secret: str | None = None) -> None:
        super().__init__(name)
        self.realm = str(spec.get("realm") or "") or "traefik"
        self.remove = bool(spec.get("removeHeader"))
        self.header_field = str(spec.get("headerField") or "")
        #: `namespace/name` of the users' Secret: the check's valid credentials name it (simulate.oracle)
        self.secret = secret
        self.users: dict[str, str] | None = None
        if users is not None:
            self.users = {}
            for line in users:
                user, sep, secret = line.partition(":")
                if not sep:
                    raise BuildError(f"error parsing BasicUser: {line!r}")
                self.users[user] = secret
            if not self.users:
                raise BuildError("no users found")

    def apply(self, flow: Flow) -> Response | None:
        deny = Response(401, "basic-auth-401", headers=[("WWW-Authenticate", f'Basic realm="{self.realm}"')],
                        decided_by=("middleware", self.name))
        auth = flow.headers.get("Authorization")
        scheme, _, creds = auth.partition(" ")
        if scheme.lower() != "basic" or not creds:
            return deny
        try:
            user, sep, password = base64.b64decode(creds.strip(), validate=True).decode("utf-8", "replace").partition(":")
        except (binascii.Error, ValueError):
            return deny
        if not sep:
            return deny
        valid = valid_for(user, password, self.secret)
        if valid is False:
            return deny
        if valid is None and self.users is None:
            flow.unmodelled.append(f"basicAuth {self.name}: the users' Secret is not in the input (credentials "
                                   "assumed valid)")
        elif valid is None and self.users is not None:
            secret = self.users.get(user)
            if secret is None:
                return deny
            ok = htpasswd.check(password, secret)
            if ok is None:
                flow.unmodelled.append(f"basicAuth {self.name}: bcrypt hashes cannot be checked offline (assumed "
                                       "valid)")
            elif not ok:
                return deny
        if self.header_field:
            flow.headers.delete(self.header_field)
            flow.headers.set(self.header_field, user)
        if self.remove:
            flow.headers.delete("Authorization")
        return None


class DigestAuth(Compiled):
    kind = "digestAuth"

    def __init__(self, name: str, spec: dict[str, Any], users: list[str] | None) -> None:
        super().__init__(name)
        self.realm = str(spec.get("realm") or "") or "traefik"
        self.remove = bool(spec.get("removeHeader"))

    def apply(self, flow: Flow) -> Response | None:
        auth = flow.headers.get("Authorization")
        if not auth.lower().startswith("digest "):
            flow.notes.append(f"digestAuth {self.name}: the 401 carries WWW-Authenticate: Digest realm="
                              f'"{self.realm}" with a random nonce (not shown)')
            return Response(401, "digest-auth-401", decided_by=("middleware", self.name))
        flow.unmodelled.append(f"digestAuth {self.name}: digest credentials depend on a server nonce (assumed valid)")
        if self.remove:
            flow.headers.delete("Authorization")
        return None


class EncodedCharacters(Compiled):
    kind = "encodedCharacters"
    _MAP = {"allowEncodedSlash": ("%2F", "%2f"), "allowEncodedBackSlash": ("%5C", "%5c"),
            "allowEncodedNullCharacter": ("%00",), "allowEncodedSemicolon": ("%3B", "%3b"),
            "allowEncodedPercent": ("%25",), "allowEncodedQuestionMark": ("%3F", "%3f"), "allowEncodedHash": ("%23",)}

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name)
        self.denied = frozenset(e for k, escapes in self._MAP.items() if spec.get(k) is False for e in escapes)

    def apply(self, flow: Flow) -> Response | None:
        if self.denied and denied_escape(flow.url.escaped_path(), self.denied):
            return _bad_request(self.name)
        return None


def denied_escape(escaped_path: str, denied: frozenset[str]) -> bool:
    """denyEncodedPathCharacters: a %XX of the path is in `denied` (or a '%' ends the path)."""
    i, n = 0, len(escaped_path)
    while i < n:
        if escaped_path[i] == "%":
            if i + 2 >= n:
                return True
            if escaped_path[i:i + 3] in denied:
                return True
            i += 3
        else:
            i += 1
    return False


class PassThrough(Compiled):
    """A middleware that cannot change where a request goes (or whose effect depends on what
    happens at run time): it leaves a note or an unmodelled entry."""

    def __init__(self, name: str, kind: str, note: str = "", unmodelled: str = "",
                 when: Callable[[Flow], bool] | None = None) -> None:
        super().__init__(name)
        self.kind = kind
        self.note = note
        self.unmodelled_text = unmodelled
        self.when = when

    def apply(self, flow: Flow) -> Response | None:
        if self.when is not None and not self.when(flow):
            return None
        if self.unmodelled_text:
            flow.unmodelled.append(f"{self.kind} {self.name}: {self.unmodelled_text}")
        if self.note:
            flow.notes.append(f"{self.kind} {self.name}: {self.note}")
        return None


class ForwardAuth(Compiled):
    """forwardAuth: the auth service decides. For the check's oracle probes (`simulate.oracle`)
    its answer is known: a 2xx lets the request through, any other answer goes back to the
    client with its status (pkg/middlewares/auth/forward.go: `forwardResponse.StatusCode < 200 ||
    > 300` copies the service's status, headers and body); for any other request the decision is
    not modelled."""

    kind = "forwardAuth"

    def apply(self, flow: Flow) -> Response | None:
        answer = auth_service_answer(flow.headers.get("Authorization") or None)
        if answer is None:
            flow.unmodelled.append(f"forwardAuth {self.name}: the authentication service's answer decides "
                                   "(401/403/redirect or pass)")
            return None
        if 200 <= answer < 300:
            flow.notes.append(f"forwardAuth {self.name}: the auth service answers {answer}: allowed")
            return None
        return Response(answer, "external-auth-denied", decided_by=("middleware", self.name))


class Buffering(Compiled):
    """buffering: a request declaring a body above maxRequestBodyBytes gets 413 before anything
    is read (oxy's buffer checkLimit on ContentLength, then the body is read up to the limit;
    doc.traefik.io .../middlewares/buffering/: "rejects requests that are over a specified size
    limit"); 0 (the default) sets no limit."""

    kind = "buffering"

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name)
        raw = spec.get("maxRequestBodyBytes")
        self.limit = raw if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0 else 0

    def apply(self, flow: Flow) -> Response | None:
        flow.notes.append(f"buffering {self.name}: the request body is buffered"
                          + (f" (413 above {self.limit} bytes)" if self.limit else ""))
        declared = flow.headers.get("Content-Length").strip()
        if self.limit and declared.isdigit() and int(declared) > self.limit:
            return Response(413, "body-too-large", decided_by=("middleware", self.name))
        return None


class Errors(Compiled):
    kind = "errors"

    def __init__(self, name: str, spec: dict[str, Any], service: str) -> None:
        super().__init__(name)
        self.ranges: list[tuple[int, int]] = []
        for item in spec.get("status") or []:
            for part in str(item).split(","):
                lo, _, hi = part.strip().partition("-")
                try:
                    self.ranges.append((int(lo), int(hi or lo)))
                except ValueError:
                    raise BuildError(f"errors: invalid status range {item!r}") from None
        self.service = service

    def apply(self, flow: Flow) -> Response | None:
        flow.notes.append(f"errors {self.name}: backend answers with status {self.ranges} get the page of "
                          f"{self.service}")
        if flow.upstream_status is not None and any(lo <= flow.upstream_status <= hi for lo, hi in self.ranges):
            flow.unmodelled.append(f"errors {self.name}: the error page of {self.service} replaces the answer")
        return None


# ---- building --------------------------------------------------------------------------------

_PASS = {
    "rateLimit": ("", "requests over the rate answer 429", None),
    "inFlightReq": ("", "requests over the concurrency limit answer 429", None),
    "circuitBreaker": ("", "answers 503 while the breaker is open (depends on backend health)", None),
    "plugin": ("", "a plugin's behaviour is not modelled", None),
    "retry": ("retries on another server when the backend fails (no change when it answers)", "", None),
    "contentType": ("Content-Type auto-detection only", "", None),
    "passTLSClientCert": ("forwards client-certificate data (no client certificate in these requests)", "", None),
}


def _compress_when(flow: Flow) -> bool:
    return bool(flow.headers.get("Accept-Encoding"))


def _grpc_when(flow: Flow) -> bool:
    return flow.headers.get("Content-Type").startswith("application/grpc-web")


def build_chain(names: Sequence[str], provider: str, conf: DynamicConfig, stack: tuple[str, ...] = (),
                foreign: Callable[[str], str | None] | None = None) -> list[Compiled]:
    """The middlewares `names` (qualified with `provider` when they carry none), chain members
    inlined, in order. BuildError when one does not exist or cannot be created. `foreign` says
    whether a middleware of a provider the simulator does not read may exist (its text becomes
    an unmodelled entry), or None (it does not exist)."""
    out: list[Compiled] = []
    for raw in names:
        q = qualify(raw, provider)
        if q in stack:
            raise BuildError(f"recursion detected in middleware {' -> '.join(stack + (q,))}")
        mw = conf.middlewares.get(q)
        if mw is None:
            why = foreign(q) if foreign is not None else None
            if why is None:
                raise BuildError(f"middleware {q!r} does not exist")
            out.append(PassThrough(q, "middleware", unmodelled=why))
            continue
        if mw.resolved.get("unknown"):
            raise BuildError(f"middleware {q!r}: unknown field(s) {', '.join(mw.resolved['unknown'])}")
        if len(mw.kinds) > 1:
            raise BuildError(f"middleware {q!r}: cannot create middleware: multi-types middleware not supported "
                             f"({', '.join(mw.kinds)})")
        if not mw.kinds:
            raise BuildError(f"invalid middleware {q!r} configuration: invalid middleware type or middleware does "
                             "not exist")
        if mw.kind == "chain":
            out += build_chain(mw.resolved.get("members", ()), mw.provider, conf, stack + (q,), foreign)
            continue
        out.append(_construct(q, mw))
    return out


def _construct(q: str, mw: Middleware) -> Compiled:
    kind, spec = mw.kind, mw.spec.get(mw.kind)
    spec = spec if isinstance(spec, dict) else {}
    if kind == "addPrefix":
        return AddPrefix(q, spec)
    if kind == "stripPrefix":
        return StripPrefix(q, spec)
    if kind == "stripPrefixRegex":
        return StripPrefixRegex(q, spec)
    if kind == "replacePath":
        return ReplacePath(q, spec)
    if kind == "replacePathRegex":
        return ReplacePathRegex(q, spec)
    if kind == "redirectScheme":
        return RedirectScheme(q, spec)
    if kind == "redirectRegex":
        return RedirectRegex(q, spec)
    if kind == "headers":
        return Headers(q, spec)
    if kind in ("ipAllowList", "ipWhiteList"):
        return IPAllowList(q, spec, whitelist=kind == "ipWhiteList")
    if kind == "basicAuth":
        secret = spec.get("secret")
        return BasicAuth(q, spec, mw.resolved.get("users"), f"{mw.namespace}/{secret}" if secret else None)
    if kind == "digestAuth":
        return DigestAuth(q, spec, mw.resolved.get("users"))
    if kind == "encodedCharacters":
        return EncodedCharacters(q, spec)
    if kind == "errors":
        return Errors(q, spec, str(mw.resolved.get("service") or ""))
    if kind == "forwardAuth":
        return ForwardAuth(q)
    if kind == "buffering":
        return Buffering(q, spec)
    if kind == "compress":
        return PassThrough(q, kind, unmodelled="the response may be compressed (depends on the backend's "
                                               "response)", when=_compress_when)
    if kind == "grpcWeb":
        return PassThrough(q, kind, unmodelled="gRPC-Web is translated to gRPC", when=_grpc_when)
    if kind in _PASS:
        note, unmodelled, _ = _PASS[kind]
        return PassThrough(q, kind, note=note, unmodelled=unmodelled)
    raise BuildError(f"middleware type {kind} is not known")  # pragma: no cover - MIDDLEWARE_TYPES covers all
