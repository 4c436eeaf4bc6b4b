"""Client addresses for the simulators: parsing address lists the way each proxy reads them,
matching an address against them, and deriving the client address from X-Forwarded-For.

Shared by the old-side and new-side routers: the rules differ per proxy (which entries are
accepted, which X-Forwarded-For element counts), so each function names the behaviour it
implements rather than guessing a common one.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Iterable, Sequence, Union

Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


@lru_cache(maxsize=4096)
def parse_address(text: str | None) -> Address | None:
    """An IP address (no zone, no port), or None (remembered: requests repeat addresses)."""
    if text is None:
        return None
    text = text.strip()
    if not text or "%" in text:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def go_cidr_or_ip(entry: str) -> Network | None:
    """An entry as Go's net.ParseCIDR, else net.ParseIP, accepts it (host bits allowed in a
    CIDR; a single address is a one-address network), or None. ingress-nginx's
    `internal/net.ParseIPNets` and Traefik's ip checker read lists this way."""
    text = entry.strip()
    if not text or "%" in text:
        return None
    try:
        if "/" in text:
            ip_text, _, bits = text.partition("/")
            if not bits.isdigit() or parse_address(ip_text) is None:
                return None
            return ipaddress.ip_network(text, strict=False)
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped  # Go keeps IPv4-mapped addresses as IPv4
    return ipaddress.ip_network(addr)


def strict_cidr(entry: str) -> Network | None:
    """A CIDR with an explicit prefix length (host bits allowed), or None (a bare address is
    refused): the form Envoy's CidrRange takes."""
    text = entry.strip()
    if "/" not in text:
        return None
    return go_cidr_or_ip(text)


def in_networks(addr: Address, networks: Iterable[Network]) -> bool:
    """Whether `addr` is in one of `networks`. An IPv4-mapped IPv6 address also matches as its
    IPv4 form (nginx's access module and Envoy both unmap it)."""
    alt: Address | None = None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        alt = addr.ipv4_mapped
    for net in networks:
        if addr.version == net.version and addr in net:
            return True
        if alt is not None and alt.version == net.version and alt in net:
            return True
    return False


def longest_prefix(addr: Address, networks: Sequence[Network]) -> Network | None:
    """The most specific of `networks` that contains `addr` (None: none)."""
    best: Network | None = None
    for net in networks:
        if in_networks(addr, (net,)) and (best is None or net.prefixlen > best.prefixlen):
            best = net
    return best


def xff_elements(values: Sequence[str]) -> list[str]:
    """The elements of one or more X-Forwarded-For header values, left to right, trimmed."""
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in v.split(","))
    return [p for p in out if p]


def envoy_trusted_client(peer: Address | None, xff_values: Sequence[str], trusted_hops: int) -> Address | None:
    """Envoy's trusted client address with use_remote_address true (an edge proxy, as the
    gateways built on Envoy run it): the connection's source when `trusted_hops` is 0; else the
    Nth address from the right of X-Forwarded-For, falling back to the source when X-Forwarded-For
    has fewer than N addresses (Envoy docs, "HTTP header manipulation", x-forwarded-for).
    An element that is not an address gives None (unknown)."""
    if trusted_hops <= 0:
        return peer
    elements = xff_elements(xff_values)
    if len(elements) < trusted_hops:
        return peer
    return parse_address(elements[-trusted_hops])


def envoy_trusted_cidrs_client(peer: Address | None, xff_values: Sequence[str],
                               trusted: Sequence[Network]) -> tuple[Address | None, bool]:
    """Envoy's X-Forwarded-For detection with trusted CIDRs (XffConfig.xff_trusted_cidrs,
    `original_ip_detection/xff`): the connection's source unless it is trusted; then X-Forwarded-For
    is walked from the right and the first address outside the ranges is the client, the leftmost
    entry when all are trusted; no X-Forwarded-For: the source. Returns (address, known): an
    element that is not an address makes Envoy give up the detection (not modelled: known False)."""
    if peer is None or not in_networks(peer, trusted):
        return peer, True
    elements = xff_elements(xff_values)
    if not elements:
        return peer, True
    addr: Address | None = None
    for text in reversed(elements):
        addr = parse_address(text)
        if addr is None:
            return None, False
        if not in_networks(addr, trusted):
            return addr, True
    return addr, True


def nginx_real_ip(peer: Address, header_value: str | None, trusted: Sequence[Network],
                  recursive: bool = True) -> Address:
    """nginx's realip module (`ngx_http_get_forwarded_addr`): when the peer is trusted
    (`set_real_ip_from`), the rightmost element of the header replaces it; with
    `real_ip_recursive on` this repeats while the new address is trusted too. An element that is
    not an address stops the walk (the address found so far stays)."""
    if header_value is None:
        return peer
    elements = xff_elements([header_value])
    addr = peer
    while elements and in_networks(addr, trusted):
        candidate = _addr_port(elements.pop())
        if candidate is None:
            break
        addr = candidate
        if not recursive:
            break
    return addr


def _addr_port(text: str) -> Address | None:
    """`1.2.3.4`, `1.2.3.4:80`, `::1` or `[::1]:80` (nginx's ngx_parse_addr_port)."""
    if text.startswith("["):
        host, _, _ = text[1:].partition("]")
        return parse_address(host)
    if text.count(":") == 1:
        text = text.split(":", 1)[0]
    return parse_address(text)


def boundary_addresses(net: Network) -> list[str]:
    """Addresses at and just beyond the edges of a network: its first and last address, and the
    addresses right before and after it (when they exist)."""
    first, last = net.network_address, net.broadcast_address
    out = [str(first), str(last)]
    top = (1 << (32 if net.version == 4 else 128)) - 1
    if int(first) > 0:
        out.append(str(ipaddress.ip_address(int(first) - 1) if net.version == 4
                       else ipaddress.IPv6Address(int(first) - 1)))
    if int(last) < top:
        out.append(str(ipaddress.ip_address(int(last) + 1) if net.version == 4
                       else ipaddress.IPv6Address(int(last) + 1)))
    return out
