"""Filter, exact search and fuzzy search over 1,000,000 synthetic records; prints timings.

Run: .venv/bin/python bench/bench_filter.py [--records N]
Targets (issue 5): a 5-term filter with a CIDR < 50 ms; exact search < 100 ms; the first
chunk of fuzzy results < 300 ms. Each figure is the median of several runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

import polars as pl

from flowtui.core.filter.compiler import Filter
from flowtui.core.formats import DEFAULT_FORMAT
from flowtui.core.schema import ROW_ID, ipv4_to_int, store_schema
from flowtui.core.search import fuzzy_rank, search_mask

T0 = 1_795_773_600
NOW = T0 + 3600
RUNS = 7
FILTERS = (
    "action=reject dstport=22,3389 srcaddr!=10.0.0.0/8 protocol=tcp start>-30m",
    "eni=eni-01* addr=2001:db8::/120 port<1024 bytes>1000 not status=nodata",
)
NEEDLES = ("10.0.1.5", "reject", "eni-01", "443", "0.1.5")
COMMON_PORTS = [22, 80, 443, 3389, 53, 8080, 5432, 123]


def _random(seed: int, modulo: int) -> pl.Expr:
    """A deterministic pseudo-random integer in [0, modulo) per row."""
    return pl.int_range(pl.len(), dtype=pl.UInt64).hash(seed) % modulo


def _pick(seed: int, choices: list[int]) -> pl.Expr:
    return _random(seed, len(choices)).replace_strict(list(range(len(choices))), choices)


def synthetic_frame(rows: int) -> pl.DataFrame:
    """Flow records shaped like a busy VPC hour: 5,000 hosts, 200 ENIs, 2% IPv6, 1% NODATA."""
    internal = ipv4_to_int("10.0.0.0")
    external = ipv4_to_int("198.51.100.0")
    nodata = _random(11, 100) == 0
    ipv6 = _random(12, 50) == 0
    packets = 1 + _random(13, 30) * _random(14, 30)

    def address(seed: int) -> pl.Expr:
        outside = _random(seed, 10) == 0
        host = pl.when(outside).then(external + _random(seed + 1, 250))
        return host.otherwise(internal + _random(seed + 2, 5000)).cast(pl.UInt32)

    def v6(seed: int) -> pl.Expr:
        return pl.format("2001:db8::{}", _random(seed, 50)).cast(pl.Categorical)

    def nullable(expr: pl.Expr) -> pl.Expr:
        return pl.when(nodata).then(None).otherwise(expr)

    start = T0 + _random(15, 3600).cast(pl.Int64)
    frame = pl.select(pl.int_range(rows, dtype=pl.UInt64).alias(ROW_ID)).with_columns(
        pl.lit(2, pl.UInt8).alias("version"),
        pl.format("12345678901{}", _random(1, 3)).cast(pl.Categorical).alias("account-id"),
        pl.format("eni-0{}", _random(2, 200) * 7919).cast(pl.Categorical).alias("interface-id"),
        nullable(pl.when(ipv6).then(None).otherwise(address(3))).alias("srcaddr"),
        nullable(pl.when(ipv6).then(v6(6))).alias("srcaddr_v6"),
        nullable(pl.when(ipv6).then(None).otherwise(address(7))).alias("dstaddr"),
        nullable(pl.when(ipv6).then(v6(10))).alias("dstaddr_v6"),
        nullable(32768 + _random(16, 28000)).cast(pl.UInt16).alias("srcport"),
        nullable(_pick(17, COMMON_PORTS)).cast(pl.UInt16).alias("dstport"),
        nullable(_pick(18, [6, 6, 6, 6, 6, 6, 6, 17, 17, 1])).cast(pl.UInt8).alias("protocol"),
        nullable(packets).cast(pl.UInt64).alias("packets"),
        nullable(packets * (40 + _random(19, 1460))).cast(pl.UInt64).alias("bytes"),
        start.alias("start"),
        (start + _random(20, 60).cast(pl.Int64)).alias("end"),
        nullable(pl.when(_random(21, 10) == 0).then(pl.lit("REJECT")).otherwise(pl.lit("ACCEPT")))
        .cast(pl.Enum(["ACCEPT", "REJECT"]))
        .alias("action"),
        pl.when(nodata)
        .then(pl.lit("NODATA"))
        .otherwise(pl.lit("OK"))
        .cast(pl.Enum(["OK", "NODATA", "SKIPDATA"]))
        .alias("log-status"),
    )
    schema = store_schema(DEFAULT_FORMAT.fields)
    missing = [
        pl.lit(None, dtype).alias(name) for name, dtype in schema.items() if name not in frame
    ]
    return frame.with_columns(missing).select(list(schema)).cast(pl.Schema(schema)).rechunk()


def median_ms(action: Callable[[], object]) -> float:
    timings = []
    for _ in range(RUNS):
        began = time.perf_counter()
        action()
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def bench_filter(frame: pl.DataFrame, text: str) -> None:
    compiled = Filter.compile(text, frame.columns, NOW)
    print(f"filter {text!r}: {frame.filter(compiled.expr).height:,} rows")
    compile_ms = median_ms(partial(Filter.compile, text, frame.columns, NOW))
    print(f"  parse + compile  {compile_ms:7.1f} ms")
    mask_ms = median_ms(partial(frame.select, compiled.expr))
    print(f"  boolean mask     {mask_ms:7.1f} ms  (target < 50)")
    print(f"  filtered frame   {median_ms(partial(frame.filter, compiled.expr)):7.1f} ms")


def bench_search(frame: pl.DataFrame, visible: list[str]) -> None:
    for needle in NEEDLES:
        hits = int(search_mask(frame, needle, visible).sum())
        elapsed = median_ms(partial(search_mask, frame, needle, visible))
        print(f"search {needle!r:12} {elapsed:7.1f} ms  (target < 100)  {hits:,} rows")


def first_fuzzy_chunk(frame: pl.DataFrame, needle: str, visible: list[str]) -> object:
    return next(fuzzy_rank(frame, needle, visible))


def bench_fuzzy(frame: pl.DataFrame, visible: list[str]) -> None:
    for needle in ("10.0.1.5", "eni-0abc"):
        first = median_ms(partial(first_fuzzy_chunk, frame, needle, visible))
        print(f"fuzzy  {needle!r:12} {first:7.1f} ms to the first chunk (target < 300)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    rows = parser.parse_args().records
    began = time.perf_counter()
    frame = synthetic_frame(rows)
    print(f"built {frame.height:,} rows in {time.perf_counter() - began:.1f} s")
    visible = list(DEFAULT_FORMAT.fields)
    for text in FILTERS:
        bench_filter(frame, text)
    bench_search(frame, visible)
    bench_fuzzy(frame, visible)


if __name__ == "__main__":
    main()
