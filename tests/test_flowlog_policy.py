"""The delivery role's least-privilege JSON and flowtui's own reading of trust and permissions."""

from __future__ import annotations

import json

import pytest

from flowtui.core.flowlog_policy import (
    DELIVERY_ACTIONS,
    SERVICE_PRINCIPAL,
    DeliveryTarget,
    PolicyFormatError,
    Verdict,
    action_matches,
    check_permissions,
    check_trust,
    permissions_policy,
    policy_json,
    trust_policy,
)

ACCOUNT = "123456789012"
TARGET = DeliveryTarget(ACCOUNT, "us-east-1", "/vpc/flows")


def allow(actions: object, resource: object = "*", **extra: object) -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource, **extra}],
    }


def test_least_privilege_trust_policy_is_exact() -> None:
    assert trust_policy(ACCOUNT, "eu-west-1") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": ACCOUNT},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:eu-west-1:{ACCOUNT}:vpc-flow-log/*"},
                },
            }
        ],
    }
    assert check_trust(trust_policy(ACCOUNT, "eu-west-1"), ACCOUNT, "eu-west-1").ok


def test_least_privilege_permissions_are_exact_and_pass_their_own_check() -> None:
    assert permissions_policy() == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(DELIVERY_ACTIONS), "Resource": "*"}],
    }
    scoped = permissions_policy(TARGET)
    arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/vpc/flows"
    statements = scoped["Statement"]
    assert isinstance(statements, list)
    assert statements[0]["Resource"] == [arn, f"{arn}:*"]
    assert "logs:DescribeLogGroups" not in statements[0]["Action"]
    assert statements[1]["Action"] == "logs:DescribeLogGroups"
    assert check_permissions([("inline", scoped)], TARGET).ok
    assert json.loads(policy_json(scoped)) == scoped


def test_scoped_policy_does_not_cover_another_group() -> None:
    other = DeliveryTarget(ACCOUNT, "us-east-1", "/vpc/other")
    check = check_permissions([("inline", permissions_policy(TARGET))], other)
    assert check.actions(Verdict.MISSING) == (
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogStreams",
    )
    assert check.actions(Verdict.ALLOWED) == ("logs:DescribeLogGroups",)


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("logs:*", "logs:PutLogEvents", True),
        ("*", "logs:PutLogEvents", True),
        ("LOGS:putlogevents", "logs:PutLogEvents", True),
        ("logs:Put*", "logs:PutLogEvents", True),
        ("logs:Describe?ogGroups", "logs:DescribeLogGroups", True),
        ("logs:Describe*", "logs:PutLogEvents", False),
        ("ec2:*", "logs:PutLogEvents", False),
        ("logs:[P]utLogEvents", "logs:PutLogEvents", False),
    ],
)
def test_action_wildcards(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


def test_one_missing_action_is_named() -> None:
    actions = [a for a in DELIVERY_ACTIONS if a != "logs:PutLogEvents"]
    check = check_permissions([("delivery", allow(actions))])
    assert not check.ok
    assert check.actions(Verdict.MISSING) == ("logs:PutLogEvents",)
    assert check.verdict is Verdict.MISSING


def test_string_action_and_wildcards_across_two_policies() -> None:
    check = check_permissions(
        [
            ("a", allow("logs:Create*")),
            ("b", json.dumps(allow(["logs:PutLogEvents", "logs:Desc*"]))),
        ]
    )
    assert check.ok


def test_deny_beats_allow() -> None:
    deny = {"Statement": {"Effect": "Deny", "Action": "logs:PutLogEvents", "Resource": "*"}}
    check = check_permissions([("all", allow("*")), ("guard", deny)])
    assert check.actions(Verdict.DENIED) == ("logs:PutLogEvents",)
    assert "guard" in next(c.reason for c in check.checks if c.verdict is Verdict.DENIED)


def test_not_action_allows_everything_else() -> None:
    everything_but_iam = {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}
    assert check_permissions([("p", everything_but_iam)]).ok
    without_logs = {"Statement": [{"Effect": "Allow", "NotAction": "logs:*", "Resource": "*"}]}
    assert check_permissions([("p", without_logs)]).verdict is Verdict.MISSING


def test_conditions_and_unknown_resources_are_cannot_tell() -> None:
    conditional = allow(list(DELIVERY_ACTIONS), Condition={"Bool": {"aws:SecureTransport": "true"}})
    assert check_permissions([("p", conditional)]).verdict is Verdict.UNKNOWN
    scoped = allow(list(DELIVERY_ACTIONS), "arn:aws:logs:*:*:log-group:/vpc/*")
    # Without knowing the group, a narrowed resource cannot be judged.
    assert check_permissions([("p", scoped)]).verdict is Verdict.UNKNOWN


def test_url_encoded_documents_and_bad_documents() -> None:
    from urllib.parse import quote

    assert check_permissions([("p", quote(json.dumps(allow("logs:*"))))]).ok
    with pytest.raises(PolicyFormatError, match="policy broken"):
        check_permissions([("broken", "{not json")])
    with pytest.raises(PolicyFormatError):
        check_permissions([("odd", {"Statement": [{"Effect": "Allow", "Action": 3}]})])


def test_trust_policy_for_another_service_is_missing() -> None:
    ec2_trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ]
    }
    check = check_trust(ec2_trust, ACCOUNT)
    assert check.verdict is Verdict.MISSING
    assert SERVICE_PRINCIPAL in check.reason


def test_trust_policy_service_list_and_no_condition() -> None:
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["ec2.amazonaws.com", SERVICE_PRINCIPAL]},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ]
    }
    assert check_trust(json.dumps(trust)).ok


def test_trust_condition_for_another_account_fails() -> None:
    check = check_trust(trust_policy("999999999999", "us-east-1"), ACCOUNT, "us-east-1")
    assert check.verdict is Verdict.MISSING
    assert "999999999999" in check.reason and ACCOUNT in check.reason


def test_trust_condition_naming_one_flow_log_fits_only_that_one() -> None:
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": SERVICE_PRINCIPAL},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "ArnEquals": {
                        "aws:SourceArn": f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc-flow-log/fl-1"
                    }
                },
            }
        ]
    }
    assert check_trust(trust, ACCOUNT, "us-east-1", flow_log_id="fl-1").ok
    assert not check_trust(trust, ACCOUNT, "us-east-1").ok


def test_trust_unknown_condition_and_deny() -> None:
    unknown = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": SERVICE_PRINCIPAL},
                "Action": "sts:AssumeRole",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            }
        ]
    }
    assert check_trust(unknown, ACCOUNT).verdict is Verdict.UNKNOWN
    denied = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": SERVICE_PRINCIPAL}, "Action": "sts:*"},
            {"Effect": "Deny", "Principal": {"Service": SERVICE_PRINCIPAL}, "Action": "*"},
        ]
    }
    assert check_trust(denied, ACCOUNT).verdict is Verdict.DENIED
    assert check_trust("not json").verdict is Verdict.UNKNOWN
