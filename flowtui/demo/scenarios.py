"""The demo's traffic model: who talks to whom, on which ports, and what the rules make of it.

Each scenario draws one connection between the account's ENIs (by role) and the outside world:
web and load-balanced HTTP(S), database and DNS inside the VPC, egress through the NAT gateway,
SSH from the office and the bastion, and the rejects: scans, the ACL-denied range, pings whose
reply the private ACL rejects, a database reaching for the IPv6 internet (VPC Block Public
Access, reason BPA). A connection lists the legs each ENI sees, in each direction, with the
action the security groups and network ACLs give it.

Nothing here talks to the Amazon DNS resolver, instance metadata, Time Sync or DHCP: flow logs
never capture that traffic.
"""

from __future__ import annotations

import ipaddress
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from flowtui.demo.vpc import DENIED_CIDR, OFFICE_CIDR, DemoEni, EniRole

# --- connections -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Leg:
    """One direction of a connection as one ENI sees it."""

    eni: int
    src: str
    dst: str
    sport: int
    dport: int
    egress: bool
    path: str = "-"  # traffic-path: egress only
    action: str = "ACCEPT"
    reason: str = "-"
    pkt_src: str | None = None  # None: same as src
    pkt_dst: str | None = None
    src_service: str = "-"
    dst_service: str = "-"


@dataclass(frozen=True, slots=True)
class Volume:
    """Packets per window and bytes per packet of one direction."""

    packets: tuple[int, int]
    packet_bytes: tuple[int, int]


@dataclass(slots=True)
class Connection:
    protocol: int
    forward: list[Leg]
    backward: list[Leg] = field(default_factory=list)
    forward_volume: Volume = Volume((1, 3), (40, 60))
    backward_volume: Volume = Volume((1, 3), (40, 60))
    span: int = 1

    def enis(self) -> set[int]:
        return {leg.eni for leg in (*self.forward, *self.backward)}


# --- addresses ---------------------------------------------------------------------------------

_PUBLIC_FIRST_OCTETS = (
    3, 18, 23, 31, 34, 37, 46, 62, 66, 73, 77, 81, 84, 86, 88, 91, 93, 95, 98, 101, 109,
    112, 118, 121, 145, 151, 176, 178, 188, 195, 200, 201, 212, 213, 217,
)  # fmt: skip
_SCANNER_FIRST_OCTETS = (45, 61, 89, 92, 103, 162, 167, 179, 183, 185, 193, 194, 222)
_IPV6_CLIENT_PREFIXES = ("2a02:c7c::", "2600:1700::", "2001:818::", "2a01:e0a::", "2407:7000::")
_PUBLIC_RESOLVERS = ("1.1.1.1", "8.8.8.8", "8.8.4.4", "9.9.9.9")
_IPV6_EGRESS = ("2a04:4e42::223", "2606:4700::6810:84e5", "2600:1f18:4c12:9a00::1c")
_SCAN_PORTS = (22, 22, 3389, 3389, 23, 445, 1433, 5900, 6379, 8080)


class AddressPools:
    """Public addresses the demo's traffic comes from and goes to, fixed per seed."""

    def __init__(self, rng: random.Random) -> None:
        self.clients = [_public_ipv4(rng, _PUBLIC_FIRST_OCTETS) for _ in range(500)]
        self.clients_v6 = [_public_ipv6(rng) for _ in range(80)]
        self.scanners = [_public_ipv4(rng, _SCANNER_FIRST_OCTETS) for _ in range(80)]
        self.office = [_host_in(OFFICE_CIDR, rng.randint(10, 40)) for _ in range(5)]
        self.denied = [_host_in(DENIED_CIDR, rng.randint(1, 254)) for _ in range(12)]
        s3 = [f"52.216.{rng.randint(0, 255)}.{rng.randint(1, 254)}" for _ in range(6)]
        s3 += [f"54.231.{rng.randint(0, 255)}.{rng.randint(1, 254)}" for _ in range(3)]
        mirrors = ["151.101.0.223", "151.101.64.223", "140.82.112.3", "104.16.24.34"]
        #: HTTPS destinations reached through the NAT gateway, with their AWS service.
        self.egress: list[tuple[str, str]] = [(ip, "S3") for ip in s3] + [
            (ip, "-") for ip in mirrors
        ]


