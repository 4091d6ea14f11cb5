"""CloudWatch Logs: log groups, streams (ENIs), and fetching a time range in batches.

Paging is written by hand: FilterLogEvents may return empty or partial pages that still carry
a token (only an absent token means done) and the botocore paginator fails on a repeated
token; GetLogEvents ends when it returns the token it was given. Sources never parse records:
they hand `EventBatch`es to the caller, one per page.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from flowtui.core.events import EventBatch, content_key_hash, event_id_hash
from flowtui.core.formats import LogFormat
from flowtui.core.query import Query
from flowtui.sources.aws import AwsConnection, NotFoundError, OperationCancelled
from flowtui.sources.ec2 import (
    Ec2Lookups,
    EniInfo,
    FlowLogInfo,
    distinct_formats,
    shared_lookups,
)
from flowtui.sources.ratelimit import SYSTEM_CLOCK, RateLimiter

if TYPE_CHECKING:
    from mypy_boto3_logs.type_defs import (
        DescribeLogGroupsRequestTypeDef,
        DescribeLogGroupsResponseTypeDef,
        DescribeLogStreamsRequestTypeDef,
        DescribeLogStreamsResponseTypeDef,
        FilteredLogEventTypeDef,
        FilterLogEventsRequestTypeDef,
        FilterLogEventsResponseTypeDef,
        GetLogEventsRequestTypeDef,
        GetLogEventsResponseTypeDef,
        LogGroupTypeDef,
        LogStreamTypeDef,
        OutputLogEventTypeDef,
    )

T = TypeVar("T")

#: FilterLogEvents accepts at most 100 stream names per call.
MAX_STREAMS_PER_CALL = 100
#: A page holds at most 10,000 events or 1 MB.
MAX_EVENTS_PER_PAGE = 10_000
MAX_PAGE_BYTES = 1_048_576
#: Per-event overhead CloudWatch counts towards the 1 MB (as for PutLogEvents).
EVENT_OVERHEAD_BYTES = 26
#: Default quotas in most regions (calls/s): GetLogEvents has 2.5 times FilterLogEvents' quota.
FILTER_QUOTA_PER_S = 10.0
GET_QUOTA_PER_S = 25.0
#: A token that keeps coming back with the same page is followed at most this many times.
MAX_REPEATED_TOKENS = 3

_ENI_PREFIX = re.compile(r"^(eni-[0-9a-f]+)")
_GROUP_ARN = re.compile(
    r"^arn:[\w-]+:logs:[\w-]+:(?P<account>\d{12}):log-group:(?P<name>.+?)(:\*)?$"
)


# --- groups -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogGroupInfo:
    name: str
    arn: str
    creation_time_ms: int | None
    retention_days: int | None
    #: The flow logs delivering to this group (empty when none or unknown).
    flow_logs: tuple[FlowLogInfo, ...] = ()
    #: False when ec2:DescribeFlowLogs could not be read: formats must be detected.
    flow_logs_known: bool = True

    @property
    def receives_flow_logs(self) -> bool:
        return bool(self.flow_logs)

    @property
    def formats(self) -> tuple[LogFormat, ...]:
        """Every distinct record format delivered to this group, for the parser."""
        return distinct_formats(self.flow_logs)


@dataclass(frozen=True, slots=True)
class GroupRef:
    """How to name a group in requests: by name in this account, by ARN across accounts."""

    name: str
    #: Set only for groups shared from another account (moto resolves ARNs wrongly, and
    #: same-account groups never need one).
    identifier: str | None = None

    @property
    def display(self) -> str:
        return self.identifier or self.name

    def describe(self) -> str:
        return f"log group {self.display}"


def list_log_groups(
    conn: AwsConnection,
    limiter: RateLimiter,
    *,
    prefix: str | None = None,
    lookups: Ec2Lookups | None = None,
    cancel: threading.Event | None = None,
) -> list[LogGroupInfo]:
    """All log groups (paged), each marked with the flow logs that deliver to it."""
    lookups = lookups or shared_lookups(conn, limiter)
    raw = _describe_groups(conn, limiter, prefix, cancel)
    flow_logs = lookups.flow_logs()
    by_group: dict[str, list[FlowLogInfo]] = {}
    for flow_log in flow_logs or ():
        if flow_log.log_group:
            by_group.setdefault(flow_log.log_group, []).append(flow_log)
    return [
        LogGroupInfo(
            name=item.get("logGroupName", ""),
            arn=_group_arn(item),
            creation_time_ms=item.get("creationTime"),
            retention_days=item.get("retentionInDays"),
            flow_logs=tuple(by_group.get(item.get("logGroupName", ""), ())),
            flow_logs_known=flow_logs is not None,
        )
        for item in raw
    ]


def _describe_groups(
    conn: AwsConnection, limiter: RateLimiter, prefix: str | None, cancel: threading.Event | None
) -> list[LogGroupTypeDef]:
    groups: list[LogGroupTypeDef] = []
    token: str | None = None
    while True:
        request: DescribeLogGroupsRequestTypeDef = {"limit": 50}
        if prefix:
            request["logGroupNamePrefix"] = prefix
        if token:
            request["nextToken"] = token
        response: DescribeLogGroupsResponseTypeDef = limiter.call(
            partial(conn.logs.describe_log_groups, **request), "logs:DescribeLogGroups", cancel
        )
        groups.extend(response.get("logGroups", []))
        next_token = response.get("nextToken")
        if not next_token or next_token == token:
            return groups
        token = next_token


def _group_arn(item: LogGroupTypeDef) -> str:
    return item.get("logGroupArn") or item.get("arn", "").removesuffix(":*")


_group_refs: dict[tuple[str, str], GroupRef] = {}
_group_refs_lock = threading.Lock()


def resolve_group(
    conn: AwsConnection, limiter: RateLimiter, group: str, cancel: threading.Event | None = None
) -> GroupRef:
    """A GroupRef for a name or an ARN; an ARN of this account's group becomes its name."""
    match = _GROUP_ARN.match(group)
    if match is None:
        return GroupRef(group)
    key = (conn.limiter_key, group)
    with _group_refs_lock:
        cached = _group_refs.get(key)
    if cached is not None:
        return cached
    name = match.group("name")
    own = [
        item
        for item in _describe_groups(conn, limiter, name, cancel)
        if item.get("logGroupName") == name
        and _group_arn(item).split(":")[4] == match.group("account")
    ]
    ref = GroupRef(name) if own else GroupRef(name, identifier=group.removesuffix(":*"))
    with _group_refs_lock:
        _group_refs[key] = ref
    return ref


