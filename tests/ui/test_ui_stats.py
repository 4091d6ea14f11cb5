"""The stats view (`s`): its tables and chart over the explorer's rows, counting, keys, updates."""

from __future__ import annotations

import pytest
from features_support import ACCEPTS, REJECTS, ROWS, explorer_of, top
from ui_support import SIZES, explorer_app, screen_text, settle

from flowtui.core.config import Settings
from flowtui.core.events import EventBatch
from flowtui.core.ingest import Ingestor
from flowtui.core.stats.counting import Counting
from flowtui.ui.screens.stats import (
    MIN_TEXT_WIDTH,
    ShownTable,
    StatsScreen,
    StatsTableView,
    column_widths,
)
from flowtui.ui.widgets.traffic_chart import bar_rows, grouped
from tests.fixtures.sample_data import ACCOUNT, SAMPLE_EPOCH, WEB1

#: The database flow of every slot is recorded on the web server and on db-1.
DUPLICATED_FLOWS = 20


def table(screen: StatsScreen, title: str) -> ShownTable:
    assert screen.result is not None
    return next(shown for shown in screen.result.tables if shown.title == title)


def column(shown: ShownTable, name: str) -> list[str]:
    index = shown.headers.index(name)
    return [row[index] for row in shown.rows]


@pytest.mark.parametrize("size", SIZES)
async def test_stats_show_every_table_with_the_sample_numbers(size: tuple[int, int]) -> None:
    app = explorer_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        screen = top(app, StatsScreen)
        assert screen.result is not None and screen.result.rows == ROWS
        titles = [shown.title for shown in screen.result.tables]
        assert titles == [
            "Top sources by bytes",
            "Top destinations by bytes",
            "Top source-destination pairs by bytes",
            "Top sources by packets",
            "Top destinations by packets",
            "Top source-destination pairs by packets",
            "Top rejected destination ports",
            "Top rejected sources",
            "Records per action",
            "Records per log-status",
            "Records per protocol",
            "Records per ENI",
        ]
        sources = table(screen, "Top sources by bytes")
        assert sources.rows[0] == ("10.0.0.5 nat-gw-a", "11.4 MiB", "200", "5", "66.5%")
        actions = table(screen, "Records per action")
        assert column(actions, "action") == ["ACCEPT", "REJECT", "-"]
        assert column(actions, "records") == [str(ACCEPTS), str(REJECTS), "2"]
        ports = table(screen, "Top rejected destination ports")
        assert column(ports, "port") == ["22", "3389"]
        assert column(ports, "records") == ["10", "7"]
        enis = table(screen, "Records per ENI")
        assert "belongs to" in enis.headers and "web-1" in column(enis, "belongs to")
        traffic = screen.result.traffic
        assert sum(traffic.records_accept) == ACCEPTS
        assert sum(traffic.records_reject) == REJECTS
        text = screen_text(app)
        assert f"Stats over {ROWS} rows" in text
        assert "Top sources by bytes" in text and "10.0.0.5 nat-gw-a" in text
        assert "records ACCEPT" in text and "REJECT" in text and "max 7" in text
        assert "all-records" in text


async def test_chart_buckets_follow_the_time_range_and_the_width() -> None:
    app = explorer_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        screen = top(app, StatsScreen)
        assert screen.result is not None
        assert screen.result.traffic.bucket_seconds == 120, "an hour in 80 columns"
        assert "2 min buckets" in screen_text(app)
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        screen = top(app, StatsScreen)
        assert screen.result is not None and screen.result.traffic.bucket_seconds == 60


async def test_counting_switch_changes_the_numbers_and_says_which_is_used() -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("s", "c")
        await settle(pilot)
        screen = top(app, StatsScreen)
        assert screen.counting is Counting.EGRESS_ONLY
        actions = table(screen, "Records per action")
        assert actions.rows == ()
        assert "egress-only counting needs flow-direction" in actions.note
        assert "egress-only" in screen_text(app)
        await pilot.press("c")
        await settle(pilot)
        assert screen.counting is Counting.ONE_PER_FLOW
        actions = table(screen, "Records per action")
        assert column(actions, "records") == [str(ACCEPTS - DUPLICATED_FLOWS), str(REJECTS), "2"]
        text = screen_text(app)
        assert "one-per-flow" in text and "one record per 5-tuple and window" in text
        await pilot.press("c")
        await settle(pilot)
        assert column(table(screen, "Records per action"), "records")[0] == str(ACCEPTS)


