"""Hand-built record frames in the store's layout, for the filter, search and push-down tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import polars as pl

from flowtui.core.fields import FIELDS, FieldKind
from flowtui.core.schema import ROW_ID, ipv4_to_int, store_schema, v6_column

Record = Mapping[str, object]


def make_frame(records: Sequence[Record], fields: Iterable[str]) -> pl.DataFrame:
    """A store frame holding `records` (field -> value; addresses as text; absent/None is '-')."""
    schema = store_schema(fields)
    columns: dict[str, list[object]] = {name: [] for name in schema}
    for row_id, record in enumerate(records):
        cells: dict[str, object] = {name: None for name in schema}
        cells[ROW_ID] = row_id
        for name, value in record.items():
            if value is not None and FIELDS[name].kind is FieldKind.ADDRESS:
                text = str(value)
                target = v6_column(name) if ":" in text else name
                cells[target] = text if ":" in text else ipv4_to_int(text)
            else:
                cells[name] = value
        for name, value in cells.items():
            columns[name].append(value)
    return pl.DataFrame(columns, schema=schema)


def aws_line(record: Record, fields: Sequence[str]) -> str:
    """The record as AWS writes it: values in format order, '-' for missing."""
    return " ".join("-" if record.get(name) is None else str(record[name]) for name in fields)


def matching_rows(frame: pl.DataFrame, expr: pl.Expr) -> list[int]:
    """The `_row_id`s the expression keeps, in order."""
    return frame.filter(expr).get_column(ROW_ID).to_list()
