"""The Insights editor's history: the raw queries run, newest last, kept in the state directory.

One JSON file (`<state dir>/insights_history.json`, `{"queries": [...]}`) written atomically,
so two flowtui instances never leave a half-written file; a query run again moves to the end
instead of being listed twice; at most `MAX_QUERIES` are kept. A file that cannot be read
(corrupt, or not this shape) counts as an empty history and is replaced on the next run.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from flowtui.core import config

FILE_NAME = "insights_history.json"
MAX_QUERIES = 200


def history_path() -> Path:
    return config.state_dir() / FILE_NAME


class QueryHistory:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else history_path()

    def load(self) -> list[str]:
        """The queries run, oldest first; [] when there is no readable history."""
        try:
            data = orjson.loads(self.path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return []
        queries = data.get("queries") if isinstance(data, dict) else None
        if not isinstance(queries, list):
            return []
        return [query for query in queries if isinstance(query, str) and query.strip()]

    def add(self, query: str) -> list[str]:
        """Record a query run (re-read first: another instance may have added some)."""
        text = query.strip()
        queries = [old for old in self.load() if old != text]
        if text:
            queries.append(text)
        queries = queries[-MAX_QUERIES:]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = orjson.dumps({"queries": queries}, option=orjson.OPT_INDENT_2)
        config.write_atomically(self.path, lambda out: out.write(payload), overwrite=True)
        return queries


class HistoryCursor:
    """Up/down through the history as a shell does: up goes to older queries, down to newer
    ones and finally back to what was being typed."""

    def __init__(self, queries: list[str]) -> None:
        self.queries = queries
        self._index = len(queries)
        self._draft = ""

    def older(self, current: str) -> str | None:
        if self._index == 0 or not self.queries:
            return None
        if self._index == len(self.queries):
            self._draft = current
        self._index -= 1
        return self.queries[self._index]

    def newer(self) -> str | None:
        if self._index >= len(self.queries):
            return None
        self._index += 1
        return self._draft if self._index == len(self.queries) else self.queries[self._index]

    def reset(self, queries: list[str]) -> None:
        self.queries = queries
        self._index = len(queries)
        self._draft = ""
