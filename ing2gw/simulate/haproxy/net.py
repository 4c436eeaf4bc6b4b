"""Client addresses: the lists of allow-list, deny-list and rate-limit-whitelist, and the source
HAProxy matches them against (haproxy-semantics.md H-G5 src-ip-header, H-G7, H-G9)."""

from __future__ import annotations

import ipaddress
from typing import Iterable

from ing2gw.simulate.addresses import Address, Network, parse_address

__all__ = ["Address", "Network", "go_network", "in_networks", "parse_address", "pattern_networks"]


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
