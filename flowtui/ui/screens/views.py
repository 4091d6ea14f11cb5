"""Saved views: save the explorer's view under a name (`ctrl+s`) and pick one to open (`v`).

Views live in `flowtui.core.views.ViewStore` (one file per view, shared safely between
running instances). Reading and writing them runs in thread workers. The picker filters
fuzzily, opens, renames, duplicates and deletes, and lists the files it had to skip (corrupt,
or from a newer flowtui) with where their backup is. View names, groups, filters and paths
are shown as plain text, never markup.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from flowtui.core.views import (
    InvalidViewError,
    SavedView,
    ViewError,
    ViewExistsError,
    ViewStore,
    clean_view_name,
)
from flowtui.core.wording import counted
from flowtui.ui.backend import error_text
from flowtui.ui.formatting import sanitize
from flowtui.ui.keys import NAME_KEYS, VIEWS_KEYS, bindings
from flowtui.ui.screens.confirm import ConfirmScreen
from flowtui.ui.screens.lists import FilteredPickScreen, ListFilter
from flowtui.ui.widgets.pick_list import PickColumn, PickList, PickRow
from flowtui.ui.widgets.time_range import describe_range

#: Builds the view to save under a name (asks the backend where it loads from: may block).
ViewBuilder = Callable[[str], SavedView]


# --- asking for a name -----------------------------------------------------------------------


class NameScreen(ModalScreen[str | None]):
    """One line of input for a view name; Enter accepts a valid name, Esc cancels."""

    AUTO_FOCUS = "#name"
    BINDINGS: ClassVar[list[BindingType]] = bindings(NAME_KEYS)

    DEFAULT_CSS = """
    NameScreen { align: center middle; background: $background 60%; }
    NameScreen > Vertical {
        width: 70; max-width: 100%; height: auto;
        background: $surface; border: round $primary; padding: 0 1;
    }
    NameScreen #prompt { margin-bottom: 1; }
    NameScreen #problem { color: $error; height: auto; margin-top: 1; display: none; }
    """

    def __init__(self, title: str, prompt: str, initial: str = "") -> None:
        super().__init__()
        self._title = title
        self._prompt = prompt
        self._initial = initial

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text(self._title)
            yield Static(Text(sanitize(self._prompt)), id="prompt")
            yield Input(self._initial, placeholder="view name", id="name", compact=True)
            yield Static("", id="problem")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#name", Input).cursor_blink = False

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            name = clean_view_name(event.value)
        except InvalidViewError as error:
            self.show_problem(str(error))
            return
        self.accept(name)

    def accept(self, name: str) -> None:
        """A valid name was entered."""
        self.dismiss(name)

    def show_problem(self, text: str) -> None:
        line = self.query_one("#problem", Static)
        line.update(Text(sanitize(text)))
        line.display = bool(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass
class _SaveDone(Message):
    name: str


@dataclass
class _SaveExists(Message):
    name: str


@dataclass
class _SaveFailed(Message):
    message: str


class SaveViewScreen(NameScreen):
    """Save the explorer's view: a name, then (if it is taken) whether to replace it."""

    def __init__(self, store: ViewStore, build: ViewBuilder, initial: str = "") -> None:
        prompt = (
            "Saves the source, time range, filter, search, columns, sort and follow "
            "(never credentials). Enter saves."
        )
        super().__init__("Save view", prompt, initial)
        self._store = store
        self._build = build

    def accept(self, name: str) -> None:
        self.show_problem("")
        self._save(name, overwrite=False)

    @work(thread=True, exclusive=True, group="views", exit_on_error=False)
    def _save(self, name: str, overwrite: bool) -> None:
        try:
            self._store.save(self._build(name), overwrite=overwrite)
        except ViewExistsError:
            self.post_message(_SaveExists(name))
        except ViewError as error:
            self.post_message(_SaveFailed(str(error)))
        except Exception as error:  # one line, never a traceback
            self.post_message(_SaveFailed(error_text(error)))
        else:
            self.post_message(_SaveDone(name))

    @on(_SaveExists)
    def _exists(self, message: _SaveExists) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self._save(message.name, overwrite=True)

        question = f"A view named {message.name!r} exists. Replace it?"
        self.app.push_screen(ConfirmScreen(question), answered)

    @on(_SaveDone)
    def _done(self, message: _SaveDone) -> None:
        self.dismiss(message.name)

    @on(_SaveFailed)
    def _failed(self, message: _SaveFailed) -> None:
        self.show_problem(message.message)


# --- the picker ------------------------------------------------------------------------------


def describe_view(view: SavedView) -> str:
    """One line about a view: where it loads from and how it shows the rows."""
    source = view.source
    parts = [source.log_group]
    parts.append(counted(len(source.streams), "stream") if source.streams else "all streams")
    if source.profile:
        parts.append(f"profile {source.profile}")
    if source.region:
        parts.append(source.region)
    if source.endpoint_url:
        parts.append(source.endpoint_url)
    if view.search_text:
        parts.append(f"search {view.search_text!r}")
    if view.sort:
        keys = ", ".join(f"{column} {'▼' if desc else '▲'}" for column, desc in view.sort)
        parts.append(f"sort {keys}")
    if view.columns:
        parts.append(counted(len(view.columns), "column"))
    if view.follow:
        parts.append("follow")
    return " · ".join(parts)


@dataclass
class _ViewsLoaded(Message):
    views: Sequence[SavedView]
    problems: Sequence[str]
    done: str = ""
    failed: str = ""


