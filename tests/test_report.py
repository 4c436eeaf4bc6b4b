"""The report: the model (annotation rows joined with the mapping table), each renderer, the
JSON schema against real output, format selection and the exit-code findings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ing2gw import mappings
from ing2gw.errors import UsageError
from ing2gw.findings import exit_code
from ing2gw.load import load, load_text
from ing2gw.options import Options
from ing2gw.report import (build_report, exit_findings, format_for_path, render, render_findings, render_json_bytes,
                           write_report)
from ing2gw.report.model import Report, code_docs
from ing2gw.report.summary import UNEXPLAINED_CODE, unexplained_findings
from ing2gw.translate import Result, translate
from ing2gw.equivalence.verification import verify_translation
from ing2gw.equivalence.check import VerifyResult

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "ing2gw" / "data" / "report.schema.json").read_text())
PREFIX = "nginx.ingress.kubernetes.io"

ANNOTATED = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: /$2
    nginx.ingress.kubernetes.io/whitelist-source-range: 10.0.0.0/8
    nginx.ingress.kubernetes.io/proxy-buffering: "on"
    nginx.ingress.kubernetes.io/ssl-redirekt: "false"
    nginx.ingress.kubernetes.io/permanent-redirect-code: "308"
spec:
  ingressClassName: nginx
  tls:
  - hosts: [shop.example.com]
    secretName: shop-tls
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /api(/|$)(.*)
        pathType: ImplementationSpecific
        backend: {service: {name: api, port: {number: 80}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: wild
  namespace: shop
spec:
  ingressClassName: nginx
  rules:
  - host: "*.example.org"
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web, port: {number: 80}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: other
  namespace: shop
spec:
  ingressClassName: kong
  rules:
  - host: t.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web, port: {number: 80}}}
"""


def translated(text: str = ANNOTATED, **opts: Any) -> tuple[Result, Any, Options]:
    ms = load_text(text, "in.yaml")
    o = Options(**opts)
    return translate(ms, o), ms, o


def annotated_report(verify: bool = False, **opts: Any) -> Report:
    res, ms, o = translated(**opts)
    return build_report(res, verify_translation(res, ms, o) if verify else None, title="t")


def entry(report: Report, key: str) -> Any:
    return next(i for i in report.ingresses if f"{i.namespace}/{i.name}" == key)


def row(report: Report, key: str, short: str) -> Any:
    return next(a for a in entry(report, key).annotations if a.key == f"{PREFIX}/{short}")


# -- the model ---------------------------------------------------------------------------------


def test_annotation_rows_are_joined_with_the_mapping_table() -> None:
    r = annotated_report()
    table = {x["key"]: x for x in mappings.table("ingress-nginx")["annotations"]}
    web = entry(r, "shop/web")
    assert [a.key.rsplit("/", 1)[-1] for a in web.annotations] == sorted(
        ["permanent-redirect-code", "proxy-buffering", "rewrite-target", "ssl-redirekt", "whitelist-source-range"])
    rw = row(r, "shop/web", "rewrite-target")
    assert rw.status == "partial" and rw.value == "/$2"
    assert (rw.becomes, rw.lossy, rw.docs) == (table["rewrite-target"]["becomes"], table["rewrite-target"]["lossy"],
                                               table["rewrite-target"]["docs"])
    assert any("filters[URLRewrite]" in p and p.startswith("HTTPRoute shop/web") for p in rw.became)
    assert "ING2GW-NGINX-012" in rw.codes
    ignored = row(r, "shop/web", "proxy-buffering")
    assert ignored.status == "ignored" and ignored.severity == "info" and ignored.became == []


def test_unknown_key_row() -> None:
    unknown = row(annotated_report(), "shop/web", "ssl-redirekt")
    assert unknown.status == "unknown" and unknown.severity == "warning"
    assert unknown.becomes is None and unknown.lossy is None and unknown.docs is None
    assert "did you mean" in (unknown.suggestion or "") and "ssl-redirect" in (unknown.suggestion or "")


def test_security_loss_is_an_error_unless_accepted() -> None:
    r = annotated_report()
    wl = row(r, "shop/web", "whitelist-source-range")
    assert wl.security and wl.severity == "error" and not wl.accepted and wl.status == "policy"
    assert r.totals.security_losses == 1 and r.totals.accepted_losses == 0
    accepted = annotated_report(allow_weakened=frozenset({"whitelist-source-range"}))
    wl = row(accepted, "shop/web", "whitelist-source-range")
    assert wl.accepted and wl.severity == "warning"
    assert accepted.totals.security_losses == 0 and accepted.totals.accepted_losses == 1


