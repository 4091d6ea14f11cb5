"""How records are counted for the stats tables: `Counting` picks whether a flow seen on several
ENIs counts once per record, once per egress record or once per flow (exact address keys, a
hashed flow identity); `StatsTable` is what every table returns, and a table whose fields the
records lack comes back empty with a note that says so."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from flowtui.core.fields import FIELDS, FieldKind
from flowtui.core.schema import v6_column


class Counting(StrEnum):
    """How records are counted when one flow is recorded on several ENIs."""

    ALL_RECORDS = "all-records"
    EGRESS_ONLY = "egress-only"
    ONE_PER_FLOW = "one-per-flow"


COUNTING_NOTES: dict[Counting, str] = {
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


@dataclass(frozen=True, slots=True)
class CountedRecords:
    """The records as counted: only the fields asked for that the records have.

    When the records lack a field the counting needs, `counting_missing` names it and the
    records are left uncounted (every table is then unavailable).
    """

    frame: pl.DataFrame
    counting: Counting
    counting_missing: tuple[str, ...]

    @property
    def note(self) -> str:
        return COUNTING_NOTES[self.counting]


# ---------------------------------------------------------------------------------------------
# Columns and counting


def is_address(name: str) -> bool:
    spec = FIELDS.get(name)
    return spec is not None and spec.kind is FieldKind.ADDRESS


def is_present(frame: pl.DataFrame, name: str) -> bool:
    if is_address(name):
        return name in frame.columns or v6_column(name) in frame.columns
    return name in frame.columns


def address_parts(name: str) -> list[str]:
    return [name, v6_column(name)]


def _source_columns(frame: pl.DataFrame, names: Iterable[str]) -> list[pl.Expr]:
    """Select expressions for fields; an address gets both parts, a typed null for an absent one."""
    selected: list[pl.Expr] = []
    for name in names:
        if not is_address(name):
            selected.append(pl.col(name))
            continue
        for part, dtype in zip(address_parts(name), (pl.UInt32(), pl.Categorical()), strict=True):
            present = part in frame.columns
            selected.append(pl.col(part) if present else pl.lit(None, dtype=dtype).alias(part))
    return selected


# Exact integer identities (no hashing): grouping and deduplicating on one UInt64 per address is
# about twice as fast as on the address's two columns. IPv6 texts are Categorical, whose codes
# polars shares between columns, so equal texts have equal codes in every address column.
_V6_KEY_BASE = 1 << 32
_NO_ADDRESS_KEY = 1 << 33


_FLOW_SOURCE = "_flow_source"
_FLOW_DESTINATION = "_flow_destination"


def address_key(name: str) -> pl.Expr:
    """An address as one UInt64: the IPv4 value, or 2**32 + the IPv6 text's code; null for none."""
    ipv4, ipv6 = address_parts(name)
    ipv6_key = pl.col(ipv6).to_physical().cast(pl.UInt64()) + _V6_KEY_BASE
    return pl.coalesce(pl.col(ipv4).cast(pl.UInt64()), ipv6_key)


def _flow_address_key(name: str, columns: Sequence[str]) -> pl.Expr:
    """The address of the flow: the packet-level one when the record has it, so NAT hops match."""
    packet_field = _PACKET_ADDRESS[name]
    keys = [address_key(packet_field)] if packet_field in columns else []
    return pl.coalesce(*keys, address_key(name)).fill_null(_NO_ADDRESS_KEY)


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


def count_records(frame: pl.DataFrame, counting: Counting, fields: Iterable[str]) -> CountedRecords:
    """The `fields` of `frame` that it has, counted as `counting` says."""
    counting = parse_counting(counting)
    needs = _COUNTING_NEEDS[counting]
    if counting is Counting.ONE_PER_FLOW:
        needs += tuple(_PACKET_ADDRESS.values())
    wanted = [name for name in dict.fromkeys([*fields, *needs]) if is_present(frame, name)]
    selected = frame.lazy().select(_source_columns(frame, wanted))
    missing = tuple(name for name in _COUNTING_NEEDS[counting] if name not in wanted)
    if missing:
        return CountedRecords(selected.collect(), counting, missing)
    counted = selected
    if counting is Counting.EGRESS_ONLY:
        counted = selected.filter(pl.col("flow-direction") == "egress")
    elif counting is Counting.ONE_PER_FLOW:
        counted = _one_per_flow(selected, wanted)
    return CountedRecords(counted.collect(), counting, ())


def unavailable_table(
    counted: CountedRecords, title: str, required: Sequence[str], columns: Sequence[str]
) -> StatsTable | None:
    """An empty table that says which needed fields the records lack; None if they have all."""
    table_missing = [name for name in required if not is_present(counted.frame, name)]
    return missing_fields_table(
        title, table_missing, counted.counting, counted.counting_missing, columns
    )


def missing_fields_table(
    title: str,
    table_missing: Sequence[str],
    counting: Counting,
    counting_missing: Sequence[str],
    columns: Sequence[str],
) -> StatsTable | None:
    """The empty table either engine shows when the table or the counting needs fields the
    records lack (saying which); None when nothing is missing."""
    if not table_missing and not counting_missing:
        return None
    reasons = []
    if table_missing:
        reasons.append(f"needs {', '.join(table_missing)}, which these records do not have")
    if counting_missing:
        reasons.append(
            f"{counting.value} counting needs {', '.join(counting_missing)}, "
            "which these records do not have"
        )
    return StatsTable(
        title=title,
        rows=pl.DataFrame(schema=dict.fromkeys(columns, pl.String())),
        note=f"Unavailable: {'; '.join(reasons)}",
        missing_fields=tuple(dict.fromkeys([*table_missing, *counting_missing])),
    )


def parse_counting(text: str) -> Counting:
    """A counting mode from its name; ValueError naming the choices otherwise."""
    try:
        return Counting(text)
    except ValueError:
        choices = ", ".join(mode.value for mode in Counting)
        raise ValueError(f"unknown counting '{text}': choose {choices}") from None
