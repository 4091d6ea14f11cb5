"""Saved views: what to load and how to show it, stored one JSON file per view.

A view never holds credentials: it names a profile, never keys, and loading drops any key that
looks like a secret. Files live in `<config dir>/views/<slug>.json`, pretty-printed with sorted
keys and a schema version, written atomically with mode 0600.

Several flowtui instances may share the directory. Each view is its own file, a deletion is an
unlink, and the directory is re-read on every call, so one instance's saves and deletions never
undo another's. A file this version cannot use (corrupt, invalid, or from a newer schema) is
never written to: it is reported in `ViewStore.problems`, copied once to
`<config dir>/backups/views/`, and skipped.
"""

from __future__ import annotations

import builtins
import contextlib
import difflib
import hashlib
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeGuard
from urllib.parse import urlsplit

import orjson

from flowtui.core import config
from flowtui.core.query import DEFAULT_TIME_RANGE, Query, TimeRange
from flowtui.core.timeparse import TimeSpecError, parse_duration

SCHEMA_VERSION = 1
VIEWS_DIR = "views"
BACKUPS_DIR = Path("backups") / "views"
MAX_NAME_LENGTH = 200

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CREDENTIAL_KEY = re.compile(
    r"secret|token|password|passwd|credential|access.?key|private.?key|api.?key|session",
    re.IGNORECASE,
)


class ViewError(Exception):
    """Something about a saved view went wrong; the message is one line for the user."""


class InvalidViewError(ViewError):
    """View data that does not describe a valid view."""


class ViewExistsError(ViewError):
    def __init__(self, name: str) -> None:
        super().__init__(f"a view named {name!r} already exists")


class ViewNotFoundError(ViewError):
    def __init__(self, name: str, suggestion: str | None) -> None:
        self.name = name
        self.suggestion = suggestion
        hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
        super().__init__(f"no view named {name!r}{hint}")


class ViewStorageError(ViewError):
    """The views directory or a view file could not be written."""


def clean_view_name(text: str) -> str:
    """A user-typed name made fit for a view: trimmed, one line, not empty, not too long."""
    name = text.strip()
    if not name:
        raise InvalidViewError("a view needs a name")
    if _CONTROL.search(name):
        raise InvalidViewError("a view name must be one line of printable text")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidViewError(f"a view name must be at most {MAX_NAME_LENGTH} characters")
    return name


