"""Running CloudWatch Logs Insights queries: StartQuery, GetQueryResults, StopQuery.

Every call goes through the account's one rate limiter, which also waits out a
LimitExceededException from StartQuery (the account's concurrent-query limit) as it waits out
throttling, so the status bar says "throttled" instead of the command failing. On top of that,
flowtui never runs more queries at once than its own setting allows (`QuerySlots`).

A run polls GetQueryResults (soon after the start, then every second), hands each partial
result to a callback with the statistics and the elapsed time, and stops the query (StopQuery)
as soon as the caller's cancel event is set. A query that fails, times out (60 minutes) or is
cancelled by someone else raises a `SourceError` with Insights' own status. At most 50 groups
go into one query; rows stop at 10,000 (the caller sorts and limits for top-N).

`estimate_scan` gives the bytes a query will scan and their price, from the groups' stored bytes
and the share of their retained time the range covers, and says when that is rough.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from flowtui.core.insights.request import ROW_CAP, QueryResult
from flowtui.sources.aws import OperationCancelled, SourceError
from flowtui.sources.ratelimit import SYSTEM_CLOCK, Clock, RateLimiter

if TYPE_CHECKING:
    from flowtui.sources.aws import AwsConnection

MAX_GROUPS = 50
QUERY_TIMEOUT_S = 3600.0
DEFAULT_MAX_CONCURRENT = 10
#: USD per GB scanned (us-east-1 list price); other regions differ by a few percent.
DEFAULT_PRICE_PER_GB_USD = 0.005
_REGION_PRICE_PER_GB_USD: dict[str, float] = {"us-east-1": 0.005, "us-east-2": 0.005}
_GB = 1024**3
#: How soon after StartQuery the first poll goes, and how often after that (the second poll
#: comes after half that, so the first partial results show early).
FIRST_POLL_S = 0.25
POLL_S = 1.0
_ENDED = {"Complete", "Failed", "Cancelled", "Timeout", "Unknown"}


@dataclass(frozen=True, slots=True)
class QueryProgress:
    """A poll's answer: status, rows so far (partial while Running), statistics, time."""

    query_id: str
    status: str
    rows: list[dict[str, str]]
    records_scanned: int
    records_matched: int
    bytes_scanned: int
    elapsed_s: float

    @property
    def done(self) -> bool:
        return self.status == "Complete"


ProgressListener = Callable[[QueryProgress], None]


class QuerySlots:
    """flowtui's own ceiling on concurrent Insights queries per account and region."""

    def __init__(self, limit: int = DEFAULT_MAX_CONCURRENT) -> None:
        self._limit = max(1, limit)
        self._running = 0
        self._condition = threading.Condition()

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def running(self) -> int:
        return self._running

    def set_limit(self, limit: int) -> None:
        with self._condition:
            self._limit = max(1, limit)
            self._condition.notify_all()

    def acquire(self, cancel: threading.Event | None) -> None:
        with self._condition:
            while self._running >= self._limit:
                if cancel is not None and cancel.is_set():
                    raise OperationCancelled()
                self._condition.wait(0.1)
            self._running += 1

    def release(self) -> None:
        with self._condition:
            self._running -= 1
            self._condition.notify_all()


_slots_lock = threading.Lock()
_slots: dict[str, QuerySlots] = {}


def slots_for(conn: AwsConnection) -> QuerySlots:
    """The process-wide query slots of the connection's account and region."""
    with _slots_lock:
        return _slots.setdefault(conn.limiter_key, QuerySlots())


def _rows(raw: Sequence[Sequence[Any]]) -> list[dict[str, str]]:
    return [
        {str(cell["field"]): str(cell.get("value", "")) for cell in row if cell["field"] != "@ptr"}
        for row in raw
    ]


