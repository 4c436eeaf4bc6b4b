"""carry.verdict(): which Envoy Gateway policies ing2gw writes for which ingress-nginx settings,
and the reason it gives when it cannot (nginx_intents turns annotations into parameters)."""

from __future__ import annotations

import pytest

from ing2gw.emit.targets.carry import verdict
from ing2gw.providers.ingress_nginx.intents import intent_params

P = "nginx.ingress.kubernetes.io"


def params(intent: str, **anns: str) -> dict[str, str] | None:
    return intent_params({f"{P}/{k.replace('_', '-')}": v for k, v in anns.items()}, P, "shop", intent)


def test_an_ingress_that_does_not_ask_has_no_parameters() -> None:
    assert params("basic-auth", auth_realm="x") is None
    assert params("rate-limit", limit_burst_multiplier="3") is None
    assert params("external-auth") is None and params("body-size-limit") is None


@pytest.mark.parametrize("intent, anns, why", [
    ("basic-auth", dict(auth_type="digest", auth_secret="u"), "Basic credentials only"),
    ("basic-auth", dict(auth_type="basic", auth_secret="u", auth_secret_type="auth-map"), "auth-map"),
    ("basic-auth", dict(auth_type="basic", auth_secret="other/u"), "another namespace"),
    ("basic-auth", dict(auth_type="basic"), "no credentials Secret"),
    ("external-auth", dict(auth_url="https://auth.example.net/check"), "not a cluster Service"),
    ("external-auth", dict(auth_url="http://auth.shop.svc/x?y=1"), "not a cluster Service"),
    ("external-auth", dict(auth_url="http://auth.other.svc/x"), "another namespace"),
    ("external-auth", dict(auth_url="https://auth.shop.svc/x"), "https"),
    ("external-auth", dict(auth_url="http://auth.shop.svc/x", auth_signin="https://s/"), "auth-signin"),
    ("rate-limit", dict(limit_rps="ten"), "positive whole number"),
    ("rate-limit", dict(limit_rps="0"), "positive whole number"),
    ("rate-limit", dict(limit_rps="5", limit_allowlist="10.0.0.0/8"), "limit-allowlist"),
    ("body-size-limit", dict(proxy_body_size="8x"), "not a size"),
])
def test_what_envoy_gateway_cannot_carry_says_why(intent: str, anns: dict[str, str], why: str) -> None:
    p = params(intent, **anns)
    assert p is not None
    v = verdict("envoy-gateway", intent, p)
    assert not v.carried and why in v.why_not and v.becomes


@pytest.mark.parametrize("intent, anns, expected", [
    ("basic-auth", dict(auth_type="basic", auth_secret="users"),
     {"type": "basic", "secret": "users", "secret-namespace": "shop", "secret-type": "auth-file"}),
    ("basic-auth", dict(auth_type="Basic", auth_secret="shop/users"),
     {"type": "basic", "secret": "users", "secret-namespace": "shop", "secret-type": "auth-file"}),
    ("external-auth", dict(auth_url="http://auth.shop.svc.cluster.local:8080/verify"),
     {"url": "http://auth.shop.svc.cluster.local:8080/verify", "namespace": "shop", "service": "auth",
      "service-namespace": "shop", "port": "8080", "path": "/verify", "scheme": "http"}),
    ("rate-limit", dict(limit_rps="10", limit_rpm="300"), {"per-second": "10", "per-minute": "300"}),
    ("body-size-limit", dict(proxy_body_size="8m"), {"bytes": str(8 * 1024 ** 2), "quantity": "8Mi"}),
    ("body-size-limit", dict(proxy_body_size="100"), {"bytes": "100", "quantity": "100"}),
])
def test_what_envoy_gateway_carries(intent: str, anns: dict[str, str], expected: dict[str, str]) -> None:
    p = params(intent, **anns)
    assert p == expected
    v = verdict("envoy-gateway", intent, p)
    assert v.carried and not v.why_not
    assert not verdict("cilium", intent, p).carried  # no generated row there


def test_kgateway_carries_basic_auth_and_body_size_within_its_limits() -> None:
    ok = params("basic-auth", auth_type="basic", auth_secret="users")
    assert ok is not None and verdict("kgateway", "basic-auth", ok).carried
    other = params("basic-auth", auth_type="basic", auth_secret="x/users")
    assert other is not None and "another namespace" in verdict("kgateway", "basic-auth", other).why_not
    big = params("body-size-limit", proxy_body_size="4g")
    assert big is not None and "below 4Gi" in verdict("kgateway", "body-size-limit", big).why_not
    small = params("body-size-limit", proxy_body_size="1m")
    assert small is not None and verdict("kgateway", "body-size-limit", small).carried
    assert not verdict("kgateway", "rate-limit", {"per-second": "5"}).carried  # no per-client local limit
