"""Client addresses: the lists of allow-list, deny-list and rate-limit-whitelist, and the source
HAProxy matches them against (haproxy-semantics.md H-G5 src-ip-header, H-G7, H-G9)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Iterable, Union

Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


@lru_cache(maxsize=4096)
def parse_address(text: str) -> Address | None:
    """An IP address as Go's net.ParseIP reads it (no zone, no leading zeros), or None."""
    text = text.strip()
    if not text or "%" in text:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def go_network(entry: str) -> Network | None:
    """An allow-list entry the controller accepts (net.ParseIP or net.ParseCIDR), as a network,
    or None for an entry it rejects."""
    entry = entry.strip()
    if "/" not in entry:
        addr = parse_address(entry)
        return None if addr is None else ipaddress.ip_network(addr)
    ip_text, _, bits = entry.partition("/")
    if parse_address(ip_text) is None or not bits.isdigit():
        return None
    try:
        return ipaddress.ip_network(entry, strict=False)  # ParseCIDR accepts host bits
    except ValueError:
        return None


def pattern_networks(lines: Iterable[str]) -> tuple[tuple[Network, ...], list[str]]:
    """The networks of a pattern file (one per line, `#` comments and blank lines skipped),
    and the lines HAProxy could not read as an address or network."""
    nets: list[Network] = []
    bad: list[str] = []
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        net = go_network(text)
        if net is None:
            bad.append(text)
        else:
            nets.append(net)
    return tuple(nets), bad


def in_networks(addr: Address, networks: Iterable[Network]) -> bool:
    """Whether `addr` is in one of `networks` (an IPv4 address also matches its IPv4-mapped
    IPv6 form and the reverse, as HAProxy's `src` does)."""
    alt: Address | None = None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        alt = addr.ipv4_mapped
    elif isinstance(addr, ipaddress.IPv4Address):
        alt = ipaddress.IPv6Address(f"::ffff:{addr}")
    for net in networks:
        if addr.version == net.version and addr in net:
            return True
        if alt is not None and alt.version == net.version and alt in net:
            return True
    return False
