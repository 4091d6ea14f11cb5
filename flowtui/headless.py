"""The headless subcommands: the same core and sources as the app, printing to stdout."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal, TextIO

import polars as pl

from flowtui.core.fields import UnknownFieldError
from flowtui.core.formats import FormatError, LogFormat, parse_format
from flowtui.core.ingest import Ingestor, IngestResult
from flowtui.core.parse import FormatUndetectedError, MalformedLine
from flowtui.core.store import RecordStore, StoreSnapshot
from flowtui.core.tabular import csv_to_table, jsonl_to_table, table_to_batch
from flowtui.errors import UserError
from flowtui.sources.files import InputError, read_blocks, read_text, sniff

if TYPE_CHECKING:
    from flowtui.ui.app import Start

UNLIMITED_ROWS = sys.maxsize


def _formats_from(args: argparse.Namespace) -> list[LogFormat] | None:
    text = getattr(args, "log_format", None)
    if not text:
        return None
    try:
        return [parse_format(text)]
    except (FormatError, UnknownFieldError) as error:
        raise UserError(f"invalid --log-format: {error}") from None


def _report_malformed(lines: Iterable[MalformedLine], err: TextIO) -> None:
    for line in lines:
        err.write(f"{line.location()}: {line.reason}\n")


def load_files(
    paths: list[str], formats: list[LogFormat] | None, err: TextIO
) -> tuple[RecordStore, Ingestor]:
    """Read files (or stdin) into a store, reporting malformed lines on `err` as they come."""
    store = RecordStore(row_cap=UNLIMITED_ROWS)
    ingestor = Ingestor(store, formats)
    for path in paths or ["-"]:
        try:
            kind = sniff(path) if path != "-" else "lines"
            if kind != "lines":
                _load_export(store, path, kind, err)
                continue
            for block in read_blocks(path):
                result: IngestResult = ingestor.add_block(
                    block.data, block.first_line_number, block.origin
                )
                _report_malformed(result.malformed, err)
        except InputError as error:
            raise UserError(str(error)) from None
    try:
        ingestor.check_detected()
    except FormatUndetectedError as error:
        raise UserError(str(error)) from None
    return store, ingestor


def _load_export(store: RecordStore, path: str, kind: str, err: TextIO) -> None:
    """A CSV or JSON Lines export of flowtui's: rebuilt into lines in its own format."""
    text = read_text(path)
    if kind == "jsonl":
        table, malformed = jsonl_to_table(text.splitlines(), path, 1)
        _report_malformed(malformed, err)
        store.add_malformed(malformed)
    else:
        try:
            table = csv_to_table(text, path)
        except pl.exceptions.PolarsError as error:
            raise UserError(f"{path}: not a CSV export flowtui can read ({error})") from None
    if table.height == 0:
        return
    try:
        fmt, batch = table_to_batch(table, path)
    except ValueError as error:
        raise UserError(str(error)) from None
    result = Ingestor(store, [fmt]).add_events(batch)
    _report_malformed(result.malformed, err)


def _view_frame(snapshot: StoreSnapshot, args: argparse.Namespace) -> pl.DataFrame:
    predicate = _filter_expression(args, snapshot)
    frame = snapshot.frame()
    if predicate is not None:
        frame = frame.filter(predicate)
    search_text = getattr(args, "search", "")
    if search_text:
        from flowtui.core.search import search_mask

        frame = frame.filter(search_mask(frame, search_text, snapshot.fields))
    return frame


def _filter_expression(args: argparse.Namespace, snapshot: StoreSnapshot) -> pl.Expr | None:
    text = getattr(args, "filter", "")
    if not text:
        return None
    from flowtui.core.filter import FilterError, compile_filter, parse_filter

    try:
        return compile_filter(parse_filter(text), snapshot.fields, int(time.time()))
    except FilterError as error:
        raise UserError(f"invalid --filter:\n{error.pointer()}") from None


def run_query(args: argparse.Namespace) -> int:
    if getattr(args, "query_group", None) or getattr(args, "query_view", None):
        from flowtui.headless_aws import run_cloudwatch_query

        return run_cloudwatch_query(args)
    formats = _formats_from(args)
    store, _ingestor = load_files(list(args.files), formats, sys.stderr)
    snapshot = store.snapshot()
    frame = _view_frame(snapshot, args)
    out = sys.stdout
    if args.stats:
        print_stats(frame, args, out)
    else:
        write_rows(frame, snapshot.formats, args.output or "jsonl", args.decode, out)
    out.flush()
    if store.malformed_count:
        sys.stderr.write(f"{store.malformed_count} malformed line(s) skipped\n")
    return 0


