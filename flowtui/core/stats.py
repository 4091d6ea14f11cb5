"""Aggregations over the record store: top talkers, rejections, value counts, traffic over time.

Pure polars and no I/O: callers run these off the UI thread. Every function takes the current
(filtered) frame, laid out as `flowtui.core.schema` says, and returns a small `StatsTable` whose
values are already rendered for people (addresses as text, protocols by name, null as "-"), so
the TUI and the headless CLI show the same numbers. A table that needs a field the records do
not have comes back empty, with `missing_fields` set and a note that says so.

Counting: a flow between two monitored ENIs, or through a NAT gateway, is recorded once on each
ENI it crosses. `Counting` picks how records are counted, and every table's note names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import orjson
import polars as pl

from flowtui.core.fields import FIELDS, FieldKind
from flowtui.core.protocols import protocol_label
from flowtui.core.schema import ipv4_text, v6_column

NULL_TEXT = "-"
DEFAULT_LIMIT = 20
#: Value counts show the most frequent values only by default: a column such as `bytes` can
#: hold hundreds of thousands of values, and sorting them all costs more than the counting.
VALUE_COUNTS_LIMIT = 1000

Side = Literal["source", "destination", "pair"]
Metric = Literal["bytes", "packets"]
CountField = Literal["action", "log-status", "protocol", "interface-id"]
Output = Literal["table", "csv", "jsonl"]
CliKind = Literal["talkers", "ports", "timeline"]
CLI_KINDS: tuple[CliKind, ...] = ("talkers", "ports", "timeline")


class Counting(StrEnum):
    """How records are counted when one flow is recorded on several ENIs."""

    ALL_RECORDS = "all-records"
    EGRESS_ONLY = "egress-only"
    ONE_PER_FLOW = "one-per-flow"


_COUNTING_NOTES: dict[Counting, str] = {
    Counting.ALL_RECORDS: (
        "counting every record (a flow crossing two monitored ENIs counts on each)"
    ),
    Counting.EGRESS_ONLY: (
        "counting egress records only (each flow once; traffic arriving from outside the "
        "monitored ENIs is left out)"
    ),
    Counting.ONE_PER_FLOW: (
        "counting one record per 5-tuple and window (packet-level addresses when recorded)"
    ),
}

_FLOW_KEY_FIELDS = ("srcaddr", "dstaddr", "srcport", "dstport", "protocol", "start", "end")
_COUNTING_NEEDS: dict[Counting, tuple[str, ...]] = {
    Counting.ALL_RECORDS: (),
    Counting.EGRESS_ONLY: ("flow-direction",),
    Counting.ONE_PER_FLOW: _FLOW_KEY_FIELDS,
}
# Packet-level addresses replace srcaddr/dstaddr in the flow key so NAT hops dedupe.
_PACKET_ADDRESS = {"srcaddr": "pkt-srcaddr", "dstaddr": "pkt-dstaddr"}

# Bucket sizes for the timeline: flow logs aggregate over 1 or 10 minutes, so 1 min is the finest.
_MINUTE = 60
_HOUR = 3600
_DAY = 86400
_BUCKET_LADDER = (
    *(n * _MINUTE for n in (1, 2, 5, 10, 15, 30)),
    *(n * _HOUR for n in (1, 2, 3, 6, 12)),
    _DAY,
)
_MAX_BUCKETS = 120


@dataclass(frozen=True, slots=True, kw_only=True)
class StatsTable:
    """One table of results: rendered rows, and a note saying how they were counted."""

    title: str
    rows: pl.DataFrame
    note: str
    #: Fields the table (or the counting) needs that the records do not have; rows are empty.
    missing_fields: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        return self.rows.columns

    @property
    def available(self) -> bool:
        return not self.missing_fields


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineTable(StatsTable):
    """Traffic over time; `bucket_seconds` is the width of each row's bucket."""

    bucket_seconds: int


