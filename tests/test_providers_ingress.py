"""The plain-Ingress layer every provider shares (ing2gw/providers/ingress.py): hosts, paths and
TLS entries as the Ingress API defines them, before any controller's semantics."""

from __future__ import annotations

from ing2gw.load import load_text
from ing2gw.model.ingress import Ingress
from ing2gw.model.inputs import classify
from ing2gw.providers.ingress import (gateway_path_problem, host_problem, hostless_tls_secret, invalid_hosts,
                                      path_entries, rule_hosts, tls_entry_for)

INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  tls:
  - hosts: [Shop.example.com]
    secretName: shop-tls
  - hosts: [api.example.com]
  - secretName: fallback-tls
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /a, pathType: Exact, backend: {service: {name: a, port: {number: 80}}}}
      - {pathType: ImplementationSpecific, backend: {service: {name: b, port: {number: 80}}}}
  - host: 10.0.0.1
    http:
      paths:
      - {path: /ip, pathType: Prefix, backend: {service: {name: c, port: {number: 80}}}}
  - http:
      paths:
      - {path: /any, pathType: Prefix, backend: {service: {name: d, port: {number: 80}}}}
  - host: shop.example.com
  - host: api.example.com
"""


def ingress(text: str = INGRESS) -> Ingress:
    return classify(load_text(text, "plain-ingress.yaml")).ingresses[0]


def test_invalid_hosts_name_the_rule_and_the_reason() -> None:
    assert invalid_hosts(ingress()) == [(1, "10.0.0.1", "an IP address is not a hostname (Ingress and Gateway API "
                                                          "both reject IPs)")]


def test_rule_hosts_in_order_once_without_invalid_ones() -> None:
    assert rule_hosts(ingress(), "_") == ["shop.example.com", "_", "api.example.com"]
    assert rule_hosts(ingress(), "*") == ["shop.example.com", "*", "api.example.com"]


def test_path_entries_carry_their_place_and_defaults() -> None:
    got = [(e.where, e.host, e.value, e.match_type) for e in path_entries(ingress())]
    assert got == [("spec.rules[0].http.paths[0]", "shop.example.com", "/a", "Exact"),
                   ("spec.rules[0].http.paths[1]", "shop.example.com", "/", "Prefix"),
                   ("spec.rules[2].http.paths[0]", "", "/any", "Prefix")]
    with_invalid = [e.where for e in path_entries(ingress(), skip_invalid_hosts=False)]
    assert "spec.rules[1].http.paths[0]" in with_invalid


def test_tls_entry_for_a_host_and_the_hostless_secret() -> None:
    ing = ingress()
    shop = tls_entry_for(ing, "shop.example.com")
    assert shop is not None and shop.secret_name == "shop-tls"  # host names compare case-insensitively
    api = tls_entry_for(ing, "api.example.com")
    assert api is not None and api.secret_name is None
    assert tls_entry_for(ing, "other.example.com") is None
    assert hostless_tls_secret(ing) == "fallback-tls"


def test_gateway_api_value_checks() -> None:
    assert host_problem("*.example.com") is None
    assert host_problem("a.*.example.com") == "a wildcard must be a whole first label ('*.example.com')"
    assert host_problem("Shop.example.com") == "must be lower case"
    assert gateway_path_problem("/ok/path") is None
    assert gateway_path_problem("relative") == "must start with '/'"
    assert gateway_path_problem("/a//b") == "must not contain '//'"
