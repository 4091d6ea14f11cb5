"""The Insights editor (`i` in the explorer, "Insights query" in the palette): a raw CloudWatch
Logs Insights query over the explorer's log group and time range, its rows in a table.

Enter runs the query in a thread worker (`InsightsJob`: cost estimate, a confirmation above the
threshold, progress, partial results as they arrive); escape stops a running query (StopQuery)
and otherwise closes. Up and down recall the queries run before (`QueryHistory`, in the state
directory); ctrl+s saves the query in a view, which reopens here. Cells are log content: shown
as plain text, never markup.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from flowtui.core.insights.history import HistoryCursor, QueryHistory
from flowtui.core.insights.request import ROW_CAP
from flowtui.core.wording import counted
from flowtui.sources.insights import QueryProgress
from flowtui.ui.formatting import sanitize
from flowtui.ui.insights_engine import InsightsEngine
from flowtui.ui.keys import INSIGHTS_EDITOR_KEYS, bindings
from flowtui.ui.screens.confirm import ConfirmScreen
from flowtui.ui.screens.insights_job import (
    InsightsJob,
    JobConfirm,
    JobDone,
    JobEnded,
    JobPartial,
    JobProgress,
    Partial,
    Progress,
)

Rows = Sequence[dict[str, str]]
#: Saves a query in a view (the app asks for the view's name).
SaveQuery = Callable[[str], None]


def status_text(progress: QueryProgress) -> str:
    return (
        f"{progress.status} · {progress.records_matched:,} matched of "
        f"{progress.records_scanned:,} scanned · {progress.elapsed_s:.1f} s"
    )


@dataclass
class _HistoryLoaded(Message):
    queries: list[str]


class InsightsEditorScreen(Screen[None]):
    AUTO_FOCUS = "#query"
    BINDINGS: ClassVar[list[BindingType]] = bindings(INSIGHTS_EDITOR_KEYS)

    DEFAULT_CSS = """
    InsightsEditorScreen { layout: vertical; }
    InsightsEditorScreen > #title { height: auto; padding: 0 1; background: $panel; }
    InsightsEditorScreen > #status {
        height: auto; max-height: 2; padding: 0 1; color: $flow-muted;
    }
    InsightsEditorScreen > DataTable { height: 1fr; }
    """

    def __init__(
        self,
        engine: InsightsEngine,
        *,
        history: QueryHistory | None = None,
        query_text: str = "",
        save_query: SaveQuery | None = None,
        range_text: str = "",
    ) -> None:
        super().__init__()
        self.engine = engine
        self.history = history if history is not None else QueryHistory()
        self._cursor = HistoryCursor([])
        self._initial = query_text
        self._save_query = save_query
        self._range_text = range_text
        self._job = InsightsJob(self, engine.confirm_above_usd)
        #: The rows on screen (partial while the query runs).
        self.rows: list[dict[str, str]] = []
        self.finished = False
        self._progress = ""

    def compose(self) -> ComposeResult:
        where = f"{self.engine.scope.group}"
        if self._range_text:
            where += f", {self._range_text}"
        title = Text()
        title.append("Insights query", "bold")
        title.append(sanitize(f" over {where}"))
        yield Static(title, id="title")
        yield Input(
            self._initial,
            placeholder="stats count(*) by action | sort … (Enter runs, ↑↓ history)",
            id="query",
        )
        yield Static("Enter runs the query; it is billed per GB scanned.", id="status")
        yield DataTable(id="results", zebra_stripes=True, cursor_type="row")
        yield Footer()

    @property
    def query_input(self) -> Input:
        return self.query_one("#query", Input)

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#results", DataTable)

    def on_mount(self) -> None:
        history = self.history
        self.run_worker(
            lambda: self.post_message(_HistoryLoaded(history.load())),
            thread=True,
            group="insights-history",
        )

    @on(_HistoryLoaded)
    def _history_loaded(self, message: _HistoryLoaded) -> None:
        self._cursor.reset(message.queries)

    # --- status and results ----------------------------------------------------------------

    def _status(self, text: str) -> None:
        self.query_one("#status", Static).update(Text(sanitize(text)))

    def show_rows(self, rows: Rows) -> None:
        self.rows = list(rows)
        table = self.table
        table.clear(columns=True)
        columns = list(dict.fromkeys(name for row in rows for name in row))
        for name in columns:
            table.add_column(Text(sanitize(name)), key=name)
        for row in rows:
            table.add_row(*(Text(sanitize(row.get(name, ""))) for name in columns))

    # --- running ---------------------------------------------------------------------------

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        self.run_query(event.value)

    def run_query(self, text: str) -> None:
        query_text = text.strip()
        if not query_text:
            self._status("Type a query first, such as: stats count(*) by @logStream")
            return
        engine, history = self.engine, self.history
        self.finished = False
        self._cursor.reset([*(q for q in self._cursor.queries if q != query_text), query_text])

        def run(cancel: threading.Event, progress: Progress, partial: Partial) -> Rows:
            history.add(query_text)

            def on_progress(update: QueryProgress) -> None:
                progress(status_text(update))
                if update.status != "Complete" and update.rows:
                    partial(update.rows)

            return engine.query(on_progress, cancel).run(query_text)

        self._status("estimating the scan…")
        self._job.start(lambda: None, engine.estimate, run)

    @on(JobProgress)
    def _job_progress(self, message: JobProgress) -> None:
        if message.token == self._job.token:
            self._progress = message.text
            self._status(message.text)

    @on(JobPartial)
    def _job_partial(self, message: JobPartial) -> None:
        if message.token == self._job.token:
            self.show_rows(message.result)
            self._status(f"{self._progress} · {counted(len(self.rows), 'row')} so far")

    @on(JobConfirm)
    def _job_confirm(self, message: JobConfirm) -> None:
        if message.token == self._job.token:
            question = "Run this in CloudWatch Logs Insights? It is billed per GB scanned."
            detail = message.estimate.describe()
            self.app.push_screen(ConfirmScreen(question, detail), self._job.confirmed)

    @on(JobDone)
    def _job_done(self, message: JobDone) -> None:
        if message.token != self._job.token:
            return
        self.show_rows(message.result)
        self.finished = True
        capped = f" (Insights stops at {ROW_CAP:,})" if len(self.rows) >= ROW_CAP else ""
        self._status(f"{self._progress} · {counted(len(self.rows), 'row')}{capped}")

    @on(JobEnded)
    def _job_ended(self, message: JobEnded) -> None:
        if message.token == self._job.token:
            self.finished = True
            self._status(f"Insights: {message.message}")

    # --- keys ------------------------------------------------------------------------------

    def action_older(self) -> None:
        self._recall(self._cursor.older(self.query_input.value))

    def action_newer(self) -> None:
        self._recall(self._cursor.newer())

    def _recall(self, text: str | None) -> None:
        if text is not None:
            self.query_input.value = text
            self.query_input.cursor_position = len(text)
            self.query_input.focus()

    def action_save(self) -> None:
        text = self.query_input.value.strip()
        if self._save_query is None:
            self.notify("This query cannot be saved in a view here", severity="warning")
        elif not text:
            self.notify("Type a query first", severity="warning")
        else:
            self._save_query(text)

    def action_toggle_focus(self) -> None:
        target = self.table if self.query_input.has_focus else self.query_input
        target.focus()

    def action_close(self) -> None:
        if self._job.stop():
            self._status("stopping the Insights query…")
            return  # escape stops the query first; the next one leaves
        self.dismiss(None)
