"""The flowtui app: screens, themes, keymap, and the hand-off to the backend.

The app itself holds no data. It starts on the group list (or a group's streams, or straight
in an explorer), runs every backend call in a thread worker, and passes what comes back to
the screen it belongs to. Actions of later features (stats, explain, export, views) arrive as
`ExplorerAction` messages and go to their handlers in `later_actions` (from `actions`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.screen import Screen

from flowtui import applog
from flowtui.core.config import Settings, themes_dir
from flowtui.core.query import Query, TimeRange
from flowtui.core.timeparse import TimeSpecError, parse_duration
from flowtui.core.views import SavedView, ViewSource, ViewStore
from flowtui.ui.actions import LaterAction, explorer_actions, open_insights_view, show_views
from flowtui.ui.backend import Backend, Feed, FeedStatus, FindHit, error_text
from flowtui.ui.formatting import Ownership, sanitize
from flowtui.ui.keys import APP_KEYS, bindings, keymap_conflicts, unknown_keymap_ids
from flowtui.ui.messages import (
    ExplorerAction,
    FeedFailed,
    FeedStatusChanged,
    FilterApplied,
    FollowChanged,
    OpenExplorer,
    OpenStreams,
    OwnershipChanged,
    RefetchRequested,
    StopLoading,
)
from flowtui.ui.screens.confirm import ConfirmScreen
from flowtui.ui.screens.explorer import ExplorerScreen
from flowtui.ui.screens.find import FindScreen
from flowtui.ui.screens.flowlog_setup import CoverageScreen, DoctorScreen, FlowLogsScreen
from flowtui.ui.screens.groups import GroupsScreen
from flowtui.ui.screens.help import HelpScreen
from flowtui.ui.screens.streams import StreamsScreen
from flowtui.ui.theme import (
    DEFAULT_THEME,
    bundled_themes_dir,
    flow_variable_defaults,
    load_themes,
)
from flowtui.ui.widgets.time_range import check_range

log = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Start:
    """Where the app opens: an explorer for `query`, a group's streams, or the group list."""

    query: Query | None = None
    filter_text: str = ""
    follow: bool = False
    group: str | None = None
    #: On the group list, put the cursor on this group.
    select_group: str | None = None
    #: The saved view `query` comes from: its columns, sort and search apply too.
    view: SavedView | None = None


@dataclass(frozen=True, slots=True)
class _Opening:
    """An explorer about to open: what to load and how to show it."""

    query: Query
    filter_text: str = ""
    follow: bool = False
    view: SavedView | None = None


def same_place(here: ViewSource, saved: ViewSource) -> bool:
    """Whether a view's source names the connection this app uses (profile, region, endpoint)."""
    return (saved.profile, saved.region, saved.endpoint_url) == (
        here.profile,
        here.region,
        here.endpoint_url,
    )


def describe_place(source: ViewSource) -> str:
    """'profile prod, region eu-west-1' (the default chain when no profile is named)."""
    parts = [f"profile {source.profile}" if source.profile else "the default credentials"]
    if source.region:
        parts.append(f"region {source.region}")
    if source.endpoint_url:
        parts.append(f"endpoint {source.endpoint_url}")
    return ", ".join(parts)


class _Reporter:
    """The FeedReporter given to a backend: posts to the feed's explorer from any thread.

    Reports that arrive before the explorer exists are kept (the latest of each kind) and
    delivered when it is attached.
    """

    def __init__(self) -> None:
        self._screen: ExplorerScreen | None = None
        self._status: FeedStatus | None = None
        self._ownership: Ownership | None = None
        self._errors: list[str] = []

    def attach(self, screen: ExplorerScreen) -> None:
        self._screen = screen
        if self._status is not None:
            self.status(self._status)
        if self._ownership is not None:
            self.ownership(self._ownership)
        for message in self._errors:
            self.error(message)

    def status(self, status: FeedStatus) -> None:
        self._status = status
        if self._screen is not None:
            self._screen.post_message(FeedStatusChanged(self._screen.feed, status))

    def ownership(self, ownership: Ownership) -> None:
        self._ownership = ownership
        if self._screen is not None:
            self._screen.post_message(OwnershipChanged(self._screen.feed, ownership))

    def error(self, message: str) -> None:
        if self._screen is None:
            self._errors.append(message)
            return
        self._screen.post_message(FeedFailed(self._screen.feed, message))


