"""What the subcommands print: records in an output format, stats tables, aligned text tables
and timestamps."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Literal, TextIO

import polars as pl

from flowtui.core.filter.syntax import FilterError
from flowtui.core.formats import LogFormat
from flowtui.errors import UserError


def filter_problem(error: FilterError, option: str = "--filter") -> UserError:
    """A filter that does not parse or fit the records, as the user sees it: the reason
    (with its "did you mean"), then the expression with a caret under the offending part."""
    pointer = "\n".join(f"  {line}" for line in error.pointer().splitlines())
    return UserError(f"invalid {option}: {error.message}\n{pointer}")


def check_filter_syntax(text: str, option: str = "--filter") -> None:
    """Refuse a filter that does not parse before any input is read or any call is made."""
    if text:
        from flowtui.core.filter.parser import parse_filter

        try:
            parse_filter(text)
        except FilterError as error:
            raise filter_problem(error, option) from None


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
    from flowtui.core.stats.counting import parse_counting
    from flowtui.core.stats.report import format_table, stats_for_cli

    output: Literal["table", "csv", "jsonl"]
    match args.output:
        case None | "table":
            output = "table"
        case "csv" | "jsonl":
            output = args.output
        case _:
            raise UserError("with --stats, --output is table, csv or jsonl")
    try:
        counting = parse_counting(args.counting)
    except ValueError as error:
        raise UserError(str(error)) from None
    for table in stats_for_cli(args.stats, frame, counting):
        out.write(format_table(table, output))
        if output == "table":
            out.write("\n")
        elif table.note:
            # csv and jsonl stay machine-readable; the note (counting used, missing fields)
            # goes where a person sees it.
            sys.stderr.write(f"{table.title}: {table.note}\n")


def format_time(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_table(rows: list[list[str]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        out.write("\n")