# --- streams ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """A log stream; flow logs write one per ENI. Stored bytes are 0 on AWS, so not kept."""

    name: str
    eni_id: str | None
    first_event_ms: int | None
    last_event_ms: int | None
    last_ingestion_ms: int | None
    creation_ms: int | None
    eni: EniInfo | None = None

    @property
    def label(self) -> str:
        return self.eni.label if self.eni is not None else self.name

    def may_hold(self, start_ms: int, end_ms: int) -> bool:
        """Whether the stream's metadata allows events in [start, end] (metadata lags)."""
        first = self.first_event_ms if self.first_event_ms is not None else self.creation_ms
        last = max(self.last_event_ms or 0, self.last_ingestion_ms or 0) or None
        if first is None or last is None:
            return True
        return first <= end_ms and last >= start_ms


def eni_of_stream(name: str) -> str | None:
    """The ENI id of a flow-log stream name such as "eni-0abc...-all"."""
    match = _ENI_PREFIX.match(name)
    return match.group(1) if match else None


def list_streams(
    conn: AwsConnection,
    limiter: RateLimiter,
    group: str,
    *,
    prefix: str | None = None,
    enrich: bool = True,
    lookups: Ec2Lookups | None = None,
    cancel: threading.Event | None = None,
) -> list[StreamInfo]:
    """All streams of a group (paged), with what each ENI belongs to when `enrich`."""
    ref = resolve_group(conn, limiter, group, cancel)
    streams = [_stream(item) for item in _describe_streams(conn, limiter, ref, prefix, cancel)]
    if not enrich:
        return streams
    lookups = lookups or shared_lookups(conn, limiter)
    enis = lookups.network_interfaces(s.eni_id for s in streams if s.eni_id)
    return [replace(s, eni=enis[s.eni_id]) if s.eni_id else s for s in streams]


