"""The `client-ip` intent: ingress-nginx's realip settings, what the targets write for them, the
Gateway-side model of the derivation, and the check noticing a missing or wrong setting.

Expected values are written by hand from nginx.tmpl (v1.15: real_ip_header, real_ip_recursive
on, set_real_ip_from per proxy-real-ip-cidr entry) and Envoy's XffConfig.xff_trusted_cidrs
documentation (walk from the right to the first untrusted entry, the leftmost when all are
trusted, only when the connection's peer is trusted)."""

from __future__ import annotations

import copy
import ipaddress
from typing import Any

import pytest

from ing2gw.emit.targets.carry import verdict
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.providers.ingress_nginx.globals import client_ip_params
from ing2gw.simulate.addresses import envoy_trusted_cidrs_client, go_cidr_or_ip, nginx_real_ip
from ing2gw.translate import translate

P = "nginx.ingress.kubernetes.io"


def test_no_realip_setting_no_intent() -> None:
    assert client_ip_params({}) is None
    assert client_ip_params({"use-forwarded-headers": "false", "proxy-real-ip-cidr": "10.0.0.0/8"}) is None


def test_use_forwarded_headers_trusts_every_ipv4_peer_by_default() -> None:
    assert dict(client_ip_params({"use-forwarded-headers": "true"}) or ()) == {
        "source": "x-forwarded-for", "header": "X-Forwarded-For", "trusted": "0.0.0.0/0", "recursive": "on"}


def test_enable_real_ip_with_a_custom_header_and_ranges() -> None:
    p = dict(client_ip_params({"enable-real-ip": "true", "forwarded-for-header": "CF-Connecting-IP",
                               "proxy-real-ip-cidr": "10.0.0.0/8, 192.168.1.7"}) or ())
    assert p == {"source": "header", "header": "CF-Connecting-IP", "trusted": "10.0.0.0/8,192.168.1.7/32",
                 "recursive": "on"}
    # Envoy Gateway's customHeader would trust the header from any peer: not carried
    assert not verdict("envoy-gateway", "client-ip", p).carried


def test_proxy_protocol_wins_over_forwarded_headers() -> None:
    p = dict(client_ip_params({"use-proxy-protocol": "true", "use-forwarded-headers": "true"}) or ())
    assert p["source"] == "proxy-protocol"
    assert verdict("envoy-gateway", "client-ip", p).carried
    narrow = dict(p, trusted="10.0.0.0/8")
    assert "narrower" in verdict("envoy-gateway", "client-ip", narrow).why_not


def _nets(*cidrs: str) -> tuple[Any, ...]:
    return tuple(n for n in (go_cidr_or_ip(c) for c in cidrs) if n is not None)


@pytest.mark.parametrize("peer,xff,trusted,expected", [
    # every IPv4 address trusted: the leftmost entry
    ("198.51.100.1", "10.0.0.1, 203.0.113.9", ("0.0.0.0/0",), "10.0.0.1"),
    # the rightmost entry outside the trusted ranges
    ("10.1.1.1", "203.0.113.5, 198.51.100.9, 10.2.2.2", ("10.0.0.0/8",), "198.51.100.9"),
    # an untrusted peer: the header is ignored
    ("198.51.100.1", "10.0.0.1", ("10.0.0.0/8",), "198.51.100.1"),
    # no header: the peer
    ("10.1.1.1", None, ("10.0.0.0/8",), "10.1.1.1"),
    # an IPv6 entry is not in 0.0.0.0/0: the walk stops there
    ("198.51.100.1", "10.0.0.1, 2001:db8::1, 203.0.113.9", ("0.0.0.0/0",), "2001:db8::1"),
])
def test_envoy_trusted_cidrs_take_the_address_nginx_real_ip_recursive_takes(
        peer: str, xff: str | None, trusted: tuple[str, ...], expected: str) -> None:
    nets = _nets(*trusted)
    addr = ipaddress.ip_address(peer)
    assert str(nginx_real_ip(addr, xff, nets)) == expected
    got, known = envoy_trusted_cidrs_client(addr, [xff] if xff else [], nets)
    assert known and str(got) == expected


def test_an_entry_that_is_not_an_address_is_not_modelled_on_envoy() -> None:
    got, known = envoy_trusted_cidrs_client(ipaddress.ip_address("10.0.0.1"), ["junk"], _nets("0.0.0.0/0"))
    assert got is None and not known


INPUT = f"""\
apiVersion: v1
kind: ConfigMap
metadata: {{name: ingress-nginx-controller, namespace: ingress-nginx}}
data:
  use-forwarded-headers: "true"
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: admin
  namespace: shop
  annotations:
    {P}/whitelist-source-range: "10.0.0.0/8"
spec:
  ingressClassName: nginx
  rules:
  - host: admin.example.com
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}
"""


