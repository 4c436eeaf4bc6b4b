"""The package ships its data: a non-editable install finds the mapping tables and codes."""

from __future__ import annotations

import shutil
import site
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "ing2gw").rglob("__init__.py")}
    assert found - listed == set(), "add these packages to pyproject.toml"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ing2gw's wheel, built offline (setuptools and wheel come from the test extra; no build
    isolation, so no package index is asked for anything) from a copy of what the build reads,
    so that setuptools' build/ folder never lands in the source tree, where parallel test
    workers or runs would share it."""
    src, dist = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("dist")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("ing2gw", "mappings"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                        "-w", str(dist), str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return next(dist.glob("ing2gw-*.whl"))


@pytest.mark.xdist_group("wheel")
def test_wheel_contains_mappings_and_codes(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for table in (ROOT / "mappings").rglob("*.yaml"):
        rel = "ing2gw/_mappings/" + str(table.relative_to(ROOT / "mappings"))
        assert rel in names, rel
    for data in (ROOT / "ing2gw" / "data").glob("*"):
        assert f"ing2gw/data/{data.name}" in names


@pytest.mark.xdist_group("wheel")
def test_non_editable_install_in_a_fresh_venv_finds_its_data(wheel: Path, tmp_path: Path) -> None:
    """The README promise: a non-editable install works and finds mappings and codes. The wheel
    is installed with --no-deps --no-index into a fresh venv that sees this test environment's
    packages (its dependencies) through a .pth file: no package index is needed. A .pth of plain
    paths does not run the editable install's hooks, so ing2gw can only come from the wheel."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()}
    (Path(purelib) / "test_environment.pth").write_text("".join(f"{p}\n" for p in sorted(ours)))
    r = subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    # run from another folder: nothing may come from the source tree
    r = subprocess.run([str(venv / "bin" / "ing2gw"), "convert", "-f", str(ROOT / "examples" / "shop")],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "kind: HTTPRoute" in r.stdout
    r = subprocess.run([str(py), "-c", "import ing2gw, ing2gw.mappings as m; print(ing2gw.__file__); "
                        "print(m.mappings_dir().joinpath('controllers.yaml'))"],
                       capture_output=True, text=True, cwd=tmp_path)
    module_file, mappings = r.stdout.split()
    assert Path(module_file).is_relative_to(venv) and Path(mappings).is_relative_to(venv), r.stdout + r.stderr
    assert "site-packages" in mappings
