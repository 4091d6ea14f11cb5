"""Concurrent time slices of one fetch, merged so every event arrives exactly once.

A fetch starts as one sweep. Its first page shows how densely the range is filled: when the
rest would take several more pages, the rest of the range is cut into slices of equal time
span fetched concurrently, each its own sweep of FilterLogEvents pages; the first sweep keeps
its token and stops at the end of its slice (pages are sorted by timestamp). Slices are
disjoint in time (inclusive millisecond bounds that meet without overlap), so each event
belongs to exactly one; a small range, a sparse one (one page), or more than 100 selected
streams (already several sweeps) stay one slice.

The count is the smallest of: the pages the rest probably needs; the slices that keep the
limiter's budget busy, budget (calls/s) x the first page's latency (s), rounded up (one sweep
already spends a budget of 4 calls/s when pages take 0.25 s; more slices would only queue at
the limiter); `MAX_SLICES`; and one per `MIN_SLICE_MS` of the remaining range. Every call
still goes through the one shared `RateLimiter`, so slicing never spends more than its budget;
it turns waiting for each page's answer into waiting in parallel, and costs about one extra
call per extra slice (the partial last page of each slice).

Each slice runs in its own thread; batches reach `on_batch` from the calling thread only, in
each slice's time order: `ordered` delivers slice after slice (later slices wait in a bounded
buffer: while it holds `MAX_BUFFERED_EVENTS`, they ask for no further page), otherwise as they
arrive.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flowtui.core.events import EventBatch
from flowtui.sources.aws import OperationCancelled

MAX_SLICES = 8
#: Slices are never shorter than this.
MIN_SLICE_MS = 60_000
#: Events later slices may hold for an ordered delivery before they pause (~10 pages, ~50 MB).
MAX_BUFFERED_EVENTS = 100_000
_POLL_S = 0.05


@dataclass(frozen=True, slots=True)
class SliceBounds:
    """Inclusive millisecond bounds of one slice."""

    start_ms: int
    end_ms: int


def plan_rest(
    oldest_ms: int,
    newest_ms: int,
    page_s: float,
    *,
    end_ms: int,
    calls_per_s: float,
    max_slices: int = MAX_SLICES,
) -> list[SliceBounds]:
    """Cut (newest_ms, end_ms] into slices after a first page that covered [oldest, newest]
    and took `page_s` seconds.

    Returns one bound per slice; the first slice is the one the first sweep goes on with.
    An empty list means: do not slice.
    """
    remaining = end_ms - newest_ms
    if remaining <= 0:
        return []
    covered = max(1, newest_ms - oldest_ms)
    pages_left = math.ceil(remaining / covered)
    count = min(
        pages_left,
        math.ceil(calls_per_s * page_s),
        max_slices,
        remaining // MIN_SLICE_MS,
    )
    if count < 2:
        return []
    edges = [newest_ms + (remaining * i) // count for i in range(count + 1)]
    return [SliceBounds(edges[i] + 1, edges[i + 1]) for i in range(count)]


class SliceRunner:
    """Runs slice iterators in threads and hands their batches to the calling thread.

    `add` may be called from a slice's thread (the first slice adds the others after its
    first page). The first failure stops every slice and is raised by `deliver`; the caller's
    cancel event stops them all and raises OperationCancelled, keeping what was delivered.
    """

    def __init__(self, cancel: threading.Event | None, *, ordered: bool) -> None:
        self._user_cancel = cancel
        #: Set to stop every slice: pass it as the cancel event of the slices' sweeps.
        self.stop = threading.Event()
        self._ordered = ordered
        self._cond = threading.Condition()
        self._pending: list[deque[EventBatch]] = []
        self._done: list[bool] = []
        self._head = 0
        self._buffered = 0
        self._error: BaseException | None = None

    @property
    def slices(self) -> int:
        with self._cond:
            return len(self._pending)

    def add(self, batches: Iterator[EventBatch]) -> None:
        with self._cond:
            index = len(self._pending)
            self._pending.append(deque())
            self._done.append(False)
        thread = threading.Thread(
            target=self._run, args=(index, batches), name=f"flowtui-slice-{index}", daemon=True
        )
        thread.start()

    def _run(self, index: int, batches: Iterator[EventBatch]) -> None:
        error: BaseException | None = None
        try:
            while True:
                with self._cond:
                    # Ask for the next page only when the buffer has room for it.
                    while (
                        self._ordered
                        and index != self._head
                        and self._buffered >= MAX_BUFFERED_EVENTS
                        and not self.stop.is_set()
                    ):
                        self._cond.wait(_POLL_S)
                if self.stop.is_set():
                    return
                batch = next(batches, None)
                if batch is None:
                    return
                with self._cond:
                    if self.stop.is_set():
                        return
                    self._pending[index].append(batch)
                    self._buffered += len(batch)
                    self._cond.notify_all()
        except OperationCancelled:
            pass
        except BaseException as exc:  # any failure ends the whole fetch, raised by deliver
            error = exc
        finally:
            with self._cond:
                self._done[index] = True
                if error is not None and self._error is None:
                    self._error = error
                    self.stop.set()
                self._cond.notify_all()

    def deliver(self, on_batch: Callable[[EventBatch], None]) -> None:
        """Pass batches to `on_batch` until every slice is done; raises the first failure."""
        try:
            while True:
                batch = self._next()
                if batch is None:
                    return
                on_batch(batch)
        finally:
            self.stop.set()

    def _next(self) -> EventBatch | None:
        with self._cond:
            while True:
                if self._user_cancel is not None and self._user_cancel.is_set():
                    raise OperationCancelled()
                if self._error is not None:
                    raise self._error
                batch = self._take()
                if batch is not None:
                    return batch
                if all(self._done):
                    return None
                self._cond.wait(_POLL_S)

    def _take(self) -> EventBatch | None:
        if not self._ordered:
            for queue in self._pending:
                if queue:
                    return self._pop(queue)
            return None
        while self._head < len(self._pending):
            queue = self._pending[self._head]
            if queue:
                return self._pop(queue)
            if not self._done[self._head]:
                return None
            self._head += 1
            self._cond.notify_all()
        return None

    def _pop(self, queue: deque[EventBatch]) -> EventBatch:
        batch = queue.popleft()
        self._buffered -= len(batch)
        self._cond.notify_all()  # a paused slice may go on
        return batch
