"""The columnar record store every reader shares, and the row-id view index readers see.

One writer appends parsed batches; each row gets the next `_row_id`, so ids are contiguous
from the oldest kept row to the newest. Memory is bounded by dropping whole chunks from the
front (slicing a frame keeps its buffers alive; dropping a chunk frees them).

Readers never hold positions. They take an immutable `StoreSnapshot` and a `ViewIndex` (the
row ids to show, in display order) built off the UI thread and swapped in atomically; a row cap,
late rows, a new sort or a new filter can then never leave a cursor on the wrong record.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from flowtui.core.fields import FIELDS
from flowtui.core.formats import LogFormat
from flowtui.core.parse import FormatRegistry, MalformedLine
from flowtui.core.schema import (
    BOOKKEEPING,
    ROW_ID,
    V6_SUFFIX,
    store_schema,
)

DEFAULT_ROW_CAP = 1_000_000
#: Small appends (a tail poll) are merged into the newest chunk until it reaches this size.
CHUNK_ROWS = 65_536
#: Malformed lines kept for display; older ones are only counted.
MALFORMED_KEPT = 10_000


@dataclass(frozen=True, slots=True)
class AppendResult:
    first_row_id: int
    rows: int
    evicted_rows: int


@dataclass(frozen=True)
class StoreSnapshot:
    """An immutable view of the store at one generation."""

    chunks: tuple[pl.DataFrame, ...]
    first_row_id: int
    formats: tuple[LogFormat, ...]
    generation: int
    schema: dict[str, pl.DataType] = field(repr=False)
    _frame_cache: list[pl.DataFrame] = field(default_factory=list, repr=False, compare=False)

    @property
    def row_count(self) -> int:
        return sum(chunk.height for chunk in self.chunks)

    @property
    def next_row_id(self) -> int:
        return self.first_row_id + self.row_count

    @property
    def fields(self) -> list[str]:
        """The AWS fields present, in catalog order."""
        return [name for name in FIELDS if name in self.schema]

    def frame(self) -> pl.DataFrame:
        """Every row as one frame (chunks are linked, not copied)."""
        if not self._frame_cache:
            if self.chunks:
                combined = pl.concat(self.chunks, rechunk=False)
            else:
                combined = pl.DataFrame(schema=self.schema)
            self._frame_cache.append(combined)
        return self._frame_cache[0]

    def rows(self, row_ids: Sequence[int] | pl.Series) -> pl.DataFrame:
        """The rows with these ids, in the order given; ids no longer kept are left out."""
        ids = pl.Series("id", row_ids, dtype=pl.UInt64)
        kept = ids.filter((ids >= self.first_row_id) & (ids < self.next_row_id))
        positions = (kept.cast(pl.Int64) - self.first_row_id).cast(pl.UInt32)
        return self.frame()[positions]

    def row(self, row_id: int) -> dict[str, object] | None:
        found = self.rows([row_id])
        return found.row(0, named=True) if found.height else None

    def since(self, row_id: int) -> pl.DataFrame:
        """Rows whose id is at least `row_id` (the rows appended after a reader's last look)."""
        start = max(row_id, self.first_row_id) - self.first_row_id
        return self.frame().slice(start)


class RecordStore:
    """Chunked polars storage with one writer and a row cap / byte budget."""

    def __init__(
        self,
        row_cap: int = DEFAULT_ROW_CAP,
        byte_budget: int | None = None,
        registry: FormatRegistry | None = None,
    ) -> None:
        self.row_cap = row_cap
        self.byte_budget = byte_budget
        self.registry = registry or FormatRegistry()
        self._lock = threading.Lock()
        self._chunks: list[pl.DataFrame] = []
        self._first_row_id = 0
        self._next_row_id = 0
        self._schema: dict[str, pl.DataType] = dict(BOOKKEEPING)
        self._generation = 0
        self._snapshot: StoreSnapshot | None = None
        self.malformed: list[MalformedLine] = []
        self.malformed_count = 0
        self.blank_lines = 0
        self.evicted_rows = 0

    @property
    def row_count(self) -> int:
        return self._next_row_id - self._first_row_id

    def append(self, parsed: pl.DataFrame) -> AppendResult:
        """Append typed records (from the parser); returns their ids and what was evicted."""
        with self._lock:
            first = self._next_row_id
            if parsed.height:
                self._grow_schema(parsed)
                batch = self._conform(parsed).with_columns(
                    pl.int_range(first, first + parsed.height, dtype=pl.UInt64).alias(ROW_ID)
                )
                self._add_chunk(batch)
                self._next_row_id += parsed.height
            evicted = self._evict()
            self._generation += 1
            self._snapshot = None
            return AppendResult(first, parsed.height, evicted)

    def add_malformed(self, lines: Sequence[MalformedLine], blank_lines: int = 0) -> None:
        with self._lock:
            self.malformed_count += len(lines)
            self.blank_lines += blank_lines
            room = MALFORMED_KEPT - len(self.malformed)
            self.malformed.extend(lines[: max(room, 0)])

    def clear(self) -> None:
        """Drop every row (a refetch); row ids keep counting up so old views match nothing."""
        with self._lock:
            self._chunks = []
            self._first_row_id = self._next_row_id
            self.malformed = []
            self.malformed_count = 0
            self.blank_lines = 0
            self._generation += 1
            self._snapshot = None

    def snapshot(self) -> StoreSnapshot:
        with self._lock:
            if self._snapshot is None:
                self._snapshot = StoreSnapshot(
                    chunks=tuple(self._chunks),
                    first_row_id=self._first_row_id,
                    formats=self.registry.formats,
                    generation=self._generation,
                    schema=dict(self._schema),
                )
            return self._snapshot

    def estimated_bytes(self) -> int:
        return sum(int(chunk.estimated_size()) for chunk in self._chunks)

    # --- writer internals (called with the lock held) -----------------------------------

    def _grow_schema(self, parsed: pl.DataFrame) -> None:
        names = {c.removesuffix(V6_SUFFIX) for c in parsed.columns if not c.startswith("_")}
        names |= {name for name in FIELDS if name in self._schema}
        wanted = store_schema(names)
        if list(wanted) == list(self._schema):
            return
        self._schema = wanted
        self._chunks = [self._conform(chunk) for chunk in self._chunks]

    def _conform(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`frame` with exactly the store's columns, types and order (absent fields null)."""
        columns = []
        for name, dtype in self._schema.items():
            if name == ROW_ID and name not in frame.columns:
                columns.append(pl.lit(None, dtype=dtype).alias(name))
            elif name in frame.columns:
                columns.append(pl.col(name).cast(dtype))
            else:
                columns.append(pl.lit(None, dtype=dtype).alias(name))
        return frame.select(columns)

    def _add_chunk(self, batch: pl.DataFrame) -> None:
        if self._chunks and self._chunks[-1].height + batch.height <= CHUNK_ROWS:
            self._chunks[-1] = pl.concat([self._chunks[-1], batch], rechunk=True)
        else:
            self._chunks.append(batch)

    def _evict(self) -> int:
        evicted = 0
        while len(self._chunks) > 1 and self._over_budget():
            oldest = self._chunks.pop(0)
            self._first_row_id += oldest.height
            evicted += oldest.height
        self.evicted_rows += evicted
        return evicted

    def _over_budget(self) -> bool:
        # Whole chunks only, and never the newest one.
        if self.row_count > self.row_cap:
            return True
        if self.byte_budget is None:
            return False
        return self.estimated_bytes() > self.byte_budget
