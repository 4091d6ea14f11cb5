"""Fetching a time range of CloudWatch Logs events, one `EventBatch` per page.

Paging is written by hand: FilterLogEvents may return empty or partial pages that still carry
a token (only an absent token means done) and the botocore paginator fails on a repeated
token; GetLogEvents ends when it returns the token it was given. Sources never parse records:
they hand `EventBatch`es to the caller, one per page. `fetch` picks the cheaper call for a
query and loads its range; estimating a fetch beforehand is `flowtui.sources.fetch_estimate`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from flowtui.core.events import EventBatch, content_key_hash, event_id_hash
from flowtui.core.query import Query
from flowtui.sources.aws import AwsConnection, NotFoundError, OperationCancelled
from flowtui.sources.log_groups import GroupRef, describe_streams, name_group, resolve_group
from flowtui.sources.ratelimit import SYSTEM_CLOCK, RateLimiter

if TYPE_CHECKING:
    from mypy_boto3_logs.type_defs import (
        FilteredLogEventTypeDef,
        FilterLogEventsRequestTypeDef,
        FilterLogEventsResponseTypeDef,
        GetLogEventsRequestTypeDef,
        GetLogEventsResponseTypeDef,
        OutputLogEventTypeDef,
    )

T = TypeVar("T")

#: FilterLogEvents accepts at most 100 stream names per call.
MAX_STREAMS_PER_CALL = 100
#: Default quotas in most regions (calls/s): GetLogEvents has 2.5 times FilterLogEvents' quota.
FILTER_QUOTA_PER_S = 10.0
GET_QUOTA_PER_S = 25.0
#: A token that keeps coming back with the same page is followed at most this many times.
MAX_REPEATED_TOKENS = 3


# --- paging -------------------------------------------------------------------------------


@dataclass(slots=True)
class CallCounter:
    """Attempts (including retried ones) and pages of one fetch or poll."""

    calls: int = 0
    pages: int = 0

    def counted(self, fn: Callable[[], T]) -> T:
        self.calls += 1
        return fn()


@dataclass(slots=True)
class _BatchBuilder:
    """Collects one page's events as the columns of an EventBatch."""

    origin: str
    messages: list[str] = field(default_factory=list)
    streams: list[str] = field(default_factory=list)
    timestamps: list[int] = field(default_factory=list)
    ingestion_times: list[int] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)

    def add(
        self,
        event: FilteredLogEventTypeDef | OutputLogEventTypeDef,
        stream: str,
        event_id: int,
    ) -> None:
        self.messages.append(event.get("message", ""))
        self.streams.append(stream)
        self.timestamps.append(event.get("timestamp", 0))
        self.ingestion_times.append(event.get("ingestionTime", 0))
        self.event_ids.append(event_id)

    def build(self) -> EventBatch:
        return EventBatch(
            messages=self.messages,
            streams=self.streams,
            timestamps=self.timestamps,
            ingestion_times=self.ingestion_times,
            event_ids=self.event_ids,
            origin=self.origin,
        )


def filter_batches(
    conn: AwsConnection,
    limiter: RateLimiter,
    ref: GroupRef,
    start_ms: int,
    end_ms: int,
    *,
    streams: Sequence[str] = (),
    pattern: str | None = None,
    cancel: threading.Event | None = None,
    counter: CallCounter | None = None,
) -> Iterator[EventBatch]:
    """FilterLogEvents over [start, end] (both inclusive), one batch per non-empty page.

    No `streams` means every stream of the group; more than 100 are split into sweeps over
    disjoint name sets, so sweeps never overlap. Raises OperationCancelled between pages.
    """
    counter = counter or CallCounter()
    names = sorted(set(streams))
    chunks = [
        names[i : i + MAX_STREAMS_PER_CALL] for i in range(0, len(names), MAX_STREAMS_PER_CALL)
    ] or [[]]
    for chunk in chunks:
        request: FilterLogEventsRequestTypeDef = {
            "startTime": start_ms,
            "endTime": end_ms,
            "interleaved": True,  # ignored by AWS since 2019 (always interleaved); moto needs it
        }
        name_group(request, ref)
        if chunk:
            request["logStreamNames"] = chunk
        if pattern:
            request["filterPattern"] = pattern
        yield from _filter_sweep(conn, limiter, ref, request, cancel=cancel, counter=counter)


