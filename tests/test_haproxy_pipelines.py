"""HAProxy inputs through `migrate`, the KRM function and the Kustomize exec plugin: an Ingress
with haproxy.org annotations, a Service with its own (backend annotations, route-acl) and the
controller ConfigMap (frontend defaults) give the same routes in each, and verify."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ing2gw import krm
from ing2gw.cli import main

CONFIGMAP: dict[str, Any] = {
    "apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "haproxy-kubernetes-ingress", "namespace": "haproxy-controller"},
    # a frontend default for every Ingress (H-A2): the ConfigMap's value applies where the Ingress has none
    "data": {"response-set-header": "X-Frame-Options DENY"}}
SERVICE: dict[str, Any] = {
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "web", "namespace": "shop", "annotations": {"haproxy.org/load-balance": "leastconn"}},
    "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}
CANARY: dict[str, Any] = {
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "canary", "namespace": "shop", "annotations": {"haproxy.org/route-acl": "hdr(x-canary) on"}},
    "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}
INGRESS: dict[str, Any] = {
    "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
    "metadata": {"name": "web", "namespace": "shop", "annotations": {"haproxy.org/set-host": "internal.example.com"}},
    "spec": {"ingressClassName": "haproxy", "rules": [{"host": "shop.example.com", "http": {"paths": [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}},
        # the route-acl path on a host of its own: on shop.example.com the map row's annotations would
        # apply to the requests the ACL routes too (H-H1), which a Gateway rule cannot say
        {"host": "beta.example.com", "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "canary", "port": {"number": 80}}}}]}},
    ]}}
ITEMS = [INGRESS, SERVICE, CANARY, CONFIGMAP]


def _routes(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in items if i.get("kind") == "HTTPRoute"]


def _check_routes(items: list[dict[str, Any]]) -> None:
    routes = _routes(items)
    assert routes, "the HAProxy Ingress is converted"
    rules = [r for route in routes for r in route["spec"]["rules"]]
    plain = [r for r in rules if not any(m.get("headers") for m in r["matches"])]
    canary = [r for r in rules if any(m.get("headers") for m in r["matches"])]
    # the map row: set-host from the Ingress, the response header from the controller ConfigMap
    filters = {f["type"]: f for f in plain[0]["filters"]}
    assert filters["URLRewrite"]["urlRewrite"]["hostname"] == "internal.example.com"
    assert filters["ResponseHeaderModifier"]["responseHeaderModifier"]["set"] == [
        {"name": "X-Frame-Options", "value": "DENY"}]
    # the route-acl of the Service: a header match to the canary, without the Ingress's annotations (H-H1)
    assert canary[0]["matches"][0]["headers"] == [{"name": "x-canary", "value": "on"}]
    assert canary[0]["backendRefs"][0]["name"] == "canary" and "filters" not in canary[0]


def _codes(results: list[dict[str, Any]]) -> set[str]:
    return {str(r.get("message", "")).split(":")[0].split()[-1] for r in results}


def test_krm_function() -> None:
    rl = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [dict(i) for i in ITEMS],
          "functionConfig": {"apiVersion": "ing2gw.io/v1alpha1", "kind": "Ing2Gw", "metadata": {"name": "x"},
                             "spec": {"failOn": "error"}}}
    out, outcome = krm.run_function(rl)
    assert outcome.exit_code == 0, outcome.fatal
    kinds = sorted(i["kind"] for i in out["items"])
    assert "Ingress" not in kinds and kinds.count("Service") == 2 and "ConfigMap" in kinds and "Gateway" in kinds
    _check_routes(out["items"])
    messages = " ".join(str(r["message"]) for r in out["results"])
    assert "ING2GW-HAPROXY-036" in messages and "haproxy.org/load-balance" in messages


def test_krm_function_takes_the_controller_flags() -> None:
    rl = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [dict(i) for i in ITEMS],
          "functionConfig": {"apiVersion": "ing2gw.io/v1alpha1", "kind": "Ing2Gw", "metadata": {"name": "x"},
                             "spec": {"haproxyFlags": ["--ingress.class=haproxy", "--disable-https",
                                                       "--configmap=haproxy-controller/haproxy-kubernetes-ingress"]}}}
    out, outcome = krm.run_function(rl)
    assert outcome.exit_code == 0, outcome.fatal
    gateway, = [i for i in out["items"] if i["kind"] == "Gateway"]
    assert {listener["protocol"] for listener in gateway["spec"]["listeners"]} == {"HTTP"}
    bad = dict(rl, functionConfig={"apiVersion": "ing2gw.io/v1alpha1", "kind": "Ing2Gw", "metadata": {"name": "x"},
                                   "spec": {"haproxyFlags": ["--ingress-class=haproxy"]}})
    _, outcome = krm.run_function(bad)
    assert outcome.exit_code == 2 and "unknown flag of the HAProxy controller" in outcome.fatal[0]


def test_kustomize_plugin() -> None:
    outcome = krm.run_plugin({"apiVersion": "ing2gw.io/v1alpha1", "kind": "Ing2Gw", "metadata": {"name": "x"},
                              "spec": {}}, [dict(i) for i in ITEMS])
    assert outcome.exit_code == 0, outcome.fatal
    _check_routes(outcome.items)
    # the plugin invents no paths: the output is what kustomize builds
    assert not any("config.kubernetes.io/path" in (i["metadata"].get("annotations") or {}) for i in outcome.items)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "apps" / "shop").mkdir(parents=True)
    (root / "infra").mkdir()
    (root / "apps" / "shop" / "ingress.yaml").write_text(yaml.safe_dump(INGRESS, sort_keys=False))
    (root / "apps" / "shop" / "service.yaml").write_text(yaml.safe_dump_all([SERVICE, CANARY], sort_keys=False))
    (root / "infra" / "haproxy-configmap.yaml").write_text(yaml.safe_dump(CONFIGMAP, sort_keys=False))
    return root


def test_migrate_in_place_and_verify(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", str(repo), "--in-place", "--verify", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "0 unexplained" in err, err
    written = repo / "apps" / "shop" / "ingress.gateway.yaml"
    assert written.is_file()
    _check_routes(list(yaml.safe_load_all(written.read_text())))
    assert main(["migrate", str(repo), "--in-place"]) == 0
    assert "nothing to change" in capsys.readouterr().err
