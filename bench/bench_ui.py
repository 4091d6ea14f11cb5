"""How the flow table behaves at a million rows (issue 4 targets).

Run: `.venv/bin/python bench/bench_ui.py [--rows N] [--small N] [--presses P] [--idle S]`.

The app runs with a driver that renders everything as it would for a terminal and counts the
bytes instead of writing them. Printed:
- time to first rows: from starting the app over a ready N-row store until the table has
  drawn its first page (target: under 500 ms);
- page-down from the middle: p95 per key at `--small` and at N rows, their ratio (target: at
  most 1.5) and the lines rendered per page-down (target: the same at both sizes);
- key latency while N rows are parsed into the store in a thread: p50, p95, max (target: p95
  under 100 ms);
- terminal bytes per page-down, and per idle second with follow on (target: under 100 B/s)
  with the CPU used while idle (target: under 2%);
- the stats view (`s`, issue 7) at N rows: ms from the key until its tables and chart are on
  screen, over every row and over a filtered view (informational: the 200 ms target of
  issue 7 is per table, and bench_stats.py checks it).
Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Run as a file, Python puts bench/ on the path, not the repo root the fixtures live under.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl
from textual.drivers.headless_driver import HeadlessDriver
from textual.pilot import Pilot

from flowtui.core.formats import DEFAULT_FORMAT
from flowtui.core.ingest import Ingestor
from flowtui.core.query import Query, TimeRange
from flowtui.core.store import RecordStore
from flowtui.ui.app import FlowApp, Start
from flowtui.ui.screens.explorer import ExplorerScreen
from flowtui.ui.screens.stats import StatsScreen
from flowtui.ui.widgets.flow_table import FlowTable
from tests.fixtures.sample_data import ACCOUNT, SAMPLE_EPOCH, SampleBackend

SIZE = (120, 36)
FIRST_ROWS_MS = 500.0
PAGE_RATIO = 1.5
KEY_P95_MS = 100.0
IDLE_BYTES_PER_S = 100.0
IDLE_CPU_PERCENT = 2.0
PARSE_BLOCK = 50_000


class CountingDriver(HeadlessDriver):
    """Renders like a terminal driver; counts what would be written instead of writing it."""

    written = 0
    last_write = 0.0

    @property
    def is_headless(self) -> bool:
        return False

    def write(self, data: str) -> None:
        CountingDriver.written += len(data.encode())
        CountingDriver.last_write = time.perf_counter()


async def paint_latency(pilot: Pilot[Any], key: str) -> float | None:
    """Ms from pressing `key` to the last frame it caused reaching the terminal.

    Pilot waits for the app to go idle after a key; that wait is not counted (nothing else
    paints meanwhile: the store is not changing). None when the key changed nothing.
    """
    began = time.perf_counter()
    await pilot.press(key)
    await pilot.pause()
    if CountingDriver.last_write < began:
        return None
    return (CountingDriver.last_write - began) * 1000


def flow_lines(rows: int, offset: int = 0) -> pl.Series:
    """`rows` default-format records: many hosts, ports and sizes, one ENI per 1,000 rows."""
    index = pl.int_range(offset, offset + rows, eager=True)
    text = index.cast(pl.String)
    return pl.select(
        pl.concat_str(
            [
                pl.lit(f"2 {ACCOUNT} eni-0a1b2c3d4e5f6"),
                (index // 1000 % 10000).cast(pl.String).str.zfill(4),
                pl.lit(" 10.0."),
                (index // 250 % 250).cast(pl.String),
                pl.lit("."),
                (index % 250).cast(pl.String),
                pl.lit(" 10.1.0."),
                (index % 200).cast(pl.String),
                pl.lit(" "),
                (1024 + index % 60000).cast(pl.String),
                pl.lit(" "),
                pl.when(index % 7 == 0).then(pl.lit("22")).otherwise(pl.lit("443")),
                pl.lit(" 6 "),
                (1 + index % 90).cast(pl.String),
                pl.lit(" "),
                (60 + index * 37 % 900_000).cast(pl.String),
                pl.lit(" "),
                (SAMPLE_EPOCH + index // 300).cast(pl.String),
                pl.lit(" "),
                (SAMPLE_EPOCH + index // 300 + 60).cast(pl.String),
                pl.when(index % 11 == 0).then(pl.lit(" REJECT OK")).otherwise(pl.lit(" ACCEPT OK")),
            ]
        ).alias(text.name)
    ).to_series()


def filled_store(rows: int) -> RecordStore:
    store = RecordStore(row_cap=rows + PARSE_BLOCK)
    ingestor = Ingestor(store, [DEFAULT_FORMAT])
    for start in range(0, rows, PARSE_BLOCK):
        ingestor.add_lines(flow_lines(min(PARSE_BLOCK, rows - start), start), start + 1, "bench")
    return store


def app_over(store: RecordStore, follow: bool = False, filter_text: str = "") -> FlowApp:
    query = Query("/bench", TimeRange.last(3600))
    app = FlowApp(
        SampleBackend(store=store),
        start=Start(query=query, follow=follow, filter_text=filter_text),
        clock=time.time,
    )
    app.driver_class = CountingDriver
    return app


def table_of(app: FlowApp) -> FlowTable | None:
    """The explorer's table once it is mounted."""
    screen = app.screen
    if not isinstance(screen, ExplorerScreen):
        return None
    tables = screen.query(FlowTable)
    return tables.first() if tables else None


