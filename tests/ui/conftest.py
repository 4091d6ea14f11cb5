"""UI tests run in UTC with their own config and state folders, so nothing leaks in or out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setenv("FLOWTUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("FLOWTUI_STATE_DIR", str(tmp_path / "state"))
    yield
    monkeypatch.undo()
    time.tzset()
