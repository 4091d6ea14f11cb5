"""Fetch 100,000 events from 50 ENIs as a user would: `flowtui query` against the AWS CLI (and
`awslogs get` when installed), whole processes, on the same endpoint in one run.

Prints one table: Logs API calls the endpoint saw (throttled ones included), client CPU (user +
system of the process), and wall time on three endpoints, each the median of --repeat runs:

- moto as it is. It answers one call at a time (Python under one lock) and rescans the whole
  group for every page (~100 ms per page here), so clients that overlap calls gain little.
- moto with a quota of 10 calls/s (the FilterLogEvents quota of most regions), throttling above
  it as CloudWatch does. flowtui's default budget is 40% of the region's quota: 10 calls/s in
  us-east-1 (quota 25), 4 where the quota is 10, so the row with `--rate-budget 4` is the
  default of a user whose quota this is.
- moto with --latency-ms before each answer, calls answered side by side, as on a service that
  scans on many machines. The latency is an assumption, not a measurement of AWS.

The endpoint runs in its own process, so its CPU is nobody's client time; moto's EC2 backend
and first scan are warmed up before measuring. The start-up floor line is the least any
Python client with botocore and polars can spend: interpreter, both imports, one logs client.

Then one figure for the app's path: --store-events events loaded by a live feed into the record
store (what the explorer shows), measured in a child process: the time from the first page
received to its rows being in the store, and the peak memory growth per event.

The AWS CLI (`aws`) and awslogs are not dependencies of flowtui: rows for them say "not
installed" when they are not on PATH (`pip install awscli` puts `aws` there).

    .venv/bin/python bench/bench_fetch.py [--events 100000] [--enis 50] [--repeat 3]
        [--latency-ms 300] [--store-events 1000000] [--no-store]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from flowtui.demo.faults import EndpointProcess, spread_events, write_events

GROUP = "/bench/flows"
EMPTY_GROUP = "/bench/empty"
REGION = "us-east-1"
QUOTA = 10.0
LOGS_ACTIONS = ("FilterLogEvents", "GetLogEvents", "DescribeLogGroups", "DescribeLogStreams")


@dataclass
class Sample:
    calls: int
    #: Logs calls other than FilterLogEvents (DescribeLogGroups, ...).
    other_calls: int
    cpu_s: float
    wall_s: float
    events: int | None
    error: str = ""


#: The endpoints measured: (name, quota in calls/s, latency in s).
FREE, QUOTA_RUN, LATENCY_RUN = "free", "quota", "latency"


@dataclass
class Row:
    tool: str
    command: list[str]
    count: str  # how to count the events in its output: "number" or "lines"
    #: Samples per endpoint (FREE, QUOTA_RUN, LATENCY_RUN).
    runs: dict[str, list[Sample]] = field(default_factory=dict)
    #: The same command over an empty group: start-up and connection alone.
    empty: list[Sample] = field(default_factory=list)
    installed: bool = True

    def median(self, run: str, pick: str) -> float:
        return _median([getattr(sample, pick) for sample in self.runs.get(run, [])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--enis", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool; medians shown")
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--store-events", type=int, default=1_000_000)
    parser.add_argument("--no-store", action="store_true", help="skip the record-store figure")
    parser.add_argument(
        "--store-child", nargs=2, metavar=("URL", "SINCE_S"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ["AWS_PAGER"] = ""
    if args.store_child:
        _store_child(args.store_child[0], int(args.store_child[1]))
        return
    now_ms = int(time.time() * 1000)
    events = spread_events(
        enis=args.enis, total=args.events, start_ms=now_ms - 3_600_000, end_ms=now_ms
    )
    print(
        f"{args.events:,} events over {args.enis} ENIs in the last hour; endpoint: moto in its own process"
    )
    rows = _rows()
    endpoints = [
        (FREE, None, 0.0),
        (QUOTA_RUN, QUOTA, 0.0),
        (LATENCY_RUN, None, args.latency_ms / 1000),
    ]
    for run, quota, latency_s in endpoints:
        with EndpointProcess(calls_per_s=quota, latency_s=latency_s) as endpoint:
            _load(endpoint.url, events)
            _warm(endpoint.url, now_ms)
            for _ in range(args.repeat):
                for row in rows:
                    if row.installed:
                        row.runs.setdefault(run, []).append(_run(row, endpoint))
                        if run == FREE:
                            row.empty.append(_run(row, endpoint, group=EMPTY_GROUP))
    floor = [_floor_sample() for _ in range(args.repeat)]
    _print_table(rows, args.events, args.latency_ms, floor)
    if not args.no_store:
        _store_figure(args.store_events, args.enis)


def _rows() -> list[Row]:
    since = "2h"
    start_ms = int(time.time() * 1000) - 2 * 3_600_000
    flowtui = str(Path(sys.executable).with_name("flowtui"))
    rows = [
        Row(
            "flowtui query --group G --since 2h --output count",
            [flowtui, "query", "--group", GROUP, "--since", since, "--output", "count"],
            "number",
        ),
        Row(
            "flowtui query --group G --since 2h --output count --rate-budget 4",
            [
                flowtui,
                "query",
                "--group",
                GROUP,
                "--since",
                since,
                "--output",
                "count",
                "--rate-budget",
                "4",
            ],
            "number",
        ),  # the default budget where the FilterLogEvents quota is 10 calls/s
        Row(
            "aws logs filter-log-events --interleaved --output text --query 'events[].message'",
            [
                "aws",
                "logs",
                "filter-log-events",
                "--log-group-name",
                GROUP,
                "--interleaved",
                "--start-time",
                str(start_ms),
                "--output",
                "text",
                "--query",
                "events[].message",
            ],
            "fields",
        ),
        Row(
            "awslogs get G ALL --start 2h",
            ["awslogs", "get", GROUP, "ALL", "--start", "2h", "--no-color"],
            "lines",
        ),
    ]
    for row in rows:
        row.installed = shutil.which(row.command[0]) is not None
    return rows


def _endpoint_args(row: Row, url: str) -> list[str]:
    if row.command[0] == "awslogs":
        return ["--aws-region", REGION, "--aws-endpoint-url", url]
    return ["--endpoint-url", url, "--region", REGION]


def _load(url: str, events: list[tuple[str, int, str]]) -> None:
    # The loader is patient with the rate cap; the measured tools are not helped by it.
    config = Config(retries={"mode": "adaptive", "max_attempts": 50})
    logs = boto3.client("logs", region_name=REGION, endpoint_url=url, config=config)
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_group(logGroupName=EMPTY_GROUP)
    write_events(logs, GROUP, events, set())


def _warm(url: str, now_ms: int) -> None:
    """moto builds its EC2 backend (seconds) on the first EC2 call and indexes on the first
    scan; AWS has neither cost, so neither is charged to the first tool measured."""
    config = Config(retries={"mode": "adaptive", "max_attempts": 50})
    boto3.client("ec2", region_name=REGION, endpoint_url=url, config=config).describe_flow_logs()
    logs = boto3.client("logs", region_name=REGION, endpoint_url=url, config=config)
    logs.filter_log_events(logGroupName=GROUP, startTime=now_ms - 60_000, limit=1)
    time.sleep(1.1)  # a fresh second of quota for the first measured tool


def _run(row: Row, endpoint: EndpointProcess, group: str = GROUP) -> Sample:
    endpoint.clear_counts()
    command = [group if part == GROUP else part for part in row.command]
    with tempfile.TemporaryFile("w+") as output:
        finished, cpu, wall = _timed(
            command + _endpoint_args(row, endpoint.url), stdout=output, stderr=subprocess.PIPE
        )
        output.seek(0)
        text = output.read()
    counts = endpoint.counts()
    calls = counts.get("FilterLogEvents", 0)
    other = sum(counts.get(action, 0) for action in LOGS_ACTIONS) - calls
    error = "" if finished.returncode == 0 else finished.stderr.decode()[-160:].strip()
    time.sleep(1.1)  # the next tool starts with a fresh second of quota
    return Sample(calls, other, cpu, wall, _count(text, row.count), error)


def _timed(
    command: list[str], **kwargs: Any
) -> tuple[subprocess.CompletedProcess[Any], float, float]:
    """Run `command` as a child process: its result, CPU (user + system) and wall seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    finished = subprocess.run(command, check=False, **kwargs)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return finished, cpu, wall


