"""Plain-word explanations of flow-log values, one record or one value at a time.

`describe_record` feeds the detail pane (every field: raw text, readable value, meaning);
`decode_for_json` gives the compact meanings of `flowtui query --decode`. Both take a record as
a mapping of AWS field names to typed values: int for integer fields and start/end seconds,
str for text, enums and addresses, None for '-'.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from flowtui.core.addresses import address_class
from flowtui.core.fields import FIELDS, FieldKind
from flowtui.core.ports import port_description, port_service
from flowtui.core.protocols import protocol_info, protocol_label

MISSING = "-"
TCP = 6

_FIN, _SYN, _RST, _SYN_ACK = 1, 2, 4, 18
# SYN-ACK first so that 18 never splits into SYN + ACK; then the order of a connection's life.
_FLAG_ORDER = ((_SYN_ACK, "SYN-ACK"), (_SYN, "SYN"), (_RST, "RST"), (_FIN, "FIN"))
_FLAG_PHRASES = {
    "SYN-ACK": "SYN-ACK: the sender accepted a connection",
    "SYN": "SYN: the sender is opening a connection",
    "RST": "RST: the sender reset the connection",
    "FIN": "FIN: the sender is closing the connection",
}

_ACTIONS = {
    "ACCEPT": (
        "Allowed by both the security group and the network ACL; security groups are stateful "
        "(replies pass automatically), network ACLs stateless (replies need their own rule)"
    ),
    "REJECT": (
        "Denied by a security group or a network ACL, or the packets arrived after the "
        "connection was closed; security groups are stateful, network ACLs stateless, so a "
        "reply rejected after its request was accepted points at a network ACL"
    ),
}
_BPA_REJECT = (
    "Blocked by VPC Block Public Access (BPA), which stops internet-gateway traffic for the "
    "VPC or subnet"
)
_LOG_STATUSES = {
    "OK": "Data is logging normally to the chosen destinations",
    "NODATA": (
        "There was no network traffic to or from the network interface during the aggregation "
        "interval"
    ),
    "SKIPDATA": (
        "Some flow log records were skipped during the aggregation interval (internal capacity "
        "constraint or internal error); one skipped record can stand for many flows"
    ),
}
_TRAFFIC_PATHS = {
    1: "Through another resource in the same VPC, including one with a network interface in it",
    2: "Through an internet gateway or a gateway VPC endpoint",
    3: "Through a virtual private gateway",
    4: "Through an intra-region VPC peering connection",
    5: "Through an inter-region VPC peering connection",
    6: "Through a local gateway",
    7: "Through a gateway VPC endpoint (Nitro-based instances only)",
    8: "Through an internet gateway (Nitro-based instances only)",
}
_DIRECTIONS = {
    "ingress": "Incoming: traffic arriving at the network interface",
    "egress": "Outgoing: traffic leaving the network interface",
}
_TYPES = {
    "IPv4": "IPv4 traffic",
    "IPv6": "IPv6 traffic",
    "EFA": "Elastic Fabric Adapter (EFA) traffic",
}
_ENCRYPTION = {
    0: "Not encrypted",
    1: "Encrypted by the Nitro hardware (managed by VPC Encryption Controls)",
    2: "Encrypted by the application (inferred from port and configuration, e.g. TLS on 443)",
    3: "Encrypted both by the Nitro hardware and by the application",
}
_ADDRESS_PAIRS = {"pkt-srcaddr": "srcaddr", "pkt-dstaddr": "dstaddr"}
_COUNT_FIELDS = frozenset(
    {
        "packets",
        "bytes",
        "packets-lost-no-route",
        "packets-lost-blackhole",
        "packets-lost-mtu-exceeded",
        "packets-lost-ttl-expired",
    }
)
_NOT_RECORDED = "'-': not applicable, or could not be computed for this record"
_MINUTE, _HOUR = 60, 3600
_BYTE_UNITS = ("KiB", "MiB", "GiB", "TiB")


@dataclass(frozen=True, slots=True)
class DecodedField:
    """One line of a decoded record: the value as logged, readable, and what it means here."""

    name: str
    raw: str
    value: str
    meaning: str


# --- single values -----------------------------------------------------------------------------


def explain_action(value: str | None, reject_reason: str | None = None) -> str:
    """What ACCEPT or REJECT means; a BPA reject-reason names Block Public Access instead."""
    if value is None:
        return "'-': no traffic to judge (NODATA or SKIPDATA record)"
    if value == "REJECT" and reject_reason == "BPA":
        return _BPA_REJECT
    return _ACTIONS.get(value, f"Unknown action {value!r}")


def explain_log_status(value: str | None) -> str:
    """AWS's wording for OK, NODATA and SKIPDATA."""
    if value is None:
        return _NOT_RECORDED
    return _LOG_STATUSES.get(value, f"Unknown log status {value!r}")


