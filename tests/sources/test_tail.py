"""The live tail: every record that arrives within the lookback is delivered exactly once."""

from __future__ import annotations

import random
from collections import Counter

from flowtui.core.events import EventBatch
from flowtui.core.query import Query
from flowtui.demo.faults import Event, FaultInjector, ManualClock, eni_id, flow_line, stream_of
from flowtui.sources.aws import AwsConnection
from flowtui.sources.ratelimit import LimiterState, RateLimiter
from flowtui.sources.tail import PollKind, SeenEvents, Tailer

from .conftest import FlowLogWriter, delivered

STEP_S = 10


def _late_traffic(
    rng: random.Random,
    now_ms: int,
    streams: list[int],
    count: int,
    *,
    sequence: int,
    max_late_ms: int = 840_000,
) -> list[Event]:
    """`count` records: three quarters on time, a quarter 1 to 14 minutes late, any stream."""
    events = []
    for offset in range(count):
        number = rng.choice(streams)
        late = rng.random() < 0.25
        delay_ms = rng.randrange(60_000, max_late_ms + 1) if late else rng.randrange(0, 5_000)
        timestamp = now_ms - delay_ms
        line = flow_line(rng, eni_id(number), sequence + offset, timestamp)
        events.append((stream_of(number), timestamp, line))
    return events


def test_tail_delivers_late_out_of_order_records_exactly_once_through_throttling_and_an_outage(
    conn: AwsConnection, faults: FaultInjector, clock: ManualClock
) -> None:
    limiter = RateLimiter(
        calls_per_s=50, clock=clock, rng=random.Random(3), give_up_unreachable_after_s=3
    )
    states: list[LimiterState] = []
    limiter.add_listener(states.append)
    faults.clock = clock
    faults.throttle("FilterLogEvents", every=3)
    faults.cap_pages(16_384)  # ~120 records a page, so sweeps page
    writer = FlowLogWriter(conn, "/vpc/tail").create_group()
    batches: list[EventBatch] = []
    tail = Tailer(conn, limiter, Query("/vpc/tail"), batches.append, clock)
    rng = random.Random(11)
    streams = list(range(6))
    sequence = 0

    for step in range(120):  # 20 simulated minutes of writes
        clock.advance(STEP_S)
        if step in (40, 80):  # new ENIs appear mid-way
            streams += [len(streams), len(streams) + 1]
        events = _late_traffic(rng, clock.now_ms(), streams, 10, sequence=sequence)
        sequence += len(events)
        writer.put(events)
        if step == 60:
            faults.outage(8)  # longer than the limiter's 3 s patience: one poll fails
        tail.poll_once()
    for _ in range(15):  # no more writes: the last late records arrive through sweeps
        clock.advance(STEP_S)
        tail.poll_once()

    got = delivered(batches)
    assert len(got) == len(set(got)), "a record was delivered twice"
    assert Counter(got) == Counter(writer.written), "a record was lost"
    assert faults.faults["FilterLogEvents:throttle"] > 10
    assert faults.faults["FilterLogEvents:reset"] > 0
    assert tail.stats.failures >= 1
    assert any(s.reconnecting for s in states) and any(s.throttled for s in states)
    assert not limiter.state.reconnecting and not limiter.state.throttled
    kinds = Counter(report.kind for report in tail.history)
    assert kinds[PollKind.SWEEP] >= 20 and kinds[PollKind.POLL] >= 90
    assert sum(report.calls for report in tail.history) == tail.stats.calls


def test_ids_older_than_the_next_sweep_are_forgotten(
    conn: AwsConnection, limiter: RateLimiter, clock: ManualClock
) -> None:
    writer = FlowLogWriter(conn, "g").create_group()
    tail = Tailer(conn, limiter, Query("g"), lambda batch: None, clock, lookback_s=300)
    rng = random.Random(5)
    peak = 0
    for step in range(72):  # 12 minutes at 3 records/s (up to 4 minutes late), 2 ENIs
        clock.advance(STEP_S)
        if step < 60:
            writer.put(
                _late_traffic(
                    rng, clock.now_ms(), [0, 1], 30, sequence=step * 30, max_late_ms=240_000
                )
            )
        tail.poll_once()
        peak = max(peak, tail.stats.remembered)

    assert tail.stats.delivered == 1_800
    # lookback 300 s + margin 60 s + a sweep interval + a minute bucket = 480 s of records.
    assert peak <= 3 * 480


