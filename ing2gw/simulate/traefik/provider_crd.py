"""Traefik's Kubernetes CRD provider: IngressRoutes, Middlewares, TraefikServices,
ServersTransports, TLSOptions and TLSStores to dynamic configuration.

Follows pkg/provider/kubernetes/crd/kubernetes.go and kubernetes_http.go:

* a route of an IngressRoute is a router named `Normalize(ns-name-<10 bytes of sha256(match)>)`
  with the route's `priority` (0 = rule length) and `syntax`, the IngressRoute's entry points and
  TLS; a route whose middleware or service cannot be resolved is skipped (no router);
* one Kubernetes Service becomes a load balancer named after the router; several services a
  weighted round robin named after the router (children `ns-svc-port`); a TraefikService is
  referenced as `ns-name@kubernetescrd`;
* cross-namespace references (middlewares, services, TLS options, ServersTransports) are
  refused unless `providers.kubernetesCRD.allowCrossNamespace`, and then `...@kubernetescrd`
  names are refused as well (`resolveReference`);
* a Middleware whose creation fails (basicAuth Secret missing, forwardAuth without address,
  ...) does not exist: every router that uses it is dropped when built.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from ing2gw.simulate.traefik.cluster import Cluster
from ing2gw.simulate.traefik.config import (PROVIDER_CRD, Certificate, DynamicConfig, Failover, LoadBalancer,
                                            Middleware, Mirroring, Router, RouterTLS, Service, ServersTransport,
                                            TLSOption, Weighted, normalize)
from ing2gw.simulate.traefik.labels import selector_matches
from ing2gw.simulate.traefik.objects import (CRDObject, IngressRoute, LBSpec, SecretObj, TraefikInputs,
                                             read_lb, Reader)
from ing2gw.simulate.traefik.static import StaticConfig

MIDDLEWARE_TYPES = ("addPrefix", "stripPrefix", "stripPrefixRegex", "replacePath", "replacePathRegex", "chain",
                    "ipWhiteList", "ipAllowList", "headers", "encodedCharacters", "errors", "rateLimit",
                    "redirectRegex", "redirectScheme", "basicAuth", "digestAuth", "forwardAuth", "inFlightReq",
                    "buffering", "circuitBreaker", "compress", "passTLSClientCert", "retry", "contentType", "grpcWeb",
                    "plugin")
_DURATION = re.compile(r"^(\d+|([0-9]*\.?[0-9]+(ns|us|µs|ms|s|m|h))+)$")
_BALANCER_STRATEGIES = ("wrr", "p2c", "hrw", "leasttime", "RoundRobin")


class RefError(ValueError):
    """A reference Traefik refuses (the route, chain or service that makes it is skipped)."""


def service_key(match: str, name: str) -> str:
    """makeServiceKey: the IngressRoute name and the first 10 bytes of sha256(match) in hex."""
    return f"{name}-{hashlib.sha256(match.encode('utf-8')).hexdigest()[:20]}"


class CRDProvider:
    def __init__(self, inputs: TraefikInputs, cluster: Cluster, static: StaticConfig, conf: DynamicConfig,
                 legacy_group: bool) -> None:
        self.inputs = inputs
        self.cluster = cluster
        self.static = static
        self.opts = static.crd
        self.conf = conf
        #: whether objects of traefik.containo.us are read (Traefik v2), or ignored (v3)
        self.legacy_group = legacy_group
        self.services: dict[str, Service] = {}

    def _visible(self, group: str, namespace: str, what: str, kind: str = "", name: str = "") -> bool:
        if group == "traefik.containo.us" and not self.legacy_group:
            self.conf.ignored[what] = "Traefik v3 does not read the traefik.containo.us API group (removed in " \
                                      "v3.0); use traefik.io/v1alpha1"
            return False
        if self.opts.namespaces and namespace not in self.opts.namespaces:
            self.conf.ignored[what] = f"namespace {namespace} is not watched (providers.kubernetesCRD.namespaces)"
            return False
        if self.opts.label_selector and kind:
            labels = self.inputs.labels.get((kind, namespace, name), {})
            if not selector_matches(self.opts.label_selector, labels):
                self.conf.ignored[what] = f"labels do not match labelSelector {self.opts.label_selector!r}"
                return False
        return True

    # ---- references --------------------------------------------------------------------------

    def _cross_ok(self, parent_ns: str, ns: str) -> bool:
        return self.opts.allow_cross_namespace or parent_ns == ns

    def _cpn_ok(self, ns: str) -> bool:
        cpn = self.opts.cross_provider_namespaces
        return cpn is None or ns in cpn

    def resolve_reference(self, parent_ns: str, ns: str, name: str, what: str) -> str:
        """resolveReference: `ns-name` (normalized) or a cross-provider `name@provider`."""
        if "@" in name:
            if not self.opts.allow_cross_namespace and name.endswith("@kubernetescrd"):
                raise RefError(f"invalid reference to {what} {name}: when allowCrossNamespace is disabled, "
                               "@kubernetescrd references are disallowed")
            if not self._cpn_ok(parent_ns):
                raise RefError(f"invalid reference to {what} {name}: namespace {parent_ns!r} is not in "
                               "crossProviderNamespaces")
            return name
        ns = ns or parent_ns
        if not self._cross_ok(parent_ns, ns):
            raise RefError(f"invalid reference to {what} {name}: allowCrossNamespace is disabled, cross-namespace "
                           f"references ({parent_ns} -> {ns}) are disallowed")
        return normalize(f"{ns}-{name}")

    # ---- services ----------------------------------------------------------------------------

    def _servers(self, lb: LBSpec, ns: str) -> tuple[LoadBalancer, ...] | str:
        svc = self.cluster.service(ns, lb.name)
        if svc is None:
            return f"kubernetes service not found: {ns}/{lb.name}"
        port = lb.port
        if port is None:
            return "ingressRoute service port not defined"
        assumed = self.cluster.is_assumed(svc)
        found: tuple[str, int | str] | None = None
        pnum: int | str
        if assumed:
            found = (port if isinstance(port, str) else "", port)
        else:
            for pname, pnum in svc.ports:
                if (isinstance(port, int) and port == pnum) or (isinstance(port, str) and port == pname):
                    found = (pname, pnum)
                    break
            if found is None:
                if svc.type != "ExternalName" or isinstance(port, str):
                    return f"service port not found: {port}"
                found = ("", port)
        pname, pnum = found
        if svc.type != "ExternalName" and lb.health_check:
            return f"healthCheck allowed only for ExternalName services: {ns}/{lb.name}"
        if lb.scheme not in ("", "http", "https", "h2c"):
            return f"invalid scheme {lb.scheme!r} specified"
        scheme = lb.scheme or ("https" if pnum == 443 or pname.startswith("https") else "http")
        if svc.type == "ExternalName":
            if not self.opts.allow_external_name_services:
                return f"externalName services not allowed: {ns}/{lb.name}"
            return (LoadBalancer(ns, lb.name, pnum, pname, 1, scheme, external_name=svc.external_name),)
        native = self.opts.native_lb_by_default if lb.native_lb is None else lb.native_lb
        if native:
            if svc.cluster_ip in (None, "", "None"):
                return f"getting native Kubernetes Service address: no clusterIP on {ns}/{lb.name}"
            return (LoadBalancer(ns, lb.name, pnum, pname, 1, scheme, native_lb=True, assumed=assumed),)
        servers = self.cluster.endpoints(ns, lb.name)
        if servers == 0 and not self.opts.allow_empty_services:
            return f"no servers found for {ns}/{lb.name}"
        return (LoadBalancer(ns, lb.name, pnum, pname, servers, scheme, assumed=assumed),)

    def _transport_key(self, ns: str, name: str) -> str:
        """makeServersTransportKey."""
        if not name:
            return ""
        if "@" in name:
            if not self.opts.allow_cross_namespace and name.endswith("@kubernetescrd"):
                raise RefError(f"invalid reference to serversTransport {name}: namespace-name@kubernetescrd "
                               "format is not allowed when crossnamespace is disallowed")
            if not self._cpn_ok(ns):
                raise RefError(f"serversTransport {name!r} reference is not allowed: namespace {ns!r} is not in "
                               "crossProviderNamespaces")
            return name
        return normalize(f"{ns}-{name}")

    def name_and_service(self, parent_ns: str, lb: LBSpec) -> tuple[str, Service | None]:
        """nameAndService: the service's full name and, for a Kubernetes Service, its load
        balancer (RefError when it cannot be built)."""
        ns = lb.namespace
        if "@" not in lb.name:
            ns = lb.namespace or parent_ns
            if not self._cross_ok(parent_ns, ns):
                raise RefError(f"service {ns}/{lb.name} not in the parent resource namespace {parent_ns}")
        elif not self._cpn_ok(parent_ns):
            raise RefError(f"service {lb.name!r} reference is not allowed: namespace {parent_ns!r} is not in "
                           "crossProviderNamespaces")
        if lb.kind in ("", "Service"):
            if lb.strategy and lb.strategy not in _BALANCER_STRATEGIES:
                raise RefError(f"load-balancer strategy {lb.strategy} is not supported")
            servers = self._servers(lb, ns)
            if isinstance(servers, str):
                raise RefError(servers)
            body = servers[0]
            body.pass_host_header = True if lb.pass_host_header is None else lb.pass_host_header
            body.sticky = lb.sticky
            body.strategy = lb.strategy
            body.servers_transport = self._transport_key(ns, lb.servers_transport)
            mws = tuple(self.resolve_reference(ns, r.namespace, r.name, "middleware") for r in lb.middlewares)
            full = normalize(f"{ns}-{lb.name}-{lb.port}")
            return full, Service(full, PROVIDER_CRD, body, mws)
        if lb.kind == "TraefikService":
            if "@" not in lb.name:
                return normalize(f"{ns}-{lb.name}"), None
            name, _, provider = lb.name.rpartition("@")
            if provider == PROVIDER_CRD:
                return normalize(f"{ns}-{name}"), None
            return f"{normalize(name)}@{provider}", None
        raise RefError(f"unsupported service kind {lb.kind}")

    def _add(self, full: str, svc: Service | None) -> None:
        if svc is not None:
            svc.name = full
            self.services[full] = svc

    def _weighted(self, ns: str, specs: tuple[LBSpec, ...], sticky: bool, hrw: bool = False) -> Weighted:
        children = []
        for lb in specs:
            full, svc = self.name_and_service(ns, lb)
            self._add(full, svc)
            children.append((full, 1 if lb.weight is None else lb.weight))
        return Weighted(children, sticky=sticky, hrw=hrw)

    def _traefik_service(self, obj: CRDObject) -> None:
        sid = normalize(f"{obj.namespace}-{obj.name}")
        spec = obj.spec
        r = Reader(obj.origin, f"TraefikService {obj.key}")
        try:
            if spec.get("weighted") is not None:
                w = spec["weighted"] or {}
                specs = tuple(x for x in (read_lb(r, s, "spec.weighted.services") for s in w.get("services") or [])
                              if x is not None)
                body: Any = self._weighted(obj.namespace, specs,
                                           isinstance(w.get("sticky"), dict) and w["sticky"].get("cookie") is not None)
            elif spec.get("mirroring") is not None:
                m = spec["mirroring"] or {}
                main = read_lb(r, m, "spec.mirroring")
                if main is None:
                    raise RefError("mirroring needs a service name")
                full, svc = self.name_and_service(obj.namespace, main)
                self._add(full, svc)
                mirrors = []
                for raw in m.get("mirrors") or []:
                    mi = read_lb(r, raw, "spec.mirroring.mirrors")
                    if mi is None:
                        continue
                    mfull, msvc = self.name_and_service(obj.namespace, mi)
                    self._add(mfull, msvc)
                    mirrors.append((mfull, mi.percent))
                body = Mirroring(full, mirrors)
            elif spec.get("highestRandomWeight") is not None:
                h = spec["highestRandomWeight"] or {}
                specs = tuple(x for x in (read_lb(r, s, "spec.highestRandomWeight.services")
                                          for s in h.get("services") or []) if x is not None)
                body = self._weighted(obj.namespace, specs, False, hrw=True)
            elif spec.get("failover") is not None:
                f = spec["failover"] or {}
                main = read_lb(r, f.get("service"), "spec.failover.service")
                fallback = read_lb(r, f.get("fallback"), "spec.failover.fallback")
                if main is None or fallback is None:
                    raise RefError("failover needs service and fallback")
                mfull, msvc = self.name_and_service(obj.namespace, main)
                ffull, fsvc = self.name_and_service(obj.namespace, fallback)
                self._add(mfull, msvc)
                self._add(ffull, fsvc)
                body = Failover(mfull, ffull)
            else:
                raise RefError("unspecified service type")
            if r.problems:
                raise RefError("; ".join(p.message for p in r.problems))
        except RefError as exc:
            self.conf.skipped.append(f"TraefikService {obj.key}: Error while building TraefikService: {exc}")
            return
        self.services[sid] = Service(sid, PROVIDER_CRD, body)

    # ---- middlewares -------------------------------------------------------------------------

    def _secret(self, ns: str, name: str) -> SecretObj | bool:
        if not name:
            raise RefError("auth secret must be set")
        found = self.cluster.secret(ns, name)
        if found is None:
            raise RefError(f"secret '{ns}/{name}' not found")
        return found

    def _auth_users(self, ns: str, name: str, basic: bool) -> list[str] | None:
        """loadBasicAuthCredentials / loadAuthCredentials: htpasswd lines (None: unknown content)."""
        secret = self._secret(ns, name)
        if secret is True or secret is False:
            return None
        if basic and secret.type == "kubernetes.io/basic-auth":
            if "username" not in secret.data or "password" not in secret.data:
                raise RefError(f"secret '{ns}/{name}' must contain both username and password keys")
            digest = base64.b64encode(hashlib.sha1(secret.data["password"]).digest()).decode()
            return [f"{secret.data['username'].decode('utf-8', 'replace')}:{{SHA}}{digest}"]
        if len(secret.data) != 1:
            raise RefError(f"found {len(secret.data)} elements for secret '{ns}/{name}', must be single element "
                           "exactly")
        content = next(iter(secret.data.values())).decode("utf-8", "replace")
        lines = [ln for ln in content.splitlines() if ln]
        if not lines:
            raise RefError(f"secret '{ns}/{name}' does not contain any credentials")
        return lines

    def _middleware(self, obj: CRDObject) -> None:
        mid = normalize(f"{obj.namespace}-{obj.name}")
        spec = dict(obj.spec)
        kinds = tuple(k for k in MIDDLEWARE_TYPES if spec.get(k) is not None)
        unknown = sorted(k for k in spec if k not in MIDDLEWARE_TYPES)
        mw = Middleware(mid, PROVIDER_CRD, kinds, spec, obj.namespace, obj.origin)
        if unknown:
            mw.resolved["unknown"] = unknown
        try:
            ns = obj.namespace
            if spec.get("basicAuth") is not None:
                mw.resolved["users"] = self._auth_users(ns, str((spec["basicAuth"] or {}).get("secret") or ""), True)
            if spec.get("digestAuth") is not None:
                mw.resolved["users"] = self._auth_users(ns, str((spec["digestAuth"] or {}).get("secret") or ""),
                                                        False)
            if spec.get("forwardAuth") is not None:
                fa = spec["forwardAuth"] or {}
                if not fa.get("address"):
                    raise RefError("forward authentication requires an address")
                tls = fa.get("tls") or {}
                for key in ("caSecret", "certSecret"):
                    if tls.get(key) and self.cluster.secret(ns, str(tls[key])) is None:
                        raise RefError(f"failed to load auth {key}: secret {ns}/{tls[key]} not found")
            if spec.get("errors") is not None:
                er = spec["errors"] or {}
                r = Reader(obj.origin, f"Middleware {obj.key}")
                lb = read_lb(r, er.get("service"), "spec.errors.service")
                if lb is None:
                    raise RefError("errors: service must be set")
                full, svc = self.name_and_service(ns, lb)
                if svc is not None:
                    svc.name = f"{mid}-errorpage-service"
                    self.services[svc.name] = svc
                    mw.resolved["service"] = svc.name
                else:
                    mw.resolved["service"] = full
            if spec.get("rateLimit") is not None:
                rl = spec["rateLimit"] or {}
                period = rl.get("period")
                if period is not None and not _DURATION.match(str(period)):
                    raise RefError(f"invalid period {period!r}")
                redis = rl.get("redis") or {}
                if redis.get("secret") and self.cluster.secret(ns, str(redis["secret"])) is None:
                    raise RefError(f"secret '{ns}/{redis['secret']}' not found")
            for key, fields in (("retry", ("initialInterval", "timeout")),
                                ("circuitBreaker", ("checkPeriod", "fallbackDuration", "recoveryDuration"))):
                if spec.get(key) is not None:
                    for f in fields:
                        v = (spec[key] or {}).get(f)
                        if v is not None and v != 0 and not _DURATION.match(str(v)):
                            raise RefError(f"{key}.{f}: {v!r} is not a duration")
            if spec.get("chain") is not None:
                members = []
                for ref in (spec["chain"] or {}).get("middlewares") or []:
                    if not isinstance(ref, dict) or not ref.get("name"):
                        raise RefError("chain: every member needs a name")
                    members.append(self.resolve_reference(ns, str(ref.get("namespace") or ""), str(ref["name"]),
                                                          "middleware"))
                mw.resolved["members"] = tuple(members)
        except RefError as exc:
            self.conf.skipped.append(f"Middleware {obj.key}: {exc} (the middleware does not exist; routers using "
                                     "it are dropped)")
            return
        self.conf.middlewares[mw.qualified] = mw

    # ---- IngressRoutes -----------------------------------------------------------------------

    def _class_ok(self, class_name: str) -> bool:
        """crd shouldProcessIngress."""
        return self.opts.ingress_class == class_name or (not self.opts.ingress_class and class_name == "traefik")

    def _tls_cert(self, ir: IngressRoute, hosts: list[str]) -> None:
        assert ir.tls is not None
        if not ir.tls.secret_name:
            return
        key = f"{ir.namespace}/{ir.tls.secret_name}"
        if key in self.conf.certificates:
            return
        found = self.cluster.tls_secret(ir.namespace, ir.tls.secret_name)
        if found.error is not None:
            self.conf.skipped.append(f"IngressRoute {ir.key}: Error configuring TLS: {found.error}")
            return
        sans, assumed = found.sans, False
        if sans is None:
            sans, assumed = tuple(dict.fromkeys(list(ir.tls.domains) + hosts)), True
        self.conf.certificates[key] = Certificate(key, sans, assumed)

    def _ingress_route(self, ir: IngressRoute, hosts_of: dict[str, list[str]]) -> None:
        what = f"IngressRoute {ir.key}"
        if not self._class_ok(ir.class_name):
            self.conf.ignored[what] = f"ingress class {ir.class_name!r} is not " \
                                      f"{self.opts.ingress_class or 'traefik (or none)'!r}"
            return
        if ir.tls is not None:
            self._tls_cert(ir, hosts_of.get(ir.key, []))
        if ir.parent_refs:
            self.conf.unmodelled.append(f"{what}: multi-layer routing (parentRefs) is not modelled; its routes are "
                                        "not served by the simulator")
            self.conf.ignored[what] = "child IngressRoute (parentRefs): multi-layer routing is not modelled"
            return
        for route in ir.routes:
            where = f"{what} route {route.index}"
            if route.kind and route.kind != "Rule":
                self.conf.skipped.append(f"{where}: Unsupported match kind: {route.kind}. Only \"Rule\" is supported")
                continue
            if not route.match:
                self.conf.skipped.append(f"{where}: Empty match rule")
                continue
            key = service_key(route.match, ir.name)
            name = normalize(f"{ir.namespace}-{key}")
            try:
                mds = tuple(self.resolve_reference(ir.namespace, m.namespace, m.name, "middleware")
                            for m in route.middlewares)
                service = name
                if len(route.services) > 1:
                    self.services[name] = Service(name, PROVIDER_CRD,
                                                  self._weighted(ir.namespace, route.services, False))
                elif len(route.services) == 1:
                    full, svc = self.name_and_service(ir.namespace, route.services[0])
                    if svc is not None:
                        svc.name = name
                        self.services[name] = svc
                    else:
                        service = full
                else:
                    service = ""
                tls = None
                if ir.tls is not None:
                    opts = ""
                    if ir.tls.options is not None and ir.tls.options.name:
                        opts = self.resolve_reference(ir.namespace, ir.tls.options.namespace, ir.tls.options.name,
                                                      "TLSOption")
                    tls = RouterTLS(opts, ir.tls.cert_resolver, ir.tls.domains)
            except RefError as exc:
                self.conf.skipped.append(f"{where}: {exc}")
                continue
            rt = Router(name=name, provider=PROVIDER_CRD, rule=route.match, priority=route.priority,
                        syntax=route.syntax,
                        entry_points=ir.entry_points, middlewares=mds, service=service, tls=tls,
                        source_kind="IngressRoute", source=ir.key, origin=ir.origin)
            self.conf.routers[rt.qualified] = rt

    # ---- the rest ----------------------------------------------------------------------------

    def _transports_and_tls(self) -> None:
        for obj in self.inputs.crd("ServersTransport").values():
            if not self._visible(obj.group, obj.namespace, f"ServersTransport {obj.key}"):
                continue
            sid = normalize(f"{obj.namespace}-{obj.name}")
            s = obj.spec
            self.conf.transports[f"{sid}@{PROVIDER_CRD}"] = ServersTransport(
                sid, bool(s.get("insecureSkipVerify")), str(s.get("serverName") or ""),
                bool(s.get("rootCAs") or s.get("rootCAsSecrets")))
        defaults = []
        for obj in self.inputs.crd("TLSOption").values():
            if not self._visible(obj.group, obj.namespace, f"TLSOption {obj.key}"):
                continue
            ca = obj.spec.get("clientAuth") or {}
            auth_type = str(ca.get("clientAuthType") or "") if isinstance(ca, dict) else ""
            if not auth_type and isinstance(ca, dict) and ca.get("secretNames"):
                # CA files without a type: Traefik asks for and verifies a certificate
                # (pkg/tls/tlsmanager.go buildTLSConfig: RequireAndVerifyClientCert unless set)
                auth_type = "RequireAndVerifyClientCert"
            opt = TLSOption(obj.name, auth_type, bool(obj.spec.get("sniStrict")))
            if obj.name == "default":
                defaults.append(obj.namespace)
                self.conf.tls_options["default"] = opt
            else:
                self.conf.tls_options[f"{normalize(obj.namespace + '-' + obj.name)}@{PROVIDER_CRD}"] = opt
        if len(defaults) > 1:
            del self.conf.tls_options["default"]
            self.conf.notes.append(f"TLSOption default is defined in several namespaces ({', '.join(defaults)}): "
                                   "Traefik ignores them all")
        for obj in self.inputs.crd("TLSStore").values():
            if not self._visible(obj.group, obj.namespace, f"TLSStore {obj.key}"):
                continue
            dc = obj.spec.get("defaultCertificate") or {}
            if obj.name == "default" and dc.get("secretName"):
                found = self.cluster.tls_secret(obj.namespace, str(dc["secretName"]))
                if found.error is None:
                    self.conf.default_certificate = f"{obj.namespace}/{dc['secretName']}"
            for cert in obj.spec.get("certificates") or []:
                if isinstance(cert, dict) and cert.get("secretName"):
                    key = f"{obj.namespace}/{cert['secretName']}"
                    found = self.cluster.tls_secret(obj.namespace, str(cert["secretName"]))
                    if found.error is None and key not in self.conf.certificates:
                        self.conf.certificates[key] = Certificate(key, found.sans or (), found.sans is None)

    def load(self, hosts_of: dict[str, list[str]]) -> None:
        """Everything the provider builds; `hosts_of` gives each IngressRoute's Host values (for
        certificates whose names are unknown)."""
        self._transports_and_tls()
        for obj in self.inputs.crd("Middleware").values():
            if self._visible(obj.group, obj.namespace, f"Middleware {obj.key}"):
                self._middleware(obj)
        for obj in self.inputs.crd("TraefikService").values():
            if self._visible(obj.group, obj.namespace, f"TraefikService {obj.key}"):
                self._traefik_service(obj)
        for ir in self.inputs.ingress_routes:
            if self._visible(ir.group, ir.namespace, f"IngressRoute {ir.key}", "IngressRoute", ir.name):
                self._ingress_route(ir, hosts_of)
        for svc in self.services.values():
            self.conf.services[svc.qualified] = svc

