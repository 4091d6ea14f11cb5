"""Drill-down filters: each stats row's filter selects exactly the records the row counts."""

from __future__ import annotations

import pytest
from test_insights_tables import NOW, V5, local_frame, make_lines

from flowtui.core.filter.compiler import compile_filter
from flowtui.core.filter.parser import parse_filter
from flowtui.core.formats import DEFAULT_FORMAT, LogFormat
from flowtui.core.stats.drill import bucket_filter, row_filter, row_filters, within
from flowtui.core.stats.report import stats_overview
from flowtui.core.stats.timeline import timeline


@pytest.mark.parametrize("fmt", [DEFAULT_FORMAT, V5], ids=["default", "custom-v5"])
def test_every_rows_filter_selects_the_records_it_counts(fmt: LogFormat) -> None:
    frame = local_frame(fmt, make_lines(fmt, 300, seed=21))
    checked = 0
    for table in stats_overview(frame, limit=5):
        for drill, row in zip(row_filters(table), table.rows.iter_rows(named=True), strict=True):
            assert drill, table.title
            kept = frame.filter(compile_filter(parse_filter(drill), fmt.fields, NOW))
            assert kept.height == row["records"], (table.title, drill)
            checked += 1
    assert checked > 40


def test_a_buckets_filter_selects_its_records() -> None:
    frame = local_frame(DEFAULT_FORMAT, make_lines(DEFAULT_FORMAT, 300, seed=22))
    table = timeline(frame)
    for row in table.rows.iter_rows(named=True):
        drill = bucket_filter(row["bucket_start"], table.bucket_seconds)
        kept = frame.filter(compile_filter(parse_filter(drill), DEFAULT_FORMAT.fields, NOW))
        total = row["records_accept"] + row["records_reject"] + row["records_other"]
        assert kept.height == total


def test_keys_are_quoted_when_needed_and_filters_combine() -> None:
    assert row_filter("Top rejected sources", {"source": "-", "records": 3}) == (
        "action=reject srcaddr=-"
    )
    assert row_filter("Records per protocol", {"protocol": "TCP (6)"}) == "protocol=6"
    assert row_filter("Records per ENI", {"interface-id": 'eni "x"'}) == (
        'interface-id="eni \\"x\\""'
    )
    assert row_filter("Values", {"value": "x"}) == ""
    assert within("", "srcaddr=-") == "srcaddr=-"
    assert within("dport=22 or dport=443", "srcaddr=-") == "(dport=22 or dport=443) and (srcaddr=-)"
