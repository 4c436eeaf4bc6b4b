"""ingress-nginx: its routing semantics, turned into neutral IR.

The model follows `../shared/reference/nginx-semantics.md` (rule ids such as B4 or G3 below
refer to it). ingress-nginx builds one nginx `server` per host from every Ingress of its class
(any namespace), oldest Ingress first; paths become `location`s; the first Ingress to mention a
host owns the host's root location (its defaultBackend and annotations serve unmatched paths).
We rebuild that picture, then express each server as per-host listeners plus routes that keep
each location with the Ingress it came from:

* per-host listeners reproduce "a known host never falls back to other servers" (C5);
* Prefix `/p/` (and Exact `/p/`) get an Exact `/p` rule answering nginx's automatic 301 (D2);
* hosts with a certificate get the default HTTP->HTTPS 308 on their HTTP listener, location by
  location, with the ssl-redirect/force-ssl-redirect and ACME exceptions (G3);
* conflicts keep only the winner (A4, B5) and report the loser.

Annotations are read by `nginx_annotations`; this module only consumes their parsed values.
"""

from __future__ import annotations

from dataclasses import replace

from ing2gw import ir
from ing2gw.findings import Finding, Severity
from ing2gw.model.ingress import Ingress, IngressBackend
from ing2gw.model.inputs import Inputs, configmap_data
from ing2gw.options import Options
from ing2gw.origin import Origin
from ing2gw.providers.base import BuildContext
from ing2gw.providers.values import go_bool
from ing2gw.providers.ingress import (gateway_path_problem, host_problem, hostless_tls_secret, invalid_hosts,
                                     path_entries, tls_entry_for)
from ing2gw.emit.targets.carry import carries, reports, verdict
from ing2gw.providers.ingress_nginx.annotations import NginxAnnotations, NginxGlobals, parse_annotations, rows
from ing2gw.providers.ingress_nginx import paths as nginx_paths
from ing2gw.equivalence.prediction import paths_detail
from ing2gw.providers.ingress_nginx.state import (CATCH_ALL, DEFAULT_CERT, BuildState, Loc, Server, _DefaultCert,
                                                  _where_host)


def _some(items: list[str], n: int = 10) -> str:
    shown = ", ".join(items[:n])
    return shown + (f" and {len(items) - n} more" if len(items) > n else "")


def sort_key_parts(ing: Ingress) -> tuple[str, str]:
    return (ing.metadata.creation_timestamp or "", ing.key)


def nginx_order(ingresses: list[Ingress]) -> list[Ingress]:
    """A4: oldest first; exact ties by 'namespace/name' descending."""
    by_name = sorted(ingresses, key=lambda i: i.key, reverse=True)
    return sorted(by_name, key=lambda i: i.metadata.creation_timestamp or "")


class IngressNginxProvider:
    """Builds IR for the Ingresses of one ingress-nginx IngressClass."""

    name = "ingress-nginx"

    def build(self, ctx: BuildContext, class_name: str, ingresses: list[Ingress]) -> None:
        glob = _globals(ctx)
        anns: dict[str, NginxAnnotations] = {}
        usable: list[Ingress] = []
        disable_catch_all = (ctx.options.nginx_flag("disable-catch-all") or "false").lower() == "true"
        #: hosts of Ingresses ingress-nginx ignores: its catch-all server answers them
        ignored_hosts: list[str] = []
        for ing in nginx_order(ingresses):
            if disable_catch_all and ing.spec.default_backend is not None:
                ctx.finding(Severity.WARNING, "ING2GW-CORE-025",
                            "--disable-catch-all: ingress-nginx ignores every Ingress with a defaultBackend, so this "
                            "one is not translated", ing=ing)
                ignored_hosts += [(r.host or "").strip().lower() for r in ing.spec.rules]
                continue
            if _rejected_by_api_server(ctx, ing):
                ignored_hosts += [(r.host or "").strip().lower() for r in ing.spec.rules]
                continue
            a = parse_annotations(ctx, ing, glob)
            if a is None:  # A3: an annotation error drops the whole Ingress
                ignored_hosts += [(r.host or "").strip().lower() for r in ing.spec.rules]
                continue
            anns[ing.key] = a
            usable.append(ing)
        from ing2gw.providers.ingress_nginx.globals import global_access

        # ConfigMap keys that decide who may reach what, on every location (nginx_globals)
        access = global_access(usable, dict(glob.data), glob.source, glob.name,
                               prefix=ctx.options.annotations_prefix.rstrip("/"), target=ctx.options.target,
                               allow_weakened=ctx.options.allow_weakened, class_name=class_name)
        ctx.findings.extend(access.findings)
        builder = _Builder(ctx, class_name, usable, anns, glob, access.address_lists)
        builder.ignored_hosts = [h for h in dict.fromkeys(ignored_hosts) if h]
        builder.run()


