"""A list of plain rows with a header, fuzzy filtering and optional multi-select.

Used for log groups, log streams and find results. Rows are plain strings (tags, names and
stream names come from outside and are shown literally); rows are kept by key, so the cursor
and the selection survive filtering.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rapidfuzz import fuzz, process, utils
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from flowtui.ui.formatting import fit, sanitize

FUZZY_CUTOFF = 70.0
SEPARATOR = "  "
MARK_WIDTH = 2


@dataclass(frozen=True, slots=True)
class PickColumn:
    title: str
    #: None: this column takes the width left over (at least `minimum`).
    width: int | None
    numeric: bool = False
    minimum: int = 12
    #: When the list is too narrow, columns with the highest `drop` go first (0 never).
    drop: int = 0


@dataclass(frozen=True, slots=True)
class PickRow:
    key: str
    cells: tuple[str, ...]
    search_text: str
    #: Per-cell style names: "", "muted", "good", "warning".
    styles: tuple[str, ...] = ()


def fuzzy_order(rows: Sequence[PickRow], query: str) -> list[int]:
    """Indexes of the rows matching `query`, best first; all rows, in order, for no query."""
    if not query.strip():
        return list(range(len(rows)))
    found = process.extract(
        query,
        [row.search_text for row in rows],
        scorer=fuzz.partial_ratio,
        processor=utils.default_process,
        limit=None,
        score_cutoff=FUZZY_CUTOFF,
    )
    # Best score first; equal scores keep the list's own order.
    return [index for _, _, index in sorted(found, key=lambda hit: (-hit[1], hit[2]))]


class PickList(ScrollView, can_focus=True, inherit_bindings=False):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "pick-list--header",
        "pick-list--cursor",
        "pick-list--selected",
        "pick-list--muted",
        "pick-list--good",
        "pick-list--warning",
        "pick-list--empty",
    }

    DEFAULT_CSS = """
    PickList { background: $surface; height: 1fr; scrollbar-size-vertical: 1; }
    PickList > .pick-list--header { background: $panel; text-style: bold; }
    PickList > .pick-list--cursor { background: $flow-cursor; }
    PickList > .pick-list--selected { color: $accent; text-style: bold; }
    PickList > .pick-list--muted { color: $flow-muted; }
    PickList > .pick-list--good { color: $success; }
    PickList > .pick-list--warning { color: $warning; text-style: bold; }
    PickList > .pick-list--empty { color: $flow-muted; }
    """

    @dataclass
    class Highlighted(Message):
        pick_list: PickList
        key: str | None

    def __init__(
        self,
        columns: Sequence[PickColumn],
        *,
        multi_select: bool = False,
        empty_message: str = "Nothing to show",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._columns = list(columns)
        self.multi_select = multi_select
        self.empty_message = empty_message
        self._rows: list[PickRow] = []
        self._shown: list[int] = []
        self._query = ""
        self.cursor = 0
        self.selected: set[str] = set()

    # --- content ---------------------------------------------------------------------------

    @property
    def rows(self) -> list[PickRow]:
        return list(self._rows)

    @property
    def shown_keys(self) -> list[str]:
        return [self._rows[index].key for index in self._shown]

    @property
    def current_key(self) -> str | None:
        if 0 <= self.cursor < len(self._shown):
            return self._rows[self._shown[self.cursor]].key
        return None

    def picked_keys(self) -> list[str]:
        """The selection in list order, or the row under the cursor when nothing is selected."""
        if self.selected:
            return [row.key for row in self._rows if row.key in self.selected]
        current = self.current_key
        return [current] if current is not None else []

    def set_rows(self, rows: Sequence[PickRow]) -> None:
        keep = self.current_key
        self._rows = list(rows)
        keys = {row.key for row in self._rows}
        self.selected &= keys
        self._apply(keep)

    def filter(self, query: str) -> None:
        self._query = query
        self._apply(self.current_key)

    def _apply(self, keep: str | None) -> None:
        self._shown = fuzzy_order(self._rows, self._query)
        keys = self.shown_keys
        self.cursor = keys.index(keep) if keep in keys else 0
        self.virtual_size = Size(self._total_width(), len(self._shown) + 1)
        self.scroll_to(y=0, animate=False, force=True)
        self._scroll_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self, self.current_key))

    def toggle_current(self) -> None:
        key = self.current_key
        if key is not None and self.multi_select:
            self.selected.symmetric_difference_update({key})
            self.refresh()

    def select_all(self) -> None:
        """Select every shown row; when all are selected already, clear the selection."""
        if not self.multi_select:
            return
        shown = set(self.shown_keys)
        self.selected = set() if shown <= self.selected else self.selected | shown
        self.refresh()

    # --- movement --------------------------------------------------------------------------

    def move_to(self, index: int) -> None:
        if not self._shown:
            return
        self.cursor = max(0, min(index, len(self._shown) - 1))
        self._scroll_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self, self.current_key))

    def _scroll_into_view(self) -> None:
        height = max(self.scrollable_content_region.height - 1, 1)
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, force=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, force=True)

    def action_move(self, step: int) -> None:
        self.move_to(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor + direction * max(self.scrollable_content_region.height - 1, 1))

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(len(self._shown) - 1)

    # --- rendering -------------------------------------------------------------------------

    def _layout(self) -> list[tuple[int, int]]:
        """(column index, width) of the columns that fit, in order."""
        available = self.scrollable_content_region.width - 1
        available -= MARK_WIDTH if self.multi_select else 0
        shown = list(range(len(self._columns)))
        while True:
            columns = [self._columns[i] for i in shown]
            fixed = sum(c.width for c in columns if c.width is not None)
            minimum = sum(c.minimum for c in columns if c.width is None)
            needed = fixed + minimum + len(SEPARATOR) * (len(columns) - 1)
            droppable = [i for i in shown if self._columns[i].drop > 0]
            if needed <= available or not droppable:
                break
            shown.remove(max(droppable, key=lambda i: self._columns[i].drop))
        flexible = [i for i in shown if self._columns[i].width is None]
        left = available - fixed - len(SEPARATOR) * (len(shown) - 1)
        share = left // len(flexible) if flexible else 0
        widths = []
        for i in shown:
            column = self._columns[i]
            widths.append(
                (i, column.width if column.width is not None else max(share, column.minimum))
            )
        return widths

    def _total_width(self) -> int:
        marks = MARK_WIDTH if self.multi_select else 0
        layout = self._layout()
        return marks + 1 + sum(width for _, width in layout) + len(SEPARATOR) * (len(layout) - 1)

    def on_resize(self) -> None:
        self.virtual_size = Size(self._total_width(), len(self._shown) + 1)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        if y == 0:
            strip = self._header()
        elif scroll_y + y - 1 < len(self._shown):
            strip = self._row(scroll_y + y - 1)
        elif y == 1 and not self._shown:
            style = self.rich_style + self.get_component_rich_style(
                "pick-list--empty", partial=True
            )
            strip = Strip([Segment(f" {self.empty_message}", style)])
        else:
            return Strip.blank(width, self.rich_style)
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)

    def _header(self) -> Strip:
        style = self.get_component_rich_style("pick-list--header")
        marks = " " * MARK_WIDTH if self.multi_select else ""
        cells = [
            fit(self._columns[index].title, width, self._columns[index].numeric)
            for index, width in self._layout()
        ]
        return Strip([Segment(" " + marks + SEPARATOR.join(cells), style)])

    def _row(self, position: int) -> Strip:
        row = self._rows[self._shown[position]]
        base = (
            self.get_component_rich_style("pick-list--cursor")
            if position == self.cursor
            else self.rich_style
        )
        segments = [Segment(" ", base)]
        if self.multi_select:
            chosen = row.key in self.selected
            mark_style = base + self.get_component_rich_style("pick-list--selected", partial=True)
            segments.append(Segment("● " if chosen else "○ ", mark_style if chosen else base))
        for place, (index, width) in enumerate(self._layout()):
            if place:
                segments.append(Segment(SEPARATOR, base))
            text = sanitize(row.cells[index]) if index < len(row.cells) else ""
            style_name = row.styles[index] if index < len(row.styles) else ""
            numeric = self._columns[index].numeric
            segments.append(Segment(fit(text, width, numeric), self._style(base, style_name)))
        return Strip(segments)

    def _style(self, base: Style, name: str) -> Style:
        if not name:
            return base
        return base + self.get_component_rich_style(f"pick-list--{name}", partial=True)

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.move_to(round(self.scroll_y) + event.y - 1)
