"""The functions a CRD validation rule can call on a Kubernetes API server: CEL's standard
functions, the strings extension, and the Kubernetes libraries (lists, regex, URLs, IPs and
CIDRs, quantities, named formats, optionals, sets).

Sources of the behaviour: the CEL language definition (cel-spec langdef.md), cel-go's ext
package (strings), and k8s.io/apiserver/pkg/cel/library (lists.go, regex.go, urls.go, ip.go,
cidr.go, quantity.go, format.go). GLOBALS and METHODS map a name to its accepted argument
counts (without the receiver) and its implementation; a name not listed makes the rule
"unevaluated" at compile time, so nothing unknown is ever called.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import re
from fractions import Fraction
from typing import Any, Callable

import re2  # type: ignore[import-untyped]  # RE2: the regular expressions of Go and of the API server

from . import gostd
from .celtypes import (CIDR, IP, NONE, URL, Broken, CelError, CelType, Duration, Format, Optional,
                       QuantityValue, Timestamp, UInt, Unsupported, cel_compare, cel_equal, check_int,
                       check_uint, is_number, map_lookup, no_overload, type_name)

Fn = Callable[..., Any]

_REGEX_CACHE: dict[str, Any] = {}


def compile_regex(pattern: str) -> Any:
    """An RE2 program (cached); an invalid pattern is a CEL error, as in cel-go's matches()."""
    rx = _REGEX_CACHE.get(pattern)
    if rx is None:
        try:
            rx = re2.compile(pattern)
        except re2.error as e:
            raise CelError(f"error parsing regexp: {e}") from None
        _REGEX_CACHE[pattern] = rx
    return rx


def _str(name: str, *args: Any) -> None:
    if not all(isinstance(a, str) for a in args):
        raise no_overload(name, *args)


def _int_arg(name: str, v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or isinstance(v, UInt):
        raise no_overload(name, v)
    return v


# --------------------------------------------------------------------------- standard library
def f_size(x: Any) -> int:
    if isinstance(x, (str, bytes, list, dict)):
        return len(x)
    raise no_overload("size", x)


def f_contains(s: Any, sub: Any) -> bool:
    _str("contains", s, sub)
    return bool(sub in s)


def f_starts(s: Any, p: Any) -> bool:
    _str("startsWith", s, p)
    return bool(s.startswith(p))


def f_ends(s: Any, p: Any) -> bool:
    _str("endsWith", s, p)
    return bool(s.endswith(p))


def f_matches(s: Any, pattern: Any) -> bool:
    """RE2, unanchored (a match anywhere), as Go's regexp.MatchString."""
    _str("matches", s, pattern)
    return compile_regex(pattern).search(s) is not None


_GO_INT = re.compile(r"[+-]?[0-9]+")
_GO_FLOAT = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[iI]nf(?:inity)?|NaN)", re.I)


def f_int(x: Any) -> int:
    if isinstance(x, bool):
        raise no_overload("int", x)
    if isinstance(x, int):
        return check_int(int(x))
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x) or not -(2.0**63) <= x < 2.0**63:
            raise CelError("range error converting double to int")
        return int(x)
    if isinstance(x, str):
        if not _GO_INT.fullmatch(x):
            raise CelError(f"cannot convert string {x!r} to int")
        return check_int(int(x))
    if isinstance(x, Timestamp):
        return x.seconds
    raise no_overload("int", x)


def f_uint(x: Any) -> UInt:
    if isinstance(x, bool):
        raise no_overload("uint", x)
    if isinstance(x, int):
        return check_uint(int(x))
    if isinstance(x, float):
        if math.isnan(x) or not 0 <= x < 2.0**64:
            raise CelError("range error converting double to uint")
        return UInt(int(x))
    if isinstance(x, str):
        if not re.fullmatch(r"\+?[0-9]+", x):
            raise CelError(f"cannot convert string {x!r} to uint")
        return check_uint(int(x))
    raise no_overload("uint", x)


def f_double(x: Any) -> float:
    if isinstance(x, bool):
        raise no_overload("double", x)
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, str):
        if not _GO_FLOAT.fullmatch(x):
            raise CelError(f"cannot convert string {x!r} to double")
        return float(x)
    raise no_overload("double", x)


