"""Traefik's static (install) configuration, as the translator reads it (`--traefik-static FILE`).

Traefik reads its static configuration once at start-up from a YAML or TOML file (or CLI flags
of the same names): entry points (address, TLS, redirections, `asDefault`), and the options of
the kubernetesIngress and kubernetesCRD providers. What of it changes where requests go:

* entry points become listeners (their address port; `http.tls` makes an HTTPS listener), and a
  router without `router.entrypoints` gets the `asDefault` ones, else every TCP entry point but
  `traefik` (cmd/traefik/traefik.go getDefaultsEntrypoints, traefik-semantics.md T-C2);
* `http.redirections.entryPoint` redirects every request with a Host on that entry point (an
  internal router of priority MaxInt-1, pkg/provider/traefik/internal.go, T-C6);
* kubernetesIngress `ingressClass`, `disableIngressClassLookup` (which Ingresses are served,
  T-A1), `allowEmptyServices`, `allowExternalNameServices` (T-B6), `strictPrefixMatching` (T-B2);
  kubernetesCRD `allowCrossNamespace`, `allowExternalNameServices`, `allowEmptyServices`;
* `core.defaultRuleSyntax` (v2 wildcard rules, T-B2).

Without a file the Helm chart's configuration is assumed (T-C1): `web` on :80, `websecure` on
:443 with `http.tls`, `allowEmptyServices: true`. A file replaces the chart's entry points when
it has `entryPoints`, and is read over the chart's provider options otherwise, as a chart's
`additionalArguments` would be. Addresses are the ports clients connect to: behind the chart
write the Service ports (80, 443), not the container ports (8000, 8443).

This module is the translator's reading; the simulator reads the same document on its own
(simulate/traefik/static.py), so that a misreading is not shared by both sides.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ing2gw.errors import InputError, Problem, UsageError
from ing2gw.model.ingress import Ingress
from ing2gw.options import Options

#: the Helm chart's entry points (traefik-semantics.md T-C1), as Service ports
CHART_ENTRY_POINTS: dict[str, Any] = {"web": {"address": ":80"}, "websecure": {"address": ":443", "http": {"tls": {}}}}
#: the releases whose Ingress provider writes a wildcard host as a HostRegexp (T-B2)
HOSTREGEXP_BEFORE = (3, 7)
_ANN = "traefik.ingress.kubernetes.io/"

_TOP = {"entrypoints", "providers", "core", "serverstransport", "certificatesresolvers", "global", "log",
        "accesslog", "tracing", "metrics", "ping", "api", "tcpserverstransport", "spiffe", "ocsp", "hostresolver",
        "experimental"}
_EP = {"address", "asdefault", "http", "http2", "http3", "transport", "proxyprotocol", "forwardedheaders", "udp",
       "observability", "allowacmebypass", "reuseport"}
_HTTP = {"redirections", "middlewares", "tls", "encodedcharacters", "encodequerysemicolons", "sanitizepath",
         "maxheaderbytes", "underscoreheadersstrategy"}
_INGRESS = {"endpoint", "token", "certauthfilepath", "namespaces", "labelselector", "ingressclass", "ingressendpoint",
            "reportnodeinternalips", "throttleduration", "allowemptyservices", "allowexternalnameservices",
            "crossprovidernamespaces", "disableingressclasslookup", "disableclusterscoperesources",
            "nativelbbydefault", "strictprefixmatching"}
_CRD = {"endpoint", "token", "certauthfilepath", "namespaces", "allowcrossnamespace", "allowexternalnameservices",
        "crossprovidernamespaces", "labelselector", "ingressclass", "throttleduration", "allowemptyservices",
        "nativelbbydefault", "disableclusterscoperesources"}
#: providers Traefik knows besides the two Kubernetes ones ing2gw reads (their routers are not
#: in the input; a reference to them stays unresolved)
_OTHER_PROVIDERS = {"file", "docker", "swarm", "kubernetesgateway", "kubernetesingressnginx", "consul",
                    "consulcatalog", "etcd", "redis", "zookeeper", "http", "rest", "nomad", "ecs", "knative",
                    "plugin", "providersthrottleduration", "precedence"}


@dataclass(frozen=True)
class Redirection:
    """entryPoints.<ep>.http.redirections.entryPoint: every request with a Host is redirected."""

    to: str
    scheme: str
    #: the Location's port; None when it is the scheme's default (RedirectScheme drops it)
    port: int | None
    permanent: bool


@dataclass(frozen=True)
class EntryPoint:
    name: str
    port: int
    udp: bool = False
    #: http.tls: every router on it is a TLS router (T-C3)
    tls: bool = False
    as_default: bool = False
    redirection: Redirection | None = None


@dataclass(frozen=True)
class TraefikStatic:
    """What of Traefik's static configuration the translator uses (module docstring)."""

    entry_points: tuple[EntryPoint, ...]
    ingress_enabled: bool = True
    ingress_class: str = ""
    disable_class_lookup: bool = False
    allow_empty_services: bool = True
    allow_external_name_services: bool = False
    strict_prefix_matching: bool = False
    namespaces: tuple[str, ...] = ()
    label_selector: str = ""
    #: crossProviderNamespaces (None: unset, no restriction)
    cross_provider_namespaces: tuple[str, ...] | None = None
    crd_enabled: bool = True
    crd_allow_cross_namespace: bool = False
    crd_allow_external_name_services: bool = False
    crd_allow_empty_services: bool = True
    rule_syntax: str = "v3"
    version: tuple[int, int] = (3, 7)
    #: the file was given (the chart's configuration is not assumed)
    given: bool = False

    def entry_point(self, name: str) -> EntryPoint | None:
        return next((e for e in self.entry_points if e.name == name), None)

    @property
    def http_names(self) -> tuple[str, ...]:
        """The TCP entry points HTTP routers can use."""
        return tuple(e.name for e in self.entry_points if not e.udp)

    def defaults(self) -> tuple[str, ...]:
        """Entry points of a router that names none (T-C2)."""
        marked = tuple(e.name for e in self.entry_points if e.as_default and not e.udp)
        return marked or tuple(e.name for e in self.entry_points if not e.udp and e.name != "traefik")


