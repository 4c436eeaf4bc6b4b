"""Every HAProxy behaviour case in tests/data/cases/haproxy/ against HAProxyRouter.

One test per expectation (id: file id + index + name), plus one per file that declares
`expect_config`. Every key of `expect` and of `expect_config` is checked; an unknown key fails
the test so the harness cannot silently skip an assertion. The case's `controller` and
`cluster` blocks become manifests the controller would read (its ConfigMap, the pattern-file
ConfigMap, IngressClasses, basic-auth Secrets) and the ClusterContext (endpoints, TLS Secrets).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from datapaths import CASES as DATA_CASES

from ing2gw.load import Manifest
from ing2gw.origin import Origin
from ing2gw.simulate.haproxy import HAProxyRouter
from ing2gw.simulate.haproxy.maps import MAP_NAMES
from ing2gw.simulate.haproxy.settings import CHART_FLAGS
from ing2gw.simulate.request import Answer, ClusterContext, Request, SecretFact

CASES = DATA_CASES / "haproxy"
#: the case format's default TCP source (README: client_ip)
DEFAULT_CLIENT = "203.0.113.7"
#: IngressClass of the Helm chart, assumed when a case names none (README: ingressClasses)
CHART_CLASSES = {"haproxy": {"controller": "haproxy.org/ingress-controller/haproxy"}}


def _load_cases() -> list[tuple[str, dict[str, Any]]]:
    return [(p.stem, yaml.safe_load(p.read_text(encoding="utf-8"))) for p in sorted(CASES.glob("*.yaml"))]


_BY_ID = dict(_load_cases())
_CACHE: dict[str, HAProxyRouter] = {}


def _flag(flags: list[str], name: str) -> str | None:
    for f in flags:
        if f.startswith(f"--{name}="):
            return f.split("=", 1)[1]
    return None


def _obj(kind: str, api: str, ns: str | None, name: str, **rest: Any) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name}
    if ns is not None:
        md["namespace"] = ns
    return {"apiVersion": api, "kind": kind, "metadata": md, **rest}


def case_manifests(case: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str] | None]:
    """The case's objects plus what its `controller` and `cluster` blocks describe, as manifests;
    and the controller flags (None: the chart's)."""
    controller = case.get("controller") or {}
    cluster = case.get("cluster") or {}
    flags = list(controller["flags"]) if controller.get("flags") else None
    effective = flags if flags is not None else list(CHART_FLAGS)
    objects = list(case.get("objects") or [])
    cm_name = _flag(effective, "configmap")
    if controller.get("configmap") and cm_name:
        ns, name = cm_name.split("/")
        objects.append(_obj("ConfigMap", "v1", ns, name,
                            data={str(k): str(v) for k, v in controller["configmap"].items()}))
    pf_name = _flag(effective, "configmap-patternfiles")
    if cluster.get("patternFiles") and pf_name:
        ns, name = pf_name.split("/")
        data = {k.removeprefix("patterns/"): "\n".join(v) for k, v in cluster["patternFiles"].items()}
        objects.append(_obj("ConfigMap", "v1", ns, name, data=data))
    if not any(o.get("kind") == "IngressClass" for o in objects):
        for cname, spec in (cluster.get("ingressClasses") or CHART_CLASSES).items():
            obj = _obj("IngressClass", "networking.k8s.io/v1", None, cname, spec={"controller": spec["controller"]})
            if spec.get("default"):
                obj["metadata"]["annotations"] = {"ingressclass.kubernetes.io/is-default-class": "true"}
            objects.append(obj)
    for key, spec in (cluster.get("secrets") or {}).items():
        if spec and "data" in spec:
            ns, name = key.split("/")
            objects.append(_obj("Secret", "v1", ns, name, type=spec.get("type", "Opaque"), data=spec["data"]))
    return objects, flags


def case_router(case_id: str, case: dict[str, Any]) -> HAProxyRouter:
    """The router for a case file, built once (a Service without a manifest does not exist;
    absent endpoints are 0; absent Secrets are missing)."""
    if case_id in _CACHE:
        return _CACHE[case_id]
    path = str(CASES / f"{case_id}.yaml")
    objects, flags = case_manifests(case)
    manifests = [Manifest(obj, Origin(path, 0, i)) for i, obj in enumerate(objects)]
    services = {f"{(o['metadata'].get('namespace') or 'default')}/{o['metadata']['name']}"
                for o in objects if o.get("kind") == "Service"}
    cluster = case.get("cluster") or {}
    endpoints = {k: int(v) for k, v in (cluster.get("endpoints") or {}).items() if k in services}
    secrets = {k: SecretFact(dns_names=tuple((v or {}).get("dnsNames") or ()), invalid=bool((v or {}).get("invalid")))
               for k, v in (cluster.get("secrets") or {}).items() if not (v and "data" in v)}
    ctx = ClusterContext(services="input", default_endpoints=0, endpoints=endpoints, secrets="input",
                         secret_facts=secrets)
    router = HAProxyRouter(manifests, ctx, flags=flags)
    _CACHE[case_id] = router
    return router


def case_request(spec: dict[str, Any]) -> Request:
    """A case `request` as a Request: Host verbatim (None: no Host header), cookies as one
    Cookie header, SNI as given (default: the Host without port)."""
    scheme = spec.get("scheme", "http")
    headers = [(str(k), str(v)) for k, v in (spec.get("headers") or {}).items()]
    cookies = spec.get("cookies") or {}
    if cookies:
        headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items())))
    host = spec.get("host")
    sni = spec["sni"] if "sni" in spec else (host.split(":")[0] if host and scheme == "https" else None)
    return Request(method=spec.get("method", "GET"), scheme=scheme, host=host,
                   port=443 if scheme == "https" else 80, target=spec.get("path", "/"), headers=tuple(headers),
                   sni=sni if scheme == "https" else None)


