"""The doctor's probes and flow-log checks on the embedded endpoint."""

from __future__ import annotations

import json

import pytest

from flowtui.core.flowlog_policy import DELIVERY_ACTIONS, DeliveryTarget
from flowtui.demo.faults import FaultInjector, ManualClock
from flowtui.sources.aws import AwsConnection
from flowtui.sources.delivery_role import create_role, iam_client
from flowtui.sources.doctor import Status, run_doctor
from flowtui.sources.ec2 import shared_lookups
from flowtui.sources.ratelimit import RateLimiter

from .conftest import ACCOUNT

pytestmark = pytest.mark.endpoint


@pytest.fixture(autouse=True)
def fresh_cache(conn: AwsConnection, limiter: RateLimiter) -> None:
    shared_lookups(conn, limiter).invalidate()


def _network(conn: AwsConnection, limiter: RateLimiter) -> str:
    vpc: str = conn.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    conn.logs.create_log_group(logGroupName="/vpc/good")
    conn.logs.create_log_group(logGroupName="/vpc/weak")
    good = create_role(conn, limiter, "good", DeliveryTarget(ACCOUNT, "us-east-1", "/vpc/good"))
    iam = iam_client(conn)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="weak", AssumeRolePolicyDocument=json.dumps(trust))
    lacking = [a for a in DELIVERY_ACTIONS if a != "logs:CreateLogStream"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": lacking, "Resource": "*"}],
    }
    iam.put_role_policy(RoleName="weak", PolicyName="p", PolicyDocument=json.dumps(policy))
    for group, role in (("/vpc/good", good), ("/vpc/weak", f"arn:aws:iam::{ACCOUNT}:role/weak")):
        conn.ec2.create_flow_logs(
            ResourceIds=[vpc],
            ResourceType="VPC",
            TrafficType="ALL",
            LogGroupName=group,
            DeliverLogsPermissionArn=role,
        )
    conn.ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="REJECT",
        LogGroupName="/vpc/gone",
        DeliverLogsPermissionArn=f"arn:aws:iam::{ACCOUNT}:role/never-created",
    )
    return vpc


def test_everything_allowed_and_each_broken_flow_log_named(
    conn: AwsConnection, limiter: RateLimiter, clock: ManualClock
) -> None:
    _network(conn, limiter)
    report = run_doctor(conn, limiter, clock)
    statuses = {c.name: c.status for c in report.checks}
    assert statuses["pass a delivery role"] is Status.UNKNOWN
    assert {n for n, s in statuses.items() if s is not Status.OK} == {"pass a delivery role"}
    by_group = {c.blocks.rsplit(" in ", 1)[-1]: c for c in report.flow_logs}
    assert by_group["/vpc/good"].status is Status.OK
    weak = by_group["/vpc/weak"]
    assert weak.status is Status.FAIL and weak.action == "logs:CreateLogStream"
    assert "role weak: logs:CreateLogStream: missing" in weak.detail
    gone = by_group["/vpc/gone"]
    assert gone.status is Status.FAIL
    assert "Access error" in gone.detail and "/vpc/gone does not exist" in gone.detail
    assert "role never-created does not exist" in gone.detail
    assert report.failed


def test_denied_actions_are_named_with_the_feature_they_block(
    conn: AwsConnection, limiter: RateLimiter, clock: ManualClock, faults: FaultInjector
) -> None:
    _network(conn, limiter)
    faults.deny("FilterLogEvents")
    faults.deny("DescribeNetworkAcls")
    faults.deny("CreateFlowLogs")
    report = run_doctor(conn, limiter, clock)
    failed = {c.name: c for c in report.checks if c.status is Status.FAIL}
    assert set(failed) == {"read events", "describe network ACLs", "create flow logs"}
    assert failed["read events"].action == "logs:FilterLogEvents"
    assert "loading records" in failed["read events"].blocks
    assert failed["describe network ACLs"].action == "ec2:DescribeNetworkAcls"
    assert failed["create flow logs"].blocks == "flowlogs create"


def test_nothing_to_check_is_not_a_failure(
    conn: AwsConnection, limiter: RateLimiter, clock: ManualClock
) -> None:
    report = run_doctor(conn, limiter, clock)
    assert not report.failed
    assert {c.name for c in report.checks if c.status is Status.UNKNOWN} == {
        "read events",
        "start Insights queries",
        "pass a delivery role",
    } | ({"create flow logs"} if not conn.ec2.describe_vpcs()["Vpcs"] else set())
    assert report.flow_logs == []
