"""Time specs: ISO 8601, epoch seconds, and times relative to an injected clock."""

from __future__ import annotations

import pytest

from flowtui.core.timeparse import TimeSpecError, is_relative_time, parse_duration, parse_time

T0 = 1_795_773_600  # 2026-11-27T10:00:00Z
NOW = T0 + 7200


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("2026-11-27T10:00Z", T0),
        ("2026-11-27t10:00z", T0),
        ("2026-11-27T10:00:30Z", T0 + 30),
        ("2026-11-27T10:00:30.5Z", T0 + 30),
        ("2026-11-27T10:00", T0),
        ("2026-11-27 10:00", T0),
        ("2026-11-27T11:00+01:00", T0),
        ("2026-11-27T05:00-0500", T0),
        ("2026-11-27", T0 - 10 * 3600),
        (str(T0), T0),
        ("0", 0),
    ],
)
def test_absolute_times_are_utc_unless_an_offset_is_given(spec: str, expected: int) -> None:
    assert parse_time(spec, NOW) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("now", NOW),
        ("-15m", NOW - 900),
        ("-90s", NOW - 90),
        ("-2h", NOW - 7200),
        ("-1d", NOW - 86_400),
        ("-1w", NOW - 604_800),
        ("-1h30m", NOW - 5400),
        (" -15M ", NOW - 900),
    ],
)
def test_relative_times_count_back_from_now(spec: str, expected: int) -> None:
    assert is_relative_time(spec)
    assert parse_time(spec, NOW) == expected


def test_absolute_times_do_not_depend_on_now() -> None:
    assert not is_relative_time("2026-11-27T10:00Z")
    assert parse_time("2026-11-27T10:00Z", 0) == parse_time("2026-11-27T10:00Z", NOW)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("yesterday", "'yesterday' is not a time"),
        ("-15", "'-15' is not a time"),
        ("15m", "'15m' is not a time"),
        ("+15m", "'+15m' is not a time"),
        ("2026-13-01", "'2026-13-01' is not a valid date or time"),
        ("2026-11-27T25:00Z", "'2026-11-27T25:00Z' is not a valid date or time"),
        ("2026-11", "'2026-11' is not a time"),
        ("1795773600000", "'1795773600000' looks like milliseconds; give epoch seconds"),
        ("", "'' is not a time"),
    ],
)
def test_bad_specs_say_what_is_accepted(spec: str, message: str) -> None:
    with pytest.raises(TimeSpecError) as caught:
        parse_time(spec, NOW)
    assert str(caught.value).startswith(message)


def test_the_hint_lists_the_accepted_forms() -> None:
    with pytest.raises(TimeSpecError, match=r"2026-11-27T10:00Z, epoch seconds, or .* -15m"):
        parse_time("soon", NOW)


@pytest.mark.parametrize(("spec", "seconds"), [("90s", 90), ("15m", 900), ("1h30m", 5400)])
def test_durations(spec: str, seconds: int) -> None:
    assert parse_duration(spec) == seconds


@pytest.mark.parametrize("spec", ["", "15", "m", "1y", "-15m"])
def test_bad_durations(spec: str) -> None:
    with pytest.raises(TimeSpecError, match="is not a duration"):
        parse_duration(spec)
