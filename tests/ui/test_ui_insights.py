"""The stats view's Insights engine on the demo endpoint, at 80x24: `e` switches engines, the
tables equal the local ones, progress shows while queries run, escape stops the query
(StopQuery), and what Insights cannot do exactly falls back to the local engine with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from features_support import view_is_current
from textual.pilot import Pilot
from ui_support import screen_text, settle

from flowtui.core.config import Settings
from flowtui.core.query import Query, TimeRange
from flowtui.core.stats.counting import Counting
from flowtui.demo.account import build_demo_account
from flowtui.demo.faults import InProcessEndpoint
from flowtui.demo.flow_logs import APP_GROUP
from flowtui.demo.insights import service
from flowtui.demo.server import logs_client
from flowtui.demo.traffic import TrafficGenerator
from flowtui.demo.writer import backfill
from flowtui.sources import insights as insights_source
from flowtui.sources.aws import ConnectionOptions, connect
from flowtui.sources.ratelimit import RateLimiter
from flowtui.ui.app import FlowApp, Start
from flowtui.ui.cloudwatch_backend import CloudWatchBackend
from flowtui.ui.screens.confirm import ConfirmScreen
from flowtui.ui.screens.drill import DrillScreen
from flowtui.ui.screens.explorer import ExplorerScreen
from flowtui.ui.screens.stats import StatsResult, StatsScreen

pytestmark = pytest.mark.endpoint
SIZE = (80, 24)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InProcessEndpoint, Any]]:
    service.install()
    with pytest.MonkeyPatch.context() as patch:
        home = tmp_path_factory.mktemp("aws")
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_CONFIG_FILE", str(Path(home) / "config"))
        patch.delenv("AWS_PROFILE", raising=False)
        with InProcessEndpoint() as server:
            server.reset()
            account = build_demo_account(server.url)
            backfill(
                logs_client(server.url, account.region),
                TrafficGenerator(account, seed=5, rate=10.0),
                hours=0.25,
            )
            yield server, account
            server.reset()


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(insights_source, "FIRST_POLL_S", 0.01)
    monkeypatch.setattr(insights_source, "POLL_S", 0.02)
    service.configure(scan_steps=2)
    yield
    service.configure(scan_steps=3)


def app_for(
    server: InProcessEndpoint, region: str, settings: Settings | None = None
) -> tuple[FlowApp, CloudWatchBackend]:
    conn = connect(ConnectionOptions(region=region, endpoint_url=server.url))
    backend = CloudWatchBackend(
        conn, RateLimiter(calls_per_s=200, context=conn.error_context), settings or Settings()
    )
    start = Start(query=Query(APP_GROUP, TimeRange.last(2 * 3600)))
    return FlowApp(backend, start=start), backend


async def wait_for(pilot: Pilot[Any], done: Any, seconds: float = 30.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if done():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out waiting")


def rows_of(result: StatsResult | None) -> list[tuple[str, tuple[tuple[str, ...], ...]]]:
    assert result is not None
    return [(table.title, table.rows) for table in result.tables]


def loaded(backend: CloudWatchBackend) -> bool:
    """The explorer's feed fetched its whole range (its rows are all there)."""
    feeds = list(backend._feeds.values())
    return bool(feeds) and all(not feed.state.fetching and feed.state.fetched > 0 for feed in feeds)


async def open_stats(pilot: Pilot[Any]) -> StatsScreen:
    app = pilot.app
    assert isinstance(app, FlowApp)
    backend = app.backend
    assert isinstance(backend, CloudWatchBackend)
    await wait_for(pilot, lambda: loaded(backend))
    await wait_for(pilot, lambda: view_is_current(app))
    await settle(pilot)
    await pilot.press("s")
    await wait_for(pilot, lambda: isinstance(app.screen, StatsScreen))
    screen = app.screen
    assert isinstance(screen, StatsScreen)
    await wait_for(pilot, lambda: screen.result is not None and not screen._computing)
    return screen


async def test_e_switches_to_insights_and_the_tables_stay_the_same(
    demo: tuple[InProcessEndpoint, Any],
) -> None:
    server, account = demo
    app, _ = app_for(server, account.region)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_stats(pilot)
        assert "Engine (e): local" in screen_text(app)
        local = rows_of(screen.result)
        local_rows = screen.result.rows if screen.result else 0
        screen.result = None
        await pilot.press("e")
        await wait_for(pilot, lambda: screen.result is not None and not screen._computing)
        text = screen_text(app)
        assert "Engine (e): insights" in text and "only the aggregates came back" in text
        assert rows_of(screen.result) == local
        assert screen.result is not None and screen.result.rows == local_rows


