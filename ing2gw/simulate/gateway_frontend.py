"""Gateway `spec.tls.frontend`: client-certificate validation per port, as each implementation
carries it out for a client that presents no certificate.

The standard (GEP-91, Gateway API v1.5): `default` applies to every HTTPS listener unless a
`perPort` entry names its port; mode `AllowValidOnly` (the default) accepts a connection only with
a certificate that passes validation, `AllowInsecureFallback` accepts it without one. What a
client without a certificate then sees differs only in form, and for some implementations in
which modes they honour (mappings/targets/<t>.yaml, `frontend-client-certificate-validation`):

* Envoy Gateway, kgateway: Envoy's downstream TLS context requires the certificate in
  AllowValidOnly (the handshake fails) and only asks for it in AllowInsecureFallback.
* NGINX Gateway Fabric: AllowValidOnly is `ssl_verify_client on` with `error_page 495 496` to a
  location that returns 444, so nginx closes the connection without an answer; AllowInsecureFallback
  is `ssl_verify_client optional_no_ca` (internal/controller/state/dataplane/configuration.go
  addClientSettingsToSSLServers, internal/controller/nginx/config/servers_template.go).
* Istio: the mode is ignored (MUTUAL is always configured), so both modes refuse.
* GKE: AllowValidOnly only (the load balancer's mTLS policy rejects the handshake);
  AllowInsecureFallback is unsupported, so what GKE does with it is not modelled.
* Traefik and the AWS Load Balancer Controller do not implement the field (not modelled; the
  translation reports the use of an unsupported feature).
* Without a known implementation: the standard's AllowValidOnly (the handshake fails).

Probes that present a certificate are modelled as presenting a valid one (Request.no_client_cert).
"""

from __future__ import annotations

from typing import Literal, Sequence

Verdict = Literal["refused", "accepted", "unknown"]

#: implementation -> (verdict in AllowValidOnly, verdict in AllowInsecureFallback)
_VERDICTS: dict[str | None, tuple[Verdict, Verdict]] = {
    "envoy-gateway": ("refused", "accepted"),
    "kgateway": ("refused", "accepted"),
    "nginx-gateway-fabric": ("refused", "accepted"),
    "istio": ("refused", "refused"),
    "gke-gateway": ("refused", "unknown"),
    "traefik": ("unknown", "unknown"),
    "aws-load-balancer-controller": ("unknown", "unknown"),
    None: ("refused", "accepted"),
}

_HOW = {"nginx-gateway-fabric": "nginx closes the connection without an answer (ssl_verify_client on, 444)"}


def frontend_mode(frontend: Sequence[tuple[int | None, str]], port: int) -> str:
    """The validation mode for connections on `port` ("" for none): the port's own entry, else
    the default."""
    modes = dict(frontend)
    return modes.get(port, modes.get(None, ""))


def without_certificate(implementation: str | None, mode: str) -> tuple[Verdict, str]:
    """What `implementation` does with a client that presents no certificate under `mode`, and
    the sentence that says so."""
    valid_only, fallback = _VERDICTS.get(implementation, ("unknown", "unknown"))
    verdict = fallback if mode == "AllowInsecureFallback" else valid_only
    who = implementation or "the implementation (standard behaviour)"
    if verdict == "refused":
        how = _HOW.get(implementation or "", "the TLS handshake fails")
        if implementation == "istio" and mode == "AllowInsecureFallback":
            how += " (Istio ignores the AllowInsecureFallback mode)"
        return verdict, f"spec.tls.frontend ({mode}): the client presents no certificate: {how}"
    if verdict == "accepted":
        return verdict, f"spec.tls.frontend ({mode}): a client without a certificate is accepted"
    return verdict, (f"spec.tls.frontend ({mode}): what {who} does with a client without a certificate is not "
                     "modelled (the mode or the field is not supported there)")
