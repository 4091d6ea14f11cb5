"""The demo endpoint: moto in a child process, the account built through boto3, the writer
and `flowtui demo --serve`. One endpoint serves the module; a few tests start their own.
"""

from __future__ import annotations

import importlib.util
import io
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from demo_helpers import MARK_HEADER

from flowtui.core.formats import DEFAULT_FORMAT, LogFormat, parse_format
from flowtui.demo.account import DemoAccount, build_demo_account
from flowtui.demo.flow_logs import APP_GROUP, MAIN_GROUP, MISSING_GROUP, V5_FORMAT, V8_FORMAT
from flowtui.demo.serve import serve
from flowtui.demo.server import (
    DemoUnavailableError,
    EmbeddedEndpoint,
    ec2_client,
    logs_client,
    require_moto,
)
from flowtui.demo.traffic import TrafficGenerator
from flowtui.demo.vpc import DENIED_CIDR
from flowtui.demo.writer import MAX_BATCH_BYTES, MAX_BATCH_EVENTS, TrafficWriter, backfill

HOUR = 3600.0


def _stream(account: DemoAccount, eni_name: str) -> str:
    return f"{account.eni(eni_name).id}-all"


def test_a_missing_moto_gives_an_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DemoUnavailableError, match=r"pip install 'flowtui\[demo\]'"):
        require_moto()


class _PutRecorder:
    """Records every PutLogEvents request a client sends."""

    def __init__(self) -> None:
        self.batches: list[tuple[str, list[dict[str, Any]]]] = []

    def __call__(self, params: dict[str, Any], **_: Any) -> None:
        self.batches.append((params["logStreamName"], params["logEvents"]))

    def assert_within_aws_limits(self, now_ms: float) -> None:
        assert self.batches
        for _, events in self.batches:
            timestamps = [e["timestamp"] for e in events]
            assert timestamps == sorted(timestamps)
            assert len(events) <= MAX_BATCH_EVENTS
            assert sum(len(e["message"].encode()) + 26 for e in events) <= MAX_BATCH_BYTES
            assert now_ms - 14 * 24 * HOUR * 1000 <= timestamps[0]
            assert timestamps[-1] <= now_ms + 2 * HOUR * 1000


@pytest.fixture(scope="module")
def endpoint() -> Iterator[EmbeddedEndpoint]:
    with EmbeddedEndpoint() as running:
        yield running


@pytest.fixture(scope="module")
def demo(endpoint: EmbeddedEndpoint) -> tuple[DemoAccount, _PutRecorder]:
    """The account built through boto3 and two hours of history written."""
    account = build_demo_account(endpoint.url)
    client = logs_client(endpoint.url, account.region)
    recorder = _PutRecorder()
    client.meta.events.register("provide-client-params.logs.PutLogEvents", recorder)
    backfill(client, TrafficGenerator(account, rate=5.0), hours=2.0)
    return account, recorder


@pytest.mark.endpoint
def test_the_endpoint_serves_the_log_groups(
    demo: tuple[DemoAccount, _PutRecorder], endpoint: EmbeddedEndpoint
) -> None:
    account, _ = demo
    client = logs_client(endpoint.url, account.region)
    groups = client.describe_log_groups(logGroupNamePrefix="/flowtui/demo/")["logGroups"]
    assert sorted(g["logGroupName"] for g in groups) == sorted([MAIN_GROUP, APP_GROUP])
    assert account.group_names == (MAIN_GROUP, APP_GROUP) and account.main_group == MAIN_GROUP


@pytest.mark.endpoint
def test_describe_flow_logs_returns_three_formats_two_in_one_group(
    demo: tuple[DemoAccount, _PutRecorder], endpoint: EmbeddedEndpoint
) -> None:
    account, _ = demo
    flow_logs = ec2_client(endpoint.url, account.region).describe_flow_logs()["FlowLogs"]
    formats: dict[str, set[LogFormat]] = {}
    for flow_log in flow_logs:
        formats.setdefault(flow_log["LogGroupName"], set()).add(parse_format(flow_log["LogFormat"]))
    assert formats[MAIN_GROUP] == {DEFAULT_FORMAT, V8_FORMAT}
    assert formats[APP_GROUP] == {V5_FORMAT}
    failed = [f for f in flow_logs if f["DeliverLogsStatus"] == "FAILED"]
    assert [(f["LogGroupName"], f["DeliverLogsErrorMessage"]) for f in failed] == [
        (MISSING_GROUP, "Access error")
    ]
    assert {f["TrafficType"] for f in flow_logs} == {"ALL", "ACCEPT"}


