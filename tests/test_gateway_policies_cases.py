"""The implementation policy cases of tests/data/gateway-policies/ (README there): every
expectation through the Gateway API router, and every implementation object checked against the
vendored CRD schema of its implementation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from datapaths import DATA
from ing2gw.load import Manifest
from ing2gw.origin import Origin
from ing2gw.simulate.gateway import GatewayRouter
from ing2gw.simulate.request import ClusterContext, Request
from policy_crds import schema_errors

CASES = DATA / "gateway-policies"
SHARED_VALIDATOR = Path(__file__).resolve().parents[2] / "shared" / "tools" / "gwapi_validate.py"


def _files() -> list[Path]:
    return sorted(CASES.glob("*/*.yaml"))


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def _router(case: dict[str, Any], path: Path) -> GatewayRouter:
    manifests = [Manifest(o, Origin(str(path), i + 1, i)) for i, o in enumerate(case["objects"])]
    ctx = ClusterContext.from_dict(case.get("context") or {})
    return GatewayRouter(manifests, ctx)


def _params() -> list[Any]:
    out = []
    for f in _files():
        case = _load(f)
        for i, e in enumerate(case.get("expect") or ()):
            out.append(pytest.param(f, i, id=f"{f.parent.name}/{f.stem}#{i}"))
    return out


_ROUTERS: dict[Path, GatewayRouter] = {}


@pytest.mark.parametrize("path,index", _params())
def test_case(path: Path, index: int) -> None:
    case = _load(path)
    if path not in _ROUTERS:
        _ROUTERS[path] = _router(case, path)
    e = case["expect"][index]
    req = Request.parse_line(e["request"])
    a = _ROUTERS[path].route(req)
    got = a.to_dict()
    where = f"{path.name} #{index} {e['request']}: {json.dumps(got, indent=1)}"
    assert a.status == e["status"], where
    if "backend" in e:
        want = e["backend"]
        assert (None if a.backend is None else f"{a.backend.namespace}/{a.backend.name}") == want, where
    for key in ("upstream_path", "upstream_host", "generated_by", "body"):
        if key in e:
            assert got.get(key) == e[key], where
    for key in ("response_headers", "upstream_headers"):
        for name, value in (e.get(key) or {}).items():
            assert got[key].get(name.lower()) == value, where
    for key in ("response_headers", "upstream_headers"):
        for name in e.get(f"{key}_absent") or ():
            assert name.lower() not in got[key], where
    if "unmodelled" in e:
        assert bool(a.unmodelled) == e["unmodelled"], where
    if "unmodelled_has" in e:
        assert any(e["unmodelled_has"] in u for u in a.unmodelled), where
    if "notes_has" in e:
        assert any(e["notes_has"] in n for n in a.notes), where


@pytest.mark.parametrize("path", _files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_objects_match_the_crds(path: Path) -> None:
    errors = []
    for obj in _load(path)["objects"]:
        errors += schema_errors(obj)
    assert not errors, "\n".join(errors)


@pytest.mark.skipif(not SHARED_VALIDATOR.exists(), reason="../shared/tools/gwapi_validate.py is not available")
def test_objects_pass_the_shared_validator(tmp_path: Path) -> None:
    """The CEL rules too (the shared validator evaluates them)."""
    files = []
    for f in _files():
        out = tmp_path / f"{f.parent.name}-{f.name}"
        out.write_text(yaml.safe_dump_all(_load(f)["objects"]))
        files.append(str(out))
    proc = subprocess.run([sys.executable, str(SHARED_VALIDATOR), "--with-implementations", "--json", *files],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 and "No module named" in proc.stderr:
        pytest.skip(proc.stderr.strip().splitlines()[-1])
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
