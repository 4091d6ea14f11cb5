"""The query object: the only thing the UI sends back towards a source."""

from __future__ import annotations

from dataclasses import dataclass, field


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
