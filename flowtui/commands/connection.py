"""What every AWS subcommand shares: opening the connection and its rate limiter, turning
source failures into one-line errors, --since/--until as a time range, and the lookup notes.

A wrong endpoint is never silent: when the first call has no answer within a second, one line
on stderr says what is being tried and for how long, and a one-shot command gives up after
ONE_SHOT_PATIENCE_S with one line, even when the calls that failed were optional lookups.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TextIO

from flowtui.core.config import load_settings
from flowtui.core.query import TimeRange
from flowtui.core.timeparse import TimeSpecError, parse_duration, parse_time
from flowtui.errors import UserError
from flowtui.sources.aws import (
    AwsConnection,
    ConnectionOptions,
    NotFoundError,
    SourceError,
    connect,
)
from flowtui.sources.ec2 import shared_lookups
from flowtui.sources.ratelimit import LimiterState, RateLimiter, limiter_for

DEFAULT_SINCE = "1h"
#: A one-shot command says the endpoint is unreachable after this long (follow rides it out).
ONE_SHOT_PATIENCE_S = 8.0
#: ...and waits this long for a connection or for the next bytes of an answer, so that an
#: endpoint that never answers ends it within about GIVE_UP_WITHIN_S, as the README says.
ONE_SHOT_CONNECT_TIMEOUT_S = 3.0
ONE_SHOT_READ_TIMEOUT_S = 8.0
GIVE_UP_WITHIN_S = 10
#: Without an answer after this long, say on stderr what is being tried.
SAY_TRYING_AFTER_S = 1.0


@contextmanager
def source_errors() -> Iterator[None]:
    """A source failure is one line for the user, never a traceback."""
    try:
        yield
    except NotFoundError as error:
        raise UserError(error.message, exit_code=1) from None
    except SourceError as error:
        raise UserError(error.message) from None


def open_connection(args: argparse.Namespace) -> tuple[AwsConnection, RateLimiter]:
    follow = bool(getattr(args, "follow", False))
    options = ConnectionOptions(
        profile=getattr(args, "profile", None),
        region=getattr(args, "region", None),
        endpoint_url=getattr(args, "endpoint_url", None),
    )
    if not follow:
        options = replace(
            options,
            connect_timeout=ONE_SHOT_CONNECT_TIMEOUT_S,
            read_timeout=ONE_SHOT_READ_TIMEOUT_S,
        )
    with source_errors():
        conn = connect(options)
    limiter = limiter_for(conn)
    if not follow:
        limiter.set_patience(ONE_SHOT_PATIENCE_S, per_outage=True)
    # The command line wins; otherwise the config file's budget, as in the app.
    budget = getattr(args, "rate_budget", None) or load_settings().rate_budget
    if budget:
        limiter.set_budget(budget)
    giving_up = "--follow keeps trying" if follow else f"giving up within {GIVE_UP_WITHIN_S} s"
    _AnswerWatch(limiter, f"{conn.endpoint_url} ({conn.region}); {giving_up}", sys.stderr)
    return conn, limiter


class _AnswerWatch:
    """Says once on `err` what is being tried when the endpoint has not answered within
    SAY_TRYING_AFTER_S; stops watching at the first answer (any response, even an error)."""

    def __init__(self, limiter: RateLimiter, trying: str, err: TextIO) -> None:
        self._limiter = limiter
        self._trying = trying
        self._err = err
        self._calls_before = limiter.state.calls
        self._answered = threading.Event()
        self._unsubscribe = limiter.add_listener(self._on_state)
        self._timer = threading.Timer(SAY_TRYING_AFTER_S, self._say)
        self._timer.daemon = True
        self._timer.start()

    def _on_state(self, state: LimiterState) -> None:
        if not state.reconnecting and not self._answered.is_set():
            self._answered.set()
            self._timer.cancel()
            self._unsubscribe()

    def _say(self) -> None:
        self._unsubscribe()
        state = self._limiter.state
        if self._answered.is_set() or state.calls <= self._calls_before:
            return  # answered, or nothing is being tried
        waiting = "cannot connect yet" if state.reconnecting else "no answer yet"
        self._err.write(f"flowtui: {waiting} to {self._trying}\n")
        self._err.flush()


def ensure_reachable(conn: AwsConnection, limiter: RateLimiter) -> None:
    """After lookups that degrade quietly (EC2 describes), stop when the endpoint itself was
    unreachable: the next call would only wait as long again."""
    state = limiter.state
    if state.reconnecting:
        cause = (state.last_error or "no answer").split(":", 1)[0]
        raise UserError(f"endpoint unreachable: {conn.endpoint_url} ({cause})")


def print_notices(conn: AwsConnection, limiter: RateLimiter, err: TextIO) -> None:
    for notice in shared_lookups(conn, limiter).notices:
        err.write(f"note: {notice}\n")


def time_range_from(since: str | None, until: str | None, now_s: int) -> TimeRange:
    """--since / --until as a time range: relative stays relative (a view means the same
    tomorrow), anything else is absolute."""
    since = since or DEFAULT_SINCE
    try:
        if until is None and _is_duration(since):
            return TimeRange.last(parse_duration(since.lstrip("-")))
        start = parse_time(_as_relative(since), now_s)
        end = parse_time(_as_relative(until), now_s) if until else None
    except TimeSpecError as error:
        raise UserError(f"invalid time: {error}") from None
    if end is not None and end <= start:
        raise UserError("--until must be later than --since")
    return TimeRange.between(start * 1000, end * 1000 if end is not None else None)


def _is_duration(text: str) -> bool:
    try:
        parse_duration(text.lstrip("-"))
    except TimeSpecError:
        return False
    return True


def _as_relative(text: str) -> str:
    """`15m` means 15 minutes ago, as `-15m` does."""
    return f"-{text}" if _is_duration(text) and not text.startswith("-") else text
