"""Probe generation as a stream (issue 23): the same probes, in the same order, without
duplicates, when a Host value is probed by more than one host of the configuration."""

from __future__ import annotations

from ing2gw.load import load_text
from ing2gw.simulate.probes import generate, iter_probes

# "*.example.com" is probed as "a.example.com" (and its variants name "example.com"), which are
# hosts of their own here: the de-duplication must hold across hosts, not only within one
ING = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: wild, namespace: shop}
spec:
  rules:
  - host: "*.example.com"
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: plain, namespace: shop}
spec:
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
  - host: example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""


def _key(r: object) -> tuple[object, ...]:
    return tuple(getattr(r, f) for f in ("method", "scheme", "host", "target", "headers", "client_ip"))


def test_probes_shared_between_hosts_are_generated_once() -> None:
    ms = load_text(ING)
    probes = list(iter_probes(ms, []))
    keys = [_key(r) for r in probes]
    assert len(keys) == len(set(keys)), "a Host value probed by two hosts gave a probe twice"
    # the wildcard's stand-in and the real host share probes: both were generated
    assert ("GET", "http", "a.example.com", "/", (), None) in keys
    assert any(r.host == "example.com" for r in probes)


def test_generate_is_the_stream_as_a_list() -> None:
    ms = load_text(ING)
    assert [_key(r) for r in generate(ms, [])] == [_key(r) for r in iter_probes(ms, [])]
