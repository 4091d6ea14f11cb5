"""check_time_range: a range is refused when it cannot hold a record, clamped to the oldest
record the group can hold otherwise, and a relative range stays relative."""

from __future__ import annotations

import pytest

from flowtui.core.query import CheckedRange, TimeRange, TimeRangeError, check_time_range

NOW_MS = 1_795_776_000_000  # 2026-11-27T08:00:00Z
DAY_S = 86_400


def test_an_ordinary_range_is_used_as_given() -> None:
    hour = TimeRange.last(3600)
    assert check_time_range(hour, NOW_MS, retention_days=30) == CheckedRange(hour)
    fixed = TimeRange.between(NOW_MS - 7_200_000, NOW_MS - 3_600_000)
    assert check_time_range(fixed, NOW_MS) == CheckedRange(fixed)


def test_a_range_before_the_epoch_starts_at_the_epoch_and_stays_relative() -> None:
    checked = check_time_range(TimeRange.last(99_999 * DAY_S), NOW_MS)
    assert checked.time_range.is_relative
    assert checked.time_range.resolve(NOW_MS) == (0, NOW_MS)
    assert checked.note == (
        "loading from 1970-01-01T00:00:00Z: 1970, the earliest time CloudWatch Logs accepts"
    )


def test_a_range_beyond_the_retention_starts_at_the_retention() -> None:
    checked = check_time_range(TimeRange.last(99_999 * DAY_S), NOW_MS, retention_days=30)
    assert checked.time_range.resolve(NOW_MS) == (NOW_MS - 30 * DAY_S * 1000, NOW_MS)
    assert checked.note is not None and "keeps records for 30 days" in checked.note
    absolute = check_time_range(
        TimeRange.between(-(10**15), NOW_MS - 1000), NOW_MS, retention_days=30
    )
    assert absolute.time_range == TimeRange.between(NOW_MS - 30 * DAY_S * 1000, NOW_MS - 1000)


def test_the_creation_of_the_group_bounds_what_it_can_hold() -> None:
    created = NOW_MS - 2 * DAY_S * 1000
    checked = check_time_range(TimeRange.last(365 * DAY_S), NOW_MS, created_ms=created)
    assert checked.time_range.resolve(NOW_MS)[0] == created - 14 * DAY_S * 1000
    assert checked.note is not None and "14 days before the log group was created" in checked.note


@pytest.mark.parametrize(
    ("time_range", "message"),
    [
        (
            TimeRange.between(NOW_MS - 40 * DAY_S * 1000, NOW_MS - 35 * DAY_S * 1000),
            "before any record the log group can hold (the log group keeps records for 30 days)",
        ),
        (TimeRange.last(0), "the time range is empty"),
        (TimeRange.between(NOW_MS + 3_600_000, None), "the time range is empty"),
        (TimeRange.between(-(10**18), -(10**17)), "a time before the year 1"),
    ],
)
def test_a_range_that_holds_nothing_is_refused(time_range: TimeRange, message: str) -> None:
    with pytest.raises(TimeRangeError) as refused:
        check_time_range(time_range, NOW_MS, retention_days=30)
    assert message in str(refused.value)
