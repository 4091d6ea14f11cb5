"""The record store and the view index: row ids, eviction, snapshots, incremental views."""

from __future__ import annotations

import polars as pl

from flowtui.core.events import EventBatch
from flowtui.core.formats import DEFAULT_FORMAT, parse_format
from flowtui.core.ingest import Ingestor
from flowtui.core.store import RecordStore
from flowtui.core.view import build_view, extend_view


def v2_line(i: int, action: str = "ACCEPT", dstport: int = 443) -> str:
    return (
        f"2 123456789012 eni-0{i % 3} 10.0.{i // 256 % 256}.{i % 256} 10.1.0.1 "
        f"{1024 + i % 60000} {dstport} 6 {i % 7 + 1} {100 + i} {1700000000 + i} "
        f"{1700000060 + i} {action} OK"
    )


def fill(store: RecordStore, count: int, start: int = 0, **kw: object) -> Ingestor:
    ingestor = Ingestor(store, [DEFAULT_FORMAT])
    ingestor.add_events(EventBatch([v2_line(i, **kw) for i in range(start, start + count)]))  # type: ignore[arg-type]
    return ingestor


def test_row_ids_are_monotonic_and_contiguous_across_appends() -> None:
    store = RecordStore()
    ingestor = fill(store, 10)
    ingestor.add_events(EventBatch([v2_line(i) for i in range(10, 15)]))
    snapshot = store.snapshot()
    assert snapshot.frame()["_row_id"].to_list() == list(range(15))
    assert snapshot.row(12)["bytes"] == 112  # type: ignore[index]


def test_row_cap_drops_whole_oldest_chunks_and_readers_by_id_stay_correct() -> None:
    store = RecordStore(row_cap=150_000)
    ingestor = Ingestor(store, [DEFAULT_FORMAT])
    for block in range(4):
        lines = [v2_line(i) for i in range(block * 70_000, (block + 1) * 70_000)]
        result = ingestor.add_events(EventBatch(lines))
    snapshot = store.snapshot()
    assert snapshot.row_count <= 150_000
    assert result.appended.evicted_rows == 70_000
    assert store.evicted_rows == 140_000
    assert snapshot.first_row_id == 140_000
    # An evicted id is simply absent; a kept id still finds its own record.
    found = snapshot.rows([5, 200_000])
    assert found["_row_id"].to_list() == [200_000]
    assert found["bytes"].to_list() == [200_100]


def test_byte_budget_bounds_memory() -> None:
    store = RecordStore(row_cap=10**9, byte_budget=4_000_000)
    ingestor = Ingestor(store, [DEFAULT_FORMAT])
    for block in range(6):
        ingestor.add_events(
            EventBatch([v2_line(i) for i in range(block * 70_000, (block + 1) * 70_000)])
        )
    assert store.estimated_bytes() <= 4_000_000 + 70_000 * 80
    assert store.evicted_rows > 0


def test_a_snapshot_does_not_change_when_the_writer_appends() -> None:
    store = RecordStore()
    ingestor = fill(store, 5)
    before = store.snapshot()
    ingestor.add_events(EventBatch([v2_line(99)]))
    assert before.row_count == 5
    assert store.snapshot().row_count == 6


def test_schema_grows_with_a_new_format_and_older_rows_get_nulls() -> None:
    store = RecordStore()
    fill(store, 3)
    v5 = parse_format("version interface-id srcaddr dstaddr flow-direction action log-status")
    Ingestor(store, [v5]).add_events(EventBatch(["5 eni-9 10.0.0.1 10.0.0.2 egress ACCEPT OK"]))
    snapshot = store.snapshot()
    assert snapshot.frame()["flow-direction"].to_list() == [None, None, None, "egress"]
    assert "flow-direction" in snapshot.fields
    assert snapshot.formats == (DEFAULT_FORMAT, v5)
    assert snapshot.frame()["_fmt"].to_list() == [0, 0, 0, 1]


def test_view_index_filters_sorts_and_follows_row_ids() -> None:
    store = RecordStore()
    ingestor = fill(store, 10)
    ingestor.add_events(
        EventBatch([v2_line(i, action="REJECT", dstport=22) for i in range(10, 13)])
    )
    view = build_view(store.snapshot(), pl.col("action") == "REJECT")
    assert view.row_ids.to_list() == [10, 11, 12]
    by_bytes = build_view(store.snapshot(), None, [("bytes", True)])
    assert by_bytes.row_id_at(0) == 12
    assert by_bytes.position_of(0) == 12
    assert view.position_of(11) == 1 and view.position_of(3) is None


def test_extend_view_filters_only_new_rows_and_drops_evicted_ones() -> None:
    store = RecordStore(row_cap=100_000)
    ingestor = Ingestor(store, [DEFAULT_FORMAT])
    ingestor.add_events(EventBatch([v2_line(i, action="REJECT") for i in range(70_000)]))
    view = build_view(store.snapshot(), pl.col("action") == "REJECT")
    assert len(view) == 70_000
    ingestor.add_events(EventBatch([v2_line(i) for i in range(70_000, 100_000)]))
    ingestor.add_events(EventBatch([v2_line(i, action="REJECT") for i in range(100_000, 140_000)]))
    extended = extend_view(view, store.snapshot())
    snapshot = store.snapshot()
    assert (
        extended.row_ids.to_list()
        == build_view(snapshot, pl.col("action") == "REJECT").row_ids.to_list()
    )
    assert int(extended.row_ids[0]) >= snapshot.first_row_id


def test_clear_keeps_ids_counting_so_old_views_match_nothing() -> None:
    store = RecordStore()
    fill(store, 4)
    old = store.snapshot()
    store.clear()
    fill(store, 2)
    new = store.snapshot()
    assert new.frame()["_row_id"].to_list() == [4, 5]
    assert new.rows(old.frame()["_row_id"]).height == 0
