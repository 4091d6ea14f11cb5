"""Headless CloudWatch Logs Insights: `flowtui insights` runs a raw query and prints its rows;
`flowtui query --stats KIND --engine insights|auto` computes the stats tables in Insights.

Before a query starts, the bytes it will scan and their price are estimated and written to
stderr; above the confirmation threshold the command stops unless `--yes` is given. Progress
(status, records scanned and matched, elapsed time) goes to stderr while the query runs, the
rows to stdout; Ctrl-C stops the query (StopQuery) before exiting.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from dataclasses import dataclass
from typing import TextIO

import orjson
import polars as pl

from flowtui.commands.connection import open_connection, source_errors, time_range_from
from flowtui.core.config import load_settings
from flowtui.core.filter.parser import parse_filter
from flowtui.core.filter.syntax import FilterError
from flowtui.core.formats import LogFormat
from flowtui.core.insights.request import make_request
from flowtui.core.insights.tables import stats_for_cli
from flowtui.core.insights.translate import NotTranslatableError
from flowtui.core.insights.values import auto_engine, records_from_bytes
from flowtui.core.query import TimeRange
from flowtui.core.stats.counting import parse_counting
from flowtui.core.stats.report import CliKind, Output, format_table
from flowtui.errors import UserError
from flowtui.sources.aws import AwsConnection, OperationCancelled
from flowtui.sources.insights import (
    InsightsQuery,
    QueryProgress,
    ScanEstimate,
    estimate_scan,
)
from flowtui.sources.ratelimit import RateLimiter


def seconds_of(time_range: TimeRange, now_ms: int) -> tuple[int, int]:
    """A time range as StartQuery's whole seconds, both ends inclusive."""
    start_ms, end_ms = time_range.resolve(now_ms)
    return start_ms // 1000, max(start_ms // 1000, (end_ms - 1) // 1000)


@dataclass(frozen=True, slots=True)
class Target:
    """Where a query runs: a connection, its limiter, the groups and the time range."""

    conn: AwsConnection
    limiter: RateLimiter
    groups: list[str]
    time_range: TimeRange
    now_ms: int

    @property
    def seconds(self) -> tuple[int, int]:
        return seconds_of(self.time_range, self.now_ms)

    def estimate(self) -> ScanEstimate:
        start_s, end_s = self.seconds
        return estimate_scan(
            self.conn, self.limiter, self.groups, start_s, end_s, now_ms=self.now_ms
        )


# --- progress, cost --------------------------------------------------------------------------


