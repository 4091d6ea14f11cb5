"""Insights as the stats engine: the generated queries (golden text), refusals with reasons,
and tables equal to the local engine's, row for row.

The equality tests run the generated queries through the demo endpoint's Insights evaluator
(in this process, no network) over the same lines the local engine parses, for default and
custom formats, and filters with CIDRs, lists, ranges, wildcards and missing values.
"""

from __future__ import annotations

import random

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from flowtui.core.events import EventBatch
from flowtui.core.filter.compiler import compile_filter
from flowtui.core.filter.parser import parse_filter
from flowtui.core.formats import DEFAULT_FORMAT, LogFormat, parse_format
from flowtui.core.insights.request import ROW_CAP, QueryResult, RunQuery, make_request
from flowtui.core.insights.tables import (
    counts_table,
    rejected_ports_table,
    rejected_sources_table,
    stats_for_cli,
    stats_overview,
    talker_tables,
)
from flowtui.core.insights.timeline import timeline_table
from flowtui.core.insights.translate import NotTranslatableError, insights_fields, query_head
from flowtui.core.parse import FormatRegistry, LineParser
from flowtui.core.stats.counting import Counting, StatsTable
from flowtui.core.stats.report import stats_overview as local_overview
from flowtui.core.stats.talkers import rejected_ports, rejected_sources, top_talkers
from flowtui.core.stats.timeline import timeline
from flowtui.core.stats.values import COUNT_FIELDS, counts_per
from flowtui.demo.insights.evaluate import LogEvent, Run
from flowtui.demo.insights.language import parse_query

NOW = 1_764_000_000
V5 = parse_format(
    "version vpc-id subnet-id interface-id srcaddr dstaddr srcport dstport protocol packets "
    "bytes start end action log-status flow-direction traffic-path"
)
ADDRESSES = [
    "10.0.1.5",
    "10.0.1.6",
    "10.0.2.9",
    "10.0.2.10",
    "203.0.113.7",
    "198.51.100.1",
    "2001:db8::1",
    "2001:db8:0:1::5",
]


