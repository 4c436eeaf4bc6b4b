"""The parts of Go's net/url and path packages that decide what Traefik routes and forwards.

Traefik is a Go program: the path it matches and the request-target the backend receives come
out of Go's URL model, where a URL keeps both `Path` (decoded) and `RawPath` (the encoding the
client used, kept only when it differs from Go's own). This module reproduces that model from
the Go documentation and behaviour (net/url `setPath`, `EscapedPath`, `JoinPath`,
`RequestURI`, `ParseQuery`; path `Clean`), written for this simulator.

Strings are Python `str`; percent-decoded bytes that are not valid UTF-8 are kept with the
`surrogateescape` error handler, so they survive a decode/encode round trip byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEX = "0123456789ABCDEF"
_HEXDIGITS = frozenset("0123456789abcdefABCDEF")
#: bytes Go never escapes in a path (unreserved characters and the sub-delims it allows there)
_PATH_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~$&+,/:;=@")


class GoURLError(ValueError):
    """A URL Go's parser refuses (the HTTP server answers 400 Bad Request)."""


def _to_bytes(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _from_bytes(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def unescape(s: str, *, plus_is_space: bool = False) -> str:
    """net/url `unescape`: every '%' must be followed by two hex digits (else GoURLError);
    '+' becomes a space only for query components."""
    if "%" not in s and not (plus_is_space and "+" in s):
        return s
    raw = _to_bytes(s)
    out = bytearray()
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if c == 0x25:  # '%'
            if i + 2 >= n or chr(raw[i + 1]) not in _HEXDIGITS or chr(raw[i + 2]) not in _HEXDIGITS:
                bad = _from_bytes(raw[i:i + 3])
                raise GoURLError(f"invalid URL escape {bad!r}")
            out.append(int(raw[i + 1:i + 3], 16))
            i += 3
        elif c == 0x2B and plus_is_space:
            out.append(0x20)
            i += 1
        else:
            out.append(c)
            i += 1
    return _from_bytes(bytes(out))


_CTL = re.compile(r"[\x00-\x1f\x7f]")
_NEEDS_ESCAPE = re.compile(r"[^A-Za-z0-9\-_.~$&+,/:;=@]")
_INVALID_RAW = re.compile(r"[^A-Za-z0-9\-_.~$&+,/:;=@!'()*\[\]%]")


def escape_path(s: str) -> str:
    """net/url `escape(s, encodePath)`: every byte but the unreserved ones and $&+,/:;=@ as %XX."""
    if _NEEDS_ESCAPE.search(s) is None:
        return s
    raw = _to_bytes(s)
    out = []
    for c in raw:
        if c in _PATH_SAFE:
            out.append(chr(c))
        else:
            out.append("%" + _HEX[c >> 4] + _HEX[c & 15])
    return "".join(out)


def valid_encoded_path(s: str) -> bool:
    """net/url `validEncoded(s, encodePath)`."""
    return _INVALID_RAW.search(s) is None


def clean(path: str) -> str:
    """Go path.Clean: the shortest equivalent path (dot segments and repeated slashes removed)."""
    if path == "":
        return "."
    rooted = path.startswith("/")
    out: list[str] = []
    for seg in path.split("/"):
        if seg == "" or seg == ".":
            continue
        if seg == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(seg)
    joined = "/".join(out)
    if rooted:
        return "/" + joined
    return joined or "."


@dataclass
class GoURL:
    """A request URL as Go holds it: `path` decoded, `raw_path` the client's encoding ("" when
    Go's own escaping gives the same), the raw query and whether a bare '?' was sent."""

    path: str
    raw_path: str = ""
    raw_query: str = ""
    force_query: bool = False

    def set_path(self, p: str) -> None:
        """net/url `setPath`: decode `p` (GoURLError on a bad escape) and keep `p` as RawPath
        when it is not Go's default encoding of the decoded path."""
        self.path = unescape(p)
        self.raw_path = "" if escape_path(self.path) == p else p

    def escaped_path(self) -> str:
        """net/url `EscapedPath`: RawPath when it is a valid encoding of Path, else Path escaped."""
        rp = self.raw_path
        if rp and valid_encoded_path(rp):
            try:
                if unescape(rp) == self.path:
                    return rp
            except GoURLError:
                pass
        if self.path == "*":
            return "*"
        return escape_path(self.path)

    def request_uri(self) -> str:
        """net/url `RequestURI`: the escaped path ("/" when empty) and the query."""
        result = self.escaped_path() or "/"
        if self.force_query or self.raw_query:
            result += "?" + self.raw_query
        return result

    def join_path(self) -> "GoURL":
        """net/url `JoinPath()` without elements: the escaped path cleaned (path.Join), one
        trailing slash kept; a relative path stays relative."""
        elem = self.escaped_path()
        if not elem.startswith("/"):
            p = clean("/" + elem)[1:] if elem else ""
        else:
            p = clean(elem)
        if elem.endswith("/") and not p.endswith("/"):
            p += "/"
        out = GoURL(self.path, self.raw_path, self.raw_query, self.force_query)
        out.set_path(p)
        return out

    def copy(self) -> "GoURL":
        return GoURL(self.path, self.raw_path, self.raw_query, self.force_query)


def parse_request_uri(target: str) -> GoURL:
    """net/url `ParseRequestURI` for an origin-form request-target ("/path?query").

    Raises GoURLError for what Go's HTTP server refuses: control characters, a target that is
    neither "*" nor an absolute path, an invalid %-escape. A '#' stays in the path (the server
    never strips a fragment from a request-target).
    """
    if _CTL.search(target):
        raise GoURLError("invalid control character in URL")
    if target == "":
        raise GoURLError("empty url")
    if target == "*":
        return GoURL("*")
    rest = target
    force = False
    query = ""
    if rest.endswith("?") and rest.count("?") == 1:
        force = True
        rest = rest[:-1]
    else:
        rest, _, query = rest.partition("?")
    if not rest.startswith("/"):
        raise GoURLError("invalid URI for request")
    u = GoURL("", "", query, force)
    u.set_path(rest)
    return u


def parse_query(raw_query: str) -> dict[str, list[str]]:
    """net/url `ParseQuery` as `URL.Query()` uses it: pairs split on '&', keys and values
    query-unescaped ('+' is a space); a pair with a bad escape or a ';' is dropped."""
    out: dict[str, list[str]] = {}
    for part in raw_query.split("&"):
        if not part or ";" in part:
            continue
        key, _, value = part.partition("=")
        try:
            k = unescape(key, plus_is_space=True)
            v = unescape(value, plus_is_space=True)
        except GoURLError:
            continue
        out.setdefault(k, []).append(v)
    return out


@dataclass(frozen=True)
class AbsoluteURL:
    """The result of Go `url.Parse` on a redirect target, for `String()`."""

    scheme: str
    authority: str | None
    url: GoURL
    fragment: str | None

    def string(self) -> str:
        """Go `URL.String()` (no user info or opaque forms; the host kept as written)."""
        out = ""
        if self.scheme:
            out += self.scheme + ":"
        path = self.url.escaped_path()
        if self.authority is not None:
            out += "//" + self.authority
            if path and not path.startswith("/"):
                path = "/" + path
        out += path
        if self.url.force_query or self.url.raw_query:
            out += "?" + self.url.raw_query
        if self.fragment is not None:
            out += "#" + self.fragment
        return out


def parse_url(raw: str) -> AbsoluteURL:
    """Go `url.Parse` for the URLs a redirect middleware builds (GoURLError when Go refuses)."""
    if _CTL.search(raw):
        raise GoURLError("invalid control character in URL")
    rest, hash_sign, frag = raw.partition("#")
    fragment = frag if hash_sign else None
    scheme = ""
    for i, c in enumerate(rest):
        if c.isascii() and c.isalpha():
            continue
        if c.isascii() and (c.isdigit() or c in "+-."):
            if i == 0:
                break
            continue
        if c == ":":
            if i == 0:
                raise GoURLError("missing protocol scheme")
            scheme, rest = rest[:i].lower(), rest[i + 1:]
        break
    force = False
    query = ""
    if rest.endswith("?") and rest.count("?") == 1:
        force, rest = True, rest[:-1]
    else:
        rest, _, query = rest.partition("?")
    authority: str | None = None
    if rest.startswith("//") and (scheme or not rest.startswith("///")):
        auth_and_path = rest[2:]
        slash = auth_and_path.find("/")
        authority, rest = (auth_and_path, "") if slash < 0 else (auth_and_path[:slash], auth_and_path[slash:])
        if any(c in authority for c in " <>\"{}|\\^`"):
            raise GoURLError(f"invalid character in host name {authority!r}")
    u = GoURL("", "", query, force)
    u.set_path(rest)
    return AbsoluteURL(scheme, authority, u, fragment)


# --------------------------------------------------------------------------------------------
# net/http: what the server accepts in a Host header

_BAD_HOST = re.compile(r"[^A-Za-z0-9!$%&'()*+,\-.:;=\[\]_~\x80-\U0010ffff]")


def valid_host_header(h: str) -> bool:
    """golang.org/x/net/http/httpguts `ValidHostHeader`: only the bytes a host, a port or an
    IP literal can hold (non-ASCII bytes are let through, as Go does)."""
    return _BAD_HOST.search(h) is None


def split_host_port(addr: str) -> tuple[str, str] | None:
    """Go net.SplitHostPort for the forms a Host header takes; None when it fails."""
    if addr.startswith("["):
        end = addr.find("]")
        if end < 0:
            return None
        host, rest = addr[1:end], addr[end + 1:]
        if not rest.startswith(":"):
            return None
        port = rest[1:]
        if ":" in port or "[" in port or "]" in port:
            return None
        return host, port
    i = addr.rfind(":")
    if i < 0:
        return None
    host, port = addr[:i], addr[i + 1:]
    if ":" in host or "[" in host or "]" in host or "]" in port or "[" in port:
        return None
    return host, port
