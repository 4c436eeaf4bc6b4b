"""Traefik inputs (an IngressRoute with a Middleware, a Traefik Ingress) through `ing2gw migrate`,
the KRM function and the Kustomize plugin."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ing2gw import krm
from ing2gw.cli import main

ROUTES = """\
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: strip-api, namespace: shop}
spec:
  stripPrefix: {prefixes: [/api]}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: api, namespace: shop}
spec:
  entryPoints: [websecure]
  routes:
  - match: Host(`shop.example.com`) && PathPrefix(`/api`)
    kind: Rule
    middlewares: [{name: strip-api}]
    services: [{name: api, port: 80}]
  tls: {secretName: shop-tls}
"""

INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    traefik.ingress.kubernetes.io/router.entrypoints: web
spec:
  ingressClassName: traefik
  rules:
  - host: www.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
"""


def docs(text: str) -> list[dict[str, Any]]:
    return [d for d in YAML(typ="safe").load_all(text) if d]


def kinds(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(i["kind"], i["metadata"]["name"]) for i in items]


def route(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    found, = [i for i in items if i["kind"] == "HTTPRoute" and i["metadata"]["name"] == name]
    return found


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "apps" / "shop").mkdir(parents=True)
    (root / "apps" / "shop" / "routes.yaml").write_text(ROUTES)
    (root / "apps" / "shop" / "ingress.yaml").write_text(INGRESS)
    return root


