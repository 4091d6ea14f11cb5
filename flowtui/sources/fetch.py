"""Fetching a time range of CloudWatch Logs events, one `EventBatch` per page.

Paging is written by hand: FilterLogEvents may return empty or partial pages that still carry
a token (only an absent token means done) and the botocore paginator fails on a repeated
token; GetLogEvents ends when it returns the token it was given. Sources never parse records:
they hand `EventBatch`es to the caller, one per page. Pages are decoded from the response body
into columns (`flowtui.sources.raw_pages`), never through botocore's parser. `fetch` picks the
cheaper call for a query and loads its range, a large range in concurrent time slices
(`flowtui.sources.fetch_slices`); estimating a fetch beforehand is
`flowtui.sources.fetch_estimate`.
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

from flowtui.core.events import (
    EventBatch,
    content_key_hash,
    content_key_hashes,
    event_id_hashes,
)
from flowtui.core.query import Query
from flowtui.sources.aws import AwsConnection, NotFoundError, OperationCancelled
from flowtui.sources.fetch_slices import MAX_SLICES, SliceBounds, SliceRunner, plan_rest
from flowtui.sources.log_groups import GroupRef, describe_streams, name_group, resolve_group
from flowtui.sources.ratelimit import SYSTEM_CLOCK, RateLimiter
from flowtui.sources.raw_pages import PageColumns, raw_page_call

if TYPE_CHECKING:
    from mypy_boto3_logs.type_defs import (
        FilterLogEventsRequestTypeDef,
        GetLogEventsRequestTypeDef,
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
    """Attempts (including retried ones), pages and response bytes of one fetch or poll.

    Shared by the slices of a concurrent fetch: updates happen under a lock.
    """

    calls: int = 0
    pages: int = 0
    bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def counted(self, fn: Callable[[], T]) -> T:
        with self._lock:
            self.calls += 1
        return fn()

    def page(self, body_bytes: int) -> None:
        with self._lock:
            self.pages += 1
            self.bytes += body_bytes


def _batch(
    page: PageColumns, ids: list[int], keep: list[int] | None, streams: list[str], origin: str
) -> EventBatch:
    """The page's columns as a batch; `keep` selects events (None keeps all)."""
    batch = EventBatch(
        messages=page.messages,
        streams=streams,
        timestamps=page.timestamps,
        ingestion_times=page.ingestion_times,
        event_ids=ids,
        origin=origin,
    )
    return batch if keep is None else batch.select(keep)


