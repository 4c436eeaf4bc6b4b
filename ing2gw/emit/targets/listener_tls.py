"""The `listener-tls` intent across targets: the TLS versions and cipher suites of the
client-facing listener.

Two sources (providers/ingress_nginx): the ConfigMap's ssl-protocols / ssl-ciphers, a
controller-wide intent on the class's IR Gateway (`scope` gateway, parameters `versions`,
`ciphers`, `seclevel`, `class`), and an Ingress's ssl-ciphers annotation, an intent on its routes
(`scope` host: the host's nginx server only). Envoy Gateway writes them (envoy_gateway_listener.py
for the Gateway, envoy_gateway.py for a host's listener); every other target gets a finding
naming what to write by hand (`HAND`), ING2GW-TARGET-083.

Suite names: nginx reads OpenSSL names; BoringSSL (Envoy) uses the same names for the suites it
implements and refuses a configuration naming others (model/tls_suites.py), so those are left
out and named (ING2GW-TARGET-082).
"""

from __future__ import annotations

from typing import Any

from ing2gw import ir
from ing2gw.findings import Finding, Severity

#: what to write by hand where ing2gw writes nothing, by target (mappings/targets/<t>.yaml rows)
HAND: dict[str, str] = {
    "kgateway": ("set the HTTPS listeners' tls.options on the Gateway: kgateway.dev/min-tls-version and "
                 "kgateway.dev/max-tls-version (\"1.2\"), kgateway.dev/cipher-suites (comma-separated IANA names, e.g. "
                 "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)"),
    "istio": ("set the listener option gateway.istio.io/tls-cipher-suites (BoringSSL names); minimum and maximum "
              "versions are mesh-wide only (meshConfig.tlsDefaults.minProtocolVersion)"),
    "nginx-gateway-fabric": "set ssl_protocols / ssl_ciphers for the Gateway's servers by hand (a reviewed snippet)",
    "traefik": ("write the TLSOption named `default` (minVersion, maxVersion, cipherSuites with Go's IANA names): it "
                "applies to every TLS listener Traefik serves, not to one host"),
    "gke": ("create a Google Cloud SSL policy (profile CUSTOM with the minimum version and Google's suite names) and "
            "name it in a GCPGatewayPolicy's spec.default.sslPolicy for the Gateway"),
    "aws": ("choose the predefined ELB security policy whose versions and suites match and set it as the listener's "
            "sslPolicy in the Gateway's LoadBalancerConfiguration"),
    "cilium": "nothing can be set per listener: terminate TLS in front of the Gateway",
    "envoy-gateway": "write a ClientTrafficPolicy `tls` (minVersion, maxVersion, ciphers) on the Gateway or the listener",
}


VERSIONS = ("1.0", "1.1", "1.2", "1.3")


def gateway_settings(g: ir.Gateway) -> tuple[list[ir.Intent], str, dict[str, str] | None]:
    """A Gateway's controller-wide `listener-tls` intents (the ConfigMap's), the hosts of its
    HTTPS listeners (for the findings), and the one setting they agree on (None when its
    IngressClasses ask for different settings, or some of its classes ask for none: one Gateway
    policy cannot serve both)."""
    mine = [i for i in g.intents if i.kind == "listener-tls"]
    shapes = {tuple((k, v) for k, v in i.params if k != "class") for i in mine}
    hosts = ",".join(sorted({k.hostname or "*" for k in g.listeners if k.protocol == "HTTPS"}))
    agreed = len(shapes) == 1 and {dict(i.params).get("class") for i in mine} == set(g.ingress_classes)
    return mine, hosts, dict(next(iter(shapes))) if agreed else None


def envoy_suites(params: dict[str, str]) -> tuple[list[str], list[str]]:
    """(the suites of the intent's list that BoringSSL implements, in order; those it does not):
    the provider names them (`boringssl`, from model/tls_suites.py)."""
    names = [c for c in params.get("ciphers", "").split(":") if c]
    keep = set(params.get("boringssl", "").split(":"))
    return [c for c in names if c in keep], [c for c in names if c not in keep]


def span(versions: tuple[str, ...]) -> tuple[str, str] | None:
    """(min, max) of a contiguous version set."""
    if not versions or not all(v in VERSIONS for v in versions):
        return None
    lo = VERSIONS.index(versions[0])
    return (versions[0], versions[-1]) if VERSIONS[lo:lo + len(versions)] == versions else None


