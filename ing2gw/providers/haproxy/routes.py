"""Map rows and annotation features -> listeners, routes and rules of the class's Gateway.

Every host with rows gets an HTTP and an HTTPS listener of its own (a known host never falls
back to other hosts' rows, H-C3); the host-less rows go on listeners without hostname, which
Gateway API uses for every other host, as HAProxy does. With the chart's default certificate the
controller answers HTTPS for every host (H-F1): hosts without a tls entry get that certificate.
HAProxy's HTTPS redirect is per Ingress (its rule ids, H-G3), so an Ingress's HTTP rules
redirect while another Ingress's rules of the same host do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ing2gw import ir
from ing2gw.findings import Finding, Severity
from ing2gw.model.ingress import Ingress
from ing2gw.equivalence.prediction import paths_detail
from ing2gw.providers.base import BuildContext
from ing2gw.providers.haproxy.features import Features
from ing2gw.providers.haproxy.maps import Row
from ing2gw.providers.haproxy.settings import Settings


@dataclass
class _Owner:
    ing: Ingress
    http: list[ir.Rule] = field(default_factory=list)
    https: list[ir.Rule] = field(default_factory=list)


def _source(ing: Ingress) -> ir.Source:
    return ir.Source(ing.namespace, ing.name, ing.origin)


def rules_for(row: Row, f: Features) -> tuple[ir.Rule, ir.Rule]:
    """The HTTP and the HTTPS rule of one map row with its Ingress's features."""
    match = (ir.Match(ir.PathMatch(row.type, row.value)),)
    src = _source(row.ing)
    if row.acl:
        # a route-acl rule: the path and one of the ACL's alternatives; the Ingress's annotations do
        # not apply to the requests it routes (H-H1)
        path = ir.PathMatch(row.type, row.value)
        acl_rule = ir.Rule(tuple(ir.Match(path, headers=(a.header,) if a.header else (), method=a.method)
                                 for a in row.acl), src, backends=(row.backend,),
                           comment=f"route-acl {row.acl_text} (H-H1)")
        return acl_rule, acl_rule
    if f.redirect is not None:
        https = ir.Rule(match, src, redirect=f.redirect, comment="request-redirect (H-G4)")
    else:
        rewrite = None
        path_full = path_prefix = None
        if f.rewrite is not None:
            if f.rewrite.full is not None:
                path_full = f.rewrite.full
            elif row.type == "Exact":
                path_full = f.rewrite.to
            else:
                path_prefix = f.rewrite.to
        if f.set_host is not None or path_full is not None or path_prefix is not None:
            rewrite = ir.Rewrite(hostname=f.set_host, full_path=path_full, prefix_path=path_prefix)
        https = ir.Rule(match, src, backends=(row.backend,), rewrite=rewrite,
                        request_headers=ir.HeaderChanges(set=tuple(f.request_set)),
                        response_headers=ir.HeaderChanges(set=tuple(f.response_set)),
                        cors=f.cors, intents=tuple(f.intents))
    http = https
    if f.ssl_redirect is not None:
        http = ir.Rule(match, src, redirect=f.ssl_redirect, comment="ssl-redirect of this Ingress's paths (H-G3)")
    return http, https


def certificate(ctx: BuildContext, ings: list[Ingress], host: str, default: ir.SecretRef | None) -> ir.SecretRef | None:
    """The certificate HAProxy presents for `host` (by SNI, H-F3): a tls entry naming it (or a
    `*.parent` entry covering it), else the default certificate (None: there is none)."""
    wild = "*." + host.split(".", 1)[1] if "." in host and not host.startswith("*.") else None
    for want in (host, wild):
        for ing in sorted(ings, key=lambda i: i.key):
            for t in ing.spec.tls:
                if want is not None and t.secret_name and any(h.lower() == want for h in t.hosts):
                    return ir.SecretRef(ing.namespace, t.secret_name)
    return default


def _grant(ctx: BuildContext, gw: ir.Gateway, cert: ir.SecretRef) -> None:
    if cert.namespace != gw.namespace:
        ctx.out.grants.add(ir.Grant(cert.namespace, "gateway.networking.k8s.io", "Gateway", gw.namespace, "",
                                    "Secret", cert.name))


