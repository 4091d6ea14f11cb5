"""`flowtui query --stats ... --engine insights` and `flowtui insights` on the demo endpoint:
for a range both engines hold, Insights' tables equal the local engine's, row for row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import pytest

from flowtui.demo.account import DemoAccount
from flowtui.demo.faults import InProcessEndpoint
from flowtui.demo.flow_logs import APP_GROUP, MAIN_GROUP
from flowtui.demo.insights import service
from flowtui.demo.server import ec2_client, logs_client
from flowtui.sources import insights as insights_source
from tests.cli_support import demo_endpoint, isolate_aws_env, run_cli

if TYPE_CHECKING:
    from mypy_boto3_logs.type_defs import InputLogEventTypeDef

pytestmark = pytest.mark.endpoint

DEFAULT_GROUP = "/flowtui/test/default-only"


def _copy_default_records(url: str, account: DemoAccount) -> None:
    """A group fed only by a default-format flow log: the main group's default-format records."""
    logs = logs_client(url, account.region)
    ec2 = ec2_client(url, account.region)
    logs.create_log_group(logGroupName=DEFAULT_GROUP)
    ec2.create_flow_logs(
        ResourceIds=[account.eni("web-1").id],
        ResourceType="NetworkInterface",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogGroupName=DEFAULT_GROUP,
        DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/flow-logs",
    )
    by_stream: dict[str, list[InputLogEventTypeDef]] = {}
    for page in logs.get_paginator("filter_log_events").paginate(logGroupName=MAIN_GROUP):
        for event in page["events"]:
            if len(event["message"].split(" ")) == 14:
                by_stream.setdefault(event["logStreamName"], []).append(
                    {"timestamp": event["timestamp"], "message": event["message"]}
                )
    for stream, events in by_stream.items():
        logs.create_log_stream(logGroupName=DEFAULT_GROUP, logStreamName=stream)
        events.sort(key=lambda event: event["timestamp"])
        for start in range(0, len(events), 5000):
            logs.put_log_events(
                logGroupName=DEFAULT_GROUP,
                logStreamName=stream,
                logEvents=events[start : start + 5000],
            )


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[InProcessEndpoint, DemoAccount]]:
    service.install()
    with demo_endpoint(seed=3, rate=20.0) as (server, account):
        _copy_default_records(server.url, account)
        service.configure(scan_steps=2)
        yield server, account
        service.configure(scan_steps=3)


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(insights_source, "FIRST_POLL_S", 0.01)
    monkeypatch.setattr(insights_source, "POLL_S", 0.02)
    isolate_aws_env(monkeypatch, tmp_path)


run = run_cli


def connection(server: InProcessEndpoint) -> list[str]:
    return ["--endpoint-url", server.url, "--region", "us-east-1"]


def stats(
    server: InProcessEndpoint,
    capsys: pytest.CaptureFixture[str],
    group: str,
    engine: str,
    *extra: str,
) -> tuple[int, str, str]:
    command = ["query", *connection(server), "--group", group, "--since", "30d"]
    return run([*command, "--engine", engine, *extra], capsys)


CASES = [
    (DEFAULT_GROUP, "talkers", ""),
    (DEFAULT_GROUP, "talkers", "srcaddr=10.0.0.0/16"),
    (DEFAULT_GROUP, "ports", "dstport=22,443,3389 or port=1024-65535"),
    (DEFAULT_GROUP, "timeline", "not addr=10.0.0.0/8"),
    (DEFAULT_GROUP, "talkers", "srcaddr=- or status=nodata,skipdata"),
    (APP_GROUP, "talkers", ""),
    (APP_GROUP, "ports", "action=reject"),
    (APP_GROUP, "timeline", "addr=10.0.0.0/8 dstport!=443"),
    (APP_GROUP, "talkers", "protocol=tcp,udp eni=eni-*"),
]


