"""The package ships its data: a non-editable install finds the mapping tables and codes."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "ing2gw").rglob("__init__.py")}
    assert found - listed == set(), "add these packages to pyproject.toml"


def test_wheel_contains_mappings_and_codes(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    wheel = next(tmp_path.glob("ing2gw-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for table in (ROOT / "mappings").rglob("*.yaml"):
        rel = "ing2gw/_mappings/" + str(table.relative_to(ROOT / "mappings"))
        assert rel in names, rel
    for data in (ROOT / "ing2gw" / "data").glob("*"):
        assert f"ing2gw/data/{data.name}" in names


def test_non_editable_install_in_a_fresh_venv_finds_its_data(tmp_path: Path) -> None:
    """The README promise: `pip install .` (not editable) works and finds mappings and codes."""
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(tmp_path / "dist"), str(ROOT)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    wheel = next((tmp_path / "dist").glob("ing2gw-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    # run from another folder: nothing may come from the source tree
    r = subprocess.run([str(venv / "bin" / "ing2gw"), "convert", "-f", str(ROOT / "examples" / "shop")],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "kind: HTTPRoute" in r.stdout
    r = subprocess.run([str(py), "-c", "import ing2gw.mappings as m; print(m.mappings_dir())"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert "site-packages" in r.stdout, r.stdout + r.stderr
