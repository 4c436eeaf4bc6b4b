"""The "lost in translation" view: a semantic diff between what each Ingress expressed and what
the emitted objects express."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ing2gw.load import load, load_text
from ing2gw.options import Options
from ing2gw.report import build_report
from ing2gw.report.lost import diff
from ing2gw.translate import translate

ROOT = Path(__file__).resolve().parents[1]

ING = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: shop
  creationTimestamp: "{ts}"
  annotations: {annotations}
spec:
  ingressClassName: nginx
  rules:
  - host: {host}
    http:
      paths:
      - path: {path}
        pathType: Prefix
        backend: {{service: {{name: {svc}, port: {port}}}}}
"""


def ingress(name: str = "web", host: str = "shop.example.com", path: str = "/", svc: str = "web",
            port: str = "{number: 80}", annotations: str = "{}", ts: str = "2024-01-01T00:00:00Z") -> str:
    return ING.format(name=name, host=host, path=path, svc=svc, port=port, annotations=annotations, ts=ts)


def changes(text: str, key: str = "shop/web") -> list[tuple[str, str, Any, Any]]:
    r = build_report(translate(load_text(text, "in.yaml"), Options()))
    e = next(i for i in r.ingresses if f"{i.namespace}/{i.name}" == key)
    return [(c.kind, c.path, c.ingress, c.gateway) for c in e.lost.changes]


def test_nothing_lost_for_a_plain_ingress() -> None:
    assert changes(ingress()) == []
    r = build_report(translate(load([str(ROOT / "examples" / "shop")]), Options()))
    assert all(i.lost.changes == [] for i in r.ingresses) and r.totals.lost == {"removed": 0, "changed": 0, "added": 0}
    web = r.ingresses[-1].lost
    assert web.expressed == web.emitted and web.expressed["hosts"]["shop.example.com"]["tls"] is True


def test_lost_allow_list_is_removed() -> None:
    got = changes(ingress(annotations='{nginx.ingress.kubernetes.io/whitelist-source-range: "10.0.0.0/8"}'))
    assert got == [("removed", "annotations › whitelist-source-range", "10.0.0.0/8", None)]


def test_redirect_query_is_changed() -> None:
    got = changes(ingress(annotations='{nginx.ingress.kubernetes.io/permanent-redirect: '
                                      '"https://new.example.com/landing?x=1"}'))
    assert ("changed", "shop.example.com › prefix / › redirect", "301 https://new.example.com/landing?x=1",
            "301 https://new.example.com/landing") in got


def test_conflict_loser_path_is_removed() -> None:
    text = ingress(name="old", svc="a") + "---\n" + ingress(name="web", svc="b", ts="2024-02-01T00:00:00Z")
    assert changes(text, "shop/old") == []
    # the loser has no route left: its whole host is lost
    host = {"tls": False, "http": "served", "paths": {"prefix /": {"backend": "shop/b:80"}}}
    assert changes(text, "shop/web") == [("removed", "shop.example.com", host, None)]


def test_unresolved_named_port_changes_the_backend() -> None:
    got = changes(ingress(port="{name: http}"))
    assert got == [("changed", "shop.example.com › prefix / › backend", "shop/web:http", "none (500)")]


def test_canary_merge_shows_on_the_primary() -> None:
    canary = ingress(name="web-canary", svc="web-canary", annotations='{nginx.ingress.kubernetes.io/canary: "true", '
                     'nginx.ingress.kubernetes.io/canary-weight: "10"}')
    text = ingress() + "---\n" + canary
    assert changes(text, "shop/web") == [("changed", "shop.example.com › prefix / › backend", "shop/web:80",
                                          "shop/web:80 90%, shop/web-canary:80 10%")]
    assert changes(text, "shop/web-canary") == []  # its share of the primary's rule is what it asked for


def test_diff_is_semantic_and_can_fail() -> None:
    a = {"hosts": {"h": {"tls": True, "paths": {"prefix /": {"backend": "x"}, "prefix /b": {"backend": "y"}}}}}
    b = {"hosts": {"h": {"tls": True, "paths": {"prefix /b": {"backend": "y"}, "prefix /": {"backend": "x"}}}}}
    assert diff(a, b) == []  # key order does not matter
    b["hosts"]["h"]["paths"]["prefix /"]["backend"] = "z"
    b["hosts"]["h"]["tls"] = False
    got = [(c.kind, c.path, c.ingress, c.gateway) for c in diff(a, b)]
    assert got == [("changed", "h › prefix / › backend", "x", "z"), ("changed", "h › tls", True, False)]