def emit(ctx: BuildContext, gw: ir.Gateway, ings: list[Ingress], rows: list[Row], features: dict[str, Features],
         default: tuple[Ingress, ir.ServiceBackend] | None, settings: Settings) -> None:
    """Add listeners and routes for the class to the IR."""
    hosts = sorted({r.host for r in rows} | ({""} if default is not None else set()))
    fallback = fallback_certificate(ings, settings)
    for host in hosts:
        owners: dict[str, _Owner] = {}
        for row in (r for r in rows if r.host == host):
            o = owners.setdefault(row.ing.key, _Owner(row.ing))
            http, https = rules_for(row, features[row.ing.key])
            o.http.append(http)
            o.https.append(https)
        if default is not None and not any(r.host == host and r.type == "PathPrefix" and r.value == "/" for r in rows):
            ing, backend = default
            o = owners.setdefault(ing.key, _Owner(ing))
            rule = ir.Rule((ir.Match(ir.PathMatch("PathPrefix", "/")),), _source(ing), backends=(backend,),
                           comment="spec.defaultBackend: every unmatched request of every host (H-D2)")
            o.http.append(rule)
            o.https.append(rule)
        _attach(ctx, gw, ings, host, owners, settings, fallback)
    cert = fallback
    if "" not in hosts and cert is not None and not settings.flags.disable_https:
        # unknown hosts: HAProxy answers HTTPS with its default certificate (and the built-in 404)
        https_l = gw.listener("HTTPS", 443, None)
        if not https_l.certificates:
            https_l.certificates.append(cert)
            _grant(ctx, gw, cert)


def fallback_certificate(ings: list[Ingress], settings: Settings) -> ir.SecretRef | None:
    """The certificate HAProxy presents when no certificate names the SNI: the default one, else
    the first file of its certificate directory (`<ns>_<name>`, lexical order) among the
    Ingresses' tls Secrets (H-F3); None when no certificate is in use, where the https port
    speaks plain HTTP (H-F1)."""
    if settings.default_cert is not None:
        return settings.default_cert
    secrets = sorted({(i.namespace, t.secret_name) for i in ings for t in i.spec.tls if t.secret_name and t.hosts},
                     key=lambda k: f"{k[0]}_{k[1]}")
    return ir.SecretRef(*secrets[0]) if secrets else None


def _attach(ctx: BuildContext, gw: ir.Gateway, ings: list[Ingress], host: str, owners: dict[str, _Owner],
            settings: Settings, fallback: ir.SecretRef | None) -> None:
    hostname = host or None
    flags = settings.flags
    http_l = None if flags.disable_http else gw.listener("HTTP", 80, hostname)
    cert = certificate(ctx, ings, host, fallback) if host else fallback
    # with no certificate at all the https port speaks plain HTTP and a TLS client fails (H-F1):
    # no HTTPS listener (ING2GW-HAPROXY-032)
    https_l = None if flags.disable_https or cert is None else gw.listener("HTTPS", 443, hostname)
    if https_l is not None and cert is not None and not https_l.certificates:
        https_l.certificates.append(cert)
        _grant(ctx, gw, cert)
    for o in sorted(owners.values(), key=lambda o: o.ing.key):
        ns = o.ing.namespace
        src = _source(o.ing)
        names = (host,) if host else ()
        qual = host or "default"
        intents = tuple(dict.fromkeys(i for r in o.https for i in r.intents))
        for lst in (http_l, https_l):
            if lst is not None:
                lst.allowed_namespaces.add(ns)
        if http_l is None or https_l is None:
            only = https_l if http_l is None else http_l
            if only is None:
                continue
            rules = o.https if only is https_l else o.http
            ctx.out.routes.append(ir.Route("HTTPRoute", ns, o.ing.name, src, names, (only.key,), list(rules),
                                           qualifiers=(qual,),
                                           intents=intents if any(r.redirect is None for r in rules) else ()))
        elif o.http == o.https:
            ctx.out.routes.append(ir.Route("HTTPRoute", ns, o.ing.name, src, names, (http_l.key, https_l.key),
                                           list(o.https), qualifiers=(qual,), intents=intents))
        else:
            ctx.out.routes.append(ir.Route("HTTPRoute", ns, o.ing.name, src, names, (https_l.key,), list(o.https),
                                           qualifiers=(qual,), intents=intents))
            ctx.out.routes.append(ir.Route("HTTPRoute", ns, o.ing.name, src, names, (http_l.key,), list(o.http),
                                           qualifiers=(qual, "http"),
                                           intents=intents if any(r.redirect is None for r in o.http) else ()))
    if host.startswith("*."):
        first = min((o.ing for o in owners.values()), key=lambda i: i.key)
        ctx.finding(Severity.WARNING, "ING2GW-HAPROXY-011",
                    f"wildcard host {host}: HAProxy matches exactly one label (a.{host[2:]}), Gateway API one or more "
                    f"(a.b.{host[2:]} too, which HAProxy sent to the host-less rules or its default backend)", ing=first,
                    suggestion="if deeper names must not reach these routes, add listeners or routes for them",
                    details={"wildcard": host})


