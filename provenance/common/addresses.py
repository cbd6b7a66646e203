"""The address policy of outgoing requests (webhooks, web captures): which IP
addresses count as public. One table, so every room that reaches out refuses the
same private, loopback, link-local and special-use ranges."""

from __future__ import annotations

import ipaddress

# Special-use ranges (IANA registries) refused whatever the running Python's
# is_global tables say: they differ by version (3.11 counts 192.0.0.8, fec0::/10
# and 192.88.99.0/24 as global).
_NOT_GLOBAL = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",
        "100.64.0.0/10",
        "192.0.0.0/24",
        "192.88.99.0/24",
        "198.18.0.0/15",
        "240.0.0.0/4",
        "64:ff9b:1::/48",  # local-use NAT64: by definition inside a network
        "100::/64",
        "2001::/23",  # includes Teredo (2001::/32): the client address is hidden
        "2001:db8::/32",
        "3fff::/20",
        "5f00::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one reaches: mapped, 6to4, NAT64, compatible."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(address: str) -> bool:
    """Whether an IP address (text, an IPv6 zone allowed) is a public unicast one."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
        address.split("%", 1)[0]
    )
    if any(ip in network for network in _NOT_GLOBAL):
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            # Judged as the IPv4 address it leads to (and by the same table).
            return is_public_address(str(embedded))
    return ip.is_global and not ip.is_multicast