class Cast:
    """Who can take part in a scenario: the account's ENIs by role, and the outside world."""

    def __init__(self, enis: tuple[DemoEni, ...], pools: AddressPools) -> None:
        self.enis = enis
        self.pools = pools
        self._by_role: dict[EniRole, list[int]] = defaultdict(list)
        for index, eni in enumerate(enis):
            self._by_role[eni.role].append(index)

    def pick(self, rng: random.Random, *roles: EniRole) -> int:
        """The index of an ENI with one of these roles."""
        return rng.choice([index for role in roles for index in self._by_role[role]])

    def address(self, eni: int, ipv6: bool = False) -> str:
        """The ENI's IPv6 address when asked for and it has one, else its private IPv4."""
        found = self.enis[eni]
        return found.ipv6 if ipv6 and found.ipv6 else found.private_ip

    def has_ipv6(self, eni: int) -> bool:
        return self.enis[eni].ipv6 is not None


def _public_ipv4(rng: random.Random, first_octets: tuple[int, ...]) -> str:
    octets = (rng.choice(first_octets), rng.randint(0, 255), rng.randint(0, 255))
    return "{}.{}.{}.{}".format(*octets, rng.randint(1, 254))


def _public_ipv6(rng: random.Random) -> str:
    """A host in one of a few ISPs' /32s, written as AWS writes it (compressed)."""
    prefix = int(ipaddress.IPv6Address(rng.choice(_IPV6_CLIENT_PREFIXES)))
    return str(ipaddress.IPv6Address(prefix | rng.getrandbits(96)))


def _host_in(cidr: str, host: int) -> str:
    network = cidr.split("/", maxsplit=1)[0].rsplit(".", 1)[0]
    return f"{network}.{host}"


def _ephemeral(rng: random.Random) -> int:
    return rng.randint(32768, 60999)  # Linux's default range


def _internet_port(rng: random.Random) -> int:
    return rng.randint(1024, 65535)


# --- scenarios: who talks to whom, and what the rules make of it --------------------------------

_HTTP_REQUEST = Volume((4, 40), (60, 400))
_HTTP_RESPONSE = Volume((6, 120), (400, 1400))
_QUERY = Volume((1, 2), (60, 90))
_ANSWER = Volume((1, 2), (90, 480))
_SESSION_IN = Volume((10, 400), (60, 160))
_SESSION_OUT = Volume((10, 600), (80, 1200))
_PROBE = Volume((1, 3), (40, 60))
_PING = Volume((1, 5), (84, 84))


def _web_direct(c: Cast, rng: random.Random) -> Connection:
    """A client on the internet asks a web server over HTTPS or HTTP: accepted."""
    server = c.pick(rng, EniRole.WEB)
    ipv6 = rng.random() < 0.12 and c.has_ipv6(server)
    client = rng.choice(c.pools.clients_v6 if ipv6 else c.pools.clients)
    here = c.address(server, ipv6)
    port, client_port = (443 if rng.random() < 0.85 else 80), _internet_port(rng)
    return Connection(
        6,
        [Leg(server, client, here, client_port, port, egress=False)],
        [Leg(server, here, client, port, client_port, egress=True, path="8")],
        _HTTP_REQUEST,
        _HTTP_RESPONSE,
        span=rng.choice((1, 1, 1, 2, 3)),
    )


def _through_load_balancer(c: Cast, rng: random.Random) -> Connection:
    """Client -> load balancer :443 -> web server :80, and the responses back."""
    balancer, server = c.pick(rng, EniRole.LOAD_BALANCER), c.pick(rng, EniRole.WEB)
    ipv6 = rng.random() < 0.1 and c.has_ipv6(balancer)
    client = rng.choice(c.pools.clients_v6 if ipv6 else c.pools.clients)
    front, back, web = c.address(balancer, ipv6), c.address(balancer), c.address(server)
    client_port, balancer_port = _internet_port(rng), _ephemeral(rng)
    # Both TCP connections in one: they open and close together.
    return Connection(
        6,
        [
            Leg(balancer, client, front, client_port, 443, egress=False),
            Leg(balancer, back, web, balancer_port, 80, egress=True, path="1"),
            Leg(server, back, web, balancer_port, 80, egress=False),
        ],
        [
            Leg(server, web, back, 80, balancer_port, egress=True, path="1"),
            Leg(balancer, web, back, 80, balancer_port, egress=False),
            Leg(balancer, front, client, 443, client_port, egress=True, path="2"),
        ],
        _HTTP_REQUEST,
        _HTTP_RESPONSE,
        span=rng.choice((1, 1, 2)),
    )


def _inside_vpc(c: Cast, client: int, server: int, port: int, client_port: int) -> Connection:
    """A connection between two ENIs of the VPC: each sees both directions."""
    here, there = c.address(client), c.address(server)
    forward = [
        Leg(client, here, there, client_port, port, egress=True, path="1"),
        Leg(server, here, there, client_port, port, egress=False),
    ]
    backward = [
        Leg(server, there, here, port, client_port, egress=True, path="1"),
        Leg(client, there, here, port, client_port, egress=False),
    ]
    return Connection(6, forward, backward)