def test_events_already_fetched_are_not_delivered_again(
    conn: AwsConnection, limiter: RateLimiter, clock: ManualClock
) -> None:
    writer = FlowLogWriter(conn, "g").create_group()
    writer.put(_late_traffic(random.Random(1), clock.now_ms(), [0, 1, 2], 200, sequence=0))
    fetched: list[EventBatch] = []
    first = Tailer(conn, limiter, Query("g"), fetched.append, clock)
    first.poll_once()

    again: list[EventBatch] = []
    tail = Tailer(conn, limiter, Query("g"), again.append, clock)
    for batch in fetched:
        tail.mark_seen(batch)
    clock.advance(STEP_S)
    writer.put(_late_traffic(random.Random(2), clock.now_ms(), [0, 1, 2], 20, sequence=200))
    tail.poll_once()

    assert Counter(delivered(fetched) + delivered(again)) == Counter(writer.written)


def test_sweeps_stretch_to_keep_within_the_call_budget(
    conn: AwsConnection, limiter: RateLimiter, faults: FaultInjector, clock: ManualClock
) -> None:
    writer = FlowLogWriter(conn, "g").create_group()
    writer.put(_late_traffic(random.Random(1), clock.now_ms(), [0, 1, 2], 600, sequence=0))
    faults.cap_pages(2_048)  # ~15 records a page: a sweep takes ~40 calls
    tail = Tailer(conn, limiter, Query("g"), lambda batch: None, clock, call_budget_per_s=0.5)

    for _ in range(60):  # 10 simulated minutes
        tail.poll_once()
        clock.advance(STEP_S)

    # Unstretched, 10 sweeps of ~40 calls would be 0.67 calls/s on their own.
    assert tail.calls_per_s() <= 0.5
    assert 4 <= tail.stats.sweeps < 10
    assert tail.stats.delivered == 600


def test_selected_streams_only_deliver_their_records(
    conn: AwsConnection, limiter: RateLimiter, clock: ManualClock
) -> None:
    writer = FlowLogWriter(conn, "g").create_group()
    writer.put(_late_traffic(random.Random(4), clock.now_ms(), [0, 1, 2, 3], 400, sequence=0))
    batches: list[EventBatch] = []
    tail = Tailer(
        conn, limiter, Query("g", streams=(stream_of(1), stream_of(3))), batches.append, clock
    )

    tail.poll_once()

    wanted = [e for e in writer.written if e[0] in (stream_of(1), stream_of(3))]
    assert Counter(delivered(batches)) == Counter(wanted)


def test_following_from_a_start_never_replays_what_came_before_it(
    conn: AwsConnection, limiter: RateLimiter, clock: ManualClock
) -> None:
    writer = FlowLogWriter(conn, "g").create_group()
    rng = random.Random(6)
    # 15 minutes of history, then `query --since 1m --follow` starts its range a minute ago.
    writer.put(_late_traffic(rng, clock.now_ms(), [0, 1], 300, sequence=0))
    floor = clock.now_ms() - 60_000
    before = [event for event in writer.written if event[1] < floor]
    assert before, "the history must reach before the followed range"
    batches: list[EventBatch] = []
    tail = Tailer(conn, limiter, Query("g"), batches.append, clock, not_before_ms=floor)
    for step in range(30):  # 5 minutes of arrivals, up to 3 minutes late
        clock.advance(STEP_S)
        writer.put(
            _late_traffic(
                rng, clock.now_ms(), [0, 1], 5, sequence=300 + 5 * step, max_late_ms=180_000
            )
        )
        tail.poll_once()
    for _ in range(12):  # the last late arrivals come in through sweeps
        clock.advance(STEP_S)
        tail.poll_once()

    got = delivered(batches)
    wanted = [event for event in writer.written if event[1] >= floor]
    assert Counter(got) == Counter(wanted)
    assert not set(got) & set(before)
    assert tail.history[0].window_start_ms == floor


def test_seen_events_report_repeats_and_forget_whole_minutes() -> None:
    seen = SeenEvents()
    assert seen.add(60_000, 1) and seen.add(60_500, 2) and seen.add(125_000, 3)
    assert not seen.add(60_000, 1)
    seen.forget_before(120_000)
    assert len(seen) == 1
    assert seen.add(60_000, 1)  # forgotten: it would be new again (never asked for again)
