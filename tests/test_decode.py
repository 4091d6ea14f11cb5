"""Decoding flow-log records: the AWS documentation examples mean what AWS says they mean."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest

from flowtui.core.decode import (
    average_packet_size,
    decode_for_json,
    describe_record,
    explain_action,
    explain_encryption_status,
    explain_flow_direction,
    explain_log_status,
    explain_reject_reason,
    explain_tcp_flags,
    explain_traffic_path,
    explain_type,
    format_duration,
    format_timestamp,
    tcp_flag_names,
)
from flowtui.core.fields import FIELDS, FieldKind

SAMPLES = Path("/work/shared/samples/aws-docs-examples.txt")
_INTEGER_KINDS = (FieldKind.INTEGER, FieldKind.TIMESTAMP)


# --- the sample file -----------------------------------------------------------------------------


@dataclass
class SampleBlock:
    fields: list[str]
    records: list[dict[str, object]] = field(default_factory=list)
    expects: list[str] = field(default_factory=list)


def _convert(name: str, token: str) -> object:
    if token == "-":
        return None
    return int(token) if FIELDS[name].kind in _INTEGER_KINDS else token


def _record(fields: list[str], line: str) -> dict[str, object]:
    tokens = line.split()
    annotation = next((i for i, token in enumerate(tokens) if token.startswith("#")), len(tokens))
    tokens = tokens[:annotation]
    assert len(tokens) == len(fields), f"token count mismatch in {line!r}"
    return {name: _convert(name, token) for name, token in zip(fields, tokens, strict=True)}


def read_samples(path: Path) -> list[SampleBlock]:
    """Blocks of '# format:', then records, then their '# expect:' lines in record order."""
    blocks: list[SampleBlock] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# format:"):
            blocks.append(SampleBlock(line.removeprefix("# format:").split()))
        elif line.startswith("# expect:"):
            blocks[-1].expects.append(line.removeprefix("# expect:").strip())
        elif line.strip() and not line.startswith("#"):
            blocks[-1].records.append(_record(blocks[-1].fields, line))
    return blocks


# --- what each documented record means -----------------------------------------------------------


@dataclass(frozen=True)
class Meaning:
    json: dict[str, object] = field(default_factory=dict)  # exact decode_for_json entries
    starts: dict[str, str] = field(default_factory=dict)  # decode_for_json entry prefixes
    values: dict[str, str] = field(default_factory=dict)  # describe_record readable values
    meanings: dict[str, str] = field(default_factory=dict)  # text inside describe_record meanings
    absent: tuple[str, ...] = ()  # decode_for_json keys that must not appear


NO_TRAFFIC = ("action", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "tcp-flags")
SSH_ACCEPTED = Meaning(
    json={"protocol": "TCP", "dstport": "ssh", "srcaddr": "private", "dstaddr": "private"},
    starts={"action": "ACCEPT: Allowed by both the security group and the network ACL"},
    values={"dstport": "ssh (22)", "protocol": "TCP (6)", "start": "2014-12-14T04:06:50Z"},
    meanings={"dstport": "secure shell", "duration": "first and the last packet"},
)
RDP_REJECTED = Meaning(
    json={"protocol": "TCP", "dstport": "rdp", "duration_s": 60},
    starts={"action": "REJECT: Denied by a security group or a network ACL"},
    values={"dstport": "rdp (3389)", "duration": "60 s"},
    meanings={"action": "after the connection was closed", "dstport": "remote desktop"},
)
NODATA = Meaning(
    starts={"log-status": "NODATA: There was no network traffic"},
    meanings={"action": "NODATA or SKIPDATA", "srcaddr": "no address recorded"},
    absent=(*NO_TRAFFIC, "average_packet_bytes"),
)
SKIPDATA = Meaning(
    starts={"log-status": "SKIPDATA: Some flow log records were skipped"},
    meanings={"log-status": "internal capacity"},
    absent=(*NO_TRAFFIC, "average_packet_bytes"),
)
PING_ACCEPTED = Meaning(
    json={"protocol": "ICMP", "srcaddr": "documentation", "dstaddr": "private", "duration_s": 115},
    starts={"action": "ACCEPT: Allowed by both"},
    values={"protocol": "ICMP (1)", "duration": "1 min 55 s"},
    meanings={"protocol": "internet control message", "dstport": "ports do not apply"},
    absent=("srcport", "dstport"),
)
PING_REPLY_REJECTED = Meaning(
    json={"protocol": "ICMP", "srcaddr": "private", "dstaddr": "documentation"},
    starts={"action": "REJECT:"},
    meanings={"action": "reply rejected after its request was accepted points at a network acl"},
)
SSH_OVER_IPV6 = Meaning(
    json={"dstport": "ssh", "srcaddr": "documentation", "dstaddr": "documentation"},
    starts={"action": "ACCEPT:"},
    meanings={"srcaddr": "2001:db8::/32"},
)


def _flags(names: list[str], shown: str, meaning: str, **extra: dict[str, str]) -> Meaning:
    return Meaning(
        json={"tcp-flags": names, "protocol": "TCP"},
        values={"tcp-flags": shown, **extra.get("values", {})},
        meanings={"tcp-flags": meaning, **extra.get("meanings", {})},
    )


SYN = _flags(["SYN"], "SYN (2)", "opening a connection", meanings={"srcport": "ephemeral"})
SYN_ACK = _flags(
    ["SYN-ACK"], "SYN-ACK (18)", "accepted a connection", meanings={"dstport": "ephemeral"}
)
SYN_FIN = _flags(["SYN", "FIN"], "SYN, FIN (3)", "OR-ed over the aggregation interval")
SYN_ACK_FIN = _flags(["SYN-ACK", "FIN"], "SYN-ACK, FIN (19)", "OR-ed over the aggregation interval")

EXPECTED: dict[str, Meaning] = {
    "accepted SSH traffic (dstport 22, TCP) to eni-1235b8ca123456789 in account 123456789010": (
        SSH_ACCEPTED
    ),
    "rejected RDP traffic (dstport 3389, TCP) to eni-1235b8ca123456789": RDP_REJECTED,
    "NODATA record: no data recorded during the aggregation interval "
    '(fields 4-10 and action are "-")': NODATA,
    "SKIPDATA record: records were skipped during the aggregation interval (exceeded internal "
    "capacity); one skipped record can represent multiple flows": SKIPDATA,
    "ACCEPT: originating ping (ICMP, protocol 1) from 203.0.113.12 allowed by both the network ACL "
    "and the security group": PING_ACCEPTED,
    "REJECT: response ping denied by the (stateless) network ACL outbound rules; the stateful "
    "security group would have allowed it": PING_REPLY_REJECTED,
    "accepted SSH (port 22) from IPv6 address 2001:db8:1234:a100:8d6e:3477:df66:f105 to "
    "eni-1235b8ca123456789": SSH_OVER_IPV6,
    "SYN (2) client->server, client port 43416": SYN,
    "SYN-ACK (18) server->client, port 43416": SYN_ACK,
    "SYN (2) client->server, client port 43418": SYN,
    "SYN-ACK (18) server->client, port 43418": SYN_ACK,
    "second aggregation interval: FIN (1) server->client for port 43418 connection": _flags(
        ["FIN"], "FIN (1)", "closing the connection", values={"duration": "3 min"}
    ),
    "second aggregation interval: FIN (1) client->server for port 43418 connection": Meaning(
        json={"tcp-flags": ["FIN"], "average_packet_bytes": 1476.8},
        values={"bytes": "23,294,588 (22.2 MiB)", "packets": "15,774"},
    ),
    "short connection in one interval: 3 = SYN + FIN client->server": SYN_FIN,
    "short connection in one interval: 19 = SYN-ACK + FIN server->client": SYN_ACK_FIN,
    'NAT gateway ENI (requester-managed, so instance-id is "-"): instance 10.0.1.5 -> NAT ENI '
    "10.0.0.220; pkt-dstaddr shows final destination 203.0.113.5": Meaning(
        json={"srcaddr": "private", "dstaddr": "private", "pkt-dstaddr": "documentation"},
        meanings={"instance-id": "requester-managed", "pkt-dstaddr": "dstaddr shows 10.0.0.220"},
    ),
    "NAT ENI 10.0.0.220 -> internet host 203.0.113.5": Meaning(
        json={"srcaddr": "private", "dstaddr": "documentation", "pkt-dstaddr": "documentation"},
    ),
    "internet host 203.0.113.5 -> NAT ENI 10.0.0.220 (response)": Meaning(
        json={"srcaddr": "documentation", "dstaddr": "private"},
    ),
    "NAT ENI -> source instance 10.0.1.5; pkt-srcaddr shows the internet host 203.0.113.5": Meaning(
        json={"srcaddr": "private", "pkt-srcaddr": "documentation"},
        meanings={"pkt-srcaddr": "srcaddr shows 10.0.0.220"},
    ),
    "instance ENI: traffic from the source instance to the host on the internet (srcaddr == "
    "pkt-srcaddr, dstaddr == pkt-dstaddr)": Meaning(
        json={"srcaddr": "private", "dstaddr": "documentation", "pkt-dstaddr": "documentation"},
        values={"instance-id": "i-01234567890123456"},
    ),
    "instance ENI: response traffic from the internet host to the instance": Meaning(
        json={"srcaddr": "documentation", "dstaddr": "private"},
    ),
    "web server ENI eni-33333333333333333: request from client 10.20.33.164 (tcp-flags 3 = "
    "SYN+FIN)": Meaning(json={"tcp-flags": ["SYN", "FIN"], "dstport": "http"}),
    "web server ENI: response to the client (tcp-flags 19 = SYN-ACK+FIN)": Meaning(
        json={"tcp-flags": ["SYN-ACK", "FIN"], "srcport": "http"}
    ),
    'transit gateway ENI eni-11111111111111111 (requester-managed, instance-id "-"): '
    "srcaddr is the TGW ENI IP 10.40.1.175, pkt-srcaddr is the client 10.20.33.164": Meaning(
        json={"tcp-flags": ["SYN", "FIN"]},
        meanings={"instance-id": "requester-managed", "pkt-srcaddr": "srcaddr shows 10.40.1.175"},
    ),
    "transit gateway ENI eni-22222222222222222: response; dstaddr is the TGW ENI IP 10.40.2.31, "
    "pkt-dstaddr is the client": Meaning(
        json={"tcp-flags": ["SYN-ACK", "FIN"]},
        meanings={"pkt-dstaddr": "dstaddr shows 10.40.2.31"},
    ),
    "ingress record: EC2 instance receiving from Amazon S3 (pkt-src-aws-service S3); "
    'traffic-path "-" because traffic-path is not supported for ingress': Meaning(
        json={"srcaddr": "public", "srcport": "http", "tcp-flags": ["SYN-ACK", "FIN"]},
        meanings={
            "traffic-path": "always '-' for ingress",
            "pkt-src-aws-service": "AWS IP ranges of S3",
            "flow-direction": "incoming",
        },
        absent=("traffic-path",),
    ),
    "egress record: instance -> S3, pkt-dst-aws-service S3, traffic-path 8 = through an internet "
    "gateway": Meaning(
        json={"traffic-path": "Through an internet gateway (Nitro-based instances only)"},
        meanings={"pkt-dst-aws-service": "of S3", "flow-direction": "outgoing"},
    ),
    "accepted SSH traffic to eni-abc123de": SSH_ACCEPTED,
    "rejected RDP traffic to eni-abc123de": RDP_REJECTED,
    "NODATA record (no data recorded during the capture window)": NODATA,
    "SKIPDATA record (records skipped during the capture window)": SKIPDATA,
    "ACCEPT: originating ping allowed by network ACL and security group": PING_ACCEPTED,
    "REJECT: response ping denied by the network ACL": PING_REPLY_REJECTED,
    "accepted SSH over IPv6 to eni-f41c42bf": SSH_OVER_IPV6,
    "must parse OK (tcp_flags 19)": SYN_ACK_FIN,
}

BLOCKS = read_samples(SAMPLES)
CASES = [
    pytest.param(record, expect, id=expect[:60])
    for block in BLOCKS
    for record, expect in zip(block.records, block.expects, strict=True)
]


def test_sample_file_pairs_every_record_with_one_expectation() -> None:
    assert sum(len(block.records) for block in BLOCKS) == len(CASES) == 35
    assert all(len(block.records) == len(block.expects) for block in BLOCKS)
    assert {expect for block in BLOCKS for expect in block.expects} == set(EXPECTED)


@pytest.mark.parametrize(("record", "expect"), CASES)
def test_documented_record_decodes_to_its_documented_meaning(
    record: dict[str, object], expect: str
) -> None:
    wanted = EXPECTED[expect]
    decoded = decode_for_json(record)
    described = {entry.name: entry for entry in describe_record(record)}

    for key, value in wanted.json.items():
        assert decoded.get(key) == value, key
    for key, prefix in wanted.starts.items():
        assert str(decoded.get(key)).startswith(prefix), key
    for key, value in wanted.values.items():
        assert described[key].value == value, key
    for key, text in wanted.meanings.items():
        assert text.lower() in described[key].meaning.lower(), key
    for key in wanted.absent:
        assert key not in decoded, key


@pytest.mark.parametrize(("record", "expect"), CASES)
def test_describe_record_keeps_record_order_and_raw_text(
    record: dict[str, object], expect: str
) -> None:
    described = describe_record(record)
    names = [entry.name for entry in described]
    assert names[: len(record)] == list(record)
    assert set(names[len(record) :]) <= {"duration", "average packet size"}
    for entry in described[: len(record)]:
        value = record[entry.name]
        assert entry.raw == ("-" if value is None else str(value))
        assert entry.value and entry.meaning


@pytest.mark.parametrize(("record", "expect"), CASES)
def test_decode_for_json_serialises_and_omits_missing_inputs(
    record: dict[str, object], expect: str
) -> None:
    decoded = decode_for_json(record)
    orjson.dumps(decoded)
    assert None not in decoded.values()
    for key in ("action", "log-status", "srcaddr", "dstaddr", "protocol", "start", "end"):
        assert (key in decoded) == (record.get(key) is not None), key


# --- single values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "names"),
    [
        (None, []),
        (0, []),
        (1, ["FIN"]),
        (2, ["SYN"]),
        (3, ["SYN", "FIN"]),
        (4, ["RST"]),
        (7, ["SYN", "RST", "FIN"]),
        (18, ["SYN-ACK"]),
        (19, ["SYN-ACK", "FIN"]),
        (22, ["SYN-ACK", "RST"]),
        (16, ["0x10"]),
        (0x22, ["SYN", "0x20"]),
        (0xC1, ["FIN", "0x40", "0x80"]),
    ],
)
def test_tcp_flag_names(value: int | None, names: list[str]) -> None:
    assert tcp_flag_names(value) == names


def test_negative_tcp_flags_are_refused_with_a_message() -> None:
    with pytest.raises(ValueError, match="negative"):
        tcp_flag_names(-1)


def test_tcp_flag_explanations_carry_the_aws_caveats() -> None:
    assert "ACK-only" in explain_tcp_flags(0)
    assert "could not calculate" in explain_tcp_flags(None)
    assert "OR-ed" in explain_tcp_flags(3)
    assert "OR-ed" not in explain_tcp_flags(18)
    assert "0x20: a bit AWS does not report" in explain_tcp_flags(0x20)


def test_zero_tcp_flags_on_udp_say_flags_do_not_apply() -> None:
    by_name = {f.name: f for f in describe_record({"protocol": 17, "tcp-flags": 0})}
    assert by_name["tcp-flags"].value == "none (0)"
    assert by_name["tcp-flags"].meaning == "Not TCP traffic, so there are no TCP flags"


def test_action_explanations() -> None:
    assert "stateful" in explain_action("ACCEPT")
    assert "stateless" in explain_action("ACCEPT")
    assert "after the connection was closed" in explain_action("REJECT")
    assert "Block Public Access" in explain_action("REJECT", "BPA")
    assert "Block Public Access" not in explain_action("ACCEPT", "BPA")
    assert explain_action("MAYBE") == "Unknown action 'MAYBE'"


def test_bpa_reject_reason_is_named_in_action_and_json() -> None:
    record: dict[str, object] = {"action": "REJECT", "reject-reason": "BPA"}
    decoded = decode_for_json(record)
    assert str(decoded["action"]).startswith("REJECT: Blocked by VPC Block Public Access")
    assert "Block Public Access" in str(decoded["reject-reason"])
    assert "any other reason" in explain_reject_reason(None)


def test_log_status_uses_aws_wording() -> None:
    assert explain_log_status("OK") == "Data is logging normally to the chosen destinations"
    assert "no network traffic" in explain_log_status("NODATA")
    assert "skipped" in explain_log_status("SKIPDATA")


def test_every_traffic_path_code_has_its_own_explanation() -> None:
    texts = {explain_traffic_path(code) for code in range(1, 9)}
    assert len(texts) == 8 and all(text.startswith("Through") for text in texts)
    assert "virtual private gateway" in explain_traffic_path(3)
    assert "inter-region" in explain_traffic_path(5)
    assert "ingress" in explain_traffic_path(None)
    assert explain_traffic_path(9) == "Unknown traffic-path code 9"


def test_enumerations() -> None:
    assert "Elastic Fabric Adapter" in explain_type("EFA")
    assert explain_type("IPv6") == "IPv6 traffic"
    assert explain_flow_direction("ingress").startswith("Incoming")
    assert explain_flow_direction("egress").startswith("Outgoing")
    assert explain_encryption_status(0) == "Not encrypted"
    assert "Nitro" in explain_encryption_status(1)
    assert "application" in explain_encryption_status(2)
    assert "both" in explain_encryption_status(3)
    assert "Encryption Controls are off" in explain_encryption_status(None)


@pytest.mark.parametrize(
    ("start", "end", "text"),
    [
        (0, 0, "0 s"),
        (1418530010, 1418530070, "60 s"),
        (1432917027, 1432917142, "1 min 55 s"),
        (0, 180, "3 min"),
        (0, 3725, "1 h 2 min 5 s"),
        (10, 5, "-5 s (end is before start)"),
    ],
)
def test_format_duration(start: int, end: int, text: str) -> None:
    assert format_duration(start, end) == text


def test_format_timestamp_is_utc_iso() -> None:
    assert format_timestamp(1418530010) == "2014-12-14T04:06:50Z"
    assert format_timestamp(0) == "1970-01-01T00:00:00Z"
    assert format_timestamp(10**20) == "100000000000000000000 (not a valid time)"


def test_average_packet_size() -> None:
    assert average_packet_size(4249, 20) == pytest.approx(212.45)
    assert average_packet_size(100, 0) is None
    assert average_packet_size(None, 3) is None


def test_bad_values_are_described_not_raised() -> None:
    record: dict[str, object] = {
        "protocol": 999,
        "srcport": -1,
        "dstport": "abc",
        "tcp-flags": -3,
        "srcaddr": "not-an-ip",
        "made-up-field": "x",
    }
    by_name = {f.name: f for f in describe_record(record)}
    assert by_name["protocol"].meaning == "Not a protocol number (0-255)"
    assert by_name["srcport"].meaning == "Not a valid srcport value"
    assert by_name["dstport"].meaning == "Not a valid dstport value"
    assert by_name["tcp-flags"].meaning == "Not a valid tcp-flags value"
    assert by_name["srcaddr"].meaning.startswith("Not an IP address")
    assert by_name["made-up-field"].value == "x"
    decoded = decode_for_json(record)
    assert decoded["protocol"] == "999" and "tcp-flags" not in decoded


def test_record_of_missing_values_decodes_to_nothing() -> None:
    record: dict[str, object] = dict.fromkeys(("srcaddr", "protocol", "start", "action"))
    assert decode_for_json(record) == {}
    assert [f.raw for f in describe_record(record)] == ["-"] * 4


def test_packet_address_note_appears_only_when_it_differs_from_the_interface_address() -> None:
    same = {f.name: f for f in describe_record({"srcaddr": "10.0.1.5", "pkt-srcaddr": "10.0.1.5"})}
    other = {f.name: f for f in describe_record({"srcaddr": "10.0.0.9", "pkt-srcaddr": "10.0.1.5"})}
    assert same["pkt-srcaddr"].meaning == "RFC 1918 private address"
    assert "srcaddr shows 10.0.0.9" in other["pkt-srcaddr"].meaning
