"""Fuzzy-filtered pick lists: the shared filter box, and the group and stream screens' base."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from flowtui.ui.backend import error_text
from flowtui.ui.formatting import sanitize
from flowtui.ui.widgets.pick_list import PickColumn, PickList, PickRow

Item = TypeVar("Item")
Result = TypeVar("Result")


class ListFilter(Input):
    """The fuzzy filter line: Esc clears it (then leaves it), ↓ and Enter go to the list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave(True)", "Clear filter", show=False),
        Binding("down", "leave(False)", "To the list", show=False),
    ]

    @dataclass
    class Left(Message):
        field: ListFilter

    def action_leave(self, clear: bool) -> None:
        if clear and self.value:
            self.value = ""
            return
        self.post_message(self.Left(self))


@dataclass
class _Loaded(Message, Generic[Item]):
    items: Sequence[Item]


@dataclass
class _LoadFailed(Message):
    message: str


class FilteredPickScreen(Screen[Result]):
    """A screen whose ListFilter narrows its PickList: the filter box's keys, written once.

    Typing filters, Enter opens what is highlighted, leaving the box returns to the list.
    Subclasses compose one ListFilter and one PickList and say what `action_open` does.
    """

    @property
    def pick_list(self) -> PickList:
        return self.query_one(PickList)

    @property
    def filter_field(self) -> ListFilter:
        return self.query_one(ListFilter)

    def action_open(self) -> None:
        raise NotImplementedError

    @on(Input.Changed)
    def _filter_changed(self, event: Input.Changed) -> None:
        self.pick_list.filter(event.value)

    @on(Input.Submitted)
    def _filter_submitted(self) -> None:
        self.pick_list.focus()
        self.action_open()

    @on(ListFilter.Left)
    def _filter_left(self) -> None:
        self.pick_list.focus()

    def action_focus_filter(self) -> None:
        self.filter_field.focus()


class ListScreen(FilteredPickScreen[None], Generic[Item]):
    """A title, a filter line, a pick list and a line about the highlighted row."""

    AUTO_FOCUS = "PickList"
    COLUMNS: tuple[PickColumn, ...] = ()
    MULTI_SELECT = False
    TITLE_TEXT = ""
    EMPTY = "Nothing here"

    DEFAULT_CSS = """
    ListScreen > #title {
        height: 1; background: $panel; color: $primary; text-style: bold; padding: 0 1;
    }
    ListScreen > ListFilter { height: 1; margin: 0 1; }
    ListScreen > #info {
        height: auto; max-height: 3; padding: 0 1; background: $panel; color: $foreground;
    }
    """

    def __init__(self, load: Callable[[], Sequence[Item]], clock: Callable[[], float]) -> None:
        super().__init__()
        self._load = load
        self.clock = clock
        self.items: dict[str, Item] = {}

    def compose(self) -> ComposeResult:
        yield Static(Text(sanitize(self.title_text())), id="title")
        yield ListFilter(placeholder="f or / to filter (fuzzy)", compact=True)
        yield PickList(self.COLUMNS, multi_select=self.MULTI_SELECT, empty_message=self.EMPTY)
        yield Static("", id="info")
        yield Footer()

    def on_mount(self) -> None:
        self.filter_field.cursor_blink = False
        self.pick_list.focus()
        self.reload()

    def reload(self) -> None:
        self.pick_list.loading = True
        self.query_one("#info", Static).update(Text(sanitize(self.loading_text())))
        self._run_load()

    @work(thread=True, exclusive=True, group="list", exit_on_error=False)
    def _run_load(self) -> None:
        try:
            items = self._load()
        except Exception as error:
            self.post_message(_LoadFailed(error_text(error)))
            return
        self.post_message(_Loaded(items))

    @on(_Loaded)
    def _loaded(self, message: _Loaded[Item]) -> None:
        self.pick_list.loading = False
        self.query_one("#info", Static).update(Text(""))
        self.items = {self.key(item): item for item in message.items}
        self.pick_list.set_rows([self.row(item) for item in message.items])
        self.after_load()

    @on(_LoadFailed)
    def _load_failed(self, message: _LoadFailed) -> None:
        self.pick_list.loading = False
        self.query_one("#info", Static).update(Text(""))
        self.pick_list.empty_message = f"Could not load: {message.message}"
        self.pick_list.refresh()
        self.app.notify(message.message, severity="error", timeout=10)

    def after_load(self) -> None:
        """Hook: runs once rows are shown."""

    def loading_text(self) -> str:
        """Hook: what is being tried while the list loads (where it connects to)."""
        return ""

    def title_text(self) -> str:
        return self.TITLE_TEXT

    # --- per-screen content ----------------------------------------------------------------

    def key(self, item: Item) -> str:
        raise NotImplementedError

    def row(self, item: Item) -> PickRow:
        raise NotImplementedError

    def describe(self, item: Item) -> str:
        raise NotImplementedError

    def open(self, keys: list[str]) -> None:
        raise NotImplementedError

    # --- keys ------------------------------------------------------------------------------

    @on(PickList.Highlighted)
    def _highlighted(self, event: PickList.Highlighted) -> None:
        item = self.items.get(event.key) if event.key is not None else None
        info = self.query_one("#info", Static)
        info.update(Text(sanitize(self.describe(item))) if item is not None else Text(""))

    def action_toggle_selection(self) -> None:
        self.pick_list.toggle_current()
        self.pick_list.action_move(1)

    def action_select_all(self) -> None:
        self.pick_list.select_all()

    def action_open(self) -> None:
        keys = self.pick_list.picked_keys()
        if keys:
            self.open(keys)
