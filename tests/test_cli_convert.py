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
    # a file of an earlier run (with ing2gw's header: the list alone proves nothing)
    stale.write_text((out / "apps" / "shop" / "httproutes.yaml").read_text())
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


_WHITELISTED = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: a
  annotations:
    nginx.ingress.kubernetes.io/whitelist-source-range: 10.0.0.0/8
spec:
  ingressClassName: nginx
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}
"""


def _config(tmp_path: Path, spec: str) -> str:
    p = tmp_path / "ing2gw.yaml"
    p.write_text(f"apiVersion: ing2gw.io/v1alpha1\nkind: Ing2Gw\nspec:\n{spec}", encoding="utf-8")
    return str(p)


def test_config_file_accepts_a_weakened_annotation_and_sets_options(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    ing = tmp_path / "ing.yaml"
    ing.write_text(_WHITELISTED, encoding="utf-8")
    assert main(["convert", "-f", str(ing)]) == 1  # a lost allow-list is an error by default
    capsys.readouterr()
    cfg = _config(tmp_path, "  allowWeakened: [whitelist-source-range]\n  gatewayNamespace: infra\n")
    assert main(["convert", "-f", str(ing), "--config", cfg]) == 0
    out, err = capsys.readouterr()
    assert "warning: ING2GW-NGINX-080" in err and "error: ING2GW-NGINX-080" not in err
    gateway = next(d for d in out.split("---\n") if "\nkind: Gateway\n" in d)
    assert "  namespace: infra\n" in gateway
    # the command line wins over the file
    assert main(["convert", "-f", str(ing), "--config", cfg, "--gateway-namespace", "edge"]) == 0
    gateway = next(d for d in capsys.readouterr().out.split("---\n") if "\nkind: Gateway\n" in d)
    assert "  namespace: edge\n" in gateway


def test_config_file_fail_on_and_added_allow_weakened(tmp_path: Path) -> None:
    ing = tmp_path / "ing.yaml"
    ing.write_text(_WHITELISTED, encoding="utf-8")
    cfg = _config(tmp_path, "  failOn: warning\n  allowWeakened: [some-other-key]\n")
    # the file's list and the flag add up; the file's failOn turns the warning into exit 1 ...
    assert main(["convert", "-f", str(ing), "--config", cfg, "--allow-weakened", "whitelist-source-range"]) == 1
    # ... unless --fail-on says otherwise
    assert main(["convert", "-f", str(ing), "--config", cfg, "--allow-weakened", "whitelist-source-range",
                 "--fail-on", "error"]) == 0


def test_listeners_option_and_config_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--listeners listenerset (or `listeners: listenerset` in the --config file) moves the hosts
    into a ListenerSet in the app namespace; the command line wins over the file."""
    ing = tmp_path / "ing.yaml"
    ing.write_text(_WHITELISTED, encoding="utf-8")

    def kinds(args: list[str]) -> set[str]:
        main(["convert", "-f", str(ing), "--allow-weakened", "whitelist-source-range", *args])
        out = capsys.readouterr().out
        return {line[len("kind: "):] for line in out.splitlines() if line.startswith("kind: ")}

    assert "ListenerSet" not in kinds([])
    assert "ListenerSet" in kinds(["--listeners", "listenerset"])
    cfg = _config(tmp_path, "  listeners: listenerset\n")
    assert "ListenerSet" in kinds(["--config", cfg])
    assert "ListenerSet" not in kinds(["--config", cfg, "--listeners", "gateway"])
    assert main(["convert", "-f", str(ing), "--listeners", "listenersets"]) == 2
    assert "'listenersets' is not one of 'gateway', 'listenerset'" in capsys.readouterr().err


@pytest.mark.parametrize(("spec", "message"), [
    ("  listeners: sets\n", "listeners must be one of gateway, listenerset"),
    ("  alowWeakened: [x]\n", "did you mean allowWeakened?"),
    ("  keepIngress: true\n", "keepIngress is for `ing2gw krm`"),
    ("  nginxFlags: disable-catch-all\n", "nginxFlags must be a list of controller flags"),
])
def test_config_file_problems_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               spec: str, message: str) -> None:
    assert main(["convert", "-f", str(EXAMPLE), "--config", _config(tmp_path, spec)]) == 2
    err = capsys.readouterr().err
    assert "--config" in err and message in err


def test_config_file_of_the_wrong_kind_or_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wrong = tmp_path / "cm.yaml"
    wrong.write_text("apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n", encoding="utf-8")
    assert main(["convert", "-f", str(EXAMPLE), "--config", str(wrong)]) == 2
    assert "expected apiVersion: ing2gw.io/v1alpha1, kind: Ing2Gw" in capsys.readouterr().err
    assert main(["convert", "-f", str(EXAMPLE), "--config", str(tmp_path / "none.yaml")]) == 2
    assert "cannot read it" in capsys.readouterr().err


def test_convert_leaves_the_garbage_collector_as_it_found_it(tmp_path: Path) -> None:
    """convert turns the cyclic collector off and freezes what it keeps (cli/runtime.py); a
    process that runs it in-process (tests, an embedding tool) gets both back afterwards."""
    import gc

    assert gc.isenabled()
    assert main(["convert", "-f", str(EXAMPLE), "--out-dir", str(tmp_path / "out"), "--verify"]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        assert main(["convert", "-f", str(EXAMPLE)]) == 0
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()
