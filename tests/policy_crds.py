"""Schema checks of implementation objects against the CRDs vendored in
tests/data/gateway-api/implementations/ (OpenAPI v3 schema only: the CEL rules need the shared
validator). Gateway API's own objects and core objects are not checked here."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jsonschema
import yaml  # type: ignore[import-untyped]

from datapaths import IMPLEMENTATIONS


@lru_cache(maxsize=1)
def _schemas() -> dict[tuple[str, str, str], dict[str, Any]]:
    """(group, version, kind) -> openAPIV3Schema of every vendored implementation CRD."""
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for f in sorted(IMPLEMENTATIONS.glob("*/crds/*.y*ml")):
        for doc in yaml.load_all(f.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for v in spec["versions"]:
                if v.get("served", True) and "schema" in v:
                    out[(spec["group"], v["name"], spec["names"]["kind"])] = v["schema"]["openAPIV3Schema"]
    return out


def known(obj: dict[str, Any]) -> bool:
    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    return (group, version, str(obj.get("kind"))) in _schemas()


def schema_errors(obj: dict[str, Any]) -> list[str]:
    """Schema errors of one object ([] when valid, or when no vendored CRD defines its kind)."""
    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    schema = _schemas().get((group, version, str(obj.get("kind"))))
    if schema is None:
        return []
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
    sub = {"type": "object", "properties": {k: schema.get("properties", {}).get(k, {}) for k in body},
           "additionalProperties": False}
    name = f"{obj.get('kind')} {(obj.get('metadata') or {}).get('namespace', '')}/{(obj.get('metadata') or {}).get('name')}"
    return [f"{name}: {'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in jsonschema.Draft7Validator(sub).iter_errors(body)] + _unknown_fields(name, body, sub)


def _unknown_fields(name: str, value: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Fields the schema does not define (the API server would prune them: a silent loss)."""
    out: list[str] = []
    if isinstance(value, dict):
        props = schema.get("properties")
        if props is None:
            return out
        for k, v in value.items():
            if k not in props:
                if not schema.get("x-kubernetes-preserve-unknown-fields") and not schema.get("additionalProperties"):
                    out.append(f"{name}: {path}{k}: unknown field")
                continue
            out += _unknown_fields(name, v, props[k], f"{path}{k}.")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            out += _unknown_fields(name, item, schema["items"], f"{path}{i}.")
    return out
