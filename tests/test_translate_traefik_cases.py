"""Translate every Traefik behaviour case of tests/data/cases/traefik and prove it.

Each case's objects go through the translator; the equivalence check then sends the generated
probes plus the case's own requests through the Traefik model (which passes all 221
expectations, tests/test_simulate_traefik_cases.py) and the Gateway API model of the output, in
the case's cluster context (endpoints, Secrets, Traefik's static configuration). Every
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

CASES_DIR = DATA_CASES / "traefik"
CASE_FILES = sorted(CASES_DIR.glob("*.yaml"))


def _requests(case: dict[str, Any]) -> list[Request]:
    out = []
    for e in case["expectations"]:
        r = e["request"]
        headers = tuple((str(k), str(v)) for k, v in (r.get("headers") or {}).items())
        scheme = r.get("scheme", "http")
        host = r.get("host")
        sni = r["sni"] if "sni" in r else (host.split(":")[0] if host and scheme == "https" else None)
        out.append(Request(method=r.get("method", "GET"), scheme=scheme, host=host,
                           port=int(r.get("port") or (443 if scheme == "https" else 80)), target=r.get("path", "/"),
                           headers=headers, sni=sni if scheme == "https" else None,
                           client_ip=r.get("client_ip")))
    return out


def _case(path: Path) -> tuple[list[Manifest], ClusterContext, dict[str, Any]]:
    case = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    objects = list(case.get("objects") or [])
    cluster = case.get("cluster") or {}
    secrets: dict[str, SecretFact] = {}
    for key, spec in (cluster.get("secrets") or {}).items():
        spec = spec or {}
        if spec.get("type") == "kubernetes.io/basic-auth":
            ns, name = key.split("/", 1)
            objects.append({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/basic-auth",
                            "metadata": {"namespace": ns, "name": name},
                            "stringData": {"username": spec["username"], "password": spec["password"]}})
        else:
            secrets[key] = SecretFact(tuple(spec.get("dnsNames") or ()), bool(spec.get("invalid")))
    manifests = [Manifest(o, Origin(str(path), 0, i)) for i, o in enumerate(objects)]
    # the context holds only the cluster's facts: Traefik's static configuration reaches the
    # simulator from the options, as `--traefik-static` does (the registry's old side)
    static: dict[str, Any] = {}
    if "ingressClasses" in cluster:
        static["ingressClasses"] = cluster["ingressClasses"] or {}
    services = {f"{(o['metadata'].get('namespace') or 'default')}/{o['metadata']['name']}"
                for o in objects if o.get("kind") == "Service"}
    context = ClusterContext(services="input", default_endpoints=0,
                             endpoints={k: int(v) for k, v in (cluster.get("endpoints") or {}).items() if k in services},
                             secrets="input", secret_facts=secrets, traefik=static)
    return manifests, context, case


def options_of(case: dict[str, Any]) -> Options:
    """The case's Traefik static configuration (`controller:`) as --traefik-static and
    --traefik-version give it: the translator reads it and passes it to the simulator."""
    static = dict(case.get("controller") or {})
    version = static.pop("traefikVersion", None)
    return Options(traefik_static=static or None, traefik_version=str(version) if version else None)


#: cases where Traefik builds no router ing2gw can emit: nothing is output, and the reason is a
#: finding (an error where Traefik did route requests)
NOTHING_EMITTED = {
    "backend-09-ignored-rules-and-backends": ("ING2GW-TRAEFIK-004", "resource backends and host-only rules"),
    "backend-10-externalname-not-allowed": ("ING2GW-TRAEFIK-004", "ExternalName refused by the provider"),
    "paths-06-pathmatcher-pathregexp-unanchored": ("ING2GW-TRAEFIK-005", "PathRegexp is not translated (error)"),
}


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_translation_of_case_is_equivalent(path: Path) -> None:
    manifests, context, case = _case(path)
    options = options_of(case)
    result = translate(manifests, options)
    if path.stem in NOTHING_EMITTED:
        code = NOTHING_EMITTED[path.stem][0]
        assert not [o for o in result.objects() if o["kind"] == "HTTPRoute"]
        assert code in {f.code for f in result.findings}
        return
    v = verify_translation(result, manifests, options, context=context, extra_probes=_requests(case))
    unexplained = [r.to_dict() for r in v.differences if not r.explained_by and not r.unverified]
    assert v.unexplained == 0, json.dumps(unexplained[:3], indent=1)


def test_all_cases_are_found() -> None:
    assert len(CASE_FILES) == 63
