"""The parser against AWS's own example records, mixed formats, and every kind of bad line."""

from __future__ import annotations

import polars as pl
import pytest

from flowtui.core.events import EventBatch
from flowtui.core.formats import DEFAULT_FORMAT, parse_format
from flowtui.core.parse import FormatRegistry, LineParser
from flowtui.core.schema import int_to_ipv4, ipv4_to_int
from tests.samples import sample_blocks


def parse(lines: list[str], formats: list[str] | None = None) -> tuple[pl.DataFrame, list]:
    parser = LineParser(FormatRegistry(), [parse_format(f) for f in formats] if formats else None)
    batch = EventBatch(lines, line_numbers=list(range(1, len(lines) + 1)), origin="t.log")
    result = parser.parse_batch(batch)
    return result.frame, result.malformed


def test_every_aws_example_parses_in_its_format() -> None:
    for block in sample_blocks():
        frame, malformed = parse(block.records, [" ".join(block.format_names)])
        annotated = [r for r in block.records if " #" in r]
        assert frame.height == len(block.records) - len(annotated), block.format_names
        assert [m.raw for m in malformed] == annotated
        for line in malformed:
            assert line.reason.startswith("trailing text after the record: '#")


def test_accepted_ssh_and_rejected_rdp_examples() -> None:
    block = sample_blocks()[0]
    frame, _ = parse(block.records)  # detected as the default format
    first, second = frame.row(0, named=True), frame.row(1, named=True)
    assert (first["dstport"], first["protocol"], first["action"]) == (22, 6, "ACCEPT")
    assert first["interface-id"] == "eni-1235b8ca123456789"
    assert first["account-id"] == "123456789010"
    assert int_to_ipv4(first["srcaddr"]) == "172.31.16.139"
    assert (second["dstport"], second["action"]) == (3389, "REJECT")
    assert first["start"] == 1418530010 and first["end"] == 1418530070


def test_nodata_and_skipdata_have_nulls_where_aws_writes_dashes() -> None:
    frame, _ = parse(sample_blocks()[1].records)
    assert frame["log-status"].to_list() == ["NODATA", "SKIPDATA"]
    for column in ("srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes"):
        assert frame[column].null_count() == 2, column
    assert frame["action"].null_count() == 2
    assert frame["start"].to_list() == [1431280876, 1431280876]


def test_ipv6_addresses_are_kept_exactly() -> None:
    frame, _ = parse(sample_blocks()[3].records)
    row = frame.row(0, named=True)
    assert row["srcaddr"] is None
    assert row["srcaddr_v6"] == "2001:db8:1234:a100:8d6e:3477:df66:f105"
    assert row["dstaddr_v6"] == "2001:db8:1234:a102:3304:8879:34cf:4071"


def test_tcp_flag_example_with_double_space_parses() -> None:
    block = sample_blocks()[4]
    frame, malformed = parse(block.records, [" ".join(block.format_names)])
    assert not malformed
    assert frame["tcp-flags"].to_list() == [2, 18, 2, 18, 1, 1, 3, 19]
    # bytes precede packets in this custom format
    assert frame.row(0, named=True)["bytes"] == 568 and frame.row(0, named=True)["packets"] == 8


def test_format_without_version_column() -> None:
    block = sample_blocks()[5]
    frame, _ = parse(block.records, [" ".join(block.format_names)])
    assert "version" not in frame.columns
    assert frame["instance-id"].null_count() == 4  # NAT gateway ENI: requester-managed
    assert int_to_ipv4(frame.row(0, named=True)["pkt-dstaddr"]) == "203.0.113.5"


def test_traffic_path_example() -> None:
    block = sample_blocks()[7]
    frame, _ = parse(block.records, [" ".join(block.format_names)])
    assert frame["flow-direction"].to_list() == ["ingress", "egress"]
    assert frame["traffic-path"].to_list() == [None, 8]
    assert frame["pkt-src-aws-service"].to_list() == ["S3", None]


def test_records_of_several_formats_in_one_input() -> None:
    v5 = "version interface-id srcaddr dstaddr flow-direction traffic-path action log-status"
    lines = [
        "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 1418530010 1418530070 ACCEPT OK",
        "5 eni-2 10.0.0.3 10.0.0.4 egress 8 ACCEPT OK",
        "2 1 eni-1 10.0.0.1 10.0.0.9 1 2 6 3 4 1418530011 1418530070 REJECT OK",
    ]
    frame, malformed = parse(lines, [DEFAULT_FORMAT.header_line(), v5])
    assert not malformed
    assert frame["interface-id"].to_list() == ["eni-1", "eni-2", "eni-1"]  # input order
    assert frame["flow-direction"].to_list() == [None, "egress", None]
    assert frame["dstport"].to_list() == [2, None, 2]
    assert frame["_fmt"].to_list() == [0, 1, 0]


