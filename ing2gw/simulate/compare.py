"""Compare two answers field by field: what a client or a backend would notice.

Compared: status, backend (and weight shares when traffic splits), redirect status and
Location (normalised: default ports dropped, an empty path is `/`), upstream path, upstream
Host, the request headers the backend sees that configuration changes (not the proxy's own
X-Forwarded-* family) and the response headers the proxy adds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ing2gw.simulate.request import Answer, Request

#: request headers every proxy sets its own way; they do not carry configuration
PROXY_HEADERS = frozenset({
    "x-forwarded-for", "x-forwarded-host", "x-forwarded-port", "x-forwarded-proto", "x-forwarded-scheme",
    "x-scheme", "x-real-ip", "x-request-id", "x-original-uri", "x-original-forwarded-for", "x-envoy-external-address",
    "forwarded", "via",
})
SHARE_TOLERANCE = 0.005


@dataclass(frozen=True)
class Difference:
    field: str
    old: Any
    new: Any

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


#: an absolute http(s) URL whose host needs only lower-casing (no port, user info or fragment;
#: printable ASCII only): normalised without urlsplit, with the same result
_PLAIN_URL = re.compile(r"(https?)://([A-Za-z0-9.-]+)((?:/[\x21\x22\x24-\x3e\x40-\x7e]*)?)"
                        r"(?:\?([\x21\x22\x24-\x7e]*))?\Z")


@lru_cache(maxsize=1 << 14)
def normalise_location(loc: str | None) -> str | None:
    if not loc:
        return loc
    plain = _PLAIN_URL.match(loc)
    if plain is not None:
        scheme, host, path, query = plain.groups()
        return f"{scheme}://{host.lower()}{path or '/'}" + (f"?{query}" if query else "")
    try:
        u = urlsplit(loc)
    except ValueError:
        return loc
    if not u.scheme:
        return loc
    host = (u.hostname or "").lower()
    port = u.port
    netloc = host if port is None or (u.scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    return urlunsplit((u.scheme.lower(), netloc, u.path or "/", u.query, ""))


def _shares(a: Answer) -> dict[str, float]:
    out: dict[str, float] = {}
    for s in a.backends:
        key = str(s.backend) if s.backend else f"error:{s.status}"
        out[key] = out.get(key, 0.0) + s.weight
    return {k: v for k, v in out.items() if v > 0}


#: headers whose value is a comma-separated list: `GET,PUT` and `GET, PUT` say the same
LIST_HEADERS = frozenset({"access-control-allow-methods", "access-control-allow-headers",
                          "access-control-expose-headers"})


def _headers(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    out = {}
    for k, v in pairs:
        lk = k.lower()
        if lk in PROXY_HEADERS:
            continue
        out[lk] = ", ".join(x.strip() for x in v.split(",")) if lk in LIST_HEADERS else v
    return out


def _header_diffs(prefix: str, old: tuple[tuple[str, str], ...], new: tuple[tuple[str, str], ...],
                  diffs: list[Difference]) -> None:
    if old == new:
        return  # the same pairs: the same headers
    oh, nh = _headers(old), _headers(new)
    if oh == nh:
        return
    for k in sorted(set(oh) | set(nh)):
        if oh.get(k) != nh.get(k):
            diffs.append(Difference(f"{prefix}.{k}", oh.get(k), nh.get(k)))


def absolute_location(loc: str, request: Request) -> str:
    """A relative Location (`/p`) as the client resolves it against the request's URL (RFC 9110
    10.2.2): the request's scheme and Host. Absolute ones are returned unchanged."""
    if loc.startswith("/") and not loc.startswith("//") and request.host:
        return f"{request.scheme}://{request.host}{loc}"
    return loc


def compare(old: Answer, new: Answer, request: Request | None = None) -> list[Difference]:
    """Every field in which the two answers differ (empty: equivalent). With the `request`, a
    relative redirect Location is compared as the absolute URL a client follows."""
    diffs: list[Difference] = []
    if old.status != new.status:
        diffs.append(Difference("status", old.status, new.status))
    # who would have answered an error does not matter to a client: compare backends only when
    # at least one side proxies successfully (the conformance suite does the same)
    both_errors = not (200 <= old.status < 300) and not (200 <= new.status < 300)
    # equal shares (the usual case) cannot differ once merged by backend
    if not both_errors and old.backends != new.backends:
        ob, nb = _shares(old), _shares(new)
        if set(ob) != set(nb) or any(abs(ob[k] - nb[k]) > SHARE_TOLERANCE for k in ob):
            if len(ob) <= 1 and len(nb) <= 1:
                diffs.append(Difference("backend", next(iter(ob), None), next(iter(nb), None)))
            else:
                diffs.append(Difference("backends", {k: round(v, 4) for k, v in sorted(ob.items())},
                                        {k: round(v, 4) for k, v in sorted(nb.items())}))
    olr, nlr = old.redirect, new.redirect
    if (olr is None) != (nlr is None):
        diffs.append(Difference("redirect", olr.to_dict() if olr else None, nlr.to_dict() if nlr else None))
    elif olr is not None and nlr is not None:
        if olr.status != nlr.status:
            diffs.append(Difference("redirect.status", olr.status, nlr.status))
        if olr.location != nlr.location:
            ol, nl = olr.location, nlr.location
            if request is not None:
                ol, nl = absolute_location(ol, request), absolute_location(nl, request)
            if normalise_location(ol) != normalise_location(nl):
                diffs.append(Difference("redirect.location", olr.location, nlr.location))
    proxied = old.backend is not None and new.backend is not None
    if proxied:
        if old.upstream_path != new.upstream_path:
            diffs.append(Difference("upstream_path", old.upstream_path, new.upstream_path))
        if (old.upstream_host or "") != (new.upstream_host or ""):
            diffs.append(Difference("upstream_host", old.upstream_host, new.upstream_host))
        _header_diffs("upstream_headers", old.upstream_headers, new.upstream_headers, diffs)
        # TLS or plain HTTP towards the backend: a TLS port reached in plain HTTP refuses the
        # request (and the reverse); compared only where both models know
        if old.upstream_tls is not None and new.upstream_tls is not None and old.upstream_tls != new.upstream_tls:
            diffs.append(Difference("upstream_tls", old.upstream_tls, new.upstream_tls))
    _header_diffs("response_headers", old.response_headers, new.response_headers, diffs)
    return diffs
