"""What kind of address an IP is, with the AWS-specific ones called out.

Flow logs never record traffic to the instance metadata service, Amazon Time Sync or the Amazon
DNS server, so seeing one of those addresses is itself worth explaining.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

_NOT_CAPTURED = "flow logs never capture this traffic"
_SHOWN_TEXT_LIMIT = 60


@dataclass(frozen=True, slots=True)
class AddressClass:
    """`kind` is a short stable word for filters and JSON; `description` is one plain line."""

    kind: str
    description: str


def _cls(kind: str, description: str) -> AddressClass:
    return AddressClass(kind, description)


_EXACT: dict[ipaddress.IPv4Address | ipaddress.IPv6Address, AddressClass] = {
    ipaddress.ip_address(text): found
    for text, found in (
        ("169.254.169.254", _cls("imds", f"Instance metadata service (IMDS): {_NOT_CAPTURED}")),
        ("fd00:ec2::254", _cls("imds", f"Instance metadata service (IMDS, IPv6): {_NOT_CAPTURED}")),
        ("169.254.169.123", _cls("time-sync", f"Amazon Time Sync Service: {_NOT_CAPTURED}")),
        ("fd00:ec2::123", _cls("time-sync", f"Amazon Time Sync Service (IPv6): {_NOT_CAPTURED}")),
        ("169.254.169.253", _cls("amazon-dns", f"Amazon DNS resolver: {_NOT_CAPTURED}")),
        ("fd00:ec2::253", _cls("amazon-dns", f"Amazon DNS resolver (IPv6): {_NOT_CAPTURED}")),
        (
            "169.254.170.2",
            _cls("ecs-metadata", "Amazon ECS task metadata and credentials endpoint"),
        ),
        ("0.0.0.0", _cls("unspecified", "Unspecified address (0.0.0.0)")),
        ("::", _cls("unspecified", "Unspecified IPv6 address (::)")),
        ("255.255.255.255", _cls("broadcast", "Limited broadcast address")),
        ("::1", _cls("loopback", "IPv6 loopback address: traffic never leaves the host")),
    )
}

# First match wins, so narrower ranges come before the ranges that contain them.
_RANGES: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, AddressClass], ...] = tuple(
    (ipaddress.ip_network(cidr), found)
    for cidr, found in (
        ("10.0.0.0/8", _cls("private", "RFC 1918 private address")),
        ("172.16.0.0/12", _cls("private", "RFC 1918 private address")),
        ("192.168.0.0/16", _cls("private", "RFC 1918 private address")),
        (
            "100.64.0.0/10",
            _cls("cgnat", "Shared address space (RFC 6598, carrier-grade NAT; also a VPC CIDR)"),
        ),
        ("169.254.0.0/16", _cls("link-local", "Link-local address (169.254.0.0/16)")),
        ("127.0.0.0/8", _cls("loopback", "Loopback address: traffic never leaves the host")),
        ("0.0.0.0/8", _cls("reserved", "'This network' range (0.0.0.0/8), not a real host")),
        ("192.0.2.0/24", _cls("documentation", "Documentation address (TEST-NET-1, RFC 5737)")),
        ("198.51.100.0/24", _cls("documentation", "Documentation address (TEST-NET-2, RFC 5737)")),
        ("203.0.113.0/24", _cls("documentation", "Documentation address (TEST-NET-3, RFC 5737)")),
        ("198.18.0.0/15", _cls("benchmarking", "Benchmarking range (RFC 2544)")),
        ("192.0.0.0/24", _cls("reserved", "IETF protocol assignments (192.0.0.0/24)")),
        ("224.0.0.0/4", _cls("multicast", "IPv4 multicast address")),
        ("240.0.0.0/4", _cls("reserved", "Reserved IPv4 range (240.0.0.0/4)")),
        ("2001:db8::/32", _cls("documentation", "IPv6 documentation address (2001:db8::/32)")),
        ("3fff::/20", _cls("documentation", "IPv6 documentation address (3fff::/20, RFC 9637)")),
        (
            "64:ff9b::/96",
            _cls("nat64", "NAT64 address: an IPv4 host reached through a NAT gateway (DNS64)"),
        ),
        ("fc00::/7", _cls("ipv6-ula", "IPv6 unique local address (the IPv6 private range)")),
        ("fe80::/10", _cls("ipv6-link-local", "IPv6 link-local address")),
        ("ff00::/8", _cls("multicast", "IPv6 multicast address")),
        ("2000::/3", _cls("ipv6-global", "IPv6 global unicast address (VPC IPv6 is global too)")),
    )
)

_PUBLIC_V4 = _cls("public", "Public IPv4 address")
_RESERVED_V6 = _cls("reserved", "Reserved IPv6 address")


def _parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def address_class(text: str) -> AddressClass:
    """Classify an address written as text; unparseable text gives kind "invalid"."""
    address = _parse(text)
    if address is None:
        shown = text if len(text) <= _SHOWN_TEXT_LIMIT else text[:_SHOWN_TEXT_LIMIT] + "..."
        return AddressClass("invalid", f"Not an IP address: {shown!r}")
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        mapped = address_class(str(address.ipv4_mapped))
        return AddressClass(mapped.kind, f"IPv4-mapped IPv6 address; {mapped.description}")
    exact = _EXACT.get(address)
    if exact is not None:
        return exact
    for network, found in _RANGES:
        if address.version == network.version and address in network:
            return found
    return _PUBLIC_V4 if address.version == 4 else _RESERVED_V6


def is_vpc_resolver(address: str, vpc_cidr: str) -> bool:
    """True when `address` is the Amazon DNS resolver inside the VPC: its primary CIDR base + 2.

    An unparseable address is simply not the resolver; an unparseable CIDR is a ValueError,
    because it comes from configuration the user must fix.
    """
    try:
        network = ipaddress.ip_network(vpc_cidr.strip(), strict=False)
    except ValueError:
        raise ValueError(f"{vpc_cidr!r} is not a CIDR block such as 10.0.0.0/16") from None
    parsed = _parse(address)
    if parsed is None or parsed.version != network.version or network.num_addresses < 4:
        return False
    return parsed == network.network_address + 2