#: TCP flag bits by name, for filters. AWS reports FIN, SYN, RST and SYN-ACK (SYN|ACK = 18);
#: the other bits are named too, so that any value can be written by name.
TCP_FLAG_BITS = {"fin": 1, "syn": 2, "rst": 4, "psh": 8, "ack": 16, "urg": 32}
_FLAG_JOINERS = re.compile(r"[-+]")


def tcp_flags_value(text: str) -> int | None:
    """The tcp-flags value that names stand for: "syn" 2, "syn-ack" (or "syn+ack") 18,
    "syn-ack-fin" 19, in any case; None when a part is not a flag name."""
    parts = _FLAG_JOINERS.split(text.strip().lower())
    if not all(part in TCP_FLAG_BITS for part in parts):
        return None
    value = 0
    for part in parts:
        value |= TCP_FLAG_BITS[part]
    return value


def tcp_flag_names(value: int | None) -> list[str]:
    """Names of the flags in a tcp-flags value: 19 gives ["SYN-ACK", "FIN"], 18 ["SYN-ACK"].

    AWS reports only FIN 1, SYN 2, RST 4 and SYN-ACK 18, OR-ed over the aggregation interval;
    any other bit is named by its hex value ("0x20"). 0 and '-' (None) give no names.
    """
    if value is None:
        return []
    if value < 0:
        raise ValueError(f"tcp-flags cannot be negative, got {value}")
    names: list[str] = []
    rest = value
    for mask, name in _FLAG_ORDER:
        if rest & mask == mask:
            names.append(name)
            rest &= ~mask
    bit = 1
    while rest:
        if rest & bit:
            names.append(f"0x{bit:x}")
            rest &= ~bit
        bit <<= 1
    return names


def explain_tcp_flags(value: int | None) -> str:
    """One line on a tcp-flags value, with AWS's caveats."""
    if value is None:
        return "'-': no traffic in this record, or AWS could not calculate the flags"
    if value == 0:
        return "No supported flag: ACK-only, PSH and other unreported flags give 0"
    names = tcp_flag_names(value)
    phrases = [_FLAG_PHRASES.get(name, f"{name}: a bit AWS does not report") for name in names]
    text = "; ".join(phrases)
    if len(names) > 1:
        text += " (flags are OR-ed over the aggregation interval: a short connection shows both)"
    return text


def explain_traffic_path(code: int | None) -> str:
    """The route egress traffic took (codes 1-8); '-' always for ingress."""
    if code is None:
        return "'-': no listed path applies; always '-' for ingress, which it does not cover"
    return _TRAFFIC_PATHS.get(code, f"Unknown traffic-path code {code}")


def explain_flow_direction(value: str | None) -> str:
    if value is None:
        return _NOT_RECORDED
    return _DIRECTIONS.get(value, f"Unknown flow direction {value!r}")


def explain_type(value: str | None) -> str:
    if value is None:
        return _NOT_RECORDED
    return _TYPES.get(value, f"Unknown traffic type {value!r}")


def explain_reject_reason(value: str | None) -> str:
    if value is None:
        return "'-': not rejected by Block Public Access (any other reason also shows '-')"
    if value == "BPA":
        return _BPA_REJECT
    return f"Unknown reject reason {value!r}"


