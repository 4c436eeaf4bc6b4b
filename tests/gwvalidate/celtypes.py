"""CEL values as the Kubernetes API server sees them, and the two ways an evaluation ends early.

Plain Python values stand for the CEL primitives: None (null), bool, int (int64), float
(double), str, bytes, list and dict (maps, and objects of the schema whose keys are the
escaped property names). Everything else has a class here. Equality is CEL's heterogeneous
equality (1 == 1.0, 1 == 'a' is false), comparison is defined within a type and across the
numeric types, as in cel-go.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from typing import Any, Callable

from .gostd import GoURL, Quantity, format_go_duration

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT64_MAX = 2**64 - 1


class CelError(Exception):
    """The expression evaluates to an error (no such key, overflow, no matching overload...):
    the API server rejects the object with "<message> evaluating rule: <rule>"."""


class Unsupported(Exception):
    """The expression needs something this evaluator does not implement: the rule is reported
    as unevaluated, never passed."""


class UInt(int):
    """A CEL uint (a distinct type from int: 1u == 1 is true, 1u + 1 is an error)."""


@dataclass(frozen=True, order=True)
class Duration:
    """A google.protobuf.Duration, in nanoseconds."""

    ns: int

    def __str__(self) -> str:
        return format_go_duration(self.ns)


@dataclass(frozen=True, order=True)
class Timestamp:
    """A google.protobuf.Timestamp: seconds since the epoch (UTC) and nanoseconds."""

    seconds: int
    nanos: int = 0


@dataclass(frozen=True)
class CelType:
    """A type value: type(x), and the identifiers int, string, list, ..."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Optional:
    """An optional(T) value (optional.of(x), x.?field)."""

    present: bool
    value: Any = None


NONE = Optional(False)


@dataclass(frozen=True)
class URL:
    """A kubernetes URL value (url())."""

    url: GoURL


@dataclass(frozen=True)
class IP:
    """A net.IP value (ip())."""

    addr: ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class CIDR:
    """A net.CIDR value (cidr()): the prefix keeps the address as written."""

    prefix: ipaddress.IPv4Interface | ipaddress.IPv6Interface


@dataclass(frozen=True)
class QuantityValue:
    """A kubernetes Quantity value (quantity())."""

    q: Quantity


@dataclass(frozen=True)
class Format:
    """A named string format of the Kubernetes format library (format.dns1123Label())."""

    name: str
    check: Callable[[str], list[str]]


@dataclass(frozen=True)
class Broken:
    """A field whose JSON value cannot become its CEL type (a 'byte' string that is not
    base64, ...): reading it is an error, as in UnstructuredToVal."""

    message: str


# Type names as cel-go prints them (type(x) == int, error messages).
def type_name(v: Any) -> str:
    """The CEL type name of a value."""
    if v is None:
        return "null_type"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, UInt):
        return "uint"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "double"
    if isinstance(v, str):
        return "string"
    if isinstance(v, bytes):
        return "bytes"
    if isinstance(v, list):
        return "list"
    if isinstance(v, dict):
        return "map"
    return {Duration: "google.protobuf.Duration", Timestamp: "google.protobuf.Timestamp", CelType: "type",
            Optional: "optional_type", URL: "kubernetes.URL", IP: "net.IP", CIDR: "net.CIDR",
            QuantityValue: "kubernetes.Quantity", Format: "kubernetes.NamedFormat"}.get(type(v), type(v).__name__)


TYPE_IDENTIFIERS = {"int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type",
                    "google.protobuf.Duration", "google.protobuf.Timestamp"}


def no_overload(name: str, *args: Any) -> CelError:
    """cel-go's message when no overload of a function accepts the argument types."""
    return CelError(f"no such overload: {name}({', '.join(type_name(a) for a in args)})")


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_int(v: int) -> int:
    """int64 arithmetic: overflow is an error, not a wrap."""
    if not INT64_MIN <= v <= INT64_MAX:
        raise CelError("integer overflow")
    return v


def check_uint(v: int) -> UInt:
    if not 0 <= v <= UINT64_MAX:
        raise CelError("unsigned integer overflow")
    return UInt(v)


def cel_equal(a: Any, b: Any) -> bool:
    """Heterogeneous equality (cel-go types.Equal): never an error; values of different types
    are unequal, except numbers, which compare by value."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_number(a) and is_number(b):
        if isinstance(a, float) and math.isnan(a) or isinstance(b, float) and math.isnan(b):
            return False
        return bool(a == b)
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if isinstance(a, bytes) or isinstance(b, bytes):
        return isinstance(a, bytes) and isinstance(b, bytes) and a == b
    if isinstance(a, list) or isinstance(b, list):
        return (isinstance(a, list) and isinstance(b, list) and len(a) == len(b)
                and all(cel_equal(x, y) for x, y in zip(a, b)))
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)) or len(a) != len(b):
            return False
        for k, v in a.items():
            found, other = map_lookup(b, k)
            if not found or not cel_equal(v, other):
                return False
        return True
    if isinstance(a, Optional) or isinstance(b, Optional):
        if not (isinstance(a, Optional) and isinstance(b, Optional)):
            return False
        return a.present == b.present and (not a.present or cel_equal(a.value, b.value))
    return type(a) is type(b) and bool(a == b)


def map_lookup(m: dict[Any, Any], key: Any) -> tuple[bool, Any]:
    """A map key lookup; numeric keys match across int, uint and integral doubles."""
    if isinstance(key, bool):
        return (True, m[key]) if any(isinstance(k, bool) and k == key for k in m) else (False, None)
    if key in m and not isinstance(key, bool) and type(key) in (str, int, UInt, bytes):
        return True, m[key]
    if is_number(key):
        if isinstance(key, float) and not key.is_integer():
            return False, None
        for k, v in m.items():
            if is_number(k) and not isinstance(k, bool) and k == key:
                return True, v
    return False, None


def cel_compare(op: str, a: Any, b: Any) -> int:
    """-1, 0 or 1 for a < b, a == b, a > b; an error for types that do not order together."""
    if is_number(a) and is_number(b):
        if isinstance(a, float) and math.isnan(a) or isinstance(b, float) and math.isnan(b):
            return 2  # unordered: every comparison is false
        return int((a > b) - (a < b))
    for t in (bool, str, bytes, Duration, Timestamp):
        if isinstance(a, t) and isinstance(b, t):
            return (a > b) - (a < b)  # type: ignore[operator]
    raise no_overload(op, a, b)
