"""Deterministic flow-log traffic for the demo account, and the writer that ships it.

Time is cut into 60-second aggregation windows. Each window's connections come from a random
generator seeded with (seed, window), so any interval can be produced again, in any order, with
the same result. A connection is seen at every ENI it crosses (client, load balancer, NAT
gateway, server), in each direction, and the rules of the demo account decide every action:
security groups, network ACLs and VPC Block Public Access. Each observation becomes one record
per flow log covering its ENI, rendered in that flow log's format, in the stream
`<eni-id>-all` of that flow log's group; two flow logs writing to one group share the stream.

Records are delivered per (flow log, ENI, window) batch: 90% of batches arrive within 15 s of
the window's end, 10% arrive 1 to 14 minutes after their timestamps, as CloudWatch receives
flow logs in practice. The CloudWatch event timestamp is the record's `start` in milliseconds.

Nothing here talks to the Amazon DNS resolver, instance metadata, Time Sync or DHCP: flow logs
never capture that traffic.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import accumulate
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, TypeVar

from flowtui.core.formats import LogFormat
from flowtui.demo.account import (
    DENIED_CIDR,
    OFFICE_CIDR,
    DemoAccount,
    DemoEni,
    EniRole,
    synthetic_account,
)

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient

Event = tuple[int, str]  # (timestamp in ms, message)
_T = TypeVar("_T")

WINDOW_SECONDS = 60
_MAX_SPAN = 3  # windows one connection can last
_LATE_SHARE = 0.10
_LATE_DELAY = (60, 780)  # seconds after the window's end: 1 to 14 minutes after the timestamps
_ON_TIME_DELAY = (1, 15)
_MAX_DELAY = WINDOW_SECONDS + _LATE_DELAY[1]
_IDLE_SHARE = 0.02  # ENI-windows without traffic: NODATA
_SKIP_SHARE = 0.01  # ENI-windows that lose records: SKIPDATA

# PutLogEvents limits (CloudWatch enforces them; moto does not).
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26
MAX_EVENT_AGE_MS = 14 * 24 * 3600 * 1000
MAX_EVENT_LEAD_MS = 2 * 3600 * 1000
MAX_BATCH_SPAN_MS = 24 * 3600 * 1000


# --- observations and how they become lines ----------------------------------------------------


class _Observation:
    """One record's varying values, seen at one ENI in one window."""

    __slots__ = (
        "action",
        "bytes",
        "dstaddr",
        "dstport",
        "end",
        "eni",
        "flow_direction",
        "log_status",
        "packets",
        "pkt_dst_aws_service",
        "pkt_dstaddr",
        "pkt_src_aws_service",
        "pkt_srcaddr",
        "protocol",
        "reject_reason",
        "srcaddr",
        "srcport",
        "start",
        "tcp_flags",
        "traffic_path",
        "type",
        "window",
    )

    def __init__(self, eni: int, window: int, start: int, end: int, status: str = "OK") -> None:
        self.eni = eni
        self.window = window
        self.start = start
        self.end = end
        self.log_status = status
        self.srcaddr = self.dstaddr = self.pkt_srcaddr = self.pkt_dstaddr = "-"
        self.srcport: int | str = "-"
        self.dstport: int | str = "-"
        self.protocol: int | str = "-"
        self.packets: int | str = "-"
        self.bytes: int | str = "-"
        self.tcp_flags: int | str = "-"
        self.action = self.type = self.flow_direction = self.traffic_path = "-"
        self.pkt_src_aws_service = self.pkt_dst_aws_service = self.reject_reason = "-"


#: Fields whose value differs per record; every other field is fixed per ENI (or absent: "-").
_VARYING = frozenset(
    {
        "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "start",
        "end", "action", "log-status", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr",
        "pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path",
        "reject-reason",
    }
)  # fmt: skip


def _eni_constants(account: DemoAccount, eni: DemoEni) -> dict[str, str]:
    subnet = account.subnet(eni.subnet_id)
    return {
        "account-id": account.account_id,
        "interface-id": eni.id,
        "vpc-id": account.vpc_id,
        "subnet-id": subnet.id,
        "instance-id": eni.instance_id or "-",
        "region": account.region,
        "az-id": subnet.az_id,
    }


