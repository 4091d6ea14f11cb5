"""Finding an address, instance or name: its ENI, its stream, and whether it is logged."""

from __future__ import annotations

import time

import pytest

from flowtui.sources.aws import AwsConnection, SourceError
from flowtui.sources.ec2 import Ec2Lookups
from flowtui.sources.find import FindResult, find
from flowtui.sources.ratelimit import RateLimiter

from .conftest import Account, FlowLogWriter


def _find(
    conn: AwsConnection, limiter: RateLimiter, text: str, **kwargs: object
) -> list[FindResult]:
    return find(conn, limiter, text, lookups=Ec2Lookups(conn, limiter), **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def streams(conn: AwsConnection, account: Account) -> None:
    now_ms = int(time.time() * 1000)
    FlowLogWriter(conn, "/vpc/flows").put(
        [(f"{account.web_eni}-all", now_ms, "web"), (f"{account.db_eni}-all", now_ms, "db")]
    )


@pytest.mark.usefixtures("streams")
def test_a_private_ip_leads_to_its_eni_stream_and_flow_logs(
    conn: AwsConnection, limiter: RateLimiter, account: Account
) -> None:
    [result] = _find(conn, limiter, f" {account.db_ip} ")

    assert result.matched_by == "private IP" and result.eni.id == account.db_eni
    assert [(s.group, s.stream) for s in result.streams] == [
        ("/vpc/flows", f"{account.db_eni}-all")
    ]
    assert result.covered
    assert {f.resource_id for f in result.flow_logs or ()} == {account.vpc, account.private_subnet}


@pytest.mark.usefixtures("streams")
@pytest.mark.parametrize("how", ["instance id", "Name tag", "ENI id"])
def test_an_instance_id_name_or_eni_id_finds_the_web_server(
    conn: AwsConnection, limiter: RateLimiter, account: Account, how: str
) -> None:
    text = {"instance id": account.web_instance, "Name tag": "web-1", "ENI id": account.web_eni}[
        how
    ]

    [result] = _find(conn, limiter, text)

    assert result.matched_by == how and result.eni.id == account.web_eni
    assert ("/vpc/flows", f"{account.web_eni}-all") in [(s.group, s.stream) for s in result.streams]
    # the public subnet also delivers to an ACCEPT-only group and to a deleted group
    assert {f.log_group for f in result.flow_logs or ()} == {
        "/vpc/flows",
        "/vpc/accept-only",
        "/vpc/deleted-group",
    }


def test_an_eni_no_flow_log_covers_is_said_so(
    conn: AwsConnection, limiter: RateLimiter, account: Account
) -> None:
    [result] = _find(conn, limiter, account.other_vpc_eni)

    assert result.covered is False and result.streams == ()
    assert result.coverage.startswith(f"no flow log covers {account.other_vpc_eni} (subnet subnet-")
    assert ", VPC vpc-" in result.coverage


def test_nothing_matches_an_unknown_name(
    conn: AwsConnection, limiter: RateLimiter, account: Account
) -> None:
    assert _find(conn, limiter, "no-such-host") == []


def test_empty_input_is_a_clear_message(conn: AwsConnection, limiter: RateLimiter) -> None:
    with pytest.raises(SourceError, match="find needs an IP address, an instance id"):
        _find(conn, limiter, "  ")


@pytest.mark.usefixtures("streams")
def test_a_public_ip_finds_the_eni_it_is_associated_with(
    conn: AwsConnection, limiter: RateLimiter, account: Account
) -> None:
    allocation = conn.ec2.allocate_address(Domain="vpc")
    conn.ec2.associate_address(
        AllocationId=allocation["AllocationId"], NetworkInterfaceId=account.db_eni
    )

    [result] = _find(conn, limiter, allocation["PublicIp"])

    assert result.matched_by == "public IP" and result.eni.id == account.db_eni
    assert result.eni.public_ip == allocation["PublicIp"]
