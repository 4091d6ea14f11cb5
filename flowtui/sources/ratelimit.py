"""One rate limiter per account and region, shared by fetch, tail, enrichment and explain.

CloudWatch Logs quotas are account-wide (FilterLogEvents: 5-25 calls/s depending on the region,
shared with every colleague and tool), so flowtui spends a share of the region's quota (see
`default_budget`) and owns the retries: botocore makes a single attempt, and this module waits
for a token, calls, and on throttling, server errors or a dropped connection backs off with
jitter. EC2 and IAM calls take tokens from buckets of their own (their quotas are apart).
Waits are cancellable and published to listeners as `LimiterState`, so the UI can say
"throttled, retrying in 3 s".

Throttling is never an error: it is retried until the caller cancels. Connection failures are
retried for a bounded time (60 s) and then raised as `EndpointUnreachableError`; server errors
(5xx) for 15 s, then raised as `ServiceUnavailableError` (a 5xx that persists is usually an
operation the endpoint does not implement, not an outage). The caller may retry either later.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Protocol, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from flowtui.sources.aws import (
    ErrorContext,
    OperationCancelled,
    ServiceUnavailableError,
    error_code,
    http_status,
    scrub,
    translate_error,
    unreachable_error,
)

if TYPE_CHECKING:
    from flowtui.sources.aws import AwsConnection

T = TypeVar("T")

#: FilterLogEvents, the call a fetch makes most, has the lowest quota of the read calls:
#: 10 calls/s per account in most regions (CloudWatch Logs quotas, read 2026-11).
_FILTER_QUOTA = 10.0
_FILTER_QUOTA_BY_REGION = {
    "us-east-1": 25.0,
    "ap-northeast-3": 5.0,
    "ap-southeast-3": 5.0,
    "ca-west-1": 5.0,
    "eu-central-1": 5.0,
    "il-central-1": 5.0,
}
#: The share of that quota flowtui spends by default; the rest is left to colleagues and
#: other tools in the account.
QUOTA_SHARE = 0.4
#: Calls per second for flowtui's CloudWatch Logs calls in one account and region (most
#: regions).
DEFAULT_CALLS_PER_S = QUOTA_SHARE * _FILTER_QUOTA
#: Calls per second for each other service (EC2, IAM) at the least: they have quotas of their
#: own (EC2's non-mutating calls refill at 20 calls/s per account), so they do not spend the
#: logs budget; a budget set higher than this applies to them too.
OTHER_SERVICE_CALLS_PER_S = 8.0
#: The service whose calls spend the budget: "logs" in "logs:FilterLogEvents".
BUDGET_SERVICE = "logs"


def default_budget(region: str | None) -> float:
    """The default budget in `region`: QUOTA_SHARE of its FilterLogEvents quota (10 calls/s
    in us-east-1, 4 in most regions, 2 where the quota is 5)."""
    return QUOTA_SHARE * _FILTER_QUOTA_BY_REGION.get(region or "", _FILTER_QUOTA)


THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "LimitExceededException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
    }
)
_SERVER_ERROR_CODES = frozenset({"InternalFailure", "ServiceUnavailable", "InternalError"})


class Clock(Protocol):
    """Time as sources see it; tests and benchmarks inject a manual clock."""

    def monotonic(self) -> float: ...

    def now_ms(self) -> int:
        """Wall-clock time in ms since the epoch."""
        ...

    def sleep(self, seconds: float, cancel: threading.Event | None) -> bool:
        """Wait; False when `cancel` was set before the time was up."""
        ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def sleep(self, seconds: float, cancel: threading.Event | None) -> bool:
        if cancel is None:
            time.sleep(max(0.0, seconds))
            return True
        return not cancel.wait(max(0.0, seconds))


SYSTEM_CLOCK = SystemClock()


@dataclass(frozen=True, slots=True)
class LimiterState:
    """What the status bar shows about API calls."""

    calls: int
    throttled: bool
    reconnecting: bool
    #: Length of the current backoff wait (0 when not waiting).
    waiting_s: float
    last_error: str | None


LimiterListener = Callable[[LimiterState], None]


class Failure(Enum):
    """How a failed attempt is retried."""

    THROTTLED = "throttled"
    SERVER = "server error"
    CONNECTION = "connection"


def classify_failure(exc: BaseException) -> Failure | None:
    """The retry class of an exception, or None when retrying cannot help."""
    if isinstance(exc, ClientError):
        if error_code(exc) in THROTTLING_CODES or http_status(exc) == 429:
            return Failure.THROTTLED
        if http_status(exc) >= 500 or error_code(exc) in _SERVER_ERROR_CODES:
            return Failure.SERVER
        return None
    if isinstance(exc, HTTPClientError | BotoConnectionError):
        return Failure.CONNECTION
    return None


@dataclass(slots=True)
class _Bucket:
    """Tokens of one service's calls: `rate` per second, at most `burst` saved up."""

    rate: float
    burst: float
    tokens: float
    refilled_at: float

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.refilled_at)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.refilled_at = now