@dataclass(frozen=True, slots=True)
class _Counted:
    """The records as counted: only the fields asked for that the records have.

    When the records lack a field the counting needs, `counting_missing` names it and the
    records are left uncounted (every table is then unavailable).
    """

    frame: pl.DataFrame
    counting: Counting
    counting_missing: tuple[str, ...]

    @property
    def note(self) -> str:
        return _COUNTING_NOTES[self.counting]


# ---------------------------------------------------------------------------------------------
# Columns and counting


def _is_address(name: str) -> bool:
    spec = FIELDS.get(name)
    return spec is not None and spec.kind is FieldKind.ADDRESS


def _present(frame: pl.DataFrame, name: str) -> bool:
    if _is_address(name):
        return name in frame.columns or v6_column(name) in frame.columns
    return name in frame.columns


def _address_parts(name: str) -> list[str]:
    return [name, v6_column(name)]


def _source_columns(frame: pl.DataFrame, names: Iterable[str]) -> list[pl.Expr]:
    """Select expressions for fields; an address gets both parts, a typed null for an absent one."""
    selected: list[pl.Expr] = []
    for name in names:
        if not _is_address(name):
            selected.append(pl.col(name))
            continue
        for part, dtype in zip(_address_parts(name), (pl.UInt32(), pl.Categorical()), strict=True):
            present = part in frame.columns
            selected.append(pl.col(part) if present else pl.lit(None, dtype=dtype).alias(part))
    return selected


# Exact integer identities (no hashing): grouping and deduplicating on one UInt64 per address is
# about twice as fast as on the address's two columns. IPv6 texts are Categorical, whose codes
# polars shares between columns, so equal texts have equal codes in every address column.
_V6_KEY_BASE = 1 << 32
_NO_ADDRESS_KEY = 1 << 33
_KEY_PREFIX = "_key_"
_FLOW_SOURCE = "_flow_source"
_FLOW_DESTINATION = "_flow_destination"


def _address_key(name: str) -> pl.Expr:
    """An address as one UInt64: the IPv4 value, or 2**32 + the IPv6 text's code; null for none."""
    ipv4, ipv6 = _address_parts(name)
    ipv6_key = pl.col(ipv6).to_physical().cast(pl.UInt64()) + _V6_KEY_BASE
    return pl.coalesce(pl.col(ipv4).cast(pl.UInt64()), ipv6_key)


def _flow_address_key(name: str, columns: Sequence[str]) -> pl.Expr:
    """The address of the flow: the packet-level one when the record has it, so NAT hops match."""
    packet_field = _PACKET_ADDRESS[name]
    keys = [_address_key(packet_field)] if packet_field in columns else []
    return pl.coalesce(*keys, _address_key(name)).fill_null(_NO_ADDRESS_KEY)


def _small_key(name: str, bits: int) -> pl.Expr:
    """An unsigned field of `bits` bits as UInt64, with 2**bits standing for null."""
    return pl.col(name).cast(pl.UInt64()).fill_null(1 << bits)


#: Flows are told apart by a 64-bit hash of their packed key: half the cost of comparing the
#: key itself; two different flows collide with odds of about 1 in 10^7 at a million flows.
_FLOW_HASH_SEED = 0x5EED


def _one_per_flow(frame: pl.LazyFrame, columns: Sequence[str]) -> pl.LazyFrame:
    """The first record of each 5-tuple and window; records without addresses all stay."""
    source, destination = pl.col(_FLOW_SOURCE), pl.col(_FLOW_DESTINATION)
    # Packed without overlap: 34-bit address keys, 17-bit ports, 9-bit protocol (null included).
    flow = pl.struct(
        (source * (1 << 26) + _small_key("srcport", 16) * (1 << 9) + _small_key("protocol", 8)),
        (destination * (1 << 17) + _small_key("dstport", 16)),
        "start",
        "end",
    )
    # NODATA and SKIPDATA records carry no addresses: they are no flow, so none is merged.
    no_address = (source == _NO_ADDRESS_KEY) & (destination == _NO_ADDRESS_KEY)
    return (
        frame.with_columns(
            _flow_address_key("srcaddr", columns).alias(_FLOW_SOURCE),
            _flow_address_key("dstaddr", columns).alias(_FLOW_DESTINATION),
        )
        .filter(flow.hash(_FLOW_HASH_SEED).is_first_distinct() | no_address)
        .drop(_FLOW_SOURCE, _FLOW_DESTINATION)
    )