class _Renderer:
    """Renders observations of one ENI in one format with a single %-template.

    With `time_placeholders`, `start` and `end` stay `%d` in the output, so the result is
    itself a template (used by `generate_lines`).
    """

    def __init__(
        self, fmt: LogFormat, constants: Mapping[str, str], *, time_placeholders: bool = False
    ) -> None:
        parts: list[str] = []
        attributes: list[str] = []
        for name in fmt.fields:
            if time_placeholders and name in ("start", "end"):
                parts.append("%%d")
            elif name in _VARYING:
                parts.append("%s")
                attributes.append(name.replace("-", "_"))
            elif name == "version":
                parts.append(str(fmt.version))
            else:
                parts.append(constants.get(name, "-").replace("%", "%%"))
        self._template = " ".join(parts)
        self._values = attrgetter(*attributes) if attributes else None
        self._single = len(attributes) == 1

    def __call__(self, observation: _Observation) -> str:
        if self._values is None:
            return self._template % ()
        values = self._values(observation)
        return self._template % ((values,) if self._single else values)


# --- connections -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Leg:
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
class _Volume:
    """Packets per window and bytes per packet of one direction."""

    packets: tuple[int, int]
    packet_bytes: tuple[int, int]


@dataclass(slots=True)
class _Connection:
    protocol: int
    forward: list[_Leg]
    backward: list[_Leg] = field(default_factory=list)
    forward_volume: _Volume = _Volume((1, 3), (40, 60))
    backward_volume: _Volume = _Volume((1, 3), (40, 60))
    span: int = 1

    def enis(self) -> set[int]:
        return {leg.eni for leg in (*self.forward, *self.backward)}


def _tcp_flags(span: int, piece: int) -> tuple[int, int]:
    """(forward, backward) flags of one window of an accepted TCP connection."""
    if span == 1:
        return 3, 19  # SYN+FIN, SYN-ACK+FIN: opened and closed in one window
    if piece == 0:
        return 2, 18
    if piece == span - 1:
        return 1, 1
    return 0, 0


