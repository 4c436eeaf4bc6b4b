"""Client-address and credential probes (`probes.access_probes`): where either side looks at the
client address or at credentials, and never with credentials that could be valid."""

from __future__ import annotations

import base64

from ing2gw.load import load_text
from ing2gw.simulate.probes import PROBE_USER, WRONG_PASSWORD, access_probes, generate

OLD = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: admin
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/whitelist-source-range: "10.0.0.0/30, 192.0.2.7"
    nginx.ingress.kubernetes.io/denylist-source-range: "10.0.0.2/32"
    nginx.ingress.kubernetes.io/auth-type: basic
    nginx.ingress.kubernetes.io/auth-secret: users
spec:
  tls: [{hosts: [admin.test]}]
  rules: [{host: admin.test, http: {paths: [{path: /panel, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}]}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: open, namespace: shop}
spec:
  rules: [{host: open.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}]}}]
---
apiVersion: v1
kind: Secret
metadata: {name: users, namespace: shop}
stringData: {auth: "alice:$apr1$abcdefgh$gk6aZz8nY4XYvqmRvIZAt/\\n# comment\\nbob:{SHA}tESsBmE/yNY3lb6a0L6vVQEZNqw=\\n"}
"""

NEW = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api, namespace: apps}
spec:
  hostnames: [api.test]
  rules: [{backendRefs: [{name: api, port: 80}]}]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: api, namespace: apps}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: api}]
  authorization:
    defaultAction: Deny
    rules: [{action: Allow, principal: {clientCIDRs: [172.16.0.0/12]}}]
"""


def _decode(auth: str) -> str:
    return base64.b64decode(auth.split(" ", 1)[1]).decode()


def test_boundaries_inside_and_outside_each_list() -> None:
    probes = access_probes(load_text(OLD, "old.yaml"), [])
    clients = [p.client_ip for p in probes if p.host == "admin.test" and not p.headers]
    # 10.0.0.0/30: its first and last address and the neighbours; 192.0.2.7 and its neighbours;
    # the denied /32; and an address outside every list
    for want in ("10.0.0.0", "10.0.0.3", "9.255.255.255", "10.0.0.4", "192.0.2.7", "192.0.2.6", "192.0.2.8",
                 "10.0.0.2", "10.0.0.1", "198.51.100.77"):
        assert want in clients
    assert all(p.scheme == "https" and p.target == "/panel" for p in probes)
    assert not any(p.host == "open.test" for p in probes)


def test_credentials_are_never_valid() -> None:
    probes = access_probes(load_text(OLD, "old.yaml"), [])
    creds = sorted(_decode(dict(p.headers)["Authorization"]) for p in probes if p.headers)
    assert creds == [f"alice:{WRONG_PASSWORD}", f"bob:{WRONG_PASSWORD}", f"{PROBE_USER}:{WRONG_PASSWORD}"]
    # sent from inside the allow-list, so that authentication decides
    assert {p.client_ip for p in probes if p.headers} == {"10.0.0.0"}


def test_new_side_policies_and_generate_includes_them() -> None:
    old, new = load_text(OLD, "old.yaml"), load_text(NEW, "new.yaml")
    api = [p for p in access_probes([], new) if p.host == "api.test"]
    assert {"172.16.0.0", "172.31.255.255", "172.15.255.255", "172.32.0.0", "198.51.100.77"} <= \
        {p.client_ip for p in api}
    all_probes = generate(old, new)
    assert sum(1 for p in all_probes if p.client_ip is not None) >= len(api) + 10
    assert len(all_probes) == len({(p.method, p.scheme, p.host, p.target, p.headers, p.client_ip)
                                   for p in all_probes})


def test_deterministic() -> None:
    old, new = load_text(OLD, "old.yaml"), load_text(NEW, "new.yaml")
    assert [p.describe() for p in access_probes(old, new)] == [p.describe() for p in access_probes(old, new)]


WILDCARD = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: apps
  namespace: shop
  annotations: {nginx.ingress.kubernetes.io/whitelist-source-range: "10.0.0.0/8"}
spec:
  rules: [{host: "*.apps.test", http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}]}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: open, namespace: shop}
spec:
  rules: [{host: open.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}]}}]
"""


def test_a_wildcard_host_is_probed_on_a_name_it_covers() -> None:
    probes = access_probes(load_text(WILDCARD), [])
    assert probes and {p.host for p in probes} == {"a.apps.test"}
    assert "198.51.100.77" in {p.client_ip for p in probes}


def test_controller_wide_lists_cover_every_host() -> None:
    """The ingress-nginx ConfigMap's whitelist-source-range applies to every Ingress's host."""
    probes = access_probes(load_text(WILDCARD), [], ["192.0.2.0/24"])
    by_host: dict[str, set[str | None]] = {}
    for p in probes:
        by_host.setdefault(p.host, set()).add(p.client_ip)
    assert set(by_host) == {"a.apps.test", "open.test"}
    assert {"192.0.2.0", "192.0.2.255", "192.0.1.255"} <= by_host["open.test"]
