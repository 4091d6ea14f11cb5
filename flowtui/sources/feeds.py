"""A live feed: one record store filled from CloudWatch by a fetch, then (when following) a tail.

The feed owns the store's single writer (an Ingestor behind a lock): the fetch thread and the
tail thread both hand their batches to it, so rows keep arrival order and the parser's state
stays consistent. Everything reports through callbacks, from the feed's threads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from flowtui.core.events import EventBatch
from flowtui.core.formats import LogFormat
from flowtui.core.ingest import Ingestor
from flowtui.core.query import Query
from flowtui.core.store import RecordStore
from flowtui.core.wording import counted
from flowtui.sources.aws import AwsConnection, OperationCancelled, SourceError
from flowtui.sources.fetch import FetchProgress, fetch
from flowtui.sources.ratelimit import SYSTEM_CLOCK, LimiterState, RateLimiter
from flowtui.sources.tail import SeenEvents, Tailer

log = logging.getLogger(__name__)

#: How much longer than the lookback written ids are kept (a sweep reaches a margin further).
_SEEN_SLACK_S = 180


@dataclass(frozen=True, slots=True)
class FeedState:
    """What a feed is doing, for a status bar."""

    calls: int = 0
    throttled: bool = False
    reconnecting: bool = False
    fetching: bool = False
    following: bool = False
    #: Events delivered by the current fetch, and its rate.
    fetched: int = 0
    events_per_s: float = 0.0
    #: Fraction of the time range fetched (None while unknown).
    progress: float | None = None
    detail: str = ""
    #: Pages and response bytes the current fetch received, and its time slices.
    pages: int = 0
    bytes: int = 0
    slices: int = 1
    #: Seconds the fetch probably still needs (from the estimate, else the time fetched).
    eta_s: float | None = None


class LiveFeed:
    """Fills `store` for a query; `load` (re)fetches a time range, `follow` tails new events."""

    def __init__(
        self,
        conn: AwsConnection,
        limiter: RateLimiter,
        store: RecordStore,
        formats: Sequence[LogFormat] | None,
        *,
        on_state: Callable[[FeedState], None],
        on_error: Callable[[str], None],
        lookback_s: int = 900,
    ) -> None:
        self.conn = conn
        self.limiter = limiter
        self.store = store
        self._formats = list(formats) if formats else None
        self._ingestor = Ingestor(store, self._formats)
        self._write_lock = threading.Lock()
        self._on_state = on_state
        self._on_error = on_error
        self._lookback_s = lookback_s
        self._state = FeedState()
        self._state_lock = threading.Lock()
        self._query: Query | None = None
        self._fetch_cancel = threading.Event()
        self._fetch_thread: threading.Thread | None = None
        self._tail_stop = threading.Event()
        self._tail_thread: threading.Thread | None = None
        self._tailer: Tailer | None = None
        #: Ids of events written in the last lookback: the writer drops anything seen twice,
        #: whichever thread (fetch or tail) brings it.
        self._delivered = SeenEvents()
        self._closed = False
        #: The cancel event of a fetch the user stopped (so its end is reported as such).
        self._user_cancel: threading.Event | None = None
        #: Where the last load's range started (None before any load).
        self._loaded_from_ms: int | None = None
        self._unsubscribe = limiter.add_listener(self._limiter_changed)

    # --- commands (from any thread) --------------------------------------------------------

    def load(self, query: Query, *, clear: bool, expected_events: int | None = None) -> None:
        """Fetch `query`'s time range; `clear` replaces the rows (a new range).

        The old rows go only when the new fetch brings its first events (or ends with none):
        a fetch that fails first (a refused range, a lost connection) keeps them.
        `expected_events` (an estimate) gives the time left while fetching.
        """
        self._stop_fetch()
        self._query = query
        cancel = threading.Event()
        self._fetch_cancel = cancel
        thread = threading.Thread(
            target=self._fetch,
            args=(query, cancel, clear, expected_events),
            name="flowtui-fetch",
            daemon=True,
        )
        self._fetch_thread = thread
        thread.start()

    def cancel_fetch(self) -> bool:
        """Stop the running fetch and keep what it delivered; False when none was running."""
        if not self._state.fetching or self._fetch_cancel.is_set():
            return False
        self._user_cancel = self._fetch_cancel
        self._fetch_cancel.set()
        return True

    def follow(self, on: bool) -> None:
        if on and self._tail_thread is None and self._query is not None:
            self._start_tail(self._query)
        elif not on:
            self._stop_tail()
        self._set(following=on)

    def close(self) -> None:
        self._closed = True
        self._stop_fetch()
        self._stop_tail()
        self._unsubscribe()

    # --- threads ---------------------------------------------------------------------------

    def _clear_store(self) -> None:
        with self._write_lock:
            self.store.clear()
            self._ingestor = Ingestor(self.store, self._formats)
            self._delivered = SeenEvents()

    def _fetch(
        self,
        query: Query,
        cancel: threading.Event,
        clear: bool = False,
        expected_events: int | None = None,
    ) -> None:
        self._set(
            fetching=True,
            fetched=0,
            events_per_s=0.0,
            progress=0.0,
            detail="",
            pages=0,
            bytes=0,
            slices=1,
            eta_s=None,
        )
        start_ms, end_ms = query.time_range.resolve(SYSTEM_CLOCK.now_ms())
        self._loaded_from_ms = start_ms
        span = max(end_ms - start_ms, 1)
        newest = [start_ms]
        must_clear = [clear]

        def on_batch(batch: EventBatch) -> None:
            if must_clear[0] and not cancel.is_set():
                must_clear[0] = False
                self._clear_store()
            if batch.timestamps:
                newest[0] = max(newest[0], *batch.timestamps)
            if self._tailer is not None:
                self._tailer.mark_seen(batch)
            self._write(batch)

        def on_progress(progress: FetchProgress) -> None:
            done = min(max((newest[0] - start_ms) / span, 0.0), 1.0)
            self._set(
                fetched=progress.events,
                events_per_s=progress.rate,
                progress=done,
                pages=progress.pages,
                bytes=progress.bytes,
                slices=progress.slices,
                eta_s=time_left(progress, done, expected_events),
            )

        try:
            result = fetch(
                self.conn, self.limiter, query, on_batch, progress=on_progress, cancel=cancel
            )
        except OperationCancelled:
            self._report_stopped(cancel, self.store.row_count, must_clear[0])
            return
        except SourceError as error:
            self._set(fetching=False, progress=None)
            self._on_error(error.message + self._kept_note(must_clear[0]))
            return
        except Exception as error:  # a bug must not kill the app silently
            log.exception("fetch failed")
            self._set(fetching=False, progress=None)
            note = self._kept_note(must_clear[0])
            self._on_error(f"fetch failed: {type(error).__name__}: {error}{note}")
            return
        if must_clear[0] and not cancel.is_set():
            self._clear_store()
        if result.cancelled:
            self._report_stopped(cancel, result.events, must_clear[0])
        elif not cancel.is_set():
            events, calls = counted(result.events, "event"), counted(result.calls, "call")
            detail = f"{events} in {calls} ({result.method.value})"
            self._set(
                fetching=False, progress=1.0, fetched=result.events, detail=detail, eta_s=None
            )

    def _report_stopped(self, cancel: threading.Event, events: int, kept_old: bool) -> None:
        """A fetch the user stopped says what it kept; one replaced by a new load says nothing."""
        if self._user_cancel is not cancel:
            return
        self._user_cancel = None
        if kept_old:
            detail = "loading stopped before any event arrived" + self._kept_note(True)
        else:
            detail = f"loading stopped: the {events:,} events loaded so far are kept"
        self._set(fetching=False, progress=None, eta_s=None, detail=detail)

    def _kept_note(self, kept: bool) -> str:
        return "; the rows loaded before are kept" if kept and self.store.row_count else ""

    def _start_tail(self, query: Query) -> None:
        stop = threading.Event()
        self._tail_stop = stop
        with self._write_lock:
            seen = self._delivered.copy()
        # Follow adds what arrives from the loaded range's start on, never the lookback
        # before it (records older than the table's range would appear out of nowhere).
        loaded_from = self._loaded_from_ms
        if loaded_from is None:
            loaded_from = query.time_range.resolve(SYSTEM_CLOCK.now_ms())[0]
        self._tailer = Tailer(
            self.conn,
            self.limiter,
            query,
            self._write,
            SYSTEM_CLOCK,
            lookback_s=self._lookback_s,
            seen=seen,
            not_before_ms=loaded_from,
        )
        thread = threading.Thread(
            target=self._tail, args=(self._tailer, stop), name="flowtui-tail", daemon=True
        )
        self._tail_thread = thread
        thread.start()

    def _tail(self, tailer: Tailer, stop: threading.Event) -> None:
        try:
            tailer.run(stop)
        except OperationCancelled:
            return
        except SourceError as error:
            self._on_error(f"live tail stopped: {error.message}")
        except Exception as error:
            log.exception("tail failed")
            self._on_error(f"live tail stopped: {type(error).__name__}: {error}")
        self._set(following=False)

    def _write(self, batch: EventBatch) -> None:
        if self._closed or not len(batch):
            return
        with self._write_lock:
            fresh = self._unseen(batch)
            if len(fresh):
                self._ingestor.add_events(fresh)

    def _unseen(self, batch: EventBatch) -> EventBatch:
        """`batch` without events already written; remembers the rest for the lookback."""
        if batch.event_ids is None or batch.timestamps is None:
            return batch
        cutoff = SYSTEM_CLOCK.now_ms() - (self._lookback_s + _SEEN_SLACK_S) * 1000
        self._delivered.forget_before(cutoff)
        keep = [
            index
            for index, (timestamp, event_id) in enumerate(
                zip(batch.timestamps, batch.event_ids, strict=True)
            )
            if timestamp < cutoff or self._delivered.add(timestamp, event_id)
        ]
        return batch if len(keep) == len(batch) else batch.select(keep)

    # --- stopping --------------------------------------------------------------------------

    def _stop_fetch(self) -> None:
        self._fetch_cancel.set()
        thread, self._fetch_thread = self._fetch_thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def _stop_tail(self) -> None:
        self._tail_stop.set()
        thread, self._tail_thread = self._tail_thread, None
        self._tailer = None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    # --- state -----------------------------------------------------------------------------

    def _limiter_changed(self, state: LimiterState) -> None:
        waiting = f"waiting {state.waiting_s:.0f} s" if state.waiting_s >= 1 else ""
        detail = ", ".join(part for part in (waiting, state.last_error or "") if part)
        self._set(
            calls=state.calls,
            throttled=state.throttled,
            reconnecting=state.reconnecting,
            **({"detail": detail} if (state.throttled or state.reconnecting) else {}),
        )

    def _set(self, **changes: object) -> None:
        with self._state_lock:
            self._state = replace(self._state, **changes)  # type: ignore[arg-type]
            state = self._state
        self._on_state(state)

    @property
    def state(self) -> FeedState:
        return self._state

    def wait_for_fetch(self, timeout_s: float) -> bool:
        """Wait for the current fetch to end (for tests and scripts); False on timeout."""
        thread = self._fetch_thread
        if thread is not None:
            thread.join(timeout_s)
            return not thread.is_alive()
        return True


def time_left(progress: FetchProgress, done: float, expected_events: int | None) -> float | None:
    """Seconds a fetch probably still needs: from the estimated event count when there is one,
    else from the share of the time range fetched so far; None while nothing is known."""
    if progress.events and progress.rate > 0 and expected_events:
        return max(0.0, expected_events - progress.events) / progress.rate
    if 0 < done < 1:
        return progress.elapsed_s * (1 - done) / done
    return None
