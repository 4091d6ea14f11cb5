"""Traffic flow logs never capture, and notes for the records that sit next to it.

AWS does not log traffic to the Amazon DNS server (the VPC's base address + 2 and
169.254.169.253), DHCP, instance metadata (169.254.169.254), Amazon Time Sync (169.254.169.123),
the VPC router's reserved address (each subnet's base + 1), Windows license activation, mirrored
traffic, and traffic between an endpoint ENI and a Network Load Balancer ENI. A record that is
the *neighbour* of such traffic (DNS to a custom server, NTP to a public pool, another
link-local service) is logged, and a reader comparing it with what they expect needs to know
that its excluded sibling never will be.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

UDP = 17
TCP = 6


@dataclass(frozen=True, slots=True)
class Exclusion:
    """One kind of traffic AWS never captures."""

    kind: str
    title: str
    #: Fixed addresses (the VPC-relative ones are described in `where`).
    addresses: tuple[str, ...]
    where: str


EXCLUSIONS: tuple[Exclusion, ...] = (
    Exclusion(
        "amazon-dns",
        "Amazon DNS server",
        ("169.254.169.253", "fd00:ec2::253"),
        "the VPC's base address + 2 and 169.254.169.253 (a custom DNS server IS captured)",
    ),
    Exclusion("dhcp", "DHCP", (), "UDP ports 67 and 68"),
    Exclusion("imds", "Instance metadata", ("169.254.169.254", "fd00:ec2::254"), "169.254.169.254"),
    Exclusion(
        "time-sync", "Amazon Time Sync", ("169.254.169.123", "fd00:ec2::123"), "169.254.169.123"
    ),
    Exclusion("vpc-router", "VPC router", (), "each subnet's reserved base address + 1"),
    Exclusion(
        "windows-activation",
        "Windows license activation",
        ("169.254.169.250", "169.254.169.251"),
        "AWS's KMS activation servers (TCP 1688)",
    ),
    Exclusion("mirrored", "Mirrored traffic", (), "Traffic Mirroring copies"),
    Exclusion(
        "endpoint-nlb", "Endpoint ENI to NLB ENI", (), "between an endpoint ENI and an NLB ENI"
    ),
)
_BY_KIND = {e.kind: e for e in EXCLUSIONS}
_FIXED = {
    ipaddress.ip_address(address): exclusion
    for exclusion in EXCLUSIONS
    for address in exclusion.addresses
}


def _parse(text: str | None) -> _IPAddress | None:
    if not text:
        return None
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _networks(
    cidrs: Iterable[str],
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    found = []
    for cidr in cidrs:
        try:
            found.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            continue
    return found


def excluded_address(
    address: str, vpc_cidrs: Iterable[str] = (), subnet_cidrs: Iterable[str] = ()
) -> Exclusion | None:
    """The exclusion an address belongs to (its traffic is never captured), or None.

    `vpc_cidrs`: the VPC's CIDR blocks, primary first (its base + 2 is the Amazon DNS server);
    `subnet_cidrs`: its subnets (each base + 1 is the VPC router).
    """
    parsed = _parse(address)
    if parsed is None:
        return None
    fixed = _FIXED.get(parsed)
    if fixed is not None:
        return fixed
    vpcs = [n for n in _networks(vpc_cidrs) if n.version == 4]
    if vpcs and parsed == vpcs[0].network_address + 2:
        return _BY_KIND["amazon-dns"]
    for network in _networks(subnet_cidrs):
        fits = network.version == parsed.version and network.num_addresses >= 4
        if fits and parsed == network.network_address + 1:
            return _BY_KIND["vpc-router"]
    return None


def _dns_server(vpc_cidrs: Iterable[str]) -> str:
    vpcs = [n for n in _networks(vpc_cidrs) if n.version == 4]
    base = f"{vpcs[0].network_address + 2} and " if vpcs else "the VPC's base + 2 and "
    return f"{base}169.254.169.253"


def record_note(
    srcaddr: str | None,
    dstaddr: str | None,
    srcport: int | None,
    dstport: int | None,
    protocol: int | None,
    *,
    vpc_cidrs: Iterable[str] = (),
    subnet_cidrs: Iterable[str] = (),
) -> str | None:
    """One line when a record touches, or neighbours, traffic flow logs never capture."""
    vpc_cidrs = list(vpc_cidrs)
    subnet_cidrs = list(subnet_cidrs)
    for address in (srcaddr, dstaddr):
        exclusion = excluded_address(address or "", vpc_cidrs, subnet_cidrs)
        if exclusion is not None:
            return (
                f"{address} is the {exclusion.title} ({exclusion.where}): flow logs never "
                "capture its traffic, so this record is unusual (a packet-level address, or "
                "an address reused for something else)"
            )
    ports = {p for p in (srcport, dstport) if p is not None}
    if protocol in (UDP, TCP) and 53 in ports:
        return (
            "DNS to a server of your own is logged, as here; queries to the Amazon DNS server "
            f"({_dns_server(vpc_cidrs)}) never are, so DNS traffic seen here is incomplete"
        )
    if protocol == UDP and 123 in ports:
        return (
            "NTP to this server is logged; Amazon Time Sync (169.254.169.123) is never "
            "captured, so instances using it show no NTP at all"
        )
    if protocol == UDP and ports & {67, 68}:
        return (
            "DHCP with the VPC's own DHCP service is never captured; this record is DHCP "
            "with another server (a relay or your own)"
        )
    if protocol == TCP and 1688 in ports:
        return (
            "Windows activation with AWS's KMS servers (169.254.169.250/251) is never "
            "captured; this is activation against another KMS host"
        )
    for address in (srcaddr, dstaddr):
        parsed = _parse(address)
        if parsed is not None and parsed.version == 4 and parsed.is_link_local:
            return (
                f"{address} is link-local next to instance metadata (169.254.169.254) and Time "
                "Sync (169.254.169.123), which are never captured; this address is"
            )
    return None
