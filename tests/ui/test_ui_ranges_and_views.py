"""Time ranges and saved views as a new user meets them (issue 16: 5, 11, 12).

An absurd range is refused at the dialog and the loaded rows stay; a relative range stays
relative when saved, and only what is applied is saved; views open from the lists too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from features_support import explorer_of, notices, typed
from textual.pilot import Pilot
from ui_support import explorer_app, fixed_clock, screen_text, settle

from flowtui.core.query import TimeRange
from flowtui.core.views import SavedView, ViewSource, ViewStore
from flowtui.ui.app import FlowApp, Start
from flowtui.ui.screens.explorer import ExplorerScreen
from flowtui.ui.screens.views import ViewsScreen
from flowtui.ui.widgets.status_bar import StatusBar
from flowtui.ui.widgets.time_range import TimeRangeScreen
from tests.fixtures.sample_data import GROUP, REGION, SampleBackend, sample_query

ROWS = 129


def app_with(store: ViewStore, start: Start | None = None) -> FlowApp:
    return FlowApp(
        SampleBackend(),
        start=start or Start(query=sample_query()),
        clock=fixed_clock,
        view_store=store,
    )


async def save_as(pilot: Pilot[Any], name: str) -> None:
    await pilot.press("ctrl+s")
    await settle(pilot)
    await pilot.press("ctrl+u", *typed(name), "enter")
    await settle(pilot)


# --- 16.5: an absurd range is refused before anything is loaded ------------------------------


async def test_an_absurd_relative_range_is_refused_and_the_rows_stay() -> None:
    backend = SampleBackend()
    app = explorer_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("T", "tab", *"99999d", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TimeRangeScreen), "the dialog stays open"
        assert "before 1970" in screen_text(app)
        assert "Parameter validation" not in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        screen = explorer_of(app)
        assert not [call for call in backend.calls if call[0] in ("refetch", "fetch_more")]
        assert screen.flow_query.time_range == TimeRange.last(3600)
        assert len(screen.table.view) == ROWS


async def test_a_new_range_that_fails_to_load_keeps_the_rows_and_says_which_range_they_are() -> (
    None
):
    backend = SampleBackend()
    app = explorer_app(backend)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("T", "tab", *"6h", "enter")
        await settle(pilot)
        screen = explorer_of(app)
        assert [call for call in backend.calls if call[0] == "refetch"], "the new range was asked"
        assert screen.flow_query.time_range == TimeRange.last(6 * 3600)
        assert backend.reporter is not None
        backend.reporter.error(
            "AccessDenied: not allowed; the rows loaded before are kept"
        )  # as LiveFeed reports a fetch that fails before its first event
        await settle(pilot)
        assert len(screen.table.view) == ROWS
        assert screen.flow_query.time_range == TimeRange.last(3600)
        status = screen.query_one(StatusBar).render().plain  # the toast covers it on screen
        assert "last 1h" in status and "last 6h" not in status, status


async def test_an_absurd_start_in_the_from_field_is_refused() -> None:
    backend = SampleBackend()
    app = explorer_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("T", "tab", "tab", *"-99999d", "tab", *"-1h", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TimeRangeScreen)
        assert "before 1970" in screen_text(app)


# --- 16.12: relative stays relative; only what is applied is saved ---------------------------


async def test_a_relative_start_is_saved_as_relative(tmp_path: Path) -> None:
    store = ViewStore(tmp_path)
    app = app_with(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("T", "tab", "tab", *"-3h", "enter")
        await settle(pilot)
        assert explorer_of(app).flow_query.time_range == TimeRange.last(3 * 3600)
        assert "last 3h" in screen_text(app)
        await save_as(pilot, "three hours")
    assert store.get("three hours").time_range == TimeRange.last(3 * 3600)


async def test_a_search_that_found_nothing_and_a_filter_being_typed_are_not_saved(
    tmp_path: Path,
) -> None:
    store = ViewStore(tmp_path)
    app = app_with(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("f", *typed("action=reject"), "enter")
        await settle(pilot)
        await pilot.press("slash", *typed("nosuchthing"), "enter")
        await settle(pilot)
        await pilot.press("f", "ctrl+u", *typed("dstport=22"))
        await settle(pilot)
        assert explorer_of(app).filter_text == "dstport=22", "previewed, not committed"
        await save_as(pilot, "rejects")
    saved = store.get("rejects")
    assert saved.filter_text == "action=reject"
    assert saved.search_text == ""


# --- 16.11: views open from the group and stream lists ---------------------------------------


async def test_v_opens_saved_views_from_the_group_and_stream_lists(tmp_path: Path) -> None:
    store = ViewStore(tmp_path)
    store.save(SavedView("rejects", ViewSource(GROUP, region=REGION), filter_text="action=reject"))
    app = app_with(store, Start())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, ViewsScreen)
        await pilot.press("escape", "enter")  # back to the groups, open the first group
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, ViewsScreen)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExplorerScreen)
        assert screen.filter_text == "action=reject"


async def test_a_view_with_an_absurd_range_is_refused_in_one_line() -> None:
    absurd = SavedView("ages", ViewSource(GROUP, region=REGION), TimeRange.last(99999 * 86400))
    backend = SampleBackend()
    app = FlowApp(backend, start=Start(query=absurd.to_query(), view=absurd), clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not isinstance(app.screen, ExplorerScreen)
        assert not [call for call in backend.calls if call[0] == "open"]
        assert any("Not loaded: that range starts before 1970" in n for n in notices(app))
