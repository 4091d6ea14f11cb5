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
from flowtui.core.schema import v6_column

NULL_TEXT = "-"
DEFAULT_LIMIT = 20

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
class _Loaded:
    """The columns a table needs, counting applied; `missing` lists absent needed fields."""

    frame: pl.DataFrame
    note: str
    missing: tuple[str, ...]
    missing_note: str


# ---------------------------------------------------------------------------------------------
# Columns, counting and rendering


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
    for name in dict.fromkeys(names):
        if not _is_address(name):
            selected.append(pl.col(name))
            continue
        for part, dtype in zip(_address_parts(name), (pl.UInt32(), pl.Categorical()), strict=True):
            present = part in frame.columns
            selected.append(pl.col(part) if present else pl.lit(None, dtype=dtype).alias(part))
    return selected


def _join(names: Sequence[str]) -> str:
    return ", ".join(names)


def _missing_note(
    table_missing: Sequence[str], counting_missing: Sequence[str], counting: Counting
) -> str:
    reasons = []
    if table_missing:
        reasons.append(f"needs {_join(table_missing)}, which these records do not have")
    if counting_missing:
        reasons.append(
            f"{counting.value} counting needs {_join(counting_missing)}, "
            "which these records do not have"
        )
    return "Unavailable: " + "; ".join(reasons)


def _effective_address(name: str, columns: Sequence[str]) -> list[pl.Expr]:
    """The flow-key address parts: the packet-level address when the record has one."""
    plain = _address_parts(name)
    packet_field = _PACKET_ADDRESS[name]
    if packet_field not in columns:
        return [pl.col(part) for part in plain]
    packet = _address_parts(packet_field)
    has_packet = pl.col(packet[0]).is_not_null() | pl.col(packet[1]).is_not_null()
    return [
        pl.when(has_packet).then(pl.col(p)).otherwise(pl.col(q))
        for p, q in zip(packet, plain, strict=True)
    ]


def _one_per_flow(frame: pl.LazyFrame, columns: Sequence[str]) -> pl.LazyFrame:
    addresses = [*_effective_address("srcaddr", columns), *_effective_address("dstaddr", columns)]
    key_names = [f"_flow_key_{i}" for i in range(len(addresses))]
    key = [expr.alias(name) for expr, name in zip(addresses, key_names, strict=True)]
    has_address = pl.any_horizontal(pl.col(name).is_not_null() for name in key_names)
    keyed = frame.with_columns(key)
    # Records without addresses (NODATA, SKIPDATA) are not flows: each one stays.
    flows = keyed.filter(has_address).unique(
        subset=[*key_names, "srcport", "dstport", "protocol", "start", "end"], keep="first"
    )
    return pl.concat([flows, keyed.filter(~has_address)]).drop(key_names)


def _apply_counting(
    frame: pl.LazyFrame, counting: Counting, columns: Sequence[str]
) -> pl.LazyFrame:
    if counting is Counting.EGRESS_ONLY:
        return frame.filter(pl.col("flow-direction") == "egress")
    if counting is Counting.ONE_PER_FLOW:
        return _one_per_flow(frame, columns)
    return frame


def _load(
    frame: pl.DataFrame,
    counting: Counting,
    required: Sequence[str],
    optional: Sequence[str] = (),
) -> _Loaded:
    """The needed columns of `frame` (plus any optional ones it has), counted as asked."""
    counting = parse_counting(counting)
    note = _COUNTING_NOTES[counting]
    counting_needs = _COUNTING_NEEDS[counting]
    table_missing = [name for name in dict.fromkeys(required) if not _present(frame, name)]
    counting_missing = [name for name in counting_needs if not _present(frame, name)]
    if table_missing or counting_missing:
        missing = tuple(dict.fromkeys([*table_missing, *counting_missing]))
        reason = _missing_note(table_missing, counting_missing, counting)
        return _Loaded(frame.clear(), note, missing, reason)
    wanted = [*required, *(name for name in optional if _present(frame, name)), *counting_needs]
    if counting is Counting.ONE_PER_FLOW:
        wanted += [name for name in _PACKET_ADDRESS.values() if _present(frame, name)]
    selected = frame.lazy().select(_source_columns(frame, wanted))
    loaded_columns = [*dict.fromkeys(wanted)]
    counted = _apply_counting(selected, counting, loaded_columns).collect()
    return _Loaded(counted, note, (), "")


