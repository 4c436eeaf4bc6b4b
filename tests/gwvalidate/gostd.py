"""What the API server's Go code does with strings, redone in Python: durations
(time.ParseDuration), RFC 3339 timestamps, URLs (net/url.ParseRequestURI and Parse),
Kubernetes quantities (resource.ParseQuantity), IP addresses (net/netip), and the way
field errors print values (%q, %v, %#v).

Each function follows the Go behaviour its docstring names (read in the Go and Kubernetes
sources); only the parts the CRD rules and the API server's messages can reach are covered.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any


class GoError(ValueError):
    """A parse error, with the text Go would give."""


# --------------------------------------------------------------------------- time.ParseDuration
_UNITS_NS = {"ns": 1, "us": 1_000, "\u00b5s": 1_000, "\u03bcs": 1_000, "ms": 1_000_000,
             "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}
_DURATION_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")
MAX_INT64 = 2**63 - 1


def parse_go_duration(s: str) -> int:
    """Nanoseconds of a Go duration string ("1h30m", "1.5s", "-2ms", "0"), as time.ParseDuration.

    Raises GoError for what Go rejects: "", a number without unit, unknown units, overflow."""
    orig, neg = s, False
    if s[:1] in ("+", "-"):
        neg, s = s[0] == "-", s[1:]
    if s == "0":
        return 0
    if s == "":
        raise GoError(f"time: invalid duration {go_quote(orig)}")
    total = Fraction(0)
    while s:
        m = _DURATION_PART.match(s)
        assert m is not None  # the pattern matches the empty string
        whole, frac, unit = m.group(1), m.group(2), m.group(3)
        if not whole and not frac:
            raise GoError(f"time: invalid duration {go_quote(orig)}")
        if unit == "":
            raise GoError(f"time: missing unit in duration {go_quote(orig)}")
        if unit not in _UNITS_NS:
            raise GoError(f"time: unknown unit {go_quote(unit)} in duration {go_quote(orig)}")
        value = Fraction(int(whole or "0")) + (Fraction(int(frac), 10 ** len(frac)) if frac else 0)
        total += value * _UNITS_NS[unit]
        s = s[m.end():]
    ns = math.floor(total)  # Go truncates the fraction of a nanosecond
    if ns > MAX_INT64:
        raise GoError(f"time: invalid duration {go_quote(orig)}")
    return -ns if neg else ns


def format_go_duration(ns: int) -> str:
    """Go's Duration.String() ("1h30m0s", "1.5s", "0s") for messages and string()."""
    if ns == 0:
        return "0s"
    sign, ns = ("-" if ns < 0 else ""), abs(ns)
    if ns < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("\u00b5s", 1_000), ("ns", 1)):
            if ns >= size:
                return sign + _trim_fraction(Fraction(ns, size)) + unit
    h, rest = divmod(ns, 3_600_000_000_000)
    m, rest = divmod(rest, 60_000_000_000)
    out = (f"{h}h" if h else "") + (f"{m}m" if h or m else "")
    return sign + out + _trim_fraction(Fraction(rest, 1_000_000_000)) + "s"


def _trim_fraction(x: Fraction) -> str:
    whole = int(x)
    frac = x - whole
    if not frac:
        return str(whole)
    digits = f"{float(frac):.9f}"[2:].rstrip("0")
    return f"{whole}.{digits}"


