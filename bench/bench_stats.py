"""Time every stats table over a synthetic 1,000,000-row frame (target: each under 200 ms).

Run: `.venv/bin/python bench/bench_stats.py [--rows N] [--repeat R] [--conversations C]`.
Prints one line per table and counting mode with the best and median of R runs, then the whole
stats view (12 tables counted once), and exits 1 when a table's best time misses the target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial

import polars as pl

from flowtui.core.schema import store_schema
from flowtui.core.stats.counting import Counting
from flowtui.core.stats.report import stats_overview
from flowtui.core.stats.talkers import METRICS, SIDES, rejected_ports, rejected_sources, top_talkers
from flowtui.core.stats.timeline import timeline
from flowtui.core.stats.values import COUNT_FIELDS, counts_per, value_counts

TARGET_MS = 200.0
FIELDS = [
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
    "flow-direction",
    "pkt-srcaddr",
    "pkt-dstaddr",
]
BASE_TIME = 1_700_000_000
ADDRESS_COLUMNS = ("srcaddr", "srcaddr_v6", "dstaddr", "dstaddr_v6")
COMMON_PORTS = [22, 53, 80, 123, 443, 3306, 3389, 5432, 6379, 8080]
LABELS = {f"eni-{n}": f"web-{n} (i-{n:04x})" for n in range(200)}


def _random(seed: int) -> pl.Expr:
    """A deterministic pseudo-random UInt64 per row (polars hash of the row number)."""
    return pl.int_range(pl.len(), dtype=pl.UInt64).hash(seed)


def _host(conversation: pl.Expr, seed: int, hosts: int) -> pl.Expr:
    """One end of a conversation: a host number below `hosts`."""
    return conversation.hash(seed) % hosts


def _ipv4(conversation: pl.Expr, seed: int, hosts: int) -> pl.Expr:
    return (pl.lit(10 << 24, dtype=pl.UInt64) + _host(conversation, seed, hosts)).cast(pl.UInt32)


def _ipv6_text(conversation: pl.Expr, seed: int, hosts: int) -> pl.Expr:
    return pl.format("2001:db8::{}", _host(conversation, seed, hosts).cast(pl.String))


def synthetic_frame(rows: int, conversations: int = 20_000) -> pl.DataFrame:
    """Flow records shaped like a busy VPC: `conversations` source-destination pairs (a few of
    them busy), 20% of flows seen on a second ENI, 10% IPv6, 10% REJECT, 1% NODATA, one hour."""
    # Skewed: low conversation numbers come up far more often than high ones.
    conversation = _random(0) % (_random(100) % conversations + 1)
    is_v6 = _random(1) % 10 == 0
    no_data = _random(2) % 100 == 0
    port_pick = _random(3) % 100
    packets = _random(4) % 1000 + 1
    # Every fifth flow is recorded again on another ENI, as traffic between monitored ENIs is.
    flows = -(-rows * 5 // 6)
    drawn = pl.DataFrame({"row": range(flows)}).select(
        pl.format("eni-{}", (_random(5) % 200).cast(pl.String)).alias("interface-id"),
        pl.when(is_v6 | no_data)
        .then(None)
        .otherwise(_ipv4(conversation, 6, 50_000))
        .alias("srcaddr"),
        pl.when(is_v6 & ~no_data).then(_ipv6_text(conversation, 7, 5_000)).alias("srcaddr_v6"),
        pl.when(is_v6 | no_data)
        .then(None)
        .otherwise(_ipv4(conversation, 8, 2_000))
        .alias("dstaddr"),
        pl.when(is_v6 & ~no_data).then(_ipv6_text(conversation, 9, 500)).alias("dstaddr_v6"),
        (_random(10) % 64_512 + 1024).cast(pl.UInt16).alias("srcport"),
        pl.when(port_pick < 90)
        .then(pl.lit(pl.Series(COMMON_PORTS)).get(_random(11) % len(COMMON_PORTS)))
        .otherwise(_random(12) % 65_536)
        .cast(pl.UInt16)
        .alias("dstport"),
        pl.when(port_pick < 80)
        .then(6)
        .when(port_pick < 95)
        .then(17)
        .otherwise(1)
        .alias("protocol"),
        packets.alias("packets"),
        (packets * (_random(13) % 1460 + 40)).alias("bytes"),
        (BASE_TIME + _random(14) % 3600).cast(pl.Int64).alias("start"),
        pl.when(no_data)
        .then(None)
        .when(_random(15) % 10 == 0)
        .then(pl.lit("REJECT"))
        .otherwise(pl.lit("ACCEPT"))
        .alias("action"),
        pl.when(no_data).then(pl.lit("NODATA")).otherwise(pl.lit("OK")).alias("log-status"),
        pl.when(_random(16) % 2 == 0)
        .then(pl.lit("egress"))
        .otherwise(pl.lit("ingress"))
        .alias("flow-direction"),
    )
    repeats = drawn.gather_every(5).with_columns(pl.lit("eni-peer").alias("interface-id"))
    records = (
        pl.concat([drawn, repeats])
        .head(rows)
        .with_columns(
            pl.int_range(pl.len(), dtype=pl.UInt64).alias("_row_id"),
            pl.lit(2).alias("version"),
            pl.lit("123456789010").alias("account-id"),
            (pl.col("start") + 60).alias("end"),
            *(pl.col(name).alias("pkt-" + name) for name in ADDRESS_COLUMNS),
        )
    )
    return records.select(
        pl.col(name).cast(dtype) if name in records.columns else pl.lit(None, dtype).alias(name)
        for name, dtype in store_schema(FIELDS).items()
    )


def tables(frame: pl.DataFrame, counting: Counting) -> dict[str, Callable[[], object]]:
    """Every table the stats view, the value counts and the CLI offer, by name."""
    named: dict[str, Callable[[], object]] = {}
    for side in SIDES:
        for metric in METRICS:
            named[f"top {side} by {metric}"] = partial(top_talkers, frame, side, metric, counting)
    named["rejected ports"] = partial(rejected_ports, frame, counting)
    named["rejected sources"] = partial(rejected_sources, frame, counting)
    for field in COUNT_FIELDS:
        named[f"counts per {field}"] = partial(counts_per, frame, field, counting, LABELS)
    for column in ("srcaddr", "dstaddr", "dstport", "interface-id", "start", "bytes", "_row_id"):
        named[f"values of {column}"] = partial(value_counts, frame, column, counting)
    named["timeline"] = partial(timeline, frame, counting)
    return named


def _time_ms(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best and median wall time of `repeat` runs, in milliseconds."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    return min(times), statistics.median(times)


def _report(name: str, counting: Counting, best: float, median: float, flag: str) -> None:
    print(f"{name:<28}{counting.value:<15}{best:>9.1f}{median:>11.1f}{flag}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--conversations",
        type=int,
        default=20_000,
        help="distinct source-destination pairs (1000000 for a worst case with no repeats)",
    )
    args = parser.parse_args()
    began = time.perf_counter()
    frame = synthetic_frame(args.rows, args.conversations)
    built_ms = (time.perf_counter() - began) * 1000
    print(f"stats over {frame.height:,} rows x {frame.width} columns (built in {built_ms:.0f} ms)")
    # Other work on the machine slows every figure: the load average says how busy it was.
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    print(f"{'table':<28}{'counting':<15}{'best ms':>9}{'median ms':>11}")
    misses = 0
    for counting in Counting:
        for name, run in tables(frame, counting).items():
            best, median = _time_ms(run, args.repeat)
            missed = best >= TARGET_MS
            misses += missed
            _report(name, counting, best, median, f"  over {TARGET_MS:.0f} ms" if missed else "")
        # The whole stats view (12 tables) counts the records once; no per-table target.
        overview = partial(stats_overview, frame, counting, LABELS)
        _report("(whole stats view)", counting, *_time_ms(overview, args.repeat), "")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    print(f"{misses} of the table timings missed the {TARGET_MS:.0f} ms target")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