def _result(target: str, text: str = INPUT) -> Any:
    ms = load_text(text, "in.yaml")
    return ms, translate(ms, Options(target=target))


def test_envoy_gateway_writes_one_client_traffic_policy_on_the_gateway() -> None:
    _, result = _result("envoy-gateway")
    (ctp,) = [o for o in result.objects() if o["kind"] == "ClientTrafficPolicy"]
    assert ctp["metadata"] == {"name": "nginx-listeners", "namespace": "gateway-system",
                               "annotations": {"ing2gw.io/source-configmap": "ingress-nginx/ingress-nginx-controller"}}
    assert ctp["spec"] == {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "nginx"}],
                           "clientIPDetection": {"xForwardedFor": {"trustedCIDRs": ["0.0.0.0/0"]}}}
    codes = [f.code for f in result.findings]
    assert "ING2GW-TARGET-055" in codes and "ING2GW-SEC-005" not in codes


def test_listener_policies_repeat_the_gateway_s_client_ip_detection() -> None:
    """A listener's ClientTrafficPolicy replaces the Gateway's: the client-certificate policy of
    a host must carry the same clientIPDetection."""
    tls = INPUT.replace("spec:\n  ingressClassName: nginx\n",
                        "spec:\n  ingressClassName: nginx\n  tls:\n  - hosts: [admin.example.com]\n    secretName: t\n")
    tls = tls.replace(f"    {P}/whitelist-source-range", f"    {P}/auth-tls-secret: shop/ca\n    {P}/whitelist-source-range")
    _, result = _result("envoy-gateway", tls)
    ctps = {o["metadata"]["name"]: o["spec"] for o in result.objects() if o["kind"] == "ClientTrafficPolicy"}
    assert len(ctps) == 2
    for spec in ctps.values():
        assert spec["clientIPDetection"] == {"xForwardedFor": {"trustedCIDRs": ["0.0.0.0/0"]}}


def test_a_target_that_does_not_carry_it_keeps_sec_005_and_predicts_the_difference() -> None:
    from ing2gw.equivalence.verification import verify_translation

    ms, result = _result("traefik")
    codes = [f.code for f in result.findings]
    assert "ING2GW-SEC-005" in codes and "ING2GW-TARGET-053" in codes
    (f053,) = [f for f in result.findings if f.code == "ING2GW-TARGET-053"]
    assert "entryPoints.<name>.forwardedHeaders.trustedIPs" in (f053.suggestion or "")
    v = verify_translation(result, ms, Options(target="traefik"))
    assert v.unexplained == 0


def _unexplained(ms: Any, result: Any, objects: list[dict[str, Any]]) -> int:
    from ing2gw.equivalence.verification import verify_translation

    return verify_translation(result, ms, Options(target="envoy-gateway"), new_objects=objects).unexplained


def test_the_check_notices_a_missing_or_wrong_client_traffic_policy() -> None:
    ms, result = _result("envoy-gateway")
    objects = result.objects()
    assert _unexplained(ms, result, objects) == 0
    # mutation 1: the ClientTrafficPolicy dropped (the Gateway checks the load balancer's address)
    assert _unexplained(ms, result, [o for o in objects if o["kind"] != "ClientTrafficPolicy"]) > 0
    # mutation 2: one trusted hop instead of the trusted ranges (the rightmost entry, not nginx's)
    hops = copy.deepcopy(objects)
    for o in hops:
        if o["kind"] == "ClientTrafficPolicy":
            o["spec"]["clientIPDetection"] = {"xForwardedFor": {"numTrustedHops": 1}}
    assert _unexplained(ms, result, hops) > 0
    # mutation 3: a narrower trusted range than nginx's (the load balancer is no longer believed)
    narrow = copy.deepcopy(objects)
    for o in narrow:
        if o["kind"] == "ClientTrafficPolicy":
            o["spec"]["clientIPDetection"]["xForwardedFor"]["trustedCIDRs"] = ["192.0.2.0/24"]
    assert _unexplained(ms, result, narrow) > 0


def test_nginx_gateway_fabric_references_an_nginx_proxy_with_nginx_s_realip_settings() -> None:
    text = INPUT.replace('  use-forwarded-headers: "true"\n',
                         '  use-forwarded-headers: "true"\n  proxy-real-ip-cidr: "172.16.0.0/12,10.9.9.9"\n')
    _, result = _result("nginx-gateway-fabric", text)
    (proxy,) = [o for o in result.objects() if o["kind"] == "NginxProxy"]
    assert proxy["apiVersion"] == "gateway.nginx.org/v1alpha2"
    assert proxy["spec"] == {"rewriteClientIP": {
        "mode": "XForwardedFor", "setIPRecursively": True,
        "trustedAddresses": [{"type": "CIDR", "value": "10.9.9.9/32"}, {"type": "CIDR", "value": "172.16.0.0/12"}]}}
    (gw,) = [o for o in result.objects() if o["kind"] == "Gateway"]
    assert gw["spec"]["infrastructure"] == {"parametersRef": {"group": "gateway.nginx.org", "kind": "NginxProxy",
                                                              "name": "nginx-proxy"}}


