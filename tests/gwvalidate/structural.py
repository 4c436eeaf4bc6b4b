"""The structural-schema steps of a create, in the API server's order: prune unknown fields
(warning: a generator that emits them is buggy), drop nulls of non-nullable fields, apply
defaults; then the OpenAPI v3 value validations (jsonschema with Kubernetes' keyword meanings
and kube-openapi's messages) and the x-kubernetes-list-type uniqueness checks.

Sources: apiextensions-apiserver pkg/apiserver/schema (pruning, defaulting, listtype),
pkg/apiserver/validation (kubeOpenAPIResultToFieldErrors) and kube-openapi
pkg/validation/validate and errors (the message texts).
"""

from __future__ import annotations

import base64
import binascii
import copy
import ipaddress
import json
import re
from typing import Any, Callable, Iterator

import jsonschema  # type: ignore[import-untyped]
import re2  # type: ignore[import-untyped]

from . import gostd
from .findings import Finding, child, field_error, index, key

Schema = dict[str, Any]


def property_schema(s: Schema, name: str) -> Schema | None:
    """The schema of object field `name`: a declared property, else additionalProperties."""
    props = s.get("properties")
    if props and name in props:
        return props[name]  # type: ignore[no-any-return]
    extra = s.get("additionalProperties")
    return extra if isinstance(extra, dict) else None


def keeps_unknown(s: Schema) -> bool:
    return bool(s.get("x-kubernetes-preserve-unknown-fields")) or s.get("additionalProperties") is True


# --------------------------------------------------------------------------- prune, nulls, defaults
def normalize(x: Any, s: Schema, path: str, out: list[Finding], root: bool = False) -> None:
    """Mutates x like decoding does on the API server: unknown fields are pruned (reported as
    warnings), nulls of non-nullable fields dropped, then missing fields with a default set."""
    if isinstance(x, dict) and s.get("type", "object") == "object":
        props = s.get("properties") or {}
        for k in list(x):
            sub = property_schema(s, k)
            if root and k in ("apiVersion", "kind", "metadata"):
                continue
            if sub is None and not keeps_unknown(s) and not (s.get("x-kubernetes-embedded-resource")
                                                               and k in ("apiVersion", "kind", "metadata")):
                out.append(Finding("warning", child(path, k),
                                   f'unknown field "{child(path, k)}": pruned by the API server (kubectl\'s '
                                   "default --validate=strict would refuse the object)"))
                del x[k]
            elif x[k] is None and sub is not None and not sub.get("nullable"):
                del x[k]  # becomes absent, then defaulted
        for k, ps in props.items():
            if k not in x and "default" in ps:
                x[k] = copy.deepcopy(ps["default"])
        for k, v in x.items():
            sub = property_schema(s, k)
            if sub is not None and not (root and k == "metadata"):
                normalize(v, sub, child(path, k) if k in props else key(path, k), out)
    elif isinstance(x, list) and isinstance(s.get("items"), dict):
        for i, v in enumerate(x):
            normalize(v, s["items"], index(path, i), out)


# --------------------------------------------------------------------------- list types
def list_type_errors(x: Any, s: Schema, path: str) -> Iterator[Finding]:
    """x-kubernetes-list-type set and map: every duplicate element or key (ValidateListSetsAndMaps)."""
    if isinstance(x, dict):
        props = s.get("properties") or {}
        for k, v in x.items():
            sub = property_schema(s, k)
            if sub is not None:
                yield from list_type_errors(v, sub, child(path, k) if k in props else key(path, k))
    elif isinstance(x, list):
        lt = s.get("x-kubernetes-list-type")
        if lt == "set":
            for i in _duplicates(x):
                yield field_error("Duplicate", index(path, i), x[i])
        elif lt == "map":
            bad = next((i for i, v in enumerate(x) if v is not None and not isinstance(v, dict)), None)
            if bad is not None:
                yield field_error("Invalid", index(path, bad), x[bad], "must be an object for an array of list-type map")
            else:
                names = s.get("x-kubernetes-list-map-keys") or []
                keys = [{n: v[n] for n in names if n in v} if isinstance(v, dict) else {} for v in x]
                for i in _duplicates(keys):
                    yield field_error("Duplicate", index(path, i), keys[i])
        if isinstance(s.get("items"), dict):
            for i, v in enumerate(x):
                yield from list_type_errors(v, s["items"], index(path, i))


