"""No route is silently opened, and no access is widened (SECURITY.md, "no widening of access"
and "fail closed on lost security settings"): client address lists as ingress-nginx applies them,
and every implementation object valid against its vendored CRD."""

from __future__ import annotations

from typing import Any

import pytest

import implementation_crds
from golden_harness import build_options, discover, manifests, parse_flags
from ing2gw.findings import Finding
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.translate import Result, translate

PREFIX = "nginx.ingress.kubernetes.io"


def ingress(annotations: dict[str, str] | None = None, *, name: str = "web", ns: str = "shop",
            host: str = "shop.example.com") -> str:
    anns = "".join(f"    {k}: {v!r}\n" for k, v in (annotations or {}).items())
    return (f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
            + (f"  annotations:\n{anns}" if anns else "")
            + f"spec:\n  ingressClassName: nginx\n  rules:\n  - host: {host}\n    http:\n      paths:\n"
              "      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n")


def run(text: str, **options: Any) -> Result:
    return translate(load_text(text), Options(**options))


def policies(result: Result) -> list[dict[str, Any]]:
    return [o for o in result.objects() if o["kind"] == "SecurityPolicy"]


def codes(result: Result, severity: str | None = None) -> list[str]:
    return [f.code for f in result.findings if severity is None or f.severity.value == severity]


def errors(result: Result) -> list[Finding]:
    return [f for f in result.findings if f.severity.value == "error"]


def assert_valid_target_objects(result: Result) -> None:
    """Every implementation object validates against its vendored CRD, and no SecurityPolicy
    allows by default without a rule (an open policy)."""
    others = [o for o in result.objects() if implementation_crds.implementation_object(o)]
    for o in others:
        assert implementation_crds.known(o), o
        assert implementation_crds.problems(o) == [], (o, implementation_crds.problems(o))
        auth = (o.get("spec") or {}).get("authorization")
        if auth is not None:
            assert auth["defaultAction"] == "Deny" or auth.get("rules"), f"an open policy: {o}"


# -- item 6: Envoy Gateway allow-lists ---------------------------------------------------------------


@pytest.mark.parametrize("value, cidrs", [
    ("203.0.113.7", ["203.0.113.7/32"]),
    ("2001:db8::7", ["2001:db8::7/128"]),
    ("10.0.0.7/8, 203.0.113.7", ["10.0.0.0/8", "203.0.113.7/32"]),
    ("::ffff:198.51.100.1", ["198.51.100.1/32"]),
])
def test_single_addresses_become_cidrs(value: str, cidrs: list[str]) -> None:
    r = run(ingress({f"{PREFIX}/whitelist-source-range": value}), target="envoy-gateway")
    policy, = policies(r)
    assert policy["spec"]["authorization"] == {
        "defaultAction": "Deny", "rules": [{"name": "allowlist", "action": "Allow", "principal": {"clientCIDRs": cidrs}}]}
    assert "ING2GW-NGINX-002" not in codes(r)
    assert_valid_target_objects(r)


@pytest.mark.parametrize("key, value", [
    ("allowlist-source-range", ""),
    ("allowlist-source-range", "   "),
    ("whitelist-source-range", " "),
    ("whitelist-source-range", ","),
    ("whitelist-source-range", "10.0.0.0/8,,10.1.0.0/16"),
    ("whitelist-source-range", "10.0.0.0/8, not-an-address"),
    ("whitelist-source-range", "10.0.0.0/33"),
    ("denylist-source-range", ""),
    ("denylist-source-range", ","),
])
def test_invalid_lists_deny_every_request_as_ingress_nginx_does(key: str, value: str) -> None:
    """ingress-nginx denies the location (503) when an access annotation does not parse; the
    translation denies too (no allow rule, default Deny), and says so with an error."""
    r = run(ingress({f"{PREFIX}/{key}": value}), target="envoy-gateway")
    policy, = policies(r)
    assert policy["spec"]["authorization"] == {"defaultAction": "Deny"}
    bad = [f for f in errors(r) if f.code == "ING2GW-NGINX-002"]
    assert bad and "denies every request" in bad[0].message and "denies them too" in bad[0].message
    assert_valid_target_objects(r)


