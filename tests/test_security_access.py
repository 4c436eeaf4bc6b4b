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
    bad = [f for f in errors(r) if f.code == "ING2GW-NGINX-082"]
    assert bad and "denies every request" in bad[0].message and "denies them too" in bad[0].message
    # and the check excuses only the status nginx (503) and the policy (403) give
    v = verify(ingress({f"{PREFIX}/{key}": value}), target="envoy-gateway")
    assert v.unexplained == 0 and v.cause_counts.get(("ING2GW-NGINX-082",)), v.to_dict()
    assert_valid_target_objects(r)


def test_invalid_lists_without_a_policy_target_are_errors() -> None:
    r = run(ingress({f"{PREFIX}/whitelist-source-range": ","}))
    assert not policies(r)
    messages = [f.message for f in errors(r)]
    assert any("denies every request" in m and "keep no backend" in m for m in messages)
    route, = [o for o in r.objects() if o["kind"] == "HTTPRoute"]
    assert all("backendRefs" not in rule for rule in route["spec"]["rules"]), "fails closed: 500, never open"
    assert {"ING2GW-NGINX-081", "ING2GW-NGINX-080"} <= set(codes(r, "error"))
    # the opened routes are differences the check attributes to the invalid list, not hides
    v = verify(ingress({f"{PREFIX}/whitelist-source-range": ","}))
    assert v.unexplained == 0 and v.cause_counts.get(("ING2GW-NGINX-081",)), v.to_dict()


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


# -- item 1: the ConfigMap's access settings ---------------------------------------------------------


def configmap(data: dict[str, str]) -> str:
    body = "".join(f"  {k}: {v!r}\n" for k, v in data.items())
    return ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ingress-nginx-controller, namespace: ingress-nginx}\n"
            f"data:\n{body}---\n")


def sec(result: Result, code: str) -> list[Finding]:
    return [f for f in result.findings if f.code == code]


def verify(text: str, **options: Any) -> Any:
    from ing2gw.equivalence.verification import verify_translation

    manifests = load_text(text)
    opts = Options(**options)
    return verify_translation(translate(manifests, opts), manifests, opts)


def test_the_issue_reproduction_is_no_longer_silent() -> None:
    """ConfigMap whitelist-source-range and global-auth-url, one plain Ingress, envoy-gateway:
    the allow-list becomes the route's policy, the authentication is an error, and no probe is
    reported equivalent (both depend on who the client is)."""
    text = configmap({"whitelist-source-range": "10.0.0.0/8",
                      "global-auth-url": "https://auth.example.com/check"}) + ingress()
    r = run(text, target="envoy-gateway")
    policy, = policies(r)
    assert policy["spec"]["authorization"] == {
        "defaultAction": "Deny", "rules": [{"name": "allowlist", "action": "Allow",
                                            "principal": {"clientCIDRs": ["10.0.0.0/8"]}}]}
    translated, = sec(r, "ING2GW-SEC-003")
    assert "whitelist-source-range" in translated.message
    lost, = sec(r, "ING2GW-SEC-002")
    assert lost.severity.value == "error" and "global-auth-url" in lost.message and "shop/web" in lost.message
    assert_valid_target_objects(r)
    v = verify(text, target="envoy-gateway")
    assert v.equivalent == 0 and v.unverified > 0 and v.unexplained == 0


def test_without_a_policy_target_the_lists_are_errors() -> None:
    r = run(configmap({"whitelist-source-range": "10.0.0.0/8", "denylist-source-range": "10.9.0.0/16"}) + ingress())
    assert sorted(dict(f.details)["key"] for f in sec(r, "ING2GW-SEC-002")) == ["denylist-source-range",
                                                                                 "whitelist-source-range"]
    assert all(f.severity.value == "error" and f.security for f in sec(r, "ING2GW-SEC-002"))
    accepted = run(configmap({"whitelist-source-range": "10.0.0.0/8"}) + ingress(),
                   allow_weakened=frozenset({"whitelist-source-range"}))
    f, = sec(accepted, "ING2GW-SEC-002")
    assert f.severity.value == "warning" and f.accepted


