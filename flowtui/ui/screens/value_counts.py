"""Value counts of one column (`#`, as VisiData's Shift-F): value, records, share, bytes.

Counted in a thread worker over the explorer's current rows (filtered); Enter narrows the
explorer's filter to the highlighted value, `!` excludes it. Over a CloudWatch log group, `e`
switches to the Insights engine (the same counts over the whole time range, computed where the
records are; escape stops the query). Values are log content: they are shown as plain text,
never markup.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import polars as pl
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from flowtui.core.fields import FIELDS, FieldKind
from flowtui.core.stats.counting import Counting, StatsTable
from flowtui.core.stats.grouping import NULL_TEXT
from flowtui.core.stats.values import value_counts
from flowtui.core.store import StoreSnapshot
from flowtui.core.view import ViewIndex
from flowtui.core.wording import counted
from flowtui.ui.formatting import (
    DisplayOptions,
    Ownership,
    display_expr,
    format_clock,
    protocol_name,
    sanitize,
)
from flowtui.ui.insights_engine import InsightsEngine
from flowtui.ui.keys import VALUE_COUNTS_KEYS, bindings
from flowtui.ui.screens.confirm import ConfirmScreen
from flowtui.ui.screens.insights_job import (
    InsightsJob,
    JobConfirm,
    JobDone,
    JobEnded,
    JobProgress,
    Partial,
    Progress,
)
from flowtui.ui.screens.lists import ListFilter
from flowtui.ui.widgets.pick_list import PickColumn, PickList, PickRow


def counted_rows(snapshot: StoreSnapshot, view: ViewIndex) -> pl.DataFrame:
    """The rows a view shows, for counting (order does not matter to a count).

    An unfiltered view holds every row of the snapshot: the frame itself is used then, which
    saves gathering a million rows.
    """
    if len(view) == snapshot.row_count:
        return snapshot.frame()
    return snapshot.rows(view.row_ids)


def is_time(column: str) -> bool:
    spec = FIELDS.get(column)
    return spec is not None and spec.kind is FieldKind.TIMESTAMP


def has_about(column: str, ownership: Ownership) -> bool:
    """Whether values of `column` get a second column (protocol names, owners, the time)."""
    return column == "protocol" or is_time(column) or _labels_for(column, ownership) is not None


def _labels_for(column: str, ownership: Ownership) -> dict[str, str] | None:
    """What values of `column` stand for (owners of addresses and ENIs), or None."""
    if column == "interface-id":
        return dict(ownership.interfaces)
    spec = FIELDS.get(column)
    if spec is not None and spec.kind is FieldKind.ADDRESS:
        return dict(ownership.addresses)
    return None


def _about(column: str, value: str, labels: dict[str, str] | None) -> str:
    if is_time(column):
        # Epoch seconds as logged (what a filter takes), and the time they stand for.
        return format_clock(int(value), local=False) if value.isdecimal() else ""
    if column == "protocol" and value.isdecimal():
        name = protocol_name(int(value))
        return "" if name == value else name
    return labels.get(value, "") if labels else ""


@dataclass(frozen=True, slots=True)
class ValueRow:
    """One value as logged (log content: shown through `sanitize`), and its counts as text."""

    value: str
    about: str
    records: str
    share: str
    bytes: str


@dataclass(frozen=True, slots=True)
class CountedValues:
    """One row per value, most records first, and how they were counted."""

    rows: tuple[ValueRow, ...]
    note: str


def count_values(frame: pl.DataFrame, column: str, ownership: Ownership) -> CountedValues:
    """Value counts of `column`, rendered for people (thousands separators, human bytes)."""
    return rendered_counts(value_counts(frame, column), column, ownership)


def rendered_counts(table: StatsTable, column: str, ownership: Ownership) -> CountedValues:
    """A value-counts table (of either engine) rendered for people."""
    if not table.available:
        return CountedValues((), table.note)
    shown_bytes = display_expr("bytes", DisplayOptions(), Ownership())
    rendered = table.rows.select("value", "records", "share_pct", shown_bytes.fill_null(NULL_TEXT))
    labels = _labels_for(column, ownership)
    rows = tuple(
        ValueRow(value, _about(column, value, labels), f"{records:,}", f"{share:.1f}%", size)
        for value, records, share, size in rendered.iter_rows()
    )
    return CountedValues(rows, table.note)


@dataclass(frozen=True, slots=True)
class ValuePick:
    """The user's choice: filter to (or exclude) `value` of `column`; None means missing."""

    column: str
    value: str | None
    exclude: bool