def test_ingress_entries_and_other_findings() -> None:
    r = annotated_report()
    assert [f"{i.namespace}/{i.name}" for i in r.ingresses] == ["shop/other", "shop/web", "shop/wild"]
    other = entry(r, "shop/other")
    assert not other.translated and other.controller == "kong" and other.objects == []
    assert [f.code for f in other.findings] == ["ING2GW-CORE-001"] and other.severity == "error"
    web = entry(r, "shop/web")
    assert web.file == "in.yaml" and web.line == 1 and web.controller == "ingress-nginx"
    assert {(o.kind, o.name) for o in web.objects} >= {("HTTPRoute", "web-shop.example.com"), ("Gateway", "nginx")}
    wild = entry(r, "shop/wild")
    assert [f.code for f in wild.findings] == ["ING2GW-CORE-006"]
    # Gateway-level findings are not attached to an Ingress
    assert r.other_findings and all(not (f.subject or "").startswith("Ingress ") for f in r.other_findings)
    assert r.totals.ingresses == 3 and r.totals.translated == 2
    assert r.totals.annotations["unknown"] == 1 and r.totals.annotations["ignored"] == 1
    assert r.totals.worst == "error" and r.totals.objects["HTTPRoute"] >= 2
    assert {c.code for c in r.codes} >= {"ING2GW-CORE-001", "ING2GW-NGINX-001", "ING2GW-NGINX-080"}


def test_equivalence_summary() -> None:
    r = annotated_report(verify=True)
    e = r.equivalence
    assert e is not None and e.probes > 0 and e.probes == e.equivalent + e.explained + e.unexplained + e.unverified
    assert sum(g.count for g in e.groups) == e.explained + e.unexplained + e.unverified
    assert all(len(g.examples) <= 3 and g.examples for g in e.groups)
    assert annotated_report().equivalence is None


def test_unexplained_difference_is_an_error_for_exit_code() -> None:
    v = VerifyResult(probes=3, equivalent=2, unexplained=1)
    fs = unexplained_findings(v)
    assert [f.code for f in fs] == [UNEXPLAINED_CODE] and fs[0].severity.value == "error"
    assert unexplained_findings(VerifyResult(probes=3, equivalent=3)) == [] and unexplained_findings(None) == []
    res, _, _ = translated(ANNOTATED.split("---")[1])  # the wildcard Ingress: one warning
    assert exit_code(exit_findings(res), "error") == 0
    assert exit_code(exit_findings(res, v), "error") == 1
    assert exit_code(exit_findings(res, v), "never") == 0
    r = build_report(res, v)
    assert any(f.code == UNEXPLAINED_CODE for f in r.other_findings)


def test_code_docs_falls_back_by_area() -> None:
    assert code_docs("ING2GW-CORE-006").startswith("https://gateway-api.sigs.k8s.io/reference/spec/")
    assert "ingress-nginx" in code_docs("ING2GW-NGINX-013")
    assert code_docs("ING2GW-CORE-001").startswith("https://")


def test_report_is_deterministic() -> None:
    a, b = annotated_report(verify=True), annotated_report(verify=True)
    for fmt in ("markdown", "json", "html", "text"):
        assert render(a, fmt) == render(b, fmt)


# -- renderers ---------------------------------------------------------------------------------


def test_markdown() -> None:
    md = render(annotated_report(verify=True), "markdown")
    assert md.startswith("# t\n")
    assert "| [shop/web](#ingress-shop-web) |" in md and "### Ingress shop/web" in md
    assert "| `whitelist-source-range` | `10.0.0.0/8` | policy (error) |" in md
    assert "**Lost in translation**" in md and "| removed | annotations › whitelist-source-range |" in md
    assert "## Equivalence check" in md and "## Finding codes" in md
    # the regex in the path must not break the table
    assert "regex /api(/\\|$)(.\\*)" in md


def test_html_is_self_contained() -> None:
    html = render(annotated_report(verify=True), "html")
    assert html.startswith("<!DOCTYPE html>") and "<title>t</title>" in html
    assert 'id="totals-chart"' in html and 'class="ingress-row" data-ingress="shop/web"' in html
    low = html.lower()
    assert "<script" not in low and "<link" not in low and "@import" not in low and "url(" not in low
    assert " src=" not in low
    # user text is escaped
    res, _, _ = translated(ANNOTATED.replace("name: web\n", "name: web\n  labels: {x: y}\n", 1)
                           .replace("/$2", "/<b>$2</b>"))
    assert "<b>$2</b>" not in render(build_report(res), "html")


def test_text_plain_and_colour() -> None:
    r = annotated_report(verify=True)
    plain = render(r, "text")
    assert "\x1b[" not in plain and "Ingress shop/web  [error]" in plain
    assert "policy      whitelist-source-range=10.0.0.0/8  [security]" in plain
    assert "lost in translation:" in plain
    coloured = render(r, "text", color=True)
    assert "\x1b[" in coloured and "shop/web" in coloured