def test_an_ingress_list_replaces_the_configmap_list_of_the_same_kind_only() -> None:
    """ipallowlist/ipdenylist use the ConfigMap's list only when the annotation is missing."""
    text = (configmap({"whitelist-source-range": "10.0.0.0/8", "denylist-source-range": "10.66.0.0/16"})
            + ingress({f"{PREFIX}/whitelist-source-range": "192.168.0.0/16"}, name="own-allow", host="a.example.com")
            + "---\n" + ingress({f"{PREFIX}/denylist-source-range": "10.1.0.0/16"}, name="own-deny",
                                host="b.example.com")
            + "---\n" + ingress(name="plain", host="c.example.com"))
    r = run(text, target="envoy-gateway")
    by_ingress = {p["metadata"]["annotations"]["ing2gw.io/source-ingress"]: p["spec"]["authorization"]
                  for p in policies(r)}
    assert by_ingress["shop/own-allow"]["rules"] == [
        {"name": "denylist", "action": "Deny", "principal": {"clientCIDRs": ["10.66.0.0/16"]}},
        {"name": "allowlist", "action": "Allow", "principal": {"clientCIDRs": ["192.168.0.0/16"]}}]
    assert by_ingress["shop/own-deny"]["rules"] == [
        {"name": "denylist", "action": "Deny", "principal": {"clientCIDRs": ["10.1.0.0/16"]}},
        {"name": "allowlist", "action": "Allow", "principal": {"clientCIDRs": ["10.0.0.0/8"]}}]
    assert by_ingress["shop/plain"]["rules"] == [
        {"name": "denylist", "action": "Deny", "principal": {"clientCIDRs": ["10.66.0.0/16"]}},
        {"name": "allowlist", "action": "Allow", "principal": {"clientCIDRs": ["10.0.0.0/8"]}}]
    assert all(p["spec"]["authorization"]["defaultAction"] == "Deny" for p in policies(r))
    assert_valid_target_objects(r)


def test_blocked_addresses_reach_only_locations_without_a_list() -> None:
    """block-cidrs is an http-level `deny`: nginx inherits access rules only into a level without any."""
    text = (configmap({"block-cidrs": "203.0.113.0/24, 198.51.100.7"})
            + ingress({f"{PREFIX}/whitelist-source-range": "10.0.0.0/8"}, name="listed", host="a.example.com")
            + "---\n" + ingress(name="plain", host="b.example.com"))
    r = run(text, target="envoy-gateway")
    by_ingress = {p["metadata"]["annotations"]["ing2gw.io/source-ingress"]: p["spec"]["authorization"]
                  for p in policies(r)}
    assert by_ingress["shop/plain"] == {"defaultAction": "Allow", "rules": [
        {"name": "denylist", "action": "Deny", "principal": {"clientCIDRs": ["198.51.100.7/32", "203.0.113.0/24"]}}]}
    assert by_ingress["shop/listed"]["rules"] == [
        {"name": "allowlist", "action": "Allow", "principal": {"clientCIDRs": ["10.0.0.0/8"]}}]
    info, = sec(r, "ING2GW-SEC-003")
    assert "block-cidrs" in info.message
    assert_valid_target_objects(r)


def test_invalid_configmap_entries_are_errors_and_the_list_only_narrows() -> None:
    r = run(configmap({"whitelist-source-range": "10.0.0.0/8, bogus, "}) + ingress(), target="envoy-gateway")
    bad, = sec(r, "ING2GW-SEC-004")
    assert bad.severity.value == "error" and "'bogus'" in bad.message
    policy, = policies(r)
    assert policy["spec"]["authorization"]["rules"][0]["principal"]["clientCIDRs"] == ["10.0.0.0/8"]
    # nothing valid left: every client is refused rather than every client let in
    r = run(configmap({"whitelist-source-range": "bogus"}) + ingress(), target="envoy-gateway")
    policy, = policies(r)
    assert policy["spec"]["authorization"] == {"defaultAction": "Deny"}


