"""Read what the controller reads: Ingresses, Services (with their annotations), IngressClasses,
ConfigMaps and Secrets, the way its store keeps them (haproxy-semantics.md A).

Ingresses, Services and IngressClasses are validated by the shared reader
(`simulate.ingress_objects`, API-server rules); this module adds what that reader leaves to each
controller: annotation names without their prefix (H-A2), Service annotations, the controller
ConfigMaps and Secret data (basic-auth credentials).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ing2gw.errors import InputError, Problem
from ing2gw.load import Manifest
from ing2gw.simulate.ingress_objects import Ingress, IngressInputs, read_ingress_inputs

#: annotation prefixes the controller strips; the first that matches is removed, and a key
#: without any of them is used as is (`pkg/annotations/validators/validations.go`,
#: `pkg/store/convert.go` cleanAnnotation)
PREFIXES = ("haproxy.org/", "ingress.kubernetes.io/", "haproxy.com/")
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"


def clean_annotations(raw: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Annotation names as the controller stores them, and the names that collided.

    Two keys cleaning to the same name (`haproxy.org/x` and `x`) are copied from a Go map in
    random order: which value wins is undefined; the first in input order is kept and the
    collision reported.
    """
    out: dict[str, str] = {}
    collisions: list[str] = []
    for key, value in raw.items():
        name = key
        for prefix in PREFIXES:
            if key.startswith(prefix):
                name = key[len(prefix):]
                break
        if name in out and out[name] != value:
            collisions.append(name)
            continue
        out.setdefault(name, value)
    return out, collisions


@dataclass(frozen=True)
class SecretData:
    """A Secret of the input: its type and decoded data (`data` base64, `stringData` plain)."""

    type: str
    data: Mapping[str, bytes]


@dataclass
class HAProxyInputs:
    """Everything the HAProxy router reads from the manifests."""

    base: IngressInputs
    #: "ns/name" -> cleaned Service annotations
    service_annotations: dict[str, dict[str, str]] = field(default_factory=dict)
    #: "ns/name" -> ConfigMap data, and its metadata annotations apart
    configmaps: dict[str, dict[str, str]] = field(default_factory=dict)
    configmap_annotations: dict[str, dict[str, str]] = field(default_factory=dict)
    secrets: dict[str, SecretData] = field(default_factory=dict)
    #: "ns/name" of an Ingress -> cleaned annotations
    ingress_annotations: dict[str, dict[str, str]] = field(default_factory=dict)
    #: IngressClass name -> (controller, is-default-class annotation exactly "true")
    classes: dict[str, tuple[str, bool]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ingresses(self) -> list[Ingress]:
        return self.base.ingresses


def _key(m: Manifest) -> str:
    return f"{m.namespace or 'default'}/{m.name}"


def _string_map(m: Manifest, what: str, raw: Any, problems: list[Problem]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(Problem(m.origin.file, m.origin.line, f"{m.kind} {_key(m)}: {what} must be a mapping of strings"))
        return {}
    out: dict[str, str] = {}
    for k, v in raw.items():
        if v is None:
            v = ""
        if not isinstance(v, str):
            shown = str(v).lower() if isinstance(v, bool) else str(v)
            problems.append(Problem(m.origin.file, m.origin.line,
                                    f"{m.kind} {_key(m)}: {what}[{k}]: the value {shown} is not a string; "
                                    f"quote it: \"{shown}\""))
            continue
        out[str(k)] = v
    return out


def read_inputs(manifests: Iterable[Manifest]) -> HAProxyInputs:
    """Read the manifests. Raises InputError listing every object the API server would refuse."""
    manifests = list(manifests)
    problems: list[Problem] = []
    try:
        base = read_ingress_inputs(manifests)
    except InputError as exc:
        problems.extend(exc.problems)
        base = IngressInputs()
    out = HAProxyInputs(base=base)
    for m in manifests:
        md = m.obj.get("metadata") if isinstance(m.obj.get("metadata"), dict) else {}
        assert isinstance(md, dict)
        if m.kind == "Service" and m.api_version == "v1":
            anns = _string_map(m, "metadata.annotations", md.get("annotations"), problems)
            cleaned, collisions = clean_annotations(anns)
            out.service_annotations[_key(m)] = cleaned
            out.notes.extend(f"Service {_key(m)}: annotation {c!r} is given twice (with and without a prefix); "
                             "which value the controller uses is undefined" for c in collisions)
        elif m.kind == "ConfigMap" and m.api_version == "v1":
            out.configmaps[_key(m)] = _string_map(m, "data", m.obj.get("data"), problems)
            out.configmap_annotations[_key(m)] = _string_map(m, "metadata.annotations", md.get("annotations"),
                                                             problems)
        elif m.kind == "Secret" and m.api_version == "v1":
            out.secrets[_key(m)] = _secret(m, problems)
        elif m.kind == "IngressClass" and m.api_version in ("networking.k8s.io/v1", "networking.k8s.io/v1beta1"):
            spec = m.obj.get("spec") if isinstance(m.obj.get("spec"), dict) else {}
            assert isinstance(spec, dict)
            class_anns = md.get("annotations") if isinstance(md.get("annotations"), dict) else {}
            assert isinstance(class_anns, dict)
            out.classes[m.name] = (str(spec.get("controller") or ""),
                                   class_anns.get(DEFAULT_CLASS_ANNOTATION) == "true")
    if problems:
        raise InputError(problems)
    for ing in base.ingresses:
        cleaned, collisions = clean_annotations(ing.annotations)
        out.ingress_annotations[ing.key] = cleaned
        out.notes.extend(f"Ingress {ing.key}: annotation {c!r} is given twice (with and without a prefix); "
                         "which value the controller uses is undefined" for c in collisions)
    return out


def _secret(m: Manifest, problems: list[Problem]) -> SecretData:
    data: dict[str, bytes] = {}
    raw = m.obj.get("data") or {}
    if isinstance(raw, dict):
        for k, v in raw.items():
            try:
                data[str(k)] = base64.b64decode(str(v or ""), validate=True)
            except (binascii.Error, ValueError):
                problems.append(Problem(m.origin.file, m.origin.line,
                                        f"Secret {_key(m)}: data[{k}] is not base64; put plain text under stringData"))
    else:
        problems.append(Problem(m.origin.file, m.origin.line, f"Secret {_key(m)}: data must be a mapping"))
    string_data = m.obj.get("stringData") or {}
    if isinstance(string_data, dict):
        for k, v in string_data.items():
            data[str(k)] = str(v if v is not None else "").encode("utf-8")
    return SecretData(str(m.obj.get("type") or "Opaque"), data)
