"""Deterministic flow-log traffic for the demo account: what each window records, and when.

Time is cut into 60-second aggregation windows. Each window's connections come from a random
generator seeded with (seed, window), so any interval can be produced again, in any order, with
the same result. A connection (drawn from `flowtui.demo.scenarios`) is seen at every ENI it
crosses (client, load balancer, NAT gateway, server), in each direction. Each observation
becomes one record per flow log covering its ENI, rendered in that flow log's format
(`flowtui.demo.records`), in the stream `<eni-id>-all` of that flow log's group; two flow logs
writing to one group share the stream. Some ENI-windows are idle (NODATA) or lose records
(SKIPDATA).

Records are delivered per (flow log, ENI, window) batch: 90% of batches arrive within 15 s of
the window's end, 10% arrive 1 to 14 minutes after their timestamps, as CloudWatch receives
flow logs in practice. The CloudWatch event timestamp is the record's `start` in milliseconds.
`flowtui.demo.writer` puts the delivered records to the endpoint.

`generate_lines` renders the same traffic fast in a single format, for benchmarks.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from itertools import accumulate
from operator import itemgetter
from typing import TypeVar

from flowtui.core.formats import LogFormat
from flowtui.demo.account import DemoAccount, synthetic_account
from flowtui.demo.flow_logs import DemoFlowLog
from flowtui.demo.records import Observation, Renderer, eni_constants
from flowtui.demo.scenarios import (
    SCENARIOS,
    AddressPools,
    Cast,
    Connection,
    Leg,
    staging_egress,
)
from flowtui.demo.vpc import DemoEni

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


# --- windows: tcp flags, stable draws, deliveries ----------------------------------------------


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
_SALT_STAGING = 7


@dataclass(frozen=True, slots=True)
class _Sink:
    """Where one ENI's records go for one flow log."""

    group: str
    stream: str
    #: The flow log's salt: its position among the flow logs the generator has seen.
    flow_log: int
    accepted_only: bool
    render: Renderer
    #: It records windows starting at or after this time (None: all).
    since: float | None = None


@dataclass(frozen=True, slots=True)
class _Batch:
    group: str
    stream: str
    delivered_at: float
    events: list[Event]


# --- the generator -----------------------------------------------------------------------------


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
        self._cast = Cast(account.enis, AddressPools(random.Random(_key(seed, _SALT_POOLS))))
        # Stable per flow log, so following a creation or deletion moves no other delivery.
        self._salts = {flow_log.id: i for i, flow_log in enumerate(account.flow_logs)}
        self._sinks = [self._sinks_of(eni) for eni in self._enis]
        self._weights = [max(1, len(sinks)) for sinks in self._sinks]
        self._flow_cache: dict[int, dict[int, list[Observation]]] = {}
        self._batch_cache: dict[int, list[_Batch]] = {}
        self._availability_cache: dict[int, tuple[bool, ...]] = {}
        self._scenarios = [scenario for scenario, _ in SCENARIOS]
        self._scenario_weights = list(accumulate(weight for _, weight in SCENARIOS))

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

    def set_flow_logs(
        self, flow_logs: tuple[DemoFlowLog, ...], group_names: tuple[str, ...]
    ) -> None:
        """Follow flow logs created or deleted while the demo runs (`flowtui.demo.follow`).

        The traffic itself does not change; what is recorded, and where, does.
        """
        self.account = replace(self.account, flow_logs=flow_logs, group_names=group_names)
        self._sinks = [self._sinks_of(eni) for eni in self._enis]
        self._batch_cache.clear()

    # -- windows

    def _sinks_of(self, eni: DemoEni) -> list[_Sink]:
        constants = eni_constants(self.account, eni)
        return [
            _Sink(
                group=flow_log.group,
                stream=f"{eni.id}-all",
                flow_log=self._salts.setdefault(flow_log.id, len(self._salts)),
                accepted_only=flow_log.traffic_type == "ACCEPT",
                render=Renderer(flow_log.log_format, constants),
                since=flow_log.since,
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
                if sink.since is not None and window * WINDOW_SECONDS < sink.since:
                    continue
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

    def _window_observations(self, window: int) -> dict[int, list[Observation]]:
        """Per ENI index, what it recorded in this window, NODATA and SKIPDATA included."""
        by_eni: dict[int, list[Observation]] = defaultdict(list)
        for origin in range(window - _MAX_SPAN + 1, window + 1):
            for observation in self._flows(origin).get(window, ()):
                by_eni[observation.eni].append(observation)
        start = window * WINDOW_SECONDS
        for eni in range(len(self._enis)):
            if not self._joined(eni, window):
                continue
            if not by_eni.get(eni):  # idle, or nobody happened to call
                by_eni[eni] = [Observation(eni, window, start, start + 58, "NODATA")]
            elif _unit(self.seed, _SALT_SKIP, eni, window) < _SKIP_SHARE:
                skipped = Observation(eni, window, start, start + 59, "SKIPDATA")
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

    def _flows(self, window: int) -> dict[int, list[Observation]]:
        """Observations of the connections that start in `window`, by the window they fall in."""
        cached = self._flow_cache.get(window)
        if cached is not None:
            return cached
        rng = random.Random(_key(self.seed, _SALT_WINDOW, window))
        wave = 1.0 + 0.3 * math.sin(2 * math.pi * window / 180)  # a three-hour swell
        target = self.rate * WINDOW_SECONDS * wave * rng.uniform(0.9, 1.1)
        observed: dict[int, list[Observation]] = defaultdict(list)
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
        # The staging host's own few connections, from their own generator.
        staging = random.Random(_key(self.seed, _SALT_STAGING, window))
        for _ in range(staging.randint(1, 4)):
            connection = staging_egress(self._cast, staging)
            if connection is None or not self._fits(connection, window):
                continue
            for observation in self._observe(connection, window, staging):
                observed[observation.window].append(observation)
        self._flow_cache[window] = observed
        return observed

    def _fits(self, connection: Connection, window: int) -> bool:
        """Shorten the connection to the windows where all its ENIs carry traffic."""
        enis = connection.enis()
        span = 0
        while span < connection.span and all(self._available(e, window + span) for e in enis):
            span += 1
        connection.span = span
        return span > 0

    def _observe(
        self, connection: Connection, window: int, rng: random.Random
    ) -> Iterator[Observation]:
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


def _observation(leg: Leg, window: int, start: int, end: int) -> Observation:
    """What the leg's ENI records; the caller adds protocol, volume and flags."""
    observation = Observation(leg.eni, window, start, end)
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
        Renderer(fmt, eni_constants(account, eni), time_placeholders=True) for eni in account.enis
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
