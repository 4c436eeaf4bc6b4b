"""Every ingress-nginx behaviour case in tests/data/cases/ingress-nginx/ against NginxRouter.

One test per expectation (id: file id + index + name), plus one per file that declares
`expect_config`. Every key of `expect` is checked; `notes` is commentary and is skipped.
"""

from __future__ import annotations

from typing import Any

import pytest
from datapaths import CASES as DATA_CASES
import yaml

from ing2gw.load import Manifest
from ing2gw.origin import Origin
from ing2gw.simulate.nginx import NginxRouter
from ing2gw.simulate.request import Answer, ClusterContext, Request, SecretFact

CASES = DATA_CASES / "ingress-nginx"
#: expect keys that document rather than assert
COMMENTARY = {"notes"}


def _load_cases() -> list[tuple[str, dict[str, Any]]]:
    return [(p.stem, yaml.safe_load(p.read_text(encoding="utf-8"))) for p in sorted(CASES.glob("*.yaml"))]


_CACHE: dict[str, NginxRouter] = {}


def case_router(case_id: str, case: dict[str, Any]) -> NginxRouter:
    """The router for a case file, built once: `objects` as manifests, `cluster` and
    `controller` as the ClusterContext (a Service without a manifest does not exist; absent
    endpoints are 0; absent Secrets are missing)."""
    if case_id in _CACHE:
        return _CACHE[case_id]
    path = str(CASES / f"{case_id}.yaml")
    objects = case.get("objects") or []
    manifests = [Manifest(obj, Origin(path, 0, i)) for i, obj in enumerate(objects)]
    services = {f"{(o['metadata'].get('namespace') or 'default')}/{o['metadata']['name']}"
                for o in objects if o.get("kind") == "Service"}
    cluster = case.get("cluster") or {}
    controller = case.get("controller") or {}
    endpoints = {k: int(v) for k, v in (cluster.get("endpoints") or {}).items() if k in services}
    secrets = {k: SecretFact(dns_names=tuple((v or {}).get("dnsNames") or ()), invalid=bool((v or {}).get("invalid")))
               for k, v in (cluster.get("secrets") or {}).items()}
    ctx = ClusterContext(services="input", default_endpoints=0, endpoints=endpoints, secrets="input",
                         secret_facts=secrets, nginx_flags=tuple(controller.get("flags") or ()),
                         nginx_configmap={str(k): str(v) for k, v in (controller.get("configmap") or {}).items()})
    router = NginxRouter(manifests, ctx)
    _CACHE[case_id] = router
    return router


def case_request(spec: dict[str, Any]) -> Request:
    """A case `request` as a Request: Host verbatim, cookies as one Cookie header, port by scheme."""
    scheme = spec.get("scheme", "http")
    headers = [(str(k), str(v)) for k, v in (spec.get("headers") or {}).items()]
    cookies = spec.get("cookies") or {}
    if cookies:
        headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items())))
    host = spec.get("host")
    if "sni" in spec:
        sni = spec["sni"]
    else:
        sni = host.split(":")[0] if (host and scheme == "https") else None
    return Request(method=spec.get("method", "GET"), scheme=scheme, host=host,
                   port=443 if scheme == "https" else 80, target=spec.get("path", "/"), headers=tuple(headers),
                   sni=sni if scheme == "https" else None)


def _params() -> list[Any]:
    out = []
    for case_id, case in _load_cases():
        if case.get("expect_config"):
            out.append(pytest.param(case_id, None, id=f"{case_id}[config]"))
        for i, exp in enumerate(case.get("expectations") or []):
            out.append(pytest.param(case_id, i, id=f"{case_id}[{i}] {exp['name']}"))
    return out


_BY_ID = dict(_load_cases())


def _hdrs(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return {k.lower(): v for k, v in pairs}


def check_expectation(answer: Answer, expect: dict[str, Any], router: NginxRouter) -> list[str]:
    """Every mismatch between an Answer and a case's `expect` block (empty: all good)."""
    bad: list[str] = []
    decided = dict(answer.decided_by)

    def want(key: str, got: Any, exp: Any) -> None:
        if got != exp:
            bad.append(f"{key}: expected {exp!r}, got {got!r}")

    for key, exp in expect.items():
        if key in COMMENTARY:
            continue
        if key == "status":
            want(key, answer.status, exp)
        elif key == "backend":
            got = None if answer.backend is None else {"namespace": answer.backend.namespace,
                                                       "service": answer.backend.name, "port": answer.backend.port}
            want(key, got, exp)
        elif key == "generated_by":
            want(key, answer.generated_by, exp)
        elif key == "served_by":
            want(key, {"ingress": decided.get("ingress")}, exp)
        elif key == "location":
            want(key, answer.redirect.location if answer.redirect else None, exp)
        elif key in ("upstream_path", "upstream_host"):
            want(key, getattr(answer, key), exp)
        elif key in ("upstream_headers", "response_headers"):
            got_h = _hdrs(getattr(answer, key))
            for name, value in exp.items():
                want(f"{key}[{name}]", got_h.get(name.lower()), str(value))
        elif key == "upstream_headers_absent":
            got_h = _hdrs(answer.upstream_headers)
            for name in exp:
                if name.lower() in got_h:
                    bad.append(f"{key}: {name} is present ({got_h[name.lower()]!r})")
        elif key == "tls_cert":
            want(key, decided.get("certificate"), exp)
        elif key == "distribution":
            shares = {s.backend.name: s.weight for s in answer.backends if s.backend is not None}
            for svc, share in exp.items():
                if abs(shares.get(svc, 0.0) - share) > 0.005:
                    bad.append(f"distribution[{svc}]: expected {share}, got {shares.get(svc, 0.0)}")
        elif key == "min_share_each":
            for s in answer.backends:
                if s.weight < exp:
                    bad.append(f"min_share_each: {s.backend} has {s.weight}")
            if len(answer.backends) < 2:
                bad.append(f"min_share_each: expected a split, got {answer.backends}")
        elif key == "generated_location":
            # e.g. '= "/aaa" (exact twin of Prefix)' -> '= /aaa'
            text = exp.split(" (", 1)[0].replace('"', "")
            want(key, decided.get("location"), text)
        elif key == "upstream_endpoint":
            if not any(exp in n for n in answer.notes):
                bad.append(f"upstream_endpoint: {exp!r} not mentioned in notes {answer.notes}")
        else:
            bad.append(f"unknown expect key {key!r}: the harness must learn it")
    return bad


@pytest.mark.parametrize("case_id,index", _params())
def test_nginx_case(case_id: str, index: int | None) -> None:
    case = _BY_ID[case_id]
    router = case_router(case_id, case)
    if index is None:
        ec = case["expect_config"]
        assert router.config_valid == bool(ec.get("nginx_config_valid", True)), router.config_errors
        if "error" in ec:
            text = ec["error"].split(" (", 1)[0]
            assert any(text in e for e in router.config_errors), (text, router.config_errors)
        return
    exp = case["expectations"][index]
    req = exp["request"]
    answer = router.route(case_request(req), upstream_status=req.get("upstream_response_status"))
    problems = check_expectation(answer, exp["expect"], router)
    assert not problems, "\n".join(problems) + f"\nanswer: {answer.to_dict()}"


def test_all_240_expectations_are_collected() -> None:
    total = sum(len(c.get("expectations") or []) for _, c in _load_cases())
    assert total == 240
