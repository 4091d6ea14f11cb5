"""Which columns the flow table shows, in which order, and how wide: measured from the records.

Three steps, each a plain function:

- `measure_content` (in a worker, never per cell): what the records need per column, column-wise
  with polars: the longest IPv4 or IPv6 text of each address field and, for addresses whose
  owner is known, address plus owner label; the longest text of text fields; the largest
  number's digits; the span of the start times (a day or more decides the time style).
  `Measurements.widened` merges the measure of newly arrived rows: columns widen at once when
  new records need it (IPv6 arrives) and never shrink while rows are appended; a rebuild (new
  filter, sort, fields or view) measures afresh and may shrink them.
- `layout_columns`: the visible columns in order with their natural width and the narrowest
  they may become (`min_width`): an address keeps its whole IPv4 text, the owner label goes
  first.
- `fit_widths` (the table, on every resize): when the first columns do not fit the width on
  screen, the shrinkable ones among them (addresses, names) give up cells, widest first, so a
  row at 80 columns reads time, action, source, destination, destination port and protocol.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import polars as pl

from flowtui.core.fields import FIELDS, FieldKind
from flowtui.core.schema import INGEST, STREAM, int_to_ipv4, v6_column
from flowtui.ui.formatting import (
    HUMAN_BYTES_WIDTH,
    IPV4_WIDTH,
    TIME_WIDTHS,
    Column,
    DisplayOptions,
    Ownership,
    TimeStyle,
    column_title,
    is_numeric,
    protocol_name,
)

#: Shown first, in this order, when present: at 80 columns a row reads the first six.
LEAD_ORDER = (
    "start",
    "action",
    "srcaddr",
    "dstaddr",
    "dstport",
    "protocol",
    "bytes",
    "packets",
    "srcport",
    "log-status",
    "interface-id",
)
#: How many of the first visible columns `fit_widths` keeps on screen when it can.
ESSENTIAL_COLUMNS = 6
#: Present in most records but rarely needed at a glance; the columns screen (`c`) shows them.
DEFAULT_HIDDEN = frozenset({"version", "account-id", "end", STREAM, INGEST})
MAX_TEXT_WIDTH = 40
#: Owner labels longer than this are shortened even when the screen has room.
MAX_LABEL_WIDTH = 16
#: Names (interface ids, text) never shrink below this to make room.
MIN_TEXT_WIDTH = 12
_SECONDS_PER_DAY = 86_400


def available_columns(fields: Iterable[str], has_streams: bool) -> list[str]:
    """Every column the table can show, in default order: the most telling ones first."""
    present = list(fields)
    lead = [name for name in LEAD_ORDER if name in present]
    rest = [name for name in present if name not in lead]
    extra = [STREAM, INGEST] if has_streams else []
    return lead + rest + extra


@dataclass(frozen=True, slots=True)
class Measurements:
    """What the records need: content widths by column, and the span of their start times."""

    widths: Mapping[str, int] = field(default_factory=dict)
    #: Earliest and latest start (epoch seconds); None before any record.
    first_start: int | None = None
    last_start: int | None = None

    def widened(self, other: Measurements) -> Measurements:
        """Both measures at once: every width the larger, the time span the union."""
        widths = dict(self.widths)
        for name, width in other.widths.items():
            widths[name] = max(width, widths.get(name, 0))
        starts = [s for s in (self.first_start, other.first_start) if s is not None]
        ends = [s for s in (self.last_start, other.last_start) if s is not None]
        return Measurements(widths, min(starts, default=None), max(ends, default=None))


def measure_content(
    frame: pl.DataFrame, names: Iterable[str], ownership: Ownership | None = None
) -> Measurements:
    """The widths `frame`'s values need (column-wise, on distinct values, never per cell)."""
    ownership = ownership or Ownership()
    widths: dict[str, int] = {}
    for name in names:
        if name not in frame.columns:
            continue
        kind = FIELDS[name].kind if name in FIELDS else FieldKind.TEXT
        if kind is FieldKind.ADDRESS:
            widths[name] = _address_width(frame, name, ownership)
        elif name == "protocol":
            numbers = frame.get_column(name).drop_nulls().unique().to_list()
            widths[name] = max((len(protocol_name(int(n))) for n in numbers), default=1)
        elif name == "action":
            widths[name] = _action_width(frame)
        elif name == "interface-id":
            widths[name] = _labelled_text_width(frame.get_column(name), ownership.interfaces)
        elif kind is FieldKind.INTEGER:
            largest = frame.get_column(name).max()
            widths[name] = len(str(largest)) if isinstance(largest, int) else 1
        elif kind is FieldKind.TEXT:
            widths[name] = min(_longest_text(frame.get_column(name)), MAX_TEXT_WIDTH)
    first = last = None
    if "start" in frame.columns and frame.height:
        low, high = frame.get_column("start").min(), frame.get_column("start").max()
        first = low if isinstance(low, int) else None
        last = high if isinstance(high, int) else None
    return Measurements(widths, first, last)


def _action_width(frame: pl.DataFrame) -> int:
    """ACCEPT and REJECT take 6 cells; SKIPDATA (shown for a record without an action) 8."""
    if "log-status" not in frame.columns or not frame.height:
        return len("ACCEPT")
    skipped = (pl.col("action").is_null() & (pl.col("log-status") == "SKIPDATA")).any()
    return len("SKIPDATA") if frame.select(skipped).item() else len("ACCEPT")


def _longest_text(values: pl.Series) -> int:
    longest = values.unique().cast(pl.String).str.len_chars().max()
    return int(longest) if isinstance(longest, int) else 0


def _labelled(text: str, label: str) -> int:
    return len(text) + (1 + min(len(label), MAX_LABEL_WIDTH) if label else 0)


