"""The client address of a simulated request: how it is written (`@client=` / "client"), how it
reaches the old-side routers (ingress-nginx allow/deny lists and real-IP handling, HAProxy), and
ingress-nginx's body-size limit for requests that declare a Content-Length."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ing2gw.cli import main
from ing2gw.simulate.addresses import boundary_addresses, envoy_trusted_client, go_cidr_or_ip, nginx_real_ip
from ing2gw.simulate.haproxy import HAProxyRouter
from ing2gw.simulate.request import Answer, Request, RequestError

from test_simulate_nginx import ingress, mk, rule, svc_path

import ipaddress


# ---------------------------------------------------------------------------------------------
# Request


class TestRequestClient:
    def test_line_with_client_property(self) -> None:
        r = Request.parse_line("GET http://a.test/x | X-A: 1 | @client=10.1.2.3")
        assert r.client_ip == "10.1.2.3" and r.headers == (("X-A", "1"),)
        assert r.describe() == "GET http://a.test/x | X-A: 1 | @client=10.1.2.3"
        assert Request.parse_line(r.describe()) == r

    def test_ipv6_client_is_not_a_header(self) -> None:
        r = Request.parse_line("GET http://a.test/ | @client=2001:DB8::1")
        assert r.client_ip == "2001:db8::1" and r.headers == ()

    def test_lines_without_client_are_unchanged(self) -> None:
        r = Request.parse_line("GET http://a.test/ | Authorization: Basic eDp5")
        assert r.client_ip is None and r.header("authorization") == "Basic eDp5"
        assert "client" not in r.to_dict()

    def test_json_client(self) -> None:
        r = Request.parse_line(json.dumps({"url": "http://a.test/", "client": "192.0.2.9"}))
        assert r.client_ip == "192.0.2.9" and r.to_dict()["client"] == "192.0.2.9"

    @pytest.mark.parametrize("line", ["GET http://a.test/ | @client=not-an-ip", "GET http://a.test/ | @client",
                                      "GET http://a.test/ | @peer=1.2.3.4",
                                      json.dumps({"url": "http://a.test/", "client": 5})])
    def test_bad_client(self, line: str) -> None:
        with pytest.raises(RequestError):
            Request.parse_line(line)


# ---------------------------------------------------------------------------------------------
# address helpers


class TestAddresses:
    def test_go_lists_accept_addresses_and_cidrs_with_host_bits(self) -> None:
        assert str(go_cidr_or_ip("10.0.0.7/8")) == "10.0.0.0/8"
        assert str(go_cidr_or_ip(" 203.0.113.7 ")) == "203.0.113.7/32"
        assert str(go_cidr_or_ip("::ffff:10.0.0.1")) == "10.0.0.1/32"
        assert go_cidr_or_ip("10.0.0.0/33") is None and go_cidr_or_ip("") is None and go_cidr_or_ip("x") is None

    def test_boundaries(self) -> None:
        assert boundary_addresses(ipaddress.ip_network("10.0.0.0/30")) == ["10.0.0.0", "10.0.0.3", "9.255.255.255",
                                                                            "10.0.0.4"]
        assert boundary_addresses(ipaddress.ip_network("0.0.0.0/0")) == ["0.0.0.0", "255.255.255.255"]

    def test_nginx_real_ip_recursive(self) -> None:
        trusted = (ipaddress.ip_network("0.0.0.0/0"),)
        peer = ipaddress.ip_address("10.0.0.1")
        assert str(nginx_real_ip(peer, "1.1.1.1, 2.2.2.2", trusted)) == "1.1.1.1"
        # an IPv6 element is not in 0.0.0.0/0: the walk stops there
        assert str(nginx_real_ip(peer, "1.1.1.1, 2001:db8::1, 2.2.2.2", trusted)) == "2001:db8::1"
        # a peer outside set_real_ip_from: the header is ignored
        assert str(nginx_real_ip(peer, "1.1.1.1", (ipaddress.ip_network("192.0.2.0/24"),))) == "10.0.0.1"
        # garbage stops the walk, keeping what was found
        assert str(nginx_real_ip(peer, "junk, 2.2.2.2", trusted)) == "2.2.2.2"

    def test_envoy_trusted_hops(self) -> None:
        peer = ipaddress.ip_address("192.0.2.5")
        xff = ["203.0.113.128, 203.0.113.10, 203.0.113.1"]
        assert envoy_trusted_client(peer, xff, 0) == peer
        assert str(envoy_trusted_client(peer, xff, 2)) == "203.0.113.10"   # Envoy docs, example 3
        assert envoy_trusted_client(peer, xff, 4) == peer


# ---------------------------------------------------------------------------------------------
# ingress-nginx


def _get(r: Any, url: str, client: str | None, **headers: str) -> Answer:
    hdrs = [(k.replace("_", "-"), v) for k, v in headers.items()]
    return r.route(Request.from_url("GET", url, hdrs, client_ip=client))


def _one(anns: dict[str, str], **kw: Any) -> Any:
    return mk([ingress("a", rule("a.test", svc_path("/", "svc-a")), anns=anns)], **kw)


class TestNginxAccessLists:
    def test_allowlist_inside_outside_and_unknown(self) -> None:
        r = _one({"whitelist-source-range": "10.0.0.0/8, 192.0.2.7"})
        assert _get(r, "http://a.test/", "10.255.255.255").status == 200
        assert _get(r, "http://a.test/", "192.0.2.7").status == 200
        out = _get(r, "http://a.test/", "11.0.0.0")
        assert out.status == 403 and out.backend is None and out.generated_by == "access-denied"
        unknown = _get(r, "http://a.test/", None)
        assert unknown.status == 200 and any("client address is not known" in u for u in unknown.unmodelled)

    def test_denylist_before_allowlist(self) -> None:
        r = _one({"denylist-source-range": "10.1.0.0/16", "allowlist-source-range": "10.0.0.0/8"})
        assert _get(r, "http://a.test/", "10.1.2.3").status == 403
        assert _get(r, "http://a.test/", "10.2.0.0").status == 200
        assert _get(r, "http://a.test/", "8.8.8.8").status == 403

    def test_allowlist_key_wins_over_alias_and_empty_alias_is_absent(self) -> None:
        r = _one({"allowlist-source-range": "10.0.0.0/8", "whitelist-source-range": "192.0.2.0/24"})
        assert _get(r, "http://a.test/", "192.0.2.1").status == 403
        r = _one({"whitelist-source-range": ""}, configmap={"whitelist-source-range": "192.0.2.0/24"})
        assert _get(r, "http://a.test/", "10.0.0.1").status == 403   # the ConfigMap's list applies
        assert _get(r, "http://a.test/", "192.0.2.1").status == 200

    @pytest.mark.parametrize("value", ["", " ", "10.0.0.0/8,", "10.0.0.0/33", "10.0.0.0/8,not-an-ip"])
    def test_invalid_list_denies_the_location(self, value: str) -> None:
        r = _one({"allowlist-source-range": value})
        a = _get(r, "http://a.test/", "10.0.0.1")
        assert a.status == 503 and a.generated_by == "location-denied"
        assert _get(r, "http://a.test/", None).status == 503   # whatever the address

    def test_annotation_replaces_configmap_list(self) -> None:
        r = _one({"whitelist-source-range": "10.0.0.0/8"}, configmap={"whitelist-source-range": "192.0.2.0/24"})
        assert _get(r, "http://a.test/", "192.0.2.1").status == 403
        assert _get(r, "http://a.test/", "10.0.0.1").status == 200

    def test_redirects_come_before_the_access_phase(self) -> None:
        r = _one({"whitelist-source-range": "10.0.0.0/8", "permanent-redirect": "https://b.test/"})
        assert _get(r, "http://a.test/", "8.8.8.8").status == 301
        tls = mk([ingress("a", rule("a.test", svc_path("/", "svc-a")), anns={"whitelist-source-range": "10.0.0.0/8"},
                          tls=[{"hosts": ["a.test"], "secretName": "s"}])])
        assert _get(tls, "http://a.test/", "8.8.8.8").status == 308
        assert _get(tls, "https://a.test/", "8.8.8.8").status == 403

    def test_forwarded_headers_decide_with_use_forwarded_headers(self) -> None:
        anns = {"whitelist-source-range": "203.0.113.0/24"}
        plain = _one(anns)
        assert _get(plain, "http://a.test/", "10.0.0.1", X_Forwarded_For="203.0.113.9").status == 403
        fwd = _one(anns, configmap={"use-forwarded-headers": "true"})
        assert _get(fwd, "http://a.test/", "10.0.0.1", X_Forwarded_For="203.0.113.9").status == 200
        assert _get(fwd, "http://a.test/", "10.0.0.1", X_Forwarded_For="203.0.113.9, 8.8.8.8").status == 200
        assert _get(fwd, "http://a.test/", "10.0.0.1", X_Forwarded_For="8.8.8.8").status == 403
        narrow = _one(anns, configmap={"enable-real-ip": "true", "proxy-real-ip-cidr": "192.0.2.0/24",
                                       "forwarded-for-header": "X-Real-Client"})
        assert _get(narrow, "http://a.test/", "192.0.2.1", X_Real_Client="203.0.113.1").status == 200
        assert _get(narrow, "http://a.test/", "10.0.0.1", X_Real_Client="203.0.113.1").status == 403

    def test_proxy_protocol_makes_the_address_unknown(self) -> None:
        r = _one({"whitelist-source-range": "10.0.0.0/8"}, configmap={"use-proxy-protocol": "true"})
        a = _get(r, "http://a.test/", "10.0.0.1")
        assert a.status == 200 and any("PROXY protocol" in u for u in a.unmodelled)

    def test_canary_lists_are_not_applied(self) -> None:
        r = mk([ingress("a", rule("a.test", svc_path("/", "svc-a"))),
                ingress("b", rule("a.test", svc_path("/", "svc-b")), ts="2026-01-01T00:00:20Z",
                        anns={"canary": "true", "canary-by-header": "x-canary", "whitelist-source-range": "10.0.0.0/8"})])
        assert _get(r, "http://a.test/", "8.8.8.8", x_canary="always").status == 200


class TestNginxBodySize:
    def test_default_one_megabyte(self) -> None:
        r = _one({})
        assert _get(r, "http://a.test/", None, Content_Length=str(1024 * 1024)).status == 200
        big = _get(r, "http://a.test/", None, Content_Length=str(1024 * 1024 + 1))
        assert big.status == 413 and big.generated_by == "body-too-large"
        assert _get(r, "http://a.test/", None).status == 200   # no Content-Length: not checked

    def test_annotation_configmap_and_unlimited(self) -> None:
        assert _get(_one({"proxy-body-size": "8k"}), "http://a.test/", None, Content_Length="8193").status == 413
        assert _get(_one({"proxy-body-size": "0"}), "http://a.test/", None, Content_Length="99999999").status == 200
        cm = _one({}, configmap={"proxy-body-size": "2m"})
        assert _get(cm, "http://a.test/", None, Content_Length=str(2 * 1024 * 1024)).status == 200
        # an invalid annotation falls back to the ConfigMap's value
        assert _get(_one({"proxy-body-size": "lots"}), "http://a.test/", None,
                    Content_Length=str(1024 * 1024 + 1)).status == 413

    def test_before_the_automatic_redirect(self) -> None:
        r = mk([ingress("a", rule("a.test", svc_path("/dir/", "svc-a")), anns={"proxy-body-size": "1k"})])
        assert _get(r, "http://a.test/dir", None).status == 301
        assert _get(r, "http://a.test/dir", None, Content_Length="2048").status == 413


# ---------------------------------------------------------------------------------------------
# HAProxy and the CLI


def test_haproxy_reads_the_request_client() -> None:
    from test_simulate_haproxy import CLASS, ing, svc
    from test_simulate_haproxy import mk as haproxy
    r = haproxy(CLASS, svc("web"), ing("a", "a.test", anns="{allow-list: 10.0.0.0/8}"))
    assert isinstance(r, HAProxyRouter)
    assert r.route(Request.from_url("GET", "http://a.test/", client_ip="192.0.2.1")).status == 403
    assert r.route(Request.from_url("GET", "http://a.test/", client_ip="10.1.1.1")).status == 200
    # the keyword still wins over the request's field
    assert r.route(Request.from_url("GET", "http://a.test/", client_ip="10.1.1.1"), client_ip="192.0.2.1").status == 403


def test_cli_requests_with_client(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml
    f = tmp_path / "in.yaml"
    f.write_text(yaml.safe_dump(ingress("a", rule("a.test", svc_path("/", "svc-a")),
                                        anns={"whitelist-source-range": "10.0.0.0/8"})))
    reqs = tmp_path / "reqs.txt"
    reqs.write_text("GET http://a.test/ | @client=10.0.0.1\nGET http://a.test/ | @client=8.8.8.8\n"
                    '{"url": "http://a.test/", "client": "8.8.8.8"}\n')
    assert main(["simulate", "--side", "ingress", "-f", str(f), "--requests", str(reqs)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["status"] for o in out] == [200, 403, 403]
    assert main(["simulate", "--side", "ingress", "-f", str(f), "--request",
                 "GET http://a.test/ | @client=8.8.8.8", "-H", "X-A: 1"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == 403