def test_nginx_gateway_fabric_carries_the_proxy_protocol_with_any_trusted_range() -> None:
    p = {"source": "proxy-protocol", "header": "X-Forwarded-For", "trusted": "10.0.0.0/8", "recursive": "on"}
    assert verdict("nginx-gateway-fabric", "client-ip", p).carried
    assert not verdict("nginx-gateway-fabric", "client-ip", dict(p, source="header", header="X-Real-IP")).carried


def test_kgateway_writes_a_listener_policy_and_the_check_notices_it_missing() -> None:
    ms, result = _result("kgateway")
    (lp,) = [o for o in result.objects() if o["kind"] == "ListenerPolicy"]
    assert lp["spec"] == {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "nginx"}],
                          "default": {"httpSettings": {"useRemoteAddress": False, "xffTrustedCIDRs": ["0.0.0.0/0"]}}}
    assert "ING2GW-SEC-005" not in [f.code for f in result.findings]
    from ing2gw.equivalence.verification import verify_translation

    opts = Options(target="kgateway")
    assert verify_translation(result, ms, opts).unexplained == 0
    dropped = [o for o in result.objects() if o["kind"] != "ListenerPolicy"]
    assert verify_translation(result, ms, opts, new_objects=dropped).unexplained > 0


@pytest.mark.parametrize("target", ["istio", "gke", "aws"])
def test_targets_without_a_written_setting_report_it(target: str) -> None:
    _, result = _result(target)
    code = "ING2GW-TARGET-053" if target == "istio" else "ING2GW-TARGET-056"
    assert code in [f.code for f in result.findings]


def _gateway_intent(cls: str, trusted: str) -> Any:
    from ing2gw import ir
    from ing2gw.origin import Origin

    return ir.Intent("client-ip", ir.Source("", "ingress-nginx/cm", Origin("cm.yaml", 1), kind="ConfigMap"), "x",
                     security=True, params=(("source", "x-forwarded-for"), ("header", "X-Forwarded-For"),
                                            ("trusted", trusted), ("recursive", "on"), ("class", cls)))


def test_a_gateway_whose_classes_derive_the_address_differently_gets_no_setting() -> None:
    from ing2gw import ir
    from ing2gw.emit.targets.client_ip import agreed

    g = ir.Gateway("single", "ingress", "gateway-system", "eg", ingress_classes=["a", "b"])
    g.intents = [_gateway_intent("a", "0.0.0.0/0"), _gateway_intent("b", "0.0.0.0/0")]
    _, params, problem = agreed(g)
    assert problem is None and params is not None and params["trusted"] == "0.0.0.0/0"
    g.intents = [_gateway_intent("a", "0.0.0.0/0"), _gateway_intent("b", "10.0.0.0/8")]
    _, params, problem = agreed(g)
    assert params is None and problem is not None and problem.code == "ING2GW-TARGET-054"
    # class b uses the connection's address (no intent): trusting X-Forwarded-For on its hosts
    # would let its clients choose their address
    g.intents = [_gateway_intent("a", "0.0.0.0/0")]
    _, params, problem = agreed(g)
    assert params is None and problem is not None and "b use the connection" in problem.message


def test_a_boolean_key_without_a_boolean_is_an_error_at_the_configmap() -> None:
    """use-forwarded-headers: maybe is no setting: an error at the ConfigMap's line, once, even with
    two IngressClasses; true and false in Go's spellings are not reported."""
    cm = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ingress-nginx-controller, namespace: ingress-nginx}\n"
          "data: {use-forwarded-headers: maybe, hsts: 'TRUE', ssl-redirect: '0'}\n")
    ings = "".join(f"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: {c}, namespace: shop}}\n"
                   f"spec:\n  ingressClassName: {c}\n  defaultBackend: {{service: {{name: web, port: {{number: 80}}}}}}\n"
                   for c in ("nginx", "other"))
    classes = "".join(f"---\napiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {{name: {c}}}\n"
                      "spec: {controller: k8s.io/ingress-nginx}\n" for c in ("nginx", "other"))
    res = translate(load_text(cm + ings + classes, "in.yaml"), Options())
    bad = [f for f in res.findings if f.code == "ING2GW-NGINX-083"]
    assert len(bad) == 1 and bad[0].severity.value == "error"
    assert bad[0].origin is not None and bad[0].origin.line == 1 and "use-forwarded-headers='maybe'" in bad[0].message
