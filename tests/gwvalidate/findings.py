"""Findings, and field errors worded as the API server words them.

A field error is "<path>: <body>", where the body is the error type's text, then the bad value
(as Go prints it) and the detail, exactly as k8s.io/apimachinery/pkg/util/validation/field
renders it (e.g. `spec.port: Invalid value: "string": spec.port in body must be of type
integer: "string"`). Paths use the API server's notation: `.child`, `[index]`, `[map key]`;
the object root is printed `<nil>`, as field.Path does for the empty path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .gostd import go_value

Severity = Literal["error", "warning", "unevaluated", "note"]

# field.ErrorType -> the text it prints
INVALID, REQUIRED, DUPLICATE = "Invalid value", "Required value", "Duplicate value"
NOT_SUPPORTED, FORBIDDEN, TOO_LONG, TOO_MANY = "Unsupported value", "Forbidden", "Too long", "Too many"
_NO_VALUE = {REQUIRED, FORBIDDEN, TOO_LONG}

# Field errors whose presence makes the API server skip the CEL rules (hasBlockingErr in
# apiextensions-apiserver/pkg/registry/customresource/strategy.go): NotSupported, Required,
# TooLong, TooMany and TypeInvalid.
BLOCKING_KINDS = {"NotSupported", "Required", "TooLong", "TooMany", "TypeInvalid"}


@dataclass(frozen=True)
class Finding:
    """One thing the validator has to say about an object (path "" is the object root)."""

    severity: Severity
    path: str
    message: str
    kind: str = ""  # the field.ErrorType name for errors ("Invalid", "Required", ...)
    rule: str | None = None  # the CEL rule, for rule findings

    def line(self) -> str:
        """'path: message' as the API server prints a field error."""
        return f"{self.path or '<nil>'}: {self.message}"


def field_error(kind: str, path: str, value: Any = None, detail: str = "", severity: Severity = "error",
                rule: str | None = None) -> Finding:
    """A field error of this kind ('Invalid', 'TypeInvalid', 'Required', 'Duplicate', 'NotSupported',
    'Forbidden', 'TooLong', 'TooMany'), rendered like field.Error.ErrorBody."""
    text = {"Invalid": INVALID, "TypeInvalid": INVALID, "Required": REQUIRED, "Duplicate": DUPLICATE,
            "NotSupported": NOT_SUPPORTED, "Forbidden": FORBIDDEN, "TooLong": TOO_LONG, "TooMany": TOO_MANY}[kind]
    body = text if text in _NO_VALUE else f"{text}: {go_value(value)}"
    if detail:
        body += f": {detail}"
    return Finding(severity, path, body, kind, rule)


def child(path: str, name: str) -> str:
    """field.Path.Child."""
    return f"{path}.{name}" if path else name


def key(path: str, k: str) -> str:
    """field.Path.Key (a map entry)."""
    return f"{path}[{k}]"


def index(path: str, i: int) -> str:
    """field.Path.Index."""
    return f"{path}[{i}]"
