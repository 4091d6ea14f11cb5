"""The fault injector itself: what tests rely on it to do."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

from flowtui.demo.faults import FaultInjector, ManualClock
from flowtui.sources.aws import AwsConnection


def test_every_nth_call_is_throttled_and_counted(
    conn: AwsConnection, faults: FaultInjector
) -> None:
    faults.throttle("DescribeLogGroups", every=2)
    conn.logs.describe_log_groups()
    with pytest.raises(ClientError, match="ThrottlingException"):
        conn.logs.describe_log_groups()
    assert faults.calls("DescribeLogGroups") == 2
    assert faults.faults == {"DescribeLogGroups:throttle": 1}


def test_a_rate_cap_throttles_calls_above_it(
    conn: AwsConnection, faults: FaultInjector, clock: ManualClock
) -> None:
    faults.clock = clock
    faults.cap_rate(2)
    conn.logs.describe_log_groups()
    conn.logs.describe_log_groups()
    with pytest.raises(ClientError, match="Rate exceeded"):
        conn.logs.describe_log_groups()
    clock.advance(1.0)
    conn.logs.describe_log_groups()


def test_an_outage_drops_connections_until_the_clock_passes_it(
    conn: AwsConnection, faults: FaultInjector, clock: ManualClock
) -> None:
    faults.clock = clock
    faults.outage(5)
    with pytest.raises(ConnectionClosedError):
        conn.ec2.describe_vpcs()
    clock.advance(5)
    conn.ec2.describe_vpcs()


def test_ec2_errors_are_spelled_in_the_ec2_protocol(
    conn: AwsConnection, faults: FaultInjector
) -> None:
    faults.deny("DescribeInstances")
    with pytest.raises(ClientError) as caught:
        conn.ec2.describe_instances()
    assert caught.value.response["Error"]["Code"] == "UnauthorizedOperation"
