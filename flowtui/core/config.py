"""Where flowtui keeps its files, the user's settings file, and how files are written safely.

Directories (created by whoever writes into them, never on import):
- config: `FLOWTUI_CONFIG_DIR`, else platformdirs' user config path. Holds `config.json`,
  `views/` (saved views) and `themes/`.
- state: `FLOWTUI_STATE_DIR`, else platformdirs' user state path. Holds the log file.

`config.json` is written by the user, never by flowtui. A file that cannot be read or holds
bad values never stops the app: the bad parts fall back to defaults and each becomes a
one-line message in `Settings.problems`.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import orjson
import platformdirs

from flowtui.core.timeparse import TimeSpecError, parse_duration

APP_NAME = "flowtui"
CONFIG_DIR_ENV = "FLOWTUI_CONFIG_DIR"
STATE_DIR_ENV = "FLOWTUI_STATE_DIR"
SETTINGS_FILE = "config.json"


def config_dir() -> Path:
    """The user's flowtui configuration directory (`FLOWTUI_CONFIG_DIR` overrides it)."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_config_path(APP_NAME)


def state_dir() -> Path:
    """Where flowtui keeps state such as its log file (`FLOWTUI_STATE_DIR` overrides it)."""
    override = os.environ.get(STATE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_state_path(APP_NAME)


def themes_dir() -> Path:
    """User themes live next to the settings file."""
    return config_dir() / "themes"


# --- atomic writes ---------------------------------------------------------------------------


def write_atomically(path: Path, write: Callable[[IO[bytes]], object], *, overwrite: bool) -> int:
    """Write a file so that readers see the old content or the whole new one, never a part.

    `write` fills a temporary file in the same directory (mode 0600); it is flushed, fsynced and
    renamed over `path`. Without `overwrite`, an existing `path` raises FileExistsError, checked
    atomically by hard-linking, so two processes cannot both create the same file. On any
    failure the temporary file is removed. Returns the size written in bytes.
    """
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
            size = stream.tell()
        if overwrite:
            os.replace(temp, path)
        else:
            _link_without_clobbering(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)
    return size


def _link_without_clobbering(temp: Path, path: Path) -> None:
    try:
        os.link(temp, path)
    except OSError as error:
        # Some file systems (FAT, certain network mounts) have no hard links: fall back to a
        # check-then-rename, which is only racy against another process creating the same name.
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        if path.exists():
            raise FileExistsError(errno.EEXIST, "File exists", str(path)) from None
        os.replace(temp, path)
        return
    temp.unlink()


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable; not every platform can open a directory, so best effort."""
    with contextlib.suppress(OSError):
        handle = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


# --- settings --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Settings:
    """The user's settings; every field has a default, so a missing file means defaults."""

    theme: str | None = None
    #: Binding id -> keys, such as {"save_view": "ctrl+s"}.
    keymap: Mapping[str, str] = field(default_factory=dict)
    row_cap: int = 1_000_000
    #: CloudWatch requests per second flowtui may spend; None means the built-in budget.
    rate_budget: float | None = None
    lookback_minutes: int = 15
    default_time_range: str = "1h"
    mouse: bool = True
    #: Above this estimated price (USD) an Insights query needs a confirmation.
    insights_confirm_usd: float = 1.0
    #: Insights queries flowtui runs at once at most (the account's limit is shared).
    insights_max_queries: int = 10
    #: One line per thing in config.json that was ignored, and why.
    problems: tuple[str, ...] = ()


def _check_theme(value: object) -> str | None:
    if value is None or (isinstance(value, str) and value.strip()):
        return value
    raise ValueError("must be a theme name or null")


def _check_keymap(value: object) -> dict[str, str]:
    if isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()
    ):
        return dict(value)
    raise ValueError('must map binding ids to keys, such as {"save_view": "ctrl+s"}')


def _check_positive_int(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise ValueError("must be a whole number greater than zero")


def _check_minutes(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ValueError("must be a whole number of minutes, zero or more")


def _check_rate(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    raise ValueError("must be a number of requests per second greater than zero, or null")


def _check_time_range(value: object) -> str:
    expected = "must be a duration such as 15m, 1h or 7d"
    if not isinstance(value, str):
        raise ValueError(expected)
    try:
        seconds = parse_duration(value)
    except TimeSpecError:
        seconds = 0
    if seconds <= 0:
        raise ValueError(f"{expected}, not {value!r}")
    return value.strip()


def _check_price(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    raise ValueError("must be a price in USD, zero or more")


def _check_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError("must be true or false")


_CHECKS: dict[str, Callable[[object], Any]] = {
    "theme": _check_theme,
    "keymap": _check_keymap,
    "row_cap": _check_positive_int,
    "rate_budget": _check_rate,
    "lookback_minutes": _check_minutes,
    "default_time_range": _check_time_range,
    "mouse": _check_bool,
    "insights_confirm_usd": _check_price,
    "insights_max_queries": _check_positive_int,
}


def load_settings(directory: Path | None = None) -> Settings:
    """Read `config.json` from `directory` (default: `config_dir()`); never raises.

    A missing file gives the defaults. A file that is not a JSON object gives the defaults and
    one problem; a bad or unknown setting is skipped with one problem each.
    """
    path = (directory if directory is not None else config_dir()) / SETTINGS_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings()
    except OSError as error:
        return Settings(problems=(f"{path}: cannot be read ({error.strerror}); using defaults",))
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        return Settings(problems=(f"{path}: not valid JSON ({error}); using defaults",))
    if not isinstance(data, dict):
        return Settings(problems=(f"{path}: must hold a JSON object; using defaults",))
    return _settings_from(data, path)


def _settings_from(data: dict[str, object], path: Path) -> Settings:
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in data.items():
        check = _CHECKS.get(key)
        if check is None:
            close = difflib.get_close_matches(key, list(_CHECKS), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append(f"{path}: unknown setting {key!r}{hint}; ignored")
            continue
        try:
            values[key] = check(value)
        except ValueError as error:
            problems.append(f"{path}: '{key}' {error}; using the default")
    return replace(Settings(**values), problems=tuple(problems))