def explain_encryption_status(value: int | None) -> str:
    if value is None:
        return "'-': unknown, or VPC Encryption Controls are off"
    return _ENCRYPTION.get(value, f"Unknown encryption status {value}")


def format_timestamp(seconds: int) -> str:
    """UTC ISO-8601, e.g. 2014-12-14T04:06:50Z."""
    try:
        moment = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return f"{seconds} (not a valid time)"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def format_duration(start: int, end: int) -> str:
    """ "60 s", "1 min 55 s", "1 h 2 min"; a negative span says so."""
    seconds = end - start
    if seconds < 0:
        return f"{seconds} s (end is before start)"
    if seconds <= _MINUTE:
        return f"{seconds} s"
    hours, rest = divmod(seconds, _HOUR)
    minutes, secs = divmod(rest, _MINUTE)
    parts = [f"{count} {unit}" for count, unit in ((hours, "h"), (minutes, "min"), (secs, "s"))]
    return " ".join(part for part in parts if not part.startswith("0 "))


def average_packet_size(bytes_: int | None, packets: int | None) -> float | None:
    """Bytes per packet, or None when either is missing or there are no packets."""
    if bytes_ is None or packets is None or packets <= 0:
        return None
    return bytes_ / packets


# --- whole records -----------------------------------------------------------------------------

_Decoded = tuple[str, str]
_Decoder = Callable[[str, object, Mapping[str, object]], _Decoded]


