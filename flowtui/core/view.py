"""The view index: which rows a reader shows, as row ids in display order.

Built off the UI thread from a store snapshot, a filter expression and a sort, then swapped in
whole. Unsorted views are in arrival order, so rows appended while tailing are filtered on
their own and added at the end (`extend_view`) instead of re-filtering everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from flowtui.core.schema import ROW_ID, V6_SUFFIX
from flowtui.core.store import StoreSnapshot

SortKey = tuple[str, bool]  # (column, descending)


@dataclass(frozen=True)
class ViewIndex:
    row_ids: pl.Series
    #: The first row id not yet looked at: rows from here on are new to this view.
    scanned_upto: int
    generation: int
    predicate: pl.Expr | None = None
    sort: tuple[SortKey, ...] = ()

    def __len__(self) -> int:
        return len(self.row_ids)

    def row_id_at(self, position: int) -> int | None:
        if 0 <= position < len(self.row_ids):
            return int(self.row_ids[position])
        return None

    def ids_between(self, start: int, stop: int) -> pl.Series:
        return self.row_ids.slice(start, max(stop - start, 0))

    def position_of(self, row_id: int) -> int | None:
        """Where a row is shown now, or None when the filter hides it or it was evicted."""
        if not len(self.row_ids):
            return None
        if not self.sort:
            position = int(self.row_ids.search_sorted(row_id, side="left"))
            found = position < len(self.row_ids) and int(self.row_ids[position]) == row_id
            return position if found else None
        hits = (self.row_ids == row_id).arg_true()
        return int(hits[0]) if len(hits) else None

    def nearest_position(self, row_id: int) -> int:
        """The position of `row_id`, or of the closest row that follows it in arrival order."""
        exact = self.position_of(row_id)
        if exact is not None or not len(self.row_ids):
            return exact or 0
        if not self.sort:
            position = int(self.row_ids.search_sorted(row_id, side="left"))
            return min(position, len(self.row_ids) - 1)
        return 0


def empty_view() -> ViewIndex:
    return ViewIndex(pl.Series(ROW_ID, [], dtype=pl.UInt64), 0, -1)


def build_view(
    snapshot: StoreSnapshot,
    predicate: pl.Expr | None = None,
    sort: Sequence[SortKey] = (),
) -> ViewIndex:
    """Filter and sort every row of the snapshot into a fresh index."""
    frame = snapshot.frame()
    ids = _select_ids(frame, predicate, tuple(sort))
    return ViewIndex(ids, snapshot.next_row_id, snapshot.generation, predicate, tuple(sort))


def extend_view(view: ViewIndex, snapshot: StoreSnapshot) -> ViewIndex:
    """Bring a view up to date with rows appended (and evicted) since it was built."""
    if view.sort:
        return build_view(snapshot, view.predicate, view.sort)
    kept = view.row_ids
    if len(kept) and int(kept[0]) < snapshot.first_row_id:
        kept = kept.slice(int(kept.search_sorted(snapshot.first_row_id, side="left")))
    new_rows = snapshot.since(view.scanned_upto)
    new_ids = _select_ids(new_rows, view.predicate, ())
    combined = pl.concat([kept, new_ids]) if len(new_ids) else kept
    return ViewIndex(combined, snapshot.next_row_id, snapshot.generation, view.predicate, view.sort)


def _select_ids(
    frame: pl.DataFrame, predicate: pl.Expr | None, sort: tuple[SortKey, ...]
) -> pl.Series:
    lazy = frame.lazy()
    if predicate is not None:
        lazy = lazy.filter(predicate)
    if sort:
        columns, descending = _sort_args(frame, sort)
        lazy = lazy.sort(columns, descending=descending, nulls_last=True)
    return lazy.select(ROW_ID).collect()[ROW_ID]


def _sort_args(frame: pl.DataFrame, sort: tuple[SortKey, ...]) -> tuple[list[pl.Expr], list[bool]]:
    """Sort expressions (addresses by IPv4 number then IPv6 text; ties in arrival order)."""
    columns: list[pl.Expr] = []
    descending: list[bool] = []
    for name, desc in sort:
        columns.append(_sortable(pl.col(name), frame.schema.get(name)))
        descending.append(desc)
        if name + V6_SUFFIX in frame.columns:
            columns.append(pl.col(name + V6_SUFFIX).cast(pl.String))
            descending.append(desc)
    columns.append(pl.col(ROW_ID))
    descending.append(False)
    return columns, descending


def _sortable(column: pl.Expr, dtype: pl.DataType | None) -> pl.Expr:
    # Categoricals would sort by code (arrival order); users expect text order.
    if isinstance(dtype, pl.Categorical):
        return column.cast(pl.String)
    return column