@pytest.mark.endpoint
def test_streams_are_per_eni_and_combined_across_formats(
    demo: tuple[DemoAccount, _PutRecorder], endpoint: EmbeddedEndpoint
) -> None:
    account, _ = demo
    client = logs_client(endpoint.url, account.region)
    streams = client.describe_log_streams(logGroupName=MAIN_GROUP)["logStreams"]
    names = {s["logStreamName"] for s in streams}
    # The scaled-out load balancer node has no history; the writer test may have added it.
    # The staging host is in a VPC no flow log captures.
    recorded = [
        e for e in account.enis if any(f.group == MAIN_GROUP for f in account.flow_logs_covering(e))
    ]
    assert account.eni("staging-1") not in recorded
    always_there = {f"{eni.id}-all" for eni in recorded if eni.joins_at is None}
    assert always_there <= names <= {f"{eni.id}-all" for eni in recorded}
    events = client.get_log_events(
        logGroupName=MAIN_GROUP, logStreamName=_stream(account, "db-1"), startFromHead=True
    )["events"]
    assert {len(e["message"].split(" ")) for e in events} == {len(DEFAULT_FORMAT), len(V8_FORMAT)}


@pytest.mark.endpoint
def test_the_account_has_named_instances_and_the_documented_rules(
    demo: tuple[DemoAccount, _PutRecorder], endpoint: EmbeddedEndpoint
) -> None:
    account, _ = demo
    ec2 = ec2_client(endpoint.url, account.region)
    names = {
        tag["Value"]
        for reservation in ec2.describe_instances()["Reservations"]
        for instance in reservation["Instances"]
        for tag in instance.get("Tags", [])
        if tag["Key"] == "Name"
    }
    assert names == {"web-1", "web-2", "bastion", "dns-1", "db-1", "staging-1"}
    interfaces = ec2.describe_network_interfaces()["NetworkInterfaces"]
    eni_names = {t["Value"] for i in interfaces for t in i.get("TagSet", []) if t["Key"] == "Name"}
    assert eni_names == {eni.name for eni in account.enis}
    (db_group,) = ec2.describe_security_groups(GroupIds=[account.security_groups["db"]])[
        "SecurityGroups"
    ]
    postgres = next(p for p in db_group["IpPermissions"] if p.get("FromPort") == 5432)
    assert [pair["GroupId"] for pair in postgres["UserIdGroupPairs"]] == [
        account.security_groups["web"]
    ]
    assert not postgres["IpRanges"]
    acls = {a["NetworkAclId"]: a for a in ec2.describe_network_acls()["NetworkAcls"]}
    public = acls[account.network_acls["public"]]["Entries"]
    first_inbound = min((e for e in public if not e["Egress"]), key=lambda e: e["RuleNumber"])
    assert (first_inbound["CidrBlock"], first_inbound["RuleAction"]) == (DENIED_CIDR, "deny")
    private_outbound = [e for e in acls[account.network_acls["private"]]["Entries"] if e["Egress"]]
    assert {e["Protocol"] for e in private_outbound if e["RuleAction"] == "allow"} == {"6", "17"}
    associations = {
        a["SubnetId"]: acl_id for acl_id, acl in acls.items() for a in acl["Associations"]
    }
    assert {s.id: s.acl_id for s in account.subnets} == {
        s.id: associations[s.id] for s in account.subnets
    }
    # The demo VPC's two ACLs, and the staging VPC's default one.
    assert len({s.acl_id for s in account.subnets if s.vpc_id is None}) == 2
    assert account.subnets[-1].name == "staging-a" and account.subnets[-1].vpc_id is not None


@pytest.mark.endpoint
def test_every_put_batch_was_chronological_and_within_aws_limits(
    demo: tuple[DemoAccount, _PutRecorder],
) -> None:
    _, recorder = demo
    assert sum(len(events) for _, events in recorder.batches) > 30_000
    recorder.assert_within_aws_limits(now_ms=time.time() * 1000)


