"""Helpers for the tests of the explorer's feature screens (counts, stats, explain, export, views)."""

from __future__ import annotations

from typing import Any, TypeVar

from textual.pilot import Pilot
from textual.screen import Screen
from ui_support import settle

from flowtui.ui.app import FlowApp
from flowtui.ui.screens.explorer import ExplorerScreen

ROWS = 129
ACCEPTS = 110
REJECTS = 17
#: Rows of the sample store, by position: the SSH probes from the sample's clients.
PROBE_DENIED_BY_ACL = 5  # 203.0.113.7
PROBE_ALLOWED_TODAY = 19  # 198.51.100.23 (the office)
PROBE_NO_GROUP_RULE = 44  # 192.0.2.44
RDP_TO_DATABASE = 6  # bastion -> db-1:3389

ScreenT = TypeVar("ScreenT", bound=Screen[Any])


def typed(text: str) -> list[str]:
    """Key names that type `text`."""
    return ["space" if char == " " else char for char in text]


def explorer_of(app: FlowApp) -> ExplorerScreen:
    """The topmost explorer (feature screens open over it)."""
    screens = [screen for screen in app.screen_stack if isinstance(screen, ExplorerScreen)]
    assert screens, "no explorer is open"
    return screens[-1]


def top(app: FlowApp, kind: type[ScreenT]) -> ScreenT:
    screen = app.screen
    assert isinstance(screen, kind), f"expected {kind.__name__}, the app shows {screen!r}"
    return screen


async def to_column(pilot: Pilot[Any], name: str) -> None:
    """Move the explorer's cursor to the column `name`."""
    app = pilot.app
    assert isinstance(app, FlowApp)
    table = explorer_of(app).table
    for _ in range(50):  # a view being rebuilt (rows evicted, say) has its columns back shortly
        if any(column.name == name for column in table.columns):
            break
        await pilot.pause(0.05)
    await pilot.press("home")
    for _ in range(len(table.columns)):
        column = table.current_column
        if column is not None and column.name == name:
            return
        await pilot.press("l")
    raise AssertionError(f"no column {name!r} is shown")


async def to_row(pilot: Pilot[Any], position: int) -> None:
    app = pilot.app
    assert isinstance(app, FlowApp)
    explorer_of(app).table.move_cursor(position)
    await settle(pilot)


def notices(app: FlowApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


def view_is_current(app: FlowApp) -> bool:
    """The explorer's view is built over the store as it is now (views build in a worker, so
    a fetch that just ended may not be on screen yet)."""
    explorer = explorer_of(app)
    table = explorer.table
    current = explorer.feed.store.snapshot().generation
    return table.snapshot is not None and table.snapshot.generation == current
