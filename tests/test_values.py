"""The shared annotation value parsers (ing2gw/providers/values.py) and how the ingress-nginx
provider reads through them: typed results, and one finding per bad value naming the key and the
Ingress's file:line."""

from __future__ import annotations

import pytest

from ing2gw.providers import values as v


@pytest.mark.parametrize("text,want", [("true", True), ("T", True), ("1", True), ("False", False), ("0", False)])
def test_go_bool_spells_strconv_parsebool(text: str, want: bool) -> None:
    assert v.GO_BOOL.parse(text) is want


@pytest.mark.parametrize("text", ["yes", "tRUE", "on", " true", ""])
def test_go_bool_refuses_what_parsebool_refuses(text: str) -> None:
    with pytest.raises(v.BadValue, match="expected true or false"):
        v.GO_BOOL.parse(text)
    assert v.go_bool(text) is None


def test_each_controller_has_its_own_boolean_words() -> None:
    # Traefik folds case first; HAProxy adds on/off and enabled/disabled (in any case)
    assert v.FOLDED_GO_BOOL.maybe("tRUE") is True and v.FOLDED_GO_BOOL.maybe("TRUE") is True
    assert v.FOLDED_GO_BOOL.maybe("on") is None
    assert v.haproxy_bool("ON") is True and v.haproxy_bool("Disabled") is False
    assert v.haproxy_bool("tRUE") is None and v.haproxy_bool("True") is True


@pytest.mark.parametrize("text,want", [("42", 42), ("-3", -3), ("+7", 7), (" 5 ", 5)])
def test_parse_int_is_atoi(text: str, want: int) -> None:
    assert v.parse_int(text) == want


@pytest.mark.parametrize("text", ["1_000", "٣", "1.5", "", "0x10", str(2**63)])
def test_parse_int_refuses_what_atoi_refuses(text: str) -> None:
    with pytest.raises(v.BadValue):
        v.parse_int(text)
    assert v.go_int(text) is None


def test_counts_ports_and_digits() -> None:
    assert v.parse_count("0") == 0
    with pytest.raises(v.BadValue, match="at least 0"):
        v.parse_count("-1")
    assert v.parse_port("8443") == 8443
    for bad in ("0", "65536", "+80", " 80"):
        with pytest.raises(v.BadValue):
            v.parse_port(bad)


def test_lists_and_cidrs() -> None:
    assert v.parse_list(" a, ,b ,") == ("a", "b")
    assert v.parse_cidr_list("10.0.0.1, 192.168.1.7/24, ::1") == ("10.0.0.1/32", "192.168.1.0/24", "::1/128")
    with pytest.raises(v.BadValue, match="'10.0.0.300'"):
        v.parse_cidr_list("10.0.0.1, 10.0.0.300")


@pytest.mark.parametrize("text,bytes_,quantity", [("8m", 8 * 1024 ** 2, "8Mi"), ("10", 10, "10"), ("1G", 1024 ** 3, "1Gi"),
                                                  ("512k", 512 * 1024, "512Ki"), ("0", 0, "0")])
def test_sizes_are_1024_based(text: str, bytes_: int, quantity: str) -> None:
    assert v.parse_size(text) == v.Size(bytes_, quantity)


def test_bad_size_regex_and_header_name() -> None:
    for bad in ("8 m", "8mb", "-1", ""):
        with pytest.raises(v.BadValue):
            v.parse_size(bad)
    with pytest.raises(v.BadValue, match="invalid regular expression"):
        v.parse_regex("(")
    assert v.parse_header_name("X-Canary") == "X-Canary"
    with pytest.raises(v.BadValue):
        v.parse_header_name("X Canary")


# -- the ingress-nginx provider reads through them ---------------------------------------------