def _address_width(frame: pl.DataFrame, name: str, ownership: Ownership) -> int:
    """The longest address text, owner label included where the owner is known."""
    v4 = frame.get_column(name)
    longest = _longest_ipv4(v4)
    v6 = frame.get_column(v6_column(name)).drop_nulls().unique()
    longest = max(longest, _longest_text(v6) if len(v6) else 0)
    if not ownership.addresses:
        return longest
    owned = _owned_ipv4(tuple(ownership.addresses))
    owned_v4 = v4.filter(v4.is_in(owned)).unique().to_list() if owned else []
    owned_v6 = v6.filter(v6.is_in(list(ownership.addresses))).to_list()
    for text in [int_to_ipv4(value) for value in owned_v4] + [str(t) for t in owned_v6]:
        longest = max(longest, _labelled(text, ownership.label_for(name, text)))
    return longest


def _longest_ipv4(values: pl.Series) -> int:
    """The longest dotted-quad text of UInt32 addresses, counted in digits (no strings)."""
    if not values.len() or values.null_count() == values.len():
        return 0
    column = pl.col(values.name)
    octets = [(column // (1 << shift)) % 256 for shift in (24, 16, 8, 0)]
    digits = [1 + (octet >= 10).cast(pl.UInt8) + (octet >= 100).cast(pl.UInt8) for octet in octets]
    longest = values.to_frame().select(pl.sum_horizontal(digits).max()).item()
    return int(longest) + 3 if isinstance(longest, int) else 0


@functools.lru_cache(maxsize=8)
def _owned_ipv4(addresses: tuple[str, ...]) -> list[int]:
    """The IPv4 addresses among an ownership table's keys, as the store keeps them (UInt32)."""
    owned = []
    for text in addresses:
        with contextlib.suppress(ValueError):
            owned.append(int(ipaddress.IPv4Address(text)))
    return owned


def _labelled_text_width(values: pl.Series, labels: Mapping[str, str]) -> int:
    distinct = values.drop_nulls().unique().cast(pl.String)
    longest = _longest_text(distinct) if len(distinct) else 0
    for text in distinct.filter(distinct.is_in(list(labels))).to_list() if labels else ():
        longest = max(longest, _labelled(text, labels[text]))
    return min(longest, MAX_TEXT_WIDTH)


def time_style_for(measured: Measurements, local: bool) -> TimeStyle:
    """`clock` (HH:MM:SS) when every start falls on one day where shown, else `day`."""
    first, last = measured.first_start, measured.last_start
    if first is None or last is None:
        return "clock"
    if last - first >= _SECONDS_PER_DAY:
        return "day"
    zone = None if local else UTC
    try:
        days = {datetime.fromtimestamp(moment, zone).date() for moment in (first, last)}
    except (OverflowError, OSError, ValueError):
        return "full"
    return "clock" if len(days) == 1 else "day"


def _content_width(name: str, measured: Measurements, options: DisplayOptions) -> int:
    spec = FIELDS.get(name)
    if name == INGEST or (spec is not None and spec.kind is FieldKind.TIMESTAMP):
        return 13 if options.raw_values else TIME_WIDTHS[options.time_style]
    if name == "bytes" and not options.raw_values:
        return HUMAN_BYTES_WIDTH
    if name == "protocol":
        return 3 if options.raw_values else measured.widths.get(name, 4)
    if name == "action":
        return measured.widths.get(name, len("ACCEPT"))
    if spec is not None and spec.kind is FieldKind.ENUM:
        return max(len(value) for value in spec.values)
    if spec is not None and spec.kind is FieldKind.ADDRESS:
        return measured.widths.get(name, IPV4_WIDTH)
    return measured.widths.get(name, 12)


def _shrinkable_to(name: str, width: int) -> int:
    """The narrowest a column may become to make room: whole IPv4 text, a readable name."""
    spec = FIELDS.get(name)
    if spec is not None and spec.kind is FieldKind.ADDRESS:
        return min(width, IPV4_WIDTH)
    if name in (STREAM, "interface-id") or (spec is not None and spec.kind is FieldKind.TEXT):
        return min(width, MIN_TEXT_WIDTH)
    return width


def layout_columns(
    order: Iterable[str],
    hidden: Iterable[str],
    measured: Measurements,
    options: DisplayOptions,
) -> list[Column]:
    """The visible columns, in order, at their natural widths (and how narrow each may get)."""
    hidden_names = set(hidden)
    columns = []
    for name in order:
        if name in hidden_names:
            continue
        title = column_title(name, options)
        width = max(_content_width(name, measured, options), len(title))
        floor = max(_shrinkable_to(name, width), len(title))
        address = name in FIELDS and FIELDS[name].kind is FieldKind.ADDRESS
        columns.append(Column(name, title, width, is_numeric(name), floor, address))
    return columns


def fit_widths(
    columns: Sequence[Column], width: int, essential: int = ESSENTIAL_COLUMNS
) -> list[Column]:
    """`columns` with the first `essential` made to fit `width` cells (one separator each).

    Only columns among those first ones shrink, the widest shrinkable one a cell at a time
    (so both addresses give up alike), never below their `min_width`; when even that does not
    fit, the table scrolls sideways as before.
    """
    fitted = list(columns)
    lead = range(min(essential, len(fitted)))
    excess = sum(fitted[index].width + 1 for index in lead) - 1 - width
    while excess > 0:
        candidates = [i for i in lead if fitted[i].width > fitted[i].min_width]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: fitted[i].width)
        fitted[widest] = replace(fitted[widest], width=fitted[widest].width - 1)
        excess -= 1
    return fitted