@pytest.mark.parametrize(
    "case", [(*case, "table") for case in CASES] + [(*CASES[2], "csv"), (*CASES[6], "csv")]
)
def test_insights_stats_equal_the_local_engines(
    demo: tuple[InProcessEndpoint, DemoAccount],
    capsys: pytest.CaptureFixture[str],
    case: tuple[str, str, str, str],
) -> None:
    server, _ = demo
    group, kind, filter_text, output = case
    extra = ["--stats", kind, "--filter", filter_text, "--output", output]
    code, local, err = stats(server, capsys, group, "local", *extra)
    assert code == 0, err
    code, remote, err = stats(server, capsys, group, "insights", *extra)
    assert code == 0, err
    assert remote == local
    assert len(local.splitlines()) > (3 if output == "csv" else 10)  # real rows, not empties
    assert "insights: Complete" in err and "to scan" in err


def test_egress_only_counting_runs_in_insights(
    demo: tuple[InProcessEndpoint, DemoAccount], capsys: pytest.CaptureFixture[str]
) -> None:
    server, _ = demo
    extra = ["--stats", "talkers", "--counting", "egress-only"]
    local = stats(server, capsys, APP_GROUP, "local", *extra)
    remote = stats(server, capsys, APP_GROUP, "insights", *extra)
    assert remote[0] == 0 and remote[1] == local[1]


def test_a_group_fed_in_two_formats_equals_the_local_engine(
    demo: tuple[InProcessEndpoint, DemoAccount], capsys: pytest.CaptureFixture[str]
) -> None:
    server, _ = demo  # the main group: the VPC's default format and the db subnet's v8
    extra = ["--stats", "ports", "--filter", "not srcaddr=10.0.0.0/8"]
    local = stats(server, capsys, MAIN_GROUP, "local", *extra)
    remote = stats(server, capsys, MAIN_GROUP, "insights", *extra)
    assert remote[0] == 0 and remote[1] == local[1]


def test_what_insights_cannot_do_exactly_is_refused_with_the_reason(
    demo: tuple[InProcessEndpoint, DemoAccount], capsys: pytest.CaptureFixture[str]
) -> None:
    server, _ = demo
    code, out, err = stats(
        server,
        capsys,
        DEFAULT_GROUP,
        "insights",
        "--stats",
        "talkers",
        "--counting",
        "one-per-flow",
    )
    assert code != 0 and not out
    assert "cannot run this in Insights" in err and "--engine local" in err
    code, out, err = stats(
        server, capsys, DEFAULT_GROUP, "insights", "--stats", "talkers", "--search", "10.0"
    )
    assert code != 0 and "--search cannot run in Insights" in err
    code, _, err = run(["query", "x.log", "--engine", "insights"], capsys)
    assert code == 2 and "--engine" in err


def test_auto_uses_the_local_engine_for_a_small_range(
    demo: tuple[InProcessEndpoint, DemoAccount], capsys: pytest.CaptureFixture[str]
) -> None:
    server, _ = demo
    code, out, err = stats(server, capsys, DEFAULT_GROUP, "auto", "--stats", "talkers")
    assert code == 0 and "engine: local" in err
    assert out == stats(server, capsys, DEFAULT_GROUP, "local", "--stats", "talkers")[1]


def test_a_raw_query_prints_its_rows(
    demo: tuple[InProcessEndpoint, DemoAccount], capsys: pytest.CaptureFixture[str]
) -> None:
    server, _ = demo
    query = (
        'filter action = "REJECT" | stats count(*) as rejected by dstPort'
        " | sort rejected desc | limit 3"
    )
    base = ["insights", *connection(server), "--group", DEFAULT_GROUP, "--since", "7d", query]
    code, out, err = run([*base, "--output", "jsonl"], capsys)
    assert code == 0, err
    rows = [orjson.loads(line) for line in out.splitlines()]
    assert 1 <= len(rows) <= 3 and set(rows[0]) == {"dstPort", "rejected"}
    counts = [int(row["rejected"]) for row in rows]
    assert counts == sorted(counts, reverse=True)
    code, table, _ = run([*base, "--output", "table"], capsys)
    assert table.splitlines()[0].split() == ["dstPort", "rejected"]
    code, csv, _ = run([*base, "--output", "csv"], capsys)
    assert csv.splitlines()[0] == "dstPort,rejected"
    code, _, err = run([*base[:-1], "stats count(*) by"], capsys)
    assert code != 0 and "MalformedQuery" in err and "Traceback" not in err
