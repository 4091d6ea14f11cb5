"""Grouping, ranking and rendering shared by the stats tables: groups keyed by exact address
keys, largest first with stable ties, shares of a total, and values as text ("-" for null)."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from flowtui.core.protocols import protocol_label
from flowtui.core.schema import ipv4_text
from flowtui.core.stats.counting import address_key, address_parts, is_address

NULL_TEXT = "-"


_KEY_PREFIX = "_key_"


def address_text(name: str) -> pl.Expr:
    """An address as text: dotted quad from the UInt32 part, else the IPv6 text, else "-"."""
    ipv4, ipv6 = address_parts(name)
    return pl.coalesce(ipv4_text(pl.col(ipv4)), pl.col(ipv6).cast(pl.String()), pl.lit(NULL_TEXT))


def value_text(name: str) -> pl.Expr:
    if is_address(name):
        return address_text(name)
    return pl.col(name).cast(pl.String()).fill_null(NULL_TEXT)


def sort_columns_for(fields: Sequence[str]) -> list[str]:
    """The columns that order groups of `fields`: an address by IPv4 value, then IPv6 text."""
    return [
        part for name in fields for part in (address_parts(name) if is_address(name) else [name])
    ]


def grouped(
    data: pl.LazyFrame, fields: Sequence[str], aggregations: Sequence[pl.Expr]
) -> pl.LazyFrame:
    """Groups of equal `fields` values; an address by its key, its parts kept for rendering."""
    keys = [
        address_key(name).alias(_KEY_PREFIX + name) if is_address(name) else pl.col(name)
        for name in fields
    ]
    addresses = [name for name in fields if is_address(name)]
    parts = [pl.col(part).first() for name in addresses for part in address_parts(name)]
    return (
        data.group_by(keys)
        .agg(*parts, *aggregations)
        .drop(_KEY_PREFIX + name for name in addresses)
    )


def share(metric: str, total: int) -> pl.Expr:
    """Percentage of `total`, to two decimals; 0 when the total is 0."""
    if total == 0:
        return pl.lit(0.0).alias("share_pct")
    return (pl.col(metric) * (100.0 / total)).round(2).alias("share_pct")


def column_total(frame: pl.DataFrame, column: str) -> int:
    return int(frame.get_column(column).sum() or 0) if frame.height else 0


def ranked(
    groups: pl.LazyFrame, metric: str, keys: Sequence[str], limit: int | None
) -> pl.LazyFrame:
    """Largest `metric` first, ties broken by key so the order never changes between runs."""
    ordered = groups.sort([metric, *keys], descending=[True] + [False] * len(keys), nulls_last=True)
    return ordered if limit is None else ordered.head(limit)


def check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise ValueError(f"the number of rows to show must be at least 1, not {limit}")


def _protocol_text(number: int | None) -> str:
    return NULL_TEXT if number is None else protocol_label(number)


def with_protocol_names(rows: pl.DataFrame, column: str) -> pl.DataFrame:
    """Protocol numbers as "TCP (6)"; done in Python because the result has a few rows only."""
    names = [_protocol_text(number) for number in rows.get_column(column).to_list()]
    return rows.with_columns(pl.Series(column, names, dtype=pl.String()))