def envoy_tls(params: dict[str, str]) -> dict[str, Any]:
    """ClientTrafficPolicy `tls` fields (minVersion, maxVersion, ciphers) for carried parameters."""
    out: dict[str, Any] = {}
    versions = tuple(v for v in params.get("versions", "").split(",") if v)
    rng = span(versions)
    if rng is not None:
        out["minVersion"], out["maxVersion"] = rng
    if params.get("ciphers"):
        out["ciphers"] = envoy_suites(params)[0]
    return out


def dropped_finding(intent: ir.Intent, where: str, hosts: str) -> Finding | None:
    """ING2GW-TARGET-082 when the list names suites BoringSSL does not implement (left out)."""
    dropped = envoy_suites(dict(intent.params))[1]
    if not dropped:
        return None
    return Finding(Severity.WARNING, "ING2GW-TARGET-082",
                   f"{where} leaves out the suites {', '.join(dropped)}, which Envoy (BoringSSL) does not "
                   "implement: clients offering only them are refused where nginx completed the handshake",
                   origin=intent.source.origin, subject=_subject(intent), annotation=intent.source.annotation,
                   value=_value(intent), suggestion="make sure no client depends on these suites",
                   details=(("hosts", hosts), ("suites", ",".join(dropped))))


def written_finding(intent: ir.Intent, where: str, tls: dict[str, Any], hosts: str) -> Finding:
    """ING2GW-TARGET-081: the policy written."""
    parts = []
    if "minVersion" in tls:
        parts.append(f"TLS {tls['minVersion']} only" if tls["minVersion"] == tls["maxVersion"]
                     else f"TLS {tls['minVersion']} to {tls['maxVersion']}")
    if "ciphers" in tls:
        parts.append(f"suites {', '.join(tls['ciphers'])}")
    return Finding(Severity.INFO, "ING2GW-TARGET-081",
                   f"{where} accepts {' and '.join(parts)} as ingress-nginx did (TLS 1.3 suites are "
                   "not chosen on either side)", origin=intent.source.origin, subject=_subject(intent),
                   annotation=intent.source.annotation, value=_value(intent), security=True,
                   details=(("hosts", hosts),))


def _value(intent: ir.Intent) -> str:
    """The setting as the user wrote it: the ConfigMap keys, or the annotation's suites."""
    if intent.source.kind == "ConfigMap":
        return intent.value
    p = dict(intent.params)
    return p.get("ciphers") or p.get("ciphers-unmodelled") or intent.value


def _subject(intent: ir.Intent) -> str:
    return f"ConfigMap {intent.source.name}" if intent.source.kind == "ConfigMap" else f"Ingress {intent.source.key}"


def not_carried(target: str | None, intent: ir.Intent, hosts: str, why: str = "") -> Finding:
    """ING2GW-TARGET-083 (with a target) or ING2GW-NGINX-085 (without): the Gateway's listeners
    accept the implementation's defaults. An error when nginx refused versions or suites that
    a Gateway's defaults accept (TLS 1.2 suites restricted, or TLS 1.2 / 1.3 left out)."""
    p = dict(intent.params)
    versions = {v for v in p.get("versions", "1.2,1.3").split(",") if v}
    weakened = bool(p.get("ciphers") or p.get("ciphers-unmodelled")) or not {"1.2", "1.3"} <= versions
    accepted = weakened and p.get("accepted") == "true"
    code = "ING2GW-TARGET-083" if target else "ING2GW-NGINX-085"
    what = target or "plain Gateway API"
    keys = [k for k in ("ssl-protocols", "ssl-ciphers") if k in intent.value] or ["ssl-ciphers"]
    return Finding(Severity.ERROR if weakened and not accepted else Severity.WARNING, code,
                   f"{what}: the listener TLS settings ({intent.value}) are not written"
                   + (f" ({why})" if why else "") + ": the Gateway accepts its implementation's default versions "
                   "and suites" + (", some of which ingress-nginx refused" if weakened else
                                   ", which leaves out old versions ingress-nginx accepted"),
                   origin=intent.source.origin, subject=_subject(intent), annotation=intent.source.annotation,
                   value=intent.value, security=weakened, accepted=accepted,
                   suggestion=(HAND.get(target or "", "choose --target envoy-gateway, which writes them")
                               + (f"; or accept the loss with --allow-weakened {keys[0]}" if weakened else "")),
                   details=(("hosts", hosts),))
