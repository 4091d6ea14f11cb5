"""The first explorer screen answers "what is being rejected?" at 80x24 (issue 12).

Columns lead with time, action, both addresses, destination port and protocol, sized to what
the records hold (IPv6 widens them as it arrives); Enter opens the detail on a summary.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import pytest
from ui_support import explorer_app, fixed_clock, screen_text, settle

from flowtui.core.events import EventBatch
from flowtui.core.ingest import Ingestor
from flowtui.ui.app import FlowApp, Start
from flowtui.ui.formatting import DisplayOptions, Ownership
from flowtui.ui.screens.explorer import ExplorerScreen
from flowtui.ui.widgets.detail_pane import DetailBody, DetailScreen, record_summary
from scripts.screenshots import THEMES
from tests.fixtures.sample_data import (
    ACCOUNT,
    SAMPLE_EPOCH,
    WEB1,
    SampleBackend,
    ipv6_lines,
    sample_ownership,
    sample_query,
    sample_store,
    sample_views,
)

ESSENTIAL = ["start", "action", "srcaddr", "dstaddr", "dport", "proto"]
IPV6 = "2001:db8:1234:a100:8d6e:3477:df66:f105"


def explorer(app: FlowApp) -> ExplorerScreen:
    screen = app.screen
    assert isinstance(screen, ExplorerScreen)
    return screen


def widths(screen: ExplorerScreen) -> dict[str, int]:
    return {column.name: column.width for column in screen.table.columns}


def ipv4_lines(count: int) -> list[str]:
    return [
        f"2 {ACCOUNT} {WEB1.eni} 198.51.100.{index} {WEB1.address} 40000 443 6 3 900 "
        f"{SAMPLE_EPOCH + 100 + index} {SAMPLE_EPOCH + 160 + index} ACCEPT OK"
        for index in range(count)
    ]


def append(screen: ExplorerScreen, lines: list[str]) -> None:
    """What a live tail does: new lines reach the store; the explorer notices by itself."""
    batch = EventBatch(lines, streams=[f"{WEB1.eni}-all"] * len(lines))
    Ingestor(screen.feed.store).add_events(batch)
    screen.check_store()


async def test_at_80_columns_every_row_shows_time_action_addresses_and_port() -> None:
    store = sample_store()
    Ingestor(store).add_lines(pl.Series(ipv6_lines()), 1, "ipv6")
    app = explorer_app(SampleBackend(store=store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lines = screen_text(app).splitlines()
        assert lines[0].split()[:6] == ESSENTIAL
        assert max(len(line.rstrip()) for line in lines[:20]) <= 80
        for line in lines[1:20]:
            time, action, *_ = line.split()
            assert len(time) == len("10:00:00") and time[2] == ":"
            assert action in ("ACCEPT", "REJECT", "NODATA", "SKIPDATA")
        table = explorer(app).table
        right_edge = sum(column.width + 1 for column in table.columns[:6]) - 1
        assert right_edge <= table.scrollable_content_region.width
        rejected = next(line for line in lines[1:20] if " REJECT " in line)
        assert rejected.split()[-2:] == ["22", "TCP"], "an SSH probe: its port and protocol"
        await pilot.press("G")
        await settle(pilot)
        last_rows = screen_text(app)
        assert "2001:db8:12…77:df66:f105" in last_rows, "IPv6 shows, cut in the middle"
        no_traffic = [line.split()[1] for line in last_rows.splitlines() if " - " in line]
        assert no_traffic == ["NODATA", "SKIPDATA"], "a record without traffic says why"


async def test_ipv6_arrival_widens_the_address_columns_and_only_a_new_view_narrows_them() -> None:
    app = explorer_app()
    async with app.run_test(size=(160, 36)) as pilot:
        await settle(pilot)
        screen = explorer(app)
        before = widths(screen)
        assert before["srcaddr"] < len(IPV6)
        append(screen, ipv6_lines())
        await settle(pilot)
        assert widths(screen)["srcaddr"] == len(IPV6), "widened as soon as IPv6 arrived"
        assert IPV6 in screen_text(app) or len(screen.table.view) > 30
        append(screen, ipv4_lines(5))
        await settle(pilot)
        assert widths(screen)["srcaddr"] == len(IPV6), "no jump back while rows arrive"
        screen.apply_filter("srcaddr=198.51.100.0/24")
        await settle(pilot)
        assert widths(screen)["srcaddr"] == len("198.51.100.23"), "a new view is measured afresh"
        screen.apply_filter("")
        await settle(pilot)
        assert widths(screen)["srcaddr"] == len(IPV6)


async def test_a_new_view_measures_afresh() -> None:
    store = sample_store()
    app = explorer_app(SampleBackend(store=store))
    async with app.run_test(size=(160, 36)) as pilot:
        await settle(pilot)
        screen = explorer(app)
        ipv4_only = widths(screen)["srcaddr"]
        append(screen, ipv6_lines())
        await settle(pilot)
        assert widths(screen)["srcaddr"] == len(IPV6)
        store.clear()
        Ingestor(store).add_lines(pl.Series(ipv4_lines(3)), 1, "again")
        screen.check_store()
        await settle(pilot)
        assert widths(screen)["srcaddr"] <= ipv4_only, "a refetch without IPv6 narrows again"


async def test_enter_opens_the_detail_on_the_answer_at_80_columns() -> None:
    app = explorer_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*["j"] * 5)  # the first rejected SSH probe
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        lines = [line.strip("│ ") for line in screen_text(app).splitlines()]
        first, second = lines[1], lines[2]
        assert first.startswith("REJECT denied · TCP 22 ssh · ")
        assert "→ 10.0.0.10 bastion" in first
        assert "packet" in second and " B · " in second
        assert "10:00:12 → 10:01:12 UTC (60s)" in second, "the window, as the table writes it"
        assert second.endswith("logged OK")
        assert lines[3] == "Who", "then the parties, the fields and their explanations"


async def test_docked_detail_pane_opens_on_the_answer_too() -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        body = explorer(app).detail_pane.query_one(DetailBody)
        assert body.detail is not None and body.detail.summary is not None
        assert body.detail.summary.lines[0].startswith("ACCEPT allowed · TCP 443 https · ")
        first_line = screen_text(app).splitlines()[0]
        assert first_line.split("▏")[1].strip().startswith("ACCEPT allowed · TCP 443 https")


async def test_a_saved_views_columns_are_restored_exactly() -> None:
    view = replace(sample_views()[0], columns=("dstport", "start", "srcport"), sort=())
    start = Start(query=sample_query(), view=view)
    app = FlowApp(SampleBackend(), start=start, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        names = [column.name for column in explorer(app).table.columns]
        assert names == ["dstport", "start", "srcport"]
        assert screen_text(app).splitlines()[0].split() == ["dport", "start", "sport"]


async def test_the_detail_overlay_scrolls_by_page_and_to_either_end() -> None:
    app = explorer_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "ACCEPT allowed" in screen_text(app)
        await pilot.press("G")
        await settle(pilot)
        bottom = screen_text(app)
        assert "ingested" in bottom and "ACCEPT allowed" not in bottom, "where the record came from"
        await pilot.press("g")
        await settle(pilot)
        assert "ACCEPT allowed" in screen_text(app)
        await pilot.press("pagedown")
        await settle(pilot)
        assert "ACCEPT allowed" not in screen_text(app)


def test_summaries_of_records_without_traffic_and_of_a_bpa_reject() -> None:
    options = DisplayOptions(time_style="clock")
    nodata = {"log-status": "NODATA", "start": SAMPLE_EPOCH, "end": SAMPLE_EPOCH + 60}
    summary = record_summary(nodata, Ownership(), options)
    assert summary.lines == ("NODATA no traffic in this window", "10:00:00 → 10:01:00 UTC (60s)")
    assert summary.style == "nodata"
    bpa = {
        "action": "REJECT",
        "reject-reason": "BPA",
        "protocol": 17,
        "dstport": 53,
        "srcaddr": "198.51.100.9",
        "dstaddr": "10.0.0.2",
        "packets": 2,
        "bytes": 2048,
        "log-status": "OK",
    }
    first, second = record_summary(bpa, sample_ownership(), options).lines
    assert first == (
        "REJECT blocked by VPC Block Public Access · UDP 53 dns · "
        "198.51.100.9 → 10.0.0.2 VPC resolver"
    )
    assert second == "2 packets, 2.0 KiB · logged OK"


@pytest.mark.parametrize("theme", THEMES)
async def test_rejects_read_without_colour_in_every_theme(
    theme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The action is a word, and REJECT is bold too, so a 16-colour or monochrome terminal
    (NO_COLOR) tells it from ACCEPT."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = explorer_app(theme=theme)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = explorer(app).table
        reject = table.get_component_rich_style("flow-table--reject", partial=True)
        accept = table.get_component_rich_style("flow-table--accept", partial=True)
        assert reject.bold and not accept.bold
        assert reject.color != accept.color, "and coloured apart where colour exists"
        line = table.render_line(7)  # position 6: a rejected RDP attempt from the bastion
        (cell,) = [seg for seg in line if seg.text == "REJECT"]
        assert cell.style is not None and cell.style.bold