def make_lines(fmt: LogFormat, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    lines = []
    for index in range(count):
        start = NOW - rng.randrange(0, 6 * 3600)
        nodata = rng.random() < 0.08
        values = {
            "version": "2" if fmt == DEFAULT_FORMAT else "5",
            "account-id": "123456789012",
            "vpc-id": "vpc-0a1",
            "subnet-id": rng.choice(["subnet-1", "subnet-2"]),
            "interface-id": f"eni-0{rng.choice('abc')}{rng.randrange(3)}",
            "srcaddr": rng.choice(ADDRESSES),
            "dstaddr": rng.choice(ADDRESSES),
            "srcport": str(rng.choice([22, 443, 3389, 53, 40000 + index % 50])),
            "dstport": str(rng.choice([22, 443, 3389, 53, 8080, 1024])),
            "protocol": rng.choice(["6", "6", "17", "1"]),
            "packets": str(rng.randrange(1, 50)),
            "bytes": str(rng.randrange(40, 100_000)),
            "start": str(start),
            "end": str(start + 60),
            "action": rng.choice(["ACCEPT", "ACCEPT", "REJECT"]),
            "log-status": "OK",
            "flow-direction": rng.choice(["ingress", "egress"]),
            "traffic-path": rng.choice(["1", "-"]),
        }
        if nodata:
            for name in ("srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets"):
                values[name] = "-"
            values["bytes"] = values["action"] = "-"
            values["log-status"] = rng.choice(["NODATA", "SKIPDATA"])
        lines.append(" ".join(values[name] for name in fmt.fields))
    return lines


def local_frame(fmt: LogFormat, lines: list[str]) -> pl.DataFrame:
    parser = LineParser(FormatRegistry(), [fmt])
    result = parser.parse_batch(EventBatch(messages=lines))
    assert not result.malformed
    return result.frame


def evaluator(lines: list[str], seen: list[str] | None = None) -> RunQuery:
    """Runs queries with the demo endpoint's evaluator over `lines` (event time = start)."""
    events = [
        LogEvent(NOW * 1000, NOW * 1000, line, "s", "g", "123456789012", str(i))
        for i, line in enumerate(lines)
    ]

    def run(text: str) -> QueryResult:
        if seen is not None:
            seen.append(text)
        evaluation = Run(parse_query(text), None)
        evaluation.scan(events)
        rows = [{cell["field"]: cell["value"] for cell in row} for row in evaluation.results()]
        return QueryResult(rows, capped=len(rows) >= ROW_CAP)

    return run


def assert_same(remote: StatsTable, local: StatsTable) -> None:
    assert (remote.title, remote.note, remote.missing_fields) == (
        local.title,
        local.note,
        local.missing_fields,
    )
    assert_frame_equal(remote.rows, local.rows, categorical_as_str=True)


FILTERS = [
    "",
    "srcaddr=10.0.0.0/8",
    "dstaddr=10.0.2.*",
    "addr=2001:db8::/32",
    "addr!=10.0.1.5",
    "dstport=22,3389 or dport=1024-2000",
    "not port=443 action=reject",
    "srcaddr=-",
    "dstport!=22",
    "bytes>1000 packets<=10",
    "eni=eni-0a*",
    "protocol=tcp,udp",
    "status=nodata,skipdata or srcaddr=203.0.113.7",
    "start>=-2h",
    "proto!=icmp (src=10.0.1.5 or dst=10.0.1.5)",
]


@pytest.mark.parametrize("fmt", [DEFAULT_FORMAT, V5], ids=["default", "custom-v5"])
@pytest.mark.parametrize("filter_text", FILTERS)
def test_every_table_equals_the_local_engine(fmt: LogFormat, filter_text: str) -> None:
    lines = make_lines(fmt, 400, seed=len(filter_text))
    frame = local_frame(fmt, lines)
    ast = parse_filter(filter_text)
    kept = frame.filter(compile_filter(ast, fmt.fields, NOW))
    request = make_request([fmt], ast, NOW)
    run = evaluator(lines)
    for remote, local in zip(stats_overview(request, run), local_overview(kept), strict=True):
        assert_same(remote, local)
    assert_same(timeline_table(request, run, NOW - 6 * 3600, NOW), timeline(kept))


@pytest.mark.parametrize("filter_text", ["", "addr=10.0.0.0/8 dport!=443", "flow-direction=egress"])
def test_a_group_with_two_formats_equals_the_local_engine(filter_text: str) -> None:
    lines = make_lines(DEFAULT_FORMAT, 150, seed=8) + make_lines(V5, 150, seed=9)
    parser = LineParser(FormatRegistry(), [DEFAULT_FORMAT, V5])
    parsed = parser.parse_batch(EventBatch(messages=lines))
    assert not parsed.malformed
    fields = {*DEFAULT_FORMAT.fields, *V5.fields}
    ast = parse_filter(filter_text)
    kept = parsed.frame.filter(compile_filter(ast, fields, NOW))
    request = make_request([DEFAULT_FORMAT, V5], ast, NOW)
    assert request.head[0].startswith("parse @message /^(?<f1version>\\S+) (?<f1accountid>")
    run = evaluator(lines)
    for remote, local in zip(stats_overview(request, run), local_overview(kept), strict=True):
        assert_same(remote, local)
    assert_same(timeline_table(request, run, NOW - 6 * 3600, NOW), timeline(kept))


def test_egress_only_counting_is_a_filter_on_flow_direction() -> None:
    lines = make_lines(V5, 300, seed=3)
    frame = local_frame(V5, lines)
    request = make_request([V5], None, NOW, Counting.EGRESS_ONLY)
    run = evaluator(lines)
    tables = talker_tables(request, run)
    assert_same(tables[0], top_talkers(frame, "source", counting=Counting.EGRESS_ONLY))
    assert_same(
        counts_table(request, run, "action"),
        counts_per(frame, "action", counting=Counting.EGRESS_ONLY),
    )


def test_egress_only_on_records_without_flow_direction_is_unavailable_as_locally() -> None:
    lines = make_lines(DEFAULT_FORMAT, 50, seed=4)
    frame = local_frame(DEFAULT_FORMAT, lines)
    request = make_request([DEFAULT_FORMAT], None, NOW, Counting.EGRESS_ONLY)
    remote = rejected_sources_table(request, evaluator(lines))
    assert_same(remote, rejected_sources(frame, counting=Counting.EGRESS_ONLY))
    assert not remote.available


def test_tables_needing_fields_the_format_lacks_are_unavailable_as_locally() -> None:
    fmt = parse_format("version interface-id srcaddr dstaddr start action")
    lines = [f"3 eni-1 10.0.0.{i} 10.0.1.1 {NOW - i * 60} ACCEPT" for i in range(5)]
    frame = local_frame(fmt, lines)
    request = make_request([fmt], None, NOW)
    run = evaluator(lines)
    assert_same(rejected_ports_table(request, run), rejected_ports(frame))
    assert_same(talker_tables(request, run)[0], top_talkers(frame, "source"))
    for name in COUNT_FIELDS:
        assert_same(counts_table(request, run, name), counts_per(frame, name))
    assert_same(timeline_table(request, run, NOW - 3600, NOW), timeline(frame))


def test_a_long_range_with_short_data_asks_again_at_the_right_bucket_size() -> None:
    lines = make_lines(DEFAULT_FORMAT, 200, seed=5)  # six hours of records
    frame = local_frame(DEFAULT_FORMAT, lines)
    seen: list[str] = []
    request = make_request([DEFAULT_FORMAT], None, NOW)
    table = timeline_table(request, evaluator(lines, seen), NOW - 30 * 86400, NOW)
    assert_same(table, timeline(frame))
    assert len(seen) == 2  # 6 h of data in a 30-day range: 6-hour buckets were too coarse
    assert "floor(startTime / 21600) * 21600" in seen[0]
    assert "floor(startTime / 300) * 300" in seen[1]


def test_talkers_past_the_row_cap_use_a_query_per_table() -> None:
    lines = make_lines(DEFAULT_FORMAT, 100, seed=6)
    frame = local_frame(DEFAULT_FORMAT, lines)
    full = evaluator(lines)
    seen: list[str] = []

    def capped_run(text: str) -> QueryResult:
        seen.append(text)
        result = full(text)
        by_pair = "by srcAddr, dstAddr" in text
        return QueryResult(result.rows[:3] if by_pair else result.rows, capped=by_pair)

    request = make_request([DEFAULT_FORMAT], None, NOW)
    tables = talker_tables(request, capped_run, ("bytes", "packets"))
    expected = [
        top_talkers(frame, s, m)
        for m in ("bytes", "packets")
        for s in ("source", "destination", "pair")
    ]
    for remote, local in zip(tables, expected[:2], strict=False):
        assert_same(remote, local)
    assert (
        seen[1] == "stats sum(bytes) as sum_bytes, sum(packets) as sum_packets, count(*) as records"
    )
    assert "sort sum_packets desc" in seen[-1]


# --- golden query text -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("action=reject dport=22", 'filter action = "REJECT" and dstPort = 22'),
        ("srcaddr=10.0.0.0/8", 'filter isIpv4InSubnet(srcAddr, "10.0.0.0/8")'),
        ("dst=10.0.1.5", 'filter dstAddr = "10.0.1.5"'),
        ("src=2001:db8::/32", 'filter isIpv6InSubnet(srcAddr, "2001:db8::/32")'),
        ("dstport=22,3389", "filter dstPort in [22, 3389]"),
        (
            "port=1024-65535",
            'filter (srcPort != "-" and srcPort >= 1024 and srcPort <= 65535)'
            ' or (dstPort != "-" and dstPort >= 1024 and dstPort <= 65535)',
        ),
        ("bytes>1000", 'filter bytes != "-" and bytes > 1000'),
        ("srcaddr=-", 'filter not ispresent(srcAddr) or srcAddr = "-"'),
        ("dstport!=22", "filter not ispresent(dstPort) or not (dstPort = 22)"),
        (
            "addr!=10.0.1.5",
            'filter (not ispresent(srcAddr) or not (srcAddr = "10.0.1.5"))'
            ' and (not ispresent(dstAddr) or not (dstAddr = "10.0.1.5"))',
        ),
        ("eni=eni-0a*", r"filter interfaceId =~ /^eni\-0a.*$/".replace("\\-", "-")),
        ("proto=tcp,icmp", "filter protocol in [6, 1]"),
        ("start>=1764000000", 'filter startTime != "-" and startTime >= 1764000000'),
        (
            "not (status=nodata or srcaddr=-)",
            'filter (not ispresent(logStatus) or not (logStatus = "NODATA"))'
            ' and (ispresent(srcAddr) and srcAddr != "-")',
        ),
    ],
)
def test_generated_filters(filter_text: str, expected: str) -> None:
    fields = insights_fields([DEFAULT_FORMAT])
    assert query_head(fields, parse_filter(filter_text), NOW) == [expected]


