"""Listing log groups (with their flow logs) and streams (with their ENIs)."""

from __future__ import annotations

import time

from flowtui.core.formats import DEFAULT_FORMAT, parse_format
from flowtui.demo.faults import FaultInjector, eni_id, stream_of
from flowtui.sources.aws import AwsConnection
from flowtui.sources.ec2 import Ec2Lookups
from flowtui.sources.log_groups import StreamInfo, eni_of_stream, list_log_groups, list_streams
from flowtui.sources.ratelimit import RateLimiter

from .conftest import V5_FORMAT, Account, FlowLogWriter


def test_groups_are_marked_with_the_flow_logs_that_deliver_to_them(
    conn: AwsConnection, limiter: RateLimiter, account: Account
) -> None:
    groups = {g.name: g for g in list_log_groups(conn, limiter, lookups=Ec2Lookups(conn, limiter))}

    assert set(groups) == {"/vpc/flows", "/vpc/accept-only", "/app/logs"}
    flows = groups["/vpc/flows"]
    assert flows.receives_flow_logs and len(flows.flow_logs) == 2
    assert set(flows.formats) == {DEFAULT_FORMAT, parse_format(V5_FORMAT)}
    assert [f.traffic_type for f in groups["/vpc/accept-only"].flow_logs] == ["ACCEPT"]
    assert not groups["/app/logs"].receives_flow_logs and groups["/app/logs"].flow_logs_known
    assert flows.arn == "arn:aws:logs:us-east-1:123456789012:log-group:/vpc/flows"


def test_all_groups_are_listed_across_pages(
    conn: AwsConnection, limiter: RateLimiter, faults: FaultInjector
) -> None:
    for number in range(120):
        conn.logs.create_log_group(logGroupName=f"/g/{number:03d}")
    faults.clear()

    groups = list_log_groups(conn, limiter, prefix="/g/", lookups=Ec2Lookups(conn, limiter))

    assert [g.name for g in groups] == [f"/g/{n:03d}" for n in range(120)]
    assert faults.calls("DescribeLogGroups") == 3  # 50 a page


def test_without_describe_flow_logs_groups_say_formats_are_unknown(
    conn: AwsConnection, limiter: RateLimiter, account: Account, faults: FaultInjector
) -> None:
    faults.deny("DescribeFlowLogs")
    lookups = Ec2Lookups(conn, limiter)

    groups = list_log_groups(conn, limiter, lookups=lookups)

    assert all(not g.flow_logs_known and g.formats == () for g in groups)
    assert len(lookups.notices) == 1


def test_streams_carry_their_eni_and_what_it_belongs_to(
    conn: AwsConnection, limiter: RateLimiter, account: Account
) -> None:
    now_ms = int(time.time() * 1000)
    writer = FlowLogWriter(conn, "/vpc/flows")
    writer.put(
        [
            (f"{account.web_eni}-all", now_ms - 5_000, "a"),
            (f"{account.web_eni}-all", now_ms - 1_000, "b"),
            (f"{eni_id(77)}-all", now_ms - 2_000, "c"),  # an ENI deleted since
        ]
    )

    streams = {
        s.name: s
        for s in list_streams(conn, limiter, "/vpc/flows", lookups=Ec2Lookups(conn, limiter))
    }

    web = streams[f"{account.web_eni}-all"]
    assert web.eni_id == account.web_eni
    assert web.label == f"web-1 ({account.web_instance}) {account.web_ip}"
    assert (web.first_event_ms, web.last_event_ms) == (now_ms - 5_000, now_ms - 1_000)
    assert web.last_ingestion_ms is not None
    assert not hasattr(web, "stored_bytes")  # 0 on AWS since 2019: never shown
    assert streams[f"{eni_id(77)}-all"].label == f"{eni_id(77)} (deleted or not in this account)"


def test_all_streams_are_listed_across_pages(
    conn: AwsConnection, limiter: RateLimiter, faults: FaultInjector
) -> None:
    writer = FlowLogWriter(conn, "g").create_group()
    writer.put([(stream_of(n), int(time.time() * 1000), "x") for n in range(120)])
    faults.clear()

    streams = list_streams(conn, limiter, "g", enrich=False)

    assert [s.name for s in streams] == sorted(stream_of(n) for n in range(120))
    assert faults.calls("DescribeLogStreams") == 3  # 50 a page
    assert faults.calls("DescribeNetworkInterfaces") == 0


def test_eni_ids_come_from_the_stream_name_prefix() -> None:
    assert eni_of_stream("eni-0a1b2c3d4e5f67890-all") == "eni-0a1b2c3d4e5f67890"
    assert eni_of_stream("eni-0a1b2c3d4e5f67890-accept") == "eni-0a1b2c3d4e5f67890"
    assert eni_of_stream("2026/11/27/[$LATEST]abc") is None


def test_stream_metadata_decides_whether_a_range_can_hold_events() -> None:
    stream = StreamInfo(
        "s", None, first_event_ms=1_000, last_event_ms=2_000, last_ingestion_ms=5_000, creation_ms=0
    )
    assert stream.may_hold(4_000, 6_000)  # ingestion is fresher than the last event time
    assert not stream.may_hold(6_000, 9_000)
    assert not stream.may_hold(0, 999)
