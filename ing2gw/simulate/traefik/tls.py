"""Certificates and TLS options: which certificate a handshake gets, which TLS options it uses.

Certificates of every Ingress's `spec.tls` and every IngressRoute's `tls.secretName` go into one
store (traefik-semantics.md T-C5); a handshake gets the certificate whose names match the SNI
exactly or as `*.` for one label (pkg/tls/certificate_store.go GetBestCertificate, matchDomain;
candidates in reverse order of their names), else the default certificate.

The TLS options of a connection are those of the HTTPS routers of the entry point whose Host
domains match the SNI (pkg/server/router/tcp), else `default`. A router answers 421 when its
own options differ from the connection's (snicheck). `sniStrict` refuses a handshake without a
matching certificate; a required client certificate is not modelled.
"""

from __future__ import annotations

from ing2gw.simulate.traefik.config import Certificate


def match_domain(server_name: str, cert_domain: str) -> bool:
    """matchDomain: exact, or the first label replaced by '*'."""
    if server_name == cert_domain:
        return True
    cert_domain = cert_domain.rstrip(".")
    labels = server_name.split(".")
    labels[0] = "*"
    return cert_domain == ".".join(labels)


class CertStore:
    def __init__(self, certificates: dict[str, Certificate], default: str) -> None:
        by_key: dict[str, Certificate] = {}
        for secret in sorted(certificates):
            cert = certificates[secret]
            key = ",".join(sorted({s.lower() for s in cert.sans}))
            by_key.setdefault(key, cert)  # the first certificate for a set of names stays
        self.entries = [(key, by_key[key]) for key in sorted(by_key, reverse=True)]
        self.default = default
        self._cache: dict[str | None, tuple[str, bool]] = {}

    def best(self, sni: str | None) -> tuple[str, bool]:
        """(certificate name, whether its names were assumed) for a ClientHello's SNI."""
        if sni in self._cache:
            return self._cache[sni]
        name = (sni or "").strip().lower()
        found = (self.default, False)
        if name:
            for key, cert in self.entries:
                if any(match_domain(name, d) for d in key.split(",") if d):
                    found = (cert.secret, cert.assumed)
                    break
        if len(self._cache) < 4096:
            self._cache[sni] = found
        return found

    def matched(self, sni: str | None) -> bool:
        return self.best(sni)[0] != self.default


class OptionsMap:
    """Per entry point: TLS options by Host domain of its HTTPS routers."""

    def __init__(self) -> None:
        self.by_domain: dict[str, set[str]] = {}
        self.only_default = True
        self._cache: dict[str | None, str] = {}

    def add(self, domains: list[str], options: str) -> None:
        for d in domains:
            self.by_domain.setdefault(d.lower(), set()).add(options)
        if options != "default" and domains:
            self.only_default = False

    def for_server_name(self, server_name: str | None) -> str:
        if self.only_default:
            return "default"
        found_name = self._cache.get(server_name)
        if found_name is None:
            found_name = self._lookup(server_name)
            if len(self._cache) < 4096:
                self._cache[server_name] = found_name
        return found_name

    def _lookup(self, server_name: str | None) -> str:
        name = (server_name or "").strip().lower()
        found: set[str] = set()
        for d, opts in self.by_domain.items():
            if d == name or (d.startswith("*.") and match_domain(name, d)):
                found |= opts
        if len(found) == 1:
            return next(iter(found))
        return "default"