def _mix(value: int) -> int:
    """splitmix64: a fast, stable integer hash (Python's hash() of tuples is not for this)."""
    value = (value + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return value ^ (value >> 31)


def _key(*parts: int) -> int:
    result = 0
    for part in parts:
        result = _mix(result ^ (part & 0xFFFFFFFFFFFFFFFF))
    return result


def _unit(*parts: int) -> float:
    return _key(*parts) / 2**64


# Salts that keep the independent per-(ENI, window) draws apart.
_SALT_IDLE, _SALT_SKIP, _SALT_LATE, _SALT_DELAY, _SALT_WINDOW, _SALT_POOLS = range(1, 7)


@dataclass(frozen=True, slots=True)
class _Sink:
    """Where one ENI's records go for one flow log."""

    group: str
    stream: str
    flow_log: int
    accepted_only: bool
    render: _Renderer


@dataclass(frozen=True, slots=True)
class _Batch:
    group: str
    stream: str
    delivered_at: float
    events: list[Event]


# --- the generator -----------------------------------------------------------------------------


_PUBLIC_FIRST_OCTETS = (
    3, 18, 23, 31, 34, 37, 46, 62, 66, 73, 77, 81, 84, 86, 88, 91, 93, 95, 98, 101, 109,
    112, 118, 121, 145, 151, 176, 178, 188, 195, 200, 201, 212, 213, 217,
)  # fmt: skip
_SCANNER_FIRST_OCTETS = (45, 61, 89, 92, 103, 162, 167, 179, 183, 185, 193, 194, 222)
_IPV6_CLIENT_PREFIXES = ("2a02:c7c::", "2600:1700::", "2001:818::", "2a01:e0a::", "2407:7000::")
_PUBLIC_RESOLVERS = ("1.1.1.1", "8.8.8.8", "8.8.4.4", "9.9.9.9")
_IPV6_EGRESS = ("2a04:4e42::223", "2606:4700::6810:84e5", "2600:1f18:4c12:9a00::1c")
_SCAN_PORTS = (22, 22, 3389, 3389, 23, 445, 1433, 5900, 6379, 8080)


class TrafficGenerator:
    """Flow-log records of the demo account for any time interval, the same for the same seed.

    `rate` is the average number of records per second over all groups. `now` is the clock the
    writer and `backfill` follow. Not thread-safe: one thread asks at a time.
    """

    def __init__(
        self,
        account: DemoAccount,
        seed: int = 7,
        now: Callable[[], float] = time.time,
        *,
        rate: float = 50.0,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"the traffic rate must be positive, got {rate}")
        self.account = account
        self.seed = seed
        self.now = now
        self.rate = rate
        self._enis = account.enis
        self._cast = _Cast(account.enis, _AddressPools(random.Random(_key(seed, _SALT_POOLS))))
        self._sinks = [self._sinks_of(eni) for eni in self._enis]
        self._weights = [max(1, len(sinks)) for sinks in self._sinks]
        self._flow_cache: dict[int, dict[int, list[_Observation]]] = {}
        self._batch_cache: dict[int, list[_Batch]] = {}
        self._availability_cache: dict[int, tuple[bool, ...]] = {}
        self._scenarios = [scenario for scenario, _ in _SCENARIOS]
        self._scenario_weights = list(accumulate(weight for _, weight in _SCENARIOS))

    def records_between(
        self, t0: float, t1: float, group: str | None = None
    ) -> dict[str, list[Event]]:
        """Records of `group` (default: the main group) delivered in [t0, t1), per stream.

        Each stream's list is chronological. Consecutive intervals never share a record.
        """
        wanted = group or self.account.main_group
        first = math.floor((t0 - _MAX_DELAY) / WINDOW_SECONDS)
        last = math.floor(t1 / WINDOW_SECONDS)
        self._forget_before(first)
        streams: dict[str, list[Event]] = defaultdict(list)
        for window in range(first, last + 1):
            for batch in self._batches(window):
                if batch.group == wanted and t0 <= batch.delivered_at < t1:
                    streams[batch.stream].extend(batch.events)
        for events in streams.values():
            events.sort(key=itemgetter(0))
        return dict(streams)

    # -- windows

    def _sinks_of(self, eni: DemoEni) -> list[_Sink]:
        constants = _eni_constants(self.account, eni)
        return [
            _Sink(
                group=flow_log.group,
                stream=f"{eni.id}-all",
                flow_log=self.account.flow_logs.index(flow_log),
                accepted_only=flow_log.traffic_type == "ACCEPT",
                render=_Renderer(flow_log.log_format, constants),
            )
            for flow_log in self.account.flow_logs_covering(eni)
        ]

    def _forget_before(self, window: int) -> None:
        """Drop cached windows no later request can need (requests move forward in time)."""
        oldest = window - _MAX_SPAN
        _drop_before(self._flow_cache, oldest)
        _drop_before(self._batch_cache, oldest)
        _drop_before(self._availability_cache, oldest)

    def _batches(self, window: int) -> list[_Batch]:
        cached = self._batch_cache.get(window)
        if cached is None:
            cached = self._batch_cache[window] = list(self._deliveries(window))
        return cached

    def _deliveries(self, window: int) -> Iterator[_Batch]:
        window_end = (window + 1) * WINDOW_SECONDS
        for eni, observations in self._window_observations(window).items():
            for sink in self._sinks[eni]:
                kept = [o for o in observations if not sink.accepted_only or o.action != "REJECT"]
                if not kept:
                    continue
                events = sorted(((o.start * 1000, sink.render(o)) for o in kept), key=itemgetter(0))
                yield _Batch(
                    sink.group, sink.stream, window_end + self._delay(sink, eni, window), events
                )

    def _delay(self, sink: _Sink, eni: int, window: int) -> float:
        low, high = (
            _LATE_DELAY
            if _unit(self.seed, _SALT_LATE, sink.flow_log, eni, window) < _LATE_SHARE
            else _ON_TIME_DELAY
        )
        return low + (high - low) * _unit(self.seed, _SALT_DELAY, sink.flow_log, eni, window)

    def _window_observations(self, window: int) -> dict[int, list[_Observation]]:
        """Per ENI index, what it recorded in this window, NODATA and SKIPDATA included."""
        by_eni: dict[int, list[_Observation]] = defaultdict(list)
        for origin in range(window - _MAX_SPAN + 1, window + 1):
            for observation in self._flows(origin).get(window, ()):
                by_eni[observation.eni].append(observation)
        start = window * WINDOW_SECONDS
        for eni in range(len(self._enis)):
            if not self._joined(eni, window):
                continue
            if not by_eni.get(eni):  # idle, or nobody happened to call
                by_eni[eni] = [_Observation(eni, window, start, start + 58, "NODATA")]
            elif _unit(self.seed, _SALT_SKIP, eni, window) < _SKIP_SHARE:
                skipped = _Observation(eni, window, start, start + 59, "SKIPDATA")
                by_eni[eni] = [*by_eni[eni][::2], skipped]
        return by_eni

    def _joined(self, eni: int, window: int) -> bool:
        joins_at = self._enis[eni].joins_at
        return joins_at is None or window * WINDOW_SECONDS >= joins_at

    def _idle(self, eni: int, window: int) -> bool:
        return _unit(self.seed, _SALT_IDLE, eni, window) < _IDLE_SHARE

    def _available(self, eni: int, window: int) -> bool:
        """Whether the ENI carries traffic in the window (it has joined and is not idle)."""
        cached = self._availability_cache.get(window)
        if cached is None:
            cached = self._availability_cache[window] = tuple(
                self._joined(e, window) and not self._idle(e, window)
                for e in range(len(self._enis))
            )
        return cached[eni]

    def _flows(self, window: int) -> dict[int, list[_Observation]]:
        """Observations of the connections that start in `window`, by the window they fall in."""
        cached = self._flow_cache.get(window)
        if cached is not None:
            return cached
        rng = random.Random(_key(self.seed, _SALT_WINDOW, window))
        wave = 1.0 + 0.3 * math.sin(2 * math.pi * window / 180)  # a three-hour swell
        target = self.rate * WINDOW_SECONDS * wave * rng.uniform(0.9, 1.1)
        observed: dict[int, list[_Observation]] = defaultdict(list)
        records = 0.0
        for _ in range(int(4 * target) + 20):
            if records >= target:
                break
            (scenario,) = rng.choices(self._scenarios, cum_weights=self._scenario_weights)
            connection = scenario(self._cast, rng)
            if connection is None or not self._fits(connection, window):
                continue
            for observation in self._observe(connection, window, rng):
                observed[observation.window].append(observation)
                records += self._weights[observation.eni]
        self._flow_cache[window] = observed
        return observed

    def _fits(self, connection: _Connection, window: int) -> bool:
        """Shorten the connection to the windows where all its ENIs carry traffic."""
        enis = connection.enis()
        span = 0
        while span < connection.span and all(self._available(e, window + span) for e in enis):
            span += 1
        connection.span = span
        return span > 0

    def _observe(
        self, connection: _Connection, window: int, rng: random.Random
    ) -> Iterator[_Observation]:
        offset = rng.randint(0, 50)
        tcp = connection.protocol == 6
        for piece in range(connection.span):
            window_start = (window + piece) * WINDOW_SECONDS
            start = window_start + (offset if piece == 0 else rng.randint(0, 2))
            if piece == connection.span - 1:
                end = min(start + rng.randint(0, 20), window_start + WINDOW_SECONDS - 1)
            else:  # the connection goes on: its last packet here is near the window's end
                end = window_start + rng.randint(55, WINDOW_SECONDS - 1)
            forward_flags, backward_flags = _tcp_flags(connection.span, piece) if tcp else (0, 0)
            if tcp and not connection.backward:
                forward_flags = 2  # a SYN that got no answer
            for legs, volume, flags in (
                (connection.forward, connection.forward_volume, forward_flags),
                (connection.backward, connection.backward_volume, backward_flags),
            ):
                if not legs:
                    continue
                packets = rng.randint(*volume.packets)
                size = packets * rng.randint(*volume.packet_bytes)
                for leg in legs:
                    observation = _observation(leg, window + piece, start, end)
                    observation.protocol = connection.protocol
                    observation.packets = packets
                    observation.bytes = size
                    observation.tcp_flags = flags
                    yield observation


def _drop_before(cache: dict[int, _T], window: int) -> None:
    for stale in [w for w in cache if w < window]:
        del cache[stale]


def _observation(leg: _Leg, window: int, start: int, end: int) -> _Observation:
    """What the leg's ENI records; the caller adds protocol, volume and flags."""
    observation = _Observation(leg.eni, window, start, end)
    observation.srcaddr = leg.src
    observation.dstaddr = leg.dst
    observation.srcport = leg.sport
    observation.dstport = leg.dport
    observation.action = leg.action
    observation.type = "IPv6" if ":" in leg.src else "IPv4"
    observation.pkt_srcaddr = leg.pkt_src or leg.src
    observation.pkt_dstaddr = leg.pkt_dst or leg.dst
    observation.pkt_src_aws_service = leg.src_service
    observation.pkt_dst_aws_service = leg.dst_service
    observation.flow_direction = "egress" if leg.egress else "ingress"
    observation.traffic_path = leg.path if leg.egress else "-"
    observation.reject_reason = leg.reason
    return observation


# --- addresses ---------------------------------------------------------------------------------


class _AddressPools:
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


class _Cast:
    """Who can take part in a scenario: the account's ENIs by role, and the outside world."""

    def __init__(self, enis: tuple[DemoEni, ...], pools: _AddressPools) -> None:
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

_HTTP_REQUEST = _Volume((4, 40), (60, 400))
_HTTP_RESPONSE = _Volume((6, 120), (400, 1400))
_QUERY = _Volume((1, 2), (60, 90))
_ANSWER = _Volume((1, 2), (90, 480))
_SESSION_IN = _Volume((10, 400), (60, 160))
_SESSION_OUT = _Volume((10, 600), (80, 1200))
_PROBE = _Volume((1, 3), (40, 60))
_PING = _Volume((1, 5), (84, 84))


def _web_direct(c: _Cast, rng: random.Random) -> _Connection:
    """A client on the internet asks a web server over HTTPS or HTTP: accepted."""
    server = c.pick(rng, EniRole.WEB)
    ipv6 = rng.random() < 0.12 and c.has_ipv6(server)
    client = rng.choice(c.pools.clients_v6 if ipv6 else c.pools.clients)
    here = c.address(server, ipv6)
    port, client_port = (443 if rng.random() < 0.85 else 80), _internet_port(rng)
    return _Connection(
        6,
        [_Leg(server, client, here, client_port, port, egress=False)],
        [_Leg(server, here, client, port, client_port, egress=True, path="8")],
        _HTTP_REQUEST,
        _HTTP_RESPONSE,
        span=rng.choice((1, 1, 1, 2, 3)),
    )


def _through_load_balancer(c: _Cast, rng: random.Random) -> _Connection:
    """Client -> load balancer :443 -> web server :80, and the responses back."""
    balancer, server = c.pick(rng, EniRole.LOAD_BALANCER), c.pick(rng, EniRole.WEB)
    ipv6 = rng.random() < 0.1 and c.has_ipv6(balancer)
    client = rng.choice(c.pools.clients_v6 if ipv6 else c.pools.clients)
    front, back, web = c.address(balancer, ipv6), c.address(balancer), c.address(server)
    client_port, balancer_port = _internet_port(rng), _ephemeral(rng)
    # Both TCP connections in one: they open and close together.
    return _Connection(
        6,
        [
            _Leg(balancer, client, front, client_port, 443, egress=False),
            _Leg(balancer, back, web, balancer_port, 80, egress=True, path="1"),
            _Leg(server, back, web, balancer_port, 80, egress=False),
        ],
        [
            _Leg(server, web, back, 80, balancer_port, egress=True, path="1"),
            _Leg(balancer, web, back, 80, balancer_port, egress=False),
            _Leg(balancer, front, client, 443, client_port, egress=True, path="2"),
        ],
        _HTTP_REQUEST,
        _HTTP_RESPONSE,
        span=rng.choice((1, 1, 2)),
    )


def _inside_vpc(c: _Cast, client: int, server: int, port: int, client_port: int) -> _Connection:
    """A connection between two ENIs of the VPC: each sees both directions."""
    here, there = c.address(client), c.address(server)
    forward = [
        _Leg(client, here, there, client_port, port, egress=True, path="1"),
        _Leg(server, here, there, client_port, port, egress=False),
    ]
    backward = [
        _Leg(server, there, here, port, client_port, egress=True, path="1"),
        _Leg(client, there, here, port, client_port, egress=False),
    ]
    return _Connection(6, forward, backward)


def _database(c: _Cast, rng: random.Random) -> _Connection:
    """A web server queries PostgreSQL: the db group allows 5432 from the web group."""
    client, server = c.pick(rng, EniRole.WEB), c.pick(rng, EniRole.DATABASE)
    connection = _inside_vpc(c, client, server, 5432, _ephemeral(rng))
    connection.forward_volume, connection.backward_volume = _SESSION_IN, _SESSION_OUT
    connection.span = rng.choice((1, 2, 3))
    return connection


def _dns_query(c: _Cast, rng: random.Random) -> _Connection:
    """A host asks the custom DNS server (never the Amazon resolver: flow logs skip that)."""
    client = c.pick(rng, EniRole.WEB, EniRole.BASTION, EniRole.DATABASE)
    connection = _inside_vpc(c, client, c.pick(rng, EniRole.DNS), 53, _ephemeral(rng))
    connection.protocol = 17 if rng.random() < 0.92 else 6
    connection.forward_volume, connection.backward_volume = _QUERY, _ANSWER
    return connection


def _ssh_from_bastion(c: _Cast, rng: random.Random) -> _Connection:
    """The bastion jumps to a private host: their groups allow SSH from the bastion group."""
    bastion, target = c.pick(rng, EniRole.BASTION), c.pick(rng, EniRole.DATABASE, EniRole.DNS)
    connection = _inside_vpc(c, bastion, target, 22, _ephemeral(rng))
    connection.forward_volume, connection.backward_volume = _SESSION_IN, _SESSION_OUT
    connection.span = rng.choice((1, 2, 3))
    return connection


def _database_from_bastion(c: _Cast, rng: random.Random) -> _Connection:
    """The bastion tries PostgreSQL directly: the db group allows 5432 only from web."""
    bastion, database = c.pick(rng, EniRole.BASTION), c.pick(rng, EniRole.DATABASE)
    sent, arrived = _inside_vpc(c, bastion, database, 5432, _ephemeral(rng)).forward
    refused = _Leg(
        arrived.eni, arrived.src, arrived.dst, arrived.sport, arrived.dport, egress=False,
        action="REJECT",
    )  # fmt: skip
    return _Connection(6, [sent, refused], forward_volume=_PROBE)


def _through_nat(c: _Cast, rng: random.Random, *, dns_upstream: bool) -> _Connection:
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
        _Leg(inside, host, remote, host_port, port, egress=True, path="1", dst_service=service),
        _Leg(nat, host, gateway, host_port, port, egress=False, pkt_dst=remote,
             dst_service=service),
        _Leg(nat, gateway, remote, nat_port, port, egress=True, path="2", dst_service=service),
    ]  # fmt: skip
    backward = [
        _Leg(nat, remote, gateway, port, nat_port, egress=False, src_service=service),
        _Leg(nat, gateway, host, port, host_port, egress=True, path="1", pkt_src=remote,
             src_service=service),
        _Leg(inside, remote, host, port, host_port, egress=False, src_service=service),
    ]  # fmt: skip
    if protocol == 17:
        return _Connection(protocol, forward, backward, _QUERY, _ANSWER)
    return _Connection(
        protocol, forward, backward, _HTTP_REQUEST, _HTTP_RESPONSE, span=rng.choice((1, 1, 2))
    )


