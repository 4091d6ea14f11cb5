"""Rows on screen while a CloudWatch load is still running: the cursor stays put, the status
bar shows the progress, and escape stops the load keeping what arrived."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from flowtui.core.config import Settings
from flowtui.core.query import Query, TimeRange
from flowtui.demo.faults import InProcessEndpoint, spread_events, write_events
from flowtui.sources.aws import ConnectionOptions, connect
from flowtui.sources.ratelimit import RateLimiter
from flowtui.ui.app import FlowApp, Start
from flowtui.ui.cloudwatch_backend import CloudWatchBackend
from flowtui.ui.screens.explorer import ExplorerScreen
from tests.ui.ui_support import screen_text

pytestmark = pytest.mark.endpoint

GROUP = "/vpc/slow"


@pytest.fixture
def slow_endpoint(tmp_path: Path) -> Iterator[InProcessEndpoint]:
    """4,000 events over 20 ENIs in the last hour, served in 16 KB pages, 0.2 s each."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
        patch.delenv("AWS_PROFILE", raising=False)
        with InProcessEndpoint() as server:
            server.reset()
            conn = connect(ConnectionOptions(region="us-east-1", endpoint_url=server.url))
            conn.logs.create_log_group(logGroupName=GROUP)
            now_ms = int(time.time() * 1000)
            events = spread_events(enis=20, total=4_000, start_ms=now_ms - 3_500_000, end_ms=now_ms)
            write_events(conn.logs, GROUP, events, set())
            server.faults.cap_pages(16_384)
            server.faults.latency_s = 0.2
            yield server
            server.reset()


async def _until(pilot: Pilot[Any], condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


async def test_rows_show_while_loading_the_cursor_stays_and_escape_keeps_what_arrived(
    slow_endpoint: InProcessEndpoint,
) -> None:
    conn = connect(ConnectionOptions(region="us-east-1", endpoint_url=slow_endpoint.url))
    # 2 calls/s: ~30 pages take ~15 s, so the load is still running while the test looks.
    backend = CloudWatchBackend(conn, RateLimiter(calls_per_s=2), Settings())
    app = FlowApp(backend, start=Start(query=Query(GROUP, TimeRange.last(3600))), clock=time.time)
    async with app.run_test(size=(180, 30)) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, ExplorerScreen))
        screen = app.screen
        assert isinstance(screen, ExplorerScreen)
        store = screen.feed.store

        # The first page's rows are on screen while the rest still loads.
        await _until(pilot, lambda: len(screen.table.view) > 0)
        assert 0 < store.row_count < 4_000 and screen.status_bar.info.feed.fetching

        await pilot.press("down", "down", "down")
        await pilot.pause(0.1)
        picked = screen.table.cursor_row_id
        record = store.snapshot().row(picked) if picked is not None else None
        assert picked is not None and screen.table.cursor_position == 3

        # Later pages arrive below; the cursor stays on the record the user chose.
        loaded = len(screen.table.view)
        await _until(pilot, lambda: len(screen.table.view) > loaded)
        assert screen.table.cursor_row_id == picked and screen.table.cursor_position == 3
        assert store.snapshot().row(picked) == record

        # The status bar says how far the load is: events, pages, megabytes, time left.
        await _until(pilot, lambda: " pages, " in screen_text(app))
        line = next(row for row in screen_text(app).splitlines() if " pages, " in row)
        assert "fetching" in line and " ev, " in line and " MB" in line and "left" in line

        # Escape stops the load; the rows stay, and no more arrive.
        await pilot.press("escape")
        await _until(pilot, lambda: "loading stopped" in screen_text(app))
        kept = store.row_count
        await pilot.pause(1.0)
        assert 0 < store.row_count == kept < 4_000
        assert not screen.status_bar.info.feed.fetching
        assert f"the {kept:,} events loaded so far are kept" in screen_text(app)
        assert screen.table.cursor_row_id == picked