def _describe_streams(
    conn: AwsConnection,
    limiter: RateLimiter,
    ref: GroupRef,
    prefix: str | None,
    cancel: threading.Event | None,
) -> list[LogStreamTypeDef]:
    streams: list[LogStreamTypeDef] = []
    token: str | None = None
    while True:
        request: DescribeLogStreamsRequestTypeDef = {"limit": 50}
        _name_group(request, ref)
        if prefix:
            request["logStreamNamePrefix"] = prefix
        if token:
            request["nextToken"] = token
        response: DescribeLogStreamsResponseTypeDef = limiter.call(
            partial(conn.logs.describe_log_streams, **request),
            "logs:DescribeLogStreams",
            cancel,
            resource=ref.describe(),
        )
        streams.extend(response.get("logStreams", []))
        next_token = response.get("nextToken")
        if not next_token or next_token == token:
            return streams
        token = next_token


def _stream(item: LogStreamTypeDef) -> StreamInfo:
    name = item.get("logStreamName", "")
    return StreamInfo(
        name=name,
        eni_id=eni_of_stream(name),
        first_event_ms=item.get("firstEventTimestamp"),
        last_event_ms=item.get("lastEventTimestamp"),
        last_ingestion_ms=item.get("lastIngestionTime"),
        creation_ms=item.get("creationTime"),
    )


def _name_group(
    request: FilterLogEventsRequestTypeDef
    | GetLogEventsRequestTypeDef
    | DescribeLogStreamsRequestTypeDef,
    ref: GroupRef,
) -> None:
    if ref.identifier:
        request["logGroupIdentifier"] = ref.identifier
    else:
        request["logGroupName"] = ref.name


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
        _name_group(request, ref)
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
        _name_group(request, ref)
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
            _describe_streams(conn, limiter, ref, stream, cancel)  # raises if the group is gone
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


# --- estimate -----------------------------------------------------------------------------

#: Where the density sample is taken: flow logs arrive up to ~15 minutes late, so the last
#: minutes of a range are not yet complete.
_SAMPLE_S = 60
_SAMPLE_SETTLED_S = 20 * 60


@dataclass(frozen=True, slots=True)
class FetchEstimate:
    """An estimate, not a measurement: CloudWatch reports no per-stream sizes (0 since 2019)."""

    streams: int
    stream_hours: float
    range_s: float
    #: Extrapolated from one sampled minute; None when not sampled.
    events: int | None
    #: At least this many calls.
    calls: int
    seconds: float
    #: True when the sampled minute filled a whole page (the real volume may be higher).
    at_least: bool

    def summary(self) -> str:
        span = _span(self.range_s)
        scope = f"{self.streams} stream{'s' if self.streams != 1 else ''} over {span}"
        if self.events is None:
            return f"estimate: {scope} ({self.stream_hours:,.0f} stream-hours); event count unknown"
        more = "at least " if self.at_least else "~"
        return (
            f"estimate: {more}{self.events:,} events in {more}{self.calls:,} calls "
            f"(~{_span(self.seconds)}) from {scope}"
        )