def gateway_findings(ctx: BuildContext, gw: ir.Gateway, settings: Settings, has_default: bool, hostless: bool,
                     fallback: ir.SecretRef | None) -> None:
    """Findings about the class as a whole."""
    subject = f"Gateway {gw.namespace}/{gw.name}"
    flags = settings.flags
    cert = settings.default_cert
    if flags.chart:
        ctx.findings.append(Finding(
            Severity.INFO, "ING2GW-HAPROXY-001",
            "translated as the HAProxy Helm chart runs the controller (give its arguments with --haproxy-flag if they "
            "differ): class haproxy, ConfigMap haproxy-controller/haproxy-kubernetes-ingress, default certificate "
            + (f"{cert.namespace}/{cert.name} (HTTPS for every host)" if cert is not None else "none"),
            subject=subject))
    else:
        ctx.findings.append(Finding(
            Severity.INFO, "ING2GW-HAPROXY-001",
            f"translated as the controller runs with the given flags: {flags.describe()}", subject=subject))
    if fallback is None and not flags.disable_https:
        ctx.findings.append(Finding(
            Severity.INFO, "ING2GW-HAPROXY-032",
            "no certificate is in use (no default certificate, no Ingress tls Secret): HAProxy's https port spoke plain "
            "HTTP and TLS clients failed; the Gateway gets no HTTPS listener", subject=subject))
    ctx.findings.append(Finding(
        Severity.INFO, "ING2GW-HAPROXY-012",
        "HAProxy does not strip a trailing dot from the Host header (shop.example.com. is another host); whether a "
        "Gateway matches such names is implementation-specific", subject=subject))
    if cert is not None and not flags.disable_quic and not flags.disable_https:
        ctx.findings.append(Finding(
            Severity.INFO, "ING2GW-HAPROXY-021",
            "HAProxy announces HTTP/3 on HTTPS answers (alt-svc header, QUIC is on unless --disable-quic); the Gateway "
            "does not unless the implementation does it itself", subject=subject))
    if hostless:
        ctx.findings.append(Finding(
            Severity.INFO, "ING2GW-HAPROXY-025",
            "a request without a Host header went to HAProxy's default backend; the Gateway's host-less listeners "
            "serve it", subject=subject))
    if not has_default and flags.default_backend is None:
        ctx.findings.append(Finding(
            Severity.INFO, "ING2GW-HAPROXY-013",
            "unmatched requests went to the controller's built-in default service: 404, but 200 for GET /healthz and "
            "/healtz; the Gateway answers 404 for those too", subject=subject,
            details=(("paths", paths_detail([("exact", "/healthz"), ("exact", "/healtz")])),)))
    for disabled, scheme in ((flags.disable_http, "HTTP"), (flags.disable_https, "HTTPS")):
        if disabled:
            ctx.findings.append(Finding(
                Severity.INFO, "ING2GW-HAPROXY-035",
                f"--disable-{scheme.lower()}: the controller has no {scheme} frontend, so the Gateway gets no {scheme} "
                "listener", subject=subject))
