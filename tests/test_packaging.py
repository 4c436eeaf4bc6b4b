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