class FlowApp(App[int]):
    """The interactive flowtui."""

    TITLE = "flowtui"
    BINDINGS: ClassVar[list[BindingType]] = bindings(APP_KEYS)
    ENABLE_COMMAND_PALETTE = True

    CSS = """
    Screen { background: $background; }
    Toast { max-width: 70; }
    """

    def __init__(
        self,
        backend: Backend,
        *,
        settings: Settings | None = None,
        theme_name: str | None = None,
        start: Start | None = None,
        clock: Clock = time.time,
        theme_dirs: Iterable[Path] | None = None,
        view_store: ViewStore | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.settings = settings or Settings()
        self.clock = clock
        self.start = start or Start()
        self.view_store = view_store if view_store is not None else ViewStore()
        self.filter_history: list[str] = []
        self.search_history: list[str] = []
        #: Handlers for the actions of later features, by binding id ("stats", "export"...).
        self.later_actions: dict[str, LaterAction] = explorer_actions(self)
        self.notices: list[str] = list(self.settings.problems)
        directories = (
            list(theme_dirs) if theme_dirs is not None else [bundled_themes_dir(), themes_dir()]
        )
        loaded = load_themes(directories)
        for theme in loaded.themes:
            self.register_theme(theme)
        self.notices.extend(loaded.problems)
        self.theme = self._initial_theme(theme_name or self.settings.theme)
        unknown = unknown_keymap_ids(self.settings.keymap)
        if unknown:
            self.notices.append(f"config.json keymap: unknown binding id(s) {', '.join(unknown)}")
        for conflict in keymap_conflicts(self.settings.keymap):
            self.notices.append(f"config.json keymap: {conflict}")

    def _initial_theme(self, wanted: str | None) -> str:
        fallback = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        if wanted is None:
            return fallback
        if wanted in self.available_themes:
            return wanted
        names = ", ".join(
            sorted(name for name in self.available_themes if name.startswith("flowtui"))
        )
        self.notices.append(f"unknown theme '{wanted}'; using {fallback} (flowtui themes: {names})")
        return fallback

    def get_theme_variable_defaults(self) -> dict[str, str]:
        # Registered before any CSS is parsed, so $flow-* always resolves (any theme).
        return flow_variable_defaults(self.current_theme)

    # --- start and stop --------------------------------------------------------------------

    def on_mount(self) -> None:
        self.set_keymap(dict(self.settings.keymap))
        self._watch_hangup()
        for notice in self.notices:
            log.warning("%s", notice)
            self.notify(sanitize(notice), severity="warning", timeout=15, markup=False)
        start = self.start
        if start.query is not None:
            self.open_explorer(start.query, start.filter_text, start.follow, start.view)
            if start.view is not None and start.view.insights_query is not None:
                open_insights_view(self, start.view)  # `--view` of a saved Insights query
            return
        if start.group is not None:
            self.push_screen(self._streams_screen(start.group))
            return
        where = self.backend.source_name
        groups = GroupsScreen(self.backend.list_groups, self.clock, start.select_group, where)
        self.push_screen(groups)

    def _watch_hangup(self) -> None:
        """A dropped SSH session (SIGHUP) exits cleanly instead of killing the process."""
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError, AttributeError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._hangup)

    def _hangup(self) -> None:
        log.info("terminal hung up (SIGHUP): exiting")
        self.exit(0)

    def on_unmount(self) -> None:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError, AttributeError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        # Quitting from an explorer: its fetches must stop too (close only signals them).
        for screen in self.screen_stack:
            if isinstance(screen, ExplorerScreen):
                try:
                    self.backend.close(screen.feed)
                except Exception as error:  # quitting must not fail
                    log.warning("close failed: %s", error_text(error))

    def _handle_exception(self, error: Exception) -> None:
        # Textual prints a full traceback on exit; flowtui writes it to the log file instead
        # and leaves one line on the restored terminal saying where it is.
        log.critical("unexpected error", exc_info=error)
        super()._handle_exception(error)
        what = type(error).__name__
        line = Text(f"flowtui stopped after an unexpected error ({what}); see {applog.log_path()}")
        self._exit_renderables[:] = [line]

    # --- navigation ------------------------------------------------------------------------

    def action_go_back(self, quit_here: bool) -> None:
        """Close the top screen; on the first screen, `q` quits and escape does nothing.

        An explorer is never left on Esc (Esc closes its detail pane), and `q` asks first when
        leaving would discard its rows, filter, sort or follow: Esc and q also close other
        screens, and pressing one once too often must not throw work away.
        """
        screen = self.screen
        if isinstance(screen, ExplorerScreen):
            if not quit_here:
                if not screen.close_open_part():
                    self.notify("Esc closes panes and bars; q leaves the explorer")
                return
            work = screen.work_in_it()
            if work:
                first = len(self.screen_stack) <= 2
                question = "Quit flowtui?" if first else "Leave this explorer?"

                def answered(yes: bool | None) -> None:
                    if yes and self.screen is screen:
                        self._go_back(quit_here)

                detail = sanitize(f"{work[0].upper()}{work[1:]} will be discarded.")
                self.push_screen(ConfirmScreen(question, detail), answered)
                return
        self._go_back(quit_here)

    def _go_back(self, quit_here: bool) -> None:
        if len(self.screen_stack) <= 2:
            if quit_here:
                self.exit(0)
            return
        screen = self.screen
        if isinstance(screen, ExplorerScreen):
            self._close_feed(screen.feed)
        self.pop_screen()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(dict(self.settings.keymap)))

    def action_find(self) -> None:
        if isinstance(self.screen, FindScreen):
            return

        def found(hit: FindHit | None) -> None:
            if hit is not None and hit.group is not None:
                streams = (hit.stream,) if hit.stream else ()
                self.open_explorer(Query(hit.group, self.default_time_range(), streams))

        self.push_screen(FindScreen(self.backend.find), found)

    def default_time_range(self) -> TimeRange:
        try:
            wanted = TimeRange.last(parse_duration(self.settings.default_time_range))
            return check_range(wanted, int(self.clock()))
        except TimeSpecError:
            return TimeRange.last(3600)

    def _streams_screen(self, group: str) -> StreamsScreen:
        query = Query(group, self.default_time_range())
        return StreamsScreen(group, lambda: self.backend.list_streams(group), self.clock, query)

    @on(OpenStreams)
    def _open_streams(self, message: OpenStreams) -> None:
        self.push_screen(self._streams_screen(message.group))

    @on(OpenExplorer)
    def _open_explorer_message(self, message: OpenExplorer) -> None:
        self.open_explorer(message.query, message.filter_text)

    def open_explorer(
        self,
        query: Query,
        filter_text: str = "",
        follow: bool = False,
        view: SavedView | None = None,
    ) -> None:
        """Ask the backend how big the fetch is, confirm if large, then open the explorer."""
        self._estimate(_Opening(query, filter_text, follow, view))

    def open_view(self, view: SavedView) -> None:
        """Open a saved view in a new explorer, over this app's connection."""
        self._open_view(view)

    @work(thread=True, group="backend", exit_on_error=False)
    def _open_view(self, view: SavedView) -> None:
        try:
            here = self.backend.view_source(view.source.log_group, view.source.streams)
        except Exception as error:
            log.warning("view_source failed: %s", error_text(error))
        else:
            if not same_place(here, view.source):
                saved_at = describe_place(view.source)
                notice = (
                    f"View {view.name!r} was saved for {saved_at}; "
                    f"it opens here with {describe_place(here)}"
                )
                self.call_from_thread(
                    self.notify, sanitize(notice), severity="warning", markup=False
                )
        opening = _Opening(view.to_query(), view.filter_text, view.follow, view)
        self.call_from_thread(self._estimate, opening)

    @work(thread=True, group="backend", exit_on_error=False)
    def _estimate(self, opening: _Opening) -> None:
        try:
            # A range CloudWatch would refuse (a view or setting of 99999d) is said in words.
            check_range(opening.query.time_range, int(self.clock()))
        except TimeSpecError as error:
            notice = f"Not loaded: {error}"
            self.call_from_thread(self.notify, notice, severity="error", markup=False)
            return
        try:
            estimate = self.backend.estimate(opening.query)
        except Exception as error:
            log.warning("estimate failed: %s", error_text(error))
            estimate = None
        if estimate is not None and estimate.large:
            self.call_from_thread(self._confirm_large, opening, estimate.text)
            return
        self._open_feed(opening)

    def _confirm_large(self, opening: _Opening, text: str) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self._open_in_worker(opening)

        question = "This fetch looks large. Fetch it anyway?"
        self.push_screen(ConfirmScreen(question, text), answered)

    @work(thread=True, group="backend", exit_on_error=False)
    def _open_in_worker(self, opening: _Opening) -> None:
        self._open_feed(opening)

    def _open_feed(self, opening: _Opening) -> None:
        """In a worker thread: open the feed, then show its explorer on the UI thread."""
        reporter = _Reporter()
        try:
            feed = self.backend.open(opening.query, reporter)
        except Exception as error:
            self.call_from_thread(
                self.notify,
                sanitize(error_text(error)),
                severity="error",
                timeout=10,
                markup=False,
            )
            return
        self.call_from_thread(self._show_explorer, feed, opening, reporter)

    def _show_explorer(self, feed: Feed, opening: _Opening, reporter: _Reporter) -> None:
        query, follow = opening.query, opening.follow
        screen = ExplorerScreen(
            feed,
            query,
            clock=self.clock,
            filter_text=opening.filter_text,
            follow=follow,
            filter_history=self.filter_history,
            search_history=self.search_history,
            saved_view=opening.view,
        )
        reporter.attach(screen)
        self.push_screen(screen)
        if follow:
            self._call_backend("set_follow", lambda: self.backend.set_follow(feed, True))

    # --- backend calls ---------------------------------------------------------------------

    @work(thread=True, group="backend", exit_on_error=False)
    def _call_backend(self, what: str, call: Callable[[], None]) -> None:
        try:
            call()
        except Exception as error:
            log.warning("%s failed: %s", what, error_text(error))
            self.call_from_thread(
                self.notify,
                sanitize(error_text(error)),
                severity="error",
                timeout=10,
                markup=False,
            )

    @on(RefetchRequested)
    def _refetch(self, message: RefetchRequested) -> None:
        feed, query = message.feed, message.query
        if message.more:
            self._call_backend("fetch_more", lambda: self.backend.fetch_more(feed, query))
        else:
            self._call_backend("refetch", lambda: self.backend.refetch(feed, query))

    @on(FilterApplied)
    def _filter_applied(self, message: FilterApplied) -> None:
        feed, query = message.feed, message.query
        self._call_backend("filter", lambda: self.backend.filter_applied(feed, query))

    @on(FollowChanged)
    def _follow_changed(self, message: FollowChanged) -> None:
        feed, follow = message.feed, message.follow
        self._call_backend("set_follow", lambda: self.backend.set_follow(feed, follow))

    @on(StopLoading)
    def _stop_loading(self, message: StopLoading) -> None:
        feed = message.feed
        self._call_backend("cancel_fetch", lambda: self.backend.cancel_fetch(feed))

    def _close_feed(self, feed: Feed) -> None:
        self._call_backend("close", lambda: self.backend.close(feed))

    @on(ExplorerAction)
    def _later_action(self, message: ExplorerAction) -> None:
        handler = self.later_actions.get(message.name)
        if handler is None:
            self.notify(
                f"'{message.name}' is not available in this version yet", severity="warning"
            )
            return
        handler(message)

    # --- command palette -------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name in sorted(self.available_themes):
            if name.startswith("flowtui"):
                yield SystemCommand(
                    f"Theme: {name}", "Switch to this theme", self._theme_setter(name)
                )
        if isinstance(screen, ExplorerScreen):
            yield SystemCommand(
                "Toggle UTC / local time", "Times in UTC or local", screen.action_toggle_local_time
            )
            yield SystemCommand(
                "Toggle raw values",
                "Bytes and times as logged, or readable",
                screen.toggle_raw_values,
            )
            yield SystemCommand(
                "Toggle fuzzy search",
                "Rank rows by fuzzy match instead of exact text",
                screen.toggle_fuzzy,
            )
            yield SystemCommand(
                "Toggle follow",
                "Keep loading new records and stick to the newest",
                screen.action_toggle_follow,
            )
            yield SystemCommand(
                "Toggle detail pane", "Decode the current record", screen.action_toggle_detail
            )
            if hasattr(self.backend, "insights_engine"):
                yield SystemCommand(
                    "Insights query",
                    "Run a raw CloudWatch Logs Insights query over this group and range",
                    lambda: screen.action_later("insights_editor"),
                )
        yield SystemCommand(
            "Saved views", "Open, rename, duplicate or delete saved views", self.show_views
        )
        if hasattr(self.backend, "coverage"):
            yield SystemCommand(
                "Flow-log coverage",
                "Each ENI of the VPCs and the flow logs that capture it",
                self.show_coverage,
            )
            yield SystemCommand(
                "Flow logs",
                "Every flow log of the region; delete one after seeing what stops",
                self.show_flow_logs,
            )
            yield SystemCommand(
                "Doctor",
                "What these credentials can do, and which flow logs fail to deliver",
                self.show_doctor,
            )
        yield SystemCommand(
            "Toggle mouse capture",
            "Off lets the terminal select text with the mouse",
            self.toggle_mouse_capture,
        )

    def show_coverage(self) -> None:
        self.push_screen(
            CoverageScreen(
                self.backend.coverage,
                self.clock,
                self.backend.create_flow_log,
                getattr(self.backend, "plan_flow_log", None),
            )
        )

    def show_flow_logs(self) -> None:
        self.push_screen(
            FlowLogsScreen(
                self.backend.flow_logs,
                self.clock,
                self.backend.delete_flow_log,
                getattr(self.backend, "change_flow_log", None),
                getattr(self.backend, "plan_flow_log", None),
            )
        )

    def show_doctor(self) -> None:
        self.push_screen(DoctorScreen(self.backend.doctor, self.clock))

    def show_views(self) -> None:
        show_views(self)

    def action_views(self) -> None:
        """`v` on the group and stream lists (the explorer's `v` arrives as an action)."""
        show_views(self)

    def _theme_setter(self, name: str) -> Callable[[], None]:
        def set_theme() -> None:
            self.theme = name

        return set_theme

    def toggle_mouse_capture(self) -> None:
        """Turn mouse reporting off (terminal selection works) or back on."""
        driver = self._driver
        enable = getattr(driver, "_enable_mouse_support", None)
        disable = getattr(driver, "_disable_mouse_support", None)
        if driver is None or enable is None or disable is None:
            self.notify("This terminal driver cannot change mouse capture", severity="warning")
            return
        capturing = bool(getattr(driver, "_mouse", True))
        if capturing:
            disable()
        driver._mouse = not capturing
        if not capturing:
            enable()
        state = "on" if not capturing else "off: select text with the mouse, copy with the terminal"
        self.notify(f"Mouse capture {state}")
