"""The CloudWatch Logs subcommands: groups, streams, find, and `query --group` fetching (and
following) a log group's records, printed batch by batch."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TextIO

import polars as pl

from flowtui.commands.connection import (
    ensure_reachable,
    open_connection,
    print_notices,
    source_errors,
    time_range_from,
)
from flowtui.commands.output import (
    check_filter_syntax,
    filter_problem,
    format_time,
    print_stats,
    write_rows,
    write_table,
)
from flowtui.core.events import EventBatch
from flowtui.core.filter.compiler import compile_filter
from flowtui.core.filter.parser import parse_filter
from flowtui.core.filter.syntax import FilterError
from flowtui.core.formats import LogFormat
from flowtui.core.ingest import Ingestor
from flowtui.core.pushdown import to_filter_pattern
from flowtui.core.query import Query, TimeRange, TimeRangeError, check_time_range
from flowtui.core.store import RecordStore
from flowtui.core.wording import counted
from flowtui.errors import UserError
from flowtui.sources.aws import AccessDeniedError, AwsConnection, NotFoundError
from flowtui.sources.background import Background
from flowtui.sources.coverage import flow_log_notices, group_notices
from flowtui.sources.ec2 import shared_lookups
from flowtui.sources.fetch import fetch
from flowtui.sources.find import find
from flowtui.sources.log_groups import (
    LogGroupInfo,
    list_log_groups,
    list_streams,
    resolve_group,
)
from flowtui.sources.ratelimit import SYSTEM_CLOCK, RateLimiter
from flowtui.sources.tail import Tailer


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
    write_table(rows, out)
    for group in groups:
        for notice in group_notices(group):
            out.write(f"! {group.name}: {notice.message}\n")
    _orphan_flow_logs(conn, limiter, {group.name for group in groups}, out)
    print_notices(conn, limiter, sys.stderr)
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
                format_time(stream.last_event_ms),
                format_time(stream.last_ingestion_ms),
            ]
        )
    write_table(rows, sys.stdout)
    print_notices(conn, limiter, sys.stderr)
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
    print_notices(conn, limiter, sys.stderr)
    return 0


# --- query over a log group -------------------------------------------------------------


def group_formats(conn: AwsConnection, limiter: RateLimiter, group: str) -> list[LogFormat] | None:
    """The formats of the flow logs writing to `group`; None means detect them."""
    name = resolve_group(conn, limiter, group, None).name
    return list(shared_lookups(conn, limiter).formats_for_group(name)) or None


class _BatchPrinter:
    """Parses each fetched batch, filters it, and prints it: the output keeps pace with the
    fetch instead of waiting for the whole range."""

    def __init__(
        self, args: argparse.Namespace, formats: Callable[[], list[LogFormat] | None]
    ) -> None:
        self.store = RecordStore(row_cap=sys.maxsize)
        #: The group's formats (None: detect them), asked for at the first batch.
        self._formats = formats
        self._ingestor: Ingestor | None = None
        self.args = args
        self.count = 0
        self.previous: LogFormat | None = None
        self.filter_text: str = getattr(args, "filter", "")
        self.search_text: str = getattr(args, "search", "")
        self._lock = threading.Lock()
        if self.filter_text:
            try:
                self._ast = parse_filter(self.filter_text)
            except FilterError as error:
                raise filter_problem(error) from None

    def select(self, frame: pl.DataFrame, fields: list[str]) -> pl.DataFrame:
        """The rows of `frame` that pass --filter and --search."""
        if frame.height and self.filter_text:
            try:
                frame = frame.filter(compile_filter(self._ast, fields, int(time.time())))
            except FilterError as error:
                raise filter_problem(error) from None
        if frame.height and self.search_text:
            from flowtui.core.search import search_mask

            frame = frame.filter(search_mask(frame, self.search_text, fields))
        return frame

    def __call__(self, batch: EventBatch) -> None:
        with self._lock:
            if self._ingestor is None:
                self._ingestor = Ingestor(self.store, self._formats())
            result = self._ingestor.add_events(batch)
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
            if not self.args.follow:
                return  # written whole at the end: grouped by format, one header per format
            from flowtui.core.export import write_raw

            self.previous = write_raw(frame, formats, sys.stdout, previous=self.previous)
        else:
            write_rows(frame, formats, output, self.args.decode, sys.stdout)
        sys.stdout.flush()


def run_cloudwatch_query(args: argparse.Namespace) -> int:
    if getattr(args, "query_view", None):
        _apply_view(args)
    check_filter_syntax(args.filter)  # before connecting: a typo costs no API call
    now_s = int(time.time())
    view_range: TimeRange | None = getattr(args, "view_time_range", None)
    requested = view_range or time_range_from(args.since, args.until, now_s)
    conn, limiter = open_connection(args)
    group = args.query_group
    with source_errors():
        # EC2 (the formats) and CloudWatch Logs (retention, streams) answer side by side.
        formats_lookup = Background(partial(group_formats, conn, limiter, group), "flowtui-formats")
        time_range = _range_to_load(conn, limiter, group, requested, now_s * 1000)
        _check_streams(conn, limiter, group, args.stream)
        if args.filter or args.stats:
            # Push-down and the stats engine need the formats before the first page; a plain
            # fetch starts at once and parses its first page once they are known.
            formats_lookup.result()
            ensure_reachable(conn, limiter)
    formats = formats_lookup.result
    if args.stats and getattr(args, "engine", "local") != "local":
        from flowtui.commands.insights import Target, choose_engine, print_insights_stats

        with source_errors():
            name = resolve_group(conn, limiter, group).name
        target = Target(conn, limiter, [name], time_range, now_s * 1000)
        with source_errors():
            engine = choose_engine(args, target)
        if engine == "insights":
            print_insights_stats(args, target, formats(), sys.stdout)
            return 0
    printer = _BatchPrinter(args, formats)
    query = Query(
        group=group,
        time_range=time_range,
        streams=tuple(args.stream),
        filter_text=args.filter,
        pushdown_pattern=_pushdown(args.filter, formats() if args.filter else None, now_s),
    )
    tailer = None
    if args.follow:
        # Follow prints what arrives from the range's start on, never the lookback before it.
        start_ms = time_range.start_ms
        tailer = Tailer(conn, limiter, query, printer, SYSTEM_CLOCK, not_before_ms=start_ms)

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
        snapshot = printer.store.snapshot()
        print_stats(printer.select(snapshot.frame(), snapshot.fields), args, sys.stdout)
    elif (args.output or "jsonl") == "count":
        sys.stdout.write(f"{printer.count}\n")
    elif args.output == "raw" and not args.follow:
        snapshot = printer.store.snapshot()
        frame = printer.select(snapshot.frame(), snapshot.fields)
        write_rows(frame, snapshot.formats, "raw", False, sys.stdout)
    if printer.store.malformed_count:
        skipped = counted(printer.store.malformed_count, "malformed line")
        sys.stderr.write(f"{skipped} skipped\n")


def group_info(conn: AwsConnection, limiter: RateLimiter, group: str) -> LogGroupInfo | None:
    """The group's retention and creation time; None when they cannot be read (a group shared
    from another account, no logs:DescribeLogGroups). NotFoundError when it does not exist."""
    ref = resolve_group(conn, limiter, group)
    if ref.identifier:
        return None
    try:
        # Retention and creation time only: the flow logs are looked up beside this call.
        infos = list_log_groups(conn, limiter, prefix=ref.name, mark_flow_logs=False)
    except AccessDeniedError:
        return None
    info = next((info for info in infos if info.name == ref.name), None)
    if info is None:
        raise NotFoundError(f"log group {ref.name} does not exist in region {conn.region}")
    return info


def _range_to_load(
    conn: AwsConnection, limiter: RateLimiter, group: str, requested: TimeRange, now_ms: int
) -> TimeRange:
    """The requested range, checked against what the group can hold (core's
    check_time_range), with its start fixed so that the fetch and the tail agree on it."""
    info = group_info(conn, limiter, group)
    try:
        checked = check_time_range(
            requested,
            now_ms,
            retention_days=info.retention_days if info else None,
            created_ms=info.creation_time_ms if info else None,
        )
    except TimeRangeError as error:
        raise UserError(str(error)) from None
    if checked.note:
        sys.stderr.write(f"note: {checked.note}\n")
    start_ms, _ = checked.time_range.resolve(now_ms)
    return TimeRange.between(start_ms, checked.time_range.end_ms)


def _check_streams(
    conn: AwsConnection, limiter: RateLimiter, group: str, streams: list[str]
) -> None:
    """A stream that does not exist is an error, as a group that does not exist is."""
    for stream in streams:
        try:
            found = [
                info.name
                for info in list_streams(conn, limiter, group, prefix=stream, enrich=False)
            ]
        except AccessDeniedError:
            return  # streams cannot be listed; they are still read by name
        if stream not in found:
            hint = f" (did you mean '{found[0]}'?)" if found else ""
            raise UserError(
                f"no stream '{stream}' in log group {group}{hint}; "
                f"`flowtui streams --group {group}` lists them",
                exit_code=1,
            )


def _pushdown(text: str, formats: list[LogFormat] | None, now_s: int) -> str | None:
    if not text or not formats:
        return None
    try:
        return to_filter_pattern(parse_filter(text), formats, now_s=now_s).pattern
    except FilterError as error:
        raise filter_problem(error) from None


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