def route_case(router: HAProxyRouter, spec: dict[str, Any]) -> Answer:
    return router.route(case_request(spec), client_ip=spec.get("client_ip", DEFAULT_CLIENT),
                        prior_requests=spec.get("prior_requests"), rand=spec.get("rand"))


def _hdrs(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return {k.lower(): v for k, v in pairs}


def check_expectation(answer: Answer, expect: dict[str, Any]) -> list[str]:
    """Every mismatch between an Answer and a case's `expect` block (empty: all good)."""
    bad: list[str] = []
    decided = dict(answer.decided_by)

    def want(key: str, got: Any, exp: Any) -> None:
        if got != exp:
            bad.append(f"{key}: expected {exp!r}, got {got!r}")

    for key, exp in expect.items():
        if key == "status":
            want(key, answer.status, 0 if exp is None else exp)  # null: no HTTP answer
        elif key == "backend":
            got = None if answer.backend is None else {"namespace": answer.backend.namespace,
                                                       "service": answer.backend.name, "port": answer.backend.port}
            want(key, got, exp)
        elif key == "generated_by":
            want(key, answer.generated_by, exp)
        elif key == "served_by":
            want(key, {"ingress": decided.get("ingress")}, exp)
        elif key == "haproxy_backend":
            want(key, decided.get("haproxy-backend"), exp)
        elif key == "location":
            want(key, answer.redirect.location if answer.redirect else None, exp)
        elif key in ("upstream_path", "upstream_host"):
            want(key, getattr(answer, key), exp)
        elif key in ("upstream_headers", "response_headers"):
            got_h = _hdrs(getattr(answer, key))
            for name, value in exp.items():
                want(f"{key}[{name}]", got_h.get(name.lower()), str(value))
        elif key in ("upstream_headers_absent", "response_headers_absent"):
            got_h = _hdrs(answer.upstream_headers if key.startswith("upstream") else answer.response_headers)
            for name in exp:
                if name.lower() in got_h:
                    bad.append(f"{key}: {name} is present ({got_h[name.lower()]!r})")
        elif key == "tls_cert":
            want(key, decided.get("certificate"), exp)
        elif key == "distribution":
            shares = {f"{s.backend.namespace}/{s.backend.name}": s.weight for s in answer.backends if s.backend}
            for svc, share in exp.items():
                if abs(shares.get(svc, 0.0) - share) > 0.005:
                    bad.append(f"distribution[{svc}]: expected {share}, got {shares.get(svc, 0.0)}")
        elif key == "ambiguous":
            undefined = any("undefined" in u for u in answer.unmodelled)
            want(key, undefined, bool(exp))
        else:
            bad.append(f"unknown expect key {key!r}: the harness must learn it")
    return bad


def check_config(router: HAProxyRouter, ec: dict[str, Any]) -> list[str]:
    """Every mismatch between what the router says the controller writes and `expect_config`."""
    cfg = router.config
    bad: list[str] = []
    for key, exp in ec.items():
        if key == "maps":
            for name, rows in exp.items():
                assert name in MAP_NAMES, name
                got = set(cfg.map_rows(name))
                if got != set(rows):
                    bad.append(f"maps[{name}]: missing {sorted(set(rows) - got)}, unexpected {sorted(got - set(rows))}")
        elif key == "map_counts":
            for name, count in exp.items():
                if len(cfg.map_rows(name)) != count:
                    bad.append(f"map_counts[{name}]: expected {count}, got {len(cfg.map_rows(name))}")
        elif key == "default_backend":
            if cfg.default_backend != exp:
                bad.append(f"default_backend: expected {exp!r}, got {cfg.default_backend!r}")
        elif key == "custom_routes":
            want = {" ".join(r.split()) for r in exp}
            got = set(cfg.use_backend_rules())
            if got != want:
                bad.append(f"custom_routes: expected {sorted(want)}, got {sorted(got)}")
        elif key == "rule_ids":
            for ing, ids in exp.items():
                if cfg.rule_ids.get(ing) != ids:
                    bad.append(f"rule_ids[{ing}]: expected {ids}, got {cfg.rule_ids.get(ing)}")
        elif key == "rule_kinds":
            for ing, kinds in exp.items():
                if cfg.rule_kinds.get(ing) != kinds:
                    bad.append(f"rule_kinds[{ing}]: expected {kinds}, got {cfg.rule_kinds.get(ing)}")
        elif key == "certificates":
            loaded = cfg.certs.loaded()
            if set(loaded) != set(exp) or len(loaded) != len(exp) or loaded[:1] != exp[:1]:
                bad.append(f"certificates: expected {exp} (default first), got {loaded}")
        elif key == "skipped":
            for text in exp:
                if not any(text in s for s in cfg.skipped):
                    bad.append(f"skipped: {text!r} not in {cfg.skipped}")
        elif key == "config_errors":
            for text in exp:
                if not any(text in e for e in router.config_errors):
                    bad.append(f"config_errors: {text!r} not in {router.config_errors}")
        else:
            bad.append(f"unknown expect_config key {key!r}: the harness must learn it")
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
def test_haproxy_case(case_id: str, index: int | None) -> None:
    case = _BY_ID[case_id]
    router = case_router(case_id, case)
    if index is None:
        problems = check_config(router, case["expect_config"])
        assert not problems, "\n".join(problems)
        return
    exp = case["expectations"][index]
    answer = route_case(router, exp["request"])
    problems = check_expectation(answer, exp["expect"])
    assert not problems, "\n".join(problems) + f"\nanswer: {answer.to_dict()}"


def test_all_260_expectations_and_15_config_assertions_are_collected() -> None:
    cases = _load_cases()
    assert len(cases) == 47
    assert sum(len(c.get("expectations") or []) for _, c in cases) == 260
    assert sum(1 for _, c in cases if c.get("expect_config")) == 15
