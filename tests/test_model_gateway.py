"""Tests of ing2gw.model.gateway: every CRD limit and CEL rule of the eight kinds we emit.

Each rule case is a pair: the smallest object that breaks the rule must be rejected with the
rule's message, and its near miss (usually the valid boundary) must build, so every case can
fail in both directions. Independent checks: the self-test and invalid-example files, a
structural diff of the models' JSON schema against the CRDs, and the project's own Gateway API
validator (tests/gwvalidate: CRD schema and CEL rules as the API server evaluates them) run on
the rule cases and on objects built through the models.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any, Callable

import datapaths
import pytest
import yaml  # type: ignore[import-untyped]
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from gwvalidate import STANDARD_CRDS, Registry, Validator
from pydantic import ValidationError

from ing2gw.model import gateway as gw
from ing2gw.model.gateway import (
    GATEWAY_API_GROUP,
    BackendTLSPolicy,
    BackendTLSPolicySpec,
    BackendTLSPolicyValidation,
    GatewayClass,
    GatewayClassSpec,
    Gateway,
    GatewayTLSConfig,
    GRPCRoute,
    HTTPBackendRef,
    HTTPRoute,
    HTTPRouteRule,
    HTTPRouteSpec,
    Listener,
    ObjectMeta,
    ParentReference,
    ReferenceGrant,
    TLSRoute,
    validate_object,
)

SELFTEST = datapaths.SELFTEST
INVALID_EXAMPLES = datapaths.INVALID_EXAMPLES / "standard"
CRD_DIR = datapaths.CRDS / "standard"
V1 = "gateway.networking.k8s.io/v1"
OUR_KINDS = set(gw.KINDS)


# --------------------------------------------------------------------------- builders (plain dicts)
def obj(kind: str, spec: dict[str, Any], **meta: Any) -> dict[str, Any]:
    metadata = {"name": "x", **({} if kind == "GatewayClass" else {"namespace": "apps"}), **meta}
    return {"apiVersion": V1, "kind": kind, "metadata": metadata, "spec": spec}


BACKEND = {"name": "svc", "port": 80}


def rule(**kw: Any) -> dict[str, Any]:
    """An HTTPRoute/GRPCRoute rule with one Service backend unless backendRefs is given."""
    return {"backendRefs": [BACKEND], **kw}


def hr(*rules: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return obj("HTTPRoute", {**spec, **({"rules": list(rules)} if rules else {})})


def grpc(*rules: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return obj("GRPCRoute", {**spec, **({"rules": list(rules)} if rules else {})})


def lis(name: str = "http", protocol: str = "HTTP", port: Any = 80, **kw: Any) -> dict[str, Any]:
    return {"name": name, "protocol": protocol, "port": port, **kw}


def gwy(*listeners: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return obj("Gateway", {"gatewayClassName": "example", "listeners": list(listeners) or [lis()], **spec})


def tlsr(hostnames: list[str] | None = None, rules: list[Any] | None = None, **spec: Any) -> dict[str, Any]:
    return obj("TLSRoute", {"hostnames": hostnames or ["db.example.com"],
                            "rules": rules if rules is not None else [{"backendRefs": [BACKEND]}], **spec})


FROM = {"group": GATEWAY_API_GROUP, "kind": "HTTPRoute", "namespace": "apps"}
TO = {"group": "", "kind": "Service"}


def rg(frm: list[Any] | None = None, to: list[Any] | None = None) -> dict[str, Any]:
    return obj("ReferenceGrant", {"from": [FROM] if frm is None else frm, "to": [TO] if to is None else to})


TARGET = {"group": "", "kind": "Service", "name": "svc"}


def btp(validation: dict[str, Any] | None = None, targets: list[Any] | None = None, **spec: Any) -> dict[str, Any]:
    v = {"hostname": "svc.example.com", "wellKnownCACertificates": "System"} if validation is None else validation
    return obj("BackendTLSPolicy", {"targetRefs": [TARGET] if targets is None else targets, "validation": v, **spec})


def gwc(**spec: Any) -> dict[str, Any]:
    return obj("GatewayClass", {"controllerName": "example.com/gateway-controller", **spec})


FILTER_FIELD = {"RequestHeaderModifier": "requestHeaderModifier", "ResponseHeaderModifier": "responseHeaderModifier",
                "RequestMirror": "requestMirror", "RequestRedirect": "requestRedirect", "URLRewrite": "urlRewrite",
                "CORS": "cors", "ExtensionRef": "extensionRef"}
FILTER_CONFIG: dict[str, dict[str, Any]] = {
    "RequestHeaderModifier": {"set": [{"name": "x-a", "value": "1"}]},
    "ResponseHeaderModifier": {"remove": ["x-b"]},
    "RequestMirror": {"backendRef": {"name": "mirror", "port": 80}},
    "RequestRedirect": {"scheme": "https"},
    "URLRewrite": {"hostname": "internal.example.com"},
    "CORS": {"allowOrigins": ["https://example.com"]},
    "ExtensionRef": {"group": "example.com", "kind": "Thing", "name": "t"},
}


def flt(ftype: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": ftype, FILTER_FIELD[ftype]: FILTER_CONFIG[ftype] if config is None else config}


def prefix(value: str = "/a") -> dict[str, Any]:
    return {"path": {"type": "PathPrefix", "value": value}}


def exact(value: str = "/a") -> dict[str, Any]:
    return {"path": {"type": "Exact", "value": value}}


def hdrs(n: int, start: int = 0) -> list[dict[str, str]]:
    return [{"name": f"x-h{i}", "value": "v"} for i in range(start, start + n)]


def path_case(value: str, type_: str = "PathPrefix") -> dict[str, Any]:
    return hr(rule(matches=[{"path": {"type": type_, "value": value}}]))


def headers_mod(**cfg: Any) -> dict[str, Any]:
    return hr(rule(filters=[flt("RequestHeaderModifier", cfg)]))


def cors(**cfg: Any) -> dict[str, Any]:
    return hr(rule(filters=[flt("CORS", cfg)]))


def mirror(**cfg: Any) -> dict[str, Any]:
    return hr(rule(filters=[flt("RequestMirror", {"backendRef": {"name": "m", "port": 80}, **cfg})]))


def prefix_rewrite(kind: str = "URLRewrite") -> dict[str, Any]:
    return flt(kind, {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/b"}})


def meta(**m: Any) -> dict[str, Any]:
    return hr(rule(), **{}) | {"metadata": {"name": "x", "namespace": "apps", **m}}


def infra(**i: Any) -> dict[str, Any]:
    return gwy(infrastructure=i)


def with_meta(o: dict[str, Any], **m: Any) -> dict[str, Any]:
    o = copy.deepcopy(o)
    o["metadata"] = m
    return o


def addr(*a: dict[str, Any]) -> dict[str, Any]:
    return gwy(addresses=list(a))


def san(**s: Any) -> dict[str, Any]:
    return btp({"hostname": "svc.example.com", "wellKnownCACertificates": "System", "subjectAltNames": [s]})


def grpc_method(**m: Any) -> dict[str, Any]:
    return grpc(rule(matches=[{"method": m}]))


def path_mod(kind: str, backend: bool = True, **path: Any) -> dict[str, Any]:
    """A route whose rule has a URLRewrite/RequestRedirect filter with this path modifier."""
    return hr(rule(filters=[flt(kind, {"path": path})], backendRefs=[BACKEND] if backend else None))


def grpc_mirror(**cfg: Any) -> dict[str, Any]:
    return grpc(rule(filters=[flt("RequestMirror", {**FILTER_CONFIG["RequestMirror"], **cfg})]))


def ca_refs(n: int) -> list[dict[str, str]]:
    return [{"group": "", "kind": "ConfigMap", "name": f"ca{i}"} for i in range(n)]


def sel(**s: Any) -> dict[str, Any]:
    return gwy(lis(allowedRoutes={"namespaces": {"from": "Selector", "selector": s}}))


def lset(*listeners: dict[str, Any], parent: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ListenerSet attached to Gateway infra/gw (one HTTP listener unless given)."""
    return obj("ListenerSet", {"parentRef": {"name": "gw", "namespace": "infra"} if parent is None else parent,
                               "listeners": list(listeners) or [lis(hostname="a.example.com")]})


def allowed_listeners(**namespaces: Any) -> dict[str, Any]:
    return gwy(allowedListeners={"namespaces": namespaces})


HTTPS_CERT = {"certificateRefs": [{"name": "c"}]}


