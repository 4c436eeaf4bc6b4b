"""TLS versions and cipher names of a client-facing listener, shared by the translation and the
equivalence check (the `listener-tls` intent).

Versions are written "1.0", "1.1", "1.2", "1.3". Cipher suites are named by OpenSSL's names
(what nginx's `ssl_ciphers` and HAProxy read); Envoy (BoringSSL) uses the same names for the
suites it implements, and Go (Traefik) the IANA names. Only TLS 1.0-1.2 suites are named here:
TLS 1.3 suites are not chosen by `ssl_ciphers` (OpenSSL configures them apart) nor by Envoy's
`cipher_suites` (Envoy docs, TlsParameters.cipher_suites: "no effect when negotiating TLS 1.3").

An OpenSSL cipher string is modelled only when it lists suites by name (`A:B:C`, optionally with
`@SECLEVEL=N`): keywords (`HIGH`, `!aNULL`, `+RSA`, ...) expand through OpenSSL's tables, which
are not modelled (`parse_openssl_ciphers` returns None and the check says so).
"""

from __future__ import annotations

from dataclasses import dataclass

VERSIONS = ("1.0", "1.1", "1.2", "1.3")

#: nginx `ssl_protocols` tokens -> version (SSLv2/SSLv3 are not offered by any probe)
NGINX_PROTOCOLS = {"TLSv1": "1.0", "TLSv1.1": "1.1", "TLSv1.2": "1.2", "TLSv1.3": "1.3"}

#: ingress-nginx's defaults (ConfigMap docs, `ssl-protocols` and `ssl-ciphers`; internal/ingress/
#: controller/config/config.go): TLS 1.2 and 1.3, and these AEAD suites with forward secrecy
NGINX_DEFAULT_PROTOCOLS = "TLSv1.2 TLSv1.3"
NGINX_DEFAULT_CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                         "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                         "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384")


@dataclass(frozen=True, slots=True)
class Suite:
    """One TLS 1.0-1.2 cipher suite: its OpenSSL name, IANA name, whether BoringSSL (Envoy)
    implements it, and whether TLS 1.0/1.1 can negotiate it (CBC with SHA-1 MAC; AEAD and
    SHA-256/384 suites are TLS 1.2 only)."""

    openssl: str
    iana: str
    boringssl: bool
    before_1_2: bool


def _s(openssl: str, iana: str, boringssl: bool, before: bool) -> Suite:
    return Suite(openssl, iana, boringssl, before)


