"""Work is never lost or misrepresented in the explorer (issue 16: 3, 7, 10).

Esc closes what is open and never leaves an explorer with rows in it; the filter bar never
leaves a filter that was not typed in force; the applied filter is always on the status line.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from ui_support import SIZES, explorer_app, fixed_clock, screen_text, settle

from flowtui.ui.app import FlowApp, Start
from flowtui.ui.screens.confirm import ConfirmScreen
from flowtui.ui.screens.explorer import ExplorerScreen
from flowtui.ui.screens.streams import StreamsScreen
from flowtui.ui.screens.value_counts import ValueCountsScreen
from tests.fixtures.sample_data import GROUP, SampleBackend

ROWS = 129
SSH_REJECTS = 10


def keys(text: str) -> list[str]:
    return ["space" if char == " " else char for char in text]


def explorer(app: FlowApp) -> ExplorerScreen:
    screen = app.screen
    assert isinstance(screen, ExplorerScreen)
    return screen


def highlighted(screen: ExplorerScreen) -> str:
    """The text the table highlights (the flow table keeps it lowered, privately)."""
    return str(screen.table._search)


async def type_slowly(pilot: Pilot[Any], text: str) -> None:
    """Type as a person does: the settle timer fires between keystrokes."""
    for key in keys(text):
        await pilot.press(key)
        await settle(pilot)


# --- 16.7: the filter bar applies only what was typed ----------------------------------------


async def test_esc_after_an_invalid_filter_keeps_the_filter_applied_before() -> None:
    app = explorer_app(filter_text="action=reject dstport=22")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = explorer(app)
        assert len(screen.table.view) == SSH_REJECTS
        await pilot.press("f", "ctrl+u")
        await type_slowly(pilot, "srcaddr=10.0.0.0/33")
        assert "/33" in screen_text(app), "the bar still shows what was typed"
        await pilot.press("escape")
        await settle(pilot)
        assert screen.filter_text == "action=reject dstport=22"
        assert len(screen.table.view) == SSH_REJECTS
        assert "srcaddr=10.0.0.0/3" not in screen_text(app)


async def test_an_invalid_value_never_drops_the_filter_applied_before() -> None:
    app = explorer_app(filter_text="action=reject dstport=22")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = explorer(app)
        await pilot.press("f", "ctrl+u")
        await type_slowly(pilot, "dport=abc")
        assert screen.filter_text == "action=reject dstport=22", "while the text is invalid"
        assert len(screen.table.view) == SSH_REJECTS
        await pilot.press("enter")
        await settle(pilot)
        assert screen.filter_bar.is_open, "an invalid filter is not applied; the bar stays"
        await pilot.press("escape")
        await settle(pilot)
        assert screen.filter_text == "action=reject dstport=22"
        assert len(screen.table.view) == SSH_REJECTS


async def test_enter_commits_the_typed_filter_and_esc_cancels_a_preview() -> None:
    backend = SampleBackend()
    app = explorer_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = explorer(app)
        await pilot.press("f", *keys("action=reject"))
        await settle(pilot)
        assert screen.filter_text == "action=reject", "valid text is previewed while typing"
        await pilot.press("escape")
        await settle(pilot)
        assert screen.filter_text == "", "Esc drops the preview"
        assert len(screen.table.view) == ROWS
        await pilot.press("f", *keys("action=reject"), "enter")
        await settle(pilot)
        assert screen.filter_text == "action=reject"
        assert not screen.filter_bar.is_open
        await pilot.press("f", "ctrl+u", "escape")
        await settle(pilot)
        assert screen.filter_text == "action=reject", "the committed filter survives Esc"


# --- 16.3: Esc closes things; leaving with work in the explorer asks first -------------------


def streams_app(backend: SampleBackend) -> FlowApp:
    return FlowApp(backend, start=Start(group=GROUP), clock=fixed_clock)


async def open_explorer_from_streams(pilot: Pilot[Any]) -> ExplorerScreen:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ExplorerScreen)
    return screen


async def test_esc_closes_the_docked_detail_pane_and_never_leaves_the_explorer() -> None:
    backend = SampleBackend()
    app = streams_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_explorer_from_streams(pilot)
        await pilot.press("f", *keys("action=reject"), "enter", "F")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.detail_pane.has_class("-open")
        assert "Esc/⏎ close" in screen_text(app), "the pane says how to close it"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert not screen.detail_pane.has_class("-open")
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert app.screen is screen, "Esc with nothing open stays in the explorer"
        assert screen.filter_text == "action=reject" and screen.follow
        assert ("close", None) not in backend.calls


async def test_q_asks_before_discarding_loaded_rows() -> None:
    backend = SampleBackend()
    app = streams_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_explorer_from_streams(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "129 loaded rows" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen, "Esc answers no"
        await pilot.press("q", "y")
        await settle(pilot)
        assert isinstance(app.screen, StreamsScreen)
        assert backend.calls[-1] == ("close", None)


async def test_closing_a_feature_screen_twice_never_leaves_the_explorer() -> None:
    app = explorer_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = explorer(app)
        await pilot.press("number_sign")
        await settle(pilot)
        assert isinstance(app.screen, ValueCountsScreen)
        await pilot.press("q", "q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen), "q on the explorer asks, never quits"
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen
        assert not app._exit


# --- 16.10: the applied filter shows on the status line at every width ----------------------


@pytest.mark.parametrize("size", SIZES)
async def test_the_applied_filter_shows_on_the_status_line(size: tuple[int, int]) -> None:
    long_filter = "action=reject dstport=22 and not srcaddr=198.51.100.0/24 and protocol=6"
    app = explorer_app(filter_text=long_filter)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        status = screen_text(app).splitlines()[-2]
        assert "rows" in status
        assert "action=reject dstport=22" in status
        assert "…" in status, "a long filter is shortened"
        assert len(status.rstrip()) <= size[0]


async def test_esc_in_the_search_bar_puts_back_the_search_applied_before() -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = explorer(app)
        await pilot.press("slash", *keys("bastion"), "enter")
        await settle(pilot)
        assert highlighted(screen) == "bastion"
        await pilot.press("slash", "ctrl+u", *keys("web-1"))
        await settle(pilot)
        assert highlighted(screen) == "web-1", "typing highlights as it goes"
        await pilot.press("escape")
        await settle(pilot)
        assert screen.search_text == "bastion"
        assert highlighted(screen) == "bastion", "the highlight is the search applied"