def _filter_sweep(
    conn: AwsConnection,
    limiter: RateLimiter,
    ref: GroupRef,
    request: FilterLogEventsRequestTypeDef,
    *,
    cancel: threading.Event | None,
    counter: CallCounter,
) -> Iterator[EventBatch]:
    token: str | None = None
    previous_ids: set[int] = set()
    repeats = 0
    while True:
        _check(cancel)
        if token:
            request["nextToken"] = token
        call = partial(conn.logs.filter_log_events, **request)
        response: FilterLogEventsResponseTypeDef = limiter.call(
            partial(counter.counted, call),
            "logs:FilterLogEvents",
            cancel,
            resource=ref.describe(),
        )
        counter.pages += 1
        batch, page_ids = _filtered_batch(response.get("events", []), previous_ids, ref)
        if batch.messages:
            yield batch
        next_token = response.get("nextToken")
        if not next_token:
            return
        # A token that comes back unchanged is followed a few times while it brings events;
        # the botocore paginator raises instead, and other tools stop at once.
        repeats = repeats + 1 if next_token == token else 0
        if repeats and (not batch.messages or repeats >= MAX_REPEATED_TOKENS):
            return
        token = next_token
        previous_ids = page_ids


def _filtered_batch(
    events: Sequence[FilteredLogEventTypeDef], previous_ids: set[int], ref: GroupRef
) -> tuple[EventBatch, set[int]]:
    """The page as a batch, without events already delivered by the previous page."""
    builder = _BatchBuilder(ref.display)
    page_ids: set[int] = set()
    for event in events:
        event_id = event_id_hash(event.get("eventId", ""))
        if event_id in previous_ids or event_id in page_ids:
            continue
        page_ids.add(event_id)
        builder.add(event, event.get("logStreamName", ""), event_id)
    return builder.build(), page_ids


def stream_batches(
    conn: AwsConnection,
    limiter: RateLimiter,
    ref: GroupRef,
    stream: str,
    *,
    start_ms: int,
    end_ms: int,
    cancel: threading.Event | None = None,
    counter: CallCounter | None = None,
) -> Iterator[EventBatch]:
    """GetLogEvents over [start, end] of one stream, oldest first; ends on a repeated token.

    GetLogEvents returns no event id: the id is `content_key_hash(stream, timestamp, message)`.
    A stream that does not exist yields nothing (as FilterLogEvents does).
    """
    counter = counter or CallCounter()
    token: str | None = None
    previous_ids: set[int] = set()
    while True:
        _check(cancel)
        # AWS documents endTime as exclusive here (moto treats it as inclusive): ask for one ms
        # more and drop anything past `end_ms`, so both agree with FilterLogEvents.
        request: GetLogEventsRequestTypeDef = {
            "logStreamName": stream,
            "startTime": start_ms,
            "endTime": end_ms + 1,
            "startFromHead": True,
        }
        name_group(request, ref)
        if token:
            request["nextToken"] = token
        call = partial(conn.logs.get_log_events, **request)
        try:
            response: GetLogEventsResponseTypeDef = limiter.call(
                partial(counter.counted, call),
                "logs:GetLogEvents",
                cancel,
                resource=f"stream {stream} of {ref.describe()}",
            )
        except NotFoundError:
            describe_streams(conn, limiter, ref, stream, cancel)  # raises if the group is gone
            return
        counter.pages += 1
        builder = _BatchBuilder(ref.display)
        page_ids: set[int] = set()
        for event in response.get("events", []):
            timestamp = event.get("timestamp", 0)
            key = content_key_hash(stream, timestamp, event.get("message", ""))
            if timestamp > end_ms or key in previous_ids or key in page_ids:
                continue
            page_ids.add(key)
            builder.add(event, stream, key)
        if builder.messages:
            yield builder.build()
        next_token = response.get("nextForwardToken")
        if not next_token or next_token == token:
            return
        token = next_token
        previous_ids = page_ids


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise OperationCancelled()


