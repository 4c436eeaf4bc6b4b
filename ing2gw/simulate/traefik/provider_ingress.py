"""Traefik's Kubernetes Ingress provider: Ingresses to routers and services.

Follows pkg/provider/kubernetes/ingress/kubernetes.go `loadConfigurationFromIngresses`
(traefik-semantics.md A, B, C5, H): the class filter, the router.* annotations, one router per
path named `Normalize(ns-name-host+path)` (hash-suffixed when names collide inside an Ingress),
the rule `Host(%q) && PathPrefix(%q)` (or Path / PathRegexp / strict prefix), one service per
`ns-service-port`, the global default backend, and the certificates of `spec.tls`.

Objects come in input order where Traefik's order is a Go map's (T-A5): when that order could
change the configuration (two rules-less default backends, two Ingresses writing the same router
name), the first in the input wins and the others are kept as `Router.alternatives`, so an
answer can say it is one of several.
"""

from __future__ import annotations

import hashlib
import json

from ing2gw.simulate.ingress_objects import Backend, Ingress, IngressPath
from ing2gw.simulate.traefik.annotations import (AnnotationError, RouterAnnotations, router_annotations,
                                                 service_annotations)
from ing2gw.simulate.traefik.cluster import Cluster
from ing2gw.simulate.traefik.config import (MIN_INT32, PROVIDER_INGRESS, Certificate, DynamicConfig, LoadBalancer,
                                            Router, RouterTLS, Service, normalize)
from ing2gw.simulate.traefik.objects import TraefikInputs
from ing2gw.simulate.traefik.labels import selector_matches
from ing2gw.simulate.traefik.static import DEFAULT_CONTROLLER, StaticConfig

CLASS_ANNOTATION = "kubernetes.io/ingress.class"


def _quote(s: str) -> str:
    """Go %q of a printable string: double quotes with `"` and `\\` escaped."""
    return json.dumps(s, ensure_ascii=False)


_QUOTE_META = set("\\.+*?()|[]{}^$")


def quote_meta(s: str) -> str:
    """Go regexp.QuoteMeta: a backslash before every regexp metacharacter."""
    return "".join("\\" + c if c in _QUOTE_META else c for c in s)


def router_key_with_hash(key: str, rule: str) -> str:
    """makeRouterKeyWithHash: the key and the first 10 bytes of sha256(rule) in hex."""
    return f"{key}-{hashlib.sha256(rule.encode('utf-8')).hexdigest()[:20]}"


def _host_rule(host: str, syntax: str, static: StaticConfig) -> str:
    if syntax == "v2" and host.startswith("*."):
        # buildHostRuleV2: a gorilla/mux template for one label
        return f"HostRegexp({_quote(host.replace('*.', '{subdomain:[a-zA-Z0-9-]+}.', 1))})"
    if syntax != "v2" and host.startswith("*.") and static.version < (3, 7):
        # v3.0-v3.6 buildHostRule: the wildcard as an anchored regexp (T-B2 version note)
        return f"HostRegexp({_quote('^[a-zA-Z0-9-]+' + quote_meta('.' + host[2:]) + '$')})"
    return f"Host({_quote(host)})"


def _path_rule(static: StaticConfig, matcher: str, path: str) -> str:
    """buildRule / buildStrictPrefixMatchingRule."""
    if static.ingress.strict_prefix_matching and matcher == "PathPrefix":
        if path == "/":
            return 'PathPrefix("/")'
        p = path[:-1] if path.endswith("/") else path
        return f"(Path({_quote(p)}) || PathPrefix({_quote(p + '/')}))"
    return f"{matcher}({_quote(path)})"