def _bucket(rate: float, burst: float | None, now: float) -> _Bucket:
    size = burst if burst is not None else max(1.0, rate)
    return _Bucket(rate, size, size, now)


class RateLimiter:
    """Token buckets plus retry policy; thread-safe; listeners are called from caller threads.

    CloudWatch Logs calls spend the budget (`calls_per_s`); each other service (EC2, IAM) has a
    bucket of its own at OTHER_SERVICE_CALLS_PER_S or the budget, whichever is higher, as AWS
    counts its quotas per service.
    """

    def __init__(
        self,
        calls_per_s: float = DEFAULT_CALLS_PER_S,
        *,
        burst: float | None = None,
        clock: Clock = SYSTEM_CLOCK,
        rng: random.Random | None = None,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 20.0,
        give_up_unreachable_after_s: float = 60.0,
        give_up_server_errors_after_s: float = 15.0,
        context: ErrorContext | None = None,
    ) -> None:
        self._clock = clock
        self._rng = rng or random.Random()
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._give_up_after_s = {
            Failure.CONNECTION: give_up_unreachable_after_s,
            Failure.SERVER: give_up_server_errors_after_s,
        }
        self._context = context or ErrorContext()
        #: When the current run of connection failures began (None while calls get answers),
        #: and whether patience counts from there (one-shot commands) or from each call.
        self._outage_since: float | None = None
        self._outage_error: BaseException | None = None
        self._patience_per_outage = False
        self._lock = threading.Lock()
        self._listeners: list[LimiterListener] = []
        self._calls_by_action: Counter[str] = Counter()
        self._state = LimiterState(0, False, False, 0.0, None)
        self._buckets = {BUDGET_SERVICE: _bucket(calls_per_s, burst, clock.monotonic())}

    # --- budget and observation -----------------------------------------------------------

    @property
    def calls_per_s(self) -> float:
        """CloudWatch Logs calls per second this limiter allows (the budget)."""
        with self._lock:
            return self._buckets[BUDGET_SERVICE].rate

    def set_patience(self, unreachable_s: float, *, per_outage: bool = False) -> None:
        """How long connection failures are retried before a call gives up: long for a live
        view that should ride out an outage, short for a one-shot command.

        With `per_outage`, the time counts from the first failure of the outage, not of each
        call: once the outage is older than `unreachable_s`, calls give up without trying
        until one gets an answer, so a command making several calls (some of them optional
        lookups that degrade quietly) still gives up within `unreachable_s`.
        """
        with self._lock:
            self._give_up_after_s[Failure.CONNECTION] = unreachable_s
            self._patience_per_outage = per_outage
            self._outage_since = self._outage_error = None  # a new command tries afresh

    def set_budget(self, calls_per_s: float, burst: float | None = None) -> None:
        if calls_per_s <= 0:
            raise ValueError("the call budget must be positive")
        with self._lock:
            now = self._clock.monotonic()
            for bucket in self._buckets.values():
                bucket.refill(now)
            logs = self._buckets[BUDGET_SERVICE]
            logs.rate = calls_per_s
            logs.burst = burst if burst is not None else max(1.0, calls_per_s)
            for service, bucket in self._buckets.items():
                if service != BUDGET_SERVICE:
                    bucket.rate = bucket.burst = self._other_service_rate()
                bucket.tokens = min(bucket.tokens, bucket.burst)

    @property
    def state(self) -> LimiterState:
        return self._state

    def calls_by_action(self) -> dict[str, int]:
        """Attempts made so far per action (including retried ones)."""
        with self._lock:
            return dict(self._calls_by_action)

    def add_listener(self, listener: LimiterListener) -> Callable[[], None]:
        """Subscribe to state changes; returns the function that unsubscribes."""
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    # --- calls ----------------------------------------------------------------------------

    def call(
        self,
        fn: Callable[[], T],
        action: str,
        cancel: threading.Event | None = None,
        *,
        resource: str | None = None,
    ) -> T:
        """Call `fn` within the budget, retrying transient failures.

        `action` is the IAM action ("logs:FilterLogEvents"), used in counts and messages.
        Raises a `SourceError` for failures retrying cannot fix, `OperationCancelled` when
        `cancel` is set while waiting.
        """
        attempt = 0
        failing_since: float | None = None
        self._give_up_if_out_of_patience()
        while True:
            self._take_token(action, cancel)
            self._count(action)
            attempt_started = self._clock.monotonic()
            try:
                result = fn()
            except (ClientError, BotoCoreError) as exc:
                failure = classify_failure(exc)
                if failure != Failure.CONNECTION:
                    self._outage_since = None  # the endpoint answered
                if failure is None:
                    self._update(last_error=_short(exc))
                    raise translate_error(
                        exc, action, resource=resource, context=self._context
                    ) from None
                now = self._clock.monotonic()
                # From the start of the first failed attempt: a timeout is time spent failing.
                failing_since = attempt_started if failing_since is None else failing_since
                if failure == Failure.CONNECTION:
                    failing_since = self._outage_start(failing_since, exc)
                limit = self._give_up_after_s.get(failure)
                if limit is not None and now - failing_since >= limit:
                    raise self._give_up(exc, failure) from None
                # The last retry happens at the limit, not up to a whole backoff after it.
                remaining = None if limit is None else limit - (now - failing_since)
                self._back_off(attempt, failure, exc, cancel, at_most_s=remaining)
                attempt += 1
                continue
            self._outage_since = None
            if self._state.throttled or self._state.reconnecting or self._state.waiting_s:
                self._update(throttled=False, reconnecting=False, waiting_s=0.0)
            else:
                self._publish()
            return result

    def _outage_start(self, failing_since: float, exc: BaseException) -> float:
        """When this call's connection failures count from (see `set_patience`)."""
        with self._lock:
            if self._outage_since is None:
                self._outage_since = failing_since
            self._outage_error = exc
            return self._outage_since if self._patience_per_outage else failing_since

    def _give_up_if_out_of_patience(self) -> None:
        with self._lock:
            since, error = self._outage_since, self._outage_error
            limit = self._give_up_after_s.get(Failure.CONNECTION)
            if not self._patience_per_outage or since is None or error is None or limit is None:
                return
        if self._clock.monotonic() - since >= limit:
            raise unreachable_error(error, self._context)

    def _give_up(self, exc: BaseException, failure: Failure) -> Exception:
        # reconnecting stays True until a call succeeds: the UI keeps showing the outage.
        if failure == Failure.CONNECTION:
            # Also when the first attempt already used up the patience (a timeout).
            self._update(reconnecting=True, waiting_s=0.0, last_error=_short(exc))
            return unreachable_error(exc, self._context)
        self._update(waiting_s=0.0, last_error=_short(exc))
        return ServiceUnavailableError(
            f"the service keeps failing ({_short(exc)}); try again later"
        )

    def _back_off(
        self,
        attempt: int,
        failure: Failure,
        exc: BaseException,
        cancel: threading.Event | None,
        at_most_s: float | None = None,
    ) -> None:
        ceiling = min(self._backoff_cap_s, self._backoff_base_s * (2**attempt))
        delay = ceiling / 2 + self._rng.uniform(0, ceiling / 2)
        if at_most_s is not None:
            delay = max(0.0, min(delay, at_most_s))
        throttled = failure == Failure.THROTTLED
        self._update(
            throttled=throttled,
            reconnecting=not throttled,
            waiting_s=delay,
            last_error=_short(exc),
        )
        if not self._clock.sleep(delay, cancel):
            self._update(waiting_s=0.0)
            raise OperationCancelled()

    def _other_service_rate(self) -> float:
        return max(OTHER_SERVICE_CALLS_PER_S, self._buckets[BUDGET_SERVICE].rate)

    def _take_token(self, action: str, cancel: threading.Event | None) -> None:
        if cancel is not None and cancel.is_set():
            raise OperationCancelled()
        service = action.partition(":")[0] or BUDGET_SERVICE
        with self._lock:
            now = self._clock.monotonic()
            bucket = self._buckets.get(service)
            if bucket is None:
                bucket = self._buckets[service] = _bucket(self._other_service_rate(), None, now)
            bucket.refill(now)
            bucket.tokens -= 1  # reserve now, so concurrent callers queue in order
            wait = 0.0 if bucket.tokens >= 0 else -bucket.tokens / bucket.rate
        if wait > 0 and not self._clock.sleep(wait, cancel):
            with self._lock:
                bucket.tokens += 1
            raise OperationCancelled()

    # --- state ----------------------------------------------------------------------------

    def _count(self, action: str) -> None:
        with self._lock:
            self._calls_by_action[action] += 1
            self._state = _replace(self._state, calls=self._state.calls + 1)

    def _update(
        self,
        *,
        throttled: bool | None = None,
        reconnecting: bool | None = None,
        waiting_s: float | None = None,
        last_error: str | None = None,
    ) -> None:
        with self._lock:
            current = self._state
            self._state = LimiterState(
                calls=current.calls,
                throttled=current.throttled if throttled is None else throttled,
                reconnecting=current.reconnecting if reconnecting is None else reconnecting,
                waiting_s=current.waiting_s if waiting_s is None else waiting_s,
                last_error=current.last_error if last_error is None else last_error,
            )
        self._publish()

    def _publish(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
            state = self._state
        for listener in listeners:
            listener(state)


def _replace(state: LimiterState, *, calls: int) -> LimiterState:
    return LimiterState(
        calls, state.throttled, state.reconnecting, state.waiting_s, state.last_error
    )


def _short(exc: BaseException) -> str:
    code = error_code(exc)
    if code:
        message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", ""))
        return scrub(f"{code}: {message}" if message else code)
    return scrub(f"{type(exc).__name__}: {exc}")


_registry_lock = threading.Lock()
_registry: dict[str, RateLimiter] = {}


def limiter_for(conn: AwsConnection) -> RateLimiter:
    """The process-wide limiter of the connection's account and region."""
    with _registry_lock:
        limiter = _registry.get(conn.limiter_key)
        if limiter is None:
            limiter = RateLimiter(default_budget(conn.region), context=conn.error_context)
            _registry[conn.limiter_key] = limiter
        return limiter
