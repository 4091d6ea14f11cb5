"""LiveFeed: a fetch fills the store, follow adds new events once, close stops everything."""

from __future__ import annotations

import time

from flowtui.core.formats import DEFAULT_FORMAT
from flowtui.core.query import Query, TimeRange
from flowtui.core.store import RecordStore
from flowtui.demo.faults import spread_events
from flowtui.sources.aws import AwsConnection
from flowtui.sources.feeds import FeedState, LiveFeed
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


def test_an_unknown_group_is_reported_not_raised(conn: AwsConnection) -> None:
    errors: list[str] = []
    feed = make_feed(conn, RecordStore(), [], errors)
    feed.load(Query("/no/such/group", TimeRange.last(3600)), clear=False)
    assert feed.wait_for_fetch(30)
    feed.close()
    assert len(errors) == 1 and "/no/such/group" in errors[0]
