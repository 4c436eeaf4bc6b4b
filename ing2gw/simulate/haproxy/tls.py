"""Certificates of the https frontend (haproxy-semantics.md F).

The https frontend terminates TLS only when at least one frontend certificate is in use: the
default certificate (ConfigMap `ssl-certificate`, default `--default-ssl-certificate`) or the
Secret of any Ingress `spec.tls` entry with hosts. Certificates form one global directory:
`tls.hosts` does not restrict which server name a certificate answers. HAProxy picks the
certificate by SNI (exact name, then a one-label wildcard) and falls back to the first file of
the directory, the default certificate (`0_<ns>_<name>`) when there is one (`pkg/haproxy/certs`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ing2gw.simulate.haproxy.text import ascii_lower


@dataclass(frozen=True)
class Certificate:
    """A loaded certificate: the Secret "ns/name", its file name and the names it covers."""

    secret: str
    file: str
    names: tuple[str, ...]
    default: bool = False


class CertificateStore:
    """The frontend certificate directory."""

    def __init__(self) -> None:
        self.certs: dict[str, Certificate] = {}
        self._sorted: list[Certificate] = []

    def add(self, secret: str, names: tuple[str, ...], default: bool = False) -> None:
        ns, _, name = secret.partition("/")
        file = f"0_{ns}_{name}" if default else f"{ns}_{name}"
        old = self.certs.get(file)
        merged = tuple(dict.fromkeys((old.names if old else ()) + tuple(ascii_lower(n) for n in names)))
        self.certs[file] = Certificate(secret, file, merged, default)

    def seal(self) -> None:
        """Order the files as HAProxy loads a `crt <dir>` (lexical order)."""
        self._sorted = [self.certs[f] for f in sorted(self.certs)]

    @property
    def in_use(self) -> bool:
        """Whether the https frontend terminates TLS."""
        return bool(self.certs)

    def loaded(self) -> list[str]:
        """The loaded Secrets, default certificate first (load order)."""
        return [c.secret for c in self._sorted]

    def select(self, sni: str | None) -> Certificate | None:
        """The certificate HAProxy presents for `sni` (None: no certificate in use)."""
        if not self._sorted:
            return None
        if sni:
            name = ascii_lower(sni)
            for cert in self._sorted:
                if name in cert.names:
                    return cert
            dot = name.find(".")
            if dot > 0:
                wild = "*" + name[dot:]
                for cert in self._sorted:
                    if wild in cert.names:
                        return cert
        return self._sorted[0]