@pytest.mark.parametrize("key, value", [
    ("block-user-agents", "~*curl,wget"), ("block-referers", "~*evil.example"), ("global-auth-url", "http://auth.x/"),
    ("enable-modsecurity", "true"), ("global-rate-limit-memcached-host", "memcached.x"),
    ("http-snippet", "deny all;"), ("server-snippet", "return 403;"), ("location-snippet", "deny all;"),
    ("whitelist-source-range", "10.0.0.0/8"), ("denylist-source-range", "10.0.0.0/8"), ("block-cidrs", "10.0.0.0/8"),
])
@pytest.mark.parametrize("target", [None, "envoy-gateway"])
def test_every_access_key_is_translated_or_an_error(key: str, value: str, target: str | None) -> None:
    anns = {f"{PREFIX}/global-rate-limit": "100"} if key.startswith("global-rate-limit") else {}
    r = run(configmap({key: value}) + ingress(anns), **({"target": target} if target else {}))
    lost = [f for f in sec(r, "ING2GW-SEC-002") if dict(f.details)["key"] == key]
    kept = [f for f in sec(r, "ING2GW-SEC-003") if dict(f.details)["key"] == key]
    if target and key in ("whitelist-source-range", "denylist-source-range", "block-cidrs"):
        assert kept and not lost and policies(r)
    else:
        assert lost and lost[0].severity.value == "error" and not kept
    v = verify(configmap({key: value}) + ingress(anns), **({"target": target} if target else {}))
    if key in ("whitelist-source-range", "denylist-source-range"):
        # the simulator models these lists: probes come from inside and outside them; without a
        # policy the refused clients now get through, and only the lost-setting finding excuses it
        assert v.unexplained == 0 and v.unverified == 0, v.to_dict()
        lost_probes = v.cause_counts.get(("ING2GW-SEC-002",), 0)
        assert (lost_probes > 0) == (target is None), v.cause_counts
    else:
        # the check never calls an answer under a setting it cannot model equivalent
        assert v.equivalent == 0 and v.unverified > 0, v.to_dict()


@pytest.mark.parametrize("key, value", [("enable-modsecurity", "false"), ("block-cidrs", " , "),
                                        ("global-auth-url", "not a url"), ("whitelist-source-range", "")])
def test_values_the_controller_ignores_are_no_loss(key: str, value: str) -> None:
    r = run(configmap({key: value}) + ingress())
    assert not sec(r, "ING2GW-SEC-002")


def test_ingresses_that_turn_the_setting_off_are_not_affected() -> None:
    text = (configmap({"global-auth-url": "https://auth.example.com/", "enable-modsecurity": "true"})
            + ingress({f"{PREFIX}/enable-global-auth": "false", f"{PREFIX}/enable-modsecurity": "false"}))
    assert not sec(run(text), "ING2GW-SEC-002")
    # the global rate limits act only on Ingresses with a global-rate-limit annotation
    assert not sec(run(configmap({"global-rate-limit-memcached-host": "m"}) + ingress()), "ING2GW-SEC-002")


def test_client_address_from_proxy_protocol_is_an_error_when_lists_are_translated() -> None:
    # with a trusted range narrower than 0.0.0.0/0 nginx keeps an untrusted load balancer's
    # address: Envoy Gateway's proxyProtocol would not, so nothing is written and SEC-005 stays
    cm = {"use-proxy-protocol": "true", "proxy-real-ip-cidr": "192.0.2.0/24"}
    text = configmap(cm) + ingress({f"{PREFIX}/whitelist-source-range": "10.0.0.0/8"})
    r = run(text, target="envoy-gateway")
    f, = sec(r, "ING2GW-SEC-005")
    assert f.severity.value == "error" and "PROXY protocol" in f.message
    # with the default range the ClientTrafficPolicy's proxyProtocol derives the same address
    carried = run(configmap({"use-proxy-protocol": "true"}) + ingress({f"{PREFIX}/whitelist-source-range": "10.0.0.0/8"}),
                  target="envoy-gateway")
    assert not sec(carried, "ING2GW-SEC-005")
    r = run(text, target="envoy-gateway", allow_weakened=frozenset({"use-proxy-protocol"}))
    f, = sec(r, "ING2GW-SEC-005")
    assert f.severity.value == "warning"
    assert not sec(run(configmap({"use-proxy-protocol": "true"}) + ingress(), target="envoy-gateway"),
                   "ING2GW-SEC-005"), "no list: nothing checks the address"


def test_simulator_and_translator_know_the_same_access_keys() -> None:
    """The simulator may not read the translator's table (it is the independent judge): the two
    lists are kept apart and must agree."""
    from ing2gw.providers.ingress_nginx.globals import global_keys
    from ing2gw.simulate.nginx_settings import ACCESS_KEYS

    table = set(global_keys()) | {c for r in global_keys().values() for c in r.companions}
    assert set(ACCESS_KEYS) <= table
    assert set(global_keys()) <= set(ACCESS_KEYS)


