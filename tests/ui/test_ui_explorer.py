"""The explorer driven by keys, at 80x24 and 120x36, over the fixed sample store."""

from __future__ import annotations

import polars as pl
import pytest
from ui_support import SIZES, explorer_app, screen_text, settle

from flowtui.core.events import EventBatch
from flowtui.core.ingest import Ingestor
from flowtui.core.query import Query, TimeRange
from flowtui.core.schema import int_to_ipv4
from flowtui.core.store import RecordStore
from flowtui.ui.app import FlowApp
from flowtui.ui.backend import FeedStatus
from flowtui.ui.clipboard import clipboard_path
from flowtui.ui.messages import ExplorerAction
from flowtui.ui.screens.columns import ColumnsScreen
from flowtui.ui.screens.explorer import ExplorerScreen
from flowtui.ui.screens.explorer_query import add_term, quote_value
from flowtui.ui.widgets.detail_pane import DetailScreen
from flowtui.ui.widgets.time_range import TimeRangeScreen
from tests.fixtures.sample_data import (
    ACCOUNT,
    SAMPLE_EPOCH,
    WEB1,
    SampleBackend,
    sample_batch,
    sample_ownership,
    sample_store,
)

REJECTS = 17
ROWS = 129


def keys(text: str) -> list[str]:
    """Key names that type `text`."""
    return ["space" if char == " " else char for char in text]


def explorer(app: FlowApp) -> ExplorerScreen:
    screen = app.screen
    assert isinstance(screen, ExplorerScreen)
    return screen


def current_row(app: FlowApp) -> dict[str, object]:
    screen = explorer(app)
    row_id = screen.table.cursor_row_id
    assert row_id is not None and screen.table.snapshot is not None
    row = screen.table.snapshot.row(row_id)
    assert row is not None
    return row


def append_records(screen: ExplorerScreen, count: int, start_offset: int = 4000) -> None:
    """What a live tail does: parse new lines into the store (the app notices by itself)."""
    lines = [
        f"2 {ACCOUNT} {WEB1.eni} 198.51.100.{index % 250} {WEB1.address} {1024 + index % 60000} 443 6 "
        f"3 900 {SAMPLE_EPOCH + start_offset + index} {SAMPLE_EPOCH + start_offset + index + 60} "
        "ACCEPT OK"
        for index in range(count)
    ]
    Ingestor(screen.feed.store).add_events(EventBatch(lines, streams=[f"{WEB1.eni}-all"] * count))


@pytest.mark.parametrize("size", SIZES)
async def test_first_page_shows_the_oldest_records_under_a_fixed_header(
    size: tuple[int, int],
) -> None:
    app = explorer_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        lines = screen_text(app).splitlines()
        assert lines[0].split()[:6] == ["start", "action", "srcaddr", "dstaddr", "dport", "proto"]
        assert lines[1].startswith("10:00:00 ACCEPT   203.0.113.7       10.0.1.10 web-1 ")
        assert f"{ROWS} rows" in screen_text(app)
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        lines = screen_text(app).splitlines()
        assert lines[0].startswith("start    action"), "the header does not scroll away"
        assert not lines[1].startswith("10:00:00")


@pytest.mark.parametrize("size", SIZES)
async def test_movement_keys(size: tuple[int, int]) -> None:
    app = explorer_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        table = explorer(app).table
        await pilot.press("j", "j", "down")
        assert table.cursor_position == 3
        await pilot.press("k")
        assert table.cursor_position == 2
        await pilot.press("pagedown")
        assert table.cursor_position == 2 + table.data_height
        await pilot.press("pageup")
        assert table.cursor_position == 2
        await pilot.press("G")
        assert table.cursor_position == ROWS - 1
        await pilot.press("g")
        assert table.cursor_position == 0
        await pilot.press("end")
        assert table.cursor_position == ROWS - 1
        await pilot.press("home", "l", "l", "right")
        assert table.current_column is not None and table.current_column.name == "dstaddr"
        await pilot.press("h")
        assert table.current_column.name == "srcaddr"


async def test_cells_show_names_owners_and_readable_values() -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "10.0.1.10 web-1" in text
        assert "10.0.0.2 VPC resolver" in text
        assert " TCP " in text and " UDP " in text and " ICMP " in text
        assert "5.1 KiB" in text
        await pilot.press("ctrl+p")
        await pilot.press(*"raw values", "enter")
        await settle(pilot)
        text = screen_text(app)
        assert " 5230 " in text, "raw bytes"
        assert str(SAMPLE_EPOCH) in text, "raw start time"


async def test_t_switches_times_between_utc_and_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert screen_text(app).splitlines()[1].startswith("10:00:00 ")
        await pilot.press("t")
        await settle(pilot)
        text = screen_text(app)
        assert text.splitlines()[1].startswith("15:30:00 ")
        assert "local" in text.splitlines()[-2], "the status line names the zone"


