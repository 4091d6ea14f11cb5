"""Value counts (`#`) of the current column over the explorer's rows; Enter filters by a value."""

from __future__ import annotations

import polars as pl
import pytest
from features_support import ACCEPTS, REJECTS, ROWS, explorer_of, to_column, top, typed
from ui_support import SIZES, explorer_app, screen_text, settle

from flowtui.ui.screens.value_counts import ValueCountsScreen
from tests.fixtures.sample_data import sample_store


def shown(screen: ValueCountsScreen) -> list[tuple[str, str, str]]:
    """(value, records, share) of each row in the order the list shows them."""
    assert screen.counted is not None
    rows = {str(index): row for index, row in enumerate(screen.counted.rows)}
    return [
        (rows[key].value, rows[key].records, rows[key].share) for key in screen.pick_list.shown_keys
    ]


@pytest.mark.parametrize("size", SIZES)
async def test_counts_of_the_action_column(size: tuple[int, int]) -> None:
    app = explorer_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await to_column(pilot, "action")
        await pilot.press("#")
        await settle(pilot)
        screen = top(app, ValueCountsScreen)
        assert shown(screen) == [
            ("ACCEPT", str(ACCEPTS), "85.3%"),
            ("REJECT", str(REJECTS), "13.2%"),
            ("-", "2", "1.6%"),
        ]
        frame = sample_store().snapshot().frame()
        accept_bytes = frame.filter(pl.col("action") == "ACCEPT").get_column("bytes").sum()
        assert accept_bytes == 18_050_800
        assert screen.counted is not None and screen.counted.rows[0].bytes == "17.2 MiB"
        text = screen_text(app)
        assert f"Values of action over {ROWS} rows" in text
        assert "17.2 MiB" in text and "counting every record" in text


async def test_enter_on_a_value_filters_the_explorer_by_it() -> None:
    app = explorer_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await to_column(pilot, "action")
        await pilot.press("#")
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        explorer = explorer_of(app)
        assert app.screen is explorer
        assert explorer.filter_text == "action=REJECT"
        assert len(explorer.table.view) == REJECTS


async def test_bang_excludes_the_value_and_counts_follow_the_filter() -> None:
    app = explorer_app(filter_text="action=reject")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await to_column(pilot, "dstport")
        await pilot.press("#")
        await settle(pilot)
        screen = top(app, ValueCountsScreen)
        assert shown(screen) == [("22", "10", "58.8%"), ("3389", "7", "41.2%")]
        await pilot.press("!")
        await settle(pilot)
        explorer = explorer_of(app)
        assert explorer.filter_text == "action=reject dstport!=22"
        assert len(explorer.table.view) == 7


async def test_addresses_show_their_owner_and_the_list_filters_fuzzily() -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await to_column(pilot, "dstaddr")
        await pilot.press("#")
        await settle(pilot)
        assert "10.0.2.20" in screen_text(app) and "db-1" in screen_text(app)
        await pilot.press("f", *typed("resolvr"))
        await settle(pilot)
        screen = top(app, ValueCountsScreen)
        assert [value for value, _, _ in shown(screen)][:1] == ["10.0.0.2"]
        await pilot.press("enter")
        await settle(pilot)
        assert explorer_of(app).filter_text == "dstaddr=10.0.0.2"


async def test_missing_values_filter_as_dash_and_escape_changes_nothing() -> None:
    app = explorer_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await to_column(pilot, "action")
        await pilot.press("#")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert explorer_of(app).filter_text == ""
        await pilot.press("#", "G", "enter")
        await settle(pilot)
        explorer = explorer_of(app)
        assert explorer.filter_text == "action=-"
        assert len(explorer.table.view) == 2, "the NODATA and SKIPDATA records"