def _as_int(value: object) -> int | None:
    """An int from an int or a decimal string; anything else (bools included) is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if text.isascii() and text.removeprefix("-").isdecimal():
        return int(text)
    return None


def _as_text(value: object) -> str | None:
    return None if value is None else str(value)


def _raw(value: object) -> str:
    return MISSING if value is None else str(value)


def _catalog_meaning(name: str) -> str:
    spec = FIELDS.get(name)
    return spec.meaning if spec else ""


def _human_bytes(count: int) -> str:
    size = count / 1024
    for unit in _BYTE_UNITS[:-1]:
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} {_BYTE_UNITS[-1]}"


def _integer(name: str, value: object, show: Callable[[int], _Decoded]) -> _Decoded:
    """Missing, invalid and valid integers handled alike; `show` formats a valid one."""
    if value is None:
        return MISSING, _NOT_RECORDED
    number = _as_int(value)
    if number is None or number < 0:
        return str(value), f"Not a valid {name} value"
    return show(number)


def _protocol(name: str, value: object, record: Mapping[str, object]) -> _Decoded:
    def show(number: int) -> _Decoded:
        if number > 255:
            return str(number), "Not a protocol number (0-255)"
        info = protocol_info(number)
        meanings = {
            "unassigned": "Not assigned by IANA: unusual in real traffic",
            "experimental": "IANA: for experimentation and testing (RFC 3692)",
            "reserved": "Reserved by IANA",
            "assigned": f"IANA: {info.name}" + (" (deprecated)" if info.deprecated else ""),
        }
        return protocol_label(number), meanings[info.status]

    return _integer(name, value, show)


def _port(name: str, value: object, record: Mapping[str, object]) -> _Decoded:
    protocol = _as_int(record.get("protocol"))

    def show(port: int) -> _Decoded:
        service = port_service(port, protocol)
        return (f"{service} ({port})" if service else str(port)), port_description(port, protocol)

    return _integer(name, value, show)


def _count(name: str, value: object, record: Mapping[str, object]) -> _Decoded:
    def show(count: int) -> _Decoded:
        shown = f"{count:,}"
        if name == "bytes" and count >= 1024:
            shown += f" ({_human_bytes(count)})"
        return shown, _catalog_meaning(name)

    return _integer(name, value, show)


def _timestamp(name: str, value: object, record: Mapping[str, object]) -> _Decoded:
    meaning = _catalog_meaning(name)
    return _integer(name, value, lambda seconds: (format_timestamp(seconds), meaning))


def _tcp_flags(name: str, value: object, record: Mapping[str, object]) -> _Decoded:
    protocol = _as_int(record.get("protocol"))

    def show(flags: int) -> _Decoded:
        shown = f"{', '.join(tcp_flag_names(flags)) or 'none'} ({flags})"
        if flags == 0 and protocol is not None and protocol != TCP:
            return shown, "Not TCP traffic, so there are no TCP flags"
        return shown, explain_tcp_flags(flags)

    if value is None:
        return MISSING, explain_tcp_flags(None)
    return _integer(name, value, show)


def _coded(explain: Callable[[int | None], str]) -> _Decoder:
    """A decoder for small integer codes explained one by one (traffic-path, encryption)."""

    def decode(name: str, value: object, record: Mapping[str, object]) -> _Decoded:
        if value is None:
            return MISSING, explain(None)
        return _integer(name, value, lambda code: (str(code), explain(code)))

    return decode


def _worded(explain: Callable[[str | None], str]) -> _Decoder:
    """A decoder for text values explained one by one (log-status, type, flow-direction...)."""

    def decode(name: str, value: object, record: Mapping[str, object]) -> _Decoded:
        return _raw(value), explain(_as_text(value))

    return decode


def _action(name: str, value: object, record: Mapping[str, object]) -> _Decoded:
    return _raw(value), explain_action(_as_text(value), _as_text(record.get("reject-reason")))


def _address(name: str, value: object, record: Mapping[str, object]) -> _Decoded:
    if value is None:
        return MISSING, "'-': no address recorded (no traffic, or not applicable)"
    text = str(value)
    meaning = address_class(text).description
    interface_side = _ADDRESS_PAIRS.get(name)
    seen_by_interface = record.get(interface_side) if interface_side else None
    if seen_by_interface is not None and str(seen_by_interface) != text:
        meaning += (
            f"; the packet's own address, while {interface_side} shows {seen_by_interface} "
            "(an intermediate such as a NAT or transit gateway, or the interface's primary address)"
        )
    return text, meaning


def _instance_id(name: str, value: object, record: Mapping[str, object]) -> _Decoded:
    if value is None:
        return MISSING, (
            "'-': no instance you own, e.g. a requester-managed interface (NAT gateway, "
            "transit gateway, load balancer, VPC endpoint)"
        )
    return str(value), _catalog_meaning(name)


def _account_id(name: str, value: object, record: Mapping[str, object]) -> _Decoded:
    if value == "unknown":
        return "unknown", "The interface was created by an AWS service (e.g. a VPC endpoint)"
    return _default(name, value, record)


def _aws_service(name: str, value: object, record: Mapping[str, object]) -> _Decoded:
    side = "source" if name == "pkt-src-aws-service" else "destination"
    if value is None:
        return MISSING, f"'-': the packet {side} is not in a published AWS service IP range"
    return str(value), f"The packet {side} is in the AWS IP ranges of {value}"


def _default(name: str, value: object, record: Mapping[str, object]) -> _Decoded:
    if value is None:
        return MISSING, _NOT_RECORDED
    return str(value), _catalog_meaning(name)


_DECODERS: dict[str, _Decoder] = {
    "protocol": _protocol,
    "srcport": _port,
    "dstport": _port,
    "start": _timestamp,
    "end": _timestamp,
    "action": _action,
    "log-status": _worded(explain_log_status),
    "tcp-flags": _tcp_flags,
    "type": _worded(explain_type),
    "flow-direction": _worded(explain_flow_direction),
    "traffic-path": _coded(explain_traffic_path),
    "reject-reason": _worded(explain_reject_reason),
    "encryption-status": _coded(explain_encryption_status),
    "instance-id": _instance_id,
    "account-id": _account_id,
    "pkt-src-aws-service": _aws_service,
    "pkt-dst-aws-service": _aws_service,
    **{name: _count for name in _COUNT_FIELDS},
    **{name: _address for name, spec in FIELDS.items() if spec.kind is FieldKind.ADDRESS},
}


def _duration_inputs(record: Mapping[str, object]) -> tuple[int, int] | None:
    start, end = _as_int(record.get("start")), _as_int(record.get("end"))
    return None if start is None or end is None else (start, end)


def _average_size(record: Mapping[str, object]) -> float | None:
    return average_packet_size(_as_int(record.get("bytes")), _as_int(record.get("packets")))


def _derived(record: Mapping[str, object]) -> list[DecodedField]:
    derived: list[DecodedField] = []
    span = _duration_inputs(record)
    if span is not None:
        seconds = span[1] - span[0]
        derived.append(
            DecodedField(
                "duration",
                str(seconds),
                format_duration(*span),
                "Time between the first and the last packet of the flow in this window",
            )
        )
    average = _average_size(record)
    if average is not None:
        derived.append(
            DecodedField(
                "average packet size",
                f"{average:.1f}",
                f"{average:.1f} bytes",
                "Bytes divided by packets",
            )
        )
    return derived


def describe_record(record: Mapping[str, object]) -> list[DecodedField]:
    """Every field of a record in record order, then the derived duration and packet size."""
    decoded = [
        DecodedField(name, _raw(value), *_DECODERS.get(name, _default)(name, value, record))
        for name, value in record.items()
    ]
    return decoded + _derived(record)


def _json_protocol(value: int) -> str:
    if not 0 <= value <= 255:
        return str(value)
    info = protocol_info(value)
    return info.keyword if info.status == "assigned" and info.keyword else protocol_label(value)


def _json_packet(record: Mapping[str, object]) -> dict[str, object]:
    """Protocol, flags, address kinds and port services."""
    decoded: dict[str, object] = {}
    protocol = _as_int(record.get("protocol"))
    if protocol is not None:
        decoded["protocol"] = _json_protocol(protocol)
    flags = _as_int(record.get("tcp-flags"))
    if flags is not None and flags >= 0:
        decoded["tcp-flags"] = tcp_flag_names(flags)
    for name in ("srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr"):
        address = _as_text(record.get(name))
        if address is not None:
            decoded[name] = address_class(address).kind
    for name in ("srcport", "dstport"):
        port = _as_int(record.get(name))
        service = port_service(port, protocol) if port is not None else None
        if service is not None:
            decoded[name] = service
    return decoded


def _json_verdict(record: Mapping[str, object]) -> dict[str, object]:
    """What happened to the traffic: action, log status, path, encryption."""
    decoded: dict[str, object] = {}
    action = _as_text(record.get("action"))
    if action is not None:
        reason = _as_text(record.get("reject-reason"))
        decoded["action"] = f"{action}: {explain_action(action, reason)}"
    status = _as_text(record.get("log-status"))
    if status is not None:
        decoded["log-status"] = f"{status}: {explain_log_status(status)}"
    reject_reason = _as_text(record.get("reject-reason"))
    if reject_reason is not None:
        decoded["reject-reason"] = explain_reject_reason(reject_reason)
    path = _as_int(record.get("traffic-path"))
    if path is not None:
        decoded["traffic-path"] = explain_traffic_path(path)
    encryption = _as_int(record.get("encryption-status"))
    if encryption is not None:
        decoded["encryption-status"] = explain_encryption_status(encryption)
    return decoded


def _json_timing(record: Mapping[str, object]) -> dict[str, object]:
    """Start and end as UTC times, the duration, the average packet size."""
    decoded: dict[str, object] = {}
    for name in ("start", "end"):
        seconds = _as_int(record.get(name))
        if seconds is not None:
            decoded[name] = format_timestamp(seconds)
    span = _duration_inputs(record)
    if span is not None:
        decoded["duration_s"] = span[1] - span[0]
    average = _average_size(record)
    if average is not None:
        decoded["average_packet_bytes"] = round(average, 1)
    return decoded


def decode_for_json(record: Mapping[str, object]) -> dict[str, object]:
    """Compact meanings for `flowtui query --decode`; only keys whose input is present."""
    return _json_packet(record) | _json_verdict(record) | _json_timing(record)
