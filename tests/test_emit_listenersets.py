"""`--listeners gateway|listenerset`: where hosts and certificates go when there are many of them.

The goldens (golden/ingress-nginx/listenerset-*) pin the exact output; these tests check the
properties for inputs of any size: one Gateway per class, ListenerSets that never mix
namespaces and never exceed 64 listeners, a host's listeners together, routes attached to a
listener that exists in their own namespace, and a loud warning when Gateways must split.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ing2gw.load import Manifest
from ing2gw.model.gateway import validate_object
from ing2gw.options import Options
from ing2gw.origin import Origin
from ing2gw.translate import translate
from ing2gw.equivalence.verification import verify_translation


def ingress(name: str, ns: str, hosts: list[str], tls: bool = True, path: str = "/") -> dict[str, Any]:
    spec: dict[str, Any] = {"ingressClassName": "nginx", "rules": [
        {"host": h, "http": {"paths": [{"path": path, "pathType": "Prefix",
                                        "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}
        for h in hosts]}
    if tls:
        spec["tls"] = [{"hosts": hosts, "secretName": f"{name}-tls"}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": "2024-01-01T00:00:00Z"}, "spec": spec}


def manifests(objs: list[dict[str, Any]]) -> list[Manifest]:
    return [Manifest(o, Origin("test.yaml", i + 1)) for i, o in enumerate(objs)]


def many_hosts(sizes: dict[str, int]) -> list[dict[str, Any]]:
    """One Ingress per host, `sizes[ns]` TLS hosts in each namespace."""
    return [ingress(f"h{i}", ns, [f"h{i}.{ns}.example.com"]) for ns, n in sizes.items() for i in range(n)]


def by_kind(objs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objs if o["kind"] == kind]


def test_gateway_mode_splits_only_as_a_last_resort_and_says_what_it_costs() -> None:
    """32 TLS hosts fill a Gateway (64 listeners); the 33rd goes to a second Gateway, with a
    warning that names the extra Gateway, the DNS consequence and --listeners listenerset."""
    fits = translate(manifests(many_hosts({"shop": 32})))
    assert len(by_kind(fits.objects(), "Gateway")) == 1
    assert not [f for f in fits.findings if f.code == "ING2GW-CORE-060"]
    split = translate(manifests(many_hosts({"shop": 33})))
    gateways = by_kind(split.objects(), "Gateway")
    assert [g["metadata"]["name"] for g in gateways] == ["nginx", "nginx-2"]
    (warning,) = [f for f in split.findings if f.code == "ING2GW-CORE-060"]
    assert warning.severity.value == "warning"
    assert "load balancer and address" in warning.message and "DNS records of 1 host(s) on nginx-2" in warning.message
    assert warning.suggestion is not None and "--listeners listenerset" in warning.suggestion
    assert not [f for f in split.findings if f.code == "ING2GW-CORE-020"]


@pytest.mark.parametrize("sizes", [{"shop": 100}, {"shop": 70, "blog": 20, "docs": 10}, {"a": 33, "b": 1, "c": 64}])
def test_listenerset_mode_keeps_one_gateway_and_splits_sets_within_namespaces(sizes: dict[str, int]) -> None:
    result = translate(manifests(many_hosts(sizes)), Options(listeners="listenerset"))
    objs = result.objects()
    for o in objs:
        assert validate_object(o).to_dict() == o
    (gateway,) = by_kind(objs, "Gateway")
    assert [l["name"] for l in gateway["spec"]["listeners"]] == ["placeholder"]
    admitted = gateway["spec"]["allowedListeners"]["namespaces"]["selector"]["matchExpressions"][0]["values"]
    assert admitted == sorted(sizes)
    sets = by_kind(objs, "ListenerSet")
    listener_of: dict[tuple[str, str, str], dict[str, Any]] = {}
    host_set: dict[str, tuple[str, str]] = {}
    for s in sets:
        ns, name = s["metadata"]["namespace"], s["metadata"]["name"]
        assert s["spec"]["parentRef"] == {"name": "nginx", "namespace": "gateway-system"}
        assert len(s["spec"]["listeners"]) <= 64
        for lst in s["spec"]["listeners"]:
            assert lst["hostname"].endswith(f".{ns}.example.com"), "a ListenerSet holds its own namespace's hosts"
            assert host_set.setdefault(lst["hostname"], (ns, name)) == (ns, name), "a host's listeners stay together"
            for ref in lst.get("tls", {}).get("certificateRefs", []):
                assert "namespace" not in ref, "certificates are read from the ListenerSet's own namespace"
            listener_of[(ns, name, lst["name"])] = lst
    # as few ListenerSets per namespace as 64 listeners allow (two per host)
    assert Counter(s["metadata"]["namespace"] for s in sets) == {ns: -(-2 * n // 64) for ns, n in sizes.items()}
    assert len(host_set) == sum(sizes.values())
    assert not by_kind(objs, "ReferenceGrant")
    for r in by_kind(objs, "HTTPRoute"):
        ns = r["metadata"]["namespace"]
        for p in r["spec"]["parentRefs"]:
            assert p["kind"] == "ListenerSet" and "namespace" not in p
            assert r["spec"]["hostnames"][0] == listener_of[(ns, p["name"], p["sectionName"])]["hostname"]
    splits = [f for f in result.findings if f.code == "ING2GW-CORE-020"]
    assert len(splits) == sum(1 for n in sizes.values() if 2 * n > 64)
    assert not [f for f in result.findings if f.code == "ING2GW-CORE-060"]


def test_listenerset_output_is_equivalent_to_the_ingresses() -> None:
    objs = many_hosts({"shop": 40, "blog": 3}) + [
        ingress("shared-a", "shop", ["shared.example.com"], tls=False, path="/shop"),
        ingress("shared-b", "blog", ["shared.example.com"], tls=False, path="/blog")]
    result = translate(manifests(objs), Options(listeners="listenerset"))
    checked = verify_translation(result, manifests(objs), Options(listeners="listenerset"))
    assert checked is not None and checked.probes > 300 and checked.unexplained == 0


def test_shared_hosts_stay_on_the_gateway_and_split_it_only_past_64() -> None:
    """Hosts of several namespaces cannot go to one namespace's ListenerSet: the Gateway keeps
    them (ING2GW-CORE-062), so only they can still split it (ING2GW-CORE-060, with advice
    for that case)."""
    objs = [ingress(f"s{i}-{ns}", ns, [f"s{i}.example.com"], tls=False, path=f"/{ns}")
            for i in range(65) for ns in ("a", "b")]
    result = translate(manifests(objs), Options(listeners="listenerset"))
    assert not by_kind(result.objects(), "ListenerSet")
    assert [g["metadata"]["name"] for g in by_kind(result.objects(), "Gateway")] == ["nginx", "nginx-2"]
    assert len([f for f in result.findings if f.code == "ING2GW-CORE-062"]) == 65
    (warning,) = [f for f in result.findings if f.code == "ING2GW-CORE-060"]
    assert "served from several namespaces" in warning.message
    assert warning.suggestion is not None and "one owning namespace" in warning.suggestion


def test_a_certificate_of_another_namespace_is_granted_to_the_listenerset() -> None:
    """G1: a host without a certificate is served with a `*.parent` host's; when that one lives
    in another namespace, its Secret is read through a grant from the ListenerSet (not from the
    Gateway, whose grants do not reach ListenerSets)."""
    objs = [ingress("wild", "certs", ["*.example.com"]), ingress("app", "apps", ["app.example.com"], tls=False)]
    result = translate(manifests(objs), Options(listeners="listenerset"))
    (grant,) = by_kind(result.objects(), "ReferenceGrant")
    assert grant["metadata"]["namespace"] == "certs"
    assert grant["spec"]["from"] == [{"group": "gateway.networking.k8s.io", "kind": "ListenerSet", "namespace": "apps"}]
    assert grant["spec"]["to"] == [{"group": "", "kind": "Secret", "name": "wild-tls"}]
    apps = next(s for s in by_kind(result.objects(), "ListenerSet") if s["metadata"]["namespace"] == "apps")
    https = next(l for l in apps["spec"]["listeners"] if l["protocol"] == "HTTPS")
    assert https["tls"]["certificateRefs"] == [{"name": "wild-tls", "namespace": "certs"}]
    checked = verify_translation(result, manifests(objs), Options(listeners="listenerset"))
    assert checked is not None and checked.unexplained == 0


def test_the_check_sends_a_listenerset_host_to_the_gateway_it_attaches_to() -> None:
    """The equivalence check picks the Gateway a host's DNS would point at; a ListenerSet's
    hostnames count for its parent Gateway (here the second of a class, not the default)."""
    from ing2gw.equivalence.check import GatewayPicker, _gateway_index

    def gw(name: str, host: str) -> dict[str, Any]:
        return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                "metadata": {"name": name, "namespace": "gateway-system",
                             "annotations": {"ing2gw.io/ingress-class": "nginx"}},
                "spec": {"gatewayClassName": "nginx", "listeners": [
                    {"name": "http", "hostname": host, "port": 80, "protocol": "HTTP"}]}}

    ls = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "ListenerSet",
          "metadata": {"name": "nginx", "namespace": "shop"},
          "spec": {"parentRef": {"name": "nginx-2", "namespace": "gateway-system"},
                   "listeners": [{"name": "http", "hostname": "shop.example.com", "port": 80, "protocol": "HTTP"}]}}
    pick = GatewayPicker(_gateway_index(manifests([gw("nginx", "a.example.com"), gw("nginx-2", "b.example.com"), ls])),
                         "nginx")
    assert pick("shop.example.com") == "gateway-system/nginx-2"
    assert pick("a.example.com") == "gateway-system/nginx"
    assert pick("unknown.example.com") == "gateway-system/nginx"


# -- property: random Ingress sets, hosts shared or not between namespaces ----------------------

_HOSTS = ["shop.example.com", "api.example.com", "*.example.com", "a.example.com", "*.a.example.com", ""]


@st.composite
def _ingress_sets(draw: st.DrawFn) -> list[dict[str, Any]]:
    objs = []
    for i in range(draw(st.integers(1, 5))):
        ns = draw(st.sampled_from(["team-a", "team-b", "team-c"]))
        hosts = draw(st.lists(st.sampled_from(_HOSTS), min_size=1, max_size=3, unique=True))
        paths = draw(st.lists(st.sampled_from(["/", "/api", "/b/", "/docs"]), min_size=1, max_size=2, unique=True))
        rules = [{**({"host": h} if h else {}), "http": {"paths": [
            {"path": p, "pathType": "Prefix", "backend": {"service": {"name": f"svc-{i}", "port": {"number": 80}}}}
            for p in paths]}} for h in hosts]
        spec: dict[str, Any] = {"ingressClassName": "nginx", "rules": rules}
        tls = [h for h in hosts if h and draw(st.booleans())]
        if tls:
            spec["tls"] = [{"hosts": tls, "secretName": f"tls-{i}"}]
        md: dict[str, Any] = {"name": f"ing-{i}", "namespace": ns,
                              "creationTimestamp": f"2024-01-0{draw(st.integers(1, 3))}T00:00:00Z"}
        if draw(st.integers(0, 4)) == 0:
            md["annotations"] = {"cert-manager.io/cluster-issuer": draw(st.sampled_from(["prod", "staging"]))}
        objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": md, "spec": spec})
    return objs


@settings(max_examples=int(os.environ.get("ING2GW_PROPERTY_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(_ingress_sets())
def test_random_ingress_sets_with_listenersets(objs: list[dict[str, Any]]) -> None:
    """Whatever the mix of shared and owned hosts, wildcards and cert-manager: valid objects, a
    host's listeners in one place, ListenerSets admitted by the Gateway, and nothing unexplained."""
    options = Options(listeners="listenerset")
    result = translate(manifests(objs), options)
    out = result.objects()
    for o in out:
        if o["kind"] != "Certificate":
            assert validate_object(o).to_dict() == o
    where: dict[str | None, str] = {}
    for o in out:
        if o["kind"] in ("Gateway", "ListenerSet"):
            for lst in o["spec"]["listeners"]:
                place = f"{o['kind']} {o['metadata']['namespace']}/{o['metadata']['name']}"
                assert where.setdefault(lst.get("hostname"), place) == place, lst
    admitted = {v for g in by_kind(out, "Gateway")
                for v in (g["spec"].get("allowedListeners") or {}).get("namespaces", {}).get("selector", {})
                .get("matchExpressions", [{}])[0].get("values", [])}
    assert {s["metadata"]["namespace"] for s in by_kind(out, "ListenerSet")} == admitted
    checked = verify_translation(result, manifests(objs), options)
    unexplained = [r.to_dict() for r in checked.differences if not r.explained_by and not r.unverified]
    assert checked.unexplained == 0, json.dumps(unexplained[:3], indent=1)


def test_every_golden_input_also_translates_with_listenersets() -> None:
    """Each golden case's input (its own flags plus --listeners listenerset): valid objects and
    no unexplained difference, whatever the case exercises (aliases, canaries, passthrough,
    targets, several classes, ...)."""
    from golden_harness import discover, parse_flags
    from golden_harness import manifests as golden_manifests

    from ing2gw.cli.convert import build_options

    sets = 0
    for case in discover():
        flags = parse_flags(case.flags())
        flags["listeners"] = "listenerset"
        options = build_options(flags)
        objs = golden_manifests(case)
        result = translate(objs, options)
        for o in result.objects():
            if o["apiVersion"] == "gateway.networking.k8s.io/v1":
                assert validate_object(o).to_dict() == o, (case.id, o["kind"], o["metadata"]["name"])
        sets += len(by_kind(result.objects(), "ListenerSet"))
        checked = verify_translation(result, objs, options)
        unexplained = [r.to_dict() for r in checked.differences if not r.explained_by and not r.unverified]
        assert checked.unexplained == 0, (case.id, json.dumps(unexplained[:2], indent=1))
    assert sets > 50
