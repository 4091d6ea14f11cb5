"""Helpers for the UI tests: a fixed clock, the app over sample data, the screen as text."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot

from flowtui.core.config import Settings
from flowtui.ui.app import FlowApp, Start
from flowtui.ui.screens.explorer import ExplorerScreen
from tests.fixtures.sample_data import SAMPLE_NOW, SampleBackend, sample_query

SIZES = ((80, 24), (120, 36))


def fixed_clock() -> float:
    return float(SAMPLE_NOW)


def explorer_app(
    backend: SampleBackend | None = None,
    *,
    filter_text: str = "",
    follow: bool = False,
    settings: Settings | None = None,
    theme: str | None = None,
) -> FlowApp:
    start = Start(query=sample_query(), filter_text=filter_text, follow=follow)
    return FlowApp(
        backend or SampleBackend(),
        start=start,
        clock=fixed_clock,
        settings=settings,
        theme_name=theme,
    )


async def settle(pilot: Pilot[Any]) -> None:
    """Typed filters applied, workers done, their messages handled, the screen repainted."""
    for _ in range(3):
        await pilot.pause()
        for screen in pilot.app.screen_stack:
            if isinstance(screen, ExplorerScreen):
                screen.flush_filter()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def screen_text(app: App[Any]) -> str:
    """What the terminal shows, as plain text lines."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text(styles=False)