def test_custom_formats_are_parsed_by_their_aws_names() -> None:
    fields = insights_fields([V5])
    head = query_head(fields, parse_filter("status=ok flow-direction=egress"), NOW)
    assert head == [
        'parse @message "* * * * * * * * * * * * * * * * *" as version, vpc_id, subnet_id,'
        " interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start,"
        " end, action, log_status, flow_direction, traffic_path",
        'filter log_status = "OK" and flow_direction = "egress"',
    ]


def test_stats_queries_are_golden() -> None:
    seen: list[str] = []
    lines = make_lines(DEFAULT_FORMAT, 20, seed=1)
    request = make_request([DEFAULT_FORMAT], parse_filter("action=reject"), NOW)
    stats_for_cli("ports", request, evaluator(lines, seen), NOW - 3600, NOW)
    assert seen == [
        'filter action = "REJECT" | filter action = "REJECT"'
        " | stats count(*) as records by dstPort, protocol | sort records desc | limit 10000",
        'filter action = "REJECT" | filter action = "REJECT"'
        " | stats count(*) as records by srcAddr | sort records desc | limit 10000",
    ]


@pytest.mark.parametrize(
    ("formats", "filter_text", "counting", "reason"),
    [
        ([DEFAULT_FORMAT], "", Counting.ONE_PER_FLOW, "one-per-flow counting"),
        ([V5, parse_format(" ".join(reversed(V5.fields)))], "", Counting.ALL_RECORDS, "as many"),
        ([], "", Counting.ALL_RECORDS, "format is unknown"),
        ([DEFAULT_FORMAT], "flow-direction=egress", Counting.ALL_RECORDS, "not in these records"),
        ([DEFAULT_FORMAT], 'eni="-"', Counting.ALL_RECORDS, "literal dash"),
    ],
)
def test_what_cannot_be_done_exactly_is_refused_with_the_reason(
    formats: list[LogFormat], filter_text: str, counting: Counting, reason: str
) -> None:
    with pytest.raises(NotTranslatableError, match=reason):
        make_request(formats, parse_filter(filter_text), NOW, counting)