def _ssh_from_office(c: _Cast, rng: random.Random) -> _Connection:
    """An admin at the office (198.51.100.0/24) logs in to the bastion: allowed."""
    bastion = c.pick(rng, EniRole.BASTION)
    admin, here, port = rng.choice(c.pools.office), c.address(bastion), _internet_port(rng)
    return _Connection(
        6,
        [_Leg(bastion, admin, here, port, 22, egress=False)],
        [_Leg(bastion, here, admin, 22, port, egress=True, path="8")],
        _SESSION_IN,
        _SESSION_OUT,
        span=rng.choice((1, 2, 3)),
    )


def _scan(c: _Cast, rng: random.Random) -> _Connection:
    """Internet scanners knock on SSH, RDP and friends: no security group allows them."""
    target = c.pick(rng, EniRole.WEB, EniRole.BASTION, EniRole.LOAD_BALANCER)
    ipv6 = rng.random() < 0.1 and c.has_ipv6(target)
    scanner = rng.choice(c.pools.clients_v6 if ipv6 else c.pools.scanners)
    leg = _Leg(
        target, scanner, c.address(target, ipv6), _internet_port(rng), rng.choice(_SCAN_PORTS),
        egress=False, action="REJECT",
    )  # fmt: skip
    return _Connection(6, [leg], forward_volume=_PROBE)


