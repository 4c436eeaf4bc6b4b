"""Source objects of any kind in the report and in the output's ownership: a Traefik IngressRoute
(traefik.io and the older traefik.containo.us) is a source like an Ingress, and the report takes
each controller's reading from its provider (registry `report_view`), never ingress-nginx's for
another controller's Ingress."""

from __future__ import annotations

from pathlib import Path

import pytest

from ing2gw.cli import main
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.outdir import plan_tree
from ing2gw.report import build_report, render
from ing2gw.report.model import IngressEntry, Report
from ing2gw.translate import translate

SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: blog}\nspec:\n  ports:\n  - {name: http, port: 80}\n"


def ingressroute(group: str, name: str = "blog") -> str:
    return (f"---\napiVersion: {group}/v1alpha1\nkind: IngressRoute\nmetadata: {{name: {name}, namespace: blog}}\n"
            "spec:\n  entryPoints: [web]\n  routes:\n  - match: Host(`blog.example.com`) && PathPrefix(`/`)\n"
            "    kind: Rule\n    services:\n    - {name: web, port: 80}\n")


HAPROXY = """---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: haproxy}
spec: {controller: haproxy.org/ingress-controller/haproxy}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: blog}
spec:
  ingressClassName: haproxy
  tls: [{hosts: [shop.example.com], secretName: shop-tls}]
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""


def report_of(text: str) -> Report:
    return build_report(translate(load_text(text, "in.yaml"), Options()))


def entry(r: Report, label: str) -> IngressEntry:
    found = [e for e in r.ingresses if f"{e.kind} {e.namespace}/{e.name}" == label]
    assert len(found) == 1, [f"{e.kind} {e.namespace}/{e.name}" for e in r.ingresses]
    return found[0]


@pytest.mark.parametrize("group", ["traefik.io", "traefik.containo.us"])
def test_an_ingressroute_is_a_source_of_the_report(group: str) -> None:
    r = report_of(SERVICE + ingressroute(group))
    e = entry(r, "IngressRoute blog/blog")
    assert (e.controller, e.file, e.line, e.translated) == ("traefik", "in.yaml", 8, True)
    assert [(o.kind, o.namespace, o.name) for o in e.objects if o.kind == "HTTPRoute"] == [("HTTPRoute", "blog", "blog")]
    assert not e.lost.compared and e.lost.changes == []  # no Traefik reading: not compared, nothing claimed
    assert r.totals.ingresses == 1 and r.totals.translated == 1
    md = render(r, "markdown")
    assert "### IngressRoute blog/blog" in md and "(#ingressroute-blog-blog)" in md
    assert "No Ingress in the input" not in md
    assert '"kind": "IngressRoute"' in render(r, "json")


def test_an_ingressroutes_findings_are_in_its_own_section() -> None:
    # Traefik's PathPrefix('/api/') does not match /api (TRAEFIK-011): said of the IngressRoute
    text = SERVICE + ingressroute("traefik.io").replace("PathPrefix(`/`)", "PathPrefix(`/api/`)")
    r = report_of(text)
    e = entry(r, "IngressRoute blog/blog")
    assert e.findings and all(f.subject == "IngressRoute blog/blog" for f in e.findings)
    assert not [f for f in r.other_findings if f.subject == "IngressRoute blog/blog"]


def test_a_haproxy_ingress_is_not_read_as_ingress_nginx() -> None:
    r = report_of(SERVICE + HAPROXY)
    e = entry(r, "Ingress blog/shop")
    assert e.controller == "haproxy" and e.translated
    routes = [o for o in e.objects if o.kind == "HTTPRoute"]
    assert routes and all(o.namespace == "blog" and o.name.startswith("shop-") for o in routes)
    # before the report asked the provider, it read this Ingress as ingress-nginx does and found
    # a "changed" TLS (HAProxy serves HTTPS for every host with its default certificate)
    assert not e.lost.compared and e.lost.changes == [] and r.totals.lost == {"removed": 0, "changed": 0, "added": 0}
    assert "not compared" in render(r, "markdown")


def test_an_ingress_nginx_ingress_is_still_compared() -> None:
    text = SERVICE + HAPROXY.replace("haproxy.org/ingress-controller/haproxy", "k8s.io/ingress-nginx") \
        .replace("haproxy", "nginx")
    e = entry(report_of(text), "Ingress blog/shop")
    assert e.controller == "ingress-nginx" and e.lost.compared
    assert e.lost.expressed["hosts"]["shop.example.com"]["http"] == "redirect to https (308)"
    assert '"compared"' not in render(report_of(text), "json")  # the usual value stays out of the JSON


def test_out_dir_owns_an_ingressroutes_routes_like_an_ingresss(tmp_path: Path) -> None:
    result = translate(load_text(SERVICE + ingressroute("traefik.io"), "in.yaml"), Options())
    files = plan_tree(result.platform, result.apps)
    route_files = [p for p in files if p.startswith("apps/blog/")]
    assert "apps/blog/kustomization.yaml" in route_files
    text = "".join(str(files[p]) for p in route_files)
    assert "ing2gw.io/source-ingress: IngressRoute/blog/blog" in text
    assert not any("IngressRoute/blog/blog" in str(v) for p, v in files.items() if p.startswith("platform/"))


def test_convert_out_dir_with_an_ingressroute(tmp_path: Path) -> None:
    src = tmp_path / "in.yaml"
    src.write_text(SERVICE + ingressroute("traefik.containo.us"))
    out = tmp_path / "out"
    assert main(["convert", "-f", str(src), "--out-dir", str(out), "--report", str(out / "report.md")]) in (0, 1)
    routes = (out / "apps" / "blog" / "httproutes.yaml").read_text()
    assert "IngressRoute/blog/blog" in routes
    assert "### IngressRoute blog/blog" in (out / "report.md").read_text()
