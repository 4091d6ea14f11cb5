"""The explorer: the flow table over a feed, with filter, search, detail pane and status.

`ExplorerScreen` is the screen the app pushes. It is built in three layers, each one module:
`explorer_feed.ExplorerFeed` (state, and the table kept in step with the feed, in workers),
`explorer_query.ExplorerQueries` (filter bar and search), and here the rest of its keys: sort,
follow, detail pane, display toggles, copy, columns, time range, refetch, and the feature keys
it hands to the app as `ExplorerAction` messages.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual import on
from textual.binding import BindingType
from textual.widgets import Static

from flowtui.core.export import raw_lines
from flowtui.core.fields import FIELDS
from flowtui.core.view import SortKey
from flowtui.ui.clipboard import copy_text
from flowtui.ui.formatting import value_text
from flowtui.ui.keys import EXPLORER_KEYS, bindings
from flowtui.ui.messages import ExplorerAction, FollowChanged, RefetchRequested, StopLoading
from flowtui.ui.screens.explorer_query import ExplorerQueries
from flowtui.ui.widgets.detail_pane import DetailScreen
from flowtui.ui.widgets.flow_table import FlowTable
from flowtui.ui.widgets.time_range import TimeRangeChoice, TimeRangeScreen

NARROW_WIDTH = 100


class ExplorerScreen(ExplorerQueries):
    """The explorer the app pushes: the flow table of one feed, and its keys."""

    AUTO_FOCUS = "FlowTable"
    BINDINGS: ClassVar[list[BindingType]] = bindings(EXPLORER_KEYS)

    DEFAULT_CSS = """
    ExplorerScreen { layout: vertical; }
    ExplorerScreen > #main { height: 1fr; }
    ExplorerScreen FlowTable { width: 1fr; height: 1fr; }
    ExplorerScreen #detail-keys { dock: bottom; height: 1; color: $text-muted; padding: 0 1; }
    """

    def on_mount(self) -> None:
        # (Textual runs ExplorerFeed.on_mount too.) The docked pane says how to close it.
        self.detail_pane.mount(Static("Esc/⏎ close · x explain", id="detail-keys"))

    # --- closing and leaving ---------------------------------------------------------------

    def close_open_part(self) -> bool:
        """Esc: close the docked detail pane (bars close themselves), else stop a running load
        (its rows stay); False if there was neither."""
        if self.detail_pane.has_class("-open"):
            self.detail_pane.remove_class("-open")
            self.table.focus()
            return True
        if self._feed_status.fetching:
            self._feed_status = replace(self._feed_status, fetching=False, progress=None)
            self.post_message(StopLoading(self.feed))
            rows = self.feed.store.row_count
            self.app.notify(f"Loading stopped: the {rows:,} rows loaded so far stay")
            self._update_status()
            return True
        return False

    def work_in_it(self) -> str:
        """What leaving would throw away ("129 loaded rows, the filter and follow"), or ""."""
        parts = []
        rows = self.feed.store.row_count
        if rows:
            parts.append(f"{rows:,} loaded row{'' if rows == 1 else 's'}")
        if self.filter_text:
            parts.append("the filter")
        if self._sort:
            parts.append("the sort")
        if self._follow:
            parts.append("follow")
        if len(parts) > 1:
            return f"{', '.join(parts[:-1])} and {parts[-1]}"
        return parts[0] if parts else ""

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

    def action_toggle_detail(self) -> None:
        if self.close_open_part():
            return
        if self.app.size.width < NARROW_WIDTH:
            self.app.push_screen(DetailScreen(self._detail(), lambda: self.action_later("explain")))
            return
        self.detail_pane.add_class("-open")
        self._refresh_detail()

    def on_resize(self) -> None:
        if self.app.size.width < NARROW_WIDTH:
            self.detail_pane.remove_class("-open")

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
        if choice.earlier is None:
            next_row = self.feed.store.snapshot().next_row_id
            self.range_before_load = (self.flow_query.time_range, next_row)
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