# --------------------------------------------------------------------------- RFC 3339 timestamps
_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def parse_rfc3339(s: str) -> tuple[int, int]:
    """(seconds since the epoch, nanoseconds) of an RFC 3339 date-time, as time.Parse(RFC3339)."""
    m = _RFC3339.fullmatch(s)
    if not m:
        raise GoError(f"parsing time {go_quote(s)} as \"2006-01-02T15:04:05Z07:00\": cannot parse")
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    try:
        base = dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.timezone.utc)
    except ValueError as e:
        raise GoError(f"parsing time {go_quote(s)}: {e}") from e
    frac = m.group(7) or ""
    nanos = int((frac[1:] + "000000000")[:9]) if frac else 0
    zone = m.group(8)
    offset = 0 if zone in ("Z", "z") else (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return int(base.timestamp()) - offset, nanos


def parse_rfc3339_date(s: str) -> tuple[int, int]:
    """A full-date ("2024-01-31") as midnight UTC."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", s)
    if not m:
        raise GoError(f"parsing time {go_quote(s)} as \"2006-01-02\": cannot parse")
    try:
        d = dt.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=dt.timezone.utc)
    except ValueError as e:
        raise GoError(f"parsing time {go_quote(s)}: {e}") from e
    return int(d.timestamp()), 0


# --------------------------------------------------------------------------- net/url
@dataclass(frozen=True)
class GoURL:
    """The parts of a parsed URL that the Kubernetes CEL URL library exposes."""

    scheme: str = ""
    opaque: str = ""
    host: str = ""
    path: str = ""
    raw_path: str = ""
    raw_query: str = ""
    force_query: bool = False
    fragment: str = ""

    def hostname(self) -> str:
        """Host without port; IPv6 without brackets (URL.Hostname)."""
        return _split_host_port(self.host)[0]

    def port(self) -> str:
        """The numeric port, or "" (URL.Port)."""
        return _split_host_port(self.host)[1]

    def escaped_path(self) -> str:
        """URL.EscapedPath: RawPath when it is a valid encoding of Path, else Path escaped."""
        if self.raw_path and _valid_encoded(self.raw_path):
            try:
                if _unescape(self.raw_path, "path") == self.path:
                    return self.raw_path
            except GoError:
                pass
        if self.path == "*":
            return "*"
        return _escape(self.path, "path")

    def query(self) -> dict[str, list[str]]:
        """URL.Query(): the decoded query; malformed pairs are dropped."""
        out: dict[str, list[str]] = {}
        for part in self.raw_query.split("&") if self.raw_query else []:
            if ";" in part or part == "":
                continue
            key, _, value = part.partition("=")
            try:
                out.setdefault(_unescape(key, "query"), []).append(_unescape(value, "query"))
            except GoError:
                continue
        return out


def _split_host_port(host: str) -> tuple[str, str]:
    colon = host.rfind(":")
    hostname, port = host, ""
    if colon != -1 and re.fullmatch(r":[0-9]*", host[colon:]):
        hostname, port = host[:colon], host[colon + 1:]
    if hostname.startswith("[") and hostname.endswith("]"):
        hostname = hostname[1:-1]
    return hostname, port


def _is_hex(c: str) -> bool:
    return c in "0123456789abcdefABCDEF"


def _should_escape(c: str, mode: str) -> bool:
    """net/url shouldEscape for one ASCII character."""
    if c.isascii() and c.isalnum():
        return False
    if mode in ("host", "zone") and c in "!$&'()*+,;=:[]<>\"":
        return False
    if c in "-_.~":
        return False
    if c in "$&+,/:;=?@":
        return {"path": c == "?", "segment": c in "/;,?", "userinfo": c in "@/?:", "query": True,
                "fragment": False}.get(mode, True)
    if mode == "fragment" and c in "!()*":
        return False
    return True


def _unescape(s: str, mode: str) -> str:
    """net/url unescape: % must be followed by two hex digits; hosts allow %-escapes only for
    non-ASCII bytes (and %25); '+' is a space in queries."""
    b = s.encode()
    i, out = 0, bytearray()
    while i < len(b):
        c = chr(b[i])
        if c == "%":
            if i + 2 >= len(b) or not (_is_hex(chr(b[i + 1])) and _is_hex(chr(b[i + 2]))):
                raise GoError(f"invalid URL escape {go_quote(b[i:i + 3].decode(errors='replace'))}")
            v = int(b[i + 1:i + 3].decode(), 16)
            if mode == "host" and v < 0x80 and b[i:i + 3] != b"%25":
                raise GoError(f"invalid URL escape {go_quote(b[i:i + 3].decode())}")
            if mode == "zone" and b[i:i + 3] != b"%25" and v != 0x20 and v < 0x80 and _should_escape(chr(v), "host"):
                raise GoError(f"invalid URL escape {go_quote(b[i:i + 3].decode())}")
            out.append(v)
            i += 3
            continue
        if mode in ("host", "zone") and b[i] < 0x80 and _should_escape(c, mode):
            raise GoError(f"invalid character {go_quote(c)} in host name")
        out.append(0x20 if (c == "+" and mode == "query") else b[i])
        i += 1
    return out.decode("utf-8", errors="surrogateescape")


def _escape(s: str, mode: str) -> str:
    out = []
    for byte in s.encode("utf-8", errors="surrogateescape"):
        c = chr(byte)
        if byte < 0x80 and not _should_escape(c, mode):
            out.append(c)
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def _valid_encoded(s: str) -> bool:
    for c in s:
        if c in "!$&'()*+,;=:@[]%":
            continue
        if not c.isascii() or _should_escape(c, "path"):
            return False
    return True


def _get_scheme(raw: str) -> tuple[str, str]:
    for i, c in enumerate(raw):
        if c.isascii() and c.isalpha():
            continue
        if c.isascii() and (c.isdigit() or c in "+-."):
            if i == 0:
                return "", raw
            continue
        if c == ":":
            if i == 0:
                raise GoError("missing protocol scheme")
            return raw[:i], raw[i + 1:]
        return "", raw
    return "", raw


def _valid_port(port: str) -> bool:
    return port == "" or bool(re.fullmatch(r":[0-9]*", port))


def _parse_host(host: str) -> str:
    if host.startswith("["):
        close = host.rfind("]")
        if close < 0:
            raise GoError("missing ']' in host")
        colon_port = host[close + 1:]
        if not _valid_port(colon_port):
            raise GoError(f"invalid port {go_quote(colon_port)} after host")
        zone = host[:close].find("%25")
        if zone >= 0:
            return _unescape(host[:zone], "host") + _unescape(host[zone:close], "zone") + _unescape(host[close:], "host")
    else:
        colon = host.rfind(":")
        if colon != -1 and not _valid_port(host[colon:]):
            raise GoError(f"invalid port {go_quote(host[colon:])} after host")
    return _unescape(host, "host")


def _valid_userinfo(s: str) -> bool:
    return all((c.isascii() and c.isalnum()) or c in "-._:~!$&'()*+,;=%@" for c in s)


def _parse(raw: str, via_request: bool) -> GoURL:
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        raise GoError("net/url: invalid control character in URL")
    if raw == "" and via_request:
        raise GoError("empty url")
    if raw == "*":
        return GoURL(path="*")
    scheme, rest = _get_scheme(raw)
    scheme = scheme.lower()
    force_query, query = False, ""
    if rest.endswith("?") and rest.count("?") == 1:
        force_query, rest = True, rest[:-1]
    else:
        rest, _, query = rest.partition("?")
    if not rest.startswith("/"):
        if scheme:
            return GoURL(scheme=scheme, opaque=rest, raw_query=query, force_query=force_query)
        if via_request:
            raise GoError("invalid URI for request")
        if ":" in rest.partition("/")[0]:
            raise GoError("first path segment in URL cannot contain colon")
    host = ""
    if (scheme or (not via_request and not rest.startswith("///"))) and rest.startswith("//"):
        authority, slash, tail = rest[2:].partition("/")
        rest = slash + tail
        at = authority.rfind("@")
        host = _parse_host(authority[at + 1:] if at >= 0 else authority)
        if at >= 0:
            userinfo = authority[:at]
            if not _valid_userinfo(userinfo):
                raise GoError("net/url: invalid userinfo")
            for part in userinfo.split(":", 1):
                _unescape(part, "userinfo")
    path = _unescape(rest, "path")
    raw_path = "" if _escape(path, "path") == rest else rest
    return GoURL(scheme=scheme, host=host, path=path, raw_path=raw_path, raw_query=query, force_query=force_query)


def parse_request_uri(raw: str) -> GoURL:
    """net/url.ParseRequestURI: an absolute URI or an absolute path, no fragment split."""
    try:
        return _parse(raw, True)
    except GoError as e:
        raise GoError(f"parse {go_quote(raw)}: {e}") from None


def parse_url(raw: str) -> GoURL:
    """net/url.Parse: like ParseRequestURI but relative references allowed and #fragment cut."""
    u, _, frag = raw.partition("#")
    try:
        parsed = _parse(u, False)
        fragment = _unescape(frag, "fragment") if frag else ""
    except GoError as e:
        raise GoError(f"parse {go_quote(u)}: {e}") from None
    return GoURL(parsed.scheme, parsed.opaque, parsed.host, parsed.path, parsed.raw_path, parsed.raw_query,
                 parsed.force_query, fragment)


# --------------------------------------------------------------------------- resource.Quantity
QUANTITY_FORMAT_ERROR = ("quantities must match the regular expression "
                         "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix"
_BINARY_SI = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL_SI = {"n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 10**3), "": Fraction(1),
               "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9), "T": Fraction(10**12),
               "P": Fraction(10**15), "E": Fraction(10**18)}
_QUANTITY = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*)([+-]?[0-9]*)")


@dataclass(frozen=True, order=True)
class Quantity:
    """An exact Kubernetes quantity (the value only: the CEL library compares values)."""

    value: Fraction = field(default=Fraction(0))


def parse_quantity(s: str) -> Quantity:
    """resource.ParseQuantity: "100m", "1.5Gi", "2e3", "+4k"; raises GoError with its message."""
    m = _QUANTITY.fullmatch(s)
    if not s or not m or not (m.group(2) or m.group(3)):
        raise GoError(QUANTITY_FORMAT_ERROR)
    sign, whole, frac, letters, exp = m.groups()
    number = Fraction(int(whole or "0")) + (Fraction(int(frac), 10 ** len(frac)) if frac else 0)
    suffix = letters + exp
    if suffix in _BINARY_SI:
        scale: Fraction = Fraction(_BINARY_SI[suffix])
    elif suffix in _DECIMAL_SI:
        scale = _DECIMAL_SI[suffix]
    elif letters in ("e", "E") and re.fullmatch(r"[+-]?[0-9]+", exp):
        scale = Fraction(10) ** int(exp)
    else:
        raise GoError(QUANTITY_SUFFIX_ERROR)
    value = number * scale
    return Quantity(-value if sign == "-" else value)


# --------------------------------------------------------------------------- net/netip
def parse_ip(s: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The Kubernetes CEL ip()/isIP() rules: netip.ParseAddr (no leading zeros in IPv4), and
    neither zones nor IPv4-mapped IPv6 addresses."""
    try:
        addr = ipaddress.ip_address(s)
    except ValueError as e:
        raise GoError(f"IP Address {go_quote(s)} parse error during conversion from string: {e}") from None
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.scope_id is not None:
            raise GoError(f"IP address {go_quote(s)} with zone value is not allowed")
        if addr.ipv4_mapped is not None:
            raise GoError(f"IPv4-mapped IPv6 address {go_quote(s)} is not allowed")
    return addr


def parse_cidr(s: str) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    """netip.ParsePrefix as the CEL cidr() library uses it (the address keeps its host bits)."""
    addr, slash, bits = s.partition("/")
    if not slash or not re.fullmatch(r"[0-9]+", bits) or (len(bits) > 1 and bits[0] == "0"):
        raise GoError(f"network address parse error during conversion from string: netip.ParsePrefix({go_quote(s)}): "
                      "bad bits after slash")
    ip = parse_ip(addr)
    if int(bits) > ip.max_prefixlen:
        raise GoError(f"network address parse error during conversion from string: netip.ParsePrefix({go_quote(s)}): "
                      "prefix length out of range")
    return ipaddress.ip_interface(f"{addr}/{bits}")


# --------------------------------------------------------------------------- printing values like Go
def go_quote(s: str) -> str:
    """strconv.Quote / %q: double quotes, Go escapes, printable Unicode kept as is."""
    out = ['"']
    for c in s:
        o = ord(c)
        if c in ('"', "\\"):
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\x{o:02x}")
        elif not c.isprintable():
            out.append(f"\\u{o:04x}" if o <= 0xFFFF else f"\\U{o:08x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def go_float(f: float) -> str:
    """%v of a float64 (strconv 'g' with the shortest representation, exponent from 1e21)."""
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if math.isnan(f):
        return "NaN"
    if f == int(f) and abs(f) < 1e21:
        return str(int(f))
    r = repr(f)
    if "e" in r:
        mant, exp = r.split("e")
        return f"{mant}e{'-' if exp.startswith('-') else '+'}{abs(int(exp)):02d}"
    return r


def go_value(v: Any) -> str:
    """How a field error prints a value it holds: %q for strings, %v for numbers and booleans,
    %#v for maps and lists (as decoded from JSON: map[string]interface {}, []interface {})."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, str):
        return go_quote(v)
    return _go_sharp(v)


def _go_sharp(v: Any) -> str:
    if isinstance(v, dict):
        items = ", ".join(f"{go_quote(k)}:{_go_sharp(v[k])}" for k in sorted(v))
        return "map[string]interface {}{" + items + "}"
    if isinstance(v, list):
        return "[]interface {}{" + ", ".join(_go_sharp(x) for x in v) + "}"
    if isinstance(v, str):
        return go_quote(v)
    if v is None:
        return "interface {}(nil)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    return json.dumps(v, default=str)
