"""From the dynamic configuration to one sorted router table per entry point and TLS-ness.

What happens between the providers and the muxer (pkg/server/aggregator.go, pkg/config/runtime,
pkg/server/router/router.go):

* routers without entry points get the default ones (T-C2); unknown names are dropped, and a
  router left without any is unused;
* each router is copied per entry point with the entry point's model applied: its `http.tls`
  when the router has no TLS of its own, its middlewares first, its denied encoded characters
  (T-C3, T-D7); a router whose entry points have models is named `<ep>-<name>` there;
* a router that cannot be built is not added (T-F6): a rule that does not parse, a middleware
  or service that does not exist or cannot be created, unknown TLS options, a priority above
  MaxInt64-1000;
* a TLS router lives on the entry point's TLS side only, a plain router on the plain side only;
* a table is sorted by priority (rule length unless set), then provider precedence; routers
  equal on both are in an undefined order (T-F3).

Tables are indexed by the Host a rule requires, so a request only evaluates the routers that
can match its host.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from ing2gw.simulate.traefik.config import (PROVIDER_INTERNAL, DynamicConfig, Middleware, Router, RouterTLS,
                                            normalize, qualify)
from ing2gw.simulate.traefik.middlewares import BuildError, Compiled, build_chain
from ing2gw.simulate.traefik.rules import (Matcher, RuleError, compile_node, domains, parse, request_host_keys,
                                           required_hosts, required_prefix)
from ing2gw.simulate.traefik.services import Plan, build_plan
from ing2gw.simulate.traefik.static import MAX_INT, EntryPoint, StaticConfig, precedence_rank
from ing2gw.simulate.traefik.tls import OptionsMap

MAX_USER_PRIORITY = MAX_INT - 1000


@dataclass
class Built:
    """A router built on one entry point."""

    router: Router
    runtime_name: str
    ep: str
    tls: RouterTLS | None
    priority: int
    rank: int
    syntax: str
    matcher: Matcher
    hosts: frozenset[str] | None
    denied: frozenset[str]
    chain: tuple[Compiled, ...]
    plan: Plan
    options: str
    #: the character after '/' every matching routing path has (None: any path may match)
    pchar: str | None = None
    alternatives: list["Built"] = field(default_factory=list)


class Table:
    """The routers of one entry point and TLS-ness, in muxer order, indexed by required host."""

    def __init__(self, routers: list[Built]) -> None:
        routers.sort(key=lambda b: (-b.priority, -b.rank, b.runtime_name))
        self.routers = routers
        self.generic: list[int] = []
        self.by_host: dict[str, list[int]] = {}
        for i, b in enumerate(routers):
            if b.hosts is None:
                self.generic.append(i)
            else:
                for h in b.hosts:
                    self.by_host.setdefault(h, []).append(i)
        self.pchars = [b.pchar for b in routers]
        self._merged: dict[tuple[tuple[str, ...], str], list[Built]] = {}
        self._by_request: dict[tuple[str, str], list[Built]] = {}

    def candidates(self, host: str, path: str) -> list[Built]:
        """The routers a request with this canonical host and routing path may match, in order:
        those that require no host or this one, and no path prefix or one starting alike."""
        pc = path[1] if len(path) > 1 else ""
        found = self._by_request.get((host, pc))
        if found is not None:
            return found
        keys = request_host_keys(host)
        found = self._merged.get((keys, pc))
        if found is not None:
            if len(self._by_request) >= 1 << 14:
                self._by_request.clear()
            self._by_request[(host, pc)] = found
            return found
        lists = [self.by_host[k] for k in keys if k in self.by_host]
        merged: list[Built] = []
        last = -1
        pchars = self.pchars
        for i in heapq.merge(self.generic, *lists):
            if i != last and (pchars[i] is None or pchars[i] == pc):
                merged.append(self.routers[i])
            last = i
        if len(self._merged) >= 1 << 14:
            self._merged.clear()
        self._merged[(keys, pc)] = merged
        if len(self._by_request) >= 1 << 14:
            self._by_request.clear()
        self._by_request[(host, pc)] = merged
        return merged


@dataclass
class RouterState:
    """What became of a router of the configuration (for the configuration view)."""

    router: Router
    entry_points: tuple[str, ...] = ()
    errors: list[str] = field(default_factory=list)
    usable: bool = False


class Builder:
    def __init__(self, static: StaticConfig, conf: DynamicConfig) -> None:
        self.static = static
        self.conf = conf
        self.tables: dict[tuple[str, bool], Table] = {}
        self.states: dict[str, RouterState] = {}
        self.options: dict[str, OptionsMap] = {}
        self.foreign_providers = set(static.foreign_providers)

    def foreign(self, qualified: str) -> str | None:
        provider = qualified.rpartition("@")[2]
        if provider in self.foreign_providers:
            return f"{qualified} comes from the {provider} provider, which the simulator does not read (assumed to " \
                   "exist and to pass requests on)"
        return None

    def _internal(self) -> None:
        """Entry point redirections and the ACME HTTP challenge (pkg/provider/traefik/internal.go)."""
        for ep in self.static.entry_points.values():
            red = ep.redirection
            if red is None:
                continue
            name = normalize(f"{ep.name}-to-{red.to}")
            mw = f"redirect-{name}"
            rule = "HostRegexp(`^.+$`)"
            if ep.allow_acme_bypass:
                rule += " && !PathPrefix(`/.well-known/acme-challenge/`)"
            self.conf.middlewares[f"{mw}@internal"] = Middleware(
                mw, PROVIDER_INTERNAL, ("redirectScheme",),
                {"redirectScheme": {"scheme": red.scheme, "port": red.port, "permanent": red.permanent}}, "")
            rt = Router(name=name, provider=PROVIDER_INTERNAL, rule=rule, priority=red.priority, syntax="default",
                        entry_points=(ep.name,), middlewares=(mw,), service="noop@internal",
                        notes=[f"entry point {ep.name} redirects to {red.to} (static configuration)"])
            self.conf.routers[rt.qualified] = rt
        for ep_name, bypass in self.static.acme_http_entry_points:
            rt = Router(name="acme-http-bypass" if bypass else "acme-http", provider=PROVIDER_INTERNAL,
                        rule="PathPrefix(`/.well-known/acme-challenge/`)", priority=0 if bypass else MAX_INT,
                        syntax="default", entry_points=(ep_name,), service="acme-http@internal")
            self.conf.routers[rt.qualified] = rt

    def _syntax(self, router: Router, model: bool) -> str:
        syntax = router.syntax
        if syntax == "" and model:
            syntax = self.static.default_rule_syntax
        return "v2" if syntax == "v2" else "v3"

    def _build_one(self, router: Router, ep: EntryPoint, runtime_name: str, state: RouterState) -> Built | None:
        model = ep.has_model or bool(self.static.default_rule_syntax)
        tls: RouterTLS | None = router.tls
        if tls is None and model and ep.tls is not None:
            tls = RouterTLS(ep.tls.options, ep.tls.cert_resolver, ep.tls.domains)
        middlewares = (ep.middlewares if model else ()) + router.middlewares
        priority = router.effective_priority()
        if priority > MAX_USER_PRIORITY and router.provider != PROVIDER_INTERNAL:
            state.errors.append(f"the router priority {priority} exceeds the max user-defined priority "
                                f"{MAX_USER_PRIORITY}")
            return None
        syntax = self._syntax(router, model)
        try:
            if tls is not None:
                options = "default" if tls.options in ("", "default") else qualify(tls.options, router.provider)
                if options != "default" and options not in self.conf.tls_options and self.foreign(options) is None:
                    raise BuildError(f"building router handler: unknown TLS options: {options}")
            else:
                options = ""
            chain = tuple(build_chain(middlewares, router.provider, self.conf, foreign=self.foreign))
            if not router.service:
                raise BuildError("router must have either a service or child routers")
            plan = self._plan(router)
            node = parse(router.rule, syntax)
            matcher = compile_node(node, syntax)
        except (BuildError, RuleError) as exc:
            state.errors.append(str(exc))
            return None
        prefix = required_prefix(node, syntax)
        built = Built(router=router, runtime_name=runtime_name, ep=ep.name, tls=tls, priority=priority,
                      rank=precedence_rank(self.static, router.provider), syntax=syntax, matcher=matcher,
                      hosts=required_hosts(node, syntax), denied=ep.denied_encoded if model else frozenset(),
                      chain=chain, plan=plan, options=options,
                      pchar=prefix[1] if prefix is not None and len(prefix) > 1 else None)
        if tls is not None and syntax == "v3":
            self.options.setdefault(ep.name, OptionsMap()).add(domains(node), options)
        return built

    def _plan(self, router: Router) -> Plan:
        if router.service == "acme-http@internal":
            return Plan([], unmodelled=["the ACME HTTP-01 challenge is answered by Traefik itself (404 for a token "
                                        "it does not know)"])
        return build_plan(router.service, router.provider, self.conf, self.static.insecure_skip_verify,
                          self.foreign)

    def build(self) -> None:
        self._internal()
        eps = self.static.entry_points
        defaults = self.static.default_entry_points()
        pending: dict[tuple[str, bool], list[Built]] = {}
        for q in sorted(self.conf.routers):
            router = self.conf.routers[q]
            state = self.states[q] = RouterState(router)
            names = router.entry_points or defaults
            valid = []
            for n in names:
                if n in eps and eps[n].protocol == "tcp":
                    valid.append(n)
                else:
                    state.errors.append(f"entryPoint {n!r} doesn't exist")
            if not valid:
                state.errors.append("no valid entryPoint for this router")
                continue
            state.entry_points = tuple(valid)
            for n in valid:
                ep = eps[n]
                model = ep.has_model or bool(self.static.default_rule_syntax)
                runtime = f"{n}-{router.name}" if model and len(names) > 1 else router.name
                runtime_q = qualify(runtime, router.provider)
                built = self._build_one(router, ep, runtime_q, state)
                if built is None:
                    continue
                for alt in router.alternatives:
                    alt_state = RouterState(alt)
                    alt_built = self._build_one(alt, ep, runtime_q, alt_state)
                    if alt_built is not None:
                        built.alternatives.append(alt_built)
                    else:
                        self.conf.notes.append(f"router {runtime_q} from {alt.source_kind} {alt.source} could not be "
                                               f"built: {'; '.join(alt_state.errors)}")
                pending.setdefault((n, built.tls is not None), []).append(built)
                state.usable = True
        for key, builts in pending.items():
            self.tables[key] = Table(builts)

    def table(self, ep: str, tls: bool) -> Table | None:
        return self.tables.get((ep, tls))

