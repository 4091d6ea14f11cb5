"""Cell text, column layouts, hostile text, themes files: plain functions, no app."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pytest

from flowtui.ui.formatting import (
    DEFAULT_HIDDEN,
    DisplayOptions,
    Ownership,
    age,
    available_columns,
    byte_size,
    display_expr,
    fit,
    layout_columns,
    measure_content,
    sanitize,
)
from flowtui.ui.sample_data import SAMPLE_EPOCH, sample_ownership, sample_store
from flowtui.ui.theme import (
    FLOW_VARIABLES,
    ThemeFileError,
    bundled_themes_dir,
    load_theme_file,
    load_themes,
)
from flowtui.ui.widgets.status_bar import StatusInfo, fitting_parts, status_parts
from flowtui.ui.widgets.time_range import describe_range, earlier_choice


def shown(name: str, values: Sequence[object], dtype: pl.DataType, **options: bool) -> list[object]:
    frame = pl.DataFrame({name: values}, schema={name: dtype})
    expr = display_expr(name, DisplayOptions(**options), Ownership())
    return frame.select(expr).to_series().to_list()


def test_sanitize_shows_control_characters_instead_of_obeying_them() -> None:
    assert sanitize("a\x1b[31mb") == "a␛[31mb"
    assert sanitize("tab\there\nnew") == "tab␉here␊new"
    assert sanitize("\x9b\u202eevil") == "\ufffd\ufffdevil"
    assert sanitize("[bold]x[/]") == "[bold]x[/]"


def test_fit_pads_and_cuts_by_terminal_cells() -> None:
    assert fit("abc", 5) == "abc  "
    assert fit("abc", 5, right=True) == "  abc"
    assert fit("abcdef", 4) == "abc…"
    assert fit("日本語", 4) == "日 …" or len(fit("日本語", 4)) <= 4


def test_bytes_are_readable_or_raw() -> None:
    values = [None, 0, 512, 1023, 1024, 4249, 2_400_000, 5 * 1024**4]
    assert shown("bytes", values, pl.UInt64()) == [
        None,
        "0 B",
        "512 B",
        "1023 B",
        "1.0 KiB",
        "4.1 KiB",
        "2.3 MiB",
        "5.0 TiB",
    ]
    assert shown("bytes", [4249], pl.UInt64(), raw_values=True) == ["4249"]
    assert byte_size(48_213_760) == "46.0 MiB"


def test_protocols_and_times() -> None:
    assert shown("protocol", [6, 17, 1, 58, 200, None], pl.UInt8()) == [
        "TCP",
        "UDP",
        "ICMP",
        "IPv6-ICMP",
        "200",
        None,
    ]
    assert shown("start", [SAMPLE_EPOCH], pl.Int64()) == ["2025-11-27 10:00:00"]
    assert shown("start", [SAMPLE_EPOCH], pl.Int64(), raw_values=True) == [str(SAMPLE_EPOCH)]


def test_local_time_follows_the_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    assert shown("start", [SAMPLE_EPOCH], pl.Int64(), local_time=True) == ["2025-11-27 05:00:00"]


def test_addresses_with_what_they_belong_to() -> None:
    snapshot = sample_store().snapshot()
    frame = snapshot.frame().head(2)
    expr = display_expr("dstaddr", DisplayOptions(), sample_ownership(), with_notes=True)
    assert frame.select(expr).to_series().to_list() == ["10.0.1.10 web-1", "203.0.113.7"]


def test_default_layout_fits_the_essentials_in_80_columns_and_hides_the_rest() -> None:
    snapshot = sample_store().snapshot()
    names = available_columns(snapshot.fields, has_streams=True)
    assert names[:5] == ["start", "srcaddr", "srcport", "dstaddr", "dstport"]
    widths = measure_content(snapshot.frame(), names)
    columns = layout_columns(names, DEFAULT_HIDDEN, widths, DisplayOptions(), Ownership())
    shown_names = [column.name for column in columns]
    assert "version" not in shown_names and "account-id" not in shown_names
    assert sum(column.width + 1 for column in columns[:7]) <= 80
    assert {column.name: column.width for column in columns}["srcaddr"] == 15


def test_age() -> None:
    assert age(None, 100) == "-"
    assert age(55_000, 100) == "45s"
    assert age(0, 7200) == "2h"
    assert age(200_000, 100) == "now"


def test_status_bar_drops_the_least_important_parts_first() -> None:
    info = StatusInfo(
        total_rows=1_000_000,
        shown_rows=12,
        filtered=True,
        time_range="last 1h",
        source="/vpc/flow-logs/a-very-long-group-name-indeed",
        follow="following",
        events_per_s=12.0,
        evicted_rows=5,
        row_cap=1_000_000,
    )
    parts = [part.text for part in fitting_parts(status_parts(info), 60)]
    assert parts[0] == "12/1,000,000 rows"
    assert "● follow" in parts
    assert not any("flow-logs" in part for part in parts)


def test_time_range_text_and_load_earlier() -> None:
    from flowtui.core.query import TimeRange

    assert describe_range(TimeRange.last(900), False) == "last 15m"
    start = SAMPLE_EPOCH * 1000
    absolute = TimeRange.between(start, start + 3_600_000)
    assert describe_range(absolute, False) == "2025-11-27 10:00:00 → 2025-11-27 11:00:00"
    choice = earlier_choice(absolute, start + 7_200_000)
    assert choice.earlier == TimeRange.between(start - 3_600_000, start)
    assert choice.time_range == TimeRange.between(start - 3_600_000, start + 3_600_000)


def test_bundled_themes_load_with_flow_colours() -> None:
    loaded = load_themes([bundled_themes_dir()])
    assert loaded.problems == ()
    themes = {theme.name: theme for theme in loaded.themes}
    assert {"flowtui-dark", "flowtui-light", "flowtui-high-contrast", "flowtui-ansi"} <= set(themes)
    assert themes["flowtui-ansi"].ansi
    assert not themes["flowtui-light"].dark
    for theme in themes.values():
        assert set(FLOW_VARIABLES) <= set(theme.variables)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('primary = "#fff"', "'name' is missing"),
        ('name = "x"', "'primary' is missing"),
        ('name = "x"\nprimary = "#fff"\ncolour = "#000"', "unknown setting 'colour'"),
        ('name = "x"\nprimary = "#fff"\n[variables]\nflow-rejected = "#f00"', "flow-rejected"),
        ('name = "x"\nprimary = "#fff"\ndark = "yes"', "'dark' must be true or false"),
        ("name = ", "not valid TOML"),
    ],
)
def test_bad_theme_files_name_the_problem(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(ThemeFileError) as raised:
        load_theme_file(path)
    assert problem in str(raised.value)
    assert str(path) in str(raised.value)