def _denied_range(c: _Cast, rng: random.Random) -> _Connection:
    """203.0.113.0/24 is denied by the public ACL at rule 50, whatever the port."""
    target = c.pick(rng, EniRole.WEB, EniRole.BASTION, EniRole.LOAD_BALANCER)
    source, port = rng.choice(c.pools.denied), rng.choice((443, 443, 80, 22))
    leg = _Leg(
        target, source, c.address(target), _internet_port(rng), port, egress=False,
        action="REJECT",
    )  # fmt: skip
    return _Connection(6, [leg], forward_volume=_PROBE)


def _ping_private_host(c: _Cast, rng: random.Random) -> _Connection:
    """The AWS ICMP example: the group lets the bastion's ping in; the private ACL has no
    outbound ICMP rule, so the reply is rejected at the pinged host."""
    bastion, target = c.pick(rng, EniRole.BASTION), c.pick(rng, EniRole.DATABASE, EniRole.DNS)
    here, there = c.address(bastion), c.address(target)
    return _Connection(
        1,
        [
            _Leg(bastion, here, there, 0, 0, egress=True, path="1"),
            _Leg(target, here, there, 0, 0, egress=False),
        ],
        [_Leg(target, there, here, 0, 0, egress=True, path="1", action="REJECT")],
        _PING,
        _PING,
    )