def _check_endpoint(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidViewError(f"endpoint URL {url!r} must look like https://host[:port]")
    if parts.username is not None or parts.password is not None:
        raise InvalidViewError("the endpoint URL must not hold a user name or password")
    if parts.query or parts.fragment:
        raise InvalidViewError("the endpoint URL must not have a query string or fragment")


@dataclass(frozen=True, slots=True)
class ViewSource:
    """Where the records come from. `streams` empty means every stream of the group."""

    log_group: str
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    streams: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.log_group.strip():
            raise InvalidViewError("a view needs a log group")
        if self.endpoint_url is not None:
            _check_endpoint(self.endpoint_url)
        if len(set(self.streams)) != len(self.streams):
            raise InvalidViewError("a stream is listed twice in the view's source")


def _check_time_range(time_range: TimeRange) -> None:
    if time_range.lookback_ms is not None:
        if time_range.start_ms is not None or time_range.end_ms is not None:
            raise InvalidViewError("a time range is either relative or absolute, not both")
        if time_range.lookback_ms <= 0 or time_range.lookback_ms % 1000:
            raise InvalidViewError(
                "a relative time range must be a positive whole number of seconds"
            )
        return
    if time_range.start_ms is None:
        raise InvalidViewError("a time range needs a lookback (such as 1h) or a start")
    if time_range.start_ms < 0:
        raise InvalidViewError("a time range cannot start before 1970")
    if time_range.end_ms is not None and time_range.end_ms < time_range.start_ms:
        raise InvalidViewError("a time range cannot end before it starts")


@dataclass(frozen=True, slots=True)
class SavedView:
    """Everything needed to reopen an investigation.

    `columns` empty means the default columns; `sort` is (column, descending) pairs, most
    significant first.
    """

    name: str
    source: ViewSource
    time_range: TimeRange = DEFAULT_TIME_RANGE
    filter_text: str = ""
    search_text: str = ""
    columns: tuple[str, ...] = ()
    sort: tuple[tuple[str, bool], ...] = ()
    follow: bool = False
    #: A raw CloudWatch Logs Insights query: opening the view opens the Insights editor with it.
    #: Optional in the file (schema 1 files without it load, and older flowtuis ignore it).
    insights_query: str | None = None

    def __post_init__(self) -> None:
        if clean_view_name(self.name) != self.name:
            raise InvalidViewError(f"view name {self.name!r} has spaces around it")
        _check_time_range(self.time_range)
        if len(set(self.columns)) != len(self.columns):
            raise InvalidViewError("a column is listed twice in the view")
        sort_columns = [column for column, _ in self.sort]
        if len(set(sort_columns)) != len(sort_columns):
            raise InvalidViewError("a column appears twice in the view's sort")

    def to_query(self) -> Query:
        """What to load for this view (the pushdown pattern is derived by the caller)."""
        return Query(
            group=self.source.log_group,
            time_range=self.time_range,
            streams=self.source.streams,
            filter_text=self.filter_text,
        )

    def to_dict(self) -> dict[str, Any]:
        """The file form: plain JSON types, with the schema version."""
        extra = {} if self.insights_query is None else {"insights_query": self.insights_query}
        return extra | {
            "schema": SCHEMA_VERSION,
            "name": self.name,
            "source": {
                "log_group": self.source.log_group,
                "profile": self.source.profile,
                "region": self.source.region,
                "endpoint_url": self.source.endpoint_url,
                "streams": list(self.source.streams),
            },
            "time_range": _time_range_to_dict(self.time_range),
            "filter": self.filter_text,
            "search": self.search_text,
            "columns": list(self.columns),
            "sort": [{"column": column, "descending": desc} for column, desc in self.sort],
            "follow": self.follow,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SavedView:
        """Read the file form; InvalidViewError names the wrong key. Unknown keys are ignored."""
        version = data.get("schema")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise InvalidViewError("'schema' must be a schema version number")
        if version > SCHEMA_VERSION:
            raise NewerSchemaError(version)
        source = _mapping(data, "source")
        return cls(
            name=clean_view_name(_text(data, "name")),
            source=ViewSource(
                log_group=_text(source, "log_group", "source."),
                profile=_optional_text(source, "profile", "source."),
                region=_optional_text(source, "region", "source."),
                endpoint_url=_optional_text(source, "endpoint_url", "source."),
                streams=_text_list(source, "streams", "source."),
            ),
            time_range=_time_range_from_dict(_mapping(data, "time_range")),
            filter_text=_text(data, "filter", default=""),
            search_text=_text(data, "search", default=""),
            columns=_text_list(data, "columns"),
            sort=_sort_from_list(data.get("sort", [])),
            follow=_flag(data, "follow"),
            insights_query=_optional_text(data, "insights_query", ""),
        )


class NewerSchemaError(InvalidViewError):
    def __init__(self, version: int) -> None:
        self.version = version
        super().__init__(
            f"written by a newer flowtui (view schema {version}; this version reads up to "
            f"{SCHEMA_VERSION})"
        )


# --- reading the file form -------------------------------------------------------------------

_MISSING = object()


def _text(data: Mapping[str, Any], key: str, where: str = "", default: object = _MISSING) -> str:
    value = data.get(key, default)
    if value is _MISSING:
        raise InvalidViewError(f"'{where}{key}' is missing")
    if not isinstance(value, str):
        raise InvalidViewError(f"'{where}{key}' must be text")
    return value


def _optional_text(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None or (isinstance(value, str) and value):
        return value
    raise InvalidViewError(f"'{where}{key}' must be text or null")


def _text_list(data: Mapping[str, Any], key: str, where: str = "") -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise InvalidViewError(f"'{where}{key}' must be a list of names")
    return tuple(value)


def _flag(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise InvalidViewError(f"'{key}' must be true or false")
    return value


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise InvalidViewError(f"'{key}' must be an object")
    return value


def _sort_from_list(value: object) -> tuple[tuple[str, bool], ...]:
    message = '\'sort\' must be a list of {"column": name, "descending": true or false}'
    if not isinstance(value, list):
        raise InvalidViewError(message)
    keys: list[tuple[str, bool]] = []
    for item in value:
        if not isinstance(item, dict):
            raise InvalidViewError(message)
        column, descending = item.get("column"), item.get("descending", False)
        if not isinstance(column, str) or not column or not isinstance(descending, bool):
            raise InvalidViewError(message)
        keys.append((column, descending))
    return tuple(keys)


def _time_range_to_dict(time_range: TimeRange) -> dict[str, Any]:
    if time_range.lookback_ms is not None:
        return {"last": _format_duration(time_range.lookback_ms // 1000)}
    return {"start_ms": time_range.start_ms, "end_ms": time_range.end_ms}


def _time_range_from_dict(data: Mapping[str, Any]) -> TimeRange:
    if "last" in data:
        last = data["last"]
        if not isinstance(last, str):
            raise InvalidViewError("'time_range.last' must be a duration such as 15m, 1h or 7d")
        try:
            return TimeRange.last(parse_duration(last))
        except TimeSpecError as error:
            raise InvalidViewError(f"'time_range.last': {error}") from None
    start, end = data.get("start_ms"), data.get("end_ms")
    if _is_int(start) and (end is None or _is_int(end)):
        return TimeRange.between(start, end)
    raise InvalidViewError(
        '\'time_range\' must hold "last" (such as "1h") or "start_ms" and "end_ms"'
    )


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


_UNIT_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}


def _format_duration(seconds: int) -> str:
    """The shortest exact spelling `parse_duration` reads back: 3600 -> `1h`, 5400 -> `90m`."""
    unit, size = next((u, n) for u, n in _UNIT_SECONDS.items() if seconds % n == 0)
    return f"{seconds // size}{unit}"


def credential_like_keys(data: Mapping[str, Any], where: str = "") -> list[str]:
    """Dotted paths of keys that look like they hold secrets (access keys, tokens, ...)."""
    found: list[str] = []
    for key, value in data.items():
        path = f"{where}{key}"
        if _CREDENTIAL_KEY.search(str(key)):
            found.append(path)
        elif isinstance(value, dict):
            found.extend(credential_like_keys(value, f"{path}."))
    return found


# --- the store -------------------------------------------------------------------------------


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:64].strip("-")
    return slug or "view"


def _encode(view: SavedView) -> bytes:
    options = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
    return orjson.dumps(view.to_dict(), option=options)


class _UnusableFileError(Exception):
    """A view file this version must leave alone; `content` is None when it could not be read."""

    def __init__(self, reason: str, content: bytes | None) -> None:
        super().__init__(reason)
        self.content = content


class ViewStore:
    """Saved views in `<config dir>/views/`; every call re-reads the directory."""

    def __init__(self, config_dir: Path | None = None) -> None:
        base = config_dir if config_dir is not None else config.config_dir()
        self.directory = base / VIEWS_DIR
        self.backup_directory = base / BACKUPS_DIR

    @property
    def problems(self) -> list[str]:
        """One line per view file skipped (or key ignored) as the directory is now, and why."""
        return self._read_directory()[1]

    def list(self) -> list[SavedView]:
        """Every readable view, by name."""
        return sorted((view for _, view in self._scan().values()), key=lambda v: v.name.casefold())

    def exists(self, name: str) -> bool:
        return name in self._scan()

    def get(self, name: str) -> SavedView:
        return self._find(self._scan(), name)[1]

    def save(self, view: SavedView, overwrite: bool = False) -> None:
        """Store `view` under its name; ViewExistsError if the name is taken and not `overwrite`."""
        existing = self._scan().get(view.name)
        if existing is None:
            self._create(view, overwrite)
        elif overwrite:
            self._write(existing[0], view, overwrite=True)
        else:
            raise ViewExistsError(view.name)

    def rename(self, old: str, new: str) -> SavedView:
        views = self._scan()
        path, view = self._find(views, old)
        renamed = replace(view, name=clean_view_name(new))
        if renamed.name == view.name:
            return view
        if renamed.name in views:
            raise ViewExistsError(renamed.name)
        self._create(renamed, overwrite=False)
        path.unlink(missing_ok=True)
        return renamed

    def duplicate(self, name: str, new: str) -> SavedView:
        copy = replace(self.get(name), name=clean_view_name(new))
        self.save(copy, overwrite=False)
        return copy

    def delete(self, name: str) -> None:
        path, _ = self._find(self._scan(), name)
        # Another instance may have deleted it since the scan: the outcome is the same.
        path.unlink(missing_ok=True)

    # --- internals ---

    def _find(self, views: dict[str, tuple[Path, SavedView]], name: str) -> tuple[Path, SavedView]:
        found = views.get(name)
        if found is not None:
            return found
        by_case = {known.casefold(): known for known in views}
        suggestion = by_case.get(name.casefold()) or next(
            iter(difflib.get_close_matches(name, list(views), n=1)), None
        )
        raise ViewNotFoundError(name, suggestion)

    def _scan(self) -> dict[str, tuple[Path, SavedView]]:
        """Name -> (file, view) of every usable view, read afresh."""
        return self._read_directory()[0]

    def _read_directory(
        self,
    ) -> tuple[dict[str, tuple[Path, SavedView]], builtins.list[str]]:
        problems: builtins.list[str] = []
        views: dict[str, tuple[Path, SavedView]] = {}
        for path in self._view_files(problems):
            try:
                view, ignored_keys = self._load(path)
            except _UnusableFileError as unusable:
                problems.append(self._report_unusable(path, unusable))
                continue
            if view.name in views:
                problems.append(
                    f"{path}: view {view.name!r} is also in {views[view.name][0]}; skipped"
                )
                continue
            if ignored_keys:
                problems.append(
                    f"{path}: ignored credential-like keys {', '.join(ignored_keys)}: flowtui "
                    "never stores credentials; remove them or save the view again"
                )
            views[view.name] = (path, view)
        return views, problems

    def _view_files(self, problems: builtins.list[str]) -> builtins.list[Path]:
        try:
            entries = sorted(os.scandir(self.directory), key=lambda entry: entry.name)
        except FileNotFoundError:
            return []
        except OSError as error:
            problems.append(f"{self.directory}: cannot be read ({error.strerror}); no views")
            return []
        # Dot files are other instances' temporary files, still being written.
        return [
            Path(entry.path)
            for entry in entries
            if entry.name.endswith(".json") and not entry.name.startswith(".")
        ]

    def _load(self, path: Path) -> tuple[SavedView, builtins.list[str]]:
        try:
            content = path.read_bytes()
        except OSError as error:
            raise _UnusableFileError(f"cannot be read ({error.strerror})", None) from None
        try:
            data = orjson.loads(content)
        except orjson.JSONDecodeError as error:
            raise _UnusableFileError(f"not valid JSON ({error})", content) from None
        if not isinstance(data, dict):
            raise _UnusableFileError("does not hold a JSON object", content)
        try:
            view = SavedView.from_dict(data)
        except InvalidViewError as error:
            raise _UnusableFileError(str(error), content) from None
        return view, credential_like_keys(data)

    def _report_unusable(self, path: Path, unusable: _UnusableFileError) -> str:
        message = f"{path}: {unusable}; skipped and left untouched"
        if unusable.content is None:
            return message
        try:
            return f"{message}, a copy is at {self._keep_copy(path, unusable.content)}"
        except OSError as error:
            return f"{message}, and no copy could be kept ({error.strerror})"

    def _keep_copy(self, path: Path, content: bytes) -> Path:
        """Copy a file we cannot use, once per distinct content, so it survives hand edits."""
        digest = hashlib.sha256(content).hexdigest()[:12]
        backup = self.backup_directory / f"{path.stem}.{digest}{path.suffix}"
        if not backup.exists():
            self.backup_directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            # FileExistsError: another instance kept the same copy a moment ago.
            with contextlib.suppress(FileExistsError):
                config.write_atomically(backup, lambda out: out.write(content), overwrite=False)
        return backup

    def _create(self, view: SavedView, overwrite: bool) -> None:
        """Write a view whose name has no file yet, never clobbering any file."""
        stem = _slug(view.name)
        for number in range(1, 1000):
            path = self.directory / (f"{stem}.json" if number == 1 else f"{stem}-{number}.json")
            if path.exists():
                continue
            try:
                self._write(path, view, overwrite=False)
                return
            except FileExistsError:
                # Another instance just created this file; it may be this very view.
                existing = self._scan().get(view.name)
                if existing is not None and not overwrite:
                    raise ViewExistsError(view.name) from None
                if existing is not None:
                    self._write(existing[0], view, overwrite=True)
                    return
        raise ViewStorageError(f"cannot save view {view.name!r}: too many files named {stem}")

    def _write(self, path: Path, view: SavedView, *, overwrite: bool) -> None:
        content = _encode(view)
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            config.write_atomically(path, lambda out: out.write(content), overwrite=overwrite)
        except FileExistsError:
            raise
        except OSError as error:
            raise ViewStorageError(
                f"cannot save view {view.name!r} to {path}: {error.strerror or error}"
            ) from None
