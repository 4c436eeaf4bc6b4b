"""`ing2gw explain CODE` and `ing2gw mappings [CONTROLLER]`."""

from __future__ import annotations

import json

import pytest

from ing2gw import mappings as tables
from ing2gw.cli import main
from ing2gw.findings import codes
from ing2gw.support_table import render_markdown


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("spelling", ["ING2GW-CORE-006", "ing2gw-core-006", "core-006", " Ing2gw-Core-006 "])
def test_explain_is_case_insensitive(capsys: pytest.CaptureFixture[str], spelling: str) -> None:
    rc, out, _ = run(capsys, "explain", spelling)
    info = codes()["ING2GW-CORE-006"]
    assert rc == 0
    assert out.startswith(f"ING2GW-CORE-006: {info.title}\nseverity: warning\n")
    assert "matches one or more labels" in out
    assert out.rstrip().endswith(f"docs: {info.docs}")


def test_explain_every_code_has_a_docs_link(capsys: pytest.CaptureFixture[str]) -> None:
    for code in codes():
        rc, out, _ = run(capsys, "explain", code)
        assert rc == 0 and "\ndocs: https://" in out, code


def test_explain_typo_suggests_close_codes(capsys: pytest.CaptureFixture[str]) -> None:
    # a dropped letter (a truncated number such as ING2GW-CORE-06 is closer to CORE-060..062)
    rc, out, err = run(capsys, "explain", "ING2GW-COR-006")
    assert rc == 2 and out == ""
    assert "unknown finding code 'ING2GW-COR-006'" in err and "did you mean ING2GW-CORE-006" in err
    rc, _, err = run(capsys, "explain", "nonsense")
    assert rc == 2 and "takes a code such as" in err and "Traceback" not in err


def test_explain_annotation_key(capsys: pytest.CaptureFixture[str]) -> None:
    for key in ("whitelist-source-range", "nginx.ingress.kubernetes.io/whitelist-source-range"):
        rc, out, _ = run(capsys, "explain", key)
        assert rc == 0
        assert out.startswith("ingress-nginx annotation whitelist-source-range: policy (security-relevant)")
        assert "with --target envoy-gateway:" in out and "docs: https://" in out


def test_mappings_text_lists_every_row(capsys: pytest.CaptureFixture[str]) -> None:
    rows = tables.table("ingress-nginx")["annotations"]
    rc, out, _ = run(capsys, "mappings")
    lines = out.splitlines()
    assert rc == 0 and lines[-1] == f"{len(rows)} annotations"
    assert any(ln.split()[:3] == ["whitelist-source-range", "policy", "security"] for ln in lines)
    assert "\x1b[" not in out  # not a terminal: plain text


def test_mappings_json_and_status_filter(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "mappings", "ingress-nginx", "-o", "json", "--status", "unsupported", "--status",
                     "ignored")
    doc = json.loads(out)
    want = sorted(r["key"] for r in tables.table("ingress-nginx")["annotations"]
                  if r["status"] in ("unsupported", "ignored"))
    assert rc == 0 and doc["controller"] == "ingress-nginx" and doc["prefix"] == "nginx.ingress.kubernetes.io"
    assert [r["key"] for r in doc["annotations"]] == want
    assert {r["status"] for r in doc["annotations"]} == {"unsupported", "ignored"}


def test_mappings_markdown_and_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "mappings", "-o", "markdown")
    assert rc == 0 and out == render_markdown("ingress-nginx")
    rc, out, _ = run(capsys, "mappings", "-o", "yaml", "--status", "converted")
    assert rc == 0 and out.startswith("controller: ingress-nginx\n") and "status: partial" not in out


def test_mappings_unknown_controller(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, "mappings", "ingres-nginx")
    assert rc == 2 and "did you mean ingress-nginx?" in err


def test_explain_list_names_every_code(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "explain", "--list")
    lines = out.splitlines()
    assert rc == 0 and [ln.split()[0] for ln in lines] == sorted(codes())
    info = codes()["ING2GW-CORE-006"]
    assert f"ING2GW-CORE-006  {info.severity:<7}  {info.title}" in lines
    rc, out, _ = run(capsys, "explain", "--list", "load")
    assert rc == 0 and out.splitlines() and all(ln.startswith("ING2GW-LOAD-") for ln in out.splitlines())
    rc, _, err = run(capsys, "explain", "--list", "nope")
    assert rc == 2 and "areas: BATCH, CERT, CORE" in err
    rc, _, err = run(capsys, "explain")
    assert rc == 2 and "explain --list" in err


@pytest.mark.parametrize("code,hint", [
    # a number the area does not have: no codes that merely look alike (CORE-019, CORE-009, ...)
    ("ING2GW-CORE-999", "ING2GW-CORE has codes 001 to"),
    ("ING2GW-LOAD-099", "ING2GW-LOAD has codes 001 to"),
    # typos of a real code: two digits swapped, a digit doubled, the area misspelt
    ("ING2GW-NGINX-200", "did you mean ING2GW-NGINX-020?"),
    ("ING2GW-CORE-0066", "did you mean ING2GW-CORE-006?"),
    ("ING2GW-CROE-006", "did you mean ING2GW-CORE-006?"),
    # an area that does not exist: the areas, not codes of other areas with the same number
    ("ING2GW-FOO-001", "there is no area FOO (areas: BATCH"),
])
def test_explain_unknown_code_suggests_only_related_codes(capsys: pytest.CaptureFixture[str], code: str,
                                                          hint: str) -> None:
    rc, out, err = run(capsys, "explain", code)
    assert rc == 2 and out == "" and hint in err and "explain --list" in err
    suggested = set(err.split("did you mean ")[1].split("?")[0].split(" or ")) if "did you mean" in err else set()
    assert suggested <= set(codes())
    if "did you mean" not in hint:
        assert not suggested


def test_explain_code_without_zero_padding(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "explain", "core-6")
    assert rc == 0 and out.startswith("ING2GW-CORE-006: ")


def test_explain_shows_what_a_code_predicts(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "explain", "ING2GW-CORE-016")
    assert rc == 0
    assert "predicts, in the equivalence check:" in out
    assert "redirect.location (only by a trailing slash) may differ for requests to the finding's hosts over http" \
        in " ".join(out.split())
    rc, out, _ = run(capsys, "explain", "ING2GW-NGINX-012")
    assert "predicts no difference in the equivalence check" in out
