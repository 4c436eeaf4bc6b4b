"""x-kubernetes-validations: every rule of a schema node evaluated with `self` bound to the node's
value, as apiextensions-apiserver's cel.Validator does on create:

* values become CEL values by their schema (UnstructuredToVal): objects with properties expose
  only declared fields, under their escaped names (`namespace` -> `__namespace__`, `a-b` ->
  `a__dash__b`); maps keep their keys; `number` is always a double; strings of format
  duration/date/date-time/byte become durations/timestamps/bytes; the root also has
  apiVersion, kind and metadata.name/generateName;
* a null value is not validated (its rules are skipped); transition rules (using oldSelf)
  are skipped on create unless optionalOldSelf is set (then oldSelf is optional.none());
* a false result is `<path>[.fieldPath]: Invalid value: "<type>": <message>` (or Forbidden,
  Required, Duplicate by `reason`; messageExpression when it evaluates to a string); an error
  is `<path>: Invalid value: "<type>": <error> evaluating rule: <message or rule>`;
* a rule this evaluator cannot run is an "unevaluated" finding, never a pass.

The CEL cost budget of the API server is not modelled.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from . import gostd
from .celeval import Program, compile_cel
from .celtypes import NONE, Broken, CelError, Duration, Timestamp, Unsupported
from .findings import Finding, child, field_error, index, key
from .structural import Schema, property_schema

_RESERVED = {"true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
             "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"}
_ESCAPE = re.compile(r"__|[-./]")


def escape_field(name: str) -> str | None:
    """The CEL name of a property (model.Escape), or None when it has none."""
    if not name or name[0].isdigit():
        return None
    if name in _RESERVED:
        return f"__{name}__"
    if not re.fullmatch(r"[A-Za-z0-9_./-]+", name):
        return None
    return _ESCAPE.sub(lambda m: {"__": "__underscores__", ".": "__dot__", "-": "__dash__", "/": "__slash__"}[m.group()],
                       name)


# --------------------------------------------------------------------------- JSON -> CEL values
class Converter:
    """UnstructuredToVal with a cache: a node reached by several rules is converted once."""

    def __init__(self) -> None:
        # keyed by identity; the entry keeps x and s alive so that their ids are not reused
        self.cache: dict[tuple[int, int], tuple[Any, Schema, Any]] = {}

    def value(self, x: Any, s: Schema, root: bool = False) -> Any:
        if root:
            return self._convert(x, s, root)
        k = (id(x), id(s))
        if k not in self.cache:
            self.cache[k] = (x, s, self._convert(x, s, root))
        return self.cache[k][2]

    def _convert(self, x: Any, s: Schema, root: bool) -> Any:
        if x is None:
            return None if s.get("nullable") else Broken("invalid data, got null for schema with nullable=false")
        if s.get("x-kubernetes-int-or-string"):
            return x if isinstance(x, (int, str)) and not isinstance(x, bool) else Broken(
                "invalid data, expected XIntOrString value to be either a string or integer")
        t = s.get("type")
        if t == "object":
            if not isinstance(x, dict):
                return Broken("invalid data, expected a map for the provided schema with type=object")
            props = s.get("properties")
            if props is not None or s.get("x-kubernetes-embedded-resource") or root:
                out: dict[str, Any] = {}
                for name, v in x.items():
                    ps = (props or {}).get(name)
                    if (root or s.get("x-kubernetes-embedded-resource")) and name in _TYPE_META:
                        ps = _TYPE_META[name]  # WithTypeAndObjectMeta: metadata exposes name and generateName
                    cel_name = escape_field(name)
                    if ps is not None and cel_name is not None:
                        out[cel_name] = self.value(v, ps)
                return out
            extra = s.get("additionalProperties")
            if isinstance(extra, dict):
                return {name: self.value(v, extra) for name, v in x.items()}
            if s.get("x-kubernetes-preserve-unknown-fields"):
                return {}
            return Broken("invalid object type, expected either Properties or AdditionalProperties")
        if t == "array":
            if not isinstance(x, list):
                return Broken("invalid data, expected an array for the provided schema with type=array")
            items = s.get("items")
            if not isinstance(items, dict):
                return Broken("invalid array type, expected Items with a non-empty Schema")
            return [self.value(v, items) for v in x]
        if t == "string":
            return _string(x, s.get("format"))
        if t == "number":
            return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else Broken(
                "invalid data, expected float")
        if t == "integer":
            return x if isinstance(x, int) and not isinstance(x, bool) else Broken("invalid data, expected int")
        if t == "boolean":
            return x if isinstance(x, bool) else Broken("invalid data, expected bool")
        if s.get("x-kubernetes-preserve-unknown-fields"):
            return _generic(x)
        return Broken(f"invalid type {t!r}")


_TYPE_META: dict[str, Schema] = {
    "apiVersion": {"type": "string"}, "kind": {"type": "string"},
    "metadata": {"type": "object", "properties": {"name": {"type": "string"}, "generateName": {"type": "string"}}},
}


def _string(x: Any, fmt: Any) -> Any:
    if not isinstance(x, str):
        return Broken(f"invalid data, expected string, got {type(x).__name__}")
    try:
        if fmt == "duration":
            return Duration(gostd.parse_go_duration(x))
        if fmt == "date":
            return Timestamp(*gostd.parse_rfc3339_date(x))
        if fmt == "date-time":
            return Timestamp(*gostd.parse_rfc3339(x))
        if fmt == "byte":
            return base64.b64decode(x, validate=True)
    except (gostd.GoError, binascii.Error, ValueError) as e:
        return Broken(f"Invalid {fmt} formatted string {x}: {e}")
    return x


def _generic(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _generic(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_generic(v) for v in x]
    return x


# --------------------------------------------------------------------------- rules
@dataclass
class Rule:
    """One x-kubernetes-validations entry with its compiled programs."""

    rule: str
    message: str | None
    message_expression: str | None
    field_path: str | None
    reason: str | None
    optional_old_self: bool
    program: Program
    message_program: Program | None

    @property
    def transition(self) -> bool:
        return self.program.uses_old_self

    @property
    def error_string(self) -> str:
        """ruleErrorString: the message if any, else the rule."""
        return (self.message or "").strip() or self.rule.strip()


@dataclass
class RuleStats:
    """What the evaluation did, for --json and the test of coverage."""

    evaluations: int = 0
    transition_skipped: int = 0
    rules_hit: set[str] = field(default_factory=set)


class RuleBook:
    """Compiled rules by schema node (compiled once per rule text)."""

    def __init__(self) -> None:
        self.programs: dict[tuple[str, bool], Program] = {}
        self.by_node: dict[int, tuple[Schema, list[Rule]]] = {}  # the node is kept: ids stay unique
        self.stats = RuleStats()

    def compile(self, text: str, with_old_self: bool) -> Program:
        k = (text, with_old_self)
        if k not in self.programs:
            self.programs[k] = compile_cel(text, frozenset({"self", "oldSelf"} if with_old_self else {"self"}))
        return self.programs[k]

    def rules(self, s: Schema) -> list[Rule]:
        """The rules of a node: its own and those of its allOf entries."""
        k = id(s)
        if k not in self.by_node:
            entries = list(s.get("x-kubernetes-validations") or [])
            for sub in s.get("allOf") or []:
                entries += sub.get("x-kubernetes-validations") or []
            self.by_node[k] = (s, [self._rule(e) for e in entries])
        return self.by_node[k][1]

    def _rule(self, e: dict[str, Any]) -> Rule:
        text = str(e.get("rule", ""))
        program = self.compile(text, True)
        mexpr = e.get("messageExpression")
        return Rule(text, e.get("message"), mexpr, e.get("fieldPath"), e.get("reason"),
                    bool(e.get("optionalOldSelf")), program, self.compile(mexpr, True) if mexpr else None)


def schema_nodes(s: Schema, path: str = "") -> Iterator[tuple[str, Schema]]:
    """Every (path, node) of a structural schema ('.a.b', '[]' for items, '{}' for map values)."""
    yield path or ".", s
    for k, sub in (s.get("properties") or {}).items():
        yield from schema_nodes(sub, f"{path}.{k}")
    for k, mark in (("items", "[]"), ("additionalProperties", "{}")):
        if isinstance(s.get(k), dict):
            yield from schema_nodes(s[k], path + mark)


def run_rules(x: Any, s: Schema, path: str, book: RuleBook, conv: Converter, out: list[Finding],
              root: bool = False) -> None:
    """Evaluate the rules of this node and of every node below it that has a value."""
    if x is None:
        return
    rules = book.rules(s)
    if rules:
        self_value: Any = None
        for r in rules:
            if r.transition and not r.optional_old_self:
                book.stats.transition_skipped += 1
                continue
            if self_value is None:
                self_value = conv.value(x, s, root)
            out += _evaluate(r, self_value, s, path, book)
    if isinstance(x, dict):
        props = s.get("properties") or {}
        for k, v in x.items():
            sub = property_schema(s, k)
            if sub is not None and not (root and k == "metadata"):
                run_rules(v, sub, child(path, k) if k in props else key(path, k), book, conv, out)
    elif isinstance(x, list) and isinstance(s.get("items"), dict):
        for i, v in enumerate(x):
            run_rules(v, s["items"], index(path, i), book, conv, out)


def _evaluate(r: Rule, self_value: Any, s: Schema, path: str, book: RuleBook) -> list[Finding]:
    type_name = str(s.get("type", ""))
    activation = {"self": self_value, "oldSelf": NONE}
    book.stats.evaluations += 1
    book.stats.rules_hit.add(r.rule)
    try:
        result = r.program.evaluate(activation)
    except Unsupported as e:
        return [_unevaluated(r, path, str(e))]
    except CelError as e:
        msg = str(e)
        if msg.startswith("no such overload"):
            detail = (f"'{msg}': call arguments did not match a supported operator, function or macro signature "
                      f"for rule: {r.error_string}")
        else:
            detail = f"{msg} evaluating rule: {r.error_string}"
        return [field_error("Invalid", path, type_name, detail, rule=r.rule)]
    except Exception as e:  # an evaluator bug must not pass a rule silently
        return [_unevaluated(r, path, f"internal error: {type(e).__name__}: {e}")]
    if result is True:
        return []
    if result is not False:
        return [_unevaluated(r, path, f"non-boolean result {result!r}")]
    at = path
    if r.field_path:
        at = child(path, r.field_path.lstrip("."))
    detail = (r.message or "").strip() or f"failed rule: {r.rule.strip()}"
    if r.message_program is not None:
        try:
            m = r.message_program.evaluate(activation)
            if isinstance(m, str) and m.strip() and "\n" not in m.strip():
                detail = m.strip()
        except (CelError, Unsupported):
            pass  # the API server logs it and falls back to the message
    kind = {"FieldValueForbidden": "Forbidden", "FieldValueRequired": "Required",
            "FieldValueDuplicate": "Duplicate"}.get(r.reason or "", "Invalid")
    return [field_error(kind, at, type_name, "" if kind == "Duplicate" else detail, rule=r.rule)]


def _unevaluated(r: Rule, path: str, why: str) -> Finding:
    return Finding("unevaluated", path, f"CEL rule not evaluated ({why}): {r.rule.strip()}", "Unevaluated", r.rule)
