"""The timeline (traffic over time) computed by CloudWatch Logs Insights, equal to the local
engine's `flowtui.core.stats.timeline`.

Records are bucketed on their `start` field, as the local engine does (Insights' `bin()` buckets
`@timestamp`, the event time, which need not be the record's start), with the size the local
engine picks for the records' time span. Up to two days, one query of 1-minute buckets is
re-aggregated to any size (every size on the ladder is a whole number of minutes); beyond, the
first query uses the size for the whole range and reports the records' first and last start, and
a second query follows only when the records span a shorter time than the range.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from flowtui.core.insights.request import (
    ROW_CAP,
    InsightsRequest,
    RunQuery,
    all_rows,
    integer,
    number_column,
    unavailable_table,
)
from flowtui.core.stats.timeline import (
    TIMELINE_COLUMNS,
    TimelineTable,
    bucket_seconds_for,
    unavailable_timeline,
)

# --- timeline --------------------------------------------------------------------------------

_MINUTE = 60
#: Up to this range, 1-minute buckets (at most 3 rows each: accept, reject, other) fit under
#: the row cap, and every bucket size the local engine may choose is a whole number of them.
_FINE_RANGE_S = (ROW_CAP // 3 - 1) * _MINUTE
_CLASSES = ("accept", "reject", "other")


@dataclass(frozen=True, slots=True)
class _Buckets:
    frame: pl.DataFrame  # bucket (Int64, null = undated), cls, records, bytes
    first_start: int | None
    last_start: int | None


def _bucket_query(request: InsightsRequest, run: RunQuery, size: int) -> _Buckets:
    start = request.name("start")
    action = request.name("action") if request.has("action") else None
    sums = ["count(*) as records", f"min({start}) as first_start", f"max({start}) as last_start"]
    if request.has("bytes"):
        sums.append(f"sum({request.name('bytes')}) as sum_bytes")
    by = "bucket" + (f", {action}" if action else "")
    rows = all_rows(
        run,
        request.query(
            f"fields floor({start} / {size}) * {size} as bucket",
            f"stats {', '.join(sums)} by {by}",
        ),
        "the timeline",
    )
    classes = [
        "accept"
        if action and row.get(action) == "ACCEPT"
        else "reject"
        if action and row.get(action) == "REJECT"
        else "other"
        for row in rows
    ]
    frame = pl.DataFrame(
        {
            "bucket": number_column(rows, "bucket", pl.Int64()),
            "cls": pl.Series(classes, dtype=pl.String()),
            "records": number_column(rows, "records", pl.UInt64()).fill_null(0),
            "bytes": number_column(rows, "sum_bytes", pl.UInt64()).fill_null(0),
        }
    )
    firsts = [v for v in (integer(row.get("first_start")) for row in rows) if v is not None]
    lasts = [v for v in (integer(row.get("last_start")) for row in rows) if v is not None]
    return _Buckets(frame, min(firsts, default=None), max(lasts, default=None))


def timeline_table(
    request: InsightsRequest,
    run: RunQuery,
    range_start_s: int,
    range_end_s: int,
    bucket_seconds: int | None = None,
) -> TimelineTable:
    """Records and bytes per time bucket of `start`, ACCEPT, REJECT and other apart, with the
    bucket size the local engine picks for the records' span (unless `bucket_seconds`)."""
    title = "Traffic over time"
    if unavailable := unavailable_table(request, title, ["start"], TIMELINE_COLUMNS):
        return unavailable_timeline(unavailable, bucket_seconds)
    if bucket_seconds is not None:
        query_size = bucket_seconds
    elif range_end_s - range_start_s <= _FINE_RANGE_S:
        query_size = _MINUTE
    else:
        query_size = bucket_seconds_for(range_end_s - range_start_s)
    buckets = _bucket_query(request, run, query_size)
    span = (
        0
        if buckets.first_start is None or buckets.last_start is None
        else buckets.last_start - buckets.first_start
    )
    size = bucket_seconds or bucket_seconds_for(span)
    if size % query_size:
        buckets = _bucket_query(request, run, size)  # the first guess was too coarse
    return _timeline_from(request, buckets, size)


def _timeline_from(request: InsightsRequest, buckets: _Buckets, size: int) -> TimelineTable:
    frame = buckets.frame
    dated = frame.filter(pl.col("bucket").is_not_null())
    undated = int(frame.filter(pl.col("bucket").is_null()).get_column("records").sum() or 0)
    has_bytes = request.has("bytes")
    per_bucket = dated.with_columns((pl.col("bucket") // size * size).alias("bucket_start"))
    aggregations = [
        pl.col("records")
        .filter(pl.col("cls") == cls)
        .sum()
        .cast(pl.UInt32())
        .alias(f"records_{cls}")
        for cls in _CLASSES
    ]
    aggregations += [
        (
            pl.col("bytes").filter(pl.col("cls") == cls).sum().cast(pl.UInt64())
            if has_bytes
            else pl.lit(None, dtype=pl.UInt64()).first()
        ).alias(f"bytes_{cls}")
        for cls in _CLASSES
    ]
    sums = per_bucket.group_by("bucket_start").agg(aggregations)
    if dated.is_empty() or buckets.first_start is None or buckets.last_start is None:
        starts = pl.Series("bucket_start", [], dtype=pl.Int64())
    else:
        first = buckets.first_start // size * size
        last = buckets.last_start // size * size
        starts = pl.int_range(first, last + size, size, dtype=pl.Int64(), eager=True)
    counts = [f"records_{cls}" for cls in _CLASSES]
    byte_columns = [f"bytes_{cls}" for cls in _CLASSES]
    zero_filled = [*counts, *(byte_columns if has_bytes else ())]
    rows = (
        starts.alias("bucket_start")
        .to_frame()
        .join(sums, on="bucket_start", how="left", maintain_order="left")
        .with_columns(pl.col(zero_filled).fill_null(0))
        .select(
            "bucket_start",
            pl.from_epoch("bucket_start", time_unit="s")
            .dt.strftime("%Y-%m-%dT%H:%M:%SZ")
            .alias("time"),
            *counts,
            *byte_columns,
        )
    )
    parts = []
    if undated:
        parts.append(
            f"{undated} {'record' if undated == 1 else 'records'} without a start time left out"
        )
    if not request.has("action"):
        parts.append("action not recorded, so every record counts as other")
    if not has_bytes:
        parts.append("bytes not recorded")
    note = "; ".join([*parts, request.note])
    return TimelineTable(title="Traffic over time", rows=rows, note=note, bucket_seconds=size)