class InsightsQuery:
    """Runs Insights queries over some groups and a time range (epoch seconds, inclusive)."""

    def __init__(
        self,
        conn: AwsConnection,
        limiter: RateLimiter,
        groups: Sequence[str],
        start_s: int,
        end_s: int,
        *,
        slots: QuerySlots | None = None,
        clock: Clock = SYSTEM_CLOCK,
        on_progress: ProgressListener | None = None,
        cancel: threading.Event | None = None,
        timeout_s: float = QUERY_TIMEOUT_S,
        poll_s: float | None = None,
    ) -> None:
        if not groups:
            raise SourceError("an Insights query needs at least one log group")
        if len(groups) > MAX_GROUPS:
            raise SourceError(
                f"Insights searches at most {MAX_GROUPS} log groups per query; {len(groups)} "
                "were given"
            )
        self._conn = conn
        self._limiter = limiter
        self._groups = list(groups)
        self._start_s = start_s
        self._end_s = end_s
        self._slots = slots or slots_for(conn)
        self._clock = clock
        self._on_progress = on_progress
        self._cancel = cancel
        self._timeout_s = timeout_s
        self._poll_s = poll_s if poll_s is not None else POLL_S
        self._first_poll_s = min(FIRST_POLL_S, self._poll_s)
        #: Every query id started, in order (for tests and the status bar).
        self.started: list[str] = []

    def __call__(self, query_string: str) -> QueryResult:
        """Run one query to completion; the rows (without @ptr) and whether they hit the cap."""
        rows = self.run(query_string)
        return QueryResult(rows, capped=len(rows) >= ROW_CAP)

    def run(self, query_string: str) -> list[dict[str, str]]:
        self._slots.acquire(self._cancel)
        try:
            query_id = self._start(query_string)
            return self._wait(query_id)
        finally:
            self._slots.release()

    def _start(self, query_string: str) -> str:
        request: dict[str, Any] = {
            "startTime": self._start_s,
            "endTime": self._end_s,
            "queryString": query_string,
            "limit": ROW_CAP,
        }
        if len(self._groups) == 1:
            request["logGroupName"] = self._groups[0]
        else:
            request["logGroupNames"] = self._groups
        # LimitExceededException (too many queries in the account) is retried as throttling.
        response = self._limiter.call(
            partial(self._conn.logs.start_query, **request),
            "logs:StartQuery",
            self._cancel,
            resource=", ".join(self._groups),
        )
        query_id = str(response["queryId"])
        self.started.append(query_id)
        return query_id

    def _wait(self, query_id: str) -> list[dict[str, str]]:
        began = self._clock.monotonic()
        delay = self._first_poll_s
        polls = 0
        while True:
            if not self._clock.sleep(delay, self._cancel):
                self.stop(query_id)
                raise OperationCancelled()
            polls += 1
            delay = self._poll_s / 2 if polls == 1 else self._poll_s
            try:
                response = self._limiter.call(
                    partial(self._conn.logs.get_query_results, queryId=query_id),
                    "logs:GetQueryResults",
                    self._cancel,
                )
            except OperationCancelled:
                self.stop(query_id)
                raise
            elapsed = self._clock.monotonic() - began
            progress = _progress(query_id, response, elapsed)
            if self._on_progress is not None:
                self._on_progress(progress)
            if progress.status == "Complete":
                return progress.rows
            if progress.status in _ENDED:
                raise SourceError(_ended_message(progress.status, elapsed))
            if elapsed >= self._timeout_s:
                self.stop(query_id)
                raise SourceError(
                    f"the Insights query timed out after {self._timeout_s / 60:.0f} minutes: "
                    "narrow the time range or the groups"
                )

    def stop(self, query_id: str) -> None:
        """StopQuery, best effort: the query may have ended meanwhile."""
        with contextlib.suppress(SourceError):
            self._limiter.call(
                partial(self._conn.logs.stop_query, queryId=query_id), "logs:StopQuery"
            )


def _progress(query_id: str, response: Any, elapsed: float) -> QueryProgress:
    statistics = response.get("statistics") or {}
    return QueryProgress(
        query_id=query_id,
        status=str(response.get("status", "Unknown")),
        rows=_rows(response.get("results") or []),
        records_scanned=int(statistics.get("recordsScanned", 0)),
        records_matched=int(statistics.get("recordsMatched", 0)),
        bytes_scanned=int(statistics.get("bytesScanned", 0)),
        elapsed_s=elapsed,
    )


def _ended_message(status: str, elapsed: float) -> str:
    if status == "Timeout":
        return "the Insights query timed out (60 minutes): narrow the time range or the groups"
    if status == "Cancelled":
        return "the Insights query was cancelled (StopQuery from elsewhere?)"
    return f"the Insights query ended with status {status} after {elapsed:.0f} s"


# --- cost ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScanEstimate:
    bytes: int
    price_usd: float
    price_per_gb_usd: float
    rough: bool
    basis: str

    def describe(self) -> str:
        size = _human_bytes(self.bytes)
        about = "about " if self.rough else ""
        price = f"{about}USD {self.price_usd:.2f}" if self.price_usd >= 0.01 else "under USD 0.01"
        return f"{about}{size} to scan, {price} at USD {self.price_per_gb_usd}/GB ({self.basis})"


def _human_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"  # pragma: no cover - the loop returns at GB


def price_per_gb(region: str | None) -> tuple[float, bool]:
    """The published price per GB scanned, and whether it is known for this region."""
    known = _REGION_PRICE_PER_GB_USD.get(region or "")
    return (known, True) if known is not None else (DEFAULT_PRICE_PER_GB_USD, False)


def estimate_scan(
    conn: AwsConnection,
    limiter: RateLimiter,
    groups: Sequence[str],
    start_s: int,
    end_s: int,
    *,
    now_ms: int | None = None,
    cancel: threading.Event | None = None,
) -> ScanEstimate:
    """Bytes the query will scan: each group's stored bytes times the share of its retained
    time the range covers (exact only when the range covers all of it)."""
    now_s = (now_ms if now_ms is not None else SYSTEM_CLOCK.now_ms()) // 1000
    total = 0.0
    rough = False
    for name in groups:
        response = limiter.call(
            partial(conn.logs.describe_log_groups, logGroupNamePrefix=name, limit=50),
            "logs:DescribeLogGroups",
            cancel,
        )
        found = [g for g in response.get("logGroups", []) if g.get("logGroupName") == name]
        if not found:
            raise SourceError(f"log group {name} does not exist")
        group = found[0]
        stored = int(group.get("storedBytes") or 0)
        oldest_s = int(group.get("creationTime") or 0) // 1000
        if group.get("retentionInDays"):
            oldest_s = max(oldest_s, now_s - int(group["retentionInDays"]) * 86400)
        held = max(1, now_s - oldest_s)
        covered = max(0, min(end_s, now_s) - max(start_s, oldest_s))
        share = min(1.0, covered / held)
        rough = rough or share < 1.0
        total += stored * share
    price, price_known = price_per_gb(conn.region)
    basis = "from the groups' stored bytes"
    if rough:
        basis += ", assuming their records are spread evenly over time"
    if not price_known:
        basis += "; us-east-1 price, your region's may differ"
    return ScanEstimate(
        bytes=int(total),
        price_usd=total / _GB * price,
        price_per_gb_usd=price,
        rough=rough or not price_known,
        basis=basis,
    )