def _rejected_by_api_server(ctx: BuildContext, ing: Ingress) -> bool:
    """An invalid rule host makes the API server refuse the whole Ingress (networking validation:
    a DNS-1123 subdomain, not an IP): it never existed for ingress-nginx, so nothing of it is
    translated (its valid rules would be routes the cluster never had)."""
    bad = invalid_hosts(ing)
    for i, host, problem in bad:
        ctx.finding(Severity.ERROR, "ING2GW-CORE-007",
                    f"spec.rules[{i}].host {host!r}: {problem}; the API server rejects the whole Ingress, so "
                    "ingress-nginx never served it and nothing of it is translated", ing=ing,
                    suggestion="fix the host in the Ingress")
    return bool(bad)


def controller_configmap(inputs: Inputs, options: Options) -> tuple[dict[str, str], Origin | None]:
    """The ingress-nginx ConfigMap's data: the one --nginx-configmap names, else one called
    ingress-nginx-controller or nginx-configuration (the chart's and the old manifests' names)."""
    data, origin, _ = _find_configmap(inputs, options)
    return data, origin


def _find_configmap(inputs: Inputs, options: Options) -> tuple[dict[str, str], Origin | None, str]:
    wanted = options.nginx_configmap
    for m in inputs.configmaps:
        key = f"{m.namespace or options.default_namespace}/{m.name}"
        if (wanted and key == wanted) or (not wanted and m.name in ("ingress-nginx-controller", "nginx-configuration")):
            return configmap_data(m), m.origin, key
    return {}, None, ""


#: ConfigMap keys ingress-nginx decodes as booleans that change how requests are routed or whose
#: client address counts (the same the nginx model reads: simulate/nginx_settings.py, nginx_access.py)
_BOOLEAN_KEYS = ("allow-snippet-annotations", "compute-full-forwarded-for", "enable-real-ip",
                 "enable-underscores-in-headers", "force-ssl-redirect", "hsts", "hsts-include-subdomains",
                 "hsts-preload", "ignore-invalid-headers", "preserve-trailing-slash", "proxy-add-original-uri-header",
                 "relative-redirects", "ssl-redirect", "use-forwarded-headers", "use-port-in-redirects",
                 "use-proxy-protocol")


def _globals(ctx: BuildContext) -> NginxGlobals:
    """Controller-wide settings from the ingress-nginx ConfigMap, when it is in the input; a
    boolean key whose value is no boolean is an error (ING2GW-NGINX-083), once per key."""
    data, source, name = _find_configmap(ctx.inputs, ctx.options)
    for key in _BOOLEAN_KEYS:
        value = data.get(key)
        if value is None or go_bool(value.strip()) is not None:
            continue
        message = (f"ConfigMap {name}: {key}={value!r} is not a boolean (true or false); ing2gw translated with the "
                   "key's default, and what the controller made of it is not known")
        if not any(f.code == "ING2GW-NGINX-083" and f.message == message for f in ctx.findings):
            ctx.finding(Severity.ERROR, "ING2GW-NGINX-083", message, origin=source, value=value,
                        suggestion=f"set {key} to true or false in the ConfigMap", details={"key": key})
    return NginxGlobals.from_configmap(data, source, name)