class _Progress:
    """Writes the query's progress to stderr: live on a terminal, one final line otherwise."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.live = err.isatty()
        self.last: QueryProgress | None = None

    def __call__(self, progress: QueryProgress) -> None:
        self.last = progress
        if self.live:
            self.err.write(f"\r{_progress_text(progress)}\x1b[K")
            self.err.flush()

    def finish(self) -> None:
        if self.last is None:
            return
        if self.live:
            self.err.write("\r\x1b[K")
        self.err.write(_progress_text(self.last) + "\n")


def _progress_text(progress: QueryProgress) -> str:
    return (
        f"insights: {progress.status}, {progress.records_matched:,} records matched of "
        f"{progress.records_scanned:,} scanned ({progress.bytes_scanned:,} bytes), "
        f"{progress.elapsed_s:.1f} s"
    )


def confirm_cost(estimate: ScanEstimate, yes: bool, err: TextIO) -> None:
    """The estimate on stderr; above `insights_confirm_usd` (config file) only with --yes."""
    threshold_usd = load_settings().insights_confirm_usd
    err.write(f"insights: {estimate.describe()}\n")
    if estimate.price_usd > threshold_usd and not yes:
        raise UserError(
            f"the query would cost about USD {estimate.price_usd:.2f}, above the "
            f"USD {threshold_usd:.2f} threshold: pass --yes to run it"
        )


def _stop_all(query: InsightsQuery, progress: _Progress) -> None:
    """Ctrl-C: StopQuery for the query running, so it is not left to run on, billed."""
    for query_id in query.started[-1:]:  # the ones before it are complete
        query.stop(query_id)
    progress.finish()


def _runner(target: Target, err: TextIO) -> tuple[InsightsQuery, _Progress]:
    progress = _Progress(err)
    start_s, end_s = target.seconds
    query = InsightsQuery(
        target.conn,
        target.limiter,
        target.groups,
        start_s,
        end_s,
        on_progress=progress,
        cancel=threading.Event(),
    )
    return query, progress


# --- flowtui insights ------------------------------------------------------------------------


def run_insights(args: argparse.Namespace) -> int:
    conn, limiter = open_connection(args)
    now_ms = int(time.time() * 1000)
    time_range = time_range_from(args.since, args.until, now_ms // 1000)
    target = Target(conn, limiter, list(dict.fromkeys(args.query_groups)), time_range, now_ms)
    err = sys.stderr
    with source_errors():
        confirm_cost(target.estimate(), args.yes, err)
        query, progress = _runner(target, err)
        try:
            rows = query.run(args.query_text)
        except (KeyboardInterrupt, OperationCancelled):
            _stop_all(query, progress)
            raise KeyboardInterrupt from None
    progress.finish()
    write_raw_rows(rows, args.output, sys.stdout)
    return 0


def _cell(value: str) -> str:
    # Log content is data: control characters are escaped, never sent to the terminal.
    return value if value.isprintable() else value.encode("unicode_escape").decode("ascii")


def write_raw_rows(rows: list[dict[str, str]], output: str, out: TextIO) -> None:
    """Insights rows as an aligned table, CSV with a header, or JSON Lines."""
    columns = list(dict.fromkeys(name for row in rows for name in row))
    if output == "jsonl":
        for row in rows:
            out.write(orjson.dumps(row).decode() + "\n")
        return
    if output == "csv":
        frame = pl.DataFrame(
            {name: [row.get(name) for row in rows] for name in columns},
            schema=dict.fromkeys(columns, pl.String()),
        )
        out.write(frame.write_csv())
        return
    if not rows:
        out.write("(no rows)\n")
        return
    cells = [[_cell(row.get(name, "")) for name in columns] for row in rows]
    widths = [max(len(name), *(len(row[i]) for row in cells)) for i, name in enumerate(columns)]
    for line in (columns, ["-" * width for width in widths], *cells):
        out.write("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() + "\n")


# --- flowtui query --stats --engine ----------------------------------------------------------


def choose_engine(args: argparse.Namespace, target: Target) -> str:
    """`local` or `insights` for `--engine`; `auto` picks Insights for ranges estimated above
    the row cap (when the request can be run there exactly), and says so on stderr."""
    engine = getattr(args, "engine", "local") or "local"
    if engine != "auto":
        return str(engine)
    records = records_from_bytes(target.estimate().bytes)
    choice = auto_engine(estimated_records=records, row_cap=load_settings().row_cap)
    sys.stderr.write(f"engine: {choice.engine} ({choice.reason})\n")
    return choice.engine


def print_insights_stats(
    args: argparse.Namespace, target: Target, formats: list[LogFormat] | None, out: TextIO
) -> None:
    """The `--stats` tables computed by Insights, printed as the local engine prints them."""
    if getattr(args, "search", ""):
        raise UserError("--search cannot run in Insights: use --engine local, or --filter")
    output: Output
    match args.output:
        case None | "table":
            output = "table"
        case "csv":
            output = "csv"
        case "jsonl":
            output = "jsonl"
        case _:
            raise UserError("with --stats, --output is table, csv or jsonl")
    try:
        ast = parse_filter(args.filter) if args.filter else None
        counting = parse_counting(args.counting)
        request = make_request(formats or [], ast, target.now_ms // 1000, counting, args.stream)
    except FilterError as error:
        raise UserError(f"invalid --filter:\n{error.pointer()}") from None
    except (NotTranslatableError, ValueError) as error:
        raise UserError(f"cannot run this in Insights: {error}") from None
    start_s, end_s = target.seconds
    err = sys.stderr
    with source_errors():
        confirm_cost(target.estimate(), getattr(args, "yes", False), err)
        query, progress = _runner(target, err)
        kind: CliKind = args.stats
        try:
            tables = stats_for_cli(kind, request, query, start_s, end_s)
        except NotTranslatableError as error:
            raise UserError(f"cannot run this in Insights: {error}") from None
        except KeyboardInterrupt:
            _stop_all(query, progress)
            raise
    progress.finish()
    for table in tables:
        out.write(format_table(table, output))
        if output == "table":
            out.write("\n")
        elif table.note:
            err.write(f"{table.title}: {table.note}\n")
