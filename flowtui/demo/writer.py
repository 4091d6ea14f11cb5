"""Ships the demo's traffic to the endpoint within CloudWatch Logs' PutLogEvents limits.

`plan_batches` splits a stream's events into batches AWS accepts; `backfill` writes past hours
at start; `TrafficWriter` is the thread that writes records as the generator's clock makes them
due.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from operator import itemgetter
from typing import TYPE_CHECKING

from flowtui.demo.traffic import Event, TrafficGenerator

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient

# PutLogEvents limits (CloudWatch enforces them; moto does not).
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26
MAX_EVENT_AGE_MS = 14 * 24 * 3600 * 1000
MAX_EVENT_LEAD_MS = 2 * 3600 * 1000
MAX_BATCH_SPAN_MS = 24 * 3600 * 1000


def _event_cost(message: str) -> int:
    return len(message.encode()) + EVENT_OVERHEAD_BYTES


def plan_batches(events: Iterable[Event], now_ms: int) -> list[list[Event]]:
    """Split one stream's events into PutLogEvents batches AWS accepts.

    Each batch is chronological, holds at most 10,000 events and 1 MB (message bytes + 26 per
    event), and spans at most 24 hours. Events AWS would reject (older than 14 days, more
    than 2 hours ahead of `now_ms`, or larger than a batch) are left out.
    """
    accepted = sorted(
        (
            event
            for event in events
            if now_ms - MAX_EVENT_AGE_MS <= event[0] <= now_ms + MAX_EVENT_LEAD_MS
            and _event_cost(event[1]) <= MAX_BATCH_BYTES
        ),
        key=itemgetter(0),
    )
    batches: list[list[Event]] = []
    current: list[Event] = []
    size = 0
    for event in accepted:
        cost = _event_cost(event[1])
        if current and (
            len(current) == MAX_BATCH_EVENTS
            or size + cost > MAX_BATCH_BYTES
            or event[0] - current[0][0] > MAX_BATCH_SPAN_MS
        ):
            batches.append(current)
            current, size = [], 0
        current.append(event)
        size += cost
    if current:
        batches.append(current)
    return batches


class _Shipper:
    """Puts events into streams, creating each stream the first time it is seen."""

    def __init__(self, client: CloudWatchLogsClient, now: Callable[[], float]) -> None:
        self._client = client
        self._now = now
        self._known: set[tuple[str, str]] = set()

    def ship(self, group: str, streams: Mapping[str, list[Event]]) -> int:
        shipped = 0
        now_ms = int(self._now() * 1000)
        for stream, events in streams.items():
            self._ensure_stream(group, stream)
            for batch in plan_batches(events, now_ms):
                self._client.put_log_events(
                    logGroupName=group,
                    logStreamName=stream,
                    logEvents=[{"timestamp": ts, "message": message} for ts, message in batch],
                )
                shipped += len(batch)
        return shipped

    def _ensure_stream(self, group: str, stream: str) -> None:
        if (group, stream) in self._known:
            return
        with contextlib.suppress(self._client.exceptions.ResourceAlreadyExistsException):
            self._client.create_log_stream(logGroupName=group, logStreamName=stream)
        self._known.add((group, stream))


_BACKFILL_CHUNK_SECONDS = 600.0


def backfill(
    client: CloudWatchLogsClient, generator: TrafficGenerator, hours: float = 2.0
) -> float:
    """Write the last `hours` of history; returns the time written up to (the writer's start)."""
    until = generator.now()
    shipper = _Shipper(client, generator.now)
    chunk_start = until - hours * 3600
    while chunk_start < until:
        chunk_end = min(chunk_start + _BACKFILL_CHUNK_SECONDS, until)
        for group in generator.account.group_names:
            shipper.ship(group, generator.records_between(chunk_start, chunk_end, group))
        chunk_start = chunk_end
    return until


class TrafficWriter(threading.Thread):
    """Writes the generator's records to the endpoint as they become due, until stopped.

    A failed write (the endpoint went away, a throttle) is kept in `last_error` and retried on
    the next tick; it never ends the thread.
    """

    def __init__(
        self,
        client: CloudWatchLogsClient,
        generator: TrafficGenerator,
        since: float,
        *,
        interval: float = 1.0,
        follow: Callable[[], object] | None = None,
        follow_every: float = 5.0,
    ) -> None:
        """`follow` is called every `follow_every` seconds before writing: it brings the
        generator's flow logs up to date (`flowtui.demo.follow.follow_flow_logs`)."""
        super().__init__(name="flowtui-demo-traffic", daemon=True)
        self._follow = follow
        self._follow_every = follow_every
        self._followed_at = float("-inf")
        self._generator = generator
        self._shipper = _Shipper(client, generator.now)
        self._cursor = since
        self._interval = interval
        self._stopping = threading.Event()
        self.events_written = 0
        self.last_error: str | None = None

    def write_due(self) -> int:
        """Write everything delivered since the last call; returns the number of events."""
        until = self._generator.now()
        written = 0
        for group in self._generator.account.group_names:
            written += self._shipper.ship(
                group, self._generator.records_between(self._cursor, until, group)
            )
        self._cursor = until
        self.events_written += written
        return written

    def run(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        while not self._stopping.wait(self._interval):
            try:
                now = time.monotonic()
                if self._follow is not None and now - self._followed_at >= self._follow_every:
                    self._followed_at = now
                    self._follow()
                self.write_due()
                self.last_error = None
            except (BotoCoreError, ClientError) as error:
                self.last_error = str(error)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)
