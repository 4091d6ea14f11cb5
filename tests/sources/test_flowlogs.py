"""Coverage, the delivery role, and creating and deleting flow logs on the embedded endpoint."""

from __future__ import annotations

import json

import pytest

from flowtui.core.flowlog_coverage import CoverageState
from flowtui.core.flowlog_policy import DELIVERY_ACTIONS, DeliveryTarget, Verdict
from flowtui.core.formats import DEFAULT_FORMAT
from flowtui.sources.aws import AwsConnection, NotFoundError, SourceError
from flowtui.sources.delivery_role import (
    RoleNotFoundError,
    create_role,
    iam_client,
    inspect_role,
    parse_role_arn,
)
from flowtui.sources.ec2 import shared_lookups
from flowtui.sources.flowlogs import (
    CreateSpec,
    aws_cli_commands,
    create_flow_log,
    delete_flow_log,
    find_flow_log,
    group_exists,
    group_name,
    read_coverage,
    resolve_resource,
)
from flowtui.sources.ratelimit import RateLimiter

from .conftest import ACCOUNT, Account

pytestmark = pytest.mark.endpoint


@pytest.fixture(autouse=True)
def fresh_cache(conn: AwsConnection, limiter: RateLimiter) -> None:
    """The connection (and its one EC2 cache) outlives each test's emptied endpoint."""
    shared_lookups(conn, limiter).invalidate()


def _role(conn: AwsConnection, name: str, trust_service: str, actions: list[str]) -> str:
    iam = iam_client(conn)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": trust_service}, "Action": "sts:AssumeRole"}
        ],
    }
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
    }
    iam.put_role_policy(RoleName=name, PolicyName="delivery", PolicyDocument=json.dumps(policy))
    return arn


def test_coverage_marks_the_unlogged_vpc_and_the_subnet_scopes(
    conn: AwsConnection, limiter: RateLimiter, account: Account
) -> None:
    report = read_coverage(conn, limiter)
    by_eni = {e.eni.eni_id: e for vpc in report.vpcs for e in vpc.enis}
    assert by_eni[account.other_vpc_eni].state is CoverageState.UNCOVERED
    web = by_eni[account.web_eni]
    # The VPC flow log (ALL), the public subnet's ACCEPT log and the one to a missing group.
    assert len(web.covered_by) == 3
    assert web.state is CoverageState.ALL
    assert "web-1" in web.label
    only = read_coverage(conn, limiter, account.vpc)
    assert [v.vpc.vpc_id for v in only.vpcs] == [account.vpc]


def test_unknown_vpc_and_resources_are_clear_errors(
    conn: AwsConnection, limiter: RateLimiter, account: Account
) -> None:
    with pytest.raises(NotFoundError, match="VPC vpc-0000 does not exist"):
        read_coverage(conn, limiter, "vpc-0000")
    with pytest.raises(NotFoundError, match="subnet subnet-00000000 does not exist"):
        resolve_resource(conn, limiter, "subnet-00000000")
    with pytest.raises(SourceError, match="not a VPC, subnet or network interface"):
        resolve_resource(conn, limiter, "i-123")
    eni = resolve_resource(conn, limiter, account.db_eni)
    assert (eni.kind, eni.vpc_id, eni.subnet_id, eni.owner_id) == (
        "NetworkInterface",
        account.vpc,
        account.private_subnet,
        ACCOUNT,
    )


def test_group_in_another_region_is_refused(conn: AwsConnection) -> None:
    with pytest.raises(SourceError, match="is in region eu-west-1"):
        group_name(conn, f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/vpc/x:*")
    assert group_name(conn, f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/vpc/x:*") == "/vpc/x"
    assert group_name(conn, "/vpc/x") == "/vpc/x"


def test_role_checks(conn: AwsConnection, limiter: RateLimiter, account: Account) -> None:
    target = DeliveryTarget(ACCOUNT, "us-east-1", "/vpc/flows")
    with pytest.raises(RoleNotFoundError, match="role nope does not exist"):
        inspect_role(conn, limiter, f"arn:aws:iam::{ACCOUNT}:role/nope", target)
    with pytest.raises(SourceError, match="not an IAM role ARN"):
        parse_role_arn("role/nope")

    good = inspect_role(conn, limiter, create_role(conn, limiter, "fl-good", target), target)
    assert good.ok is True and good.problems() == []

    lacking = [a for a in DELIVERY_ACTIONS if a != "logs:PutLogEvents"]
    weak = inspect_role(
        conn, limiter, _role(conn, "fl-weak", "vpc-flow-logs.amazonaws.com", lacking), target
    )
    assert weak.ok is False
    assert weak.permissions is not None
    assert weak.permissions.actions(Verdict.MISSING) == ("logs:PutLogEvents",)

    wrong = inspect_role(
        conn, limiter, _role(conn, "fl-ec2", "ec2.amazonaws.com", ["logs:*"]), target
    )
    assert wrong.ok is False and wrong.trust is not None and not wrong.trust.ok
    assert "vpc-flow-logs.amazonaws.com" in wrong.problems()[0]

    with pytest.raises(SourceError, match="already exists"):
        create_role(conn, limiter, "fl-good", target)


def test_create_for_an_uncovered_eni_then_delete(
    conn: AwsConnection, limiter: RateLimiter, account: Account
) -> None:
    resource = resolve_resource(conn, limiter, account.other_vpc_eni)
    spec = CreateSpec(resource, "ALL", "/vpc/new-group", DEFAULT_FORMAT, 60, retention_days=30)
    role = create_role(conn, limiter, "fl-new", spec.target(conn.region))
    commands = aws_cli_commands(spec, role, conn.region, group_missing=True)
    assert commands[-1].startswith("aws ec2 create-flow-logs --resource-type NetworkInterface")
    assert "--retention-in-days 30" in commands[1]

    outcome = create_flow_log(conn, limiter, spec, role)
    assert outcome.group_created and outcome.unsuccessful == ()
    (flow_log_id,) = outcome.flow_log_ids
    assert group_exists(conn, limiter, "/vpc/new-group")
    groups = conn.logs.describe_log_groups(logGroupNamePrefix="/vpc/new-group")["logGroups"]
    assert groups[0].get("retentionInDays") == 30
    covered = {e.eni.eni_id: e for v in read_coverage(conn, limiter).vpcs for e in v.enis}
    assert covered[account.other_vpc_eni].flow_log_ids == (flow_log_id,)

    with pytest.raises(SourceError, match="already delivers"):
        create_flow_log(conn, limiter, spec, role)

    assert find_flow_log(conn, limiter, flow_log_id).resource_id == account.other_vpc_eni
    delete_flow_log(conn, limiter, flow_log_id)
    with pytest.raises(NotFoundError, match=f"flow log {flow_log_id} does not exist"):
        find_flow_log(conn, limiter, flow_log_id)
    assert all(f.id != flow_log_id for f in shared_lookups(conn, limiter).flow_logs() or ())
