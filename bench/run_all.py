"""Run every benchmark in turn and print their figures (`make bench`).

Each prints its own targets next to what it measured. The machine is shared, so compare ratios
measured side by side in one run rather than absolute times across runs.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
BENCHES = (
    ("issue 2: parsing and the store", "bench_parse.py"),
    ("issue 5: filter and search", "bench_filter.py"),
    ("issue 7: stats tables", "bench_stats.py"),
    ("issue 4: the explorer at 1M rows", "bench_ui.py"),
    ("issue 3: fetch against awscli", "bench_fetch.py"),
    ("issue 3: live tail (about 7 minutes)", "bench_tail.py"),
)


def main() -> int:
    failed = []
    for title, script in BENCHES:
        print(f"\n=== {title} ({script}) ===", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(HERE / script)], check=False)
        print(f"--- {script}: {time.perf_counter() - started:.0f} s, exit {result.returncode}")
        if result.returncode:
            failed.append(script)
    if failed:
        print(f"\nmissed a target or failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