def _count(frame: pl.DataFrame, counting: Counting, fields: Iterable[str]) -> _Counted:
    """The `fields` of `frame` that it has, counted as `counting` says."""
    counting = parse_counting(counting)
    needs = _COUNTING_NEEDS[counting]
    if counting is Counting.ONE_PER_FLOW:
        needs += tuple(_PACKET_ADDRESS.values())
    wanted = [name for name in dict.fromkeys([*fields, *needs]) if _present(frame, name)]
    selected = frame.lazy().select(_source_columns(frame, wanted))
    missing = tuple(name for name in _COUNTING_NEEDS[counting] if name not in wanted)
    if missing:
        return _Counted(selected.collect(), counting, missing)
    counted = selected
    if counting is Counting.EGRESS_ONLY:
        counted = selected.filter(pl.col("flow-direction") == "egress")
    elif counting is Counting.ONE_PER_FLOW:
        counted = _one_per_flow(selected, wanted)
    return _Counted(counted.collect(), counting, ())


def _unavailable(
    counted: _Counted, title: str, required: Sequence[str], columns: Sequence[str]
) -> StatsTable | None:
    """An empty table that says which needed fields the records lack; None if they have all."""
    table_missing = [name for name in required if not _present(counted.frame, name)]
    if not table_missing and not counted.counting_missing:
        return None
    reasons = []
    if table_missing:
        reasons.append(f"needs {', '.join(table_missing)}, which these records do not have")
    if counted.counting_missing:
        reasons.append(
            f"{counted.counting.value} counting needs {', '.join(counted.counting_missing)}, "
            "which these records do not have"
        )
    return StatsTable(
        title=title,
        rows=pl.DataFrame(schema=dict.fromkeys(columns, pl.String())),
        note=f"Unavailable: {'; '.join(reasons)}",
        missing_fields=tuple(dict.fromkeys([*table_missing, *counted.counting_missing])),
    )


# ---------------------------------------------------------------------------------------------
# Grouping and rendering


def _address_text(name: str) -> pl.Expr:
    """An address as text: dotted quad from the UInt32 part, else the IPv6 text, else "-"."""
    ipv4, ipv6 = _address_parts(name)
    return pl.coalesce(ipv4_text(pl.col(ipv4)), pl.col(ipv6).cast(pl.String()), pl.lit(NULL_TEXT))


def _value_text(name: str) -> pl.Expr:
    if _is_address(name):
        return _address_text(name)
    return pl.col(name).cast(pl.String()).fill_null(NULL_TEXT)


def _sort_columns(fields: Sequence[str]) -> list[str]:
    """The columns that order groups of `fields`: an address by IPv4 value, then IPv6 text."""
    return [
        part for name in fields for part in (_address_parts(name) if _is_address(name) else [name])
    ]


def _grouped(
    data: pl.LazyFrame, fields: Sequence[str], aggregations: Sequence[pl.Expr]
) -> pl.LazyFrame:
    """Groups of equal `fields` values; an address by its key, its parts kept for rendering."""
    keys = [
        _address_key(name).alias(_KEY_PREFIX + name) if _is_address(name) else pl.col(name)
        for name in fields
    ]
    addresses = [name for name in fields if _is_address(name)]
    parts = [pl.col(part).first() for name in addresses for part in _address_parts(name)]
    return (
        data.group_by(keys)
        .agg(*parts, *aggregations)
        .drop(_KEY_PREFIX + name for name in addresses)
    )


