"""ServersTransport (TLS towards the backends) and TLSOption (TLS towards the clients): what
Gateway API cannot say is reported, and a lost check is an error unless accepted.

* ServersTransport (`traefik.io/v1alpha1`, Traefik docs `reference/routing-configuration/
  kubernetes/crd/http/serverstransport.md`), used by an IngressRoute service's `serversTransport`
  or a Service's `traefik.ingress.kubernetes.io/service.serverstransport`, and the static
  `serversTransport` (the default of every service): `insecureSkipVerify` makes Traefik accept any
  backend certificate, which a BackendTLSPolicy cannot express (it always verifies): an error
  (ING2GW-TRAEFIK-068) unless accepted with `--allow-weakened insecureSkipVerify`. `serverName`,
  `rootCAs`, client certificates and timeouts are reported (ING2GW-TRAEFIK-069): a
  BackendTLSPolicy (hostname, caCertificateRefs) re-creates the first two by hand.
* TLSOption (`tls/tlsoption.md`), used by an IngressRoute's `tls.options`, an Ingress's
  `router.tls.options`, or named `default` (every TLS router): `clientAuth` with a verifying
  `clientAuthType` refuses clients without a valid certificate; ing2gw writes no client
  certificate validation, so it is an error (ING2GW-TRAEFIK-070) unless accepted with
  `--allow-weakened clientAuth`. `minVersion`, `cipherSuites`, `curvePreferences`, `sniStrict`,
  `alpnProtocols` have no portable listener field (ING2GW-TRAEFIK-071).
"""

from __future__ import annotations

from typing import Any

from ing2gw.findings import Finding, Severity
from ing2gw.load import Manifest
from ing2gw.providers.base import BuildContext
from ing2gw.providers.traefik.routers import Owner, report

GROUPS = ("traefik.io", "traefik.containo.us")
_PREFIX = "traefik.ingress.kubernetes.io/"
_VERIFYING = ("RequireAndVerifyClientCert", "VerifyClientCertIfGiven")
_CLIENT_TLS = ("minversion", "maxversion", "ciphersuites", "curvepreferences", "snistrict", "alpnprotocols",
               "preferserverciphersuites", "disablesessiontickets")


def _ref(value: str, ns: str) -> tuple[str, str]:
    """(namespace, name) of a CRD reference: `name` (same namespace) or `ns-name@kubernetescrd`."""
    if "@" in value:
        return "", value.split("@", 1)[0]
    return ns, value


def _matches(ref: tuple[str, str], m: Manifest, default_ns: str) -> bool:
    ns = m.namespace or default_ns
    return (ref[0] == ns and ref[1] == m.name) or (ref[0] == "" and ref[1] == f"{ns}-{m.name}")


def _spec(m: Manifest) -> dict[str, Any]:
    """The spec with lower-cased keys (Traefik reads them case-insensitively), and under "" the
    keys as written, for messages."""
    raw = m.obj.get("spec")
    if not isinstance(raw, dict):
        return {"": {}}
    return {**{str(k).lower(): v for k, v in raw.items()}, "": {str(k).lower(): str(k) for k in raw}}


def _users(ctx: BuildContext, obj: Manifest) -> list[str]:
    """Who uses a ServersTransport or TLSOption: IngressRoutes, Ingresses, Services."""
    default_ns = ctx.options.default_namespace
    out: list[str] = []
    for m in ctx.inputs.other:
        if m.group not in GROUPS or m.kind != "IngressRoute":
            continue
        ns = m.namespace or default_ns
        raw = m.obj.get("spec")
        spec: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if obj.kind == "TLSOption":
            raw_tls = spec.get("tls")
            tls: dict[str, Any] = raw_tls if isinstance(raw_tls, dict) else {}
            opt = tls.get("options") if isinstance(tls.get("options"), dict) else None
            if opt and _matches((str(opt.get("namespace") or ns), str(opt.get("name") or "")), obj, default_ns):
                out.append(f"IngressRoute {ns}/{m.name}")
            continue
        for route in spec.get("routes") or []:
            for svc in (route or {}).get("services") or []:
                st = (svc or {}).get("serversTransport")
                if st and _matches(_ref(str(st), ns), obj, default_ns):
                    out.append(f"IngressRoute {ns}/{m.name}")
    key = "router.tls.options" if obj.kind == "TLSOption" else "service.serverstransport"
    for ing in ctx.inputs.ingresses:
        value = ing.annotations.get(_PREFIX + key)
        if value and _matches(_ref(value, ing.namespace), obj, default_ns):
            out.append(f"Ingress {ing.key}")
    for (ns, name), svc in sorted(ctx.inputs.services.items()):
        value = (svc.metadata.annotations or {}).get(_PREFIX + key)
        if value and _matches(_ref(value, ns), obj, default_ns):
            out.append(f"Service {ns}/{name}")
    return sorted(set(out))


def _default_users(ctx: BuildContext) -> list[str]:
    """The routes the TLSOption named `default` applies to: IngressRoutes with TLS that name no
    other options, and Ingresses without router.tls.options (a router without TLS is never
    reached over HTTPS, so naming it too predicts nothing more)."""
    default_ns = ctx.options.default_namespace
    out: list[str] = []
    for m in ctx.inputs.other:
        raw = m.obj.get("spec")
        if m.group not in GROUPS or m.kind != "IngressRoute" or not isinstance(raw, dict):
            continue
        tls = raw.get("tls")
        if isinstance(tls, dict) and not tls.get("options"):
            out.append(f"IngressRoute {m.namespace or default_ns}/{m.name}")
    out += [f"Ingress {ing.key}" for ing in ctx.inputs.ingresses
            if not ing.annotations.get(_PREFIX + "router.tls.options")]
    return sorted(set(out))


