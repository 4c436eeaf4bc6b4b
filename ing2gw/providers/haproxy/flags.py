"""The HAProxy controller's command-line flags that change what the translation must say.

The user gives the controller's arguments as they appear in its Deployment (`--haproxy-flag`,
repeatable, or the config key `haproxyFlags`). Given none, ing2gw assumes the Helm chart's
(haproxytech/helm-charts kubernetes-ingress 1.52: `--ingress.class=haproxy`, the ConfigMap
haproxy-controller/haproxy-kubernetes-ingress, a generated default certificate). Given some,
they are the whole argument list, as the controller sees it: a flag the chart sets but the list
lacks is unset (e.g. no --default-ssl-certificate: no default certificate).

Facts (documentation/controller.md of haproxytech/kubernetes-ingress, and
../shared/reference/haproxy-semantics.md): --ingress.class / --empty-ingress-class (H-A1),
--default-backend-service (H-D1), --default-ssl-certificate (H-F1), --disable-http /
--disable-https (no frontend), --namespace-whitelist / --namespace-blacklist (the store watches
only those namespaces), --disable-quic / --quic-announce-port (alt-svc, H-F4). Flags that only
tune the process are accepted and ignored; an unknown flag is refused, as go-flags refuses to
start the controller with one. Parsed apart from `simulate.haproxy.settings` on purpose: the
translation and its model must not share code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ing2gw import ir
from ing2gw.errors import UsageError

#: the Helm chart's arguments (namespace haproxy-controller, release haproxy-kubernetes-ingress)
CHART_FLAGS: tuple[str, ...] = (
    "--default-ssl-certificate=haproxy-controller/haproxy-kubernetes-ingress-default-cert",
    "--configmap=haproxy-controller/haproxy-kubernetes-ingress",
    "--http-bind-port=8080",
    "--https-bind-port=8443",
    "--quic-bind-port=8443",
    "--quic-announce-port=443",
    "--ingress.class=haproxy",
)
#: boolean flags (bare, or =true/=false)
_BOOLEAN = frozenset({
    "disable-quic", "empty-ingress-class", "disable-service-external-name", "disable-http", "disable-https",
    "disable-ipv4", "disable-ipv6", "external", "with-s6-overlay", "pprof", "prometheus", "with-pebble",
    "job-check-crd", "disable-writing-only-if-reload", "disable-ingress-status-update",
    "enable-custom-annotations-on-ingress", "help", "version", "t"})
#: flags with a value (--name=value or --name value)
_VALUED = frozenset({
    "ingress.class", "default-backend-service", "default-ssl-certificate", "configmap", "configmap-patternfiles",
    "configmap-errorfiles", "configmap-tcp-services", "quic-announce-port", "quic-bind-port", "https-bind-port",
    "http-bind-port", "namespace-whitelist", "namespace-blacklist", "experimental", "disable-config-snippets",
    "default-backend-port", "ipv4-bind-address", "ipv6-bind-address", "gateway-controller-name", "runtime-dir",
    "publish-service", "config-dir", "program", "kubeconfig", "http-bind-thread", "https-bind-thread",
    "healthz-bind-thread", "stats-bind-port", "stats-bind-thread", "localpeer-port", "channel-size",
    "controller-port", "sync-period", "initial-sync-period", "cache-resync-period", "healthz-bind-port", "log",
    "input-file", "output-file", "custom-validation-rules"})
#: flags naming an object as namespace/name
_NS_NAME = ("default-backend-service", "default-ssl-certificate", "configmap", "configmap-patternfiles",
            "configmap-errorfiles")
_OPTION = "--haproxy-flag"


@dataclass(frozen=True)
class ControllerFlags:
    """What the translation reads from the controller's arguments."""

    chart: bool = True
    given: tuple[str, ...] = CHART_FLAGS
    ingress_class: str = "haproxy"
    empty_ingress_class: bool = False
    configmap: tuple[str, str] | None = ("haproxy-controller", "haproxy-kubernetes-ingress")
    default_cert: ir.SecretRef | None = ir.SecretRef("haproxy-controller", "haproxy-kubernetes-ingress-default-cert")
    default_backend: tuple[str, str, str] | None = None  # namespace, service, port ("" = the first)
    disable_http: bool = False
    disable_https: bool = False
    disable_quic: bool = False
    namespace_whitelist: tuple[str, ...] = ()
    namespace_blacklist: tuple[str, ...] = ()

    @property
    def class_controller(self) -> str:
        """The IngressClass spec.controller this instance serves (H-A1)."""
        base = "haproxy.org/ingress-controller"
        return f"{base}/{self.ingress_class}" if self.ingress_class else base

    def watches(self, namespace: str) -> bool:
        """Whether the controller's store sees objects of `namespace` (the whitelist, if any,
        else everything but the blacklist)."""
        if self.namespace_whitelist:
            return namespace in self.namespace_whitelist
        return namespace not in self.namespace_blacklist

    def describe(self) -> str:
        """The flags as the controller got them, for findings."""
        return " ".join(self.given) if self.given else "(none)"


