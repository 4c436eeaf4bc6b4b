"""`--report`, `--report-format` and `--no-color` on convert and verify; exit codes via --fail-on."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ing2gw.cli import main
from ing2gw.cli.color import color_allowed

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "shop"
WILDCARD = ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: w, namespace: s}\nspec:\n"
            "  rules:\n  - host: '*.example.com'\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n"
            "        backend: {service: {name: w, port: {number: 80}}}\n")


@pytest.mark.parametrize("name,marker", [("r.md", "# ing2gw convert: "), ("r.html", "<!DOCTYPE html>"),
                                         ("r.json", "{\n  \"$schema\""), ("r.txt", "ing2gw convert: ")])
def test_report_format_from_extension(tmp_path: Path, name: str, marker: str) -> None:
    out = tmp_path / name
    assert main(["convert", "-f", str(EXAMPLE), "--report", str(out)]) == 0
    assert out.read_text().startswith(marker)


def test_report_format_override(tmp_path: Path) -> None:
    out = tmp_path / "review.md"
    assert main(["convert", "-f", str(EXAMPLE), "--report", str(out), "--report-format", "json"]) == 0
    assert json.loads(out.read_text())["schema_version"] == "1"
    odd = tmp_path / "review.out"
    assert main(["convert", "-f", str(EXAMPLE), "--report", str(odd), "--report-format", "html"]) == 0
    assert odd.read_text().startswith("<!DOCTYPE html>")


def test_report_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "-f", str(EXAMPLE), "--report", str(tmp_path / "r.pdf")]) == 2
    assert "--report-format" in capsys.readouterr().err
    assert main(["convert", "-f", str(EXAMPLE), "--report-format", "json"]) == 2
    assert "needs --report FILE" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_convert_with_verify_puts_the_check_in_the_report(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert main(["convert", "-f", str(EXAMPLE), "--verify", "--report", str(out)]) == 0
    e = json.loads(out.read_text())["equivalence"]
    assert e["probes"] > 0 and e["unexplained"] == 0
    assert main(["convert", "-f", str(EXAMPLE), "--report", str(out)]) == 0
    assert json.loads(out.read_text())["equivalence"] is None


def test_out_dir_writes_reports_and_reads_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["convert", "-f", str(EXAMPLE), "--out-dir", str(out), "--verify",
                 "--report", str(out / "review.html")]) == 0
    assert (out / "report.md").read_text().startswith("# ing2gw convert: ")
    assert json.loads((out / "report.json").read_text())["equivalence"]["probes"] > 0
    assert (out / "review.html").is_file()
    marker = (out / ".ing2gw-output").read_text()
    assert "report.md\n" in marker and "report.json\n" in marker and "review.html\n" in marker
    # a second run refreshes them (they are ing2gw's files), and verify reads the tree back
    assert main(["convert", "-f", str(EXAMPLE), "--out-dir", str(out)]) == 0
    assert not (out / "review.html").exists()
    capsys.readouterr()
    assert main(["verify", "-f", str(EXAMPLE), "--gateway", str(out), "-R"]) == 0
    assert "0 unexplained" in capsys.readouterr().out


def test_verify_report_and_exit_code_for_a_bad_hand_edit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["convert", "-f", str(EXAMPLE), "--out-dir", str(out)]) == 0
    routes = out / "apps" / "backoffice" / "httproutes.yaml"
    routes.write_text(routes.read_text().replace("port: 3000", "port: 3001"))
    capsys.readouterr()
    report = tmp_path / "verify.json"
    assert main(["verify", "-f", str(EXAMPLE), "--gateway", str(out), "-R", "--report", str(report)]) == 1
    captured = capsys.readouterr()
    assert "UNEXPLAINED" in captured.out and "\x1b[" not in captured.out
    doc = json.loads(report.read_text())
    assert doc["equivalence"]["unexplained"] > 0 and doc["equivalence"]["groups"][0]["cause"] == "unexplained"
    assert [f["code"] for f in doc["other_findings"] if f["severity"] == "error"] == ["ING2GW-VERIFY-003"]
    # the report describes the checked (edited) objects
    admin = next(i for i in doc["ingresses"] if i["name"] == "admin")
    assert admin["lost"]["changes"][0]["gateway"] == "backoffice/admin:3001"


def test_fail_on_controls_exit_code(tmp_path: Path) -> None:
    p = tmp_path / "i.yaml"
    p.write_text(WILDCARD)
    report = tmp_path / "r.md"
    assert main(["convert", "-f", str(p), "--report", str(report)]) == 0           # a warning only
    assert main(["convert", "-f", str(p), "--report", str(report), "--fail-on", "warning"]) == 1
    assert main(["convert", "-f", str(p), "--report", str(report), "--fail-on", "info"]) == 1
    assert main(["convert", "-f", str(p), "--report", str(report), "--fail-on", "never"]) == 0
    snippet = WILDCARD.replace("namespace: s}", "namespace: s, annotations: "
                                                "{nginx.ingress.kubernetes.io/server-snippet: 'deny all;'}}")
    p.write_text(snippet)
    assert main(["convert", "-f", str(p)]) == 1                                   # a lost security annotation
    assert main(["convert", "-f", str(p), "--fail-on", "never"]) == 0
    assert main(["convert", "-f", str(p), "--allow-weakened", "server-snippet"]) == 0


class _TTY:
    def isatty(self) -> bool:
        return True


def test_color_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert color_allowed(False, _TTY()) is True
    assert color_allowed(True, _TTY()) is False
    assert color_allowed(False, object()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert color_allowed(False, _TTY()) is False


def test_no_color_on_a_terminal(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    # (--no-progress: the progress display on a terminal moves the cursor, colours or not)
    assert main(["convert", "-f", str(EXAMPLE), "-v", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "\x1b[" in err and "error(s)" in err                 # a rich table with colour
    assert main(["convert", "-f", str(EXAMPLE), "-v", "--no-color", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "\x1b[" not in err and "info: ING2GW-CORE-015" in err
    assert err.splitlines()[-1].startswith("ing2gw: 0 error(s), 0 warning(s), ")


def test_loader_skips_only_ing2gw_reports(tmp_path: Path) -> None:
    from ing2gw.load import discover
    from ing2gw.outdir import MARKER

    (tmp_path / "report.json").write_text("{}")
    (tmp_path / "routes.yaml").write_text("")
    assert [Path(p).name for p in discover(str(tmp_path), False)] == ["report.json", "routes.yaml"]
    (tmp_path / MARKER).write_text("report.json\n")
    assert [Path(p).name for p in discover(str(tmp_path), False)] == ["routes.yaml"]
    assert [Path(p).name for p in discover(str(tmp_path), True)] == ["routes.yaml"]


def test_legacy_example_report(tmp_path: Path) -> None:
    # the example behind docs/report.png: lossy on purpose, but every difference explained
    out = tmp_path / "r.json"
    assert main(["convert", "-f", str(ROOT / "examples" / "legacy-nginx"), "--verify", "--report", str(out)]) == 1
    doc = json.loads(out.read_text())
    assert doc["equivalence"]["unexplained"] == 0 and doc["totals"]["security_losses"] == 2
    assert doc["totals"]["lost"]["removed"] > 0


def test_report_to_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert main(["convert", "-f", str(EXAMPLE), "--report", "-"]) == 2       # stdout holds the manifests
    assert "--out-dir" in capsys.readouterr().err
    assert main(["convert", "-f", str(EXAMPLE), "--out-dir", str(tmp_path / "o"), "--report", "-"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ing2gw convert: ") and "Ingress shop/api  [info]" in out and "\x1b[" not in out
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["convert", "-f", str(EXAMPLE), "--out-dir", str(tmp_path / "o"), "--report", "-"]) == 0
    assert "\x1b[" in capsys.readouterr().out                                 # rich tables on a terminal
    assert main(["convert", "-f", str(EXAMPLE), "--out-dir", str(tmp_path / "o"), "--report", "-", "--no-color"]) == 0
    assert "\x1b[" not in capsys.readouterr().out
    assert main(["convert", "-f", str(EXAMPLE), "--out-dir", str(tmp_path / "o"), "--report", "-",
                 "--report-format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["ingresses"] == 3
    assert main(["verify", "-f", str(EXAMPLE), "--gateway", str(tmp_path / "o"), "-R", "--report", "-"]) == 2
