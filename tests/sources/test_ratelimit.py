"""The shared call budget: spacing, backoff, visible state, cancellation (manual clock)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from flowtui.demo.faults import ManualClock
from flowtui.sources.aws import (
    AccessDeniedError,
    ConnectionOptions,
    EndpointUnreachableError,
    ErrorContext,
    OperationCancelled,
    ServiceUnavailableError,
    connect,
)
from flowtui.sources.ratelimit import LimiterState, RateLimiter, limiter_for


class RecordingClock(ManualClock):
    def __init__(self) -> None:
        super().__init__(start_ms=1_700_000_000_000)
        self.sleeps: list[float] = []

    def sleep(self, seconds: float, cancel: threading.Event | None) -> bool:
        self.sleeps.append(seconds)
        return super().sleep(seconds, cancel)


def _client_error(code: str, status: int = 400, message: str = "") -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "FilterLogEvents")


def _failing(times: int, error: Exception, result: str = "ok") -> Callable[[], str]:
    remaining = [times]

    def call() -> str:
        if remaining[0] > 0:
            remaining[0] -= 1
            raise error
        return result

    return call


def _limiter(clock: ManualClock, **kwargs: float) -> RateLimiter:
    return RateLimiter(
        clock=clock, rng=random.Random(1), context=ErrorContext(region="eu-west-1"), **kwargs
    )


def test_calls_are_spaced_to_the_budget() -> None:
    clock = RecordingClock()
    limiter = _limiter(clock, calls_per_s=2, burst=1)
    for _ in range(5):
        limiter.call(lambda: None, "logs:FilterLogEvents")
    assert clock.monotonic() == pytest.approx(2.0)  # the first is free, then one per 0.5 s
    assert limiter.state.calls == 5


def test_throttling_backs_off_with_growing_jittered_waits_and_never_gives_up() -> None:
    clock = RecordingClock()
    limiter = _limiter(clock, calls_per_s=1000, backoff_base_s=0.5, backoff_cap_s=20)
    states: list[LimiterState] = []
    limiter.add_listener(states.append)

    result = limiter.call(
        _failing(40, _client_error("ThrottlingException")), "logs:FilterLogEvents"
    )

    assert result == "ok"
    backoffs = [s for s in clock.sleeps if s >= 0.25]
    assert len(backoffs) == 40
    for attempt, wait in enumerate(backoffs):
        ceiling = min(20.0, 0.5 * 2**attempt)
        assert ceiling / 2 <= wait <= ceiling
    assert len(set(backoffs[10:])) > 1  # jittered, not in lockstep with other clients
    assert clock.monotonic() > 300  # minutes of throttling, still no error
    assert any(s.throttled and s.waiting_s > 0 for s in states)
    assert states[-1] == LimiterState(41, False, False, 0.0, "ThrottlingException")
    assert limiter.calls_by_action() == {"logs:FilterLogEvents": 41}


def test_an_unreachable_endpoint_is_given_up_after_a_bounded_time_and_stays_visible() -> None:
    clock = RecordingClock()
    limiter = _limiter(clock, give_up_unreachable_after_s=30)
    down = EndpointConnectionError(endpoint_url="http://10.0.0.1:4566/")

    with pytest.raises(EndpointUnreachableError) as caught:
        limiter.call(_failing(1_000, down), "logs:FilterLogEvents")

    assert (
        caught.value.message
        == "endpoint unreachable: http://10.0.0.1:4566/ (EndpointConnectionError)"
    )
    # The last retry is made at the patience's end, not a whole (jittered) backoff later.
    assert 30 <= clock.monotonic() < 30.5
    assert limiter.state.reconnecting  # until a call succeeds again
    limiter.call(lambda: None, "logs:FilterLogEvents")
    assert not limiter.state.reconnecting


def test_patience_per_outage_bounds_several_calls_together() -> None:
    clock = RecordingClock()
    limiter = _limiter(clock)
    limiter.set_patience(8, per_outage=True)
    down = EndpointConnectionError(endpoint_url="http://10.0.0.1:4566/")
    for action in ("ec2:DescribeFlowLogs", "logs:DescribeLogGroups", "logs:FilterLogEvents"):
        with pytest.raises(EndpointUnreachableError):
            limiter.call(_failing(1_000, down), action)
    # A one-shot command making three calls gives up once, not three times 8 s: the later
    # calls do not even try (each try may cost a whole connect or read timeout).
    assert 8 <= clock.monotonic() < 8.5
    assert "logs:FilterLogEvents" not in limiter.calls_by_action()
    assert limiter.state.reconnecting
    # The next command (which sets its patience) tries afresh, with the whole patience.
    limiter.set_patience(8, per_outage=True)
    assert limiter.call(_failing(2, down), "logs:DescribeLogGroups") == "ok"
    assert not limiter.state.reconnecting
    started = clock.monotonic()
    with pytest.raises(EndpointUnreachableError):
        limiter.call(_failing(1_000, down), "logs:FilterLogEvents")
    assert 8 <= clock.monotonic() - started < 8.5


def test_server_errors_are_retried_then_reported() -> None:
    clock = RecordingClock()
    limiter = _limiter(clock)
    assert (
        limiter.call(_failing(3, _client_error("InternalFailure", 500)), "logs:GetLogEvents")
        == "ok"
    )
    with pytest.raises(ServiceUnavailableError, match="keeps failing"):
        limiter.call(_failing(1_000, _client_error("InternalFailure", 503)), "logs:GetLogEvents")


def test_cancel_interrupts_a_backoff() -> None:
    clock = RecordingClock()
    limiter = _limiter(clock)
    cancel = threading.Event()
    limiter.add_listener(lambda state: cancel.set() if state.throttled else None)

    with pytest.raises(OperationCancelled):
        limiter.call(_failing(5, _client_error("Throttling")), "ec2:DescribeInstances", cancel)

    assert limiter.state.waiting_s == 0.0


def test_errors_retrying_cannot_fix_are_translated_at_once() -> None:
    clock = RecordingClock()
    limiter = _limiter(clock)
    denied = _client_error(
        "AccessDeniedException", 400, "User: arn:aws:iam::1:user/x is not authorized"
    )

    with pytest.raises(AccessDeniedError) as caught:
        limiter.call(_failing(1, denied), "logs:FilterLogEvents", resource="log group /vpc/flows")

    assert caught.value.message == "missing permission logs:FilterLogEvents on log group /vpc/flows"
    assert caught.value.action == "logs:FilterLogEvents"
    assert limiter.state.calls == 1 and clock.sleeps == []


def test_one_limiter_per_account_and_region() -> None:
    east = connect(ConnectionOptions(region="us-east-1"))
    east_again = connect(ConnectionOptions(region="us-east-1"))
    west = connect(ConnectionOptions(region="us-west-2"))
    assert limiter_for(east) is limiter_for(east_again)
    assert limiter_for(east) is not limiter_for(west)


def test_the_default_budget_is_a_share_of_the_regions_filter_quota() -> None:
    """FilterLogEvents allows 25 calls/s in us-east-1, 10 in most regions and 5 in a few; the
    default leaves 60% of each to the rest of the account."""
    budgets = {
        region: limiter_for(connect(ConnectionOptions(region=region, endpoint_url=url))).calls_per_s
        for region, url in [
            ("us-east-1", "http://127.0.0.1:9/a"),
            ("eu-west-1", "http://127.0.0.1:9/b"),
            ("eu-central-1", "http://127.0.0.1:9/c"),
        ]
    }
    assert budgets == {"us-east-1": 10.0, "eu-west-1": 4.0, "eu-central-1": 2.0}


def test_the_budget_can_be_changed_while_in_use() -> None:
    clock = RecordingClock()
    limiter = _limiter(clock, calls_per_s=10, burst=1)
    limiter.set_budget(1, burst=1)
    for _ in range(3):
        limiter.call(lambda: None, "logs:FilterLogEvents")
    assert clock.monotonic() == pytest.approx(2.0)
    with pytest.raises(ValueError, match="positive"):
        limiter.set_budget(0)


def test_ec2_lookups_do_not_spend_the_cloudwatch_logs_budget() -> None:
    """Owner lookups (EC2) run beside a fetch; AWS counts their quota apart from CloudWatch
    Logs', so they neither wait for the fetch's tokens nor delay its pages."""
    clock = RecordingClock()
    limiter = _limiter(clock, calls_per_s=1, burst=1)
    limiter.call(lambda: None, "logs:FilterLogEvents")
    for _ in range(4):
        limiter.call(lambda: None, "ec2:DescribeNetworkInterfaces")
    assert clock.monotonic() == 0.0, "EC2 calls did not wait for the logs budget"
    limiter.call(lambda: None, "logs:FilterLogEvents")
    assert clock.monotonic() == pytest.approx(1.0), "the logs budget is still 1 call/s"
    for _ in range(20):
        limiter.call(lambda: None, "ec2:DescribeInstances")
    # EC2 has its own bucket: 8 saved up, then 8 calls/s (12 more calls take 1.5 s).
    assert clock.monotonic() == pytest.approx(2.5)


def test_a_budget_above_the_other_services_rate_applies_to_them_too() -> None:
    clock = RecordingClock()
    limiter = _limiter(clock, calls_per_s=40)
    for _ in range(80):
        limiter.call(lambda: None, "ec2:DescribeNetworkInterfaces")
    assert clock.monotonic() == pytest.approx(1.0)  # 40 saved up, then 40 calls/s
