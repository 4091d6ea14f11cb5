"""Running Insights queries against the demo endpoint's Insights: progress with partial
results, StopQuery on cancel, the concurrency limit waited out, the group cap, failures with
their status, and the cost estimate."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from flowtui.demo.insights import service
from flowtui.sources.aws import AwsConnection, OperationCancelled, SourceError
from flowtui.sources.insights import (
    InsightsQuery,
    QueryProgress,
    QuerySlots,
    estimate_scan,
)
from flowtui.sources.ratelimit import LimiterState, RateLimiter

pytestmark = pytest.mark.endpoint

GROUP = "/vpc/insights"
NOW_S = int(time.time())
START = NOW_S - 1800


def _line(index: int) -> str:
    start = START + index
    action = "REJECT" if index % 3 == 0 else "ACCEPT"
    return (
        f"2 123456789012 eni-0a 10.0.0.{index % 4} 10.0.1.1 4000{index % 7} 22 6 2 "
        f"{100 + index} {start} {start + 30} {action} OK"
    )


LINES = [_line(i) for i in range(30)]


@pytest.fixture(autouse=True)
def insights(conn: AwsConnection) -> Iterator[None]:
    service.install()
    service.configure(max_concurrent=30, scan_steps=3, idle_finish_s=30.0)
    conn.logs.create_log_group(logGroupName=GROUP)
    conn.logs.create_log_stream(logGroupName=GROUP, logStreamName="eni-0a-all")
    conn.logs.put_log_events(
        logGroupName=GROUP,
        logStreamName="eni-0a-all",
        logEvents=[
            {"timestamp": (START + i) * 1000, "message": line} for i, line in enumerate(LINES)
        ],
    )
    yield
    service.configure(max_concurrent=30, scan_steps=3, idle_finish_s=30.0)


def _query(conn: AwsConnection, limiter: RateLimiter, **options: Any) -> InsightsQuery:
    return InsightsQuery(conn, limiter, [GROUP], START - 60, NOW_S, **options)


def test_a_query_reports_partial_results_then_completes(
    conn: AwsConnection, limiter: RateLimiter
) -> None:
    seen: list[QueryProgress] = []
    query = _query(conn, limiter, on_progress=seen.append)
    result = query('filter action = "REJECT" | stats count(*) as n by srcAddr | sort srcAddr asc')
    assert result.rows == [
        {"srcAddr": "10.0.0.0", "n": "3"},
        {"srcAddr": "10.0.0.1", "n": "2"},
        {"srcAddr": "10.0.0.2", "n": "2"},
        {"srcAddr": "10.0.0.3", "n": "3"},
    ]
    assert not result.capped
    assert [p.status for p in seen] == ["Scheduled", "Running", "Running", "Complete"]
    assert [p.records_scanned for p in seen] == [0, 10, 20, 30]
    partial_counts = [sum(int(row["n"]) for row in p.rows) for p in seen]
    assert partial_counts == [0, 4, 7, 10]  # partial results grow as the scan proceeds
    assert seen[-1].records_matched == 10
    assert seen[-1].bytes_scanned == sum(len(line) for line in LINES)


def test_cancel_sends_stop_query(conn: AwsConnection, limiter: RateLimiter) -> None:
    cancel = threading.Event()

    def on_progress(progress: QueryProgress) -> None:
        if progress.status == "Running":
            cancel.set()

    query = _query(conn, limiter, on_progress=on_progress, cancel=cancel)
    with pytest.raises(OperationCancelled):
        query.run("stats count(*)")
    assert limiter.calls_by_action()["logs:StopQuery"] == 1
    listed = conn.logs.describe_queries(logGroupName=GROUP)["queries"]
    assert [(q["queryId"], q["status"]) for q in listed] == [(query.started[0], "Cancelled")]


def test_the_accounts_concurrency_limit_is_waited_out(
    conn: AwsConnection, limiter: RateLimiter
) -> None:
    service.configure(max_concurrent=1)
    blocking = conn.logs.start_query(
        logGroupName=GROUP, startTime=START, endTime=NOW_S, queryString="stats count(*)"
    )["queryId"]
    states: list[LimiterState] = []

    def on_state(state: LimiterState) -> None:
        states.append(state)
        if state.throttled and len(states) == 2:  # the second refusal: free the slot
            conn.logs.stop_query(queryId=blocking)

    limiter.add_listener(on_state)
    result = _query(conn, limiter).run("stats count(*) as n")
    assert result == [{"n": "30"}]
    throttled = [state for state in states if state.throttled]
    assert throttled and "LimitExceededException" in str(throttled[0].last_error)
    assert limiter.calls_by_action()["logs:StartQuery"] == 3


def test_never_more_queries_at_once_than_the_slots_allow(
    conn: AwsConnection, limiter: RateLimiter
) -> None:
    slots = QuerySlots(limit=2)
    most = 0
    lock = threading.Lock()

    def on_progress(progress: QueryProgress) -> None:
        nonlocal most
        with lock:
            most = max(most, slots.running)

    def one() -> None:
        _query(conn, limiter, slots=slots, on_progress=on_progress).run("stats count(*)")

    threads = [threading.Thread(target=one) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert most <= 2
    assert limiter.calls_by_action()["logs:StartQuery"] == 5


def test_more_than_fifty_groups_are_refused(conn: AwsConnection, limiter: RateLimiter) -> None:
    with pytest.raises(SourceError, match="at most 50 log groups"):
        InsightsQuery(conn, limiter, [f"/g{i}" for i in range(51)], START, NOW_S)


def test_a_malformed_query_fails_with_insights_message(
    conn: AwsConnection, limiter: RateLimiter
) -> None:
    with pytest.raises(SourceError, match=r"MalformedQueryException|expected"):
        _query(conn, limiter).run("stats sum(bytes) by")


class _EndingLogs:
    """A logs client whose queries end with a given status."""

    def __init__(self, status: str) -> None:
        self.status = status
        self.stopped: list[str] = []

    def start_query(self, **request: Any) -> dict[str, str]:
        return {"queryId": "q-1"}

    def get_query_results(self, queryId: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        return {"status": self.status, "results": [], "statistics": {}}

    def stop_query(self, queryId: str) -> dict[str, bool]:  # noqa: N803 - boto3's name
        self.stopped.append(queryId)
        return {"success": True}


@pytest.mark.parametrize(
    ("status", "message"),
    [("Failed", "ended with status Failed"), ("Timeout", "timed out"), ("Cancelled", "cancelled")],
)
def test_queries_ending_badly_say_how(
    conn: AwsConnection, limiter: RateLimiter, status: str, message: str
) -> None:
    fake: Any = type("Conn", (), {"logs": _EndingLogs(status), "limiter_key": "fake"})()
    with pytest.raises(SourceError, match=message):
        InsightsQuery(fake, limiter, [GROUP], START, NOW_S, slots=QuerySlots()).run("x")


def test_a_query_running_past_the_timeout_is_stopped(limiter: RateLimiter) -> None:
    logs = _EndingLogs("Running")
    fake: Any = type("Conn", (), {"logs": logs, "limiter_key": "fake"})()
    query = InsightsQuery(fake, limiter, [GROUP], START, NOW_S, slots=QuerySlots(), timeout_s=5)
    with pytest.raises(SourceError, match="timed out after 0 minutes"):
        query.run("x")
    assert logs.stopped == ["q-1"]


def test_the_estimate_covers_the_stored_bytes_of_the_range(
    conn: AwsConnection, limiter: RateLimiter
) -> None:
    created = conn.logs.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"][0]
    now_ms = int(created["creationTime"]) + 3_600_000
    whole = estimate_scan(conn, limiter, [GROUP], 0, now_ms // 1000, now_ms=now_ms)
    assert whole.bytes == sum(len(line) for line in LINES)
    assert not whole.rough
    assert "USD 0.005/GB" in whole.describe()
    half = estimate_scan(
        conn, limiter, [GROUP], now_ms // 1000 - 1800, now_ms // 1000, now_ms=now_ms
    )
    assert half.rough and half.bytes == pytest.approx(whole.bytes / 2, abs=2)
    assert half.describe().startswith("about ")
