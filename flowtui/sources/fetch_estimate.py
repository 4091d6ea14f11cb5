"""Estimating a fetch before running it: events, calls and time for a query's range.

CloudWatch reports no per-stream sizes, so the estimate combines stream metadata (how many
streams over how long) with one sampled minute of FilterLogEvents; the fetch itself is
`flowtui.sources.fetch`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from flowtui.core.query import Query
from flowtui.core.wording import counted
from flowtui.sources.aws import AwsConnection
from flowtui.sources.fetch import MAX_STREAMS_PER_CALL
from flowtui.sources.log_groups import StreamInfo, list_streams, name_group, resolve_group
from flowtui.sources.ratelimit import SYSTEM_CLOCK, RateLimiter

if TYPE_CHECKING:
    from mypy_boto3_logs.type_defs import (
        FilterLogEventsRequestTypeDef,
        FilterLogEventsResponseTypeDef,
    )

#: A page holds at most 10,000 events or 1 MB.
MAX_EVENTS_PER_PAGE = 10_000
MAX_PAGE_BYTES = 1_048_576
#: Per-event overhead CloudWatch counts towards the 1 MB (as for PutLogEvents).
EVENT_OVERHEAD_BYTES = 26
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
        events, calls = counted(self.events, "event"), counted(self.calls, "call")
        return f"estimate: {more}{events} in {more}{calls} (~{_span(self.seconds)}) from {scope}"


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
    name_group(request, ref)
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
