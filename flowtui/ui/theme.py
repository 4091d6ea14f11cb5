"""Theme files (TOML or JSON) turned into Textual themes with flowtui's colour variables.

A theme file holds Textual's theme fields (`name`, `primary`, `background`, ... , `dark`,
`ansi`) and a `variables` table; flowtui's own variables colour the flow table:
`flow-accept`, `flow-reject`, `flow-nodata`, `flow-skipdata` (defaults in FLOW_VARIABLES).
The bundled themes live in the repository's `themes/` folder (installed as `flowtui/_themes`);
users add files to the `themes` folder of their config directory. A file that cannot be used
is reported by name with the reason, and the other themes still load.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "flowtui-dark"
THEME_SUFFIXES = (".toml", ".json")

#: Defaults for flowtui's own theme variables (used by any theme that does not set them).
FLOW_VARIABLES: dict[str, str] = {
    "flow-accept": "#73c991",
    "flow-reject": "#f0716b",
    "flow-nodata": "#7d8590",
    "flow-skipdata": "#e5c07b",
    #: Missing values, owner labels, explanations: readable but quieter than the data.
    "flow-muted": "#8b949e",
}

_COLOUR_FIELDS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_NUMBER_FIELDS = ("luminosity_spread", "text_alpha")
_FLAG_FIELDS = ("dark", "ansi")
_KNOWN_KEYS = frozenset({"name", "variables", *_COLOUR_FIELDS, *_NUMBER_FIELDS, *_FLAG_FIELDS})


#: Variables computed from a theme's own colours unless its file sets them (ANSI themes must:
#: the terminal's 16 colours cannot be blended).
_DERIVED = ("flow-cursor", "flow-cursor-cell")


def flow_variable_defaults(theme: Theme) -> dict[str, str]:
    """Every flowtui variable for `theme`; cursor colours are its primary, blended."""
    return {
        **FLOW_VARIABLES,
        "flow-cursor": f"{theme.primary} 22%",
        "flow-cursor-cell": f"{theme.primary} 60%",
    }


class ThemeFileError(ValueError):
    """A theme file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class LoadedThemes:
    themes: tuple[Theme, ...]
    problems: tuple[str, ...]


def bundled_themes_dir() -> Path:
    """The themes shipped with flowtui: `flowtui/_themes` when installed, else `themes/`."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "_themes"
    return installed if installed.is_dir() else package.parent / "themes"


def _read(path: Path) -> Mapping[str, object]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ThemeFileError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        data = tomllib.loads(raw.decode()) if path.suffix == ".toml" else json.loads(raw)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ThemeFileError(f"{path}: not valid {path.suffix[1:].upper()} ({error})") from None
    if not isinstance(data, dict):
        raise ThemeFileError(f"{path}: must hold a table of theme settings")
    return data


def _colour(path: Path, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ThemeFileError(f"{path}: '{key}' must be a colour written as text, like \"#1e90ff\"")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeFileError(f"{path}: '{key}' = {value!r} is not a colour") from None
    return value


def theme_from_mapping(data: Mapping[str, object], path: Path) -> Theme:
    """Validate theme settings read from `path` and build the Textual theme."""
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise ThemeFileError(f"{path}: unknown setting '{unknown[0]}'")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ThemeFileError(f"{path}: 'name' is missing (give the theme a name)")
    if "primary" not in data:
        raise ThemeFileError(f"{path}: 'primary' is missing (every theme needs a primary colour)")
    colours = {key: _colour(path, key, data[key]) for key in _COLOUR_FIELDS if key in data}
    flags: dict[str, bool] = {}
    for key in _FLAG_FIELDS:
        if key in data:
            if not isinstance(data[key], bool):
                raise ThemeFileError(f"{path}: '{key}' must be true or false")
            flags[key] = bool(data[key])
    numbers: dict[str, float] = {}
    for key in _NUMBER_FIELDS:
        if key in data:
            value = data[key]
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ThemeFileError(f"{path}: '{key}' must be a number")
            numbers[key] = float(value)
    settings: dict[str, Any] = {**colours, **flags, **numbers}
    settings["variables"] = _variables(path, data.get("variables", {}))
    return Theme(name=name.strip(), **settings)


def _variables(path: Path, raw: object) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ThemeFileError(f"{path}: 'variables' must be a table of name = colour")
    variables: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(value, str):
            raise ThemeFileError(f"{path}: variable '{key}' must be text")
        if key.startswith("flow-"):
            if key not in FLOW_VARIABLES and key not in _DERIVED:
                raise ThemeFileError(f"{path}: unknown flowtui variable '{key}'")
            _colour(path, f"variables.{key}", value)
        variables[str(key)] = value
    return variables


def load_theme_file(path: Path) -> Theme:
    return theme_from_mapping(_read(path), path)


def theme_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in THEME_SUFFIXES and p.is_file())


def load_themes(directories: Iterable[Path]) -> LoadedThemes:
    """Every usable theme in the folders, in order (a later file replaces an earlier name)."""
    themes: dict[str, Theme] = {}
    problems: list[str] = []
    for directory in directories:
        for path in theme_files(directory):
            try:
                theme = load_theme_file(path)
            except ThemeFileError as error:
                problems.append(str(error))
                continue
            themes[theme.name] = theme
    return LoadedThemes(tuple(themes.values()), tuple(problems))