def test_same_field_count_is_decided_by_value_types() -> None:
    first = "version srcaddr action"
    second = "version action srcaddr"
    frame, malformed = parse(["3 10.0.0.1 ACCEPT", "3 REJECT 10.0.0.2"], [first, second])
    assert not malformed
    assert frame["action"].to_list() == ["ACCEPT", "REJECT"]
    assert frame["_fmt"].to_list() == [0, 1]


def test_header_line_switches_format_from_that_line_on() -> None:
    lines = [
        "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 1418530010 1418530070 ACCEPT OK",
        "version srcaddr dstaddr action",
        "3 10.0.0.7 10.0.0.8 REJECT",
    ]
    parser = LineParser(FormatRegistry())
    result = parser.parse_batch(EventBatch(lines))
    assert result.header_lines == 1
    assert result.frame.height == 2
    assert result.frame["action"].to_list() == ["ACCEPT", "REJECT"]
    assert parser.candidates == (parse_format("version srcaddr dstaddr action"),)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 3", "expected 14 fields, found 9"),
        ("2 1 eni-1 10.0.0.1 10.0.0.2 x 2 6 3 4 1 2 ACCEPT OK", "srcport: 'x' is not a number"),
        (
            "2 1 eni-1 10.0.0.1 10.0.0.2 1 70000 6 3 4 1 2 ACCEPT OK",
            "dstport: 70000 is out of range",
        ),
        ("2 1 eni-1 10.0.0.256 10.0.0.2 1 2 6 3 4 1 2 ACCEPT OK", "srcaddr: '10.0.0.256' is not"),
        ("2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 1 2 DENY OK", "action: 'DENY' is not one of"),
        ("2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 1 2 ACCEPT OK\x1b[2J", "control characters"),
        ("2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 1 2 ACCEPT \ufffdOK", "non-UTF-8 bytes"),
        ("2 1 eni-1 ::1 fe80::zz 1 2 6 3 4 1 2 ACCEPT OK", "dstaddr: 'fe80::zz' is not"),
    ],
)
def test_malformed_lines_say_what_is_wrong(line: str, reason: str) -> None:
    frame, malformed = parse(["", line], [DEFAULT_FORMAT.header_line()])
    assert frame.height == 0
    assert len(malformed) == 1
    assert malformed[0].reason.startswith(reason)
    assert malformed[0].line_number == 2
    assert malformed[0].raw == line


def test_blank_lines_are_counted_not_reported() -> None:
    parser = LineParser(FormatRegistry(), [DEFAULT_FORMAT])
    result = parser.parse_batch(EventBatch(["", "   ", "2 1 eni-1 - - - - - - - 1 2 - NODATA"]))
    assert result.blank_lines == 2
    assert not result.malformed
    assert result.frame.height == 1


def test_millisecond_timestamps_are_normalised_to_seconds() -> None:
    frame, _ = parse(
        ["2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 1418530010000 1418530070123 ACCEPT OK"]
    )
    assert frame["start"].to_list() == [1418530010]
    assert frame["end"].to_list() == [1418530070]


def test_cloudwatch_metadata_travels_with_each_record() -> None:
    parser = LineParser(FormatRegistry(), [DEFAULT_FORMAT])
    batch = EventBatch(
        [
            "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 1 2 ACCEPT OK",
            "bad",
            "2 1 eni-2 - - - - - - - 1 2 - NODATA",
        ],
        streams=["eni-1-all", "eni-9-all", "eni-2-all"],
        timestamps=[1000, 2000, 3000],
        ingestion_times=[5000, 6000, 7000],
        event_ids=[11, 22, 33],
    )
    result = parser.parse_batch(batch)
    assert result.frame["_stream"].to_list() == ["eni-1-all", "eni-2-all"]
    assert result.frame["_event_id"].to_list() == [11, 33]
    assert result.frame["_ingest"].to_list() == [5000, 7000]
    assert result.malformed[0].stream == "eni-9-all"


def test_ipv4_text_conversion_round_trips() -> None:
    for text in ("0.0.0.0", "10.0.1.5", "255.255.255.255", "172.31.16.139"):
        assert int_to_ipv4(ipv4_to_int(text)) == text
    with pytest.raises(ValueError):
        ipv4_to_int("10.0.0.256")
