"""A loss-free live tail of a log group over FilterLogEvents.

Flow-log records reach CloudWatch in bursts 1 to 15 minutes after their timestamps, and the API
filters on the event timestamp only (there is no ingestion-time filter). A cursor on "newest
timestamp seen" therefore loses late records, and re-reading the whole lookback on every poll
costs hundreds of calls at busy rates. The schedule here:

- **Poll** every `poll_interval_s` (10 s) the recent window [now - 60 s, now]: records that
  arrive promptly appear within seconds.
- **Sweep** every `sweep_interval_s` (60 s) the window [S_prev - L - m, now], where S_prev is
  the start time of the previous completed sweep, L the lookback (900 s) and m a margin (60 s)
  for clock skew and visibility lag. A record ingested at time a after S_prev with a delay of
  at most L has a timestamp >= a - L > S_prev - L, so it is inside the next sweep's window:
  no record that arrives within the lookback is lost, even when a sweep fails or is late
  (the window then simply reaches further back, up to `max_catch_up_s`).
- Every event is checked against the ids already delivered (64-bit hashes), so nothing is
  delivered twice. Ids are bucketed by event minute; buckets older than the next sweep's start
  (S_prev - L - m) can never be returned again and are dropped, which bounds memory to about
  (L + m + sweep interval) x rate ids: ~200,000 at 200 events/s.
- No stream filter ("all ENIs") covers streams created after the tail started; selected
  streams are passed by name on each call.
- `not_before_ms` is where the range being followed starts: the sweep's lookback never
  delivers an event stamped before it, so following "the last minute" does not first replay
  the 15 minutes before it. Late arrivals stamped after it are still delivered, once.

Call budget at 200 events/s, ~110-byte records, 1 MB pages (~7,700 events): a sweep reads
~(900 + 60 + 60) s x 200 = 204,000 events = ~27 pages per 60 s (0.45 calls/s); a poll reads
at most 60 s x 200 = 12,000 events = ~2 pages, 5 polls a minute (the 6th is the sweep):
0.17 calls/s. Total ~0.6 calls/s, under the 1 call/s target. When measured call counts show
that a schedule would exceed its share of `call_budget_per_s` (60% sweeps, 40% polls), the
interval stretches, so the budget holds at any rate; only latency grows.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from flowtui.core.events import EventBatch
from flowtui.core.query import Query
from flowtui.sources.aws import (
    AwsConnection,
    EndpointUnreachableError,
    OperationCancelled,
    ServiceUnavailableError,
)
from flowtui.sources.fetch import CallCounter, filter_batches
from flowtui.sources.log_groups import GroupRef, resolve_group
from flowtui.sources.ratelimit import SYSTEM_CLOCK, Clock, RateLimiter

_BUCKET_MS = 60_000
_SWEEP_SHARE = 0.6
_POLL_SHARE = 0.4


class PollKind(Enum):
    POLL = "poll"
    SWEEP = "sweep"


@dataclass(frozen=True, slots=True)
class PollReport:
    """One poll or sweep: its window, what it cost and what it found."""

    kind: PollKind
    at_ms: int
    window_start_ms: int
    window_end_ms: int
    calls: int
    pages: int
    new_events: int
    repeated_events: int
    #: Set when the endpoint could not be reached; the window is read again later.
    error: str | None = None


@dataclass(frozen=True, slots=True)
class TailStats:
    polls: int
    sweeps: int
    calls: int
    delivered: int
    repeated: int
    failures: int
    #: Event ids currently remembered (bounded by the lookback).
    remembered: int


class SeenEvents:
    """64-bit event ids bucketed by event minute, dropped once older than a cutoff."""

    def __init__(self) -> None:
        self._buckets: dict[int, set[int]] = {}
        self._size = 0

    def add(self, timestamp_ms: int, event_id: int) -> bool:
        """Remember an id; False when it was already known."""
        bucket = self._buckets.setdefault(timestamp_ms // _BUCKET_MS, set())
        if event_id in bucket:
            return False
        bucket.add(event_id)
        self._size += 1
        return True

    def forget_before(self, cutoff_ms: int) -> None:
        """Drop ids of events with timestamps in minutes that end at or before `cutoff_ms`."""
        for minute in [m for m in self._buckets if (m + 1) * _BUCKET_MS <= cutoff_ms]:
            self._size -= len(self._buckets.pop(minute))

    def __len__(self) -> int:
        return self._size

    def copy(self) -> SeenEvents:
        twin = SeenEvents()
        twin._buckets = {minute: set(ids) for minute, ids in self._buckets.items()}
        twin._size = self._size
        return twin


class Tailer:
    """Delivers each new event of the query's group and streams exactly once, in batches.

    Drive it with `run(stop)` in a worker thread, or with `poll_once()` from tests. `on_batch`
    is called from the calling thread. Feed events already loaded by a fetch to `mark_seen`
    so the overlap with the lookback is not delivered again.
    """

    def __init__(
        self,
        conn: AwsConnection,
        limiter: RateLimiter,
        query: Query,
        on_batch: Callable[[EventBatch], None],
        clock: Clock = SYSTEM_CLOCK,
        *,
        lookback_s: float = 900.0,
        poll_interval_s: float = 10.0,
        poll_window_s: float = 60.0,
        sweep_interval_s: float = 60.0,
        margin_s: float = 60.0,
        call_budget_per_s: float = 1.0,
        max_catch_up_s: float = 3600.0,
        history: int = 1000,
        seen: SeenEvents | None = None,
        not_before_ms: int | None = None,
    ) -> None:
        self._conn = conn
        self._limiter = limiter
        self._query = query
        self._on_batch = on_batch
        self._clock = clock
        self._lookback_ms = round(lookback_s * 1000)
        self._margin_ms = round(margin_s * 1000)
        self._max_catch_up_ms = round(max_catch_up_s * 1000)
        self._poll_interval_s = poll_interval_s
        self._poll_window_ms = round(poll_window_s * 1000)
        self._sweep_interval_s = sweep_interval_s
        self._poll_every_s = poll_interval_s
        self._budget = call_budget_per_s
        self._not_before_ms = not_before_ms
        # Events someone else already delivered (a fetch before the tail started).
        self._seen = seen if seen is not None else SeenEvents()
        self._ref: GroupRef | None = None
        self._cancel: threading.Event | None = None
        self._last_sweep_ms: int | None = None
        started = clock.monotonic()
        self._started = started
        self._next_sweep_at = started
        self._next_poll_at = started
        self.history: deque[PollReport] = deque(maxlen=history)
        self._polls = self._sweeps = self._calls = self._delivered = 0
        self._repeated = self._failures = 0

    # --- public ---------------------------------------------------------------------------

    def mark_seen(self, batch: EventBatch) -> None:
        """Remember events delivered by someone else (a fetch), so they are not repeated."""
        if batch.event_ids is None or batch.timestamps is None:
            return
        for timestamp, event_id in zip(batch.timestamps, batch.event_ids, strict=True):
            self._seen.add(timestamp, event_id)

    def seconds_until_due(self) -> float:
        return max(0.0, min(self._next_poll_at, self._next_sweep_at) - self._clock.monotonic())

    @property
    def stats(self) -> TailStats:
        return TailStats(
            self._polls,
            self._sweeps,
            self._calls,
            self._delivered,
            self._repeated,
            self._failures,
            len(self._seen),
        )

    def calls_per_s(self) -> float:
        """Average API calls per second since the tail started."""
        elapsed = self._clock.monotonic() - self._started
        return self._calls / elapsed if elapsed > 0 else 0.0

    def poll_once(self) -> PollReport | None:
        """Run the poll or sweep that is due now (a sweep when both are); None if none is.

        An unreachable endpoint is reported in the result and retried at the next poll;
        other SourceErrors (permissions, a deleted group) are raised.
        """
        now = self._clock.monotonic()
        if now >= self._next_sweep_at:
            return self._read(PollKind.SWEEP, now)
        if now >= self._next_poll_at:
            return self._read(PollKind.POLL, now)
        return None

    def run(self, stop: threading.Event) -> None:
        """Tail until `stop` is set. Raises SourceError for failures retrying cannot fix."""
        self._cancel = stop
        try:
            while not stop.is_set():
                self.poll_once()
                if not self._clock.sleep(self.seconds_until_due(), stop):
                    return
        except OperationCancelled:
            return
        finally:
            self._cancel = None

    # --- one read -------------------------------------------------------------------------

    def _read(self, kind: PollKind, now: float) -> PollReport:
        at_ms = self._clock.now_ms()
        start_ms = self._window_start(kind, at_ms)
        counter = CallCounter()
        new = repeated = 0
        error: str | None = None
        try:
            if self._ref is None:
                self._ref = resolve_group(
                    self._conn, self._limiter, self._query.group, self._cancel
                )
            for batch in filter_batches(
                self._conn,
                self._limiter,
                self._ref,
                start_ms,
                at_ms,
                streams=self._query.streams,
                pattern=self._query.pushdown_pattern,
                cancel=self._cancel,
                counter=counter,
            ):
                fresh = self._unseen(batch)
                new += len(fresh)
                repeated += len(batch) - len(fresh)
                if fresh.messages:
                    self._on_batch(fresh)
        except (EndpointUnreachableError, ServiceUnavailableError) as exc:
            error = exc.message
        finally:
            self._calls += counter.calls
            self._delivered += new
            self._repeated += repeated
        self._reschedule(kind, now, at_ms, counter.calls, failed=error is not None)
        report = PollReport(
            kind, at_ms, start_ms, at_ms, counter.calls, counter.pages, new, repeated, error
        )
        self.history.append(report)
        return report

    def _window_start(self, kind: PollKind, at_ms: int) -> int:
        if kind is PollKind.POLL:
            start = at_ms - self._poll_window_ms
        else:
            reach = self._lookback_ms + self._margin_ms
            previous = self._last_sweep_ms if self._last_sweep_ms is not None else at_ms
            start = max(previous - reach, at_ms - reach - self._max_catch_up_ms)
        return start if self._not_before_ms is None else max(start, self._not_before_ms)

    def _unseen(self, batch: EventBatch) -> EventBatch:
        assert batch.timestamps is not None and batch.event_ids is not None
        floor = self._not_before_ms if self._not_before_ms is not None else -1
        keep = [
            index
            for index, (timestamp, event_id) in enumerate(
                zip(batch.timestamps, batch.event_ids, strict=True)
            )
            if timestamp >= floor and self._seen.add(timestamp, event_id)
        ]
        if len(keep) == len(batch):
            return batch
        return batch.select(keep)

    def _reschedule(
        self, kind: PollKind, now: float, at_ms: int, calls: int, *, failed: bool
    ) -> None:
        if failed:
            # Try again at the next poll; a failed sweep stays due until it completes.
            self._failures += 1
            self._next_poll_at = now + self._poll_interval_s
            if kind is PollKind.SWEEP:
                self._next_sweep_at = self._next_poll_at
            return
        if kind is PollKind.SWEEP:
            self._sweeps += 1
            self._last_sweep_ms = at_ms
            self._seen.forget_before(at_ms - self._lookback_ms - self._margin_ms)
            sweep_every = max(self._sweep_interval_s, calls / (self._budget * _SWEEP_SHARE))
            self._next_sweep_at = now + sweep_every
        else:
            self._polls += 1
            self._poll_every_s = max(self._poll_interval_s, calls / (self._budget * _POLL_SHARE))
        self._next_poll_at = now + self._poll_every_s