async def until(pilot: Pilot[Any], ready: Callable[[], bool], limit_s: float = 60.0) -> None:
    deadline = time.perf_counter() + limit_s
    while not ready():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not get there in time")
        await pilot.pause()


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def first_rows(store: RecordStore) -> float:
    """Ms from starting the app over a ready store until the table has drawn its first page."""
    app = app_over(store)
    started = time.perf_counter()
    async with app.run_test(size=SIZE, headless=False) as pilot:

        def drawn() -> bool:
            table = table_of(app)
            return bool(table and len(table.view) and table.render_stats.rows_gathered)

        await until(pilot, drawn)
        done = time.perf_counter()
    return (done - started) * 1000


async def page_downs(store: RecordStore, presses: int) -> tuple[list[float], float, float]:
    """Per-key ms, lines rendered per key and terminal bytes per key, from the middle."""
    app = app_over(store)
    async with app.run_test(size=SIZE, headless=False) as pilot:
        await until(pilot, lambda: bool((t := table_of(app)) and len(t.view) == store.row_count))
        table = table_of(app)
        assert table is not None
        table.move_cursor(len(table.view) // 2)
        await pilot.pause()
        lines_before = table.render_stats.lines_rendered
        bytes_before = CountingDriver.written
        costs = []
        for _ in range(presses):
            cost = await paint_latency(pilot, "pagedown")
            if cost is not None:
                costs.append(cost)
        lines = (table.render_stats.lines_rendered - lines_before) / presses
        written = (CountingDriver.written - bytes_before) / presses
    return costs, lines, written


async def handled_latency(pilot: Pilot[Any], table: FlowTable, key: str) -> tuple[float, float]:
    """(ms until the key moved the cursor, ms until the next frame reached the terminal).

    Measured from inside the app's event loop, so the app's own work (and any stall caused by
    the parsing thread) counts, but Pilot's waiting for idleness does not.
    """
    before = table.cursor_position
    began = time.perf_counter()
    pressing = asyncio.create_task(pilot.press(key))
    while table.cursor_position == before and time.perf_counter() - began < 10:
        await asyncio.sleep(0.0005)
    handled = time.perf_counter()
    while CountingDriver.last_write < handled and time.perf_counter() - handled < 10:
        await asyncio.sleep(0.0005)
    painted = CountingDriver.last_write
    await pressing
    return (handled - began) * 1000, (painted - began) * 1000


async def keys_while_parsing(rows: int, presses: int) -> tuple[list[float], list[float]]:
    """Key latencies (ms: handled, painted) while a thread parses `rows` records into the store."""
    store = RecordStore(row_cap=rows + PARSE_BLOCK)
    ingestor = Ingestor(store, [DEFAULT_FORMAT])
    ingestor.add_lines(flow_lines(PARSE_BLOCK), 1, "bench")
    app = app_over(store)
    handled: list[float] = []
    painted: list[float] = []
    async with app.run_test(size=SIZE, headless=False) as pilot:
        await until(pilot, lambda: bool((t := table_of(app)) and len(t.view)))
        table = table_of(app)
        assert table is not None
        table.move_cursor(10)

        def parse() -> None:
            for start in range(PARSE_BLOCK, rows, PARSE_BLOCK):
                ingestor.add_lines(flow_lines(min(PARSE_BLOCK, rows - start), start), start, "b")

        parser = threading.Thread(target=parse, daemon=True)
        parser.start()
        while parser.is_alive() or len(handled) < presses:
            key_handled, key_painted = await handled_latency(pilot, table, "jk"[len(handled) % 2])
            handled.append(key_handled)
            painted.append(key_painted)
        parser.join()
    return handled, painted


async def idle_follow(store: RecordStore, seconds: float) -> tuple[float, float]:
    """(bytes written per second, CPU %) with follow on and no new data."""
    app = app_over(store, follow=True)
    async with app.run_test(size=SIZE, headless=False) as pilot:
        await until(pilot, lambda: bool((t := table_of(app)) and len(t.view) == store.row_count))
        await asyncio.sleep(1.0)  # let the start-up paint and notices settle
        bytes_before = CountingDriver.written
        cpu_before = time.process_time()
        await asyncio.sleep(seconds)
        cpu = (time.process_time() - cpu_before) / seconds * 100
        written = (CountingDriver.written - bytes_before) / seconds
    return written, cpu


async def stats_view(store: RecordStore, filter_text: str = "") -> tuple[float, int]:
    """(ms from pressing `s` until the stats view shows its tables, rows counted)."""
    app = app_over(store, filter_text=filter_text)
    async with app.run_test(size=SIZE, headless=False) as pilot:
        await until(pilot, lambda: bool((t := table_of(app)) and len(t.view) and not t.loading))
        await pilot.app.workers.wait_for_complete()
        table = table_of(app)
        assert table is not None
        began = time.perf_counter()
        await pilot.press("s")

        def shown() -> bool:
            screen = app.screen
            return isinstance(screen, StatsScreen) and bool(screen.result and screen.table_views)

        await until(pilot, shown)
        painted = CountingDriver.last_write
        screen = app.screen
        assert isinstance(screen, StatsScreen) and screen.result is not None
        rows = screen.result.rows
    return (max(painted, time.perf_counter()) - began) * 1000, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--presses", type=int, default=60)
    parser.add_argument("--idle", type=float, default=5.0)
    args = parser.parse_args()
    os.environ.setdefault("TZ", "UTC")
    time.tzset()

    started = time.perf_counter()
    large = filled_store(args.rows)
    small = filled_store(args.small)
    print(
        f"stores ready: {args.rows:,} and {args.small:,} rows in {time.perf_counter() - started:.1f} s"
    )

    first_ms = asyncio.run(first_rows(large))
    print(
        f"time to first rows at {args.rows:,}: {first_ms:.0f} ms from starting the app "
        f"(target {FIRST_ROWS_MS:.0f} ms)"
    )

    small_costs, small_lines, _ = asyncio.run(page_downs(small, args.presses))
    large_costs, large_lines, large_bytes = asyncio.run(page_downs(large, args.presses))
    ratio = p95(large_costs) / p95(small_costs)
    print(
        f"page-down p95: {p95(small_costs):.1f} ms at {args.small:,}, "
        f"{p95(large_costs):.1f} ms at {args.rows:,}: ratio {ratio:.2f} (target {PAGE_RATIO})"
    )
    print(
        f"lines rendered per page-down: {small_lines:.1f} at {args.small:,}, "
        f"{large_lines:.1f} at {args.rows:,}"
    )
    print(f"terminal bytes per page-down: {large_bytes:,.0f}")

    latencies, painted = asyncio.run(keys_while_parsing(args.rows, args.presses))
    print(
        f"key latency while parsing {args.rows:,} rows, over {len(latencies)} keys: handled "
        f"p50 {statistics.median(latencies):.1f} ms, p95 {p95(latencies):.1f} ms, "
        f"max {max(latencies):.1f} ms (target p95 {KEY_P95_MS:.0f} ms); on screen p95 "
        f"{p95(painted):.1f} ms, max {max(painted):.1f} ms"
    )

    for label, filter_text in (("every row", ""), ("filter action=reject", "action=reject")):
        stats_ms, counted = asyncio.run(stats_view(large, filter_text))
        print(
            f"stats view at {args.rows:,} rows, {label}: {stats_ms:.0f} ms from `s` to its "
            f"12 tables and chart on screen ({counted:,} rows counted)"
        )

    idle_bytes, idle_cpu = asyncio.run(idle_follow(small, args.idle))
    print(
        f"idle with follow on: {idle_bytes:.1f} bytes/s to the terminal (target "
        f"{IDLE_BYTES_PER_S:.0f}), {idle_cpu:.2f}% CPU (target {IDLE_CPU_PERCENT})"
    )

    missed = [
        name
        for name, ok in (
            ("first rows", first_ms <= FIRST_ROWS_MS),
            ("page-down ratio", ratio <= PAGE_RATIO),
            ("lines per page-down", small_lines == large_lines),
            ("key latency", p95(latencies) <= KEY_P95_MS),
            ("idle bytes", idle_bytes <= IDLE_BYTES_PER_S),
            ("idle CPU", idle_cpu <= IDLE_CPU_PERCENT),
        )
        if not ok
    ]
    if missed:
        print(f"MISSED: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