async def test_escape_stops_the_running_query(demo: tuple[InProcessEndpoint, Any]) -> None:
    server, account = demo
    service.configure(scan_steps=10_000)  # a query that runs for a long while
    app, backend = app_for(server, account.region)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_stats(pilot)
        await pilot.press("e")
        # Progress while it runs: the query, its status, records matched and scanned, time.
        await wait_for(pilot, lambda: "Insights query 1 of about 9: Running" in screen_text(app))
        assert "scanned" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.engine == "local")
        assert isinstance(app.screen, StatsScreen)  # the first escape only stops the query
        calls = backend.limiter.calls_by_action()
        assert calls.get("logs:StopQuery") == 1
        queries = backend.conn.logs.describe_queries(logGroupName=APP_GROUP)["queries"]
        assert "Cancelled" in [query["status"] for query in queries]
        await wait_for(pilot, lambda: screen.result is not None and not screen._computing)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, StatsScreen))


async def test_one_per_flow_falls_back_to_the_local_engine_with_the_reason(
    demo: tuple[InProcessEndpoint, Any],
) -> None:
    server, account = demo
    app, _ = app_for(server, account.region)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_stats(pilot)
        screen.counting = Counting.ONE_PER_FLOW
        await pilot.press("e")
        await wait_for(pilot, lambda: screen.engine == "local" and not screen._computing)
        notices = [str(n.message) for n in app._notifications]
        assert any("one-per-flow" in n and "locally" in n for n in notices)


@pytest.mark.parametrize("answer", ["y", "n"])
async def test_above_the_price_threshold_the_app_asks_first(
    demo: tuple[InProcessEndpoint, Any], answer: str
) -> None:
    server, account = demo
    app, backend = app_for(server, account.region, Settings(insights_confirm_usd=0.0))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_stats(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        shown = screen_text(app)
        assert "Run this in CloudWatch Logs Insights?" in shown
        assert "to scan" in shown and "USD 0.005/GB" in shown  # the estimate, with its price
        assert "logs:StartQuery" not in backend.limiter.calls_by_action()
        await pilot.press(answer)
        await wait_for(pilot, lambda: screen.result is not None and not screen._computing)
        await settle(pilot)
        started = backend.limiter.calls_by_action().get("logs:StartQuery", 0)
        if answer == "y":
            assert screen.engine == "insights" and started >= 8
        else:
            assert screen.engine == "local" and started == 0


async def test_enter_on_a_row_and_b_on_a_bucket_open_the_records_behind_them(
    demo: tuple[InProcessEndpoint, Any],
) -> None:
    server, account = demo
    app, _ = app_for(server, account.region)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_stats(pilot)
        await pilot.press("e")  # the Insights tables drill down like the local ones
        await wait_for(pilot, lambda: screen.result is not None and not screen._computing)
        assert screen.engine == "insights" and screen.result is not None
        top = screen.result.tables[0]
        assert top.title == "Top sources by bytes"
        expected = int(top.rows[0][top.headers.index("records")].replace(",", ""))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DrillScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplorerScreen))
        explorer = app.screen
        assert isinstance(explorer, ExplorerScreen)
        await wait_for(pilot, lambda: loaded(app.backend))  # type: ignore[arg-type]
        await settle(pilot)
        assert explorer.filter_text == top.drill[0]
        assert len(explorer.table.view) == expected

        await app.pop_screen()  # back to the stats view
        await wait_for(pilot, lambda: isinstance(app.screen, StatsScreen))
        traffic = screen.result.traffic
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, DrillScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplorerScreen))
        bucket = app.screen
        assert isinstance(bucket, ExplorerScreen) and bucket.filter_text.startswith("start>=")
        await wait_for(pilot, lambda: loaded(app.backend))  # type: ignore[arg-type]
        await settle(pilot)
        first = next(
            i
            for i, (a, r) in enumerate(
                zip(traffic.records_accept, traffic.records_reject, strict=True)
            )
            if a or r
        )
        in_bucket = traffic.records_accept[first] + traffic.records_reject[first]
        assert len(bucket.table.view) >= in_bucket  # accept and reject, plus any "other"
