"""The Insights editor's history file, the up/down cursor, and views carrying a raw query
(files without one, from before, still load)."""

from __future__ import annotations

from pathlib import Path

import orjson

from flowtui.core.insights.history import MAX_QUERIES, HistoryCursor, QueryHistory
from flowtui.core.views import SavedView, ViewSource, ViewStore


def test_history_keeps_each_query_once_newest_last_and_bounded(tmp_path: Path) -> None:
    history = QueryHistory(tmp_path / "state" / "history.json")
    assert history.load() == []
    history.add("a")
    history.add("b")
    assert history.add(" a ") == ["b", "a"]  # run again: moved to the end, not listed twice
    assert QueryHistory(history.path).load() == ["b", "a"]  # another instance reads it
    for index in range(MAX_QUERIES + 5):
        history.add(f"q{index}")
    assert len(history.load()) == MAX_QUERIES and history.load()[-1] == f"q{MAX_QUERIES + 4}"


def test_an_unreadable_history_counts_as_empty_and_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    path.write_bytes(b"{not json")
    history = QueryHistory(path)
    assert history.load() == []
    history.add("x")
    assert orjson.loads(path.read_bytes()) == {"queries": ["x"]}


def test_the_cursor_walks_back_and_returns_to_the_draft() -> None:
    cursor = HistoryCursor(["old", "new"])
    assert cursor.newer() is None
    assert cursor.older("typing") == "new"
    assert cursor.older("new") == "old"
    assert cursor.older("old") is None
    assert cursor.newer() == "new"
    assert cursor.newer() == "typing"


def test_a_view_keeps_its_insights_query_and_old_files_still_load(tmp_path: Path) -> None:
    store = ViewStore(tmp_path)
    view = SavedView(
        name="counted", source=ViewSource(log_group="/vpc/a"), insights_query="stats count(*)"
    )
    store.save(view)
    assert store.get("counted") == view
    plain = SavedView(name="plain", source=ViewSource(log_group="/vpc/a"))
    assert "insights_query" not in plain.to_dict()  # the file form of old views is unchanged
    assert SavedView.from_dict(plain.to_dict()).insights_query is None