class _Reader:
    def __init__(self, source: str, lines: Mapping[str, int]) -> None:
        self.source = source
        self.lines = lines
        self.problems: list[Problem] = []

    def bad(self, path: str, message: str) -> None:
        # the line of the key, else of the closest enclosing key the file has
        at = path.lower()
        line = self.lines.get(at, 0)
        while not line and "." in at:
            at = at.rsplit(".", 1)[0]
            line = self.lines.get(at, 0)
        self.problems.append(Problem(self.source, line, f"{path}: {message}"))

    def mapping(self, value: Any, path: str, known: set[str] | None = None) -> dict[str, Any]:
        """A mapping with lower-cased keys (Traefik's keys are case-insensitive); unknown keys are
        an error, as Traefik refuses to start on them."""
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.bad(path, "must be a mapping")
            return {}
        out: dict[str, Any] = {}
        for k, v in value.items():
            key = str(k).lower()
            if known is not None and key not in known:
                close = difflib.get_close_matches(key, sorted(known), 1, 0.7)
                self.bad(f"{path}.{k}" if path else str(k),
                         "unknown key (Traefik refuses to start on it)" + (f"; did you mean {close[0]}?" if close else ""))
                continue
            out[key] = v
        return out

    def flag(self, d: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        if key not in d or d[key] is None:
            return default
        value = d[key]
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.bad(f"{path}.{key}", f"{value!r} is not true or false")
        return default


def _port(r: _Reader, path: str, address: Any) -> tuple[int, bool] | None:
    if not isinstance(address, str) or not address:
        r.bad(f"{path}.address", 'missing; write the port clients connect to, e.g. ":80"')
        return None
    addr, _, proto = address.partition("/")
    m = re.search(r":(\d+)$", addr)
    if not m or not 0 < int(m.group(1)) < 65536 or proto.lower() not in ("", "tcp", "udp"):
        r.bad(f"{path}.address", f'{address!r} is not [host]:port[/tcp|/udp], e.g. ":443"')
        return None
    return int(m.group(1)), proto.lower() == "udp"


def _entry_points(r: _Reader, raw: Any) -> tuple[EntryPoint, ...]:
    eps: dict[str, EntryPoint] = {}
    redirects: dict[str, dict[str, Any]] = {}
    for name, spec in r.mapping(raw, "entryPoints").items():
        path = f"entryPoints.{name}"
        d = r.mapping(spec, path, _EP)
        port = _port(r, path, d.get("address"))
        http = r.mapping(d.get("http"), f"{path}.http", _HTTP)
        if "redirections" in http:
            red = r.mapping(http["redirections"], f"{path}.http.redirections", {"entrypoint"})
            redirects[name] = r.mapping(red.get("entrypoint"), f"{path}.http.redirections.entryPoint",
                                        {"to", "scheme", "permanent", "priority"})
        if port is None:
            continue
        eps[name] = EntryPoint(name, port[0], port[1], tls="tls" in http,
                               as_default=r.flag(d, "asdefault", path, False))
    for name, red in redirects.items():
        path = f"entryPoints.{name}.http.redirections.entryPoint"
        to = str(red.get("to") or "")
        if not to or name not in eps:
            continue  # Traefik ignores a redirection without `to`
        m = re.fullmatch(r":(\d+)", to)
        target = eps.get(to)
        if m is None and target is None:
            r.bad(f"{path}.to", f"names no entry point ({', '.join(sorted(eps))}) and is not a port such as \":443\"")
            continue
        scheme = str(red.get("scheme") or "https").lower()
        to_port = int(m.group(1)) if m else target.port if target else None
        # RedirectScheme drops the scheme's default port from the Location
        default = {"https": 443, "http": 80}.get(scheme)
        if "priority" in red and red["priority"] not in (None, 0):
            r.bad(f"{path}.priority", "a priority other than the default (MaxInt-1) is not translated; remove it")
        eps[name] = EntryPoint(eps[name].name, eps[name].port, eps[name].udp, eps[name].tls, eps[name].as_default,
                               Redirection(to, scheme, None if to_port == default else to_port,
                                           r.flag(red, "permanent", path, True)))
    return tuple(eps[n] for n in sorted(eps))


def _strings(r: _Reader, value: Any, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    r.bad(path, "must be a list of names")
    return ()


#: one requirement of a Kubernetes label selector: key, !key, key=v, key==v, key!=v,
#: key in (a,b), key notin (a,b)
_REQUIREMENT = re.compile(r"\s*(?:(?P<not>!)\s*(?P<nkey>[\w./-]+)|(?P<key>[\w./-]+)\s*(?:(?P<op>==|=|!=)\s*"
                          r"(?P<value>[\w.-]*)|\s+(?P<set>in|notin)\s*\((?P<values>[^)]*)\))?)\s*")


def _requirements(selector: str) -> list[re.Match[str]] | None:
    parts, depth, cur = [], 0, ""
    for ch in selector:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    out = [_REQUIREMENT.fullmatch(p) for p in parts if p.strip()]
    return None if any(m is None for m in out) else [m for m in out if m is not None]


def _selector(r: _Reader, value: Any, path: str) -> str:
    text = str(value or "").strip()
    if text and _requirements(text) is None:
        r.bad(path, f"{text!r} is not a label selector (key=value, key!=value, key in (a,b), !key, ...)")
        return ""
    return text


def selects(selector: str, labels: Mapping[str, str]) -> bool:
    """Does a Kubernetes label selector select these labels? (An empty one selects all.)"""
    for m in _requirements(selector) or []:
        if m.group("not"):
            if m.group("nkey") in labels:
                return False
            continue
        key = m.group("key")
        if m.group("op"):
            equal = labels.get(key) == m.group("value")
            if equal == (m.group("op") == "!="):
                return False
        elif m.group("set"):
            values = {v.strip() for v in m.group("values").split(",")}
            inside = key in labels and labels[key] in values
            if inside != (m.group("set") == "in"):
                return False
        elif key not in labels:
            return False
    return True


def parse_static(doc: Mapping[str, Any] | None, source: str = "--traefik-static",
                 lines: Mapping[str, int] | None = None, version: str | None = None) -> TraefikStatic:
    """The static configuration of `doc` (None: the Helm chart's); InputError lists every problem
    with its file:line when `lines` maps lower-cased key paths to lines."""
    r = _Reader(source, lines or {})
    top = r.mapping(doc, "", _TOP) if doc is not None else {}
    raw_eps = top["entrypoints"] if "entrypoints" in top else CHART_ENTRY_POINTS
    eps = _entry_points(r, raw_eps)
    providers = r.mapping(top.get("providers"), "providers", {"kubernetesingress", "kubernetescrd"} | _OTHER_PROVIDERS)
    ing_raw, crd_raw = providers.get("kubernetesingress"), providers.get("kubernetescrd")
    ing = r.mapping(ing_raw if ing_raw is not False else None, "providers.kubernetesIngress", _INGRESS)
    crd = r.mapping(crd_raw if crd_raw is not False else None, "providers.kubernetesCRD", _CRD)
    core = r.mapping(top.get("core"), "core", {"defaultrulesyntax"})
    syntax = str(core.get("defaultrulesyntax") or "v3").lower()
    if syntax not in ("v2", "v3"):
        r.bad("core.defaultRuleSyntax", f"{syntax!r} must be v2 or v3")
    parsed = (3, 7)
    if version is not None:
        m = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", version.strip())
        if not m or int(m.group(1)) != 3:
            r.bad("--traefik-version", f"{version!r} is not a Traefik v3 release such as 3.6 or 3.7")
        else:
            parsed = (int(m.group(1)), int(m.group(2)))
    ip, cp = "providers.kubernetesIngress", "providers.kubernetesCRD"
    static = TraefikStatic(
        entry_points=eps,
        ingress_enabled=ing_raw is not False,
        ingress_class=str(ing.get("ingressclass") or ""),
        disable_class_lookup=r.flag(ing, "disableingressclasslookup", ip, False)
        or r.flag(ing, "disableclusterscoperesources", ip, False),
        allow_empty_services=r.flag(ing, "allowemptyservices", ip, True),
        allow_external_name_services=r.flag(ing, "allowexternalnameservices", ip, False),
        strict_prefix_matching=r.flag(ing, "strictprefixmatching", ip, False),
        namespaces=_strings(r, ing.get("namespaces"), f"{ip}.namespaces"),
        label_selector=_selector(r, ing.get("labelselector"), f"{ip}.labelSelector"),
        cross_provider_namespaces=(_strings(r, ing["crossprovidernamespaces"], f"{ip}.crossProviderNamespaces")
                                   if ing.get("crossprovidernamespaces") is not None else None),
        crd_enabled=crd_raw is not False,
        crd_allow_cross_namespace=r.flag(crd, "allowcrossnamespace", cp, False),
        crd_allow_external_name_services=r.flag(crd, "allowexternalnameservices", cp, False),
        crd_allow_empty_services=r.flag(crd, "allowemptyservices", cp, True),
        rule_syntax=syntax,
        version=parsed,
        given=doc is not None,
    )
    if r.problems:
        raise InputError(r.problems)
    return static


def skipped_by(st: TraefikStatic, ing: Ingress) -> str | None:
    """Why the kubernetesIngress provider skips `ing` (shouldProcessIngress, T-A1), or None.
    Detection already checked that an ingressClassName names an IngressClass of Traefik's."""
    if not st.ingress_enabled:
        return "providers.kubernetesIngress is not enabled"
    if st.namespaces and ing.namespace not in st.namespaces:
        return f"providers.kubernetesIngress.namespaces does not list {ing.namespace}"
    if st.label_selector and not selects(st.label_selector, ing.metadata.labels or {}):
        return f"providers.kubernetesIngress.labelSelector {st.label_selector!r} does not select it"
    if st.cross_provider_namespaces is not None and ing.namespace not in st.cross_provider_namespaces and any(
            ing.annotations.get(_ANN + k) for k in ("router.middlewares", "router.tls.options")):
        # kubernetes.go: an Ingress outside crossProviderNamespaces may not reference other
        # providers' objects, and is skipped whole (T-A4)
        return f"crossProviderNamespaces does not list {ing.namespace}, and it uses router.middlewares or " \
               "router.tls.options"
    name = ing.spec.ingress_class_name
    if name:
        if st.disable_class_lookup:
            return f"disableIngressClassLookup: ingressClassName {name} is never looked up"
        if st.ingress_class and name != st.ingress_class:
            return f"providers.kubernetesIngress.ingressClass is {st.ingress_class}, not {name}"
        return None
    legacy = (ing.annotations.get("kubernetes.io/ingress.class") or "").strip()
    if st.ingress_class:
        if legacy != st.ingress_class:
            return f"providers.kubernetesIngress.ingressClass {st.ingress_class} needs the annotation " \
                   f"kubernetes.io/ingress.class={st.ingress_class}"
        return None
    if legacy not in ("", "traefik"):
        return f"annotation kubernetes.io/ingress.class={legacy} (Traefik without ingressClass serves only traefik)"
    return None


_CACHE: dict[tuple[str, str | None], TraefikStatic] = {}


def static_of(options: Options) -> TraefikStatic:
    """The static configuration the options carry (parsed once per document)."""
    key = (json.dumps(options.traefik_static, sort_keys=True, default=str), options.traefik_version)
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = parse_static(options.traefik_static, version=options.traefik_version)
    return found


def _line_map(node: Any, prefix: str = "", out: dict[str, int] | None = None) -> dict[str, int]:
    """Lower-cased key path -> 1-based line, from ruamel's round-trip nodes."""
    out = {} if out is None else out
    lc = getattr(node, "lc", None)
    if isinstance(node, Mapping) and lc is not None:
        for k, v in node.items():
            path = f"{prefix}.{k}".lstrip(".").lower()
            try:
                out[path] = lc.key(k)[0] + 1
            except (KeyError, TypeError):
                pass
            _line_map(v, path, out)
    return out


def _plain(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def read_static_file(path: str, version: str | None = None) -> dict[str, Any]:
    """The document of a Traefik static configuration file (`.toml`: TOML, else YAML), checked
    with `parse_static`; UsageError/InputError with file:line and what to do."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--traefik-static {path}: cannot read it ({getattr(exc, 'strerror', None) or exc})") \
            from exc
    lines: dict[str, int] = {}
    if path.endswith(".toml"):
        try:
            doc: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"--traefik-static {path}: not valid TOML ({exc})") from exc
    else:
        from ruamel.yaml import YAML
        from ruamel.yaml.error import MarkedYAMLError, YAMLError

        try:
            node = YAML(typ="rt").load(text)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark
            where = f"{path}:{mark.line + 1}" if mark is not None else path
            raise UsageError(f"{where}: not valid YAML ({exc.problem}); --traefik-static takes Traefik's static "
                             "configuration file (YAML, or TOML named *.toml)") from exc
        except YAMLError as exc:
            raise UsageError(f"--traefik-static {path}: not valid YAML ({exc})") from exc
        lines = _line_map(node)
        doc = _plain(node)
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise UsageError(f"{path}:1: a Traefik static configuration is a mapping (entryPoints, providers, ...)")
    parse_static(doc, path, lines, version)
    return doc
