"""The plain input classes and their fast reader (model/ingress.py) against the strict pydantic
models (model/ingress_strict.py), which define what ing2gw accepts: on every Ingress, IngressClass,
Service and Namespace of the test data, and on hand-made variants the fast reader must decline,
both ways give equal objects or the same errors."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from datapaths import DATA
from ing2gw.load import Manifest, load
from ing2gw.model import ingress as mi
from ing2gw.origin import Origin

ROOT = Path(__file__).resolve().parents[1]
KINDS: dict[str, type[mi.InputObject]] = {"Ingress": mi.Ingress, "IngressClass": mi.IngressClass,
                                          "Service": mi.Service, "Namespace": mi.Namespace}


def _manifests() -> list[Manifest]:
    files = sorted(str(p) for p in (ROOT / "golden").rglob("input.yaml"))
    files += sorted(str(p) for d in ("realworld-mix", "cases", "detect") for p in (DATA / d).rglob("*.yaml"))
    out = []
    for f in files:
        try:
            out += [m for m in load([f]) if m.kind in KINDS and m.api_version in ("v1", "networking.k8s.io/v1")]
        except Exception:  # an invalid file of the mix: not this test's concern
            continue
    return out


def _both(cls: type[mi.InputObject], m: Manifest) -> tuple[Any, Any]:
    """(fast reader's result or its exception type, strict models' result or their problems)."""
    try:
        fast: Any = mi._FAST[cls](m.obj, m.origin)
    except mi._Unsure:
        fast = mi._Unsure
    try:
        strict: Any = mi.parse_strict(cls, m)
    except mi.ParseError as exc:
        strict = [str(p) for p in exc.problems]
    return fast, strict


def test_fast_reader_agrees_with_the_strict_models_on_the_test_data() -> None:
    manifests = _manifests()
    assert len(manifests) > 150
    read_fast = 0
    for m in manifests:
        fast, strict = _both(KINDS[m.kind], m)
        if fast is mi._Unsure:
            continue  # declined: the strict models decide, so parse() is theirs
        read_fast += 1
        assert not isinstance(strict, list), (m.origin, strict)  # accepted what the models refuse
        assert fast == strict, m.origin
    assert read_fast > 0.9 * len(manifests)  # the fast reader is the common way


ING = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "namespace": "shop"},
       "spec": {"rules": [{"host": "a.example.com", "http": {"paths": [
           {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}
SVC = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
       "spec": {"ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}


def _edit(obj: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    node = out
    for p in path[:-1]:
        node = node[p]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


BACKEND = ("spec", "rules", 0, "http", "paths", 0, "backend")
VARIANTS = [
    (ING, ("metadata", "name"), "Web"),
    (ING, ("metadata", "namespace"), None),
    (ING, ("metadata", "labels"), {"app": True}),
    (ING, ("metadata", "labels"), None),
    (ING, ("metadata", "annotations"), {"a/b/c": "x"}),
    (ING, ("metadata", "creationTimestamp"), 2024),
    (ING, ("spec", "ingressClassName"), "Nginx"),
    (ING, ("spec", "ingress_class_name"), "nginx"),
    (ING, ("spec", "rules"), None),
    (ING, ("spec", "rules"), []),
    (ING, ("spec", "tls"), [{"hosts": ["a.example.com"], "secretName": "tls"}]),
    (ING, ("spec", "tls"), [{"hosts": None}]),
    (ING, ("spec", "defaultBackend"), {"service": {"name": "web", "port": {"name": "http"}}}),
    (ING, ("spec", "rules", 0, "http", "paths"), []),
    (ING, ("spec", "rules", 0, "http", "paths", 0, "pathType"), "prefix"),
    (ING, ("spec", "rules", 0, "http", "paths", 0, "path_type"), "Prefix"),
    (ING, ("spec", "rules", 0, "http", "paths", 0, "path"), 5),
    (ING, (*BACKEND, "service", "port", "number"), True),
    (ING, (*BACKEND, "service", "port", "number"), "80"),
    (ING, (*BACKEND, "service", "port", "number"), 0),
    (ING, (*BACKEND, "service", "port", "name"), "http"),
    (ING, (*BACKEND, "service", "port"), {"name": "Http--"}),
    (ING, (*BACKEND, "service", "name"), "1web"),
    (ING, (*BACKEND, "resource"), {"kind": "Bucket", "name": "b"}),
    (ING, BACKEND, {"resource": {"apiGroup": "k8s.example.com", "kind": "Bucket", "name": "b"}}),
    (ING, ("apiVersion",), None),
    (ING, ("kind",), "Service"),
    (ING, ("spec",), KeyError),
    (ING, ("metadata",), KeyError),
    (SVC, ("metadata", "name"), "web.example"),
    (SVC, ("spec", "ports", 0, "port"), 70000),
    (SVC, ("spec", "ports", 0, "targetPort"), 8080),
    (SVC, ("spec", "ports", 0, "targetPort"), True),
    (SVC, ("spec", "ports", 0, "target_port"), 8080),
    (SVC, ("spec", "clusterIP"), "None"),
    (SVC, ("spec",), None),
    (SVC, ("spec",), KeyError),
]


@pytest.mark.parametrize(("base", "path", "value"), VARIANTS)
def test_parse_is_the_strict_models_on_variants(base: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    m = Manifest(_edit(base, path, value), Origin("x.yaml", 1))
    cls = KINDS[base["kind"]]
    fast, strict = _both(cls, m)
    if fast is not mi._Unsure:
        assert fast == strict
    try:
        got: Any = mi.parse(cls, m)
    except mi.ParseError as exc:
        got = [str(p) for p in exc.problems]
    assert got == strict