def test_findings_listing_keeps_the_summary_line() -> None:
    res, _, _ = translated()
    plain = render_findings(res.findings)
    assert plain.splitlines()[-1].startswith("ing2gw: 2 error(s), ")
    assert all(f.one_line() in plain for f in res.findings if f.severity.value != "info")
    assert "info: " not in plain and "info: " in render_findings(res.findings, verbose=True)
    coloured = render_findings(res.findings, color=True)
    assert "\x1b[" in coloured and "error(s)" in coloured


def test_unknown_format() -> None:
    with pytest.raises(UsageError, match="unknown report format"):
        render(annotated_report(), "pdf")


# -- JSON and its schema -----------------------------------------------------------------------


def validate(doc: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(doc)]


def test_schema_is_valid_and_versioned() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$id"].endswith("report-v1.json")
    assert SCHEMA["properties"]["schema_version"]["const"] == Report.model_fields["schema_version"].default


def _described(schema: Any, where: str = "") -> list[str]:
    """Properties without a description (every field must be documented)."""
    missing = []
    if isinstance(schema, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if isinstance(sub, dict) and "description" not in sub and "$ref" not in sub:
                missing.append(f"{where}.{name}")
        for k, v in schema.items():
            missing += _described(v, f"{where}.{k}")
    elif isinstance(schema, list):
        for i, v in enumerate(schema):
            missing += _described(v, f"{where}[{i}]")
    return missing


def test_every_schema_field_is_documented() -> None:
    # the open-ended "semantics" description is documented as a whole
    missing = [m for m in _described(SCHEMA) if ".semantics." not in m]
    assert not missing, missing


@pytest.mark.parametrize("source", ["annotated", "shop"])
def test_real_output_validates_against_the_schema(source: str) -> None:
    if source == "shop":
        ms = load([str(ROOT / "examples" / "shop")])
        o = Options()
        res = translate(ms, o)
        report = build_report(res, verify_translation(res, ms, o))
    else:
        report = annotated_report(verify=True)
    doc = json.loads(render(report, "json"))
    assert validate(doc) == []
    assert doc["$schema"] == SCHEMA["$id"] and doc["schema_version"] == "1"


def test_schema_rejects_wrong_documents() -> None:
    doc = json.loads(render(annotated_report(), "json"))
    bad_status = json.loads(json.dumps(doc))
    bad_status["ingresses"][1]["annotations"][0]["status"] = "maybe"
    missing = json.loads(json.dumps(doc))
    del missing["totals"]
    extra = json.loads(json.dumps(doc))
    extra["ingresses"][0]["surprise"] = 1
    for d in (bad_status, missing, extra):
        assert validate(d)


# -- files and formats -------------------------------------------------------------------------


@pytest.mark.parametrize("path,fmt", [("r.md", "markdown"), ("r.markdown", "markdown"), ("R.HTML", "html"),
                                      ("r.htm", "html"), ("r.json", "json"), ("r.txt", "text")])
def test_format_for_path(path: str, fmt: str) -> None:
    assert format_for_path(path) == fmt
    assert format_for_path(path, "json") == "json"


def test_format_for_path_errors() -> None:
    with pytest.raises(UsageError, match="--report-format"):
        format_for_path("report.pdf")
    with pytest.raises(UsageError, match="unknown report format"):
        format_for_path("report.md", "pdf")


def test_write_report(tmp_path: Path) -> None:
    r = annotated_report()
    write_report(str(tmp_path / "a" / "r.json"), r)
    assert json.loads((tmp_path / "a" / "r.json").read_text())["title"] == "t"
    write_report(str(tmp_path / "r.out"), r, "markdown")
    assert (tmp_path / "r.out").read_text() == render(r, "markdown")
    assert [p.name for p in tmp_path.iterdir()] in (["a", "r.out"], ["r.out", "a"])  # no temporary files left


def test_json_bytes_are_the_json_rendering_encoded(tmp_path: Path) -> None:
    """convert writes report.json from render_json_bytes (no str in between): the same bytes as
    render(..., "json"), indented for a few Ingresses and compact for many."""
    from ing2gw.outdir import write_tree

    small = annotated_report(verify=True)
    assert render_json_bytes(small) == (small.model_dump_json(indent=2, by_alias=True) + "\n").encode("utf-8")
    assert render(small, "json") == render_json_bytes(small).decode("utf-8")
    many = small.model_copy(update={"ingresses": small.ingresses * 300})
    assert render_json_bytes(many) == (many.model_dump_json(by_alias=True) + "\n").encode("utf-8")
    write_tree(tmp_path / "out", {"report.json": render_json_bytes(small), "a.txt": "x"})
    assert json.loads((tmp_path / "out" / "report.json").read_bytes()) == json.loads(render(small, "json"))
