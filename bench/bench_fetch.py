"""Fetch 100,000 events from 50 ENIs: flowtui against `aws logs filter-log-events --interleaved`
and `awslogs get`, on the same endpoint in one run, with and without a 10 calls/s + 1 MB page cap.

Prints, per tool: API calls the endpoint saw (throttled ones included), client CPU time, wall
time, and events returned. The endpoint (moto behind the fault injector) runs in its own
process, so its CPU is nobody's client time. awscli and awslogs run when installed.

    .venv/bin/python bench/bench_fetch.py [--events 100000] [--enis 50]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

import boto3
from botocore.config import Config

from flowtui.core.events import EventBatch
from flowtui.core.query import Query, TimeRange
from flowtui.demo.faults import ONE_MB, EndpointProcess, spread_events, write_events
from flowtui.sources.aws import ConnectionOptions, connect
from flowtui.sources.fetch import fetch
from flowtui.sources.ratelimit import RateLimiter

GROUP = "/bench/flows"
REGION = "us-east-1"


@dataclass
class Run:
    tool: str
    calls: int | None = None
    cpu_s: float | None = None
    wall_s: float | None = None
    events: int | None = None
    note: str = ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--enis", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool; medians shown")
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    now_ms = int(time.time() * 1000)
    start_ms, end_ms = now_ms - 3_600_000, now_ms
    events = spread_events(enis=args.enis, total=args.events, start_ms=start_ms, end_ms=end_ms)
    print(f"fetch {args.events:,} events from {args.enis} ENIs (one hour), endpoint: moto")
    for title, page_cap, calls_per_s in (
        ("endpoint without limits (moto pages of 10,000 events)", None, None),
        ("endpoint enforcing 10 calls/s and 1 MB pages", ONE_MB, 10.0),
    ):
        with EndpointProcess(page_cap_bytes=page_cap, calls_per_s=calls_per_s) as endpoint:
            _load(endpoint.url, events)
            tools: list[Callable[[], Run]] = [
                partial(_flowtui, endpoint, start_ms, end_ms, budget=4.0),
                partial(_flowtui, endpoint, start_ms, end_ms, budget=10.0),
                partial(_awscli, endpoint, start_ms, end_ms),
                partial(_awslogs, endpoint, start_ms, end_ms),
            ]
            runs = [_median([tool() for _ in range(args.repeat)]) for tool in tools]
        _print(f"{title}; medians of {args.repeat} runs", runs)


def _median(runs: list[Run]) -> Run:
    def middle(values: list[float | None]) -> float | None:
        known = sorted(v for v in values if v is not None)
        return known[len(known) // 2] if known else None

    first = runs[0]
    calls = middle([r.calls for r in runs])
    events = middle([r.events for r in runs])
    return Run(
        first.tool,
        None if calls is None else int(calls),
        middle([r.cpu_s for r in runs]),
        middle([r.wall_s for r in runs]),
        None if events is None else int(events),
        first.note,
    )


def _load(url: str, events: list[tuple[str, int, str]]) -> None:
    # The loader is patient with the rate cap; the measured tools are not helped by it.
    config = Config(retries={"mode": "adaptive", "max_attempts": 50})
    logs = boto3.client("logs", region_name=REGION, endpoint_url=url, config=config)
    logs.create_log_group(logGroupName=GROUP)
    write_events(logs, GROUP, events, set())


def _flowtui(endpoint: EndpointProcess, start_ms: int, end_ms: int, *, budget: float) -> Run:
    conn = connect(ConnectionOptions(region=REGION, endpoint_url=endpoint.url))
    limiter = RateLimiter(calls_per_s=budget, context=conn.error_context)
    received = 0

    def on_batch(batch: EventBatch) -> None:
        nonlocal received
        received += len(batch)

    endpoint.clear_counts()
    cpu, wall = time.process_time(), time.perf_counter()
    fetch(conn, limiter, Query(GROUP, TimeRange.between(start_ms, end_ms)), on_batch)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    calls = endpoint.counts().get("FilterLogEvents", 0)
    return Run(f"flowtui (budget {budget:g} calls/s)", calls, cpu, wall, received)


def _awscli(endpoint: EndpointProcess, start_ms: int, end_ms: int) -> Run:
    command = [
        "aws", "logs", "filter-log-events", "--log-group-name", GROUP, "--interleaved",
        "--start-time", str(start_ms), "--end-time", str(end_ms), "--region", REGION,
        "--endpoint-url", endpoint.url, "--output", "json",
    ]  # fmt: skip
    return _external("aws logs filter-log-events --interleaved", command, endpoint, _count_json)


def _awslogs(endpoint: EndpointProcess, start_ms: int, end_ms: int) -> Run:
    def iso(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")

    command = [
        "awslogs", "get", GROUP, "ALL", "--start", iso(start_ms), "--end", iso(end_ms),
        "--aws-region", REGION, "--aws-endpoint-url", endpoint.url, "--no-color",
    ]  # fmt: skip
    return _external("awslogs get", command, endpoint, _count_lines)


def _external(
    tool: str,
    command: list[str],
    endpoint: EndpointProcess,
    count: Callable[[str], int | None],
) -> Run:
    if shutil.which(command[0]) is None:
        return Run(tool, note="not installed")
    endpoint.clear_counts()
    with tempfile.TemporaryFile("w+") as output:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        finished = subprocess.run(
            command,
            stdout=output,
            stderr=subprocess.PIPE,
            check=False,
            env={**os.environ, "AWS_PAGER": ""},
        )
        wall = time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        output.seek(0)
        events = count(output.read())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    calls = endpoint.counts().get("FilterLogEvents", 0)
    note = "" if finished.returncode == 0 else f"failed: {finished.stderr.decode()[-120:].strip()}"
    return Run(tool, calls, cpu, wall, events, note)


def _count_json(text: str) -> int | None:
    try:
        return len(json.loads(text).get("events", []))
    except json.JSONDecodeError:
        return None


def _count_lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip())


def _print(title: str, runs: list[Run]) -> None:
    print(f"\n{title}")
    print(f"  {'tool':<44} {'calls':>6} {'CPU s':>7} {'wall s':>7} {'events':>8}")
    for run in runs:
        if run.note == "not installed":
            print(f"  {run.tool:<44} not installed")
            continue
        print(
            f"  {run.tool:<44} {_fmt(run.calls, 'd'):>6} {_fmt(run.cpu_s, '.2f'):>7} "
            f"{_fmt(run.wall_s, '.2f'):>7} {_fmt(run.events, ',d'):>8} {run.note}"
        )


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


if __name__ == "__main__":
    main()
