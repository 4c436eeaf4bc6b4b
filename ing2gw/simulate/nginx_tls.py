"""nginx's TLS handshake for a probe offering one TLS version or one cipher suite (the
`listener-tls` intent; probes from simulate/tls_probes.py).

ingress-nginx renders the ConfigMap's `ssl-protocols` and `ssl-ciphers` as http-level
`ssl_protocols` / `ssl_ciphers`, and an Ingress's `ssl-ciphers` annotation as the server's
`ssl_ciphers` (the first Ingress of the host with it; nginx.tmpl, server block). `ssl_ciphers`
chooses TLS 1.0-1.2 suites only (OpenSSL configures TLS 1.3 suites apart). ingress-nginx >= 1.7
links OpenSSL 3, whose default security level 1 disables TLS 1.0 and 1.1 (OpenSSL
SSL_CTX_set_security_level(3)): they need `@SECLEVEL=0` in the cipher string even when
`ssl-protocols` lists them (Alibaba Cloud's NGINX Ingress FAQ says the same for 1.7+).
"""

from __future__ import annotations

from ing2gw.model.tls_suites import parse_nginx_protocols, parse_openssl_ciphers, offered_refused
from ing2gw.simulate.request import Request


def handshake(request: Request, protocols: str, ciphers: str) -> tuple[str | None, str | None]:
    """(why nginx refuses the handshake, or None; what the model cannot decide, or None)."""
    version = request.tls_version
    if version is None:
        return None, None
    versions = parse_nginx_protocols(protocols)
    if versions is None:
        return None, f"ssl_protocols {protocols!r} is not modelled (which TLS versions nginx accepts)"
    parsed = parse_openssl_ciphers(ciphers)
    need = None
    if version in ("1.0", "1.1") and (parsed is None or parsed.seclevel != 0):
        if parsed is None and "@SECLEVEL=0" in ciphers:
            need = None
        else:
            need = f"OpenSSL 3's security level refuses TLS {version} (ssl_ciphers has no @SECLEVEL=0)"
    suites = frozenset(parsed.suites) if parsed is not None else None
    why = offered_refused(version, request.tls_cipher, versions, suites, need)
    if why == "?":
        return None, (f"ssl_ciphers {ciphers!r} uses OpenSSL keywords: which suites it enables is not modelled "
                      "(TLS handshake modelled as completing)")
    return why, None
