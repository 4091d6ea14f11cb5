"""The explorer's feature keys: value counts, stats, explain, export, save view, views.

The explorer posts `ExplorerAction(name, ...)` with its query, filter, view and current record;
`explorer_actions` gives the app one handler per name (it keeps them in `later_actions`). Each
handler opens its screen and applies what the screen returns to the explorer the action came
from. The handlers see the app only as an `ActionHost`, so this module never imports the app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol, TypeVar

from textual.notifications import SeverityLevel
from textual.screen import Screen, ScreenResultCallbackType

from flowtui.core.export import ExportResult, raw_lines
from flowtui.core.fields import FIELDS, FieldKind
from flowtui.core.formats import LogFormat
from flowtui.core.query import Query
from flowtui.core.schema import FORMAT_INDEX, v6_column
from flowtui.core.store import StoreSnapshot
from flowtui.core.view import ViewIndex
from flowtui.core.views import SavedView, ViewError, ViewSource, ViewStore
from flowtui.ui.backend import Backend
from flowtui.ui.formatting import sanitize
from flowtui.ui.insights_engine import InsightsEngine
from flowtui.ui.messages import ExplorerAction
from flowtui.ui.screens.explain import ExplainScreen
from flowtui.ui.screens.explorer import ExplorerScreen
from flowtui.ui.screens.export import ExportScreen, export_summary
from flowtui.ui.screens.insights_editor import InsightsEditorScreen
from flowtui.ui.screens.stats import StatsScreen
from flowtui.ui.screens.value_counts import ValueCountsScreen, ValuePick
from flowtui.ui.screens.views import SaveViewScreen, ViewsScreen
from flowtui.ui.widgets.time_range import describe_range

ScreenResult = TypeVar("ScreenResult")
LaterAction = Callable[[ExplorerAction], None]


class ActionHost(Protocol):
    """What the feature actions need of the app (`FlowApp` is one)."""

    backend: Backend
    clock: Callable[[], float]
    view_store: ViewStore

    @property
    def screen(self) -> Screen[object]: ...

    @property
    def screen_stack(self) -> list[Screen[Any]]: ...

    def notify(
        self,
        message: str,
        *,
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None: ...

    def push_screen(
        self,
        screen: Screen[ScreenResult],
        callback: ScreenResultCallbackType[ScreenResult] | None = None,
    ) -> object: ...

    def open_view(self, view: SavedView) -> None: ...

    def open_explorer(self, query: Query, filter_text: str = "") -> None: ...


def explorer_actions(app: ActionHost) -> dict[str, LaterAction]:
    """A handler for every feature key of the explorer, by binding id."""
    handlers: dict[str, Callable[[ActionHost, ExplorerAction], None]] = {
        "value_counts": show_value_counts,
        "stats": show_stats,
        "explain": show_explain,
        "export": show_export,
        "save_view": show_save_view,
        "views": lambda app, _message: show_views(app),
        "insights_editor": show_insights_editor,
    }
    return {name: partial(handler, app) for name, handler in handlers.items()}


def explorer_for(app: ActionHost, message: ExplorerAction) -> ExplorerScreen | None:
    """The explorer that sent the action (it shows `message.feed`)."""
    for screen in reversed(app.screen_stack):
        if isinstance(screen, ExplorerScreen) and screen.feed is message.feed:
            return screen
    return None


def explain_record(snapshot: StoreSnapshot, row_id: int) -> dict[str, object] | None:
    """The record as the explain backends take it: only the fields of its own format, with the
    IPv6 companions of its addresses (a field's absence tells, e.g., that the format could not
    show a Block Public Access reject)."""
    row = snapshot.row(row_id)
    if row is None:
        return None
    index = row.get(FORMAT_INDEX)
    if not isinstance(index, int) or not 0 <= index < len(snapshot.formats):
        return None
    log_format: LogFormat = snapshot.formats[index]
    record: dict[str, object] = {}
    for name in log_format.fields:
        record[name] = row.get(name)
        if FIELDS[name].kind is FieldKind.ADDRESS:
            record[v6_column(name)] = row.get(v6_column(name))
    return record


def _current_rows(
    explorer: ExplorerScreen | None, message: ExplorerAction
) -> Callable[[], tuple[StoreSnapshot, ViewIndex]]:
    """The explorer's rows as they are now (they change while it follows a tail)."""

    def rows() -> tuple[StoreSnapshot, ViewIndex]:
        if explorer is None or explorer.table.snapshot is None:
            return message.snapshot, message.view
        return explorer.table.snapshot, explorer.table.view

    return rows