def _share(metric: str, total: int) -> pl.Expr:
    """Percentage of `total`, to two decimals; 0 when the total is 0."""
    if total == 0:
        return pl.lit(0.0).alias("share_pct")
    return (pl.col(metric) * (100.0 / total)).round(2).alias("share_pct")


def _column_total(frame: pl.DataFrame, column: str) -> int:
    return int(frame.get_column(column).sum() or 0) if frame.height else 0


def _ranked(
    groups: pl.LazyFrame, metric: str, keys: Sequence[str], limit: int | None
) -> pl.LazyFrame:
    """Largest `metric` first, ties broken by key so the order never changes between runs."""
    ordered = groups.sort([metric, *keys], descending=[True] + [False] * len(keys), nulls_last=True)
    return ordered if limit is None else ordered.head(limit)


def _check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise ValueError(f"the number of rows to show must be at least 1, not {limit}")


def _protocol_text(number: int | None) -> str:
    return NULL_TEXT if number is None else protocol_label(number)


def _with_protocol_names(rows: pl.DataFrame, column: str) -> pl.DataFrame:
    """Protocol numbers as "TCP (6)"; done in Python because the result has a few rows only."""
    names = [_protocol_text(number) for number in rows.get_column(column).to_list()]
    return rows.with_columns(pl.Series(column, names, dtype=pl.String()))


# ---------------------------------------------------------------------------------------------
# Top talkers and rejections

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