class _Builder(BuildState):
    def __init__(self, ctx: BuildContext, class_name: str, ingresses: list[Ingress],
                 anns: dict[str, NginxAnnotations], glob: NginxGlobals, address_lists: dict[str, str] | None = None) -> None:
        super().__init__(ctx, class_name, ingresses, anns, glob)
        #: the ConfigMap's address lists the target's policy carries (nginx_globals)
        self.address_lists = address_lists or {}
        self.timestamps_missing = any(not i.metadata.creation_timestamp for i in ingresses) and len(ingresses) > 1
        #: hosts named only by Ingresses ingress-nginx ignores (its catch-all answers them)
        self.ignored_hosts: list[str] = []
        #: host -> its server-alias names (nginx_servers.alias_names)
        self.aliases: dict[str, list[str]] = {}

    # -- B2-B4: servers --------------------------------------------------------------------
    def run(self) -> None:
        from ing2gw.providers.ingress_nginx.canary import build_upstreams, upstream_name

        main = [i for i in self.ings if not self.anns[i.key].canary]
        canaries = [i for i in self.ings if self.anns[i.key].canary]
        build_upstreams(self)
        from ing2gw.providers.ingress_nginx.servers import alias_names

        self.aliases = alias_names(self, {h for ing in main for h in self._hosts_quiet(ing)} | {CATCH_ALL})
        self.servers[CATCH_ALL] = Server(CATCH_ALL, None, [Loc("/", "Prefix", None, None, None, is_root=True)])
        self._catch_all(main)
        for ing in main:
            for host in self._hosts(ing):
                if host not in self.servers:
                    backend, unresolved = self._default_backend(ing, host)
                    self.servers[host] = Server(host, ing, [Loc("/", "Prefix", ing, self.anns[ing.key], backend,
                                                                is_root=True, unresolved=unresolved,
                                                                where="spec.defaultBackend",
                                                                upstream=upstream_name(ing.namespace,
                                                                                       ing.spec.default_backend))])
                elif ing.spec.default_backend is not None and self.servers[host].first is not ing:
                    first = self.servers[host].first
                    self._conflict_note(ing, first, f"defaultBackend of {ing.key} does not serve host {host}: "
                                        f"{first.key if first else 'another Ingress'} defines the host first and "
                                        "its root location wins (B4)", "ING2GW-CORE-005")
        self._certificates(main)
        for ing in self.ings:  # canaries too: a path whose upstream is not a canary's is a location (B5)
            self._locations(ing)
        self._default_backend_service()
        from ing2gw.providers.ingress_nginx.canary import merge_canaries
        from ing2gw.providers.ingress_nginx.servers import apply_aliases, emit_www

        merge_canaries(self, canaries)
        self._check_duplicates()
        apply_aliases(self)
        for server in sorted(self.servers.values(), key=lambda s: s.host):
            self._emit(server)
        emit_www(self)
        self._route_metadata()
        self._summaries()

    def _route_metadata(self) -> None:
        """Other tools' annotations (external-dns, Argo CD, ...) and the Ingress's labels go to its
        routes; cert-manager keys are reported (their effect is on the Gateway's listeners)."""
        from ing2gw.providers.ecosystem import report_cert_annotations, route_metadata

        mine = {i.key: i for i in self.ings}
        meta: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
        for ing in self.ings:
            report_cert_annotations(self.ctx, ing)
            meta[ing.key] = route_metadata(self.ctx, ing, self.gw)
        intents = {key: self._intents(ing) for key, ing in mine.items()}
        for route in self.ctx.out.routes:
            if route.source.key in mine and route.namespace == mine[route.source.key].namespace:
                anns, labels = meta[route.source.key]
                route.annotations.update(anns)
                route.labels.update(labels)
                if route.kind != "TLSRoute" and any(r.redirect is None for r in route.rules):
                    # access checks run after ingress-nginx's HTTPS redirect: routes that only
                    # redirect are answered before them, so the policy goes on forwarding routes
                    route.intents += intents[route.source.key]
                    route.rules = [self._fail_closed(r, intents[route.source.key]) for r in route.rules]
                elif route.kind != "TLSRoute":
                    # client_max_body_size is checked when the location is chosen (find-config
                    # phase), before any redirect (rewrite phase): a too-large request gets 413
                    # from nginx even where the location redirects
                    route.intents += tuple(i for i in intents[route.source.key] if i.kind == "body-size-limit")
        target = self.ctx.options.target
        from ing2gw.providers.ingress_nginx.globals import client_ip_intent

        # a controller-wide setting: it belongs to the Gateway of this class (every listener)
        client_ip = client_ip_intent(dict(self.glob.data), self.glob.source, self.glob.name or "ingress-nginx",
                                     self.class_name)
        if client_ip is not None and any(r.source.key in mine for r in self.ctx.out.routes) \
                and client_ip not in self.gw.intents:
            self.gw.intents.append(client_ip)
        from ing2gw.providers.ingress_nginx.globals import listener_tls_intent

        # ssl-protocols / ssl-ciphers: every HTTPS server of the class (emit/targets/listener_tls.py)
        listener_tls = listener_tls_intent(dict(self.glob.data), self.glob.source, self.glob.name or "ingress-nginx",
                                           self.class_name, self.ctx.options.allow_weakened)
        if listener_tls is not None and any(r.source.key in mine for r in self.ctx.out.routes) \
                and listener_tls not in self.gw.intents:
            self.gw.intents.append(listener_tls)
        if any(intents.values()) and carries(target, "client-allow-list"):
            from ing2gw.providers.ingress_nginx.globals import client_address_findings

            self.ctx.findings.extend(client_address_findings(dict(self.glob.data), self.glob.source, self.glob.name,
                                                             target=target,
                                                             allow_weakened=self.ctx.options.allow_weakened))

    def _fail_closed(self, rule: ir.Rule, intents: tuple[ir.Intent, ...]) -> ir.Rule:
        """A rule of a location ingress-nginx denies (an invalid address list: 503 for every
        request) keeps no backend when the target writes no policy for it: the Gateway answers
        500 there instead of opening the location (ING2GW-NGINX-081)."""
        if rule.redirect is not None or not any(
                i.kind == "source-range" and ("action", "deny-all") in i.params for i in intents):
            return rule
        target = self.ctx.options.target
        if carries(target, "client-allow-list"):
            return rule
        return replace(rule, backends=(), rewrite=None, mirrors=(), request_headers=ir.HeaderChanges(),
                       comment="ingress-nginx denies this location (invalid address list): no backend, 500")

    def _intents(self, ing: Ingress) -> tuple[ir.Intent, ...]:
        """Behaviour of this Ingress that only an implementation policy can carry."""
        from ing2gw.providers.ingress_nginx.source_ranges import effective_ranges

        if self.anns.get(ing.key) is None:
            return ()
        out = []
        prefix = self.ctx.options.annotations_prefix.rstrip("/")
        r = effective_ranges(ing.annotations, prefix, self.address_lists, f"ConfigMap {self.glob.name}")

        def intent(action: str, value: str, annotation: str) -> ir.Intent:
            return ir.Intent("source-range", ir.Source(ing.namespace, ing.name, ing.origin, annotation), value,
                             security=True, params=(("action", action),))

        if r.denied is not None:
            # an invalid list denies the location: every request gets 503 (nginx_source_ranges)
            out.append(intent("deny-all", r.denied, r.denied_by))
        else:
            if r.deny is not None:
                out.append(intent("deny", ",".join(r.deny), r.deny_from))
            if r.allow is not None:
                out.append(intent("allow", ",".join(r.allow), r.allow_from))
        return tuple(out) + self._policy_intents(ing, prefix)

    def _policy_intents(self, ing: Ingress, prefix: str) -> tuple[ir.Intent, ...]:
        """The other intents the target carries (ingress_nginx.intents): only those, since the
        annotation findings already report, as errors where security is at stake, what it does not."""
        from ing2gw.providers.ingress_nginx.intents import CONSUMED, LEAD, intent_params

        out = []
        target = self.ctx.options.target
        # the location paths of the Ingress (the affinity cookie's default Path is its location's)
        paths = tuple(p.path or "/" for r in ing.spec.rules if r.http is not None for p in r.http.paths) \
            or ("/",)
        for kind in sorted(CONSUMED):
            params = intent_params(ing.annotations, prefix, ing.namespace, kind, paths)
            if params is None or not (verdict(target, kind, params).carried or reports(target, kind)):
                continue  # (a target's emitter may ask for an intent it reports itself: carry.REPORTS)
            row = rows().get(LEAD[kind])
            lead = next((k for k in [LEAD[kind], *sorted(CONSUMED[kind])] if f"{prefix}/{k}" in ing.annotations),
                        LEAD[kind])
            out.append(ir.Intent(kind, ir.Source(ing.namespace, ing.name, ing.origin, f"{prefix}/{lead}"),
                                 ",".join(f"{k}={v}" for k, v in sorted(params.items())),
                                 security=bool(row and row.security), params=tuple(sorted(params.items()))))
        return tuple(out) + self._snippet_intents(ing, prefix)

    def _snippet_intents(self, ing: Ingress, prefix: str) -> tuple[ir.Intent, ...]:
        """Snippets ingress-nginx applied (allow-snippet-annotations true; a risk level that lets
        them through, else the Ingress is dropped earlier) that the target carries: only when the
        user accepted their loss (--allow-weakened KEY), since the text goes to the target's
        nginx unreviewed (carry.py decides)."""
        from ing2gw.providers.ingress_nginx.intents import SNIPPET_CONTEXTS

        if go_bool(dict(self.glob.data).get("allow-snippet-annotations", "")) is not True:
            return ()
        out = []
        for key, context in sorted(SNIPPET_CONTEXTS.items()):
            full = f"{prefix}/{key}"
            value = ing.annotations.get(full)
            if value is None or not value.strip():
                continue
            params = {"context": context, "key": key}
            if self.ctx.accepts_loss(full):
                params["accepted"] = "true"
            if verdict(self.ctx.options.target, "snippet", params).carried:
                out.append(ir.Intent("snippet", ir.Source(ing.namespace, ing.name, ing.origin, full), value,
                                     security=True, params=tuple(sorted(params.items()))))
        return tuple(out)

    def _summaries(self) -> None:
        """Findings about many hosts at once, one per Ingress or Gateway rather than per host."""
        for ing, hosts in self.slash_hosts.values():
            self.ctx.finding(Severity.INFO, "ING2GW-CORE-016",
                             f"ingress-nginx's HTTP->HTTPS redirect drops one trailing '/' (GET /docs/ -> "
                             f"https://host/docs); Gateway API RequestRedirect keeps the path as is. Hosts: "
                             f"{_some(hosts)}", ing=ing,
                             suggestion="nothing to do unless clients rely on the exact Location header",
                             details={"hosts": ",".join(_where_host(h) for h in hosts)})
        if self.no_tls_hosts:
            self.ctx.findings.append(Finding(
                Severity.INFO, "ING2GW-CORE-015",
                f"{len(self.no_tls_hosts)} host(s) without TLS are not served over HTTPS (ingress-nginx answered HTTPS "
                f"for them with its default certificate): {_some(self.no_tls_hosts)}",
                subject=f"Gateway {self.gw.namespace}/{self.gw.name}",
                suggestion="if clients use HTTPS with the controller's default certificate, pass it with "
                           "--nginx-flag=--default-ssl-certificate=NAMESPACE/SECRET",
                details=(("hosts", ",".join(self.no_tls_hosts)),)))
        from ing2gw.providers.ingress_nginx.paths import default_certificate

        if default_certificate(self) is None:
            self._unknown_hosts_finding()
        if any(h != CATCH_ALL for h in self.servers):
            self.ctx.findings.append(Finding(
                Severity.INFO, "ING2GW-CORE-024",
                "nginx ignores one trailing dot in the Host header (shop.example.com. is shop.example.com); "
                "whether a Gateway matches such names is implementation-specific",
                subject=f"Gateway {self.gw.namespace}/{self.gw.name}"))
        if self.glob.use_forwarded_headers:
            self.ctx.findings.append(Finding(
                Severity.WARNING, "ING2GW-NGINX-060",
                "the ingress-nginx ConfigMap sets use-forwarded-headers: X-Forwarded-Proto/Host/Port from clients "
                "decide the HTTPS redirect and the Host passed on; the Gateway uses the connection itself",
                origin=self.glob.source, subject=f"Gateway {self.gw.namespace}/{self.gw.name}",
                suggestion="configure your implementation's trusted proxies if a load balancer sets these headers",
                details=(("headers", "X-Forwarded-Host,X-Forwarded-Port,X-Forwarded-Proto"),)))
        if self.glob.hsts and self.https_hosts:
            self.ctx.findings.append(Finding(
                Severity.INFO, "ING2GW-CORE-023",
                "ingress-nginx adds Strict-Transport-Security to every HTTPS response; the HTTPS routes add it "
                "too, but the Gateway's own 404 for unmatched paths cannot carry it, and whether a redirect "
                "response carries it is implementation-specific",
                subject=f"Gateway {self.gw.namespace}/{self.gw.name}"))

    def _unknown_hosts_finding(self) -> None:
        self.ctx.findings.append(Finding(
            Severity.INFO, "ING2GW-CORE-018",
            "ingress-nginx answers HTTPS for unknown hosts with its default certificate (and 404); the Gateway has "
            "no HTTPS listener for them, so the TLS handshake fails instead",
            subject=f"Gateway {self.gw.namespace}/{self.gw.name}",
            suggestion="pass the controller's certificate with --nginx-flag=--default-ssl-certificate=NAMESPACE/SECRET "
                       "to serve them as ingress-nginx did",
            details=(("hosts", ",".join(["*"] + self._serverless_hosts())),)))

    def _scope_hosts(self, host: str) -> str:
        """A server's names as a finding's `hosts` detail: the host and its aliases (`*` for the
        catch-all server)."""
        return ",".join([_where_host(host)] + self.aliases.get(host, []))

    def _serverless_hosts(self) -> list[str]:
        """Hosts some Ingress names that get no server of their own (canary Ingresses create none,
        ignored Ingresses nothing): ingress-nginx's catch-all server answers them (B4)."""
        named = self.ignored_hosts + [(r.host or "").strip().lower() for i in self.ings for r in i.spec.rules]
        return sorted({h for h in named if h and h not in self.servers})

    def _hosts(self, ing: Ingress) -> list[str]:
        """Rule hosts of an Ingress in order, '' as '_', invalid ones reported and skipped."""
        out: list[str] = []
        for i, rule in enumerate(ing.spec.rules):
            host = (rule.host or "").strip()
            if not host:
                h = CATCH_ALL
            else:
                problem = host_problem(host)
                if problem:
                    self.ctx.finding(Severity.ERROR, "ING2GW-CORE-007",
                                     f"spec.rules[{i}].host {host!r}: {problem}; the rule is not translated",
                                     ing=ing, suggestion="fix the host in the Ingress")
                    continue
                h = host
            if h not in out:
                out.append(h)
        return out

    def _default_backend(self, ing: Ingress, host: str) -> tuple[ir.ServiceBackend | None, bool]:
        """The defaultBackend of an Ingress as the root of `host` (every path no location takes)."""
        if ing.spec.default_backend is None:
            return None, False
        return self._backend(ing, ing.spec.default_backend, "spec.defaultBackend",
                             {"hosts": self._scope_hosts(host), "paths": paths_detail([("prefix", "/")])})

    def _backend(self, ing: Ingress, b: IngressBackend, where: str,
                 scope: dict[str, str] | None = None) -> tuple[ir.ServiceBackend | None, bool]:
        if b.resource is not None:
            self.ctx.finding(Severity.WARNING, "ING2GW-CORE-009",
                             f"{where}: resource backend {b.resource.kind}/{b.resource.name} is ignored by "
                             "ingress-nginx, which answers 404 there; nothing is emitted for it", ing=ing)
            return None, False
        sb = self.ctx.resolve_backend(ing, b, where, scope)
        return sb, sb is None

    def _catch_all(self, main: list[Ingress]) -> None:
        """B3: the first Ingress with a defaultBackend and no rules serves unknown hosts."""
        chosen: Ingress | None = None
        for ing in main:
            if ing.spec.default_backend is None or ing.spec.rules:
                continue
            if chosen is None:
                backend, unresolved = self._default_backend(ing, CATCH_ALL)
                a = self.anns[ing.key].without_redirects()
                # no longer the default root: a host-less `/` rule of another Ingress cannot replace
                # it (B5 keeps the existing non-default location; case hosts-13)
                from ing2gw.providers.ingress_nginx.canary import upstream_name

                self.servers[CATCH_ALL].locs[0] = Loc("/", "Prefix", ing, a, backend, is_root=False,
                                                      unresolved=unresolved, where="spec.defaultBackend",
                                                      upstream=upstream_name(ing.namespace, ing.spec.default_backend))
                self.servers[CATCH_ALL].first = ing
                chosen = ing
            else:
                self._conflict_note(ing, chosen, f"{ing.key} is a catch-all Ingress (defaultBackend, no rules) but "
                                    f"{chosen.key} is older and serves unknown hosts (B3)", "ING2GW-CORE-005")

    def _default_backend_service(self) -> None:
        """--default-backend-service: the controller's default backend answers unmatched requests
        (unknown hosts and the roots of hosts without a defaultBackend) instead of nginx's 404."""
        value = self.ctx.options.nginx_flag("default-backend-service")
        if not value or "/" not in value:
            return
        ns, name = value.split("/", 1)
        svc = self.ctx.inputs.service(ns, name)
        port = svc.spec.ports[0].port if svc is not None and svc.spec.ports else 80
        backend = ir.ServiceBackend(ns, name, port)
        for server in self.servers.values():
            root = server.locs[0]
            if root.path == "/" and root.is_root and root.backend is None and not root.unresolved:
                owner = server.first or (self.ings[0] if self.ings else None)
                if owner is None:
                    continue
                server.locs[0] = Loc("/", "Prefix", owner, root.ann, ir.ServiceBackend(owner.namespace, name, port)
                                     if ns == owner.namespace else backend, is_root=True, where="--default-backend-service")
                if ns != owner.namespace:
                    self.ctx.out.grants.add(ir.Grant(ns, "gateway.networking.k8s.io", "HTTPRoute", owner.namespace,
                                                     "", "Service", name))
        self.ctx.findings.append(Finding(Severity.INFO, "ING2GW-CORE-025",
                                         f"--default-backend-service={value}: unmatched requests go to Service {value} "
                                         "(port " + str(port) + ") instead of a 404",
                                         subject=f"Gateway {self.gw.namespace}/{self.gw.name}"))

    def _conflict_note(self, loser: Ingress, winner: Ingress | None, message: str, code: str) -> None:
        self.ctx.finding(Severity.WARNING, code, message, ing=loser,
                         suggestion="remove the losing definition, or check which one you meant to keep")
        if self.timestamps_missing and winner is not None:
            self.ctx.finding(Severity.WARNING, "ING2GW-CORE-004",
                             f"the winner between {winner.key} and {loser.key} depends on creation order, and the "
                             "input has no creationTimestamp: ing2gw assumed both were created in the same second "
                             "(ties go to namespace/name in descending order, as ingress-nginx does)", ing=loser,
                             suggestion="run on `kubectl get ingress -A -o yaml` output to use the real creation order")

    # -- G2: certificates ------------------------------------------------------------------
    def _certificates(self, main: list[Ingress]) -> None:
        for ing in main:
            if not ing.spec.tls:
                continue
            for host in self._hosts_quiet(ing):
                if host == CATCH_ALL:
                    continue
                server = self.servers[host]
                if server.cert is not None:
                    continue
                server.cert, server.cert_owner = self._pick_cert(ing, host), ing
        # other TLS Ingresses naming a host whose certificate was already chosen
        for ing in main:
            for t in ing.spec.tls:
                for h in t.hosts:
                    s = self.servers.get(h.lower())
                    if s is None or s.cert_owner is None or s.cert_owner is ing or not t.secret_name:
                        continue
                    if isinstance(s.cert, ir.SecretRef) and (s.cert.namespace, s.cert.name) != (ing.namespace, t.secret_name):
                        self.ctx.finding(Severity.WARNING, "ING2GW-CORE-017",
                                         f"TLS Secret {ing.namespace}/{t.secret_name} for {h} is not used: "
                                         f"{s.cert_owner.key} is older and its Secret {s.cert.namespace}/{s.cert.name} "
                                         "serves the host (G2)", ing=ing)

    def _pick_cert(self, ing: Ingress, host: str) -> ir.SecretRef | _DefaultCert:
        entry = tls_entry_for(ing, host)
        if entry is not None:
            return ir.SecretRef(ing.namespace, entry.secret_name) if entry.secret_name else DEFAULT_CERT
        secret = hostless_tls_secret(ing)
        if secret is not None:
            self.ctx.finding(Severity.INFO, "ING2GW-CORE-014",
                             f"the TLS entry without hosts (Secret {secret}) is used for {host}: ingress-nginx "
                             "uses it when the certificate covers the host, which ing2gw assumes (G2)", ing=ing,
                             suggestion=f"check that Secret {ing.namespace}/{secret} covers {host}")
            return ir.SecretRef(ing.namespace, secret)
        return DEFAULT_CERT

    # -- B5: locations ---------------------------------------------------------------------
    def _locations(self, ing: Ingress) -> None:
        from ing2gw.providers.ingress_nginx.canary import skipped_by_canary, upstream_name

        a = self.anns[ing.key]
        for entry in path_entries(ing):
            # B5.1: a host only a canary names has no server: its paths go to the catch-all server
            server = self.servers.get(entry.host or CATCH_ALL) or self.servers[CATCH_ALL]
            where, path, p = entry.where, entry.value, entry.path
            if p.backend.resource is not None:
                self._backend(ing, p.backend, where)
                continue
            loc = Loc(path, entry.match_type, ing, a, None, where=where, upstream=upstream_name(ing.namespace, p.backend))
            if skipped_by_canary(self, ing, loc):
                continue
            # nginx's location takes the path and what is below it (on a regex host, any string
            # it starts, in any letter case): the requests its backend's findings concern
            loc.backend, loc.unresolved = self._backend(ing, p.backend, where, {
                "hosts": self._scope_hosts(server.host),
                "paths": paths_detail([("regex", f"(?i)^{path}.*") if any(c in path for c in "()[]{}*+?|\\^$")
                                       else ("iprefix", path)])})
            if not self._expressible(server, loc):
                continue
            self._add_location(server, loc)

    def _expressible(self, server: Server, loc: Loc) -> bool:
        """CORE-008: a path Gateway API cannot hold as Exact/PathPrefix (checked again for regex
        hosts by nginx_regex, which may express it as a RegularExpression instead)."""
        if loc.ann is not None and (loc.ann.use_regex or loc.ann.rewrite_target):
            return True  # decided per host once regex mode is known
        problem = gateway_path_problem(loc.path)
        if problem is None:
            return True
        assert loc.owner is not None
        self.ctx.finding(Severity.ERROR, "ING2GW-CORE-008",
                         f"{loc.where}: path {loc.path!r} {problem}; this route is not in the output", ing=loc.owner,
                         suggestion="change the path, or add the route by hand with a RegularExpression match "
                                    "if your Gateway implementation supports it",
                         details={"hosts": _where_host(server.host),
                                  "paths": paths_detail([("exact" if loc.type == "Exact" else "segment", loc.path)])})
        return False

    def _add_location(self, server: Server, loc: Loc) -> None:
        for i, existing in enumerate(server.locs):
            if existing.path != loc.path:
                continue
            if existing.type != loc.type:
                break  # (sic) B5: ingress-nginx stops searching here; see _check_duplicates
            if existing.is_root:
                # the rule takes over the root; it is no longer the default, so a later `/`
                # Prefix of any Ingress is a duplicate, not another takeover (B5)
                server.locs[i] = Loc(loc.path, loc.type, loc.owner, loc.ann, loc.backend, is_root=False,
                                     unresolved=loc.unresolved, where=loc.where, upstream=loc.upstream)
                return
            assert loc.owner is not None
            if existing.owner is not loc.owner:
                self._conflict_note(loc.owner, existing.owner,
                                    f"{loc.where} ({loc.type} {loc.path} on host {server.host}) is ignored: "
                                    f"{existing.owner.key if existing.owner else 'another Ingress'} defines the same "
                                    "host, path and type and is older (A4/B5); only the winner is emitted",
                                    "ING2GW-CORE-003")
            else:
                self.ctx.finding(Severity.INFO, "ING2GW-CORE-003",
                                 f"{loc.where} repeats {loc.type} {loc.path} on host {server.host}; the first one is used",
                                 ing=loc.owner)
            return
        server.locs.append(loc)

    def _check_duplicates(self) -> None:
        """B5/B9: configurations nginx rejects as a whole (duplicate locations)."""
        for server in self.servers.values():
            if nginx_paths.enforce_regex(server):
                continue
            seen: dict[tuple[str, str], Loc] = {}
            dropped: list[Loc] = []
            for loc in list(server.locs):
                keys = nginx_paths.nginx_location_names(loc)
                for k in keys:
                    if k in seen and seen[k] is not loc:
                        other = seen[k]
                        dropped.append(loc)
                        ing = loc.owner or other.owner
                        self.ctx.finding(
                            Severity.ERROR, "ING2GW-CORE-012",
                            f"host {server.host}: {other.type} {other.path} ({other.owner.key if other.owner else '-'}) and "
                            f"{loc.type} {loc.path} ({loc.owner.key if loc.owner else '-'}) both render nginx "
                            f"location {'= ' if k[0] == 'exact' else ''}{k[1]!r}; nginx rejects the whole configuration "
                            "(duplicate location), so ingress-nginx keeps serving its previous configuration",
                            ing=ing, suggestion="remove one of the two paths; ing2gw emits the first",
                            details={"hosts": _where_host(server.host)})
                    else:
                        seen[k] = loc
            server.locs = [x for x in server.locs if all(x is not d for d in dropped)]

    # -- IR ----------------------------------------------------------------------------------
    def _emit(self, server: Server) -> None:
        if nginx_paths.enforce_regex(server):
            from ing2gw.providers.ingress_nginx.regex import emit_regex_server

            emit_regex_server(self, server)
        else:
            nginx_paths.emit_server(self, server)