class ViewsScreen(FilteredPickScreen[SavedView | None]):
    """Every saved view, fuzzy filtered; Enter opens one in a new explorer."""

    AUTO_FOCUS = "PickList"
    BINDINGS: ClassVar[list[BindingType]] = bindings(VIEWS_KEYS)
    COLUMNS = (
        PickColumn("name", None, minimum=16),
        PickColumn("log group", None, minimum=14, drop=2),
        PickColumn("time range", 12, drop=3),
        PickColumn("filter", None, minimum=12, drop=1),
    )

    DEFAULT_CSS = """
    ViewsScreen > #title {
        height: 1; background: $panel; color: $primary; text-style: bold; padding: 0 1;
    }
    ViewsScreen > ListFilter { height: 1; margin: 0 1; }
    ViewsScreen > #info {
        height: auto; max-height: 3; padding: 0 1; background: $panel;
    }
    ViewsScreen > #message { height: auto; padding: 0 1; display: none; }
    ViewsScreen PickList { overflow-x: hidden; }
    ViewsScreen > #message.-failed { color: $error; }
    ViewsScreen > #problems {
        height: auto; max-height: 45%; padding: 0 1; color: $warning; display: none;
    }
    """

    def __init__(self, store: ViewStore) -> None:
        super().__init__()
        self._store = store
        self.views: dict[str, SavedView] = {}
        self.problems: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(Text("Saved views"), id="title")
        yield ListFilter(placeholder="f or / to filter (fuzzy)", compact=True)
        yield PickList(self.COLUMNS, empty_message="Reading saved views…")
        yield Static("", id="info")
        yield Static("", id="message")
        yield Static("", id="problems")
        yield Footer()

    def on_mount(self) -> None:
        self.filter_field.cursor_blink = False
        self._change(lambda: "")

    # --- reading and changing --------------------------------------------------------------

    def _change(self, change: Callable[[], str]) -> None:
        """Run `change` (returns what it did), then read the views again; both in a worker."""
        self._run(change)

    @work(thread=True, exclusive=True, group="views", exit_on_error=False)
    def _run(self, change: Callable[[], str]) -> None:
        done = failed = ""
        try:
            done = change()
        except ViewError as error:
            failed = str(error)
        except Exception as error:  # one line, never a traceback
            failed = error_text(error)
        try:
            views, problems = self._store.list(), self._store.problems
        except Exception as error:
            views, problems = [], [f"cannot read saved views: {error_text(error)}"]
        self.post_message(_ViewsLoaded(views, problems, done, failed))

    @on(_ViewsLoaded)
    def _loaded(self, message: _ViewsLoaded) -> None:
        self.views = {view.name: view for view in message.views}
        self.problems = list(message.problems)
        self.pick_list.empty_message = "No saved views yet: ctrl+s in an explorer saves one"
        self.pick_list.set_rows([self._row(view) for view in message.views])
        self._say(message.failed or message.done, failed=bool(message.failed))
        problems = self.query_one("#problems", Static)
        problems.update(Text(self._problems_text()))
        problems.display = bool(self.problems)

    def _problems_text(self) -> str:
        """Each skipped file by its name in the views folder, which is named once."""
        folder = f"{self._store.directory}{os.sep}"
        lines = [f"Skipped in {folder}:"]
        lines += [f"• {problem.removeprefix(folder)}" for problem in self.problems]
        return "\n".join(sanitize(line) for line in lines)

    @staticmethod
    def _row(view: SavedView) -> PickRow:
        time_range = describe_range(view.time_range, local=False)
        cells = (view.name, view.source.log_group, time_range, view.filter_text or "-")
        search = f"{view.name} {view.source.log_group} {view.filter_text}"
        return PickRow(view.name, cells, search, ("", "muted", "", ""))

    def _say(self, text: str, failed: bool = False) -> None:
        line = self.query_one("#message", Static)
        line.update(Text(sanitize(text)))
        line.set_class(failed, "-failed")
        line.display = bool(text)

    @on(PickList.Highlighted)
    def _highlighted(self, event: PickList.Highlighted) -> None:
        view = self.views.get(event.key) if event.key is not None else None
        info = describe_view(view) if view is not None else ""
        self.query_one("#info", Static).update(Text(sanitize(info)))

    # --- keys ------------------------------------------------------------------------------

    def _current(self) -> SavedView | None:
        key = self.pick_list.current_key
        return self.views.get(key) if key is not None else None

    def action_open(self) -> None:
        view = self._current()
        if view is not None:
            self.dismiss(view)

    def action_rename(self) -> None:
        view = self._current()
        if view is None:
            return
        old = view.name

        def named(new: str | None) -> None:
            if new is not None and new != old:
                store = self._store
                self._change(lambda: f"Renamed {old!r} to {store.rename(old, new).name!r}")

        self.app.push_screen(NameScreen("Rename view", f"New name for {old!r}", old), named)

    def action_duplicate(self) -> None:
        view = self._current()
        if view is None:
            return
        old = view.name

        def named(new: str | None) -> None:
            if new is not None:
                store = self._store
                self._change(lambda: f"Copied {old!r} to {store.duplicate(old, new).name!r}")

        prompt = f"Name of the copy of {old!r}"
        self.app.push_screen(NameScreen("Duplicate view", prompt, f"{old} copy"), named)

    def action_delete(self) -> None:
        view = self._current()
        if view is None:
            return
        name = view.name

        def answered(yes: bool | None) -> None:
            if yes:
                store = self._store

                def delete() -> str:
                    store.delete(name)
                    return f"Deleted {name!r}"

                self._change(delete)

        self.app.push_screen(ConfirmScreen(f"Delete the view {name!r}?"), answered)

    def action_close(self) -> None:
        self.dismiss(None)
