"""Build what the controller writes for a set of manifests: map files, backends, the default
backend, frontend rules, route-acl rules and certificates (haproxy-semantics.md A-H, J build()).

The controller iterates namespaces and Ingresses from Go maps: the order is undefined. This
model processes them in input order and records where the order decides the answer (several
`spec.defaultBackend`, several route-acl rules matching one request) so the router can say so
instead of pretending to know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Mapping, Sequence

from ing2gw.simulate.haproxy.acl import Acl, Unsupported, condition_text, host_condition, parse_acl, path_condition
from ing2gw.simulate.haproxy.annotations import (UNKNOWN_SECRET, AnnotationContext, get_value, go_bool,
                                                 frontend_rules)
from ing2gw.simulate.haproxy.inputs import HAProxyInputs, clean_annotations
from ing2gw.simulate.haproxy.maps import HOST, MAP_NAMES, PATH_EXACT, PATH_PREFIX, PATH_PREFIX_EXACT, MapFile
from ing2gw.simulate.haproxy.rules import REQ_REDIRECT, PathRewrite, RateLimit, Redirect, Rule, SetHeader, SetSrc
from ing2gw.simulate.haproxy.settings import CHART_NAMESPACE, ControllerFlags, split_ns_name
from ing2gw.simulate.haproxy.text import ConfigSyntax, compile_pcre, config_word
from ing2gw.simulate.haproxy.tls import CertificateStore
from ing2gw.simulate.ingress_objects import Ingress, IngressPath
from ing2gw.simulate.request import BackendRef, ClusterContext

CONTROLLER = "haproxy.org/ingress-controller"
#: the built-in default service of the controller pod (`store.DefaultLocalBackend`)
DEFAULT_LOCAL_SERVICE = "default-local-service"
HTTP, HTTPS = "http", "https"
#: `http-request redirect ... code <n>` accepts these codes only
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
#: `deny_status` codes HAProxy has an error page for (others are refused; checked with haproxy 2.6)
DENY_CODES = frozenset({200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503,
                        504})
#: backend annotations whose effect on an answer is not modelled (the request still reaches the
#: same Service): arbitrary configuration
_OPAQUE_BACKEND = ("backend-config-snippet", "cr-backend")
#: backend annotations that change how HAProxy talks to the Service, not where the request goes:
#: the answer assumes the Service speaks what they ask for
_BACKEND_TRANSPORT = {
    "server-ssl": "TLS to the Service", "server-proto": "this protocol to the Service",
    "server-ca": "the Service's certificate is verified", "server-crt": "a client certificate is sent",
    "send-proxy-protocol": "the PROXY protocol is sent to the Service",
}


@dataclass
class Backend:
    """An HAProxy backend: a Service port (or the built-in default service)."""

    name: str
    namespace: str
    service: str
    port: int | str | None
    endpoints: int | None
    builtin: bool = False
    external_name: bool = False
    forwarded_for: bool = True
    ingresses: list[str] = field(default_factory=list)
    unmodelled: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @cached_property
    def ref(self) -> BackendRef:
        return BackendRef(self.namespace, self.service, self.port)


@dataclass(frozen=True)
class CustomRoute:
    """A route-acl `use_backend` rule."""

    backend: str
    ingress: str
    host: str
    path: str
    path_type: str
    acl_text: str
    acl: Acl | None
    problem: str | None
    host_ok: Callable[[str | None], bool]
    path_ok: Callable[[str], bool]

    @property
    def text(self) -> str:
        return f"use_backend {self.backend} if {condition_text(self.host, self.path, self.path_type, self.acl_text)}"


@dataclass
class FrontendRule:
    """A rule in a frontend: guarded rules apply only to requests whose map row carries its id."""

    rule: Rule
    guarded: bool
    order: int


class Frontend:
    """The `http` or `https` frontend's annotation rules, in evaluation order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._by_id: dict[str, FrontendRule] = {}
        self.rules: list[FrontendRule] = []
        self._memo: dict[frozenset[str] | None, RuleSet] = {}

    def add(self, rule: Rule, guarded: bool) -> None:
        """`AddRule`: the first rule with an id keeps its place; once any Ingress adds it, it is
        guarded by that id (rules of the ConfigMap alone are not)."""
        fr = self._by_id.get(rule.id)
        if fr is None:
            fr = self._by_id[rule.id] = FrontendRule(rule, False, len(self._by_id))
        if guarded:
            fr.guarded = True

    def seal(self) -> None:
        self.rules = sorted(self._by_id.values(), key=lambda fr: (fr.rule.rule_type, fr.order))

    def applicable(self, ids: frozenset[str] | None) -> "RuleSet":
        """The rules a request runs, given the rule ids of its path_match (None: unset)."""
        hit = self._memo.get(ids)
        if hit is None:
            out = []
            for fr in self.rules:
                if isinstance(fr.rule, SetSrc):
                    # `<guard> || !{ var(txn.path_match) -m found }`; without a guard the empty
                    # first term is false (checked on haproxy 2.6)
                    ok = ids is None or (fr.guarded and fr.rule.id in ids)
                else:
                    ok = not fr.guarded or (ids is not None and fr.rule.id in ids)
                if ok:
                    out.append(fr.rule)
            hit = self._memo[ids] = RuleSet(
                tuple(r for r in out if not (isinstance(r, SetHeader) and (r.after_response or r.response))),
                tuple(r for r in out if isinstance(r, SetHeader) and r.after_response),
                tuple(r for r in out if isinstance(r, SetHeader) and r.response))
        return hit


