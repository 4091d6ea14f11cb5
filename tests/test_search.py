"""Row search: exact over the visible columns as displayed, and fuzzy ranking in chunks."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import polars as pl
import pytest
from filter_support import make_frame
from hypothesis import given, settings
from hypothesis import strategies as st

from flowtui.core.formats import DEFAULT_FORMAT
from flowtui.core.search import (
    aws_text,
    fuzzy_rank,
    highlight_spans,
    row_texts,
    search_mask,
)

VISIBLE = list(DEFAULT_FORMAT.fields)
RECORDS = [
    {  # 0
        "version": 2, "account-id": "123456789010", "interface-id": "eni-0abc111",
        "srcaddr": "10.0.1.5", "dstaddr": "172.31.9.12", "srcport": 49761, "dstport": 3389,
        "protocol": 6, "packets": 20, "bytes": 4249, "start": 1418530010, "end": 1418530070,
        "action": "REJECT", "log-status": "OK",
    },
    {  # 1
        "version": 2, "account-id": "123456789010", "interface-id": "eni-0bcd222",
        "srcaddr": "10.0.11.5", "dstaddr": "10.0.1.50", "srcport": 443, "dstport": 40001,
        "protocol": 6, "packets": 7, "bytes": 44, "start": 1418530070, "end": 1418530130,
        "action": "ACCEPT", "log-status": "OK",
    },
    {  # 2
        "version": 2, "account-id": "123456789010", "interface-id": "eni-0abc111",
        "srcaddr": "2001:db8::10", "dstaddr": "110.0.1.5", "srcport": 5353, "dstport": 53,
        "protocol": 17, "packets": 1, "bytes": 120, "start": 1418530130, "end": 1418530190,
        "action": "ACCEPT", "log-status": "OK",
    },
    {  # 3: NODATA
        "version": 2, "account-id": "123456789010", "interface-id": "eni-0ffff99",
        "start": 1431280876, "end": 1431280934, "log-status": "NODATA",
    },
]  # fmt: skip


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    return make_frame(RECORDS, DEFAULT_FORMAT.fields)


def found(frame: pl.DataFrame, text: str, columns: list[str] = VISIBLE) -> list[int]:
    mask = search_mask(frame, text, columns)
    return [index for index, hit in enumerate(mask.to_list()) if hit]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.0.1.5", [0]),
        ("10.0.11.5", [1]),
        ("10.0.1.50", [1]),
        ("110.0.1.5", [2]),
        ("172.31.9.12", [0]),
        ("2001:db8::10", [2]),
        ("2001:DB8::10", [2]),
        ("2001:db8::1", []),
    ],
)
def test_an_address_matches_whole_addresses_only(
    frame: pl.DataFrame, text: str, expected: list[int]
) -> None:
    assert found(frame, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reject", [0]),
        ("ReJ", [0]),
        ("nodata", [3]),
        ("ENI-0ABC", [0, 2]),
        ("0.1.5", [0, 1, 2]),
        ("10.0.1", [0, 1, 2]),
        ("db8", [2]),
        ("44", [1]),
        ("49", [0]),
        ("3389", [0]),
        ("141853", [0, 1, 2]),
        ("  4249 ", [0]),
        ("zzz", []),
        ("", []),
    ],
)
def test_other_text_is_a_case_insensitive_substring(
    frame: pl.DataFrame, text: str, expected: list[int]
) -> None:
    assert found(frame, text) == expected


def test_only_visible_columns_are_searched(frame: pl.DataFrame) -> None:
    assert found(frame, "reject", ["srcaddr", "dstaddr"]) == []
    assert found(frame, "10.0.1.5", ["dstaddr"]) == []
    assert found(frame, "10.0.1.5", ["srcaddr"]) == [0]
    assert found(frame, "reject", []) == []


def test_search_follows_what_render_displays(frame: pl.DataFrame) -> None:
    def render(column: str) -> pl.Expr:
        if column == "protocol":
            return pl.col("protocol").replace_strict({6: "TCP", 17: "UDP"}, default="?")
        return aws_text(column)

    hits = search_mask(frame, "udp", ["protocol"], render).to_list()
    assert hits == [False, False, True, False]
    assert not any(search_mask(frame, "17", ["protocol"], render).to_list())


def test_a_render_over_several_columns_is_searched_row_by_row(frame: pl.DataFrame) -> None:
    def render(column: str) -> pl.Expr:
        return pl.format("{}->{}", pl.col("srcport"), pl.col("dstport"))

    assert search_mask(frame, "443->40001", ["ports"], render).to_list() == [
        False,
        True,
        False,
        False,
    ]


@pytest.mark.parametrize("spread", [1, 10**9])
def test_digits_with_a_leading_zero_must_lie_inside_the_number(spread: int) -> None:
    frame = make_frame([{"bytes": 5}, {"bytes": 105}, {"bytes": 7}, {"bytes": spread}], ["bytes"])
    assert search_mask(frame, "05", ["bytes"]).to_list() == [False, True, False, False]
    assert search_mask(frame, "0", ["bytes"]).to_list() == [False, True, False, spread > 1]


def test_an_empty_frame_gives_an_empty_mask() -> None:
    empty = make_frame([], DEFAULT_FORMAT.fields)
    assert search_mask(empty, "10.0.0.1", VISIBLE).len() == 0


# The vectorised paths (distinct values, skipped columns, whole frame) against a plain loop.

ADDRESSES = ["10.0.1.5", "10.0.11.5", "10.0.1.50", "110.0.1.5", "2001:db8::5", "2001:db8::55"]
NEEDLES = [
    *ADDRESSES,
    *("10.0.1", "0.1.5", ".5", "10.", ".", "1.5.", "5", "55", "44", "0", "05", "10", "100"),
    *("re", "eni-0a", "db8::5", "DB8", "ok", "-"),
]


def maybe(values: Sequence[object]) -> st.SearchStrategy[object]:
    return st.none() | st.sampled_from(values)


@st.composite
def search_records(draw: st.DrawFn) -> dict[str, object]:
    return {
        "srcaddr": draw(maybe(ADDRESSES)),
        "dstaddr": draw(maybe(ADDRESSES)),
        "dstport": draw(maybe([22, 443, 4443, 5, 55])),
        "bytes": draw(st.none() | st.integers(0, 10**6) | st.integers(0, 10**19)),
        "action": draw(maybe(["ACCEPT", "REJECT"])),
        "interface-id": draw(maybe(["eni-0a1", "eni-0b5", "ENI-0A9"])),
    }


def shows(cell: str, needle: str) -> bool:
    """The rule, cell by cell: each cell here holds one value, so a whole address is equality."""
    try:
        ipaddress.ip_address(needle)
    except ValueError:
        return needle.lower() in cell.lower()
    return cell.lower() == needle.lower()


def expected_hits(record: dict[str, object], columns: list[str], needle: str) -> bool:
    cells = [str(record[name]) for name in columns if record.get(name) is not None]
    return any(shows(cell, needle) for cell in cells)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    st.lists(search_records(), min_size=1, max_size=30),
    st.sampled_from(NEEDLES),
)
def test_vectorised_search_equals_a_cell_by_cell_search(
    records: list[dict[str, object]], needle: str
) -> None:
    columns = ["srcaddr", "dstaddr", "dstport", "bytes", "action", "interface-id"]
    frame = make_frame(records, columns)
    mask = search_mask(frame, needle, columns).to_list()
    assert mask == [expected_hits(record, columns, needle) for record in records]


# --- highlighting -------------------------------------------------------------------------


def test_highlight_spans_follow_the_same_rules() -> None:
    assert highlight_spans("10.0.1.5 -> 10.0.11.5", "10.0.1.5") == [(0, 8)]
    assert highlight_spans("10.0.11.5", "10.0.1.5") == []
    assert highlight_spans("REJECT", "jec") == [(2, 5)]
    assert highlight_spans("a.b a.b", "A.B") == [(0, 3), (4, 7)]
    assert highlight_spans("anything", " ") == []


# --- fuzzy --------------------------------------------------------------------------------


def test_row_texts_show_missing_values_as_dashes(frame: pl.DataFrame) -> None:
    texts = row_texts(frame, ["srcaddr", "action", "log-status"]).to_list()
    assert texts == ["10.0.1.5 reject ok", "10.0.11.5 accept ok", "2001:db8::10 accept ok",
                     "- - nodata"]  # fmt: skip


def test_fuzzy_rank_forgives_typos_and_ranks_best_first(frame: pl.DataFrame) -> None:
    chunks = list(fuzzy_rank(frame, "eni-0abd111", VISIBLE, chunk_size=10))
    assert len(chunks) == 1
    ranked = chunks[0]
    assert [row for row, _ in ranked[:2]] == [0, 2]
    assert all(score >= 70 for _, score in ranked)
    assert [score for _, score in ranked] == sorted((score for _, score in ranked), reverse=True)


def test_fuzzy_rank_yields_one_list_per_chunk_with_row_ids(frame: pl.DataFrame) -> None:
    shifted = frame.with_columns(pl.col("_row_id") + 100)
    chunks = list(fuzzy_rank(shifted, "reject", VISIBLE, chunk_size=3, score_cutoff=90))
    assert len(chunks) == 2
    assert chunks[0] == [(100, 100.0)]
    assert chunks[1] == []


def test_fuzzy_rank_with_nothing_to_look_for_yields_nothing(frame: pl.DataFrame) -> None:
    assert list(fuzzy_rank(frame, "  ", VISIBLE)) == []
    assert list(fuzzy_rank(frame, "reject", [])) == []