# --- value counts ----------------------------------------------------------------------------


def show_value_counts(app: ActionHost, message: ExplorerAction) -> None:
    explorer = explorer_for(app, message)
    if message.column is None or explorer is None:
        app.notify("No column to count: the table has no columns yet", severity="warning")
        return

    def picked(pick: ValuePick | None) -> None:
        if pick is not None:
            explorer.filter_by_value(pick.column, pick.value, pick.exclude)

    insights, engine = insights_for(app, message)
    screen = ValueCountsScreen(
        message.column,
        message.snapshot,
        message.view,
        explorer.ownership,
        message.filter_text,
        insights=insights,
        engine=engine,
    )
    app.push_screen(screen, picked)


def insights_for(app: ActionHost, message: ExplorerAction) -> tuple[InsightsEngine | None, str]:
    """The Insights engine over the explorer's group and range (only a CloudWatch backend has
    one: files and samples have no log group), and the engine to start on (`auto`)."""
    make = getattr(app.backend, "insights_engine", None)
    choose = getattr(app.backend, "engine_choice", None)
    if not callable(make):
        return None, "local"
    engine: InsightsEngine = make(message.query)
    choice = choose(message.query, message.feed) if callable(choose) else None
    if choice is not None and choice.engine == "insights":
        app.notify(sanitize(f"Insights engine: {choice.reason}"), markup=False)
        return engine, "insights"
    return engine, "local"


# --- stats -----------------------------------------------------------------------------------


def show_stats(app: ActionHost, message: ExplorerAction) -> None:
    explorer = explorer_for(app, message)
    insights, engine = insights_for(app, message)
    screen = StatsScreen(
        _current_rows(explorer, message),
        time_range=message.query.time_range,
        ownership=lambda: explorer.ownership if explorer else message.feed.ownership,
        clock=app.clock,
        filter_text=message.filter_text,
        local_time=explorer.options.local_time if explorer else False,
        insights=insights,
        engine=engine,
        open_records=lambda filter_text, time_range: app.open_explorer(
            replace(
                message.query,
                time_range=time_range,
                filter_text=filter_text,
                pushdown_pattern=None,
            ),
            filter_text,
        ),
    )
    app.push_screen(screen)


# --- explain ---------------------------------------------------------------------------------


def show_explain(app: ActionHost, message: ExplorerAction) -> None:
    row_id = message.row_id
    record = None if row_id is None else explain_record(message.snapshot, row_id)
    if row_id is None or record is None:
        app.notify("No record to explain: move the cursor to one", severity="warning")
        return
    snapshot = message.snapshot
    line = next(iter(raw_lines(snapshot.rows([row_id]), snapshot.formats)), "")
    eni = record.get("interface-id")
    explorer = explorer_for(app, message)
    ownership = explorer.ownership if explorer else message.feed.ownership
    owner = ownership.interfaces.get(eni, "") if isinstance(eni, str) else ""
    backend = app.backend
    app.push_screen(ExplainScreen(lambda refresh: backend.explain(record, refresh), line, owner))


# --- export ----------------------------------------------------------------------------------


def default_export_path(now_s: float) -> str:
    """`flowtui-export-20251127-1100.csv`, in the current directory."""
    stamp = datetime.fromtimestamp(now_s, UTC).strftime("%Y%m%d-%H%M%S")
    return f"flowtui-export-{stamp}.csv"


