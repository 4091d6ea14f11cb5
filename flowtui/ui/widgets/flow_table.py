"""The flow table: a Line-API scroll view over a store snapshot and a view index.

Nothing here holds rows. The view index says which row ids are shown in which order; a page
of ids (PAGE_ROWS) is fetched from the snapshot with one gather and formatted at once; cells
are cached by row id and rendered lines (strips) by row id, cursor column and layout. A new
view index (a filter, a sort, rows that arrived) is swapped in whole, and the cursor finds its
row again by id, so it never lands on a different record because positions moved.

Line 0 is the header and does not scroll vertically; data line y shows position
`scroll_y + y - 1`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from flowtui.core.search import highlight_spans
from flowtui.core.store import StoreSnapshot
from flowtui.core.view import SortKey, ViewIndex, empty_view
from flowtui.ui.column_layout import fit_widths
from flowtui.ui.formatting import (
    Cell,
    Column,
    DisplayOptions,
    Ownership,
    fit,
    fit_cell,
    format_page,
)
from flowtui.ui.keys import MOVE_KEYS, bindings

PAGE_ROWS = 64
SEPARATOR = " "
_SORT_MARKS = {False: "▲", True: "▼"}
_PLACEHOLDER = Cell("…", "missing")


@dataclass(frozen=True, slots=True)
class RenderStats:
    """Work counters, for benchmarks and tests."""

    lines_rendered: int
    gathers: int
    rows_gathered: int


def _only_appended(old: ViewIndex, new: ViewIndex) -> bool:
    """True when `new` is `old` with rows added at the end (arrival order, nothing dropped).

    With the same filter, ids in arrival order only grow; so equal first and last ids at the
    same positions mean the whole old view is the new one's prefix.
    """
    if new.sort or old.sort or new.predicate is not old.predicate:
        return False
    if not len(old) or len(new) < len(old):
        return False
    last = len(old) - 1
    return old.row_id_at(0) == new.row_id_at(0) and old.row_id_at(last) == new.row_id_at(last)


class FlowTable(ScrollView, can_focus=True, inherit_bindings=False):
    BINDINGS: ClassVar[list[BindingType]] = bindings(MOVE_KEYS)

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "flow-table--header",
        "flow-table--header-current",
        "flow-table--cursor",
        "flow-table--cursor-cell",
        "flow-table--accept",
        "flow-table--reject",
        "flow-table--nodata",
        "flow-table--skipdata",
        "flow-table--missing",
        "flow-table--note",
        "flow-table--match",
        "flow-table--empty",
    }

    DEFAULT_CSS = """
    FlowTable {
        background: $surface;
        color: $foreground;
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 1;
    }
    FlowTable > .flow-table--header { background: $panel; color: $foreground; text-style: bold; }
    FlowTable > .flow-table--header-current {
        background: $primary 45%; color: $foreground; text-style: bold;
    }
    FlowTable > .flow-table--cursor { background: $flow-cursor; }
    FlowTable > .flow-table--cursor-cell { background: $flow-cursor-cell; color: $foreground; }
    FlowTable > .flow-table--accept { color: $flow-accept; }
    FlowTable > .flow-table--reject { color: $flow-reject; text-style: bold; }
    FlowTable > .flow-table--nodata { color: $flow-nodata; }
    FlowTable > .flow-table--skipdata { color: $flow-skipdata; }
    FlowTable > .flow-table--missing { color: $flow-muted; }
    FlowTable > .flow-table--note { color: $flow-muted; text-style: italic; }
    FlowTable > .flow-table--match { background: $warning 55%; color: $foreground; }
    FlowTable > .flow-table--empty { color: $flow-muted; }
    """

    @dataclass
    class CursorMoved(Message):
        """The cursor is on another record or column (also after a new view was swapped in)."""

        table: FlowTable
        row_id: int | None
        position: int
        column: str | None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._snapshot: StoreSnapshot | None = None
        self._view: ViewIndex = empty_view()
        self._view_token = 0
        self._natural: list[Column] = []
        self._columns: list[Column] = []
        self._fitted_width = -1
        self._offsets: list[int] = []
        self._options = DisplayOptions()
        self._ownership = Ownership()
        self._sort: tuple[SortKey, ...] = ()
        self._layout_token = 0
        self._search = ""
        self._search_token = 0
        self._style_token = 0
        self.cursor_row_id: int | None = None
        self.cursor_position = 0
        self.cursor_column = 0
        self.follow = False
        self.empty_message = "No records yet"
        self._page_ids: LRUCache[tuple[int, int], list[int]] = LRUCache(64)
        self._cells: LRUCache[tuple[int, int], tuple[Cell, ...]] = LRUCache(8192)
        self._strips: LRUCache[tuple[int, int, int, int, int], Strip] = LRUCache(1024)
        self._lines_rendered = 0
        self._gathers = 0
        self._rows_gathered = 0

    # --- what is shown ---------------------------------------------------------------------

    @property
    def view(self) -> ViewIndex:
        return self._view

    @property
    def view_token(self) -> int:
        """Changes whenever a new view index is swapped in."""
        return self._view_token

    @property
    def snapshot(self) -> StoreSnapshot | None:
        return self._snapshot

    @property
    def columns(self) -> list[Column]:
        return list(self._columns)

    @property
    def options(self) -> DisplayOptions:
        return self._options

    @property
    def current_column(self) -> Column | None:
        if 0 <= self.cursor_column < len(self._columns):
            return self._columns[self.cursor_column]
        return None

    @property
    def render_stats(self) -> RenderStats:
        return RenderStats(self._lines_rendered, self._gathers, self._rows_gathered)

    @property
    def data_height(self) -> int:
        """Lines available for rows (the header takes one)."""
        return max(self.scrollable_content_region.height - 1, 1)

    @property
    def at_end(self) -> bool:
        return self.cursor_position >= len(self._view) - 1

    @property
    def sticky(self) -> bool:
        """Following and parked on the newest row: new rows move the view down."""
        return self.follow and self.at_end

    def set_layout(
        self,
        columns: Iterable[Column],
        options: DisplayOptions,
        ownership: Ownership,
        sort: tuple[SortKey, ...],
    ) -> None:
        """New columns (at their natural widths), display options or ownership labels:
        re-render everything. The first columns are fitted to the width on screen."""
        self._natural = list(columns)
        self._options = options
        self._ownership = ownership
        self._sort = sort
        self._fit_columns()

    def on_resize(self, event: events.Resize) -> None:
        if self._fit_width() != self._fitted_width:
            self._fit_columns()

    def _fit_width(self) -> int:
        """Cells for columns: the width less the vertical scrollbar's, whether it shows or not
        (so rows arriving never refit the columns)."""
        return self.size.width - self.styles.scrollbar_size_vertical

    def _fit_columns(self) -> None:
        current = self.current_column
        width = self._fit_width()
        self._fitted_width = width
        self._columns = fit_widths(self._natural, width) if width > 0 else list(self._natural)
        self._offsets = []
        x = 0
        for column in self._columns:
            self._offsets.append(x)
            x += column.width + len(SEPARATOR)
        names = [column.name for column in self._columns]
        if current is not None and current.name in names:
            self.cursor_column = names.index(current.name)
        self.cursor_column = min(self.cursor_column, max(len(self._columns) - 1, 0))
        self._layout_token += 1
        self._update_virtual_size()
        self.refresh()

    def set_view(self, snapshot: StoreSnapshot, view: ViewIndex) -> None:
        """Swap in a new view index; the cursor keeps its record (or the nearest one)."""
        was_sticky = self.sticky and self.is_vertical_scroll_end
        old_view = self._view
        screen_offset = self.cursor_position - round(self.scroll_y)
        self._snapshot = snapshot
        self._view = view
        self._view_token += 1
        self._page_ids.clear()
        self._update_virtual_size()
        if not was_sticky and _only_appended(old_view, view):
            # Rows were added below: nothing on screen moves; paint only the new lines.
            if len(view) > len(old_view):
                self.refresh_lines(len(old_view) + 1, len(view) - len(old_view))
            return
        if not len(view):
            self.cursor_position = 0
        elif was_sticky:
            self.cursor_position = len(view) - 1
        elif self.cursor_row_id is None:
            self.cursor_position = len(view) - 1 if self.follow else 0
        else:
            self.cursor_position = view.nearest_position(self.cursor_row_id)
        if len(view):
            self.cursor_row_id = view.row_id_at(self.cursor_position)
        if was_sticky or (self.follow and self.at_end):
            self.scroll_to(y=self._max_scroll_y(), animate=False, force=True)
        else:
            target = self.cursor_position - screen_offset
            self.scroll_to(y=self._clamp_scroll(target), animate=False, force=True)
        self.refresh()
        self._post_cursor()

    def set_search(self, text: str) -> None:
        """Highlight `text` (case-insensitively) wherever it shows; "" clears."""
        lowered = text.lower()
        if lowered != self._search:
            self._search = lowered
            self._search_token += 1
            self.refresh()

    # --- cursor ----------------------------------------------------------------------------

    def move_cursor(self, position: int, column: int | None = None) -> None:
        """Put the cursor on a position of the view (clamped) and scroll it into sight."""
        if column is not None and self._columns:
            self.cursor_column = max(0, min(column, len(self._columns) - 1))
        if not len(self._view):
            self.refresh()
            return
        old = self.cursor_position
        position = max(0, min(position, len(self._view) - 1))
        self.cursor_position = position
        self.cursor_row_id = self._view.row_id_at(position)
        self.refresh_line(old + 1)
        self.refresh_line(position + 1)
        if column is not None:
            # The header does not scroll: its region is always the widget's first line.
            self.refresh(Region(0, 0, self.size.width, 1))
        self._scroll_cursor_into_view()
        self._post_cursor()

    def _scroll_cursor_into_view(self) -> None:
        top = round(self.scroll_y)
        if self.cursor_position < top:
            self.scroll_to(y=self.cursor_position, animate=False, force=True)
        elif self.cursor_position > top + self.data_height - 1:
            self.scroll_to(y=self.cursor_position - self.data_height + 1, animate=False, force=True)
        if not self._columns:
            return
        start = self._offsets[self.cursor_column]
        end = start + self._columns[self.cursor_column].width
        left = round(self.scroll_x)
        width = self.scrollable_content_region.width
        if start < left:
            self.scroll_to(x=start, animate=False, force=True)
        elif end > left + width:
            self.scroll_to(x=min(start, end - width), animate=False, force=True)

    def _post_cursor(self) -> None:
        column = self.current_column
        self.post_message(
            self.CursorMoved(
                self,
                self.cursor_row_id if len(self._view) else None,
                self.cursor_position,
                column.name if column else None,
            )
        )

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_position - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_position + 1)

    def action_cursor_left(self) -> None:
        self.move_cursor(self.cursor_position, self.cursor_column - 1)

    def action_cursor_right(self) -> None:
        self.move_cursor(self.cursor_position, self.cursor_column + 1)

    def action_page_down(self) -> None:
        self._page(self.data_height)

    def action_page_up(self) -> None:
        self._page(-self.data_height)

    def _page(self, lines: int) -> None:
        # The cursor keeps its place on screen while the page turns under it.
        self.scroll_to(
            y=self._clamp_scroll(round(self.scroll_y) + lines), animate=False, force=True
        )
        self.move_cursor(self.cursor_position + lines)

    def action_first_row(self) -> None:
        self.move_cursor(0)

    def action_last_row(self) -> None:
        self.move_cursor(len(self._view) - 1)
        self.scroll_to(y=self._max_scroll_y(), animate=False, force=True)

    def on_click(self, event: events.Click) -> None:
        column = self._column_at(event.x + round(self.scroll_x))
        if event.y == 0:
            self.move_cursor(self.cursor_position, column)
            return
        self.move_cursor(round(self.scroll_y) + event.y - 1, column)

    def _column_at(self, x: int) -> int | None:
        for index, start in enumerate(self._offsets):
            if start <= x < start + self._columns[index].width + len(SEPARATOR):
                return index
        return None

    # --- geometry --------------------------------------------------------------------------

    def _total_width(self) -> int:
        return sum(column.width + len(SEPARATOR) for column in self._columns)

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self._total_width(), len(self._view) + 1)

    def _max_scroll_y(self) -> int:
        return max(len(self._view) + 1 - self.scrollable_content_region.height, 0)

    def _clamp_scroll(self, y: int) -> int:
        return max(0, min(y, self._max_scroll_y()))

    # --- rendering -------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style_token += 1
        self._strips.clear()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        self._lines_rendered += 1
        if y == 0:
            strip = self._header_strip()
        else:
            position = scroll_y + y - 1
            if position < len(self._view):
                strip = self._row_strip(position)
            elif y == 1 and not len(self._view):
                strip = self._empty_strip()
            else:
                return Strip.blank(width, self.rich_style)
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)

    def _empty_strip(self) -> Strip:
        style = self.rich_style + self.get_component_rich_style("flow-table--empty", partial=True)
        text = f"  {self.empty_message}"
        return Strip([Segment(text, style)], len(text))

    def _header_strip(self) -> Strip:
        header = self.get_component_rich_style("flow-table--header")
        current = self.get_component_rich_style("flow-table--header-current")
        sorted_marks = dict(self._sort)
        segments = []
        for index, column in enumerate(self._columns):
            title = column.title
            if column.name in sorted_marks:
                mark = _SORT_MARKS[sorted_marks[column.name]]
                title = (title if len(title) < column.width else title[: column.width - 1]) + mark
            style = current if index == self.cursor_column else header
            segments.append(Segment(fit(title, column.width, column.numeric), style))
            segments.append(Segment(SEPARATOR, header))
        return Strip(segments, self._total_width())

    def _row_strip(self, position: int) -> Strip:
        row_id = self._row_id_at(position)
        is_cursor = position == self.cursor_position
        key = (
            row_id,
            self.cursor_column if is_cursor else -1,
            self._layout_token,
            self._search_token,
            self._style_token,
        )
        strip = self._strips.get(key)
        if strip is None:
            strip = self._build_row(self._cells_at(position, row_id), is_cursor)
            self._strips[key] = strip
        return strip

    def _row_id_at(self, position: int) -> int:
        page, index = divmod(position, PAGE_ROWS)
        ids = self._page_ids.get((self._view_token, page))
        if ids is None:
            start = page * PAGE_ROWS
            ids = self._view.ids_between(start, start + PAGE_ROWS).to_list()
            self._page_ids[(self._view_token, page)] = ids
        return ids[index]

    def _cells_at(self, position: int, row_id: int) -> tuple[Cell, ...]:
        cells = self._cells.get((row_id, self._layout_token))
        if cells is not None:
            return cells
        self._format_page(position // PAGE_ROWS)
        cells = self._cells.get((row_id, self._layout_token))
        return cells if cells is not None else tuple(_PLACEHOLDER for _ in self._columns)

    def _format_page(self, page: int) -> None:
        """One gather for the page's rows that are not formatted yet."""
        if self._snapshot is None:
            return
        self._row_id_at(page * PAGE_ROWS)
        ids = self._page_ids.get((self._view_token, page)) or []
        missing = [row_id for row_id in ids if (row_id, self._layout_token) not in self._cells]
        if not missing:
            return
        frame = self._snapshot.rows(missing)
        self._gathers += 1
        self._rows_gathered += frame.height
        formatted = format_page(frame, self._columns, self._options, self._ownership)
        for row_id, cells in formatted.items():
            self._cells[(row_id, self._layout_token)] = cells

    def _build_row(self, cells: tuple[Cell, ...], is_cursor: bool) -> Strip:
        base = self.get_component_rich_style("flow-table--cursor") if is_cursor else self.rich_style
        cursor_cell = self.get_component_rich_style("flow-table--cursor-cell")
        segments: list[Segment] = []
        for index, (column, cell) in enumerate(zip(self._columns, cells, strict=False)):
            style = cursor_cell if is_cursor and index == self.cursor_column else base
            segments.extend(self._cell_segments(column, cell, style))
            segments.append(Segment(SEPARATOR, base))
        return Strip(segments, self._total_width())

    def _cell_segments(self, column: Column, cell: Cell, base: Style) -> list[Segment]:
        """The cell's text in `base`, with its value, owner note and search matches styled."""
        shown = fit_cell(cell, column.width, column.numeric, column.address)
        offset = len(shown) - len(shown.lstrip(" ")) if column.numeric else 0
        layers: list[tuple[int, int, Style]] = []
        if cell.style:
            style = self.get_component_rich_style(f"flow-table--{cell.style}", partial=True)
            layers.append((offset, offset + len(cell.text), style))
        if cell.note:
            note = self.get_component_rich_style("flow-table--note", partial=True)
            layers.append((offset + len(cell.text) + 1, len(shown), note))
        if self._search:
            match = self.get_component_rich_style("flow-table--match")
            layers.extend(
                (start, end, match) for start, end in highlight_spans(shown, self._search)
            )
        if not layers:
            return [Segment(shown, base)]
        cuts = sorted({0, len(shown), *(p for start, end, _ in layers for p in (start, end))})
        segments = []
        for start, end in itertools.pairwise(cuts):
            if start >= end or end > len(shown):
                continue
            style = base
            for low, high, layer in layers:
                if low <= start and end <= high:
                    style += layer
            segments.append(Segment(shown[start:end], style))
        return segments
