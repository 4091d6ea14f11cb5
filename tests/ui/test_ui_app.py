"""App-wide behaviour: keys and keymap, help, back and quit, hang-ups, crashes, themes."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from ui_support import explorer_app, fixed_clock, screen_text, settle

from flowtui import applog
from flowtui.core.config import Settings
from flowtui.ui.app import FlowApp, Start
from flowtui.ui.keys import ALL_KEYS
from flowtui.ui.messages import ExplorerAction
from flowtui.ui.screens.explorer import ExplorerScreen
from flowtui.ui.screens.groups import GroupsScreen
from flowtui.ui.screens.help import HelpScreen
from flowtui.ui.screens.streams import StreamsScreen
from flowtui.ui.theme import DEFAULT_THEME
from flowtui.ui.widgets.flow_table import FlowTable
from tests.fixtures.sample_data import SampleBackend


@pytest.fixture
def log_file() -> Iterator[Path]:
    path = applog.configure()
    assert path is not None
    yield path
    root = logging.getLogger()
    for handler in list(root.handlers):
        handler.close()
        root.removeHandler(handler)


async def test_help_lists_every_binding_with_the_user_keymap() -> None:
    app = explorer_app(settings=Settings(keymap={"follow": "ctrl+l"}))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("?")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        help_screen = app.screen
        shown = ""
        for _ in range(30):
            shown += screen_text(app)
            await pilot.press("pagedown")
        for spec in ALL_KEYS:
            assert spec.id in shown, spec.id
        assert "ctrl+l" in shown
        assert "ctrl+p" in shown
        await pilot.press("escape")
        assert app.screen is not help_screen


async def test_keymap_remaps_a_binding_and_names_unknown_ids() -> None:
    backend = SampleBackend()
    settings = Settings(keymap={"follow": "ctrl+l", "folow": "x"})
    app = explorer_app(backend, settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExplorerScreen)
        await pilot.press("F")
        await settle(pilot)
        assert not screen.follow
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert screen.follow
        assert any("unknown binding id(s) folow" in notice for notice in app.notices)


async def test_q_goes_back_and_quits_on_the_first_screen() -> None:
    app = FlowApp(SampleBackend(), start=Start(), clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, StreamsScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, GroupsScreen), "escape never quits"
        assert not app._exit
        await pilot.press("q")
        await settle(pilot)
        assert app._exit
    assert app.return_code == 0


async def test_sighup_exits_cleanly() -> None:
    app = explorer_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        os.kill(os.getpid(), signal.SIGHUP)
        await pilot.pause()
        await pilot.pause()
        assert app._exit is True
    assert app.return_code == 0


async def test_a_crash_goes_to_the_log_with_one_line_on_screen(
    log_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = explorer_app()

    def broken(action: ExplorerAction) -> None:
        raise RuntimeError("stats exploded")

    app.later_actions["stats"] = broken
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("s")
            await settle(pilot)
    assert app.return_code == 1
    logged = log_file.read_text()
    assert "Traceback" in logged and "RuntimeError: stats exploded" in logged
    shown = capsys.readouterr().err
    assert "flowtui stopped after an unexpected error (RuntimeError)" in shown
    assert str(log_file) in shown.replace("\n", "")
    assert "Traceback" not in shown


async def test_themes_from_files_and_the_palette() -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert app.theme == DEFAULT_THEME
        await pilot.press("ctrl+p", *"flowtui-high", "enter")
        await settle(pilot)
        assert app.theme == "flowtui-high-contrast"
        table = app.screen.query_one(FlowTable)
        reject = table.get_component_rich_style("flow-table--reject")
        assert reject.color is not None and reject.color.triplet is not None
        assert reject.color.triplet.hex == "#ff3b3b"


async def test_ansi_theme_uses_terminal_colours() -> None:
    app = explorer_app(theme="flowtui-ansi")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.current_theme.ansi
        table = app.screen.query_one(FlowTable)
        accept = table.get_component_rich_style("flow-table--accept")
        assert accept.color is not None and accept.color.number == 2, "the terminal's green"


async def test_invalid_user_theme_is_reported_and_the_default_used() -> None:
    themes = Path(os.environ["FLOWTUI_CONFIG_DIR"]) / "themes"
    themes.mkdir(parents=True)
    (themes / "broken.toml").write_text('name = "broken"\nprimary = "not-a-colour"\n')
    (themes / "mine.json").write_text('{"name": "mine", "primary": "#112233", "dark": true}')
    app = explorer_app(theme="broken")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == DEFAULT_THEME
        assert any(
            "broken.toml" in n and "'not-a-colour' is not a colour" in n for n in app.notices
        )
        assert any("unknown theme 'broken'" in notice for notice in app.notices)
        assert "mine" in app.available_themes
    app = explorer_app(theme="mine")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "mine"
