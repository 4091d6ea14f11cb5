"""The explorer's state and its feed handling: the base class of `ExplorerScreen`.

`ExplorerFeed` holds what an explorer shows (widgets, filter, sort, columns, display options)
and keeps the table in step with its feed. Heavy work never runs here: view indexes (filter,
sort, new rows) and column measurements run in thread workers that report with `ViewBuilt`. New
rows are noticed by comparing the store's generation at most five times a second, so a burst
of appends costs one view update, and an idle store costs nothing but that comparison. The
backend's reports (status, ownership, failures) arrive as messages and show in the status bar.
The keys that change the view live in the subclasses (`explorer_query`, `explorer`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import polars as pl
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from flowtui.core import search
from flowtui.core.fields import FIELDS
from flowtui.core.filter.compiler import Filter
from flowtui.core.filter.suggest import suggest
from flowtui.core.filter.syntax import FilterError
from flowtui.core.query import Query, TimeRange
from flowtui.core.schema import STREAM
from flowtui.core.store import StoreSnapshot
from flowtui.core.view import SortKey, ViewIndex, build_view, extend_view
from flowtui.core.views import SavedView
from flowtui.ui.backend import Feed, FeedStatus
from flowtui.ui.column_layout import (
    DEFAULT_HIDDEN,
    Measurements,
    available_columns,
    layout_columns,
    measure_content,
    time_style_for,
)
from flowtui.ui.formatting import DisplayOptions, Ownership
from flowtui.ui.messages import FeedFailed, FeedStatusChanged, OwnershipChanged, ViewBuilt
from flowtui.ui.widgets.detail_pane import DetailPane, RecordDetail, record_detail
from flowtui.ui.widgets.filter_bar import QueryBar
from flowtui.ui.widgets.flow_table import FlowTable
from flowtui.ui.widgets.status_bar import StatusBar, StatusInfo
from flowtui.ui.widgets.time_range import describe_range

POLL_SECONDS = 0.2
RATE_WINDOW_SECONDS = 5.0
#: Values per field offered as filter completions.
SUGGESTED_VALUES = 30

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class _BuildRequest:
    """A view to build: from scratch (`base` None), or `base` brought up to date."""

    token: int
    snapshot: StoreSnapshot
    base: ViewIndex | None
    predicate: pl.Expr | None
    sort: tuple[SortKey, ...]
    #: Measure every row the view shows (a rebuild), else only the rows it gains.
    measure: bool
    ownership: Ownership


def _matching(frame: pl.DataFrame, predicate: pl.Expr | None) -> pl.DataFrame:
    return frame if predicate is None else frame.lazy().filter(predicate).collect()


class ExplorerFeed(Screen[None]):
    """An explorer's state, and the table kept up to date with its feed."""

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
        #: While a new time range loads: the range the rows on screen came from, and the first
        #: row id the new range's rows can have (the store clears before they arrive).
        self.range_before_load: tuple[TimeRange, int] | None = None
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
        self._measured = Measurements()
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
            if snapshot.fields != self._fields or self._sort or self._applied_generation < 0:
                self._rebuild(snapshot)
            else:
                self._extend(snapshot)
        if changed or rate != self._shown_rate:
            self._shown_rate = rate
            self._update_status()

    def _rebuild(self, snapshot: StoreSnapshot) -> None:
        """Build the view from scratch (new filter, sort or fields). Whatever asks for it
        (new rows, owner labels, a sort), the columns follow the snapshot's fields first."""
        if snapshot.fields != self._fields:
            self._adopt_fields(snapshot)
            self._recompile_filter(snapshot)
        predicate = self._filter.expr if self._filter and not self._filter.is_empty else None
        if not snapshot.row_count:
            # Nothing to filter yet, and the filter may name fields no record has brought.
            predicate = None
        # A saved view may sort by a field the records have not brought (yet).
        columns = set(snapshot.frame().columns)
        sort = tuple(key for key in self._sort if key[0] in columns)
        self._start_build(snapshot, None, predicate, sort, measure=True)

    def _extend(self, snapshot: StoreSnapshot) -> None:
        # Every row the view knew is gone (a refetch cleared the store): measure afresh.
        fresh = snapshot.first_row_id >= self.table.view.scanned_upto
        self._start_build(snapshot, self.table.view, None, (), measure=fresh)

    def _start_build(
        self,
        snapshot: StoreSnapshot,
        base: ViewIndex | None,
        predicate: pl.Expr | None,
        sort: tuple[SortKey, ...],
        *,
        measure: bool,
    ) -> None:
        self._token += 1
        self._building = True
        self._busy = "filtering…" if base is None and predicate is not None else ""
        request = _BuildRequest(
            self._token, snapshot, base, predicate, sort, measure, self._ownership
        )
        self._build_view(request)

    @work(thread=True, exclusive=True, group="view", exit_on_error=False)
    def _build_view(self, request: _BuildRequest) -> None:
        snapshot = request.snapshot
        if request.base is not None:
            view = extend_view(request.base, snapshot)
        else:
            view = build_view(snapshot, request.predicate, request.sort)
        # Widths come from the rows the view shows: all of them on a rebuild, else the new ones.
        names = available_columns(snapshot.fields, has_streams=True)
        widths = None
        if request.measure:
            shown = _matching(snapshot.frame(), view.predicate)
            widths = measure_content(shown, names, request.ownership)
        elif request.base is not None and request.base.scanned_upto < snapshot.next_row_id:
            arrived = _matching(snapshot.since(request.base.scanned_upto), view.predicate)
            widths = measure_content(arrived, names, request.ownership)
        self.post_message(ViewBuilt(request.token, snapshot, view, widths, request.measure))

    @on(ViewBuilt)
    def _view_built(self, message: ViewBuilt) -> None:
        if message.token != self._token:
            return
        self._building = False
        self._busy = ""
        self._applied_generation = message.snapshot.generation
        if message.widths is not None:
            # Columns widen as soon as new rows need it, and shrink only on a rebuild.
            measured = message.widths
            if not message.fresh:
                measured = self._measured.widened(measured)
            if measured != self._measured:
                self._measured = measured
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
        local = self._options.local_time
        shown = replace(self._options, time_style=time_style_for(self._measured, local))
        columns = layout_columns(self._order, self._hidden, self._measured, shown)
        self.table.set_layout(columns, shown, self._ownership, self._sort)

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

    # --- filter compilation and completions ------------------------------------------------

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
        return record_detail(snapshot, row_id, self._ownership, self.table.options)

    def _refresh_detail(self) -> None:
        if self.detail_pane.has_class("-open"):
            self.detail_pane.show(self._detail())

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
            # Owner labels change what the address columns need: measure again.
            self._rebuild(self.feed.store.snapshot())

    @on(FeedFailed)
    def _feed_failed(self, message: FeedFailed) -> None:
        if message.feed is not self.feed:
            return
        self.app.notify(message.message, severity="error", timeout=10, markup=False)
        if self.range_before_load is not None:
            old_range, first_new_row = self.range_before_load
            self.range_before_load = None
            snapshot = self.feed.store.snapshot()
            if snapshot.row_count and snapshot.first_row_id < first_new_row:
                # The new range never loaded: the rows shown are the old range's, say so.
                self.flow_query = replace(self.flow_query, time_range=old_range)
                self._update_status()

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
                filter_text=self.filter_text,
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