def _duplicates(items: list[Any]) -> list[int]:
    """The index of the second occurrence of each repeated value (validateListSet)."""
    seen: dict[str, int] = {}
    out = []
    for i, v in enumerate(items):
        sig = repr((type(v).__name__, _canonical(v)))
        seen[sig] = seen.get(sig, 0) + 1
        if seen[sig] == 2:
            out.append(i)
    return out


def _canonical(v: Any) -> Any:
    if isinstance(v, dict):
        return sorted((k, _canonical(x)) for k, x in v.items())
    if isinstance(v, list):
        return [_canonical(x) for x in v]
    return v


# --------------------------------------------------------------------------- OpenAPI value validation
def to_jsonschema(s: Schema) -> Schema:
    """The structural schema as a jsonschema (draft 4 keyword meanings, as kube-openapi), keeping
    only value validations; nullable and int-or-string stay as x- keywords our 'type' reads."""
    out: Schema = {}
    for k, v in s.items():
        if k == "properties":
            out[k] = {p: to_jsonschema(ps) for p, ps in v.items()}
        elif k in ("items", "not") and isinstance(v, dict):
            out[k] = to_jsonschema(v)
        elif k == "additionalProperties" and isinstance(v, dict):
            out[k] = to_jsonschema(v)
        elif k in ("allOf", "anyOf", "oneOf"):
            out[k] = [to_jsonschema(x) for x in v]
        elif k in ("type", "enum", "pattern", "format", "maxLength", "minLength", "maximum", "minimum",
                   "exclusiveMaximum", "exclusiveMinimum", "multipleOf", "maxItems", "minItems",
                   "maxProperties", "minProperties", "required", "nullable", "x-kubernetes-int-or-string"):
            out[k] = v
    if s.get("x-kubernetes-int-or-string"):
        out["type"] = ["integer", "string"]
        out.pop("anyOf", None)  # int-or-string's own anyOf [{type: integer}, {type: string}]
    return out


_JSON_TYPES = {"string": lambda v: isinstance(v, str), "boolean": lambda v: isinstance(v, bool),
               "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
               "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
               "array": lambda v: isinstance(v, list), "object": lambda v: isinstance(v, dict),
               "null": lambda v: v is None}


def json_type(v: Any) -> str:
    """kube-openapi's name for the JSON type of a value (the value of its type errors)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    names: dict[type, str] = {str: "string", list: "array", dict: "object"}
    return names.get(type(v), type(v).__name__)


def _type(validator: Any, types: Any, instance: Any, schema: Schema) -> Iterator[jsonschema.ValidationError]:
    types = [types] if isinstance(types, str) else list(types)
    if instance is None and (schema.get("nullable") or "null" in types):
        return
    if not any(_JSON_TYPES[t](instance) for t in types if t in _JSON_TYPES):
        yield jsonschema.ValidationError(f"must be of type {','.join(types)}")
        return
    fmt = schema.get("format")
    if isinstance(instance, int) and not isinstance(instance, bool) and fmt in _INT_RANGES:
        lo, hi = _INT_RANGES[fmt]
        if not lo <= instance <= hi:
            yield jsonschema.ValidationError(f"format {fmt}", validator_value=fmt)


_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "uint32": (0, 2**32 - 1), "int64": (-(2**63), 2**63 - 1)}
_RE2: dict[str, Any] = {}


def _pattern(validator: Any, pattern: str, instance: Any, schema: Schema) -> Iterator[jsonschema.ValidationError]:
    """Go regexp (RE2) semantics, unanchored, as kube-openapi's pattern check."""
    if isinstance(instance, str):
        rx = _RE2.get(pattern)
        if rx is None:
            rx = _RE2[pattern] = re2.compile(pattern)
        if not rx.search(instance):
            yield jsonschema.ValidationError(f"should match '{pattern}'")


