"""The flow table's work: one gather per page, cached lines, cost independent of store size."""

from __future__ import annotations

import polars as pl
from ui_support import explorer_app, settle

from flowtui.core.formats import DEFAULT_FORMAT
from flowtui.core.ingest import Ingestor
from flowtui.core.store import RecordStore
from flowtui.ui.app import FlowApp
from flowtui.ui.screens.explorer import ExplorerScreen
from flowtui.ui.widgets.flow_table import PAGE_ROWS, FlowTable
from tests.fixtures.sample_data import ACCOUNT, SAMPLE_EPOCH, WEB1, SampleBackend


def big_store(rows: int) -> RecordStore:
    store = RecordStore(row_cap=rows * 2)
    index = pl.int_range(0, rows, eager=True)
    lines = pl.select(
        pl.concat_str(
            [
                pl.lit(f"2 {ACCOUNT} {WEB1.eni} 10.0."),
                (index // 250 % 250).cast(pl.String),
                pl.lit("."),
                (index % 250).cast(pl.String),
                pl.lit(f" {WEB1.address} "),
                (1024 + index % 60000).cast(pl.String),
                pl.lit(" 443 6 10 5000 "),
                (SAMPLE_EPOCH + index).cast(pl.String),
                pl.lit(" "),
                (SAMPLE_EPOCH + index + 60).cast(pl.String),
                pl.lit(" ACCEPT OK"),
            ]
        ).alias("line")
    ).to_series()
    Ingestor(store, [DEFAULT_FORMAT]).add_lines(lines, 1, "bench")
    return store


def table_of(app: FlowApp) -> FlowTable:
    screen = app.screen
    assert isinstance(screen, ExplorerScreen)
    return screen.table


async def test_one_gather_per_page_and_none_when_coming_back() -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        table = table_of(app)
        first = table.render_stats
        assert first.gathers == 1, "the first screen comes from one gather"
        assert first.rows_gathered == PAGE_ROWS
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        assert table.render_stats.gathers == 2, "rows 64-127 are the second page"
        await pilot.press("pageup", "pageup", "j", "k")
        await settle(pilot)
        assert table.render_stats.gathers == 2, "cells of rows seen before are cached"


async def page_down_cost(rows: int) -> tuple[int, int]:
    app = explorer_app(SampleBackend(store=big_store(rows)))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        table = table_of(app)
        table.move_cursor(rows // 2 // PAGE_ROWS * PAGE_ROWS)  # the same place within a page
        await settle(pilot)
        before = table.render_stats
        await pilot.press("pagedown")
        await settle(pilot)
        after = table.render_stats
        return (
            after.lines_rendered - before.lines_rendered,
            after.rows_gathered - before.rows_gathered,
        )


async def test_page_down_costs_the_same_in_a_small_and_a_large_store() -> None:
    small = await page_down_cost(1_000)
    large = await page_down_cost(100_000)
    assert small == large
    lines, gathered = small
    assert lines <= 40, "one screen of lines, not the store"
    assert gathered <= 2 * PAGE_ROWS
