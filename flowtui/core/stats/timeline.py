"""Traffic over time: records and bytes per time bucket, ACCEPT, REJECT and other apart, with a
bucket size that follows the time range (`bucket_seconds_for`)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from flowtui.core.stats.counting import (
    CountedRecords,
    Counting,
    StatsTable,
    count_records,
    unavailable_table,
)

# Bucket sizes for the timeline: flow logs aggregate over 1 or 10 minutes, so 1 min is the finest.
_MINUTE = 60
_HOUR = 3600
_DAY = 86400
_BUCKET_LADDER = (
    *(n * _MINUTE for n in (1, 2, 5, 10, 15, 30)),
    *(n * _HOUR for n in (1, 2, 3, 6, 12)),
    _DAY,
)
_MAX_BUCKETS = 120


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineTable(StatsTable):
    """Traffic over time; `bucket_seconds` is the width of each row's bucket."""

    bucket_seconds: int


def bucket_seconds_for(span_seconds: int) -> int:
    """A bucket size for a time range: the finest of 1 min ... 1 day giving at most 120 buckets.

    1 min up to 2 h, 15 min for a day, 2 h for a week, 1 day from 4 months; whole days beyond.
    """
    if span_seconds < 0:
        raise ValueError(f"a time span cannot be negative ({span_seconds} s)")
    for size in _BUCKET_LADDER:
        if span_seconds <= size * _MAX_BUCKETS:
            return size
    days = -(-span_seconds // (_DAY * _MAX_BUCKETS))
    return days * _DAY


_TIMELINE_FIELDS = ("start", "action", "bytes")
_TIMELINE_COUNTS = ("records_accept", "records_reject", "records_other")
_TIMELINE_BYTES = ("bytes_accept", "bytes_reject", "bytes_other")
TIMELINE_COLUMNS = ("bucket_start", "time", *_TIMELINE_COUNTS, *_TIMELINE_BYTES)
_MAX_TIMELINE_ROWS = 100_000


def _timeline_classes(data: pl.DataFrame) -> list[pl.Expr]:
    """accept, reject, other: whether each record is ACCEPT, REJECT or neither (no action)."""
    if "action" not in data.columns:
        return [pl.lit(False), pl.lit(False), pl.lit(True)]
    accept = (pl.col("action") == "ACCEPT").fill_null(False)
    reject = (pl.col("action") == "REJECT").fill_null(False)
    return [accept, reject, ~(accept | reject)]


def _timeline_sums(data: pl.DataFrame) -> list[pl.Expr]:
    classes = _timeline_classes(data)
    counts = [
        cls.sum().cast(pl.UInt32()).alias(name)
        for cls, name in zip(classes, _TIMELINE_COUNTS, strict=True)
    ]
    if "bytes" in data.columns:
        byte_sums = [
            pl.col("bytes").filter(cls).sum().alias(name)
            for cls, name in zip(classes, _TIMELINE_BYTES, strict=True)
        ]
    else:
        byte_sums = [
            pl.lit(None, dtype=pl.UInt64()).first().alias(name) for name in _TIMELINE_BYTES
        ]
    return [*counts, *byte_sums]


def _timeline_note(counted: CountedRecords, undated: int) -> str:
    parts = []
    if undated:
        noun = "record" if undated == 1 else "records"
        parts.append(f"{undated} {noun} without a start time left out")
    if "action" not in counted.frame.columns:
        parts.append("action not recorded, so every record counts as other")
    if "bytes" not in counted.frame.columns:
        parts.append("bytes not recorded")
    return "; ".join([*parts, counted.note])


def _bucket_starts(dated: pl.DataFrame, size: int) -> pl.Series:
    """Every bucket start from the first record's bucket to the last one's, gaps included."""
    if dated.is_empty():
        return pl.Series("bucket_start", [], dtype=pl.Int64())
    start = dated.get_column("start")
    first, last = int(start.min()), int(start.max())  # type: ignore[arg-type]
    first_bucket, last_bucket = first // size * size, last // size * size
    if (last_bucket - first_bucket) // size >= _MAX_TIMELINE_ROWS:
        raise ValueError(
            f"{size}-second buckets over this time range make more than "
            f"{_MAX_TIMELINE_ROWS} rows; choose larger buckets"
        )
    starts = pl.int_range(first_bucket, last_bucket + size, size, dtype=pl.Int64(), eager=True)
    return starts.alias("bucket_start")


def _span_seconds(dated: pl.DataFrame) -> int:
    if dated.is_empty():
        return 0
    return int(dated.select(pl.col("start").max() - pl.col("start").min()).item())


def unavailable_timeline(unavailable: StatsTable, bucket_seconds: int | None) -> TimelineTable:
    """The empty timeline either engine shows when the records lack a field it needs."""
    return TimelineTable(
        title=unavailable.title,
        rows=unavailable.rows,
        note=unavailable.note,
        missing_fields=unavailable.missing_fields,
        bucket_seconds=bucket_seconds or _MINUTE,
    )


def _timeline_table(counted: CountedRecords, bucket_seconds: int | None) -> TimelineTable:
    title = "Traffic over time"
    if unavailable := unavailable_table(counted, title, ["start"], TIMELINE_COLUMNS):
        return unavailable_timeline(unavailable, bucket_seconds)
    dated = counted.frame.filter(pl.col("start").is_not_null())
    size = bucket_seconds or bucket_seconds_for(_span_seconds(dated))
    sums = (
        dated.lazy()
        .group_by((pl.col("start") // size * size).alias("bucket_start"))
        .agg(_timeline_sums(dated))
    )
    zero_filled = [*_TIMELINE_COUNTS, *(_TIMELINE_BYTES if "bytes" in dated.columns else ())]
    rows = (
        _bucket_starts(dated, size)
        .to_frame()
        .lazy()
        .join(sums, on="bucket_start", how="left", maintain_order="left")
        .with_columns(pl.col(zero_filled).fill_null(0))
        .select(
            "bucket_start",
            pl.from_epoch("bucket_start", time_unit="s")
            .dt.strftime("%Y-%m-%dT%H:%M:%SZ")
            .alias("time"),
            *_TIMELINE_COUNTS,
            *_TIMELINE_BYTES,
        )
        .collect()
    )
    undated = counted.frame.height - dated.height
    note = _timeline_note(counted, undated)
    return TimelineTable(title=title, rows=rows, note=note, bucket_seconds=size)


def timeline(
    frame: pl.DataFrame,
    counting: Counting = Counting.ALL_RECORDS,
    bucket_seconds: int | None = None,
) -> TimelineTable:
    """Records and bytes per time bucket (by `start`), ACCEPT, REJECT and other apart.

    Buckets are aligned to multiples of their size (UTC) and gapless: empty ones hold zeros.
    The size follows the time range of the records unless `bucket_seconds` is given.
    """
    if bucket_seconds is not None and bucket_seconds < 1:
        raise ValueError(f"a time bucket must be at least 1 second, not {bucket_seconds}")
    return _timeline_table(count_records(frame, counting, _TIMELINE_FIELDS), bucket_seconds)
