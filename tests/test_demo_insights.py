"""The demo endpoint's Logs Insights: the language against its documented semantics, AWS's
sample queries for VPC flow logs, and the service behaviours a client must handle (status
transitions with partial results, statistics, the row cap, the concurrency limit, StopQuery)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from flowtui.demo.faults import InProcessEndpoint
from flowtui.demo.insights import service
from flowtui.demo.insights.evaluate import LogEvent, Run
from flowtui.demo.insights.language import MalformedQueryError, parse_query
from flowtui.demo.server import DEMO_CREDENTIALS, logs_client

T0 = 1_764_000_000  # 2025-11-24T16:00:00Z, a multiple of 5 minutes


def make_lines(t0: int) -> list[str]:
    """Six default-format records from `t0` on: srcaddr dstaddr sport dport proto packets bytes
    start end action log-status after version, account and ENI."""
    return [
        f"2 123456789012 eni-a 10.0.1.5 10.0.2.9 40000 443 6 10 1000 {t0} {t0 + 60} ACCEPT OK",
        f"2 123456789012 eni-a 10.0.1.5 10.0.2.9 40001 443 6 5 500 {t0 + 60} {t0 + 120} ACCEPT OK",
        f"2 123456789012 eni-a 203.0.113.7 10.0.1.5 51000 22 6 1 40 {t0 + 300} {t0 + 360} REJECT OK",
        f"2 123456789012 eni-b 203.0.113.7 10.0.2.9 51001 3389 6 1 40 {t0 + 310} {t0 + 360} REJECT OK",
        f"2 123456789012 eni-b 2001:db8::1 2001:db8::2 5353 53 17 2 300 {t0 + 320} {t0 + 380} ACCEPT OK",
        f"2 123456789012 eni-b - - - - - - - {t0 + 330} {t0 + 390} - NODATA",
    ]


LINES = make_lines(T0)
#: The endpoint (like CloudWatch) refuses events older than 14 days: its records are recent.
RECENT = (int(time.time()) // 3600 - 2) * 3600


def _start_ms(line: str) -> int:
    tokens = line.split()
    return int(tokens[10]) * 1000 if len(tokens) > 10 else T0 * 1000


def _events(lines: list[str], stream: str = "s") -> list[LogEvent]:
    return [
        LogEvent(
            timestamp_ms=_start_ms(line),
            ingestion_ms=_start_ms(line) + 5000,
            message=line,
            stream=stream,
            group="g",
            account="123456789012",
            pointer=f"p{index}",
        )
        for index, line in enumerate(lines)
    ]


def run(query: str, lines: list[str] = LINES, limit: int | None = None) -> list[dict[str, str]]:
    evaluation = Run(parse_query(query), limit)
    evaluation.scan(_events(lines))
    return [{cell["field"]: cell["value"] for cell in row} for row in evaluation.results()]


def column(rows: list[dict[str, str]], name: str) -> list[str | None]:
    return [row.get(name) for row in rows]


# --- AWS's sample queries for VPC flow logs --------------------------------------------------


def test_top_pairs_by_bytes() -> None:
    rows = run(
        "stats sum(bytes) as bytesTransferred by srcAddr, dstAddr"
        " | sort bytesTransferred desc | limit 2"
    )
    assert rows == [
        {"srcAddr": "10.0.1.5", "dstAddr": "10.0.2.9", "bytesTransferred": "1500"},
        {"srcAddr": "2001:db8::1", "dstAddr": "2001:db8::2", "bytesTransferred": "300"},
    ]


def test_rejected_requests_by_source() -> None:
    rows = run('filter action="REJECT" | stats count(*) as numRejections by srcAddr')
    assert rows == [{"srcAddr": "203.0.113.7", "numRejections": "2"}]


def test_traffic_from_a_subnet() -> None:
    rows = run('filter isIpv4InSubnet(srcAddr, "10.0.0.0/16") | stats sum(bytes) by dstPort')
    assert rows == [{"dstPort": "443", "sum(bytes)": "1500"}]


def test_bytes_per_five_minutes() -> None:
    rows = run("stats sum(bytes) by bin(5m) | sort bin(5m) asc")
    assert rows == [
        {"bin(5m)": "2025-11-24 16:00:00.000", "sum(bytes)": "1500"},
        {"bin(5m)": "2025-11-24 16:05:00.000", "sum(bytes)": "380"},
    ]


def test_top_talkers_per_eni() -> None:
    rows = run(
        "stats sum(bytes) as bytesTransferred by interfaceId, srcAddr"
        " | sort bytesTransferred desc | limit 1"
    )
    assert rows == [{"interfaceId": "eni-a", "srcAddr": "10.0.1.5", "bytesTransferred": "1500"}]


# --- filter semantics ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "ports"),
    [
        ("dstPort = 443", ["443", "443"]),
        ("dstPort != 443", ["22", "3389", "53", "-"]),  # "-" is text, not 443
        # "-" is text: it orders as text against a number ("-" < "100"), so a client that
        # means "a port below 100" must rule the placeholder out itself.
        ("dstPort < 100", ["22", "53", "-"]),
        ('dstPort < 100 and dstPort != "-"', ["22", "53"]),
        ("dstPort >= 3389", ["3389"]),
        ("dstPort in [22, 53]", ["22", "53"]),
        ("dstPort not in [22, 53, 443]", ["3389", "-"]),
        ('action = "REJECT" and not dstPort = 22', ["3389"]),
        ("dstPort = 22 or dstPort = 53", ["22", "53"]),
        ('srcAddr like "203.0"', ["22", "3389"]),
        ("srcAddr like /^2001:/", ["53"]),
        ("interfaceId =~ /b$/ and ispresent(srcPort)", ["3389", "53", "-"]),
        ('isIpv6InSubnet(srcAddr, "2001:db8::/32")', ["53"]),
        ('isIpInSubnet(dstAddr, "10.0.0.0/8")', ["443", "443", "22", "3389"]),
        ('isIpv4InSubnet(dstAddr, "2001:db8::/32")', []),
        ('logStatus = "NODATA"', ["-"]),
        ("not ispresent(nosuchfield)", ["443", "443", "22", "3389", "53", "-"]),
        ("nosuchfield = 1", []),
        ("bytes > 100 and bytes / packets >= 100", ["443", "443", "53"]),
    ],
)
def test_filter(condition: str, ports: list[str]) -> None:
    rows = run(f"filter {condition} | sort @timestamp asc | fields dstPort")
    assert column(rows, "dstPort") == ports


def test_comparisons_are_numeric_only_between_numbers() -> None:
    # As numbers 1000 > 500 (as text "1000" < "500"); "-" orders as text.
    rows = run("filter bytes < 1000 | sort @timestamp asc | fields bytes")
    assert column(rows, "bytes") == ["500", "40", "40", "300", "-"]


def test_parse_glob_gives_custom_format_fields() -> None:
    lines = ["5 vpc-1 10.0.0.1 egress 100", "5 vpc-1 10.0.0.2 ingress 7", "junk"]
    rows = run(
        'parse @message "* * * * *" as version, vpc, src, direction, size'
        ' | filter direction = "egress" or size < 10 | stats sum(size) as total, count(*) by vpc',
        lines=[],
    )
    assert rows == []
    evaluation = Run(
        parse_query(
            'parse @message "* * * * *" as version, vpc, src, direction, size'
            ' | filter direction = "egress" or size < 10 | stats sum(size) as total,'
            " count(*) as n, count(src) as withSource by vpc"
        ),
        None,
    )
    evaluation.scan(
        [
            LogEvent(T0 * 1000, T0 * 1000, line, "s", "g", "1", str(i))
            for i, line in enumerate(lines)
        ]
    )
    assert [{c["field"]: c["value"] for c in row} for row in evaluation.results()] == [
        {"vpc": "vpc-1", "total": "107", "n": "2", "withSource": "2"}
    ]


def test_parse_regex_with_named_groups() -> None:
    rows = run(
        r"parse @message /^2 \d+ (?<eni>\S+) (?<src>\S+)/"
        ' | filter eni = "eni-b" | stats count(*) by src | sort src asc'
    )
    assert column(rows, "src") == ["-", "2001:db8::1", "203.0.113.7"]


def test_aggregations() -> None:
    rows = run(
        'filter logStatus = "OK" | stats count(*) as n, sum(bytes) as s, avg(bytes) as a,'
        " min(bytes) as lo, max(bytes) as hi, count_distinct(srcAddr) as d"
    )
    assert rows == [{"n": "5", "s": "1880", "a": "376", "lo": "40", "hi": "1000", "d": "3"}]


def test_sums_skip_missing_values_and_floor_makes_buckets() -> None:
    rows = run(
        "fields floor(startTime / 300) * 300 as bucket"
        " | stats count(*) as n, sum(bytes) as b by bucket, action | sort bucket asc, action asc"
    )
    assert rows == [
        {"bucket": str(T0), "action": "ACCEPT", "n": "2", "b": "1500"},
        {"bucket": str(T0 + 300), "action": "-", "n": "1"},  # sum of only "-" is absent
        {"bucket": str(T0 + 300), "action": "ACCEPT", "n": "1", "b": "300"},
        {"bucket": str(T0 + 300), "action": "REJECT", "n": "2", "b": "80"},
    ]


def test_raw_rows_newest_first_with_the_limit() -> None:
    rows = run("fields @timestamp, srcAddr", limit=2)
    assert rows == [
        {"@timestamp": "2025-11-24 16:05:30.000", "srcAddr": "-", "@ptr": "p5"},
        {"@timestamp": "2025-11-24 16:05:20.000", "srcAddr": "2001:db8::1", "@ptr": "p4"},
    ]


def test_custom_format_lines_get_no_discovered_fields() -> None:
    assert run("filter ispresent(srcAddr) | stats count(*)", lines=["5 vpc-1 x"]) == []


@pytest.mark.parametrize(
    "query",
    ["", "stats sum(bytes) by", "filter (a = 1", "nonsense x", "stats floor(bytes)", "limit x"],
)
def test_malformed_queries_are_refused(query: str) -> None:
    with pytest.raises(MalformedQueryError):
        parse_query(query)
        Run(parse_query(query), None)


# --- the endpoint ----------------------------------------------------------------------------

GROUP = "/vpc/insights-test"


@pytest.fixture(scope="module")
def server() -> Iterator[InProcessEndpoint]:
    service.install()
    with InProcessEndpoint() as endpoint:
        yield endpoint


@pytest.fixture
def logs(server: InProcessEndpoint) -> Iterator[Any]:
    server.reset()
    client = logs_client(server.url, "us-east-1")
    client.create_log_group(logGroupName=GROUP)
    recent = make_lines(RECENT)
    for stream, lines in (("eni-a-all", recent[:3]), ("eni-b-all", recent[3:])):
        client.create_log_stream(logGroupName=GROUP, logStreamName=stream)
        client.put_log_events(
            logGroupName=GROUP,
            logStreamName=stream,
            logEvents=[
                {"timestamp": int(line.split()[10]) * 1000, "message": line} for line in lines
            ],
        )
    yield client
    service.configure(max_concurrent=30, scan_steps=3, idle_finish_s=30.0)


def _start(logs: Any, query: str, **extra: Any) -> str:
    answer = logs.start_query(
        logGroupName=GROUP, startTime=RECENT, endTime=RECENT + 3600, queryString=query, **extra
    )
    return str(answer["queryId"])


@pytest.mark.endpoint
def test_status_moves_from_scheduled_through_running_to_complete(logs: Any) -> None:
    service.configure(scan_steps=3)
    query_id = _start(logs, "stats count(*) as n")
    polls = [logs.get_query_results(queryId=query_id) for _ in range(5)]
    assert [poll["status"] for poll in polls] == [
        "Scheduled",
        "Running",
        "Running",
        "Complete",
        "Complete",
    ]
    counts = [[cell["value"] for row in poll["results"] for cell in row] for poll in polls]
    assert counts == [[], ["2"], ["4"], ["6"], ["6"]]  # partial results grow
    scanned = [poll["statistics"]["recordsScanned"] for poll in polls]
    assert scanned == [0.0, 2.0, 4.0, 6.0, 6.0]
    final = polls[-1]["statistics"]
    assert final["recordsMatched"] == 6.0
    assert final["bytesScanned"] == float(sum(len(line) for line in make_lines(RECENT)))


@pytest.mark.endpoint
def test_the_time_range_is_in_seconds_and_inclusive(logs: Any) -> None:
    answer = logs.start_query(
        logGroupName=GROUP,
        startTime=RECENT + 60,
        endTime=RECENT + 310,
        queryString="stats count(*)",
    )
    service.configure(idle_finish_s=0.0)  # finish on the next poll
    result = logs.get_query_results(queryId=answer["queryId"])
    assert result["status"] == "Complete"
    assert result["results"] == [[{"field": "count(*)", "value": "3"}]]


@pytest.mark.endpoint
def test_the_limit_parameter_caps_the_rows(logs: Any) -> None:
    service.configure(scan_steps=1)
    query_id = _start(logs, "fields srcAddr", limit=4)
    logs.get_query_results(queryId=query_id)
    assert len(logs.get_query_results(queryId=query_id)["results"]) == 4


@pytest.mark.endpoint
def test_over_the_concurrency_limit_start_query_is_refused(logs: Any) -> None:
    service.configure(max_concurrent=2)
    # botocore would retry LimitExceededException as throttling: one attempt shows it at once.
    logs = boto3.client(
        "logs",
        endpoint_url=logs.meta.endpoint_url,
        region_name="us-east-1",
        config=Config(retries={"total_max_attempts": 1}),
        aws_access_key_id=DEMO_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=DEMO_CREDENTIALS["aws_secret_access_key"],
    )
    first = _start(logs, "stats count(*)")
    _start(logs, "stats count(*)")
    with pytest.raises(ClientError) as refused:
        _start(logs, "stats count(*)")
    assert refused.value.response["Error"]["Code"] == "LimitExceededException"
    logs.stop_query(queryId=first)  # a stopped query frees its place
    _start(logs, "stats count(*)")


@pytest.mark.endpoint
def test_stop_query_cancels_and_keeps_partial_results(logs: Any) -> None:
    service.configure(scan_steps=3)
    query_id = _start(logs, "stats count(*) as n")
    logs.get_query_results(queryId=query_id)
    logs.get_query_results(queryId=query_id)
    assert logs.stop_query(queryId=query_id)["success"] is True
    stopped = logs.get_query_results(queryId=query_id)
    assert stopped["status"] == "Cancelled"
    assert stopped["results"] == [[{"field": "n", "value": "2"}]]
    with pytest.raises(ClientError) as again:
        logs.stop_query(queryId=query_id)
    assert again.value.response["Error"]["Code"] == "InvalidParameterException"
    listed = logs.describe_queries(logGroupName=GROUP, status="Cancelled")["queries"]
    assert [item["queryId"] for item in listed] == [query_id]


@pytest.mark.endpoint
def test_bad_queries_and_groups_are_refused(logs: Any) -> None:
    with pytest.raises(ClientError) as malformed:
        _start(logs, "stats sum(bytes) by")
    assert malformed.value.response["Error"]["Code"] == "MalformedQueryException"
    with pytest.raises(ClientError) as missing:
        logs.start_query(
            logGroupName="/nope", startTime=T0, endTime=T0 + 1, queryString="stats count(*)"
        )
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as too_many:
        logs.start_query(
            logGroupNames=[f"/g{i}" for i in range(51)],
            startTime=T0,
            endTime=T0 + 1,
            queryString="stats count(*)",
        )
    assert too_many.value.response["Error"]["Code"] == "InvalidParameterException"


def test_the_product_never_imports_the_demo_evaluator() -> None:
    import ast
    from pathlib import Path

    import flowtui

    root = Path(flowtui.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.is_relative_to(root / "demo"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [
                f"{path.relative_to(root)}: {n}"
                for n in names
                if n.startswith("flowtui.demo.insights")
            ]
    assert offenders == []


@pytest.mark.endpoint
def test_the_embedded_endpoint_child_answers_insights() -> None:
    from flowtui.demo.server import EmbeddedEndpoint

    with EmbeddedEndpoint() as endpoint:
        client = logs_client(endpoint.url, "us-east-1")
        client.create_log_group(logGroupName=GROUP)
        client.create_log_stream(logGroupName=GROUP, logStreamName="s")
        lines = make_lines(RECENT)
        client.put_log_events(
            logGroupName=GROUP,
            logStreamName="s",
            logEvents=[
                {"timestamp": (RECENT + i) * 1000, "message": m} for i, m in enumerate(lines)
            ],
        )
        query_id = client.start_query(
            logGroupName=GROUP,
            startTime=RECENT,
            endTime=RECENT + 3600,
            queryString='filter action = "REJECT" | stats count(*) as n by srcAddr',
        )["queryId"]
        statuses = []
        for _ in range(10):
            answer = client.get_query_results(queryId=query_id)
            statuses.append(answer["status"])
            if answer["status"] == "Complete":
                break
        assert statuses[0] == "Scheduled" and statuses[-1] == "Complete"
        assert answer["results"] == [
            [{"field": "srcAddr", "value": "203.0.113.7"}, {"field": "n", "value": "2"}]
        ]
