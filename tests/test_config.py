"""Config and state directories, the user's settings file, and atomic writes."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import IO

import orjson
import platformdirs
import pytest

from flowtui.core import config
from flowtui.core.config import Settings, load_settings, write_atomically


def test_directories_follow_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(config.CONFIG_DIR_ENV, str(tmp_path / "cfg"))
    monkeypatch.setenv(config.STATE_DIR_ENV, str(tmp_path / "state"))
    assert config.config_dir() == tmp_path / "cfg"
    assert config.state_dir() == tmp_path / "state"
    assert config.themes_dir() == tmp_path / "cfg" / "themes"


def test_directories_default_to_the_platform_locations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.CONFIG_DIR_ENV, raising=False)
    monkeypatch.delenv(config.STATE_DIR_ENV, raising=False)
    assert config.config_dir() == platformdirs.user_config_path("flowtui")
    assert config.state_dir() == platformdirs.user_state_path("flowtui")


def write_settings(directory: Path, data: object) -> Path:
    path = directory / config.SETTINGS_FILE
    path.write_bytes(orjson.dumps(data))
    return path


def test_no_settings_file_means_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path) == Settings()
    assert Settings().row_cap == 1_000_000 and Settings().default_time_range == "1h"


def test_every_setting_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.CONFIG_DIR_ENV, str(tmp_path))
    write_settings(
        tmp_path,
        {
            "theme": "solarized",
            "keymap": {"save_view": "ctrl+w"},
            "row_cap": 250_000,
            "rate_budget": 2,
            "lookback_minutes": 30,
            "default_time_range": "15m",
            "mouse": False,
        },
    )
    assert load_settings() == Settings(
        theme="solarized",
        keymap={"save_view": "ctrl+w"},
        row_cap=250_000,
        rate_budget=2.0,
        lookback_minutes=30,
        default_time_range="15m",
        mouse=False,
    )


def test_a_corrupt_settings_file_gives_defaults_one_problem_and_stays(tmp_path: Path) -> None:
    path = tmp_path / config.SETTINGS_FILE
    path.write_text('{"theme": "dark",')
    settings = load_settings(tmp_path)
    assert settings == Settings(problems=settings.problems)
    (problem,) = settings.problems
    assert str(path) in problem and "not valid JSON" in problem and "\n" not in problem
    assert path.read_text() == '{"theme": "dark",'


def test_a_settings_file_that_is_not_an_object_gives_defaults(tmp_path: Path) -> None:
    path = write_settings(tmp_path, [1, 2])
    settings = load_settings(tmp_path)
    assert settings == Settings(problems=(f"{path}: must hold a JSON object; using defaults",))


def test_bad_values_fall_back_one_by_one(tmp_path: Path) -> None:
    write_settings(
        tmp_path,
        {
            "row_cap": -5,
            "mouse": "no",
            "default_time_range": "forever",
            "theme": "nord",
            "rowcap": 5,
        },
    )
    settings = load_settings(tmp_path)
    assert (settings.row_cap, settings.mouse, settings.default_time_range) == (
        1_000_000,
        True,
        "1h",
    )
    assert settings.theme == "nord"
    problems = "\n".join(settings.problems)
    assert len(settings.problems) == 4
    assert "'row_cap' must be a whole number greater than zero" in problems
    assert "'mouse' must be true or false" in problems
    assert "not 'forever'" in problems
    assert "unknown setting 'rowcap' (did you mean 'row_cap'?)" in problems


@pytest.mark.parametrize("value", [True, 0, "10"])
def test_row_cap_must_be_a_positive_integer(tmp_path: Path, value: object) -> None:
    write_settings(tmp_path, {"row_cap": value})
    settings = load_settings(tmp_path)
    assert settings.row_cap == 1_000_000 and len(settings.problems) == 1


def test_atomic_write_creates_a_private_file_and_refuses_to_clobber(tmp_path: Path) -> None:
    target = tmp_path / "file.json"
    assert write_atomically(target, lambda out: out.write(b"first"), overwrite=False) == 5
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        write_atomically(target, lambda out: out.write(b"second"), overwrite=False)
    assert target.read_bytes() == b"first"
    write_atomically(target, lambda out: out.write(b"third"), overwrite=True)
    assert target.read_bytes() == b"third"
    assert [p.name for p in tmp_path.iterdir()] == ["file.json"]


def test_atomic_write_that_fails_midway_leaves_the_old_file_and_no_temporary(
    tmp_path: Path,
) -> None:
    target = tmp_path / "file.json"
    target.write_bytes(b"old")

    def half_then_fail(out: IO[bytes]) -> None:
        out.write(b"new but incomplete")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_atomically(target, half_then_fail, overwrite=True)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.json"]