def test_migrate_translates_ingress_routes_and_traefik_ingresses(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", str(repo), "--in-place", "--verify", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert " 0 unexplained" in err
    # each source's routes beside its own file; the grant to the certificate with its user
    beside_routes = docs((repo / "apps" / "shop" / "routes.gateway.yaml").read_text())
    beside_ingress = docs((repo / "apps" / "shop" / "ingress.gateway.yaml").read_text())
    assert kinds(beside_ingress) == [("HTTPRoute", "web")]
    assert sorted(k for k, _ in kinds(beside_routes)) == ["HTTPRoute", "ReferenceGrant"]
    api, web = route(beside_routes, "api"), route(beside_ingress, "web")
    assert api["metadata"]["annotations"]["ing2gw.io/source-ingress"] == "IngressRoute/shop/api"
    assert {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}} \
        in api["spec"]["rules"][0]["filters"]
    assert [p["sectionName"] for p in api["spec"]["parentRefs"]] == ["https-shop.example.com"]
    assert [p["sectionName"] for p in web["spec"]["parentRefs"]] == ["http-www.example.com"]
    gateway, = docs((repo / "platform" / "gateway-api" / "gateway.yaml").read_text())
    assert gateway["spec"]["gatewayClassName"] == "traefik"
    # a second run finds nothing to change
    before = {p: p.read_bytes() for p in sorted(repo.rglob("*")) if p.is_file()}
    assert main(["migrate", str(repo), "--in-place", "--no-progress"]) == 0
    assert before == {p: p.read_bytes() for p in sorted(repo.rglob("*")) if p.is_file()}


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_migrate_a_repository_of_ingress_routes_only(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "apps" / "shop" / "ingress.yaml").unlink()
    (repo / "apps" / "shop" / "kustomization.yaml").write_text("resources:\n- routes.yaml\n")
    assert main(["migrate", str(repo), "--in-place", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "ing2gw: 1 IngressRoute(s) in 2 file(s); added" in err
    written = docs((repo / "apps" / "shop" / "routes.gateway.yaml").read_text())
    assert route(written, "api")["metadata"]["annotations"]["ing2gw.io/source-ingress"] == "IngressRoute/shop/api"
    assert (repo / "apps" / "shop" / "kustomization.yaml").read_text() == \
        "resources:\n- routes.yaml\n- routes.gateway.yaml\n"
    assert "Migrate 1 IngressRoute to Gateway API" in (repo / "MIGRATION.md").read_text()
    # the IngressRoute is kept unless --remove-ingress
    assert ("IngressRoute", "api") in kinds(docs((repo / "apps" / "shop" / "routes.yaml").read_text()))
    before = snapshot(repo)
    assert main(["migrate", str(repo), "--in-place", "--no-progress"]) == 0
    assert "nothing to change: the repository is already migrated" in capsys.readouterr().err
    assert snapshot(repo) == before


def test_migrate_removes_a_converted_ingress_route_and_keeps_its_middleware(repo: Path) -> None:
    (repo / "apps" / "shop" / "ingress.yaml").unlink()
    assert main(["migrate", str(repo), "--in-place", "--remove-ingress", "--no-progress"]) == 0
    left = kinds(docs((repo / "apps" / "shop" / "routes.yaml").read_text()))
    assert left == [("Service", "api"), ("Middleware", "strip-api")], "Middlewares stay: other routes may use them"
    header = (repo / "apps" / "shop" / "routes.gateway.yaml").read_text().splitlines()[1]
    assert header == "# removed Ingresses (their objects stay here): IngressRoute/shop/api"
    # a second run keeps the routes of the removed IngressRoute as they are
    before = snapshot(repo)
    assert main(["migrate", str(repo), "--in-place", "--remove-ingress", "--no-progress"]) == 0
    assert snapshot(repo) == before


def test_migrate_keeps_an_ingress_route_that_was_not_translated(repo: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Traefik drops a router whose Middleware does not exist: nothing is emitted, and the
    IngressRoute is kept with the reason (like an Ingress)."""
    text = ROUTES.replace("middlewares: [{name: strip-api}]", "middlewares: [{name: missing}]")
    (repo / "apps" / "shop" / "routes.yaml").write_text(text)
    (repo / "apps" / "shop" / "ingress.yaml").unlink()
    main(["migrate", str(repo), "--in-place", "--remove-ingress", "--no-progress", "-v"])
    assert "ING2GW-BATCH-003: IngressRoute shop/api: not removed: it was not translated" in capsys.readouterr().err
    assert ("IngressRoute", "api") in kinds(docs((repo / "apps" / "shop" / "routes.yaml").read_text()))


def test_migrate_mixed_sources_in_different_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "repo"
    (root / "apps" / "web").mkdir(parents=True)
    (root / "apps" / "api").mkdir(parents=True)
    (root / "apps" / "web" / "ingress.yaml").write_text(INGRESS)
    (root / "apps" / "api" / "ingressroute.yaml").write_text(ROUTES)
    assert main(["migrate", str(root), "--in-place", "--remove-ingress", "--no-progress"]) == 0
    assert "1 Ingress(es) and 1 IngressRoute(s) in 2 file(s)" in capsys.readouterr().err
    web = docs((root / "apps" / "web" / "ingress.gateway.yaml").read_text())
    api = docs((root / "apps" / "api" / "ingressroute.gateway.yaml").read_text())
    assert [k for k in kinds(web) if k[0] == "HTTPRoute"] == [("HTTPRoute", "web")]
    assert [k for k in kinds(api) if k[0] == "HTTPRoute"] == [("HTTPRoute", "api")]
    # the grant to the certificate goes beside the IngressRoute whose tls names it
    grant, = [o for o in api if o["kind"] == "ReferenceGrant"]
    assert grant["spec"]["to"] == [{"group": "", "kind": "Secret", "name": "shop-tls"}]
    assert not [o for o in web if o["kind"] == "ReferenceGrant"]
    assert not (root / "apps" / "web" / "ingress.yaml").exists()  # held only the Ingress
    assert kinds(docs((root / "apps" / "api" / "ingressroute.yaml").read_text())) == \
        [("Service", "api"), ("Middleware", "strip-api")]
    before = snapshot(root)
    assert main(["migrate", str(root), "--in-place", "--remove-ingress", "--no-progress"]) == 0
    assert snapshot(root) == before


def test_krm_function_replaces_the_ingress_route_and_keeps_its_middleware() -> None:
    rl = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": docs(ROUTES)}
    out, outcome = krm.run_function(rl)
    assert outcome.exit_code == 0, outcome.fatal
    assert kinds(out["items"])[:2] == [("Service", "api"), ("Middleware", "strip-api")]
    assert ("IngressRoute", "api") not in kinds(out["items"])
    assert route(out["items"], "api")["spec"]["hostnames"] == ["shop.example.com"]
    assert "ING2GW-KRM-002" not in {f.code for f in outcome.findings}, "an IngressRoute is something to convert"
    # keepIngress keeps the source objects, IngressRoutes too
    rl["functionConfig"] = {"apiVersion": "ing2gw.io/v1alpha1", "kind": "Ing2Gw", "spec": {"keepIngress": True}}
    out, _ = krm.run_function(rl)
    assert ("IngressRoute", "api") in kinds(out["items"])


def test_krm_function_with_a_traefik_ingress_and_its_static_configuration() -> None:
    config = {"apiVersion": "ing2gw.io/v1alpha1", "kind": "Ing2Gw", "spec": {"traefikStatic": {"entryPoints": {
        "web": {"address": ":8000"}, "websecure": {"address": ":8443", "http": {"tls": {}}}}}}}
    items = docs(INGRESS) + docs(ROUTES)[:1]
    out, outcome = krm.run_function({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
                                     "items": items, "functionConfig": config})
    assert outcome.exit_code == 0, outcome.fatal
    assert ("Ingress", "web") not in kinds(out["items"])
    gateway, = [i for i in out["items"] if i["kind"] == "Gateway"]
    assert {x["port"] for x in gateway["spec"]["listeners"]} == {8000}
    bad = {**config, "spec": {"traefikStatic": {"entryPoints": {"web": {"address": "nowhere"}}}}}
    _, outcome = krm.run_function({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
                                   "items": items, "functionConfig": bad})
    assert outcome.exit_code != 0 and "entryPoints.web.address" in " ".join(outcome.fatal)


def test_kustomize_plugin_with_traefik_inputs() -> None:
    outcome = krm.run_plugin({"apiVersion": "ing2gw.io/v1alpha1", "kind": "Ing2Gw", "spec": {}},
                             docs(ROUTES) + docs(INGRESS))
    assert outcome.exit_code == 0, outcome.fatal
    names = kinds(outcome.items)
    assert ("IngressRoute", "api") not in names and ("Ingress", "web") not in names
    assert ("HTTPRoute", "api") in names and ("HTTPRoute", "web") in names and ("Middleware", "strip-api") in names


def test_kustomize_plugin_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("apiVersion: ing2gw.io/v1alpha1\nkind: Ing2Gw\nmetadata: {name: x}\nspec: {}\n")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((ROUTES + "---\n" + INGRESS).encode())))
    assert main(["krm", "--kustomize-plugin", str(config)]) == 0
    out = docs(capsys.readouterr().out)
    assert ("HTTPRoute", "api") in kinds(out) and ("IngressRoute", "api") not in kinds(out)


def test_migrate_ingress_routes_without_namespace_take_their_kustomization_s(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "apps" / "shop").mkdir(parents=True)
    (root / "apps" / "shop" / "routes.yaml").write_text(ROUTES.replace(", namespace: shop}", "}"))
    (root / "apps" / "shop" / "kustomization.yaml").write_text("namespace: shop\nresources:\n- routes.yaml\n")
    assert main(["migrate", str(root), "--in-place", "--remove-ingress", "--no-progress"]) == 0
    written = docs((root / "apps" / "shop" / "routes.gateway.yaml").read_text())
    api = route(written, "api")
    assert "namespace" not in api["metadata"], "written without a namespace, like the IngressRoute"
    assert api["metadata"]["annotations"]["ing2gw.io/source-ingress"] == "IngressRoute/shop/api"
    # the Middleware was found in the same (assumed) namespace: its prefix is stripped
    assert any(f.get("type") == "URLRewrite" for f in api["spec"]["rules"][0]["filters"])
    gateway, = docs((root / "platform" / "gateway-api" / "gateway.yaml").read_text())
    https, = [x for x in gateway["spec"]["listeners"] if x["protocol"] == "HTTPS"]
    assert https["tls"]["certificateRefs"] == [{"name": "shop-tls", "namespace": "shop"}]
    assert kinds(docs((root / "apps" / "shop" / "routes.yaml").read_text())) == \
        [("Service", "api"), ("Middleware", "strip-api")]


def test_cors_header_lists_that_are_not_header_names_are_left_not_converted() -> None:
    """Traefik echoes any string in accessControlAllowHeaders; the CORS filter takes header names
    only, so such a list is reported (the fuzzer found an invalid HTTPRoute built from one)."""
    from ing2gw.providers.traefik.headers import plan_headers

    bad = plan_headers({"accessControlAllowOriginList": ["https://a.example"],
                        "accessControlAllowHeaders": ["X-Ok", "[x](javascript:alert(1))"]})
    assert bad.cors is None and any("not header names" in x for x in bad.left)
    good = plan_headers({"accessControlAllowOriginList": ["https://a.example"], "accessControlAllowHeaders": ["X-Ok"],
                         "accessControlExposeHeaders": ["X-Id"]})
    assert good.cors is not None and good.cors.allow_headers == ("X-Ok",) and good.cors.expose_headers == ("X-Id",)
