"""Traefik and HAProxy address lists reach the target tables by intent, as ingress-nginx ones do:
with a --target that carries the list the provider reports no loss error (the policy is written
and the check holds it to the old controller's answers); without one, or with a target that
cannot carry the list as given, the loss error stays exactly as before."""

from __future__ import annotations

from typing import Any

import pytest

from ing2gw.equivalence.verification import verify_translation
from ing2gw.findings import Severity
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.translate import Result, translate

SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  ports:
  - {name: http, port: 80}
"""

TRAEFIK = """
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: office, namespace: shop}
spec:
  ipAllowList:
    sourceRange: [10.0.0.0/8]%(extra)s
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    traefik.ingress.kubernetes.io/router.middlewares: "%(chain)s"
spec:
  ingressClassName: traefik
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: web, port: {number: 80}}
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: lab, namespace: shop}
spec:
  ipAllowList:
    sourceRange: [10.1.0.0/16]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: traefik}
spec: {controller: traefik.io/ingress-controller}
---
""" + SERVICE

HAPROXY = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
%(annotations)s
spec:
  ingressClassName: haproxy
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: web, port: {number: 80}}
---
""" + SERVICE

ALLOW = '    haproxy.org/allow-list: "10.0.0.0/8, 192.168.1.1"'
DENY = '    haproxy.org/deny-list: "10.9.0.0/16"'


def _traefik(chain: str = "shop-office@kubernetescrd", extra: str = "") -> str:
    return TRAEFIK % {"chain": chain, "extra": extra}


def _haproxy(*annotations: str) -> str:
    return HAPROXY % {"annotations": "\n".join(annotations)}


def _run(text: str, target: str | None) -> tuple[Result, list[Any], Options]:
    manifests = load_text(text, "input.yaml")
    options = Options(target=target)
    return translate(manifests, options), manifests, options


def _codes(result: Result, severity: Severity = Severity.ERROR) -> set[str]:
    return {f.code for f in result.findings if f.severity == severity}


LOSS = {"traefik": "ING2GW-TRAEFIK-034", "haproxy": "ING2GW-HAPROXY-006"}


@pytest.mark.parametrize("target", ["envoy-gateway", "kgateway", "traefik", "aws", "istio"])
@pytest.mark.parametrize("controller, text", [("traefik", _traefik()), ("haproxy", _haproxy(ALLOW))])
def test_a_carried_allow_list_is_no_loss_and_holds_in_the_check(controller: str, text: str, target: str) -> None:
    result, manifests, options = _run(text, target)
    assert _codes(result) == set(), [f.message for f in result.findings if f.severity == Severity.ERROR]
    # the policy is written: some object of the target's API group carries the ranges
    policies = [o for objs in result.apps.values() for o in objs if "gateway.networking.k8s.io" not in o["apiVersion"]
                and o["kind"] not in ("ReferenceGrant",)] + [o for o in result.platform if o["kind"] not in (
                    "Gateway", "GatewayClass", "ReferenceGrant")]
    assert any("10.0.0.0/8" in str(o) for o in policies), policies
    v = verify_translation(result, manifests, options)
    assert v.unexplained == 0
    # probes from inside and outside the list ran, and the policy answered as the old controller
    assert v.probes > 0 and not any(LOSS[controller] in r.explained_by for r in v.differences)


@pytest.mark.parametrize("controller, text", [("traefik", _traefik()), ("haproxy", _haproxy(ALLOW))])
def test_without_the_policy_the_check_finds_the_refused_clients(controller: str, text: str) -> None:
    """Mutation: the target's policy removed by hand leaves differences no finding explains."""
    result, manifests, options = _run(text, "envoy-gateway")
    kept = [o for o in [*result.platform, *(o for objs in result.apps.values() for o in objs)]
            if o["kind"] != "SecurityPolicy"]
    assert len(kept) < len(result.platform) + sum(len(x) for x in result.apps.values())
    v = verify_translation(result, manifests, options, new_objects=kept)
    assert v.unexplained > 0


@pytest.mark.parametrize("controller, text", [("traefik", _traefik()), ("haproxy", _haproxy(ALLOW))])
@pytest.mark.parametrize("target", [None, "nginx-gateway-fabric", "gke"])
def test_the_loss_error_stays_when_the_target_does_not_carry_the_list(controller: str, text: str,
                                                                      target: str | None) -> None:
    result, _, _ = _run(text, target)
    assert LOSS[controller] in _codes(result)


@pytest.mark.parametrize("text", [
    _traefik(chain="shop-office@kubernetescrd,shop-lab@kubernetescrd"),  # two lists: Traefik needs both
    _traefik(extra="\n    ipStrategy: {depth: 1}"),                       # X-Forwarded-For, not the peer
    _traefik(extra="\n    rejectStatusCode: 404"),
])
def test_a_traefik_list_the_policy_would_not_check_as_given_stays_an_error(text: str) -> None:
    result, _, _ = _run(text, "envoy-gateway")
    assert "ING2GW-TRAEFIK-034" in _codes(result)


def test_haproxy_lists_are_carried_together_or_not_at_all() -> None:
    # Envoy Gateway writes both lists; Traefik has no deny list, so neither list is claimed
    carried, _, _ = _run(_haproxy(ALLOW, DENY), "envoy-gateway")
    assert "ING2GW-HAPROXY-006" not in _codes(carried)
    lost, _, _ = _run(_haproxy(ALLOW, DENY), "traefik")
    assert sum(f.code == "ING2GW-HAPROXY-006" for f in lost.findings) == 2


def test_an_haproxy_list_read_from_a_header_stays_an_error() -> None:
    result, _, _ = _run(_haproxy(ALLOW, '    haproxy.org/src-ip-header: "X-Real-IP"'), "envoy-gateway")
    assert "ING2GW-HAPROXY-006" in _codes(result)
