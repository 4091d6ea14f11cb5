"""How records are laid out in the columnar store (polars).

Each AWS field is a column named after the field:
- INTEGER fields: unsigned integers of the field's width (`Field.bits`).
- TIMESTAMP fields (`start`, `end`): Int64 Unix seconds (millisecond inputs are normalised).
- ENUM fields: `pl.Enum` of the documented values.
- TEXT fields: `pl.Categorical`.
- ADDRESS fields: two columns. `<name>` is UInt32 for an IPv4 address; `<name>_v6` is a
  Categorical holding an IPv6 address exactly as written. At most one of the two is set;
  both are null when the record says `-`.
A missing value (`-`) is null everywhere.

Bookkeeping columns start with an underscore and never collide with AWS names:
- `_row_id` (UInt64): monotonic, assigned by the store's single writer; never reused.
- `_fmt` (UInt16): index into the store's list of formats: the format the record was read in,
  used to rebuild the raw line canonically.
- `_stream` (Categorical), `_event_id` (UInt64, a 64-bit hash of the CloudWatch event id),
  `_ingest` (Int64, CloudWatch ingestion time in ms): null for records not from CloudWatch.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

import polars as pl

from flowtui.core.fields import FIELDS, Field, FieldKind

ROW_ID = "_row_id"
FORMAT_INDEX = "_fmt"
STREAM = "_stream"
EVENT_ID = "_event_id"
INGEST = "_ingest"

BOOKKEEPING: dict[str, pl.DataType] = {
    ROW_ID: pl.UInt64(),
    FORMAT_INDEX: pl.UInt16(),
    STREAM: pl.Categorical(),
    EVENT_ID: pl.UInt64(),
    INGEST: pl.Int64(),
}

V6_SUFFIX = "_v6"

_UINT = {8: pl.UInt8(), 16: pl.UInt16(), 32: pl.UInt32(), 64: pl.UInt64()}


def v6_column(address_field: str) -> str:
    """The name of the IPv6 companion column of an address field."""
    return address_field + V6_SUFFIX


def field_dtype(spec: Field) -> pl.DataType:
    """The polars type of a field's main column."""
    if spec.kind is FieldKind.INTEGER:
        return _UINT[spec.bits]
    if spec.kind is FieldKind.TIMESTAMP:
        return pl.Int64()
    if spec.kind is FieldKind.ENUM:
        return pl.Enum(list(spec.values))
    if spec.kind is FieldKind.ADDRESS:
        return pl.UInt32()
    return pl.Categorical()


def field_columns(spec: Field) -> dict[str, pl.DataType]:
    """Every store column that holds one field (two for addresses)."""
    columns = {spec.name: field_dtype(spec)}
    if spec.kind is FieldKind.ADDRESS:
        columns[v6_column(spec.name)] = pl.Categorical()
    return columns


def store_schema(field_names: Iterable[str]) -> dict[str, pl.DataType]:
    """The store schema for a union of fields, in catalog order, bookkeeping first."""
    wanted = set(field_names)
    schema: dict[str, pl.DataType] = dict(BOOKKEEPING)
    for name, spec in FIELDS.items():
        if name in wanted:
            schema.update(field_columns(spec))
    return schema


def ipv4_to_int(text: str) -> int:
    """Dotted-quad text to its 32-bit integer; ValueError when it is not a valid IPv4 address."""
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isdigit() and len(p) <= 3 for p in parts):
        raise ValueError(f"'{text}' is not an IPv4 address")
    value = 0
    for part in parts:
        octet = int(part)
        if octet > 255:
            raise ValueError(f"'{text}' is not an IPv4 address")
        value = value * 256 + octet
    return value


def ipv4_text(address: pl.Expr) -> pl.Expr:
    """Dotted-quad text of a UInt32 address expression (null stays null)."""
    octets = [(address // (1 << shift)) % 256 for shift in (24, 16, 8, 0)]
    return pl.concat_str([octet.cast(pl.String) for octet in octets], separator=".")


def int_to_ipv4(value: int) -> str:
    return f"{value >> 24 & 255}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}"


def valid_ipv6_mask(texts: pl.Series) -> pl.Series:
    """Which values are valid IPv6 text; each distinct spelling is checked once."""
    valid: list[str] = []
    for text in texts.drop_nulls().unique().to_list():
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            continue
        valid.append(text)
    return texts.is_in(valid)