# --- fetch --------------------------------------------------------------------------------


class FetchMethod(Enum):
    FILTER = "FilterLogEvents"
    GET = "GetLogEvents"


def choose_method(selected_streams: int, pattern: str | None) -> FetchMethod:
    """GetLogEvents per stream when that spends less of the account's quota.

    GetLogEvents needs at least two calls per stream (a page, then the call that returns the
    same token), FilterLogEvents one call per 100 streams; a GetLogEvents call costs 1/25 of a
    second's quota, a FilterLogEvents call 1/10 (default quotas in most regions). In practice:
    GetLogEvents for a single ENI, FilterLogEvents for more, and always with a filter pattern
    (GetLogEvents has none) or for all ENIs.
    """
    if pattern or selected_streams == 0:
        return FetchMethod.FILTER
    get_cost = 2 * selected_streams / GET_QUOTA_PER_S
    filter_cost = math.ceil(selected_streams / MAX_STREAMS_PER_CALL) / FILTER_QUOTA_PER_S
    return FetchMethod.GET if get_cost < filter_cost else FetchMethod.FILTER


@dataclass(frozen=True, slots=True)
class FetchProgress:
    events: int
    pages: int
    calls: int
    #: Events per second since the fetch started.
    rate: float
    elapsed_s: float


@dataclass(frozen=True, slots=True)
class FetchResult:
    events: int
    pages: int
    calls: int
    elapsed_s: float
    method: FetchMethod
    start_ms: int
    end_ms: int
    cancelled: bool = False


@dataclass(slots=True)
class _FetchMeter:
    started: float = field(default_factory=time.perf_counter)
    events: int = 0

    def progress(self, counter: CallCounter) -> FetchProgress:
        elapsed = time.perf_counter() - self.started
        rate = self.events / elapsed if elapsed > 0 else 0.0
        return FetchProgress(self.events, counter.pages, counter.calls, rate, elapsed)


def fetch(
    conn: AwsConnection,
    limiter: RateLimiter,
    query: Query,
    on_batch: Callable[[EventBatch], None],
    *,
    progress: Callable[[FetchProgress], None] | None = None,
    cancel: threading.Event | None = None,
    now_ms: Callable[[], int] = SYSTEM_CLOCK.now_ms,
    method: FetchMethod | None = None,
) -> FetchResult:
    """Load the query's time range into `on_batch`, one batch per page, until done or cancelled.

    Batches are in time order within a stream sweep (FilterLogEvents interleaves, GetLogEvents
    goes stream by stream). Every event is delivered once. Raises SourceError on failures.
    """
    start_ms, end_ms = query.time_range.resolve(now_ms())
    chosen = method or choose_method(len(set(query.streams)), query.pushdown_pattern)
    ref = resolve_group(conn, limiter, query.group, cancel)
    counter = CallCounter()
    meter = _FetchMeter()
    batches: Iterator[EventBatch]
    if chosen is FetchMethod.GET:
        batches = (
            batch
            for stream in sorted(set(query.streams))
            for batch in stream_batches(
                conn,
                limiter,
                ref,
                stream,
                start_ms=start_ms,
                end_ms=end_ms,
                cancel=cancel,
                counter=counter,
            )
        )
    else:
        batches = filter_batches(
            conn,
            limiter,
            ref,
            start_ms,
            end_ms,
            streams=query.streams,
            pattern=query.pushdown_pattern,
            cancel=cancel,
            counter=counter,
        )
    cancelled = False
    try:
        for batch in batches:
            meter.events += len(batch)
            on_batch(batch)
            if progress is not None:
                progress(meter.progress(counter))
    except OperationCancelled:
        cancelled = True
    final = meter.progress(counter)
    return FetchResult(
        events=final.events,
        pages=final.pages,
        calls=final.calls,
        elapsed_s=final.elapsed_s,
        method=chosen,
        start_ms=start_ms,
        end_ms=end_ms,
        cancelled=cancelled,
    )
