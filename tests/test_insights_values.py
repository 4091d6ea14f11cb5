"""The `auto` engine rule, and value counts from Insights rows (ties, missing values, the cap)."""

from __future__ import annotations

from flowtui.core.formats import DEFAULT_FORMAT
from flowtui.core.insights.request import ROW_CAP, QueryResult, make_request
from flowtui.core.insights.values import auto_engine, value_count_query, value_counts_table


def test_auto_prefers_insights_when_the_range_does_not_fit_or_is_too_big() -> None:
    assert auto_engine(estimated_records=10, row_cap=100, loaded=False).engine == "insights"
    big = auto_engine(estimated_records=2_000_000, row_cap=1_000_000)
    assert big.engine == "insights" and big.reason == "about 2,000,000 records, above 1,000,000"
    assert auto_engine(estimated_records=1_000_000, row_cap=1_000_000).engine == "local"
    assert auto_engine(estimated_records=None, row_cap=1).engine == "local"


def test_value_counts_from_rows_order_ties_as_the_local_engine() -> None:
    request = make_request([DEFAULT_FORMAT], None, 0)
    asked: list[str] = []
    rows = [
        {"srcAddr": "10.0.0.10", "records": "2", "sum_bytes": "100"},
        {"srcAddr": "-", "records": "2", "sum_bytes": ""},
        {"srcAddr": "10.0.0.9", "records": "2", "sum_bytes": "50"},
        {"srcAddr": "192.168.0.1", "records": "4", "sum_bytes": "7"},
    ]

    def run(text: str) -> QueryResult:
        asked.append(text)
        return QueryResult(rows, capped=False)

    table = value_counts_table(request, run, "srcaddr", limit=3)
    assert asked == [value_count_query(request, "srcaddr")]
    assert asked[0].startswith("stats count(*) as records, sum(bytes) as sum_bytes by srcAddr")
    assert table.rows.rows() == [
        ("192.168.0.1", 4, 40.0, 7),
        ("10.0.0.9", 2, 20.0, 50),  # by address value, not as text ("10.0.0.10" < "10.0.0.9")
        ("10.0.0.10", 2, 20.0, 100),
    ]
    assert table.note.startswith("the 3 most frequent of 4 values")


def test_a_capped_answer_says_so() -> None:
    request = make_request([DEFAULT_FORMAT], None, 0)
    rows = [{"dstPort": str(port), "records": "1", "sum_bytes": "1"} for port in range(ROW_CAP)]
    table = value_counts_table(request, lambda _: QueryResult(rows, capped=True), "dstport")
    assert table.rows.height == 1000
    assert "more than 10,000 values" in table.note
