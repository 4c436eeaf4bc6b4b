"""The Traefik `headers` Middleware beyond custom headers: its security headers and its CORS
settings, as Gateway API response header modifiers and the CORS filter.

Facts: Traefik docs `reference/routing-configuration/http/middlewares/headers.md` (v3.7) and
pkg/middlewares/headers (the secure-headers library's response modifier, then the CORS and
custom-header handler whose changes come last). What the standard filters say differently is
stated by the caller's findings: Traefik adds these headers to every answer of the router (its
own too), the filters only to backend responses; Traefik answers CORS preflights itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ing2gw import ir

#: fields read here (with customRequestHeaders/customResponseHeaders, read by the caller)
SECURE = ("frameDeny", "customFrameOptionsValue", "contentTypeNosniff", "browserXssFilter", "customBrowserXSSValue",
          "contentSecurityPolicy", "contentSecurityPolicyReportOnly", "referrerPolicy", "permissionsPolicy",
          "stsSeconds", "stsIncludeSubdomains", "stsPreload", "forceSTSHeader", "publicKey", "isDevelopment")
#: an HTTP header name (RFC 9110 token), as the CORS filter's header lists require
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`|~]+\Z")
CORS = ("accessControlAllowCredentials", "accessControlAllowHeaders", "accessControlAllowMethods",
        "accessControlAllowOriginList", "accessControlExposeHeaders", "accessControlMaxAge")
#: removed from the Headers middleware in Traefik v3 (the CRD still has them): no effect
IGNORED_V3 = ("sslRedirect", "sslTemporaryRedirect", "sslForceHost", "sslHost", "featurePolicy")


@dataclass
class HeadersPlan:
    """What a headers Middleware's security and CORS fields become."""

    #: response headers set on every answer of the router
    always: dict[str, str] = field(default_factory=dict)
    #: response headers set on HTTPS answers only (Strict-Transport-Security, Public-Key-Pins)
    https_only: dict[str, str] = field(default_factory=dict)
    cors: ir.Cors | None = None
    #: fields that could not be converted, with why
    left: list[str] = field(default_factory=list)
    #: the CORS response headers whose value differs in form (OLD>NEW pairs for the finding)
    cors_changes: list[str] = field(default_factory=list)


def _on(v: Any) -> bool:
    return v not in (None, False, "", [], {}, 0)


def plan_headers(s: dict[str, Any]) -> HeadersPlan:
    """The security headers and CORS filter of a headers Middleware spec `s`."""
    out = HeadersPlan()
    dev = bool(s.get("isDevelopment"))
    frame = str(s.get("customFrameOptionsValue") or "") or ("DENY" if s.get("frameDeny") else "")
    if frame:
        out.always["X-Frame-Options"] = frame
    if s.get("contentTypeNosniff"):
        out.always["X-Content-Type-Options"] = "nosniff"
    xss = str(s.get("customBrowserXSSValue") or "") or ("1; mode=block" if s.get("browserXssFilter") else "")
    if xss:
        out.always["X-XSS-Protection"] = xss
    for key, header in (("contentSecurityPolicy", "Content-Security-Policy"),
                        ("contentSecurityPolicyReportOnly", "Content-Security-Policy-Report-Only"),
                        ("referrerPolicy", "Referrer-Policy"), ("permissionsPolicy", "Permissions-Policy")):
        value = str(s.get(key) or "")
        if "$NONCE" in value:
            out.left.append(f"{key} (a random nonce per response)")
        elif value:
            out.always[header] = value
    sts = s.get("stsSeconds")
    if isinstance(sts, int) and not isinstance(sts, bool) and sts > 0 and not dev:
        value = f"max-age={sts}" + ("; includeSubDomains" if s.get("stsIncludeSubdomains") else "") + \
                ("; preload" if s.get("stsPreload") else "")
        # Traefik sends it on TLS requests only, unless forceSTSHeader (secure: isSSL check)
        (out.always if s.get("forceSTSHeader") else out.https_only)["Strict-Transport-Security"] = value
    if s.get("publicKey") and not dev:
        out.https_only["Public-Key-Pins"] = str(s["publicKey"])
    if any(_on(s.get(k)) for k in CORS) or s.get("accessControlMaxAge") is not None:
        _cors(s, out)
    return out


#: an HTTP header name (Gateway API HeaderName) and a CORS origin (Gateway API CORSOrigin)
_ORIGIN = re.compile(r"^https?://(\*\.)?([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+(:[0-9]{1,5})?$")

#: what the HTTPRoute CORS filter's allowMethods accepts (Gateway API HTTPMethodWithWildcard)
CORS_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*"})


#: an HTTP header name (RFC 9110 token), as the CORS filter's header lists take it
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`|~]+\Z")


def _cors(s: dict[str, Any], out: HeadersPlan) -> None:
    origins = [str(o) for o in s.get("accessControlAllowOriginList") or []]
    if s.get("accessControlAllowOriginListRegex"):
        out.left.append("accessControlAllowOriginListRegex (CORS with origin regexes)")
        return
    odd = [o for o in origins if "*" in o and o != "*"]
    if odd:
        # Traefik compares origins as strings; allowOrigins reads `*` in a host as a wildcard
        out.left.append(f"accessControlAllowOriginList {odd} (a '*' inside an origin is literal in Traefik)")
        return
    methods = [str(x) for x in s.get("accessControlAllowMethods") or []]
    bad = [m for m in methods if m not in CORS_METHODS]
    if bad:
        # Traefik echoes any string; the CORS filter's allowMethods takes HTTP methods or `*` only
        out.left.append(f"accessControlAllowMethods {bad} (not HTTP methods the CORS filter accepts)")
        return
    headers = [str(x) for x in s.get("accessControlAllowHeaders") or []]
    expose = [str(x) for x in s.get("accessControlExposeHeaders") or []]
    # the CORS filter takes header names (RFC 7230 tokens) and scheme://host[:port] origins only;
    # Traefik echoes any string (found by the fuzz campaign: a header " , " built an invalid route)
    odd_names = [h for h in headers + expose if not _HEADER_NAME.match(h) and h != "*"]
    odd_origins = [o for o in origins if o != "*" and not _ORIGIN.match(o)]
    if odd_names or odd_origins:
        out.left.append(f"accessControlAllow/ExposeHeaders or AllowOriginList {odd_names + odd_origins} (not header "
                        "names or origins the CORS filter accepts)")
        return
    creds = bool(s.get("accessControlAllowCredentials"))
    age = s.get("accessControlMaxAge")
    max_age = int(age) if isinstance(age, int) and not isinstance(age, bool) and age > 0 else None
    out.cors = ir.Cors(allow_origins=tuple(origins), allow_methods=tuple(methods), allow_headers=tuple(headers),
                       expose_headers=tuple(expose), allow_credentials=creds or None, max_age=max_age)
    # how Traefik's answers differ in form (the list headers are predicted whole: their values
    # hold commas): a max age only when set (the Gateway's default is 5 s) and on every preflight,
    # credentials on every response
    old_age = str(age) if isinstance(age, int) and not isinstance(age, bool) else "None"
    for new_age in (str(max_age or 5), "None"):
        if new_age != old_age:
            out.cors_changes.append(f"{old_age}>{new_age}")
    if creds:
        out.cors_changes.append("true>None")
    if s.get("addVaryHeader"):
        out.cors_changes.append("Origin>None")
