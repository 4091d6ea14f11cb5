"""The stats view (`s`): top talkers, rejections, counts and traffic over time.

Everything is counted by the core (`flowtui.core.stats`) in a thread worker, over the rows the
explorer shows (its filter applies), and rendered to plain strings there too; this screen only
lays them out. While the explorer follows a tail, the stats are counted again when its rows
change, at most every `REFRESH_SECONDS`. `c` switches how a flow seen on several ENIs counts.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import polars as pl
from rich.cells import cell_len
from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from flowtui.core.query import TimeRange
from flowtui.core.stats.counting import Counting, StatsTable
from flowtui.core.stats.drill import row_filters, within
from flowtui.core.stats.grouping import NULL_TEXT
from flowtui.core.stats.report import stats_overview
from flowtui.core.stats.timeline import TimelineTable, bucket_seconds_for, timeline
from flowtui.core.store import StoreSnapshot
from flowtui.core.view import ViewIndex
from flowtui.core.wording import counted
from flowtui.ui.formatting import DisplayOptions, Ownership, display_expr, fit, sanitize
from flowtui.ui.insights_engine import InsightsEngine
from flowtui.ui.keys import STATS_KEYS, bindings
from flowtui.ui.screens.confirm import ConfirmScreen
from flowtui.ui.screens.drill import DrillChoice, DrillScreen, bucket_choices, row_choices
from flowtui.ui.screens.stats_insights import (
    InsightsConfirm,
    InsightsDone,
    InsightsEnded,
    InsightsPartial,
    InsightsProgress,
    InsightsRunner,
)
from flowtui.ui.screens.value_counts import counted_rows
from flowtui.ui.widgets.traffic_chart import LABEL_WIDTH, MAX_WIDTH, TrafficChart, TrafficData

#: While rows keep arriving, stats are counted again at most this often.
REFRESH_SECONDS = 2.0
POLL_SECONDS = 0.5
TOP_ROWS = 10
#: Tables without a top-N limit (ENIs) show at most this many rows.
SHOWN_ROWS = 50
COLUMN_GAP = 3
MIN_TEXT_WIDTH = 9
COUNTINGS = tuple(Counting)
_HEADERS = {"share_pct": "share", "belongs_to": "belongs to"}
_ADDRESS_COLUMNS = frozenset({"source", "destination"})
_THOUSANDS = frozenset({"records", "packets"})

RowsSource = Callable[[], tuple[StoreSnapshot, ViewIndex]]


@dataclass(frozen=True, slots=True)
class ShownTable:
    """One stats table as the screen shows it: every cell already text."""

    title: str
    headers: tuple[str, ...]
    numeric: tuple[bool, ...]
    rows: tuple[tuple[str, ...], ...]
    #: What the reader must know beyond the counting (unavailable, a field not recorded), or "".
    note: str = ""
    #: Per row, the filter of the records behind it (drill-down), "" when it has no key.
    drill: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StatsResult:
    rows: int
    counting: Counting
    counting_note: str
    tables: tuple[ShownTable, ...]
    traffic: TrafficData


def _cell(column: str, value: object, ownership: Ownership) -> str:
    if value is None:
        return NULL_TEXT
    if column == "share_pct" and isinstance(value, float):
        return f"{value:.1f}%"
    if column in _THOUSANDS and isinstance(value, int):
        return f"{value:,}"
    text = str(value)
    if column in _ADDRESS_COLUMNS:
        label = ownership.addresses.get(text)
        return f"{text} {label}" if label else text
    return text


def shown_table(table: StatsTable, counting_note: str, ownership: Ownership) -> ShownTable:
    """A core table rendered for people: human bytes, shares in %, addresses with owners.

    Only the first SHOWN_ROWS rows are kept (a VPC may have thousands of ENIs); the note
    says how many there were.
    """
    columns = table.columns
    numeric = tuple(dtype.is_numeric() for dtype in table.rows.dtypes)
    kept = table.rows.head(SHOWN_ROWS)
    if "bytes" in columns and kept.schema["bytes"].is_integer():
        kept = kept.with_columns(display_expr("bytes", DisplayOptions(), Ownership()))
    rows = tuple(
        tuple(
            sanitize(_cell(column, value, ownership))
            for column, value in zip(columns, row, strict=True)
        )
        for row in kept.iter_rows()
    )
    notes = [] if table.available and table.note == counting_note else [table.note]
    if table.rows.height > kept.height:
        notes.insert(0, f"the first {kept.height} of {table.rows.height:,} rows")
    headers = tuple(_HEADERS.get(column, column) for column in columns)
    drill = row_filters(table)[: kept.height]
    return ShownTable(table.title, headers, numeric, rows, sanitize("; ".join(notes)), drill)


def traffic_data(table: TimelineTable) -> TrafficData:
    if not table.available:
        return TrafficData(table.bucket_seconds, unavailable=sanitize(table.note))
    rows = table.rows

    def column(name: str) -> tuple[int, ...]:
        return tuple(int(value or 0) for value in rows.get_column(name).to_list())

    first = int(rows.get_column("bucket_start")[0]) if rows.height else None
    return TrafficData(
        table.bucket_seconds,
        first,
        column("records_accept"),
        column("records_reject"),
        column("bytes_accept"),
        column("bytes_reject"),
    )


def chart_bucket_seconds(span_seconds: int, columns: int) -> int:
    """The finest bucket the core offers that gives at most `columns` buckets over the span."""
    return bucket_seconds_for(span_seconds * 120 // max(columns, 1))


def compute_stats(
    frame: pl.DataFrame,
    counting: Counting,
    ownership: Ownership,
    bucket_seconds: int | None = None,
    limit: int = TOP_ROWS,
) -> StatsResult:
    """Every table of the stats view and the traffic chart's data, over `frame`'s rows."""
    tables = stats_overview(frame, counting, dict(ownership.interfaces), limit)
    over_time = timeline(frame, counting, bucket_seconds)
    return stats_result(tables, over_time, frame.height, counting, ownership)


def stats_result(
    tables: list[StatsTable],
    over_time: TimelineTable,
    rows: int,
    counting: Counting,
    ownership: Ownership,
) -> StatsResult:
    """The screen's result from the core's tables (of either engine)."""
    counting_note = next((table.note for table in tables if table.available), "")
    return StatsResult(
        rows,
        counting,
        sanitize(counting_note),
        tuple(shown_table(table, counting_note, ownership) for table in tables),
        traffic_data(over_time),
    )


def column_widths(table: ShownTable, width: int | None = None) -> list[int]:
    """Each column's width: its longest cell, text columns narrowed (widest first) to fit."""
    widths = [
        max([cell_len(header), *(cell_len(row[index]) for row in table.rows)])
        for index, header in enumerate(table.headers)
    ]
    if width is None:
        return widths
    excess = sum(widths) + COLUMN_GAP * (len(widths) - 1) - width
    while excess > 0:
        narrowable = [
            index
            for index, numeric in enumerate(table.numeric)
            if not numeric and widths[index] > MIN_TEXT_WIDTH
        ]
        if not narrowable:
            break
        widest = max(narrowable, key=lambda index: widths[index])
        widths[widest] -= 1
        excess -= 1
    return widths