from ing2gw import ir  # noqa: E402
from ing2gw.load import load_text  # noqa: E402
from ing2gw.options import Options  # noqa: E402
from ing2gw.providers.base import BuildContext  # noqa: E402
from ing2gw.providers.ingress_nginx.annotations import (NginxAnnotations, NginxGlobals, ProxySsl,  # noqa: E402
                                                        UrlRedirect, parse_annotations)
from ing2gw.model.inputs import classify  # noqa: E402

_PREFIX = "nginx.ingress.kubernetes.io"


def _ingress(annotations: dict[str, str]) -> str:
    anns = "".join(f"    {_PREFIX}/{k}: {val!r}\n" for k, val in annotations.items())
    return ("---\n# a comment so that the Ingress starts on line 3\n"
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: shop\n"
            f"  annotations:\n{anns}spec:\n  ingressClassName: nginx\n  rules:\n  - host: shop.example.com\n"
            "    http:\n      paths:\n"
            "      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n")


def _parse(annotations: dict[str, str]) -> tuple[NginxAnnotations | None, BuildContext]:
    inputs = classify(load_text(_ingress(annotations), "in.yaml"), "default")
    ctx = BuildContext(inputs=inputs, options=Options(), out=ir.IR(), gateway_for=lambda c: ir.Gateway(c, c, "default", c))
    return parse_annotations(ctx, inputs.ingresses[0], NginxGlobals()), ctx


def test_nginx_annotations_are_typed_values() -> None:
    a, ctx = _parse({"ssl-redirect": "false", "proxy-read-timeout": "30", "permanent-redirect": "https://a.example/x",
                     "permanent-redirect-code": "308", "server-alias": "A.example.com, ,b.example.com",
                     "proxy-ssl-verify": "on", "proxy-ssl-name": "api.internal", "enable-cors": "true",
                     "cors-max-age": "60", "cors-allow-credentials": "false", "relative-redirects": "True"})
    assert a is not None
    assert a.ssl_redirect is False and a.timeouts.read == 30 and a.timeouts.send is None
    assert a.redirect == UrlRedirect(308, "https://a.example/x")
    assert a.server_alias == ("a.example.com", "b.example.com")
    assert a.proxy_ssl == ProxySsl(verify="on", name="api.internal") and a.proxy_ssl.verifies
    assert a.proxy_ssl.keys() == {"proxy-ssl-verify", "proxy-ssl-name"}
    assert a.enable_cors and a.cors.max_age == 60 and a.cors.allow_credentials is False
    assert a.relative_redirects is True
    assert not [f for f in ctx.findings if f.code == "ING2GW-NGINX-002"]


def test_a_bad_value_is_reported_once_with_key_and_file_line_and_falls_back() -> None:
    a, ctx = _parse({"ssl-redirect": "yes", "proxy-send-timeout": "-5"})
    assert a is not None
    assert a.ssl_redirect is True  # the ConfigMap's default (ssl-redirect true)
    assert a.timeouts.send is None
    bad = sorted((f for f in ctx.findings if f.code == "ING2GW-NGINX-002"), key=lambda f: f.annotation or "")
    assert [(f.annotation, f.value, str(f.origin)) for f in bad] == [
        (f"{_PREFIX}/proxy-send-timeout", "-5", "in.yaml:3"), (f"{_PREFIX}/ssl-redirect", "yes", "in.yaml:3")]
    assert "expected a number of seconds" in bad[0].message and "expected true or false" in bad[1].message


def test_a_bad_redirect_url_drops_the_ingress() -> None:
    a, ctx = _parse({"permanent-redirect": "https://a.example/$request_uri"})
    assert a is None
    assert [f.annotation for f in ctx.findings if f.code == "ING2GW-NGINX-002"] == [f"{_PREFIX}/permanent-redirect"]


def test_temporal_redirect_wins_and_bad_codes_fall_back() -> None:
    a, _ = _parse({"permanent-redirect": "https://p.example/", "temporal-redirect": "https://t.example/",
                   "temporal-redirect-code": "308"})
    assert a is not None and a.redirect == UrlRedirect(302, "https://t.example/")
