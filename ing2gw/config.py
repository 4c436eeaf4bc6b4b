"""The `ing2gw.io/v1alpha1 Ing2Gw` config: its `spec` keys, their types and checks, and how a
functionConfig (an Ing2Gw object, or a ConfigMap of strings from `kpt fn eval -- key=value`)
becomes translation `Options`. Read by the KRM function, the Kustomize plugin and `--config`.
The README's config table lists exactly `FIELDS` (tests/test_cli_detect.py)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from ing2gw.errors import UsageError
from ing2gw.findings import FAIL_ON_CHOICES
from ing2gw.options import LISTENER_MODES, Options
from ing2gw.providers.detect import check_controller, parse_class_options

CONFIG_API_VERSION = "ing2gw.io/v1alpha1"
CONFIG_KIND = "Ing2Gw"



@dataclass(frozen=True)
class KrmConfig:
    """The translation options plus what the adapters decide themselves."""

    options: Options = field(default_factory=Options)
    keep_ingress: bool = False
    fail_on: str = "error"


@dataclass(frozen=True)
class _Field:
    attr: str
    kind: str  # str | bool | list | flags | name | label | controller | classes | target | fail-on | ns-name | listeners
    help: str


#: Ing2Gw `spec` keys (ConfigMap `data` keys for `kpt fn eval -- key=value`) -> option.
FIELDS: dict[str, _Field] = {
    "controller": _Field("controller", "controller", "controller of Ingresses with nothing that says which one serves them"),
    "classes": _Field("classes", "classes", "which controller serves each class (--class CLASS=CONTROLLER)"),
    "target": _Field("target", "target", "Gateway API implementation the output is for"),
    "gatewayName": _Field("gateway_name", "name", "name of the Gateway(s)"),
    "gatewayNamespace": _Field("gateway_namespace", "label", "namespace of the Gateway(s)"),
    "gatewayClass": _Field("gateway_class", "name", "gatewayClassName of the Gateway(s)"),
    "gatewayControllerName": _Field("gateway_controller_name", "str", "controllerName for emitGatewayClass"),
    "singleGateway": _Field("single_gateway", "bool", "one Gateway for every IngressClass"),
    "listeners": _Field("listeners", "listeners", "where hostnames and certificates go: gateway or listenerset"),
    "emitGatewayClass": _Field("emit_gateway_class", "bool", "also write a GatewayClass"),
    "namespace": _Field("default_namespace", "label", "namespace of resources that have none"),
    "annotationsPrefix": _Field("annotations_prefix", "str", "ingress-nginx's --annotations-prefix"),
    "ingressClass": _Field("ingress_class", "str", "ingress-nginx's --ingress-class"),
    "nginxConfigmap": _Field("nginx_configmap", "ns-name", "namespace/name of the ingress-nginx ConfigMap"),
    "allowWeakened": _Field("allow_weakened", "list", "security annotations whose loss is accepted"),
    "nginxFlags": _Field("nginx_flags", "flags", "ingress-nginx controller flags that change routing"),
    "haproxyFlags": _Field("haproxy_flags", "flags", "the HAProxy controller's arguments (default: its Helm chart's)"),
    "skipInvalid": _Field("skip_invalid", "bool", "translate the valid objects and report invalid ones as errors "
                                                  "(they pass through unchanged) instead of failing on them"),
    "allowCrossNamespace": _Field("allow_cross_namespace", "bool",
                                  "let annotations reach into other namespaces (mirror-target grants, custom-headers)"),
    "traefikStatic": _Field("traefik_static", "traefik-static",
                            "Traefik's static configuration: its file (YAML, or TOML named *.toml), or the "
                            "document inline (entryPoints, providers, core)"),
    "traefikVersion": _Field("traefik_version", "str", "the Traefik release (3.6, 3.7) where routing differs"),
    "keepIngress": _Field("keep_ingress", "bool", "keep converted Ingresses in the output"),
    "failOn": _Field("fail_on", "fail-on", "fail the build on findings of this severity or worse"),
}
_ADAPTER_FIELDS = ("keep_ingress", "fail_on")

_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\Z")


def _camel(key: str) -> str:
    head, *rest = re.split(r"[-_]", key)
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _unknown_key(key: str, where: str) -> str:
    known = sorted(FIELDS)
    guess = _camel(key) if _camel(key) in FIELDS else next(iter(difflib.get_close_matches(key, known, 1, 0.6)), None)
    hint = f" — did you mean {guess}?" if guess else ""
    return f"unknown option {key!r} in {where}{hint} (known: {', '.join(known)})"


def _convert(key: str, f: _Field, value: Any, from_strings: bool) -> tuple[Any, str | None]:
    """(value, problem): one option value, checked."""
    if f.kind == "bool":
        if from_strings and isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true", None
        if isinstance(value, bool):
            return value, None
        return None, f"{key} must be true or false, not {value!r}"
    if f.kind == "list":
        if from_strings and isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
            return frozenset(value), None
        return None, f"{key} must be a list of annotation keys (e.g. [whitelist-source-range]), not {value!r}"
    if f.kind == "flags":
        if from_strings and isinstance(value, str):
            value = value.split()
        if isinstance(value, list) and all(isinstance(v, str) and v.startswith("-") for v in value):
            return tuple(value), None
        return None, f"{key} must be a list of controller flags (e.g. [--disable-catch-all]), not {value!r}"
    if f.kind == "classes":
        if from_strings and isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, Mapping) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            try:
                return parse_class_options(value, key), None
            except UsageError as exc:
                return None, str(exc)
        return None, f"{key} must map class names to controllers (e.g. {{with-tls: ingress-nginx}}), not {value!r}"
    if f.kind == "traefik-static":
        return _traefik_static(key, value)
    if not isinstance(value, str) or not value:
        return None, f"{key} must be a non-empty string, not {value!r}"
    if f.kind == "label" and not _LABEL.match(value):
        return None, f"{key} {value!r} is not a valid namespace name (lowercase letters, digits and '-', at most 63)"
    if f.kind == "name" and not _SUBDOMAIN.match(value):
        return None, f"{key} {value!r} is not a valid Kubernetes name (lowercase letters, digits, '-' and '.')"
    if f.kind == "ns-name" and not re.fullmatch(r"[a-z0-9][-a-z0-9]*/[a-z0-9][-a-z0-9.]*", value):
        return None, f"{key} must be namespace/name, not {value!r}"
    if f.kind == "listeners" and value not in LISTENER_MODES:
        return None, f"{key} must be one of {', '.join(LISTENER_MODES)}, not {value!r}"
    if f.kind == "fail-on" and value not in FAIL_ON_CHOICES:
        return None, f"{key} must be one of {', '.join(FAIL_ON_CHOICES)}, not {value!r}"
    if f.kind == "controller":
        # compares with class names and aliases too: 'ngnix' is closer to 'nginx' than to 'ingress-nginx'
        problem = check_controller(value)
        if problem:
            return None, problem
    if f.kind == "target":
        from ing2gw.translate import target_spec

        try:
            target_spec(value)
        except UsageError as exc:
            return None, str(exc).replace("--target", "target")
    return value, None


def _traefik_static(key: str, value: Any) -> tuple[Any, str | None]:
    """Traefik's static configuration: a file name, or the document itself."""
    from ing2gw.errors import InputError
    from ing2gw.providers.traefik.static import parse_static, read_static_file

    try:
        if isinstance(value, str) and value:
            return read_static_file(value), None
        if isinstance(value, Mapping):
            doc = _plain(value)
            parse_static(doc, key)
            return doc, None
    except (InputError, UsageError) as exc:
        return None, str(exc).replace("\n", "; ")
    return None, f"{key} must be a file name or Traefik's static configuration (entryPoints, providers, ...), " \
                 f"not {value!r}"


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def parse_function_config(config: Any) -> KrmConfig:
    """Read the options from a functionConfig: `ing2gw.io/v1alpha1 Ing2Gw` (options under
    `spec`), a ConfigMap (options as strings under `data`, what `kpt fn eval -- key=value`
    builds), or nothing (defaults). Raises UsageError naming every problem."""
    option_values, adapter = config_values(config)
    return KrmConfig(options=Options(**option_values), **adapter)


