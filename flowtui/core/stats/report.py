"""Several stats tables at once, the records counted once for all of them (the stats view's
overview, `flowtui query --stats`), and tables as aligned text, CSV or JSON Lines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import orjson
import polars as pl

from flowtui.core.stats.counting import Counting, StatsTable, count_records
from flowtui.core.stats.grouping import NULL_TEXT, check_limit
from flowtui.core.stats.talkers import (
    DEFAULT_LIMIT,
    METRICS,
    REJECTED_PORT_FIELDS,
    REJECTED_SOURCE_FIELDS,
    SIDES,
    rejected_ports_table,
    rejected_sources_table,
    talkers_table,
)
from flowtui.core.stats.timeline import timeline
from flowtui.core.stats.values import COUNT_FIELDS, counts_table

Output = Literal["table", "csv", "jsonl"]
CliKind = Literal["talkers", "ports", "timeline"]
CLI_KINDS: tuple[CliKind, ...] = ("talkers", "ports", "timeline")


# ---------------------------------------------------------------------------------------------
# Several tables at once: the records are counted once for all of them


_OVERVIEW_FIELDS = (
    "srcaddr",
    "dstaddr",
    *METRICS,
    *REJECTED_PORT_FIELDS,
    *COUNT_FIELDS,
)


def stats_overview(
    frame: pl.DataFrame,
    counting: Counting = Counting.ALL_RECORDS,
    eni_labels: Mapping[str, str] | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[StatsTable]:
    """The stats view's tables, in display order: top talkers (sources, destinations, pairs)
    by bytes then by packets, rejected ports and sources, and counts per action, log-status,
    protocol and ENI. Faster than one call per table: the records are counted once.
    """
    check_limit(limit)
    counted = count_records(frame, counting, _OVERVIEW_FIELDS)
    return [
        *(talkers_table(counted, side, metric, limit) for metric in METRICS for side in SIDES),
        rejected_ports_table(counted, limit),
        rejected_sources_table(counted, limit),
        *(counts_table(counted, field, eni_labels) for field in COUNT_FIELDS),
    ]


# ---------------------------------------------------------------------------------------------
# Headless output


def _cell_text(value: object) -> str:
    if value is None:
        return NULL_TEXT
    if isinstance(value, float):
        return f"{value:.2f}"
    text = str(value)
    # Log content is data: escape control characters so they cannot drive the terminal.
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _text_table(table: StatsTable) -> str:
    header = table.columns
    cells = [[_cell_text(value) for value in row] for row in table.rows.iter_rows()]
    widths = [max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(header)]
    numeric = [dtype.is_numeric() for dtype in table.rows.dtypes]

    def line(values: Sequence[str]) -> str:
        aligned = (
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(values, widths, numeric, strict=True)
        )
        return "  ".join(aligned).rstrip()

    body = [line(row) for row in cells] or ["(no rows)"]
    lines = [table.title, line(header), line(["-" * width for width in widths]), *body, table.note]
    return "\n".join(lines) + "\n"


def _jsonl(table: StatsTable) -> str:
    lines = (
        orjson.dumps({"table": table.title, **row}).decode("utf-8")
        for row in table.rows.iter_rows(named=True)
    )
    return "".join(line + "\n" for line in lines)


def format_table(table: StatsTable, output: Output) -> str:
    """A table as plain aligned text (title, rows, note), CSV with a header, or JSON Lines.

    Each JSON line carries the table's title under "table", so several tables can share a stream.
    """
    if output == "table":
        return _text_table(table)
    if output == "csv":
        return table.rows.write_csv()
    if output == "jsonl":
        return _jsonl(table)
    raise ValueError(f"unknown output '{output}': choose table, csv or jsonl")


def stats_for_cli(
    kind: CliKind, frame: pl.DataFrame, counting: Counting = Counting.ALL_RECORDS
) -> list[StatsTable]:
    """The tables `flowtui query --stats KIND` prints.

    talkers: top sources, destinations and pairs by bytes; ports: top rejected destination
    ports and rejected sources; timeline: the time buckets.
    """
    if kind == "talkers":
        counted = count_records(frame, counting, ["srcaddr", "dstaddr", *METRICS])
        return [talkers_table(counted, side, "bytes", DEFAULT_LIMIT) for side in SIDES]
    if kind == "ports":
        counted = count_records(frame, counting, [*REJECTED_PORT_FIELDS, *REJECTED_SOURCE_FIELDS])
        return [
            rejected_ports_table(counted, DEFAULT_LIMIT),
            rejected_sources_table(counted, DEFAULT_LIMIT),
        ]
    if kind == "timeline":
        return [timeline(frame, counting)]
    raise ValueError(f"unknown stats '{kind}': choose {', '.join(CLI_KINDS)}")
