"""ingress-nginx access lists and body-size limits, as a location applies them (the old side).

Allow- and deny-lists (controller v1.15.1, `internal/ingress/annotations/ipallowlist`,
`ipdenylist`, `parser.checkAnnotation`, `internal/net.ParseIPNets`; template `nginx.tmpl`):

* `allowlist-source-range` is read; its alias `whitelist-source-range` is used when the main key
  is absent or empty. A key that is absent (or only an empty alias) takes the ConfigMap's
  `whitelist-source-range` / `denylist-source-range` instead (the annotation replaces the
  ConfigMap's list, never adds to it).
* A value is a comma list of CIDRs or addresses, each trimmed. An empty value, an empty entry or
  an entry that is not an address makes the parser fail, and a failing access annotation
  *denies the location*: the location is rendered as `return 503;` ("Location denied"), before
  any redirect or rewrite of the location.
* The location renders `deny` for every denylist entry, then `allow` for every allowlist entry
  and `deny all;`. nginx's access module takes the first rule that matches the client address:
  denied addresses get 403 (access phase: after the rewrite phase's redirects and the
  ssl-redirect, before proxying).
* The client address is `$remote_addr`: the TCP peer, unless the realip module is on
  (ConfigMap `use-forwarded-headers` or `enable-real-ip`): then the header `forwarded-for-header`
  (default X-Forwarded-For) replaces it when the peer is in `proxy-real-ip-cidr` (default
  0.0.0.0/0, IPv4 only), recursively (`real_ip_recursive on`). `use-proxy-protocol` takes the
  address from the PROXY protocol header, which a simulated request does not carry: the
  answer is then unmodelled.

Body size: `client_max_body_size` is the location's `proxy-body-size` annotation (validated with
`^(?i)\\d+[bkmg]?$`, else the ConfigMap's `proxy-body-size`, default 1m), rendered only when it
is an nginx size (`^\\d+[kKmMgG]?$`); otherwise nginx's own default, 1m. nginx checks the
declared Content-Length right after choosing the location (before the rewrite phase) and answers
413 when it is larger; 0 disables the check. A request without Content-Length is not checked.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Mapping

from ing2gw.simulate.addresses import Address, Network, go_cidr_or_ip, in_networks, nginx_real_ip, parse_address

ALLOW_KEY = "allowlist-source-range"
ALLOW_ALIAS = "whitelist-source-range"
DENY_KEY = "denylist-source-range"
_ANNOTATION_SIZE = re.compile(r"^(?i:\d+[bkmg]?)\Z")
_NGINX_SIZE = re.compile(r"^\d+[kKmMgG]?\Z")
NGINX_DEFAULT_BODY = 1024 * 1024


@dataclass(frozen=True, slots=True)
class AccessLists:
    """The address lists of one Ingress's locations.

    `allow` / `deny`: the networks (None: no list); `denied`: why the location answers 503 to
    everything (an invalid annotation), with the annotation in `denied_by`."""

    allow: tuple[Network, ...] | None = None
    deny: tuple[Network, ...] | None = None
    allow_from: str = ""
    deny_from: str = ""
    denied: str | None = None
    denied_by: str = ""

    @property
    def active(self) -> bool:
        return self.allow is not None or self.deny is not None or self.denied is not None


NO_LISTS = AccessLists()


def _parse_list(value: str) -> tuple[tuple[Network, ...] | None, str | None]:
    """An annotation value as ParseIPNets reads it: (networks, None), or (None, why denied)."""
    if not value.strip():
        return None, "the value is empty"
    nets: list[Network] = []
    for part in value.split(","):
        net = go_cidr_or_ip(part)
        if net is None:
            return None, f"{part.strip()!r} is not an address or CIDR"
        nets.append(net)
    return tuple(nets), None


def _configmap_list(value: str) -> tuple[tuple[Network, ...], list[str]]:
    """A ConfigMap list: comma-split, empty entries dropped; the entries nginx cannot read."""
    nets: list[Network] = []
    bad: list[str] = []
    for part in value.split(","):
        if not part.strip():
            continue
        net = go_cidr_or_ip(part)
        if net is None:
            bad.append(part.strip())
        else:
            nets.append(net)
    return tuple(nets), bad


def parse_access_lists(annotations: Mapping[str, str], prefix: str,
                       configmap: Mapping[str, str]) -> tuple[AccessLists, list[str]]:
    """The lists that apply to an Ingress's locations, and what of them is not modelled."""
    unmodelled: list[str] = []
    allow = deny = None
    allow_from = deny_from = ""
    denied: str | None = None
    denied_by = ""
    deny_key = f"{prefix}/{DENY_KEY}"
    if deny_key in annotations:
        nets, why = _parse_list(annotations[deny_key])
        if why is not None:
            denied, denied_by = why, deny_key
        else:
            deny, deny_from = nets, deny_key
    elif configmap.get(DENY_KEY, "").strip():
        deny, bad = _configmap_list(configmap[DENY_KEY])
        deny_from = f"ConfigMap {DENY_KEY}"
        if bad:
            unmodelled.append(f"ConfigMap {DENY_KEY} has entries nginx cannot read ({', '.join(bad)}): nginx "
                              "rejects the configuration")
    main, alias = f"{prefix}/{ALLOW_KEY}", f"{prefix}/{ALLOW_ALIAS}"
    key: str | None = None
    if annotations.get(main, "") == "" and annotations.get(alias, "") != "":
        key = alias
    elif main in annotations:
        key = main
    if key is not None:
        nets, why = _parse_list(annotations[key])
        if why is not None:
            if denied is None:
                denied, denied_by = why, key
        else:
            allow, allow_from = nets, key
    elif configmap.get(ALLOW_ALIAS, "").strip():
        allow, bad = _configmap_list(configmap[ALLOW_ALIAS])
        allow_from = f"ConfigMap {ALLOW_ALIAS}"
        if bad:
            unmodelled.append(f"ConfigMap {ALLOW_ALIAS} has entries nginx cannot read ({', '.join(bad)}): nginx "
                              "rejects the configuration")
    return AccessLists(allow, deny, allow_from, deny_from, denied, denied_by), unmodelled


