"""Probes of the client-facing TLS settings (the `listener-tls` intent): which TLS versions and
cipher suites a host's HTTPS listener accepts.

Only where an old-side setting restricts them: the ingress-nginx ConfigMap's `ssl-protocols` or
`ssl-ciphers` set to another value than the default (every TLS host), or an Ingress's
`ssl-ciphers` annotation (its TLS hosts). Each such host gets, on the first path of an Ingress
that serves it over TLS, one HTTPS request offering only each TLS version, and (where a cipher
list is set) one offering only each of the first three listed suites and one offering a suite
outside the list, at TLS 1.2. A handshake refused is an answer both sides give
(`generated_by` "tls-refused", status 0). Deterministic.
"""

from __future__ import annotations

from typing import Iterator, Mapping, Sequence

from ing2gw.model.tls_suites import NGINX_DEFAULT_CIPHERS, NGINX_DEFAULT_PROTOCOLS, OUTSIDE_CANDIDATES, \
    VERSIONS, parse_openssl_ciphers
from ing2gw.simulate.request import Request
from ing2gw.load import Manifest

#: the ConfigMap keys that set the listener's TLS for every host
CONFIGMAP_KEYS = ("ssl-protocols", "ssl-ciphers")


def _restricted(configmap: Mapping[str, str]) -> tuple[bool, str | None]:
    """(versions restricted, the controller-wide cipher string when set to a non-default value)."""
    protocols = configmap.get("ssl-protocols", "").strip()
    ciphers = configmap.get("ssl-ciphers", "").strip()
    return (bool(protocols) and " ".join(protocols.split()) != NGINX_DEFAULT_PROTOCOLS,
            ciphers if ciphers and ciphers != NGINX_DEFAULT_CIPHERS else None)


def tls_probes(old: Sequence[Manifest], configmap: Mapping[str, str]) -> Iterator[Request]:
    """HTTPS requests offering one TLS version or one cipher suite, where the old side restricts
    them (module docstring)."""
    versions_set, global_ciphers = _restricted(configmap)
    plans: dict[str, tuple[str, set[str]]] = {}
    for m in old:
        if m.kind != "Ingress":
            continue
        spec = m.obj.get("spec") or {}
        anns = (m.obj.get("metadata") or {}).get("annotations") or {}
        own = next((str(v) for k, v in anns.items() if k.endswith("/ssl-ciphers") and str(v).strip()), None)
        if not (versions_set or global_ciphers or own):
            continue
        tls_hosts = {str(h).lower() for t in spec.get("tls") or [] if isinstance(t, dict) for h in t.get("hosts") or []}
        for rule in spec.get("rules") or []:
            if not isinstance(rule, dict):
                continue
            host = str(rule.get("host") or "").lower()
            if not host or host not in tls_hosts:
                continue
            paths = [p.get("path") for p in (rule.get("http") or {}).get("paths") or [] if isinstance(p, dict)]
            first = next((p for p in paths if isinstance(p, str) and p.startswith("/")
                          and not any(c in p for c in "([{*+?|\\^$")), "/")
            path, lists = plans.setdefault(host, (first, set()))
            for text in (global_ciphers, own):
                if text:
                    lists.add(text)
    for host in sorted(plans):
        path, lists = plans[host]
        name = f"a.{host[2:]}" if host.startswith("*.") else host
        base = Request("GET", "https", name, 443, path, (), name)
        for v in VERSIONS:
            yield Request("GET", "https", name, 443, path, (), name, tls_version=v)
        offered: list[str] = []
        for text in sorted(lists):
            parsed = parse_openssl_ciphers(text)
            if parsed is None:
                continue
            offered += list(parsed.suites[:3])
            outside = next((c for c in OUTSIDE_CANDIDATES if c not in parsed.suites), None)
            if outside is not None:
                offered.append(outside)
        for cipher in dict.fromkeys(offered):
            yield Request(base.method, base.scheme, base.host, base.port, base.target, (), base.sni,
                          tls_version="1.2", tls_cipher=cipher)