async def test_filter_keeps_the_cursor_on_its_record() -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = explorer(app)
        await pilot.press(*["j"] * 5)  # the first rejected SSH probe
        assert current_row(app)["action"] == "REJECT"
        row_id = screen.table.cursor_row_id
        await pilot.press("f", *"action=reject", "enter")
        await settle(pilot)
        assert len(screen.table.view) == REJECTS
        assert screen.table.cursor_row_id == row_id
        assert screen.table.cursor_position == 0
        assert f"{REJECTS}/{ROWS} rows" in screen_text(app)


async def test_invalid_filter_points_at_the_problem_and_the_last_valid_one_stays() -> None:
    app = explorer_app(filter_text="dstport=22")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = explorer(app)
        assert len(screen.table.view) == 10
        await pilot.press("f", "ctrl+u", *keys("dstport=ssh and actoin=reject"))
        await settle(pilot)
        text = screen_text(app)
        assert "unknown field 'actoin' (did you mean 'action'?)" in text
        caret_line = next(line for line in text.splitlines() if "^^^" in line)
        input_line = next(line for line in text.splitlines() if "actoin" in line)
        assert caret_line.index("^") == input_line.index("actoin")
        assert screen.filter_text == "dstport=22", "invalid text keeps the filter applied before"
        assert len(screen.table.view) == 10


async def test_filter_history_and_completion() -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = explorer(app)
        await pilot.press("f", *"dstport=443", "enter")
        await settle(pilot)
        await pilot.press("f", "ctrl+u", *"proto=udp", "enter")
        await settle(pilot)
        await pilot.press("f", "ctrl+u", "up")
        assert screen.filter_bar.text == "proto=udp"
        await pilot.press("up")
        assert screen.filter_bar.text == "dstport=443"
        await pilot.press("ctrl+u", *"log-st")
        await settle(pilot)
        await pilot.press("tab")
        assert screen.filter_bar.text == "log-status"


@pytest.mark.parametrize(
    ("key", "expected", "rows"), [("=", "dstport=22", 10), ("!", "dstport!=22", ROWS - 10)]
)
async def test_quick_filter_on_the_current_cell(key: str, expected: str, rows: int) -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = explorer(app)
        await pilot.press(*["j"] * 5, "l", "l", "l", "l")
        assert screen.table.current_column is not None
        assert screen.table.current_column.name == "dstport"
        await pilot.press(key)
        await settle(pilot)
        assert screen.filter_text == expected
        assert len(screen.table.view) == rows


def test_quick_filter_terms_narrow_or_filters_and_quote_odd_text() -> None:
    assert add_term("", "dstport=22") == "dstport=22"
    assert add_term("action=reject", "dstport=22") == "action=reject dstport=22"
    assert add_term("dstport=22 or dstport=3389", "action=reject") == (
        "(dstport=22 or dstport=3389) action=reject"
    )
    assert quote_value("eni-0a1b") == "eni-0a1b"
    assert quote_value("a b,c") == '"a b,c"'
    assert quote_value('say "hi"') is None


async def test_sort_by_current_column_keeps_the_cursor_record() -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = explorer(app)
        await pilot.press("l", "l", "l", "l", "l", "l")  # bytes
        assert screen.table.current_column is not None
        assert screen.table.current_column.name == "bytes"
        row_id = screen.table.cursor_row_id
        await pilot.press("]")
        await settle(pilot)
        assert screen.sort == (("bytes", True),)
        assert screen.table.cursor_row_id == row_id
        assert "bytes▼" in screen_text(app).splitlines()[0]
        ids = screen.table.view.ids_between(0, 3).to_list()
        sizes = screen.feed.store.snapshot().rows(ids).get_column("bytes").to_list()
        assert sizes == sorted(sizes, reverse=True)
        await pilot.press("[")
        await settle(pilot)
        first = screen.feed.store.snapshot().rows(screen.table.view.ids_between(0, 1))
        assert first.get_column("bytes").item() is None or first.get_column("bytes").item() == 60
        await pilot.press("[")
        await settle(pilot)
        assert not screen.sort, "pressed again: back to arrival order"


@pytest.mark.parametrize("size", SIZES)
async def test_follow_sticks_to_new_rows_until_scrolled_up(size: tuple[int, int]) -> None:
    backend = SampleBackend()
    app = explorer_app(backend, follow=True)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = explorer(app)
        assert screen.table.cursor_position == ROWS - 1
        assert ("set_follow", True) in backend.calls
        assert "● follow" in screen_text(app)
        append_records(screen, 5)
        screen.check_store()
        await settle(pilot)
        assert screen.table.cursor_position == ROWS + 4, "parked on the newest arrival"
        await pilot.press("k", "k")
        kept = screen.table.cursor_row_id
        top = screen.table.scroll_y
        append_records(screen, 5, start_offset=4100)
        screen.check_store()
        await settle(pilot)
        assert screen.table.cursor_row_id == kept
        assert screen.table.scroll_y == top
        assert len(screen.table.view) == ROWS + 10
        assert "paused" in screen_text(app)
        await pilot.press("G")
        append_records(screen, 1, start_offset=4200)
        screen.check_store()
        await settle(pilot)
        assert screen.table.cursor_position == ROWS + 10
        await pilot.press("F")
        await settle(pilot)
        assert backend.calls[-1] == ("set_follow", False)