@dataclass(frozen=True, slots=True)
class RealIP:
    """How nginx derives `$remote_addr` (the realip module settings of the ConfigMap)."""

    enabled: bool = False
    header: str = "X-Forwarded-For"
    trusted: tuple[Network, ...] = (ipaddress.IPv4Network("0.0.0.0/0"),)
    proxy_protocol: bool = False

    @classmethod
    def from_configmap(cls, cm: Mapping[str, str], use_forwarded_headers: bool) -> "RealIP":
        def flag(key: str) -> bool:
            return cm.get(key, "false").strip().lower() in ("1", "t", "true")

        trusted: list[Network] = []
        for part in cm.get("proxy-real-ip-cidr", "0.0.0.0/0").split(","):
            net = go_cidr_or_ip(part)
            if net is not None:
                trusted.append(net)
        return cls(enabled=use_forwarded_headers or flag("enable-real-ip") or flag("use-proxy-protocol"),
                   header=cm.get("forwarded-for-header", "X-Forwarded-For").strip() or "X-Forwarded-For",
                   trusted=tuple(trusted), proxy_protocol=flag("use-proxy-protocol"))

    def client(self, peer: str | None, header_values: list[str]) -> tuple[Address | None, str | None]:
        """`$remote_addr` for a request from `peer` (None: unknown), and why it is unknown."""
        addr = parse_address(peer)
        if addr is None:
            return None, "the client address is not known"
        if not self.enabled:
            return addr, None
        if self.proxy_protocol:
            return None, "use-proxy-protocol: the client address comes from the PROXY protocol header"
        # nginx joins repeated X-Forwarded-For headers; for another header it takes the first
        value = (", ".join(header_values) if self.header.lower() == "x-forwarded-for" else header_values[0]) \
            if header_values else None
        return nginx_real_ip(addr, value, self.trusted), None


def access_status(lists: AccessLists, client: Address) -> int | None:
    """403 when nginx's `deny`/`allow` rules refuse `client`, else None."""
    if lists.deny and in_networks(client, lists.deny):
        return 403
    if lists.allow is not None and not in_networks(client, lists.allow):
        return 403
    return None


def parse_size(text: str) -> int | None:
    """An nginx size (`512`, `8k`, `1m`, `1g`) in bytes, or None."""
    t = text.strip()
    if not t:
        return None
    unit = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}.get(t[-1].lower())
    digits = t[:-1] if unit else t
    if not digits.isdigit():
        return None
    return int(digits) * (unit or 1)


def body_limit(annotations: Mapping[str, str], prefix: str, configmap: Mapping[str, str],
               validate: bool) -> int:
    """`client_max_body_size` of an Ingress's locations in bytes (0: no limit)."""
    default = configmap.get("proxy-body-size", "1m")
    value = annotations.get(f"{prefix}/proxy-body-size", "").strip()
    if not value or (validate and not _ANNOTATION_SIZE.match(value)):
        value = default.strip()
    if not _NGINX_SIZE.match(value):
        return NGINX_DEFAULT_BODY
    size = parse_size(value)
    return NGINX_DEFAULT_BODY if size is None else size


def annotation_body_limit(value: str) -> int | None:
    """The limit a proxy-body-size annotation sets by itself in bytes (0: no limit), or None when
    the value does not set one (invalid: the ConfigMap's default applies, see `body_limit`)."""
    v = value.strip()
    if not _ANNOTATION_SIZE.match(v) or not _NGINX_SIZE.match(v):
        return None
    return parse_size(v)


def declared_length(headers: list[str]) -> int | None:
    """The Content-Length a request declares (the first one), or None."""
    for v in headers:
        v = v.strip()
        if v.isdigit():
            return int(v)
        return None
    return None
