"""Markdown ing2gw writes (report.md, MIGRATION.md — a pull-request description) renders values
from the input as text: no HTML, no links, no broken table or code span (SECURITY.md). Checked by
rendering with a CommonMark parser (markdown-it-py, GitHub-style tables)."""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from ing2gw import markdown
from ing2gw.cli import main

HOSTILE = "x <img src=x onerror=alert(1)> [a](javascript:alert(1)) | ``tick`` *em* _u_ ~~s~~ & \\"
#: the file name cannot hold '/' (and keeps the test portable)
HOSTILE_FILE = "in <img src=x onerror=alert(1)> [a](javascript:alert(1)) | ``t`` *e*.yaml"


def render_md(text: str) -> str:
    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(text)


def assert_inert(rendered: str) -> None:
    low = rendered.lower()
    assert "<img" not in low and "<script" not in low and "href=\"javascript" not in low and "<em>" not in low \
        and "<s>" not in low and "<del>" not in low, rendered


@pytest.mark.parametrize("value", [HOSTILE, "`", "``", "a`b``c```d", "` x `", "|", "<b>", "\\`", "x\ny"])
def test_code_spans_hold_any_value(value: str) -> None:
    out = render_md(markdown.code(value))
    inner = out.removeprefix("<p><code>").removesuffix("</code></p>\n")
    assert out.startswith("<p><code>") and "</code>" not in inner, out
    assert html.unescape(inner).replace("\\|", "|") == " ".join(value.split())


@pytest.mark.parametrize("value", [HOSTILE, "[x](y)", "![i](y)", "<https://x>", "a_b_c", "**b**", "&lt;"])
def test_text_renders_as_written(value: str) -> None:
    out = render_md(markdown.text(value))
    assert_inert(out)
    assert html.unescape(out.removeprefix("<p>").removesuffix("</p>\n")) == " ".join(value.split())
    # in a table cell too
    table = render_md(f"| a | b |\n|---|---|\n| {markdown.text(value)} | {markdown.code(value)} |\n")
    assert table.count("<td>") == 2, table


def test_anchors_are_plain_and_distinct() -> None:
    assert markdown.anchor("ingress", "shop", "web") == "ingress-shop-web"
    a, b = markdown.anchor("ingress", "shop", "web.v1"), markdown.anchor("ingress", "shop", "web-v1")
    assert a != b and all(c.isalnum() or c == "-" for c in a + b)
    assert set(markdown.anchor('"><script>')) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")


INGRESS = f"""\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: {HOSTILE!r}
    nginx.ingress.kubernetes.io/x--y: {HOSTILE!r}
    team.example.com/owner: {HOSTILE!r}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}
"""


def test_report_md_escapes_names_files_and_values(tmp_path: Path) -> None:
    f = tmp_path / HOSTILE_FILE
    f.write_text(INGRESS)
    report = tmp_path / "report.md"
    assert main(["convert", "-f", str(f), "--report", str(report), "--verify"]) in (0, 1)
    text = report.read_text()
    rendered = render_md(text)
    assert_inert(rendered)
    assert "javascript:alert(1)" in html.unescape(rendered), "the value is shown, as text"
    # every table keeps its columns: no value adds a cell
    for table in rendered.split("<table>")[1:]:
        rows = table.split("</table>")[0].split("<tr>")[1:]
        widths = {r.count("<td>") + r.count("<th>") for r in rows}
        assert len(widths) == 1, widths


def test_anchor_ids_are_plain(tmp_path: Path) -> None:
    f = tmp_path / "i.yaml"
    f.write_text(INGRESS.replace("name: web\n", "name: web.v1\n", 1))
    report = tmp_path / "report.md"
    assert main(["convert", "-f", str(f), "--report", str(report)]) in (0, 1)
    text = report.read_text()
    anchor_line, = [ln for ln in text.splitlines() if ln.startswith("<a id=")]
    ident = anchor_line.split('"')[1]
    assert set(ident) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
    assert f"](#{ident})" in text


def test_migration_md_escapes_paths_and_messages(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    d = repo / "apps" / "x <img src=x onerror=alert(1)> ``t`` [a](javascript:alert(1))"
    d.mkdir(parents=True)
    (d / "ingress.yaml").write_text(INGRESS)
    assert main(["migrate", str(repo), "--in-place"]) in (0, 1)
    text = (repo / "MIGRATION.md").read_text()
    rendered = render_md(text)
    assert_inert(rendered)
    assert "javascript:alert(1)" in html.unescape(rendered)
    shutil.rmtree(repo)
