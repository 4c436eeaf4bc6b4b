"""The access probes of Traefik and HAProxy sources (what `probes._old_access` derives from
ingress-nginx's annotations, for the other controllers' own objects).

* Traefik: a forwardAuth Middleware (the modelled auth service's refusals, `simulate.oracle`),
  a buffering Middleware's maxRequestBodyBytes (a body of exactly the limit and one byte more),
  a TLSOption whose clientAuth requires a certificate (an HTTPS request without one), and an
  ipAllowList that reads X-Forwarded-For (ipStrategy depth or excludedIPs: the header from a
  peer outside the list, naming an address inside it and outside); on the hosts and first path
  of every IngressRoute route and Ingress that uses them (Middleware chains followed).
* HAProxy (haproxytech/kubernetes-ingress): the ConfigMap's client-ca (an HTTPS request without
  a certificate on every host of the input), and src-ip-header (`set-src hdr(NAME)`, believed
  from every peer) on hosts with allow or deny lists.

A probe is sent to both sides alike, so probing a host the policy does not cover costs a probe
and proves nothing wrong; what matters is that every host the policy covers is probed.
Deterministic; reads raw manifests only. `probes.access_probes` turns the `SourcePolicy` facts
into probes (this module does not import it).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from ing2gw.load import Manifest

_TRAEFIK_GROUPS = ("traefik.io", "traefik.containo.us")
_TRAEFIK_ANN = "traefik.ingress.kubernetes.io/"
#: clientAuthType values under which a client without a certificate is refused (crypto/tls)
_REQUIRE_CERT = ("RequireAnyClientCert", "RequireAndVerifyClientCert")
#: the prefixes under which the HAProxy controller reads an annotation (haproxy-semantics.md H-A2)
_HAPROXY_PREFIXES = ("haproxy.org/", "haproxy.com/", "ingress.kubernetes.io/", "")
#: every peer: the header is believed whoever sends it (HAProxy's set-src, a probe's "trusted"
#: peer for Traefik, whose entry point decides itself which peers it trusts)
EVERY_PEER = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


@dataclass
class SourcePolicy:
    """What one host's probes must try for a policy of a Traefik or HAProxy source (or the
    Gateway side's frontend validation): at `path`, over `scheme`."""

    host: str
    scheme: str
    path: str
    #: ask the modelled auth service for its refusals (simulate.oracle)
    external_auth: bool = False
    #: (scheme, declared body size) pairs around a body-size limit
    body_sizes: set[tuple[str, int]] = field(default_factory=set)
    #: an HTTPS request without a client certificate
    client_certificate: bool = False
    #: the request header the host's address lists read the client address from, believed
    #: from every peer as far as the probes go (EVERY_PEER)
    forwarded_header: str | None = None
_HOST = re.compile(r"Host\(\s*`([^`]+)`")
_PATH = re.compile(r"Path(?:Prefix)?\(\s*`(/[^`]*)`")


def gateway_frontend_policies(new: Sequence[Manifest]) -> list[SourcePolicy]:
    """An HTTPS request without a client certificate to every named HTTPS listener's host of a
    Gateway with spec.tls.frontend."""
    out: list[SourcePolicy] = []
    for m in new:
        spec = m.obj.get("spec")
        if m.kind != "Gateway" or not isinstance(spec, dict) or not isinstance(spec.get("tls"), dict) \
                or not spec["tls"].get("frontend"):
            continue
        for listener in spec.get("listeners") or []:
            if isinstance(listener, dict) and listener.get("protocol") == "HTTPS" \
                    and isinstance(listener.get("hostname"), str):
                out.append(SourcePolicy(listener["hostname"].lower(), "https", "/", client_certificate=True))
    return out


def source_policies(old: Sequence[Manifest]) -> list[SourcePolicy]:
    """The probes Traefik's and HAProxy's own policies in `old` ask for, host by host."""
    return [*_traefik(old), *_haproxy(old)]


# -- Traefik -------------------------------------------------------------------------------------


