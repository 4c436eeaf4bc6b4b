"""Validate implementation objects (Envoy Gateway policies, ...) against the vendored CRDs.

The OpenAPI schema of each served version (tests/data/gateway-api/implementations/*/crds) is
checked with jsonschema: types, enums, required fields, patterns (unanchored, as Kubernetes
matches them), lengths. CEL rules (`x-kubernetes-validations`) are not evaluated here; the
shared validator does that where it is installed (`shared_validator_problems`).
"""

from __future__ import annotations

import functools
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping

import jsonschema
import yaml

from datapaths import IMPLEMENTATIONS

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # 6.6 MB of CRDs: the C loader when there is one
SHARED_VALIDATOR = Path(__file__).resolve().parents[1].parent / "shared" / "tools" / "gwapi_validate.py"


@functools.cache
def _schemas(group: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> openAPIV3Schema of the vendored CRDs of an API group (files named
    `<group>_<plural>.yaml` when there are such, else every file is read)."""
    files = sorted(IMPLEMENTATIONS.glob(f"*/crds/{group}_*.yaml")) or sorted(
        [*IMPLEMENTATIONS.glob("*/crds/*.yaml"), *IMPLEMENTATIONS.glob("*/crds/*.yml")])  # Traefik ships .yml
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for f in files:
        for doc in yaml.load_all(f.read_text(encoding="utf-8"), Loader=_LOADER):
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            if spec["group"] != group:
                continue
            for v in spec.get("versions") or []:
                schema = (v.get("schema") or {}).get("openAPIV3Schema")
                if schema is not None:
                    out[(f"{spec['group']}/{v['name']}", spec["names"]["kind"])] = schema
    return out


def _schema(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    api_version = str(obj.get("apiVersion"))
    return _schemas(api_version.rpartition("/")[0]).get((api_version, str(obj.get("kind"))))


#: API groups of the vendored implementation CRDs
GROUPS = ("gateway.envoyproxy.io", "gateway.kgateway.dev", "networking.istio.io", "security.istio.io",
          "telemetry.istio.io", "extensions.istio.io", "gateway.nginx.org", "traefik.io", "networking.gke.io",
          "gateway.k8s.aws")


def implementation_object(obj: Mapping[str, Any]) -> bool:
    """Whether an object belongs to an implementation whose CRDs are vendored."""
    return str(obj.get("apiVersion")).rpartition("/")[0] in GROUPS


def known(obj: Mapping[str, Any]) -> bool:
    """Whether a vendored CRD defines this object's apiVersion and kind."""
    return _schema(obj) is not None


def problems(obj: Mapping[str, Any]) -> list[str]:
    """Schema violations of one implementation object (empty: valid)."""
    schema = _schema(obj)
    assert schema is not None, f"no vendored CRD for {obj.get('apiVersion')} {obj.get('kind')}"
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(dict(obj))]


def shared_validator_problems(objs: Iterable[Mapping[str, Any]]) -> str | None:
    """Run ../shared/tools/gwapi_validate.py --with-implementations (CEL rules too) on `objs`;
    None when the shared tool is not installed, else its output when it fails ("" when valid)."""
    if not SHARED_VALIDATOR.is_file():
        return None
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "objects.yaml"
        path.write_text(yaml.safe_dump_all([dict(o) for o in objs]), encoding="utf-8")
        r = subprocess.run([sys.executable, str(SHARED_VALIDATOR), "--with-implementations", str(path)],
                           capture_output=True, text=True, timeout=300)
    return "" if r.returncode == 0 else r.stdout + r.stderr
