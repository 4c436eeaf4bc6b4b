"""Client address lists as ingress-nginx applies them to a location: the Ingress's
allowlist/whitelist/denylist-source-range annotations, else the ConfigMap's defaults.

What the controller does (v1.15.1, `internal/ingress/annotations/ipallowlist`, `ipdenylist`,
`parser.checkAnnotation`/`parseString`, `internal/net.ParseIPNets`; template
`rootfs/etc/nginx/template/nginx.tmpl`):

* `allowlist-source-range` wins; `whitelist-source-range` is its alias, used when the allowlist
  key is absent or empty. An alias with an empty value counts as absent.
* A missing annotation takes the ConfigMap's `whitelist-source-range` / `denylist-source-range`
  (the annotation replaces the ConfigMap's list, it does not add to it).
* Any other value must be a comma list of CIDRs or addresses, each trimmed: an empty value (the
  allowlist key set to "", whitespace), an empty entry (",", "a,,b") or one that is not an
  address makes the parser fail, and a failing access annotation *denies the location*: nginx
  answers 503 to every request there (`return 503;` under "Location denied").
* Addresses and CIDRs are normalised (`10.0.0.7/8` is `10.0.0.0/8`); a single address is a
  one-address range. nginx renders `deny` rules, then `allow` rules and `deny all` when an
  allow-list exists.
* The ConfigMap's `block-cidrs` are `deny` rules at the http level: nginx inherits access rules
  only into a level that has none, so they reach exactly the locations without an allow- or
  deny-list of their own (annotation or ConfigMap default).
* The ConfigMap's lists are split on commas, empty entries dropped, and not validated: an entry
  that is not an address makes nginx reject the rendered configuration (the controller keeps its
  previous one), which ing2gw cannot reproduce: it is reported, and the valid entries are kept
  (for an allow-list that is narrower, never wider).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Mapping

ALLOW_KEY = "allowlist-source-range"
ALLOW_ALIAS = "whitelist-source-range"
DENY_KEY = "denylist-source-range"
BLOCK_KEY = "block-cidrs"


def cidr(entry: str) -> str | None:
    """An address or CIDR as a normalised CIDR (`203.0.113.7` -> `203.0.113.7/32`), or None when
    Go's net.ParseCIDR and net.ParseIP would both reject it."""
    text = entry.strip()
    if not text or "%" in text:  # Go's parsers take no IPv6 zone here
        return None
    try:
        if "/" in text:
            net = ipaddress.ip_network(text, strict=False)
        else:
            ip = ipaddress.ip_address(text)
            if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
                ip = ip.ipv4_mapped  # Go prints IPv4-mapped addresses as IPv4
            net = ipaddress.ip_network(ip)
    except ValueError:
        return None
    return str(net)


@dataclass(frozen=True)
class ParsedList:
    """One annotation's (or ConfigMap key's) list: the CIDRs, or why the location is denied."""

    cidrs: tuple[str, ...] = ()
    #: the value is invalid: ingress-nginx denies the whole location (503); the reason
    denied: str | None = None
    #: the entries that are not addresses (ConfigMap lists, which are not validated)
    invalid: tuple[str, ...] = ()


def parse_annotation_value(value: str) -> ParsedList:
    """An annotation's value as the controller reads it: every entry must be an address."""
    if not value.strip():
        return ParsedList(denied="the value is empty")
    out: list[str] = []
    bad: list[str] = []
    for part in value.split(","):
        c = cidr(part)
        if c is None:
            bad.append(part.strip())
        elif c not in out:
            out.append(c)
    if bad:
        shown = ", ".join(repr(b) if b else "an empty entry" for b in bad)
        return ParsedList(denied=f"not an address or CIDR: {shown}", invalid=tuple(bad))
    return ParsedList(cidrs=tuple(sorted(out)))


def parse_configmap_value(value: str) -> ParsedList:
    """A ConfigMap list: comma-split, empty entries dropped, not validated by the controller."""
    out: list[str] = []
    bad: list[str] = []
    for part in value.split(","):
        if not part.strip():
            continue
        c = cidr(part)
        if c is None:
            bad.append(part.strip())
        elif c not in out:
            out.append(c)
    return ParsedList(cidrs=tuple(sorted(out)), invalid=tuple(bad))


@dataclass(frozen=True)
class Ranges:
    """The address lists that apply to the locations of one Ingress.

    `allow`/`deny`: CIDRs (None: no list); `*_from`: the full annotation key, or
    `ConfigMap <key>`; `denied`: why ingress-nginx denies every request (503), with the key."""

    allow: tuple[str, ...] | None = None
    allow_from: str = ""
    deny: tuple[str, ...] | None = None
    deny_from: str = ""
    denied: str | None = None
    denied_by: str = ""


def _allow_annotation(annotations: Mapping[str, str], prefix: str) -> tuple[str, str] | None:
    """(full key, value) of the allow-list annotation the controller reads, or None (missing)."""
    main, alias = f"{prefix}/{ALLOW_KEY}", f"{prefix}/{ALLOW_ALIAS}"
    value = annotations.get(main, "")
    if value == "" and annotations.get(alias, "") != "":
        return alias, annotations[alias]
    if main in annotations:
        return main, value
    return None  # absent, or only an empty alias


def effective_ranges(annotations: Mapping[str, str], prefix: str, configmap: Mapping[str, str],
                     configmap_name: str = "ConfigMap") -> Ranges:
    """The allow- and deny-list of an Ingress's locations (see the module docstring)."""
    allow: tuple[str, ...] | None = None
    deny: tuple[str, ...] | None = None
    allow_from = deny_from = ""
    denied: str | None = None
    denied_by = ""
    # the denylist parser runs before the allowlist parser; the first failure is the reason
    deny_key = f"{prefix}/{DENY_KEY}"
    if deny_key in annotations:
        parsed = parse_annotation_value(annotations[deny_key])
        if parsed.denied:
            denied, denied_by = parsed.denied, deny_key
        else:
            deny, deny_from = parsed.cidrs, deny_key
    elif configmap.get(DENY_KEY, "").strip():
        parsed = parse_configmap_value(configmap[DENY_KEY])
        deny, deny_from = (parsed.cidrs or None), f"{configmap_name} {DENY_KEY}"
    found = _allow_annotation(annotations, prefix)
    if found is not None:
        key, value = found
        parsed = parse_annotation_value(value)
        if parsed.denied:
            if denied is None:
                denied, denied_by = parsed.denied, key
        else:
            allow, allow_from = parsed.cidrs, key
    elif configmap.get(ALLOW_ALIAS, "").strip():
        parsed = parse_configmap_value(configmap[ALLOW_ALIAS])
        # the valid entries only: narrower than the controller's list would be, never wider
        allow, allow_from = parsed.cidrs, f"{configmap_name} {ALLOW_ALIAS}"
    if denied is None and allow is None and deny is None and configmap.get(BLOCK_KEY, "").strip():
        # http-level `deny` rules reach only locations without access rules of their own
        parsed = parse_configmap_value(configmap[BLOCK_KEY])
        deny, deny_from = (parsed.cidrs or None), f"{configmap_name} {BLOCK_KEY}"
    return Ranges(allow=allow, allow_from=allow_from, deny=deny, deny_from=deny_from, denied=denied,
                  denied_by=denied_by)
