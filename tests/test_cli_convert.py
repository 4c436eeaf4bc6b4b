"""`ing2gw convert` end to end: stdout stream, --out-dir tree, overwrite safety, exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ing2gw.cli import main
from ing2gw.load import load

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "shop"


def test_stdout_yaml_and_findings_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "-f", str(EXAMPLE)]) == 0
    out, err = capsys.readouterr()
    kinds = [d.split("\nkind: ")[1].split("\n")[0] for d in out.split("---\n")]
    assert "Gateway" in kinds and "HTTPRoute" in kinds and "ReferenceGrant" in kinds
    assert "error(s)" in err and "apiVersion" not in err


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "-f", str(EXAMPLE), "-o", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["kind"] == "List" and doc["items"]


def test_out_dir_tree_builds_with_kubectl_kustomize(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["convert", "-f", str(EXAMPLE), "--out-dir", str(out)]) == 0
    assert (out / "platform" / "kustomization.yaml").is_file()
    assert (out / "apps" / "shop" / "kustomization.yaml").is_file()
    assert (out / "apps" / "backoffice" / "httproutes.yaml").is_file()
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl not installed")
    for folder in (out / "platform", out / "apps" / "shop", out / "apps"):
        r = subprocess.run(["kubectl", "kustomize", str(folder)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert "gateway.networking.k8s.io/v1" in r.stdout


def test_out_dir_is_never_overwritten_by_surprise(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("my notes")
    assert main(["convert", "-f", str(EXAMPLE), "--out-dir", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (out / "mine.txt").read_text() == "my notes"
    # with --force it writes and keeps the user's file
    assert main(["convert", "-f", str(EXAMPLE), "--out-dir", str(out), "--force"]) == 0
    assert (out / "mine.txt").read_text() == "my notes"


def test_rerun_refreshes_own_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["convert", "-f", str(EXAMPLE), "--out-dir", str(out)]) == 0
    stale = out / "apps" / "old" / "httproutes.yaml"
    stale.parent.mkdir(parents=True)
    stale.write_text("x")
    marker = out / ".ing2gw-output"
    marker.write_text(marker.read_text() + "apps/old/httproutes.yaml\n")
    assert main(["convert", "-f", str(EXAMPLE), "--out-dir", str(out)]) == 0
    assert not stale.exists()


def test_fail_on_controls_exit_code(tmp_path: Path) -> None:
    p = tmp_path / "i.yaml"
    p.write_text("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: w, namespace: s}\nspec:\n"
                 "  rules:\n  - host: '*.example.com'\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n"
                 "        backend: {service: {name: w, port: {number: 80}}}\n")
    assert main(["convert", "-f", str(p)]) == 0           # a warning only
    assert main(["convert", "-f", str(p), "--fail-on", "warning"]) == 1
    assert main(["convert", "-f", str(p), "--fail-on", "never"]) == 0


def test_error_finding_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "i.yaml"
    p.write_text("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: w, namespace: s}\nspec:\n"
                 "  rules:\n  - host: a.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n"
                 "        backend: {service: {name: w, port: {name: http}}}\n")
    assert main(["convert", "-f", str(p)]) == 1
    assert "ING2GW-CORE-010" in capsys.readouterr().err


def test_output_objects_are_valid_models(capsys: pytest.CaptureFixture[str]) -> None:
    from ing2gw.model.gateway import validate_object

    assert main(["convert", "-f", str(EXAMPLE)]) == 0
    for m in load(["-"], stdin=__import__("io").StringIO(capsys.readouterr().out)):
        validate_object(m.obj)


def test_unknown_target_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "-f", str(EXAMPLE), "--target", "nope"]) == 2
    assert "unknown --target" in capsys.readouterr().err


def test_help_teaches() -> None:
    import sys

    r = subprocess.run([sys.executable, "-m", "ing2gw", "convert", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "Examples:" in r.stdout and "--allow-weakened" in r.stdout
