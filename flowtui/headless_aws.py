"""Headless subcommands that talk to AWS: groups, streams, find, and query over a log group."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TextIO

import polars as pl

from flowtui.core.events import EventBatch
from flowtui.core.filter import FilterError, compile_filter, parse_filter
from flowtui.core.formats import LogFormat
from flowtui.core.ingest import Ingestor
from flowtui.core.pushdown import to_filter_pattern
from flowtui.core.query import Query, TimeRange
from flowtui.core.store import RecordStore
from flowtui.core.timeparse import TimeSpecError, parse_duration, parse_time
from flowtui.errors import UserError
from flowtui.sources.aws import AwsConnection, ConnectionOptions, SourceError, connect
from flowtui.sources.cloudwatch import fetch, list_log_groups, list_streams, resolve_group
from flowtui.sources.coverage import flow_log_notices, group_notices
from flowtui.sources.ec2 import shared_lookups
from flowtui.sources.find import find
from flowtui.sources.ratelimit import SYSTEM_CLOCK, RateLimiter, limiter_for
from flowtui.sources.tail import Tailer

DEFAULT_SINCE = "1h"
#: A one-shot command says the endpoint is unreachable after this long (follow rides it out).
ONE_SHOT_PATIENCE_S = 8.0


@contextmanager
def source_errors() -> Iterator[None]:
    """A source failure is one line for the user, never a traceback."""
    try:
        yield
    except SourceError as error:
        raise UserError(error.message) from None


def open_connection(args: argparse.Namespace) -> tuple[AwsConnection, RateLimiter]:
    options = ConnectionOptions(
        profile=getattr(args, "profile", None),
        region=getattr(args, "region", None),
        endpoint_url=getattr(args, "endpoint_url", None),
    )
    with source_errors():
        conn = connect(options)
    limiter = limiter_for(conn)
    if not getattr(args, "follow", False):
        limiter.set_patience(ONE_SHOT_PATIENCE_S)
    budget = getattr(args, "rate_budget", None)
    if budget:
        limiter.set_budget(budget)
    return conn, limiter


def _time(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _table(rows: list[list[str]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        out.write("\n")


def _notices(conn: AwsConnection, limiter: RateLimiter, err: TextIO) -> None:
    for notice in shared_lookups(conn, limiter).notices:
        err.write(f"note: {notice}\n")


def run_groups(args: argparse.Namespace) -> int:
    conn, limiter = open_connection(args)
    with source_errors():
        groups = list_log_groups(conn, limiter)
    out = sys.stdout
    rows = [["LOG GROUP", "FLOW LOGS"]]
    for group in groups:
        if group.flow_logs:
            described = ", ".join(
                f"{f.format.summary() if f.format else 'unreadable format'} on {f.resource_id}"
                f" ({f.traffic_type}, {f.delivery_status or 'status unknown'})"
                for f in group.flow_logs
            )
        else:
            described = "-" if group.flow_logs_known else "unknown (no ec2:DescribeFlowLogs)"
        rows.append([group.name, described])
    _table(rows, out)
    for group in groups:
        for notice in group_notices(group):
            out.write(f"! {group.name}: {notice.message}\n")
    _orphan_flow_logs(conn, limiter, {group.name for group in groups}, out)
    _notices(conn, limiter, sys.stderr)
    return 0


def _orphan_flow_logs(
    conn: AwsConnection, limiter: RateLimiter, group_names: set[str], out: TextIO
) -> None:
    """Flow logs whose log group does not exist deliver nothing: say so, with their error."""
    for flow_log in shared_lookups(conn, limiter).flow_logs() or ():
        if flow_log.destination_type != "cloud-watch-logs" or flow_log.log_group in group_names:
            continue
        out.write(
            f"! flow log {flow_log.id} on {flow_log.resource_id} delivers to "
            f"{flow_log.log_group}, which does not exist"
        )
        notices = [notice.message for notice in flow_log_notices(flow_log)]
        out.write(f": {'; '.join(notices)}\n" if notices else "\n")


def run_streams(args: argparse.Namespace) -> int:
    conn, limiter = open_connection(args)
    with source_errors():
        streams = list_streams(conn, limiter, args.query_group)
    rows = [["STREAM", "ENI", "BELONGS TO", "LAST EVENT", "LAST INGESTION"]]
    for stream in streams:
        rows.append(
            [
                stream.name,
                stream.eni_id or "-",
                stream.label if stream.eni is not None else "-",
                _time(stream.last_event_ms),
                _time(stream.last_ingestion_ms),
            ]
        )
    _table(rows, sys.stdout)
    _notices(conn, limiter, sys.stderr)
    return 0


def run_find(args: argparse.Namespace) -> int:
    conn, limiter = open_connection(args)
    with source_errors():
        groups = [g.name for g in list_log_groups(conn, limiter) if g.flow_logs]
        results = find(conn, limiter, args.target, groups=groups)
    out = sys.stdout
    if not results:
        out.write(f"no network interface matches {args.target!r}\n")
        return 1
    for result in results:
        out.write(f"{result.eni.id}  {result.eni.label}  (matched by {result.matched_by})\n")
        for location in result.streams:
            out.write(f"  stream {location.stream} in {location.group}\n")
        if not result.streams:
            out.write("  no stream holds it in any flow-log group\n")
        out.write(f"  {result.coverage}\n")
    _notices(conn, limiter, sys.stderr)
    return 0


# --- query over a log group -------------------------------------------------------------


def time_range_from(since: str | None, until: str | None, now_s: int) -> TimeRange:
    """--since / --until as a time range: relative stays relative (a view means the same
    tomorrow), anything else is absolute."""
    since = since or DEFAULT_SINCE
    try:
        if until is None and _is_duration(since):
            return TimeRange.last(parse_duration(since.lstrip("-")))
        start = parse_time(_as_relative(since), now_s)
        end = parse_time(_as_relative(until), now_s) if until else None
    except TimeSpecError as error:
        raise UserError(f"invalid time: {error}") from None
    if end is not None and end <= start:
        raise UserError("--until must be later than --since")
    return TimeRange.between(start * 1000, end * 1000 if end is not None else None)


def _is_duration(text: str) -> bool:
    try:
        parse_duration(text.lstrip("-"))
    except TimeSpecError:
        return False
    return True


def _as_relative(text: str) -> str:
    """`15m` means 15 minutes ago, as `-15m` does."""
    return f"-{text}" if _is_duration(text) and not text.startswith("-") else text


def group_formats(conn: AwsConnection, limiter: RateLimiter, group: str) -> list[LogFormat] | None:
    """The formats of the flow logs writing to `group`; None means detect them."""
    name = resolve_group(conn, limiter, group, None).name
    return list(shared_lookups(conn, limiter).formats_for_group(name)) or None


class _BatchPrinter:
    """Parses each fetched batch, filters it, and prints it: the output keeps pace with the
    fetch instead of waiting for the whole range."""

    def __init__(self, args: argparse.Namespace, formats: list[LogFormat] | None) -> None:
        from flowtui.headless import write_rows

        self.store = RecordStore(row_cap=sys.maxsize)
        self.ingestor = Ingestor(self.store, formats)
        self.args = args
        self.count = 0
        self.previous: LogFormat | None = None
        self.filter_text: str = getattr(args, "filter", "")
        self.search_text: str = getattr(args, "search", "")
        self._write_rows = write_rows
        self._lock = threading.Lock()
        if self.filter_text:
            try:
                self._ast = parse_filter(self.filter_text)
            except FilterError as error:
                raise UserError(f"invalid --filter:\n{error.pointer()}") from None

    def select(self, frame: pl.DataFrame, fields: list[str]) -> pl.DataFrame:
        """The rows of `frame` that pass --filter and --search."""
        if frame.height and self.filter_text:
            try:
                frame = frame.filter(compile_filter(self._ast, fields, int(time.time())))
            except FilterError as error:
                raise UserError(f"invalid --filter:\n{error.pointer()}") from None
        if frame.height and self.search_text:
            from flowtui.core.search import search_mask

            frame = frame.filter(search_mask(frame, self.search_text, fields))
        return frame

    def __call__(self, batch: EventBatch) -> None:
        with self._lock:
            result = self.ingestor.add_events(batch)
            for line in result.malformed:
                sys.stderr.write(f"{line.location()}: {line.reason}\n")
            snapshot = self.store.snapshot()
            frame = self.select(snapshot.since(result.appended.first_row_id), snapshot.fields)
            self._emit(frame)

    def _emit(self, frame: pl.DataFrame) -> None:
        output = self.args.output or "jsonl"
        if output == "count" or self.args.stats:
            self.count += frame.height
            return
        formats = self.store.snapshot().formats
        if output == "raw":
            from flowtui.core.export import write_raw

            self.previous = write_raw(frame, formats, sys.stdout, previous=self.previous)
        else:
            self._write_rows(frame, formats, output, self.args.decode, sys.stdout)
        sys.stdout.flush()


def run_cloudwatch_query(args: argparse.Namespace) -> int:
    if getattr(args, "query_view", None):
        _apply_view(args)
    conn, limiter = open_connection(args)
    group = args.query_group
    now_s = int(time.time())
    view_range: TimeRange | None = getattr(args, "view_time_range", None)
    time_range = view_range or time_range_from(args.since, args.until, now_s)
    with source_errors():
        formats = group_formats(conn, limiter, group)
    printer = _BatchPrinter(args, formats)
    query = Query(
        group=group,
        time_range=time_range,
        streams=tuple(args.stream),
        filter_text=args.filter,
        pushdown_pattern=_pushdown(args.filter, formats, now_s),
    )
    tailer = Tailer(conn, limiter, query, printer, SYSTEM_CLOCK) if args.follow else None

    def on_batch(batch: EventBatch) -> None:
        if tailer is not None:
            tailer.mark_seen(batch)
        printer(batch)

    with source_errors():
        fetch(conn, limiter, query, on_batch)
        if tailer is not None:
            _follow(tailer)
    _finish(printer, args)
    return 0


def _follow(tailer: Tailer) -> None:
    stop = threading.Event()
    try:
        tailer.run(stop)
    except KeyboardInterrupt:
        stop.set()


def _finish(printer: _BatchPrinter, args: argparse.Namespace) -> None:
    if args.stats:
        from flowtui.headless import print_stats

        snapshot = printer.store.snapshot()
        print_stats(printer.select(snapshot.frame(), snapshot.fields), args, sys.stdout)
    elif (args.output or "jsonl") == "count":
        sys.stdout.write(f"{printer.count}\n")
    if printer.store.malformed_count:
        sys.stderr.write(f"{printer.store.malformed_count} malformed line(s) skipped\n")


def _pushdown(text: str, formats: list[LogFormat] | None, now_s: int) -> str | None:
    if not text or not formats:
        return None
    try:
        return to_filter_pattern(parse_filter(text), formats, now_s=now_s).pattern
    except FilterError as error:
        raise UserError(f"invalid --filter:\n{error.pointer()}") from None


def _apply_view(args: argparse.Namespace) -> None:
    """`flowtui query --view NAME`: the view's source, time range and filter, unless given."""
    from flowtui.core.views import ViewError, ViewStore

    try:
        view = ViewStore().get(args.query_view)
    except ViewError as error:
        raise UserError(str(error)) from None
    source = view.source
    args.query_group = args.query_group or source.log_group
    args.profile = getattr(args, "profile", None) or source.profile
    args.region = getattr(args, "region", None) or source.region
    args.endpoint_url = getattr(args, "endpoint_url", None) or source.endpoint_url
    args.stream = args.stream or list(source.streams)
    args.filter = args.filter or view.filter_text
    args.search = args.search or view.search_text
    if args.since is None and args.until is None:
        args.view_time_range = view.time_range


def run_explain(args: argparse.Namespace) -> int:
    """`flowtui explain --group G RECORD`: which network ACL rule or security group decided it."""
    import orjson

    from flowtui.sources.network import explain_line

    conn, limiter = open_connection(args)
    lookups = shared_lookups(conn, limiter)
    with source_errors():
        verdict = explain_line(conn, limiter, args.query_group, args.record, None, lookups=lookups)
    out = sys.stdout
    if args.output == "json":
        out.write(orjson.dumps(verdict.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        out.write(verdict.text + "\n")
        for step in verdict.steps:
            out.write(f"  - {step}\n")
        for action in verdict.missing:
            out.write(f"  missing permission {action}: part of the path could not be checked\n")
    _notices(conn, limiter, sys.stderr)
    return 0
