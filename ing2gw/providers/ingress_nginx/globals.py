"""ingress-nginx ConfigMap keys that decide who may reach what (`mappings/ingress-nginx-configmap.yaml`).

A key the controller applies to every location is never dropped without a word: the address
lists (default allow- and deny-lists, blocked addresses) become part of the target's
source-range policy where the target has one (`providers/nginx_source_ranges`), and everything
else is an error finding naming the key (ING2GW-SEC-002) that `--allow-weakened KEY` accepts.
Ingresses that turned the setting off for themselves are not counted.
"""

from __future__ import annotations

import functools
import urllib.parse
from dataclasses import dataclass
from typing import Mapping, Sequence

from ing2gw import ir, mappings
from ing2gw.findings import Finding, Severity
from ing2gw.model.ingress import Ingress
from ing2gw.origin import Origin
from ing2gw.emit.targets.carry import carries
from ing2gw.providers.values import go_bool
from ing2gw.providers.ingress_nginx.source_ranges import (ALLOW_ALIAS, BLOCK_KEY, DENY_KEY, effective_ranges,
                                                  parse_configmap_value)

#: the table rows whose lists become the target's source-range policy
ADDRESS_LISTS = (ALLOW_ALIAS, DENY_KEY, BLOCK_KEY)


@dataclass(frozen=True)
class GlobalKey:
    """One row of mappings/ingress-nginx-configmap.yaml."""

    key: str
    type: str
    does: str
    status: str
    per_ingress: str
    off_by: tuple[tuple[str, str | None], ...] = ()
    only_with: tuple[str, ...] = ()
    companions: tuple[str, ...] = ()
    docs: str = ""


@functools.cache
def global_keys() -> dict[str, GlobalKey]:
    """The table, by key."""
    table = mappings.table("ingress-nginx-configmap")
    return {r["key"]: GlobalKey(key=r["key"], type=r["type"], does=r["does"], status=r["status"],
                                per_ingress=r.get("per_ingress") or "",
                                off_by=tuple(sorted((r.get("off_by") or {}).items())),
                                only_with=tuple(r.get("only_with") or ()), companions=tuple(r.get("companions") or ()),
                                docs=r.get("docs") or "")
            for r in table["keys"]}


@functools.cache
def client_address_keys() -> tuple[str, ...]:
    return tuple(r["key"] for r in mappings.table("ingress-nginx-configmap")["client_address"])


def in_effect(row: GlobalKey, value: str | None) -> bool:
    """Whether the controller applies the key with this value (as it reads its type)."""
    if value is None:
        return False
    if row.type == "list":
        return any(part.strip() for part in value.split(","))
    if row.type == "bool":
        return go_bool(value.strip()) is True
    if row.type == "url":
        # parser.StringToURL: a scheme and a host (else the controller logs and ignores it)
        try:
            u = urllib.parse.urlsplit(value.strip())
        except ValueError:
            return False
        return bool(u.scheme) and bool(u.netloc) and ".." not in u.netloc
    return bool(value.strip())


def _affected(row: GlobalKey, ing: Ingress, prefix: str) -> bool:
    anns = ing.annotations
    if row.only_with and not any(anns.get(f"{prefix}/{k}", "").strip() for k in row.only_with):
        return False
    for key, value in row.off_by:
        v = anns.get(f"{prefix}/{key}")
        if v is None:
            continue
        if value is None and v.strip():
            return False
        if value is not None and go_bool(v.strip()) is go_bool(value):
            return False
    return True


def _accepted(allow_weakened: frozenset[str], key: str) -> bool:
    return key in allow_weakened or f"configmap/{key}" in allow_weakened


@dataclass
class GlobalAccess:
    """What the ConfigMap's access keys mean for one IngressClass's translation.

    `address_lists`: the ConfigMap data the routes' source-range intents read (empty when the
    target has no source-range policy: the lists are then reported as lost)."""

    findings: list[Finding]
    address_lists: dict[str, str]


