"""One Insights run from a screen (value counts, the Insights editor): check, estimate the cost,
ask above the threshold, run in a thread worker, report by messages, stop on request.

`InsightsJob.start(check, estimate, run)` does, in a worker: `check()` (None, or why the run
cannot be done exactly), `estimate()` (the scan and its price), then asks the screen to confirm
(`JobConfirm`, answered with `confirmed`) when the price is above the engine's threshold, and
calls `run(cancel, progress, partial)`. Messages carry the job's token, so a screen ignores the
answers of a job it has replaced. `stop()` sets the cancel event: the running query gets its
StopQuery at once (`flowtui.sources.insights`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.message import Message
from textual.screen import Screen

from flowtui.sources.aws import OperationCancelled, SourceError
from flowtui.sources.insights import ScanEstimate

Progress = Callable[[str], None]
Partial = Callable[[Any], None]
Run = Callable[[threading.Event, Progress, Partial], Any]


@dataclass
class JobProgress(Message):
    token: int
    text: str


@dataclass
class JobPartial(Message):
    """Results so far, of a query still running."""

    token: int
    result: Any


@dataclass
class JobConfirm(Message):
    token: int
    estimate: ScanEstimate


@dataclass
class JobDone(Message):
    token: int
    result: Any


@dataclass
class JobEnded(Message):
    """No result: stopped (escape, or the cost declined), refused, or failed."""

    token: int
    message: str
    stopped: bool


class InsightsJob:
    def __init__(self, screen: Screen[Any], confirm_above_usd: float) -> None:
        self.screen = screen
        self.confirm_above_usd = confirm_above_usd
        self.token = 0
        self._cancel: threading.Event | None = None
        self._pending: Callable[[], None] | None = None

    @property
    def running(self) -> bool:
        return self._cancel is not None and not self._cancel.is_set()

    def start(
        self,
        check: Callable[[], str | None],
        estimate: Callable[[], ScanEstimate],
        run: Run,
    ) -> int:
        """Begin a run; returns its token."""
        self.stop()
        self.token += 1
        token = self.token
        cancel = self._cancel = threading.Event()
        post = self.screen.post_message

        def progress(text: str) -> None:
            post(JobProgress(token, text))

        def partial(result: Any) -> None:
            post(JobPartial(token, result))

        def execute() -> None:
            try:
                result = run(cancel, progress, partial)
            except OperationCancelled:
                post(JobEnded(token, "the Insights query was stopped", stopped=True))
                return
            except (SourceError, ValueError) as error:  # NotTranslatableError is a ValueError
                text = error.message if isinstance(error, SourceError) else str(error)
                post(JobEnded(token, text, stopped=False))
                return
            finally:
                cancel.set()
            post(JobDone(token, result))

        def prepare() -> None:
            try:
                refusal = check()
                if refusal is not None:
                    cancel.set()
                    post(JobEnded(token, f"not run there ({refusal})", stopped=False))
                    return
                cost = estimate()
            except SourceError as error:
                cancel.set()
                post(JobEnded(token, error.message, stopped=False))
                return
            if cancel.is_set():
                return
            post(JobProgress(token, f"Insights: {cost.describe()}"))
            if cost.price_usd > self.confirm_above_usd:
                self._pending = execute
                post(JobConfirm(token, cost))
                return
            execute()

        self.screen.run_worker(prepare, thread=True, group="insights-job")
        return token

    def confirmed(self, yes: bool | None) -> None:
        """The answer to a `JobConfirm`: run the pending query, or drop it."""
        execute, self._pending = self._pending, None
        cancel = self._cancel
        if execute is None or cancel is None:
            return
        if not yes:
            cancel.set()
            self.screen.post_message(
                JobEnded(self.token, "the Insights query was not run", stopped=True)
            )
            return
        self.screen.run_worker(execute, thread=True, group="insights-job")

    def stop(self) -> bool:
        """Stop the running query (StopQuery); True when one was running."""
        cancel, self._cancel = self._cancel, None
        self._pending = None
        if cancel is None or cancel.is_set():
            return False
        cancel.set()
        return True