async def test_stats_count_the_filtered_rows_only() -> None:
    app = explorer_app(filter_text="action=reject")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        screen = top(app, StatsScreen)
        assert screen.result is not None and screen.result.rows == REJECTS
        assert column(table(screen, "Records per action"), "action") == ["REJECT"]
        assert "filter: action=reject" in screen_text(app)


async def test_tab_and_arrows_move_between_tables_and_escape_goes_back() -> None:
    app = explorer_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        screen = top(app, StatsScreen)
        views = screen.table_views
        assert app.focused is views[0]
        await pilot.press("tab")
        assert app.focused is views[1]
        await pilot.press("right", "l")
        assert app.focused is views[3]
        await pilot.press("shift+tab", "left")
        assert app.focused is views[1]
        await pilot.press("left", "left")
        assert app.focused is views[-1], "wraps around"
        assert isinstance(app.focused, StatsTableView)
        assert "Records per ENI" in screen_text(app), "the focused table is scrolled into view"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is explorer_of(app)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert app.screen is explorer_of(app), "q goes back, it does not quit"


async def test_stats_count_again_while_following_at_most_every_two_seconds() -> None:
    app = explorer_app(follow=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        screen = top(app, StatsScreen)
        now = [1000.0]
        screen.monotonic = lambda: now[0]
        screen.recount()
        await settle(pilot)
        explorer = explorer_of(app)
        lines = [
            f"2 {ACCOUNT} {WEB1.eni} 198.51.100.{index} {WEB1.address} 5000{index} 443 6 "
            f"3 900 {SAMPLE_EPOCH + 3000} {SAMPLE_EPOCH + 3060} REJECT OK"
            for index in range(10)
        ]
        Ingestor(explorer.feed.store).add_events(EventBatch(lines, streams=["s"] * 10))
        explorer.check_store()
        await settle(pilot)
        assert len(explorer.table.view) == ROWS + 10, "the explorer follows under the stats"
        now[0] += 1.0
        screen.check_rows()
        await settle(pilot)
        assert screen.result is not None and screen.result.rows == ROWS, "not yet: 1 s"
        now[0] += 1.5
        screen.check_rows()
        await settle(pilot)
        assert screen.result.rows == ROWS + 10
        assert sum(screen.result.traffic.records_reject) == REJECTS + 10
        assert f"Stats over {ROWS + 10} rows" in screen_text(app)


def test_bars_leave_zero_blank_and_show_any_count() -> None:
    assert bar_rows([0, 1, 100], 1) == [" ▁█"]
    assert bar_rows([0, 4, 8], 2) == ["  █", " ██"]


def test_buckets_are_summed_when_there_are_more_than_columns() -> None:
    assert grouped([1, 2, 3, 4, 5], 2) == ([6, 9], 3)
    assert grouped([1, 2], 10) == ([1, 2], 1)


def test_text_columns_are_narrowed_before_numbers() -> None:
    shown = ShownTable(
        "t",
        ("source", "bytes"),
        (False, True),
        (("10.0.1.10 web-1 (a long owner)", "12.0 MiB"),),
    )
    assert column_widths(shown) == [30, 8]
    assert column_widths(shown, 30) == [19, 8]
    assert column_widths(shown, 5) == [MIN_TEXT_WIDTH, 8], "never below the minimum"


async def test_stats_keys_follow_the_users_keymap() -> None:
    app = explorer_app(settings=Settings(keymap={"stats_counting": "n"}))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s", "c")
        await settle(pilot)
        screen = top(app, StatsScreen)
        assert screen.counting is Counting.ALL_RECORDS
        await pilot.press("n")
        await settle(pilot)
        assert screen.counting is Counting.EGRESS_ONLY
        assert "n Counting" in screen_text(app)
