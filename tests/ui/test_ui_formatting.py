"""Cell text, column layouts, hostile text, themes files: plain functions, no app."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pytest

from flowtui.ui.column_layout import (
    DEFAULT_HIDDEN,
    available_columns,
    fit_widths,
    layout_columns,
    measure_content,
    time_style_for,
)
from flowtui.ui.formatting import (
    Cell,
    DisplayOptions,
    Ownership,
    age,
    byte_size,
    display_expr,
    fit,
    fit_cell,
    sanitize,
)
from flowtui.ui.theme import (
    FLOW_VARIABLES,
    ThemeFileError,
    bundled_themes_dir,
    load_theme_file,
    load_themes,
)
from flowtui.ui.widgets.status_bar import StatusInfo, fitting_parts, status_parts
from flowtui.ui.widgets.time_range import describe_range, earlier_choice
from tests.fixtures.sample_data import SAMPLE_EPOCH, sample_ownership, sample_store


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


def test_default_layout_leads_with_the_answer_and_fits_it_in_80_columns() -> None:
    snapshot = sample_store().snapshot()
    names = available_columns(snapshot.fields, has_streams=True)
    assert names[:8] == [
        "start", "action", "srcaddr", "dstaddr", "dstport", "protocol", "bytes", "packets"
    ]  # fmt: skip
    measured = measure_content(snapshot.frame(), names, sample_ownership())
    options = DisplayOptions(time_style=time_style_for(measured, local=False))
    columns = layout_columns(names, DEFAULT_HIDDEN, measured, options)
    shown_names = [column.name for column in columns]
    assert "version" not in shown_names and "account-id" not in shown_names
    widths = {column.name: column.width for column in columns}
    assert widths["start"] == len("10:00:00"), "one day of records: the clock is enough"
    # "10.0.0.2 VPC resolver" is the longest address with its owner in the sample.
    assert widths["dstaddr"] == len("10.0.0.2 VPC resolver")
    fitted = fit_widths(columns, 79)
    assert sum(column.width + 1 for column in fitted[:6]) - 1 <= 79


def test_fitting_shrinks_the_widest_address_first_and_never_below_ipv4() -> None:
    snapshot = sample_store().snapshot()
    names = available_columns(snapshot.fields, has_streams=True)
    measured = measure_content(snapshot.frame(), names)
    wide = measured.widened(type(measured)({"srcaddr": 39, "dstaddr": 30}))
    columns = layout_columns(names, DEFAULT_HIDDEN, wide, DisplayOptions(time_style="clock"))
    fitted = {column.name: column.width for column in fit_widths(columns, 79)}
    # start 8, action 8 (the sample has a SKIPDATA record), dport 5, proto 5 and five
    # separators leave 48 cells to share.
    assert fitted["srcaddr"] == fitted["dstaddr"] == 24
    narrow = {column.name: column.width for column in fit_widths(columns, 40)}
    assert narrow["srcaddr"] == narrow["dstaddr"] == 15, "an IPv4 address is never cut"
    roomy = {column.name: column.width for column in fit_widths(columns, 200)}
    assert (roomy["srcaddr"], roomy["dstaddr"]) == (39, 30)


def test_measurements_widen_at_once_and_keep_the_time_span() -> None:
    small = measure_content(sample_store().snapshot().frame(), ["srcaddr", "start"])
    ipv6 = type(small)({"srcaddr": 38}, SAMPLE_EPOCH + 90_000, SAMPLE_EPOCH + 90_000)
    merged = small.widened(ipv6)
    assert merged.widths["srcaddr"] == 38
    assert small.widened(type(small)({"srcaddr": 7})).widths["srcaddr"] == small.widths["srcaddr"]
    assert time_style_for(small, local=False) == "clock"
    assert time_style_for(merged, local=False) == "day", "records over two days show the date"


def test_an_ipv4_column_is_as_wide_as_its_longest_dotted_quad() -> None:
    def width(addresses: list[int | None]) -> int:
        frame = pl.DataFrame(
            {"srcaddr": addresses, "srcaddr_v6": [None] * len(addresses)},
            schema={"srcaddr": pl.UInt32, "srcaddr_v6": pl.String},
        )
        return measure_content(frame, ["srcaddr"]).widths["srcaddr"]

    assert width([0x01020304, None]) == len("1.2.3.4")
    assert width([0x01020304, 0xCB0071FF]) == len("203.0.113.255")
    assert width([0x0A000064, 0x0A0A0A0A]) == len("10.10.10.10")
    assert width([None]) == 0


def test_the_action_column_makes_room_for_skipdata_only_when_it_shows() -> None:
    frame = pl.DataFrame(
        {"action": ["ACCEPT", None], "log-status": ["OK", "NODATA"]},
        schema={"action": pl.String, "log-status": pl.String},
    )
    assert measure_content(frame, ["action"]).widths["action"] == 6
    skipped = frame.with_columns(pl.Series("log-status", ["OK", "SKIPDATA"]))
    assert measure_content(skipped, ["action"]).widths["action"] == 8


def test_owner_labels_are_shortened_before_the_address_is_cut() -> None:
    cell = Cell("10.0.0.20", note="bastion-host-in-eu")
    assert fit_cell(cell, 30) == "10.0.0.20 bastion-host-in-eu  "
    assert fit_cell(cell, 17) == "10.0.0.20 bastio…"
    assert fit_cell(cell, 11) == "10.0.0.20  ", "no room for a readable label: the address alone"
    ipv6 = Cell("2001:db8:1234:a100:8d6e:3477:df66:f105")
    assert fit_cell(ipv6, 20, middle=True) == "2001:db8:…:df66:f105", "both ends of an address"
    assert fit_cell(Cell("eni-0a1b2c3d4e5f60001"), 12) == "eni-0a1b2c3…"


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
