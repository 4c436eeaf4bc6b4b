"""mappings/ingress-nginx.yaml: one well-formed row for every active ingress-nginx annotation,
and the README's generated support table in step with it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ing2gw import mappings, support_table
from ing2gw.providers.ingress_nginx.annotations import rows
from datapaths import CATALOGUE

REPO = Path(__file__).resolve().parents[1]
PREFIX = "nginx.ingress.kubernetes.io"

STATUSES = {"converted", "partial", "policy", "unsupported", "ignored"}
SCOPES = {"location", "server", "ingress"}
TYPES = {"bool", "int", "string", "duration", "size", "url", "cidr-list", "enum", "map", "list", "regex",
         "secret-ref", "configmap-ref", "snippet"}
COLUMNS = {"key", "type", "default", "scope", "status", "becomes", "lossy", "security", "routing", "handler", "risk",
           "intent", "docs", "targets"}
REQUIRED = {"key", "type", "default", "scope", "status", "becomes", "security", "routing", "docs"}

#: The handler names the translator implements, by key (nginx_annotations.HANDLERS and the modules
#: registering into it). A row names a handler only if its key is here, and then exactly this one.
HANDLERS = {
    "ssl-redirect": "ssl_redirect", "force-ssl-redirect": "force_ssl_redirect",
    "preserve-trailing-slash": "preserve_trailing_slash", "use-regex": "use_regex",
    "rewrite-target": "rewrite_target", "canary": "canary", "permanent-redirect": "permanent_redirect",
    "permanent-redirect-code": "permanent_redirect_code", "temporal-redirect": "temporal_redirect",
    "temporal-redirect-code": "temporal_redirect_code", "app-root": "app_root",
    "from-to-www-redirect": "from_to_www_redirect", "x-forwarded-prefix": "x_forwarded_prefix",
    "upstream-vhost": "upstream_vhost", "connection-proxy-header": "connection_proxy_header",
    "custom-headers": "custom_headers", "backend-protocol": "backend_protocol", "ssl-passthrough": "ssl_passthrough",
    "enable-cors": "enable_cors", "cors-allow-origin": "cors", "cors-allow-methods": "cors",
    "cors-allow-headers": "cors", "cors-expose-headers": "cors", "cors-allow-credentials": "cors",
    "cors-max-age": "cors", "proxy-connect-timeout": "timeout", "proxy-read-timeout": "timeout",
    "proxy-send-timeout": "timeout", "mirror-target": "mirror", "mirror-host": "mirror",
    "default-backend": "default_backend", "custom-http-errors": "custom_http_errors",
    "service-upstream": "service_upstream", "server-alias": "server_alias",
    "relative-redirects": "relative_redirects",
    **{k: "canary_option" for k in ("canary-weight", "canary-weight-total", "canary-by-header",
                                    "canary-by-header-value", "canary-by-header-pattern", "canary-by-cookie")},
    **{k: "proxy_ssl" for k in ("proxy-ssl-secret", "proxy-ssl-verify", "proxy-ssl-name", "proxy-ssl-server-name",
                                "proxy-ssl-protocols", "proxy-ssl-ciphers", "proxy-ssl-verify-depth")},
    **{k: "source_range" for k in ("whitelist-source-range", "allowlist-source-range", "denylist-source-range")},
}

#: Keys that are security-relevant by nature: never `ignored`, and `security: true` whenever standard
#: Gateway API cannot express them (status policy or unsupported).
SECURITY_PATTERNS = [r".*-source-range", r"denylist-.*", r"auth-.*", r"satisfy", r"limit-.*", r"enable-modsecurity",
                     r"modsecurity-.*", r".*-snippet", r"auth-tls-.*", r"proxy-ssl-verify", r"enable-owasp-core-rules"]


def raw_rows() -> list[dict[str, Any]]:
    data = mappings.table("ingress-nginx")
    assert data["prefix"] == PREFIX
    return list(data["annotations"])


def catalogue_keys() -> set[str]:
    entries = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    return {e["annotation"].removeprefix(PREFIX + "/") for e in entries
            if e.get("controller") == "ingress-nginx" and e.get("status") == "active"}


def test_every_active_ingress_nginx_annotation_has_a_row() -> None:
    expected = catalogue_keys()
    assert len(expected) > 100, "the catalogue lists suspiciously few active ingress-nginx annotations"
    missing = sorted(expected - set(rows()))
    assert not missing, ("mappings/ingress-nginx.yaml has no row for these active ingress-nginx annotations "
                         f"({len(missing)}): {', '.join(missing)}")


def test_no_duplicate_keys() -> None:
    keys = [r["key"] for r in raw_rows()]
    dups = sorted({k for k in keys if keys.count(k) > 1})
    assert not dups, f"duplicate keys in mappings/ingress-nginx.yaml: {dups}"


def test_rows_are_sorted_by_key() -> None:
    keys = [r["key"] for r in raw_rows()]
    assert keys == sorted(keys), "keep mappings/ingress-nginx.yaml sorted by key"


@pytest.mark.parametrize("row", raw_rows(), ids=lambda r: str(r.get("key")))
def test_row_is_well_formed(row: dict[str, Any]) -> None:
    key = row.get("key")
    assert isinstance(key, str) and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", key), f"bad key {key!r}"
    assert not key.startswith(PREFIX), "keys are written without the prefix"
    assert set(row) <= COLUMNS, f"{key}: unknown columns {sorted(set(row) - COLUMNS)}"
    assert row.get("risk") in (None, "Low", "Medium", "High", "Critical"), f"{key}: risk {row.get('risk')!r}"
    assert REQUIRED <= set(row), f"{key}: missing columns {sorted(REQUIRED - set(row))}"
    assert row["type"] in TYPES, f"{key}: type {row['type']!r} not in {sorted(TYPES)}"
    assert row["default"] is None or isinstance(row["default"], str), f"{key}: default must be a string or null"
    assert row["scope"] in SCOPES, f"{key}: scope {row['scope']!r}"
    status = row["status"]
    assert status in STATUSES, f"{key}: status {status!r} not in {sorted(STATUSES)}"
    assert isinstance(row["security"], bool) and isinstance(row["routing"], bool), \
        f"{key}: security and routing must be true or false"
    assert isinstance(row["becomes"], str) and row["becomes"].strip(), f"{key}: becomes is empty"
    assert isinstance(row["docs"], str) and re.fullmatch(r"https://\S+", row["docs"]), f"{key}: docs must be an https URL"

    lossy = row.get("lossy")
    if status == "converted":
        assert lossy is None, f"{key}: a converted row is exact; drop `lossy` or change the status"
    else:
        assert isinstance(lossy, str) and lossy.strip(), f"{key}: a {status} row must say in `lossy` what is lost"

    targets = row.get("targets")
    if status == "policy":
        assert isinstance(targets, dict) and targets, f"{key}: a policy row names the implementations in `targets`"
        for impl, what in targets.items():
            assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", impl) and isinstance(what, str) and what.strip(), \
                f"{key}: bad target {impl!r}: {what!r}"
    else:
        assert targets is None, f"{key}: `targets` only belongs to policy rows"

    handler = row.get("handler")
    if handler is not None:
        assert HANDLERS.get(key) == handler, (f"{key}: handler {handler!r}; expected "
                                              f"{HANDLERS.get(key)!r} (see HANDLERS in this test)")
    else:
        assert key not in HANDLERS, f"{key}: the translator implements handler {HANDLERS[key]!r}; name it in the row"

    if row["security"]:
        assert status != "ignored", f"{key}: a security-relevant annotation is never safe to drop"
    if any(re.fullmatch(p, key) for p in SECURITY_PATTERNS):
        assert status != "ignored", f"{key}: security-relevant by nature, so it cannot be ignored"
        if status in ("policy", "unsupported"):
            assert row["security"], f"{key}: security-relevant and not expressible in standard Gateway API"


def test_security_relevant_keys_are_flagged() -> None:
    must = [r["key"] for r in raw_rows() if any(re.fullmatch(p, r["key"]) for p in SECURITY_PATTERNS)]
    assert len(must) > 30
    assert all(rows()[k].security for k in must if rows()[k].status in ("policy", "unsupported"))


def test_parsed_rows_match_the_file() -> None:
    # nginx_annotations.rows() is what the translator reads: it must see every row, unchanged.
    parsed = rows()
    for r in raw_rows():
        p = parsed[r["key"]]
        assert (p.status, p.security, p.routing, p.handler, p.lossy) == \
            (r["status"], r["security"], r["routing"], r.get("handler"), r.get("lossy"))


def test_rendered_table_lists_every_row() -> None:
    text = support_table.render_markdown("ingress-nginx")
    table_lines = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(table_lines) == len(raw_rows())
    counts = {s: sum(1 for r in raw_rows() if r["status"] == s) for s in STATUSES}
    assert f"{len(raw_rows())} annotations: " + ", ".join(f"{counts[s]} {s}" for s in support_table.STATUSES) in text


def test_update_readme_rewrites_only_the_block(tmp_path: Path) -> None:
    start, end = support_table.start_marker(), support_table.end_marker()
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\nintro\n\n{start}\nstale\n{end}\n\n## After\n\ntext\n", encoding="utf-8")
    assert support_table.update_readme(readme) is True
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# x\n\nintro\n\n") and text.endswith(f"{end}\n\n## After\n\ntext\n")
    assert support_table.readme_block(text) == support_table.render_markdown()
    assert support_table.update_readme(readme) is False

    bare = tmp_path / "BARE.md"
    bare.write_text("# y\n", encoding="utf-8")
    assert support_table.update_readme(bare) is True
    assert "## Supported annotations" in bare.read_text(encoding="utf-8")
    assert support_table.update_readme(bare) is False


def test_module_entry_point_rewrites_a_file(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# z\n\n{support_table.start_marker()}\nold\n{support_table.end_marker()}\n",
                      encoding="utf-8")
    subprocess.run([sys.executable, "-m", "ing2gw.support_table", str(readme)], check=True, cwd=REPO)
    assert support_table.readme_block(readme.read_text(encoding="utf-8")) == support_table.render_markdown()


def test_readme_support_table_is_up_to_date() -> None:
    readme = REPO / "README.md"
    block = support_table.readme_block(readme.read_text(encoding="utf-8"), "ingress-nginx")
    assert block is not None, (f"README.md has no {support_table.start_marker()} ... {support_table.end_marker()} "
                               "block: run `python -m ing2gw.support_table`")
    assert block == support_table.render_markdown("ingress-nginx"), (
        "README.md's supported-annotations table differs from mappings/ingress-nginx.yaml: "
        "run `python -m ing2gw.support_table` and commit README.md")