def _unique(
    ids: list[int], previous_ids: set[int], exclude: set[int] | None = None
) -> tuple[list[int] | None, set[int]]:
    """(positions to keep, or None for all; the ids kept): drops ids already delivered by the
    previous page or earlier in this page, and the positions in `exclude`."""
    page_ids = set(ids)
    if not exclude and len(page_ids) == len(ids) and page_ids.isdisjoint(previous_ids):
        return None, page_ids
    keep: list[int] = []
    kept: set[int] = set()
    for index, event_id in enumerate(ids):
        if event_id in previous_ids or event_id in kept or (exclude and index in exclude):
            continue
        kept.add(event_id)
        keep.append(index)
    return keep, kept


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
    cut: SweepCut | None = None,
) -> Iterator[EventBatch]:
    """FilterLogEvents over [start, end] (both inclusive), one batch per non-empty page.

    No `streams` means every stream of the group; more than 100 are split into sweeps over
    disjoint name sets, so sweeps never overlap. Raises OperationCancelled between pages.
    `cut` (one sweep only) reports what the sweep saw and may end it early.
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
        yield from _filter_sweep(
            conn,
            limiter,
            ref,
            request,
            cancel=cancel,
            counter=counter,
            cut=cut if len(chunks) == 1 else None,
        )


@dataclass(slots=True)
class SweepCut:
    """A sweep that may be cut short (the first slice of a sliced fetch), and what it saw.

    Pages come sorted by timestamp, so once a page passes `until_ms` no later page can hold
    an event at or before it: the sweep delivers the events up to `until_ms` and ends.
    """

    until_ms: int | None = None
    #: The newest timestamp seen so far, and whether the last page had a next token.
    newest_ms: int | None = None
    more: bool = False
    #: How long the first page took to arrive (seconds).
    first_page_s: float | None = None


def _filter_sweep(
    conn: AwsConnection,
    limiter: RateLimiter,
    ref: GroupRef,
    request: FilterLogEventsRequestTypeDef,
    *,
    cancel: threading.Event | None,
    counter: CallCounter,
    cut: SweepCut | None = None,
) -> Iterator[EventBatch]:
    token: str | None = None
    previous_ids: set[int] = set()
    repeats = 0
    while True:
        _check(cancel)
        if token:
            request["nextToken"] = token
        call = partial(raw_page_call, conn.logs, partial(conn.logs.filter_log_events, **request))
        asked = time.perf_counter()
        page: PageColumns = limiter.call(
            partial(counter.counted, call),
            "logs:FilterLogEvents",
            cancel,
            resource=ref.describe(),
        )
        counter.page(page.body_bytes)
        if cut is not None and cut.first_page_s is None:
            cut.first_page_s = time.perf_counter() - asked
        next_token = page.next_token
        late: set[int] = set()
        if cut is not None and page.timestamps:
            newest = max(page.timestamps)
            cut.newest_ms = newest if cut.newest_ms is None else max(cut.newest_ms, newest)
            cut.more = bool(next_token)
            until = cut.until_ms
            if until is not None and newest > until:
                late = {i for i, timestamp in enumerate(page.timestamps) if timestamp > until}
                next_token = None  # the rest belongs to the next slice
        batch, previous_ids = _filtered_batch(page, previous_ids, ref, late)
        del page
        if len(batch):
            yield batch
        if not next_token:
            return
        # A token that comes back unchanged is followed a few times while it brings events;
        # the botocore paginator raises instead, and other tools stop at once.
        repeats = repeats + 1 if next_token == token else 0
        if repeats and (not len(batch) or repeats >= MAX_REPEATED_TOKENS):
            return
        token = next_token


def _filtered_batch(
    page: PageColumns, previous_ids: set[int], ref: GroupRef, late: set[int]
) -> tuple[EventBatch, set[int]]:
    """The page as a batch, without events already delivered by the previous page."""
    streams = page.streams if page.streams is not None else [""] * len(page)
    if page.event_ids is not None:
        ids = event_id_hashes(page.event_ids)
    else:  # not seen from CloudWatch; identify events by their content then
        ids = [
            content_key_hash(s, t, m)
            for s, t, m in zip(streams, page.timestamps, page.messages, strict=True)
        ]
    keep, page_ids = _unique(ids, previous_ids, late)
    return _batch(page, ids, keep, streams, ref.display), page_ids


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
        call = partial(raw_page_call, conn.logs, partial(conn.logs.get_log_events, **request))
        try:
            page: PageColumns = limiter.call(
                partial(counter.counted, call),
                "logs:GetLogEvents",
                cancel,
                resource=f"stream {stream} of {ref.describe()}",
            )
        except NotFoundError:
            describe_streams(conn, limiter, ref, stream, cancel)  # raises if the group is gone
            return
        counter.page(page.body_bytes)
        ids = content_key_hashes(stream, page.timestamps, page.messages)
        late = {i for i, timestamp in enumerate(page.timestamps) if timestamp > end_ms}
        keep, previous_ids = _unique(ids, previous_ids, late)
        batch = _batch(page, ids, keep, [stream] * len(page), ref.display)
        if len(batch):
            yield batch
        next_token = page.next_forward_token
        del page
        if not next_token or next_token == token:
            return
        token = next_token


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
    #: Pages received (a slice may be a page ahead of what was delivered).
    pages: int
    calls: int
    #: Events per second since the fetch started.
    rate: float
    elapsed_s: float
    #: Response bytes received.
    bytes: int = 0
    #: Time slices fetched concurrently (1 when not sliced).
    slices: int = 1


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
    bytes: int = 0
    slices: int = 1


@dataclass(slots=True)
class _FetchMeter:
    started: float = field(default_factory=time.perf_counter)
    events: int = 0
    slices: int = 1

    def progress(self, counter: CallCounter) -> FetchProgress:
        elapsed = time.perf_counter() - self.started
        rate = self.events / elapsed if elapsed > 0 else 0.0
        return FetchProgress(
            self.events, counter.pages, counter.calls, rate, elapsed, counter.bytes, self.slices
        )


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
    max_slices: int = MAX_SLICES,
    ordered: bool = True,
) -> FetchResult:
    """Load the query's time range into `on_batch`, one batch per page, until done or cancelled.

    A large range is fetched in concurrent time slices (`flowtui.sources.fetch_slices`; at
    most `max_slices`, 1 turns slicing off). `on_batch` is called from this thread only.
    Batches are in time order within a slice's sweep (FilterLogEvents interleaves,
    GetLogEvents goes stream by stream); `ordered` delivers slices one after the other, so
    the whole range arrives in time order, otherwise batches come as soon as they arrive.
    Every event is delivered once. Raises SourceError on failures; a cancel keeps what was
    delivered and returns with `cancelled` set.
    """
    start_ms, end_ms = query.time_range.resolve(now_ms())
    streams = sorted(set(query.streams))
    chosen = method or choose_method(len(streams), query.pushdown_pattern)
    ref = resolve_group(conn, limiter, query.group, cancel)
    counter = CallCounter()
    meter = _FetchMeter()
    runner = SliceRunner(cancel, ordered=ordered)
    if chosen is FetchMethod.GET:
        runner.add(
            batch
            for stream in streams
            for batch in stream_batches(
                conn,
                limiter,
                ref,
                stream,
                start_ms=start_ms,
                end_ms=end_ms,
                cancel=runner.stop,
                counter=counter,
            )
        )
    else:
        sweep = partial(
            filter_batches,
            conn,
            limiter,
            ref,
            streams=streams,
            pattern=query.pushdown_pattern,
            cancel=runner.stop,
            counter=counter,
        )
        if max_slices > 1 and len(streams) <= MAX_STREAMS_PER_CALL:
            cut = SweepCut()
            head = sweep(start_ms, end_ms, cut=cut)
            plan = partial(
                plan_rest, end_ms=end_ms, calls_per_s=limiter.calls_per_s, max_slices=max_slices
            )
            runner.add(_slicing_head(head, cut, plan, sweep, runner))
        else:
            runner.add(sweep(start_ms, end_ms))

    def deliver(batch: EventBatch) -> None:
        meter.events += len(batch)
        meter.slices = runner.slices
        on_batch(batch)
        if progress is not None:
            progress(meter.progress(counter))

    cancelled = False
    try:
        runner.deliver(deliver)
    except OperationCancelled:
        cancelled = True
    meter.slices = runner.slices
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
        bytes=final.bytes,
        slices=final.slices,
    )


def _slicing_head(
    head: Iterator[EventBatch],
    cut: SweepCut,
    plan: Callable[[int, int, float], list[SliceBounds]],
    sweep: Callable[[int, int], Iterator[EventBatch]],
    runner: SliceRunner,
) -> Iterator[EventBatch]:
    """The first sweep; after its first page it starts the other slices and stops at its
    slice's end."""
    planned = False
    for batch in head:
        if not planned and batch.timestamps:
            planned = True
            if cut.more and cut.newest_ms is not None:
                rest = plan(min(batch.timestamps), cut.newest_ms, cut.first_page_s or 0.0)
                if rest:
                    cut.until_ms = rest[0].end_ms
                    for bounds in rest[1:]:
                        runner.add(sweep(bounds.start_ms, bounds.end_ms))
        yield batch
