"""The golden harness itself: it finds cases, and a wrong expectation fails with a readable diff."""

from __future__ import annotations

from golden_harness import GOLDEN, Case, actual_files, compare, discover, parse_flags, run


def test_discovers_cases_by_folder() -> None:
    ids = [c.id for c in discover()]
    assert "ingress-nginx/basic-prefix-and-exact" in ids
    assert len(ids) >= 25


def test_wrong_expectation_fails_with_readable_diff() -> None:
    case = Case(GOLDEN / "ingress-nginx" / "basic-prefix-and-exact")
    files = actual_files(run(case))
    wrong = dict(files)
    key = "apps/shop/httproutes.yaml"
    wrong[key] = wrong[key].replace("port: 8080", "port: 9090")
    diff = compare(wrong, files)
    assert "values_changed" in diff and "HTTPRoute shop/web" in diff
    assert "expected: 9090" in diff and "actual:   8080" in diff


def test_missing_object_is_reported() -> None:
    case = Case(GOLDEN / "ingress-nginx" / "basic-prefix-and-exact")
    files = actual_files(run(case))
    fewer = {k: v for k, v in files.items() if not k.startswith("platform/gateway")}
    assert "Gateway gateway-system/nginx" in compare(fewer, files)


def test_document_order_does_not_matter() -> None:
    case = Case(GOLDEN / "ingress-nginx" / "multiple-hosts-same-rules")
    files = actual_files(run(case))
    assert compare(files, dict(reversed(list(files.items())))) == ""


def test_flags_line_parsing() -> None:
    kw = parse_flags(["--single-gateway", "--gateway-name", "x", "--allow-weakened", "a", "--allow-weakened", "b"])
    assert kw["single_gateway"] is True and kw["gateway_name"] == "x" and kw["allow_weakened"] == ("a", "b")


def test_wrong_report_expectation_fails_with_readable_diff() -> None:
    import json

    from golden_harness import actual_reports, compare_reports

    case = Case(GOLDEN / "ingress-nginx" / "basic-prefix-and-exact")
    actual = actual_reports(case, run(case))
    assert compare_reports(actual, actual) == ""
    doc = json.loads(actual["report.json"])
    doc["totals"]["ingresses"] += 1
    wrong = {"report.json": json.dumps(doc),
             "report.md": actual["report.md"].replace("| Ingresses | 1 ", "| Ingresses | 2 ")}
    diff = compare_reports(wrong, actual)
    assert "report.json: values_changed: totals.ingresses" in diff
    assert "-| Ingresses | 2 (1 translated) |" in diff and "+| Ingresses | 1 (1 translated) |" in diff
    assert "no expectation" in compare_reports({}, actual)