def _count(text: str, how: str) -> int | None:
    if how == "number":
        try:
            return int(text.strip())
        except ValueError:
            return None
    if how == "fields":  # --output text prints each page's messages on a line, tab-separated
        return sum(len(line.split("\t")) for line in text.splitlines() if line.strip())
    return sum(1 for line in text.splitlines() if line.strip())


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _floor_sample() -> Sample:
    """The least a Python client with botocore and polars spends before its first call."""
    code = (
        "import botocore.session, polars; "
        "botocore.session.get_session().create_client('logs', region_name='us-east-1')"
    )
    finished, cpu, wall = _timed([sys.executable, "-c", code])
    finished.check_returncode()
    return Sample(0, 0, cpu, wall, None)


def _print_table(rows: list[Row], expected: int, latency_ms: float, floor: list[Sample]) -> None:
    print()
    print(
        "| client | Logs API calls: FilterLogEvents (+ other) | client CPU | wall "
        f"| wall under a 10 calls/s quota | wall at {latency_ms:g} ms per call "
        "| start-up alone (empty group): CPU, wall | events |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        if not row.installed:
            print(f"| `{row.tool}` | not installed | | | | | | |")
            continue
        calls = int(row.median(FREE, "calls"))
        other = int(row.median(FREE, "other_calls"))
        empty_cpu = _median([s.cpu_s for s in row.empty])
        empty_wall = _median([s.wall_s for s in row.empty])
        samples = [s for run in row.runs.values() for s in run]
        events = {s.events for s in samples}
        errors = {s.error for s in samples + row.empty if s.error}
        shown = ", ".join(f"{e:,}" if e is not None else "?" for e in sorted(events, key=str))
        print(
            f"| `{row.tool}` | {calls} (+{other}) | {row.median(FREE, 'cpu_s'):.2f} s "
            f"| {row.median(FREE, 'wall_s'):.2f} s | {row.median(QUOTA_RUN, 'wall_s'):.2f} s "
            f"| {row.median(LATENCY_RUN, 'wall_s'):.2f} s "
            f"| {empty_cpu:.2f} s, {empty_wall:.2f} s | {shown} |"
        )
        for error in errors:
            print(f"|   failed: {error} | | | | | | | |")
    floor_cpu = _median([s.cpu_s for s in floor])
    print(
        f"\nstart-up floor (python -c 'import botocore.session, polars; create_client(logs)'): "
        f"CPU {floor_cpu:.2f} s, wall {_median([s.wall_s for s in floor]):.2f} s"
    )
    flowtui, budget_4, cli = rows[0], rows[1], rows[2]
    if cli.installed and cli.runs and flowtui.runs:

        def ratio(row: Row, run: str, pick: str) -> float:
            return row.median(run, pick) / cli.median(run, pick)

        cli_cpu = cli.median(FREE, "cpu_s")
        print(
            f"flowtui (default budget, 10 calls/s in us-east-1) / AWS CLI: "
            f"CPU {ratio(flowtui, FREE, 'cpu_s'):.2f}x (target <= 0.5; the floor alone is "
            f"{floor_cpu / cli_cpu:.2f}x), wall {ratio(flowtui, FREE, 'wall_s'):.2f}x "
            f"(target <= 0.6), wall under the quota {ratio(flowtui, QUOTA_RUN, 'wall_s'):.2f}x "
            f"(target <= 1), wall at {latency_ms:g} ms per call "
            f"{ratio(flowtui, LATENCY_RUN, 'wall_s'):.2f}x"
        )
        print(
            f"flowtui --rate-budget 4 (the default where the quota is 10 calls/s) / AWS CLI: "
            f"wall {ratio(budget_4, FREE, 'wall_s'):.2f}x, under the quota "
            f"{ratio(budget_4, QUOTA_RUN, 'wall_s'):.2f}x, at {latency_ms:g} ms per call "
            f"{ratio(budget_4, LATENCY_RUN, 'wall_s'):.2f}x; {expected:,} events expected"
        )
    elif not cli.installed:
        print("\nthe AWS CLI is not installed (pip install awscli): no comparison")


# --- the app's path: a live feed into the record store -------------------------------------


def _store_figure(total: int, enis: int) -> None:
    now_ms = int(time.time() * 1000)
    print(f"\nloading {total:,} events into the endpoint…", flush=True)
    events = spread_events(enis=enis, total=total, start_ms=now_ms - 3_600_000, end_ms=now_ms)
    with EndpointProcess() as endpoint:
        _load(endpoint.url, events)
        del events
        _warm(endpoint.url, now_ms)
        child = subprocess.run(
            [sys.executable, __file__, "--store-child", endpoint.url, "7200"],
            capture_output=True,
            text=True,
            check=False,
        )
    if child.returncode != 0:
        print(f"store figure failed: {child.stderr[-300:]}")
        return
    result = json.loads(child.stdout.strip().splitlines()[-1])
    rows = result["rows"]
    print(
        f"{total:,} events into the app's record store (live feed, default budget "
        f"{result['budget']:g} calls/s, {result['slices']} slice(s), {result['calls']} calls):\n"
        f"  first page after {result['first_page_s']:.2f} s; its rows in the store "
        f"{result['first_rows_after_page_s'] * 1000:.0f} ms later (target <= 1 s)\n"
        f"  all {rows:,} rows after {result['wall_s']:.1f} s; peak memory growth "
        f"{result['peak_growth_bytes'] / 1e6:.0f} MB = {result['peak_growth_bytes'] / max(rows, 1):.0f} "
        f"bytes/event (target <= 300); the store's columns alone: "
        f"{result['store_bytes'] / max(rows, 1):.0f} bytes/event"
    )


def _proc_status(key: str) -> int:
    """A memory figure of this process from /proc/self/status, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key} in /proc/self/status")


def _reset_peak_rss() -> int:
    """Reset the peak RSS (VmHWM) to the current RSS and return it. ru_maxrss cannot be used:
    it keeps the parent's peak from before exec."""
    Path("/proc/self/clear_refs").write_text("5")
    return _proc_status("VmRSS")


def _store_child(url: str, since_s: int) -> None:
    from flowtui.core.query import Query, TimeRange
    from flowtui.core.store import RecordStore
    from flowtui.sources.aws import ConnectionOptions, connect
    from flowtui.sources.feeds import FeedState, LiveFeed
    from flowtui.sources.ratelimit import limiter_for

    conn = connect(ConnectionOptions(region=REGION, endpoint_url=url))
    limiter = limiter_for(conn)  # the app's limiter, with its default budget
    store = RecordStore(row_cap=10_000_000)
    first_page: list[float] = []
    last: list[FeedState] = []
    errors: list[str] = []

    def on_state(state: FeedState) -> None:
        last[:] = [state]

    def on_call(_: object) -> None:
        # Published right after a call returns: the first page has arrived (and was decoded).
        if not first_page and limiter.calls_by_action().get("logs:FilterLogEvents"):
            first_page.append(time.perf_counter())

    limiter.add_listener(on_call)
    feed = LiveFeed(conn, limiter, store, None, on_state=on_state, on_error=errors.append)
    baseline = _reset_peak_rss()
    started = time.perf_counter()
    feed.load(Query(GROUP, TimeRange.last(since_s)), clear=False)
    first_rows: float | None = None
    done = threading.Event()
    while not done.is_set():
        if first_rows is None and store.row_count:
            first_rows = time.perf_counter()
        if feed.wait_for_fetch(0.005) and (last and not last[0].fetching):
            done.set()
    wall = time.perf_counter() - started
    peak = _proc_status("VmHWM")
    store_bytes = store.snapshot().frame().estimated_size()
    feed.close()
    if errors:
        raise SystemExit(errors[0])
    page_at = first_page[0] if first_page else started
    state = last[0]
    print(
        json.dumps(
            {
                "rows": store.row_count,
                "first_page_s": page_at - started,
                "first_rows_after_page_s": max(0.0, (first_rows or page_at) - page_at),
                "wall_s": wall,
                "peak_growth_bytes": peak - baseline,
                "store_bytes": store_bytes,
                "budget": limiter.calls_per_s,
                "calls": state.calls,
                "slices": state.slices,
            }
        )
    )


if __name__ == "__main__":
    main()
