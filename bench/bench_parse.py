"""Issue 2 targets: parse speed against polars' own read_csv, store memory, append + re-index.

Prints figures; run with `.venv/bin/python bench/bench_parse.py [--records N]`.
Each timed command runs as its own process, side by side in one run, best of --repeat.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).parent / "data"
PYTHON = sys.executable

READ_CSV_SCRIPT = """
import sys, polars as pl
frame = pl.read_csv(sys.argv[1], separator=" ", has_header=False)
print(frame.height)
"""

MEMORY_SCRIPT = """
import resource, sys
import polars as pl
from flowtui.core.ingest import Ingestor
from flowtui.core.store import RecordStore
from flowtui.sources.files import read_blocks
import flowtui.core.parse  # noqa: F401  (import cost is not parsing cost)
pl.DataFrame({"a": [1]}).select(pl.col("a").cast(pl.String).str.split_exact(" ", 1))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
store = RecordStore(row_cap=10**9)
ingestor = Ingestor(store)
for block in read_blocks(sys.argv[1]):
    ingestor.add_block(block.data, block.first_line_number, block.origin)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
rows = store.row_count
print(rows, store.estimated_bytes() / rows, (peak - before) / rows)
"""


def write_big_file(path: Path, records: int) -> None:
    """A realistic default-format file: 3% NODATA, a mix of ports, actions and addresses."""
    rng = random.Random(42)
    enis = [f"eni-0{rng.randrange(16**16):016x}" for _ in range(50)]
    ports = [22, 80, 443, 3389, 5432, 53, 123, 8080]
    start = 1_764_000_000
    with path.open("w") as out:
        for i in range(records):
            eni = enis[i % 50]
            t = start + i // 200
            if i % 33 == 0:
                out.write(f"2 123456789012 {eni} - - - - - - - {t} {t + 60} - NODATA\n")
                continue
            src = f"10.0.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            dst = f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
            action = "REJECT" if rng.random() < 0.15 else "ACCEPT"
            out.write(
                f"2 123456789012 {eni} {src} {dst} {rng.randrange(1024, 65536)} "
                f"{rng.choice(ports)} {rng.choice((6, 6, 6, 17, 1))} {rng.randrange(1, 500)} "
                f"{rng.randrange(40, 2_000_000)} {t} {t + 60} {action} OK\n"
            )


def best_of(command: list[str], repeat: int) -> tuple[float, str]:
    best = float("inf")
    output = ""
    for _ in range(repeat):
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        best = min(best, time.perf_counter() - started)
        output = result.stdout.strip()
    return best, output


def lnav_filter_time(path: Path) -> str:
    lnav = shutil.which("lnav")
    if lnav is None:
        return "lnav not installed (Debian package lnav)"
    command = [lnav, "-n", "-c", ":filter-in REJECT", "-c", ":write-raw-to /dev/null", str(path)]
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False)
    return f"{time.perf_counter() - started:.2f} s"


def append_and_reindex(records: int) -> tuple[float, float]:
    import polars as pl

    from flowtui.core.formats import DEFAULT_FORMAT
    from flowtui.core.ingest import Ingestor
    from flowtui.core.store import RecordStore
    from flowtui.core.view import build_view, extend_view
    from flowtui.sources.files import read_blocks

    store = RecordStore(row_cap=10**9)
    ingestor = Ingestor(store, [DEFAULT_FORMAT])
    path = DATA / f"big-{records}.log"
    for block in read_blocks(str(path)):
        ingestor.add_block(block.data, block.first_line_number, block.origin)
    predicate = pl.col("action") == "REJECT"
    view = build_view(store.snapshot(), predicate)
    lines = path.open().read(1_500_000).splitlines()[:10_000]
    batch = pl.Series("line", lines)
    started = time.perf_counter()
    ingestor.add_lines(batch, 1, "batch")
    appended = time.perf_counter() - started
    extend_view(view, store.snapshot())
    incremental = time.perf_counter() - started
    started = time.perf_counter()
    build_view(store.snapshot(), predicate)
    rebuilt = time.perf_counter() - started
    print(f"  full view rebuild over {store.row_count:,} rows: {rebuilt * 1000:.0f} ms")
    return appended, incremental


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    path = DATA / f"big-{args.records}.log"
    if not path.exists():
        write_big_file(path, args.records)
    size_mb = path.stat().st_size / 1e6
    print(f"input: {path} ({args.records:,} records, {size_mb:.0f} MB)")

    flowtui_cmd = [PYTHON, "-m", "flowtui.cli", "query", str(path), "--output", "count"]
    read_csv_cmd = [PYTHON, "-c", READ_CSV_SCRIPT, str(path)]
    filter_cmd = [*flowtui_cmd, "--filter", "action=REJECT dstport=22"]
    ours, count = best_of(flowtui_cmd, args.repeat)
    theirs, _ = best_of(read_csv_cmd, args.repeat)
    print(f"flowtui query --output count: {ours:.2f} s ({count} records)  target <= 1.0 s")
    print(f"polars read_csv bare script:  {theirs:.2f} s")
    print(f"ratio: {ours / theirs:.2f}x  target <= 2.5x")
    try:
        filtered, filtered_count = best_of(filter_cmd, args.repeat)
        print(
            f"with --filter 'action=REJECT dstport=22': {filtered:.2f} s ({filtered_count} rows), "
            f"{(filtered / ours - 1) * 100:+.0f}% vs count  target <= +10%"
        )
    except subprocess.CalledProcessError as error:
        print(f"filter run failed: {error.stderr.strip()[:200]}")
    print(f"lnav :filter-in REJECT (information): {lnav_filter_time(path)}")

    result = subprocess.run(
        [PYTHON, "-c", MEMORY_SCRIPT, str(path)], capture_output=True, text=True, check=True
    )
    _rows, steady, peak = result.stdout.split()
    print(f"store memory: {float(steady):.0f} bytes/record steady  target <= 100")
    print(f"peak while parsing: {float(peak):.0f} bytes/record (RSS growth)  target <= 250")

    appended, incremental = append_and_reindex(args.records)
    print(
        f"append 10,000 records to a {args.records:,}-row store: {appended * 1000:.0f} ms; "
        f"with incremental re-index: {incremental * 1000:.0f} ms  target < 50 ms"
    )
    print(
        f"bench process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
