"""No code from the repository being built runs inside ing2gw (SECURITY.md, "no code execution from
inputs"). Kustomize starts exec plugins in the kustomization's folder and kpt runs functions
from wherever it was started; a `click.py` (or `yaml.py`, `pydantic.py`, `ing2gw.py`) committed
there must never be imported. Checked with the real clients: `kubectl kustomize
--enable-alpha-plugins`, `kpt fn eval --exec`, `kpt fn render --allow-exec` and `kubectl ing2gw`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ing2gw import krm
from test_krm import (BASE_INGRESS, OVERLAY_PATCH, VENV_BIN, by_kind, env_with_venv, kpt_package, kustomize_tree,
                      load_all, need)

#: modules a Python program imports early; the hostile copies record that they ran
HOSTILE_MODULES = ("click", "yaml", "pydantic", "ruamel", "jinja2", "ing2gw", "sitecustomize", "encodings_local")


def plant(folder: Path, marker: Path) -> None:
    """Hostile modules in `folder`: each writes its name to `marker` when imported."""
    for name in HOSTILE_MODULES:
        (folder / f"{name}.py").write_text(
            f"with open({str(marker)!r}, 'a') as fh:\n    fh.write({name + chr(10)!r})\n")


def test_plugin_script_never_puts_the_working_directory_on_the_import_path(tmp_path: Path) -> None:
    script = krm.plugin_script(sys.executable)
    exec_line = script.splitlines()[-1]
    assert exec_line.startswith(f"exec {sys.executable} -P ") or exec_line.startswith(f"exec {sys.executable} -I "), \
        exec_line


def test_kubectl_kustomize_never_imports_modules_from_the_overlay(tmp_path: Path) -> None:
    kubectl = need("kubectl")
    overlay = kustomize_tree(tmp_path, OVERLAY_PATCH)
    marker = tmp_path / "pwned"
    for folder in (overlay, tmp_path / "base", tmp_path):
        plant(folder, marker)
    r = subprocess.run([kubectl, "kustomize", "--enable-alpha-plugins", str(overlay)], capture_output=True,
                       text=True, env=env_with_venv(KUSTOMIZE_PLUGIN_HOME=str(tmp_path / "plugins")),
                       timeout=120, cwd=overlay)
    assert not marker.exists(), f"modules from the repository ran: {marker.read_text().split()}"
    assert r.returncode == 0, r.stderr
    assert sorted(d["kind"] for d in load_all(r.stdout)) == ["Gateway", "HTTPRoute", "Service"]


def test_kpt_never_imports_modules_from_the_package(tmp_path: Path) -> None:
    kpt = need("kpt")
    pkg = kpt_package(tmp_path)
    marker = tmp_path / "pwned"
    for folder in (pkg, pkg / "apps", tmp_path):
        plant(folder, marker)
    # what the README documents: the installed console script
    exec_cmd = f"{VENV_BIN / 'ing2gw'} krm"
    r = subprocess.run([kpt, "fn", "eval", str(pkg), "--exec", exec_cmd], capture_output=True, text=True,
                       timeout=120, cwd=pkg, env=env_with_venv())
    assert not marker.exists(), f"modules from the package ran: {marker.read_text().split()}"
    assert r.returncode == 0, r.stderr
    route, = load_all((pkg / "apps" / "gateway-api" / "httproute-web.yaml").read_text())
    assert route["kind"] == "HTTPRoute"
    # kpt fn render runs the Kptfile's pipeline from the package folder
    (pkg / "Kptfile").write_text(
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: shop\npipeline:\n  mutators:\n"
        f"  - exec: \"{exec_cmd}\"\n")
    r = subprocess.run([kpt, "fn", "render", str(pkg), "--allow-exec"], capture_output=True, text=True,
                       timeout=120, cwd=pkg, env=env_with_venv())
    assert not marker.exists(), f"modules from the package ran: {marker.read_text().split()}"
    assert r.returncode == 0, r.stderr


def test_kubectl_plugin_never_imports_modules_from_the_working_directory(tmp_path: Path) -> None:
    kubectl = need("kubectl")
    marker = tmp_path / "pwned"
    plant(tmp_path, marker)
    r = subprocess.run([kubectl, "ing2gw", "convert", "-f", "-"], input=BASE_INGRESS, capture_output=True,
                       text=True, env=env_with_venv(), timeout=120, cwd=tmp_path)
    assert not marker.exists(), f"modules from the working directory ran: {marker.read_text().split()}"
    assert r.returncode == 0, r.stderr
    assert by_kind(load_all(r.stdout), "HTTPRoute")
    r = subprocess.run([str(VENV_BIN / "kubectl_complete-ing2gw"), "convert", "--recu"], capture_output=True,
                       text=True, env=env_with_venv(), timeout=60, cwd=tmp_path)
    assert not marker.exists(), f"modules from the working directory ran: {marker.read_text().split()}"
    assert r.returncode == 0, r.stderr
