"""Rule ids as the controller computes them: FNV-128a of the rule's Go JSON plus its type byte.

The controller appends the ids of an Ingress's frontend rules to every map row of that Ingress
and guards each rule with `{ var(txn.path_match) -m dom <id> }` (haproxy-semantics.md H-G1;
`pkg/haproxy/rules/main.go` GetID, `pkg/utils/utils.go` Hash). Two rules with the same fields
therefore share one id, whichever Ingress (or the ConfigMap) produced them. The ids only have to
be equal where the controller's are equal; computing them bit-exactly also lets a case check
them against a configuration the controller generated (issue #679 shows one).

Go's `encoding/json` writes struct fields in declaration order, maps with sorted keys, `[]byte`
as standard base64, and escapes `<`, `>`, `&`, U+2028 and U+2029 (HTML-safe strings); since
Go 1.22 it writes backspace and form feed as `\b` and `\f` (the controller builds with Go 1.26).
"""

from __future__ import annotations

import base64
from typing import Any, Mapping, Sequence

_FNV128_OFFSET = 0x6C62272E07BB014262B821756295C58D
_FNV128_PRIME = 0x0000000001000000000000000000013B
_MASK128 = (1 << 128) - 1

#: characters Go escapes in JSON strings besides the JSON-mandatory ones
_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029",
               '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
               "\b": "\\b", "\f": "\\f"}


def fnv128a(data: bytes) -> str:
    """FNV-1a, 128 bits, as lower-case hex (Go's hash/fnv New128a + hex.EncodeToString)."""
    h = _FNV128_OFFSET
    for byte in data:
        h = ((h ^ byte) * _FNV128_PRIME) & _MASK128
    return f"{h:032x}"


def go_string(value: str) -> str:
    """A JSON string as Go's encoding/json writes it (HTML-safe)."""
    out = ['"']
    for ch in value:
        esc = _GO_ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def go_json(value: Any) -> str:
    """Go JSON of a value built from the types Go rules use.

    `GoStruct` values keep their field order; dicts are Go maps (keys sorted); bytes are
    `[]byte` (base64); None is a nil pointer, slice or map (`null`).
    """
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return go_string(value)
    if isinstance(value, bytes):
        return go_string(base64.b64encode(value).decode("ascii"))
    if isinstance(value, GoStruct):
        return "{" + ",".join(f"{go_string(k)}:{go_json(v)}" for k, v in value.fields) + "}"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{go_string(str(k))}:{go_json(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, Sequence):
        return "[" + ",".join(go_json(v) for v in value) + "]"
    raise TypeError(f"no Go JSON for {type(value).__name__}")


class GoStruct:
    """An ordered list of (field name, value): a Go struct as encoding/json sees it."""

    __slots__ = ("fields",)

    def __init__(self, *fields: tuple[str, Any]) -> None:
        self.fields = fields


def rule_id(struct: GoStruct, rule_type: int) -> str:
    """The controller's id of a rule: FNV-128a(JSON(rule) + byte(type))."""
    return fnv128a(go_json(struct).encode("utf-8") + bytes([rule_type]))
