"""The stats tables, computed by CloudWatch Logs Insights instead of the local store.

Each table is asked as a `stats` query (text built here, run by the caller through `RunQuery`,
so this module stays pure) and its aggregate rows are turned into the same `StatsTable` the
local engine (`flowtui.core.stats`) makes: same titles, columns, types, order, ties, shares,
counting notes and "Unavailable" notes. Only aggregates cross the network.

- Top talkers: one query by source and destination address serves the sources, destinations
  and pairs tables by bytes and by packets (sources and destinations are sums of pairs). Only
  when that query hits the row cap (10,000 rows) does each table get its own query, sorted by
  its metric and limited to the cap (the top-N of a sorted, limited list is exact), plus one for
  the totals the shares need.
- Rejected ports and sources, counts per action, log-status, protocol and ENI: one query each.
- Timeline: buckets on the records' `start` (as the local engine does) with the size the local
  engine would choose for the records' time span: one query when it can be re-aggregated from
  1-minute buckets (up to two days) or the first guess fits, else a second at the right size.

Counting: every record, or egress records only (a filter on flow-direction). One record per
flow needs every record's 5-tuple on the client and is refused with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from flowtui.core.fields import FIELDS, FieldKind
from flowtui.core.insights.request import (
    ROW_CAP,
    InsightsRequest,
    Row,
    RunQuery,
    address_columns,
    address_text,
    all_rows,
    integer,
    number_column,
    ranked,
    share,
    unavailable_table,
)
from flowtui.core.insights.timeline import timeline_table
from flowtui.core.protocols import protocol_label
from flowtui.core.stats.counting import StatsTable
from flowtui.core.stats.grouping import NULL_TEXT
from flowtui.core.stats.report import CliKind
from flowtui.core.stats.talkers import (
    _SIDE_FIELDS,
    _SIDE_LABELS,
    _SIDE_TITLES,
    DEFAULT_LIMIT,
    METRICS,
    SIDES,
    Metric,
    Side,
)
from flowtui.core.stats.values import _COUNT_TITLES, COUNT_FIELDS, CountField

# --- top talkers -----------------------------------------------------------------------------

_PREFIXES = {"srcaddr": "src", "dstaddr": "dst"}


def _sums(request: InsightsRequest) -> str:
    """`sum(bytes) as sum_bytes, sum(packets) as sum_packets, count(*) as records`."""
    sums = [f"sum({request.name(m)}) as sum_{m}" for m in METRICS if request.has(m)]
    return ", ".join([*sums, "count(*) as records"])


def _talker_frame(
    request: InsightsRequest, rows: Sequence[Row], fields: Sequence[str]
) -> pl.DataFrame:
    """Address parts, metric sums and record counts of aggregate rows by `fields`."""
    columns: dict[str, pl.Series] = {}
    for name in fields:
        columns.update(address_columns(rows, request.name(name), _PREFIXES[name]))
    for metric in METRICS:
        if request.has(metric):
            # A sum over "-" values only comes back empty; the local engine sums it to 0.
            columns[metric] = number_column(rows, f"sum_{metric}", pl.UInt64()).fill_null(0)
    columns["records"] = number_column(rows, "records", pl.UInt64()).fill_null(0)
    return pl.DataFrame(columns)


def _talkers_from(
    request: InsightsRequest,
    data: pl.DataFrame,
    *,
    totals: Mapping[Metric, int],
    side: Side,
    metric: Metric,
    limit: int,
) -> StatsTable:
    fields = _SIDE_FIELDS[side]
    labels = [_SIDE_LABELS[name] for name in fields]
    other = "packets" if metric == "bytes" else "bytes"
    title = f"Top {_SIDE_TITLES[side]} by {metric}"
    columns = [*labels, metric, other, "records", "share_pct"]
    if unavailable := unavailable_table(request, title, [*fields, metric], columns):
        return unavailable
    prefixes = [_PREFIXES[name] for name in fields]
    keys = [f"{prefix}{part}" for prefix in prefixes for part in ("4", "6")]
    metrics = [name for name in (metric, other) if request.has(name)]
    grouped = data.group_by(keys).agg(pl.col([*metrics, "records"]).sum())
    present = grouped.filter(pl.any_horizontal(pl.col(key).is_not_null() for key in keys))
    rows = ranked(present, metric, keys, limit).select(
        *(address_text(p).alias(label) for p, label in zip(prefixes, labels, strict=True)),
        *(pl.col(name).cast(pl.UInt64()) for name in metrics),
        pl.col("records").cast(pl.UInt32()),
        share(metric, totals.get(metric, 0)),
    )
    return StatsTable(title=title, rows=rows, note=request.note)


def talker_tables(
    request: InsightsRequest,
    run: RunQuery,
    metrics: Sequence[Metric] = ("bytes",),
    limit: int = DEFAULT_LIMIT,
) -> list[StatsTable]:
    """Top sources, destinations and pairs per metric, as the local `stats.talkers.top_talkers`."""
    usable = [m for m in metrics if request.has(m)]
    if (
        request.counting_missing
        or not usable
        or not (request.has("srcaddr") and request.has("dstaddr"))
    ):
        empty = pl.DataFrame()
        return [
            _talkers_from(request, empty, totals={}, side=s, metric=m, limit=limit)
            for m in metrics
            for s in SIDES
        ]
    by = f"{request.name('srcaddr')}, {request.name('dstaddr')}"
    result = run(
        request.query(
            f"stats {_sums(request)} by {by}", f"sort sum_{usable[0]} desc", f"limit {ROW_CAP}"
        )
    )
    if result.capped:
        return _capped_talkers(request, run, metrics, limit)
    return talkers_from_pairs(request, result.rows, metrics, limit)


def talkers_from_pairs(
    request: InsightsRequest,
    rows: Sequence[Row],
    metrics: Sequence[Metric] = ("bytes",),
    limit: int = DEFAULT_LIMIT,
) -> list[StatsTable]:
    """The talker tables from the rows of the by-pair query: all of them, or the partial
    results of a query still running (the app shows those as they arrive)."""
    pairs = _talker_frame(request, rows, ["srcaddr", "dstaddr"])
    totals = {m: int(pairs.get_column(m).sum()) for m in METRICS if m in pairs.columns}
    return [
        _talkers_from(request, pairs, totals=totals, side=side, metric=metric, limit=limit)
        for metric in metrics
        for side in SIDES
    ]


def is_pairs_query(request: InsightsRequest, text: str) -> bool:
    """Whether `text` is the by-pair query of `talker_tables` (its rows feed the talkers)."""
    by = f"by {request.name('srcaddr')}, {request.name('dstaddr')} |"
    return request.has("srcaddr") and request.has("dstaddr") and by in text


def _capped_talkers(
    request: InsightsRequest, run: RunQuery, metrics: Sequence[Metric], limit: int
) -> list[StatsTable]:
    """More pairs than the cap: each table its own query sorted by its metric and limited to
    the cap (its top rows are exact), and one query for the totals the shares need."""
    total_rows = all_rows(run, request.query(f"stats {_sums(request)}"), "the totals")
    first = total_rows[0] if total_rows else {}
    totals = {m: integer(first.get(f"sum_{m}")) or 0 for m in METRICS if request.has(m)}
    tables: list[StatsTable] = []
    for metric in metrics:
        for side in SIDES:
            fields = _SIDE_FIELDS[side]
            frame = pl.DataFrame()
            if request.has(metric):
                by = ", ".join(request.name(name) for name in fields)
                rows = run(
                    request.query(
                        f"stats {_sums(request)} by {by}",
                        f"sort sum_{metric} desc",
                        f"limit {ROW_CAP}",
                    )
                ).rows
                frame = _talker_frame(request, rows, fields)
            tables.append(
                _talkers_from(request, frame, totals=totals, side=side, metric=metric, limit=limit)
            )
    return tables


# --- rejections ------------------------------------------------------------------------------

_REJECTED_PORT_FIELDS = ("action", "dstport", "protocol")
_REJECTED_SOURCE_FIELDS = ("action", "srcaddr")


def _rejected(request: InsightsRequest) -> str:
    return f'{request.name("action")} = "REJECT"'


def _rejected_total(
    request: InsightsRequest, run: RunQuery, rows: Sequence[Row], capped: bool
) -> int:
    """REJECT records in all: the sum of the groups, or (past the cap) a query of its own."""
    if not capped:
        return sum(integer(row.get("records")) or 0 for row in rows)
    found = all_rows(
        run, request.query("stats count(*) as records", extra_filter=_rejected(request)), "totals"
    )
    return integer(found[0].get("records")) or 0 if found else 0


def _protocol_text(number: int | None) -> str:
    return NULL_TEXT if number is None else protocol_label(number)


def rejected_ports_table(
    request: InsightsRequest, run: RunQuery, limit: int = DEFAULT_LIMIT
) -> StatsTable:
    """Destination ports (with protocol) of the most REJECT records, as the local engine."""
    title = "Top rejected destination ports"
    columns = ["port", "protocol", "records", "share_pct"]
    if unavailable := unavailable_table(request, title, _REJECTED_PORT_FIELDS, columns):
        return unavailable
    port, protocol = request.name("dstport"), request.name("protocol")
    result = run(
        request.query(
            f"stats count(*) as records by {port}, {protocol}",
            "sort records desc",
            f"limit {ROW_CAP}",
            extra_filter=_rejected(request),
        )
    )
    total = _rejected_total(request, run, result.rows, result.capped)
    frame = pl.DataFrame(
        {
            "dstport": number_column(result.rows, port, pl.UInt16()),
            "protocol": number_column(result.rows, protocol, pl.UInt8()),
            "records": number_column(result.rows, "records", pl.UInt32()),
        }
    )
    rows = ranked(frame, "records", ["dstport", "protocol"], limit).select(
        pl.col("dstport").alias("port"), "protocol", "records", share("records", total)
    )
    names = [_protocol_text(number) for number in rows.get_column("protocol").to_list()]
    rows = rows.with_columns(pl.Series("protocol", names, dtype=pl.String()))
    return StatsTable(title=title, rows=rows, note=request.note)


def rejected_sources_table(
    request: InsightsRequest, run: RunQuery, limit: int = DEFAULT_LIMIT
) -> StatsTable:
    """Source addresses of the most REJECT records, as the local engine."""
    title = "Top rejected sources"
    columns = ["source", "records", "share_pct"]
    if unavailable := unavailable_table(request, title, _REJECTED_SOURCE_FIELDS, columns):
        return unavailable
    source = request.name("srcaddr")
    result = run(
        request.query(
            f"stats count(*) as records by {source}",
            "sort records desc",
            f"limit {ROW_CAP}",
            extra_filter=_rejected(request),
        )
    )
    total = _rejected_total(request, run, result.rows, result.capped)
    frame = pl.DataFrame(
        {
            **address_columns(result.rows, source, "src"),
            "records": number_column(result.rows, "records", pl.UInt32()),
        }
    )
    rows = ranked(frame, "records", ["src4", "src6"], limit).select(
        address_text("src").alias("source"), "records", share("records", total)
    )
    return StatsTable(title=title, rows=rows, note=request.note)


# --- counts per field ------------------------------------------------------------------------


def _order_key(aws_field: str, values: list[str | None]) -> pl.Series:
    """How the local engine orders a field's values: enums in their documented order,
    integers as numbers, text as text; a missing value last (as null)."""
    spec = FIELDS[aws_field]
    if spec.kind is FieldKind.ENUM:
        order = {value: index for index, value in enumerate(spec.values)}
        return pl.Series([order.get(v) if v else None for v in values], dtype=pl.Int64())
    if spec.kind in (FieldKind.INTEGER, FieldKind.TIMESTAMP):
        return pl.Series([integer(v) for v in values], dtype=pl.Int64())
    return pl.Series(values, dtype=pl.String())


def counts_table(
    request: InsightsRequest,
    run: RunQuery,
    count_field: CountField,
    eni_labels: Mapping[str, str] | None = None,
) -> StatsTable:
    """Records, share and bytes per action, log-status, protocol or ENI, as the local engine."""
    title = _COUNT_TITLES[count_field]
    labels = dict(eni_labels) if count_field == "interface-id" and eni_labels is not None else None
    label_columns = [] if labels is None else ["belongs_to"]
    columns = [count_field, *label_columns, "records", "share_pct", "bytes"]
    if unavailable := unavailable_table(request, title, [count_field], columns):
        return unavailable
    name = request.name(count_field)
    has_bytes = request.has("bytes")
    sums = (
        f"count(*) as records, sum({request.name('bytes')}) as sum_bytes"
        if has_bytes
        else ("count(*) as records")
    )
    rows = all_rows(run, request.query(f"stats {sums} by {name}"), title)
    values = [None if row.get(name) in (None, NULL_TEXT) else row.get(name) for row in rows]
    byte_sums = number_column(rows, "sum_bytes", pl.UInt64())
    frame = pl.DataFrame(
        {
            "key": _order_key(count_field, values),
            "value": pl.Series(values, dtype=pl.String()),
            "records": number_column(rows, "records", pl.UInt32()),
            "bytes": byte_sums.fill_null(0) if has_bytes else byte_sums,
        }
    )
    total = int(frame.get_column("records").sum()) if frame.height else 0
    ordered = ranked(frame, "records", ["key"], None)
    if count_field == "protocol":
        texts = [_protocol_text(integer(v)) for v in ordered.get_column("value").to_list()]
        ordered = ordered.with_columns(pl.Series("value", texts, dtype=pl.String()))
    value = pl.col("value").fill_null(NULL_TEXT)
    label_exprs = [] if labels is None else [value.replace_strict(labels, default=NULL_TEXT)]
    table = ordered.select(
        value.alias(count_field),
        *(expr.alias(label) for expr, label in zip(label_exprs, label_columns, strict=True)),
        "records",
        share("records", total),
        "bytes",
    )
    note = request.note if has_bytes else f"bytes not recorded; {request.note}"
    return StatsTable(title=title, rows=table, note=note)


# --- several tables --------------------------------------------------------------------------


def stats_for_cli(
    kind: CliKind,
    request: InsightsRequest,
    run: RunQuery,
    range_start_s: int,
    range_end_s: int,
) -> list[StatsTable]:
    """The tables `flowtui query --stats KIND --engine insights` prints, as the local engine's."""
    if kind == "talkers":
        return talker_tables(request, run, ("bytes",))
    if kind == "ports":
        return [rejected_ports_table(request, run), rejected_sources_table(request, run)]
    if kind == "timeline":
        return [timeline_table(request, run, range_start_s, range_end_s)]
    raise ValueError(f"unknown stats '{kind}'")


def stats_overview(
    request: InsightsRequest,
    run: RunQuery,
    eni_labels: Mapping[str, str] | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[StatsTable]:
    """The stats view's tables in the local engine's order (`stats.report.stats_overview`)."""
    return [
        *talker_tables(request, run, METRICS, limit),
        rejected_ports_table(request, run, limit),
        rejected_sources_table(request, run, limit),
        *(counts_table(request, run, name, eni_labels) for name in COUNT_FIELDS),
    ]
