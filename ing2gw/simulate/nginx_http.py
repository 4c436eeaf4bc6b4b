"""What nginx does to a request before any ingress-nginx logic: Host validation, URI
normalisation, URI escaping towards the backend, and PCRE patterns in Python.

Strings that stand for raw bytes (a decoded URI may hold any byte) are Python `str` decoded as
latin-1, so one character is one byte: lengths and comparisons are byte-wise as in nginx.
"""

from __future__ import annotations

import re

_HEX = "0123456789abcdefABCDEF"
#: ngx_escape_uri(NGX_ESCAPE_URI): control bytes, space, '#', '%', '?', DEL and bytes >= 0x80.
_ESCAPE = frozenset(list(range(0x00, 0x21)) + [0x23, 0x25, 0x3F, 0x7F] + list(range(0x80, 0x100)))


class BadRequest(ValueError):
    """nginx answers 400 (invalid Host, or a URI nginx cannot parse or that leaves the root)."""


def to_bytes_str(text: str) -> str:
    """A configuration string (UTF-8) in the byte-per-character form used for matching."""
    return text if text.isascii() else text.encode("utf-8").decode("latin-1")


def from_bytes_str(text: str) -> str:
    """Back from the byte-per-character form to readable text (for messages and Location)."""
    if text.isascii():
        return text
    return text.encode("latin-1").decode("utf-8", errors="replace")


#: A Host header that needs no more than lower-casing and dropping ':port' / one trailing dot.
_PLAIN_HOST = re.compile(r"([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\.?(?::[0-9]*)?\Z")


def normalise_host(raw: str) -> str:
    """ngx_http_validate_host (C2): lower-case, drop ':port' and one trailing dot.

    Raises BadRequest for what nginx answers 400 to ('..', '/', NUL, control bytes, empty).
    """
    plain = _PLAIN_HOST.match(raw)
    if plain is not None:
        return plain.group(1).lower()
    host_len = len(raw)
    in_literal = False
    end = None
    prev_dot = -2
    for i, ch in enumerate(raw):
        if ch == ".":
            if prev_dot == i - 1:
                raise BadRequest(f"invalid Host {raw!r}: empty label")
            prev_dot = i
        elif ch == ":":
            if end is None and not in_literal:
                end = i
        elif ch == "[" and i == 0:
            in_literal = True
        elif ch == "]" and in_literal and end is None:
            end = i + 1
            in_literal = False
        elif ch == "/" or ch == "\0" or ord(ch) < 0x21 or ord(ch) == 0x7F:
            raise BadRequest(f"invalid Host {raw!r}")
    if end is not None:
        host_len = end
    host = raw[:host_len]
    if host.endswith("."):
        host = host[:-1]
    if not host:
        raise BadRequest(f"invalid Host {raw!r}: empty")
    return host.lower()


def normalise_uri(path: str) -> str:
    """nginx `$uri` from the raw path (D1): %XX decoded (a decoded '/' acts as '/', a decoded '%'
    stays literal), '//' merged, '/./' removed, '/../' resolved. Raises BadRequest for a bad
    escape or a path above the root. The result is in byte-per-character form."""
    if "%" not in path and "//" not in path and "/." not in path:
        return path  # fast path: nothing to normalise
    raw = path.encode("utf-8") if not path.isascii() else path.encode("ascii")
    out = bytearray()
    i, n = 0, len(raw)
    while i < n:
        b = raw[i]
        if b == 0x25:  # '%'
            h = raw[i + 1:i + 3].decode("latin-1")
            if len(h) != 2 or h[0] not in _HEX or h[1] not in _HEX:
                raise BadRequest(f"invalid %-escape in {path!r}")
            out.append(int(h, 16))
            i += 3
            continue
        out.append(b)
        i += 1
    segments: list[str] = []
    text = out.decode("latin-1")
    parts = text.split("/")
    # parts[0] is "" for a path starting with "/"
    for j, seg in enumerate(parts[1:], 1):
        last = j == len(parts) - 1
        if seg == "" and not last:
            continue  # merge_slashes
        if seg == ".":
            if last:
                segments.append("")
            continue
        if seg == "..":
            if not segments:
                raise BadRequest(f"path {path!r} goes above the root")
            segments.pop()
            if last:
                segments.append("")
            continue
        segments.append(seg)
    return "/" + "/".join(segments)


def escape_uri(uri: str) -> str:
    """ngx_escape_uri(NGX_ESCAPE_URI) of a byte-per-character URI (what a rewritten URI looks like
    on the wire towards the backend)."""
    if all(ord(c) not in _ESCAPE for c in uri):
        return uri
    return "".join(f"%{ord(c):02X}" if ord(c) in _ESCAPE else c for c in uri)


_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")
_ESCAPED_Z = re.compile(r"(?<!\\)((?:\\\\)*)\\z")


_META = frozenset("\\^$.|?*+()[]{}")


def literal_prefix(pattern: str) -> tuple[str, bool]:
    """The ASCII literal text a regex must start with (lower-cased), and whether the whole
    pattern is that literal. Used to skip regexes that cannot match before running them."""
    if "|" in pattern:
        return "", False  # an alternative may start anywhere (`^/a|/b` matches /x/b)
    out: list[str] = []
    for ch in pattern:
        if ch in _META or not ch.isascii():
            if ch in "?*{" and out:
                out.pop()  # the previous character may be optional or repeated
            return "".join(out).lower(), False
        out.append(ch)
    return "".join(out).lower(), True


def pcre_to_python(pattern: str) -> str:
    """Translate the PCRE features nginx configs commonly use into Python `re` syntax."""
    out = _NAMED_GROUP.sub("(?P<", pattern)
    return _ESCAPED_Z.sub(r"\1\\Z", out)


_VAR = re.compile(r"\$(?:(\d)|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def expand_replacement(template: str, match: "re.Match[str]") -> tuple[str, list[str]]:
    """An nginx `rewrite` replacement with $1..$9 and named captures filled in from `match`.

    Returns the text and the names of other nginx variables it uses (not modelled)."""
    unknown: list[str] = []

    def sub(m: "re.Match[str]") -> str:
        digit, braced, bare = m.groups()
        if digit is not None:
            idx = int(digit)
            if idx == 0:
                return match.group(0)
            return (match.group(idx) or "") if idx <= (match.re.groups or 0) else ""
        name = braced or bare
        if name in match.re.groupindex:
            return match.group(name) or ""
        unknown.append(name)
        return m.group(0)

    return _VAR.sub(sub, template), unknown
