"""Every screen at 80x24 and 120x36, and the explorer in every theme, from the sample data.

The scenes are the ones `make screenshots` draws. Update after a deliberate change with
`TZ=UTC .venv/bin/pytest tests/ui/test_ui_snapshots.py --snapshot-update` and look at the
report before committing.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scripts.screenshots import SCENES, SCENES_BY_NAME, SIZES, THEMES, Scene

SnapCompare = Callable[..., bool]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("scene", SCENES, ids=[scene.name for scene in SCENES])
def test_screen(snap_compare: SnapCompare, scene: Scene, size: tuple[int, int]) -> None:
    assert snap_compare(scene.app(), terminal_size=size, run_before=scene.run)


@pytest.mark.parametrize("theme", THEMES)
def test_theme(snap_compare: SnapCompare, theme: str) -> None:
    scene = SCENES_BY_NAME["explorer"]
    assert snap_compare(scene.app(theme), terminal_size=(80, 24), run_before=scene.run)