def _unavailable(title: str, columns: Sequence[str], loaded: _Loaded) -> StatsTable:
    return StatsTable(
        title=title,
        rows=pl.DataFrame(schema=dict.fromkeys(columns, pl.String())),
        note=f"{loaded.missing_note}; {loaded.note}",
        missing_fields=loaded.missing,
    )


_OCTET_WEIGHTS = (1 << 24, 1 << 16, 1 << 8, 1)


def _ipv4_text(column: str) -> pl.Expr:
    value = pl.col(column)
    octets = [((value // weight) & 255).cast(pl.String) for weight in _OCTET_WEIGHTS]
    return pl.concat_str(octets, separator=".")


def _address_text(name: str) -> pl.Expr:
    """An address as text: dotted quad from the UInt32 part, else the IPv6 text, else "-"."""
    ipv4, ipv6 = _address_parts(name)
    return pl.coalesce(_ipv4_text(ipv4), pl.col(ipv6).cast(pl.String), pl.lit(NULL_TEXT))


def _value_text(name: str) -> pl.Expr:
    if _is_address(name):
        return _address_text(name)
    return pl.col(name).cast(pl.String).fill_null(NULL_TEXT)


def _key_columns(name: str) -> list[str]:
    return _address_parts(name) if _is_address(name) else [name]


def _share(metric: str, total: int) -> pl.Expr:
    """Percentage of `total`, to two decimals; 0 when the total is 0."""
    if total == 0:
        return pl.lit(0.0).alias("share_pct")
    return (pl.col(metric) * (100.0 / total)).round(2).alias("share_pct")


def _column_total(frame: pl.DataFrame, column: str) -> int:
    total = frame.get_column(column).sum() if frame.height else 0
    return int(total or 0)


def _ranked(
    groups: pl.LazyFrame, metric: str, keys: Sequence[str], limit: int | None
) -> pl.LazyFrame:
    """Largest `metric` first, ties broken by key so the order never changes between runs."""
    ordered = groups.sort([metric, *keys], descending=[True] + [False] * len(keys), nulls_last=True)
    return ordered if limit is None else ordered.head(limit)


def _check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise ValueError(f"the number of rows to show must be at least 1, not {limit}")


# ---------------------------------------------------------------------------------------------
# Tables


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
    fields = _SIDE_FIELDS[side]
    labels = [_SIDE_LABELS[name] for name in fields]
    other_metric = "packets" if metric == "bytes" else "bytes"
    title = f"Top {_SIDE_TITLES[side]} by {metric}"
    loaded = _load(frame, counting, [*fields, metric], optional=[other_metric])
    if loaded.missing:
        return _unavailable(title, [*labels, metric, other_metric, "records", "share_pct"], loaded)
    data = loaded.frame
    metrics = [name for name in (metric, other_metric) if name in data.columns]
    keys = [part for name in fields for part in _address_parts(name)]
    has_address = pl.any_horizontal(pl.col(part).is_not_null() for part in keys)
    rows = (
        data.lazy()
        .filter(has_address)
        .group_by(keys)
        .agg(*(pl.col(name).sum() for name in metrics), pl.len().alias("records"))
        .pipe(_ranked, metric, keys, limit)
        .select(
            *(_address_text(name).alias(label) for name, label in zip(fields, labels, strict=True)),
            *metrics,
            "records",
            _share(metric, _column_total(data, metric)),
        )
        .collect()
    )
    return StatsTable(title=title, rows=rows, note=loaded.note)


def _protocol_text(number: int | None) -> str:
    return NULL_TEXT if number is None else protocol_label(number)


def _with_protocol_names(rows: pl.DataFrame, column: str) -> pl.DataFrame:
    """Protocol numbers as "TCP (6)"; done in Python because the result has a few rows only."""
    names = [_protocol_text(number) for number in rows.get_column(column).to_list()]
    return rows.with_columns(pl.Series(column, names, dtype=pl.String()))


def rejected_ports(
    frame: pl.DataFrame, counting: Counting = Counting.ALL_RECORDS, limit: int = DEFAULT_LIMIT
) -> StatsTable:
    """The destination ports (with protocol) of the most REJECT records, with share of them."""
    _check_limit(limit)
    title = "Top rejected destination ports"
    loaded = _load(frame, counting, ["action", "dstport", "protocol"])
    if loaded.missing:
        return _unavailable(title, ["port", "protocol", "records", "share_pct"], loaded)
    rejected = loaded.frame.filter(pl.col("action") == "REJECT")
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
    return StatsTable(title=title, rows=_with_protocol_names(rows, "protocol"), note=loaded.note)


def rejected_sources(
    frame: pl.DataFrame, counting: Counting = Counting.ALL_RECORDS, limit: int = DEFAULT_LIMIT
) -> StatsTable:
    """The source addresses of the most REJECT records, with share of them."""
    _check_limit(limit)
    title = "Top rejected sources"
    loaded = _load(frame, counting, ["action", "srcaddr"])
    if loaded.missing:
        return _unavailable(title, ["source", "records", "share_pct"], loaded)
    rejected = loaded.frame.filter(pl.col("action") == "REJECT")
    keys = _address_parts("srcaddr")
    rows = (
        rejected.lazy()
        .group_by(keys)
        .agg(pl.len().alias("records"))
        .pipe(_ranked, "records", keys, limit)
        .select(
            _address_text("srcaddr").alias("source"),
            "records",
            _share("records", rejected.height),
        )
        .collect()
    )
    return StatsTable(title=title, rows=rows, note=loaded.note)


_BYTES_TOTAL = "_bytes_total"


def _count_values(loaded: _Loaded, column: str, limit: int | None) -> pl.DataFrame:
    """Records and bytes per value of `column`, most records first; keys stay raw."""
    data = loaded.frame
    keys = _key_columns(column)
    if "bytes" in data.columns:
        bytes_total = pl.col("bytes").sum()
    else:
        bytes_total = pl.lit(None, dtype=pl.UInt64()).first()
    return (
        data.lazy()
        .group_by(keys)
        .agg(pl.len().alias("records"), bytes_total.alias(_BYTES_TOTAL))
        .pipe(_ranked, "records", keys, limit)
        .with_columns(_share("records", data.height))
        .collect()
    )


def _value_count_note(loaded: _Loaded) -> str:
    if "bytes" in loaded.frame.columns:
        return loaded.note
    return f"bytes not recorded; {loaded.note}"


def value_counts(
    frame: pl.DataFrame,
    column: str,
    counting: Counting = Counting.ALL_RECORDS,
    limit: int | None = None,
) -> StatsTable:
    """Value, records, share and bytes for every value of any column, most records first.

    Values are text as a log line writes them (addresses as text, null as "-"), ready to filter
    by. `limit` keeps the most frequent values only; the note then says how many there were.
    """
    _check_limit(limit)
    title = f"Values of {column}"
    columns = ["value", "records", "share_pct", "bytes"]
    loaded = _load(frame, counting, [column], optional=["bytes"])
    if loaded.missing:
        return _unavailable(title, columns, loaded)
    counts = _count_values(loaded, column, limit)
    rows = counts.select(
        _value_text(column).alias("value"),
        "records",
        "share_pct",
        pl.col(_BYTES_TOTAL).alias("bytes"),
    )
    note = _value_count_note(loaded)
    if limit is not None and rows.height == limit:
        distinct = loaded.frame.select(pl.struct(_key_columns(column)).n_unique()).item()
        if distinct > limit:
            note = f"the {limit} most frequent of {distinct} values; {note}"
    return StatsTable(title=title, rows=rows, note=note)


_COUNT_TITLES: dict[CountField, str] = {
    "action": "Records per action",
    "log-status": "Records per log-status",
    "protocol": "Records per protocol",
    "interface-id": "Records per ENI",
}


def counts_per(
    frame: pl.DataFrame,
    field: CountField,
    counting: Counting = Counting.ALL_RECORDS,
    eni_labels: Mapping[str, str] | None = None,
) -> StatsTable:
    """Records, share and bytes per action, log-status, protocol (by name) or ENI.

    For ENIs, `eni_labels` (ENI id -> "web-1 (i-0abc)") adds a `belongs_to` column.
    """
    title = _COUNT_TITLES[field]
    show_labels = field == "interface-id" and eni_labels is not None
    label_column = ["belongs_to"] if show_labels else []
    loaded = _load(frame, counting, [field], optional=["bytes"])
    if loaded.missing:
        columns = [field, *label_column, "records", "share_pct", "bytes"]
        return _unavailable(title, columns, loaded)
    counts = _count_values(loaded, field, limit=None)
    if field == "protocol":
        counts = _with_protocol_names(counts, field)
    value = _value_text(field)
    labels = []
    if show_labels:
        labels = [value.replace_strict(eni_labels, default=NULL_TEXT).alias("belongs_to")]
    rows = counts.select(
        value.alias(field),
        *labels,
        "records",
        "share_pct",
        pl.col(_BYTES_TOTAL).alias("bytes"),
    )
    return StatsTable(title=title, rows=rows, note=_value_count_note(loaded))


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


def _timeline_note(loaded: _Loaded, data: pl.DataFrame, undated: int) -> str:
    parts = []
    if undated:
        parts.append(f"{undated} records without a start time left out")
    if "action" not in data.columns:
        parts.append("action not recorded, so every record counts as other")
    if "bytes" not in data.columns:
        parts.append("bytes not recorded")
    return "; ".join([*parts, loaded.note])


def _bucket_starts(dated: pl.DataFrame, size: int) -> pl.Series:
    """Every bucket start from the first record's bucket to the last one's, gaps included."""
    if dated.is_empty():
        return pl.Series("bucket_start", [], dtype=pl.Int64())
    first, last = dated.select(pl.col("start").min(), pl.col("start").max()).row(0)
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
    title = "Traffic over time"
    loaded = _load(frame, counting, ["start"], optional=["action", "bytes"])
    if loaded.missing:
        unavailable = _unavailable(title, _TIMELINE_COLUMNS, loaded)
        return TimelineTable(
            title=title,
            rows=unavailable.rows,
            note=unavailable.note,
            missing_fields=unavailable.missing_fields,
            bucket_seconds=bucket_seconds or _MINUTE,
        )
    dated = loaded.frame.filter(pl.col("start").is_not_null())
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
        .join(sums, on="bucket_start", how="left")
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
    undated = loaded.frame.height - dated.height
    return TimelineTable(
        title=title,
        rows=rows,
        note=_timeline_note(loaded, dated, undated),
        bucket_seconds=size,
    )


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
        sides: tuple[Side, ...] = ("source", "destination", "pair")
        return [top_talkers(frame, side, "bytes", counting) for side in sides]
    if kind == "ports":
        return [rejected_ports(frame, counting), rejected_sources(frame, counting)]
    if kind == "timeline":
        return [timeline(frame, counting)]
    raise ValueError(f"unknown stats '{kind}': choose {', '.join(CLI_KINDS)}")