def test_invalid_lists_without_a_policy_target_are_errors() -> None:
    r = run(ingress({f"{PREFIX}/whitelist-source-range": ","}))
    assert not policies(r)
    messages = [f.message for f in errors(r)]
    assert any("denies every request" in m and "stay open" in m for m in messages)
    assert "ING2GW-NGINX-013" in codes(r, "error")


def test_an_empty_alias_is_no_annotation() -> None:
    """`whitelist-source-range: ""` counts as absent in ingress-nginx (an alias with no value)."""
    r = run(ingress({f"{PREFIX}/whitelist-source-range": ""}), target="envoy-gateway")
    assert policies(r) == []
    f, = [f for f in r.findings if f.annotation == f"{PREFIX}/whitelist-source-range"]
    assert f.status == "ignored" and "empty value counts as no annotation" in f.message
    assert not errors(r)


def test_allowlist_wins_over_its_alias() -> None:
    r = run(ingress({f"{PREFIX}/allowlist-source-range": "10.0.0.0/8",
                     f"{PREFIX}/whitelist-source-range": "192.168.0.0/16"}), target="envoy-gateway")
    policy, = policies(r)
    assert policy["spec"]["authorization"]["rules"][0]["principal"]["clientCIDRs"] == ["10.0.0.0/8"]
    # an empty allowlist key with a set alias: the alias is read
    r = run(ingress({f"{PREFIX}/allowlist-source-range": "",
                     f"{PREFIX}/whitelist-source-range": "192.168.0.0/16"}), target="envoy-gateway")
    policy, = policies(r)
    assert policy["spec"]["authorization"]["rules"][0]["principal"]["clientCIDRs"] == ["192.168.0.0/16"]


def test_deny_list_alone_allows_the_rest() -> None:
    r = run(ingress({f"{PREFIX}/denylist-source-range": "203.0.113.0/24"}), target="envoy-gateway")
    policy, = policies(r)
    assert policy["spec"]["authorization"] == {
        "defaultAction": "Allow",
        "rules": [{"name": "denylist", "action": "Deny", "principal": {"clientCIDRs": ["203.0.113.0/24"]}}]}
    assert_valid_target_objects(r)


def test_long_names_stay_valid() -> None:
    name = "a" * 240
    r = run(ingress({f"{PREFIX}/whitelist-source-range": "10.0.0.0/8"}, name=name), target="envoy-gateway")
    assert_valid_target_objects(r)
    policy, = policies(r)
    assert len(policy["metadata"]["name"]) <= 253 and policy["metadata"]["name"][-1].isalnum()


def test_target_objects_pass_the_shared_validator() -> None:
    """The CEL rules too (../shared/tools/gwapi_validate.py --with-implementations), once for the
    objects of every case above; skipped where the shared tool is missing."""
    if not implementation_crds.SHARED_VALIDATOR.is_file():
        pytest.skip(f"{implementation_crds.SHARED_VALIDATOR} is not installed")
    objs: list[dict[str, Any]] = []
    cases = [{"whitelist-source-range": v} for v in ("203.0.113.7", "2001:db8::7", "10.0.0.7/8, 203.0.113.7", ",")]
    cases += [{"denylist-source-range": "203.0.113.0/24"}, {"allowlist-source-range": ""},
              {"denylist-source-range": "10.0.0.0/8", "whitelist-source-range": "10.0.0.0/16"}]
    for i, anns in enumerate(cases):
        text = ingress({f"{PREFIX}/{k}": v for k, v in anns.items()}, name=f"web{i}", host=f"h{i}.example.com")
        objs += run(text, target="envoy-gateway").objects()
    assert any(o["kind"] == "SecurityPolicy" for o in objs)
    shared = implementation_crds.shared_validator_problems(objs)
    assert shared == "", shared


@pytest.mark.parametrize("case", discover(), ids=lambda c: c.id)
def test_every_golden_input_for_envoy_gateway_gives_valid_target_objects(case: Any) -> None:
    """Every golden input translated for Envoy Gateway: its implementation objects validate
    against the vendored CRDs and no policy is open by default."""
    options = parse_flags(case.flags())
    options["target"] = "envoy-gateway"
    try:
        result = translate(manifests(case), build_options(options))
    except Exception as exc:  # an input the golden expects to be refused
        pytest.skip(f"not translatable: {exc}")
    assert_valid_target_objects(result)
