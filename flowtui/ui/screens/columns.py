"""Which columns the flow table shows, and in which order (`c`)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from flowtui.core.fields import FIELDS
from flowtui.core.schema import INGEST, STREAM
from flowtui.ui.formatting import DisplayOptions, column_title

ColumnsResult = tuple[list[str], set[str]]
_BOOKKEEPING_MEANINGS = {
    STREAM: "CloudWatch log stream the record came from",
    INGEST: "When CloudWatch ingested the record",
}


class ColumnsScreen(ModalScreen[ColumnsResult | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_column", "Show/hide", id="columns_toggle"),
        Binding("K,shift+up", "move(-1)", "Move up", id="columns_up", key_display="K"),
        Binding("J,shift+down", "move(1)", "Move down", id="columns_down", key_display="J"),
        Binding("enter", "apply", "Apply", id="columns_apply"),
        Binding("escape", "cancel", "Cancel", id="columns_cancel"),
    ]

    DEFAULT_CSS = """
    ColumnsScreen { align: center middle; background: $background 60%; }
    ColumnsScreen > Vertical {
        width: 60; max-width: 100%; height: 90%;
        background: $surface; border: round $primary; padding: 0 1;
    }
    ColumnsScreen OptionList {
        height: 1fr; border: none; text-wrap: nowrap; text-overflow: ellipsis;
    }
    ColumnsScreen Static { color: $foreground 70%; }
    """

    def __init__(self, order: list[str], hidden: set[str]) -> None:
        super().__init__()
        self.order = list(order)
        self.hidden = set(hidden)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Columns: space shows/hides, J/K move, Enter applies, Esc cancels"))
            yield OptionList(*self._options(), id="columns")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def _options(self) -> list[Option]:
        options = []
        for name in self.order:
            mark = "[ ]" if name in self.hidden else "[x]"
            title = column_title(name, DisplayOptions())
            meaning = FIELDS[name].meaning if name in FIELDS else _BOOKKEEPING_MEANINGS[name]
            # One line each: the list cuts it to its width (see `text-wrap` above).
            line = f"{mark} {title:<14} {meaning}"
            options.append(Option(Text(line), id=name))
        return options

    def _redraw(self, highlight: int) -> None:
        option_list = self.query_one(OptionList)
        option_list.clear_options()
        option_list.add_options(self._options())
        option_list.highlighted = highlight

    def _current(self) -> int | None:
        return self.query_one(OptionList).highlighted

    def action_toggle_column(self) -> None:
        index = self._current()
        if index is None:
            return
        name = self.order[index]
        self.hidden.symmetric_difference_update({name})
        self._redraw(index)

    def action_move(self, step: int) -> None:
        index = self._current()
        if index is None:
            return
        target = index + step
        if not 0 <= target < len(self.order):
            return
        self.order[index], self.order[target] = self.order[target], self.order[index]
        self._redraw(target)

    def action_apply(self) -> None:
        self.dismiss((self.order, self.hidden))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        # Enter on the list applies, as the footer says.
        event.stop()
        self.action_apply()
