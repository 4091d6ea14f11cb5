"""Value counts (`#`) computed by CloudWatch Logs Insights, and which engine `auto` picks.

`value_counts_table` asks `stats count(*) as records, sum(bytes) as sum_bytes by FIELD | sort
records desc | limit 10000` and turns the rows into the table the local engine's
`flowtui.core.stats.values.value_counts` makes: the value as a log line writes it ("-" when
missing), records, share of all records, bytes; most records first, ties in the local order
(enums in their documented order, numbers as numbers, addresses by value), and the same note
("the N most frequent of M values"). Pure: the query runs through the caller's `RunQuery`.

`auto_engine` is the one rule for `--engine auto` (headless) and the app's stats view: Insights
when the range is not all loaded, or is estimated to hold more records than the row cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from flowtui.core.fields import FIELDS, FieldKind
from flowtui.core.insights.request import (
    ROW_CAP,
    InsightsRequest,
    RunQuery,
    address_parts,
    integer,
    number_column,
    share,
    unavailable_table,
)
from flowtui.core.stats.counting import StatsTable
from flowtui.core.stats.grouping import NULL_TEXT, check_limit
from flowtui.core.stats.values import VALUE_COUNTS_LIMIT
from flowtui.core.wording import counted

#: Bytes of a typical default-format record, to turn a group's stored bytes into records.
BYTES_PER_RECORD = 110

Engine = Literal["local", "insights"]


@dataclass(frozen=True, slots=True)
class EngineChoice:
    engine: Engine
    #: Why, for people ("about 2,300,000 records, above 1,000,000").
    reason: str


def records_from_bytes(stored_bytes: int) -> int:
    return stored_bytes // BYTES_PER_RECORD


def auto_engine(
    *, estimated_records: int | None, row_cap: int, loaded: bool = True
) -> EngineChoice:
    """`auto`: Insights when the range is not all loaded (the local store dropped records, so a
    local count would be short) or is estimated above the row cap; the local engine otherwise
    (also when nothing is known: the local engine costs nothing)."""
    if not loaded:
        return EngineChoice("insights", "the range does not all fit in the local store")
    if estimated_records is None:
        return EngineChoice("local", "the range's size is unknown")
    about = f"about {estimated_records:,} records"
    if estimated_records > row_cap:
        return EngineChoice("insights", f"{about}, above {row_cap:,}")
    return EngineChoice("local", f"{about} in the range")


def value_count_query(request: InsightsRequest, column: str) -> str:
    """The query of one column's value counts (NotTranslatableError if the column is not a
    field of these records)."""
    name = request.name(column)
    sums = ["count(*) as records"]
    if request.has("bytes"):
        sums.append(f"sum({request.name('bytes')}) as sum_bytes")
    return request.query(
        f"stats {', '.join(sums)} by {name}", "sort records desc", f"limit {ROW_CAP}"
    )


def _value(text: str | None) -> str | None:
    return None if text is None or text in ("", NULL_TEXT) else text


def _order_keys(column: str, values: list[str | None]) -> dict[str, pl.Series]:
    """How the local engine breaks ties: addresses by IPv4 value then IPv6 text, enums in their
    documented order, integers as numbers, text as text; a missing value last."""
    spec = FIELDS[column]
    if spec.kind is FieldKind.ADDRESS:
        parts = [address_parts(value) for value in values]
        return {
            "_k4": pl.Series([p[0] for p in parts], dtype=pl.UInt32()),
            "_k6": pl.Series([p[1] for p in parts], dtype=pl.String()),
        }
    if spec.kind is FieldKind.ENUM:
        order = {value: index for index, value in enumerate(spec.values)}
        return {"_k": pl.Series([order.get(v) if v else None for v in values], dtype=pl.Int64())}
    if spec.kind in (FieldKind.INTEGER, FieldKind.TIMESTAMP):
        return {"_k": pl.Series([integer(v) for v in values], dtype=pl.Int64())}
    return {"_k": pl.Series(values, dtype=pl.String())}


def value_counts_table(
    request: InsightsRequest,
    run: RunQuery,
    column: str,
    limit: int | None = VALUE_COUNTS_LIMIT,
) -> StatsTable:
    """Value, records, share and bytes per value of `column`, as the local engine's table."""
    check_limit(limit)
    title = f"Values of {column}"
    columns = ["value", "records", "share_pct", "bytes"]
    if column not in FIELDS:
        return StatsTable(
            title=title,
            rows=pl.DataFrame(schema=dict.fromkeys(columns, pl.String())),
            note=f"Unavailable: {column} is not a flow-log field Insights can count",
            missing_fields=(column,),
        )
    if unavailable := unavailable_table(request, title, [column], columns):
        return unavailable
    result = run(value_count_query(request, column))
    name = request.name(column)
    values = [_value(row.get(name)) for row in result.rows]
    has_bytes = request.has("bytes")
    byte_sums = number_column(result.rows, "sum_bytes", pl.UInt64())
    frame = pl.DataFrame(
        {
            **_order_keys(column, values),
            "value": pl.Series(values, dtype=pl.String()),
            "records": number_column(result.rows, "records", pl.UInt32()).fill_null(0),
            "bytes": byte_sums.fill_null(0) if has_bytes else byte_sums,
        }
    )
    total = int(frame.get_column("records").sum()) if frame.height else 0
    keys = [key for key in frame.columns if key.startswith("_k")]
    ordered = frame.sort(
        ["records", *keys], descending=[True] + [False] * len(keys), nulls_last=True
    )
    kept = ordered if limit is None else ordered.head(limit)
    rows = kept.select(
        pl.col("value").fill_null(NULL_TEXT), "records", share("records", total), "bytes"
    )
    note = request.note if has_bytes else f"bytes not recorded; {request.note}"
    if result.capped:
        note = (
            f"the {rows.height} most frequent of more than {ROW_CAP:,} values (shares of the "
            f"{counted(total, 'record')} in those); {note}"
        )
    elif frame.height > rows.height:
        note = f"the {rows.height} most frequent of {frame.height} values; {note}"
    return StatsTable(title=title, rows=rows, note=note)
