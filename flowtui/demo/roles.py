"""The demo account's delivery roles, and the demo's own judgement of whether a role delivers.

Three roles: the one the demo's flow logs deliver with (least privilege), one whose policy
lacks logs:PutLogEvents and one whose trust policy names ec2.amazonaws.com instead of the
flow-logs service. moto stores roles but never assumes them, so the demo decides itself, with
flowtui's own policy checks, whether a flow log's role lets it deliver: a flow log whose role
cannot writes no records, as on AWS.
"""

from __future__ import annotations

import json
from typing import Any

from flowtui.core.flowlog_policy import (
    DELIVERY_ACTIONS,
    DeliveryTarget,
    PolicyFormatError,
    check_permissions,
    check_trust,
    permissions_policy,
    trust_policy,
)

GOOD_ROLE = "flowtui-demo-flow-logs"
#: Its policy allows every delivery action but logs:PutLogEvents: delivery fails.
BROKEN_ROLE = "flowtui-demo-no-put-events"
#: Its trust policy lets EC2, not the flow-logs service, assume it: delivery fails.
MISTRUSTING_ROLE = "flowtui-demo-ec2-trust"


def iam_client(endpoint_url: str, region: str) -> Any:
    """An IAM client for the demo endpoint, signed with the dummy credentials."""
    import boto3

    from flowtui.demo.server import DEMO_CREDENTIALS

    client: Any = boto3.client(
        "iam",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=DEMO_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=DEMO_CREDENTIALS["aws_secret_access_key"],
        aws_session_token=DEMO_CREDENTIALS["aws_session_token"],
    )
    return client


def role_arn(account_id: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{name}"


def _create(iam: Any, name: str, trust: dict[str, object], policy: dict[str, object]) -> None:
    iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(trust),
        Description="flowtui demo: delivers VPC flow logs",
    )
    iam.put_role_policy(RoleName=name, PolicyName="delivery", PolicyDocument=json.dumps(policy))


def create_roles(iam: Any, account_id: str, region: str) -> None:
    """Create the three roles (an existing one is left as it is)."""
    good_trust = trust_policy(account_id, region)
    wrong_trust: dict[str, object] = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    lacking: dict[str, object] = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [a for a in DELIVERY_ACTIONS if a != "logs:PutLogEvents"],
                "Resource": "*",
            }
        ],
    }
    for name, trust, policy in (
        (GOOD_ROLE, good_trust, permissions_policy()),
        (BROKEN_ROLE, good_trust, lacking),
        (MISTRUSTING_ROLE, wrong_trust, permissions_policy()),
    ):
        try:
            _create(iam, name, trust, policy)
        except iam.exceptions.EntityAlreadyExistsException:
            continue


def role_delivers(iam: Any, arn: str, target: DeliveryTarget, flow_log_id: str) -> bool:
    """Whether the flow-logs service could deliver with this role (as far as policies say)."""
    name = arn.rsplit("/", 1)[-1]
    try:
        role = iam.get_role(RoleName=name)["Role"]
        documents: list[tuple[str, Any]] = [
            (policy, iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"])
            for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]
        ]
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
            got = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)
            documents.append((attached["PolicyName"], got["PolicyVersion"]["Document"]))
    except iam.exceptions.NoSuchEntityException:
        return False
    try:
        trusted = check_trust(
            role["AssumeRolePolicyDocument"], target.account_id, target.region, flow_log_id
        ).ok
        return trusted and check_permissions(documents, target).ok
    except PolicyFormatError:
        return False