def _accepted(ctx: BuildContext, kind: str) -> bool:
    return kind in ctx.options.allow_weakened


def transports_and_options(ctx: BuildContext) -> None:
    """Findings for every ServersTransport and TLSOption of the input (and the static
    serversTransport)."""
    default_ns = ctx.options.default_namespace
    static = {str(k).lower(): v for k, v in (ctx.options.traefik_static or {}).items()}
    st_static = static.get("serverstransport")
    if isinstance(st_static, dict) and {str(k).lower(): v for k, v in st_static.items()}.get(
            "insecureskipverify") is True:
        ok = _accepted(ctx, "insecureSkipVerify")
        ctx.findings.append(Finding(
            Severity.WARNING if ok else Severity.ERROR, "ING2GW-TRAEFIK-068",
            "the static serversTransport.insecureSkipVerify makes Traefik accept any certificate from HTTPS "
            "backends; Gateway API's BackendTLSPolicy always verifies, and without one the Gateway does not speak "
            "TLS to the backend at all", subject="Traefik static configuration", security=True,
            annotation="insecureSkipVerify",
            suggestion=None if ok else "give the backends verifiable certificates and a BackendTLSPolicy, or accept "
                                       "the loss with --allow-weakened insecureSkipVerify"))
    objs = sorted((m for m in ctx.inputs.other if m.group in GROUPS and m.kind in ("ServersTransport", "TLSOption")),
                  key=lambda m: (m.kind, m.namespace or default_ns, m.name))
    for m in objs:
        owner = Owner(m.kind, m.namespace or default_ns, m.name, m.origin)
        spec = _spec(m)
        users = ["every TLS router"] if m.kind == "TLSOption" and m.name == "default" else _users(ctx, m)
        if not users:
            report(ctx, owner, Severity.INFO, "ING2GW-TRAEFIK-069",
                   f"{m.kind} used by no route of the input: nothing to carry over")
            continue
        who = ", ".join(users[:5]) + (f" (+{len(users) - 5} more)" if len(users) > 5 else "")
        if m.kind == "ServersTransport":
            _servers_transport(ctx, owner, spec, who)
        else:
            # the Ingresses and IngressRoutes using it: where the check's probe without a client
            # certificate is answered differently now (TRAEFIK-070's prediction)
            # (the check's keys: `ns/name` for an Ingress, `IngressRoute/ns/name`)
            named = _default_users(ctx) if m.name == "default" else users
            routes = ",".join(sorted(u.split(" ", 1)[1] if u.startswith("Ingress ") else u.replace(" ", "/", 1)
                                     for u in named if u.startswith(("Ingress ", "IngressRoute "))))
            _tls_option(ctx, owner, spec, who, routes)


def _servers_transport(ctx: BuildContext, owner: Owner, spec: dict[str, Any], who: str) -> None:
    if spec.get("insecureskipverify") is True:
        ok = _accepted(ctx, "insecureSkipVerify")
        report(ctx, owner, Severity.WARNING if ok else Severity.ERROR, "ING2GW-TRAEFIK-068",
               f"insecureSkipVerify: Traefik accepted any certificate from the backends of {who}; Gateway API's "
               "BackendTLSPolicy always verifies, and without one the Gateway does not speak TLS to them at all",
               security=True, annotation="insecureSkipVerify",
               suggestion=None if ok else "give the backends verifiable certificates and a BackendTLSPolicy, or "
                                          "accept the loss with --allow-weakened insecureSkipVerify")
    rest = sorted(spec[""][k] for k in spec if k not in ("", "insecureskipverify"))
    if rest:
        report(ctx, owner, Severity.WARNING, "ING2GW-TRAEFIK-069",
               f"{', '.join(rest)} (used by {who}) not carried over: serverName and rootCAs (a ConfigMap) are a "
               "BackendTLSPolicy's hostname and caCertificateRefs; client certificates, timeouts and HTTP/2 "
               "settings have no portable field",
               suggestion="write a BackendTLSPolicy for the Services, and your implementation's policy for the rest")


def _tls_option(ctx: BuildContext, owner: Owner, spec: dict[str, Any], who: str, routes: str = "") -> None:
    auth = spec.get("clientauth")
    auth_type = str((auth or {}).get("clientAuthType") or "") if isinstance(auth, dict) else ""
    if auth_type in _VERIFYING or (isinstance(auth, dict) and auth.get("secretNames") and not auth_type):
        ok = _accepted(ctx, "clientAuth")
        report(ctx, owner, Severity.WARNING if ok else Severity.ERROR, "ING2GW-TRAEFIK-070",
               f"clientAuth ({auth_type or 'with CA secrets'}): Traefik checked client certificates for {who}; "
               "ing2gw writes no client certificate validation on the listeners, so any client is accepted",
               security=True, annotation="clientAuth",
               suggestion=None if ok else "configure client certificate validation on the Gateway's listeners "
                                          "(frontend TLS validation, or your implementation's policy), or accept the "
                                          "loss with --allow-weakened clientAuth",
               details={"ingresses": routes} if routes else None)
    settings = sorted(spec[""][k] for k in spec if k in _CLIENT_TLS)
    if settings:
        report(ctx, owner, Severity.WARNING, "ING2GW-TRAEFIK-071",
               f"{', '.join(settings)} (for {who}) not carried over: a Gateway listener's TLS versions, ciphers and "
               "ALPN are implementation-specific (tls.options)",
               suggestion="set them in your Gateway implementation's TLS configuration")
