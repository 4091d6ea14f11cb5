"""Fetching a time range: every event exactly once, whatever the paging looks like."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from functools import partial
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from flowtui.core.events import EventBatch, event_id_hash
from flowtui.core.query import Query, TimeRange
from flowtui.demo.faults import Event, FaultInjector, spread_events, stream_of
from flowtui.sources.aws import (
    AccessDeniedError,
    AwsConnection,
    NotFoundError,
    ServiceUnavailableError,
)
from flowtui.sources.fetch import FetchMethod, FetchProgress, choose_method, fetch
from flowtui.sources.fetch_estimate import estimate_fetch
from flowtui.sources.fetch_slices import MAX_SLICES, plan_rest
from flowtui.sources.log_groups import StreamInfo
from flowtui.sources.ratelimit import RateLimiter

from .conftest import FlowLogWriter, delivered

HOUR_MS = 3_600_000


def _load(
    conn: AwsConnection, group: str, *, enis: int, total: int, now_ms: int, seed: int = 1
) -> list[Event]:
    writer = FlowLogWriter(conn, group).create_group()
    writer.put(
        spread_events(enis=enis, total=total, start_ms=now_ms - HOUR_MS, end_ms=now_ms, seed=seed)
    )
    return writer.written


def _fetch_all(
    conn: AwsConnection, limiter: RateLimiter, query: Query, now_ms: int, **kwargs: Any
) -> tuple[list[EventBatch], Any]:
    batches: list[EventBatch] = []
    result = fetch(conn, limiter, query, batches.append, now_ms=lambda: now_ms, **kwargs)
    return batches, result


@pytest.mark.parametrize("page_cap", [None, 1_048_576, 65_536], ids=["moto-pages", "1MB", "64KB"])
def test_fetch_returns_every_event_once_across_50_enis(
    conn: AwsConnection, limiter: RateLimiter, faults: FaultInjector, page_cap: int | None
) -> None:
    now_ms = int(time.time() * 1000)
    written = _load(conn, "/vpc/flows", enis=50, total=10_000, now_ms=now_ms)
    faults.cap_pages(page_cap)

    batches, result = _fetch_all(conn, limiter, Query("/vpc/flows", TimeRange.last(3600)), now_ms)

    assert Counter(delivered(batches)) == Counter(written)
    assert result.events == 10_000 and not result.cancelled
    assert result.method is FetchMethod.FILTER
    if page_cap == 65_536:
        assert result.pages > 15  # ~120-byte records: ~480 per 64 KB page


@pytest.mark.endpoint
@pytest.mark.parametrize("page_cap", [None, 1_048_576], ids=["moto-pages", "1MB"])
def test_fetch_100k_events_across_50_enis(
    conn: AwsConnection, limiter: RateLimiter, faults: FaultInjector, page_cap: int | None
) -> None:
    now_ms = int(time.time() * 1000)
    written = _load(conn, "/vpc/big", enis=50, total=100_000, now_ms=now_ms)
    faults.cap_pages(page_cap)

    batches, result = _fetch_all(conn, limiter, Query("/vpc/big", TimeRange.last(3600)), now_ms)

    assert Counter(delivered(batches)) == Counter(written)
    assert result.events == 100_000
    assert result.calls == faults.calls("FilterLogEvents")


def test_fetch_honours_the_time_range_boundaries(conn: AwsConnection, limiter: RateLimiter) -> None:
    now_ms = int(time.time() * 1000)
    written = _load(conn, "g", enis=3, total=600, now_ms=now_ms)
    start, end = now_ms - HOUR_MS // 2, now_ms - HOUR_MS // 4

    batches, _ = _fetch_all(conn, limiter, Query("g", TimeRange.between(start, end)), now_ms)

    expected = [e for e in written if start <= e[1] <= end]
    assert Counter(delivered(batches)) == Counter(expected)


def test_selecting_more_than_100_enis_splits_into_sweeps_without_duplicates(
    conn: AwsConnection, limiter: RateLimiter, faults: FaultInjector
) -> None:
    now_ms = int(time.time() * 1000)
    written = _load(conn, "g", enis=130, total=2_600, now_ms=now_ms)
    selected = tuple(stream_of(n) for n in range(5, 125))  # 120 streams, twice one of them
    query = Query("g", TimeRange.last(3600), streams=(*selected, selected[0]))

    batches, result = _fetch_all(conn, limiter, query, now_ms)

    assert Counter(delivered(batches)) == Counter(e for e in written if e[0] in selected)
    assert faults.calls("FilterLogEvents") == 2 == result.calls


@pytest.mark.parametrize("page_cap", [None, 8_192])
def test_get_log_events_path_delivers_the_same_events(
    conn: AwsConnection, limiter: RateLimiter, faults: FaultInjector, page_cap: int | None
) -> None:
    now_ms = int(time.time() * 1000)
    written = _load(conn, "g", enis=4, total=2_000, now_ms=now_ms)
    faults.cap_pages(page_cap)
    selected = (stream_of(1), stream_of(2))
    query = Query("g", TimeRange.between(now_ms - HOUR_MS // 2, now_ms), streams=selected)

    by_get, got = _fetch_all(conn, limiter, query, now_ms, method=FetchMethod.GET)
    by_filter, _ = _fetch_all(conn, limiter, query, now_ms, method=FetchMethod.FILTER)

    expected = Counter(e for e in written if e[0] in selected and e[1] >= now_ms - HOUR_MS // 2)
    assert Counter(delivered(by_get)) == expected == Counter(delivered(by_filter))
    assert got.method is FetchMethod.GET
    assert faults.calls("GetLogEvents") == got.calls


def test_one_selected_eni_is_read_with_get_log_events(
    conn: AwsConnection, limiter: RateLimiter, faults: FaultInjector
) -> None:
    now_ms = int(time.time() * 1000)
    written = _load(conn, "g", enis=3, total=300, now_ms=now_ms)

    batches, result = _fetch_all(conn, limiter, Query("g", streams=(stream_of(1),)), now_ms)

    assert result.method is FetchMethod.GET
    assert Counter(delivered(batches)) == Counter(e for e in written if e[0] == stream_of(1))
    assert faults.calls("FilterLogEvents") == 0


def test_an_eni_whose_stream_does_not_exist_yields_nothing(
    conn: AwsConnection, limiter: RateLimiter
) -> None:
    now_ms = int(time.time() * 1000)
    _load(conn, "g", enis=2, total=20, now_ms=now_ms)

    batches, result = _fetch_all(conn, limiter, Query("g", streams=(stream_of(9),)), now_ms)

    assert batches == [] and result.events == 0


def test_unknown_group_is_one_clear_error(conn: AwsConnection, limiter: RateLimiter) -> None:
    with pytest.raises(NotFoundError) as caught:
        _fetch_all(conn, limiter, Query("/no/such/group"), int(time.time() * 1000))
    assert caught.value.message == "log group /no/such/group does not exist in region us-east-1"


def test_pushdown_pattern_is_sent_and_filters_on_the_server(
    conn: AwsConnection, limiter: RateLimiter
) -> None:
    now_ms = int(time.time() * 1000)
    written = _load(conn, "g", enis=5, total=1_000, now_ms=now_ms)
    query = Query("g", streams=(stream_of(1), stream_of(2)), pushdown_pattern="REJECT")

    batches, result = _fetch_all(conn, limiter, query, now_ms)

    assert result.method is FetchMethod.FILTER  # GetLogEvents cannot filter
    rejects = [e for e in written if e[0] in query.streams and "REJECT" in e[2]]
    assert rejects and Counter(delivered(batches)) == Counter(rejects)


def test_progress_reports_growing_counts_and_cancel_stops_between_pages(
    conn: AwsConnection, limiter: RateLimiter, faults: FaultInjector
) -> None:
    now_ms = int(time.time() * 1000)
    _load(conn, "g", enis=10, total=3_000, now_ms=now_ms)
    faults.cap_pages(32_768)
    cancel = threading.Event()
    seen: list[FetchProgress] = []
    calls_at_cancel: list[int] = []

    def on_progress(progress: FetchProgress) -> None:
        seen.append(progress)
        if len(seen) == 3:
            cancel.set()
            calls_at_cancel.append(faults.calls("FilterLogEvents"))

    batches, result = _fetch_all(
        conn, limiter, Query("g"), now_ms, progress=on_progress, cancel=cancel
    )

    assert result.cancelled and len(batches) == 3  # nothing is delivered after the cancel
    assert [p.events for p in seen] == sorted({p.events for p in seen})
    assert all(p.bytes > 0 and p.pages >= 1 for p in seen)
    assert result.events == sum(len(b) for b in batches) < 3_000
    # Each slice stops before its next call: at most the calls in flight are finished.
    time.sleep(0.3)
    assert faults.calls("FilterLogEvents") <= calls_at_cancel[0] + result.slices


# --- paging quirks AWS has and moto lacks (botocore Stubber validates against the model) ---


def _event(number: int, stream: str = "eni-0a-all") -> dict[str, Any]:
    return {
        "logStreamName": stream,
        "timestamp": 1_700_000_000_000 + number,
        "ingestionTime": 1_700_000_300_000,
        "message": f"line {number}",
        "eventId": f"{number:056d}",
    }


def _filter_page(events: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
    page: dict[str, Any] = {"events": events, "searchedLogStreams": []}
    if token:
        page["nextToken"] = token
    return page


def _stubbed_fetch(
    conn: AwsConnection, limiter: RateLimiter, pages: list[dict[str, Any]]
) -> list[Event]:
    query = Query("g", TimeRange.between(1_700_000_000_000, 1_700_000_100_000))
    with Stubber(conn.logs) as stub:
        for page in pages:
            stub.add_response(
                "filter_log_events",
                page,
                {
                    "logGroupName": "g",
                    "startTime": ANY,
                    "endTime": ANY,
                    "interleaved": True,
                    **({"nextToken": ANY} if page is not pages[0] else {}),
                },
            )
        batches, _ = _fetch_all(conn, limiter, query, 0)
        stub.assert_no_pending_responses()
    return delivered(batches)


def test_empty_pages_that_carry_a_token_do_not_end_the_fetch(
    conn: AwsConnection, limiter: RateLimiter
) -> None:
    pages = [
        _filter_page([_event(1), _event(2)], "t1"),
        _filter_page([], "t2"),
        _filter_page([], "t3"),
        _filter_page([_event(3)], None),
    ]
    assert [e[2] for e in _stubbed_fetch(conn, limiter, pages)] == ["line 1", "line 2", "line 3"]


def test_a_repeated_token_does_not_loop_or_duplicate(
    conn: AwsConnection, limiter: RateLimiter
) -> None:
    pages = [
        _filter_page([_event(1)], "t1"),
        _filter_page([_event(2)], "t1"),  # same token, new events: followed
        _filter_page([_event(2)], "t1"),  # same token, same page again: the end
    ]
    assert [e[2] for e in _stubbed_fetch(conn, limiter, pages)] == ["line 1", "line 2"]


def test_event_ids_are_64_bit_hashes_of_cloudwatch_ids(
    conn: AwsConnection, limiter: RateLimiter
) -> None:
    query = Query("g", TimeRange.between(1_700_000_000_000, 1_700_000_100_000))
    with Stubber(conn.logs) as stub:
        stub.add_response("filter_log_events", _filter_page([_event(5)], None))
        batches, _ = _fetch_all(conn, limiter, query, 0)
    assert batches[0].event_ids == [event_id_hash(f"{5:056d}")]
    assert batches[0].ingestion_times == [1_700_000_300_000]


def test_a_group_shared_from_another_account_is_named_by_arn(
    conn: AwsConnection, limiter: RateLimiter
) -> None:
    arn = "arn:aws:logs:us-east-1:999999999999:log-group:/shared/flows"
    query = Query(arn, TimeRange.between(1_700_000_000_000, 1_700_000_100_000))
    with Stubber(conn.logs) as stub:
        stub.add_response("describe_log_groups", {"logGroups": []})
        stub.add_response(
            "filter_log_events",
            _filter_page([_event(1)], None),
            {"logGroupIdentifier": arn, "startTime": ANY, "endTime": ANY, "interleaved": True},
        )
        batches, _ = _fetch_all(conn, limiter, query, 0)
    assert len(delivered(batches)) == 1


def test_an_arn_of_this_accounts_group_is_sent_as_a_name(
    conn: AwsConnection, limiter: RateLimiter
) -> None:
    # moto resolves ARNs to the wrong group: the name must be used for our own groups.
    now_ms = int(time.time() * 1000)
    written = _load(conn, "/vpc/a", enis=2, total=50, now_ms=now_ms)
    _load(conn, "/vpc/b", enis=2, total=70, now_ms=now_ms, seed=2)
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:/vpc/a:*"

    batches, _ = _fetch_all(conn, limiter, Query(arn), now_ms)

    assert Counter(delivered(batches)) == Counter(written)


# --- choosing the call and estimating -----------------------------------------------------


def test_get_log_events_is_chosen_only_when_it_spends_less_quota() -> None:
    assert choose_method(1, None) is FetchMethod.GET
    assert choose_method(2, None) is FetchMethod.FILTER
    assert choose_method(0, None) is FetchMethod.FILTER
    assert choose_method(1, "REJECT") is FetchMethod.FILTER


def test_estimate_extrapolates_a_sampled_minute_and_says_it_is_an_estimate(
    conn: AwsConnection, limiter: RateLimiter
) -> None:
    now_ms = int(time.time() * 1000)
    # 6,000 events evenly over the last 2 hours: 50 per minute.
    writer = FlowLogWriter(conn, "g").create_group()
    writer.put(
        [(stream_of(i % 5), now_ms - 2 * HOUR_MS + i * 1_200, f"line {i}") for i in range(6_000)]
    )
    query = Query("g", TimeRange.last(2 * 3600))

    estimate = estimate_fetch(conn, limiter, query, now_ms=lambda: now_ms)

    assert estimate.streams == 5
    assert estimate.events is not None and 5_000 <= estimate.events <= 7_000
    assert estimate.calls == 1
    assert estimate.summary().startswith("estimate: ~")
    assert "5 streams over 2 h" in estimate.summary()


def test_estimate_without_sampling_counts_stream_hours(
    conn: AwsConnection, limiter: RateLimiter
) -> None:
    streams = [
        StreamInfo(
            stream_of(n),
            None,
            first_event_ms=0,
            last_event_ms=HOUR_MS,
            last_ingestion_ms=HOUR_MS,
            creation_ms=0,
        )
        for n in range(3)
    ]
    query = Query("g", TimeRange.between(0, 2 * HOUR_MS))

    estimate = estimate_fetch(conn, limiter, query, streams=streams, sample=False, now_ms=lambda: 0)

    assert estimate.stream_hours == pytest.approx(3.0)
    assert (
        estimate.summary() == "estimate: 3 streams over 2 h (3 stream-hours); event count unknown"
    )


# --- concurrent slices: every event once, whatever fails in the middle ----------------------


def _sliced_load(conn: AwsConnection, faults: FaultInjector, now_ms: int) -> list[Event]:
    """5,000 events over 50 ENIs in small (16 KB) pages: ~40 pages, so the fetch is sliced."""
    written = _load(conn, "/vpc/sliced", enis=50, total=5_000, now_ms=now_ms)
    faults.cap_pages(16_384)
    faults.latency_s = 0.01  # x the test budget of 1,000 calls/s: the most slices
    return written


@pytest.mark.parametrize("fault", ["none", "throttled", "connection drops", "server errors"])
def test_a_sliced_fetch_delivers_every_event_once_in_time_order(
    conn: AwsConnection, limiter: RateLimiter, faults: FaultInjector, fault: str
) -> None:
    now_ms = int(time.time() * 1000)
    written = _sliced_load(conn, faults, now_ms)
    if fault == "throttled":
        faults.throttle("FilterLogEvents", every=3)
    elif fault == "connection drops":
        faults.reset_connections("FilterLogEvents", every=4)
    elif fault == "server errors":
        faults.fail("FilterLogEvents", every=5, status=503)

    batches, result = _fetch_all(conn, limiter, Query("/vpc/sliced", TimeRange.last(3600)), now_ms)

    assert result.slices > 1
    assert Counter(delivered(batches)) == Counter(written)
    timestamps = [e[1] for e in delivered(batches)]
    assert timestamps == sorted(timestamps)  # slice after slice, each in time order
    if fault != "none":
        assert sum(faults.faults.values()) > 0  # the faults did happen, and were retried


def test_unordered_slices_deliver_every_event_once_each_slice_in_time_order(
    conn: AwsConnection, limiter: RateLimiter, faults: FaultInjector
) -> None:
    now_ms = int(time.time() * 1000)
    written = _sliced_load(conn, faults, now_ms)
    faults.reset_connections("FilterLogEvents", every=7)

    batches, result = _fetch_all(
        conn, limiter, Query("/vpc/sliced", TimeRange.last(3600)), now_ms, ordered=False
    )

    assert result.slices > 1
    assert Counter(delivered(batches)) == Counter(written)
    for batch in batches:
        assert batch.timestamps == sorted(batch.timestamps or [])


def test_slicing_costs_about_one_call_per_extra_slice(
    conn: AwsConnection, limiter: RateLimiter, faults: FaultInjector
) -> None:
    now_ms = int(time.time() * 1000)
    written = _sliced_load(conn, faults, now_ms)
    query = Query("/vpc/sliced", TimeRange.last(3600))

    _, one = _fetch_all(conn, limiter, query, now_ms, max_slices=1)
    single_calls = faults.calls("FilterLogEvents")
    faults.clear_counts()
    batches, sliced = _fetch_all(conn, limiter, query, now_ms)

    assert one.slices == 1 and sliced.slices > 1
    assert Counter(delivered(batches)) == Counter(written)
    assert faults.calls("FilterLogEvents") <= single_calls + sliced.slices - 1


def test_a_small_range_is_one_slice(
    conn: AwsConnection, limiter: RateLimiter, faults: FaultInjector
) -> None:
    now_ms = int(time.time() * 1000)
    _load(conn, "g", enis=5, total=400, now_ms=now_ms)

    _, result = _fetch_all(conn, limiter, Query("g", TimeRange.last(3600)), now_ms)

    assert result.slices == 1 and faults.calls("FilterLogEvents") == 1


def test_access_denied_in_the_middle_of_a_sliced_fetch_is_the_usual_message(
    conn: AwsConnection, limiter: RateLimiter, faults: FaultInjector
) -> None:
    now_ms = int(time.time() * 1000)
    _sliced_load(conn, faults, now_ms)
    faults.deny("FilterLogEvents", after=3)

    with pytest.raises(AccessDeniedError) as caught:
        _fetch_all(conn, limiter, Query("/vpc/sliced", TimeRange.last(3600)), now_ms)

    assert (
        caught.value.message == "missing permission logs:FilterLogEvents on log group /vpc/sliced"
    )


def test_persistent_server_errors_in_the_middle_of_a_sliced_fetch_give_up_clearly(
    conn: AwsConnection, limiter: RateLimiter, faults: FaultInjector
) -> None:
    now_ms = int(time.time() * 1000)
    _sliced_load(conn, faults, now_ms)
    faults.fail("FilterLogEvents", every=1, status=500, after=3)

    with pytest.raises(ServiceUnavailableError) as caught:
        _fetch_all(conn, limiter, Query("/vpc/sliced", TimeRange.last(3600)), now_ms)

    assert caught.value.message == (
        "the service keeps failing (InternalFailure: injected server error); try again later"
    )


def test_event_pages_skip_botocores_shape_walk_but_other_calls_keep_it(
    conn: AwsConnection, limiter: RateLimiter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore import parsers

    now_ms = int(time.time() * 1000)
    written = _load(conn, "g", enis=10, total=3_000, now_ms=now_ms)
    walked = Counter[str]()
    original = parsers.BaseJSONParser._handle_structure

    def counting(self: Any, shape: Any, value: Any) -> Any:
        walked[shape.name] += 1
        return original(self, shape, value)

    monkeypatch.setattr(parsers.BaseJSONParser, "_handle_structure", counting)
    batches, result = _fetch_all(conn, limiter, Query("g", TimeRange.last(3600)), now_ms)

    assert Counter(delivered(batches)) == Counter(written)
    assert result.bytes > 3_000 * 100  # the page bodies were measured
    assert walked["FilteredLogEvent"] == 0  # not one event went through botocore's parser
    # The same client still parses for everyone else.
    plain = conn.logs.filter_log_events(logGroupName="g", limit=5)
    assert len(plain["events"]) == 5 and walked["FilteredLogEvent"] == 5


def test_the_slice_count_follows_the_budget_the_latency_and_the_range() -> None:
    minute = 60_000
    # A first page covered 6 minutes of a 60-minute range: ~9 more pages.
    plan = partial(plan_rest, 0, 6 * minute, end_ms=60 * minute)
    assert len(plan(1.0, calls_per_s=4)) == 4  # 4 calls/s x 1 s pages: 4 slices keep it busy
    assert plan(0.2, calls_per_s=4) == []  # one sweep already spends 4 calls/s
    assert len(plan(0.2, calls_per_s=10)) == 2
    assert len(plan(5.0, calls_per_s=100)) == MAX_SLICES
    assert len(plan(5.0, calls_per_s=100, max_slices=3)) == 3
    # Few pages left, or little time left: fewer slices.
    assert len(plan_rest(0, 20 * minute, 5.0, end_ms=60 * minute, calls_per_s=10)) == 2
    assert plan_rest(0, 30 * minute, 5.0, end_ms=60 * minute, calls_per_s=10) == []
    assert plan_rest(0, 59 * minute, 5.0, end_ms=60 * minute + 30_000, calls_per_s=10) == []
    # The slices cover what is left exactly once, in order.
    slices = plan(1.0, calls_per_s=4)
    assert slices[0].start_ms == 6 * minute + 1 and slices[-1].end_ms == 60 * minute
    assert all(a.end_ms + 1 == b.start_ms for a, b in itertools.pairwise(slices))