async def test_rows_dropped_by_the_row_cap_are_announced() -> None:
    backend = SampleBackend(store=sample_store(row_cap=100))
    app = explorer_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = explorer(app)
        append_records(screen, 70_000)
        screen.check_store()
        await settle(pilot)
        assert screen.feed.store.evicted_rows > 0
        assert f"{screen.feed.store.evicted_rows:,} oldest dropped (cap 100)" in screen_text(app)


@pytest.mark.parametrize("size", SIZES)
async def test_feed_status_shows_fetching_throttling_and_calls(size: tuple[int, int]) -> None:
    status = FeedStatus(api_calls=42, throttled=True, fetching=True, progress=0.6)
    app = explorer_app(SampleBackend(status=status))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        text = screen_text(app).splitlines()[-2]
        assert "fetching ▰▰▰▱▱ 60%" in text
        assert "throttled" in text
        if size[0] >= 120:
            assert "42 API calls" in text


async def test_detail_pane_docks_when_wide_and_overlays_when_narrow() -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "TCP (6)" in text
        assert "eni-0a1b2c3d4e5f60001 web-1" in text
        assert "Public IPv4" in text or "documentation" in text.lower()
        await pilot.press("enter")
        await settle(pilot)
        assert "TCP (6)" not in screen_text(app)
    app = explorer_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert "eni-0a1b2c3d4e5f60001 web-1" in screen_text(app)
        await pilot.press(*["j"] * 20)
        assert "TCP (6)" in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, ExplorerScreen)


async def test_search_finds_highlights_and_steps_through_matches() -> None:
    app = explorer_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = explorer(app)
        await pilot.press("/", *"reject", "enter")
        await settle(pilot)
        assert len(screen.matches) == REJECTS
        first = screen.table.cursor_position
        assert current_row(app)["action"] == "REJECT"
        await pilot.press("n")
        await settle(pilot)
        assert screen.table.cursor_position > first
        await pilot.press("N")
        await settle(pilot)
        assert screen.table.cursor_position == first
        assert "match 1/17" in screen_text(app)


async def test_search_for_an_address_matches_it_whole() -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = explorer(app)
        await pilot.press("/", *"10.0.0.1", "enter")
        await settle(pilot)
        assert screen.matches == [], "10.0.0.1 is not part of 10.0.0.10"
        await pilot.press("/", "ctrl+u", *"web-2", "enter")
        await settle(pilot)
        assert screen.matches, "labels are searched as shown"


async def test_fuzzy_search_ranks_rows() -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = explorer(app)
        screen.toggle_fuzzy()
        await pilot.press("/", *keys("bastin 22"), "enter")
        await settle(pilot)
        assert screen.matches
        row = current_row(app)
        assert (row["action"], row["dstport"]) == ("REJECT", 22), "an SSH probe to the bastion"


async def test_copy_record_and_field(tmp_path: object) -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("y")
        expected = (
            f"2 {ACCOUNT} {WEB1.eni} 203.0.113.7 10.0.1.10 40000 443 6 12 5230 "
            f"{SAMPLE_EPOCH} {SAMPLE_EPOCH + 60} ACCEPT OK"
        )
        assert app.clipboard == expected
        assert clipboard_path().read_text() == expected + "\n"
        await pilot.press("l", "l", "Y")
        assert app.clipboard == "203.0.113.7"


async def test_columns_screen_hides_and_reorders() -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = explorer(app)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ColumnsScreen)
        await pilot.press("space", "down", "J", "enter")
        await settle(pilot)
        names = [column.name for column in screen.table.columns]
        assert "start" not in names
        assert names[:2] == ["srcaddr", "action"]


async def test_time_range_presets_and_load_earlier() -> None:
    backend = SampleBackend()
    app = explorer_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("T")
        await settle(pilot)
        assert isinstance(app.screen, TimeRangeScreen)
        await pilot.press("enter")  # the first preset: 15 minutes
        await settle(pilot)
        assert backend.calls[-1] == ("refetch", explorer(app).flow_query)
        assert explorer(app).flow_query.time_range == TimeRange.last(900)
        assert "last 15m" in screen_text(app)
        await pilot.press("T", "up", "enter")  # the last option: load earlier
        await settle(pilot)
        name, query = backend.calls[-1]
        assert name == "fetch_more"
        now_ms = (SAMPLE_EPOCH + 3600) * 1000
        assert isinstance(query, Query)
        assert query.time_range == TimeRange.between(now_ms - 1_800_000, now_ms - 900_000)
        assert explorer(app).flow_query.time_range == TimeRange.last(1800)


