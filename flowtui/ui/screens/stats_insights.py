"""The stats view on the Insights engine: the cost check, the run in a worker, progress, stop.

`InsightsRunner` belongs to a `StatsScreen`. `start` first says whether the filter and counting
can run exactly in Insights; then, in a thread worker, it estimates the scan and asks the
screen to confirm when the price is above the threshold (`InsightsConfirm`), and runs the
tables (`flowtui.ui.insights_engine`), posting progress, the partial top-talker tables and the
result as messages. `stop` sets the cancel event: the running query gets its StopQuery at once.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from textual.message import Message
from textual.screen import Screen

from flowtui.core.stats.counting import Counting, StatsTable
from flowtui.core.stats.timeline import TimelineTable
from flowtui.sources.aws import OperationCancelled, SourceError
from flowtui.sources.insights import ScanEstimate
from flowtui.ui.insights_engine import InsightsEngine


@dataclass
class InsightsConfirm(Message):
    """The estimate is above the threshold: the screen asks before `run` is called."""

    token: int
    estimate: ScanEstimate


@dataclass
class InsightsProgress(Message):
    token: int
    text: str


@dataclass
class InsightsPartial(Message):
    """Top-talker tables from the partial results of the query still running."""

    token: int
    tables: Sequence[StatsTable]


@dataclass
class InsightsDone(Message):
    token: int
    tables: list[StatsTable]
    timeline: TimelineTable


@dataclass
class InsightsEnded(Message):
    """No result: stopped (escape), refused (cannot run exactly there), or failed; the screen
    counts locally instead."""

    token: int
    message: str
    stopped: bool


@dataclass(frozen=True, slots=True)
class _Request:
    token: int
    filter_text: str
    counting: Counting
    eni_labels: Mapping[str, str]
    bucket_seconds: int
    limit: int


class InsightsRunner:
    def __init__(self, screen: Screen[None], engine: InsightsEngine) -> None:
        self.screen = screen
        self.engine = engine
        self._cancel: threading.Event | None = None
        self._pending: _Request | None = None

    @property
    def running(self) -> bool:
        return self._cancel is not None and not self._cancel.is_set()

    def start(
        self,
        token: int,
        *,
        filter_text: str,
        counting: Counting,
        eni_labels: Mapping[str, str],
        bucket_seconds: int,
        limit: int,
    ) -> None:
        """Begin: check, estimate, maybe confirm, run; all in a worker, reported by messages."""
        self.stop()
        request = _Request(token, filter_text, counting, dict(eni_labels), bucket_seconds, limit)
        self._cancel = threading.Event()
        cancel = self._cancel
        self.screen.run_worker(
            lambda: self._estimate(request, cancel), thread=True, group="insights"
        )

    def _estimate(self, request: _Request, cancel: threading.Event) -> None:
        try:
            refusal = self.engine.refusal(request.filter_text, request.counting)
            if refusal is not None:
                cancel.set()
                self._end(request.token, f"not run there ({refusal})", stopped=False)
                return
            estimate = self.engine.estimate()
        except SourceError as error:
            cancel.set()
            self._end(request.token, error.message, stopped=False)
            return
        if cancel.is_set():
            return
        self.screen.post_message(
            InsightsProgress(request.token, f"Insights: {estimate.describe()}")
        )
        if estimate.price_usd > self.engine.confirm_above_usd:
            self._pending = request
            self.screen.post_message(InsightsConfirm(request.token, estimate))
            return
        self._run(request, cancel)

    def confirmed(self, yes: bool | None) -> None:
        """The answer to an `InsightsConfirm`: run the pending request, or drop it."""
        request, self._pending = self._pending, None
        cancel = self._cancel
        if request is None or cancel is None:
            return
        if not yes:
            cancel.set()
            self._end(request.token, "the Insights query was not run", stopped=True)
            return
        self.screen.run_worker(lambda: self._run(request, cancel), thread=True, group="insights")

    def _run(self, request: _Request, cancel: threading.Event) -> None:
        token = request.token

        def progress(text: str) -> None:
            self.screen.post_message(InsightsProgress(token, text))

        def partial(tables: Sequence[StatsTable]) -> None:
            self.screen.post_message(InsightsPartial(token, tables))

        try:
            tables, over_time = self.engine.overview(
                request.filter_text,
                request.counting,
                request.eni_labels,
                request.limit,
                bucket_seconds=request.bucket_seconds,
                on_progress=progress,
                on_partial=partial,
                cancel=cancel,
            )
        except OperationCancelled:
            self._end(token, "the Insights query was stopped", stopped=True)
            return
        except (SourceError, ValueError) as error:  # NotTranslatableError is a ValueError
            message = error.message if isinstance(error, SourceError) else str(error)
            self._end(token, message, stopped=False)
            return
        cancel.set()
        self.screen.post_message(InsightsDone(token, tables, over_time))

    def _end(self, token: int, message: str, *, stopped: bool) -> None:
        self.screen.post_message(InsightsEnded(token, message, stopped))

    def stop(self) -> bool:
        """Stop the running query (StopQuery); True when one was running."""
        cancel, self._cancel = self._cancel, None
        self._pending = None
        if cancel is None or cancel.is_set():
            return False
        cancel.set()
        return True
