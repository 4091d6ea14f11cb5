"""The Insights editor on the demo endpoint at 80x24: `i` (or the palette) opens it over the
explorer's group and range, Enter runs a raw query and shows its rows, escape stops a running
one (StopQuery), up/down recall the history kept in the state directory, and a query saved in a
view reopens in the editor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from features_support import view_is_current
from test_ui_insights import SIZE, demo, loaded, quick_polls, wait_for
from test_ui_insights_values import app_for
from textual.pilot import Pilot
from ui_support import screen_text, settle

from flowtui.core.insights.history import FILE_NAME
from flowtui.core.query import TimeRange
from flowtui.core.views import SavedView, ViewSource
from flowtui.demo.faults import InProcessEndpoint
from flowtui.demo.flow_logs import APP_GROUP
from flowtui.demo.insights import service
from flowtui.ui.app import FlowApp, Start
from flowtui.ui.cloudwatch_backend import CloudWatchBackend
from flowtui.ui.screens.explorer import ExplorerScreen
from flowtui.ui.screens.insights_editor import InsightsEditorScreen
from flowtui.ui.screens.views import SaveViewScreen, ViewsScreen

pytestmark = pytest.mark.endpoint
__all__ = ["demo", "quick_polls"]  # the shared fixtures

COUNT = "stats count(*) as n"


@pytest.fixture(autouse=True)
def dirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("FLOWTUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("FLOWTUI_STATE_DIR", str(tmp_path / "state"))
    return tmp_path


async def open_editor(pilot: Pilot[Any]) -> tuple[InsightsEditorScreen, int]:
    """The editor from the explorer's `i`, and how many records the explorer holds."""
    app = pilot.app
    assert isinstance(app, FlowApp) and isinstance(app.backend, CloudWatchBackend)
    backend = app.backend
    await wait_for(pilot, lambda: loaded(backend))
    await wait_for(pilot, lambda: view_is_current(app))
    await settle(pilot)
    explorer = app.screen
    assert isinstance(explorer, ExplorerScreen)
    held = len(explorer.table.view)
    await pilot.press("i")
    await wait_for(pilot, lambda: isinstance(app.screen, InsightsEditorScreen))
    editor = app.screen
    assert isinstance(editor, InsightsEditorScreen)
    return editor, held


async def run_query(pilot: Pilot[Any], editor: InsightsEditorScreen, text: str) -> None:
    editor.query_input.value = text
    editor.query_input.focus()
    await pilot.press("enter")
    await wait_for(pilot, lambda: editor.finished)
    await settle(pilot)


async def test_a_raw_query_runs_and_its_rows_show(
    demo: tuple[InProcessEndpoint, Any], dirs: Path
) -> None:
    server, account = demo
    app, _ = app_for(server, account.region)
    async with app.run_test(size=SIZE) as pilot:
        editor, held = await open_editor(pilot)
        assert "Insights query over /flowtui/demo/app-subnet" in screen_text(app)
        await run_query(pilot, editor, COUNT)
        assert editor.rows == [{"n": str(held)}]  # every record the explorer holds
        await wait_for(pilot, lambda: "Complete" in screen_text(app))  # drawn a frame later
        text = screen_text(app)
        assert "Complete" in text and "1 row" in text and str(held) in text

        await run_query(pilot, editor, "fields @logStream, @message | limit 3")
        assert len(editor.rows) == 3 and set(editor.rows[0]) == {"@logStream", "@message"}

        # The history is in the state directory, newest last; up recalls, down goes back.
        saved = orjson.loads((dirs / "state" / FILE_NAME).read_bytes())
        assert saved["queries"] == [COUNT, "fields @logStream, @message | limit 3"]
        editor.query_input.value = "draft"
        await pilot.press("up", "up")
        assert editor.query_input.value == COUNT
        await pilot.press("down", "down")
        assert editor.query_input.value == "draft"

        await run_query(pilot, editor, "stats nonsense(")
        assert "Insights:" in screen_text(app)  # the failure, in one line, no traceback

    app, _ = app_for(server, account.region)  # a new session reads the same history
    async with app.run_test(size=SIZE) as pilot:
        editor, _ = await open_editor(pilot)
        await settle(pilot)
        await pilot.press("up")
        assert editor.query_input.value == "stats nonsense("


async def test_escape_stops_a_running_query_then_closes(
    demo: tuple[InProcessEndpoint, Any],
) -> None:
    server, account = demo
    service.configure(scan_steps=10_000)  # a query that runs for a long while
    app, backend = app_for(server, account.region)
    async with app.run_test(size=SIZE) as pilot:
        editor, _ = await open_editor(pilot)
        editor.query_input.value = COUNT
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Running" in screen_text(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: editor.finished)
        assert "stopped" in screen_text(app)
        assert isinstance(app.screen, InsightsEditorScreen)
        assert backend.limiter.calls_by_action().get("logs:StopQuery") == 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplorerScreen))


async def test_a_query_saved_in_a_view_reopens_in_the_editor(
    demo: tuple[InProcessEndpoint, Any], dirs: Path
) -> None:
    server, account = demo
    app, _ = app_for(server, account.region)
    async with app.run_test(size=SIZE) as pilot:
        editor, held = await open_editor(pilot)
        editor.query_input.value = COUNT
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveViewScreen))
        await pilot.press(*"counted", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InsightsEditorScreen))
        stored = orjson.loads((dirs / "config" / "views" / "counted.json").read_bytes())
        assert stored["insights_query"] == COUNT and stored["schema"] == 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplorerScreen))

        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, ViewsScreen))
        await settle(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InsightsEditorScreen))
        reopened = app.screen
        assert isinstance(reopened, InsightsEditorScreen) and reopened is not editor
        assert reopened.query_input.value == COUNT
        await pilot.press("enter")
        await wait_for(pilot, lambda: reopened.finished)
        assert reopened.rows == [{"n": str(held)}]


async def test_the_palette_opens_the_editor(demo: tuple[InProcessEndpoint, Any]) -> None:
    server, account = demo
    app, backend = app_for(server, account.region)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: loaded(backend))
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Insights query")
        await settle(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InsightsEditorScreen))


async def test_flowtui_view_of_a_saved_query_opens_the_editor_over_its_explorer(
    demo: tuple[InProcessEndpoint, Any],
) -> None:
    """`flowtui --view NAME` starts the app as `Start(query=..., view=...)`: a view holding an
    Insights query opens in the editor, with its explorer underneath for escape."""
    server, account = demo
    _, backend = app_for(server, account.region)
    view = SavedView(
        name="counted",
        source=ViewSource(APP_GROUP),
        time_range=TimeRange.last(2 * 3600),
        insights_query=COUNT,
    )
    app = FlowApp(backend, start=Start(query=view.to_query(), view=view))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InsightsEditorScreen))
        editor = app.screen
        assert isinstance(editor, InsightsEditorScreen)
        assert editor.query_input.value == COUNT
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplorerScreen))
