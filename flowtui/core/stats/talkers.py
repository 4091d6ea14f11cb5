"""Top talkers (sources, destinations, pairs by bytes or packets) and the top rejected
destination ports and sources."""

from __future__ import annotations

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
    address_text,
    check_limit,
    column_total,
    grouped,
    ranked,
    share,
    sort_columns_for,
    with_protocol_names,
)

DEFAULT_LIMIT = 20


Side = Literal["source", "destination", "pair"]
Metric = Literal["bytes", "packets"]


SIDES: tuple[Side, ...] = ("source", "destination", "pair")
METRICS: tuple[Metric, ...] = ("bytes", "packets")
_SIDE_FIELDS: dict[Side, tuple[str, ...]] = {
    "source": ("srcaddr",),
    "destination": ("dstaddr",),
    "pair": ("srcaddr", "dstaddr"),
}
_SIDE_LABELS = {"srcaddr": "source", "dstaddr": "destination"}
_SIDE_TITLES: dict[Side, str] = {
    "source": "sources",
    "destination": "destinations",
    "pair": "source-destination pairs",
}


def talkers_table(counted: CountedRecords, side: Side, metric: Metric, limit: int) -> StatsTable:
    fields = _SIDE_FIELDS[side]
    labels = [_SIDE_LABELS[name] for name in fields]
    other_metric = "packets" if metric == "bytes" else "bytes"
    title = f"Top {_SIDE_TITLES[side]} by {metric}"
    columns = [*labels, metric, other_metric, "records", "share_pct"]
    if unavailable := unavailable_table(counted, title, [*fields, metric], columns):
        return unavailable
    data = counted.frame
    metrics = [name for name in (metric, other_metric) if name in data.columns]
    sort_columns = sort_columns_for(fields)
    sums = [*(pl.col(name).sum() for name in metrics), pl.len().alias("records")]
    rows = (
        data.lazy()
        .pipe(grouped, fields, sums)
        .filter(pl.any_horizontal(pl.col(part).is_not_null() for part in sort_columns))
        .pipe(ranked, metric, sort_columns, limit)
        .select(
            *(address_text(name).alias(label) for name, label in zip(fields, labels, strict=True)),
            *metrics,
            "records",
            share(metric, column_total(data, metric)),
        )
        .collect()
    )
    return StatsTable(title=title, rows=rows, note=counted.note)


def top_talkers(
    frame: pl.DataFrame,
    side: Side,
    metric: Metric = "bytes",
    counting: Counting = Counting.ALL_RECORDS,
    limit: int = DEFAULT_LIMIT,
) -> StatsTable:
    """The top `limit` sources, destinations or pairs by bytes or packets, with share of total.

    Records without addresses (NODATA, SKIPDATA) are no talkers; the other metric is shown too
    when the records have it.
    """
    check_limit(limit)
    fields = [*_SIDE_FIELDS[side], *METRICS]
    return talkers_table(count_records(frame, counting, fields), side, metric, limit)


REJECTED_PORT_FIELDS = ("action", "dstport", "protocol")
REJECTED_SOURCE_FIELDS = ("action", "srcaddr")


def rejected_ports_table(counted: CountedRecords, limit: int) -> StatsTable:
    title = "Top rejected destination ports"
    columns = ["port", "protocol", "records", "share_pct"]
    if unavailable := unavailable_table(counted, title, REJECTED_PORT_FIELDS, columns):
        return unavailable
    rejected = counted.frame.filter(pl.col("action") == "REJECT")
    rows = (
        rejected.lazy()
        .group_by("dstport", "protocol")
        .agg(pl.len().alias("records"))
        .pipe(ranked, "records", ["dstport", "protocol"], limit)
        .select(
            pl.col("dstport").alias("port"),
            "protocol",
            "records",
            share("records", rejected.height),
        )
        .collect()
    )
    return StatsTable(title=title, rows=with_protocol_names(rows, "protocol"), note=counted.note)


def rejected_ports(
    frame: pl.DataFrame, counting: Counting = Counting.ALL_RECORDS, limit: int = DEFAULT_LIMIT
) -> StatsTable:
    """The destination ports (with protocol) of the most REJECT records, with share of them."""
    check_limit(limit)
    return rejected_ports_table(count_records(frame, counting, REJECTED_PORT_FIELDS), limit)


def rejected_sources_table(counted: CountedRecords, limit: int) -> StatsTable:
    title = "Top rejected sources"
    columns = ["source", "records", "share_pct"]
    if unavailable := unavailable_table(counted, title, REJECTED_SOURCE_FIELDS, columns):
        return unavailable
    rejected = counted.frame.filter(pl.col("action") == "REJECT")
    rows = (
        rejected.lazy()
        .pipe(grouped, ["srcaddr"], [pl.len().alias("records")])
        .pipe(ranked, "records", sort_columns_for(["srcaddr"]), limit)
        .select(
            address_text("srcaddr").alias("source"),
            "records",
            share("records", rejected.height),
        )
        .collect()
    )
    return StatsTable(title=title, rows=rows, note=counted.note)


def rejected_sources(
    frame: pl.DataFrame, counting: Counting = Counting.ALL_RECORDS, limit: int = DEFAULT_LIMIT
) -> StatsTable:
    """The source addresses of the most REJECT records, with share of them."""
    check_limit(limit)
    return rejected_sources_table(count_records(frame, counting, REJECTED_SOURCE_FIELDS), limit)
