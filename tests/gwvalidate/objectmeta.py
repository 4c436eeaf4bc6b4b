"""ObjectMeta checks of a create (apimachinery pkg/api/validation/objectmeta.go
ValidateObjectMetaAccessor with NameIsDNSSubdomain, as custom resources use it)."""

from __future__ import annotations

from typing import Any

from .cellib import dns1123_label_errors, dns1123_subdomain_errors, label_value_errors, qualified_name_errors
from .findings import Finding, child, field_error

OBJECT_META_FIELDS = {"name", "generateName", "namespace", "labels", "annotations", "uid", "selfLink",
                      "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
                      "deletionGracePeriodSeconds", "ownerReferences", "finalizers", "managedFields"}
ANNOTATIONS_LIMIT = 256 * 1024


def check_metadata(obj: dict[str, Any], namespaced: bool) -> list[Finding]:
    """Errors and warnings about metadata: name (or generateName), namespace, labels, annotations."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return [field_error("Required", "metadata.name", detail="name or generateName is required")]
    out = [Finding("warning", child("metadata", k), f'unknown field "metadata.{k}": dropped by the API server')
           for k in meta if k not in OBJECT_META_FIELDS]
    name, generate = meta.get("name"), meta.get("generateName")
    for field, value in (("name", name), ("generateName", generate), ("namespace", meta.get("namespace"))):
        if value is not None and not isinstance(value, str):
            out.append(field_error("Invalid", f"metadata.{field}", value, "must be a string (ObjectMeta cannot decode it)"))
    if isinstance(generate, str) and generate:
        # a prefix: a trailing '-' is fine (NameIsDNSSubdomain(name, prefix=true) masks it)
        masked = generate[:-1] + "a" if generate.endswith("-") else generate
        out += [field_error("Invalid", "metadata.generateName", generate, m) for m in dns1123_subdomain_errors(masked)]
    if not name:
        if not generate:
            out.append(field_error("Required", "metadata.name", detail="name or generateName is required"))
    elif isinstance(name, str):
        out += [field_error("Invalid", "metadata.name", name, m) for m in dns1123_subdomain_errors(name)]
    ns = meta.get("namespace")
    if ns and not namespaced:
        out.append(Finding("warning", "metadata.namespace",
                           "namespace ignored: the kind is cluster-scoped (the request carries no namespace)"))
    elif isinstance(ns, str) and ns:
        out += [field_error("Invalid", "metadata.namespace", ns, m) for m in dns1123_label_errors(ns)]
    out += _string_map(meta, "labels", is_labels=True)
    out += _string_map(meta, "annotations", is_labels=False)
    return out


def _string_map(meta: dict[str, Any], field: str, is_labels: bool) -> list[Finding]:
    m = meta.get(field)
    path = f"metadata.{field}"
    if m is None:
        return []
    if not isinstance(m, dict):
        return [field_error("Invalid", path, m, "must be a map of strings (ObjectMeta cannot decode it)")]
    out: list[Finding] = []
    for k, v in m.items():
        # ValidateLabels / ValidateAnnotations report at the map's path, with the bad key or value
        for msg in qualified_name_errors(k if is_labels else k.lower()):
            out.append(field_error("Invalid", path, k, msg))
        if not isinstance(v, str):
            out.append(field_error("Invalid", f"{path}[{k}]", v, "must be a string (ObjectMeta cannot decode it)"))
        elif is_labels:
            out += [field_error("Invalid", path, v, msg) for msg in label_value_errors(v)]
    if not is_labels and sum(len(k.encode()) + len(str(v).encode()) for k, v in m.items()) > ANNOTATIONS_LIMIT:
        out.append(field_error("TooLong", path, detail=f"must have at most {ANNOTATIONS_LIMIT} bytes"))
    return out