# -- item 7: annotations never reach into another namespace on a tenant's say-so --------------------------

MIRROR_OTHER = {f"{PREFIX}/mirror-target": "http://ledger.finance.svc.cluster.local:8080$request_uri"}
FINANCE_CM = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: creds, namespace: finance}\n"
              "data: {X-Db-Password: hunter2}\n---\n")


def test_mirror_target_in_another_namespace_writes_no_grant() -> None:
    r = run(ingress(MIRROR_OTHER))
    assert not [o for o in r.objects() if o["kind"] == "ReferenceGrant" and o["metadata"]["namespace"] == "finance"]
    route, = [o for o in r.objects() if o["kind"] == "HTTPRoute"]
    assert "RequestMirror" not in str(route)
    f, = sec(r, "ING2GW-SEC-006")
    assert f.severity.value == "error" and "namespace finance" in f.message and f.subject == "Ingress shop/web"
    assert "--allow-cross-namespace" in (f.suggestion or "")


def test_custom_headers_from_another_namespace_are_not_read() -> None:
    r = run(FINANCE_CM + ingress({f"{PREFIX}/custom-headers": "finance/creds"}))
    assert "hunter2" not in str(r.objects())
    f, = sec(r, "ING2GW-SEC-006")
    assert f.severity.value == "error" and "namespace finance" in f.message


def test_the_platform_team_can_allow_it() -> None:
    r = run(FINANCE_CM + ingress({**MIRROR_OTHER, f"{PREFIX}/custom-headers": "finance/creds"}),
            allow_cross_namespace=True)
    grant, = [o for o in r.objects() if o["kind"] == "ReferenceGrant"]
    assert grant["metadata"]["namespace"] == "finance"
    assert "hunter2" in str(r.objects())
    assert not sec(r, "ING2GW-SEC-006") and len(sec(r, "ING2GW-SEC-007")) == 2


def test_same_namespace_references_need_nothing() -> None:
    r = run(ingress({f"{PREFIX}/mirror-target": "http://shadow.shop.svc:8080"}))
    assert "RequestMirror" in str(r.objects()) and not sec(r, "ING2GW-SEC-006")