# --- properties ------------------------------------------------------------------------------

_TERMS = st.sampled_from(
    [
        "srcaddr=10.0.1.0/24",
        "dstaddr=10.0.2.9,203.0.113.7",
        "addr=2001:db8::/32",
        "src=-",
        "dstport=22,443",
        "port=1-1024",
        "bytes>5000",
        "packets<=3",
        "protocol=udp",
        "action=reject",
        "status=nodata",
        "eni=eni-0b*",
        "dstport!=3389",
    ]
)


@st.composite
def filters(draw: st.DrawFn) -> str:
    terms = draw(st.lists(_TERMS, min_size=1, max_size=4))
    joiners = draw(st.lists(st.sampled_from([" ", " or ", " and not "]), min_size=3, max_size=3))
    text = terms[0]
    for joiner, term in zip(joiners, terms[1:], strict=False):
        text += joiner + term
    return f"not ({text})" if draw(st.booleans()) else text


_LINES = make_lines(DEFAULT_FORMAT, 300, seed=11)
_FRAME = local_frame(DEFAULT_FORMAT, _LINES)
_EVENTS = [
    LogEvent(NOW * 1000, NOW * 1000, line, "s", "g", "1", str(i)) for i, line in enumerate(_LINES)
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(filters())
def test_the_translated_filter_keeps_exactly_the_records_the_local_filter_keeps(text: str) -> None:
    ast = parse_filter(text)
    local = _FRAME.filter(compile_filter(ast, DEFAULT_FORMAT.fields, NOW)).height
    head = query_head(insights_fields([DEFAULT_FORMAT]), ast, NOW)
    evaluation = Run(parse_query(" | ".join([*head, "stats count(*) as n"])), None)
    evaluation.scan(_EVENTS)
    rows = evaluation.results()
    remote = int(rows[0][0]["value"]) if rows else 0
    assert remote == local