def global_access(ingresses: Sequence[Ingress], configmap: Mapping[str, str], source: Origin | None,
                  configmap_name: str, *, prefix: str, target: str | None, allow_weakened: frozenset[str],
                  class_name: str) -> GlobalAccess:
    """Findings for every access key the ConfigMap sets, and the lists the target carries."""
    findings: list[Finding] = []
    carried: dict[str, str] = {}
    policy = carries(target, "client-allow-list")
    subject = f"ConfigMap {configmap_name}"
    for key, row in sorted(global_keys().items()):
        value = configmap.get(key)
        if not in_effect(row, value):
            continue
        assert value is not None
        if key in ADDRESS_LISTS:
            # an Ingress's own list replaces the ConfigMap's; blocked addresses reach only
            # locations without any list (nginx_source_ranges)
            ranges = {i.key: effective_ranges(i.annotations, prefix, configmap, "ConfigMap") for i in ingresses}
            affected = [i for i in ingresses
                        if f"ConfigMap {key}" in (ranges[i.key].allow_from, ranges[i.key].deny_from)]
        else:
            affected = [i for i in ingresses if _affected(row, i, prefix)]
        if not affected:
            continue
        tuned = [c for c in row.companions if configmap.get(c, "").strip()]
        extra = f" (with {', '.join(tuned)})" if tuned else ""
        if row.status == "policy" and policy:
            carried[key] = value
            findings.append(Finding(
                Severity.INFO, "ING2GW-SEC-003",
                f"{key}{extra}: {row.does}; it becomes part of the {target} policy of the routes it applies to "
                f"({row.per_ingress})", origin=source, subject=subject, value=value,
                details=(("class", class_name), ("key", key))))
            bad = parse_configmap_value(value).invalid
            if bad:
                findings.append(Finding(
                    Severity.ERROR, "ING2GW-SEC-004",
                    f"{key}: not an address or CIDR: {', '.join(repr(b) for b in bad)}; nginx refuses the whole "
                    "configuration (the controller keeps its previous one); the translation keeps the valid entries",
                    origin=source, subject=subject, value=value, security=True,
                    suggestion=f"fix {key} in the ConfigMap", details=(("key", key),)))
            continue
        accepted = _accepted(allow_weakened, key)
        why = ("choose a --target whose policies ing2gw generates for it (e.g. envoy-gateway)" if row.status == "policy"
               else "ing2gw generates no policy for it")
        shown = ", ".join(i.key for i in affected[:5]) + (f" and {len(affected) - 5} more" if len(affected) > 5 else "")
        findings.append(Finding(
            Severity.WARNING if accepted else Severity.ERROR, "ING2GW-SEC-002",
            f"{key}{extra}: {row.does}; not carried over ({why}), so {len(affected)} Ingress(es) of class "
            f"{class_name} lose it: {shown}", origin=source, subject=subject, value=value, security=True,
            accepted=accepted,
            suggestion=f"re-create it with your Gateway implementation's policy ({row.docs}), or accept the loss with "
                       f"--allow-weakened {key}",
            details=(("class", class_name), ("ingresses", ",".join(i.key for i in affected)), ("key", key))))
    return GlobalAccess(findings=findings, address_lists=carried)


#: the realip module's trusted addresses when proxy-real-ip-cidr is not set (ingress-nginx
#: `internal/ingress/controller/config`: ProxyRealIPCIDR defaults to 0.0.0.0/0)
DEFAULT_REAL_IP_CIDR = "0.0.0.0/0"


def client_ip_params(configmap: Mapping[str, str]) -> tuple[tuple[str, str], ...] | None:
    """The `client-ip` intent's parameters for a controller whose ConfigMap turns nginx's realip
    module on, or None when nginx uses the connection's address.

    nginx.tmpl (v1.15) renders the module when use-forwarded-headers, use-proxy-protocol or
    enable-real-ip is true: `real_ip_header` is `proxy_protocol` with use-proxy-protocol, else the
    forwarded-for-header (default X-Forwarded-For); `real_ip_recursive on`; one `set_real_ip_from`
    per proxy-real-ip-cidr entry (default 0.0.0.0/0). Parameters: `source` (x-forwarded-for,
    proxy-protocol or header), `header` (the header's name), `trusted` (the entries nginx can read,
    comma-separated, as CIDRs) and `recursive` (always "on")."""
    def flag(key: str) -> bool:
        return go_bool(configmap.get(key, "").strip()) is True

    if not (flag("use-forwarded-headers") or flag("use-proxy-protocol") or flag("enable-real-ip")):
        return None
    raw = configmap.get("proxy-real-ip-cidr", DEFAULT_REAL_IP_CIDR)
    # nginx refuses a configuration with an entry it cannot read; the valid ones are carried
    trusted = ",".join(parse_configmap_value(raw).cidrs)
    header = configmap.get("forwarded-for-header", "").strip() or "X-Forwarded-For"
    if flag("use-proxy-protocol"):
        source = "proxy-protocol"
    elif header.lower() == "x-forwarded-for":
        source = "x-forwarded-for"
    else:
        source = "header"
    return (("source", source), ("header", header), ("trusted", trusted), ("recursive", "on"))