def write_rows(
    frame: pl.DataFrame,
    formats: tuple[LogFormat, ...],
    output: str,
    decode: bool,
    out: TextIO,
) -> None:
    if output == "count":
        out.write(f"{frame.height}\n")
        return
    from flowtui.core import export

    if output == "raw":
        export.write_raw(frame, formats, out)
    elif output == "csv":
        export.write_csv(frame, formats, out)
    elif output == "jsonl":
        decoder = None
        if decode:
            from flowtui.core.decode import decode_for_json

            decoder = decode_for_json
        export.write_jsonl(frame, formats, out, decode=decoder)
    else:
        raise UserError(f"unknown --output '{output}': use jsonl, csv, raw or count")


def print_stats(frame: pl.DataFrame, args: argparse.Namespace, out: TextIO) -> None:
    from flowtui.core import stats

    output: Literal["table", "csv", "jsonl"]
    match args.output:
        case None | "table":
            output = "table"
        case "csv" | "jsonl":
            output = args.output
        case _:
            raise UserError("with --stats, --output is table, csv or jsonl")
    try:
        counting = stats.parse_counting(args.counting)
    except ValueError as error:
        raise UserError(str(error)) from None
    for table in stats.stats_for_cli(args.stats, frame, counting):
        out.write(stats.format_table(table, output))
        if output == "table":
            out.write("\n")
        elif table.note:
            # csv and jsonl stay machine-readable; the note (counting used, missing fields)
            # goes where a person sees it.
            sys.stderr.write(f"{table.title}: {table.note}\n")


# --- the interactive app, the demo, saved views ------------------------------------------


def run_app(args: argparse.Namespace) -> int:
    from flowtui.sources.aws import SourceError
    from flowtui.ui.app import Start
    from flowtui.ui.cloudwatch_backend import create_backend
    from flowtui.ui.launch import run_app as launch

    start = Start(group=args.group)
    if args.view:
        start = _start_from_view(args)
    try:
        return launch(args, create_backend=create_backend, start=start)
    except SourceError as error:
        raise UserError(error.message) from None


def _start_from_view(args: argparse.Namespace) -> Start:
    """`flowtui --view NAME`: the view's source and time range, filter and follow state."""
    from flowtui.core.views import ViewError, ViewStore

    try:
        view = ViewStore().get(args.view)
    except ViewError as error:
        raise UserError(str(error)) from None
    source = view.source
    args.profile = args.profile or source.profile
    args.region = args.region or source.region
    args.endpoint_url = args.endpoint_url or source.endpoint_url
    return Start(query=view.to_query(), filter_text=view.filter_text, follow=view.follow, view=view)


def run_demo(args: argparse.Namespace) -> int:
    from flowtui.demo.server import DemoUnavailableError, EndpointError

    try:
        if args.serve:
            from flowtui.demo.serve import serve

            serve(sys.stdout, rate=args.rate)
            return 0
        return _run_demo_app(args)
    except (DemoUnavailableError, EndpointError) as error:
        raise UserError(str(error)) from None


def _run_demo_app(args: argparse.Namespace) -> int:
    import os

    from flowtui.demo.serve import start_demo
    from flowtui.demo.server import DEMO_CREDENTIALS
    from flowtui.ui.app import Start
    from flowtui.ui.cloudwatch_backend import create_backend
    from flowtui.ui.launch import run_app as launch

    sys.stderr.write("flowtui: starting the embedded AWS endpoint and its traffic...\n")
    with start_demo(rate=args.rate) as session:
        # Dummy credentials of the local endpoint only; they never leave this process.
        os.environ["AWS_ACCESS_KEY_ID"] = DEMO_CREDENTIALS["aws_access_key_id"]
        os.environ["AWS_SECRET_ACCESS_KEY"] = DEMO_CREDENTIALS["aws_secret_access_key"]
        os.environ.pop("AWS_SESSION_TOKEN", None)
        os.environ.pop("AWS_PROFILE", None)
        args.endpoint_url = session.url
        args.region = session.region
        args.profile = None
        start = Start(group=session.account.main_group)
        return launch(args, create_backend=create_backend, start=start)


def run_views(args: argparse.Namespace) -> int:
    from flowtui.core.views import ViewError, ViewStore

    store = ViewStore()
    for problem in store.problems:
        sys.stderr.write(f"note: {problem}\n")
    try:
        if args.views_command == "list":
            for view in store.list():
                source = view.source
                where = source.log_group or "-"
                sys.stdout.write(f"{view.name}\t{where}\t{view.filter_text}\n")
        elif args.views_command == "show":
            import orjson

            view = store.get(args.name)
            sys.stdout.write(orjson.dumps(view.to_dict(), option=orjson.OPT_INDENT_2).decode())
            sys.stdout.write("\n")
        elif args.views_command == "rm":
            store.delete(args.name)
            sys.stdout.write(f"deleted view {args.name!r}\n")
    except ViewError as error:
        raise UserError(str(error)) from None
    return 0