@dataclass(frozen=True)
class RuleSet:
    """The rules one request runs: `http-request` rules in order, the `http-after-response`
    (CORS) rules and the `http-response` rules."""

    request: tuple[Rule, ...]
    after_response: tuple[SetHeader, ...]
    response: tuple[SetHeader, ...]


@dataclass
class DefaultBackend:
    """Where unmatched requests go: a backend, the Ingress that set it, and the other candidates
    when several Ingresses set one (the winner is then undefined)."""

    backend: str | None
    ingress: str | None = None
    candidates: list[tuple[str, str]] = field(default_factory=list)


class HAProxyConfig:
    """What the controller writes for the input (see the module docstring)."""

    def __init__(self, inputs: HAProxyInputs, context: ClusterContext, flags: ControllerFlags,
                 pod_namespace: str | None = None) -> None:
        self.inputs = inputs
        self.context = context
        self.flags = flags
        self.pod_namespace = pod_namespace or (split_ns_name(flags.configmap, CHART_NAMESPACE)[0]
                                               if flags.configmap else CHART_NAMESPACE)
        self.maps: dict[str, MapFile] = {n: MapFile(n) for n in MAP_NAMES}
        self.backends: dict[str, Backend] = {}
        self.frontends = {HTTP: Frontend(HTTP), HTTPS: Frontend(HTTPS)}
        self.custom_routes: list[CustomRoute] = []
        self.certs = CertificateStore()
        self.rule_ids: dict[str, list[str]] = {}
        self.rule_kinds: dict[str, list[str]] = {}
        self.skipped: list[str] = []
        self.config_errors: list[str] = []
        self.ignored: dict[str, str] = {}
        #: rule host ("" for none) -> Ingresses naming it that the controller ignores
        self.ignored_by_host: dict[str, list[str]] = {}
        self.notes: list[str] = list(inputs.notes)
        #: behaviours every answer depends on that are not modelled
        self.unmodelled: list[str] = []
        #: behaviours https answers depend on that are not modelled
        self.unmodelled_https: list[str] = []
        #: the ConfigMap's client-ca asks for client certificates and requires one
        self.client_cert_required = False
        self.passthrough_hosts: list[str] = []
        self.alt_svc: str | None = None
        self.classes = self._classes()
        self.configmap = self._main_configmap()
        self.ctx = AnnotationContext(pattern_files=self._pattern_files(), secret_lookup=self._secret_data)
        self.default = DefaultBackend(None)
        self._build()

    # -- inputs around the Ingresses --------------------------------------------------------------

    def _classes(self) -> dict[str, tuple[str, bool]]:
        """IngressClasses (name -> controller, is default). An input without any is assumed to
        come from a cluster where the controller's own class exists, as the Helm chart creates it
        (`haproxy`, controller haproxy.org/ingress-controller/<--ingress.class>)."""
        if self.inputs.classes:
            return dict(self.inputs.classes)
        name = self.flags.ingress_class or "haproxy"
        controller = f"{CONTROLLER}/{self.flags.ingress_class}" if self.flags.ingress_class else CONTROLLER
        self.notes.append(f"no IngressClass in the input: IngressClass {name} (controller {controller}) assumed")
        return {name: (controller, False)}

    def _main_configmap(self) -> dict[str, str]:
        """The ConfigMap named by --configmap: its data, then its metadata annotations, names
        without prefix (`pkg/k8s/informers.go`)."""
        if not self.flags.configmap:
            return {}
        ns, name = split_ns_name(self.flags.configmap, self.pod_namespace)
        key = f"{ns}/{name}"
        if key not in self.inputs.configmaps:
            self.notes.append(f"controller ConfigMap {key} is not in the input: no global settings assumed")
            return {}
        merged = dict(clean_annotations(self.inputs.configmaps[key])[0])
        merged.update(clean_annotations(self.inputs.configmap_annotations.get(key, {}))[0])
        return merged

    def _pattern_files(self) -> Mapping[str, list[str]] | None:
        if not self.flags.configmap_patternfiles:
            return {}
        ns, name = split_ns_name(self.flags.configmap_patternfiles, self.pod_namespace)
        data = self.inputs.configmaps.get(f"{ns}/{name}")
        if data is None:
            return None
        return {k: v.split("\n") for k, v in clean_annotations(data)[0].items()}

    def _secret_data(self, ns: str, name: str) -> object:
        key = f"{ns}/{name}"
        found = self.inputs.secrets.get(key)
        if found is not None:
            return found.data
        if key in self.context.secret_facts:
            return {}
        return UNKNOWN_SECRET if self.context.secrets == "assume" else None

    def _tls_secret(self, ns: str, name: str, hosts: Sequence[str]) -> tuple[str, ...] | None:
        """The names a TLS Secret's certificate covers, or None when it cannot be loaded."""
        fact = self.context.secret(ns, name)
        found = self.inputs.secrets.get(f"{ns}/{name}")
        if fact is None and found is not None:
            ok = "tls.crt" in found.data and "tls.key" in found.data
            return tuple(hosts) if ok else None
        if fact is None or fact.invalid:
            return None
        return fact.dns_names or tuple(hosts)

    # -- class filter (H-A1) ----------------------------------------------------------------------------

    def accepted(self, ing: Ingress) -> str | None:
        """Why the controller ignores `ing`, or None when it serves it."""
        wl, bl = self.flags.namespace_whitelist, self.flags.namespace_blacklist
        if wl and ing.namespace not in wl:
            return f"namespace {ing.namespace} is not in --namespace-whitelist"
        if not wl and ing.namespace in bl:
            return f"namespace {ing.namespace} is in --namespace-blacklist"
        cls = ing.class_name or ""
        classes = self.classes
        ctrl = classes[cls][0] if cls in classes else ""
        if not cls:
            for c, is_default in classes.values():
                if is_default:
                    ctrl = c
                    break
        want = self.flags.ingress_class
        if not want:
            if (not cls and not ctrl) or ctrl == CONTROLLER:
                return None
            return (f"IngressClass {cls!r} has controller {ctrl!r}, not {CONTROLLER}" if cls and cls in classes
                    else f"IngressClass {cls!r} does not exist" if cls
                    else f"the default IngressClass has controller {ctrl!r}, not {CONTROLLER}")
        if (not cls and self.flags.empty_ingress_class) or ctrl == f"{CONTROLLER}/{want}":
            return None
        if not cls:
            return (f"no ingressClassName (--ingress.class={want} without --empty-ingress-class) and no default "
                    f"IngressClass of controller {CONTROLLER}/{want}")
        if cls not in classes:
            return f"IngressClass {cls!r} does not exist"
        return f"IngressClass {cls!r} has controller {ctrl!r}, not {CONTROLLER}/{want}"

    # -- backends (H-E) ---------------------------------------------------------------------------------------

    def _resolve(self, ns: str, svc_name: str, port: int | str | None, ing: Ingress | None,
                 sources: Sequence[Mapping[str, str]], where: str) -> str | None:
        """`service.New` + `HandleBackend`: the backend name of a Service port, creating the
        backend; None (and a skipped message) when the Service or the port does not exist."""
        key = f"{ns}/{svc_name}"
        svc = self.inputs.base.services.get(key)
        in_input = svc is not None
        if not in_input and not self.context.service_exists(ns, svc_name, False):
            self.skipped.append(f"{where}: service '{key}' does not exist")
            return None
        svc_anns = self.inputs.service_annotations.get(key, {})
        all_sources = [svc_anns, *sources]
        standalone = any(s.get("standalone-backend") == "true" for s in all_sources if s)
        port_label: str
        port_number: int | str | None
        if svc is not None:
            if port is None:  # a default backend without port: the first port, by name
                port = svc.ports[0].name if svc.ports else ""
            found = None
            for sp in svc.ports:
                if (isinstance(port, int) and sp.port == port) or (isinstance(port, str) and sp.name and sp.name == port):
                    found = sp
                    break
            if found is None:
                self.skipped.append(f"{where}: service {svc_name}: no service port matching '{port}'")
                return None
            port_label = found.name or str(found.port)
            port_number = found.port
        else:
            port_label = str(port)
            port_number = port
        owner_ns, prefix = ns, f"svc_{svc_name}"
        if standalone and ing is not None:
            owner_ns, prefix = ing.namespace, f"{ing.name}_svc_{svc_name}"
        name = f"{owner_ns}_{prefix}_{port_label}"
        be = self.backends.get(name)
        forwarded = go_bool(get_value("forwarded-for", all_sources)) is not False
        if be is None:
            be = self.backends[name] = Backend(
                name, ns, svc_name, port_number, self.context.ready_endpoints(ns, svc_name, in_input),
                external_name=svc is not None and svc.type == "ExternalName", forwarded_for=forwarded)
        elif be.forwarded_for != forwarded:
            # backend annotations configure the shared backend: the last Ingress processed wins
            be.unmodelled.append(f"backend {name}: forwarded-for differs between the Ingresses sharing it; the "
                                 "last one processed (undefined order) wins")
        if ing is not None and ing.key not in be.ingresses:
            be.ingresses.append(ing.key)
        for ann, what in _BACKEND_TRANSPORT.items():
            value = get_value(ann, all_sources, {})
            if value and value != "false":
                note = f"backend {name}: {ann} {value!r}: {what}"
                if note not in be.notes:
                    be.notes.append(note)
        for opaque in _OPAQUE_BACKEND:
            value = get_value(opaque, all_sources, {})
            if value and not self._snippets_disabled("backend"):
                be.unmodelled.append(f"backend {name}: {opaque} is not modelled")
        if not in_input:
            note = f"Service {key} is not in the input: assumed to exist with port {port}"
            if note not in be.notes:
                be.notes.append(note)
        if be.external_name:
            be.unmodelled.append(f"backend {name}: ExternalName Service (DNS resolution) is not modelled")
        return name

    def _snippets_disabled(self, kind: str) -> bool:
        off = self.flags.disable_config_snippets
        return "all" in off or kind in off

    # -- the build -------------------------------------------------------------------------------------------

    def _add_rules(self, rules: Sequence[Rule], ingress_rule: bool) -> list[str]:
        """`addRules`: rules go to both frontends (ssl-redirect to http only); returns the ids."""
        ids: list[str] = []
        for rule in rules:
            frontends = [HTTP] if isinstance(rule, Redirect) and rule.ssl_redirect else [HTTP, HTTPS]
            for fe in frontends:
                self.frontends[fe].add(rule, ingress_rule or rule.rule_type == REQ_REDIRECT)
            if rule.id not in ids:
                ids.append(rule.id)
        return ids

    def _check_rules(self, rules: Sequence[Rule], who: str) -> None:
        """What HAProxy itself would refuse in these rules (the whole configuration then stays
        at its previous state)."""
        for rule in rules:
            try:
                if isinstance(rule, Redirect) and rule.code not in REDIRECT_CODES:
                    raise ConfigSyntax(f"redirect code {rule.code} (HAProxy accepts 301, 302, 303, 307, 308)")
                if isinstance(rule, RateLimit) and rule.limit and (rule.status or 403) not in DENY_CODES:
                    raise ConfigSyntax(f"deny_status {rule.status} (HAProxy has no error page for it)")
                if isinstance(rule, SetHeader):
                    config_word(rule.fmt)
                if isinstance(rule, SetHeader) and rule.cors_origins:
                    for p in rule.cors_origins:
                        compile_pcre(p)
                if isinstance(rule, PathRewrite):
                    compile_pcre(rule.match)
                if rule.kind == "track" and not getattr(rule, "table", ""):
                    raise ConfigSyntax("rate-limit-requests without rate-limit-period: 'track-sc0 src' names no "
                                       "stick table")
            except (ConfigSyntax, re.error) as exc:
                self.config_errors.append(f"{who}: {rule.kind}: {exc}")

    def _build(self) -> None:
        cm = self.configmap
        # ConfigMap-level settings the model does not follow
        for key, kind in (("frontend-config-snippet", "frontend"), ("global-config-snippet", "global"),
                          ("backend-config-snippet", "backend")):
            if cm.get(key) and not self._snippets_disabled(kind):
                self.unmodelled.append(f"ConfigMap {key} is not modelled")
        for key in ("cr-global", "cr-defaults", "proxy-protocol"):
            if cm.get(key):
                self.unmodelled.append(f"ConfigMap {key} is not modelled")
        for key in ("client-ca", "client-strict-sni"):
            if cm.get(key) and cm.get(key) != "false":
                self.unmodelled_https.append(f"ConfigMap {key} (client certificates / strict SNI) is not modelled"
                                             + (" for clients that present a certificate" if key == "client-ca" else ""))
        # client-ca: the HTTPS bind verifies client certificates against the CA, `verify required`
        # unless client-crt-optional is true (`verify optional`): a client without a certificate
        # then fails the handshake (documentation/annotations.md#client-ca, #client-crt-optional)
        self.client_cert_required = bool((cm.get("client-ca") or "").strip()) and \
            (cm.get("client-crt-optional") or "false").strip().lower() != "true"
        if self.flags.configmap_errorfiles:
            self.notes.append("--configmap-errorfiles: HAProxy's own error pages are replaced (bodies not modelled)")
        if self.flags.custom_validation_rules:
            self.unmodelled.append("--custom-validation-rules: custom annotations insert configuration lines "
                                   "(not modelled)")
        if "use-ingress-merge" in self.flags.experimental:
            self.unmodelled.append("--experimental ingress merge (annotations merged per Service) is not modelled")
        self._default_service()
        self._default_certificate()
        cm_rules = frontend_rules([cm], self.ctx)
        self.skipped.extend(cm_rules.skipped)
        self._check_rules(cm_rules.rules, "ConfigMap")
        self._add_rules(cm_rules.rules, False)
        passthrough_any = False
        for ing in self.inputs.ingresses:
            why = self.accepted(ing)
            if why is not None:
                self.ignored[ing.key] = why
                for host in ing.hosts():
                    self.ignored_by_host.setdefault(host, []).append(ing.key)
                continue
            self._ingress(ing)
            anns = self.inputs.ingress_annotations[ing.key]
            if go_bool(get_value("ssl-passthrough", [anns, cm])):
                passthrough_any = True
        if passthrough_any:
            self.unmodelled_https.append("ssl-passthrough: HTTPS first goes through a TCP frontend routing by SNI "
                                         "(not modelled)")
        for m in self.maps.values():
            m.seal()
        for fe in self.frontends.values():
            fe.seal()
        self.certs.seal()
        self._quic()
        self.ctx_errors()

    def ctx_errors(self) -> None:
        self.config_errors.extend(e for e in self.ctx.config_errors if e not in self.config_errors)
        self.unmodelled.extend(u for u in self.ctx.unmodelled if u not in self.unmodelled)

    def _default_service(self) -> None:
        """The default backend before any Ingress: --default-backend-service (or the ConfigMap key
        when the flag is set) or the built-in default service (H-D1)."""
        if self.flags.default_backend_service:
            value = self.configmap.get("default-backend-service") or self.flags.default_backend_service
            ns, name = split_ns_name(value, "")
            backend = self._resolve(ns, name, None, None, [self.configmap], "default service") if ns and name else None
            self.default = DefaultBackend(backend)
            return
        name = f"{self.pod_namespace}_svc_{DEFAULT_LOCAL_SERVICE}_http"
        self.backends[name] = Backend(name, self.pod_namespace, DEFAULT_LOCAL_SERVICE, None, 1, builtin=True)
        self.default = DefaultBackend(name)

    def _default_certificate(self) -> None:
        value = get_value("ssl-certificate", [self.configmap], {"ssl-certificate": self.flags.default_ssl_certificate})
        if not value:
            return
        ns, name = split_ns_name(value, self.pod_namespace)
        if "/" in value and not ns:
            self.skipped.append(f"default certificate: invalid format {value!r}")
            return
        key = f"{ns}/{name}"
        from_flag = value == self.flags.default_ssl_certificate and key not in self.context.secret_facts
        if from_flag and key not in self.inputs.secrets:
            # the chart generates this Secret; assumed to exist (names unknown)
            self.certs.add(key, (), default=True)
            self.default_cert_exists = True
            return
        names = self._tls_secret(ns, name, ())
        if names is None:
            self.skipped.append(f"default certificate: Secret {key} does not exist or has no tls.crt/tls.key")
            return
        self.certs.add(key, names, default=True)
        self.default_cert_exists = True

    default_cert_exists = False

    def _quic(self) -> None:
        """QUIC (unless --disable-quic) with a default certificate Secret: the https frontend adds
        `alt-svc: h3=":<announce port>";ma=<quic-alt-svc-max-age>;` to backend answers
        (`pkg/handler/quic.go`)."""
        if self.flags.disable_quic or not self.default_cert_exists:
            return
        max_age = get_value("quic-alt-svc-max-age", [self.configmap])
        self.alt_svc = f'h3=":{self.flags.alt_svc_port}";ma={max_age};'

    def _ingress(self, ing: Ingress) -> None:
        cm = self.configmap
        anns = self.inputs.ingress_annotations[ing.key]
        sources = [anns, cm]
        if ing.default_backend is not None and ing.default_backend.service is not None:
            sb = ing.default_backend.service
            backend = self._resolve(ing.namespace, sb.name, sb.port, ing, sources,
                                    f"Ingress {ing.key}: default backend")
            if backend is not None:
                self.default.candidates.append((backend, ing.key))
                self.default.backend, self.default.ingress = backend, ing.key
        tls_hosts: list[str] = []
        for t in ing.tls:
            if not t.hosts:
                continue  # the controller keys spec.tls by host: an entry without hosts is dropped
            tls_hosts.extend(t.hosts)
            if not t.secret_name:
                continue
            names = self._tls_secret(ing.namespace, t.secret_name, t.hosts)
            if names is None:
                self.skipped.append(f"Ingress {ing.key}: TLS Secret {ing.namespace}/{t.secret_name} does not exist "
                                    "or has no certificate")
                continue
            self.certs.add(f"{ing.namespace}/{t.secret_name}", names)
        rules = _rules_by_host(ing)
        if not rules:
            return
        processed = frontend_rules(sources, self.ctx, namespace=ing.namespace, name=ing.name,
                                   tls_enabled=bool(tls_hosts))
        self.skipped.extend(processed.skipped)
        self._check_rules(processed.rules, f"Ingress {ing.key}")
        ids = self._add_rules(processed.rules, True)
        self.rule_ids[ing.key] = ids
        self.rule_kinds[ing.key] = [r.kind for r in processed.rules]
        passthrough = go_bool(get_value("ssl-passthrough", sources)) is True
        suffix = "".join("." + i for i in ids)
        for host, paths in rules:
            if passthrough and host:
                self.passthrough_hosts.append(host)
            for p in paths:
                assert p.backend.service is not None
                where = f"Ingress {ing.key}: {host or '*'}{p.path or ''}"
                backend = self._resolve(ing.namespace, p.backend.service.name, p.backend.service.port, ing, sources,
                                        where)
                if backend is None:
                    continue
                svc_anns = self.inputs.service_annotations.get(f"{ing.namespace}/{p.backend.service.name}", {})
                acl_text = svc_anns.get("route-acl", "")
                if acl_text:
                    self._custom_route(backend, ing, host, p, acl_text, where)
                else:
                    self._map_rows(backend + suffix, ing, host, p, where)

    def _map_rows(self, value: str, ing: Ingress, host: str, p: IngressPath, where: str) -> None:
        """`AddHostPathRoute` (H-B3)."""
        maps = self.maps
        h = host[1:] if host.startswith("*") else host
        if h:
            maps[HOST].append(h, h, ing.key)
        elif not p.path:
            self.skipped.append(f"{where}: neither Host nor Path are provided")
            return
        path, pt = p.path, p.path_type
        if pt == "Exact":
            maps[PATH_EXACT].append(h + path, value, ing.key)
        elif path in ("", "/"):
            maps[PATH_PREFIX].append(h + "/", value, ing.key)
        elif pt == "Prefix":
            trimmed = path.removesuffix("/")
            maps[PATH_PREFIX_EXACT].append(h + trimmed, value, ing.key)
            maps[PATH_PREFIX].append(h + trimmed + "/", value, ing.key)
        elif pt == "ImplementationSpecific":
            trimmed = path.removesuffix("/")
            maps[PATH_PREFIX_EXACT].append(h + trimmed, value, ing.key)
            maps[PATH_PREFIX].append(h + trimmed, value, ing.key)
        else:  # pragma: no cover - the reader only lets the three types through
            self.skipped.append(f"{where}: unknown path type '{pt}'")

    def _custom_route(self, backend: str, ing: Ingress, host: str, p: IngressPath, acl_text: str, where: str) -> None:
        """`AddCustomRoute` (H-H1)."""
        problem = None
        acl = None
        try:
            acl = parse_acl(acl_text)
        except Unsupported as exc:
            problem = f"route-acl {exc}"
        try:
            path_ok = path_condition(p.path, p.path_type)
        except re.error as exc:
            self.config_errors.append(f"{where}: route-acl path condition is not a valid regex: {exc}")
            return
        self.custom_routes.append(CustomRoute(backend, ing.key, host, p.path, p.path_type, acl_text, acl, problem,
                                              host_condition(host), path_ok))

    # -- what tests and reports read ------------------------------------------------------------------------

    def map_rows(self, name: str) -> list[str]:
        """Rows of a map as "key -> backend" (rule ids stripped), in file order."""
        return [f"{r.key} -> {r.backend}" for r in self.maps[name].rows] if name != HOST else \
            [r.key for r in self.maps[name].rows]

    def use_backend_rules(self) -> list[str]:
        """The route-acl rules as HAProxy evaluates them (the last created first)."""
        return [r.text for r in reversed(self.custom_routes)]

    @property
    def default_backend(self) -> str | None:
        return self.default.backend

    def to_dict(self) -> dict[str, object]:
        """The whole configuration as plain data (sorted map rows with their values, backends,
        frontend rules in evaluation order with their ids and guards, route-acl rules in
        evaluation order, certificates in load order, and what was skipped or refused)."""
        return {
            "maps": {name: [r.line for r in m.rows] for name, m in self.maps.items()},
            "default_backend": self.default.backend,
            "backends": {name: {"service": f"{b.namespace}/{b.service}", "port": b.port, "endpoints": b.endpoints,
                                "builtin": b.builtin, "forwarded_for": b.forwarded_for}
                         for name, b in sorted(self.backends.items())},
            "frontends": {name: [{"kind": fr.rule.kind, "type": fr.rule.rule_type, "id": fr.rule.id,
                                  "guarded": fr.guarded} for fr in fe.rules]
                          for name, fe in self.frontends.items()},
            "use_backend": self.use_backend_rules(),
            "certificates": self.certs.loaded(),
            "alt_svc": self.alt_svc,
            "ignored": dict(self.ignored),
            "skipped": list(self.skipped),
            "config_errors": list(self.config_errors),
        }


def _rules_by_host(ing: Ingress) -> list[tuple[str, list[IngressPath]]]:
    """Rules merged by host, paths deduplicated by `pathType-path-service-portName` (a later
    duplicate replaces an earlier one), rules without `http` and paths without a Service
    dropped (`pkg/store/convert.go`)."""
    by_host: dict[str, dict[str, IngressPath]] = {}
    for rule in ing.rules:
        if rule.paths is None:
            continue
        paths = by_host.setdefault(rule.host, {})
        for p in rule.paths:
            if p.backend.service is None:
                continue
            port = p.backend.service.port
            key = f"{p.path_type}-{p.path}-{p.backend.service.name}-{port if isinstance(port, str) else ''}"
            paths[key] = p
    return [(h, list(ps.values())) for h, ps in by_host.items()]
