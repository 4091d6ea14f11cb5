"""How store values become the text the user reads: cells, times, hostile text.

Everything here is plain data in, plain strings out; widgets decide colours (which columns show
and how wide is `column_layout`). A cell too long for its column is cut by `fit_cell`: the
owner's name first, then the value (an address in the middle). A page of rows is
formatted at once (the table asks for one page per gather), and every string that came from
outside (log content, stream names, tags) passes through `sanitize` so it can never act as a
terminal escape sequence.
"""

from __future__ import annotations

import contextlib
import functools
import os
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import polars as pl
from rich.cells import cell_len, set_cell_size

from flowtui.core.fields import FIELDS, FieldKind
from flowtui.core.formats import LogFormat
from flowtui.core.protocols import protocol_info
from flowtui.core.schema import INGEST, ROW_ID, STREAM, int_to_ipv4, v6_column
from flowtui.core.search import aws_text

MISSING = "-"
ELLIPSIS = "…"
HUMAN_BYTES_WIDTH = 10
IPV4_WIDTH = 15

#: How times are written: `full` 2026-11-27 10:00:00, `clock` 10:00:00 (the records span one
#: day), `day` 11-27 10:00 (they span several).
TimeStyle = Literal["full", "clock", "day"]
TIME_FORMATS: dict[str, str] = {
    "full": "%Y-%m-%d %H:%M:%S",
    "clock": "%H:%M:%S",
    "day": "%m-%d %H:%M",
}
TIME_WIDTHS: dict[str, int] = {"full": 19, "clock": 8, "day": 11}