def config_values(config: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The options a functionConfig (or `--config` file) sets, as ({Options attribute: value},
    {keep_ingress/fail_on: value}): only those it names, so that a caller can tell them from
    defaults. Raises UsageError naming every problem."""
    if config is None or config == {}:
        return {}, {}
    if not isinstance(config, Mapping):
        raise UsageError(f"functionConfig must be an {CONFIG_KIND} object, not {type(config).__name__}")
    api_version, kind = config.get("apiVersion"), config.get("kind")
    problems: list[str] = []
    if kind == "ConfigMap" and api_version == "v1":
        where, from_strings = "the ConfigMap data", True
        values = config.get("data") or {}
        extra = [k for k in config if k not in ("apiVersion", "kind", "metadata", "data")]
    elif kind == CONFIG_KIND and api_version == CONFIG_API_VERSION:
        where, from_strings = f"{CONFIG_KIND} spec", False
        values = config.get("spec") or {}
        extra = [k for k in config if k not in ("apiVersion", "kind", "metadata", "spec")]
    else:
        hint = " (use apiVersion: ing2gw.io/v1alpha1)" if kind == CONFIG_KIND else ""
        raise UsageError(f"functionConfig is {api_version or '?'} {kind or '?'}; ing2gw reads "
                         f"{CONFIG_API_VERSION} {CONFIG_KIND} (options under spec) or a v1 ConfigMap{hint}")
    for k in extra:
        inner = "data" if from_strings else "spec"
        problems.append(f"unexpected top-level field {k!r} in the functionConfig; options go under {inner}:"
                        + (f" ({_camel(k)})" if _camel(k) in FIELDS else ""))
    if not isinstance(values, Mapping):
        raise UsageError(f"{where} must be a mapping of options, not {type(values).__name__}")
    option_values: dict[str, Any] = {}
    adapter: dict[str, Any] = {}
    for key, value in values.items():
        f = FIELDS.get(str(key))
        if f is None:
            problems.append(_unknown_key(str(key), where))
            continue
        converted, problem = _convert(str(key), f, value, from_strings)
        if problem:
            problems.append(problem)
        elif f.attr in _ADAPTER_FIELDS:
            adapter[f.attr] = converted
        else:
            option_values[f.attr] = converted
    if problems:
        raise UsageError("; ".join(problems))
    return option_values, adapter