def show_export(app: ActionHost, message: ExplorerAction) -> None:
    if not len(message.view):
        app.notify("No rows to export", severity="warning")
        return

    def done(result: ExportResult | None) -> None:
        if result is not None:
            app.notify(sanitize(export_summary(result)), timeout=10, markup=False)

    path = default_export_path(app.clock())
    app.push_screen(ExportScreen(message.snapshot, message.view, path), done)


# --- saved views -----------------------------------------------------------------------------


def show_save_view(app: ActionHost, message: ExplorerAction) -> None:
    explorer = explorer_for(app, message)
    if explorer is None:
        return
    query = explorer.flow_query
    backend = app.backend
    # The view as it is now: the dialog may stay open while the explorer changes.
    try:
        shown = SavedView(
            name="unsaved",
            source=ViewSource(query.group, streams=query.streams),
            time_range=query.time_range,
            # Only what is applied: not a filter being typed, not a search that found nothing.
            filter_text=explorer.committed_filter,
            search_text=explorer.applied_search,
            columns=tuple(explorer.visible_columns),
            sort=explorer.sort,
            follow=explorer.follow,
        )
    except ViewError as error:
        app.notify(sanitize(f"This view cannot be saved: {error}"), severity="error", markup=False)
        return

    def build(name: str) -> SavedView:
        """In the dialog's worker: the backend says where the records load from."""
        return replace(shown, name=name, source=backend.view_source(query.group, query.streams))

    def saved(name: str | None) -> None:
        if name is not None:
            explorer.view_name = name
            app.notify(sanitize(f"Saved view {name!r}"), markup=False)

    app.push_screen(SaveViewScreen(app.view_store, build, explorer.view_name or ""), saved)


def show_views(app: ActionHost) -> None:
    """The saved-views picker; the view picked opens in a new explorer."""
    if isinstance(app.screen, ViewsScreen):
        return

    def picked(view: SavedView | None) -> None:
        if view is not None and view.insights_query is not None:
            open_insights_view(app, view)
        elif view is not None:
            app.open_view(view)

    app.push_screen(ViewsScreen(app.view_store), picked)


# --- the Insights editor ---------------------------------------------------------------------


def _insights_editor(app: ActionHost, query: Query, base: SavedView, query_text: str = "") -> None:
    """The editor over `query`'s group and range; ctrl+s saves `base` with the query."""
    make = getattr(app.backend, "insights_engine", None)
    if not callable(make):
        app.notify("Insights runs over a CloudWatch log group only", severity="warning")
        return
    backend = app.backend

    def save(text: str) -> None:
        def build(name: str) -> SavedView:
            source = backend.view_source(query.group, query.streams)
            return replace(base, name=name, source=source, insights_query=text)

        def saved(name: str | None) -> None:
            if name is not None:
                app.notify(sanitize(f"Saved view {name!r} with the Insights query"), markup=False)

        initial = "" if base.name == "unsaved" else base.name
        app.push_screen(SaveViewScreen(app.view_store, build, initial), saved)

    screen = InsightsEditorScreen(
        make(query),
        query_text=query_text,
        save_query=save,
        range_text=describe_range(query.time_range, local=False),
    )
    app.push_screen(screen)


def show_insights_editor(app: ActionHost, message: ExplorerAction) -> None:
    """`i` / "Insights query": the editor over the explorer's group and time range."""
    query = message.query
    try:
        base = SavedView(
            name="unsaved",
            source=ViewSource(query.group, streams=query.streams),
            time_range=query.time_range,
            filter_text=message.filter_text,
        )
    except ViewError as error:
        app.notify(sanitize(f"Cannot open the editor: {error}"), severity="error", markup=False)
        return
    _insights_editor(app, query, base)


def open_insights_view(app: ActionHost, view: SavedView) -> None:
    """A saved view with an Insights query opens the editor with it, over the view's range."""
    _insights_editor(app, view.to_query(), view, view.insights_query or "")