_C0_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)}
_HOSTILE = (
    _C0_PICTURES
    | {0x7F: "\u2421"}
    | {code: "\ufffd" for code in range(0x80, 0xA0)}
    # Bidirectional overrides could make a line read differently from what it holds.
    | {code: "\ufffd" for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
)

#: Titles shorter than the field name where the filter language accepts the short name too.
_TITLES = {
    "protocol": "proto",
    "log-status": "status",
    "srcport": "sport",
    "dstport": "dport",
    "version": "ver",
}
_BYTE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def sanitize(text: str) -> str:
    """`text` with control and direction-changing characters replaced by visible stand-ins."""
    return text.translate(_HOSTILE)


@dataclass(frozen=True, slots=True)
class DisplayOptions:
    """How values are shown: `raw_values` shows bytes and times as logged; `time_style` is
    chosen by the table from the records' span (`full` everywhere else)."""

    raw_values: bool = False
    local_time: bool = False
    time_style: TimeStyle = "full"


@dataclass(frozen=True)
class Ownership:
    """What addresses and interfaces belong to ("web-1"), as far as the source knows."""

    addresses: Mapping[str, str] = field(default_factory=dict)
    interfaces: Mapping[str, str] = field(default_factory=dict)

    def label_for(self, column: str, value: str) -> str:
        table = self.interfaces if column == "interface-id" else self.addresses
        return sanitize(table.get(value, ""))


@dataclass(frozen=True, slots=True)
class Cell:
    """One rendered value; `style` names a table style ("reject", "missing"...), `note` is
    what the value belongs to, shown dimmed after it."""

    text: str
    style: str = ""
    note: str = ""

    @property
    def display(self) -> str:
        return f"{self.text} {self.note}" if self.note else self.text


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: `width` cells now, never fewer than `min_width` to make room."""

    name: str
    title: str
    width: int
    numeric: bool
    min_width: int = 0
    #: Values are addresses: one too long for the column is cut in the middle.
    address: bool = False


# --- single values ---------------------------------------------------------------------------


def format_clock(seconds: int, local: bool, style: TimeStyle = "full") -> str:
    """`2026-11-27 10:00:00` (or the `style`'s shorter form) in UTC or in the local zone;
    out-of-range values say so."""
    try:
        moment = datetime.fromtimestamp(seconds) if local else datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return f"{seconds}?"
    return moment.strftime(TIME_FORMATS[style])


def format_ms_clock(milliseconds: int | None, local: bool, style: TimeStyle = "full") -> str:
    return MISSING if milliseconds is None else format_clock(milliseconds // 1000, local, style)


def protocol_name(number: int) -> str:
    """`TCP`, `UDP`, `ICMP`; the number itself for anything without a keyword."""
    if not 0 <= number <= 255:
        return str(number)
    info = protocol_info(number)
    return info.keyword if info.status == "assigned" and info.keyword else str(number)


def address_text(row: Mapping[str, object], name: str) -> str | None:
    """An address field as text: dotted IPv4 from its UInt32 column, else the IPv6 companion."""
    value = row.get(name)
    if isinstance(value, int):
        return int_to_ipv4(value)
    companion = row.get(v6_column(name))
    return None if companion is None else str(companion)


def value_text(row: Mapping[str, object], name: str) -> str | None:
    """A field's value as logged (addresses as text, numbers as digits); None when missing."""
    if name in FIELDS and FIELDS[name].kind is FieldKind.ADDRESS:
        return address_text(row, name)
    value = row.get(name)
    return None if value is None else sanitize(str(value))


def record_fields(row: Mapping[str, object], log_format: LogFormat | None) -> dict[str, object]:
    """The record as `describe_record` expects it: the fields of its format, addresses as text."""
    names: Iterable[str] = log_format.fields if log_format else (n for n in FIELDS if n in row)
    record: dict[str, object] = {}
    for name in names:
        if FIELDS[name].kind is FieldKind.ADDRESS:
            record[name] = address_text(row, name)
        else:
            value = row.get(name)
            record[name] = sanitize(value) if isinstance(value, str) else value
    return record


# --- cells -----------------------------------------------------------------------------------

_CELL_STYLES = {"ACCEPT": "accept", "REJECT": "reject", "NODATA": "nodata", "SKIPDATA": "skipdata"}
_STYLED_COLUMNS = frozenset({"action", "log-status"})
#: Log statuses of records that carry no traffic (and so no action).
_NO_TRAFFIC = frozenset({"NODATA", "SKIPDATA"})
_LABELLED_KINDS = frozenset({FieldKind.ADDRESS})
_MISSING_CELL = Cell(MISSING, "missing")
_PROTOCOL_NAMES = {
    number: name for number in range(256) if (name := protocol_name(number)) != str(number)
}


def local_zone() -> str:
    """The local time zone as polars understands it: an IANA name, else a fixed offset."""
    return _zone_for(os.environ.get("TZ", ""))


@functools.cache
def _zone_for(tz_setting: str) -> str:
    named = tz_setting.lstrip(":")
    candidates = [named] if named else []
    with contextlib.suppress(OSError):
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    for name in candidates:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        return name
    offset = datetime.now().astimezone().strftime("%z")
    return f"{offset[:3]}:{offset[3:]}"


def _clock_expr(
    seconds: pl.Expr, local: bool, unit: Literal["s", "ms"] = "s", style: TimeStyle = "full"
) -> pl.Expr:
    moment = pl.from_epoch(seconds, time_unit=unit).dt.replace_time_zone("UTC")
    if local:
        moment = moment.dt.convert_time_zone(local_zone())
    return moment.dt.strftime(TIME_FORMATS[style])


def _human_bytes_expr(count: pl.Expr) -> pl.Expr:
    """`512 B`, `4.1 KiB`, `1.2 GiB`: at most 10 characters."""
    size = count.cast(pl.Float64)
    exact = pl.concat_str([count.cast(pl.String), pl.lit(" B")])
    shown = exact
    for power in range(len(_BYTE_UNITS) - 1, 0, -1):
        scaled = (size / 1024**power).round(1).cast(pl.String)
        in_unit = pl.concat_str([scaled, pl.lit(f" {_BYTE_UNITS[power]}")])
        shown = pl.when(count < 1024 ** (power + 1)).then(in_unit).otherwise(shown)
    return pl.when(count < 1024).then(exact).otherwise(shown)


def _label_expr(text: pl.Expr, labels: Mapping[str, str]) -> pl.Expr:
    mapping = {value: sanitize(label) for value, label in labels.items()}
    return text.replace_strict(mapping, default=None, return_dtype=pl.String)


def display_expr(
    name: str, options: DisplayOptions, ownership: Ownership, with_notes: bool = False
) -> pl.Expr:
    """A column's text exactly as the table shows it (null for a missing value).

    The same expressions render a page of the table and feed search, so what search finds is
    what the user sees. `with_notes` adds what addresses and interfaces belong to.
    """
    column = pl.col(name)
    if name == INGEST:
        return (
            column.cast(pl.String)
            if options.raw_values
            else _clock_expr(column, options.local_time, "ms", options.time_style)
        )
    if name == STREAM:
        return column.cast(pl.String)
    kind = FIELDS[name].kind
    if kind is FieldKind.TIMESTAMP:
        return (
            column.cast(pl.String)
            if options.raw_values
            else _clock_expr(column, options.local_time, "s", options.time_style)
        )
    if name == "bytes" and not options.raw_values:
        return _human_bytes_expr(column)
    if name == "protocol" and not options.raw_values:
        default = column.cast(pl.String)
        return column.replace_strict(_PROTOCOL_NAMES, default=default, return_dtype=pl.String)
    text = aws_text(name)
    if with_notes and (kind is FieldKind.ADDRESS or name == "interface-id"):
        labels = ownership.interfaces if name == "interface-id" else ownership.addresses
        if labels:
            return pl.concat_str(
                [text, _label_expr(text, labels)], separator=" ", ignore_nulls=True
            )
    return text


def _cell(name: str, text: str | None, ownership: Ownership) -> Cell:
    if text is None:
        return _MISSING_CELL
    shown = sanitize(text)
    if name in _STYLED_COLUMNS:
        return Cell(shown, _CELL_STYLES.get(shown, ""))
    if name == "interface-id" or (name in FIELDS and FIELDS[name].kind in _LABELLED_KINDS):
        return Cell(shown, note=ownership.label_for(name, text))
    return Cell(shown)


def format_page(
    page: pl.DataFrame,
    columns: Sequence[Column],
    options: DisplayOptions,
    ownership: Ownership,
) -> dict[int, tuple[Cell, ...]]:
    """The cells of every row of a page (one gather from the store), keyed by row id."""
    if not columns:
        return {int(row_id): () for row_id in page.get_column(ROW_ID).to_list()}
    exprs = [
        display_expr(column.name, options, ownership).alias(f"c{index}")
        for index, column in enumerate(columns)
    ]
    texts = page.select(exprs)
    values = [texts.to_series(index).to_list() for index in range(len(columns))]
    names = [column.name for column in columns]
    if "action" in names and "log-status" in page.columns:
        # A record without traffic has no action: the action column says why (NODATA...).
        actions = values[names.index("action")]
        statuses = page.get_column("log-status").to_list()
        for row, status in enumerate(statuses):
            if actions[row] is None and status in _NO_TRAFFIC:
                actions[row] = status
    cells: dict[int, tuple[Cell, ...]] = {}
    for row, row_id in enumerate(page.get_column(ROW_ID).to_list()):
        cells[int(row_id)] = tuple(
            _cell(column.name, values[index][row], ownership)
            for index, column in enumerate(columns)
        )
    return cells


# --- column layout ---------------------------------------------------------------------------


def column_title(name: str, options: DisplayOptions) -> str:
    if name == STREAM:
        return "stream"
    if name == INGEST:
        return "ingested"
    title = _TITLES.get(name, name)
    if name in ("start", "end") and not options.raw_values and options.time_style == "full":
        # Compact times leave the zone to the status line (it names it beside the range).
        title += " (local)" if options.local_time else " (UTC)"
    return title


def is_numeric(name: str) -> bool:
    spec = FIELDS.get(name)
    return spec is not None and spec.kind is FieldKind.INTEGER and name != "protocol"


def fit(text: str, width: int, right: bool = False) -> str:
    """`text` padded or cut (with an ellipsis) to exactly `width` terminal cells."""
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + ELLIPSIS if width else ""
    padding = " " * (width - length)
    return padding + text if right else text + padding


def fit_cell(cell: Cell, width: int, right: bool = False, middle: bool = False) -> str:
    """A cell in exactly `width` cells: its owner note is shortened (then dropped) before
    the value itself is cut; `middle` cuts a value too long for the column in the middle
    (for addresses, whose both ends tell), else it is cut at the end."""
    if cell_len(cell.display) <= width:
        return fit(cell.display, width, right)
    if cell.note:
        room = width - cell_len(cell.text) - 1
        if room >= 2:
            return fit(f"{cell.text} {fit(cell.note, room)}", width, right)
    if middle:
        return _cut_middle(cell.text, width, right)
    return fit(cell.text, width, right)


def _cut_middle(text: str, width: int, right: bool) -> str:
    if cell_len(text) <= width or width < 3 or cell_len(text) != len(text):
        return fit(text, width, right)
    head = (width - 1) // 2
    tail = width - 1 - head
    return text[:head] + ELLIPSIS + text[len(text) - tail :]


def age(milliseconds: int | None, now_s: float) -> str:
    """How long ago: `45s`, `12m`, `3h`, `20d` (`-` when unknown, `now` for the future)."""
    if milliseconds is None:
        return MISSING
    seconds = int(now_s - milliseconds / 1000)
    if seconds < 1:
        return "now"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def byte_size(count: int | None) -> str:
    """Stored sizes in the group list: `9.0 KiB`, `46.0 MiB`."""
    if count is None:
        return MISSING
    return str(pl.select(_human_bytes_expr(pl.lit(count, dtype=pl.UInt64))).item())
