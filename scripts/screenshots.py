"""`make screenshots`: SVGs of every screen and theme, from the fixed sample data.

    python scripts/screenshots.py screenshots

A developer tool, not part of the product. Each scene is an app over
`tests/fixtures/sample_data.py` plus the keys that bring it to the state shown; the
snapshot tests (tests/ui/test_ui_snapshots.py) use the same scenes, so README pictures and
tested pictures cannot drift apart. Run with TZ=UTC (the Makefile does).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Run as a file, Python puts scripts/ on the path, not the repo root the fixtures live under.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.pilot import Pilot

from flowtui.core.config import Settings
from flowtui.core.views import SavedView, ViewStore
from flowtui.ui.app import FlowApp, Start
from flowtui.ui.backend import FeedStatus
from flowtui.ui.screens.explorer import ExplorerScreen
from flowtui.ui.theme import DEFAULT_THEME, bundled_themes_dir
from tests.fixtures.sample_data import GROUP, SAMPLE_NOW, SampleBackend, sample_query, sample_views

SIZES: tuple[tuple[int, int], ...] = ((80, 24), (120, 36))
THEMES = ("flowtui-dark", "flowtui-light", "flowtui-high-contrast", "flowtui-ansi")


def sample_clock() -> float:
    return float(SAMPLE_NOW)


_VIEW_FOLDERS: list[tempfile.TemporaryDirectory[str]] = []


def fixture_view_store(views: tuple[SavedView, ...]) -> ViewStore:
    """A view store of its own (removed at exit) holding `views`; never the user's."""
    folder = tempfile.TemporaryDirectory(prefix="flowtui-scene-")
    _VIEW_FOLDERS.append(folder)
    store = ViewStore(Path(folder.name))
    for view in views:
        store.save(view)
    return store


@dataclass(frozen=True)
class Scene:
    name: str
    start: Start
    keys: tuple[str, ...] = ()
    status: FeedStatus = field(default_factory=FeedStatus)
    views: tuple[SavedView, ...] = ()

    def app(self, theme: str = DEFAULT_THEME) -> FlowApp:
        """A fresh app in this scene's starting state (no user config, themes or views)."""
        return FlowApp(
            SampleBackend(status=self.status),
            settings=Settings(),
            theme_name=theme,
            start=self.start,
            clock=sample_clock,
            theme_dirs=[bundled_themes_dir()],
            view_store=fixture_view_store(self.views),
        )

    async def run(self, pilot: Pilot[Any]) -> None:
        """Bring the app to the scene: settle, press the keys, settle again."""
        await settle(pilot)
        await pilot.press(*self.keys)
        await settle(pilot)


async def settle(pilot: Pilot[Any]) -> None:
    """Typed filters applied, workers done, their messages handled, the screen repainted."""
    for _ in range(3):
        await pilot.pause()
        for screen in pilot.app.screen_stack:
            if isinstance(screen, ExplorerScreen):
                screen.flush_filter()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _typed(text: str) -> tuple[str, ...]:
    return tuple("space" if char == " " else char for char in text)


_EXPLORER = Start(query=sample_query())
_FETCHING = FeedStatus(api_calls=37, fetching=True, progress=0.4)

SCENES: tuple[Scene, ...] = (
    Scene("groups", Start(), ("j",)),
    Scene("streams", Start(group=GROUP), ("space", "j", "space")),
    Scene("explorer", _EXPLORER, ("j",) * 5, _FETCHING),
    Scene("detail", _EXPLORER, (*("j",) * 5, "enter")),
    Scene("filter-error", _EXPLORER, ("f", *_typed("dstport=ssh actoin=reject"))),
    Scene(
        "filtered-sorted",
        _EXPLORER,
        ("f", *_typed("action=reject"), "enter", *("l",) * 6, "right_square_bracket"),
    ),
    Scene("search", _EXPLORER, ("slash", *_typed("bastion"), "enter")),
    Scene("follow", Start(query=sample_query(), follow=True), ("F", "F", "k")),
    Scene("time-range", _EXPLORER, ("T",)),
    Scene("columns", _EXPLORER, ("c",)),
    Scene("help", _EXPLORER, ("question_mark",)),
    Scene("find", Start(), ("ctrl+f", *_typed("10.0.2.20"), "enter")),
    # `l`: the action column; `j` x 5: the first REJECT (an SSH probe the ACL denies).
    Scene("value-counts", _EXPLORER, ("l", "number_sign")),
    Scene("stats", _EXPLORER, ("s",)),
    Scene("explain", _EXPLORER, (*("j",) * 5, "x")),
    Scene("export", _EXPLORER, ("e",)),
    Scene("save-view", _EXPLORER, ("f", *_typed("action=reject"), "enter", "ctrl+s")),
    Scene("views", _EXPLORER, ("v",), views=tuple(sample_views())),
)

SCENES_BY_NAME: dict[str, Scene] = {scene.name: scene for scene in SCENES}


async def capture(scene: Scene, size: tuple[int, int], theme: str) -> str:
    app = scene.app(theme)
    async with app.run_test(size=size) as pilot:
        await scene.run(pilot)
        return app.export_screenshot(title=f"flowtui: {scene.name}")


async def write_all(folder: Path, on_write: Callable[[Path], None]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for scene in SCENES:
        for width, height in SIZES:
            path = folder / f"{scene.name}-{width}x{height}.svg"
            path.write_text(await capture(scene, (width, height), DEFAULT_THEME))
            on_write(path)
    for theme in THEMES:
        path = folder / f"theme-{theme}.svg"
        path.write_text(await capture(SCENES_BY_NAME["detail"], (120, 36), theme))
        on_write(path)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python scripts/screenshots.py FOLDER", file=sys.stderr)
        return 2
    asyncio.run(write_all(Path(argv[0]), print))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
