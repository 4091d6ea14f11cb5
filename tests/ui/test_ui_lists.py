"""The group list, the stream list and the find dialog, driven by keys."""

from __future__ import annotations

import pytest
from ui_support import SIZES, fixed_clock, screen_text, settle

from flowtui.core.query import Query, TimeRange
from flowtui.ui.app import FlowApp, Start
from flowtui.ui.screens.explorer import ExplorerScreen
from flowtui.ui.screens.find import FindScreen
from flowtui.ui.screens.groups import GroupsScreen
from flowtui.ui.screens.streams import StreamsScreen
from flowtui.ui.widgets.pick_list import PickRow, fuzzy_order
from tests.fixtures.sample_data import DB1, GROUP, WEB1, SampleBackend, stream_name


def opened_query(backend: SampleBackend) -> Query:
    name, query = backend.calls[-1]
    assert name == "open" and isinstance(query, Query)
    return query


def app_at(start: Start, backend: SampleBackend | None = None) -> FlowApp:
    return FlowApp(backend or SampleBackend(), start=start, clock=fixed_clock)


@pytest.mark.parametrize("size", SIZES)
async def test_group_list_marks_flow_logs_and_their_problems(size: tuple[int, int]) -> None:
    app = app_at(Start())
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        text = screen_text(app)
        assert GROUP in text
        assert "default v2" in text
        assert "⚠ custom v5" in text
        await pilot.press("j")
        await settle(pilot)
        assert "⚠ ACCEPT-only" in screen_text(app)
        await pilot.press("j")
        await settle(pilot)
        assert "delivery failed" in screen_text(app)


async def test_hostile_names_are_shown_literally() -> None:
    app = app_at(Start())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "[bold]boom[/] ␛[31mred␛[0m [link=http://x]y[/link]" in text
        assert "\x1b" not in text


async def test_group_filter_is_fuzzy_and_enter_opens_streams() -> None:
    backend = SampleBackend()
    app = app_at(Start(), backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GroupsScreen)
        await pilot.press("f", *"stagng")
        await settle(pilot)
        assert screen.pick_list.shown_keys[0] == "/vpc/flow-logs/staging"
        await pilot.press("escape", "escape")
        assert screen.pick_list.current_key == "/vpc/flow-logs/staging", "kept through filtering"
        await pilot.press("g", "enter")
        await settle(pilot)
        assert isinstance(app.screen, StreamsScreen)
        assert app.screen.group == GROUP
        assert backend.calls[-1] == ("list_streams", GROUP)


async def test_start_with_a_selected_group_puts_the_cursor_on_it() -> None:
    app = app_at(Start(select_group="/aws/lambda/orders"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        assert app.screen.pick_list.current_key == "/aws/lambda/orders"


@pytest.mark.parametrize("size", SIZES)
async def test_stream_list_shows_what_each_eni_belongs_to(size: tuple[int, int]) -> None:
    app = app_at(Start(group=GROUP))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert WEB1.eni in text and "web-1" in text
        assert "1m" in text, "last event a minute and a half ago"
        await pilot.press("j", "j")
        await settle(pilot)
        assert "db-1 · interface · i-0aa11bb22cc33dd03 · 10.0.2.20" in screen_text(app)


async def test_streams_multi_select_opens_the_explorer_for_the_selection() -> None:
    backend = SampleBackend()
    app = app_at(Start(group=GROUP), backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("space", "j", "space", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ExplorerScreen)
        query = opened_query(backend)
        assert query.streams == (stream_name(WEB1), stream_name(DB1))
        assert query.time_range == TimeRange.last(3600)


async def test_select_all_means_the_whole_group() -> None:
    backend = SampleBackend()
    app = app_at(Start(group=GROUP), backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a", "enter")
        await settle(pilot)
        assert opened_query(backend).streams == ()
        await pilot.press("q", "y")  # leaving an explorer with rows asks first
        await settle(pilot)
        assert isinstance(app.screen, StreamsScreen)
        assert backend.calls[-1] == ("close", None)


async def test_a_large_fetch_is_confirmed_first() -> None:
    backend = SampleBackend(large_fetch=True)
    app = app_at(Start(group=GROUP), backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "about 5,000,000 events" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, StreamsScreen)
        assert "open" not in [name for name, _ in backend.calls]
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ExplorerScreen)


async def test_find_leads_from_an_address_to_its_stream() -> None:
    backend = SampleBackend()
    app = app_at(Start(), backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f")
        assert isinstance(app.screen, FindScreen)
        await pilot.press(*"10.0.2.20", "enter")
        await settle(pilot)
        assert "db-1" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExplorerScreen)
        assert app.screen.flow_query.streams == (stream_name(DB1),)


async def test_find_says_when_no_flow_log_covers_it() -> None:
    app = app_at(Start())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f", *"10.9.9.9", "enter")
        await settle(pilot)
        assert "No flow log covers it" in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, GroupsScreen)


async def test_a_failing_source_shows_one_line() -> None:
    class Failing(SampleBackend):
        def list_groups(self) -> list[object]:  # type: ignore[override]
            raise RuntimeError("boom")

    class DeniedError(Exception):
        message = "missing permission logs:DescribeLogGroups"

    class DeniedBackend(SampleBackend):
        def list_groups(self) -> list[object]:  # type: ignore[override]
            raise DeniedError()

    app = app_at(Start(), DeniedBackend())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Could not load: missing permission logs:DescribeLogGroups" in screen_text(app)
    app = app_at(Start(), Failing())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "RuntimeError: boom" in screen_text(app)


def test_fuzzy_order_ranks_best_first_and_keeps_order_without_query() -> None:
    rows = [
        PickRow("a", ("prod",), "/vpc/flow-logs/prod"),
        PickRow("b", ("staging",), "/vpc/flow-logs/staging"),
        PickRow("c", ("lambda",), "/aws/lambda/orders"),
    ]
    assert fuzzy_order(rows, "") == [0, 1, 2]
    assert fuzzy_order(rows, "stging")[0] == 1
    assert 2 not in fuzzy_order(rows, "flowlogs")
