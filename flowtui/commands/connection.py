"""What every AWS subcommand shares: opening the connection and its rate limiter, turning
source failures into one-line errors, --since/--until as a time range, and the lookup notes."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from flowtui.core.query import TimeRange
from flowtui.core.timeparse import TimeSpecError, parse_duration, parse_time
from flowtui.errors import UserError
from flowtui.sources.aws import AwsConnection, ConnectionOptions, SourceError, connect
from flowtui.sources.ec2 import shared_lookups
from flowtui.sources.ratelimit import RateLimiter, limiter_for

DEFAULT_SINCE = "1h"
#: A one-shot command says the endpoint is unreachable after this long (follow rides it out).
ONE_SHOT_PATIENCE_S = 8.0


@contextmanager
def source_errors() -> Iterator[None]:
    """A source failure is one line for the user, never a traceback."""
    try:
        yield
    except SourceError as error:
        raise UserError(error.message) from None


def open_connection(args: argparse.Namespace) -> tuple[AwsConnection, RateLimiter]:
    options = ConnectionOptions(
        profile=getattr(args, "profile", None),
        region=getattr(args, "region", None),
        endpoint_url=getattr(args, "endpoint_url", None),
    )
    with source_errors():
        conn = connect(options)
    limiter = limiter_for(conn)
    if not getattr(args, "follow", False):
        limiter.set_patience(ONE_SHOT_PATIENCE_S)
    budget = getattr(args, "rate_budget", None)
    if budget:
        limiter.set_budget(budget)
    return conn, limiter


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
