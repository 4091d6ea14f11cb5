"""The stats view's second engine: the same tables computed by CloudWatch Logs Insights.

`InsightsEngine` holds what the explorer shows (group, its formats, the chosen streams, the time
range) and, called from a worker thread, estimates the scan and computes the stats view's tables
and timeline with Insights (`flowtui.core.insights`, `flowtui.sources.insights`). Progress and
the partial top-talker tables are handed to callbacks as they arrive; setting the cancel event
stops the running query (StopQuery). No Textual here: the screen posts the messages.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from flowtui.core.filter.parser import parse_filter
from flowtui.core.filter.syntax import FilterError
from flowtui.core.formats import LogFormat
from flowtui.core.insights.request import InsightsRequest, QueryResult, make_request
from flowtui.core.insights.tables import (
    is_pairs_query,
    stats_overview,
    talkers_from_pairs,
)
from flowtui.core.insights.timeline import timeline_table
from flowtui.core.insights.translate import NotTranslatableError
from flowtui.core.insights.values import value_counts_table
from flowtui.core.query import TimeRange
from flowtui.core.stats.counting import Counting, StatsTable
from flowtui.core.stats.talkers import METRICS
from flowtui.core.stats.timeline import TimelineTable
from flowtui.core.stats.values import VALUE_COUNTS_LIMIT
from flowtui.sources.aws import AwsConnection
from flowtui.sources.insights import InsightsQuery, QueryProgress, ScanEstimate, estimate_scan
from flowtui.sources.ratelimit import RateLimiter

#: Above this estimated price the app asks before running (the `insights_confirm_usd` setting).
DEFAULT_CONFIRM_ABOVE_USD = 1.0


@dataclass(frozen=True, slots=True)
class InsightsScope:
    """The records the explorer shows, as Insights would select them; `formats` looks the
    group's record formats up (DescribeFlowLogs, cached), so it is called in the worker."""

    group: str
    formats: Callable[[], Sequence[LogFormat]]
    streams: tuple[str, ...]
    time_range: TimeRange


def progress_text(progress: QueryProgress, done: int, total: int) -> str:
    return (
        f"Insights query {done + 1} of about {total}: {progress.status} · "
        f"{progress.records_matched:,} matched of {progress.records_scanned:,} scanned · "
        f"{progress.elapsed_s:.1f} s"
    )


class InsightsEngine:
    """Runs the stats view's tables in Insights over one scope; thread-safe to call from a
    worker, one run at a time."""

    def __init__(
        self,
        conn: AwsConnection,
        limiter: RateLimiter,
        scope: InsightsScope,
        *,
        confirm_above_usd: float = DEFAULT_CONFIRM_ABOVE_USD,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.conn = conn
        self.limiter = limiter
        self.scope = scope
        self.confirm_above_usd = confirm_above_usd
        self._wall_clock = wall_clock

    def _seconds(self) -> tuple[int, int, int]:
        now_ms = int(self._wall_clock() * 1000)
        start_ms, end_ms = self.scope.time_range.resolve(now_ms)
        return now_ms, start_ms // 1000, max(start_ms // 1000, (end_ms - 1) // 1000)

    def request(self, filter_text: str, counting: Counting) -> InsightsRequest:
        """The request, or NotTranslatableError / FilterError saying why it cannot run."""
        now_ms, _, _ = self._seconds()
        ast = parse_filter(filter_text) if filter_text else None
        return make_request(self.scope.formats(), ast, now_ms // 1000, counting, self.scope.streams)

    def refusal(self, filter_text: str, counting: Counting) -> str | None:
        """Why this filter and counting cannot run exactly in Insights, or None."""
        try:
            self.request(filter_text, counting)
        except (NotTranslatableError, FilterError) as error:
            return str(error)
        return None

    def estimate(self) -> ScanEstimate:
        now_ms, start_s, end_s = self._seconds()
        return estimate_scan(
            self.conn, self.limiter, [self.scope.group], start_s, end_s, now_ms=now_ms
        )

    def overview(
        self,
        filter_text: str,
        counting: Counting,
        eni_labels: Mapping[str, str] | None,
        limit: int,
        *,
        bucket_seconds: int | None = None,
        on_progress: Callable[[str], None],
        on_partial: Callable[[Sequence[StatsTable]], None],
        cancel: threading.Event,
    ) -> tuple[list[StatsTable], TimelineTable]:
        """The stats view's tables and timeline; raises SourceError, OperationCancelled, or
        NotTranslatableError."""
        request = self.request(filter_text, counting)
        _, start_s, end_s = self._seconds()
        finished = 0
        expected = 9  # talkers, two rejections, four counts, one or two for the timeline
        current = ""

        def progress(update: QueryProgress) -> None:
            on_progress(progress_text(update, finished, expected))
            if update.status != "Complete" and is_pairs_query(request, current) and update.rows:
                on_partial(talkers_from_pairs(request, update.rows, METRICS, limit))

        query = InsightsQuery(
            self.conn,
            self.limiter,
            [self.scope.group],
            start_s,
            end_s,
            on_progress=progress,
            cancel=cancel,
        )

        def run(text: str) -> QueryResult:
            nonlocal finished, current
            current = text
            result = query(text)
            finished += 1
            return result

        tables = stats_overview(request, run, eni_labels, limit)
        over_time = timeline_table(request, run, start_s, end_s, bucket_seconds)
        return tables, over_time

    def query(
        self, on_progress: Callable[[QueryProgress], None], cancel: threading.Event
    ) -> InsightsQuery:
        """A query runner over the scope's group and time range."""
        _, start_s, end_s = self._seconds()
        return InsightsQuery(
            self.conn,
            self.limiter,
            [self.scope.group],
            start_s,
            end_s,
            on_progress=on_progress,
            cancel=cancel,
        )

    def value_counts(
        self,
        filter_text: str,
        column: str,
        *,
        on_progress: Callable[[str], None],
        cancel: threading.Event,
        limit: int | None = VALUE_COUNTS_LIMIT,
    ) -> StatsTable:
        """Value counts of `column` (`#`); raises as `overview`."""
        request = self.request(filter_text, Counting.ALL_RECORDS)
        query = self.query(lambda update: on_progress(progress_text(update, 0, 1)), cancel)
        return value_counts_table(request, query, column, limit)