def table_lines(table: ShownTable, widths: list[int]) -> list[str]:
    """The header and the rows, each cell fitted to its column (numbers to the right)."""
    gap = " " * COLUMN_GAP

    def line(cells: tuple[str, ...]) -> str:
        fitted = (
            fit(cell, width, numeric)
            for cell, width, numeric in zip(cells, widths, table.numeric, strict=True)
        )
        return gap.join(fitted)

    return [line(table.headers), *(line(row) for row in table.rows)]


class StatsTableView(Widget, can_focus=True):
    """One table in a box titled with its name; Tab moves the focus from table to table.

    Drawn as aligned text (not a Rich table): its size is known without rendering it, so a
    dozen tables lay out at once.
    """

    DEFAULT_CSS = """
    StatsTableView {
        width: auto; max-width: 100%; height: auto; border: round $panel; padding: 0 1;
        border-title-color: $secondary;
    }
    StatsTableView:focus { border: round $primary; border-title-color: $primary; }
    StatsTableView:focus { border-title-style: bold; }
    StatsTableView > .stats-table--header { text-style: bold; }
    StatsTableView > .stats-table--note { color: $flow-muted; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"stats-table--header", "stats-table--note"}

    def __init__(self, table: ShownTable) -> None:
        super().__init__()
        self.table = table
        self.border_title = Text(table.title)

    def show(self, table: ShownTable) -> None:
        self.table = table
        self.border_title = Text(table.title)
        self.refresh(layout=True)

    def _note(self) -> str:
        return self.table.note if self.table.rows else self.table.note or "No rows"

    def _note_lines(self, width: int) -> list[str]:
        note = self._note()
        return textwrap.wrap(note, max(width, 10)) if note else []

    def get_content_width(self, container: Size, viewport: Size) -> int:
        widths = column_widths(self.table) if self.table.rows else [0]
        columns = sum(widths) + COLUMN_GAP * (len(widths) - 1)
        title = cell_len(self.table.title) + 2
        return max(columns, title, min(cell_len(self._note()), container.width))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        rows = len(self.table.rows) + 1 if self.table.rows else 0
        return rows + len(self._note_lines(width))

    def render(self) -> RenderableType:
        width = self.size.width  # of the content area
        text = Text(no_wrap=True, overflow="ellipsis")
        lines: list[tuple[str, str]] = []
        if self.table.rows:
            header, *rows = table_lines(self.table, column_widths(self.table, width))
            lines = [(header, "header"), *((row, "") for row in rows)]
        lines += [(line, "note") for line in self._note_lines(width)]
        for index, (line, style) in enumerate(lines):
            if index:
                text.append("\n")
            text.append(line, self._style(style))
        return text

    def _style(self, name: str) -> Style | str:
        if not name:
            return ""
        return self.get_component_rich_style(f"stats-table--{name}", partial=True)


@dataclass
class _StatsReady(Message):
    token: int
    result: StatsResult


@dataclass
class _StatsFailed(Message):
    token: int
    message: str


class StatsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings(STATS_KEYS)

    DEFAULT_CSS = """
    StatsScreen { layout: vertical; }
    StatsScreen > #header { height: auto; padding: 0 1; background: $panel; }
    StatsScreen > TrafficChart { margin: 0 0 0 0; }
    StatsScreen > #tables { height: 1fr; }
    """

    def __init__(
        self,
        rows: RowsSource,
        *,
        time_range: TimeRange,
        ownership: Callable[[], Ownership],
        clock: Callable[[], float],
        filter_text: str = "",
        local_time: bool = False,
        counting: Counting = Counting.ALL_RECORDS,
        monotonic: Callable[[], float] = time.monotonic,
        insights: InsightsEngine | None = None,
        engine: str = "local",
        open_records: Callable[[str, TimeRange], None] | None = None,
    ) -> None:
        super().__init__()
        self._rows = rows
        #: The other engine, when the rows come from a CloudWatch log group.
        self._insights = InsightsRunner(self, insights) if insights is not None else None
        self.engine = engine if insights is not None else "local"  # `auto` chose it
        self._engine_text = ""
        #: Opens an explorer on a filter and time range (drill-down); None where it cannot.
        self._open_records = open_records
        self._time_range = time_range
        self._ownership = ownership
        self._clock = clock
        self._filter_text = filter_text
        #: The clock that spaces out recounts (tests replace it).
        self.monotonic = monotonic
        self.counting = counting
        self.result: StatsResult | None = None
        self._token = 0
        self._computing = False
        self._counted_key: tuple[int, int, int] | None = None
        self._started_at = float("-inf")
        self.chart = TrafficChart(local_time=local_time)

    def compose(self) -> ComposeResult:
        yield Static(self._header(), id="header")
        yield self.chart
        yield VerticalScroll(id="tables", can_focus=False)
        yield Footer()

    @property
    def table_views(self) -> list[StatsTableView]:
        return list(self.query(StatsTableView))

    def on_mount(self) -> None:
        self.recount()
        self.set_interval(POLL_SECONDS, self.check_rows)

    # --- counting --------------------------------------------------------------------------

    def _bucket_seconds(self) -> int:
        start_ms, end_ms = self._time_range.resolve(int(self._clock() * 1000))
        columns = self.app.size.width - LABEL_WIDTH - MAX_WIDTH - 2
        return chart_bucket_seconds(max(end_ms - start_ms, 0) // 1000, columns)

    def recount(self) -> None:
        """Count again now, over the explorer's current rows."""
        snapshot, view = self._rows()
        self._counted_key = (snapshot.generation, view.generation, len(view))
        self._started_at = self.monotonic()
        self._token += 1
        self._computing = True
        if self.engine == "insights" and self._insights is not None:
            self._start_insights()
            return
        self._update_header()
        self._count(self._token, snapshot, view, self.counting, self._bucket_seconds())

    def check_rows(self) -> None:
        """While following: count again when the rows changed, at most every REFRESH_SECONDS."""
        if self._computing or self.monotonic() - self._started_at < REFRESH_SECONDS:
            return
        if self.engine == "insights":
            return  # each Insights run is billed: never repeated behind the user's back
        snapshot, view = self._rows()
        if (snapshot.generation, view.generation, len(view)) != self._counted_key:
            self.recount()

    @work(thread=True, exclusive=True, group="stats", exit_on_error=False)
    def _count(
        self,
        token: int,
        snapshot: StoreSnapshot,
        view: ViewIndex,
        counting: Counting,
        bucket_seconds: int,
    ) -> None:
        try:
            frame = counted_rows(snapshot, view)
            result = compute_stats(frame, counting, self._ownership(), bucket_seconds)
        except Exception as error:  # one line on screen, never a traceback
            self.post_message(_StatsFailed(token, f"{type(error).__name__}: {error}"))
            return
        self.post_message(_StatsReady(token, result))

    @on(_StatsReady)
    def _stats_ready(self, message: _StatsReady) -> None:
        if message.token != self._token:
            return
        self._computing = False
        self.result = message.result
        self.chart.show(message.result.traffic)
        self._show_tables(message.result.tables)
        self._update_header()

    @on(_StatsFailed)
    def _stats_failed(self, message: _StatsFailed) -> None:
        if message.token != self._token:
            return
        self._computing = False
        self.notify(sanitize(f"Could not count: {message.message}"), severity="error", markup=False)
        self._update_header()

    def _show_tables(self, tables: tuple[ShownTable, ...]) -> None:
        views = self.table_views
        if len(views) == len(tables):
            for view, table in zip(views, tables, strict=True):
                view.show(table)
            return
        container = self.query_one("#tables", VerticalScroll)
        container.remove_children()
        container.mount_all([StatsTableView(table) for table in tables])
        self.call_after_refresh(self._focus_table, 0)

    # --- header ----------------------------------------------------------------------------

    def _header(self) -> Text:
        text = Text()
        rows = self.result.rows if self.result else None
        text.append("Stats", "bold")
        text.append(f" over {counted(rows, 'row')}" if rows is not None else " (counting…)")
        if self._filter_text:
            text.append(f" · filter: {sanitize(self._filter_text)}")
        if self._computing and self.result is not None:
            text.append(" · updating…")
        text.append("\nCounting (c): ", "bold")
        text.append(self.counting.value, "bold")
        result = self.result
        if result is not None and result.counting is self.counting and result.counting_note:
            text.append(f": {result.counting_note}")
        if self._insights is not None:
            text.append("\nEngine (e): ", "bold")
            text.append(self.engine, "bold")
            if self._engine_text:
                text.append(f" · {sanitize(self._engine_text)}")
        return text

    def _update_header(self) -> None:
        if self.is_mounted:
            self.query_one("#header", Static).update(self._header())

    # --- keys ------------------------------------------------------------------------------

    def action_cycle_counting(self) -> None:
        index = COUNTINGS.index(self.counting)
        self.counting = COUNTINGS[(index + 1) % len(COUNTINGS)]
        self.recount()

    def _focus_table(self, index: int) -> None:
        views = self.table_views
        if views:
            views[index % len(views)].focus()

    def action_next_table(self, step: int) -> None:
        views = self.table_views
        if not views:
            return
        focused = self.focused
        current = views.index(focused) if isinstance(focused, StatsTableView) else -step
        self._focus_table(current + step)

    def action_scroll(self, lines: int) -> None:
        self.query_one("#tables", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_close(self) -> None:
        if self._insights is not None and self._insights.stop():
            self._engine_text = "stopping the Insights query…"
            self._update_header()
            return  # escape stops the query first; the next one leaves
        self.dismiss(None)

    # --- the Insights engine ---------------------------------------------------------------

    # --- drill-down ------------------------------------------------------------------------

    def action_drill(self) -> None:
        """Enter on a table: pick a row, open the explorer on the records behind it."""
        focused = self.focused
        if isinstance(focused, StatsTableView) and self._open_records is not None:
            table = focused.table
            self._pick(row_choices(table.rows, table.drill), f"{table.title}: open the records of")

    def action_drill_bucket(self) -> None:
        """`b`: pick a time bucket of the chart, open the explorer on its records."""
        if self.result is not None and self._open_records is not None:
            self._pick(bucket_choices(self.result.traffic), "Open the records of the bucket")

    def _pick(self, choices: list[DrillChoice], title: str) -> None:
        if not choices:
            self.notify("Nothing to open here", severity="warning")
            return

        def picked(choice: DrillChoice | None) -> None:
            if choice is not None and self._open_records is not None:
                window = choice.window or self._time_range
                self._open_records(within(self._filter_text, choice.filter_text), window)

        self.app.push_screen(DrillScreen(title, choices), picked)

    def action_switch_engine(self) -> None:
        if self._insights is None:
            self.notify("Insights runs over a CloudWatch log group only", severity="warning")
            return
        if self.engine == "insights":
            self._insights.stop()
            self.engine, self._engine_text = "local", ""
        else:
            self.engine = "insights"
        self.recount()

    def _start_insights(self) -> None:
        assert self._insights is not None
        self._insights.start(
            self._token,
            filter_text=self._filter_text,
            counting=self.counting,
            eni_labels=self._ownership().interfaces,
            bucket_seconds=self._bucket_seconds(),
            limit=TOP_ROWS,
        )
        self._engine_text = "estimating the scan…"
        self._update_header()

    def _current(self, token: int) -> bool:
        return token == self._token and self.engine == "insights"

    @on(InsightsProgress)
    def _insights_progress(self, message: InsightsProgress) -> None:
        if self._current(message.token):
            self._engine_text = message.text
            self._update_header()

    @on(InsightsPartial)
    def _insights_partial(self, message: InsightsPartial) -> None:
        if self._current(message.token):
            ownership = self._ownership()
            self._show_tables(tuple(shown_table(t, t.note, ownership) for t in message.tables))

    @on(InsightsConfirm)
    def _insights_confirm(self, message: InsightsConfirm) -> None:
        if not self._current(message.token) or self._insights is None:
            return
        runner = self._insights
        question = "Run this in CloudWatch Logs Insights? It is billed per GB scanned."
        self.app.push_screen(ConfirmScreen(question, message.estimate.describe()), runner.confirmed)

    @on(InsightsDone)
    def _insights_done(self, message: InsightsDone) -> None:
        if not self._current(message.token):
            return
        counts = next((t for t in message.tables if t.title == "Records per action"), None)
        rows = int(counts.rows.get_column("records").sum()) if counts is not None else 0
        result = stats_result(
            message.tables, message.timeline, rows, self.counting, self._ownership()
        )
        self._engine_text = "done: only the aggregates came back"
        self.post_message(_StatsReady(message.token, result))

    @on(InsightsEnded)
    def _insights_ended(self, message: InsightsEnded) -> None:
        if message.token != self._token:
            return
        self._computing = False
        self.engine, self._engine_text = "local", ""
        text = sanitize(f"Insights: {message.message}. Counted locally instead.")
        if message.stopped:
            self.notify(text, markup=False)
        else:
            self.notify(text, severity="warning", markup=False)
        self.recount()
