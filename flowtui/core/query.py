"""The query object: the only thing the UI sends back towards a source, and the check that
its time range can hold records at all (`check_time_range`), shared by the app and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A time range in ms since the epoch.

    Relative ranges ("the last hour") keep `lookback_ms` and are resolved against a clock when
    a fetch starts, so a saved view means the same thing tomorrow.
    """

    start_ms: int | None = None
    end_ms: int | None = None
    lookback_ms: int | None = None

    @classmethod
    def last(cls, seconds: int) -> TimeRange:
        return cls(lookback_ms=seconds * 1000)

    @classmethod
    def between(cls, start_ms: int, end_ms: int | None) -> TimeRange:
        return cls(start_ms=start_ms, end_ms=end_ms)

    @property
    def is_relative(self) -> bool:
        return self.lookback_ms is not None

    def resolve(self, now_ms: int) -> tuple[int, int]:
        """Absolute (start, end) in ms; an open end means now."""
        if self.lookback_ms is not None:
            return now_ms - self.lookback_ms, now_ms
        start = self.start_ms if self.start_ms is not None else now_ms - 3_600_000
        return start, self.end_ms if self.end_ms is not None else now_ms


DEFAULT_TIME_RANGE = TimeRange.last(3600)


@dataclass(frozen=True, slots=True)
class Query:
    """What to load: a log group, some of its streams (empty means all), a time range, a filter.

    `pushdown_pattern` is the CloudWatch filter pattern derived from `filter_text` for the
    group's formats; it only ever selects a superset, and the full filter is re-applied locally.
    """

    group: str
    time_range: TimeRange = DEFAULT_TIME_RANGE
    streams: tuple[str, ...] = field(default=())
    filter_text: str = ""
    pushdown_pattern: str | None = None


#: CloudWatch Logs refuses a startTime before the epoch.
EARLIEST_MS = 0
_DAY_MS = 86_400_000
#: PutLogEvents accepts events at most 14 days older than their ingestion.
_MAX_INGESTION_AGE_MS = 14 * _DAY_MS


class TimeRangeError(ValueError):
    """A time range that cannot hold any record; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class CheckedRange:
    """The range to load; `note` says how it was narrowed (None when it was used as given)."""

    time_range: TimeRange
    note: str | None = None


def check_time_range(
    time_range: TimeRange,
    now_ms: int,
    *,
    retention_days: int | None = None,
    created_ms: int | None = None,
) -> CheckedRange:
    """Validate a range before loading it: TimeRangeError when it is empty or ends before the
    oldest record the group can hold; otherwise the range with its start clamped to that oldest
    moment (the epoch, the group's retention, 14 days before its creation). A relative range
    stays relative, so a saved view still means "the last N" tomorrow.
    """
    start, end = time_range.resolve(now_ms)
    if end <= start:
        raise TimeRangeError(
            f"the time range is empty: it starts at {_iso(start)} and ends at {_iso(end)}"
        )
    oldest, why = EARLIEST_MS, "1970, the earliest time CloudWatch Logs accepts"
    if created_ms is not None and created_ms - _MAX_INGESTION_AGE_MS > oldest:
        oldest = created_ms - _MAX_INGESTION_AGE_MS
        why = f"14 days before the log group was created on {_iso(created_ms)}"
    if retention_days is not None and now_ms - retention_days * _DAY_MS > oldest:
        oldest = now_ms - retention_days * _DAY_MS
        days = "1 day" if retention_days == 1 else f"{retention_days} days"
        why = f"the log group keeps records for {days}"
    if end <= oldest:
        raise TimeRangeError(
            f"the time range ends at {_iso(end)}, before any record the log group can hold ({why})"
        )
    if start >= oldest:
        return CheckedRange(time_range)
    note = f"loading from {_iso(oldest)}: {why}"
    if time_range.is_relative:
        return CheckedRange(TimeRange.last(max(1, (now_ms - oldest) // 1000)), note)
    return CheckedRange(TimeRange.between(oldest, time_range.end_ms), note)


def _iso(ms: int) -> str:
    try:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError, OSError):
        return "a time outside the calendar" if ms > 0 else "a time before the year 1"
