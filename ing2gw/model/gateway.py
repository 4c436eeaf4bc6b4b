"""Output models: the Gateway API objects ing2gw emits, strict to the v1.6.1 Standard channel.

GatewayClass, Gateway, ListenerSet, HTTPRoute, GRPCRoute, TLSRoute, ReferenceGrant and
BackendTLSPolicy as served by `gateway.networking.k8s.io/v1` with the Standard-channel CRDs of
Gateway API v1.6.1 (`shared/gateway-api/crds/standard/`). The rule is that **an invalid object
cannot be built**:
every OpenAPI limit (lengths, patterns, enums, minItems/maxItems, maxProperties, required
fields, list-map/set uniqueness) and every `x-kubernetes-validations` CEL rule of those CRDs is
checked when a model is constructed, so nothing the API server would reject can be emitted:
158 of the 159 CEL rules outside `status` (80 distinct messages) and ~650 schema limits, enums
and required fields, plus 128 patterns. tests/test_model_gateway.py diffs the models against
the CRD schemas, triggers every CEL message, and runs the offline validator on model output.

Surprises in the v1.6.1 Standard CRDs that these models follow: TLSRoute (v1) needs 1..1024
`hostnames` and exactly one rule; HTTPRoute `rules` has minItems 1 (an empty list is invalid,
an omitted one defaults); the 128-matches rule says "less than 128" but allows 128; ReferenceGrant
`v1` is served while `v1beta1` is still the storage version.

Conventions the emitters rely on:

* Python names are snake_case; aliases are the exact API JSON names (`backendRefs`,
  `wellKnownCACertificates`, `from`, ...). Both work on construction.
* Every optional field defaults to None and is left out by `to_dict()`: a default the API server
  would fill in (weight 1, kind Service, mode Terminate, ...) is never written unless it was
  set explicitly. CEL rules are evaluated on the *defaulted* object, as the API server does
  (a backendRef without kind/group is a core Service and needs a port; an HTTPRoute rule
  without matches counts as one PathPrefix "/" match).
* Models are frozen and lists are stored as tuples (typed `Sequence`, so callers may pass
  lists; sets are refused: output order must be deterministic). `model_copy(update=...)` and
  `model_construct()` validate like the constructor (pydantic's versions skip validation).
  `to_dict()` re-validates its own output, so even a mutated dict-valued field (labels,
  options) cannot leak into the output.
* Integers, strings and booleans are strict: `"80"` is not a port.
* A violated CEL rule raises `ValidationError` with the CRD's message verbatim; other checks
  name the rule (`... does not match the Hostname pattern ...`).

Stricter than the CRDs on purpose (the Gateway API spec text forbids these, the CRD cannot or
does not check them, and an implementation would ignore or reject them):

* IP addresses are rejected wherever the type is `Hostname` or `PreciseHostname` (route and
  listener hostnames, redirect/rewrite hostnames, BackendTLSPolicy hostnames). The spec says
  "IPs are not allowed"; the CRD pattern lets dotted IPv4 through (only TLSRoute has a CEL
  `isIP` rule).
* HTTP/gRPC header names are unique case-insensitively (header-match lists, CORS header lists,
  header-modifier lists). The CRD list-map key compares bytes; header names are
  case-insensitive (RFC 7230), so "Foo" next to "foo" would be silently ignored.
* An `HTTPHeaderFilter` names each header at most once across `set`, `add` and `remove`
  ("Filters specifying multiple actions of the same or different type for any one header name
  are invalid"). `remove` entries must be valid header names (the CRD has no item schema).
* Route rule names are unique within a route (spec: "MUST be unique within a Route if it is
  set"; the CEL rule exists only in the Experimental CRD).
* "Within backendRefs, ... exactly one PathPrefix match" is enforced when *any* backendRef
  has such a filter; the CRD uses `exists_one`, so two such backendRefs slip through it.
* `allowedRoutes.namespaces.from: Selector` needs a `selector`, and label selectors are
  checked like Kubernetes `LabelSelector` (operator In/NotIn/Exists/DoesNotExist, values only
  and always for In/NotIn, valid label keys and values). The CRD types these as free strings;
  implementations fail to parse anything else.
* Keys of `tls.options` (listener and BackendTLSPolicy) are checked as the Go type
  `AnnotationKey` (a qualified name with an optional DNS prefix); a CRD cannot check map keys.
* `format: int32` fields without a maximum (mirror fraction, CORS maxAge) are limited to
  2^31-1; annotation size counts UTF-8 bytes, as the API server does.
* A ListenerSet's `parentRef` must be a Gateway (group `gateway.networking.k8s.io`, kind
  `Gateway`, or left out): the CRD takes any group and kind, the spec says the parent is a
  Gateway.
* `metadata.name` is required (ing2gw never uses `generateName`); only name, namespace,
  labels and annotations are modelled. GatewayClass (cluster-scoped) must not have a
  namespace (the API server would only drop it with a warning).

Deliberately not enforced:

* GatewayClass `spec.controllerName` "Value is immutable" (`self == oldSelf`): a transition
  rule that needs the stored object; it only runs on update.
* Rules under `status` (e.g. Gateway `status.addresses[]` hostname): status is not modelled,
  the API server ignores it on create.
* Anything that needs the cluster: whether references resolve, whether a ReferenceGrant
  permits them, listener/route hostname intersection, allowedRoutes.kinds vs. protocol.
* Three CEL messages cannot surface because a schema check fails first: TLSRoute "Hostnames
  must be valid based on RFC-1123" and "Wildcards on hostnames must be the first label..." (the
  Hostname item pattern says the same) and HTTPRoute "type must be one of ['Exact',
  'PathPrefix', 'RegularExpression']" (the enum). The checks are there; the message differs.
* Experimental-channel fields and rules (retry, sessionPersistence, ExternalAuth, the port
  variants of the parentRefs rules, header value patterns): not in the Standard CRDs, so the
  fields do not exist here (an unknown field is an error, not silently pruned).
"""

from __future__ import annotations

import ipaddress
import functools
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Callable, Final, Iterable, Literal, Mapping, Self, Sequence, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

GATEWAY_API_GROUP: Final = "gateway.networking.k8s.io"
GATEWAY_API_VERSION: Final = "gateway.networking.k8s.io/v1"
GATEWAY_API_BUNDLE_VERSION: Final = "v1.6.1"  # the CRDs these models follow

_INT32_MAX = 2**31 - 1
_ANNOTATIONS_MAX_BYTES = 256 * 1024
#: the API server's limit on all annotations of an object (keys and values, bytes)
ANNOTATIONS_MAX_BYTES: Final = _ANNOTATIONS_MAX_BYTES


