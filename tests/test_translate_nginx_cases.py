"""Translate every ingress-nginx behaviour case of tests/data/cases/ingress-nginx and prove it.

Each case's objects go through the translator; the equivalence check then sends the generated
probes plus the case's own requests through the ingress-nginx model (which passes all 240
expectations, tests/test_simulate_nginx_cases.py) and the Gateway API model of the output, in
the case's cluster context (endpoints, Secrets, controller flags and ConfigMap). Every
difference must be explained by a finding.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from datapaths import CASES as DATA_CASES
from ruamel.yaml import YAML

from ing2gw.load import Manifest
from ing2gw.options import Options
from ing2gw.origin import Origin
from ing2gw.simulate.request import ClusterContext, Request, SecretFact
from ing2gw.translate import translate
from ing2gw.equivalence.verification import verify_translation

CASES_DIR = DATA_CASES / "ingress-nginx"
CASE_FILES = sorted(CASES_DIR.glob("*.yaml"))


def _requests(case: dict[str, Any]) -> list[Request]:
    out = []
    for e in case["expectations"]:
        r = e["request"]
        headers = [(str(k), str(v)) for k, v in (r.get("headers") or {}).items()]
        if r.get("cookies"):
            headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in r["cookies"].items())))
        scheme = r.get("scheme", "http")
        host = r.get("host") or ""
        out.append(Request(method=r.get("method", "GET"), scheme=scheme, host=host,
                           port=443 if scheme == "https" else 80, target=r["path"], headers=tuple(headers),
                           sni=r.get("sni", host.split(":")[0]) if scheme == "https" else None))
    return out


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_translation_of_case_is_equivalent(path: Path) -> None:
    case = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    manifests = [Manifest(o, Origin(str(path), 0, i)) for i, o in enumerate(case["objects"])]
    controller = case.get("controller") or {}
    configmap = {k: str(v) for k, v in (controller.get("configmap") or {}).items()}
    if configmap:
        manifests.append(Manifest({"apiVersion": "v1", "kind": "ConfigMap",
                                   "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
                                   "data": configmap}, Origin(str(path))))
    cluster = case.get("cluster") or {}
    secrets = {k: SecretFact(tuple((v or {}).get("dnsNames") or ()), bool((v or {}).get("invalid")))
               for k, v in (cluster.get("secrets") or {}).items()}
    context = ClusterContext(services="input", default_endpoints=0,
                             endpoints={k: int(v) for k, v in (cluster.get("endpoints") or {}).items()},
                             secrets="input", secret_facts=secrets, nginx_configmap=configmap)
    options = Options(nginx_flags=tuple(controller.get("flags") or ()))
    result = translate(manifests, options)
    v = verify_translation(result, manifests, options, context=context, extra_probes=_requests(case))
    unexplained = [r.to_dict() for r in v.differences if not r.explained_by and not r.unverified]
    assert v.unexplained == 0, json.dumps(unexplained[:3], indent=1)


def test_all_cases_are_found() -> None:
    assert len(CASE_FILES) == 85
