"""Typed annotation values: one parser per kind of value, shared by every provider.

A provider reads an annotation once, through one of these parsers, and passes on the typed
result (a bool, an int, a `Size`, a tuple of CIDRs, ...), never the raw string. A parser raises
`BadValue` with what the controller expects; the provider catches it in one place, where it
knows the annotation's full key and the Ingress (so the finding carries both, and the Ingress's
file:line through its origin), and decides what the controller does with a bad value (fall back
to the default, drop the Ingress, deny the location).

The syntaxes differ between controllers only where the controllers differ: every Go controller
parses booleans with strconv.ParseBool, but Traefik's label parser folds case first and HAProxy's
GetBoolValue adds on/off and enabled/disabled (`BoolSyntax`).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass


class BadValue(ValueError):
    """A value the controller does not accept; `expected` says what it wants ("expected true or false")."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


@dataclass(frozen=True)
class BoolSyntax:
    """The words a controller reads as true and false (`fold_case`: compared in lower case)."""

    true: frozenset[str]
    false: frozenset[str]
    fold_case: bool = False

    def parse(self, text: str) -> bool:
        """The boolean `text` spells; BadValue when it spells none."""
        v = self.maybe(text)
        if v is None:
            raise BadValue("expected true or false")
        return v

    def maybe(self, text: str) -> bool | None:
        """The boolean `text` spells, or None."""
        t = text.lower() if self.fold_case else text
        if t in self.true:
            return True
        if t in self.false:
            return False
        return None


#: strconv.ParseBool (ingress-nginx's parser.GetBoolAnnotation, and most Go controllers)
GO_BOOL = BoolSyntax(frozenset({"1", "t", "T", "TRUE", "true", "True"}),
                     frozenset({"0", "f", "F", "FALSE", "false", "False"}))
#: Traefik's label decoder: ParseBool after lower-casing (traefik-semantics.md T-A3)
FOLDED_GO_BOOL = BoolSyntax(frozenset({"1", "t", "true"}), frozenset({"0", "f", "false"}), fold_case=True)
#: HAProxy's utils.GetBoolValue adds these words, in any case, to ParseBool's
_HAPROXY_TRUE, _HAPROXY_FALSE = frozenset({"on", "enabled"}), frozenset({"off", "disabled"})


def go_bool(text: str) -> bool | None:
    """strconv.ParseBool: None when `text` is not a Go boolean."""
    return GO_BOOL.maybe(text)


def haproxy_bool(text: str) -> bool | None:
    """utils.GetBoolValue: None when `text` is not a boolean HAProxy's controller knows."""
    v = GO_BOOL.maybe(text)
    if v is not None:
        return v
    low = text.lower()
    return True if low in _HAPROXY_TRUE else False if low in _HAPROXY_FALSE else None


def parse_int(text: str) -> int:
    """strconv.Atoi: ASCII decimal digits with an optional sign, within int64; BadValue otherwise.
    Surrounding blanks are allowed (the controllers trim annotation values first)."""
    v = text.strip()
    body = v[1:] if v[:1] in "+-" else v
    if not (body.isascii() and body.isdigit()):  # Go: ASCII digits only (no `1_000`, no other scripts)
        raise BadValue("expected a whole number")
    n = int(v)
    if not -(2**63) <= n < 2**63:  # Atoi fails on what overflows an int64
        raise BadValue("expected a whole number")
    return n


def go_int(text: str) -> int | None:
    """strconv.Atoi, None when `text` is not a number."""
    try:
        return parse_int(text)
    except BadValue:
        return None


def parse_count(text: str) -> int:
    """A whole number of at least 0 (a count, a number of seconds)."""
    n = parse_int(text)
    if n < 0:
        raise BadValue("expected a whole number of at least 0")
    return n


_DIGITS = re.compile(r"[0-9]+\Z")


def parse_digits(text: str) -> int:
    """Only decimal digits, no sign and no blanks (HAProxy's redirect codes and ports)."""
    if not _DIGITS.match(text):
        raise BadValue("expected a number")
    return int(text)


def parse_port(text: str) -> int:
    """A TCP port, 1-65535, in plain digits."""
    n = parse_digits(text)
    if not 0 < n < 65536:
        raise BadValue("expected a port (1-65535)")
    return n


def parse_list(text: str, sep: str = ",") -> tuple[str, ...]:
    """A separated list: entries trimmed, empty entries dropped, order kept."""
    return tuple(p.strip() for p in text.split(sep) if p.strip())


def parse_cidr_list(text: str) -> tuple[str, ...]:
    """A comma-separated list of addresses and CIDRs as CIDRs (a bare address is its /32 or
    /128; host bits are cleared, as the controllers match them). One bad entry spoils the list."""
    out: list[str] = []
    for entry in parse_list(text):
        try:
            out.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise BadValue(f"not an address or CIDR: {entry!r}") from None
    return tuple(out)


@dataclass(frozen=True)
class Size:
    """A size in bytes and the same size as a Kubernetes quantity (`8Mi`)."""

    bytes: int
    quantity: str


_SIZE = re.compile(r"(?i)(\d+)([bkmg]?)\Z")
_SIZE_UNIT = {"": ("", 1), "b": ("", 1), "k": ("Ki", 1024), "m": ("Mi", 1024 ** 2), "g": ("Gi", 1024 ** 3)}


def parse_size(text: str) -> Size:
    """An nginx size (client_max_body_size): digits with an optional k/m/g suffix, 1024-based."""
    m = _SIZE.match(text)
    if m is None:
        raise BadValue("expected a size such as 8m (digits and an optional k, m or g)")
    n, (unit, factor) = int(m.group(1)), _SIZE_UNIT[m.group(2).lower()]
    return Size(n * factor, f"{n}{unit}")


def parse_regex(text: str) -> str:
    """A regular expression Python (and RE2, for the patterns the controllers take) compiles."""
    try:
        re.compile(text)
    except re.error as exc:
        raise BadValue(f"invalid regular expression ({exc})") from None
    return text


#: an HTTP header name (RFC 9110 token; Gateway API's HeaderName, at most 256 characters)
HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,256}\Z")


def parse_header_name(text: str) -> str:
    """An HTTP header (or cookie) name: an RFC 9110 token of at most 256 characters."""
    if not HEADER_NAME.match(text):
        raise BadValue("not an HTTP header name")
    return text