def _parses(fn: Any, v: str) -> bool:
    try:
        fn(v)
    except (ValueError, gostd.GoError, binascii.Error):
        return False
    return True


_HOSTNAME = re.compile(r"([a-zA-Z0-9]((-?[a-zA-Z0-9]{0,62})?)|([a-zA-Z0-9](([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.)){1,}"
                       r"([a-zA-Z]){2,63})")


def _ipv4_sloppy(v: str) -> bool:
    """netutils.ParseIPSloppy + a dot: IPv4 with leading zeros tolerated (kube-openapi's ipv4)."""
    parts = v.split(".")
    return (len(parts) == 4 and all(p.isdigit() and p.isascii() and int(p) <= 255 for p in parts)) or (
        ":" in v and _parses(lambda x: ipaddress.IPv6Address(x.split("%")[0]), v) and "." in v)


def _cidr_sloppy(v: str) -> bool:
    addr, slash, bits = v.partition("/")
    if not slash or not bits.isdigit():
        return False
    a = re.sub(r"(?<![0-9])0+([0-9])", r"\1", addr) if "." in addr and ":" not in addr else addr
    return _parses(lambda x: ipaddress.ip_network(x, strict=False), f"{a}/{bits}")


# The string formats the API server checks for custom resources (kube-openapi strfmt's default
# registry); unknown formats are ignored, as there.
FORMATS: dict[str, Callable[[str], bool]] = {
    "ipv4": _ipv4_sloppy,
    "ipv6": lambda v: ":" in v and _parses(lambda x: ipaddress.IPv6Address(x.split("%")[0]), v),
    "cidr": _cidr_sloppy,
    "hostname": lambda v: bool(_HOSTNAME.fullmatch(v)) and len(v) <= 255 and all(len(p) <= 63 for p in v.split(".")),
    "date-time": lambda v: _parses(gostd.parse_rfc3339, v) or _parses(
        lambda x: gostd.parse_rfc3339(re.sub(r"^(\S+) ", r"\1T", x)), v),
    "datetime": lambda v: _parses(gostd.parse_rfc3339, v),
    "date": lambda v: _parses(gostd.parse_rfc3339_date, v),
    "byte": lambda v: _parses(lambda x: base64.b64decode(x, validate=True), v),
    "uri": lambda v: _parses(gostd.parse_request_uri, v),
    "uuid": lambda v: bool(re.fullmatch(r"(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", v)),
    "email": lambda v: bool(re.fullmatch(r"[^@\s]+@[^@\s]+", v)),
    "mac": lambda v: bool(re.fullmatch(r"([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}|([0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}", v)),
}


def _format(validator: Any, fmt: str, instance: Any, schema: Schema) -> Iterator[jsonschema.ValidationError]:
    check = FORMATS.get(fmt)
    if isinstance(instance, str) and check is not None and not check(instance):
        yield jsonschema.ValidationError(f"must be of type {fmt}")


KubeValidator = jsonschema.validators.extend(
    jsonschema.Draft4Validator, {"type": _type, "pattern": _pattern, "format": _format})


