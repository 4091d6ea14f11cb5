"""Drill-down: the filter, in the project's filter language, for the records behind a stats row
or a timeline bucket, so the explorer can open on exactly them (with either engine's tables).

A row's key columns name its fields (`source` is srcaddr, `port` is dstport, a protocol label
"TCP (6)" is protocol 6), a missing value `-` stays `-`, and the rejection tables add
`action=reject`. A bucket is `start>=B start<B+size`: records are bucketed on their start.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from flowtui.core.stats.counting import StatsTable

_KEY_FIELDS: dict[str, str] = {
    "source": "srcaddr",
    "destination": "dstaddr",
    "port": "dstport",
    "protocol": "protocol",
    "action": "action",
    "log-status": "log-status",
    "interface-id": "interface-id",
}
_PROTOCOL_NUMBER = re.compile(r"\((\d+)\)$")
_PLAIN = re.compile(r"^[A-Za-z0-9.:/_-]+$")


def _term(field: str, value: object) -> str:
    if value is None or value == "-":
        return f"{field}=-"
    text = str(value)
    if field == "protocol":
        number = _PROTOCOL_NUMBER.search(text)
        text = number.group(1) if number else text
    if _PLAIN.match(text) and "*" not in text:
        return f"{field}={text}"
    return f'{field}="' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def row_filter(title: str, row: Mapping[str, object]) -> str:
    """The filter of the records behind one row of a stats table; "" when it has no key."""
    terms = [_term(_KEY_FIELDS[name], value) for name, value in row.items() if name in _KEY_FIELDS]
    if not terms:
        return ""
    if "rejected" in title.lower():
        terms.insert(0, "action=reject")
    return " ".join(terms)


def row_filters(table: StatsTable) -> tuple[str, ...]:
    """`row_filter` of every row of a table, in order."""
    return tuple(row_filter(table.title, row) for row in table.rows.iter_rows(named=True))


def bucket_filter(bucket_start: int, bucket_seconds: int) -> str:
    return f"start>={bucket_start} start<{bucket_start + bucket_seconds}"


def within(current: str, drill: str) -> str:
    """The explorer's filter narrowed to the drilled records."""
    if not current.strip():
        return drill
    if not drill:
        return current
    return f"({current}) and ({drill})"


def bucket_filters(starts: Sequence[int], bucket_seconds: int) -> tuple[str, ...]:
    return tuple(bucket_filter(start, bucket_seconds) for start in starts)