def f_string(x: Any) -> str:
    if isinstance(x, str):
        return x
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(int(x))
    if isinstance(x, float):
        return gostd.go_float(x)
    if isinstance(x, bytes):
        try:
            return x.decode("utf-8")
        except UnicodeDecodeError:
            raise CelError("invalid UTF-8 in bytes, cannot convert to string") from None
    if isinstance(x, Duration):
        return gostd.go_float(x.ns / 1e9) + "s"
    if isinstance(x, IP):
        return str(x.addr)
    if isinstance(x, CIDR):
        return f"{x.prefix.ip}/{x.prefix.network.prefixlen}"
    raise no_overload("string", x)


def f_bytes(x: Any) -> bytes:
    if isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode()
    raise no_overload("bytes", x)


def f_bool(x: Any) -> bool:
    if isinstance(x, bool):
        return x
    if isinstance(x, str):
        if x in ("1", "t", "T", "TRUE", "true", "True"):
            return True
        if x in ("0", "f", "F", "FALSE", "false", "False"):
            return False
        raise CelError("type conversion error from 'string' to 'bool'")
    raise no_overload("bool", x)


def f_duration(x: Any) -> Duration:
    if isinstance(x, Duration):
        return x
    _str("duration", x)
    try:
        ns = gostd.parse_go_duration(x)
    except gostd.GoError as e:
        raise CelError(str(e)) from None
    if abs(ns) > 315_576_000_000 * 10**9:
        raise CelError("duration out of range")
    return Duration(ns)


def f_timestamp(x: Any) -> Timestamp:
    if isinstance(x, Timestamp):
        return x
    _str("timestamp", x)
    try:
        return Timestamp(*gostd.parse_rfc3339(x))
    except gostd.GoError as e:
        raise CelError(str(e)) from None


def f_type(x: Any) -> CelType:
    return CelType(type_name(x))


# --------------------------------------------------------------------------- strings extension
def _index(name: str, s: str, i: Any, allow_end: bool = True) -> int:
    n = _int_arg(name, i)
    if n < 0 or n > len(s) or (n == len(s) and not allow_end):
        raise CelError(f"index out of range: {n}")
    return n


def f_char_at(s: Any, i: Any) -> str:
    _str("charAt", s)
    i = _index("charAt", s, i)
    return str(s[i:i + 1])


def f_index_of(x: Any, sub: Any, offset: Any = 0) -> int:
    if isinstance(x, list):
        return f_list_index_of(x, sub)
    _str("indexOf", x, sub)
    start = _index("indexOf", x, offset)
    return int(x.find(sub, start))


def f_last_index_of(x: Any, sub: Any, offset: Any = None) -> int:
    if isinstance(x, list):
        return f_list_last_index_of(x, sub)
    _str("lastIndexOf", x, sub)
    if offset is None:
        return int(x.rfind(sub))
    end = _index("lastIndexOf", x, offset)
    return int(x.rfind(sub, 0, end + len(sub)))


_ASCII_UPPER = {c: c + 32 for c in range(65, 91)}
_ASCII_LOWER = {c + 32: c for c in range(65, 91)}


def f_lower_ascii(s: Any) -> str:
    _str("lowerAscii", s)
    return str(s.translate(_ASCII_UPPER))


def f_upper_ascii(s: Any) -> str:
    _str("upperAscii", s)
    return str(s.translate(_ASCII_LOWER))


def f_replace(s: Any, old: Any, new: Any, n: Any = -1) -> str:
    _str("replace", s, old, new)
    n = _int_arg("replace", n)
    return str(s.replace(old, new, n if n >= 0 else -1))


def f_split(s: Any, sep: Any, n: Any = -1) -> list[str]:
    """Go's strings.SplitN: n == 0 gives [], n < 0 splits everywhere, "" splits into runes."""
    _str("split", s, sep)
    n = _int_arg("split", n)
    if n == 0:
        return []
    if sep == "":
        parts = list(s)
        if 0 < n < len(parts):
            parts = parts[:n - 1] + ["".join(parts[n - 1:])]
        return parts
    return list(s.split(sep, n - 1 if n > 0 else -1))


