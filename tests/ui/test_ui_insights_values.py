"""Value counts (`#`) on the Insights engine, on the demo endpoint at 80x24: `e` switches
engines and the counts equal the local ones row for row (with a filter too); escape stops the
query; `auto` opens the stats view and value counts on Insights when the range does not fit."""

from __future__ import annotations

from typing import Any

import pytest
from features_support import explorer_of, to_column, view_is_current
from test_ui_insights import SIZE, demo, loaded, quick_polls, wait_for
from textual.pilot import Pilot
from ui_support import screen_text, settle

from flowtui.core.config import Settings
from flowtui.core.query import Query, TimeRange
from flowtui.demo.faults import InProcessEndpoint
from flowtui.demo.flow_logs import APP_GROUP
from flowtui.demo.insights import service
from flowtui.sources.aws import ConnectionOptions, connect
from flowtui.sources.ratelimit import RateLimiter
from flowtui.ui.app import FlowApp, Start
from flowtui.ui.cloudwatch_backend import CloudWatchBackend
from flowtui.ui.messages import ExplorerAction
from flowtui.ui.screens.stats import StatsScreen
from flowtui.ui.screens.value_counts import ValueCountsScreen

pytestmark = pytest.mark.endpoint
__all__ = ["demo", "quick_polls"]  # the shared fixtures


def app_for(
    server: InProcessEndpoint, region: str, filter_text: str = "", settings: Settings | None = None
) -> tuple[FlowApp, CloudWatchBackend]:
    conn = connect(ConnectionOptions(region=region, endpoint_url=server.url))
    backend = CloudWatchBackend(
        conn, RateLimiter(calls_per_s=200, context=conn.error_context), settings or Settings()
    )
    query = Query(APP_GROUP, TimeRange.last(2 * 3600), filter_text=filter_text)
    return FlowApp(backend, start=Start(query=query, filter_text=filter_text)), backend


Shown = list[tuple[str, str, str, str]]


def shown(screen: ValueCountsScreen) -> Shown:
    assert screen.counted is not None
    return [(r.value, r.records, r.share, r.bytes) for r in screen.counted.rows]


async def open_counts(pilot: Pilot[Any], backend: CloudWatchBackend, column: str) -> Any:
    await wait_for(pilot, lambda: loaded(backend))
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, FlowApp)
    explorer = explorer_of(app)

    await wait_for(pilot, lambda: view_is_current(app))
    await settle(pilot)
    if column in [shown.name for shown in explorer.table.columns]:
        await to_column(pilot, column)
        await pilot.press("#")
    else:  # a column the layout hides at this width: the action `#` sends, for that column
        explorer.post_message(
            ExplorerAction(
                "value_counts",
                explorer.feed,
                explorer.flow_query,
                explorer.filter_text,
                explorer.table.view,
                explorer.table.snapshot or explorer.feed.store.snapshot(),
                None,
                column,
            )
        )
    await wait_for(pilot, lambda: isinstance(app.screen, ValueCountsScreen))
    screen = app.screen
    assert isinstance(screen, ValueCountsScreen)
    await wait_for(pilot, lambda: screen.counted is not None)
    return screen


@pytest.mark.parametrize(
    ("column", "filter_text"),
    [
        ("action", ""),
        ("dstport", ""),
        ("srcaddr", "addr=10.0.0.0/8"),
        ("protocol", "dstport=22,443,3389 or action=reject"),
        ("interface-id", "not srcaddr=10.0.1.0/24"),
    ],
)
async def test_e_counts_in_insights_and_the_rows_stay_the_same(
    demo: tuple[InProcessEndpoint, Any], column: str, filter_text: str
) -> None:
    server, account = demo
    app, _ = app_for(server, account.region, filter_text)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.backend, CloudWatchBackend)
        screen = await open_counts(pilot, app.backend, column)
        assert "Engine (e): local" in screen_text(app)
        local = shown(screen)
        assert len(local) > 1
        await pilot.press("e")
        await wait_for(pilot, lambda: screen.counted is not None and screen.engine == "insights")
        await settle(pilot)
        assert "Engine (e): insights" in screen_text(app)
        assert "only the counts came back" in screen_text(app)
        assert shown(screen) == local
        await pilot.press("e")  # and back
        await wait_for(pilot, lambda: screen.counted is not None and screen.engine == "local")
        assert shown(screen) == local


async def test_escape_stops_the_value_count_query(demo: tuple[InProcessEndpoint, Any]) -> None:
    server, account = demo
    service.configure(scan_steps=10_000)  # a query that runs for a long while
    app, backend = app_for(server, account.region)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_counts(pilot, backend, "action")
        await pilot.press("e")
        await wait_for(pilot, lambda: "Running" in screen_text(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.engine == "local" and screen.counted is not None)
        assert isinstance(app.screen, ValueCountsScreen)  # the first escape only stops it
        assert backend.limiter.calls_by_action().get("logs:StopQuery") == 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ValueCountsScreen))


async def test_auto_starts_on_insights_when_the_range_does_not_fit(
    demo: tuple[InProcessEndpoint, Any],
) -> None:
    server, account = demo
    # A store of 500 rows cannot hold the demo's range: it drops the oldest records.
    app, backend = app_for(server, account.region, settings=Settings(row_cap=500))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: loaded(backend))
        await settle(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, StatsScreen))
        stats = app.screen
        assert isinstance(stats, StatsScreen) and stats.engine == "insights"
        notices = [str(n.message) for n in app._notifications]
        assert any("Insights engine: the range does not all fit" in n for n in notices), notices
        await wait_for(pilot, lambda: stats.result is not None and not stats._computing)
        assert stats.engine == "insights" and stats.result is not None
        assert stats.result.rows > 500  # counted over the whole range, not the 500 held
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, StatsScreen))
        await to_column(pilot, "action")
        await pilot.press("#")
        await wait_for(pilot, lambda: isinstance(app.screen, ValueCountsScreen))
        counts = app.screen
        assert isinstance(counts, ValueCountsScreen) and counts.engine == "insights"
        await wait_for(pilot, lambda: counts.counted is not None)
        assert counts.counted is not None
        total = sum(int(row.records.replace(",", "")) for row in counts.counted.rows)
        assert total == stats.result.rows