class _Effects:
    """What a router's middlewares make the probes try."""

    def __init__(self) -> None:
        self.auth = False
        self.body_limits: set[int] = set()
        self.forwarded = False

    def __bool__(self) -> bool:
        return self.auth or bool(self.body_limits) or self.forwarded


def _middlewares(old: Sequence[Manifest]) -> dict[str, tuple[str, dict[str, Any]]]:
    """`<namespace>-<name>` -> (namespace, spec) of every Traefik Middleware."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for m in old:
        if m.kind == "Middleware" and m.group in _TRAEFIK_GROUPS and isinstance(m.obj.get("spec"), dict):
            ns = m.namespace or "default"
            out[f"{ns}-{m.name}"] = (ns, m.obj["spec"])
    return out


def _effects(keys: Sequence[str], mws: dict[str, tuple[str, dict[str, Any]]], effects: _Effects,
             depth: int = 0) -> None:
    """Fold the middlewares `keys` (chains followed, ten levels at most) into `effects`."""
    if depth > 10:
        return
    for key in keys:
        found = mws.get(key)
        if found is None:
            continue
        ns, spec = found
        if isinstance(spec.get("forwardAuth"), dict):
            effects.auth = True
        buffering = spec.get("buffering")
        if isinstance(buffering, dict):
            limit = buffering.get("maxRequestBodyBytes")
            if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
                effects.body_limits |= {limit, limit + 1}
        for kind in ("ipAllowList", "ipWhiteList"):
            lst = spec.get(kind)
            strategy = lst.get("ipStrategy") if isinstance(lst, dict) else None
            if isinstance(strategy, dict) and (strategy.get("depth") or strategy.get("excludedIPs")):
                effects.forwarded = True
        chain = spec.get("chain")
        if isinstance(chain, dict):
            members = [f"{r.get('namespace') or ns}-{r.get('name')}" for r in chain.get("middlewares") or []
                       if isinstance(r, dict)]
            _effects(members, mws, effects, depth + 1)


def _first_path(rule: dict[str, Any]) -> str:
    """The first path of an Ingress rule ("/" when it names none)."""
    http = rule.get("http")
    paths = [p.get("path") for p in (http.get("paths") or [] if isinstance(http, dict) else []) if isinstance(p, dict)]
    return next((p for p in paths if isinstance(p, str) and p.startswith("/")), "/")


def _tls_options(old: Sequence[Manifest]) -> set[str]:
    """The TLSOptions (`default`, or `<namespace>-<name>`) that require a client certificate;
    CA Secrets without a clientAuthType mean RequireAndVerifyClientCert."""
    out: set[str] = set()
    for m in old:
        if m.kind != "TLSOption" or m.group not in _TRAEFIK_GROUPS or not isinstance(m.obj.get("spec"), dict):
            continue
        auth = m.obj["spec"].get("clientAuth")
        if not isinstance(auth, dict):
            continue
        kind = str(auth.get("clientAuthType") or "")
        if kind in _REQUIRE_CERT or (not kind and auth.get("secretNames")):
            out.add("default" if m.name == "default" else f"{m.namespace or 'default'}-{m.name}")
    return out


def _routers(old: Sequence[Manifest]) -> Iterator[tuple[list[str], str, bool, list[str], str]]:
    """(hosts, first path, TLS, middleware keys, TLS option key) of every Traefik router of the
    input: each IngressRoute route, each Ingress with Traefik annotations or a Traefik class."""
    for m in old:
        spec = m.obj.get("spec")
        if not isinstance(spec, dict):
            continue
        ns = m.namespace or "default"
        if m.kind == "IngressRoute" and m.group in _TRAEFIK_GROUPS:
            tls = spec.get("tls")
            opt = "default"
            if isinstance(tls, dict) and isinstance(tls.get("options"), dict):
                o = tls["options"]
                opt = "default" if o.get("name") == "default" else f"{o.get('namespace') or ns}-{o.get('name')}"
            for route in spec.get("routes") or []:
                if not isinstance(route, dict):
                    continue
                match = str(route.get("match") or "")
                hosts = [h.lower() for h in _HOST.findall(match)]
                path = next(iter(_PATH.findall(match)), "/")
                keys = [f"{r.get('namespace') or ns}-{r.get('name')}" for r in route.get("middlewares") or []
                        if isinstance(r, dict)]
                yield hosts, path, tls is not None, keys, opt
        elif m.kind == "Ingress" and m.group in ("networking.k8s.io", "extensions"):
            anns = (m.obj.get("metadata") or {}).get("annotations") or {}
            if not isinstance(anns, dict):
                continue
            refs = str(anns.get(_TRAEFIK_ANN + "router.middlewares") or "")
            opt_ref = str(anns.get(_TRAEFIK_ANN + "router.tls.options") or "").strip()
            keys = [r.strip().removesuffix("@kubernetescrd") for r in refs.split(",") if r.strip()]
            opt = opt_ref.removesuffix("@kubernetescrd") if opt_ref else "default"
            tls = bool(spec.get("tls")) or str(anns.get(_TRAEFIK_ANN + "router.tls") or "").lower() == "true"
            for rule in spec.get("rules") or []:
                if not isinstance(rule, dict) or not rule.get("host"):
                    continue
                yield [str(rule["host"]).lower()], _first_path(rule), tls, keys, opt


def _traefik(old: Sequence[Manifest]) -> Iterator[SourcePolicy]:
    mws = _middlewares(old)
    cert_options = _tls_options(old)
    if not mws and not cert_options:
        return
    for hosts, path, tls, keys, opt in _routers(old):
        effects = _Effects()
        _effects(keys, mws, effects)
        needs_cert = opt in cert_options
        if not effects and not needs_cert:
            continue
        schemes = ("http", "https") if tls else ("http",)
        for host in hosts:
            if "*" in host or "{" in host:
                continue
            yield SourcePolicy(host, "https" if tls else "http", path, external_auth=effects.auth,
                               body_sizes={(s, size) for s in schemes for size in effects.body_limits},
                               client_certificate=needs_cert,
                               forwarded_header="X-Forwarded-For" if effects.forwarded else None)


# -- HAProxy -------------------------------------------------------------------------------------


def _haproxy_value(values: dict[str, Any], key: str) -> str | None:
    """An annotation the HAProxy controller reads under any of its prefixes."""
    for prefix in _HAPROXY_PREFIXES:
        v = values.get(prefix + key)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


def _haproxy(old: Sequence[Manifest]) -> Iterator[SourcePolicy]:
    configmaps = [m.obj.get("data") or {} for m in old if m.kind == "ConfigMap" and m.group == ""]
    # client-ca: a ConfigMap-only key of the controller (no other controller's ConfigMap has it)
    client_ca = any(isinstance(d, dict) and str(d.get("client-ca") or "").strip() for d in configmaps)
    global_header = next((str(d["src-ip-header"]).strip() for d in configmaps
                          if isinstance(d, dict) and str(d.get("src-ip-header") or "").strip()), None)
    for m in old:
        if m.kind != "Ingress":
            continue
        spec = m.obj.get("spec") or {}
        anns = (m.obj.get("metadata") or {}).get("annotations") or {}
        header = _haproxy_value(anns, "src-ip-header") if isinstance(anns, dict) else None
        header = header or global_header
        if not client_ca and header is None:
            continue
        tls = bool(spec.get("tls"))
        for rule in spec.get("rules") or []:
            if not isinstance(rule, dict) or not rule.get("host"):
                continue
            path = _first_path(rule)
            # src-ip-header is used where the host has lists (access_probes); HAProxy believes
            # the header from every peer (set-src, haproxy-semantics.md H-G5)
            yield SourcePolicy(str(rule["host"]).lower(), "https" if tls else "http", path,
                               client_certificate=client_ca, forwarded_header=header)