def kube_path(parts: Any) -> str:
    """kube-openapi's path notation: '.field' for every object key, '[i]' for list items."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def schema_errors(validator: Any, obj: Any) -> list[Finding]:
    """The OpenAPI value-validation errors of obj, as field errors (sorted by path)."""
    out: list[Finding] = []
    for e in validator.iter_errors(obj):
        out += _to_field_errors(e)
    return sorted(set(out), key=lambda f: (f.path, f.message))


def _to_field_errors(e: jsonschema.ValidationError) -> list[Finding]:
    """kubeOpenAPIResultToFieldErrors for one jsonschema error (and, for anyOf/oneOf, the
    errors of the alternative that came closest, as kube-openapi merges them)."""
    path = kube_path(e.absolute_path)
    where, inst, v, val = path, e.instance, e.validator, e.validator_value
    if v == "required":
        missing = re.match(r"'(.*)' is a required property", e.message)
        return [field_error("Required", child(path, missing.group(1) if missing else "?"))]
    if v == "type":
        if str(e.message).startswith("format "):
            return [Finding("error", "", f'Invalid value: "": Checked value must be of type integer with format '
                                          f"{val} in {where}", "Invalid")]
        t = json_type(inst)
        return [field_error("TypeInvalid", path, t, f'{where} in body {e.message}: "{t}"')]
    if v == "format":
        return [field_error("TypeInvalid", path, inst, f"{where} in body must be of type {val}: {gostd.go_quote(inst)}")]
    if v == "enum":
        values = [x if isinstance(x, str) else _json(x) for x in val]
        return [field_error("NotSupported", path, inst, "supported values: " + ", ".join(gostd.go_quote(x) for x in values))]
    if v == "pattern":
        return [field_error("Invalid", path, inst, f"{where} in body should match '{val}'")]
    if v == "maxLength":
        return [field_error("TooLong", path, detail=f"may not be longer than {val}")]
    if v == "minLength":
        return [field_error("Invalid", path, inst, f"{where} in body should be at least {val} chars long")]
    if v in ("maxItems", "maxProperties"):
        return [field_error("TooMany", path, len(inst), f"must have at most {val} items")]
    if v == "minItems":
        return [field_error("Invalid", path, len(inst), f"{where} in body should have at least {val} items")]
    if v == "minProperties":
        return [field_error("Invalid", path, len(inst), f"{where} in body should have at least {val} properties")]
    if v in ("minimum", "maximum"):
        excl = bool(e.schema.get("exclusiveMinimum" if v == "minimum" else "exclusiveMaximum"))
        rel = ("greater than" if v == "minimum" else "less than") + ("" if excl else " or equal to")
        return [field_error("Invalid", path, inst, f"{where} in body should be {rel} {gostd.go_value(val)}")]
    if v == "multipleOf":
        return [field_error("Invalid", path, inst, f"{where} in body should be a multiple of {gostd.go_value(val)}")]
    if v in ("oneOf", "anyOf"):
        found = "none valid" if v == "anyOf" or not _valid_branches(e) else f"{_valid_branches(e)} valid alternatives"
        head = (f'"{where}" must validate one and only one schema (oneOf). Found {found}' if v == "oneOf"
                else f'"{where}" must validate at least one schema (anyOf)')
        out = [Finding("error", "", f'Invalid value: "": {head}', "Invalid")]
        for sub in _closest_branch(e):
            out += _to_field_errors(sub)
        return out
    if v == "not":
        return [Finding("error", "", f'Invalid value: "": "{where}" must not validate the schema (not)', "Invalid")]
    return [Finding("error", path, f"Invalid value: {gostd.go_value(inst)}: {e.message}", "Invalid")]


def _valid_branches(e: jsonschema.ValidationError) -> int:
    failed = {sub.schema_path[0] for sub in e.context or [] if sub.schema_path}
    return len(e.validator_value) - len(failed)


def _closest_branch(e: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """The errors of the failing alternative with the fewest errors (kube-openapi keeps the one
    with the most successful checks; fewest errors is the closest we can tell)."""
    by_branch: dict[int, list[jsonschema.ValidationError]] = {}
    for sub in e.context or []:
        by_branch.setdefault(int(sub.schema_path[0]), []).append(sub)
    if not by_branch or _valid_branches(e) > 0:
        return []
    best = min(by_branch, key=lambda b: (len(by_branch[b]), b))
    return by_branch[best]


def _json(v: Any) -> str:
    return json.dumps(v, separators=(",", ":"))


def blocking(findings: list[Finding]) -> bool:
    """Whether these schema errors make the API server skip the CEL rules (hasBlockingErr)."""
    return any(f.severity == "error" and f.kind in ("NotSupported", "Required", "TooLong", "TooMany", "TypeInvalid")
               for f in findings)
