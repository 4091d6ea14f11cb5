"""One Insights stats request: how the group's records are read, the filter and the counting,
and the helpers every table uses to turn Insights' text rows back into the local engine's types.

Pure: a query is run by the caller's `RunQuery` (the sources do the I/O).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from flowtui.core.filter.syntax import FilterAst
from flowtui.core.formats import LogFormat
from flowtui.core.insights.translate import (
    InsightsFields,
    NotTranslatableError,
    insights_fields,
    query_head,
    string_literal,
)
from flowtui.core.schema import ipv4_text, ipv4_to_int
from flowtui.core.stats.counting import (
    COUNTING_NOTES,
    Counting,
    StatsTable,
    missing_fields_table,
)
from flowtui.core.stats.grouping import NULL_TEXT

#: Rows Insights returns at most for one query (older SDKs and accounts).
ROW_CAP = 10_000

Row = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class QueryResult:
    rows: Sequence[Row]
    capped: bool  # the rows stopped at the cap: there may be more


#: Runs a query text over the request's groups and time range; returns its rows.
RunQuery = Callable[[str], QueryResult]


@dataclass(frozen=True, slots=True)
class InsightsRequest:
    """What every table of one request shares: how fields are read, the filter, the counting."""

    fields: InsightsFields
    head: tuple[str, ...]
    counting: Counting
    #: Fields the counting needs that the records lack (the tables are then unavailable).
    counting_missing: tuple[str, ...] = ()

    def query(self, *commands: str, extra_filter: str | None = None) -> str:
        head = list(self.head)
        if extra_filter:
            head.append(f"filter {extra_filter}")
        return " | ".join([*head, *commands])

    def name(self, aws_field: str) -> str:
        return self.fields.name(aws_field)

    def has(self, aws_field: str) -> bool:
        return self.fields.has(aws_field)

    @property
    def note(self) -> str:
        return COUNTING_NOTES[self.counting]


def make_request(
    formats: Sequence[LogFormat],
    ast: FilterAst | None,
    now_s: int,
    counting: Counting = Counting.ALL_RECORDS,
    streams: Sequence[str] = (),
) -> InsightsRequest:
    """The request for a group's formats, a filter and (optionally) some of its streams;
    NotTranslatableError says why it cannot be run exactly."""
    if counting is Counting.ONE_PER_FLOW:
        raise NotTranslatableError(
            "one-per-flow counting keeps the first record of each 5-tuple and window, which "
            "needs every record on the client: use the local engine (--engine local)"
        )
    fields = insights_fields(formats)
    extra: list[str] = []
    missing: tuple[str, ...] = ()
    if counting is Counting.EGRESS_ONLY:
        if fields.has("flow-direction"):
            extra.append(f'{fields.name("flow-direction")} = "egress"')
        else:
            missing = ("flow-direction",)
    if streams:
        listed = ", ".join(string_literal(stream) for stream in streams)
        extra.append(f"@logStream in [{listed}]")
    head = query_head(fields, ast, now_s, extra)
    return InsightsRequest(fields, tuple(head), counting, missing)


# --- values from Insights' text --------------------------------------------------------------


def integer(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return None  # "-" and other text
        return int(number) if number.is_integer() else None


def address_parts(value: str | None) -> tuple[int | None, str | None]:
    """(IPv4 as an integer, IPv6 text as written); both None for "-" or no value."""
    if value is None or value == NULL_TEXT:
        return None, None
    try:
        return ipv4_to_int(value), None
    except ValueError:
        pass
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return None, None
    return None, value


def address_columns(rows: Iterable[Row], name: str, prefix: str) -> dict[str, pl.Series]:
    parts = [address_parts(row.get(name)) for row in rows]
    return {
        prefix + "4": pl.Series([p[0] for p in parts], dtype=pl.UInt32()),
        prefix + "6": pl.Series([p[1] for p in parts], dtype=pl.String()),
    }


def number_column(rows: Iterable[Row], name: str, dtype: pl.DataType) -> pl.Series:
    return pl.Series([integer(row.get(name)) for row in rows], dtype=dtype)


def address_text(prefix: str) -> pl.Expr:
    return pl.coalesce(ipv4_text(pl.col(prefix + "4")), pl.col(prefix + "6"), pl.lit(NULL_TEXT))


def share(metric: str, total: int) -> pl.Expr:
    """As the local engine: percentage of `total` to two decimals; 0 when the total is 0."""
    if total == 0:
        return pl.lit(0.0).alias("share_pct")
    return (pl.col(metric) * (100.0 / total)).round(2).alias("share_pct")


def ranked(
    frame: pl.DataFrame, metric: str, keys: Sequence[str], limit: int | None
) -> pl.DataFrame:
    ordered = frame.sort([metric, *keys], descending=[True] + [False] * len(keys), nulls_last=True)
    return ordered if limit is None else ordered.head(limit)


def unavailable_table(
    request: InsightsRequest, title: str, required: Sequence[str], columns: Sequence[str]
) -> StatsTable | None:
    """The local engine's empty table for fields the records lack; None if they have all."""
    table_missing = [name for name in required if not request.has(name)]
    return missing_fields_table(
        title, table_missing, request.counting, request.counting_missing, columns
    )


def all_rows(run: RunQuery, text: str, what: str) -> Sequence[Row]:
    result = run(text)
    if result.capped:
        raise NotTranslatableError(
            f"{what} has more than {ROW_CAP} rows, more than Insights returns: "
            "use the local engine, or narrow the filter or the time range"
        )
    return result.rows