@dataclass
class _Counted(Message):
    counted: CountedValues
    engine: str = "local"


@dataclass
class _CountFailed(Message):
    message: str


class ValueCountsScreen(ModalScreen[ValuePick | None]):
    AUTO_FOCUS = "PickList"
    BINDINGS: ClassVar[list[BindingType]] = bindings(VALUE_COUNTS_KEYS)

    DEFAULT_CSS = """
    ValueCountsScreen { align: center middle; background: $background 60%; }
    ValueCountsScreen > Vertical {
        width: 96; max-width: 100%; height: 100%; max-height: 40;
        background: $surface; border: round $primary; padding: 0 1;
    }
    ValueCountsScreen #title { color: $primary; text-style: bold; }
    ValueCountsScreen ListFilter { height: 1; margin: 0 0 0 0; }
    ValueCountsScreen PickList { overflow-x: hidden; }
    ValueCountsScreen #note { color: $flow-muted; height: auto; max-height: 2; }
    ValueCountsScreen #engine { height: auto; max-height: 2; }
    """

    def __init__(
        self,
        column: str,
        snapshot: StoreSnapshot,
        view: ViewIndex,
        ownership: Ownership,
        filter_text: str = "",
        *,
        insights: InsightsEngine | None = None,
        engine: str = "local",
    ) -> None:
        super().__init__()
        self.column = column
        #: The other engine, when the rows come from a CloudWatch log group.
        self._insights = insights
        self._job = InsightsJob(self, insights.confirm_above_usd if insights else 0.0)
        self.engine = engine if insights is not None else "local"
        self._engine_text = ""
        self._snapshot = snapshot
        self._view = view
        self._ownership = ownership
        self._filter_text = filter_text
        self._with_about = has_about(column, ownership)
        self.counted: CountedValues | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title(), id="title")
            yield ListFilter(placeholder="f or / to find a value (fuzzy)", compact=True)
            yield PickList(self._columns(), empty_message="Counting…")
            yield Static("", id="note")
            if self._insights is not None:
                yield Static(self._engine_line(), id="engine")
        yield Footer()

    def _engine_line(self) -> Text:
        text = Text()
        text.append("Engine (e): ", "bold")
        text.append(self.engine, "bold")
        if self._engine_text:
            text.append(f" · {sanitize(self._engine_text)}")
        return text

    def _update_engine(self) -> None:
        if self._insights is not None and self.is_mounted:
            self.query_one("#engine", Static).update(self._engine_line())

    def _title(self) -> Text:
        rows = counted(len(self._view), "row")
        if self.engine == "insights" and self._insights is not None:
            rows = f"{self._insights.scope.group} (Insights, the whole time range)"
        where = f", filter: {self._filter_text}" if self._filter_text else ""
        return Text(sanitize(f"Values of {self.column} over {rows}{where}"))

    def _columns(self) -> Sequence[PickColumn]:
        title = "time (UTC)" if is_time(self.column) else "belongs to"
        about = [PickColumn(title, None, minimum=10, drop=1)] if self._with_about else []
        return [
            PickColumn("value", None, minimum=16),
            *about,
            PickColumn("records", 9, numeric=True),
            PickColumn("share", 7, numeric=True),
            PickColumn("bytes", 10, numeric=True, drop=2),
        ]

    @property
    def pick_list(self) -> PickList:
        return self.query_one(PickList)

    def on_mount(self) -> None:
        self.query_one(ListFilter).cursor_blink = False
        self._recount()

    def _recount(self) -> None:
        self.counted = None
        self.query_one("#title", Static).update(self._title())
        if self.engine == "insights" and self._insights is not None:
            self._start_insights(self._insights)
        else:
            self._job.stop()
            self._count()

    @work(thread=True, exclusive=True, group="value-counts", exit_on_error=False)
    def _count(self) -> None:
        try:
            frame = counted_rows(self._snapshot, self._view)
            counted = count_values(frame, self.column, self._ownership)
        except Exception as error:  # shown as one line, never a traceback
            self.post_message(_CountFailed(f"{type(error).__name__}: {error}"))
            return
        self.post_message(_Counted(counted))

    @on(_Counted)
    def _counted(self, message: _Counted) -> None:
        if message.engine != self.engine:
            return  # counted by the engine the user switched away from
        counted = message.counted
        self.counted = counted
        self.pick_list.empty_message = "No rows to count"
        self.pick_list.set_rows(
            [
                PickRow(
                    str(index),
                    self._cells(row),
                    f"{row.value} {row.about}",
                    ("", "muted") if self._with_about else (),
                )
                for index, row in enumerate(counted.rows)
            ]
        )
        self.query_one("#note", Static).update(Text(sanitize(counted.note)))

    # --- the Insights engine ---------------------------------------------------------------

    def _start_insights(self, engine: InsightsEngine) -> None:
        column, filter_text, ownership = self.column, self._filter_text, self._ownership

        def run(cancel: threading.Event, progress: Progress, _partial: Partial) -> CountedValues:
            table = engine.value_counts(filter_text, column, on_progress=progress, cancel=cancel)
            return rendered_counts(table, column, ownership)

        self.pick_list.set_rows([])
        self.pick_list.empty_message = "Counting in Insights…"
        self._engine_text = "estimating the scan…"
        self._update_engine()
        self._job.start(
            lambda: engine.refusal(filter_text, Counting.ALL_RECORDS), engine.estimate, run
        )

    def action_switch_engine(self) -> None:
        if self._insights is None:
            self.notify("Insights runs over a CloudWatch log group only", severity="warning")
            return
        self.engine = "local" if self.engine == "insights" else "insights"
        self._engine_text = ""
        self._recount()

    @on(JobProgress)
    def _job_progress(self, message: JobProgress) -> None:
        if message.token == self._job.token:
            self._engine_text = message.text
            self._update_engine()

    @on(JobConfirm)
    def _job_confirm(self, message: JobConfirm) -> None:
        if message.token == self._job.token:
            question = "Run this in CloudWatch Logs Insights? It is billed per GB scanned."
            detail = message.estimate.describe()
            self.app.push_screen(ConfirmScreen(question, detail), self._job.confirmed)

    @on(JobDone)
    def _job_done(self, message: JobDone) -> None:
        if message.token == self._job.token and self.engine == "insights":
            self._engine_text = "done: only the counts came back"
            self._update_engine()
            self.post_message(_Counted(message.result, "insights"))

    @on(JobEnded)
    def _job_ended(self, message: JobEnded) -> None:
        if message.token != self._job.token:
            return
        text = sanitize(f"Insights: {message.message}. Counted locally instead.")
        self.notify(text, severity="information" if message.stopped else "warning", markup=False)
        self.engine, self._engine_text = "local", ""
        self._recount()

    def _cells(self, row: ValueRow) -> tuple[str, ...]:
        about = (row.about,) if self._with_about else ()
        return (row.value, *about, row.records, row.share, row.bytes)

    @on(_CountFailed)
    def _count_failed(self, message: _CountFailed) -> None:
        self.pick_list.empty_message = sanitize(f"Could not count: {message.message}")
        self.pick_list.refresh()

    # --- keys ------------------------------------------------------------------------------

    @on(Input.Changed)
    def _find_changed(self, event: Input.Changed) -> None:
        self.pick_list.filter(event.value)

    @on(Input.Submitted)
    def _find_submitted(self) -> None:
        self.action_pick(False)

    @on(ListFilter.Left)
    def _find_left(self) -> None:
        self.pick_list.focus()

    def action_focus_filter(self) -> None:
        self.query_one(ListFilter).focus()

    def action_pick(self, exclude: bool) -> None:
        key = self.pick_list.current_key
        if key is None or self.counted is None:
            return
        value = self.counted.rows[int(key)].value
        self.dismiss(ValuePick(self.column, None if value == NULL_TEXT else value, exclude))

    def action_close(self) -> None:
        if self._job.stop():
            self._engine_text = "stopping the Insights query…"
            self._update_engine()
            return  # escape stops the query first; the next one leaves
        self.dismiss(None)