def _database(c: Cast, rng: random.Random) -> Connection:
    """A web server queries PostgreSQL: the db group allows 5432 from the web group."""
    client, server = c.pick(rng, EniRole.WEB), c.pick(rng, EniRole.DATABASE)
    connection = _inside_vpc(c, client, server, 5432, _ephemeral(rng))
    connection.forward_volume, connection.backward_volume = _SESSION_IN, _SESSION_OUT
    connection.span = rng.choice((1, 2, 3))
    return connection


def _dns_query(c: Cast, rng: random.Random) -> Connection:
    """A host asks the custom DNS server (never the Amazon resolver: flow logs skip that)."""
    client = c.pick(rng, EniRole.WEB, EniRole.BASTION, EniRole.DATABASE)
    connection = _inside_vpc(c, client, c.pick(rng, EniRole.DNS), 53, _ephemeral(rng))
    connection.protocol = 17 if rng.random() < 0.92 else 6
    connection.forward_volume, connection.backward_volume = _QUERY, _ANSWER
    return connection


def _ssh_from_bastion(c: Cast, rng: random.Random) -> Connection:
    """The bastion jumps to a private host: their groups allow SSH from the bastion group."""
    bastion, target = c.pick(rng, EniRole.BASTION), c.pick(rng, EniRole.DATABASE, EniRole.DNS)
    connection = _inside_vpc(c, bastion, target, 22, _ephemeral(rng))
    connection.forward_volume, connection.backward_volume = _SESSION_IN, _SESSION_OUT
    connection.span = rng.choice((1, 2, 3))
    return connection


def _database_from_bastion(c: Cast, rng: random.Random) -> Connection:
    """The bastion tries PostgreSQL directly: the db group allows 5432 only from web."""
    bastion, database = c.pick(rng, EniRole.BASTION), c.pick(rng, EniRole.DATABASE)
    sent, arrived = _inside_vpc(c, bastion, database, 5432, _ephemeral(rng)).forward
    refused = Leg(
        arrived.eni, arrived.src, arrived.dst, arrived.sport, arrived.dport, egress=False,
        action="REJECT",
    )  # fmt: skip
    return Connection(6, [sent, refused], forward_volume=_PROBE)


def _through_nat(c: Cast, rng: random.Random, *, dns_upstream: bool) -> Connection:
    """A private host reaches the internet through the NAT gateway.

    On the NAT ENI, srcaddr/dstaddr are the hops and pkt-srcaddr/pkt-dstaddr the real ends.
    """
    nat = c.pick(rng, EniRole.NAT_GATEWAY)
    if dns_upstream:
        inside = c.pick(rng, EniRole.DNS)
        remote, service, protocol, port = rng.choice(_PUBLIC_RESOLVERS), "-", 17, 53
    else:
        inside = c.pick(rng, EniRole.DATABASE, EniRole.DNS)
        (remote, service), protocol, port = rng.choice(c.pools.egress), 6, 443
    host, gateway = c.address(inside), c.address(nat)
    host_port, nat_port = _ephemeral(rng), _internet_port(rng)
    forward = [
        Leg(inside, host, remote, host_port, port, egress=True, path="1", dst_service=service),
        Leg(nat, host, gateway, host_port, port, egress=False, pkt_dst=remote,
             dst_service=service),
        Leg(nat, gateway, remote, nat_port, port, egress=True, path="2", dst_service=service),
    ]  # fmt: skip
    backward = [
        Leg(nat, remote, gateway, port, nat_port, egress=False, src_service=service),
        Leg(nat, gateway, host, port, host_port, egress=True, path="1", pkt_src=remote,
             src_service=service),
        Leg(inside, remote, host, port, host_port, egress=False, src_service=service),
    ]  # fmt: skip
    if protocol == 17:
        return Connection(protocol, forward, backward, _QUERY, _ANSWER)
    return Connection(
        protocol, forward, backward, _HTTP_REQUEST, _HTTP_RESPONSE, span=rng.choice((1, 1, 2))
    )


def _ssh_from_office(c: Cast, rng: random.Random) -> Connection:
    """An admin at the office (198.51.100.0/24) logs in to the bastion: allowed."""
    bastion = c.pick(rng, EniRole.BASTION)
    admin, here, port = rng.choice(c.pools.office), c.address(bastion), _internet_port(rng)
    return Connection(
        6,
        [Leg(bastion, admin, here, port, 22, egress=False)],
        [Leg(bastion, here, admin, 22, port, egress=True, path="8")],
        _SESSION_IN,
        _SESSION_OUT,
        span=rng.choice((1, 2, 3)),
    )


