"""`flowtui flowlogs list|create|delete` and `flowtui doctor` on the embedded demo account."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import orjson
import pytest

from flowtui.demo.account import DemoAccount, build_demo_account
from flowtui.demo.faults import InProcessEndpoint
from flowtui.demo.follow import follow_flow_logs
from flowtui.demo.roles import BROKEN_ROLE, GOOD_ROLE, MISTRUSTING_ROLE
from flowtui.demo.server import ec2_client, logs_client
from flowtui.demo.traffic import TrafficGenerator
from flowtui.demo.writer import TrafficWriter, backfill
from tests.cli_support import isolate_aws_env, run_cli

pytestmark = pytest.mark.endpoint


class Clock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


class Demo:
    def __init__(self, server: InProcessEndpoint, account: DemoAccount, clock: Clock) -> None:
        self.server = server
        self.account = account
        self.clock = clock
        self.generator = TrafficGenerator(account, seed=3, now=clock, rate=20.0)
        self.logs = logs_client(server.url, account.region)
        self.writer = TrafficWriter(
            self.logs, self.generator, backfill(self.logs, self.generator, hours=0.25)
        )

    def flow_log_ids(self) -> set[str]:
        ec2 = ec2_client(self.server.url, self.account.region)
        return {f["FlowLogId"] for f in ec2.describe_flow_logs()["FlowLogs"]}

    def advance(self, seconds: float) -> None:
        """The writer notices new flow logs, then writes what became due."""
        follow_flow_logs(self.server.url, self.generator)
        self.clock.now += seconds
        self.writer.write_due()


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    import time

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with InProcessEndpoint() as server:
            server.reset()  # moto's state is per process: other modules may have used it
            clock = Clock(time.time() - 1800)
            account = build_demo_account(server.url, now=clock)
            yield Demo(server, account, clock)
            server.reset()


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_aws_env(monkeypatch, tmp_path)


def run(args: list[str], capsys: pytest.CaptureFixture[str], demo: Demo) -> tuple[int, str, str]:
    return run_cli([*args, "--endpoint-url", demo.server.url, "--region", "us-east-1"], capsys)


def coverage(demo: Demo, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, object]]:
    code, out, err = run(["flowlogs", "list", "--output", "json"], capsys, demo)
    assert code == 0, err
    return {item["eni"]: item for item in orjson.loads(out)}


def test_list_shows_the_uncovered_eni_and_each_scope(
    demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    found = coverage(demo, capsys)
    staging = demo.account.eni("staging-1")
    assert found[staging.id]["covered_by"] == []
    assert found[staging.id]["coverage"] == "uncovered"
    db = found[demo.account.eni("db-1").id]
    assert {f["scope"] for f in db["flow_logs"]} == {"vpc", "subnet"}  # type: ignore[attr-defined]
    alb = found[demo.account.eni("alb-a").id]
    assert {f["scope"] for f in alb["flow_logs"]} == {"vpc", "eni"}  # type: ignore[attr-defined]
    code, out, _ = run(["flowlogs", "list"], capsys, demo)
    assert code == 0
    line = next(line for line in out.splitlines() if staging.id in line)
    assert "! uncovered: no flow log captures this ENI" in line
    assert "Amazon DNS server" in out and "169.254.169.254" in out
    # moto reports SUCCESS for web-2's flow log, but its role lacks logs:PutLogEvents.
    web2 = found[demo.account.eni("web-2").id]
    (failing,) = cast(list[str], web2["failing"])
    audit = next(f for f in cast(list[dict[str, object]], web2["flow_logs"]) if f["id"] == failing)
    assert audit["delivery_status"] == "FAILED"
    assert audit["delivery_error"] == (
        f"delivery failing: role {BROKEN_ROLE} lacks logs:PutLogEvents"
    )
    line = next(line for line in out.splitlines() if demo.account.eni("web-2").id in line)
    assert "! all, 1 failing (see below)" in line
    assert f"{failing} on {web2['eni']}" in out and "lacks logs:PutLogEvents" in out


def test_bad_input_is_one_line_and_changes_nothing(
    demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    before = demo.flow_log_ids()
    staging = demo.account.eni("staging-1").id
    account = demo.account.account_id
    # What was typed wrong exits 2; what was looked for and not found exits 1.
    cases = [
        (["--role", f"arn:aws:iam::{account}:role/nope"], 1, "role nope does not exist"),
        (["--create-role", "x", "--log-format", "${srcaddr} ${dst-port}"], 2,
         "did you mean 'dstport'"),
        (["--create-role", "x", "--group", f"arn:aws:logs:eu-west-1:{account}:log-group:g"], 2,
         "is in region eu-west-1"),
        (["--role", "role/x"], 2, "is not an IAM role ARN"),
    ]  # fmt: skip
    for extra, status, message in cases:
        args = [
            "flowlogs",
            "create",
            staging,
            "--traffic-type",
            "ALL",
            "--group",
            "/new",
            *extra,
            "--yes",
        ]
        code, _, err = run(args, capsys, demo)
        assert code == status and message in err and "Traceback" not in err, err
        assert "nothing was changed" in err
    code, _, err = run(
        ["flowlogs", "create", "subnet-00000000", "--traffic-type", "ALL", "--group", "/g",
         "--create-role", "x", "--yes"], capsys, demo,
    )  # fmt: skip
    assert code == 1 and "subnet subnet-00000000 does not exist" in err
    code, _, err = run(
        ["flowlogs", "create", staging, "--traffic-type", "ALL", "--group", "/g",
         "--role", f"arn:aws:iam::{account}:role/{BROKEN_ROLE}", "--yes"], capsys, demo,
    )  # fmt: skip
    assert code == 2 and "logs:PutLogEvents: missing" in err and '"sts:AssumeRole"' in err
    assert demo.flow_log_ids() == before


def test_create_for_the_uncovered_eni_makes_its_stream_appear(
    demo: Demo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    staging = demo.account.eni("staging-1").id
    group = "/flowtui/demo/staging"
    args = ["flowlogs", "create", staging, "--traffic-type", "ALL", "--group", group,
            "--create-role", "staging-flow-logs", "--retention-days", "7", "--max-aggregation", "60"]  # fmt: skip
    code, out, err = run([*args, "--dry-run"], capsys, demo)
    assert code == 0, err
    assert '"Service": "vpc-flow-logs.amazonaws.com"' in out
    assert "aws ec2 create-flow-logs --resource-type NetworkInterface" in out
    preview = f"a record:    2 {demo.account.account_id} {staging} 198.51.100.7 10.1.0.10 "
    assert preview in out
    assert "dry run: nothing was changed" in out
    # Not a terminal and no --yes: refused.
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    code, _, err = run(args, capsys, demo)
    assert code == 2 and "without --yes" in err
    code, out, err = run([*args, "--yes"], capsys, demo)
    assert code == 0, err
    assert "created role arn:aws:iam::" in out and f"created log group {group}" in out
    created = next(
        line.split()[-1] for line in out.splitlines() if line.startswith("created flow log")
    )
    assert coverage(demo, capsys)[staging]["covered_by"] == [created]

    # The demo's records reach CloudWatch minutes late, as AWS's do: give it up to 20 minutes.
    streams: list[Any] = []
    for _ in range(20):
        demo.advance(60)
        streams = demo.logs.describe_log_streams(logGroupName=group)["logStreams"]
        if streams:
            break
    assert [s["logStreamName"] for s in streams] == [f"{staging}-all"]
    code, out, err = run(
        ["query", "--group", group, "--since", "3h", "--output", "count"], capsys, demo
    )
    assert code == 0 and int(out) > 0, err


def test_doctor_names_the_missing_action_and_fails(
    demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["doctor", "--output", "json"], capsys, demo)
    assert code == 1, err
    report = orjson.loads(out)
    assert {c["check"]: c["status"] for c in report["checks"]}["describe flow logs"] == "ok"
    assert {c["status"] for c in report["checks"]} <= {"ok", "cannot tell"}
    broken = [c for c in report["flow_logs"] if BROKEN_ROLE in c["detail"]]
    assert broken and all(
        c["status"] == "FAIL" and c["action"] == "logs:PutLogEvents" for c in broken
    )
    mistrust = [c for c in report["flow_logs"] if MISTRUSTING_ROLE in c["detail"]]
    assert mistrust and "vpc-flow-logs.amazonaws.com" in mistrust[0]["detail"]
    code, out, _ = run(["doctor"], capsys, demo)
    assert code == 1 and "checks failed" in out and "iam:PassRole" in out


def test_delete_names_what_stops_and_asks(
    demo: Demo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    staging = demo.account.eni("staging-1").id
    role = f"arn:aws:iam::{demo.account.account_id}:role/{GOOD_ROLE}"
    code, out, err = run(
        ["flowlogs", "create", staging, "--traffic-type", "REJECT", "--group", "/to-delete",
         "--role", role, "--yes"], capsys, demo,
    )  # fmt: skip
    assert code == 0, err
    flow_log = next(
        line.split()[-1] for line in out.splitlines() if line.startswith("created flow log")
    )
    others = [f for f in coverage(demo, capsys)[staging]["covered_by"] if f != flow_log]  # type: ignore[attr-defined]
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, out, err = run(["flowlogs", "delete", flow_log], capsys, demo)
    assert code == 2 and "without --yes" in err
    assert f"Delete flow log {flow_log} on {staging}: REJECT -> /to-delete" in out
    if not others:
        assert any(
            line.strip().startswith(staging)
            and line.endswith(": reject-only -> no flow log captures this ENI")
            for line in out.splitlines()
        ), out
    code, out, err = run(["flowlogs", "delete", flow_log, "--yes"], capsys, demo)
    assert code == 0 and f"deleted flow log {flow_log}" in out, err
    assert coverage(demo, capsys)[staging]["covered_by"] == others
    code, _, err = run(["flowlogs", "delete", flow_log, "--yes"], capsys, demo)
    assert code == 1 and f"flow log {flow_log} does not exist" in err


def test_explain_says_the_amazon_dns_server_is_never_logged(
    demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    web = demo.account.eni("web-1")
    dns = demo.account.eni("dns-1")
    start = int(demo.clock.now) - 600
    record = (
        f"2 {demo.account.account_id} {web.id} {web.private_ip} {dns.private_ip} 40000 53 17 "
        f"1 70 {start} {start + 30} ACCEPT OK"
    )
    code, out, err = run(["explain", "--group", demo.account.main_group, record], capsys, demo)
    assert code == 0, err
    assert "Not logged nearby: DNS to a server of your own is logged" in out
    assert "(10.0.0.2 and 169.254.169.253)" in out


def test_change_replaces_the_flow_log_after_showing_before_and_after(
    demo: Demo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    alb = demo.account.eni("alb-a").id
    ec2 = ec2_client(demo.server.url, demo.account.region)
    (old,) = [
        f["FlowLogId"]
        for f in ec2.describe_flow_logs()["FlowLogs"]
        if f["ResourceId"] == alb and f["TrafficType"] == "ACCEPT"
    ]
    code, _, err = run(
        ["flowlogs", "change", old, "--traffic-type", "ACCEPT", "--yes"], capsys, demo
    )
    assert code == 2 and "already does" in err
    # What stops and starts: web-1 is covered by the VPC's flow log only.
    (vpc_wide,) = [
        f["FlowLogId"]
        for f in ec2.describe_flow_logs()["FlowLogs"]
        if f["ResourceId"] == demo.account.vpc_id
    ]
    args = ["flowlogs", "change", vpc_wide, "--traffic-type", "REJECT", "--dry-run"]
    code, out, err = run(args, capsys, demo)
    assert code == 0, err
    web1 = demo.account.eni("web-1").id
    changed = next(line for line in out.splitlines() if line.strip().startswith(web1))
    assert changed.endswith("all -> reject-only") and "What changes for the ENIs" in out
    broken = f"arn:aws:iam::{demo.account.account_id}:role/{BROKEN_ROLE}"
    code, _, err = run(["flowlogs", "change", old, "--role", broken, "--yes"], capsys, demo)
    assert code == 2 and "cannot deliver" in err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, out, err = run(["flowlogs", "change", old, "--traffic-type", "ALL"], capsys, demo)
    assert code == 2 and "without --yes" in err
    assert f"Before: {old} on {alb}: ACCEPT ->" in out and "traffic:     ALL" in out
    # Same resource and group: EC2 refuses two, so the old one is deleted first, as shown.
    assert "delete first (same resource and group)" in out
    assert out.index(f"delete-flow-logs --flow-log-ids {old}") < out.index("create-flow-logs")
    code, out, err = run(
        ["flowlogs", "change", old, "--traffic-type", "ALL", "--yes"], capsys, demo
    )
    assert code == 0, err
    new = next(line.split()[-1] for line in out.splitlines() if line.startswith("created flow log"))
    assert f"deleted flow log {old}" in out
    after = {f["FlowLogId"]: f for f in ec2.describe_flow_logs()["FlowLogs"]}
    assert old not in after and after[new]["TrafficType"] == "ALL"
    assert (
        after[new]["ResourceId"] == alb and after[new]["LogGroupName"] == "/flowtui/demo/app-subnet"
    )


def test_the_apps_form_is_checked_like_the_command(demo: Demo) -> None:
    from flowtui.sources.aws import ConnectionOptions, SourceError, connect
    from flowtui.sources.ratelimit import RateLimiter
    from flowtui.ui.backend import FlowLogForm
    from flowtui.ui.flowlog_rows import create_from_form

    conn = connect(ConnectionOptions(region="us-east-1", endpoint_url=demo.server.url))
    limiter = RateLimiter(calls_per_s=1000, context=conn.error_context)
    db = demo.account.eni("db-1").id
    account = demo.account.account_id
    before = demo.flow_log_ids()
    bad = [
        (FlowLogForm(db, "ALL", "/form", None, "r1", "${srcaddr} ${bogus}"), "unknown flow-log field"),
        (FlowLogForm(db, "ALL", "/form", f"arn:aws:iam::{account}:role/{MISTRUSTING_ROLE}"),
         "cannot deliver"),
        (FlowLogForm("subnet-0000", "ALL", "/form", None, "r1"), "does not exist"),
    ]  # fmt: skip
    for form, message in bad:
        with pytest.raises(SourceError, match=message):
            create_from_form(conn, limiter, form)
    assert demo.flow_log_ids() == before
    done = create_from_form(conn, limiter, FlowLogForm(db, "REJECT", "/form", None, "form-role"))
    assert done.startswith("created flow log fl-") and "role form-role created" in done
    assert len(demo.flow_log_ids() - before) == 1


def test_the_apps_coverage_and_doctor_rows(demo: Demo) -> None:
    from flowtui.sources.aws import ConnectionOptions, connect
    from flowtui.sources.ratelimit import RateLimiter
    from flowtui.ui.flowlog_rows import coverage_rows, doctor_rows

    conn = connect(ConnectionOptions(region="us-east-1", endpoint_url=demo.server.url))
    limiter = RateLimiter(calls_per_s=1000, context=conn.error_context)
    rows = {row.eni_id: row for row in coverage_rows(conn, limiter)}
    web = rows[demo.account.eni("web-1").id]
    assert web.open_group == demo.account.main_group and web.open_stream == f"{web.eni_id}-all"
    assert web.vpc.endswith("(flowtui-demo)") and web.warning is None
    assert any(line.endswith("SUCCESS") for line in web.details)
    checks = doctor_rows(conn, limiter)
    failing = [c for c in checks if c.status == "FAIL"]
    assert any(c.action == "logs:PutLogEvents" for c in failing)
    assert len({c.key for c in checks}) == len(checks)
    from flowtui.ui.flowlog_rows import flow_log_rows

    vpc_wide = next(r for r in flow_log_rows(conn, limiter) if r.resource_id == demo.account.vpc_id)
    web_id = demo.account.eni("web-1").id
    assert any(line.startswith(f"{web_id} (web-1") and line.endswith("all -> uncovered")
               for line in vpc_wide.stops)  # fmt: skip
