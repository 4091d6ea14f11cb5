"""Checks of the command line that argparse runs, so a wrong value ends in argparse's usual
`usage: ... error: ...` and exit status 2 before anything connects or reads.

Two kinds: `type=` functions for one value (a positive number, an endpoint URL, a time, a
name), and `check_query` for what depends on several options (which `--output` fits rows or
stats, files versus `--group`, options that only apply to a log group). Nothing here imports
more than the standard library and the small core modules, so `flowtui --help` stays fast.
"""

from __future__ import annotations

import argparse
import math
import re
from urllib.parse import urlsplit

from flowtui.core.timeparse import TimeSpecError, parse_duration, parse_time

#: What `query --output` takes when it prints records, and when it prints stats tables.
ROW_OUTPUTS = ("jsonl", "csv", "raw", "count")
STATS_OUTPUTS = ("table", "csv", "jsonl")

_URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def positive_number(text: str) -> float:
    """A finite number above zero (`--rate-budget`, `demo --rate`)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, not '{text}'")
    return value


def endpoint_url(text: str) -> str:
    """`http(s)://host[:port][/path]`, as botocore accepts it."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"'{text}' is not a URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an endpoint URL (use https://host or http://host:port)"
        )
    if port == 0:
        raise argparse.ArgumentTypeError(f"'{text}' has no usable port")
    if parts.username is not None or parts.password is not None:
        raise argparse.ArgumentTypeError("the endpoint URL must not hold a user name or password")
    return text


def time_spec(text: str) -> str:
    """`15m`, `-2h`, `now`, epoch seconds or an ISO time; kept as typed (resolved later)."""
    spec = text.strip()
    try:
        if spec.lstrip("-") and _is_duration(spec.lstrip("-")):
            return text
        parse_time(spec, 0)
    except TimeSpecError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _is_duration(text: str) -> bool:
    try:
        parse_duration(text)
    except TimeSpecError:
        return False
    return True


def name(text: str) -> str:
    """A log group, stream or view name: not empty."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def check_query(parser: argparse.ArgumentParser, args: argparse.Namespace, tty: bool) -> None:
    """What `flowtui query` options mean together; `parser.error` (exit 2) when they clash.

    `tty` says whether stdin is a terminal: reading records from it would wait silently.
    """
    over_group = bool(args.query_group or args.query_view)
    if args.stats:
        if args.output not in (None, *STATS_OUTPUTS):
            parser.error(
                f"argument --output: with --stats, use one of {', '.join(STATS_OUTPUTS)}"
                f" (not '{args.output}')"
            )
    elif args.output not in (None, *ROW_OUTPUTS):
        hint = "; a table is for --stats" if args.output == "table" else ""
        parser.error(
            f"argument --output: use one of {', '.join(ROW_OUTPUTS)} (not '{args.output}'){hint}"
        )
    if args.decode and (args.stats or (args.output or "jsonl") != "jsonl"):
        parser.error("argument --decode: only --output jsonl records carry decoded meanings")
    for path in args.files:
        if _URL_SCHEME.match(path):
            scheme = path.split(":", 1)[0].lower()
            if scheme == "s3":
                parser.error(
                    "s3:// URLs are not read directly; copy the objects locally "
                    f"(aws s3 cp --recursive {path} DIR) and pass the files"
                )
            parser.error(f"{scheme}:// URLs are not read; download the file and pass its path")
    if over_group and args.files:
        parser.error("give FILEs or --group/--view, not both")
    if not over_group:
        only_for_a_group = [
            option
            for option, given in (
                ("--stream", bool(args.stream)),
                ("--since", args.since is not None),
                ("--until", args.until is not None),
                ("--follow", args.follow),
            )
            if given
        ]
        if only_for_a_group:
            parser.error(
                f"{'/'.join(only_for_a_group)} apply to --group; over files, filter on time "
                "with --filter 'start>=2026-11-27T10:00Z'"
            )
        if not args.files and tty:
            parser.error(
                "no input: give flow-log FILEs (or - to read a pipe), or --group to read a "
                "CloudWatch log group"
            )
    if getattr(args, "engine", "local") != "local" and not (args.stats and over_group):
        parser.error("argument --engine: Insights computes --stats over a --group or --view")
    if args.follow and args.until is not None:
        parser.error("argument --follow: a range with --until has an end; drop one of them")
