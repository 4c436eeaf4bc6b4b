"""The `listener-tls` intent: ingress-nginx's ssl-protocols / ssl-ciphers (ConfigMap) and
ssl-ciphers (annotation), what Envoy Gateway gets for them, the handshake models of both sides,
and the check noticing a missing or wrong policy.

Expected values are written by hand: ingress-nginx's defaults (ConfigMap docs: ssl-protocols
"TLSv1.2 TLSv1.3", eight ECDHE/DHE AEAD suites), OpenSSL 3's security level 1 refusing TLS 1.0/1.1
unless the cipher string says @SECLEVEL=0, Envoy's server defaults (TlsParameters: TLS 1.2 to 1.3,
AEAD suites) and BoringSSL's suite list (no finite-field DHE)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ing2gw.emit.targets.carry import verdict
from ing2gw.load import load_text
from ing2gw.model.tls_suites import parse_nginx_protocols, parse_openssl_ciphers
from ing2gw.options import Options
from ing2gw.providers.ingress_nginx.globals import listener_tls_params
from ing2gw.simulate.nginx_tls import handshake
from ing2gw.simulate.request import Request, RequestError
from ing2gw.translate import translate

P = "nginx.ingress.kubernetes.io"

INPUT = f"""\
apiVersion: v1
kind: ConfigMap
metadata: {{name: ingress-nginx-controller, namespace: ingress-nginx}}
data:
  ssl-protocols: "TLSv1.2"
  ssl-ciphers: "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256"
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: legacy
  namespace: shop
  annotations:
    {P}/ssl-ciphers: "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA"