def f_substring(s: Any, start: Any, end: Any = None) -> str:
    _str("substring", s)
    start = _int_arg("substring", start)
    stop = len(s) if end is None else _int_arg("substring", end)
    if start < 0 or start > len(s):
        raise CelError(f"index out of range: {start}")
    if stop < 0 or stop > len(s):
        raise CelError(f"index out of range: {stop}")
    if start > stop:
        raise CelError(f"invalid substring range. start: {start}, end: {stop}")
    return str(s[start:stop])


def f_trim(s: Any) -> str:
    _str("trim", s)
    return str(s.strip())


def f_join(items: Any, sep: Any = "") -> str:
    if not isinstance(items, list) or not all(isinstance(x, str) for x in items) or not isinstance(sep, str):
        raise no_overload("join", items, sep)
    return sep.join(items)


def f_reverse(s: Any) -> str:
    _str("reverse", s)
    return str(s[::-1])


# --------------------------------------------------------------------------- Kubernetes lists
def _list(name: str, x: Any) -> list[Any]:
    if not isinstance(x, list):
        raise no_overload(name, x)
    return x


def f_is_sorted(x: Any) -> bool:
    items = _list("isSorted", x)
    return all(cel_compare("isSorted", a, b) <= 0 for a, b in zip(items, items[1:]))


def f_sum(x: Any) -> Any:
    items = _list("sum", x)
    if not items:
        return 0
    total = items[0]
    for v in items[1:]:
        total = add(total, v)
    return total


def f_min(x: Any) -> Any:
    items = _list("min", x)
    if not items:
        raise CelError("min called on empty list")
    best = items[0]
    for v in items[1:]:
        if cel_compare("min", v, best) == -1:
            best = v
    return best


def f_max(x: Any) -> Any:
    items = _list("max", x)
    if not items:
        raise CelError("max called on empty list")
    best = items[0]
    for v in items[1:]:
        if cel_compare("max", v, best) == 1:
            best = v
    return best


def f_list_index_of(x: list[Any], v: Any) -> int:
    return next((i for i, item in enumerate(x) if cel_equal(item, v)), -1)


def f_list_last_index_of(x: list[Any], v: Any) -> int:
    return next((i for i in range(len(x) - 1, -1, -1) if cel_equal(x[i], v)), -1)


# --------------------------------------------------------------------------- Kubernetes regex
def f_find(s: Any, pattern: Any) -> str:
    _str("find", s, pattern)
    m = compile_regex(pattern).search(s)
    return str(m.group(0)) if m else ""


def f_find_all(s: Any, pattern: Any, n: Any = -1) -> list[str]:
    _str("findAll", s, pattern)
    n = _int_arg("findAll", n)
    found = [m.group(0) for m in compile_regex(pattern).finditer(s)]
    return found if n < 0 else found[:n]


# --------------------------------------------------------------------------- Kubernetes URLs
def f_url(s: Any) -> URL:
    _str("url", s)
    try:
        gostd.parse_request_uri(s)
        return URL(gostd.parse_url(s))
    except gostd.GoError as e:
        raise CelError(f"URL parse error during conversion from string: {e}") from None


def f_is_url(s: Any) -> bool:
    _str("isURL", s)
    try:
        gostd.parse_request_uri(s)
    except gostd.GoError:
        return False
    return True


def _url_getter(name: str, get: Callable[[gostd.GoURL], Any]) -> Fn:
    def run(u: Any) -> Any:
        if not isinstance(u, URL):
            raise no_overload(name, u)
        return get(u.url)
    return run


# --------------------------------------------------------------------------- Kubernetes IP and CIDR
def f_ip(x: Any) -> IP:
    if isinstance(x, CIDR):
        return IP(x.prefix.ip)
    _str("ip", x)
    try:
        return IP(gostd.parse_ip(x))
    except gostd.GoError as e:
        raise CelError(str(e)) from None


def f_is_ip(s: Any) -> bool:
    _str("isIP", s)
    try:
        gostd.parse_ip(s)
    except gostd.GoError:
        return False
    return True


def f_ip_is_canonical(s: Any) -> bool:
    return bool(str(f_ip(s).addr) == s)