class IngressProvider:
    def __init__(self, inputs: TraefikInputs, cluster: Cluster, static: StaticConfig, conf: DynamicConfig) -> None:
        self.inputs = inputs
        self.cluster = cluster
        self.static = static
        self.conf = conf
        self.opts = static.ingress
        #: routers per provider-level name (the configuration map)
        self.routers: dict[str, Router] = {}
        self.services: dict[str, Service] = {}
        #: every service name a path asked for and the error it met (for the config view)
        self.service_errors: dict[str, str] = {}

    # ---- class filter (T-A1) -----------------------------------------------------------------

    def _classes(self) -> set[str]:
        if self.opts.disable_ingress_class_lookup or self.opts.disable_cluster_scope_resources:
            return set()
        classes: dict[str, str] = {name: ctrl for name, ctrl in self.static.ingress_classes.items()}
        for name, ic in self.inputs.classes.items():
            classes[name] = ic.controller
        names = {n for n, ctrl in classes.items() if ctrl == DEFAULT_CONTROLLER}
        if self.opts.ingress_class:
            names = {n for n in names if n == self.opts.ingress_class}
        for n in sorted(names):
            if n not in self.inputs.classes:
                note = f"IngressClass {n} is not in the input; assumed to exist for {DEFAULT_CONTROLLER}"
                if note not in self.conf.assumptions:
                    self.conf.assumptions.append(note)
        return names

    def _why_not(self, ing: Ingress, classes: set[str]) -> str | None:
        if ing.class_name is not None:
            if ing.class_name in classes:
                return None
            if self.opts.disable_ingress_class_lookup or self.opts.disable_cluster_scope_resources:
                return "IngressClass lookup is disabled (disableIngressClassLookup), so spec.ingressClassName " \
                       "never matches"
            ic = self.inputs.classes.get(ing.class_name)
            if ic is not None and ic.controller != DEFAULT_CONTROLLER:
                return f"IngressClass {ing.class_name} belongs to controller {ic.controller}"
            if self.opts.ingress_class and ing.class_name != self.opts.ingress_class:
                return f"ingressClassName {ing.class_name!r} is not providers.kubernetesIngress.ingressClass " \
                       f"{self.opts.ingress_class!r}"
            return f"IngressClass {ing.class_name} does not exist (not in the input, not in ingressClasses)"
        value = ing.annotations.get(CLASS_ANNOTATION, "")
        if self.opts.ingress_class == value or (not self.opts.ingress_class and value == "traefik"):
            return None
        return f"annotation {CLASS_ANNOTATION}={value!r} is not {self.opts.ingress_class or 'traefik'!r}"

    # ---- services (T-B6) ---------------------------------------------------------------------

    def _service_name(self, ing: Ingress, backend: Backend) -> str:
        assert backend.service is not None
        return normalize(f"{ing.namespace}-{backend.service.name}-{backend.service.port}")

    def _load_service(self, namespace: str, backend: Backend, name: str) -> Service | str:
        """loadService: the service (a load balancer and the Service's service.middlewares), or
        why it cannot be created."""
        assert backend.service is not None
        ref = backend.service
        svc = self.cluster.service(namespace, ref.name)
        if svc is None:
            return f"service {namespace}/{ref.name} not found"
        if svc.type == "ExternalName" and not self.opts.allow_external_name_services:
            return f"externalName services not allowed: {namespace}/{ref.name}"
        assumed = self.cluster.is_assumed(svc)
        if assumed:
            port_name = ref.port if isinstance(ref.port, str) else ""
            port_num: int | str = ref.port
        else:
            found = None
            for pname, pnum in svc.ports:
                if (isinstance(ref.port, int) and ref.port == pnum) or (isinstance(ref.port, str) and pname == ref.port
                                                                        and pname):
                    found = (pname, pnum)
                    break
            if found is None:
                return f"service port {ref.port} not found in Service {namespace}/{ref.name}"
            port_name, port_num = found
        try:
            sa = service_annotations(svc.annotations)
        except AnnotationError as exc:
            return f"Service {namespace}/{ref.name}: cannot decode service annotations: {exc}"
        if sa.servers_transport and self.opts.cross_provider_namespaces is not None \
                and namespace not in self.opts.cross_provider_namespaces:
            return f"cross-provider serversTransport reference is not allowed from namespace {namespace!r}"
        scheme = sa.servers_scheme or ("https" if port_num == 443 or port_name.startswith("https") else "http")
        native = self.opts.native_lb_by_default if sa.native_lb is None else sa.native_lb
        if svc.type == "ExternalName":
            servers = 1
        elif native:
            if svc.cluster_ip in (None, ""):
                return f"no clusterIP found for service: {namespace}/{ref.name}"
            if svc.cluster_ip == "None":
                return f"no clusterIP on headless service: {namespace}/{ref.name}"
            servers = 1
        else:
            servers = self.cluster.endpoints(namespace, ref.name)
        lb = LoadBalancer(namespace=namespace, service=ref.name, port=port_num, port_name=port_name, servers=servers,
                          scheme=scheme, pass_host_header=sa.pass_host_header, servers_transport=sa.servers_transport,
                          external_name=svc.external_name if svc.type == "ExternalName" else None,
                          sticky=sa.sticky, native_lb=native, assumed=assumed)
        if sa.node_port_lb and svc.type == "NodePort":
            lb.servers = 1
            self.conf.unmodelled.append(f"Service {namespace}/{ref.name}: nodePortLB (traffic to the nodes' "
                                        "NodePort)")
        return Service(name, PROVIDER_INGRESS, lb, tuple(sa.middlewares))

    def _ensure_service(self, ing: Ingress, backend: Backend, name: str) -> str | None:
        """The service `name` exists after this (None), or why not (the path is skipped)."""
        if name in self.services:
            return None
        svc = self._load_service(ing.namespace, backend, name)
        if isinstance(svc, str):
            self.service_errors[name] = svc
            return svc
        assert isinstance(svc.body, LoadBalancer)
        if svc.body.servers == 0 and not self.opts.allow_empty_services:
            why = f"Skipping service: no endpoints found ({svc.body.namespace}/{svc.body.service})"
            self.service_errors[name] = why
            return why
        self.services[name] = svc
        self.service_errors.pop(name, None)
        return None

    # ---- routers (T-B1..B5) ------------------------------------------------------------------

    def _router_for_path(self, ing: Ingress, host: str, p: IngressPath, rc: RouterAnnotations,
                         service: str) -> Router | str:
        syntax = rc.rule_syntax
        effective_syntax = syntax or self.static.default_rule_syntax
        parts = []
        if host:
            parts.append(_host_rule(host, "v2" if effective_syntax == "v2" else "v3", self.static))
        if p.path:
            matcher = "PathPrefix"
            if p.path_type == "ImplementationSpecific":
                if rc.path_matcher:
                    if rc.path_matcher not in ("Path", "PathPrefix", "PathRegexp"):
                        return (f"invalid router path matcher {rc.path_matcher!r}: must be one of Path, PathPrefix, "
                                "PathRegexp")
                    matcher = rc.path_matcher
            elif p.path_type == "Exact":
                matcher = "Path"
            parts.append(_path_rule(self.static, matcher, p.path))
        rule = " && ".join(parts)
        return Router(name="", provider=PROVIDER_INGRESS, rule=rule, priority=rc.priority, syntax=syntax,
                      entry_points=rc.entry_points, middlewares=rc.middlewares, service=service,
                      tls=RouterTLS(rc.tls_options, rc.tls_cert_resolver, rc.tls_domains) if rc.tls else None,
                      source_kind="Ingress", source=ing.key, origin=ing.origin)

    def _certificates(self, ing: Ingress) -> None:
        """getCertificates: every spec.tls secretName of the Ingress namespace; the first one that
        fails stops the reading of that Ingress's TLS entries (T-C5)."""
        for t in ing.tls:
            if not t.secret_name:
                continue
            key = f"{ing.namespace}/{t.secret_name}"
            if key in self.conf.certificates:
                continue
            found = self.cluster.tls_secret(ing.namespace, t.secret_name)
            if found.error is not None:
                self.conf.skipped.append(f"Ingress {ing.key}: Error configuring TLS: {found.error}")
                return
            sans, assumed = found.sans, False
            if sans is None:
                sans, assumed = tuple(t.hosts), True
            self.conf.certificates[key] = Certificate(key, sans, assumed)

    def load(self) -> None:
        classes = self._classes()
        for ing in self.inputs.ingresses:
            where = f"Ingress {ing.key}"
            if self.opts.namespaces and ing.namespace not in self.opts.namespaces:
                self.conf.ignored[where] = f"namespace {ing.namespace} is not watched (providers.kubernetesIngress." \
                                           "namespaces)"
                continue
            labels = self.inputs.labels.get(("Ingress", ing.namespace, ing.name), {})
            if self.opts.label_selector and not selector_matches(self.opts.label_selector, labels):
                self.conf.ignored[where] = f"labels do not match labelSelector {self.opts.label_selector!r}"
                continue
            why = self._why_not(ing, classes)
            if why is not None:
                self.conf.ignored[where] = why
                continue
            try:
                rc = router_annotations(ing.annotations)
            except AnnotationError as exc:
                self.conf.ignored[where] = f"Failed to parse annotations: {exc}"
                continue
            cpn = self.opts.cross_provider_namespaces
            if rc.present and cpn is not None and ing.namespace not in cpn:
                if rc.middlewares:
                    self.conf.ignored[where] = "cross-provider middleware reference is not allowed from namespace " \
                                               f"{ing.namespace!r}"
                    continue
                if rc.tls and rc.tls_options:
                    self.conf.ignored[where] = "cross-provider TLS option reference is not allowed from namespace " \
                                               f"{ing.namespace!r}"
                    continue
            self._certificates(ing)
            if not ing.rules and ing.default_backend is not None:
                self._default_backend(ing, rc)
            self._paths(ing, rc)

    def _default_backend(self, ing: Ingress, rc: RouterAnnotations) -> None:
        """T-B5: one `default-router` for the first rules-less Ingress with a defaultBackend."""
        backend = ing.default_backend
        assert backend is not None
        if backend.service is None:
            self.conf.skipped.append(f"Ingress {ing.key}: Resource is not supported for default backend")
            return
        existing = "default-backend" in self.services
        name = f"default-backend~{ing.key}" if existing else "default-backend"
        svc = self._load_service(ing.namespace, backend, name)
        if isinstance(svc, str):
            self.conf.skipped.append(f"Ingress {ing.key}: Cannot create service: {svc}")
            return
        assert isinstance(svc.body, LoadBalancer)
        if svc.body.servers == 0 and not self.opts.allow_empty_services:
            self.conf.skipped.append(f"Ingress {ing.key}: Skipping service: no endpoints found")
            return
        rt = Router(name="default-router", provider=PROVIDER_INGRESS, rule='PathPrefix("/")', priority=MIN_INT32,
                    syntax="default", entry_points=rc.entry_points, middlewares=rc.middlewares,
                    service=name,
                    tls=RouterTLS(rc.tls_options, rc.tls_cert_resolver, rc.tls_domains) if rc.tls else None,
                    source_kind="Ingress", source=ing.key, origin=ing.origin)
        if existing:
            # "The default backend already exists": this Ingress would have won in another list order
            self.services[name] = svc
            self.routers["default-router"].alternatives.append(rt)
            self.conf.skipped.append(f"Ingress {ing.key}: The default backend already exists (which Ingress owns "
                                     "it depends on Traefik's list order)")
            return
        self.services[name] = svc
        self.routers["default-router"] = rt

    def _paths(self, ing: Ingress, rc: RouterAnnotations) -> None:
        groups: dict[str, list[Router]] = {}
        for rule in ing.rules:
            if rule.paths is None:
                continue
            for p in rule.paths:
                if p.backend.service is None:
                    self.conf.skipped.append(f"Ingress {ing.key} {p.where}: Resource backends are not supported")
                    continue
                sname = self._service_name(ing, p.backend)
                err = self._ensure_service(ing, p.backend, sname)
                if err is not None:
                    self.conf.skipped.append(f"Ingress {ing.key} {p.where}: Cannot create service: {err}")
                    continue
                rt = self._router_for_path(ing, rule.host, p, rc, sname)
                if isinstance(rt, str):
                    self.conf.skipped.append(f"Ingress {ing.key} {p.where}: Skipping path: {rt}")
                    continue
                key = normalize(f"{ing.namespace}-{ing.name}-{rule.host}{p.path}").lstrip("-")
                groups.setdefault(key, []).append(rt)
        for key, rts in groups.items():
            if len(rts) == 1:
                self._put(key, rts[0])
                continue
            for rt in rts:  # conflicting keys: hash-suffixed; an identical rule overwrites (later wins)
                self._put(router_key_with_hash(key, rt.rule), rt, same_ingress=True)

    def _put(self, name: str, rt: Router, same_ingress: bool = False) -> None:
        rt.name = name
        old = self.routers.get(name)
        if old is not None and not same_ingress and old.source != rt.source:
            # two Ingresses write one router name: the list order decides (T-B3)
            old.alternatives.append(rt)
            self.conf.skipped.append(f"router {name}: written by Ingress {old.source} and Ingress {rt.source}; "
                                     "which one exists depends on Traefik's list order")
            return
        if old is not None and same_ingress:
            self.conf.notes.append(f"router {name}: two paths of Ingress {rt.source} have the same rule; the later "
                                   "path overwrites the earlier")
        self.routers[name] = rt

    def publish(self) -> None:
        for rt in self.routers.values():
            self.conf.routers[rt.qualified] = rt
        for svc in self.services.values():
            self.conf.services[svc.qualified] = svc
