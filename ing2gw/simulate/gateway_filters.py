"""HTTPRoute filters for the Gateway API router: header modifiers, URLRewrite, RequestRedirect
and CORS. Pure functions over plain values, so each rule of the spec is testable on its own.

Header names are compared case-insensitively and written lower-case in answers.
"""

from __future__ import annotations

from ing2gw.simulate.gateway_match import request_hostname
from ing2gw.simulate.gateway_objects import CorsSpec, HeaderOps, PathModifier, RedirectSpec

WELL_KNOWN_PORTS = {"http": 80, "https": 443}
CORS_SAFELISTED_METHODS = ("GET", "HEAD", "POST")


def apply_header_ops(headers: list[tuple[str, str]], ops: HeaderOps) -> list[tuple[str, str]]:
    """Apply an HTTPHeaderFilter to (lower-case name, value) pairs; returns a new list.

    `set` overwrites every value of a header (or appends it); `add` appends to the existing
    value with a comma ("my-header: foo" + add "bar" gives "foo,bar"); `remove` drops every
    occurrence. Names are case-insensitive. Order: set, add, remove (the spec gives none; a
    filter that names one header in two actions is invalid, and the router says so).
    """
    out = list(headers)
    for name, value in ops.set:
        n = name.lower()
        names = [k for k, _ in out]
        if n in names:
            first = names.index(n)
            out = [(k, v) for i, (k, v) in enumerate(out) if k != n or i == first]
            out[first] = (n, value)
        else:
            out.append((n, value))
    for name, value in ops.add:
        n = name.lower()
        names = [k for k, _ in out]
        if n in names:
            first = names.index(n)
            joined = ",".join([v for k, v in out if k == n] + [value])
            out = [(k, v) for i, (k, v) in enumerate(out) if k != n or i == first]
            out[first] = (n, joined)
        else:
            out.append((n, value))
    for name in ops.remove:
        n = name.lower()
        out = [(k, v) for k, v in out if k != n]
    return out


def replace_prefix(path: str, matched_prefix: str, replacement: str) -> str:
    """ReplacePrefixMatch, following the table in `HTTPPathModifier.ReplacePrefixMatch`.

    The matched prefix and the replacement are both taken without a trailing '/', so
    /foo/bar with /foo -> /xyz/ gives /xyz/bar and /foo with /foo -> "" gives /.
    """
    prefix = matched_prefix.rstrip("/")
    rest = path[len(prefix):] if path.startswith(prefix) else path
    new = replacement.rstrip("/") + rest
    if not new:
        return "/"
    return new if new.startswith("/") else "/" + new


def modify_path(path: str, modifier: PathModifier, matched_prefix: str | None) -> str:
    """The path after a ReplaceFullPath or ReplacePrefixMatch modifier (query not included)."""
    if modifier.type == "ReplaceFullPath":
        return modifier.value
    return replace_prefix(path, matched_prefix if matched_prefix is not None else "/", modifier.value)


def redirect_location(rd: RedirectSpec, request_scheme: str, host_header: str | None, path: str,
                      query: str | None, listener_port: int, matched_prefix: str | None) -> str:
    """The Location of a RequestRedirect (`HTTPRequestRedirectFilter`).

    scheme: the filter's, else the request's. hostname: the filter's, else the Host header's
    (without its port). port: the filter's; else the well-known port of the filter's scheme when
    the filter sets one; else the listener port. 80 is left out for http and 443 for https.
    path: the modifier's result, else the request path; the query is kept.
    """
    scheme = rd.scheme or request_scheme
    hostname = rd.hostname or request_hostname(host_header)
    if rd.port is not None:
        port = rd.port
    elif rd.scheme:
        port = WELL_KNOWN_PORTS.get(rd.scheme, listener_port)
    else:
        port = listener_port
    new_path = modify_path(path, rd.path, matched_prefix) if rd.path else path
    authority = hostname if WELL_KNOWN_PORTS.get(scheme) == port else f"{hostname}:{port}"
    return f"{scheme}://{authority}{new_path}" + (f"?{query}" if query is not None else "")


# ---------------------------------------------------------------------------------------------
# CORS (HTTPCORSFilter)


def _default_port(scheme: str) -> int:
    return WELL_KNOWN_PORTS.get(scheme, 0)


def _split_origin(origin: str) -> tuple[str, str, int] | None:
    """'https://www.foo.com:8443' -> ('https', 'www.foo.com', 8443); None when malformed."""
    scheme, sep, rest = origin.partition("://")
    if not sep or not rest or "/" in rest:
        return None
    host, _, port_text = rest.partition(":") if not rest.startswith("[") else (rest, "", "")
    if port_text:
        if not (port_text.isascii() and port_text.isdigit()):
            return None
        port = int(port_text)
    else:
        port = _default_port(scheme.lower())
    return scheme.lower(), host.lower(), port


def origin_allowed(cors: CorsSpec, origin: str) -> bool:
    """Does the request Origin match `allowOrigins`? `*` alone allows every origin; a `*` in
    the host matches greedily to the left (any number of labels); absent ports default to
    80/443 by scheme."""
    if "*" in cors.allow_origins:
        return True
    got = _split_origin(origin)
    if got is None:
        return False
    scheme, host, port = got
    for pattern in cors.allow_origins:
        want = _split_origin(pattern)
        if want is None:
            continue
        w_scheme, w_host, w_port = want
        if w_scheme != scheme or w_port != port:
            continue
        if w_host == "*":
            return True
        if w_host.startswith("*"):
            suffix = w_host[1:]
            if host.endswith(suffix) and len(host) > len(suffix):
                return True
        elif w_host == host:
            return True
    return False


def cors_response_headers(cors: CorsSpec, origin: str, preflight: bool,
                          request_method: str | None, request_headers: str | None) -> list[tuple[str, str]]:
    """The CORS headers the gateway puts on a response; [] when the Origin is not allowed.

    With a `*` in allowOrigins/allowMethods/allowHeaders and allowCredentials false the model
    answers `*` (the spec allows `*` or an echo); with allowCredentials true it echoes the
    request's Origin / Access-Control-Request-Method / Access-Control-Request-Headers, and omits
    the header when the request did not send the value to echo.
    """
    if not origin_allowed(cors, origin):
        return []
    creds = cors.allow_credentials
    out: list[tuple[str, str]] = []
    allow_origin = "*" if ("*" in cors.allow_origins and not creds) else origin
    out.append(("access-control-allow-origin", allow_origin))
    if creds:
        out.append(("access-control-allow-credentials", "true"))
    if preflight:
        if cors.allow_methods:
            if "*" in cors.allow_methods:
                if not creds:
                    out.append(("access-control-allow-methods", "*"))
                elif request_method:
                    out.append(("access-control-allow-methods", request_method))
            else:
                out.append(("access-control-allow-methods", ", ".join(cors.allow_methods)))
        if cors.allow_headers:
            if "*" in cors.allow_headers:
                if not creds:
                    out.append(("access-control-allow-headers", "*"))
                elif request_headers:
                    out.append(("access-control-allow-headers", request_headers))
            else:
                out.append(("access-control-allow-headers", ", ".join(cors.allow_headers)))
        out.append(("access-control-max-age", str(cors.max_age)))
    if cors.expose_headers:
        if "*" in cors.expose_headers and creds:
            pass  # "the gateway cannot use the * in Access-Control-Expose-Headers"
        else:
            out.append(("access-control-expose-headers", ", ".join(cors.expose_headers)))
    return out
