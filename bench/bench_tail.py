"""Tail at 200 new events/s for a simulated 10 minutes, a quarter of them 1 to 14 minutes late.

Prints records lost and duplicated, API calls per second (simulated time), calls per poll and
per sweep, and the memory the tail holds over time. The endpoint (moto behind the fault
injector, 1 MB pages) runs in its own process; time is a manual clock that the rate limiter's
waits also advance, so the run takes a few minutes, not ten.

    .venv/bin/python bench/bench_tail.py [--rate 200] [--minutes 10] [--enis 20]
"""

from __future__ import annotations

import argparse
import os
import random
import time
import tracemalloc
from collections import Counter
from statistics import mean

import boto3
from botocore.config import Config

from flowtui.core.events import EventBatch
from flowtui.core.query import Query
from flowtui.demo.faults import (
    ONE_MB,
    EndpointProcess,
    Event,
    ManualClock,
    eni_id,
    flow_line,
    stream_of,
    write_events,
)
from flowtui.sources.aws import ConnectionOptions, connect
from flowtui.sources.ratelimit import RateLimiter
from flowtui.sources.tail import PollKind, Tailer

GROUP = "/bench/tail"
REGION = "us-east-1"
STEP_S = 5
DRAIN_S = 120
LOOKBACK_S = 900


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=200, help="new events per second")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--enis", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    duration_s = int(args.minutes * 60)
    # Start in the past: moto refuses timestamps more than 2 hours ahead of the real clock.
    start_ms = int(time.time() * 1000) - (duration_s + LOOKBACK_S + 600) * 1000
    arrivals = _arrivals(args.rate, args.enis, start_ms, duration_s)
    with EndpointProcess(page_cap_bytes=ONE_MB) as endpoint:
        _run(endpoint, arrivals, start_ms, duration_s, args)


def _arrivals(rate: int, enis: int, start_ms: int, duration_s: int) -> list[tuple[int, Event]]:
    """(arrival ms, event) for records stamped from a lookback before the start to the end:
    three quarters arrive within 10 s, a quarter 1 to 14 minutes after their timestamp. Only
    records that arrive before the end are written; the arrival rate is steady at `rate`."""
    rng = random.Random(42)
    first_ms = start_ms - LOOKBACK_S * 1000
    end_ms = start_ms + duration_s * 1000
    result = []
    for sequence in range(rate * (duration_s + LOOKBACK_S)):
        timestamp = first_ms + sequence * 1000 // rate
        late = rng.random() < 0.25
        delay_ms = rng.randrange(60_000, 840_001) if late else rng.randrange(0, 10_000)
        if timestamp + delay_ms > end_ms:
            continue
        number = sequence % enis
        line = flow_line(rng, eni_id(number), sequence, timestamp)
        result.append((timestamp + delay_ms, (stream_of(number), timestamp, line)))
    result.sort(key=lambda item: item[0])
    return result


def _run(
    endpoint: EndpointProcess,
    arrivals: list[tuple[int, Event]],
    start_ms: int,
    duration_s: int,
    args: argparse.Namespace,
) -> None:
    config = Config(retries={"mode": "standard", "max_attempts": 10})
    writer = boto3.client("logs", region_name=REGION, endpoint_url=endpoint.url, config=config)
    writer.create_log_group(logGroupName=GROUP)
    streams: set[str] = set()
    clock = ManualClock(start_ms)
    conn = connect(ConnectionOptions(region=REGION, endpoint_url=endpoint.url))
    limiter = RateLimiter(clock=clock, context=conn.error_context)  # default budget, 4 calls/s
    delivered: Counter[Event] = Counter()

    def on_batch(batch: EventBatch) -> None:
        assert batch.streams is not None and batch.timestamps is not None
        delivered.update(zip(batch.streams, batch.timestamps, batch.messages, strict=True))

    tracemalloc.start()
    tail = Tailer(conn, limiter, Query(GROUP), on_batch, clock, lookback_s=LOOKBACK_S)
    written: list[Event] = []
    cursor = 0
    memory: list[tuple[int, int, float]] = []
    wall = time.perf_counter()
    end_ms = start_ms + (duration_s + DRAIN_S) * 1000
    next_sample_ms = start_ms
    while clock.now_ms() < end_ms:
        now_ms = clock.now_ms()
        due = cursor
        while due < len(arrivals) and arrivals[due][0] <= now_ms:
            due += 1
        batch = [event for _, event in arrivals[cursor:due]]
        write_events(writer, GROUP, batch, streams)
        written += batch
        cursor = due
        while tail.poll_once() is not None:
            pass
        if now_ms >= next_sample_ms:
            memory.append((round((now_ms - start_ms) / 1000), tail.stats.remembered, _tail_mb()))
            next_sample_ms += 60_000
        clock.advance(STEP_S)
    wall = time.perf_counter() - wall
    _report(
        tail,
        written=written,
        delivered=delivered,
        memory=memory,
        args=args,
        duration_s=duration_s,
        wall=wall,
    )


def _tail_mb() -> float:
    """Memory allocated by the tail's own code and still held (the seen ids)."""
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [
            tracemalloc.Filter(True, "*flowtui/sources/tail.py"),
            tracemalloc.Filter(True, "*flowtui/core/events.py"),
        ]
    )
    return sum(stat.size for stat in snapshot.statistics("filename")) / 1e6


def _report(
    tail: Tailer,
    *,
    written: list[Event],
    delivered: Counter[Event],
    memory: list[tuple[int, int, float]],
    args: argparse.Namespace,
    duration_s: int,
    wall: float,
) -> None:
    expected = Counter(written)
    lost = sum((expected - delivered).values())
    duplicated = sum(count - 1 for count in delivered.values() if count > 1)
    unexpected = sum((delivered - expected).values())
    sweeps = [r for r in tail.history if r.kind is PollKind.SWEEP]
    polls = [r for r in tail.history if r.kind is PollKind.POLL]
    simulated = duration_s + DRAIN_S
    print(
        f"tail at {args.rate} events/s for {args.minutes:g} simulated minutes "
        f"(+{DRAIN_S} s without new records), {args.enis} ENIs, a quarter 1-14 min late, "
        "1 MB pages"
    )
    print(f"  written {len(written):,}  delivered {sum(delivered.values()):,}")
    print(f"  lost {lost}  duplicated {duplicated}  never written but delivered {unexpected}")
    print(
        f"  API calls {tail.stats.calls} in {simulated} simulated s = "
        f"{tail.stats.calls / simulated:.2f} calls/s  (target <= 1)"
    )
    print(
        f"  sweeps {len(sweeps)}: {mean(r.calls for r in sweeps):.1f} calls each; "
        f"polls {len(polls)}: {mean(r.calls for r in polls):.1f} calls each; "
        f"failures {tail.stats.failures}"
    )
    print("  memory held by the tail (seen ids), per simulated minute:")
    for second, remembered, megabytes in memory:
        print(f"    t={second:>4} s  ids {remembered:>7,}  {megabytes:6.1f} MB")
    print(f"  wall time {wall:.0f} s")


if __name__ == "__main__":
    main()