#: the suites the model knows (OpenSSL `openssl ciphers -V` names and IANA code names; BoringSSL's
#: list from its ssl/ssl_cipher.cc kCiphers, as Envoy's TlsParameters docs list them)
SUITES: tuple[Suite, ...] = (
    _s("ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", True, False),
    _s("ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", True, False),
    _s("ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", True, False),
    _s("ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", True, False),
    _s("ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", True, False),
    _s("ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", True, False),
    _s("ECDHE-ECDSA-AES128-SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", True, True),
    _s("ECDHE-RSA-AES128-SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", True, True),
    _s("ECDHE-ECDSA-AES256-SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", True, True),
    _s("ECDHE-RSA-AES256-SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", True, True),
    _s("AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256", True, False),
    _s("AES256-GCM-SHA384", "TLS_RSA_WITH_AES_256_GCM_SHA384", True, False),
    _s("AES128-SHA", "TLS_RSA_WITH_AES_128_CBC_SHA", True, True),
    _s("AES256-SHA", "TLS_RSA_WITH_AES_256_CBC_SHA", True, True),
    _s("DES-CBC3-SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", True, True),
    # OpenSSL only: BoringSSL has no finite-field DHE, no SHA-2 CBC suites, no CCM, no ARIA/CAMELLIA
    _s("DHE-RSA-AES128-GCM-SHA256", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", False, False),
    _s("DHE-RSA-AES256-GCM-SHA384", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", False, False),
    _s("DHE-RSA-CHACHA20-POLY1305", "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", False, False),
    _s("DHE-RSA-AES128-SHA", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", False, True),
    _s("DHE-RSA-AES256-SHA", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", False, True),
    _s("DHE-RSA-AES128-SHA256", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", False, False),
    _s("DHE-RSA-AES256-SHA256", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", False, False),
    _s("ECDHE-ECDSA-AES128-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", False, False),
    _s("ECDHE-RSA-AES128-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", False, False),
    _s("ECDHE-ECDSA-AES256-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", False, False),
    _s("ECDHE-RSA-AES256-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", False, False),
    _s("AES128-SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA256", False, False),
    _s("AES256-SHA256", "TLS_RSA_WITH_AES_256_CBC_SHA256", False, False),
    _s("ECDHE-ECDSA-AES128-CCM", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", False, False),
)

BY_OPENSSL: dict[str, Suite] = {s.openssl: s for s in SUITES}

#: Envoy's default server cipher list (non-FIPS, Envoy >= 1.26, TlsParameters.cipher_suites: AEAD
#: suites only, so TLS 1.0/1.1 need a configured list); default versions 1.2 to 1.3 for servers
ENVOY_DEFAULT_CIPHERS = frozenset({"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305",
                                   "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305",
                                   "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"})
ENVOY_DEFAULT_VERSIONS = ("1.2", "1.3")

#: a suite no restricted list in practice names, offered by the check "outside the list"
#: probes when the list does not hold it, in this order of preference
OUTSIDE_CANDIDATES = ("AES128-SHA", "ECDHE-RSA-AES128-SHA", "AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256")


@dataclass(frozen=True, slots=True)
class CipherList:
    """An OpenSSL cipher string read as the set of suites it names (TLS 1.0-1.2), and the
    security level it asks for (`@SECLEVEL=N`; None: OpenSSL's default)."""

    suites: tuple[str, ...]
    seclevel: int | None = None


def parse_openssl_ciphers(text: str) -> CipherList | None:
    """The suites an OpenSSL cipher string names, or None when it uses keywords or operators the
    model does not expand (or names a suite the model does not know). OpenSSL ignores unknown
    names in a list only when another entry matches: unknown names are not modelled either."""
    out: list[str] = []
    level: int | None = None
    for raw in text.replace(",", ":").replace(" ", ":").split(":"):
        token = raw.strip()
        if not token:
            continue
        if token.startswith("@SECLEVEL="):
            try:
                level = int(token.partition("=")[2])
            except ValueError:
                return None
            continue
        if token not in BY_OPENSSL:
            return None
        if token not in out:
            out.append(token)
    return CipherList(tuple(out), level) if out else None


def parse_nginx_protocols(text: str) -> tuple[str, ...] | None:
    """The versions an nginx `ssl_protocols` value enables (in order), or None when a token is
    not a protocol nginx knows."""
    out = []
    for token in text.split():
        if token in ("SSLv2", "SSLv3"):
            continue
        v = NGINX_PROTOCOLS.get(token)
        if v is None:
            return None
        out.append(v)
    return tuple(sorted(set(out), key=VERSIONS.index))


def span(versions: tuple[str, ...]) -> tuple[str, str] | None:
    """(min, max) of a version set when it is contiguous (a min/max setting can express it)."""
    if not versions:
        return None
    lo, hi = VERSIONS.index(versions[0]), VERSIONS.index(versions[-1])
    return (versions[0], versions[-1]) if list(VERSIONS[lo:hi + 1]) == list(versions) else None


def offered_refused(version: str, cipher: str | None, versions: tuple[str, ...], suites: frozenset[str] | None,
                    old_versions_need: str | None = None) -> str | None:
    """Why a server with these versions and TLS 1.0-1.2 suites refuses a client offering
    `version` (and only `cipher`, when given), or None when the handshake completes; "?" when
    the suites are not known (`suites` None) and they decide. `old_versions_need`: what else the
    server needs for TLS 1.0/1.1 (OpenSSL 3's security level), said when missing."""
    if version not in versions:
        return f"TLS {version} is not enabled ({', '.join(versions) or 'none'})"
    if version == "1.3":
        return None  # TLS 1.3 suites are configured apart (not by these settings)
    if old_versions_need is not None and version in ("1.0", "1.1"):
        return old_versions_need
    if suites is None:
        return "?"
    if cipher is not None:
        return None if cipher in suites else f"cipher {cipher} is not in the listener's list"
    if version in ("1.0", "1.1") and not any(BY_OPENSSL[s].before_1_2 for s in suites if s in BY_OPENSSL):
        return f"no suite of the list can be negotiated in TLS {version} (AEAD and SHA-2 suites need TLS 1.2)"
    return None