async def test_time_range_absolute_input_and_errors() -> None:
    backend = SampleBackend()
    app = explorer_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("T", "tab", "tab", *"2025-11-27T10:00Z", "tab", *"yesterday", "enter")
        await settle(pilot)
        assert "'yesterday' is not a time" in screen_text(app)
        await pilot.press("ctrl+u", *"2025-11-27T10:30Z", "enter")
        await settle(pilot)
        assert explorer(app).flow_query.time_range == TimeRange.between(
            SAMPLE_EPOCH * 1000, (SAMPLE_EPOCH + 1800) * 1000
        )


async def test_refetch_and_later_actions_reach_the_app() -> None:
    backend = SampleBackend()
    app = explorer_app(backend)
    handled: list[ExplorerAction] = []
    app.later_actions["stats"] = handled.append
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert backend.calls[-1][0] == "refetch"
        await pilot.press("j", "s")
        await settle(pilot)
        assert [action.name for action in handled] == ["stats"]
        assert handled[0].row_id == explorer(app).table.cursor_row_id
        assert handled[0].column == "start"
        for key in ("#", "x", "e", "ctrl+s", "v"):
            await pilot.press(key)
        await settle(pilot)
        assert len(handled) == 1, "only 'stats' has a handler; the others say so"


async def test_ipv6_records_widen_address_columns() -> None:
    from tests.fixtures.sample_data import ipv6_lines

    store = sample_store()
    Ingestor(store).add_lines(pl.Series(ipv6_lines()), 1, "ipv6")
    app = explorer_app(SampleBackend(store=store))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        widths = {column.name: column.width for column in explorer(app).table.columns}
        assert widths["srcaddr"] == len("2001:db8:1234:a100:8d6e:3477:df66:f105")
        await pilot.press("G")
        await settle(pilot)
        assert "2001:db8:1234:a102:3304:8879:34cf:4071" in screen_text(app)


def test_sample_addresses_are_what_the_table_shows() -> None:
    frame = sample_store().snapshot().frame()
    assert int_to_ipv4(frame.get_column("dstaddr")[0]) == WEB1.address


async def test_quick_filter_on_every_column_keeps_the_record() -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = explorer(app)
        await pilot.press("c", *["j"] * 13, "space", "j", "space", "enter")  # show end, stream
        await settle(pilot)
        for position in (5, ROWS - 2):  # a rejected flow, a NODATA record
            for column in range(len(screen.table.columns)):
                name = screen.table.columns[column].name
                screen.apply_filter("")
                await settle(pilot)
                screen.table.move_cursor(position, column)
                row_id = screen.table.cursor_row_id
                await pilot.press("=")
                await settle(pilot)
                if name.startswith("_"):
                    assert screen.filter_text == "", "bookkeeping columns have no filter field"
                    continue
                assert screen.filter_text.startswith(f"{name}="), name
                assert row_id in screen.table.view.row_ids.to_list(), screen.filter_text


async def test_a_filter_given_before_any_record_arrives_applies_when_they_do() -> None:
    backend = SampleBackend(store=RecordStore())
    app = explorer_app(backend, filter_text="action=reject")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = explorer(app)
        assert "No records in this time range" in screen_text(app)
        Ingestor(screen.feed.store).add_events(sample_batch())
        screen.check_store()
        await settle(pilot)
        assert len(screen.table.view) == REJECTS
        assert f"{REJECTS}/{ROWS} rows" in screen_text(app)


async def test_columns_appear_when_owner_labels_arrive_before_the_explorer_polls() -> None:
    """A fast load can bring the first rows and the owners' labels before the explorer's
    next poll of the store; the labels' rebuild must bring the rows' columns too (it once
    left an empty table over 1,782 fetched rows)."""
    backend = SampleBackend(store=RecordStore(row_cap=1_000_000))
    app = explorer_app(backend)
    async with app.run_test(size=SIZES[0]) as pilot:
        await settle(pilot)
        screen = explorer(app)
        assert not screen.table.columns, "nothing fetched yet"
        Ingestor(backend.store, None).add_events(sample_batch())
        assert backend.reporter is not None
        backend.reporter.ownership(sample_ownership())  # before the explorer's poll runs
        await settle(pilot)
        screen.check_store()
        await settle(pilot)

        assert [column.name for column in screen.table.columns][:3] == [
            "start",
            "action",
            "srcaddr",
        ]
        assert len(screen.table.view) == ROWS
        assert "REJECT" in screen_text(app)
