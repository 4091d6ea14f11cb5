"""Counted nouns: "1 stream", never "1 streams"."""

from __future__ import annotations

import pytest

from flowtui.core.wording import counted


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 streams"), (1, "1 stream"), (2, "2 streams"), (1204, "1,204 streams")],
)
def test_a_count_takes_the_noun_in_its_number(count: int, expected: str) -> None:
    assert counted(count, "stream") == expected


def test_an_irregular_plural_is_given() -> None:
    assert counted(3, "entry", "entries") == "3 entries"
    assert counted(1, "entry", "entries") == "1 entry"
