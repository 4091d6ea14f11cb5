"""`flowtui query` over files and stdin: read them into a store, filter, and print records or
stats; `query --group` / `--view` go to the CloudWatch fetch instead."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from typing import TextIO

import polars as pl

from flowtui.commands.output import check_filter_syntax, filter_problem, print_stats, write_rows
from flowtui.core.fields import UnknownFieldError
from flowtui.core.formats import FormatError, LogFormat, parse_format
from flowtui.core.ingest import Ingestor, IngestResult
from flowtui.core.parse import FormatUndetectedError, MalformedLine
from flowtui.core.store import RecordStore, StoreSnapshot
from flowtui.core.tabular import csv_to_table, jsonl_to_table, table_to_batch
from flowtui.core.wording import counted
from flowtui.errors import UserError
from flowtui.sources.files import InputError, read_blocks, read_text, sniff

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
    from flowtui.core.filter.compiler import compile_filter
    from flowtui.core.filter.parser import parse_filter
    from flowtui.core.filter.syntax import FilterError

    try:
        return compile_filter(parse_filter(text), snapshot.fields, int(time.time()))
    except FilterError as error:
        raise filter_problem(error) from None


def run_query(args: argparse.Namespace) -> int:
    if getattr(args, "query_group", None) or getattr(args, "query_view", None):
        from flowtui.commands.cloudwatch import run_cloudwatch_query

        return run_cloudwatch_query(args)
    formats = _formats_from(args)
    check_filter_syntax(getattr(args, "filter", ""))  # before reading: a typo reads nothing
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
        sys.stderr.write(f"{counted(store.malformed_count, 'malformed line')} skipped\n")
    return 0