def _ping_web_server(c: _Cast, rng: random.Random) -> _Connection:
    """Someone pings a web server: the web group has no ICMP rule, one REJECT record."""
    server = c.pick(rng, EniRole.WEB)
    leg = _Leg(
        server, rng.choice(c.pools.clients), c.address(server), 0, 0, egress=False,
        action="REJECT",
    )  # fmt: skip
    return _Connection(1, [leg], forward_volume=_PING)


def _blocked_ipv6_egress(c: _Cast, rng: random.Random) -> _Connection | None:
    """The database tries the IPv6 internet; VPC Block Public Access rejects it (reason BPA)."""
    database = c.pick(rng, EniRole.DATABASE)
    if not c.has_ipv6(database):
        return None
    leg = _Leg(
        database, c.address(database, ipv6=True), rng.choice(_IPV6_EGRESS), _ephemeral(rng), 443,
        egress=True, action="REJECT", reason="BPA",
    )  # fmt: skip
    return _Connection(6, [leg], forward_volume=_PROBE)


_Scenario = Callable[[_Cast, random.Random], "_Connection | None"]

_SCENARIOS: tuple[tuple[_Scenario, float], ...] = (
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


# --- shipping to CloudWatch Logs ---------------------------------------------------------------


def _event_cost(message: str) -> int:
    return len(message.encode()) + EVENT_OVERHEAD_BYTES


def plan_batches(events: Iterable[Event], now_ms: int) -> list[list[Event]]:
    """Split one stream's events into PutLogEvents batches AWS accepts.

    Each batch is chronological, holds at most 10,000 events and 1 MB (message bytes + 26 per
    event), and spans at most 24 hours. Events AWS would reject (older than 14 days, more
    than 2 hours ahead of `now_ms`, or larger than a batch) are left out.
    """
    accepted = sorted(
        (
            event
            for event in events
            if now_ms - MAX_EVENT_AGE_MS <= event[0] <= now_ms + MAX_EVENT_LEAD_MS
            and _event_cost(event[1]) <= MAX_BATCH_BYTES
        ),
        key=itemgetter(0),
    )
    batches: list[list[Event]] = []
    current: list[Event] = []
    size = 0
    for event in accepted:
        cost = _event_cost(event[1])
        if current and (
            len(current) == MAX_BATCH_EVENTS
            or size + cost > MAX_BATCH_BYTES
            or event[0] - current[0][0] > MAX_BATCH_SPAN_MS
        ):
            batches.append(current)
            current, size = [], 0
        current.append(event)
        size += cost
    if current:
        batches.append(current)
    return batches


class _Shipper:
    """Puts events into streams, creating each stream the first time it is seen."""

    def __init__(self, client: CloudWatchLogsClient, now: Callable[[], float]) -> None:
        self._client = client
        self._now = now
        self._known: set[tuple[str, str]] = set()

    def ship(self, group: str, streams: Mapping[str, list[Event]]) -> int:
        shipped = 0
        now_ms = int(self._now() * 1000)
        for stream, events in streams.items():
            self._ensure_stream(group, stream)
            for batch in plan_batches(events, now_ms):
                self._client.put_log_events(
                    logGroupName=group,
                    logStreamName=stream,
                    logEvents=[{"timestamp": ts, "message": message} for ts, message in batch],
                )
                shipped += len(batch)
        return shipped

    def _ensure_stream(self, group: str, stream: str) -> None:
        if (group, stream) in self._known:
            return
        with contextlib.suppress(self._client.exceptions.ResourceAlreadyExistsException):
            self._client.create_log_stream(logGroupName=group, logStreamName=stream)
        self._known.add((group, stream))


_BACKFILL_CHUNK_SECONDS = 600.0


def backfill(
    client: CloudWatchLogsClient, generator: TrafficGenerator, hours: float = 2.0
) -> float:
    """Write the last `hours` of history; returns the time written up to (the writer's start)."""
    until = generator.now()
    shipper = _Shipper(client, generator.now)
    chunk_start = until - hours * 3600
    while chunk_start < until:
        chunk_end = min(chunk_start + _BACKFILL_CHUNK_SECONDS, until)
        for group in generator.account.group_names:
            shipper.ship(group, generator.records_between(chunk_start, chunk_end, group))
        chunk_start = chunk_end
    return until


class TrafficWriter(threading.Thread):
    """Writes the generator's records to the endpoint as they become due, until stopped.

    A failed write (the endpoint went away, a throttle) is kept in `last_error` and retried on
    the next tick; it never ends the thread.
    """

    def __init__(
        self,
        client: CloudWatchLogsClient,
        generator: TrafficGenerator,
        since: float,
        *,
        interval: float = 1.0,
    ) -> None:
        super().__init__(name="flowtui-demo-traffic", daemon=True)
        self._generator = generator
        self._shipper = _Shipper(client, generator.now)
        self._cursor = since
        self._interval = interval
        self._stopping = threading.Event()
        self.events_written = 0
        self.last_error: str | None = None

    def write_due(self) -> int:
        """Write everything delivered since the last call; returns the number of events."""
        until = self._generator.now()
        written = 0
        for group in self._generator.account.group_names:
            written += self._shipper.ship(
                group, self._generator.records_between(self._cursor, until, group)
            )
        self._cursor = until
        self.events_written += written
        return written

    def run(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        while not self._stopping.wait(self._interval):
            try:
                self.write_due()
                self.last_error = None
            except (BotoCoreError, ClientError) as error:
                self.last_error = str(error)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)


# --- fast single-format lines ------------------------------------------------------------------

_POOL_SIZE = 8_192
_POOL_RATE = 60.0
_CHUNK = 65_536


def generate_lines(
    fmt: LogFormat, count: int, seed: int, start: int, *, per_second: int = 200
) -> Iterator[str]:
    """`count` realistic records in one format, `per_second` of them per second from `start`.

    Records are drawn from a pool of the demo account's traffic rendered once in `fmt`, so a
    million lines take about half a second.
    """
    if per_second < 1:
        raise ValueError(f"per_second must be at least 1, got {per_second}")
    templates = _line_templates(fmt, seed)
    timestamps = _timestamp_arguments(fmt)
    start_then_end = [name for name in fmt.fields if name in ("start", "end")] == ["start", "end"]
    rng = random.Random(seed)
    for chunk_start in range(0, count, _CHUNK):
        picks = rng.choices(templates, k=min(_CHUNK, count - chunk_start))
        if start_then_end:  # the common case, inlined: the call per line would double the cost
            for index, (template, duration) in enumerate(picks, chunk_start):
                first = start + index // per_second
                yield template % (first, first + duration)
        else:
            for index, (template, duration) in enumerate(picks, chunk_start):
                yield template % timestamps(start + index // per_second, duration)


def _line_templates(fmt: LogFormat, seed: int) -> list[tuple[str, int]]:
    account = synthetic_account(seed=seed)
    generator = TrafficGenerator(account, seed=seed, rate=_POOL_RATE)
    renderers = [
        _Renderer(fmt, _eni_constants(account, eni), time_placeholders=True) for eni in account.enis
    ]
    templates: list[tuple[str, int]] = []
    window = 1_000_000
    while len(templates) < _POOL_SIZE:
        for eni, observations in generator._window_observations(window).items():
            templates += [(renderers[eni](o), o.end - o.start) for o in observations]
        window += 1
    return templates


def _timestamp_arguments(fmt: LogFormat) -> Callable[[int, int], tuple[int, ...]]:
    """The values for a template's `%d` slots, in the order `start` and `end` appear in fmt."""
    order = [name for name in fmt.fields if name in ("start", "end")]
    if order == ["start", "end"]:
        return lambda start, duration: (start, start + duration)
    if order == ["end", "start"]:
        return lambda start, duration: (start + duration, start)
    if order == ["start"]:
        return lambda start, duration: (start,)
    if order == ["end"]:
        return lambda start, duration: (start + duration,)
    return lambda start, duration: ()