def _talkers_table(counted: _Counted, side: Side, metric: Metric, limit: int) -> StatsTable:
    fields = _SIDE_FIELDS[side]
    labels = [_SIDE_LABELS[name] for name in fields]
    other_metric = "packets" if metric == "bytes" else "bytes"
    title = f"Top {_SIDE_TITLES[side]} by {metric}"
    columns = [*labels, metric, other_metric, "records", "share_pct"]
    if unavailable := _unavailable(counted, title, [*fields, metric], columns):
        return unavailable
    data = counted.frame
    metrics = [name for name in (metric, other_metric) if name in data.columns]
    sort_columns = _sort_columns(fields)
    sums = [*(pl.col(name).sum() for name in metrics), pl.len().alias("records")]
    rows = (
        data.lazy()
        .pipe(_grouped, fields, sums)
        .filter(pl.any_horizontal(pl.col(part).is_not_null() for part in sort_columns))
        .pipe(_ranked, metric, sort_columns, limit)
        .select(
            *(_address_text(name).alias(label) for name, label in zip(fields, labels, strict=True)),
            *metrics,
            "records",
            _share(metric, _column_total(data, metric)),
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
    _check_limit(limit)
    fields = [*_SIDE_FIELDS[side], *METRICS]
    return _talkers_table(_count(frame, counting, fields), side, metric, limit)


_REJECTED_PORT_FIELDS = ("action", "dstport", "protocol")
_REJECTED_SOURCE_FIELDS = ("action", "srcaddr")


def _rejected_ports_table(counted: _Counted, limit: int) -> StatsTable:
    title = "Top rejected destination ports"
    columns = ["port", "protocol", "records", "share_pct"]
    if unavailable := _unavailable(counted, title, _REJECTED_PORT_FIELDS, columns):
        return unavailable
    rejected = counted.frame.filter(pl.col("action") == "REJECT")
    rows = (
        rejected.lazy()
        .group_by("dstport", "protocol")
        .agg(pl.len().alias("records"))
        .pipe(_ranked, "records", ["dstport", "protocol"], limit)
        .select(
            pl.col("dstport").alias("port"),
            "protocol",
            "records",
            _share("records", rejected.height),
        )
        .collect()
    )
    return StatsTable(title=title, rows=_with_protocol_names(rows, "protocol"), note=counted.note)


def rejected_ports(
    frame: pl.DataFrame, counting: Counting = Counting.ALL_RECORDS, limit: int = DEFAULT_LIMIT
) -> StatsTable:
    """The destination ports (with protocol) of the most REJECT records, with share of them."""
    _check_limit(limit)
    return _rejected_ports_table(_count(frame, counting, _REJECTED_PORT_FIELDS), limit)


def _rejected_sources_table(counted: _Counted, limit: int) -> StatsTable:
    title = "Top rejected sources"
    columns = ["source", "records", "share_pct"]
    if unavailable := _unavailable(counted, title, _REJECTED_SOURCE_FIELDS, columns):
        return unavailable
    rejected = counted.frame.filter(pl.col("action") == "REJECT")
    rows = (
        rejected.lazy()
        .pipe(_grouped, ["srcaddr"], [pl.len().alias("records")])
        .pipe(_ranked, "records", _sort_columns(["srcaddr"]), limit)
        .select(
            _address_text("srcaddr").alias("source"),
            "records",
            _share("records", rejected.height),
        )
        .collect()
    )
    return StatsTable(title=title, rows=rows, note=counted.note)


def rejected_sources(
    frame: pl.DataFrame, counting: Counting = Counting.ALL_RECORDS, limit: int = DEFAULT_LIMIT
) -> StatsTable:
    """The source addresses of the most REJECT records, with share of them."""
    _check_limit(limit)
    return _rejected_sources_table(_count(frame, counting, _REJECTED_SOURCE_FIELDS), limit)


# ---------------------------------------------------------------------------------------------
# Value counts

_BYTES_TOTAL = "_bytes_total"


@dataclass(frozen=True, slots=True)
class _ValueCounts:
    rows: pl.DataFrame  # raw value columns, records, _bytes_total, share_pct; most records first
    distinct: int
    note: str


def _count_values(counted: _Counted, column: str, limit: int | None) -> _ValueCounts:
    data = counted.frame
    has_bytes = "bytes" in data.columns
    bytes_total = pl.col("bytes").sum() if has_bytes else pl.lit(None, dtype=pl.UInt64()).first()
    aggregations = [pl.len().alias("records"), bytes_total.alias(_BYTES_TOTAL)]
    groups = data.lazy().pipe(_grouped, [column], aggregations).collect()
    rows = (
        groups.lazy()
        .pipe(_ranked, "records", _sort_columns([column]), limit)
        .with_columns(_share("records", data.height))
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
    _check_limit(limit)
    title = f"Values of {column}"
    counted = _count(frame, counting, [column, "bytes"])
    columns = ["value", "records", "share_pct", "bytes"]
    if unavailable := _unavailable(counted, title, [column], columns):
        return unavailable
    counts = _count_values(counted, column, limit)
    rows = counts.rows.select(
        _value_text(column).alias("value"),
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


def _counts_table(
    counted: _Counted, field: CountField, eni_labels: Mapping[str, str] | None
) -> StatsTable:
    title = _COUNT_TITLES[field]
    labels = dict(eni_labels) if field == "interface-id" and eni_labels is not None else None
    label_columns = [] if labels is None else ["belongs_to"]
    columns = [field, *label_columns, "records", "share_pct", "bytes"]
    if unavailable := _unavailable(counted, title, [field], columns):
        return unavailable
    counts = _count_values(counted, field, limit=None)
    rows = counts.rows
    if field == "protocol":
        rows = _with_protocol_names(rows, field)
    value = _value_text(field)
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
    return _counts_table(_count(frame, counting, [field, "bytes"]), field, eni_labels)


# ---------------------------------------------------------------------------------------------
# Traffic over time


def bucket_seconds_for(span_seconds: int) -> int:
    """A bucket size for a time range: the finest of 1 min ... 1 day giving at most 120 buckets.

    1 min up to 2 h, 15 min for a day, 2 h for a week, 1 day from 4 months; whole days beyond.
    """
    if span_seconds < 0:
        raise ValueError(f"a time span cannot be negative ({span_seconds} s)")
    for size in _BUCKET_LADDER:
        if span_seconds <= size * _MAX_BUCKETS:
            return size
    days = -(-span_seconds // (_DAY * _MAX_BUCKETS))
    return days * _DAY


_TIMELINE_FIELDS = ("start", "action", "bytes")
_TIMELINE_COUNTS = ("records_accept", "records_reject", "records_other")
_TIMELINE_BYTES = ("bytes_accept", "bytes_reject", "bytes_other")
_TIMELINE_COLUMNS = ("bucket_start", "time", *_TIMELINE_COUNTS, *_TIMELINE_BYTES)
_MAX_TIMELINE_ROWS = 100_000


def _timeline_classes(data: pl.DataFrame) -> list[pl.Expr]:
    """accept, reject, other: whether each record is ACCEPT, REJECT or neither (no action)."""
    if "action" not in data.columns:
        return [pl.lit(False), pl.lit(False), pl.lit(True)]
    accept = (pl.col("action") == "ACCEPT").fill_null(False)
    reject = (pl.col("action") == "REJECT").fill_null(False)
    return [accept, reject, ~(accept | reject)]


def _timeline_sums(data: pl.DataFrame) -> list[pl.Expr]:
    classes = _timeline_classes(data)
    counts = [
        cls.sum().cast(pl.UInt32()).alias(name)
        for cls, name in zip(classes, _TIMELINE_COUNTS, strict=True)
    ]
    if "bytes" in data.columns:
        byte_sums = [
            pl.col("bytes").filter(cls).sum().alias(name)
            for cls, name in zip(classes, _TIMELINE_BYTES, strict=True)
        ]
    else:
        byte_sums = [
            pl.lit(None, dtype=pl.UInt64()).first().alias(name) for name in _TIMELINE_BYTES
        ]
    return [*counts, *byte_sums]


def _timeline_note(counted: _Counted, undated: int) -> str:
    parts = []
    if undated:
        noun = "record" if undated == 1 else "records"
        parts.append(f"{undated} {noun} without a start time left out")
    if "action" not in counted.frame.columns:
        parts.append("action not recorded, so every record counts as other")
    if "bytes" not in counted.frame.columns:
        parts.append("bytes not recorded")
    return "; ".join([*parts, counted.note])


def _bucket_starts(dated: pl.DataFrame, size: int) -> pl.Series:
    """Every bucket start from the first record's bucket to the last one's, gaps included."""
    if dated.is_empty():
        return pl.Series("bucket_start", [], dtype=pl.Int64())
    start = dated.get_column("start")
    first, last = int(start.min()), int(start.max())  # type: ignore[arg-type]
    first_bucket, last_bucket = first // size * size, last // size * size
    if (last_bucket - first_bucket) // size >= _MAX_TIMELINE_ROWS:
        raise ValueError(
            f"{size}-second buckets over this time range make more than "
            f"{_MAX_TIMELINE_ROWS} rows; choose larger buckets"
        )
    starts = pl.int_range(first_bucket, last_bucket + size, size, dtype=pl.Int64(), eager=True)
    return starts.alias("bucket_start")


def _span_seconds(dated: pl.DataFrame) -> int:
    if dated.is_empty():
        return 0
    return int(dated.select(pl.col("start").max() - pl.col("start").min()).item())


def _timeline_table(counted: _Counted, bucket_seconds: int | None) -> TimelineTable:
    title = "Traffic over time"
    if unavailable := _unavailable(counted, title, ["start"], _TIMELINE_COLUMNS):
        return TimelineTable(
            title=title,
            rows=unavailable.rows,
            note=unavailable.note,
            missing_fields=unavailable.missing_fields,
            bucket_seconds=bucket_seconds or _MINUTE,
        )
    dated = counted.frame.filter(pl.col("start").is_not_null())
    size = bucket_seconds or bucket_seconds_for(_span_seconds(dated))
    sums = (
        dated.lazy()
        .group_by((pl.col("start") // size * size).alias("bucket_start"))
        .agg(_timeline_sums(dated))
    )
    zero_filled = [*_TIMELINE_COUNTS, *(_TIMELINE_BYTES if "bytes" in dated.columns else ())]
    rows = (
        _bucket_starts(dated, size)
        .to_frame()
        .lazy()
        .join(sums, on="bucket_start", how="left", maintain_order="left")
        .with_columns(pl.col(zero_filled).fill_null(0))
        .select(
            "bucket_start",
            pl.from_epoch("bucket_start", time_unit="s")
            .dt.strftime("%Y-%m-%dT%H:%M:%SZ")
            .alias("time"),
            *_TIMELINE_COUNTS,
            *_TIMELINE_BYTES,
        )
        .collect()
    )
    undated = counted.frame.height - dated.height
    note = _timeline_note(counted, undated)
    return TimelineTable(title=title, rows=rows, note=note, bucket_seconds=size)


def timeline(
    frame: pl.DataFrame,
    counting: Counting = Counting.ALL_RECORDS,
    bucket_seconds: int | None = None,
) -> TimelineTable:
    """Records and bytes per time bucket (by `start`), ACCEPT, REJECT and other apart.

    Buckets are aligned to multiples of their size (UTC) and gapless: empty ones hold zeros.
    The size follows the time range of the records unless `bucket_seconds` is given.
    """
    if bucket_seconds is not None and bucket_seconds < 1:
        raise ValueError(f"a time bucket must be at least 1 second, not {bucket_seconds}")
    return _timeline_table(_count(frame, counting, _TIMELINE_FIELDS), bucket_seconds)


# ---------------------------------------------------------------------------------------------
# Several tables at once: the records are counted once for all of them


_OVERVIEW_FIELDS = (
    "srcaddr",
    "dstaddr",
    *METRICS,
    *_REJECTED_PORT_FIELDS,
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
    _check_limit(limit)
    counted = _count(frame, counting, _OVERVIEW_FIELDS)
    return [
        *(_talkers_table(counted, side, metric, limit) for metric in METRICS for side in SIDES),
        _rejected_ports_table(counted, limit),
        _rejected_sources_table(counted, limit),
        *(_counts_table(counted, field, eni_labels) for field in COUNT_FIELDS),
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


def parse_counting(text: str) -> Counting:
    """A counting mode from its name; ValueError naming the choices otherwise."""
    try:
        return Counting(text)
    except ValueError:
        choices = ", ".join(mode.value for mode in Counting)
        raise ValueError(f"unknown counting '{text}': choose {choices}") from None


def stats_for_cli(
    kind: CliKind, frame: pl.DataFrame, counting: Counting = Counting.ALL_RECORDS
) -> list[StatsTable]:
    """The tables `flowtui query --stats KIND` prints.

    talkers: top sources, destinations and pairs by bytes; ports: top rejected destination
    ports and rejected sources; timeline: the time buckets.
    """
    if kind == "talkers":
        counted = _count(frame, counting, ["srcaddr", "dstaddr", *METRICS])
        return [_talkers_table(counted, side, "bytes", DEFAULT_LIMIT) for side in SIDES]
    if kind == "ports":
        counted = _count(frame, counting, [*_REJECTED_PORT_FIELDS, *_REJECTED_SOURCE_FIELDS])
        return [
            _rejected_ports_table(counted, DEFAULT_LIMIT),
            _rejected_sources_table(counted, DEFAULT_LIMIT),
        ]
    if kind == "timeline":
        return [timeline(frame, counting)]
    raise ValueError(f"unknown stats '{kind}': choose {', '.join(CLI_KINDS)}")
