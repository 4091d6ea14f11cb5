"""Connecting, and every failure as one clear line without credentials in it."""

from __future__ import annotations

import random
import socket
from pathlib import Path

import pytest
from botocore.stub import Stubber

from flowtui.core.query import Query
from flowtui.demo.faults import FaultInjector, ManualClock
from flowtui.sources.aws import (
    AccessDeniedError,
    AwsConnection,
    ConfigurationError,
    ConnectionOptions,
    EndpointUnreachableError,
    ExpiredCredentialsError,
    InvalidCredentialsError,
    MissingCredentialsError,
    NotFoundError,
    connect,
    is_custom_endpoint,
    scrub,
)
from flowtui.sources.fetch import fetch
from flowtui.sources.log_groups import list_log_groups, list_streams
from flowtui.sources.ratelimit import RateLimiter

SSO_CONFIG = """\
[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = ReadOnly
region = us-east-1

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_no_credentials_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(MissingCredentialsError) as caught:
        connect(ConnectionOptions(region="us-east-1"))
    assert caught.value.message.startswith("no AWS credentials found: set AWS_PROFILE")


def test_unknown_profile() -> None:
    with pytest.raises(ConfigurationError, match="AWS profile 'nope' not found"):
        connect(ConnectionOptions(profile="nope"))


def test_sso_profile_without_a_login_says_how_to_log_in(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "config").write_text(SSO_CONFIG)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path))  # an empty SSO token cache
    with pytest.raises(ExpiredCredentialsError) as caught:
        connect(ConnectionOptions(profile="dev"))
    assert caught.value.message == (
        "no valid SSO login (missing or expired): refresh it with `aws sso login --profile dev` "
        "(add --use-device-code on a host without a browser)"
    )


def test_expired_session_token_during_a_call(conn: AwsConnection, limiter: RateLimiter) -> None:
    with Stubber(conn.logs) as stub:
        stub.add_client_error("describe_log_groups", "ExpiredTokenException", "expired", 400)
        with pytest.raises(ExpiredCredentialsError) as caught:
            list_log_groups(conn, limiter)
    assert caught.value.message == (
        "the AWS session token has expired: refresh it with `aws sso login --profile default` "
        "(add --use-device-code on a host without a browser)"
    )


def test_access_denied_names_the_missing_action(
    conn: AwsConnection, limiter: RateLimiter, faults: FaultInjector
) -> None:
    conn.logs.create_log_group(logGroupName="/vpc/flows")
    faults.deny("FilterLogEvents")
    with pytest.raises(AccessDeniedError) as caught:
        fetch(conn, limiter, Query("/vpc/flows"), lambda batch: None)
    assert caught.value.message == "missing permission logs:FilterLogEvents on log group /vpc/flows"


def test_access_denied_takes_the_resource_from_the_aws_message(
    conn: AwsConnection, limiter: RateLimiter
) -> None:
    message = (
        "User: arn:aws:sts::111122223333:assumed-role/ReadOnly/me is not authorized to perform: "
        "logs:DescribeLogGroups on resource: arn:aws:logs:us-east-1:111122223333:log-group::log-stream:"
    )
    with Stubber(conn.logs) as stub:
        stub.add_client_error("describe_log_groups", "AccessDeniedException", message, 400)
        with pytest.raises(AccessDeniedError) as caught:
            list_log_groups(conn, limiter)
    assert caught.value.message == (
        "missing permission logs:DescribeLogGroups on "
        "arn:aws:logs:us-east-1:111122223333:log-group::log-stream:"
    )


def test_unknown_group(conn: AwsConnection, limiter: RateLimiter) -> None:
    with pytest.raises(NotFoundError) as caught:
        list_streams(conn, limiter, "/vpc/typo")
    assert caught.value.message == "log group /vpc/typo does not exist in region us-east-1"


def test_unreachable_endpoint_names_the_url(clock: ManualClock) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    conn = connect(ConnectionOptions(region="us-east-1", endpoint_url=url, connect_timeout=1))
    limiter = RateLimiter(clock=clock, rng=random.Random(1), give_up_unreachable_after_s=5)
    with pytest.raises(EndpointUnreachableError) as caught:
        list_log_groups(conn, limiter)
    assert caught.value.message == f"endpoint unreachable: {url}/ (EndpointConnectionError)"
    assert limiter.state.reconnecting


def test_rejected_credentials_never_reach_the_message(
    conn: AwsConnection, limiter: RateLimiter, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    aws_text = f"The security token AKIAIOSFODNN7EXAMPLE with {secret} is invalid"
    with Stubber(conn.logs) as stub:
        stub.add_client_error("describe_log_groups", "UnrecognizedClientException", aws_text, 400)
        with pytest.raises(InvalidCredentialsError) as caught:
            list_log_groups(conn, limiter)
    assert "AKIA" not in caught.value.message and secret not in caught.value.message
    assert caught.value.message.startswith("AWS rejected the credentials of profile 'default'")


def test_scrub_removes_key_ids_and_secrets() -> None:
    text = "key AKIAIOSFODNN7EXAMPLE secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY end"
    assert scrub(text) == "key [key id] secret [redacted] end"


def test_a_custom_endpoint_serves_logs_and_ec2_without_host_prefixes(conn: AwsConnection) -> None:
    assert conn.logs.meta.endpoint_url == conn.ec2.meta.endpoint_url == conn.endpoint_url
    assert conn.logs.meta.config.inject_host_prefix is False


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "AWS_ENDPOINT_URL_LOGS"])
def test_per_service_endpoint_variables_keep_working(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "http://logs.vpce.example:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", "http://ec2.vpce.example:4566")
    conn = connect(ConnectionOptions(region="eu-west-1"))
    assert conn.endpoint_url == "http://logs.vpce.example:4566"
    assert conn.logs.meta.config.inject_host_prefix is False
    assert conn.ec2.meta.endpoint_url == "http://ec2.vpce.example:4566"


def test_aws_endpoints_keep_host_prefixes() -> None:
    conn = connect(ConnectionOptions(region="eu-west-1"))
    assert conn.endpoint_url == "https://logs.eu-west-1.amazonaws.com"
    assert conn.logs.meta.config.inject_host_prefix is True
    assert not is_custom_endpoint("https://logs-fips.us-gov-west-1.amazonaws.com", "logs")
    assert is_custom_endpoint("http://127.0.0.1:5000", "logs")
