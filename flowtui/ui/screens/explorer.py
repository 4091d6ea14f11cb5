"""The explorer: the flow table over a feed, with filter, search, detail pane and status.

Heavy work never runs here: view indexes (filter, sort, new rows), column measurements and
searches run in thread workers that report with messages. New rows are noticed by comparing
the store's generation at most five times a second, so a burst of appends costs one view
update, and an idle store costs nothing but that comparison.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import ClassVar

import polars as pl
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer
from textual.worker import Worker, WorkerState, get_current_worker

from flowtui.core import search
from flowtui.core.export import raw_lines
from flowtui.core.fields import FIELDS
from flowtui.core.filter import Filter, FilterError, Or, parse_filter, suggest
from flowtui.core.query import Query
from flowtui.core.schema import ROW_ID, STREAM
from flowtui.core.store import StoreSnapshot
from flowtui.core.view import SortKey, ViewIndex, build_view, extend_view
from flowtui.core.views import SavedView
from flowtui.ui.backend import Feed, FeedStatus
from flowtui.ui.clipboard import copy_text
from flowtui.ui.formatting import (
    DEFAULT_HIDDEN,
    DisplayOptions,
    Ownership,
    available_columns,
    display_expr,
    layout_columns,
    measure_content,
    value_text,
)
from flowtui.ui.keys import EXPLORER_KEYS, bindings
from flowtui.ui.messages import (
    ExplorerAction,
    FeedFailed,
    FeedStatusChanged,
    FilterApplied,
    FollowChanged,
    OwnershipChanged,
    RefetchRequested,
    SearchDone,
    ViewBuilt,
)
from flowtui.ui.widgets.detail_pane import DetailPane, DetailScreen, RecordDetail, record_detail
from flowtui.ui.widgets.filter_bar import BarProblem, QueryBar
from flowtui.ui.widgets.flow_table import FlowTable
from flowtui.ui.widgets.status_bar import StatusBar, StatusInfo
from flowtui.ui.widgets.time_range import TimeRangeChoice, TimeRangeScreen, describe_range

POLL_SECONDS = 0.2
#: Filter text is applied this long after the last keystroke (each apply rebuilds the view).
FILTER_SETTLE_SECONDS = 0.15
RATE_WINDOW_SECONDS = 5.0
NARROW_WIDTH = 100
FUZZY_CHUNK_ROWS = 20_000
FUZZY_RESULTS = 2_000
#: Values per field offered as filter completions.
SUGGESTED_VALUES = 30

Clock = Callable[[], float]


def quote_value(text: str) -> str | None:
    """A value as the filter language reads it literally; None when it cannot be written."""
    if text and all(c.isalnum() or c in ".:-_/" for c in text):
        return text
    if '"' in text:
        return None
    return f'"{text}"'


def add_term(filter_text: str, term: str) -> str:
    """Filter text narrowed by one more term (an `or` filter is bracketed first)."""
    current = filter_text.strip()
    if not current:
        return term
    try:
        root = parse_filter(current).root
    except FilterError:
        return term
    return f"({current}) {term}" if isinstance(root, Or) else f"{current} {term}"


@dataclass(frozen=True, slots=True)
class _BuildRequest:
    """A view to build: from scratch (`base` None), or `base` brought up to date."""

    token: int
    snapshot: StoreSnapshot
    base: ViewIndex | None
    predicate: pl.Expr | None
    sort: tuple[SortKey, ...]
    measure: bool


@dataclass(frozen=True, slots=True)
class _SearchRequest:
    view: ViewIndex
    view_token: int
    snapshot: StoreSnapshot
    text: str
    columns: tuple[str, ...]
    fuzzy: bool
    jump: int
    options: DisplayOptions
    ownership: Ownership

    def render(self, name: str) -> pl.Expr:
        """Search sees each column as the table shows it, labels included."""
        return display_expr(name, self.options, self.ownership, with_notes=True)


class ExplorerScreen(Screen[None]):
    AUTO_FOCUS = "FlowTable"
    BINDINGS: ClassVar[list[BindingType]] = bindings(EXPLORER_KEYS)

    DEFAULT_CSS = """
    ExplorerScreen { layout: vertical; }
    ExplorerScreen > #main { height: 1fr; }
    ExplorerScreen FlowTable { width: 1fr; height: 1fr; }
    """

    def __init__(
        self,
        feed: Feed,
        query: Query,
        *,
        clock: Clock,
        filter_text: str = "",
        follow: bool = False,
        filter_history: list[str] | None = None,
        search_history: list[str] | None = None,
        saved_view: SavedView | None = None,
    ) -> None:
        super().__init__()
        self.feed = feed
        self.flow_query = query
        self._clock = clock
        self.filter_text = ""
        self._filter: Filter | None = None
        self._initial_filter = filter_text
        self._sort: tuple[SortKey, ...] = saved_view.sort if saved_view else ()
        self._options = DisplayOptions()
        self._ownership = feed.ownership
        self._order: list[str] = []
        self._hidden: set[str] = set(DEFAULT_HIDDEN)
        #: A saved view's columns: only these show, in this order, even as fields arrive later.
        self._saved_columns: tuple[str, ...] | None = (
            saved_view.columns if saved_view and saved_view.columns else None
        )
        #: The saved view this explorer was opened from (or last saved as).
        self.view_name: str | None = saved_view.name if saved_view else None
        self._measured: dict[str, int] = {}
        self._fields: list[str] = []
        self._feed_status = FeedStatus()
        self._token = 0
        self._building = False
        self._applied_generation = -1
        self._follow = follow
        self._rate_samples: list[tuple[float, int]] = []
        self._values_seen: dict[str, list[str]] = {}
        self._settle_timer: Timer | None = None
        self._pending_filter: str | None = None
        self._filter_history = filter_history if filter_history is not None else []
        self._search_history = search_history if search_history is not None else []
        self.search_text = saved_view.search_text if saved_view else ""
        self.fuzzy = False
        self._matches: list[int] = []
        self._matches_token = -1
        self._search_status = ""
        self._busy = ""
        self._seen_generation = -1
        self._shown_rate: float | None = None
        # Kept, not queried: the status is refreshed five times a second.
        self.table = FlowTable(id="table")
        self.detail_pane = DetailPane(id="detail")
        self.filter_bar = QueryBar(
            "filter ",
            "action=reject dstport=22,3389 addr=10.0.0.0/8 (Enter applies, Esc closes)",
            self._filter_history,
            self._suggest,
            id="filter-bar",
        )
        self.search_bar = QueryBar(
            "/", "text to find in visible columns", self._search_history, id="search-bar"
        )
        self.status_bar = StatusBar(id="status")

    # --- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield self.table
            yield self.detail_pane
        yield self.filter_bar
        yield self.search_bar
        yield self.status_bar
        yield Footer()

    @property
    def sort(self) -> tuple[SortKey, ...]:
        return self._sort

    @property
    def follow(self) -> bool:
        return self._follow

    @property
    def options(self) -> DisplayOptions:
        return self._options

    @property
    def column_order(self) -> list[str]:
        return list(self._order)

    @property
    def hidden_columns(self) -> set[str]:
        return set(self._hidden)

    @property
    def visible_columns(self) -> list[str]:
        """The columns shown, in their order (what a saved view keeps)."""
        return [name for name in self._order if name not in self._hidden]

    @property
    def ownership(self) -> Ownership:
        return self._ownership

    @property
    def matches(self) -> list[int]:
        return list(self._matches)

    def on_mount(self) -> None:
        self.table.follow = self._follow
        self.table.focus()
        snapshot = self.feed.store.snapshot()
        self._adopt_fields(snapshot)
        if self._initial_filter:
            self._set_filter(self._initial_filter, snapshot)
        if self.search_text:
            self.table.set_search(self.search_text)
        self._rebuild(snapshot)
        self.set_interval(POLL_SECONDS, self.check_store)
        self._update_status()

    def on_unmount(self) -> None:
        self.workers.cancel_group(self, "view")
        self.workers.cancel_group(self, "search")

    # --- views -----------------------------------------------------------------------------

    def _now_s(self) -> int:
        return int(self._clock())

    def check_store(self) -> None:
        """Notice new rows (or a refetch) and bring the view up to date; runs 5x a second."""
        snapshot = self.feed.store.snapshot()
        rate = self._sample_rate(snapshot)
        changed = snapshot.generation != self._seen_generation
        self._seen_generation = snapshot.generation
        if snapshot.generation != self._applied_generation and not self._building:
            if snapshot.fields != self._fields:
                self._adopt_fields(snapshot)
                self._recompile_filter(snapshot)
                self._rebuild(snapshot)
            elif self._sort or self._applied_generation < 0:
                self._rebuild(snapshot)
            else:
                self._extend(snapshot)
        if changed or rate != self._shown_rate:
            self._shown_rate = rate
            self._update_status()

    def _rebuild(self, snapshot: StoreSnapshot) -> None:
        """Build the view from scratch (new filter, sort or fields)."""
        predicate = self._filter.expr if self._filter and not self._filter.is_empty else None
        if not snapshot.row_count:
            # Nothing to filter yet, and the filter may name fields no record has brought.
            predicate = None
        # A saved view may sort by a field the records have not brought (yet).
        columns = set(snapshot.frame().columns)
        sort = tuple(key for key in self._sort if key[0] in columns)
        self._start_build(snapshot, None, predicate, sort, measure=True)

    def _extend(self, snapshot: StoreSnapshot) -> None:
        self._start_build(snapshot, self.table.view, None, (), measure=False)

    def _start_build(
        self,
        snapshot: StoreSnapshot,
        base: ViewIndex | None,
        predicate: pl.Expr | None,
        sort: tuple[SortKey, ...],
        measure: bool,
    ) -> None:
        self._token += 1
        self._building = True
        self._busy = "filtering…" if base is None and predicate is not None else ""
        self._build_view(_BuildRequest(self._token, snapshot, base, predicate, sort, measure))

    @work(thread=True, exclusive=True, group="view", exit_on_error=False)
    def _build_view(self, request: _BuildRequest) -> None:
        snapshot = request.snapshot
        if request.base is not None:
            view = extend_view(request.base, snapshot)
        else:
            view = build_view(snapshot, request.predicate, request.sort)
        widths = None
        if request.measure:
            names = available_columns(snapshot.fields, has_streams=True)
            widths = measure_content(snapshot.frame(), names)
        self.post_message(ViewBuilt(request.token, snapshot, view, widths))

    @on(ViewBuilt)
    def _view_built(self, message: ViewBuilt) -> None:
        if message.token != self._token:
            return
        self._building = False
        self._busy = ""
        self._applied_generation = message.snapshot.generation
        if message.widths is not None and message.widths != self._measured:
            self._measured = message.widths
            self._apply_layout()
        self.table.empty_message = self._empty_message(message.snapshot)
        self.table.set_view(message.snapshot, message.view)
        self._update_status()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group not in ("view", "search") or event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        self._building = False
        self._busy = ""
        self.app.notify(
            f"Could not {'filter' if event.worker.group == 'view' else 'search'}: {error}",
            severity="error",
        )
        self._update_status()

    def _empty_message(self, snapshot: StoreSnapshot) -> str:
        if snapshot.row_count == 0:
            return (
                "Fetching records…"
                if self._feed_status.fetching
                else "No records in this time range"
            )
        return "No records match the filter (f to change it)"

    # --- columns ---------------------------------------------------------------------------

    def _adopt_fields(self, snapshot: StoreSnapshot) -> None:
        """Columns follow the records' formats; the user's order and choices are kept."""
        self._fields = snapshot.fields
        has_streams = bool(snapshot.row_count) and (
            snapshot.frame().get_column(STREAM).null_count() < snapshot.row_count
        )
        names = available_columns(self._fields, has_streams=has_streams)
        order = [n for n in self._order if n in names]
        order += [n for n in names if n not in order]
        saved = [n for n in self._saved_columns or () if n in names]
        if saved:
            order = saved + [n for n in order if n not in saved]
            self._hidden = set(names) - set(saved)
        self._order = order
        self._apply_layout()

    def _apply_layout(self) -> None:
        columns = layout_columns(
            self._order, self._hidden, self._measured, self._options, self._ownership
        )
        self.table.set_layout(columns, self._options, self._ownership, self._sort)

    def set_columns(self, order: list[str], hidden: set[str]) -> None:
        """The columns screen's result: which columns show, in which order."""
        self._order = list(order)
        self._hidden = set(hidden)
        self._saved_columns = None
        self._apply_layout()

    def set_options(self, options: DisplayOptions) -> None:
        self._options = options
        self._apply_layout()
        self._matches_token = -1
        self._refresh_detail()
        self._update_status()

    # --- filter ----------------------------------------------------------------------------

    def _compile(self, text: str, snapshot: StoreSnapshot) -> Filter:
        fields = snapshot.fields or list(FIELDS)
        return Filter.compile(text, fields, self._now_s())

    def _set_filter(self, text: str, snapshot: StoreSnapshot) -> bool:
        """Apply `text` if it is a valid filter; False (and the filter unchanged) if not."""
        try:
            compiled = self._compile(text, snapshot)
        except FilterError as error:
            self.app.notify(f"Filter not applied: {error.message}", severity="warning")
            return False
        self._filter = compiled
        self.filter_text = text.strip()
        return True

    def _recompile_filter(self, snapshot: StoreSnapshot) -> None:
        if self.filter_text:
            self._set_filter(self.filter_text, snapshot)

    def apply_filter(self, text: str) -> bool:
        """Filter the view by `text` (in a worker); the last valid filter stays otherwise."""
        if text.strip() == self.filter_text:
            return True
        snapshot = self.feed.store.snapshot()
        if not self._set_filter(text, snapshot):
            return False
        self._rebuild(snapshot)
        self._update_status()
        self.flow_query = replace(self.flow_query, filter_text=self.filter_text)
        self.post_message(FilterApplied(self.feed, self.flow_query))
        return True

    def action_open_filter(self) -> None:
        self.search_bar.remove_class("-open")
        self.filter_bar.open(self.filter_text)
        self._collect_values()

    @on(QueryBar.Changed, "#filter-bar")
    def _filter_typed(self, event: QueryBar.Changed) -> None:
        snapshot = self.feed.store.snapshot()
        try:
            self._compile(event.text, snapshot)
        except FilterError as error:
            # The last valid text typed stays pending: it is what gets applied.
            self.filter_bar.show_problem(BarProblem(error.message, error.position, error.length))
            return
        self.filter_bar.show_problem(None, self.filter_bar.suggestions_hint())
        self._pending_filter = event.text
        if self._settle_timer is not None:
            self._settle_timer.stop()
        self._settle_timer = self.set_timer(FILTER_SETTLE_SECONDS, self.flush_filter)

    def flush_filter(self) -> None:
        """Apply the last valid filter typed now, instead of when typing pauses."""
        if self._settle_timer is not None:
            self._settle_timer.stop()
            self._settle_timer = None
        pending, self._pending_filter = self._pending_filter, None
        if pending is not None:
            self.apply_filter(pending)

    @on(QueryBar.Submitted, "#filter-bar")
    def _filter_submitted(self, event: QueryBar.Submitted) -> None:
        self._pending_filter = None
        self.flush_filter()
        if self.apply_filter(event.text):
            self.filter_bar.action_close()

    @on(QueryBar.Closed)
    def _bar_closed(self, event: QueryBar.Closed) -> None:
        self.table.focus()

    def _suggest(self, word: str) -> list[str]:
        return suggest(word, self._fields or list(FIELDS), self._values_seen)

    @work(thread=True, exclusive=True, group="values", exit_on_error=False)
    def _collect_values(self) -> None:
        """Values seen in the records, offered as completions (most frequent first)."""
        snapshot = self.feed.store.snapshot()
        frame = snapshot.frame()
        seen: dict[str, list[str]] = {}
        for name in snapshot.fields:
            if name in ("start", "end") or not frame.height:
                continue
            shown = search.aws_text(name).alias("value")
            counts = frame.select(shown).drop_nulls().to_series().value_counts(sort=True)
            seen[name] = counts.get_column("value").head(SUGGESTED_VALUES).to_list()
        self._values_seen = seen

    def action_quick_filter(self, exclude: bool) -> None:
        """`=` narrows to the current cell's value, `!` excludes it."""
        column = self.table.current_column
        row = self._current_row()
        if column is None or row is None:
            return
        self.filter_by_value(column.name, value_text(row, column.name), exclude)

    def filter_by_value(self, name: str, value: str | None, exclude: bool = False) -> bool:
        """Narrow the filter to `name` = `value` (None: missing), or exclude it."""
        if name not in FIELDS:
            title = next((c.title for c in self.table.columns if c.name == name), name)
            self.app.notify(f"The filter language has no field for '{title}'", severity="warning")
            return False
        written = "-" if value is None else quote_value(value)
        if written is None:
            self.app.notify(
                "This value cannot be written in a filter (it contains a quote)", severity="warning"
            )
            return False
        term = f"{name}{'!=' if exclude else '='}{written}"
        text = add_term(self.filter_text, term)
        applied = self.apply_filter(text)
        if applied and self.filter_bar.is_open:
            self.filter_bar.input.value = text
        return applied

    # --- sort and follow -------------------------------------------------------------------

    def action_sort(self, descending: bool) -> None:
        column = self.table.current_column
        if column is None:
            return
        wanted: tuple[SortKey, ...] = ((column.name, descending),)
        self._sort = () if self._sort == wanted else wanted
        if self._sort and self._follow:
            self.app.notify(
                "Sorted: new rows keep arriving, but the view no longer sticks to the newest"
            )
        self._apply_layout()
        self._rebuild(self.feed.store.snapshot())
        self._update_status()

    def action_toggle_follow(self) -> None:
        self._follow = not self._follow
        self.table.follow = self._follow
        self.post_message(FollowChanged(self.feed, self._follow))
        if self._follow:
            if self._sort:
                # The newest arrivals are at the end only in arrival order.
                self._sort = ()
                self._apply_layout()
                self._rebuild(self.feed.store.snapshot())
            self.table.action_last_row()
        self._update_status()

    @on(FlowTable.CursorMoved)
    def _cursor_moved(self, event: FlowTable.CursorMoved) -> None:
        self._refresh_detail()
        self._update_status()

    # --- detail ----------------------------------------------------------------------------

    def _current_row(self) -> dict[str, object] | None:
        snapshot = self.table.snapshot
        row_id = self.table.cursor_row_id
        if snapshot is None or row_id is None or not len(self.table.view):
            return None
        return snapshot.row(row_id)

    def _detail(self) -> RecordDetail | None:
        snapshot = self.table.snapshot
        row_id = self.table.cursor_row_id
        if snapshot is None or row_id is None or not len(self.table.view):
            return None
        return record_detail(snapshot, row_id, self._ownership, self._options)

    def _refresh_detail(self) -> None:
        if self.detail_pane.has_class("-open"):
            self.detail_pane.show(self._detail())

    def action_toggle_detail(self) -> None:
        if self.detail_pane.has_class("-open"):
            self.detail_pane.remove_class("-open")
            return
        if self.app.size.width < NARROW_WIDTH:
            self.app.push_screen(DetailScreen(self._detail(), lambda: self.action_later("explain")))
            return
        self.detail_pane.add_class("-open")
        self._refresh_detail()

    def on_resize(self) -> None:
        if self.app.size.width < NARROW_WIDTH:
            self.detail_pane.remove_class("-open")

    # --- search ----------------------------------------------------------------------------

    def action_open_search(self) -> None:
        self.filter_bar.remove_class("-open")
        self.search_bar.set_prompt("fuzzy " if self.fuzzy else "/")
        self.search_bar.open(self.search_text)

    @on(QueryBar.Changed, "#search-bar")
    def _search_typed(self, event: QueryBar.Changed) -> None:
        if not self.fuzzy:
            self.table.set_search(event.text)

    @on(QueryBar.Submitted, "#search-bar")
    def _search_submitted(self, event: QueryBar.Submitted) -> None:
        self.search_text = event.text.strip()
        self.search_bar.action_close()
        self.table.set_search("" if self.fuzzy else self.search_text)
        self._matches = []
        self._matches_token = -1
        if self.search_text:
            self._start_search(jump=1)
        self._update_status()

    def toggle_fuzzy(self) -> None:
        self.fuzzy = not self.fuzzy
        self._matches_token = -1
        self.table.set_search("" if self.fuzzy else self.search_text)
        self.app.notify(f"Search: {'fuzzy ranking' if self.fuzzy else 'exact text'}")
        self.search_bar.set_prompt("fuzzy " if self.fuzzy else "/")

    def _start_search(self, jump: int) -> None:
        snapshot = self.table.snapshot
        if snapshot is None:
            return
        self._search_status = "searching…"
        request = _SearchRequest(
            self.table.view,
            self.table.view_token,
            snapshot,
            self.search_text,
            tuple(column.name for column in self.table.columns),
            self.fuzzy,
            jump,
            self._options,
            self._ownership,
        )
        self._run_search(request)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _run_search(self, request: _SearchRequest) -> None:
        worker = get_current_worker()
        view, snapshot, columns = request.view, request.snapshot, request.columns
        if request.fuzzy:
            frame = snapshot.rows(view.row_ids)
            ranked = search.fuzzy_rank(
                frame, request.text, columns, FUZZY_CHUNK_ROWS, render=request.render
            )
            scored: list[tuple[int, float]] = []
            for chunk in ranked:
                if worker.is_cancelled:
                    return
                scored.extend(chunk)
            scored.sort(key=lambda pair: -pair[1])
            found = (view.position_of(row_id) for row_id, _ in scored[:FUZZY_RESULTS])
            positions = [position for position in found if position is not None]
        else:
            frame = snapshot.frame()
            mask = search.search_mask(frame, request.text, columns, request.render)
            matched = frame.filter(mask).get_column(ROW_ID)
            positions = view.row_ids.is_in(matched.implode()).arg_true().to_list()
        if not worker.is_cancelled:
            self.post_message(SearchDone(request.view_token, positions, request.jump))

    @on(SearchDone)
    def _search_done(self, message: SearchDone) -> None:
        positions = message.positions
        if message.view_token != self.table.view_token:
            self._matches_token = -1
            self._search_status = ""
            return
        self._matches = positions
        self._matches_token = message.view_token
        if not positions:
            self._search_status = "no matches"
            self.app.notify(f"No row shows '{self.search_text}'", severity="warning")
        else:
            self._jump(message.jump)
        self._update_status()

    def _jump(self, step: int) -> None:
        if not self._matches:
            return
        cursor = self.table.cursor_position
        if self.fuzzy:
            # Ranked: walk the ranking, best first.
            current = self._matches.index(cursor) if cursor in self._matches else -1
            index = (current + step) % len(self._matches)
        elif step > 0:
            # Exact matches are in display order: the next one after the cursor, wrapping.
            index = bisect.bisect_right(self._matches, cursor) % len(self._matches)
        else:
            index = bisect.bisect_left(self._matches, cursor) - 1
            index %= len(self._matches)
        self.table.move_cursor(self._matches[index])
        self._search_status = f"match {index + 1:,}/{len(self._matches):,}"

    def _search_step(self, step: int) -> None:
        if not self.search_text:
            self.app.notify("No search yet: press / to search")
            return
        if self._matches_token != self.table.view_token:
            self._start_search(jump=step)
            return
        self._jump(step)
        self._update_status()

    def action_search_next(self) -> None:
        self._search_step(1)

    def action_search_previous(self) -> None:
        self._search_step(-1)

    # --- display toggles, copy, columns ----------------------------------------------------

    def action_toggle_local_time(self) -> None:
        self.set_options(replace(self._options, local_time=not self._options.local_time))

    def toggle_raw_values(self) -> None:
        self.set_options(replace(self._options, raw_values=not self._options.raw_values))

    def action_copy_record(self) -> None:
        snapshot = self.table.snapshot
        row_id = self.table.cursor_row_id
        if snapshot is None or row_id is None or not len(self.table.view):
            return
        line = next(iter(raw_lines(snapshot.rows([row_id]), snapshot.formats)), None)
        if line is not None:
            copy_text(self.app, line, "the record")

    def action_copy_field(self) -> None:
        column = self.table.current_column
        row = self._current_row()
        if column is None or row is None:
            return
        value = value_text(row, column.name) if column.name in FIELDS else None
        if value is None:
            value = str(row.get(column.name) if row.get(column.name) is not None else "-")
        copy_text(self.app, value, f"the {column.title} value")

    def action_columns(self) -> None:
        from flowtui.ui.screens.columns import ColumnsScreen

        def done(result: tuple[list[str], set[str]] | None) -> None:
            if result is not None:
                self.set_columns(*result)

        self.app.push_screen(ColumnsScreen(self._order, self._hidden), done)

    # --- time range, refetch, later actions ------------------------------------------------

    def action_time_range(self) -> None:
        def chosen(choice: TimeRangeChoice | None) -> None:
            if choice is not None:
                self.change_time_range(choice)

        screen = TimeRangeScreen(self.flow_query.time_range, self._now_s, self._options.local_time)
        self.app.push_screen(screen, chosen)

    def change_time_range(self, choice: TimeRangeChoice) -> None:
        self.flow_query = replace(self.flow_query, time_range=choice.time_range)
        if choice.earlier is not None:
            self.post_message(
                RefetchRequested(
                    self.feed, replace(self.flow_query, time_range=choice.earlier), more=True
                )
            )
        else:
            self.post_message(RefetchRequested(self.feed, self.flow_query))
        self._update_status()

    def action_refetch(self) -> None:
        self.post_message(RefetchRequested(self.feed, self.flow_query))
        self.app.notify("Fetching again…")

    def action_later(self, name: str) -> None:
        snapshot = self.table.snapshot or self.feed.store.snapshot()
        column = self.table.current_column
        self.post_message(
            ExplorerAction(
                name,
                self.feed,
                self.flow_query,
                self.filter_text,
                self.table.view,
                snapshot,
                self.table.cursor_row_id if len(self.table.view) else None,
                column.name if column else None,
            )
        )

    # --- feed reports ----------------------------------------------------------------------

    @on(FeedStatusChanged)
    def _feed_status_changed(self, message: FeedStatusChanged) -> None:
        if message.feed is self.feed:
            self._feed_status = message.status
            self._update_status()

    @on(OwnershipChanged)
    def _ownership_changed(self, message: OwnershipChanged) -> None:
        if message.feed is self.feed:
            self._ownership = message.ownership
            self._apply_layout()
            self._refresh_detail()

    @on(FeedFailed)
    def _feed_failed(self, message: FeedFailed) -> None:
        if message.feed is self.feed:
            self.app.notify(message.message, severity="error", timeout=10, markup=False)

    # --- status ----------------------------------------------------------------------------

    def _sample_rate(self, snapshot: StoreSnapshot) -> float | None:
        """Record how many rows have arrived by now; the arrival rate, rounded as shown."""
        now = self._clock()
        self._rate_samples.append((now, snapshot.next_row_id))
        while self._rate_samples and now - self._rate_samples[0][0] > RATE_WINDOW_SECONDS:
            self._rate_samples.pop(0)
        rate = self._events_per_second()
        return None if rate is None else round(rate)

    def _events_per_second(self) -> float | None:
        if len(self._rate_samples) < 2:
            return None
        (first_time, first_rows), (last_time, last_rows) = (
            self._rate_samples[0],
            self._rate_samples[-1],
        )
        elapsed = last_time - first_time
        return (last_rows - first_rows) / elapsed if elapsed > 0 else None

    def _follow_state(self) -> str:
        if not self._follow:
            return ""
        return "following" if self.table.at_end else "paused"

    def _update_status(self) -> None:
        store = self.feed.store
        view = self.table.view
        snapshot = self.table.snapshot
        total = snapshot.row_count if snapshot is not None else store.row_count
        rate = self._events_per_second() if self._follow or self._feed_status.fetching else None
        self.status_bar.show(
            StatusInfo(
                total_rows=total,
                shown_rows=len(view),
                filtered=bool(self.filter_text),
                time_range=describe_range(self.flow_query.time_range, self._options.local_time),
                source=self.feed.source_name,
                follow=self._follow_state(),
                events_per_s=rate,
                feed=self._feed_status,
                evicted_rows=store.evicted_rows,
                row_cap=store.row_cap,
                search=self._search_status,
                busy=self._busy,
                time_zone="local" if self._options.local_time else "UTC",
            )
        )
