"""Every Traefik behaviour case in tests/data/cases/traefik/ against TraefikRouter.

One test per expectation (id: file id + index + name), plus one per file that declares
`expect_config`. Every key of `expect` is checked; an unknown key fails the test (the harness
must learn it). The case file's `controller` section is Traefik's static configuration (given as
the context's `traefik` document), `cluster.ingressClasses` the IngressClasses that exist beyond
the input, `cluster.endpoints` the ready endpoints (absent: none) and `cluster.secrets` the
Secrets that exist (TLS Secrets by their names; basic-auth Secrets become Secret objects).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from datapaths import CASES as DATA_CASES

from ing2gw.load import Manifest
from ing2gw.origin import Origin
from ing2gw.simulate.request import Answer, ClusterContext, Request, SecretFact
from ing2gw.simulate.traefik import Decision, TraefikRouter

CASES = DATA_CASES / "traefik"
COMMENTARY = {"notes"}


def _load_cases() -> list[tuple[str, dict[str, Any]]]:
    return [(p.stem, yaml.safe_load(p.read_text(encoding="utf-8"))) for p in sorted(CASES.glob("*.yaml"))]


_BY_ID = dict(_load_cases())
_CACHE: dict[str, TraefikRouter] = {}


def case_router(case_id: str, case: dict[str, Any]) -> TraefikRouter:
    """The router for a case file, built once."""
    if case_id in _CACHE:
        return _CACHE[case_id]
    path = str(CASES / f"{case_id}.yaml")
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
            secrets[key] = SecretFact(dns_names=tuple(spec.get("dnsNames") or ()), invalid=bool(spec.get("invalid")))
    manifests = [Manifest(obj, Origin(path, 0, i)) for i, obj in enumerate(objects)]
    services = {f"{(o['metadata'].get('namespace') or 'default')}/{o['metadata']['name']}"
                for o in objects if o.get("kind") == "Service"}
    endpoints = {k: int(v) for k, v in (cluster.get("endpoints") or {}).items() if k in services}
    static = dict(case.get("controller") or {})
    if "ingressClasses" in cluster:
        static["ingressClasses"] = cluster["ingressClasses"] or {}
    ctx = ClusterContext(services="input", default_endpoints=0, endpoints=endpoints, secrets="input",
                         secret_facts=secrets, traefik=static)
    router = TraefikRouter(manifests, ctx)
    _CACHE[case_id] = router
    return router


def case_request(spec: dict[str, Any]) -> Request:
    """A case `request`: Host verbatim, port by scheme unless given, SNI for https."""
    scheme = spec.get("scheme", "http")
    headers = [(str(k), str(v)) for k, v in (spec.get("headers") or {}).items()]
    host = spec.get("host")
    if "sni" in spec:
        sni = spec["sni"]
    else:
        sni = host.split(":")[0] if (host and scheme == "https") else None
    port = int(spec.get("port") or (443 if scheme == "https" else 80))
    return Request(method=spec.get("method", "GET"), scheme=scheme, host=host, port=port,
                   target=spec.get("path", "/"), headers=tuple(headers), sni=sni if scheme == "https" else None)


def _backend(answer: Answer) -> dict[str, Any] | None:
    if answer.backend is None:
        return None
    return {"namespace": answer.backend.namespace, "service": answer.backend.name, "port": answer.backend.port}


def _hdrs(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return {k.lower(): v for k, v in pairs}


def check_expectation(d: Decision, expect: dict[str, Any]) -> list[str]:
    """Every mismatch between a Decision and a case's `expect` block (empty: all good)."""
    answer = d.answer
    bad: list[str] = []
    decided = dict(answer.decided_by)

    def want(key: str, got: Any, exp: Any) -> None:
        if got != exp:
            bad.append(f"{key}: expected {exp!r}, got {got!r}")

    for key, exp in expect.items():
        if key in COMMENTARY:
            continue
        if key == "status":
            want(key, None if answer.status == 0 else answer.status, exp)
        elif key == "backend":
            want(key, _backend(answer), exp)
        elif key == "backend_one_of":
            got = [_backend(answer)] + [_backend(a) for _, a in d.tied]
            for b in exp:
                if b not in got:
                    bad.append(f"backend_one_of: {b} is not among the possible answers {got}")
            for b in got:
                if b not in exp:
                    bad.append(f"backend_one_of: {b} is a possible answer not in {exp}")
        elif key == "ambiguous":
            got_amb = bool(d.tied) and any("undefined order" in u for u in answer.unmodelled)
            want(key, got_amb, exp)
        elif key == "generated_by":
            want(key, answer.generated_by, exp)
        elif key == "served_by":
            want(key, {"ingress": decided.get("ingress")}, exp)
        elif key == "router":
            want(key, d.router, exp)
        elif key == "rule":
            want(key, d.rule, exp)
        elif key == "priority":
            want(key, d.priority, exp)
        elif key == "entrypoint":
            want(key, d.entrypoint, exp)
        elif key == "location":
            want(key, answer.redirect.location if answer.redirect else None, exp)
        elif key in ("upstream_path", "upstream_host"):
            want(key, getattr(answer, key), exp)
        elif key == "upstream_scheme":
            want(key, d.upstream_scheme, exp)
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
            want(key, d.tls_cert, exp)
        else:
            bad.append(f"unknown expect key {key!r}: the harness must learn it")
    return bad


