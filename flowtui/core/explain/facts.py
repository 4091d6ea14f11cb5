"""The flow record as the explain evaluator takes it: `FlowFacts`, checked on creation, built
from a record keyed by AWS field names; `RecordError` says which field is unusable."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

_HIGHEST_PORT = 65535


class RecordError(ValueError):
    """A record that cannot be explained as given; the message says which field is wrong."""


# --- the record -----------------------------------------------------------------------------


def _checked_address(value: str | None, name: str) -> None:
    if value is None:
        return
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise RecordError(f"{name} {value!r} is not an IP address") from None


@dataclass(frozen=True, slots=True)
class FlowFacts:
    """The fields of one flow record that explaining it needs (AWS names, `-` as None)."""

    interface_id: str
    protocol: int | None = None
    srcaddr: str | None = None
    dstaddr: str | None = None
    srcport: int | None = None
    dstport: int | None = None
    pkt_srcaddr: str | None = None
    pkt_dstaddr: str | None = None
    flow_direction: str | None = None
    action: str | None = None
    reject_reason: str | None = None
    tcp_flags: int | None = None
    #: False when the record's format has no reject-reason field (before version 8).
    has_reject_reason: bool = True

    def __post_init__(self) -> None:
        for name, address in (
            ("srcaddr", self.srcaddr),
            ("dstaddr", self.dstaddr),
            ("pkt-srcaddr", self.pkt_srcaddr),
            ("pkt-dstaddr", self.pkt_dstaddr),
        ):
            _checked_address(address, name)
        for name, port in (("srcport", self.srcport), ("dstport", self.dstport)):
            if port is not None and not 0 <= port <= _HIGHEST_PORT:
                raise RecordError(f"{name} {port} is not a port number (0-65535)")
        if self.protocol is not None and not 0 <= self.protocol <= 255:
            raise RecordError(f"protocol {self.protocol} is not a protocol number (0-255)")
        if self.flow_direction not in (None, "ingress", "egress"):
            raise RecordError(f"flow-direction {self.flow_direction!r} is not ingress or egress")

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> FlowFacts:
        """Facts from a record keyed by AWS field names ('pkt-srcaddr', ...).

        Values may be text as in the log line, ints for integer fields, None or '-' when absent;
        an IPv4 address may be its 32-bit integer with the IPv6 form in '<field>_v6', as the
        record store keeps them. RecordError names the field when a value is unusable.
        """
        interface_id = _record_text(record, "interface-id")
        if interface_id is None:
            raise RecordError(
                "the record has no interface-id: explaining it needs the network interface "
                "it was captured on"
            )
        return cls(
            interface_id=interface_id,
            protocol=_record_int(record, "protocol"),
            srcaddr=_record_address(record, "srcaddr"),
            dstaddr=_record_address(record, "dstaddr"),
            srcport=_record_int(record, "srcport"),
            dstport=_record_int(record, "dstport"),
            pkt_srcaddr=_record_address(record, "pkt-srcaddr"),
            pkt_dstaddr=_record_address(record, "pkt-dstaddr"),
            flow_direction=_record_text(record, "flow-direction"),
            action=_record_text(record, "action"),
            reject_reason=_record_text(record, "reject-reason"),
            tcp_flags=_record_int(record, "tcp-flags"),
            has_reject_reason="reject-reason" in record,
        )


def _record_text(record: Mapping[str, object], name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return None if text in ("", "-") else text


def _record_int(record: Mapping[str, object], name: str) -> int | None:
    value = record.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _record_text(record, name)
    if text is None:
        return None
    if not (text.isascii() and text.isdecimal()):
        raise RecordError(f"{name} {text!r} is not a number")
    return int(text)


def _record_address(record: Mapping[str, object], name: str) -> str | None:
    value = record.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return str(ipaddress.IPv4Address(value))
        except ValueError:
            raise RecordError(f"{name} {value} is not an IPv4 address") from None
    return _record_text(record, name) or _record_text(record, f"{name}_v6")
