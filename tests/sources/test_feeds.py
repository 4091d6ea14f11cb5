"""LiveFeed: a fetch fills the store, follow adds new events once, close stops everything."""

from __future__ import annotations

import time

from flowtui.core.formats import DEFAULT_FORMAT
from flowtui.core.query import Query, TimeRange
from flowtui.core.store import RecordStore
from flowtui.demo.faults import spread_events
from flowtui.sources.aws import AwsConnection
from flowtui.sources.feeds import FeedState, LiveFeed, time_left
from flowtui.sources.fetch import FetchProgress
from flowtui.sources.ratelimit import RateLimiter
from tests.sources.conftest import FlowLogWriter


def make_feed(
    conn: AwsConnection, store: RecordStore, states: list[FeedState], errors: list[str]
) -> LiveFeed:
    limiter = RateLimiter(calls_per_s=100, context=conn.error_context)
    return LiveFeed(
        conn,
        limiter,
        store,
        [DEFAULT_FORMAT],
        on_state=states.append,
        on_error=errors.append,
    )


def test_load_fetches_the_range_into_the_store_and_reports_progress(
    conn: AwsConnection,
) -> None:
    now_ms = int(time.time() * 1000)
    writer = FlowLogWriter(conn, "/vpc/feed").create_group()
    writer.put(spread_events(enis=5, total=2_000, start_ms=now_ms - 1_800_000, end_ms=now_ms))
    store = RecordStore()
    states: list[FeedState] = []
    errors: list[str] = []
    feed = make_feed(conn, store, states, errors)
    feed.load(Query("/vpc/feed", TimeRange.last(3600)), clear=False)
    assert feed.wait_for_fetch(30)
    feed.close()
    assert errors == []
    snapshot = store.snapshot()
    assert snapshot.row_count == 2_000
    assert set(snapshot.frame()["_stream"].unique().to_list()) == {
        stream for stream, _, _ in writer.written
    }
    assert states[-1].fetching is False and states[-1].fetched == 2_000
    assert any(state.fetching for state in states)
    assert states[-1].calls > 0


def test_a_refetch_with_clear_replaces_the_rows(conn: AwsConnection) -> None:
    now_ms = int(time.time() * 1000)
    writer = FlowLogWriter(conn, "/vpc/refetch").create_group()
    writer.put(spread_events(enis=2, total=300, start_ms=now_ms - 600_000, end_ms=now_ms))
    store = RecordStore()
    feed = make_feed(conn, store, [], [])
    query = Query("/vpc/refetch", TimeRange.last(3600))
    feed.load(query, clear=False)
    assert feed.wait_for_fetch(30)
    feed.load(query, clear=True)
    assert feed.wait_for_fetch(30)
    feed.close()
    assert store.snapshot().row_count == 300


def test_follow_adds_new_events_once(conn: AwsConnection) -> None:
    now_ms = int(time.time() * 1000)
    writer = FlowLogWriter(conn, "/vpc/follow").create_group()
    writer.put(spread_events(enis=2, total=100, start_ms=now_ms - 300_000, end_ms=now_ms - 1000))
    store = RecordStore()
    feed = make_feed(conn, store, [], [])
    feed.load(Query("/vpc/follow", TimeRange.last(3600)), clear=False)
    assert feed.wait_for_fetch(30)
    feed.follow(True)
    later = spread_events(enis=2, total=50, start_ms=now_ms - 20_000, end_ms=now_ms, seed=9)
    writer.put(later)
    deadline = time.monotonic() + 30
    while store.row_count < 150 and time.monotonic() < deadline:
        time.sleep(0.2)
    feed.close()
    frame = store.snapshot().frame()
    assert frame.height == 150
    assert frame["_event_id"].n_unique() == 150


def test_follow_never_adds_records_from_before_the_loaded_range(conn: AwsConnection) -> None:
    now_ms = int(time.time() * 1000)
    writer = FlowLogWriter(conn, "/vpc/follow-range").create_group()
    # Ten minutes of history; the table loads only the last two.
    writer.put(spread_events(enis=2, total=200, start_ms=now_ms - 600_000, end_ms=now_ms - 1000))
    in_range = sum(1 for _, timestamp, _ in writer.written if timestamp >= now_ms - 120_000)
    store = RecordStore()
    feed = make_feed(conn, store, [], [])
    feed.load(Query("/vpc/follow-range", TimeRange.last(120)), clear=False)
    assert feed.wait_for_fetch(30)
    loaded = store.row_count
    assert loaded >= in_range  # the range's start is resolved when the fetch starts
    feed.follow(True)
    later = spread_events(enis=2, total=30, start_ms=now_ms - 10_000, end_ms=now_ms, seed=4)
    writer.put(later)
    deadline = time.monotonic() + 30
    while store.row_count < loaded + 30 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # the tail's first sweep (16 minutes back) has had its chance
    feed.close()
    frame = store.snapshot().frame()
    assert frame.height == loaded + 30
    assert frame["start"].min() >= (now_ms - 120_000) // 1000 - 1


def test_an_unknown_group_is_reported_not_raised(conn: AwsConnection) -> None:
    errors: list[str] = []
    feed = make_feed(conn, RecordStore(), [], errors)
    feed.load(Query("/no/such/group", TimeRange.last(3600)), clear=False)
    assert feed.wait_for_fetch(30)
    feed.close()
    assert len(errors) == 1 and "/no/such/group" in errors[0]


def test_a_refetch_that_fails_keeps_the_rows_loaded_before(conn: AwsConnection) -> None:
    now_ms = int(time.time() * 1000)
    writer = FlowLogWriter(conn, "/vpc/keep").create_group()
    writer.put(spread_events(enis=2, total=120, start_ms=now_ms - 600_000, end_ms=now_ms))
    store = RecordStore()
    errors: list[str] = []
    feed = make_feed(conn, store, [], errors)
    feed.load(Query("/vpc/keep", TimeRange.last(3600)), clear=False)
    assert feed.wait_for_fetch(30)
    feed.load(Query("/no/such/group", TimeRange.last(3600)), clear=True)
    assert feed.wait_for_fetch(30)
    feed.close()
    assert store.snapshot().row_count == 120
    assert len(errors) == 1 and "rows loaded before are kept" in errors[0]


def test_time_left_comes_from_the_estimate_else_from_the_share_of_the_range_fetched() -> None:
    progress = FetchProgress(events=20_000, pages=2, calls=2, rate=10_000.0, elapsed_s=2.0)
    assert time_left(progress, 0.5, expected_events=100_000) == 8.0
    assert time_left(progress, 0.25, expected_events=None) == 6.0
    assert time_left(progress, 0.0, expected_events=None) is None
