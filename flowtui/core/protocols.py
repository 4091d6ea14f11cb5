"""IANA protocol numbers: what the `protocol` field's 0-255 values mean.

The table is IANA's own registry (a CSV shipped in `flowtui/core/data`), read once on first use.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

ProtocolStatus = Literal["assigned", "unassigned", "experimental", "reserved"]

_CSV_NAME = "iana-protocol-numbers.csv"
_DEPRECATED_NOTE = " (deprecated)"
_HIGHEST = 255

#: Everyday spellings that differ from IANA's keywords (IANA: IPv6-ICMP, OSPFIGP, IPv4).
_ALIASES: dict[str, int] = {
    "icmpv6": 58,
    "icmp6": 58,
    "ospf": 89,
    "ipencap": 4,
    "ip-in-ip": 4,
}


@dataclass(frozen=True, slots=True)
class ProtocolInfo:
    """One IANA protocol number. `keyword` is empty for unnamed entries (61, 148-254...)."""

    number: int
    keyword: str
    name: str
    status: ProtocolStatus
    #: IANA marks the keyword "(deprecated)"; the note is kept here, not in `keyword`.
    deprecated: bool = False


def _status(keyword: str, name: str) -> ProtocolStatus:
    if name == "Unassigned":
        return "unassigned"
    if name == "Use for experimentation and testing":
        return "experimental"
    if keyword == "Reserved":
        return "reserved"
    return "assigned"


def _parse_row(row: dict[str, str]) -> ProtocolInfo:
    keyword = row["keyword"].strip()
    deprecated = keyword.endswith(_DEPRECATED_NOTE)
    if deprecated:
        keyword = keyword.removesuffix(_DEPRECATED_NOTE)
    # IANA leaves the description empty for a few keywords (124 "ISIS over IPv4", 135).
    name = row["protocol"].strip() or keyword
    return ProtocolInfo(int(row["decimal"]), keyword, name, _status(keyword, name), deprecated)


@cache
def _table() -> tuple[ProtocolInfo, ...]:
    text = resources.files("flowtui.core").joinpath("data", _CSV_NAME).read_text("utf-8")
    infos = tuple(_parse_row(row) for row in csv.DictReader(io.StringIO(text)))
    if [info.number for info in infos] != list(range(_HIGHEST + 1)):
        raise RuntimeError(f"packaged {_CSV_NAME} must list every protocol number 0-255 in order")
    return infos


@cache
def _numbers_by_name() -> dict[str, int]:
    names = {info.keyword.lower(): info.number for info in _table() if info.status == "assigned"}
    names.pop("", None)
    return names | _ALIASES


def protocol_info(number: int) -> ProtocolInfo:
    """The IANA entry for a protocol number; ValueError outside 0-255."""
    if not 0 <= number <= _HIGHEST:
        raise ValueError(f"protocol numbers run from 0 to 255, not {number}")
    return _table()[number]


def protocol_label(number: int) -> str:
    """A short label with the number: "TCP (6)", "Unassigned (200)", "Experimental (253)"."""
    if not 0 <= number <= _HIGHEST:
        return f"Out of range ({number})"
    info = _table()[number]
    if info.status == "unassigned":
        return f"Unassigned ({number})"
    if info.status == "experimental":
        return f"Experimental ({number})"
    title = info.keyword or info.name[:1].upper() + info.name[1:]
    return f"{title} ({number})"


def protocol_number(name: str) -> int | None:
    """The number for a keyword or common alias ("tcp", "ICMPv6"), or a decimal 0-255; else None."""
    text = name.strip().lower()
    if text.isascii() and text.isdecimal():
        number = int(text)
        return number if number <= _HIGHEST else None
    return _numbers_by_name().get(text)