def estimate_fetch(
    conn: AwsConnection,
    limiter: RateLimiter,
    query: Query,
    *,
    streams: Sequence[StreamInfo] | None = None,
    sample: bool = True,
    now_ms: Callable[[], int] = SYSTEM_CLOCK.now_ms,
    cancel: threading.Event | None = None,
) -> FetchEstimate:
    """Estimate a fetch from stream metadata (count x time span) and one sampled minute.

    Pass `streams` when already listed, to save the DescribeLogStreams calls.
    """
    start_ms, end_ms = query.time_range.resolve(now_ms())
    known = (
        streams
        if streams is not None
        else list_streams(conn, limiter, query.group, enrich=False, cancel=cancel)
    )
    selected = set(query.streams)
    active = [
        s for s in known if (not selected or s.name in selected) and s.may_hold(start_ms, end_ms)
    ]
    stream_hours = sum(_overlap_hours(s, start_ms, end_ms) for s in active)
    range_s = max(0.0, (end_ms - start_ms) / 1000)
    events: int | None = None
    at_least = False
    per_page = MAX_EVENTS_PER_PAGE
    if sample and active:
        sampled, at_least, per_page = _sample_density(
            conn, limiter, query, start_ms=start_ms, end_ms=end_ms, now_ms=now_ms(), cancel=cancel
        )
        events = round(sampled * range_s / _SAMPLE_S)
    sweeps = max(1, math.ceil(len(selected) / MAX_STREAMS_PER_CALL))
    calls = max(sweeps, math.ceil((events or 0) / per_page))
    seconds = calls / limiter.calls_per_s
    return FetchEstimate(len(active), stream_hours, range_s, events, calls, seconds, at_least)


def _sample_density(
    conn: AwsConnection,
    limiter: RateLimiter,
    query: Query,
    *,
    start_ms: int,
    end_ms: int,
    now_ms: int,
    cancel: threading.Event | None,
) -> tuple[int, bool, int]:
    """(events in one sampled minute, page was full, events per 1 MB page at their size)."""
    slice_end = min(end_ms, now_ms - _SAMPLE_SETTLED_S * 1000)
    if slice_end - _SAMPLE_S * 1000 < start_ms:
        slice_end = end_ms
    slice_start = max(start_ms, slice_end - _SAMPLE_S * 1000)
    ref = resolve_group(conn, limiter, query.group, cancel)
    request: FilterLogEventsRequestTypeDef = {
        "startTime": slice_start,
        "endTime": slice_end,
        "interleaved": True,
    }
    _name_group(request, ref)
    if query.streams:
        request["logStreamNames"] = sorted(set(query.streams))[:MAX_STREAMS_PER_CALL]
    if query.pushdown_pattern:
        request["filterPattern"] = query.pushdown_pattern
    response: FilterLogEventsResponseTypeDef = limiter.call(
        partial(conn.logs.filter_log_events, **request),
        "logs:FilterLogEvents",
        cancel,
        resource=ref.describe(),
    )
    events = response.get("events", [])
    sampled_ms = max(1, slice_end - slice_start)
    count = round(len(events) * (_SAMPLE_S * 1000) / sampled_ms)
    if len(query.streams) > MAX_STREAMS_PER_CALL:
        count = round(count * len(set(query.streams)) / MAX_STREAMS_PER_CALL)
    size = sum(len(e.get("message", "")) + EVENT_OVERHEAD_BYTES for e in events) / max(
        1, len(events)
    )
    per_page = min(MAX_EVENTS_PER_PAGE, max(1, int(MAX_PAGE_BYTES // max(1.0, size))))
    return count, bool(response.get("nextToken")), per_page


def _overlap_hours(stream: StreamInfo, start_ms: int, end_ms: int) -> float:
    first = stream.first_event_ms if stream.first_event_ms is not None else start_ms
    last = max(stream.last_event_ms or 0, stream.last_ingestion_ms or 0) or end_ms
    return max(0, min(end_ms, last) - max(start_ms, first)) / 3_600_000


def _span(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h".replace(".0 h", " h")
    return f"{seconds / 86400:.1f} days".replace(".0 days", " days")


__all__ = [
    "CallCounter",
    "FetchEstimate",
    "FetchMethod",
    "FetchProgress",
    "FetchResult",
    "FlowLogInfo",
    "GroupRef",
    "LogGroupInfo",
    "StreamInfo",
    "choose_method",
    "eni_of_stream",
    "estimate_fetch",
    "fetch",
    "filter_batches",
    "list_log_groups",
    "list_streams",
    "resolve_group",
    "stream_batches",
]