def _bool(name: str, value: str | None) -> bool:
    if value is None or value.lower() in ("true", "1", "t"):
        return True
    if value.lower() in ("false", "0", "f"):
        return False
    raise UsageError(f"{_OPTION}=--{name}={value}: expected true or false (or the bare flag)")


def _ns_name(name: str, value: str, default_ns: str) -> tuple[str, str]:
    ns, sep, rest = value.strip().partition("/")
    if not sep:
        ns, rest = default_ns, ns
    if not ns or not rest or "/" in rest:
        raise UsageError(f"{_OPTION}=--{name}={value}: expected namespace/name")
    return ns, rest


def parse(flags: Sequence[str]) -> ControllerFlags:
    """The controller arguments (empty: the Helm chart's). Raises UsageError naming the flag for
    an unknown flag or a bad value (the controller would not start)."""
    if not flags:
        return ControllerFlags()
    values: dict[str, str | bool] = {}
    lists: dict[str, list[str]] = {"namespace-whitelist": [], "namespace-blacklist": []}
    args = [str(f).strip() for f in flags if str(f).strip()]
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("-"):
            raise UsageError(f"{_OPTION} {arg!r}: not a controller flag; write it as in the controller's args, "
                             "e.g. --haproxy-flag=--ingress.class=haproxy")
        name, eq, value = arg.lstrip("-").partition("=")
        if name in _BOOLEAN:
            values[name] = _bool(name, value if eq else None)
            continue
        if name not in _VALUED:
            raise UsageError(f"{_OPTION} {arg}: unknown flag of the HAProxy controller (it would not start); see "
                             "documentation/controller.md of haproxytech/kubernetes-ingress")
        if not eq:
            if i < len(args) and not args[i].startswith("-"):
                value = args[i]
                i += 1
            else:
                raise UsageError(f"{_OPTION} {arg}: needs a value (--{name}=VALUE)")
        if name in lists:
            lists[name].extend(v.strip() for v in value.split(",") if v.strip())
        else:
            values[name] = value.strip()

    def text(name: str) -> str:
        v = values.get(name, "")
        return v if isinstance(v, str) else ""

    for name in _NS_NAME:
        if text(name):
            _ns_name(name, text(name), "default")
    backend = None
    if text("default-backend-service"):
        # namespace/name of the Service; a port is the Service's first when not given (H-D1)
        ns, svc = _ns_name("default-backend-service", text("default-backend-service"), "default")
        backend = (ns, svc, "")
    configmap = _ns_name("configmap", text("configmap"), "default") if text("configmap") else None
    cert = text("default-ssl-certificate")
    return ControllerFlags(
        chart=False, given=tuple(args), ingress_class=text("ingress.class"),
        empty_ingress_class=bool(values.get("empty-ingress-class", False)),
        configmap=configmap,
        default_cert=ir.SecretRef(*_ns_name("default-ssl-certificate", cert, "default")) if cert else None,
        default_backend=backend,
        disable_http=bool(values.get("disable-http", False)),
        disable_https=bool(values.get("disable-https", False)),
        disable_quic=bool(values.get("disable-quic", False)),
        namespace_whitelist=tuple(lists["namespace-whitelist"]),
        namespace_blacklist=tuple(lists["namespace-blacklist"]),
    )
