"""The controller's command-line flags that change where a request goes.

Flags come as the controller's argument list (`--name=value`, `--name value` or a bare boolean).
Without flags the router assumes the Helm chart's arguments (`haproxytech/helm-charts`
kubernetes-ingress, chart 1.52: default certificate, ConfigMap, bind ports, QUIC announce port
443 on Kubernetes >= 1.24, `--ingress.class=haproxy`; haproxy-semantics.md H-A1, H-D1, H-F1).
Flags that only tune the process (sync period, logging, threads, ...) are accepted and ignored;
an unknown flag is an error, as it is for the controller (go-flags refuses to start).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from ing2gw.errors import InputError, Problem

#: the Helm chart's controller arguments (namespace haproxy-controller, release
#: haproxy-kubernetes-ingress, default values)
CHART_FLAGS: tuple[str, ...] = (
    "--default-ssl-certificate=haproxy-controller/haproxy-kubernetes-ingress-default-cert",
    "--configmap=haproxy-controller/haproxy-kubernetes-ingress",
    "--http-bind-port=8080",
    "--https-bind-port=8443",
    "--quic-bind-port=8443",
    "--quic-announce-port=443",
    "--ingress.class=haproxy",
)
#: namespace of the controller pod (the built-in default service is named after it)
CHART_NAMESPACE = "haproxy-controller"

_BOOL = {"disable-quic", "empty-ingress-class", "disable-service-external-name", "disable-http", "disable-https",
         "disable-ipv4", "disable-ipv6", "external", "with-s6-overlay", "pprof", "prometheus", "with-pebble",
         "job-check-crd", "disable-writing-only-if-reload", "disable-ingress-status-update",
         "enable-custom-annotations-on-ingress", "help", "version", "t"}
_VALUED = {"ingress.class", "default-backend-service", "default-ssl-certificate", "configmap",
           "configmap-patternfiles", "configmap-errorfiles", "configmap-tcp-services", "quic-announce-port",
           "quic-bind-port", "https-bind-port", "http-bind-port", "namespace-whitelist", "namespace-blacklist",
           "experimental", "disable-config-snippets", "default-backend-port", "ipv4-bind-address",
           "ipv6-bind-address", "gateway-controller-name", "runtime-dir", "publish-service", "config-dir", "program",
           "kubeconfig", "http-bind-thread", "https-bind-thread", "healthz-bind-thread", "stats-bind-port",
           "stats-bind-thread", "localpeer-port", "channel-size", "controller-port", "sync-period",
           "initial-sync-period", "cache-resync-period", "healthz-bind-port", "log", "input-file", "output-file",
           "custom-validation-rules"}
_SOURCE = "<haproxy controller flags>"


@dataclass(frozen=True)
class ControllerFlags:
    """What the router reads from the controller's arguments (empty string = not set)."""

    ingress_class: str = ""
    empty_ingress_class: bool = False
    default_backend_service: str = ""
    default_ssl_certificate: str = ""
    configmap: str = ""
    configmap_patternfiles: str = ""
    configmap_errorfiles: str = ""
    https_bind_port: int = 8443
    quic_announce_port: int = 0
    disable_quic: bool = False
    disable_http: bool = False
    disable_https: bool = False
    disable_service_external_name: bool = False
    namespace_whitelist: tuple[str, ...] = ()
    namespace_blacklist: tuple[str, ...] = ()
    experimental: tuple[str, ...] = ()
    disable_config_snippets: tuple[str, ...] = ()
    custom_validation_rules: str = ""
    given: tuple[str, ...] = field(default=(), compare=False)

    @property
    def alt_svc_port(self) -> int:
        """The port QUIC announces in alt-svc (`pkg/controller/handler.go`: the https bind port
        unless --quic-announce-port)."""
        return self.quic_announce_port or self.https_bind_port


def _bool(name: str, value: str | None, problems: list[Problem]) -> bool:
    if value is None:
        return True
    low = value.lower()
    if low in ("true", "1", "t"):
        return True
    if low in ("false", "0", "f"):
        return False
    problems.append(Problem(_SOURCE, 0, f"--{name}={value}: expected true or false"))
    return False


def _int(name: str, value: str, problems: list[Problem]) -> int:
    text = value.strip()
    if text.isdigit():
        return int(text)
    problems.append(Problem(_SOURCE, 0, f"--{name}={value}: expected a port number"))
    return 0


def parse_flags(flags: Sequence[str] | None) -> ControllerFlags:
    """Read the controller arguments (None: the Helm chart's). Raises InputError for an unknown
    flag or a bad value, naming the flag."""
    args = list(CHART_FLAGS if flags is None else flags)
    problems: list[Problem] = []
    values: dict[str, object] = {}
    multi: dict[str, list[str]] = {"namespace-whitelist": [], "namespace-blacklist": []}
    i = 0
    while i < len(args):
        arg = str(args[i]).strip()
        i += 1
        if not arg:
            continue
        if not arg.startswith("-"):
            problems.append(Problem(_SOURCE, 0, f"{arg!r} is not a flag; write --name=value"))
            continue
        name, eq, value = arg.lstrip("-").partition("=")
        val: str | None = value if eq else None
        if name not in _BOOL and name not in _VALUED:
            problems.append(Problem(_SOURCE, 0, f"unknown controller flag --{name} (the controller would not start); "
                                                "see haproxytech/kubernetes-ingress documentation/controller.md"))
            continue
        if name in _BOOL:
            values[name] = _bool(name, val, problems)
            continue
        if val is None:
            if i < len(args) and not str(args[i]).startswith("--"):
                val = str(args[i])
                i += 1
            else:
                problems.append(Problem(_SOURCE, 0, f"--{name} needs a value"))
                continue
        if name in multi:
            multi[name].extend(v.strip() for v in val.split(",") if v.strip())
        else:
            values[name] = val

    def text(name: str) -> str:
        v = values.get(name, "")
        return str(v).strip()

    https_port = _int("https-bind-port", text("https-bind-port"), problems) if text("https-bind-port") else 8443
    announce = _int("quic-announce-port", text("quic-announce-port"), problems) if text("quic-announce-port") else 0
    if problems:
        raise InputError(problems)
    return ControllerFlags(
        ingress_class=text("ingress.class"),
        empty_ingress_class=bool(values.get("empty-ingress-class", False)),
        default_backend_service=text("default-backend-service"),
        default_ssl_certificate=text("default-ssl-certificate"),
        configmap=text("configmap"),
        configmap_patternfiles=text("configmap-patternfiles"),
        configmap_errorfiles=text("configmap-errorfiles"),
        https_bind_port=https_port,
        quic_announce_port=announce,
        disable_quic=bool(values.get("disable-quic", False)),
        disable_http=bool(values.get("disable-http", False)),
        disable_https=bool(values.get("disable-https", False)),
        disable_service_external_name=bool(values.get("disable-service-external-name", False)),
        namespace_whitelist=tuple(multi["namespace-whitelist"]),
        namespace_blacklist=tuple(multi["namespace-blacklist"]),
        experimental=tuple(v.strip() for v in text("experimental").split(",") if v.strip()),
        disable_config_snippets=tuple(v.strip() for v in text("disable-config-snippets").split(",") if v.strip()),
        custom_validation_rules=text("custom-validation-rules"),
        given=tuple(args),
    )


def split_ns_name(value: str, default_namespace: str) -> tuple[str, str]:
    """'ns/name' or 'name' (in `default_namespace`)."""
    ns, sep, name = value.partition("/")
    return (ns, name) if sep else (default_namespace, ns)
