"""What stopped a new user in the first minutes (issue 16, item 16, the app's part).

The filter syntax is in the help, completion offers no ephemeral ports, a keymap that takes an
essential key is warned about, `#` on a time column shows times, a long filter typed key by
key is parsed once (not once per key), the traffic chart uses its width, and counts read "1
stream", never "1 streams".
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

import pytest
from features_support import explorer_of, to_column, top, typed
from textual.app import App, ComposeResult
from ui_support import explorer_app, fixed_clock, screen_text, settle

from flowtui.core.config import Settings
from flowtui.core.query import TimeRange
from flowtui.core.views import SavedView, ViewSource
from flowtui.ui.app import FlowApp, Start
from flowtui.ui.backend import GroupRow
from flowtui.ui.screens import explorer_query
from flowtui.ui.screens.explorer_feed import ExplorerFeed
from flowtui.ui.screens.help import HelpScreen
from flowtui.ui.screens.value_counts import ValueCountsScreen
from flowtui.ui.screens.views import describe_view
from flowtui.ui.theme import flow_variable_defaults
from flowtui.ui.widgets.status_bar import StatusInfo, status_parts
from flowtui.ui.widgets.traffic_chart import TrafficChart, TrafficData
from tests.fixtures.sample_data import (
    ACCOUNT,
    GROUP,
    REGION,
    SAMPLE_EPOCH,
    SampleBackend,
    SampleError,
)


async def test_help_has_a_filter_syntax_page() -> None:
    app = explorer_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        top(app, HelpScreen)
        text = screen_text(app)
        assert "Filter syntax" in text
        assert "action=reject dstport=22" in text
        assert "dstaddr=10.0.2.0/24" in text


async def test_port_completion_offers_named_ports_not_ephemeral_ones() -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("f", *typed("sport=4"))
        await settle(pilot)
        hint = next(line for line in screen_text(app).splitlines() if "Tab completes" in line)
        ports = [int(port) for port in re.findall(r"sport=(\d+)", hint)]
        assert 443 in ports
        # The sample's clients use ports from 40000 up: none of them is offered.
        assert all(port < 1024 or port == 5432 for port in ports), hint


@pytest.mark.parametrize(
    ("keymap", "warning"),
    [
        ({"follow": "q"}, "'follow' takes q from 'quit'"),
        ({"stats": "escape"}, "'stats' takes escape from 'back'"),
        ({"export": "ctrl+p"}, "'export' asks for ctrl+p, which is the command palette"),
    ],
)
async def test_a_keymap_that_takes_an_essential_key_is_warned_at_startup(
    keymap: dict[str, str], warning: str
) -> None:
    app = explorer_app(settings=Settings(keymap=keymap))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert [notice for notice in app.notices if warning in notice], app.notices


async def test_a_keymap_without_conflicts_is_not_warned() -> None:
    app = explorer_app(settings=Settings(keymap={"follow": "ctrl+l"}))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.notices == []


async def test_value_counts_of_a_time_column_show_times() -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await to_column(pilot, "start")
        await pilot.press("number_sign")
        await settle(pilot)
        top(app, ValueCountsScreen)
        text = screen_text(app)
        assert "time (UTC)" in text
        assert f"{SAMPLE_EPOCH}" in text and "2025-11-27 10:00:00" in text


async def test_a_long_filter_typed_key_by_key_is_parsed_once_not_per_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A terminal without bracketed paste delivers a paste as keys: each must stay cheap."""
    parses: list[str] = []
    compile_filter = ExplorerFeed._compile

    def counting(self: ExplorerFeed, text: str, snapshot: Any) -> Any:
        parses.append(text)
        return compile_filter(self, text, snapshot)

    monkeypatch.setattr(ExplorerFeed, "_compile", counting)
    # Typing never pauses in this test, however slow the machine running it.
    monkeypatch.setattr(explorer_query, "FILTER_SETTLE_SECONDS", 3600.0)
    app = explorer_app()
    text = "dstport=22 or dstport=3389 or dstport=443 or dstport=5432"
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = explorer_of(app)
        await pilot.press("f", *typed(text))
        assert parses == [], "no parse while the keys keep coming"
        screen.flush_filter()
        await settle(pilot)
        assert len(parses) <= 2, "one check, one apply"
        assert screen.filter_text == text


async def test_the_chart_uses_its_width_with_time_labels_and_units_on_one_line() -> None:
    data = TrafficData(
        60,
        SAMPLE_EPOCH,
        records_accept=(5, 9, 1_234_567, 4, 2, 8),
        records_reject=(1, 0, 3, 0, 0, 2),
        bytes_accept=(1023 * 1024, 5, 1000 * 1024, 4, 9, 1),
        bytes_reject=(10, 0, 0, 0, 0, 1_500_000),
    )

    class ChartApp(App[None]):
        def get_theme_variable_defaults(self) -> dict[str, str]:
            return flow_variable_defaults(self.current_theme)

        def compose(self) -> ComposeResult:
            yield TrafficChart()

        def on_mount(self) -> None:
            self.query_one(TrafficChart).show(data)

    app = ChartApp()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        lines = screen_text(app).splitlines()
        bars = next(line for line in lines if line.startswith(" records ACCEPT"))
        assert len(bars.rstrip()) <= 118
        drawn = bars[16 : bars.index(" max")].rstrip()
        assert len(drawn) >= 80, "six buckets spread over the width"
        assert "max 1,234,567" in bars
        assert any("max 1023.0 KiB" in line or "max 1,023.0 KiB" in line for line in lines)
        axis = next(line for line in lines if "10:00" in line)
        assert len(re.findall(r"\d\d:\d\d", axis)) >= 3, axis
        assert "10:00" in axis and "10:05" in axis


def test_counts_read_in_the_right_number() -> None:
    parts = [part.text for part in status_parts(StatusInfo(total_rows=1))]
    assert parts[0] == "1 row"
    view = SavedView("one", ViewSource(GROUP, streams=("s1",)), TimeRange.last(3600))
    assert "1 stream" in describe_view(view) and "1 streams" not in describe_view(view)


async def test_the_group_list_says_where_it_connects_while_it_waits() -> None:
    release = threading.Event()

    class SlowBackend(SampleBackend):
        def list_groups(self) -> Sequence[GroupRow]:
            release.wait(30)
            raise SampleError("cannot reach http://127.0.0.1:9 (connection refused)")

    app = FlowApp(SlowBackend(), start=Start(), clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert f"Listing log groups from sample account {ACCOUNT} {REGION}…" in screen_text(app)
        release.set()
        await settle(pilot)
        text = screen_text(app)
        assert "Could not load: cannot reach http://127.0.0.1:9" in text
        assert "Listing log groups" not in text
