"""Translate every HAProxy behaviour case of tests/data/cases/haproxy and prove it.

Each case's objects (with the controller ConfigMap, IngressClasses and basic-auth Secrets its
`controller` and `cluster` blocks describe) go through the translator; the equivalence check
then sends the generated probes plus the case's own requests through the HAProxy model (which
passes all 260 expectations, tests/test_simulate_haproxy_cases.py) and the Gateway API model of
the output, in the case's cluster context (endpoints, TLS Secrets). Every difference must be
explained by a finding that predicted it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from datapaths import CASES as DATA_CASES
from test_simulate_haproxy_cases import case_manifests, case_request

from ing2gw.load import Manifest
from ing2gw.options import Options
from ing2gw.origin import Origin
from ing2gw.simulate.request import ClusterContext, SecretFact
from ing2gw.translate import translate
from ing2gw.equivalence.verification import verify_translation

CASES_DIR = DATA_CASES / "haproxy"
CASE_FILES = sorted(CASES_DIR.glob("*.yaml"))

#: cases the check cannot compare yet, with the reason (xfail, strict: fixing it must show)
HARNESS_LIMITS: dict[str, str] = {}
CHART_CERT = "haproxy-controller/haproxy-kubernetes-ingress-default-cert"


def _context(case: dict[str, Any], objects: list[dict[str, Any]]) -> ClusterContext:
    services = {f"{(o['metadata'].get('namespace') or 'default')}/{o['metadata']['name']}"
                for o in objects if o.get("kind") == "Service"}
    cluster = case.get("cluster") or {}
    endpoints = {k: int(v) for k, v in (cluster.get("endpoints") or {}).items() if k in services}
    secrets = {k: SecretFact(tuple((v or {}).get("dnsNames") or ()), bool((v or {}).get("invalid")))
               for k, v in (cluster.get("secrets") or {}).items() if not (v and "data" in v)}
    # the chart generates the default certificate's Secret, which the HAProxy model always loads
    secrets.setdefault(CHART_CERT, SecretFact(()))
    return ClusterContext(services="input", default_endpoints=0, endpoints=endpoints, secrets="input",
                          secret_facts=secrets)


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_translation_of_case_is_equivalent(path: Path, request: pytest.FixtureRequest) -> None:
    if path.stem in HARNESS_LIMITS:
        request.applymarker(pytest.mark.xfail(reason=HARNESS_LIMITS[path.stem], strict=True))
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    objects, flags = case_manifests(case)
    manifests = [Manifest(o, Origin(str(path), 0, i)) for i, o in enumerate(objects)]
    # a case's own controller flags are the translation's input (--haproxy-flag); HAProxy is then
    # the cluster's only controller, so Ingresses that name none are its (--controller haproxy)
    options = Options() if flags is None else Options(controller="haproxy", haproxy_flags=tuple(flags))
    result = translate(manifests, options)
    # the flags (the chart's or the given ones) are said, or why an Ingress is not served
    assert any(f.code in ("ING2GW-HAPROXY-001", "ING2GW-HAPROXY-023") for f in result.findings)
    requests = [case_request(e["request"]) for e in case["expectations"]]
    v = verify_translation(result, manifests, options, context=_context(case, objects), extra_probes=requests)
    unexplained = [r.to_dict() for r in v.differences if not r.explained_by and not r.unverified]
    assert v.unexplained == 0, json.dumps(unexplained[:3], indent=1)


def test_all_cases_are_found() -> None:
    assert len(CASE_FILES) == 47