def test_cross_namespace_option_on_the_command_line_and_in_the_config(tmp_path: Any,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from ing2gw.cli import main

    f = tmp_path / "in.yaml"
    f.write_text(ingress(MIRROR_OTHER))
    assert main(["convert", "-f", str(f)]) == 1
    assert "ING2GW-SEC-006" in capsys.readouterr().err
    assert main(["convert", "-f", str(f), "--allow-cross-namespace"]) == 0
    assert "kind: ReferenceGrant" in capsys.readouterr().out
    config = tmp_path / "ing2gw.yaml"
    config.write_text("apiVersion: ing2gw.io/v1alpha1\nkind: Ing2Gw\nmetadata: {name: x}\n"
                      "spec: {allowCrossNamespace: true}\n")
    assert main(["convert", "-f", str(f), "--config", str(config)]) == 0
    assert "kind: ReferenceGrant" in capsys.readouterr().out


def test_cross_namespace_key_in_the_krm_config() -> None:
    from ing2gw import krm

    assert krm.parse_function_config({"apiVersion": "ing2gw.io/v1alpha1", "kind": "Ing2Gw",
                                      "spec": {"allowCrossNamespace": True}}).options.allow_cross_namespace
    assert not krm.parse_function_config(None).options.allow_cross_namespace


# -- item 8: security annotations under another prefix ------------------------------------------------------


def test_security_annotation_under_another_prefix_is_an_error_naming_the_option() -> None:
    r = run(ingress({"custom.io/whitelist-source-range": "10.0.0.0/8", "custom.io/auth-url": "http://a/"}))
    found = {f.annotation: f for f in sec(r, "ING2GW-SEC-008")}
    assert set(found) == {"custom.io/whitelist-source-range", "custom.io/auth-url"}
    for f in found.values():
        assert f.severity.value == "error" and "--annotations-prefix custom.io" in (f.suggestion or "")
    route, = [o for o in r.objects() if o["kind"] == "HTTPRoute"]
    assert not any(k.startswith("custom.io/") for k in route["metadata"].get("annotations", {})), "not copied"


def test_with_the_prefix_given_the_keys_are_read() -> None:
    r = run(ingress({"custom.io/whitelist-source-range": "10.0.0.0/8"}), annotations_prefix="custom.io",
            target="envoy-gateway")
    assert not sec(r, "ING2GW-SEC-008") and policies(r)


def test_other_ingress_nginx_keys_under_another_prefix_are_warnings_and_not_copied() -> None:
    r = run(ingress({"custom.io/rewrite-target": "/", "team.example.com/owner": "shop"}))
    f, = [f for f in r.findings if f.code == "ING2GW-NGINX-061"]
    assert f.severity.value == "warning" and f.annotation == "custom.io/rewrite-target"
    route, = [o for o in r.objects() if o["kind"] == "HTTPRoute"]
    assert route["metadata"]["annotations"].get("team.example.com/owner") == "shop", "other metadata is still copied"
    assert "custom.io/rewrite-target" not in route["metadata"]["annotations"]


def test_another_tools_key_can_be_accepted_by_its_full_name() -> None:
    r = run(ingress({"tool.example.com/auth-url": "http://auth.example.com/"}),
            allow_weakened=frozenset({"tool.example.com/auth-url"}))
    f, = sec(r, "ING2GW-SEC-008")
    assert f.severity.value == "warning" and f.accepted


def test_a_known_controllers_key_on_an_nginx_ingress_is_not_translated() -> None:
    """An auth key of another controller (AWS ALB) on an Ingress of class nginx: the evidence
    disagrees, so the Ingress is refused (detection fails closed) rather than opened."""
    r = run(ingress({"alb.ingress.kubernetes.io/auth-type": "cognito"}),
            allow_weakened=frozenset({"alb.ingress.kubernetes.io/auth-type"}))
    f, = [f for f in r.findings if f.code == "ING2GW-DETECT-001"]
    assert f.severity.value == "error" and "alb.ingress.kubernetes.io/auth-type" in f.message
    assert not [o for o in r.objects() if o["kind"] == "HTTPRoute"]


# -- allowedRoutes: a listener admits exactly the namespaces whose routes attach to it ----------------------


@pytest.mark.parametrize("case", discover(), ids=lambda c: c.id)
def test_listeners_admit_only_the_namespaces_of_their_routes(case: Any) -> None:
    """Ingress lets any namespace claim any host; the translation must not keep that hole open:
    no listener admits All namespaces, and each admits exactly the namespaces of the routes that
    attach to it (every golden input)."""
    try:
        result = translate(manifests(case), build_options(parse_flags(case.flags())))
    except Exception as exc:
        pytest.skip(f"not translatable: {exc}")
    admitted: dict[tuple[str, str, str, str], set[str]] = {}
    for gw in (o for o in result.objects() if o["kind"] in ("Gateway", "ListenerSet")):
        for lst in gw["spec"]["listeners"]:
            ns = lst.get("allowedRoutes", {}).get("namespaces", {"from": "Same"})
            assert ns.get("from") != "All", (gw["metadata"]["name"], lst["name"])
            if ns.get("from") == "Same":
                names = {gw["metadata"]["namespace"]}
            else:
                expr, = ns["selector"]["matchExpressions"]
                assert expr["key"] == "kubernetes.io/metadata.name" and expr["operator"] == "In"
                names = set(expr["values"])
            admitted[(gw["kind"], gw["metadata"]["namespace"], gw["metadata"]["name"], lst["name"])] = names
    attached: dict[tuple[str, str, str, str], set[str]] = {key: set() for key in admitted}
    for route in (o for o in result.objects() if o["kind"] in ("HTTPRoute", "GRPCRoute", "TLSRoute")):
        rns = route["metadata"]["namespace"]
        for ref in route["spec"]["parentRefs"]:
            key = (ref.get("kind", "Gateway"), ref.get("namespace", rns), ref["name"], ref.get("sectionName"))
            targets = [k for k in admitted if k[:3] == key[:3] and (key[3] is None or k[3] == key[3])]
            assert targets, (route["metadata"], ref)
            for k in targets:
                assert rns in admitted[k], f"{rns} is not admitted by {k}"
                attached[k].add(rns)
    for k, names in admitted.items():
        assert names <= attached[k] | {k[1]}, f"listener {k} admits {names - attached[k]} without a route of theirs"