def _scan(c: Cast, rng: random.Random) -> Connection:
    """Internet scanners knock on SSH, RDP and friends: no security group allows them."""
    target = c.pick(rng, EniRole.WEB, EniRole.BASTION, EniRole.LOAD_BALANCER)
    ipv6 = rng.random() < 0.1 and c.has_ipv6(target)
    scanner = rng.choice(c.pools.clients_v6 if ipv6 else c.pools.scanners)
    leg = Leg(
        target, scanner, c.address(target, ipv6), _internet_port(rng), rng.choice(_SCAN_PORTS),
        egress=False, action="REJECT",
    )  # fmt: skip
    return Connection(6, [leg], forward_volume=_PROBE)


def _denied_range(c: Cast, rng: random.Random) -> Connection:
    """203.0.113.0/24 is denied by the public ACL at rule 50, whatever the port."""
    target = c.pick(rng, EniRole.WEB, EniRole.BASTION, EniRole.LOAD_BALANCER)
    source, port = rng.choice(c.pools.denied), rng.choice((443, 443, 80, 22))
    leg = Leg(
        target, source, c.address(target), _internet_port(rng), port, egress=False,
        action="REJECT",
    )  # fmt: skip
    return Connection(6, [leg], forward_volume=_PROBE)


def _ping_private_host(c: Cast, rng: random.Random) -> Connection:
    """The AWS ICMP example: the group lets the bastion's ping in; the private ACL has no
    outbound ICMP rule, so the reply is rejected at the pinged host."""
    bastion, target = c.pick(rng, EniRole.BASTION), c.pick(rng, EniRole.DATABASE, EniRole.DNS)
    here, there = c.address(bastion), c.address(target)
    return Connection(
        1,
        [
            Leg(bastion, here, there, 0, 0, egress=True, path="1"),
            Leg(target, here, there, 0, 0, egress=False),
        ],
        [Leg(target, there, here, 0, 0, egress=True, path="1", action="REJECT")],
        _PING,
        _PING,
    )


def _ping_web_server(c: Cast, rng: random.Random) -> Connection:
    """Someone pings a web server: the web group has no ICMP rule, one REJECT record."""
    server = c.pick(rng, EniRole.WEB)
    leg = Leg(
        server, rng.choice(c.pools.clients), c.address(server), 0, 0, egress=False,
        action="REJECT",
    )  # fmt: skip
    return Connection(1, [leg], forward_volume=_PING)


def _blocked_ipv6_egress(c: Cast, rng: random.Random) -> Connection | None:
    """The database tries the IPv6 internet; VPC Block Public Access rejects it (reason BPA)."""
    database = c.pick(rng, EniRole.DATABASE)
    if not c.has_ipv6(database):
        return None
    leg = Leg(
        database, c.address(database, ipv6=True), rng.choice(_IPV6_EGRESS), _ephemeral(rng), 443,
        egress=True, action="REJECT", reason="BPA",
    )  # fmt: skip
    return Connection(6, [leg], forward_volume=_PROBE)


def staging_egress(c: Cast, rng: random.Random) -> Connection | None:
    """The staging host (its own VPC) fetches over HTTPS or asks a public resolver.

    Drawn apart from SCENARIOS (`flowtui.demo.traffic`), so that the host changes nothing of
    the rest of the demo's traffic. None when the account has no staging host.
    """
    if not any(eni.role is EniRole.STAGING for eni in c.enis):
        return None
    host = c.pick(rng, EniRole.STAGING)
    here, port = c.address(host), _ephemeral(rng)
    if rng.random() < 0.3:
        resolver = rng.choice(_PUBLIC_RESOLVERS)
        return Connection(
            17,
            [Leg(host, here, resolver, port, 53, egress=True, path="8")],
            [Leg(host, resolver, here, 53, port, egress=False)],
            _QUERY,
            _ANSWER,
        )
    remote, service = rng.choice(c.pools.egress)
    return Connection(
        6,
        [Leg(host, here, remote, port, 443, egress=True, path="8", dst_service=service)],
        [Leg(host, remote, here, 443, port, egress=False, src_service=service)],
        _HTTP_REQUEST,
        _HTTP_RESPONSE,
    )


Scenario = Callable[[Cast, random.Random], "Connection | None"]

#: Each scenario with its relative weight: how often the generator draws it.
SCENARIOS: tuple[tuple[Scenario, float], ...] = (
    (_web_direct, 20),
    (_through_load_balancer, 16),
    (_database, 12),
    (_dns_query, 14),
    (lambda c, rng: _through_nat(c, rng, dns_upstream=True), 4),
    (lambda c, rng: _through_nat(c, rng, dns_upstream=False), 7),
    (_ssh_from_office, 2),
    (_ssh_from_bastion, 2),
    (_scan, 10),
    (_denied_range, 4),
    (_ping_private_host, 2),
    (_ping_web_server, 1.5),
    (_blocked_ipv6_egress, 1),
    (_database_from_bastion, 1),
)