@pytest.mark.endpoint
def test_the_writer_creates_a_stream_that_appears_midway(
    demo: tuple[DemoAccount, _PutRecorder], endpoint: EmbeddedEndpoint
) -> None:
    account, _ = demo
    joins_at = account.eni("alb-b").joins_at
    assert joins_at is not None
    clock = [joins_at - 120]
    client = logs_client(endpoint.url, account.region)
    recorder = _PutRecorder()
    client.meta.events.register("provide-client-params.logs.PutLogEvents", recorder)
    generator = TrafficGenerator(account, rate=5.0, now=lambda: clock[0])
    writer = TrafficWriter(client, generator, since=clock[0])
    clock[0] = joins_at + 900  # records reach CloudWatch up to 14 minutes late, as on AWS
    assert writer.write_due() > 0
    recorder.assert_within_aws_limits(now_ms=clock[0] * 1000)
    assert _stream(account, "alb-b") in {stream for stream, _ in recorder.batches}
    streams = client.describe_log_streams(logGroupName=MAIN_GROUP)["logStreams"]
    assert _stream(account, "alb-b") in {s["logStreamName"] for s in streams}


@pytest.mark.endpoint
def test_the_endpoint_is_quiet_gives_stable_ids_and_stops_its_process(
    demo: tuple[DemoAccount, _PutRecorder], capfd: pytest.CaptureFixture[str]
) -> None:
    first, _ = demo
    with EmbeddedEndpoint() as endpoint:
        again = build_demo_account(endpoint.url)  # a hundred requests, none of them echoed
        url, pid = endpoint.url, endpoint.pid
    assert capfd.readouterr() == ("", "")
    assert again.vpc_id == first.vpc_id
    assert [e.id for e in again.enis] == [e.id for e in first.enis]
    assert [f.id for f in again.flow_logs] == [f.id for f in first.flow_logs]
    assert pid is not None and not _alive(pid)
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=1)


@pytest.mark.endpoint
def test_a_middleware_wraps_the_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(Path(__file__).parent), *sys.path]))
    with EmbeddedEndpoint(middleware="demo_helpers:mark_responses") as endpoint:
        request = urllib.request.Request(f"{endpoint.url}/moto-api/seed?a=1", method="POST")
        with urllib.request.urlopen(request, data=b"", timeout=5) as response:
            assert response.headers[MARK_HEADER[0]] == MARK_HEADER[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.endpoint
def test_the_endpoint_stops_when_its_parent_is_killed() -> None:
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from flowtui.demo.server import EmbeddedEndpoint\n"
            "endpoint = EmbeddedEndpoint().start()\n"
            "print(endpoint.pid, flush=True)\n"
            "time.sleep(600)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


class _Screen(io.StringIO):
    """Captures what serve() prints and says when it is ready."""

    def __init__(self) -> None:
        super().__init__()
        self.ready = threading.Event()

    def write(self, text: str) -> int:
        if "Press Ctrl-C" in text:
            self.ready.set()
        return super().write(text)


@pytest.mark.endpoint
def test_serve_prints_how_to_reach_the_endpoint_and_stops_cleanly() -> None:
    screen, stop = _Screen(), threading.Event()
    thread = threading.Thread(target=serve, args=(screen, "eu-west-1", 2.0, stop))
    thread.start()
    assert screen.ready.wait(60)
    output = screen.getvalue()
    url = next(word for word in output.split() if word.startswith("http://127.0.0.1:"))
    assert "Region:     eu-west-1" in output
    assert MAIN_GROUP in output and APP_GROUP in output
    assert f"aws --endpoint-url {url} logs describe-log-groups" in output
    assert "AWS_ACCESS_KEY_ID=testing" in output
    groups = logs_client(url, "eu-west-1").describe_log_groups()["logGroups"]
    assert {g["logGroupName"] for g in groups} == {MAIN_GROUP, APP_GROUP}
    stop.set()
    thread.join(30)
    assert not thread.is_alive()
    assert output + "Demo endpoint stopped.\n" == screen.getvalue()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=1)