def _ip_pred(name: str, pred: Callable[[ipaddress.IPv4Address | ipaddress.IPv6Address], bool]) -> Fn:
    def run(x: Any) -> bool:
        if not isinstance(x, IP):
            raise no_overload(name, x)
        return pred(x.addr)
    return run


def _global_unicast(a: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Go's netip.Addr.IsGlobalUnicast (private ranges count as global)."""
    if a.version == 4 and str(a) == "255.255.255.255":
        return False
    return not (a.is_unspecified or a.is_loopback or a.is_multicast or _link_local_unicast(a))


def _link_local_unicast(a: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    net = "169.254.0.0/16" if a.version == 4 else "fe80::/10"
    return a in ipaddress.ip_network(net)


def _link_local_multicast(a: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if a.version == 4:
        return a in ipaddress.ip_network("224.0.0.0/24")
    return (int(a) >> 112) & 0xFF0F == 0xFF02


def f_cidr(s: Any) -> CIDR:
    _str("cidr", s)
    try:
        return CIDR(gostd.parse_cidr(s))
    except gostd.GoError as e:
        raise CelError(str(e)) from None


def f_is_cidr(s: Any) -> bool:
    _str("isCIDR", s)
    try:
        gostd.parse_cidr(s)
    except gostd.GoError:
        return False
    return True


def f_contains_ip(c: Any, x: Any) -> bool:
    if not isinstance(c, CIDR):
        raise no_overload("containsIP", c, x)
    ip = f_ip(x) if isinstance(x, str) else x
    if not isinstance(ip, IP):
        raise no_overload("containsIP", c, x)
    return ip.addr.version == c.prefix.version and ip.addr in c.prefix.network


def f_contains_cidr(c: Any, x: Any) -> bool:
    if not isinstance(c, CIDR):
        raise no_overload("containsCIDR", c, x)
    other = f_cidr(x) if isinstance(x, str) else x
    if not isinstance(other, CIDR):
        raise no_overload("containsCIDR", c, x)
    return (other.prefix.version == c.prefix.version
            and other.prefix.network.prefixlen >= c.prefix.network.prefixlen
            and other.prefix.ip in c.prefix.network)


def f_masked(c: Any) -> CIDR:
    if not isinstance(c, CIDR):
        raise no_overload("masked", c)
    return CIDR(ipaddress.ip_interface(str(c.prefix.network)))


def f_prefix_length(c: Any) -> int:
    if not isinstance(c, CIDR):
        raise no_overload("prefixLength", c)
    return int(c.prefix.network.prefixlen)


# --------------------------------------------------------------------------- Kubernetes quantities
def f_quantity(s: Any) -> QuantityValue:
    _str("quantity", s)
    try:
        return QuantityValue(gostd.parse_quantity(s))
    except gostd.GoError as e:
        raise CelError(str(e)) from None


def f_is_quantity(s: Any) -> bool:
    _str("isQuantity", s)
    try:
        gostd.parse_quantity(s)
    except gostd.GoError:
        return False
    return True


def _q(name: str, *xs: Any) -> list[Fraction]:
    if not all(isinstance(x, QuantityValue) for x in xs):
        raise no_overload(name, *xs)
    return [x.q.value for x in xs]


def _q_or_int(name: str, x: Any) -> Fraction:
    if isinstance(x, QuantityValue):
        return x.q.value
    return Fraction(_int_arg(name, x))


def f_q_sign(x: Any) -> int:
    (v,) = _q("sign", x)
    return (v > 0) - (v < 0)


def f_q_is_integer(x: Any) -> bool:
    (v,) = _q("isInteger", x)
    return v.denominator == 1 and -(2**63) <= v <= 2**63 - 1


def f_q_as_integer(x: Any) -> int:
    if not f_q_is_integer(x):
        raise CelError("cannot convert value to integer")
    return int(_q("asInteger", x)[0])


def _q_result(v: Fraction) -> QuantityValue:
    return QuantityValue(gostd.Quantity(v))


# --------------------------------------------------------------------------- Kubernetes formats
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_LABEL_KEY_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    ex = ",  or ".join(f"'{e}'" for e in examples)
    return f"{msg} (e.g. {ex}, regex used for validation is '{fmt}')"


def dns1123_label_errors(s: str) -> list[str]:
    """validation.IsDNS1123Label's messages (apimachinery/pkg/util/validation)."""
    errs = []
    if len(s) > 63:
        errs.append("must be no more than 63 characters")
    if not _DNS1123_LABEL.fullmatch(s):
        if _DNS1123_SUBDOMAIN.fullmatch(s):
            errs.append("must not contain dots")
        else:
            errs.append(_regex_error("a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
                                     "or '-', and must start and end with an alphanumeric character",
                                     "[a-z0-9]([-a-z0-9]*[a-z0-9])?", "my-name", "123-abc"))
    return errs


def dns1123_subdomain_errors(s: str) -> list[str]:
    """validation.IsDNS1123Subdomain's messages."""
    errs = []
    if len(s) > 253:
        errs.append("must be no more than 253 characters")
    if not _DNS1123_SUBDOMAIN.fullmatch(s):
        errs.append(_regex_error("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                                 "'-' or '.', and must start and end with an alphanumeric character",
                                 "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", "example.com"))
    return errs


def dns1035_label_errors(s: str) -> list[str]:
    errs = []
    if len(s) > 63:
        errs.append("must be no more than 63 characters")
    if not _DNS1035_LABEL.fullmatch(s):
        errs.append(_regex_error("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
                                 "with an alphabetic character, and end with an alphanumeric character",
                                 "[a-z]([-a-z0-9]*[a-z0-9])?", "my-name", "abc-123"))
    return errs


def qualified_name_errors(s: str) -> list[str]:
    """content.IsLabelKey's messages (a 'qualified name': [DNS subdomain prefix/]name)."""
    key_fmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    key_msg = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
               "alphanumeric character")
    parts = s.split("/")
    errs: list[str] = []
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs += ["prefix part " + m for m in dns1123_subdomain_errors(prefix)]
    else:
        return ["a valid label key " + _regex_error(key_msg, key_fmt, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part must be no more than 63 characters")
    if not _LABEL_KEY_NAME.fullmatch(name):
        errs.append("name part " + _regex_error(key_msg, key_fmt, "MyName", "my.name", "123-abc"))
    return errs


def label_value_errors(s: str) -> list[str]:
    """content.IsLabelValue's messages."""
    errs = []
    if len(s) > 63:
        errs.append("must be no more than 63 characters")
    if s and not _LABEL_KEY_NAME.fullmatch(s):
        errs.append(_regex_error("a valid label must be an empty string or consist of alphanumeric characters, '-', "
                                 "'_' or '.', and must start and end with an alphanumeric character",
                                 "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", "MyValue", "my_value", "12345"))
    return errs


def _mask_trailing_dash(s: str) -> str:
    return s[:-1] + "a" if len(s) > 1 and s.endswith("-") else s


def _uri_errors(s: str) -> list[str]:
    try:
        gostd.parse_request_uri(s)
    except gostd.GoError as e:
        return [str(e)]
    return []


def _byte_errors(s: str) -> list[str]:
    try:
        base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        return ["invalid base64"]
    return []


def _date_errors(s: str) -> list[str]:
    try:
        gostd.parse_rfc3339_date(s)
    except gostd.GoError:
        return ["invalid date"]
    return []


def _datetime_errors(s: str) -> list[str]:
    try:
        gostd.parse_rfc3339(s)
    except gostd.GoError:
        return ["invalid datetime"]
    return []


FORMATS: dict[str, Callable[[str], list[str]]] = {
    "dns1123Label": dns1123_label_errors,
    "dns1123Subdomain": dns1123_subdomain_errors,
    "dns1035Label": dns1035_label_errors,
    "qualifiedName": qualified_name_errors,
    "dns1123LabelPrefix": lambda s: dns1123_label_errors(_mask_trailing_dash(s)),
    "dns1123SubdomainPrefix": lambda s: dns1123_subdomain_errors(_mask_trailing_dash(s)),
    "dns1035LabelPrefix": lambda s: dns1035_label_errors(_mask_trailing_dash(s)),
    "labelValue": label_value_errors,
    "uri": _uri_errors,
    "uuid": lambda s: [] if re.fullmatch(r"(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", s)
    else ["does not match the UUID format"],
    "byte": _byte_errors,
    "date": _date_errors,
    "datetime": _datetime_errors,
}


def f_validate(fmt: Any, s: Any) -> Optional:
    """<Format>.validate(s): optional.none() when valid, else optional.of(list of messages)."""
    if not isinstance(fmt, Format) or not isinstance(s, str):
        raise no_overload("validate", fmt, s)
    errs = fmt.check(s)
    return Optional(True, errs) if errs else NONE


def f_format_named(name: Any) -> Optional:
    _str("format.named", name)
    return Optional(True, Format(name, FORMATS[name])) if name in FORMATS else NONE


# --------------------------------------------------------------------------- optionals and sets
def f_of_non_zero(x: Any) -> Optional:
    zero = x is None or x is False or (is_number(x) and x == 0) or (isinstance(x, (str, bytes, list, dict)) and not x)
    return NONE if zero else Optional(True, x)


def _opt(name: str, o: Any) -> Optional:
    if not isinstance(o, Optional):
        raise no_overload(name, o)
    return o


def f_opt_value(o: Any) -> Any:
    o = _opt("value", o)
    if not o.present:
        raise CelError("optional.none() dereference")
    return o.value


def f_opt_or(o: Any, other: Any) -> Optional:
    o = _opt("or", o)
    return o if o.present else _opt("or", other)


def f_sets_contains(a: Any, b: Any) -> bool:
    _list("sets.contains", a)
    return all(any(cel_equal(x, y) for y in a) for x in _list("sets.contains", b))


def f_sets_intersects(a: Any, b: Any) -> bool:
    _list("sets.intersects", a)
    return any(any(cel_equal(x, y) for y in a) for x in _list("sets.intersects", b))


# --------------------------------------------------------------------------- arithmetic (used by sum and the evaluator)
def add(a: Any, b: Any) -> Any:
    if isinstance(a, bool) or isinstance(b, bool):
        raise no_overload("_+_", a, b)
    if isinstance(a, UInt) and isinstance(b, UInt):
        return check_uint(a + b)
    if isinstance(a, int) and isinstance(b, int) and not isinstance(a, UInt) and not isinstance(b, UInt):
        return check_int(a + b)
    if isinstance(a, float) and isinstance(b, float):
        return a + b
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    if isinstance(a, bytes) and isinstance(b, bytes):
        return a + b
    if isinstance(a, list) and isinstance(b, list):
        return a + b
    if isinstance(a, Duration) and isinstance(b, Duration):
        return Duration(check_int(a.ns + b.ns))
    if isinstance(a, Timestamp) and isinstance(b, Duration):
        return _ts_plus(a, b.ns)
    if isinstance(a, Duration) and isinstance(b, Timestamp):
        return _ts_plus(b, a.ns)
    raise no_overload("_+_", a, b)


def _ts_plus(t: Timestamp, ns: int) -> Timestamp:
    total = t.seconds * 10**9 + t.nanos + ns
    return Timestamp(total // 10**9, total % 10**9)


def subtract(a: Any, b: Any) -> Any:
    if isinstance(a, bool) or isinstance(b, bool):
        raise no_overload("_-_", a, b)
    if isinstance(a, UInt) and isinstance(b, UInt):
        return check_uint(a - b)
    if isinstance(a, int) and isinstance(b, int) and not isinstance(a, UInt) and not isinstance(b, UInt):
        return check_int(a - b)
    if isinstance(a, float) and isinstance(b, float):
        return a - b
    if isinstance(a, Duration) and isinstance(b, Duration):
        return Duration(check_int(a.ns - b.ns))
    if isinstance(a, Timestamp) and isinstance(b, Duration):
        return _ts_plus(a, -b.ns)
    if isinstance(a, Timestamp) and isinstance(b, Timestamp):
        return Duration(check_int((a.seconds - b.seconds) * 10**9 + a.nanos - b.nanos))
    raise no_overload("_-_", a, b)


def _same_ints(op: str, a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        raise no_overload(op, a, b)
    both_int = isinstance(a, int) and isinstance(b, int)
    if both_int and isinstance(a, UInt) != isinstance(b, UInt):
        raise no_overload(op, a, b)
    return both_int


def multiply(a: Any, b: Any) -> Any:
    if _same_ints("_*_", a, b):
        return check_uint(a * b) if isinstance(a, UInt) else check_int(a * b)
    if isinstance(a, float) and isinstance(b, float):
        return a * b
    raise no_overload("_*_", a, b)


def divide(a: Any, b: Any) -> Any:
    if _same_ints("_/_", a, b):
        if b == 0:
            raise CelError("division by zero")
        q = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)  # Go truncates toward zero
        return check_uint(q) if isinstance(a, UInt) else check_int(q)
    if isinstance(a, float) and isinstance(b, float):
        if b == 0:
            return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * math.copysign(1, b)
        return a / b
    raise no_overload("_/_", a, b)


def modulo(a: Any, b: Any) -> Any:
    if _same_ints("_%_", a, b):
        if b == 0:
            raise CelError("modulus by zero")
        r = abs(a) % abs(b) * (1 if a >= 0 else -1)  # Go: the sign of the dividend
        return UInt(r) if isinstance(a, UInt) else r
    raise no_overload("_%_", a, b)


def negate(a: Any) -> Any:
    if isinstance(a, bool) or isinstance(a, UInt):
        raise no_overload("-_", a)
    if isinstance(a, int):
        return check_int(-a)
    if isinstance(a, float):
        return -a
    if isinstance(a, Duration):
        return Duration(check_int(-a.ns))
    raise no_overload("-_", a)


def contained_in(item: Any, container: Any) -> bool:
    """`item in container`: list membership by equality, map key presence."""
    if isinstance(container, list):
        return any(cel_equal(item, v) for v in container)
    if isinstance(container, dict):
        return map_lookup(container, item)[0]
    raise no_overload("@in", item, container)


# --------------------------------------------------------------------------- time getters
def _time_getter(name: str, unit_ns: int) -> Fn:
    def run(x: Any, tz: Any = None) -> int:
        if isinstance(x, Duration) and tz is None:
            return int(x.ns / unit_ns)  # truncated toward zero, like Go's Duration.Hours() to int
        if isinstance(x, Timestamp):
            raise Unsupported(f"{name}() on timestamps")
        raise no_overload(name, x)
    return run


# --------------------------------------------------------------------------- the tables
def _unsupported(name: str) -> Fn:
    def run(*_: Any) -> Any:
        raise Unsupported(f"{name}() is not implemented")
    return run


GLOBALS: dict[str, tuple[set[int], Fn]] = {
    "size": ({1}, f_size), "int": ({1}, f_int), "uint": ({1}, f_uint), "double": ({1}, f_double),
    "string": ({1}, f_string), "bytes": ({1}, f_bytes), "bool": ({1}, f_bool), "duration": ({1}, f_duration),
    "timestamp": ({1}, f_timestamp), "type": ({1}, f_type), "dyn": ({1}, lambda x: x),
    "matches": ({2}, f_matches),
    "url": ({1}, f_url), "isURL": ({1}, f_is_url),
    "ip": ({1}, f_ip), "isIP": ({1}, f_is_ip), "ip.isCanonical": ({1}, f_ip_is_canonical),
    "cidr": ({1}, f_cidr), "isCIDR": ({1}, f_is_cidr),
    "quantity": ({1}, f_quantity), "isQuantity": ({1}, f_is_quantity), "sign": ({1}, f_q_sign),
    "format.named": ({1}, f_format_named),
    **{f"format.{n}": ({0}, (lambda n=n: Format(n, FORMATS[n]))) for n in FORMATS},
    "optional.of": ({1}, lambda x: Optional(True, x)), "optional.none": ({0}, lambda: NONE),
    "optional.ofNonZeroValue": ({1}, f_of_non_zero),
    "sets.contains": ({2}, f_sets_contains), "sets.intersects": ({2}, f_sets_intersects),
    "sets.equivalent": ({2}, lambda a, b: f_sets_contains(a, b) and f_sets_contains(b, a)),
}

METHODS: dict[str, tuple[set[int], Fn]] = {
    "size": ({0}, f_size), "contains": ({1}, f_contains), "startsWith": ({1}, f_starts),
    "endsWith": ({1}, f_ends), "matches": ({1}, f_matches),
    "charAt": ({1}, f_char_at), "indexOf": ({1, 2}, f_index_of), "lastIndexOf": ({1, 2}, f_last_index_of),
    "lowerAscii": ({0}, f_lower_ascii), "upperAscii": ({0}, f_upper_ascii), "replace": ({2, 3}, f_replace),
    "split": ({1, 2}, f_split), "substring": ({1, 2}, f_substring), "trim": ({0}, f_trim),
    "join": ({0, 1}, f_join), "reverse": ({0}, f_reverse),
    "isSorted": ({0}, f_is_sorted), "sum": ({0}, f_sum), "min": ({0}, f_min), "max": ({0}, f_max),
    "find": ({1}, f_find), "findAll": ({1, 2}, f_find_all),
    "getScheme": ({0}, _url_getter("getScheme", lambda u: u.scheme)),
    "getHost": ({0}, _url_getter("getHost", lambda u: u.host)),
    "getHostname": ({0}, _url_getter("getHostname", lambda u: u.hostname())),
    "getPort": ({0}, _url_getter("getPort", lambda u: u.port())),
    "getEscapedPath": ({0}, _url_getter("getEscapedPath", lambda u: u.escaped_path())),
    "getQuery": ({0}, _url_getter("getQuery", lambda u: u.query())),
    "family": ({0}, lambda x: _ip_pred("family", lambda a: True)(x) and x.addr.version),
    "isUnspecified": ({0}, _ip_pred("isUnspecified", lambda a: a.is_unspecified)),
    "isLoopback": ({0}, _ip_pred("isLoopback", lambda a: a.is_loopback)),
    "isLinkLocalMulticast": ({0}, _ip_pred("isLinkLocalMulticast", _link_local_multicast)),
    "isLinkLocalUnicast": ({0}, _ip_pred("isLinkLocalUnicast", _link_local_unicast)),
    "isGlobalUnicast": ({0}, _ip_pred("isGlobalUnicast", _global_unicast)),
    "containsIP": ({1}, f_contains_ip), "containsCIDR": ({1}, f_contains_cidr), "ip": ({0}, f_ip),
    "masked": ({0}, f_masked), "prefixLength": ({0}, f_prefix_length),
    "sign": ({0}, f_q_sign),
    "isGreaterThan": ({1}, lambda a, b: (lambda v: v[0] > v[1])(_q("isGreaterThan", a, b))),
    "isLessThan": ({1}, lambda a, b: (lambda v: v[0] < v[1])(_q("isLessThan", a, b))),
    "compareTo": ({1}, lambda a, b: (lambda v: (v[0] > v[1]) - (v[0] < v[1]))(_q("compareTo", a, b))),
    "add": ({1}, lambda a, b: _q_result(_q("add", a)[0] + _q_or_int("add", b))),
    "sub": ({1}, lambda a, b: _q_result(_q("sub", a)[0] - _q_or_int("sub", b))),
    "mul": ({1}, lambda a, b: _q_result(_q("mul", a)[0] * _int_arg("mul", b))),
    "asInteger": ({0}, f_q_as_integer), "isInteger": ({0}, f_q_is_integer),
    "asApproximateFloat": ({0}, lambda a: float(_q("asApproximateFloat", a)[0])),
    "validate": ({1}, f_validate),
    "hasValue": ({0}, lambda o: _opt("hasValue", o).present), "value": ({0}, f_opt_value),
    "orValue": ({1}, lambda o, d: (lambda x: x.value if x.present else d)(_opt("orValue", o))),
    "or": ({1}, f_opt_or),
    "getHours": ({0, 1}, _time_getter("getHours", 3_600_000_000_000)),
    "getMinutes": ({0, 1}, _time_getter("getMinutes", 60_000_000_000)),
    "getSeconds": ({0, 1}, _time_getter("getSeconds", 1_000_000_000)),
    "getMilliseconds": ({0, 1}, _time_getter("getMilliseconds", 1_000_000)),
    **{n: ({0, 1}, _unsupported(n)) for n in ("getFullYear", "getMonth", "getDate", "getDayOfMonth",
                                              "getDayOfWeek", "getDayOfYear")},
}


def read_field(value: Any) -> Any:
    """A value read from the object: a Broken placeholder turns into the error it stands for."""
    if isinstance(value, Broken):
        raise CelError(value.message)
    return value