spec:
  ingressClassName: nginx
  tls:
  - {{hosts: [legacy.example.com], secretName: legacy-tls}}
  rules:
  - host: legacy.example.com
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: legacy, port: {{number: 80}}}}}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: shop
spec:
  ingressClassName: nginx
  tls:
  - {{hosts: [shop.example.com], secretName: shop-tls}}
  rules:
  - host: shop.example.com
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: shop, port: {{number: 80}}}}}}}}
"""


def _https(version: str, cipher: str | None = None) -> Request:
    line = f"GET https://a.example/ | @tls={version}" + (f" | @cipher={cipher}" if cipher else "")
    return Request.parse_line(line)


def test_cipher_strings_are_modelled_only_when_they_name_suites() -> None:
    parsed = parse_openssl_ciphers("@SECLEVEL=0:ECDHE-RSA-AES128-SHA:AES128-SHA")
    assert parsed is not None and parsed.suites == ("ECDHE-RSA-AES128-SHA", "AES128-SHA") and parsed.seclevel == 0
    assert parse_openssl_ciphers("HIGH:!aNULL:!MD5") is None
    assert parse_nginx_protocols("TLSv1 TLSv1.2") == ("1.0", "1.2")
    assert parse_nginx_protocols("TLSv9") is None


def test_request_lines_carry_the_offered_version_and_suite() -> None:
    r = _https("1.2", "AES128-SHA")
    assert (r.tls_version, r.tls_cipher) == ("1.2", "AES128-SHA")
    assert Request.parse_line(r.describe()) == r
    with pytest.raises(RequestError):
        Request.parse_line("GET http://a.example/ | @tls=1.2")
    with pytest.raises(RequestError):
        Request.parse_line("GET https://a.example/ | @tls=1.3 | @cipher=AES128-SHA")


@pytest.mark.parametrize("protocols,ciphers,request_,refused", [
    # ingress-nginx's defaults: TLS 1.2 and 1.3 only
    ("TLSv1.2 TLSv1.3", "ECDHE-RSA-AES128-GCM-SHA256", ("1.3", None), False),
    ("TLSv1.2 TLSv1.3", "ECDHE-RSA-AES128-GCM-SHA256", ("1.1", None), True),
    # TLS 1.0 listed, but OpenSSL 3's security level 1 refuses it without @SECLEVEL=0
    ("TLSv1 TLSv1.2", "ECDHE-RSA-AES128-SHA", ("1.0", None), True),
    ("TLSv1 TLSv1.2", "@SECLEVEL=0:ECDHE-RSA-AES128-SHA", ("1.0", None), False),
    # only AEAD suites: nothing TLS 1.0 can negotiate
    ("TLSv1 TLSv1.2", "@SECLEVEL=0:ECDHE-RSA-AES128-GCM-SHA256", ("1.0", None), True),
    # a suite in and outside the list, at TLS 1.2
    ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA", ("1.2", "AES128-SHA"), False),
    ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", ("1.2", "AES128-SHA"), True),
])
def test_nginx_handshake(protocols: str, ciphers: str, request_: tuple[str, str | None], refused: bool) -> None:
    why, unknown = handshake(_https(*request_), protocols, ciphers)
    assert unknown is None
    assert (why is not None) == refused


def test_keywords_in_the_cipher_string_are_not_modelled() -> None:
    why, unknown = handshake(_https("1.2", "AES128-SHA"), "TLSv1.2", "HIGH:!aNULL")
    assert why is None and unknown is not None and "keywords" in unknown


def test_configmap_parameters_leave_out_versions_openssl_refuses() -> None:
    assert listener_tls_params({}) is None
    p = dict(listener_tls_params({"ssl-protocols": "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3"}) or ())
    # the default suites are AEAD only and the security level is OpenSSL's default
    assert p["versions"] == "1.2,1.3" and p["scope"] == "gateway"
    assert p["boringssl"].split(":") == ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
                                         "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
                                         "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"]
    assert verdict("envoy-gateway", "listener-tls", p).carried
    hole = dict(listener_tls_params({"ssl-protocols": "TLSv1.1 TLSv1.3",
                                     "ssl-ciphers": "@SECLEVEL=0:AES128-SHA"}) or ())
    assert "not a range" in verdict("envoy-gateway", "listener-tls", hole).why_not
    keywords = dict(listener_tls_params({"ssl-ciphers": "HIGH:!aNULL"}) or ())
    assert "keywords" in verdict("envoy-gateway", "listener-tls", keywords).why_not


def _result(target: str | None, text: str = INPUT) -> Any:
    ms = load_text(text, "in.yaml")
    return ms, translate(ms, Options(target=target))


def test_envoy_gateway_writes_the_gateway_s_and_the_host_s_tls() -> None:
    _, result = _result("envoy-gateway")
    ctps = {o["metadata"]["name"]: o["spec"] for o in result.objects() if o["kind"] == "ClientTrafficPolicy"}
    assert ctps["nginx-listeners"]["tls"] == {"minVersion": "1.2", "maxVersion": "1.2",
                                              "ciphers": ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384"]}
    host = ctps["nginx-https-legacy.example.com-tls"]
    assert host["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "nginx",
                                   "sectionName": "https-legacy.example.com"}]
    # the host's own suites win; the versions are copied from the Gateway's policy
    assert host["tls"] == {"ciphers": ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA"],
                           "minVersion": "1.2", "maxVersion": "1.2"}
    (dropped,) = [f for f in result.findings if f.code == "ING2GW-TARGET-082"]
    assert dict(dropped.details)["suites"] == "DHE-RSA-AES128-GCM-SHA256"


def test_host_suites_merge_into_the_client_certificate_policy() -> None:
    text = INPUT.replace(f"    {P}/ssl-ciphers", f"    {P}/auth-tls-secret: shop/ca\n    {P}/ssl-ciphers")
    _, result = _result("envoy-gateway", text)
    ctps = {o["metadata"]["name"]: o["spec"] for o in result.objects() if o["kind"] == "ClientTrafficPolicy"}
    assert set(ctps) == {"nginx-listeners", "nginx-https-legacy.example.com-client-certificates"}
    tls = ctps["nginx-https-legacy.example.com-client-certificates"]["tls"]
    assert tls["ciphers"] == ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA"]
    assert tls["clientValidation"]["mode"] == "RequireAndVerify" and tls["minVersion"] == "1.2"


def _unexplained(ms: Any, result: Any, objects: list[dict[str, Any]], target: str = "envoy-gateway") -> int:
    from ing2gw.equivalence.verification import verify_translation

    return verify_translation(result, ms, Options(target=target), new_objects=objects).unexplained


def test_the_check_notices_a_missing_or_wrong_tls_policy() -> None:
    ms, result = _result("envoy-gateway")
    objects = result.objects()
    assert _unexplained(ms, result, objects) == 0
    # mutation 1: the host's suites dropped (Envoy's defaults refuse ECDHE-RSA-AES128-SHA)
    no_suites = copy.deepcopy(objects)
    for o in no_suites:
        if o["kind"] == "ClientTrafficPolicy" and o["metadata"]["name"].endswith("-tls"):
            del o["spec"]["tls"]["ciphers"]
    assert _unexplained(ms, result, no_suites) > 0
    # mutation 2: the Gateway's policy gone (TLS 1.3 accepted where nginx refused it)
    assert _unexplained(ms, result, [o for o in objects if o["metadata"]["name"] != "nginx-listeners"]) > 0
    # mutation 3: a wider version range on the Gateway's policy
    wide = copy.deepcopy(objects)
    for o in wide:
        if o["metadata"]["name"] == "nginx-listeners":
            o["spec"]["tls"]["maxVersion"] = "1.3"
    assert _unexplained(ms, result, wide) > 0


def test_a_target_that_does_not_carry_it_reports_an_error_that_predicts_the_difference() -> None:
    from ing2gw.equivalence.verification import verify_translation

    ms, result = _result("istio")
    assert not [o for o in result.objects() if o["kind"] == "ClientTrafficPolicy"]
    by_code = {f.code: f for f in result.findings}
    assert by_code["ING2GW-TARGET-083"].severity.value == "error"
    assert "gateway.istio.io/tls-cipher-suites" in (by_code["ING2GW-TARGET-083"].suggestion or "")
    assert by_code["ING2GW-NGINX-084"].severity.value == "error"
    v = verify_translation(result, ms, Options(target="istio"))
    assert v.unexplained == 0 and v.explained > 0


def test_no_target_reports_the_configmap_settings() -> None:
    from ing2gw.equivalence.verification import verify_translation

    ms, result = _result(None)
    codes = {f.code for f in result.findings}
    assert "ING2GW-NGINX-085" in codes and "ING2GW-NGINX-084" in codes
    assert verify_translation(result, ms, Options()).unexplained == 0


def test_kgateway_writes_the_configmap_s_settings_as_listener_options_and_the_check_notices_them_gone() -> None:
    ms, result = _result("kgateway")
    (gw,) = [o for o in result.objects() if o["kind"] == "Gateway"]
    https = [li for li in gw["spec"]["listeners"] if li["protocol"] == "HTTPS"]
    assert https and all(li["tls"]["options"] == {
        "kgateway.dev/min-tls-version": "1.2", "kgateway.dev/max-tls-version": "1.2",
        "kgateway.dev/cipher-suites": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}
        for li in https)
    objects = result.objects()
    assert _unexplained(ms, result, objects, "kgateway") == 0
    # mutation: the options dropped from the listeners (kgateway's defaults accept TLS 1.3)
    bare = copy.deepcopy(objects)
    for o in bare:
        if o["kind"] == "Gateway":
            for li in o["spec"]["listeners"]:
                (li.get("tls") or {}).pop("options", None)
    assert _unexplained(ms, result, bare, "kgateway") > 0


def test_an_accepted_loss_of_the_configmap_settings_is_a_warning() -> None:
    ms = load_text(INPUT, "in.yaml")
    result = translate(ms, Options(target="istio", allow_weakened=frozenset({"ssl-protocols", "ssl-ciphers"})))
    (f,) = [f for f in result.findings if f.code == "ING2GW-TARGET-083"]
    assert f.severity.value == "warning" and f.accepted
    # accepting one of the two keys is not accepting the loss
    result = translate(ms, Options(target="istio", allow_weakened=frozenset({"ssl-protocols"})))
    (f,) = [f for f in result.findings if f.code == "ING2GW-TARGET-083"]
    assert f.severity.value == "error" and not f.accepted


def test_the_plain_http_route_of_a_host_does_not_refuse_its_suites() -> None:
    """ssl-redirect off: the host's HTTP route carries the intent too; the HTTPS route places it."""
    text = INPUT.replace(f'    {P}/ssl-ciphers: "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA"\n',
                         f'    {P}/ssl-ciphers: "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA"\n'
                         f'    {P}/ssl-redirect: "false"\n')
    _, result = _result("envoy-gateway", text)
    codes = [f.code for f in result.findings]
    assert "ING2GW-TARGET-084" not in codes and "ING2GW-CORE-026" not in codes
    assert any(o["metadata"]["name"] == "nginx-https-legacy.example.com-tls" for o in result.objects())
