"""Value counts: records, share and bytes per value of any column, and the fixed tables of
records per action, log-status, protocol and ENI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import polars as pl

from flowtui.core.stats.counting import (
    CountedRecords,
    Counting,
    StatsTable,
    count_records,
    unavailable_table,
)
from flowtui.core.stats.grouping import (
    NULL_TEXT,
    check_limit,
    grouped,
    ranked,
    share,
    sort_columns_for,
    value_text,
    with_protocol_names,
)

#: Value counts show the most frequent values only by default: a column such as `bytes` can
#: hold hundreds of thousands of values, and sorting them all costs more than the counting.
VALUE_COUNTS_LIMIT = 1000


CountField = Literal["action", "log-status", "protocol", "interface-id"]


_BYTES_TOTAL = "_bytes_total"


@dataclass(frozen=True, slots=True)
class _ValueCounts:
    rows: pl.DataFrame  # raw value columns, records, _bytes_total, share_pct; most records first
    distinct: int
    note: str


def _count_values(counted: CountedRecords, column: str, limit: int | None) -> _ValueCounts:
    data = counted.frame
    has_bytes = "bytes" in data.columns
    bytes_total = pl.col("bytes").sum() if has_bytes else pl.lit(None, dtype=pl.UInt64()).first()
    aggregations = [pl.len().alias("records"), bytes_total.alias(_BYTES_TOTAL)]
    groups = data.lazy().pipe(grouped, [column], aggregations).collect()
    rows = (
        groups.lazy()
        .pipe(ranked, "records", sort_columns_for([column]), limit)
        .with_columns(share("records", data.height))
        .collect()
    )
    note = counted.note if has_bytes else f"bytes not recorded; {counted.note}"
    return _ValueCounts(rows, groups.height, note)


def value_counts(
    frame: pl.DataFrame,
    column: str,
    counting: Counting = Counting.ALL_RECORDS,
    limit: int | None = VALUE_COUNTS_LIMIT,
) -> StatsTable:
    """Value, records, share and bytes per value of any column, most records first.

    Values are text as a log line writes them (addresses as text, null as "-"), ready to filter
    by. Only the `limit` most frequent values are kept (None keeps all); the note then says how
    many values there were.
    """
    check_limit(limit)
    title = f"Values of {column}"
    counted = count_records(frame, counting, [column, "bytes"])
    columns = ["value", "records", "share_pct", "bytes"]
    if unavailable := unavailable_table(counted, title, [column], columns):
        return unavailable
    counts = _count_values(counted, column, limit)
    rows = counts.rows.select(
        value_text(column).alias("value"),
        "records",
        "share_pct",
        pl.col(_BYTES_TOTAL).alias("bytes"),
    )
    note = counts.note
    if counts.distinct > rows.height:
        note = f"the {rows.height} most frequent of {counts.distinct} values; {note}"
    return StatsTable(title=title, rows=rows, note=note)


COUNT_FIELDS: tuple[CountField, ...] = ("action", "log-status", "protocol", "interface-id")
_COUNT_TITLES: dict[CountField, str] = {
    "action": "Records per action",
    "log-status": "Records per log-status",
    "protocol": "Records per protocol",
    "interface-id": "Records per ENI",
}


def counts_table(
    counted: CountedRecords, field: CountField, eni_labels: Mapping[str, str] | None
) -> StatsTable:
    title = _COUNT_TITLES[field]
    labels = dict(eni_labels) if field == "interface-id" and eni_labels is not None else None
    label_columns = [] if labels is None else ["belongs_to"]
    columns = [field, *label_columns, "records", "share_pct", "bytes"]
    if unavailable := unavailable_table(counted, title, [field], columns):
        return unavailable
    counts = _count_values(counted, field, limit=None)
    rows = counts.rows
    if field == "protocol":
        rows = with_protocol_names(rows, field)
    value = value_text(field)
    label_exprs = [] if labels is None else [value.replace_strict(labels, default=NULL_TEXT)]
    rows = rows.select(
        value.alias(field),
        *(expr.alias(name) for expr, name in zip(label_exprs, label_columns, strict=True)),
        "records",
        "share_pct",
        pl.col(_BYTES_TOTAL).alias("bytes"),
    )
    return StatsTable(title=title, rows=rows, note=counts.note)


def counts_per(
    frame: pl.DataFrame,
    field: CountField,
    counting: Counting = Counting.ALL_RECORDS,
    eni_labels: Mapping[str, str] | None = None,
) -> StatsTable:
    """Records, share and bytes per action, log-status, protocol (by name) or ENI.

    For ENIs, `eni_labels` (ENI id -> "web-1 (i-0abc)") adds a `belongs_to` column ("-" for
    ENIs it does not know).
    """
    return counts_table(count_records(frame, counting, [field, "bytes"]), field, eni_labels)