# --------------------------------------------------------------------------- rule cases
# (rule id, near miss that must build, object that must be rejected, text the error must contain)
Case = tuple[str, dict[str, Any], dict[str, Any], str]
CASES: list[Case] = [
    # ---- ObjectMeta (API server checks)
    ("meta-name-required", meta(name="x"), with_meta(hr(), namespace="apps"), "Field required"),
    ("meta-name-dns1123-subdomain", meta(name="a.b-c"), meta(name="My_Route"), "lowercase RFC 1123 subdomain"),
    ("meta-name-253", meta(name="a" * 253), meta(name="a" * 254), "at most 253 characters"),
    ("meta-namespace-dns1123-label", meta(namespace="team-apps"), meta(namespace="team.apps"),
     "lowercase RFC 1123 label"),
    ("meta-namespace-63", meta(namespace="a" * 63), meta(namespace="a" * 64), "at most 63 characters"),
    ("meta-label-key", meta(labels={"app.kubernetes.io/name": "x"}), meta(labels={"a/b/c": "x"}),
     "not a qualified name"),
    ("meta-label-key-name-63", meta(labels={"a" * 63: "x"}), meta(labels={"a" * 64: "x"}), "not a qualified name"),
    ("meta-label-key-prefix-253", meta(labels={("a" * 63 + ".") * 3 + "a" * 61 + "/k": "x"}),
     meta(labels={("a" * 63 + ".") * 3 + "a" * 62 + "/k": "x"}), "prefix must be a DNS-1123 subdomain"),
    ("meta-label-value-pattern", meta(labels={"app": ""}), meta(labels={"app": "my app"}),
     "a label value must be empty or at most 63"),
    ("meta-label-value-63", meta(labels={"app": "a" * 63}), meta(labels={"app": "a" * 64}),
     "a label value must be empty or at most 63"),
    ("meta-label-value-string", meta(labels={"port": "80"}), meta(labels={"port": 80}), "valid string"),
    ("meta-annotation-key", meta(annotations={"example.com/owner": "a"}), meta(annotations={"bad key": "a"}),
     "not a qualified name"),
    ("meta-annotations-256KiB", meta(annotations={"k": "a" * (262144 - 1)}), meta(annotations={"k": "a" * 262144}),
     "annotations must have at most 262144 bytes"),
    ("gatewayclass-cluster-scoped", gwc(), with_meta(gwc(), name="x", namespace="apps"),
     "GatewayClass is cluster-scoped"),
    ("extra-field-forbidden", hr(rule()), hr(rule(retry={"attempts": 2})), "Extra inputs are not permitted"),
    ("status-not-modelled", hr(rule()), hr(rule()) | {"status": {}}, "Extra inputs are not permitted"),
    ("api-version-v1-only", hr(rule()), hr(rule()) | {"apiVersion": "gateway.networking.k8s.io/v1beta1"},
     "Input should be 'gateway.networking.k8s.io/v1'"),
    ("unknown-kind", hr(rule()), hr(rule()) | {"kind": "HTTPRoutes"}, "does not match any of the expected tags"),
    # ---- GatewayClass
    ("gatewayclass-controller-pattern", gwc(controllerName="example.com/a/b~c"), gwc(controllerName="example"),
     "GatewayController pattern"),
    ("gatewayclass-controller-253", gwc(controllerName="e.com/" + "a" * 247),
     gwc(controllerName="e.com/" + "a" * 248), "at most 253 characters"),
    ("gatewayclass-description-64", gwc(description="d" * 64), gwc(description="d" * 65), "at most 64 characters"),
    ("gatewayclass-parametersref-namespace",
     gwc(parametersRef={"group": "example.com", "kind": "Config", "name": "c", "namespace": "infra"}),
     gwc(parametersRef={"group": "example.com", "kind": "Config", "name": "c", "namespace": "Infra"}),
     "Namespace pattern"),
    ("gatewayclass-controller-required", gwc(), obj("GatewayClass", {}), "Field required"),
    # ---- Gateway: cardinalities and formats
    ("gateway-listeners-64", gwy(*[lis(f"l{i}", port=1000 + i) for i in range(64)]),
     gwy(*[lis(f"l{i}", port=1000 + i) for i in range(65)]), "at most 64 items"),
    ("gateway-listeners-min-1", gwy(lis()), obj("Gateway", {"gatewayClassName": "e", "listeners": []}),
     "should have at least 1 item"),
    ("gateway-classname-253", gwy(gatewayClassName="c" * 253), gwy(gatewayClassName="c" * 254),
     "at most 253 characters"),
    ("listener-name-sectionname", gwy(lis(name="web.v1")), gwy(lis(name="bad>")), "PreciseHostname pattern"),
    ("listener-port-max", gwy(lis(port=65535)), gwy(lis(port=65536)), "less than or equal to 65535"),
    ("listener-port-min", gwy(lis(port=1)), gwy(lis(port=0)), "greater than or equal to 1"),
    ("listener-port-strict-int", gwy(lis(port=80)), gwy(lis(port="80")), "valid integer"),
    ("listener-protocol-pattern", gwy(lis(protocol="example.com/Proto")), gwy(lis(protocol="HTTP 2")),
     "ProtocolType pattern"),
    ("listener-hostname-wildcard", gwy(lis(hostname="*.example.com")), gwy(lis(hostname="foo.*.example.com")),
     "Hostname pattern"),
    ("listener-hostname-no-ip", gwy(lis(hostname="ip10.example.com")), gwy(lis(hostname="10.0.0.1")),
     "is an IP address"),
    ("listener-tls-not-for-http", gwy(lis("https", "HTTPS", 443, tls={"certificateRefs": [{"name": "c"}]})),
     gwy(lis("http", "HTTP", 80, tls={"certificateRefs": [{"name": "c"}]})),
     "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"),
    ("listener-tls-not-for-tcp", gwy(lis("tls", "TLS", 443, tls={"mode": "Passthrough"})),
     gwy(lis("tcp", "TCP", 443, tls={"mode": "Passthrough"})),
     "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"),
    ("listener-https-terminate", gwy(lis("https", "HTTPS", 443, tls={"mode": "Terminate", "certificateRefs": [{"name": "c"}]})),
     gwy(lis("https", "HTTPS", 443, tls={"mode": "Passthrough"})), "tls mode must be Terminate for protocol HTTPS"),
    ("listener-tls-mode-set", gwy(lis("tls", "TLS", 443, tls={"mode": "Passthrough"})), gwy(lis("tls", "TLS", 443)),
     "tls mode must be set for protocol TLS"),
    ("listener-hostname-not-for-tcp", gwy(lis("tcp", "TCP", 5432)), gwy(lis("tcp", "TCP", 5432, hostname="db.example.com")),
     "hostname must not be specified for protocols ['TCP', 'UDP']"),
    ("listener-hostname-not-for-udp", gwy(lis("dns", "UDP", 53)), gwy(lis("dns", "UDP", 53, hostname="dns.example.com")),
     "hostname must not be specified for protocols ['TCP', 'UDP']"),
    ("listener-name-unique", gwy(lis("a", port=80), lis("b", port=81)), gwy(lis("a", port=80), lis("a", port=81)),
     "Listener name must be unique within the Gateway"),
    ("listener-port-protocol-hostname-unique",
     gwy(lis("a", hostname="a.example.com"), lis("b", hostname="b.example.com")),
     gwy(lis("a", hostname="a.example.com"), lis("b", hostname="a.example.com")),
     "Combination of port, protocol and hostname must be unique for each listener"),
    ("listener-port-protocol-no-hostname-unique", gwy(lis("a"), lis("b", hostname="b.example.com")),
     gwy(lis("a"), lis("b")), "Combination of port, protocol and hostname must be unique for each listener"),
    ("listener-terminate-needs-certificates", gwy(lis("https", "HTTPS", 443, tls={"options": {"example.com/x": "y"}})),
     gwy(lis("https", "HTTPS", 443, tls={})), "certificateRefs or options must be specified when mode is Terminate"),
    ("listener-terminate-empty-certificates", gwy(lis("https", "HTTPS", 443, tls={"certificateRefs": [{"name": "c"}]})),
     gwy(lis("https", "HTTPS", 443, tls={"certificateRefs": []})),
     "certificateRefs or options must be specified when mode is Terminate"),
    ("listener-certificaterefs-64",
     gwy(lis("https", "HTTPS", 443, tls={"certificateRefs": [{"name": f"c{i}"} for i in range(64)]})),
     gwy(lis("https", "HTTPS", 443, tls={"certificateRefs": [{"name": f"c{i}"} for i in range(65)]})), "at most 64 items"),
    ("listener-tls-options-16",
     gwy(lis("https", "HTTPS", 443, tls={"options": {f"example.com/o{i}": "v" for i in range(16)}})),
     gwy(lis("https", "HTTPS", 443, tls={"options": {f"example.com/o{i}": "v" for i in range(17)}})), "at most 16 items"),
    ("listener-tls-option-key", gwy(lis("https", "HTTPS", 443, tls={"options": {"example.com/x": "v"}})),
     gwy(lis("https", "HTTPS", 443, tls={"options": {"bad key": "v"}})), "not a qualified name"),
    ("listener-tls-option-value-4096", gwy(lis("https", "HTTPS", 443, tls={"options": {"k": "v" * 4096}})),
     gwy(lis("https", "HTTPS", 443, tls={"options": {"k": "v" * 4097}})), "at most 4096 characters"),
    ("listener-tls-mode-enum", gwy(lis("tls", "TLS", 443, tls={"mode": "Passthrough"})),
     gwy(lis("tls", "TLS", 443, tls={"mode": "passthrough"})), "'Terminate' or 'Passthrough'"),
    ("listener-certificateref-namespace",
     gwy(lis("https", "HTTPS", 443, tls={"certificateRefs": [{"name": "c", "namespace": "certs"}]})),
     gwy(lis("https", "HTTPS", 443, tls={"certificateRefs": [{"name": "c", "namespace": "certs.x"}]})),
     "Namespace pattern"),
    ("allowedroutes-kinds-8", gwy(lis(allowedRoutes={"kinds": [{"kind": f"K{i}"} for i in range(8)]})),
     gwy(lis(allowedRoutes={"kinds": [{"kind": f"K{i}"} for i in range(9)]})), "at most 8 items"),
    ("allowedroutes-kind-pattern", gwy(lis(allowedRoutes={"kinds": [{"kind": "HTTPRoute"}]})),
     gwy(lis(allowedRoutes={"kinds": [{"kind": "HTTP_Route"}]})), "Kind pattern"),
    ("allowedroutes-from-enum", gwy(lis(allowedRoutes={"namespaces": {"from": "All"}})),
     gwy(lis(allowedRoutes={"namespaces": {"from": "None"}})), "'All', 'Selector' or 'Same'"),
    ("allowedroutes-selector-required", sel(matchLabels={"team": "a"}),
     gwy(lis(allowedRoutes={"namespaces": {"from": "Selector"}})), "selector must be specified when from is Selector"),
    ("selector-operator", sel(matchExpressions=[{"key": "team", "operator": "In", "values": ["a"]}]),
     sel(matchExpressions=[{"key": "team", "operator": "in", "values": ["a"]}]), "'In', 'NotIn', 'Exists'"),
    ("selector-in-needs-values", sel(matchExpressions=[{"key": "team", "operator": "Exists"}]),
     sel(matchExpressions=[{"key": "team", "operator": "In"}]), "values must be non-empty for operator In"),
    ("selector-exists-no-values", sel(matchExpressions=[{"key": "team", "operator": "NotIn", "values": ["a"]}]),
     sel(matchExpressions=[{"key": "team", "operator": "Exists", "values": ["a"]}]),
     "values must be empty for operator Exists"),
    ("selector-label-value", sel(matchLabels={"team": "a-b"}), sel(matchLabels={"team": "a b"}),
     "a label value must be empty"),
    # ---- Gateway allowedListeners (which namespaces may attach ListenerSets)
    ("allowedlisteners-from-enum", allowed_listeners(**{"from": "None"}), allowed_listeners(**{"from": "Any"}),
     "'All', 'Selector', 'Same' or 'None'"),
    ("allowedlisteners-selector-required",
     allowed_listeners(**{"from": "Selector", "selector": {"matchExpressions": [
         {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["shop"]}]}}),
     allowed_listeners(**{"from": "Selector"}), "selector must be specified when from is Selector"),
    ("allowedlisteners-selector-checked", allowed_listeners(**{"from": "Selector", "selector": {"matchLabels": {"a": "b"}}}),
     allowed_listeners(**{"from": "Selector", "selector": {"matchExpressions": [{"key": "a", "operator": "Exists",
                                                                                 "values": ["b"]}]}}),
     "values must be empty for operator Exists"),
    ("allowedlisteners-extra-field", allowed_listeners(**{"from": "All"}),
     gwy(allowedListeners={"namespaces": {"from": "All"}, "kinds": []}), "Extra inputs are not permitted"),
    # ---- ListenerSet: cardinalities, parentRef, and the listener CEL rules (same messages as a Gateway's)
    ("listenerset-listeners-64", lset(*[lis(f"l{i}", port=1000 + i) for i in range(64)]),
     lset(*[lis(f"l{i}", port=1000 + i) for i in range(65)]), "at most 64 items"),
    ("listenerset-listeners-min-1", lset(lis()),
     obj("ListenerSet", {"parentRef": {"name": "gw"}, "listeners": []}), "should have at least 1 item"),
    ("listenerset-listeners-required", lset(lis()), obj("ListenerSet", {"parentRef": {"name": "gw"}}), "Field required"),
    ("listenerset-parentref-required", lset(lis()), obj("ListenerSet", {"listeners": [lis()]}), "Field required"),
    ("listenerset-parentref-name-required", lset(parent={"name": "gw"}), lset(parent={"namespace": "infra"}),
     "Field required"),
    ("listenerset-parentref-name-253", lset(parent={"name": "g" * 253}), lset(parent={"name": "g" * 254}),
     "at most 253 characters"),
    ("listenerset-parentref-namespace", lset(parent={"name": "gw", "namespace": "infra-1"}),
     lset(parent={"name": "gw", "namespace": "Infra"}), "Namespace pattern"),
    ("listenerset-parentref-group-pattern", lset(parent={"name": "gw", "group": "gateway.networking.k8s.io"}),
     lset(parent={"name": "gw", "group": "Gateway_API"}), "Group pattern"),
    ("listenerset-parentref-kind-pattern", lset(parent={"name": "gw", "kind": "Gateway"}),
     lset(parent={"name": "gw", "kind": "Gate way"}), "Kind pattern"),
    ("listenerset-parent-is-a-gateway", lset(parent={"name": "gw", "kind": "Gateway", "group": GATEWAY_API_GROUP}),
     lset(parent={"name": "gw", "kind": "Service", "group": ""}), "parentRef must be a gateway.networking.k8s.io Gateway"),
    ("listenerset-tls-not-for-http", lset(lis("https", "HTTPS", 443, tls=HTTPS_CERT)),
     lset(lis("http", "HTTP", 80, tls=HTTPS_CERT)), "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"),
    ("listenerset-https-terminate", lset(lis("https", "HTTPS", 443, tls={"mode": "Terminate", **HTTPS_CERT})),
     lset(lis("https", "HTTPS", 443, tls={"mode": "Passthrough"})), "tls mode must be Terminate for protocol HTTPS"),
    ("listenerset-tls-mode-set", lset(lis("tls", "TLS", 443, tls={"mode": "Passthrough"})), lset(lis("tls", "TLS", 443)),
     "tls mode must be set for protocol TLS"),
    ("listenerset-hostname-not-for-tcp", lset(lis("tcp", "TCP", 5432)),
     lset(lis("tcp", "TCP", 5432, hostname="db.example.com")), "hostname must not be specified for protocols ['TCP', 'UDP']"),
    ("listenerset-name-unique", lset(lis("a", port=80), lis("b", port=81)), lset(lis("a", port=80), lis("a", port=81)),
     "Listener name must be unique within the Gateway"),
    ("listenerset-port-protocol-hostname-unique",
     lset(lis("a", hostname="a.example.com"), lis("b", hostname="b.example.com")),
     lset(lis("a", hostname="a.example.com"), lis("b", hostname="a.example.com")),
     "Combination of port, protocol and hostname must be unique for each listener"),
    ("listenerset-terminate-needs-certificates", lset(lis("https", "HTTPS", 443, tls=HTTPS_CERT)),
     lset(lis("https", "HTTPS", 443, tls={"mode": "Terminate"})),
     "certificateRefs or options must be specified when mode is Terminate"),
    ("listenerset-hostname-no-ip", lset(lis(hostname="ip10.example.com")), lset(lis(hostname="10.0.0.1")),
     "is an IP address"),
    ("listenerset-allowedroutes-from-enum", lset(lis(allowedRoutes={"namespaces": {"from": "Same"}})),
     lset(lis(allowedRoutes={"namespaces": {"from": "None"}})), "'All', 'Selector' or 'Same'"),
    ("listenerset-status-not-modelled", lset(), lset() | {"status": {}}, "Extra inputs are not permitted"),
    ("listenerset-api-version", lset(), lset() | {"apiVersion": "gateway.networking.x-k8s.io/v1alpha1"},
     "Input should be 'gateway.networking.k8s.io/v1'"),
    ("gateway-addresses-16", addr(*[{"value": f"192.0.2.{i}"} for i in range(16)]),
     addr(*[{"value": f"192.0.2.{i}"} for i in range(17)]), "at most 16 items"),
    ("address-ip-format", addr({"value": "2001:db8::1"}), addr({"value": "10.0.0.256"}), "must be of format ipv4 or ipv6"),
    ("address-ip-format-explicit-type", addr({"type": "NamedAddress", "value": "foo"}),
     addr({"type": "IPAddress", "value": "foo.com"}), "must be of format ipv4 or ipv6"),
    ("address-ip-unique", addr({"value": "192.0.2.1"}, {"value": "192.0.2.2"}),
     addr({"value": "192.0.2.1"}, {"type": "IPAddress", "value": "192.0.2.1"}), "IPAddress values must be unique"),
    ("address-hostname-unique",
     addr({"type": "Hostname", "value": "a.example.com"}, {"type": "Hostname", "value": "b.example.com"}),
     addr({"type": "Hostname", "value": "a.example.com"}, {"type": "Hostname", "value": "a.example.com"}),
     "Hostname values must be unique"),
    ("address-hostname-value", addr({"type": "Hostname", "value": "*.example.com"}),
     addr({"type": "Hostname", "value": "foo.com:80"}), "Hostname value must be empty or contain only valid characters"),
    ("address-type-pattern", addr({"type": "example.com/custom", "value": "any thing"}),
     addr({"type": "custom", "value": "x"}), "AddressType pattern"),
    ("address-value-253", addr({"type": "NamedAddress", "value": "v" * 253}), addr({"type": "NamedAddress", "value": "v" * 254}),
     "at most 253 characters"),
    ("infrastructure-labels-8", infra(labels={f"l{i}": "v" for i in range(8)}), infra(labels={f"l{i}": "v" for i in range(9)}),
     "at most 8 items"),
    ("infrastructure-label-key", infra(labels={"example.com/team": "a"}), infra(labels={"team a": "a"}),
     "Label keys must be in the form of an optional DNS subdomain prefix"),
    ("infrastructure-label-key-prefix",
     infra(labels={"a" * 63 + "." + "a" * 63 + "." + "a" * 63 + "." + "a" * 60 + "/k": "v"}),
     infra(labels={"a" * 63 + "." + "a" * 63 + "." + "a" * 63 + "." + "a" * 61 + "/k": "v"}),
     "If specified, the label key's prefix must be a DNS subdomain not longer than 253 characters in total."),
    ("infrastructure-label-value", infra(labels={"team": "a.b"}), infra(labels={"team": "a b"}), "LabelValue pattern"),
    ("infrastructure-annotations-16", infra(annotations={f"a{i}": "v" for i in range(16)}),
     infra(annotations={f"a{i}": "v" for i in range(17)}), "at most 16 items"),
    ("infrastructure-annotation-key", infra(annotations={"example.com/x": "v"}), infra(annotations={"bad key": "v"}),
     "Annotation keys must be in the form of an optional DNS subdomain prefix"),
    ("infrastructure-annotation-key-prefix", infra(annotations={"a" * 252 + "/k": "v"}),
     infra(annotations={"a" * 260 + "/name": "v"}),
     "If specified, the annotation key's prefix must be a DNS subdomain not longer than 253 characters in total."),
    ("gateway-frontend-perport-unique",
     gwy(tls={"frontend": {"default": {}, "perPort": [
         {"port": 443, "tls": {}}, {"port": 8443, "tls": {}}]}}),
     gwy(tls={"frontend": {"default": {}, "perPort": [
         {"port": 443, "tls": {}}, {"port": 443, "tls": {}}]}}),
     "Port for TLS configuration must be unique within the Gateway"),
    ("gateway-frontend-ca-1-16",
     gwy(tls={"frontend": {"default": {"validation": {"caCertificateRefs": [
         {"group": "", "kind": "ConfigMap", "name": f"ca{i}"} for i in range(16)]}}}}),
     gwy(tls={"frontend": {"default": {"validation": {"caCertificateRefs": []}}}}), "should have at least 1 item"),
    # ---- HTTPRoute: cardinalities
    ("httproute-parentrefs-32", hr(rule(), parentRefs=[{"name": f"g{i}"} for i in range(32)]),
     hr(rule(), parentRefs=[{"name": f"g{i}"} for i in range(33)]), "at most 32 items"),
    ("httproute-hostnames-16", hr(rule(), hostnames=[f"h{i}.example.com" for i in range(16)]),
     hr(rule(), hostnames=[f"h{i}.example.com" for i in range(17)]), "at most 16 items"),
    ("httproute-rules-16", hr(*[rule(matches=[prefix(f"/r{i}")]) for i in range(16)]),
     hr(*[rule(matches=[prefix(f"/r{i}")]) for i in range(17)]), "at most 16 items"),
    ("httproute-rules-min-1", hr(), obj("HTTPRoute", {"rules": []}), "should have at least 1 item"),
    ("httproute-matches-64", hr(rule(matches=[prefix(f"/m{i}") for i in range(64)])),
     hr(rule(matches=[prefix(f"/m{i}") for i in range(65)])), "at most 64 items"),
    ("httproute-matches-total-128",
     hr(rule(matches=[prefix(f"/a{i}") for i in range(64)]), rule(matches=[prefix(f"/b{i}") for i in range(64)])),
     hr(rule(matches=[prefix(f"/a{i}") for i in range(64)]), rule(matches=[prefix(f"/b{i}") for i in range(64)]),
        rule(matches=[prefix("/c")])),
     "the total number of matches across all rules in a route must be less than 128"),
    ("httproute-matches-total-counts-defaulted-match",  # a rule without matches is one PathPrefix "/" match
     hr(rule(matches=[prefix(f"/a{i}") for i in range(64)]), rule(matches=[prefix(f"/b{i}") for i in range(63)]), rule()),
     hr(rule(matches=[prefix(f"/a{i}") for i in range(64)]), rule(matches=[prefix(f"/b{i}") for i in range(64)]), rule()),
     "the total number of matches across all rules in a route must be less than 128"),
    ("httproute-filters-16", hr(rule(filters=[flt("RequestMirror") for _ in range(16)])),
     hr(rule(filters=[flt("RequestMirror") for _ in range(17)])), "at most 16 items"),
    ("httproute-backendrefs-16", hr(rule(backendRefs=[{"name": f"s{i}", "port": 80} for i in range(16)])),
     hr(rule(backendRefs=[{"name": f"s{i}", "port": 80} for i in range(17)])), "at most 16 items"),
    ("httproute-backendref-filters-16",
     hr(rule(backendRefs=[{**BACKEND, "filters": [flt("ExtensionRef") for _ in range(16)]}])),
     hr(rule(backendRefs=[{**BACKEND, "filters": [flt("ExtensionRef") for _ in range(17)]}])), "at most 16 items"),
    ("httproute-headers-16", hr(rule(matches=[{"headers": hdrs(16)}])), hr(rule(matches=[{"headers": hdrs(17)}])),
     "at most 16 items"),
    ("httproute-queryparams-16", hr(rule(matches=[{"queryParams": hdrs(16)}])),
     hr(rule(matches=[{"queryParams": hdrs(17)}])), "at most 16 items"),
    ("httproute-header-names-unique-case-insensitive",
     hr(rule(matches=[{"headers": [{"name": "X-A", "value": "1"}, {"name": "X-B", "value": "1"}]}])),
     hr(rule(matches=[{"headers": [{"name": "X-A", "value": "1"}, {"name": "x-a", "value": "2"}]}])),
     "Duplicate value: header name"),
    ("httproute-queryparam-names-unique",
     hr(rule(matches=[{"queryParams": [{"name": "a", "value": "1"}, {"name": "A", "value": "1"}]}])),
     hr(rule(matches=[{"queryParams": [{"name": "a", "value": "1"}, {"name": "a", "value": "2"}]}])),
     "Duplicate value: query param name"),
    # ---- HTTPRoute: strings
    ("httproute-hostname-pattern", hr(rule(), hostnames=["*.example.com"]), hr(rule(), hostnames=["Example.COM"]),
     "Hostname pattern"),
    ("httproute-hostname-253", hr(rule(), hostnames=[("a" * 63 + ".") * 3 + "a" * 61]),
     hr(rule(), hostnames=[("a" * 63 + ".") * 3 + "a" * 62]), "at most 253 characters"),
    ("httproute-hostname-no-ip", hr(rule(), hostnames=["a10.0.0.1"]), hr(rule(), hostnames=["10.0.0.1"]),
     "is an IP address"),
    ("header-name-pattern", hr(rule(matches=[{"headers": [{"name": "x-a_b!", "value": "v"}]}])),
     hr(rule(matches=[{"headers": [{"name": "magic/", "value": "v"}]}])), "HeaderName pattern"),
    ("header-name-256", hr(rule(matches=[{"headers": [{"name": "h" * 256, "value": "v"}]}])),
     hr(rule(matches=[{"headers": [{"name": "h" * 257, "value": "v"}]}])), "at most 256 characters"),
    ("header-value-4096", hr(rule(matches=[{"headers": [{"name": "h", "value": "v" * 4096}]}])),
     hr(rule(matches=[{"headers": [{"name": "h", "value": "v" * 4097}]}])), "at most 4096 characters"),
    ("header-value-min-1", hr(rule(matches=[{"headers": [{"name": "h", "value": "v"}]}])),
     hr(rule(matches=[{"headers": [{"name": "h", "value": ""}]}])), "at least 1 character"),
    ("queryparam-value-1024", hr(rule(matches=[{"queryParams": [{"name": "q", "value": "v" * 1024}]}])),
     hr(rule(matches=[{"queryParams": [{"name": "q", "value": "v" * 1025}]}])), "at most 1024 characters"),
    ("header-match-type-enum", hr(rule(matches=[{"headers": [{"type": "RegularExpression", "name": "h", "value": "v"}]}])),
     hr(rule(matches=[{"headers": [{"type": "Prefix", "name": "h", "value": "v"}]}])), "'Exact' or 'RegularExpression'"),
    ("method-enum", hr(rule(matches=[{"method": "PATCH"}])), hr(rule(matches=[{"method": "NOTREAL"}])), "'GET', 'HEAD'"),
    ("sectionname-pattern", hr(rule(), parentRefs=[{"name": "gw", "sectionName": "https"}]),
     hr(rule(), parentRefs=[{"name": "gw", "sectionName": "HTTPS"}]), "PreciseHostname pattern"),
    ("parentref-namespace", hr(rule(), parentRefs=[{"name": "gw", "namespace": "infra"}]),
     hr(rule(), parentRefs=[{"name": "gw", "namespace": "in_fra"}]), "Namespace pattern"),
    ("parentref-port", hr(rule(), parentRefs=[{"name": "gw", "port": 65535}]),
     hr(rule(), parentRefs=[{"name": "gw", "port": 65536}]), "less than or equal to 65535"),
    ("group-pattern", hr(rule(backendRefs=[{"group": "", "kind": "Service", "name": "s", "port": 1}])),
     hr(rule(backendRefs=[{"group": "*", "name": "s", "port": 1}])), "Group pattern"),
    ("kind-pattern", hr(rule(backendRefs=[{"kind": "Backend", "group": "example.com", "name": "s"}])),
     hr(rule(backendRefs=[{"kind": "*", "name": "s", "port": 1}])), "Kind pattern"),
    ("objectname-253", hr(rule(backendRefs=[{"name": "s" * 253, "port": 80}])),
     hr(rule(backendRefs=[{"name": "s" * 254, "port": 80}])), "at most 253 characters"),
    ("backendref-port-range", hr(rule(backendRefs=[{"name": "s", "port": 65535}])),
     hr(rule(backendRefs=[{"name": "s", "port": 800080}])), "less than or equal to 65535"),
    ("weight-max", hr(rule(backendRefs=[{**BACKEND, "weight": 1_000_000}])),
     hr(rule(backendRefs=[{**BACKEND, "weight": 1_000_001}])), "less than or equal to 1000000"),
    ("weight-min", hr(rule(backendRefs=[{**BACKEND, "weight": 0}])), hr(rule(backendRefs=[{**BACKEND, "weight": -1}])),
     "greater than or equal to 0"),
    ("rule-name-pattern", hr(rule(name="api.v1")), hr(rule(name="API")), "PreciseHostname pattern"),
    ("rule-name-unique", hr(rule(name="a", matches=[prefix("/a")]), rule(name="b")),
     hr(rule(name="a", matches=[prefix("/a")]), rule(name="a")), "Rule name must be unique within the route"),
    # ---- HTTPRoute: path rules
    ("path-absolute", path_case("/a"), path_case("a"),
     "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']"),
    ("path-absolute-defaulted-type", hr(rule(matches=[{"path": {"type": "Exact"}}])),
     hr(rule(matches=[{"path": {"value": "foo"}}])), "value must be an absolute path and start with '/'"),
    ("path-no-double-slash", path_case("/a/b"), path_case("/a//b"), "must not contain '//' when type one of"),
    ("path-double-slash-ok-for-regex", path_case("/a//b", "RegularExpression"), path_case("/a//b", "Exact"),
     "must not contain '//'"),
    ("path-no-dot-segment", path_case("/a/.b/"), path_case("/a/./b"), "must not contain '/./' when type one of"),
    ("path-no-dotdot-segment", path_case("/a/..b/"), path_case("/a/../b"), "must not contain '/../' when type one of"),
    ("path-no-encoded-slash-lower", path_case("/a%2eb"), path_case("/a%2fb"), "must not contain '%2f' when type one of"),
    ("path-no-encoded-slash-upper", path_case("/a%2Eb"), path_case("/a%2Fb"), "must not contain '%2F' when type one of"),
    ("path-no-fragment", path_case("/a"), path_case("/a#b"), "must not contain '#' when type one of"),
    ("path-not-ending-dotdot", path_case("/a/..b"), path_case("/a/.."), "must not end with '/..' when type one of"),
    ("path-not-ending-dot", path_case("/a/.b"), path_case("/a/."), "must not end with '/.' when type one of"),
    ("path-charset", path_case("/a-b._~!$&'()*+,;=:@%20"), path_case("/my[/]path"),
     "must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) "
     "for types ['Exact', 'PathPrefix']"),
    ("path-charset-percent-escape", path_case("/a%41"), path_case("/a%4"), "must only contain valid characters"),
    ("path-charset-newline", path_case("/a"), path_case("/a\n"), "must only contain valid characters"),
    ("path-value-1024", path_case("/" + "a" * 1023), path_case("/" + "a" * 1024), "at most 1024 characters"),
    ("path-type-enum", path_case("/a", "RegularExpression"), path_case("/a", "Prefix"),
     "'Exact', 'PathPrefix' or 'RegularExpression'"),
    # ---- HTTPRoute: filters
    *[(f"filter-union-{t}-specified",
       hr(rule(filters=[flt(t)], backendRefs=None if t == "RequestRedirect" else [BACKEND])),
       hr(rule(filters=[{"type": t}])), f"filter.{FILTER_FIELD[t]} must be specified for {t} filter.type")
      for t in FILTER_FIELD],
    *[(f"filter-union-{t}-nil", hr(rule(filters=[flt("ExtensionRef" if t != "ExtensionRef" else "CORS")])),
       hr(rule(filters=[{**flt("ExtensionRef" if t != "ExtensionRef" else "CORS"), FILTER_FIELD[t]: FILTER_CONFIG[t]}])),
       f"filter.{FILTER_FIELD[t]} must be nil if the filter.type is not {t}") for t in FILTER_FIELD],
    ("filter-type-enum", hr(rule(filters=[flt("CORS")])), hr(rule(filters=[{"type": "ExternalAuth"}])),
     "'RequestHeaderModifier', 'ResponseHeaderModifier'"),
    *[(f"filter-not-repeatable-{t}",
       hr(rule(filters=[flt(t), flt("RequestMirror")], backendRefs=None if t == "RequestRedirect" else [BACKEND])),
       hr(rule(filters=[flt(t), flt(t)], backendRefs=None if t == "RequestRedirect" else [BACKEND])),
       f"{t} filter cannot be repeated")
      for t in ("CORS", "RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite")],
    ("filter-repeatable-mirror-extensionref", hr(rule(filters=[flt("RequestMirror"), flt("RequestMirror"),
                                                               flt("ExtensionRef"), flt("ExtensionRef")])),
     hr(rule(filters=[flt("CORS"), flt("CORS")])), "CORS filter cannot be repeated"),
    ("filter-redirect-not-with-rewrite", hr(rule(filters=[flt("RequestRedirect")], backendRefs=None)),
     hr(rule(filters=[flt("RequestRedirect"), flt("URLRewrite")], backendRefs=None)),
     "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both"),
    ("backend-filter-redirect-not-with-rewrite", hr(rule(backendRefs=[{**BACKEND, "filters": [flt("URLRewrite")]}])),
     hr(rule(backendRefs=[{**BACKEND, "filters": [flt("URLRewrite"), flt("RequestRedirect")]}])),
     "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both"),
    ("backend-filter-not-repeatable", hr(rule(backendRefs=[{**BACKEND, "filters": [flt("CORS")]}])),
     hr(rule(backendRefs=[{**BACKEND, "filters": [flt("CORS"), flt("CORS")]}])), "CORS filter cannot be repeated"),
    ("backend-filter-union", hr(rule(backendRefs=[{**BACKEND, "filters": [flt("CORS")]}])),
     hr(rule(backendRefs=[{**BACKEND, "filters": [{"type": "CORS"}]}])), "filter.cors must be specified for CORS filter.type"),
    ("redirect-not-with-backendrefs", hr(rule(filters=[flt("RequestRedirect")], backendRefs=[])),
     hr(rule(filters=[flt("RequestRedirect")])), "RequestRedirect filter must not be used together with backendRefs"),
    ("redirect-prefix-needs-one-prefix-match",
     hr(rule(matches=[prefix("/a")], filters=[prefix_rewrite("RequestRedirect")], backendRefs=None)),
     hr(rule(matches=[exact("/a")], filters=[prefix_rewrite("RequestRedirect")], backendRefs=None)),
     "When using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"),
    ("redirect-prefix-defaulted-match-ok", hr(rule(filters=[prefix_rewrite("RequestRedirect")], backendRefs=None)),
     hr(rule(matches=[prefix("/a"), prefix("/b")], filters=[prefix_rewrite("RequestRedirect")], backendRefs=None)),
     "When using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"),
    ("rewrite-prefix-needs-one-prefix-match", hr(rule(matches=[{"headers": hdrs(1)}], filters=[prefix_rewrite()])),
     hr(rule(matches=[exact("/old")], filters=[prefix_rewrite()])),
     "When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"),
    ("rewrite-prefix-empty-matches", hr(rule(matches=[prefix("/")], filters=[prefix_rewrite()])),
     hr(rule(matches=[], filters=[prefix_rewrite()])),
     "When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"),
    ("backend-redirect-prefix-needs-one-prefix-match",
     hr(rule(matches=[prefix()], backendRefs=[{**BACKEND, "filters": [prefix_rewrite("RequestRedirect")]}])),
     hr(rule(matches=[exact()], backendRefs=[{**BACKEND, "filters": [prefix_rewrite("RequestRedirect")]}])),
     "Within backendRefs, when using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix "
     "match must be specified"),
    ("backend-rewrite-prefix-needs-one-prefix-match",
     hr(rule(matches=[prefix()], backendRefs=[{**BACKEND, "filters": [prefix_rewrite()]}])),
     hr(rule(matches=[exact()], backendRefs=[{**BACKEND, "filters": [prefix_rewrite()]}])),
     "Within backendRefs, When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix "
     "match must be specified"),
    ("backend-rewrite-prefix-two-backends",  # stricter: the CRD's exists_one lets two such backendRefs through
     hr(rule(matches=[prefix()], backendRefs=[{**BACKEND, "filters": [prefix_rewrite()]}, {"name": "b", "port": 80,
                                                                                           "filters": [prefix_rewrite()]}])),
     hr(rule(matches=[exact()], backendRefs=[{**BACKEND, "filters": [prefix_rewrite()]}, {"name": "b", "port": 80,
                                                                                          "filters": [prefix_rewrite()]}])),
     "Within backendRefs, When using URLRewrite filter"),
    ("pathmodifier-fullpath-required", path_mod("URLRewrite", type="ReplaceFullPath", replaceFullPath="/x"),
     path_mod("URLRewrite", type="ReplaceFullPath"),
     "replaceFullPath must be specified when type is set to 'ReplaceFullPath'"),
    ("pathmodifier-fullpath-type", path_mod("URLRewrite", type="ReplaceFullPath", replaceFullPath=""),
     hr(rule(matches=[prefix()], filters=[flt("URLRewrite", {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/",
                                                                      "replaceFullPath": "/x"}})])),
     "type must be 'ReplaceFullPath' when replaceFullPath is set"),
    ("pathmodifier-prefix-required", hr(rule(matches=[prefix()], filters=[prefix_rewrite("RequestRedirect")], backendRefs=None)),
     hr(rule(matches=[prefix()], filters=[flt("RequestRedirect", {"path": {"type": "ReplacePrefixMatch"}})], backendRefs=None)),
     "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'"),
    ("pathmodifier-prefix-type", path_mod("RequestRedirect", False, type="ReplaceFullPath", replaceFullPath="/"),
     path_mod("RequestRedirect", False, type="ReplaceFullPath", replaceFullPath="/", replacePrefixMatch="/"),
     "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set"),
    ("pathmodifier-1024", path_mod("URLRewrite", type="ReplaceFullPath", replaceFullPath="/" * 1024),
     path_mod("URLRewrite", type="ReplaceFullPath", replaceFullPath="/" * 1025),
     "at most 1024 characters"),
    ("redirect-hostname-precise", hr(rule(filters=[flt("RequestRedirect", {"hostname": "a.example.com"})], backendRefs=None)),
     hr(rule(filters=[flt("RequestRedirect", {"hostname": "*.example.com"})], backendRefs=None)), "PreciseHostname pattern"),
    ("redirect-hostname-no-ip", hr(rule(filters=[flt("RequestRedirect", {"hostname": "a.example.com"})], backendRefs=None)),
     hr(rule(filters=[flt("RequestRedirect", {"hostname": "192.0.2.1"})], backendRefs=None)), "is an IP address"),
    ("redirect-status-enum", hr(rule(filters=[flt("RequestRedirect", {"statusCode": 308})], backendRefs=None)),
     hr(rule(filters=[flt("RequestRedirect", {"statusCode": 304})], backendRefs=None)), "301, 302, 303, 307 or 308"),
    ("redirect-scheme-enum", hr(rule(filters=[flt("RequestRedirect", {"scheme": "http"})], backendRefs=None)),
     hr(rule(filters=[flt("RequestRedirect", {"scheme": "HTTPS"})], backendRefs=None)), "'http' or 'https'"),
    ("redirect-port", hr(rule(filters=[flt("RequestRedirect", {"port": 8443})], backendRefs=None)),
     hr(rule(filters=[flt("RequestRedirect", {"port": 0})], backendRefs=None)), "greater than or equal to 1"),
    ("rewrite-hostname-precise", hr(rule(filters=[flt("URLRewrite", {"hostname": "a-b.example"})])),
     hr(rule(filters=[flt("URLRewrite", {"hostname": "A.example"})])), "PreciseHostname pattern"),
    ("header-modifier-16", headers_mod(set=hdrs(16)), headers_mod(set=hdrs(17)), "at most 16 items"),
    ("header-modifier-add-16", headers_mod(add=hdrs(16)), headers_mod(add=hdrs(17)), "at most 16 items"),
    ("header-modifier-remove-16", headers_mod(remove=[f"h{i}" for i in range(16)]),
     headers_mod(remove=[f"h{i}" for i in range(17)]), "at most 16 items"),
    ("header-modifier-set-unique", headers_mod(set=[{"name": "A", "value": "1"}, {"name": "B", "value": "1"}]),
     headers_mod(set=[{"name": "A", "value": "1"}, {"name": "a", "value": "1"}]), "Duplicate value: set header name"),
    ("header-modifier-add-unique", headers_mod(add=[{"name": "A", "value": "1"}, {"name": "B", "value": "1"}]),
     headers_mod(add=[{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]), "Duplicate value: add header name"),
    ("header-modifier-remove-unique", headers_mod(remove=["foo", "bar"]), headers_mod(remove=["foo", "foo"]),
     "Duplicate value: remove header name"),
    ("header-modifier-one-action", headers_mod(set=hdrs(1, 0), remove=["x-h1"]), headers_mod(set=hdrs(1, 0), remove=["X-H0"]),
     "Only one action for a given header name is permitted"),
    ("header-modifier-remove-name", headers_mod(remove=["x-ok"]), headers_mod(remove=["not ok"]), "HeaderName pattern"),
    ("header-modifier-value-4096", headers_mod(set=[{"name": "h", "value": "v" * 4096}]),
     headers_mod(set=[{"name": "h", "value": "v" * 4097}]), "at most 4096 characters"),
    ("mirror-percent-xor-fraction", mirror(percent=10), mirror(percent=10, fraction={"numerator": 1, "denominator": 10}),
     "Only one of percent or fraction may be specified in HTTPRequestMirrorFilter"),
    ("mirror-numerator-le-denominator", mirror(fraction={"numerator": 4, "denominator": 4}),
     mirror(fraction={"numerator": 5, "denominator": 4}), "numerator must be less than or equal to denominator"),
    ("mirror-numerator-le-default-denominator", mirror(fraction={"numerator": 100}), mirror(fraction={"numerator": 101}),
     "numerator must be less than or equal to denominator"),
    ("mirror-denominator-min", mirror(fraction={"numerator": 0, "denominator": 1}),
     mirror(fraction={"numerator": 0, "denominator": 0}), "greater than or equal to 1"),
    ("mirror-percent-100", mirror(percent=100), mirror(percent=101), "less than or equal to 100"),
    ("mirror-backend-port", mirror(), hr(rule(filters=[flt("RequestMirror", {"backendRef": {"name": "m"}})])),
     "Must have port for Service reference"),
    ("cors-origins-star-alone", cors(allowOrigins=["*"]), cors(allowOrigins=["*", "https://a.example.com"]),
     "AllowOrigins cannot contain '*' alongside other origins"),
    ("cors-methods-star-alone", cors(allowMethods=["*"]), cors(allowMethods=["*", "GET"]),
     "AllowMethods cannot contain '*' alongside other methods"),
    ("cors-headers-star-alone", cors(allowHeaders=["*"]), cors(allowHeaders=["*", "X-Custom"]),
     "AllowHeaders cannot contain '*' alongside other methods"),
    ("cors-origin-pattern", cors(allowOrigins=["https://*.example.com:8443", "http://*"]),
     cors(allowOrigins=["ftp://example.com"]), "CORSOrigin pattern"),
    ("cors-origins-unique", cors(allowOrigins=["https://a.example", "https://b.example"]),
     cors(allowOrigins=["https://a.example", "https://a.example"]), "Duplicate value: allowOrigins"),
    ("cors-methods-9", cors(allowMethods=["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]),
     cors(allowMethods=["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "GET"]),
     "at most 9 items"),
    ("cors-methods-unique", cors(allowMethods=["GET", "POST"]), cors(allowMethods=["GET", "GET"]),
     "Duplicate value: allowMethods"),
    ("cors-headers-64", cors(allowHeaders=[f"h{i}" for i in range(64)]), cors(allowHeaders=[f"h{i}" for i in range(65)]),
     "at most 64 items"),
    ("cors-expose-headers-unique", cors(exposeHeaders=["X-A", "X-B"]), cors(exposeHeaders=["X-A", "x-a"]),
     "Duplicate value: exposeHeaders"),
    ("cors-max-age-min", cors(maxAge=1), cors(maxAge=0), "greater than or equal to 1"),
    ("cors-allow-credentials-bool", cors(allowCredentials=True), cors(allowCredentials="true"), "valid boolean"),
    ("timeouts-backend-le-request", hr(rule(timeouts={"request": "10s", "backendRequest": "10000ms"})),
     hr(rule(timeouts={"request": "10s", "backendRequest": "10001ms"})),
     "backendRequest timeout cannot be longer than request timeout"),
    ("timeouts-zero-request-disables", hr(rule(timeouts={"request": "0s", "backendRequest": "1h"})),
     hr(rule(timeouts={"request": "1m", "backendRequest": "1h"})),
     "backendRequest timeout cannot be longer than request timeout"),
    ("duration-pattern", hr(rule(timeouts={"request": "1h30m10s5ms"})), hr(rule(timeouts={"request": "1d"})),
     "Duration pattern"),
    ("duration-five-digits", hr(rule(timeouts={"request": "99999s"})), hr(rule(timeouts={"request": "100000s"})),
     "Duration pattern"),
    ("duration-four-parts", hr(rule(timeouts={"request": "1h1m1s1ms"})), hr(rule(timeouts={"request": "1h1m1s1ms1h"})),
     "Duration pattern"),
    ("backendref-service-port", hr(rule(backendRefs=[{"name": "s", "kind": "Backend", "group": "example.com"}])),
     hr(rule(backendRefs=[{"name": "s", "kind": "Service", "group": ""}])), "Must have port for Service reference"),
    ("backendref-defaulted-service-port", hr(rule(backendRefs=[{"name": "s", "group": "example.com"}])),
     hr(rule(backendRefs=[{"name": "s"}])), "Must have port for Service reference"),
    # ---- parentRefs (shared by the routes)
    ("parentrefs-section-specified",
     hr(rule(), parentRefs=[{"name": "gw", "sectionName": "a"}, {"name": "gw", "sectionName": "b"}]),
     hr(rule(), parentRefs=[{"name": "gw"}, {"name": "gw", "sectionName": "b"}]),
     "sectionName must be specified when parentRefs includes 2 or more references to the same parent"),
    ("parentrefs-section-unique",
     hr(rule(), parentRefs=[{"name": "gw", "namespace": "a"}, {"name": "gw", "namespace": "b"}]),
     hr(rule(), parentRefs=[{"name": "gw", "namespace": "a"}, {"name": "gw", "namespace": "a"}]),
     "sectionName must be unique when parentRefs includes 2 or more references to the same parent"),
    ("parentrefs-same-parent-after-defaults",
     hr(rule(), parentRefs=[{"name": "gw", "sectionName": "a"}, {"name": "gw", "group": "", "kind": "Service"}]),
     hr(rule(), parentRefs=[{"name": "gw", "sectionName": "a"}, {"name": "gw", "group": GATEWAY_API_GROUP, "kind": "Gateway"}]),
     "sectionName must be specified when parentRefs includes 2 or more references to the same parent"),
    ("parentrefs-section-unique-with-sections",
     hr(rule(), parentRefs=[{"name": "gw", "sectionName": "a"}, {"name": "gw", "sectionName": "b"}]),
     hr(rule(), parentRefs=[{"name": "gw", "sectionName": "a"}, {"name": "gw", "sectionName": "a"}]),
     "sectionName must be unique when parentRefs includes 2 or more references to the same parent"),
    ("grpc-parentrefs-section-unique", grpc(parentRefs=[{"name": "gw", "sectionName": "a"}, {"name": "gw", "sectionName": "b"}]),
     grpc(parentRefs=[{"name": "gw"}, {"name": "gw"}]),
     "sectionName must be unique when parentRefs includes 2 or more references to the same parent"),
    ("grpc-parentrefs-section-specified", grpc(parentRefs=[{"name": "gw"}]),
     grpc(parentRefs=[{"name": "gw"}, {"name": "gw", "sectionName": "b"}]),
     "sectionName must be specified when parentRefs includes 2 or more references to the same parent"),
    ("tls-parentrefs-section-specified", tlsr(parentRefs=[{"name": "gw"}]),
     tlsr(parentRefs=[{"name": "gw", "sectionName": "a"}, {"name": "gw"}]),
     "sectionName must be specified when parentRefs includes 2 or more references to the same parent"),
    ("tls-parentrefs-section-unique", tlsr(parentRefs=[{"name": "gw", "sectionName": "a"}, {"name": "gw", "sectionName": "b"}]),
     tlsr(parentRefs=[{"name": "gw", "sectionName": "a"}, {"name": "gw", "sectionName": "a"}]),
     "sectionName must be unique when parentRefs includes 2 or more references to the same parent"),
    # ---- GRPCRoute
    ("grpc-rules-16", grpc(*[rule(name=f"r{i}") for i in range(16)]), grpc(*[rule() for _ in range(17)]), "at most 16 items"),
    ("grpc-rules-may-be-empty", obj("GRPCRoute", {"rules": []}), obj("HTTPRoute", {"rules": []}),
     "should have at least 1 item"),
    ("grpc-hostnames-16", grpc(hostnames=[f"h{i}.example.com" for i in range(16)]),
     grpc(hostnames=[f"h{i}.example.com" for i in range(17)]), "at most 16 items"),
    ("grpc-hostname-no-ip", grpc(hostnames=["grpc.example.com"]), grpc(hostnames=["192.168.0.1"]), "is an IP address"),
    ("grpc-matches-64", grpc(rule(matches=[{"method": {"service": f"s{i}"}} for i in range(64)])),
     grpc(rule(matches=[{"method": {"service": f"s{i}"}} for i in range(65)])), "at most 64 items"),
    ("grpc-matches-total-128",
     grpc(rule(matches=[{"method": {"method": f"M{i}"}} for i in range(64)]), rule(matches=[{} for _ in range(64)]), rule()),
     grpc(rule(matches=[{"method": {"method": f"M{i}"}} for i in range(64)]), rule(matches=[{} for _ in range(64)]),
          rule(matches=[{}])),
     "the total number of matches across all rules in a route must be less than 128"),
    ("grpc-method-one-of", grpc_method(method="Login"), grpc_method(type="Exact"),
     "One or both of 'service' or 'method' must be specified"),
    ("grpc-method-one-of-defaulted-type", grpc_method(service="a.B"), grpc_method(),
     "One or both of 'service' or 'method' must be specified"),
    ("grpc-service-chars", grpc_method(service=".Foo_bar.baz"), grpc_method(service="1foo.Bar"),
     "service must only contain valid characters (matching ^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$)"),
    ("grpc-service-chars-regex-exempt", grpc_method(type="RegularExpression", service="1foo.*"),
     grpc_method(type="Exact", service="1foo.*"), "service must only contain valid characters"),
    ("grpc-method-chars", grpc_method(method="_Get2"), grpc_method(method="Get-It"),
     "method must only contain valid characters (matching ^[A-Za-z_][A-Za-z_0-9]*$)"),
    ("grpc-method-1024", grpc_method(type="RegularExpression", method="m" * 1024),
     grpc_method(type="RegularExpression", method="m" * 1025), "at most 1024 characters"),
    ("grpc-headers-unique", grpc(rule(matches=[{"headers": [{"name": "a", "value": "1"}, {"name": "b", "value": "1"}]}])),
     grpc(rule(matches=[{"headers": [{"name": "a", "value": "1"}, {"name": "A", "value": "1"}]}])),
     "Duplicate value: header name"),
    ("grpc-headers-16", grpc(rule(matches=[{"headers": hdrs(16)}])), grpc(rule(matches=[{"headers": hdrs(17)}])),
     "at most 16 items"),
    ("grpc-filter-types", grpc(rule(filters=[flt("RequestMirror")])), grpc(rule(filters=[flt("URLRewrite")])),
     "'ResponseHeaderModifier', 'RequestHeaderModifier', 'RequestMirror' or 'ExtensionRef'"),
    *[(f"grpc-filter-union-{t}", grpc(rule(filters=[flt(t)])), grpc(rule(filters=[{"type": t}])),
       f"filter.{FILTER_FIELD[t]} must be specified for {t} filter.type")
      for t in ("RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "ExtensionRef")],
    *[(f"grpc-filter-union-{t}-nil", grpc(rule(filters=[flt("RequestMirror" if t != "RequestMirror" else "ExtensionRef")])),
       grpc(rule(filters=[{**flt("RequestMirror" if t != "RequestMirror" else "ExtensionRef"),
                           FILTER_FIELD[t]: FILTER_CONFIG[t]}])),
       f"filter.{FILTER_FIELD[t]} must be nil if the filter.type is not {t}")
      for t in ("RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "ExtensionRef")],
    *[(f"grpc-filter-not-repeatable-{t}", grpc(rule(filters=[flt(t), flt("RequestMirror"), flt("RequestMirror")])),
       grpc(rule(filters=[flt(t), flt(t)])), f"{t} filter cannot be repeated")
      for t in ("RequestHeaderModifier", "ResponseHeaderModifier")],
    ("grpc-backend-filter-not-repeatable", grpc(rule(backendRefs=[{**BACKEND, "filters": [flt("RequestHeaderModifier")]}])),
     grpc(rule(backendRefs=[{**BACKEND, "filters": [flt("RequestHeaderModifier"), flt("RequestHeaderModifier")]}])),
     "RequestHeaderModifier filter cannot be repeated"),
    ("grpc-backend-filter-union", grpc(rule(backendRefs=[{**BACKEND, "filters": [flt("ExtensionRef")]}])),
     grpc(rule(backendRefs=[{**BACKEND, "filters": [{"type": "ExtensionRef"}]}])),
     "filter.extensionRef must be specified for ExtensionRef filter.type"),
    ("grpc-mirror-percent-xor-fraction", grpc_mirror(percent=5), grpc_mirror(percent=5, fraction={"numerator": 1}),
     "Only one of percent or fraction may be specified in HTTPRequestMirrorFilter"),
    ("grpc-mirror-fraction", grpc_mirror(fraction={"numerator": 2, "denominator": 2}),
     grpc_mirror(fraction={"numerator": 3, "denominator": 2}),
     "numerator must be less than or equal to denominator"),
    ("grpc-mirror-backend-port", grpc(rule(filters=[flt("RequestMirror")])),
     grpc(rule(filters=[flt("RequestMirror", {"backendRef": {"name": "m"}})])), "Must have port for Service reference"),
    ("grpc-backendref-port", grpc(rule()), grpc(rule(backendRefs=[{"name": "s"}])), "Must have port for Service reference"),
    # ---- TLSRoute
    ("tlsroute-hostnames-required", tlsr(["a.example.com"]), obj("TLSRoute", {"rules": [{"backendRefs": [BACKEND]}]}),
     "Field required"),
    ("tlsroute-hostnames-min-1", tlsr(["a.example.com"]),
     obj("TLSRoute", {"hostnames": [], "rules": [{"backendRefs": [BACKEND]}]}),
     "should have at least 1 item"),
    ("tlsroute-hostnames-1024", tlsr([f"h{i}.example.com" for i in range(1024)]),
     tlsr([f"h{i}.example.com" for i in range(1025)]), "at most 1024 items"),
    ("tlsroute-hostname-ip", tlsr(["a192.0.2.1"]), tlsr(["192.0.2.1"]), "Hostnames cannot contain an IP"),
    ("tlsroute-hostname-wildcard-first", tlsr(["*.db.example.com"]), tlsr(["db.*.example.com"]), "Hostname pattern"),
    ("tlsroute-rules-exactly-1", tlsr(rules=[{"backendRefs": [BACKEND]}]),
     tlsr(rules=[{"backendRefs": [BACKEND]}, {"backendRefs": [BACKEND]}]), "at most 1 item"),
    ("tlsroute-rules-min-1", tlsr(), tlsr(rules=[]), "should have at least 1 item"),
    ("tlsroute-backendrefs-1-16", tlsr(rules=[{"backendRefs": [{"name": f"s{i}", "port": 1} for i in range(16)]}]),
     tlsr(rules=[{"backendRefs": []}]), "should have at least 1 item"),
    ("tlsroute-backendrefs-16", tlsr(rules=[{"backendRefs": [{"name": f"s{i}", "port": 1} for i in range(16)]}]),
     tlsr(rules=[{"backendRefs": [{"name": f"s{i}", "port": 1} for i in range(17)]}]), "at most 16 items"),
    ("tlsroute-backendref-port", tlsr(), tlsr(rules=[{"backendRefs": [{"name": "db"}]}]), "Must have port for Service reference"),
    ("tlsroute-backendrefs-no-filters", tlsr(), tlsr(rules=[{"backendRefs": [{**BACKEND, "filters": []}]}]),
     "Extra inputs are not permitted"),
    # ---- ReferenceGrant
    ("referencegrant-from-1-16", rg(frm=[FROM] * 16), rg(frm=[]), "should have at least 1 item"),
    ("referencegrant-from-16", rg(frm=[FROM] * 16), rg(frm=[FROM] * 17), "at most 16 items"),
    ("referencegrant-to-1-16", rg(to=[TO] * 16), rg(to=[]), "should have at least 1 item"),
    ("referencegrant-to-16", rg(to=[TO] * 16), rg(to=[TO] * 17), "at most 16 items"),
    ("referencegrant-from-namespace-required", rg(), rg(frm=[{"group": "", "kind": "Gateway"}]), "Field required"),
    ("referencegrant-to-name-optional", rg(to=[{**TO, "name": "svc"}]), rg(to=[{**TO, "name": ""}]), "at least 1 character"),
    ("referencegrant-spec-required", rg(), obj("ReferenceGrant", {"to": [TO]}) | {"spec": None}, "valid dictionary"),
    # ---- BackendTLSPolicy
    ("btp-targetrefs-1-16", btp(targets=[{**TARGET, "name": f"s{i}"} for i in range(16)]), btp(targets=[]),
     "should have at least 1 item"),
    ("btp-targetrefs-16", btp(targets=[{**TARGET, "name": f"s{i}"} for i in range(16)]),
     btp(targets=[{**TARGET, "name": f"s{i}"} for i in range(17)]), "at most 16 items"),
    ("btp-target-section-specified", btp(targets=[{**TARGET, "sectionName": "a"}, {**TARGET, "sectionName": "b"}]),
     btp(targets=[TARGET, {**TARGET, "sectionName": "b"}]),
     "sectionName must be specified when targetRefs includes 2 or more references to the same target"),
    ("btp-target-section-unique", btp(targets=[TARGET, {**TARGET, "name": "other"}]), btp(targets=[TARGET, TARGET]),
     "sectionName must be unique when targetRefs includes 2 or more references to the same target"),
    ("btp-target-group-required", btp(), btp(targets=[{"kind": "Service", "name": "svc"}]), "Field required"),
    ("btp-hostname-required", btp(), btp({"wellKnownCACertificates": "System"}), "Field required"),
    ("btp-hostname-precise", btp({"hostname": "a.example.com", "wellKnownCACertificates": "System"}),
     btp({"hostname": "*.example.com", "wellKnownCACertificates": "System"}), "PreciseHostname pattern"),
    ("btp-ca-not-both", btp({"hostname": "h.example", "caCertificateRefs": [{"group": "", "kind": "ConfigMap", "name": "ca"}]}),
     btp({"hostname": "h.example", "wellKnownCACertificates": "System",
          "caCertificateRefs": [{"group": "", "kind": "ConfigMap", "name": "ca"}]}),
     "must not contain both CACertificateRefs and WellKnownCACertificates"),
    ("btp-ca-one-of", btp({"hostname": "h.example", "wellKnownCACertificates": "System", "caCertificateRefs": []}),
     btp({"hostname": "h.example", "caCertificateRefs": []}),
     "must specify either CACertificateRefs or WellKnownCACertificates"),
    ("btp-ca-refs-8", btp({"hostname": "h.example", "caCertificateRefs": ca_refs(8)}),
     btp({"hostname": "h.example", "caCertificateRefs": ca_refs(9)}),
     "at most 8 items"),
    ("btp-wellknown-pattern", btp({"hostname": "h.example", "wellKnownCACertificates": "example.com/bundle"}),
     btp({"hostname": "h.example", "wellKnownCACertificates": "system"}), "WellKnownCACertificatesType pattern"),
    ("btp-sans-5", btp({"hostname": "h.example", "wellKnownCACertificates": "System",
                        "subjectAltNames": [{"type": "Hostname", "hostname": f"h{i}.example"} for i in range(5)]}),
     btp({"hostname": "h.example", "wellKnownCACertificates": "System",
          "subjectAltNames": [{"type": "Hostname", "hostname": f"h{i}.example"} for i in range(6)]}), "at most 5 items"),
    ("san-hostname-required", san(type="Hostname", hostname="*.svc.example"), san(type="Hostname"),
     "SubjectAltName element must contain Hostname, if Type is set to Hostname"),
    ("san-hostname-only-for-hostname", san(type="URI", uri="spiffe://td/ns/a"),
     san(type="URI", uri="spiffe://td/ns/a", hostname="a.example"),
     "SubjectAltName element must not contain Hostname, if Type is not set to Hostname"),
    ("san-uri-required", san(type="URI", uri="https://a.example/x"), san(type="URI"),
     "SubjectAltName element must contain URI, if Type is set to URI"),
    ("san-uri-only-for-uri", san(type="Hostname", hostname="a.example"),
     san(type="Hostname", hostname="a.example", uri="spiffe://td/ns/a"),
     "SubjectAltName element must not contain URI, if Type is not set to URI"),
    ("san-uri-pattern", san(type="URI", uri="spiffe://td"), san(type="URI", uri="spiffe:td"), "AbsoluteURI pattern"),
    ("san-type-enum", san(type="URI", uri="spiffe://td"), san(type="IPAddress", uri="spiffe://td"), "'Hostname' or 'URI'"),
    ("btp-options-16", btp(options={f"example.com/o{i}": "v" for i in range(16)}),
     btp(options={f"example.com/o{i}": "v" for i in range(17)}), "at most 16 items"),
]


@pytest.mark.parametrize(("valid", "invalid", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(valid: dict[str, Any], invalid: dict[str, Any], message: str) -> None:
    validate_object(valid)  # the near miss / valid boundary builds
    with pytest.raises(ValidationError) as err:
        validate_object(invalid)
    assert message in str(err.value)


def test_case_ids_are_unique() -> None:
    assert len({c[0] for c in CASES}) == len(CASES)


# --------------------------------------------------------------------------- coverage of the CRDs
@functools.cache
def crd_v1_schemas() -> dict[str, dict[str, Any]]:
    """The v1 schema of each kind we emit (read once; callers do not mutate it)."""
    out = {}
    for f in sorted(CRD_DIR.glob("*.yaml")):
        crd = yaml.load(f.read_text(), Loader=yaml.CSafeLoader)
        if crd["spec"]["names"]["kind"] in OUR_KINDS:
            v1 = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
            out[crd["spec"]["names"]["kind"]] = v1["schema"]["openAPIV3Schema"]
    return out


def schema_nodes(s: dict[str, Any], path: str = "") -> Any:
    yield path, s
    for k, sub in s.get("properties", {}).items():
        yield from schema_nodes(sub, f"{path}.{k}")
    for k, mark in (("items", "[]"), ("additionalProperties", "{}")):
        if isinstance(s.get(k), dict):
            yield from schema_nodes(s[k], path + mark)


# CEL rules that no case can trigger, and why.
CEL_NOT_TRIGGERED = {
    "Value is immutable": "transition rule (oldSelf): needs the stored object, runs on update only",
    "type must be one of ['Exact', 'PathPrefix', 'RegularExpression']": "the enum (Literal) rejects other types first",
    "Hostnames must be valid based on RFC-1123": "implied by the Hostname item pattern, which fails first",
    "Wildcards on hostnames must be the first label, and the rest of hostname must be valid based on RFC-1123":
        "implied by the Hostname item pattern, which fails first",
}


def test_every_cel_rule_of_our_kinds_is_triggered_by_a_case() -> None:
    """Every x-kubernetes-validations message of the eight CRDs (outside status) is the error of
    some rule case above, unless listed in CEL_NOT_TRIGGERED with the reason."""
    produced = []
    for _, _, invalid, _ in CASES:
        try:
            validate_object(invalid)
        except ValidationError as e:
            produced.append(str(e))
    text = "\n".join(produced)
    messages = {r["message"] for s in crd_v1_schemas().values() for path, node in schema_nodes(s)
                if not path.startswith(".status") for r in node.get("x-kubernetes-validations", [])}
    assert len(messages) > 60
    missing = sorted(m for m in messages if m not in text and m not in CEL_NOT_TRIGGERED)
    assert missing == []
    assert set(CEL_NOT_TRIGGERED) <= messages  # the exemptions are real rule texts


def test_crd_patterns_are_copied_verbatim() -> None:
    patterns = {node["pattern"] for s in crd_v1_schemas().values() for _, node in schema_nodes(s) if "pattern" in node}
    assert patterns == set(gw.CRD_PATTERNS.values())


# Places where the model is deliberately stricter than the CRD schema (see the module docstring).
STRICTER_SCHEMA = {
    ("cors.maxAge", "maximum"), ("fraction.numerator", "maximum"), ("fraction.denominator", "maximum"),
    ("remove[]", "minLength"), ("remove[]", "maxLength"),
}
LIMITS = ("maxItems", "minItems", "maxLength", "minLength", "minimum", "maximum", "maxProperties")


def _resolve(m: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while True:
        if "$ref" in m:
            m = {**defs[m["$ref"].split("/")[-1]], **{k: v for k, v in m.items() if k != "$ref"}}
        elif "anyOf" in m and len(alts := [a for a in m["anyOf"] if a.get("type") != "null"]) == 1:
            m = {**alts[0], **{k: v for k, v in m.items() if k not in ("anyOf", "default")}}
        else:
            return m


def _schema_diff(c: dict[str, Any], m: dict[str, Any], defs: dict[str, Any], path: str, out: list[str]) -> None:
    m = _resolve(m, defs)
    for k in LIMITS:
        if k in c and m.get(k) != c[k]:
            out.append(f"{path}: {k} CRD {c[k]} model {m.get(k)}")
        elif k not in c and k in m and not any(path.endswith(p) and k == key for p, key in STRICTER_SCHEMA):
            out.append(f"{path}: {k} only in the model ({m[k]})")
    if "enum" in c:
        enum = m.get("enum") or ([m["const"]] if "const" in m else None)
        if enum is None or set(enum) != set(c["enum"]):
            out.append(f"{path}: enum CRD {c['enum']} model {enum}")
    if c.get("type") == "object" and "properties" in c:
        crd_props = set(c["properties"]) - ({"status"} if path == "" else set())
        model_props = set(m.get("properties", {}))
        if crd_props != model_props:
            out.append(f"{path}: properties only in CRD {crd_props - model_props}, only in model {model_props - crd_props}")
        # metadata is required by the model (ing2gw always names its objects)
        crd_req = set(c.get("required", [])) | ({"metadata"} if path == "" else set())
        if crd_req != set(m.get("required", [])):
            out.append(f"{path}: required CRD {sorted(crd_req)} model {sorted(m.get('required', []))}")
        for k in crd_props & model_props - ({"metadata"} if path == "" else set()):
            _schema_diff(c["properties"][k], m["properties"][k], defs, f"{path}.{k}", out)
    elif c.get("type") == "object" and isinstance(c.get("additionalProperties"), dict):
        _schema_diff(c["additionalProperties"], m.get("additionalProperties", {}), defs, path + "{}", out)
    elif c.get("type") == "array":
        _schema_diff(c["items"], m.get("items", {}), defs, path + "[]", out)
    elif c.get("type") in ("string", "integer", "boolean"):
        python = {"string": str, "integer": int, "boolean": bool}[c["type"]]
        values = m.get("enum") or ([m["const"]] if "const" in m else [])
        if m.get("type") != c["type"] and not (values and all(type(v) is python for v in values)):
            out.append(f"{path}: type CRD {c['type']} model {m}")


@pytest.mark.parametrize("kind", sorted(OUR_KINDS))
def test_model_structure_matches_crd(kind: str) -> None:
    """Same fields, required fields, enums and limits as the v1 schema of the CRD (patterns are
    checked above, CEL rules by the cases)."""
    model = gw.KINDS[kind].model_json_schema(by_alias=True)
    out: list[str] = []
    _schema_diff(crd_v1_schemas()[kind], model, model.get("$defs", {}), "", out)
    assert out == []


def test_referencegrant_v1_is_served() -> None:
    crd = yaml.safe_load((CRD_DIR / "gateway.networking.k8s.io_referencegrants.yaml").read_text())
    served = {v["name"] for v in crd["spec"]["versions"] if v["served"]}
    assert "v1" in served and ReferenceGrant.model_fields["api_version"].default == V1


# --------------------------------------------------------------------------- shared example files
def load_objects(path: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for doc in yaml.safe_load_all(path.read_text()):
        out += doc["items"] if doc.get("kind") == "List" else [doc]
    return out


def example_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.yaml")) if folder.is_dir() else []


# valid/ files the model rejects on purpose, with the text of the reason
VALID_BUT_REJECTED = {
    "gateway-status-ignored.yaml": "Extra inputs are not permitted",  # status: never emitted, not modelled
    "httproute-unknown-field-pruned.yaml": "Extra inputs are not permitted",  # an emitter bug, not pruned silently
    "httproute-ip-hostname.yaml": "is an IP address",  # forbidden by the spec, not by the CRD
    "httproute-v1beta1.yaml": "Input should be 'gateway.networking.k8s.io/v1'",  # we emit v1 only
}


def emitted_kind_files(folder: Path) -> list[Path]:
    """The example files holding a kind ing2gw emits (tests/test_gwvalidate.py checks them all)."""
    return [p for p in example_files(folder) if {o["kind"] for o in load_objects(p)} & OUR_KINDS]


def test_valid_examples_of_other_kinds_are_only_tcproute() -> None:
    others = set(example_files(SELFTEST / "valid")) - set(emitted_kind_files(SELFTEST / "valid"))
    assert sorted(o["kind"] for p in others for o in load_objects(p)) == ["TCPRoute"]


@pytest.mark.parametrize("path", emitted_kind_files(SELFTEST / "valid"), ids=lambda p: p.name)
def test_selftest_valid_files(path: Path) -> None:
    objs = load_objects(path)
    for o in objs:
        if path.name in VALID_BUT_REJECTED:
            with pytest.raises(ValidationError, match=VALID_BUT_REJECTED[path.name]):
                validate_object(o)
        else:
            validate_object(o)


@pytest.mark.parametrize("path", example_files(SELFTEST / "invalid") + example_files(INVALID_EXAMPLES),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_invalid_files_are_rejected(path: Path) -> None:
    objs = load_objects(path)
    # gwapi-unknown-kind.yaml has kind HTTPRoutes: rejected as an unknown kind
    assert all(o["kind"] in OUR_KINDS or o["kind"].rstrip("s") in OUR_KINDS for o in objs)
    for o in objs:
        with pytest.raises(ValidationError):
            validate_object(o)


# --------------------------------------------------------------------------- conventions
def _route() -> HTTPRoute:
    return HTTPRoute(
        metadata=ObjectMeta(name="shop", namespace="apps"),
        spec=HTTPRouteSpec(parent_refs=[ParentReference(name="gw", namespace="infra", section_name="https")],
                           rules=[HTTPRouteRule(backend_refs=[HTTPBackendRef(name="svc", port=8080)])]),
    )


def test_to_dict_order_aliases_and_omission() -> None:
    d = _route().to_dict()
    assert list(d) == ["apiVersion", "kind", "metadata", "spec"]
    assert d == {"apiVersion": V1, "kind": "HTTPRoute", "metadata": {"name": "shop", "namespace": "apps"},
                 "spec": {"parentRefs": [{"namespace": "infra", "name": "gw", "sectionName": "https"}],
                          "rules": [{"backendRefs": [{"name": "svc", "port": 8080}]}]}}
    assert list(d["spec"]["parentRefs"][0]) == ["namespace", "name", "sectionName"]  # Go field order


def test_snake_case_and_aliases_build_the_same_object() -> None:
    by_alias = validate_object(_route().to_dict())
    assert by_alias == _route()
    policy = BackendTLSPolicySpec(
        target_refs=[gw.LocalPolicyTargetReferenceWithSectionName(group="", kind="Service", name="s")],
        validation=BackendTLSPolicyValidation(hostname="s.example", well_known_ca_certificates="System"))
    assert policy.to_dict()["validation"] == {"wellKnownCACertificates": "System", "hostname": "s.example"}
    by_name = gw.ReferenceGrantSpec.model_validate({"from_": [FROM], "to": [TO]})
    assert by_name == gw.ReferenceGrantSpec.model_validate({"from": [FROM], "to": [TO]})
    assert by_name.to_dict() == {"from": [FROM], "to": [TO]}
    assert HTTPBackendRef.model_validate({"name": "s", "port": 1, "filters": []}) == HTTPBackendRef(name="s", port=1, filters=())


def test_defaults_are_not_emitted() -> None:
    listener = Listener(name="https", port=443, protocol="HTTPS",
                        tls=GatewayTLSConfig(certificate_refs=[gw.SecretObjectReference(name="c")]))
    assert listener.to_dict() == {"name": "https", "port": 443, "protocol": "HTTPS",
                                  "tls": {"certificateRefs": [{"name": "c"}]}}
    assert HTTPBackendRef(name="s", port=1).to_dict() == {"name": "s", "port": 1}
    explicit = HTTPBackendRef(name="s", port=1, weight=1, kind="Service", group="")
    assert explicit.to_dict() == {"group": "", "kind": "Service", "name": "s", "port": 1, "weight": 1}


def test_models_are_frozen_and_lists_are_tuples() -> None:
    route = _route()
    with pytest.raises(ValidationError, match="frozen"):
        setattr(route, "spec", HTTPRouteSpec())  # noqa: B010 (frozen for the type checker too)
    assert isinstance(route.spec.rules, tuple)


def test_model_copy_and_construct_validate() -> None:
    rule = HTTPRouteRule(backend_refs=[HTTPBackendRef(name="s", port=1)])
    assert rule.model_copy(update={"name": "ok"}).name == "ok"
    assert rule.model_copy(update={"backendRefs": [HTTPBackendRef(name="t", port=2)]}).backend_refs == (
        HTTPBackendRef(name="t", port=2),)
    with pytest.raises(ValidationError, match="at most 16 items"):
        rule.model_copy(update={"backend_refs": [HTTPBackendRef(name=f"s{i}", port=1) for i in range(17)]})
    with pytest.raises(ValidationError, match="RequestRedirect filter must not be used together with backendRefs"):
        rule.model_copy(update={"filters": [flt("RequestRedirect")]})
    with pytest.raises(ValidationError, match="Must have port for Service reference"):
        HTTPBackendRef.model_construct(name="s")
    with pytest.raises(ValidationError, match="should be a list, not a set: its order is not deterministic"):
        HTTPRouteSpec.model_validate({"hostnames": {"a.example"}})  # unordered input: no deterministic output


def test_to_dict_revalidates_mutated_mappings() -> None:
    route = _route().model_copy(update={"metadata": ObjectMeta(name="shop", labels={"a": "b"})})
    assert route.metadata.labels is not None
    route.metadata.labels["bad key"] = "x"  # dicts cannot be frozen; to_dict still refuses
    with pytest.raises(ValidationError, match="not a qualified name"):
        route.to_dict()


def test_validate_object_picks_the_model_by_kind() -> None:
    for kind, cls in gw.KINDS.items():
        assert cls.model_fields["kind"].default == kind
    assert isinstance(validate_object(gwy()), Gateway)
    assert isinstance(validate_object(gwc()), GatewayClass)
    with pytest.raises(ValidationError):
        validate_object({"apiVersion": V1, "metadata": {"name": "x"}, "spec": {}})
    assert GATEWAY_API_GROUP == "gateway.networking.k8s.io"


# --------------------------------------------------------------------------- the independent validator
@functools.cache
def validator() -> Validator:
    """tests/gwvalidate with the standard Gateway API CRDs (what ing2gw emits)."""
    return Validator(Registry([STANDARD_CRDS]))


def run_validator(*paths: Path) -> tuple[int, dict[str, Any]]:
    """(exit status, {"findings": [...], "summary": {"objects": n}}) of the validator on these files."""
    report = validator().validate_files(list(paths))
    assert report.input_errors == []
    findings = [r.as_dict() for r in report.records if r.finding.severity != "note"]
    return (0 if report.ok() else 1), {"findings": findings, "summary": {"objects": report.objects}}


def test_every_valid_case_passes_the_validator() -> None:
    """The near misses that the models build are accepted by the API server too (no error, no
    unevaluated rule): the models are never stricter than they mean to be."""
    problems = {cid: [f.line() for f in validator().validate_object(valid) if f.severity in ("error", "unevaluated")]
                for cid, valid, _, _ in CASES}
    assert {cid: p for cid, p in problems.items() if p} == {}


# Rule cases the API server accepts although the model rejects them, and why (see the module
# docstring of ing2gw/model/gateway.py, "Stricter than the CRDs on purpose").
_API_SERVER_TOLERATES = "the API server ignores or prunes it (a warning of the validator); ing2gw never emits it"
_SPEC_ONLY = "forbidden by the Gateway API spec text, not checked by the CRD"
MODEL_ONLY = {
    "gatewayclass-cluster-scoped": _API_SERVER_TOLERATES, "extra-field-forbidden": _API_SERVER_TOLERATES,
    "status-not-modelled": _API_SERVER_TOLERATES, "tlsroute-backendrefs-no-filters": _API_SERVER_TOLERATES,
    "api-version-v1-only": "v1beta1 is still served; ing2gw emits v1 only",
    "listener-hostname-no-ip": _SPEC_ONLY, "httproute-hostname-no-ip": _SPEC_ONLY, "grpc-hostname-no-ip": _SPEC_ONLY,
    "redirect-hostname-no-ip": _SPEC_ONLY,
    "httproute-header-names-unique-case-insensitive": "header names are case-insensitive; the list-map key is not",
    "grpc-headers-unique": "header names are case-insensitive; the list-map key is not",
    "cors-expose-headers-unique": "header names are case-insensitive; the list-map key is not",
    "header-modifier-set-unique": "header names are case-insensitive; the list-map key is not",
    "header-modifier-one-action": _SPEC_ONLY, "header-modifier-remove-name": "remove has no item schema in the CRD",
    "rule-name-unique": "the CEL rule exists only in the Experimental CRD",
    "backend-rewrite-prefix-two-backends": "the CRD rule uses exists_one, so two such backendRefs slip through",
    "allowedroutes-selector-required": "label selectors are free strings in the CRD",
    "selector-operator": "label selectors are free strings in the CRD",
    "selector-in-needs-values": "label selectors are free strings in the CRD",
    "selector-exists-no-values": "label selectors are free strings in the CRD",
    "selector-label-value": "label selectors are free strings in the CRD",
    "listener-tls-option-key": "a CRD cannot check map keys (Go type AnnotationKey)",
    "allowedlisteners-extra-field": _API_SERVER_TOLERATES, "listenerset-status-not-modelled": _API_SERVER_TOLERATES,
    "allowedlisteners-selector-required": "label selectors are free strings in the CRD",
    "allowedlisteners-selector-checked": "label selectors are free strings in the CRD",
    "listenerset-parent-is-a-gateway": _SPEC_ONLY, "listenerset-hostname-no-ip": _SPEC_ONLY,
}


def test_invalid_cases_are_rejected_by_the_validator_unless_the_model_is_stricter() -> None:
    accepted = {cid for cid, _, invalid, _ in CASES
                if not any(f.severity == "error" for f in validator().validate_object(invalid))}
    assert accepted == set(MODEL_ONLY)


def test_every_cel_rule_of_our_kinds_is_reported_by_the_validator() -> None:
    """The validator, on the invalid rule cases, reports every CEL rule message of the seven
    CRDs, except the exemptions above (for the validator too, the enum error blocks the CEL
    rules, and transition rules do not run on create)."""
    text = "\n".join(f.message for _, _, invalid, _ in CASES for f in validator().validate_object(invalid))
    messages = {r["message"] for s in crd_v1_schemas().values() for path, node in schema_nodes(s)
                if not path.startswith(".status") for r in node.get("x-kubernetes-validations", [])}
    missing = sorted(m for m in messages if m not in text)
    assert missing == sorted({"Value is immutable", "type must be one of ['Exact', 'PathPrefix', 'RegularExpression']",
                              "Hostnames must be valid based on RFC-1123"})


def full_objects() -> list[gw.GwModel]:
    """One object of each kind, built from snake_case names, using (nearly) every field."""
    meta = ObjectMeta(name="shop", namespace="apps", labels={"app.kubernetes.io/name": "shop"},
                      annotations={"ing2gw.io/source": "ingress/apps/shop"})
    backend = {"name": "api", "port": 8080}
    mirror = {"backend_ref": {"name": "mirror", "port": 80}, "fraction": {"numerator": 1, "denominator": 10}}
    headers = {"set": [{"name": "X-A", "value": "1"}], "add": [{"name": "X-B", "value": "2"}], "remove": ["X-C"]}
    api_rule = HTTPRouteRule.model_validate({
        "name": "api",
        "matches": [{"path": {"type": "PathPrefix", "value": "/api"},
                     "headers": [{"name": "X-Env", "value": "canary"},
                                 {"type": "RegularExpression", "name": "X-User", "value": "^a.*"}],
                     "query_params": [{"name": "debug", "value": "1"}], "method": "GET"}],
        "filters": [
            {"type": "RequestHeaderModifier", "request_header_modifier": headers},
            {"type": "ResponseHeaderModifier", "response_header_modifier": headers},
            {"type": "RequestMirror", "request_mirror": mirror},
            {"type": "URLRewrite", "url_rewrite": {"hostname": "api.internal",
                                                   "path": {"type": "ReplacePrefixMatch", "replace_prefix_match": "/"}}},
            {"type": "CORS", "cors": {"allow_origins": ["https://shop.example.com"], "allow_credentials": True,
                                      "allow_methods": ["GET", "POST"], "allow_headers": ["X-Custom"],
                                      "expose_headers": ["X-Id"], "max_age": 600}},
            {"type": "ExtensionRef", "extension_ref": {"group": "example.com", "kind": "Thing", "name": "t"}},
        ],
        "backend_refs": [{**backend, "weight": 90},
                         {"name": "api-v2", "port": 8080, "weight": 10,
                          "filters": [{"type": "RequestHeaderModifier", "request_header_modifier": headers}]}],
        "timeouts": {"request": "10s", "backend_request": "2s"}})
    redirect_rule = HTTPRouteRule.model_validate({
        "matches": [{"path": {"type": "Exact", "value": "/old"}}],
        "filters": [{"type": "RequestRedirect", "request_redirect": {
            "scheme": "https", "hostname": "new.example.com", "port": 443, "status_code": 301,
            "path": {"type": "ReplaceFullPath", "replace_full_path": "/new"}}}]})
    route = HTTPRoute(metadata=meta, spec=HTTPRouteSpec(
        parent_refs=[ParentReference(name="gw", namespace="infra", section_name="http"),
                     ParentReference(name="gw", namespace="infra", section_name="https", port=443)],
        hostnames=["shop.example.com", "*.shop.example.com"],
        rules=[api_rule, redirect_rule]))
    gateway = Gateway.model_validate({"metadata": {"name": "gw", "namespace": "infra"}, "spec": {
        "gateway_class_name": "example",
        "listeners": [
            Listener.model_validate({"name": "http", "port": 80, "protocol": "HTTP", "hostname": "shop.example.com",
                                     "allowed_routes": {"namespaces": {"from_": "Selector",
                                                                       "selector": {"match_labels": {"team": "shop"}}}}}),
            Listener(name="https", port=443, protocol="HTTPS", hostname="shop.example.com",
                     tls=GatewayTLSConfig(mode="Terminate",
                                          certificate_refs=[gw.SecretObjectReference(name="shop-tls", namespace="infra")]),
                     allowed_routes=gw.AllowedRoutes(namespaces=gw.RouteNamespaces(from_="Same"),
                                                     kinds=[gw.RouteGroupKind(kind="HTTPRoute")])),
            Listener(name="tls", port=443, protocol="TLS", hostname="db.example.com",
                     tls=GatewayTLSConfig(mode="Passthrough"),
                     allowed_routes=gw.AllowedRoutes(kinds=[gw.RouteGroupKind(kind="TLSRoute")])),
        ],
        "addresses": [{"value": "192.0.2.1"}, {"type": "Hostname", "value": "lb.example.com"}],
        "infrastructure": {"labels": {"team": "platform"}, "annotations": {"example.com/lb": "nlb"}},
        "allowed_listeners": {"namespaces": {"from_": "Same"}},
        "tls": {"frontend": {"default": {"validation": {"ca_certificate_refs": [
            {"group": "", "kind": "ConfigMap", "name": "client-ca"}]}}}}}})
    grpc_route = GRPCRoute.model_validate({"metadata": meta, "spec": {
        "parent_refs": [{"name": "gw", "namespace": "infra"}], "hostnames": ["grpc.example.com"],
        "rules": [{"matches": [{"method": {"service": "shop.v1.Cart", "method": "Add"},
                                "headers": [{"name": "x-tenant", "value": "a"}]}],
                   "filters": [{"type": "RequestMirror", "request_mirror": {"backend_ref": backend, "percent": 5}}],
                   "backend_refs": [{**backend, "filters": [{"type": "ResponseHeaderModifier",
                                                             "response_header_modifier": {"remove": ["x-debug"]}}]}]}]}})
    tls_route = TLSRoute.model_validate({"metadata": meta, "spec": {
        "parent_refs": [{"name": "gw", "namespace": "infra", "section_name": "tls"}], "hostnames": ["db.example.com"],
        "rules": [{"backend_refs": [{"name": "db", "port": 5432, "weight": 1}]}]}})
    grant = ReferenceGrant.model_validate({"metadata": {"name": "from-infra", "namespace": "apps"}, "spec": {
        "from_": [{"group": GATEWAY_API_GROUP, "kind": "Gateway", "namespace": "infra"}],
        "to": [{"group": "", "kind": "Secret", "name": "shop-tls"}]}})
    policy = BackendTLSPolicy.model_validate({"metadata": meta, "spec": {
        "target_refs": [{"group": "", "kind": "Service", "name": "api", "section_name": "https"}],
        "validation": {"ca_certificate_refs": [{"group": "", "kind": "ConfigMap", "name": "ca"}], "hostname": "api.internal",
                       "subject_alt_names": [{"type": "Hostname", "hostname": "api.internal"},
                                             {"type": "URI", "uri": "spiffe://cluster.local/ns/apps/sa/api"}]},
        "options": {"example.com/min-version": "1.3"}}})
    listener_set = gw.ListenerSet.model_validate({"metadata": {"name": "shop", "namespace": "apps"}, "spec": {
        "parent_ref": {"group": GATEWAY_API_GROUP, "kind": "Gateway", "name": "gw", "namespace": "infra"},
        "listeners": [
            {"name": "http", "port": 80, "protocol": "HTTP", "hostname": "shop.example.com"},
            {"name": "https", "port": 443, "protocol": "HTTPS", "hostname": "shop.example.com",
             "tls": {"mode": "Terminate", "certificate_refs": [{"name": "shop-tls"}], "options": {"example.com/x": "1"}},
             "allowed_routes": {"namespaces": {"from_": "Selector", "selector": {"match_expressions": [
                 {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["apps", "web"]}]}},
                 "kinds": [{"group": GATEWAY_API_GROUP, "kind": "HTTPRoute"}]}},
            {"name": "tls", "port": 443, "protocol": "TLS", "hostname": "db.example.com",
             "tls": {"mode": "Passthrough"}}]}})
    gclass = GatewayClass(metadata=ObjectMeta(name="example"), spec=GatewayClassSpec(
        controller_name="example.com/gateway-controller", description="ing2gw test",
        parameters_ref=gw.ParametersReference(group="example.com", kind="Config", name="c", namespace="infra")))
    return [route, gateway, listener_set, grpc_route, tls_route, grant, policy, gclass]


def test_full_objects_pass_the_validator(tmp_path: Path) -> None:
    objs = full_objects()
    assert {o.to_dict()["kind"] for o in objs} == OUR_KINDS
    for i, o in enumerate(objs):
        (tmp_path / f"{i}.yaml").write_text(yaml.safe_dump(o.to_dict(), sort_keys=False))
    rc, report = run_validator(tmp_path)
    assert report["findings"] == []  # no errors, no "unknown field pruned" or other warnings
    assert rc == 0 and report["summary"]["objects"] == len(objs)


# --------------------------------------------------------------------------- random HTTPRoutes
# A valid route is drawn, then most of the time exactly one fault is injected, so "the
# validator rejects it too" pins down each check. Names are lower case and distinct where the
# model is stricter than the CRD (case-insensitive header names, one action per header, unique
# rule names) and hostnames always contain a letter (no IPs): for these routes "the model
# rejects" must mean "the API server rejects".
HEADER_NAMES = ["x-a", "x-b", "x-c", "x-d", "x-e", "accept"]
SEGMENTS = ["a", "b1", "api", "v1", "%20", "~x", "c:d", "e@f", ".well-known", "..x", "a.b"]
_label = st.text("abcdefghij-0123", min_size=1, max_size=8).filter(
    lambda s: s[0] != "-" and s[-1] != "-" and not s.isdigit())
_host = st.builds(lambda labels, wild: ("*." if wild else "") + ".".join(labels + ["example"]),
                  st.lists(_label, min_size=1, max_size=3), st.booleans())
_precise_host = st.builds(lambda labels: ".".join(labels + ["example"]), st.lists(_label, min_size=1, max_size=3))
_path = st.builds(lambda segs: "/" + "/".join(segs), st.lists(st.sampled_from(SEGMENTS), max_size=4))
DURATIONS = ["1ms", "500ms", "1s", "2s", "10s", "1m", "1h30m"]  # increasing


@st.composite
def _header_filter(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(HEADER_NAMES), unique=True, max_size=5))
    cut1, cut2 = sorted(draw(st.tuples(st.integers(0, len(names)), st.integers(0, len(names)))))
    out: dict[str, Any] = {}
    if names[:cut1]:
        out["set"] = [{"name": n, "value": "v"} for n in names[:cut1]]
    if names[cut1:cut2]:
        out["add"] = [{"name": n, "value": "1"} for n in names[cut1:cut2]]
    if names[cut2:]:
        out["remove"] = names[cut2:]
    return out


@st.composite
def _filter(draw: st.DrawFn, ftype: str, prefix_ok: bool) -> dict[str, Any]:
    cfg: dict[str, Any]
    if ftype in ("RequestHeaderModifier", "ResponseHeaderModifier"):
        cfg = draw(_header_filter())
    elif ftype == "RequestMirror":
        cfg = {"backendRef": {"name": "mirror", "port": 80}}
        cfg |= draw(st.sampled_from([{}, {"percent": 50}, {"fraction": {"numerator": 1, "denominator": 3}},
                                     {"fraction": {"numerator": 100}}]))
    elif ftype in ("RequestRedirect", "URLRewrite"):
        cfg = {"hostname": draw(_precise_host)} if draw(st.booleans()) else {}
        paths = [None, {"type": "ReplaceFullPath", "replaceFullPath": "/x"}]
        paths += [{"type": "ReplacePrefixMatch", "replacePrefixMatch": "/p"}] if prefix_ok else []
        if (p := draw(st.sampled_from(paths))) is not None:
            cfg["path"] = p
        if ftype == "RequestRedirect":
            cfg |= draw(st.sampled_from([{}, {"scheme": "https", "statusCode": 301}, {"port": 8443}]))
    elif ftype == "CORS":
        cfg = {"allowOrigins": draw(st.sampled_from([["*"], ["https://a.example"], ["http://*.a.example:8080"]])),
               "allowMethods": draw(st.sampled_from([["GET"], ["*"], ["GET", "POST"]])),
               "allowHeaders": draw(st.lists(st.sampled_from(HEADER_NAMES), unique=True, max_size=2))}
    else:
        cfg = {"group": "example.com", "kind": "Thing", "name": "t"}
    return {"type": ftype, FILTER_FIELD[ftype]: cfg}


@st.composite
def _rule(draw: st.DrawFn, index: int) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f"rule-{index}"} if draw(st.booleans()) else {}
    if draw(st.booleans()):
        matches = []
        for _ in range(draw(st.integers(1, 3))):
            m: dict[str, Any] = {}
            if draw(st.booleans()):
                m["path"] = {"type": draw(st.sampled_from(["Exact", "PathPrefix", "RegularExpression"])), "value": draw(_path)}
            if draw(st.booleans()):
                m["headers"] = [{"name": n, "value": "v"}
                                for n in draw(st.lists(st.sampled_from(HEADER_NAMES), unique=True, max_size=2))]
            if draw(st.booleans()):
                m["queryParams"] = [{"name": "Q", "value": "1"}, {"name": "q", "value": "2"}]  # case-sensitive
            if draw(st.booleans()):
                m["method"] = draw(st.sampled_from(["GET", "POST"]))
            matches.append(m)
        out["matches"] = matches
    ms = out.get("matches")
    prefix_ok = ms is None or (len(ms) == 1 and ms[0].get("path", {}).get("type", "PathPrefix") == "PathPrefix")
    backends = [{"name": f"svc-{i}", "port": 80, **draw(st.sampled_from([{}, {"weight": 3}, {"weight": 0}]))}
                for i in range(draw(st.integers(0, 3)))]
    types = draw(st.lists(st.sampled_from(["RequestHeaderModifier", "ResponseHeaderModifier", "URLRewrite", "CORS"]),
                          unique=True, max_size=3))
    types += draw(st.lists(st.sampled_from(["RequestMirror", "ExtensionRef"]), max_size=2))
    if not backends and draw(st.booleans()):
        types = [t for t in types if t != "URLRewrite"] + ["RequestRedirect"]
    if types:
        out["filters"] = [draw(_filter(t, prefix_ok)) for t in types]
    if backends:
        if draw(st.integers(0, 3)) == 0:
            backends[0]["filters"] = [draw(_filter(draw(st.sampled_from(["RequestHeaderModifier", "URLRewrite"])),
                                                   prefix_ok))]
        out["backendRefs"] = backends
    if draw(st.booleans()):
        lo, hi = sorted(draw(st.tuples(st.sampled_from(DURATIONS), st.sampled_from(DURATIONS))), key=DURATIONS.index)
        out["timeouts"] = draw(st.sampled_from([{"request": hi, "backendRequest": lo}, {"request": hi},
                                                {"request": "0s", "backendRequest": hi}]))
    return out


def _first_rule(route: dict[str, Any]) -> dict[str, Any]:
    rules = route["spec"].setdefault("rules", [{}])
    return rules[0]  # type: ignore[no-any-return]


def _break_path(r: dict[str, Any], bad: str) -> None:
    r["matches"] = [{"path": {"type": "PathPrefix", "value": bad}}]
    r.pop("filters", None)


# One fault each; every one of them is an error for the API server.
FAULTS: dict[str, Callable[[dict[str, Any]], None]] = {
    **{f"path {bad!r}": (lambda b: lambda route: _break_path(_first_rule(route), b))(bad)
       for bad in ["/a//b", "/a/./b", "/a/../b", "/a%2fb", "/a%2Fb", "/a#b", "/a/..", "/a/.", "a/b", "/a b", "/a%zz"]},
    "17 rules": lambda route: route["spec"].__setitem__("rules", [{} for _ in range(17)]),
    "65 matches": lambda route: _first_rule(route).__setitem__("matches", [{} for _ in range(65)]),
    "129 matches": lambda route: route["spec"].__setitem__("rules", [{"matches": [{}] * 64}, {"matches": [{}] * 64}, {}]),
    "17 backendRefs": lambda route: _first_rule(route).__setitem__("backendRefs", [BACKEND] * 17),
    "17 hostnames": lambda route: route["spec"].__setitem__("hostnames", [f"h{i}.example" for i in range(17)]),
    "upper-case hostname": lambda route: route["spec"].__setitem__("hostnames", ["Shop.example"]),
    "backendRef without port": lambda route: _first_rule(route).__setitem__("backendRefs", [{"name": "svc"}]),
    "weight 1000001": lambda route: _first_rule(route).__setitem__("backendRefs", [{**BACKEND, "weight": 1_000_001}]),
    "redirect with backendRefs": lambda route: _first_rule(route).update(
        filters=[flt("RequestRedirect")], backendRefs=[BACKEND]),
    "redirect and rewrite": lambda route: _first_rule(route).update(
        filters=[flt("RequestRedirect"), flt("URLRewrite")], backendRefs=[]),
    "two CORS filters": lambda route: _first_rule(route).update(filters=[flt("CORS"), flt("CORS")]),
    "two header modifiers": lambda route: _first_rule(route).update(
        filters=[flt("RequestHeaderModifier"), flt("RequestHeaderModifier")]),
    "filter type mismatch": lambda route: _first_rule(route).update(filters=[{"type": "CORS", "urlRewrite": {}}]),
    "prefix rewrite with Exact match": lambda route: _first_rule(route).update(
        matches=[exact("/a")], filters=[prefix_rewrite()]),
    "backend prefix rewrite with two matches": lambda route: _first_rule(route).update(
        matches=[prefix("/a"), prefix("/b")], filters=[], backendRefs=[{**BACKEND, "filters": [prefix_rewrite()]}]),
    "path modifier mismatch": lambda route: _first_rule(route).update(
        filters=[flt("URLRewrite", {"path": {"type": "ReplaceFullPath", "replacePrefixMatch": "/"}})]),
    "mirror percent and fraction": lambda route: _first_rule(route).update(
        filters=[flt("RequestMirror", {"backendRef": BACKEND, "percent": 1, "fraction": {"numerator": 1}})]),
    "mirror fraction above one": lambda route: _first_rule(route).update(
        filters=[flt("RequestMirror", {"backendRef": BACKEND, "fraction": {"numerator": 101}})]),
    "CORS star and origin": lambda route: _first_rule(route).update(
        filters=[flt("CORS", {"allowOrigins": ["*", "https://a.example"]})]),
    "backendRequest over request": lambda route: _first_rule(route).update(
        timeouts={"request": "1s", "backendRequest": "1001ms"}),
    "bad duration": lambda route: _first_rule(route).update(timeouts={"request": "1.5s"}),
    "duplicate header match": lambda route: _first_rule(route).update(
        matches=[{"headers": [{"name": "x-a", "value": "1"}, {"name": "x-a", "value": "2"}]}]),
    "duplicate parentRef": lambda route: route["spec"].__setitem__("parentRefs", [{"name": "gw"}, {"name": "gw"}]),
    "parentRef section missing": lambda route: route["spec"].__setitem__(
        "parentRefs", [{"name": "gw"}, {"name": "gw", "sectionName": "a"}]),
}


@st.composite
def random_httproute(draw: st.DrawFn) -> tuple[dict[str, Any], str | None]:
    """(route, name of the injected fault or None)."""
    spec: dict[str, Any] = {"parentRefs": [{"name": "gw", "namespace": "infra", "sectionName": s}
                                           for s in draw(st.lists(st.sampled_from(["http", "https"]), unique=True, max_size=2))]}
    if draw(st.booleans()):
        spec["hostnames"] = draw(st.lists(_host, max_size=3))
    if n := draw(st.integers(0, 4)):
        spec["rules"] = [draw(_rule(i)) for i in range(n)]
    route = obj("HTTPRoute", spec, name="random")
    fault = draw(st.sampled_from([None, None, *FAULTS]))
    if fault is not None:
        FAULTS[fault](route)
    return route, fault


def test_random_httproutes_agree_with_the_validator(tmp_path: Path) -> None:
    """Random HTTPRoutes: what the model builds, the validator accepts; what the model rejects,
    the validator rejects; an unbroken route is never rejected (one validator run for all)."""
    accepted, rejected = tmp_path / "accepted", tmp_path / "rejected"
    accepted.mkdir()
    rejected.mkdir()
    seen = [0]

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(case=random_httproute())
    def build(case: tuple[dict[str, Any], str | None]) -> None:
        route, fault = case
        seen[0] += 1
        try:
            data, folder = validate_object(route).to_dict(), accepted
        except ValidationError as e:
            assert fault is not None, f"an unbroken route was rejected: {e}\n{route}"
            data, folder = route, rejected
        assert (fault is None) == (folder is accepted), f"fault {fault!r} was not detected:\n{route}"
        (folder / f"{seen[0]}.yaml").write_text(f"# fault: {fault}\n" + yaml.safe_dump(data, sort_keys=False))

    build()
    # and every fault once on a fixed route, so each is checked on every run
    for i, (fault, breaks) in enumerate(FAULTS.items()):
        route = hr(rule(matches=[prefix("/a")], filters=[flt("CORS")]), parentRefs=[{"name": "gw"}])
        breaks(route)
        with pytest.raises(ValidationError):
            validate_object(route)
        (rejected / f"fault-{i}.yaml").write_text(f"# fault: {fault}\n" + yaml.safe_dump(route, sort_keys=False))
    n_ok, n_bad = len(list(accepted.iterdir())), len(list(rejected.iterdir()))
    assert n_ok >= 5 and n_bad >= 5, (n_ok, n_bad)
    _, report = run_validator(accepted, rejected)
    by_file: dict[str, list[str]] = {}
    for f in report["findings"]:
        key = f"{Path(f['file']).parent.name}/{Path(f['file']).name}"
        by_file.setdefault(key, []).append(f"{f['severity']}: {f['path']}: {f['message']}")
    wrongly_accepted = {k: v for k, v in by_file.items() if k.startswith("accepted/")}
    assert wrongly_accepted == {}, [(tmp_path / k).read_text() for k in wrongly_accepted]
    not_rejected = [p.name for p in sorted(rejected.iterdir())
                    if not any(x.startswith("error") for x in by_file.get(f"rejected/{p.name}", []))]
    assert not_rejected == [], [(rejected / n).read_text() for n in not_rejected]
