"""Time specs as people type them in filters and time ranges.

Three spellings, all resolved to Unix seconds:
- absolute ISO 8601 in UTC unless an offset is given: `2026-11-27`, `2026-11-27T10:00Z`,
  `2026-11-27T10:00:30+01:00` (a date alone means midnight UTC);
- plain epoch seconds: `1764237600` (millisecond values are refused with a hint, so a pasted
  CloudWatch timestamp does not silently match nothing);
- relative to an injected `now`: `now`, `-15m`, `-2h`, `-1d`, `-1w`, `-90s`, `-1h30m`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_DURATION = re.compile(r"^(?:\d+[smhdw])+$")
_DURATION_PART = re.compile(r"(\d+)([smhdw])")
_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$",
    re.IGNORECASE,
)
#: Epoch values above this are milliseconds (this many seconds is the year 5138).
_LARGEST_SECONDS = 10**11

_TIME_HINT = "use 2026-11-27T10:00Z, epoch seconds, or a relative time such as -15m"


class TimeSpecError(ValueError):
    """A time spec that cannot be read; the message says what would be accepted."""


def parse_duration(text: str) -> int:
    """`15m`, `2h`, `1h30m` to seconds; TimeSpecError otherwise."""
    spec = text.strip().lower()
    if not _DURATION.match(spec):
        raise TimeSpecError(f"'{text}' is not a duration (use 90s, 15m, 2h, 1d, 1w or 1h30m)")
    return sum(int(count) * _UNIT_SECONDS[unit] for count, unit in _DURATION_PART.findall(spec))


def is_relative_time(text: str) -> bool:
    """True when the spec depends on `now` (`now`, `-15m`...)."""
    spec = text.strip().lower()
    return spec == "now" or (spec.startswith("-") and bool(_DURATION.match(spec[1:])))


def parse_time(text: str, now_s: int) -> int:
    """A time spec to Unix seconds; relative specs count back from `now_s`."""
    spec = text.strip()
    if is_relative_time(spec):
        return now_s if spec.lower() == "now" else now_s - parse_duration(spec[1:])
    if spec.isdecimal():
        seconds = int(spec)
        if seconds > _LARGEST_SECONDS:
            raise TimeSpecError(f"'{text}' looks like milliseconds; give epoch seconds")
        return seconds
    if _ISO.match(spec):
        return _parse_iso(spec, text)
    raise TimeSpecError(f"'{text}' is not a time ({_TIME_HINT})")


def _parse_iso(spec: str, original: str) -> int:
    try:
        moment = datetime.fromisoformat(spec.upper())
    except ValueError:
        raise TimeSpecError(f"'{original}' is not a valid date or time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())
