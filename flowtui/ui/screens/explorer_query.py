"""The explorer's filter bar and search: the keys that choose which rows show or match.

`ExplorerQueries` adds them to `ExplorerFeed`. Typed filter text is parsed and applied a moment
after the last keystroke (each apply rebuilds the view in a worker); `=` and `!` narrow the
filter to the current cell's value. Searches run in a thread worker that reports with
`SearchDone`: exact text marks matches in display order, fuzzy search ranks the rows best first.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace

import polars as pl
from textual import on, work
from textual.worker import get_current_worker

from flowtui.core import search
from flowtui.core.fields import FIELDS
from flowtui.core.filter.parser import parse_filter
from flowtui.core.filter.syntax import FilterError, Or
from flowtui.core.schema import ROW_ID
from flowtui.core.store import StoreSnapshot
from flowtui.core.view import ViewIndex
from flowtui.ui.formatting import DisplayOptions, Ownership, display_expr, value_text
from flowtui.ui.messages import FilterApplied, SearchDone
from flowtui.ui.screens.explorer_feed import ExplorerFeed
from flowtui.ui.widgets.filter_bar import BarProblem, QueryBar

#: Filter text is applied this long after the last keystroke (each apply rebuilds the view).
FILTER_SETTLE_SECONDS = 0.15
FUZZY_CHUNK_ROWS = 20_000
FUZZY_RESULTS = 2_000


def quote_value(text: str) -> str | None:
    """A value as the filter language reads it literally; None when it cannot be written."""
    if text and all(c.isalnum() or c in ".:-_/" for c in text):
        return text
    if '"' in text:
        return None
    return f'"{text}"'


def add_term(filter_text: str, term: str) -> str:
    """Filter text narrowed by one more term (an `or` filter is bracketed first)."""
    current = filter_text.strip()
    if not current:
        return term
    try:
        root = parse_filter(current).root
    except FilterError:
        return term
    return f"({current}) {term}" if isinstance(root, Or) else f"{current} {term}"


@dataclass(frozen=True, slots=True)
class _SearchRequest:
    view: ViewIndex
    view_token: int
    snapshot: StoreSnapshot
    text: str
    columns: tuple[str, ...]
    fuzzy: bool
    jump: int
    options: DisplayOptions
    ownership: Ownership

    def render(self, name: str) -> pl.Expr:
        """Search sees each column as the table shows it, labels included."""
        return display_expr(name, self.options, self.ownership, with_notes=True)


class ExplorerQueries(ExplorerFeed):
    """The explorer's filter bar, quick filters and search.

    While the bar is open, each valid text typed is previewed (applied after a pause); an
    invalid one puts back the filter that was applied when the bar opened, and so does Esc.
    Only Enter (or a quick filter) commits: so the table never keeps a filter nobody typed,
    such as the valid prefix `srcaddr=10.0.0.0/3` on the way to an invalid `/33`.
    """

    #: The filter applied when the bar opened, while it is open (None: nothing to put back).
    _committed_filter: str | None = None

    # --- filter ----------------------------------------------------------------------------

    @property
    def committed_filter(self) -> str:
        """The filter last applied on purpose (not a preview of text being typed)."""
        return self.filter_text if self._committed_filter is None else self._committed_filter

    def _restore_committed(self) -> None:
        """Put back the filter applied when the bar opened (a preview is dropped)."""
        if self._settle_timer is not None:
            self._settle_timer.stop()
            self._settle_timer = None
        self._pending_filter = None
        if self._committed_filter is not None and self._committed_filter != self.filter_text:
            # The backend never heard of the preview: nothing to announce.
            self.apply_filter(self._committed_filter, announce=False)

    def apply_filter(self, text: str, *, announce: bool = True) -> bool:
        """Filter the view by `text` (in a worker); the last valid filter stays otherwise.

        `announce` tells the backend (which may refetch for a wider filter); a preview of text
        being typed is not announced.
        """
        if text.strip() == self.filter_text:
            return True
        snapshot = self.feed.store.snapshot()
        if not self._set_filter(text, snapshot):
            return False
        self._rebuild(snapshot)
        self._update_status()
        self.flow_query = replace(self.flow_query, filter_text=self.filter_text)
        if announce:
            self.post_message(FilterApplied(self.feed, self.flow_query))
        return True

    def action_open_filter(self) -> None:
        self.search_bar.remove_class("-open")
        self._committed_filter = self.committed_filter
        self.filter_bar.open(self.filter_text)
        self._collect_values()

    @on(QueryBar.Changed, "#filter-bar")
    def _filter_typed(self, event: QueryBar.Changed) -> None:
        # Checked when typing pauses, not per key: a parse costs time in the text's length,
        # and a long filter pasted key by key must not cost one parse per key.
        self._pending_filter = event.text
        if self._settle_timer is not None:
            self._settle_timer.stop()
        self._settle_timer = self.set_timer(FILTER_SETTLE_SECONDS, self.flush_filter)

    def flush_filter(self) -> None:
        """Check the text typed now, instead of when typing pauses: point at its problem (and
        put back the filter applied before), or preview it."""
        if self._settle_timer is not None:
            self._settle_timer.stop()
            self._settle_timer = None
        pending, self._pending_filter = self._pending_filter, None
        if pending is None:
            return
        try:
            self._compile(pending, self.feed.store.snapshot())
        except FilterError as error:
            # Invalid: the preview goes, the filter applied before the bar opened comes back.
            self._restore_committed()
            self.filter_bar.show_problem(BarProblem(error.message, error.position, error.length))
            return
        self.filter_bar.show_problem(None, self.filter_bar.suggestions_hint())
        self.apply_filter(pending, announce=self._committed_filter is None)

    @on(QueryBar.Submitted, "#filter-bar")
    def _filter_submitted(self, event: QueryBar.Submitted) -> None:
        self._pending_filter = None
        self.flush_filter()
        if self.apply_filter(event.text, announce=False):
            before, self._committed_filter = self._committed_filter, None
            if before is None or before != self.filter_text:
                self.post_message(FilterApplied(self.feed, self.flow_query))
            self.filter_bar.action_close()
        else:
            self._restore_committed()

    @on(QueryBar.Closed)
    def _bar_closed(self, event: QueryBar.Closed) -> None:
        if event.bar is self.filter_bar and self._committed_filter is not None:
            # Esc: what was typed is dropped, the filter applied before stays.
            self._restore_committed()
            self._committed_filter = None
        if event.bar is self.search_bar:
            # Esc: the highlight goes back to the search applied last, not the text typed.
            self.table.set_search("" if self.fuzzy else self.search_text)
        self.table.focus()

    def action_quick_filter(self, exclude: bool) -> None:
        """`=` narrows to the current cell's value, `!` excludes it."""
        column = self.table.current_column
        row = self._current_row()
        if column is None or row is None:
            return
        self.filter_by_value(column.name, value_text(row, column.name), exclude)

    def filter_by_value(self, name: str, value: str | None, exclude: bool = False) -> bool:
        """Narrow the filter to `name` = `value` (None: missing), or exclude it."""
        if name not in FIELDS:
            title = next((c.title for c in self.table.columns if c.name == name), name)
            self.app.notify(f"The filter language has no field for '{title}'", severity="warning")
            return False
        written = "-" if value is None else quote_value(value)
        if written is None:
            self.app.notify(
                "This value cannot be written in a filter (it contains a quote)", severity="warning"
            )
            return False
        term = f"{name}{'!=' if exclude else '='}{written}"
        text = add_term(self.filter_text, term)
        applied = self.apply_filter(text)
        if applied and self.filter_bar.is_open:
            self._committed_filter = self.filter_text
            self.filter_bar.input.value = text
        return applied

    # --- search ----------------------------------------------------------------------------

    @property
    def applied_search(self) -> str:
        """The search in force: "" when the last one found nothing (it is not saved)."""
        return "" if self._search_status == "no matches" else self.search_text

    def action_open_search(self) -> None:
        self.filter_bar.remove_class("-open")
        self.search_bar.set_prompt("fuzzy " if self.fuzzy else "/")
        self.search_bar.open(self.search_text)

    @on(QueryBar.Changed, "#search-bar")
    def _search_typed(self, event: QueryBar.Changed) -> None:
        if not self.fuzzy:
            self.table.set_search(event.text)

    @on(QueryBar.Submitted, "#search-bar")
    def _search_submitted(self, event: QueryBar.Submitted) -> None:
        self.search_text = event.text.strip()
        self.search_bar.action_close()
        self.table.set_search("" if self.fuzzy else self.search_text)
        self._matches = []
        self._matches_token = -1
        if self.search_text:
            self._start_search(jump=1)
        self._update_status()

    def toggle_fuzzy(self) -> None:
        self.fuzzy = not self.fuzzy
        self._matches_token = -1
        self.table.set_search("" if self.fuzzy else self.search_text)
        self.app.notify(f"Search: {'fuzzy ranking' if self.fuzzy else 'exact text'}")
        self.search_bar.set_prompt("fuzzy " if self.fuzzy else "/")

    def _start_search(self, jump: int) -> None:
        snapshot = self.table.snapshot
        if snapshot is None:
            return
        self._search_status = "searching…"
        request = _SearchRequest(
            self.table.view,
            self.table.view_token,
            snapshot,
            self.search_text,
            tuple(column.name for column in self.table.columns),
            self.fuzzy,
            jump,
            self.table.options,
            self._ownership,
        )
        self._run_search(request)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _run_search(self, request: _SearchRequest) -> None:
        worker = get_current_worker()
        view, snapshot, columns = request.view, request.snapshot, request.columns
        if request.fuzzy:
            frame = snapshot.rows(view.row_ids)
            ranked = search.fuzzy_rank(
                frame, request.text, columns, FUZZY_CHUNK_ROWS, render=request.render
            )
            scored: list[tuple[int, float]] = []
            for chunk in ranked:
                if worker.is_cancelled:
                    return
                scored.extend(chunk)
            scored.sort(key=lambda pair: -pair[1])
            found = (view.position_of(row_id) for row_id, _ in scored[:FUZZY_RESULTS])
            positions = [position for position in found if position is not None]
        else:
            frame = snapshot.frame()
            mask = search.search_mask(frame, request.text, columns, request.render)
            matched = frame.filter(mask).get_column(ROW_ID)
            positions = view.row_ids.is_in(matched.implode()).arg_true().to_list()
        if not worker.is_cancelled:
            self.post_message(SearchDone(request.view_token, positions, request.jump))

    @on(SearchDone)
    def _search_done(self, message: SearchDone) -> None:
        positions = message.positions
        if message.view_token != self.table.view_token:
            self._matches_token = -1
            self._search_status = ""
            return
        self._matches = positions
        self._matches_token = message.view_token
        if not positions:
            self._search_status = "no matches"
            self.app.notify(f"No row shows '{self.search_text}'", severity="warning")
        else:
            self._jump(message.jump)
        self._update_status()

    def _jump(self, step: int) -> None:
        if not self._matches:
            return
        cursor = self.table.cursor_position
        if self.fuzzy:
            # Ranked: walk the ranking, best first.
            current = self._matches.index(cursor) if cursor in self._matches else -1
            index = (current + step) % len(self._matches)
        elif step > 0:
            # Exact matches are in display order: the next one after the cursor, wrapping.
            index = bisect.bisect_right(self._matches, cursor) % len(self._matches)
        else:
            index = bisect.bisect_left(self._matches, cursor) - 1
            index %= len(self._matches)
        self.table.move_cursor(self._matches[index])
        self._search_status = f"match {index + 1:,}/{len(self._matches):,}"

    def _search_step(self, step: int) -> None:
        if not self.search_text:
            self.app.notify("No search yet: press / to search")
            return
        if self._matches_token != self.table.view_token:
            self._start_search(jump=step)
            return
        self._jump(step)
        self._update_status()

    def action_search_next(self) -> None:
        self._search_step(1)

    def action_search_previous(self) -> None:
        self._search_step(-1)