def client_ip_intent(configmap: Mapping[str, str], source: Origin | None, configmap_name: str,
                     class_name: str) -> ir.Intent | None:
    """The controller-wide `client-ip` intent of one IngressClass (None: nginx uses the peer)."""
    params = client_ip_params(configmap)
    if params is None:
        return None
    p = dict(params)
    what = ("the PROXY protocol header" if p["source"] == "proxy-protocol"
            else f"{p['header']} (recursively)")
    origin = source or Origin(f"ConfigMap {configmap_name}", 0)
    return ir.Intent("client-ip", ir.Source("", configmap_name, origin, kind="ConfigMap"),
                     f"{what} from peers in {p['trusted'] or 'no range'}", security=True,
                     params=params + (("class", class_name),))


def client_address_findings(configmap: Mapping[str, str], source: Origin | None, configmap_name: str, *,
                            target: str | None, allow_weakened: frozenset[str]) -> list[Finding]:
    """SEC-005: translated address lists, while nginx took the client's address from the PROXY
    protocol or X-Forwarded-For, and the target does not derive it the same way (a target that
    carries the `client-ip` intent writes the setting on the Gateway: no finding)."""
    params = client_ip_params(configmap)
    if params is not None and carries(target, "client-ip", params):
        return []
    out = []
    for key in client_address_keys():
        if go_bool(configmap.get(key, "").strip()) is not True:
            continue
        accepted = _accepted(allow_weakened, key)
        out.append(Finding(
            Severity.WARNING if accepted else Severity.ERROR, "ING2GW-SEC-005",
            f"{key}: nginx checks allow- and deny-lists against the client's address from "
            f"{'the PROXY protocol' if key == 'use-proxy-protocol' else 'X-Forwarded-For'}; the {target} policy "
            "checks the address the Gateway derives, which is the load balancer's unless configured",
            origin=source, subject=f"ConfigMap {configmap_name}", value=configmap.get(key), security=True,
            accepted=accepted,
            suggestion=f"configure the Gateway's client-IP detection (Envoy Gateway: ClientTrafficPolicy), then accept "
                       f"with --allow-weakened {key}", details=(("key", key),)))
    return out



def listener_tls_params(configmap: Mapping[str, str]) -> tuple[tuple[str, str], ...] | None:
    """The controller-wide `listener-tls` parameters of a ConfigMap whose ssl-protocols or
    ssl-ciphers differ from ingress-nginx's defaults (None: the defaults, which every target's
    default listener matches for versions; model/tls_suites.py).

    `versions`: the versions nginx completes a handshake in, comma-separated: those of
    ssl-protocols, without TLS 1.0/1.1 unless the cipher string lowers OpenSSL 3's security level
    (`@SECLEVEL=0`; simulate/nginx_tls.py); `ciphers` / `seclevel` / `ciphers-unmodelled` as for
    the annotation (`intents.listener_tls_ciphers`); `protocols-unmodelled` for a value nginx
    would not read."""
    from ing2gw.model.tls_suites import NGINX_DEFAULT_CIPHERS, NGINX_DEFAULT_PROTOCOLS, parse_nginx_protocols
    from ing2gw.providers.ingress_nginx.intents import listener_tls_ciphers

    protocols = " ".join(configmap.get("ssl-protocols", "").split()) or NGINX_DEFAULT_PROTOCOLS
    ciphers = configmap.get("ssl-ciphers", "").strip() or NGINX_DEFAULT_CIPHERS
    if protocols == NGINX_DEFAULT_PROTOCOLS and ciphers == NGINX_DEFAULT_CIPHERS:
        return None
    out = listener_tls_ciphers(ciphers)
    versions = parse_nginx_protocols(protocols)
    if versions is None:
        out["protocols-unmodelled"] = protocols
    else:
        if out.get("seclevel") != "0":
            versions = tuple(v for v in versions if v not in ("1.0", "1.1"))
        out["versions"] = ",".join(versions)
    out["scope"] = "gateway"
    return tuple(sorted(out.items()))


def listener_tls_intent(configmap: Mapping[str, str], source: Origin | None, configmap_name: str,
                        class_name: str, allow_weakened: frozenset[str] = frozenset()) -> ir.Intent | None:
    """The controller-wide `listener-tls` intent of one IngressClass (None: nginx's defaults);
    `accepted` when the user accepted losing the keys it sets (--allow-weakened KEY)."""
    params = listener_tls_params(configmap)
    if params is None:
        return None
    keys = [k for k in ("ssl-protocols", "ssl-ciphers") if configmap.get(k, "").strip()]
    value = "; ".join(f"{k} {configmap[k].strip()}" for k in keys)
    origin = source or Origin(f"ConfigMap {configmap_name}", 0)
    extra = (("accepted", "true"),) if keys and all(_accepted(allow_weakened, k) for k in keys) else ()
    return ir.Intent("listener-tls", ir.Source("", configmap_name, origin, kind="ConfigMap"), value, security=True,
                     params=params + extra + (("class", class_name),))