# --------------------------------------------------------------------------- patterns
def _re2(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """Compile a Kubernetes OpenAPI/CEL pattern (RE2, unanchored search) for Python's `re`.

    The only difference that matters for these patterns: Python's `$` also matches before a
    trailing newline, RE2's does not, so `$` outside a character class becomes `\\Z`.
    """
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "$":
            c = r"\Z"
        out.append(c)
        i += 1
    return re.compile("".join(out), flags)


# The CRD patterns verbatim (tests/test_model_gateway.py checks that every pattern of the eight
# CRDs is one of these, so a typo cannot hide).
CRD_PATTERNS: dict[str, str] = {
    "Hostname": r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
    "PreciseHostname": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
    "Namespace": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
    "Group": r"^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
    "Kind": r"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$",
    "HeaderName": r"^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$",
    "Duration": r"^([0-9]{1,5}(h|m|s|ms)){1,4}$",
    "ProtocolType": r"^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?"
    r"(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$",
    "GatewayController": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
    r"\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$",
    "AddressType": r"^Hostname|IPAddress|NamedAddress|[a-z0-9]([-a-z0-9]*[a-z0-9])?"
    r"(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$",
    "CORSOrigin": r"(^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)"
    r"(:([0-9]{1,5}))?)$)",
    "LabelValue": r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$",
    "WellKnownCACertificatesType": r"^(System|([a-z0-9]([-a-z0-9]*[a-z0-9])?"
    r"(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]))$",
    "AbsoluteURI": r"^(([^:/?#]+):)(//([^/?#]*))([^?#]*)(\?([^#]*))?(#(.*))?",
    "ConditionReason": r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",  # status only
    "ConditionType": r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",  # status only
}
# Regexes that appear inside CEL rules (matches()).
CEL_PATTERNS: dict[str, str] = {
    "MapKey": r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$",
    "PathValue": r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$",
    "GRPCService": r"^(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$",
    "GRPCMethod": r"^[A-Za-z_][A-Za-z_0-9]*$",
}



class _Patterns(dict[str, "re.Pattern[str]"]):
    """The compiled patterns by name, each compiled when first used: compiling all 24 at import
    cost a one-Ingress `convert` more than validating its objects."""

    def __missing__(self, name: str) -> re.Pattern[str]:
        if name == "GRPCService":
            # Python 3.11 refuses a global flag in the middle of a pattern; ASCII because RE2's
            # (?i) on [a-z] would also accept the Kelvin sign, which no protobuf service name
            # contains.
            rx = _re2(CEL_PATTERNS[name].replace("(?i)", ""), re.IGNORECASE | re.ASCII)
        else:
            rx = _re2(CRD_PATTERNS[name] if name in CRD_PATTERNS else CEL_PATTERNS[name])
        self[name] = rx
        return rx


_RX = _Patterns()
# ObjectMeta checks of the API server (apimachinery validation), full matches.
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")


def is_ip(s: str) -> bool:
    """CEL `isIP()` as Kubernetes defines it: an IPv4 or IPv6 address without a zone; an
    IPv4-mapped IPv6 address does not count."""
    try:
        a = ipaddress.ip_address(s)
    except ValueError:
        return False
    return "%" not in s and not (isinstance(a, ipaddress.IPv6Address) and a.ipv4_mapped is not None)


def _matches(type_name: str) -> AfterValidator:
    text = (CRD_PATTERNS | CEL_PATTERNS)[type_name]

    def check(v: str) -> str:
        if not _RX[type_name].search(v):
            raise ValueError(f"{v!r} does not match the {type_name} pattern {text!r}")
        return v

    return AfterValidator(check)


def _no_ip(type_name: str) -> AfterValidator:
    def check(v: str) -> str:
        if is_ip(v):
            raise ValueError(f"{v!r} is an IP address; a {type_name} must be a DNS name "
                             "(Gateway API spec: IPs are not allowed)")
        return v

    return AfterValidator(check)


def _qualified_name_error(key: str) -> str | None:
    """Why `key` is not a Kubernetes qualified name ([DNS-1123 subdomain prefix/]name)."""
    prefix, slash, name = key.rpartition("/")
    if not (len(name) <= 63 and _QUALIFIED_NAME.match(name)):
        return (f"{key!r} is not a qualified name: the name part must be 1-63 characters of "
                "[-A-Za-z0-9_.], alphanumeric at both ends")
    if slash and not (len(prefix) <= 253 and _DNS1123_SUBDOMAIN.match(prefix)):
        return f"{key!r} is not a qualified name: the prefix must be a DNS-1123 subdomain (at most 253 characters)"
    return None


def _check_qualified_name(v: str) -> str:
    if (why := _qualified_name_error(v)) is not None:
        raise ValueError(why)
    return v


def _check_label_value(v: str) -> str:
    if v and not (len(v) <= 63 and _QUALIFIED_NAME.match(v)):
        raise ValueError(f"{v!r}: a label value must be empty or at most 63 characters of "
                         "[-A-Za-z0-9_.], alphanumeric at both ends")
    return v


def _str(min_length: int | None = None, max_length: int | None = None) -> Any:
    return Field(min_length=min_length, max_length=max_length)


# --------------------------------------------------------------------------- scalar types
# Gateway API types from apis/v1/shared_types.go, with the CRD's lengths and patterns.
Hostname = Annotated[StrictStr, _str(1, 253), _matches("Hostname"), _no_ip("Hostname")]
PreciseHostname = Annotated[StrictStr, _str(1, 253), _matches("PreciseHostname"), _no_ip("PreciseHostname")]
# TLSRoute checks IPs with its own CEL rule (and message) at the list level.
_CRDHostname = Annotated[StrictStr, _str(1, 253), _matches("Hostname")]
SectionName = Annotated[StrictStr, _str(1, 253), _matches("PreciseHostname")]
ObjectName = Annotated[StrictStr, _str(1, 253)]
Namespace = Annotated[StrictStr, _str(1, 63), _matches("Namespace")]
Group = Annotated[StrictStr, _str(None, 253), _matches("Group")]
Kind = Annotated[StrictStr, _str(1, 63), _matches("Kind")]
HeaderName = Annotated[StrictStr, _str(1, 256), _matches("HeaderName")]
Duration = Annotated[StrictStr, _matches("Duration")]
ProtocolType = Annotated[StrictStr, _str(1, 255), _matches("ProtocolType")]
GatewayController = Annotated[StrictStr, _str(1, 253), _matches("GatewayController")]
CORSOrigin = Annotated[StrictStr, _str(1, 253), _matches("CORSOrigin")]
PortNumber = Annotated[StrictInt, Field(ge=1, le=65535)]
Weight = Annotated[StrictInt, Field(ge=0, le=1_000_000)]
AnnotationKey = Annotated[StrictStr, AfterValidator(_check_qualified_name)]
AnnotationValue = Annotated[StrictStr, _str(0, 4096)]
LabelKey = Annotated[StrictStr, AfterValidator(_check_qualified_name)]
LabelValue = Annotated[StrictStr, AfterValidator(_check_label_value)]

HTTPMethod = Literal["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]
PathMatchType = Literal["Exact", "PathPrefix", "RegularExpression"]
HeaderMatchType = Literal["Exact", "RegularExpression"]
HTTPRouteFilterType = Literal[
    "RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "RequestRedirect",
    "URLRewrite", "ExtensionRef", "CORS",
]
GRPCRouteFilterType = Literal["ResponseHeaderModifier", "RequestHeaderModifier", "RequestMirror", "ExtensionRef"]
TLSModeType = Literal["Terminate", "Passthrough"]


@dataclass(frozen=True)
class MinItems:
    """`minItems` for a tuple field, checked after the items. pydantic's own `min_length` counts
    only the items that validated, and would add a misleading "at least 1 item, not 0" next to
    every item error."""

    n: int

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {**handler(schema), "minItems": self.n}

    def _check(self, v: Sequence[Any]) -> Sequence[Any]:
        if len(v) < self.n:
            plural = "s" if self.n > 1 else ""
            raise ValueError(f"should have at least {self.n} item{plural} (minItems), got {len(v)}")
        return v


def _list_or_tuple(v: Any) -> Any:
    if not isinstance(v, (list, tuple)):
        kind = "a set: its order is not deterministic" if isinstance(v, (set, frozenset)) else type(v).__name__
        raise ValueError(f"should be a list, not {kind}")
    return v


# Lists are stored as tuples: a frozen model stays frozen. Fields are `Annotated[Seq[X], ...,
# _FROZEN]`: callers may pass lists or tuples; sets and other unordered inputs are refused
# (output order must be deterministic). pydantic-core validates `tuple[X, ...]` itself, where
# pydantic's `Sequence[X]` runs a Python validator and `isinstance(v, typing.Sequence)` on
# every list: a third of convert's validation time at 10,000 Ingresses.
_FROZEN = BeforeValidator(_list_or_tuple)

if TYPE_CHECKING:
    Seq = Sequence
else:
    class Seq:
        """`Seq[X]`: `tuple[X, ...]` (with `_FROZEN` last in the field's `Annotated`)."""

        def __class_getitem__(cls, item: Any) -> Any:
            return tuple[item, ...]


def duration_ms(d: str) -> int:
    """A Gateway API Duration (`1h30m`, `500ms`) in milliseconds, like CEL `duration()`."""
    units = {"h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}
    return sum(int(n) * units[u] for n, u in re.findall(r"([0-9]+)(ms|h|m|s)", d))


# --------------------------------------------------------------------------- base model
_ALIASES = {"from_": "from", "well_known_ca_certificates": "wellKnownCACertificates"}


@functools.cache
def _alias(name: str) -> str:
    return _ALIASES.get(name) or to_camel(name)


class GwModel(BaseModel):
    """Base of every Gateway API output model: strict, frozen, camelCase aliases."""

    # defer_build: a model's validator is built when it first validates, not at import, so a
    # run builds only the kinds it emits (a one-Ingress `convert`: Gateway and HTTPRoute, not
    # GRPCRoute, TLSRoute, ListenerSet, BackendTLSPolicy, ...).
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, alias_generator=_alias,
                              defer_build=True)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-like data by API name, fields in API order, unset (None) fields left out.

        The result is validated again, so what is returned is known to be valid even if a
        dict-valued field was mutated after construction.
        """
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        type(self).model_validate(data)
        return data

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """Like pydantic's, but an `update` goes through validation (pydantic skips it)."""
        if not update:
            return super().model_copy(deep=deep)
        names = {(f.alias or n): n for n, f in type(self).model_fields.items()}
        data: dict[str, Any] = {n: getattr(self, n) for n in self.model_fields_set}
        data.update({names.get(k, k): v for k, v in update.items()})  # API names or Python names
        return self.model_validate(data)

    @classmethod
    def model_construct(cls, _fields_set: set[str] | None = None, **values: Any) -> Self:
        """Validates, unlike pydantic's: an unvalidated object must not be buildable."""
        return cls.model_validate(values)


def _duplicates(keys: Iterable[Any]) -> list[Any]:
    return [k for k, n in Counter(keys).items() if n > 1]


def _unique(items: Iterable[Any] | None, key: Callable[[Any], Any], what: str) -> None:
    """x-kubernetes-list-type map/set: no two items with the same key."""
    dups = _duplicates(key(i) for i in items or ())
    if dups:
        raise ValueError(f"Duplicate value: {what} {', '.join(map(repr, dups))} (each must be unique)")


# --------------------------------------------------------------------------- metadata
class ObjectMeta(GwModel):
    """The ObjectMeta fields ing2gw writes. Checked as the API server checks them."""

    name: Annotated[StrictStr, _str(1, 253)]
    namespace: Annotated[StrictStr, _str(1, 63)] | None = None
    labels: dict[LabelKey, LabelValue] | None = None
    annotations: dict[AnnotationKey, StrictStr] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _DNS1123_SUBDOMAIN.match(v):
            raise ValueError(f"{v!r}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                             "characters, '-' or '.', and must start and end with an alphanumeric character")
        return v

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, v: str | None) -> str | None:
        if v is not None and not _DNS1123_LABEL.match(v):
            raise ValueError(f"{v!r}: a lowercase RFC 1123 label must consist of lower case alphanumeric "
                             "characters or '-', and must start and end with an alphanumeric character")
        return v

    @field_validator("annotations")
    @classmethod
    def _annotations_size(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        size = sum(len(k.encode()) + len(x.encode()) for k, x in (v or {}).items())
        if size > _ANNOTATIONS_MAX_BYTES:
            raise ValueError(f"Too long: annotations must have at most {_ANNOTATIONS_MAX_BYTES} bytes (got {size})")
        return v


class _TopLevel(GwModel):
    """Base of the eight kinds: apiVersion, kind, metadata, spec (no status)."""


# --------------------------------------------------------------------------- references
class ParentReference(GwModel):
    """A route's parent (a Gateway unless group/kind say otherwise)."""

    group: Group | None = None
    kind: Kind | None = None
    namespace: Namespace | None = None
    name: ObjectName
    section_name: SectionName | None = None
    port: PortNumber | None = None


def _check_parent_refs(refs: Iterable[Any], *, noun: str, keyf: Callable[[Any], tuple[Any, ...]]) -> None:
    """The Standard "sectionName must be specified/unique when ... the same parent" rules."""
    by_parent: dict[tuple[Any, ...], list[str | None]] = {}
    for r in refs:
        by_parent.setdefault(keyf(r), []).append(r.section_name or None)
    for sections in by_parent.values():
        if len(sections) > 1 and None in sections and any(s is not None for s in sections):
            raise ValueError(f"sectionName must be specified when {noun}s includes 2 or more references "
                             f"to the same {'target' if noun == 'targetRef' else 'parent'}")
        if _duplicates(sections):
            raise ValueError(f"sectionName must be unique when {noun}s includes 2 or more references "
                             f"to the same {'target' if noun == 'targetRef' else 'parent'}")


def _parent_key(p: ParentReference) -> tuple[Any, ...]:
    # CEL sees the defaulted object: group gateway.networking.k8s.io, kind Gateway.
    return (GATEWAY_API_GROUP if p.group is None else p.group, p.kind or "Gateway", p.name, p.namespace or "")


ParentRefs = Annotated[Seq[ParentReference], Field(max_length=32), _FROZEN]


class BackendObjectReference(GwModel):
    """A backend (a Service unless group/kind say otherwise)."""

    group: Group | None = None
    kind: Kind | None = None
    name: ObjectName
    namespace: Namespace | None = None
    port: PortNumber | None = None

    @model_validator(mode="after")
    def _service_port(self) -> Self:
        if (self.group or "") == "" and (self.kind or "Service") == "Service" and self.port is None:
            raise ValueError("Must have port for Service reference")
        return self


class BackendRef(BackendObjectReference):
    """A weighted backend (TLSRoute)."""

    weight: Weight | None = None


class LocalObjectReference(GwModel):
    """A reference to an object in the same namespace (extensionRef, CA certificates)."""

    group: Group
    kind: Kind
    name: ObjectName


class SecretObjectReference(GwModel):
    """A reference to a Secret (or another certificate holder): listener certificateRefs."""

    group: Group | None = None
    kind: Kind | None = None
    name: ObjectName
    namespace: Namespace | None = None


class ObjectReference(GwModel):
    """A reference to any object, possibly in another namespace (frontend CA certificates)."""

    group: Group
    kind: Kind
    name: ObjectName
    namespace: Namespace | None = None


class ParametersReference(GwModel):
    """GatewayClass `parametersRef`."""

    group: Group
    kind: Kind
    name: ObjectName
    namespace: Namespace | None = None


class LocalParametersReference(GwModel):
    """Gateway `infrastructure.parametersRef`."""

    group: Group
    kind: Kind
    name: ObjectName


# --------------------------------------------------------------------------- label selector
class LabelSelectorRequirement(GwModel):
    """One `matchExpressions` entry of a Kubernetes label selector."""

    key: LabelKey
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: Annotated[Seq[LabelValue], _FROZEN] | None = None

    @model_validator(mode="after")
    def _values(self) -> Self:
        # metav1.LabelSelectorAsSelector rejects anything else; the CRD does not look.
        if self.operator in ("In", "NotIn") and not self.values:
            raise ValueError(f"values must be non-empty for operator {self.operator}")
        if self.operator in ("Exists", "DoesNotExist") and self.values:
            raise ValueError(f"values must be empty for operator {self.operator}")
        return self


class LabelSelector(GwModel):
    """A Kubernetes label selector (namespaces allowed to attach)."""

    match_labels: dict[LabelKey, LabelValue] | None = None
    match_expressions: Annotated[Seq[LabelSelectorRequirement], _FROZEN] | None = None


# --------------------------------------------------------------------------- GatewayClass
class GatewayClassSpec(GwModel):
    """GatewayClass spec."""

    controller_name: GatewayController
    parameters_ref: ParametersReference | None = None
    description: Annotated[StrictStr, _str(None, 64)] | None = None


class GatewayClass(_TopLevel):
    """A cluster-scoped class of Gateways, handled by one controller."""

    api_version: Literal["gateway.networking.k8s.io/v1"] = GATEWAY_API_VERSION
    kind: Literal["GatewayClass"] = "GatewayClass"
    metadata: ObjectMeta
    spec: GatewayClassSpec

    @field_validator("metadata")
    @classmethod
    def _cluster_scoped(cls, m: ObjectMeta) -> ObjectMeta:
        if m.namespace is not None:
            raise ValueError("GatewayClass is cluster-scoped: metadata.namespace must not be set")
        return m


# --------------------------------------------------------------------------- Gateway
class RouteGroupKind(GwModel):
    """A kind of route a listener accepts."""

    group: Group | None = None
    kind: Kind


class RouteNamespaces(GwModel):
    """Which namespaces may attach routes to a listener."""

    from_: Literal["All", "Selector", "Same"] | None = None
    selector: LabelSelector | None = None

    @model_validator(mode="after")
    def _selector(self) -> Self:
        if self.from_ == "Selector" and self.selector is None:
            raise ValueError("selector must be specified when from is Selector")
        return self


class AllowedRoutes(GwModel):
    """Listener `allowedRoutes`."""

    namespaces: RouteNamespaces | None = None
    kinds: Annotated[Seq[RouteGroupKind], Field(max_length=8), _FROZEN] | None = None


class GatewayTLSConfig(GwModel):
    """Listener `tls` (ListenerTLSConfig in the v1.6 Go API)."""

    mode: TLSModeType | None = None
    certificate_refs: Annotated[Seq[SecretObjectReference], Field(max_length=64), _FROZEN] | None = None
    options: Annotated[dict[AnnotationKey, AnnotationValue], Field(max_length=16)] | None = None

    @model_validator(mode="after")
    def _terminate(self) -> Self:
        if (self.mode or "Terminate") == "Terminate" and not self.certificate_refs and not self.options:
            raise ValueError("certificateRefs or options must be specified when mode is Terminate")
        return self


ListenerTLSConfig = GatewayTLSConfig


class Listener(GwModel):
    """One port/protocol/hostname a Gateway listens on."""

    name: SectionName
    hostname: Hostname | None = None
    port: PortNumber
    protocol: ProtocolType
    tls: GatewayTLSConfig | None = None
    allowed_routes: AllowedRoutes | None = None


def _check_listeners(ls: Sequence[Listener]) -> Sequence[Listener]:
    """The CEL rules on `spec.listeners`, the same on a Gateway and a ListenerSet (the
    ListenerSet's message also says "within the Gateway")."""
    errors: list[str] = []
    if any(x.protocol in ("HTTP", "TCP", "UDP") and x.tls is not None for x in ls):
        errors.append("tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']")
    if any(x.protocol == "HTTPS" and x.tls is not None and (x.tls.mode or "Terminate") != "Terminate"
           for x in ls):
        errors.append("tls mode must be Terminate for protocol HTTPS")
    # mode defaults to Terminate once tls is there, so "set" means "tls is present".
    if any(x.protocol == "TLS" and x.tls is None for x in ls):
        errors.append("tls mode must be set for protocol TLS")
    if any(x.protocol in ("TCP", "UDP") and x.hostname for x in ls):
        errors.append("hostname must not be specified for protocols ['TCP', 'UDP']")
    if _duplicates(x.name for x in ls):
        errors.append("Listener name must be unique within the Gateway")
    if _duplicates((x.port, x.protocol, x.hostname) for x in ls):
        errors.append("Combination of port, protocol and hostname must be unique for each listener")
    if errors:
        raise ValueError("; ".join(errors))
    return ls


class GatewaySpecAddress(GwModel):
    """A requested Gateway address."""

    type: Annotated[StrictStr, _str(1, 253), _matches("AddressType")] | None = None
    value: Annotated[StrictStr, _str(None, 253)] | None = None

    @model_validator(mode="after")
    def _value(self) -> Self:
        kind, v = self.type or "IPAddress", self.value
        if kind == "IPAddress" and v is not None and not _ip_format(v):
            raise ValueError(f"{v!r} must be of format ipv4 or ipv6 for an address of type IPAddress")
        if kind == "Hostname" and v is not None and not _RX["Hostname"].search(v):
            raise ValueError("Hostname value must be empty or contain only valid characters (matching "
                             r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)")
        return self


def _ip_format(v: str) -> bool:
    """go-openapi `ipv4`/`ipv6` formats (what the CRD's oneOf checks)."""
    try:
        ipaddress.ip_address(v)
    except ValueError:
        return False
    return "%" not in v and ("." in v or ":" in v)


def _check_map_keys(m: Mapping[str, str] | None, noun: str) -> None:
    for key in m or {}:
        if not _RX["MapKey"].search(key):
            raise ValueError(f"{noun.capitalize()} keys must be in the form of an optional DNS subdomain prefix "
                             "followed by a required name segment of up to 63 characters.")
        if not len(key.split("/")[0]) < 253:
            raise ValueError(f"If specified, the {noun} key's prefix must be a DNS subdomain not longer than "
                             "253 characters in total.")


class GatewayInfrastructure(GwModel):
    """Labels, annotations and parameters for the resources an implementation creates."""

    labels: Annotated[dict[StrictStr, Annotated[StrictStr, _str(0, 63), _matches("LabelValue")]],
                      Field(max_length=8)] | None = None
    annotations: Annotated[dict[StrictStr, AnnotationValue], Field(max_length=16)] | None = None
    parameters_ref: LocalParametersReference | None = None

    @field_validator("labels")
    @classmethod
    def _label_keys(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        _check_map_keys(v, "label")
        return v

    @field_validator("annotations")
    @classmethod
    def _annotation_keys(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        _check_map_keys(v, "annotation")
        return v


class ListenerNamespaces(GwModel):
    """Which namespaces may attach ListenerSets to a Gateway."""

    from_: Literal["All", "Selector", "Same", "None"] | None = None
    selector: LabelSelector | None = None

    @model_validator(mode="after")
    def _selector(self) -> Self:
        if self.from_ == "Selector" and self.selector is None:
            raise ValueError("selector must be specified when from is Selector")
        return self


class AllowedListeners(GwModel):
    """Gateway `allowedListeners` (ListenerSet attachment)."""

    namespaces: ListenerNamespaces | None = None


class GatewayBackendTLS(GwModel):
    """Gateway `tls.backend`: the client certificate the Gateway shows to backends."""

    client_certificate_ref: SecretObjectReference | None = None


class FrontendTLSValidation(GwModel):
    """Client certificate validation on the Gateway's TLS listeners."""

    ca_certificate_refs: Annotated[Seq[ObjectReference], Field(max_length=16), MinItems(1), _FROZEN]
    mode: Literal["AllowValidOnly", "AllowInsecureFallback"] | None = None


class TLSConfig(GwModel):
    """Frontend TLS settings (default or for one port)."""

    validation: FrontendTLSValidation | None = None


class TLSPortConfig(GwModel):
    """Frontend TLS settings for one port."""

    port: PortNumber
    tls: TLSConfig


class FrontendTLSConfig(GwModel):
    """Gateway `tls.frontend`."""

    default: TLSConfig
    per_port: Annotated[Seq[TLSPortConfig], Field(max_length=64), _FROZEN] | None = None

    @field_validator("per_port")
    @classmethod
    def _unique_ports(cls, v: Sequence[TLSPortConfig] | None) -> Sequence[TLSPortConfig] | None:
        if _duplicates(p.port for p in v or ()):
            raise ValueError("Port for TLS configuration must be unique within the Gateway")
        return v


class GatewaySpecTLS(GwModel):
    """Gateway `spec.tls` (GatewayTLSConfig in the v1.6 Go API; that name is the listener's
    here, see GatewayTLSConfig)."""

    backend: GatewayBackendTLS | None = None
    frontend: FrontendTLSConfig | None = None


class GatewaySpec(GwModel):
    """Gateway spec."""

    gateway_class_name: ObjectName
    listeners: Annotated[Seq[Listener], Field(max_length=64), MinItems(1), _FROZEN]
    addresses: Annotated[Seq[GatewaySpecAddress], Field(max_length=16), _FROZEN] | None = None
    infrastructure: GatewayInfrastructure | None = None
    allowed_listeners: AllowedListeners | None = None
    tls: GatewaySpecTLS | None = None

    @field_validator("listeners")
    @classmethod
    def _listeners(cls, ls: Sequence[Listener]) -> Sequence[Listener]:
        return _check_listeners(ls)

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, a: Sequence[GatewaySpecAddress] | None) -> Sequence[GatewaySpecAddress] | None:
        for kind in ("IPAddress", "Hostname"):
            if _duplicates(x.value for x in a or () if (x.type or "IPAddress") == kind and x.value is not None):
                raise ValueError(f"{kind} values must be unique")
        return a


class Gateway(_TopLevel):
    """A load balancer: listeners with ports, protocols, hostnames and TLS."""

    api_version: Literal["gateway.networking.k8s.io/v1"] = GATEWAY_API_VERSION
    kind: Literal["Gateway"] = "Gateway"
    metadata: ObjectMeta
    spec: GatewaySpec


# --------------------------------------------------------------------------- ListenerSet
class ParentGatewayReference(GwModel):
    """The Gateway a ListenerSet attaches to (in the ListenerSet's namespace unless given).

    Stricter than the CRD, which takes any group and kind: the spec says the parent is a
    Gateway, and an implementation would not attach the listeners to anything else.
    """

    group: Group | None = None
    kind: Kind | None = None
    name: ObjectName
    namespace: Namespace | None = None

    @model_validator(mode="after")
    def _gateway(self) -> Self:
        if (self.group if self.group is not None else GATEWAY_API_GROUP) != GATEWAY_API_GROUP \
                or (self.kind or "Gateway") != "Gateway":
            raise ValueError(f"parentRef must be a {GATEWAY_API_GROUP} Gateway, not {self.group!r}/{self.kind!r}")
        return self


ListenerEntry = Listener


class ListenerSetSpec(GwModel):
    """ListenerSet spec: the parent Gateway and the listeners added to it."""

    parent_ref: ParentGatewayReference
    listeners: Annotated[Seq[ListenerEntry], Field(max_length=64), MinItems(1), _FROZEN]

    @field_validator("listeners")
    @classmethod
    def _listeners(cls, ls: Sequence[ListenerEntry]) -> Sequence[ListenerEntry]:
        return _check_listeners(ls)


class ListenerSet(_TopLevel):
    """Listeners an application namespace adds to a Gateway that admits them (allowedListeners)."""

    api_version: Literal["gateway.networking.k8s.io/v1"] = GATEWAY_API_VERSION
    kind: Literal["ListenerSet"] = "ListenerSet"
    metadata: ObjectMeta
    spec: ListenerSetSpec


# --------------------------------------------------------------------------- HTTPRoute
class HTTPPathMatch(GwModel):
    """Path match; type defaults to PathPrefix and value to "/" on the API server."""

    type: PathMatchType | None = None
    value: Annotated[StrictStr, _str(None, 1024)] | None = None

    @model_validator(mode="after")
    def _path(self) -> Self:
        kind, v = self.type or "PathPrefix", "/" if self.value is None else self.value
        if kind not in ("Exact", "PathPrefix"):
            return self
        when = "when type one of ['Exact', 'PathPrefix']"
        checks = [
            (v.startswith("/"), f"value must be an absolute path and start with '/' {when}"),
            ("//" not in v, f"must not contain '//' {when}"),
            ("/./" not in v, f"must not contain '/./' {when}"),
            ("/../" not in v, f"must not contain '/../' {when}"),
            ("%2f" not in v, f"must not contain '%2f' {when}"),
            ("%2F" not in v, f"must not contain '%2F' {when}"),
            ("#" not in v, f"must not contain '#' {when}"),
            (not v.endswith("/.."), f"must not end with '/..' {when}"),
            (not v.endswith("/."), f"must not end with '/.' {when}"),
            (bool(_RX["PathValue"].search(v)),
             f"must only contain valid characters (matching {CEL_PATTERNS['PathValue']}) for types "
             "['Exact', 'PathPrefix']"),
        ]
        errors = [msg for ok, msg in checks if not ok]
        if errors:
            raise ValueError(f"path {v!r}: " + "; ".join(errors))
        return self


class HTTPHeaderMatch(GwModel):
    """Request header match."""

    type: HeaderMatchType | None = None
    name: HeaderName
    value: Annotated[StrictStr, _str(1, 4096)]


class HTTPQueryParamMatch(GwModel):
    """Query parameter match."""

    type: HeaderMatchType | None = None
    name: HeaderName
    value: Annotated[StrictStr, _str(1, 1024)]


class HTTPRouteMatch(GwModel):
    """One match: all given conditions must hold."""

    path: HTTPPathMatch | None = None
    headers: Annotated[Seq[HTTPHeaderMatch], Field(max_length=16), _FROZEN] | None = None
    query_params: Annotated[Seq[HTTPQueryParamMatch], Field(max_length=16), _FROZEN] | None = None
    method: HTTPMethod | None = None

    @field_validator("headers")
    @classmethod
    def _headers(cls, v: Sequence[HTTPHeaderMatch] | None) -> Sequence[HTTPHeaderMatch] | None:
        _unique(v, lambda h: h.name.lower(), "header name (case-insensitive)")
        return v

    @field_validator("query_params")
    @classmethod
    def _query(cls, v: Sequence[HTTPQueryParamMatch] | None) -> Sequence[HTTPQueryParamMatch] | None:
        _unique(v, lambda q: q.name, "query param name")
        return v


class HTTPHeader(GwModel):
    """A header name and value to set or add."""

    name: HeaderName
    value: Annotated[StrictStr, _str(1, 4096)]


class HTTPHeaderFilter(GwModel):
    """Request/response header modifier."""

    set: Annotated[Seq[HTTPHeader], Field(max_length=16), _FROZEN] | None = None
    add: Annotated[Seq[HTTPHeader], Field(max_length=16), _FROZEN] | None = None
    remove: Annotated[Seq[HeaderName], Field(max_length=16), _FROZEN] | None = None

    @model_validator(mode="after")
    def _one_action_per_header(self) -> Self:
        for field in ("set", "add"):
            _unique(getattr(self, field), lambda h: h.name.lower(), f"{field} header name (case-insensitive)")
        _unique(self.remove, str.lower, "remove header name (case-insensitive)")
        names = [h.name.lower() for h in (*(self.set or ()), *(self.add or ()))]
        names += [r.lower() for r in self.remove or ()]
        if dups := _duplicates(names):
            raise ValueError(f"Only one action for a given header name is permitted: {', '.join(dups)} "
                             "appears in more than one of set/add/remove")
        return self


class HTTPPathModifier(GwModel):
    """Path rewrite of a redirect or URL rewrite."""

    type: Literal["ReplaceFullPath", "ReplacePrefixMatch"]
    replace_full_path: Annotated[StrictStr, _str(None, 1024)] | None = None
    replace_prefix_match: Annotated[StrictStr, _str(None, 1024)] | None = None

    @model_validator(mode="after")
    def _union(self) -> Self:
        errors = []
        if self.type == "ReplaceFullPath" and self.replace_full_path is None:
            errors.append("replaceFullPath must be specified when type is set to 'ReplaceFullPath'")
        if self.replace_full_path is not None and self.type != "ReplaceFullPath":
            errors.append("type must be 'ReplaceFullPath' when replaceFullPath is set")
        if self.type == "ReplacePrefixMatch" and self.replace_prefix_match is None:
            errors.append("replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'")
        if self.replace_prefix_match is not None and self.type != "ReplacePrefixMatch":
            errors.append("type must be 'ReplacePrefixMatch' when replacePrefixMatch is set")
        if errors:
            raise ValueError("; ".join(errors))
        return self


class HTTPRequestRedirectFilter(GwModel):
    """Redirect response."""

    scheme: Literal["http", "https"] | None = None
    hostname: PreciseHostname | None = None
    path: HTTPPathModifier | None = None
    port: PortNumber | None = None
    status_code: Literal[301, 302, 303, 307, 308] | None = None


class HTTPURLRewriteFilter(GwModel):
    """Host and path rewrite before forwarding."""

    hostname: PreciseHostname | None = None
    path: HTTPPathModifier | None = None


class Fraction(GwModel):
    """numerator/denominator (denominator defaults to 100)."""

    numerator: Annotated[StrictInt, Field(ge=0, le=_INT32_MAX)]
    denominator: Annotated[StrictInt, Field(ge=1, le=_INT32_MAX)] | None = None

    @model_validator(mode="after")
    def _le(self) -> Self:
        if self.numerator > (100 if self.denominator is None else self.denominator):
            raise ValueError("numerator must be less than or equal to denominator")
        return self


class HTTPRequestMirrorFilter(GwModel):
    """Mirror requests to another backend (all of them unless percent or fraction)."""

    backend_ref: BackendObjectReference
    percent: Annotated[StrictInt, Field(ge=0, le=100)] | None = None
    fraction: Fraction | None = None

    @model_validator(mode="after")
    def _one(self) -> Self:
        if self.percent is not None and self.fraction is not None:
            raise ValueError("Only one of percent or fraction may be specified in HTTPRequestMirrorFilter")
        return self


def _star_alone(v: Sequence[str] | None, message: str) -> None:
    if v and "*" in v and len(v) > 1:
        raise ValueError(message)


class HTTPCORSFilter(GwModel):
    """CORS filter."""

    allow_origins: Annotated[Seq[CORSOrigin], Field(max_length=64), _FROZEN] | None = None
    allow_credentials: StrictBool | None = None
    allow_methods: Annotated[Seq[Literal[HTTPMethod, "*"]], Field(max_length=9), _FROZEN] | None = None
    allow_headers: Annotated[Seq[HeaderName], Field(max_length=64), _FROZEN] | None = None
    expose_headers: Annotated[Seq[HeaderName], Field(max_length=64), _FROZEN] | None = None
    max_age: Annotated[StrictInt, Field(ge=1, le=_INT32_MAX)] | None = None

    @model_validator(mode="after")
    def _sets(self) -> Self:
        _unique(self.allow_origins, lambda o: o, "allowOrigins entry")
        _unique(self.allow_methods, lambda m: m, "allowMethods entry")
        _unique(self.allow_headers, str.lower, "allowHeaders entry (case-insensitive)")
        _unique(self.expose_headers, str.lower, "exposeHeaders entry (case-insensitive)")
        _star_alone(self.allow_origins, "AllowOrigins cannot contain '*' alongside other origins")
        _star_alone(self.allow_methods, "AllowMethods cannot contain '*' alongside other methods")
        _star_alone(self.allow_headers, "AllowHeaders cannot contain '*' alongside other methods")
        return self


# field name of each filter type's config, in API order
_HTTP_FILTER_FIELDS = {
    "RequestHeaderModifier": "request_header_modifier",
    "ResponseHeaderModifier": "response_header_modifier",
    "RequestMirror": "request_mirror",
    "RequestRedirect": "request_redirect",
    "URLRewrite": "url_rewrite",
    "CORS": "cors",
    "ExtensionRef": "extension_ref",
}
_GRPC_FILTER_FIELDS = {k: _HTTP_FILTER_FIELDS[k]
                       for k in ("RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "ExtensionRef")}


def _check_filter_union(f: Any, fields: Mapping[str, str]) -> None:
    """filter.<x> must be set exactly when type is <X>."""
    errors = []
    for ftype, field in fields.items():
        present = getattr(f, field) is not None
        if present and f.type != ftype:
            errors.append(f"filter.{_alias(field)} must be nil if the filter.type is not {ftype}")
        if not present and f.type == ftype:
            errors.append(f"filter.{_alias(field)} must be specified for {ftype} filter.type")
    if errors:
        raise ValueError("; ".join(errors))


class HTTPRouteFilter(GwModel):
    """A filter of an HTTPRoute rule or backendRef: `type` plus the one matching field."""

    type: HTTPRouteFilterType
    request_header_modifier: HTTPHeaderFilter | None = None
    response_header_modifier: HTTPHeaderFilter | None = None
    request_mirror: HTTPRequestMirrorFilter | None = None
    request_redirect: HTTPRequestRedirectFilter | None = None
    url_rewrite: HTTPURLRewriteFilter | None = None
    cors: HTTPCORSFilter | None = None
    extension_ref: LocalObjectReference | None = None

    @model_validator(mode="after")
    def _union(self) -> Self:
        _check_filter_union(self, _HTTP_FILTER_FIELDS)
        return self


def _check_filter_list(filters: Iterable[Any], not_repeatable: Iterable[str], http: bool) -> None:
    types = Counter(f.type for f in filters)
    errors = []
    if http and types["RequestRedirect"] and types["URLRewrite"]:
        errors.append("May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, "
                      "but not both")
    errors += [f"{t} filter cannot be repeated" for t in not_repeatable if types[t] > 1]
    if errors:
        raise ValueError("; ".join(errors))


_HTTP_NOT_REPEATABLE = ("CORS", "RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite")
_GRPC_NOT_REPEATABLE = ("RequestHeaderModifier", "ResponseHeaderModifier")


class HTTPBackendRef(BackendRef):
    """A weighted backend of an HTTPRoute rule, with its own filters."""

    filters: Annotated[Seq[HTTPRouteFilter], Field(max_length=16), _FROZEN] | None = None

    @field_validator("filters")
    @classmethod
    def _filters(cls, v: Sequence[HTTPRouteFilter] | None) -> Sequence[HTTPRouteFilter] | None:
        _check_filter_list(v or (), _HTTP_NOT_REPEATABLE, http=True)
        return v


class HTTPRouteTimeouts(GwModel):
    """Request and backend-request timeouts ("0s" disables)."""

    request: Duration | None = None
    backend_request: Duration | None = None

    @model_validator(mode="after")
    def _order(self) -> Self:
        if (self.request is not None and self.backend_request is not None and duration_ms(self.request) != 0
                and duration_ms(self.backend_request) > duration_ms(self.request)):
            raise ValueError("backendRequest timeout cannot be longer than request timeout")
        return self


def _prefix_filter(filters: Iterable[HTTPRouteFilter] | None) -> set[str]:
    """Filter types in `filters` that use path.replacePrefixMatch."""
    out = set()
    for f in filters or ():
        for ftype, cfg in (("RequestRedirect", f.request_redirect), ("URLRewrite", f.url_rewrite)):
            if cfg is not None and cfg.path is not None and cfg.path.type == "ReplacePrefixMatch" \
                    and cfg.path.replace_prefix_match is not None:
                out.add(ftype)
    return out


class HTTPRouteRule(GwModel):
    """Matches, filters and backends of one HTTPRoute rule."""

    name: SectionName | None = None
    matches: Annotated[Seq[HTTPRouteMatch], Field(max_length=64), _FROZEN] | None = None
    filters: Annotated[Seq[HTTPRouteFilter], Field(max_length=16), _FROZEN] | None = None
    backend_refs: Annotated[Seq[HTTPBackendRef], Field(max_length=16), _FROZEN] | None = None
    timeouts: HTTPRouteTimeouts | None = None

    @field_validator("filters")
    @classmethod
    def _filters(cls, v: Sequence[HTTPRouteFilter] | None) -> Sequence[HTTPRouteFilter] | None:
        _check_filter_list(v or (), _HTTP_NOT_REPEATABLE, http=True)
        return v

    def effective_match_count(self) -> int:
        """Matches after API defaulting: omitted matches become one PathPrefix "/" match."""
        return 1 if self.matches is None else len(self.matches)

    def _one_prefix_match(self) -> bool:
        if self.matches is None:  # defaulted to [PathPrefix "/"]
            return True
        if len(self.matches) != 1:
            return False
        path = self.matches[0].path
        return path is None or (path.type or "PathPrefix") == "PathPrefix"

    @model_validator(mode="after")
    def _rule(self) -> Self:
        errors = []
        if self.backend_refs and any(f.request_redirect is not None for f in self.filters or ()):
            errors.append("RequestRedirect filter must not be used together with backendRefs")
        one_prefix = self._one_prefix_match()
        for ftype in sorted(_prefix_filter(self.filters)):
            if not one_prefix:
                errors.append(f"When using {ftype} filter with path.replacePrefixMatch, exactly one "
                              "PathPrefix match must be specified")
        backend_types = set().union(*(_prefix_filter(b.filters) for b in self.backend_refs or ()))
        if not one_prefix and "RequestRedirect" in backend_types:
            errors.append("Within backendRefs, when using RequestRedirect filter with path.replacePrefixMatch, "
                          "exactly one PathPrefix match must be specified")
        if not one_prefix and "URLRewrite" in backend_types:
            errors.append("Within backendRefs, When using URLRewrite filter with path.replacePrefixMatch, "
                          "exactly one PathPrefix match must be specified")
        if errors:
            raise ValueError("; ".join(errors))
        return self


_MATCHES_TOTAL = ("While 16 rules and 64 matches per rule are allowed, the total number of matches across "
                  "all rules in a route must be less than 128")


def _check_rule_names(rules: Iterable[Any]) -> None:
    if dups := _duplicates(r.name for r in rules if r.name is not None):
        raise ValueError(f"Rule name must be unique within the route: {', '.join(dups)}")


class HTTPRouteSpec(GwModel):
    """HTTPRoute spec. Omitted rules default to one PathPrefix "/" rule without backends."""

    parent_refs: ParentRefs | None = None
    hostnames: Annotated[Seq[Hostname], Field(max_length=16), _FROZEN] | None = None
    rules: Annotated[Seq[HTTPRouteRule], Field(max_length=16), MinItems(1), _FROZEN] | None = None

    @field_validator("parent_refs")
    @classmethod
    def _parents(cls, v: Sequence[ParentReference] | None) -> Sequence[ParentReference] | None:
        _check_parent_refs(v or (), noun="parentRef", keyf=_parent_key)
        return v

    @field_validator("rules")
    @classmethod
    def _rules(cls, v: Sequence[HTTPRouteRule] | None) -> Sequence[HTTPRouteRule] | None:
        # the CRD rule says "less than" but tests <= 128
        if sum(r.effective_match_count() for r in v or ()) > 128:
            raise ValueError(_MATCHES_TOTAL)
        _check_rule_names(v or ())
        return v


class HTTPRoute(_TopLevel):
    """HTTP routing rules attached to Gateway listeners."""

    api_version: Literal["gateway.networking.k8s.io/v1"] = GATEWAY_API_VERSION
    kind: Literal["HTTPRoute"] = "HTTPRoute"
    metadata: ObjectMeta
    spec: HTTPRouteSpec


# --------------------------------------------------------------------------- GRPCRoute
class GRPCMethodMatch(GwModel):
    """gRPC service/method match (type defaults to Exact)."""

    type: HeaderMatchType | None = None
    service: Annotated[StrictStr, _str(None, 1024)] | None = None
    method: Annotated[StrictStr, _str(None, 1024)] | None = None

    @model_validator(mode="after")
    def _method(self) -> Self:
        errors = []
        # type is always present after defaulting, so the rule always applies
        if self.service is None and self.method is None:
            errors.append("One or both of 'service' or 'method' must be specified")
        if (self.type or "Exact") == "Exact":
            if self.service is not None and not _RX["GRPCService"].search(self.service):
                errors.append(r"service must only contain valid characters (matching "
                              r"^(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$)")
            if self.method is not None and not _RX["GRPCMethod"].search(self.method):
                errors.append("method must only contain valid characters (matching ^[A-Za-z_][A-Za-z_0-9]*$)")
        if errors:
            raise ValueError("; ".join(errors))
        return self


class GRPCHeaderMatch(GwModel):
    """gRPC metadata (header) match."""

    type: HeaderMatchType | None = None
    name: HeaderName
    value: Annotated[StrictStr, _str(1, 4096)]


class GRPCRouteMatch(GwModel):
    """One gRPC match: method and headers."""

    method: GRPCMethodMatch | None = None
    headers: Annotated[Seq[GRPCHeaderMatch], Field(max_length=16), _FROZEN] | None = None

    @field_validator("headers")
    @classmethod
    def _headers(cls, v: Sequence[GRPCHeaderMatch] | None) -> Sequence[GRPCHeaderMatch] | None:
        _unique(v, lambda h: h.name.lower(), "header name (case-insensitive)")
        return v


class GRPCRouteFilter(GwModel):
    """A filter of a GRPCRoute rule or backendRef."""

    type: GRPCRouteFilterType
    request_header_modifier: HTTPHeaderFilter | None = None
    response_header_modifier: HTTPHeaderFilter | None = None
    request_mirror: HTTPRequestMirrorFilter | None = None
    extension_ref: LocalObjectReference | None = None

    @model_validator(mode="after")
    def _union(self) -> Self:
        _check_filter_union(self, _GRPC_FILTER_FIELDS)
        return self


class GRPCBackendRef(BackendRef):
    """A weighted backend of a GRPCRoute rule, with its own filters."""

    filters: Annotated[Seq[GRPCRouteFilter], Field(max_length=16), _FROZEN] | None = None

    @field_validator("filters")
    @classmethod
    def _filters(cls, v: Sequence[GRPCRouteFilter] | None) -> Sequence[GRPCRouteFilter] | None:
        _check_filter_list(v or (), _GRPC_NOT_REPEATABLE, http=False)
        return v


class GRPCRouteRule(GwModel):
    """Matches, filters and backends of one GRPCRoute rule."""

    name: SectionName | None = None
    matches: Annotated[Seq[GRPCRouteMatch], Field(max_length=64), _FROZEN] | None = None
    filters: Annotated[Seq[GRPCRouteFilter], Field(max_length=16), _FROZEN] | None = None
    backend_refs: Annotated[Seq[GRPCBackendRef], Field(max_length=16), _FROZEN] | None = None

    @field_validator("filters")
    @classmethod
    def _filters(cls, v: Sequence[GRPCRouteFilter] | None) -> Sequence[GRPCRouteFilter] | None:
        _check_filter_list(v or (), _GRPC_NOT_REPEATABLE, http=False)
        return v


class GRPCRouteSpec(GwModel):
    """GRPCRoute spec."""

    parent_refs: ParentRefs | None = None
    hostnames: Annotated[Seq[Hostname], Field(max_length=16), _FROZEN] | None = None
    rules: Annotated[Seq[GRPCRouteRule], Field(max_length=16), _FROZEN] | None = None

    @field_validator("parent_refs")
    @classmethod
    def _parents(cls, v: Sequence[ParentReference] | None) -> Sequence[ParentReference] | None:
        _check_parent_refs(v or (), noun="parentRef", keyf=_parent_key)
        return v

    @field_validator("rules")
    @classmethod
    def _rules(cls, v: Sequence[GRPCRouteRule] | None) -> Sequence[GRPCRouteRule] | None:
        # GRPCRoute matches have no default: an omitted list counts 0
        if sum(len(r.matches or ()) for r in v or ()) > 128:
            raise ValueError(_MATCHES_TOTAL)
        _check_rule_names(v or ())
        return v


class GRPCRoute(_TopLevel):
    """gRPC routing rules attached to Gateway listeners."""

    api_version: Literal["gateway.networking.k8s.io/v1"] = GATEWAY_API_VERSION
    kind: Literal["GRPCRoute"] = "GRPCRoute"
    metadata: ObjectMeta
    spec: GRPCRouteSpec


# --------------------------------------------------------------------------- TLSRoute
class TLSRouteRule(GwModel):
    """The backends of a TLSRoute (selected by SNI)."""

    name: SectionName | None = None
    backend_refs: Annotated[Seq[BackendRef], Field(max_length=16), MinItems(1), _FROZEN]


class TLSRouteSpec(GwModel):
    """TLSRoute spec: v1.6.1 wants 1..1024 hostnames and exactly one rule."""

    parent_refs: ParentRefs | None = None
    hostnames: Annotated[Seq[_CRDHostname], Field(max_length=1024), MinItems(1), _FROZEN]
    rules: Annotated[Seq[TLSRouteRule], Field(max_length=1), MinItems(1), _FROZEN]

    @field_validator("parent_refs")
    @classmethod
    def _parents(cls, v: Sequence[ParentReference] | None) -> Sequence[ParentReference] | None:
        _check_parent_refs(v or (), noun="parentRef", keyf=_parent_key)
        return v

    @field_validator("hostnames")
    @classmethod
    def _hostnames(cls, v: Sequence[str]) -> Sequence[str]:
        # Implied by the item pattern, kept as the CRD states them (verbatim messages).
        if any(is_ip(h) for h in v):
            raise ValueError("Hostnames cannot contain an IP")
        if any("*" not in h and not _RX["PreciseHostname"].search(h) for h in v):
            raise ValueError("Hostnames must be valid based on RFC-1123")
        if any("*" in h and not (h.startswith("*.") and _RX["PreciseHostname"].search(h[2:])) for h in v):
            raise ValueError("Wildcards on hostnames must be the first label, and the rest of hostname must be "
                             "valid based on RFC-1123")
        return v


class TLSRoute(_TopLevel):
    """TLS passthrough/terminated routing by SNI (Standard and v1 since Gateway API v1.5)."""

    api_version: Literal["gateway.networking.k8s.io/v1"] = GATEWAY_API_VERSION
    kind: Literal["TLSRoute"] = "TLSRoute"
    metadata: ObjectMeta
    spec: TLSRouteSpec


# --------------------------------------------------------------------------- ReferenceGrant
class ReferenceGrantFrom(GwModel):
    """Who may refer: a kind in a namespace."""

    group: Group
    kind: Kind
    namespace: Namespace


class ReferenceGrantTo(GwModel):
    """What may be referred to (all names when `name` is unset)."""

    group: Group
    kind: Kind
    name: ObjectName | None = None


class ReferenceGrantSpec(GwModel):
    """ReferenceGrant spec."""

    from_: Annotated[Seq[ReferenceGrantFrom], Field(max_length=16), MinItems(1), _FROZEN]
    to: Annotated[Seq[ReferenceGrantTo], Field(max_length=16), MinItems(1), _FROZEN]


class ReferenceGrant(_TopLevel):
    """Allows references from other namespaces into this one. Emitted as v1, which v1.6.1
    serves (v1beta1 is still the storage version)."""

    api_version: Literal["gateway.networking.k8s.io/v1"] = GATEWAY_API_VERSION
    kind: Literal["ReferenceGrant"] = "ReferenceGrant"
    metadata: ObjectMeta
    spec: ReferenceGrantSpec


# --------------------------------------------------------------------------- BackendTLSPolicy
class LocalPolicyTargetReferenceWithSectionName(GwModel):
    """The object (and optionally the port/section) a policy applies to."""

    group: Group
    kind: Kind
    name: ObjectName
    section_name: SectionName | None = None


class SubjectAltName(GwModel):
    """A SAN the backend certificate must carry: a hostname or a URI."""

    type: Literal["Hostname", "URI"]
    hostname: Hostname | None = None
    uri: Annotated[StrictStr, _str(1, 253), _matches("AbsoluteURI")] | None = None

    @model_validator(mode="after")
    def _union(self) -> Self:
        errors = []
        if self.type == "Hostname" and not self.hostname:
            errors.append("SubjectAltName element must contain Hostname, if Type is set to Hostname")
        if self.type != "Hostname" and self.hostname:
            errors.append("SubjectAltName element must not contain Hostname, if Type is not set to Hostname")
        if self.type == "URI" and not self.uri:
            errors.append("SubjectAltName element must contain URI, if Type is set to URI")
        if self.type != "URI" and self.uri:
            errors.append("SubjectAltName element must not contain URI, if Type is not set to URI")
        if errors:
            raise ValueError("; ".join(errors))
        return self


class BackendTLSPolicyValidation(GwModel):
    """How the Gateway validates the backend's certificate."""

    ca_certificate_refs: Annotated[Seq[LocalObjectReference], Field(max_length=8), _FROZEN] | None = None
    well_known_ca_certificates: Annotated[
        StrictStr, _str(1, 253), _matches("WellKnownCACertificatesType")] | None = None
    hostname: PreciseHostname
    subject_alt_names: Annotated[Seq[SubjectAltName], Field(max_length=5), _FROZEN] | None = None

    @model_validator(mode="after")
    def _ca(self) -> Self:
        if self.ca_certificate_refs and self.well_known_ca_certificates:
            raise ValueError("must not contain both CACertificateRefs and WellKnownCACertificates")
        if not self.ca_certificate_refs and not self.well_known_ca_certificates:
            raise ValueError("must specify either CACertificateRefs or WellKnownCACertificates")
        return self


def _target_key(t: LocalPolicyTargetReferenceWithSectionName) -> tuple[Any, ...]:
    return (t.group, t.kind, t.name)


class BackendTLSPolicySpec(GwModel):
    """BackendTLSPolicy spec."""

    target_refs: Annotated[Seq[LocalPolicyTargetReferenceWithSectionName],
                           Field(max_length=16), MinItems(1), _FROZEN]
    validation: BackendTLSPolicyValidation
    options: Annotated[dict[AnnotationKey, AnnotationValue], Field(max_length=16)] | None = None

    @field_validator("target_refs")
    @classmethod
    def _targets(cls, v: Sequence[LocalPolicyTargetReferenceWithSectionName]
                 ) -> Sequence[LocalPolicyTargetReferenceWithSectionName]:
        _check_parent_refs(v, noun="targetRef", keyf=_target_key)
        return v


class BackendTLSPolicy(_TopLevel):
    """TLS from the Gateway to a backend Service."""

    api_version: Literal["gateway.networking.k8s.io/v1"] = GATEWAY_API_VERSION
    kind: Literal["BackendTLSPolicy"] = "BackendTLSPolicy"
    metadata: ObjectMeta
    spec: BackendTLSPolicySpec


# --------------------------------------------------------------------------- parsing
GatewayObject = Union[GatewayClass, Gateway, ListenerSet, HTTPRoute, GRPCRoute, TLSRoute, ReferenceGrant,
                      BackendTLSPolicy]
KINDS: dict[str, type[GwModel]] = {
    c.model_fields["kind"].default: c
    for c in (GatewayClass, Gateway, ListenerSet, HTTPRoute, GRPCRoute, TLSRoute, ReferenceGrant, BackendTLSPolicy)
}


@functools.cache
def _object_adapter() -> TypeAdapter[GatewayObject]:
    # built on first use: it builds the validators of all eight kinds
    return TypeAdapter(Annotated[GatewayObject, Field(discriminator="kind")])


def validate_object(obj: Mapping[str, Any]) -> GwModel:
    """Parse a plain dict (API names) into the model of its `kind`; raises ValidationError
    for an unknown kind, a wrong apiVersion or anything the API server would reject."""
    return _object_adapter().validate_python(obj)


__all__ = [
    "GATEWAY_API_GROUP", "GATEWAY_API_VERSION", "GwModel", "KINDS", "validate_object", "is_ip", "duration_ms",
    "ObjectMeta", "ParentReference", "BackendObjectReference", "BackendRef", "LocalObjectReference",
    "SecretObjectReference", "ObjectReference", "ParametersReference", "LocalParametersReference",
    "LabelSelector", "LabelSelectorRequirement",
    "GatewayClass", "GatewayClassSpec",
    "Gateway", "GatewaySpec", "Listener", "AllowedRoutes", "RouteNamespaces", "RouteGroupKind",
    "GatewayTLSConfig", "ListenerTLSConfig", "GatewaySpecAddress", "GatewayInfrastructure", "AllowedListeners",
    "ListenerNamespaces", "GatewaySpecTLS", "GatewayBackendTLS", "FrontendTLSConfig", "TLSConfig", "TLSPortConfig",
    "FrontendTLSValidation",
    "ListenerSet", "ListenerSetSpec", "ListenerEntry", "ParentGatewayReference",
    "HTTPRoute", "HTTPRouteSpec", "HTTPRouteRule", "HTTPRouteMatch", "HTTPPathMatch", "HTTPHeaderMatch",
    "HTTPQueryParamMatch", "HTTPRouteFilter", "HTTPHeaderFilter", "HTTPHeader", "HTTPRequestRedirectFilter",
    "HTTPURLRewriteFilter", "HTTPPathModifier", "HTTPRequestMirrorFilter", "Fraction", "HTTPCORSFilter",
    "HTTPBackendRef", "HTTPRouteTimeouts",
    "GRPCRoute", "GRPCRouteSpec", "GRPCRouteRule", "GRPCRouteMatch", "GRPCMethodMatch", "GRPCHeaderMatch",
    "GRPCRouteFilter", "GRPCBackendRef",
    "TLSRoute", "TLSRouteSpec", "TLSRouteRule",
    "ReferenceGrant", "ReferenceGrantSpec", "ReferenceGrantFrom", "ReferenceGrantTo",
    "BackendTLSPolicy", "BackendTLSPolicySpec", "LocalPolicyTargetReferenceWithSectionName",
    "BackendTLSPolicyValidation", "SubjectAltName",
]