def check_config(router: TraefikRouter, ec: dict[str, Any]) -> list[str]:
    """Every mismatch between the generated configuration and `expect_config`."""
    bad: list[str] = []
    for name, fields in (ec.get("routers") or {}).items():
        got = router.router_config(name)
        if got is None or not got["usable"]:
            bad.append(f"router {name}: not generated or not usable ({got and got['errors']})")
            continue
        for key, exp in fields.items():
            value = got.get(key)
            if key == "entrypoints":
                value = sorted(value)  # type: ignore[arg-type]
                exp = sorted(exp)
            if value != exp:
                bad.append(f"router {name}.{key}: expected {exp!r}, got {value!r}")
    for name in ec.get("absent_routers") or []:
        got = router.router_config(name)
        if got is not None and got["usable"]:
            bad.append(f"router {name} should be absent or unusable, got {got}")
    if "router_count" in ec:
        usable = [q for q, st in router.states.items() if q.endswith("@kubernetes") and st.usable]
        if len(usable) != ec["router_count"]:
            bad.append(f"router_count: expected {ec['router_count']}, got {len(usable)} ({usable})")
    for name, fields in (ec.get("services") or {}).items():
        got_s = router.service_config(name)
        if got_s is None:
            bad.append(f"service {name}: not generated")
            continue
        for key, exp in fields.items():
            if got_s.get(key) != exp:
                bad.append(f"service {name}.{key}: expected {exp!r}, got {got_s.get(key)!r}")
    unknown = set(ec) - {"routers", "absent_routers", "router_count", "services"}
    if unknown:
        bad.append(f"unknown expect_config key(s) {sorted(unknown)}: the harness must learn them")
    return bad


def _params() -> list[Any]:
    out = []
    for case_id, case in _load_cases():
        if case.get("expect_config"):
            out.append(pytest.param(case_id, None, id=f"{case_id}[config]"))
        for i, exp in enumerate(case.get("expectations") or []):
            out.append(pytest.param(case_id, i, id=f"{case_id}[{i}] {exp['name']}"))
    return out


@pytest.mark.parametrize("case_id,index", _params())
def test_traefik_case(case_id: str, index: int | None) -> None:
    case = _BY_ID[case_id]
    router = case_router(case_id, case)
    if index is None:
        problems = check_config(router, case["expect_config"])
        assert not problems, "\n".join(problems)
        return
    exp = case["expectations"][index]
    req = exp["request"]
    decision = router.decide(case_request(req), client_ip=req.get("client_ip"))
    problems = check_expectation(decision, exp["expect"])
    assert not problems, "\n".join(problems) + f"\nanswer: {decision.answer.to_dict()}"


def test_all_221_expectations_and_18_config_assertions_are_collected() -> None:
    cases = _load_cases()
    assert len(cases) == 63
    assert sum(len(c.get("expectations") or []) for _, c in cases) == 221
    assert sum(1 for _, c in cases if c.get("expect_config")) == 18
