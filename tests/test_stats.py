"""Stats tables: the numbers of each table on small hand-computed frames, every counting mode,
missing fields, IPv6, empty frames, and the headless output formats."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

import orjson
import polars as pl
import pytest

from flowtui.core.fields import FIELDS, FieldKind
from flowtui.core.schema import ROW_ID, ipv4_to_int, store_schema
from flowtui.core.stats.counting import Counting, StatsTable
from flowtui.core.stats.report import format_table, stats_for_cli, stats_overview
from flowtui.core.stats.talkers import SIDES, rejected_ports, rejected_sources, top_talkers
from flowtui.core.stats.timeline import TimelineTable, bucket_seconds_for, timeline
from flowtui.core.stats.values import counts_per, value_counts

Row = tuple[object, ...]

DEFAULT_FIELDS = ["interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol"]
DEFAULT_FIELDS += ["packets", "bytes", "start", "end", "action", "log-status"]


def frame_of(fields: Sequence[str], records: Sequence[Row]) -> pl.DataFrame:
    """A store frame from records written as in a log line: addresses as text, '-' for null."""
    schema = store_schema(fields)
    columns: dict[str, list[object]] = {name: [] for name in schema}
    for row_id, values in enumerate(records):
        record = dict(zip(fields, values, strict=True))
        for name in schema:
            columns[name].append(_cell(name, record, row_id))
    return pl.DataFrame(columns, schema=schema)


def _cell(column: str, record: dict[str, object], row_id: int) -> object:
    if column == ROW_ID:
        return row_id
    field = column.removesuffix("_v6")
    value = record.get(field)
    if value is None or value == "-":
        return None
    if FIELDS[field].kind is not FieldKind.ADDRESS:
        return value
    text = str(value)
    is_ipv6 = ":" in text
    if column.endswith("_v6"):
        return text if is_ipv6 else None
    return None if is_ipv6 else ipv4_to_int(text)


# Seven records from three ENIs; the numbers in the tests below are worked out from these.
BASE = frame_of(
    DEFAULT_FIELDS,
    [
        ("eni-a", "10.0.0.1", "10.0.0.2", 40000, 443, 6, 10, 1000, 1000, 1060, "ACCEPT", "OK"),
        ("eni-a", "10.0.0.1", "10.0.0.3", 40001, 22, 6, 5, 500, 1030, 1090, "REJECT", "OK"),
        ("eni-b", "10.0.0.4", "10.0.0.2", 5353, 53, 17, 2, 200, 1130, 1190, "ACCEPT", "OK"),
        ("eni-b", "10.0.0.5", "10.0.0.3", 50000, 22, 6, 1, 60, 1300, 1360, "REJECT", "OK"),
        ("eni-b", "10.0.0.5", "10.0.0.3", 50001, 3389, 6, 1, 60, 1310, 1370, "REJECT", "OK"),
        ("eni-b", "10.0.0.5", "10.0.0.3", 50002, 22, 17, 1, 60, 1320, 1380, "REJECT", "OK"),
        ("eni-c", "-", "-", "-", "-", "-", "-", "-", 1000, 1060, "-", "NODATA"),
    ],
)


def rows(table: StatsTable) -> list[Row]:
    return table.rows.rows()


# --- top talkers -------------------------------------------------------------------------------


def test_top_sources_by_bytes_with_share_of_all_bytes() -> None:
    table = top_talkers(BASE, "source")
    assert table.title == "Top sources by bytes"
    assert table.columns == ["source", "bytes", "packets", "records", "share_pct"]
    # 1880 bytes in all; the NODATA record has no address, so it is no talker.
    assert rows(table) == [
        ("10.0.0.1", 1500, 15, 2, 79.79),
        ("10.0.0.4", 200, 2, 1, 10.64),
        ("10.0.0.5", 180, 3, 3, 9.57),
    ]


def test_top_sources_by_packets_rank_by_packets() -> None:
    table = top_talkers(BASE, "source", "packets")
    assert table.columns == ["source", "packets", "bytes", "records", "share_pct"]
    assert rows(table) == [
        ("10.0.0.1", 15, 1500, 2, 75.0),
        ("10.0.0.5", 3, 180, 3, 15.0),
        ("10.0.0.4", 2, 200, 1, 10.0),
    ]


def test_top_destinations_and_pairs_by_bytes() -> None:
    assert rows(top_talkers(BASE, "destination")) == [
        ("10.0.0.2", 1200, 12, 2, 63.83),
        ("10.0.0.3", 680, 8, 4, 36.17),
    ]
    pairs = top_talkers(BASE, "pair")
    assert pairs.columns[:2] == ["source", "destination"]
    assert [row[:3] + row[-1:] for row in rows(pairs)] == [
        ("10.0.0.1", "10.0.0.2", 1000, 53.19),
        ("10.0.0.1", "10.0.0.3", 500, 26.6),
        ("10.0.0.4", "10.0.0.2", 200, 10.64),
        ("10.0.0.5", "10.0.0.3", 180, 9.57),
    ]


def test_limit_keeps_the_top_rows_and_shares_stay_of_the_whole() -> None:
    table = top_talkers(BASE, "pair", limit=2)
    assert [(row[0], row[1], row[-1]) for row in rows(table)] == [
        ("10.0.0.1", "10.0.0.2", 53.19),
        ("10.0.0.1", "10.0.0.3", 26.6),
    ]
    with pytest.raises(ValueError, match="at least 1"):
        top_talkers(BASE, "source", limit=0)


def test_equal_totals_are_ordered_by_address_value_not_text() -> None:
    # As text, 10.0.0.10 sorts before 10.0.0.9; as an address it comes after.
    frame = frame_of(
        ["srcaddr", "bytes"],
        [("10.0.0.10", 5), ("10.0.0.9", 5), ("255.255.255.255", 5), ("0.0.0.0", 5)],
    )
    assert [row[0] for row in rows(top_talkers(frame, "source"))] == [
        "0.0.0.0",
        "10.0.0.9",
        "10.0.0.10",
        "255.255.255.255",
    ]


# --- rejections --------------------------------------------------------------------------------


def test_rejected_destination_ports_are_told_apart_by_protocol() -> None:
    table = rejected_ports(BASE)
    assert table.columns == ["port", "protocol", "records", "share_pct"]
    assert rows(table) == [
        (22, "TCP (6)", 2, 50.0),
        (22, "UDP (17)", 1, 25.0),
        (3389, "TCP (6)", 1, 25.0),
    ]


def test_rejected_sources() -> None:
    assert rows(rejected_sources(BASE)) == [("10.0.0.5", 3, 75.0), ("10.0.0.1", 1, 25.0)]


# --- counts ------------------------------------------------------------------------------------


def test_counts_per_action_and_log_status_show_null_as_dash() -> None:
    assert rows(counts_per(BASE, "action")) == [
        ("REJECT", 4, 57.14, 680),
        ("ACCEPT", 2, 28.57, 1200),
        ("-", 1, 14.29, 0),
    ]
    assert rows(counts_per(BASE, "log-status")) == [
        ("OK", 6, 85.71, 1880),
        ("NODATA", 1, 14.29, 0),
    ]


def test_counts_per_protocol_by_name() -> None:
    table = counts_per(BASE, "protocol")
    assert table.columns == ["protocol", "records", "share_pct", "bytes"]
    assert rows(table) == [
        ("TCP (6)", 4, 57.14, 1620),
        ("UDP (17)", 2, 28.57, 260),
        ("-", 1, 14.29, 0),
    ]


def test_counts_per_eni_say_what_each_belongs_to() -> None:
    labels = {"eni-a": "web-1 (i-0abc)", "eni-z": "unused"}
    table = counts_per(BASE, "interface-id", eni_labels=labels)
    assert table.title == "Records per ENI"
    assert table.columns == ["interface-id", "belongs_to", "records", "share_pct", "bytes"]
    assert rows(table) == [
        ("eni-b", "-", 4, 57.14, 380),
        ("eni-a", "web-1 (i-0abc)", 2, 28.57, 1500),
        ("eni-c", "-", 1, 14.29, 0),
    ]
    assert counts_per(BASE, "interface-id").columns == [
        "interface-id",
        "records",
        "share_pct",
        "bytes",
    ]


def test_value_counts_of_a_number_column_order_ties_by_value() -> None:
    table = value_counts(BASE, "dstport")
    assert table.columns == ["value", "records", "share_pct", "bytes"]
    assert rows(table) == [
        ("22", 3, 42.86, 620),
        ("53", 1, 14.29, 200),
        ("443", 1, 14.29, 1000),
        ("3389", 1, 14.29, 60),
        ("-", 1, 14.29, 0),
    ]


def test_value_counts_of_addresses_render_them() -> None:
    assert rows(value_counts(BASE, "srcaddr")) == [
        ("10.0.0.5", 3, 42.86, 180),
        ("10.0.0.1", 2, 28.57, 1500),
        ("10.0.0.4", 1, 14.29, 200),
        ("-", 1, 14.29, 0),
    ]


def test_value_counts_of_every_column_kind() -> None:
    firsts = {
        "interface-id": ("eni-b", 4),
        "action": ("REJECT", 4),
        "start": ("1000", 2),
        "bytes": ("60", 3),
        ROW_ID: ("0", 1),
    }
    for column, first in firsts.items():
        table = value_counts(BASE, column)
        assert rows(table)[0][:2] == first, column
        assert sum(row[1] for row in rows(table)) == BASE.height


def test_value_counts_limit_says_how_many_values_there_were() -> None:
    table = value_counts(BASE, "dstport", limit=2)
    assert [row[0] for row in rows(table)] == ["22", "53"]
    assert table.note.startswith("the 2 most frequent of 5 values")


def test_value_counts_keep_the_thousand_most_frequent_values_by_default() -> None:
    frame = frame_of(["srcport"], [(port,) for port in range(1001)] + [(7,)])
    table = value_counts(frame, "srcport")
    assert table.rows.height == 1000
    assert rows(table)[0] == ("7", 2, 0.2, None)
    assert table.note.startswith("the 1000 most frequent of 1001 values")
    assert value_counts(frame, "srcport", limit=None).rows.height == 1001


def test_value_counts_without_bytes_say_so() -> None:
    frame = frame_of(["action"], [("ACCEPT",), ("ACCEPT",), ("REJECT",)])
    table = value_counts(frame, "action")
    assert rows(table) == [("ACCEPT", 2, 66.67, None), ("REJECT", 1, 33.33, None)]
    assert "bytes not recorded" in table.note


# --- timeline ----------------------------------------------------------------------------------


def test_timeline_buckets_are_aligned_gapless_and_split_by_action() -> None:
    table = timeline(BASE)
    assert isinstance(table, TimelineTable)
    assert table.bucket_seconds == 60
    assert table.columns == [
        "bucket_start",
        "time",
        "records_accept",
        "records_reject",
        "records_other",
        "bytes_accept",
        "bytes_reject",
        "bytes_other",
    ]
    assert rows(table) == [
        (960, "1970-01-01T00:16:00Z", 1, 0, 1, 1000, 0, 0),
        (1020, "1970-01-01T00:17:00Z", 0, 1, 0, 0, 500, 0),
        (1080, "1970-01-01T00:18:00Z", 1, 0, 0, 200, 0, 0),
        (1140, "1970-01-01T00:19:00Z", 0, 0, 0, 0, 0, 0),
        (1200, "1970-01-01T00:20:00Z", 0, 0, 0, 0, 0, 0),
        (1260, "1970-01-01T00:21:00Z", 0, 2, 0, 0, 120, 0),
        (1320, "1970-01-01T00:22:00Z", 0, 1, 0, 0, 60, 0),
    ]


def test_timeline_with_a_chosen_bucket_size() -> None:
    table = timeline(BASE, bucket_seconds=300)
    assert table.bucket_seconds == 300
    assert [(row[0], *row[2:]) for row in rows(table)] == [
        (900, 2, 1, 1, 1200, 500, 0),
        (1200, 0, 3, 0, 0, 180, 0),
    ]
    with pytest.raises(ValueError, match="at least 1 second"):
        timeline(BASE, bucket_seconds=0)


def test_timeline_without_action_or_bytes_or_start_times() -> None:
    frame = frame_of(["start"], [(60,), (130,), ("-",)])
    table = timeline(frame)
    assert [(row[0], *row[2:]) for row in rows(table)] == [
        (60, 0, 0, 1, None, None, None),
        (120, 0, 0, 1, None, None, None),
    ]
    assert "1 record without a start time left out" in table.note
    assert "action not recorded, so every record counts as other" in table.note
    assert "bytes not recorded" in table.note


@pytest.mark.parametrize(
    ("span", "size"),
    [
        (0, 60),
        (3600, 60),
        (7200, 60),
        (7201, 120),
        (86400, 900),
        (7 * 86400, 7200),
        (14 * 86400, 10800),
        (120 * 86400, 86400),
        (365 * 86400, 4 * 86400),
    ],
)
def test_bucket_size_follows_the_time_range(span: int, size: int) -> None:
    assert bucket_seconds_for(span) == size


def test_bucket_sizes_give_30_to_120_buckets_from_two_hours_up() -> None:
    spans = [7200 + step * 7919 for step in range(2000)] + [day * 86400 for day in range(1, 3000)]
    for span in spans:
        size = bucket_seconds_for(span)
        assert 30 <= -(-span // size) <= 120, span
    with pytest.raises(ValueError, match="negative"):
        bucket_seconds_for(-1)


# --- counting each flow once -------------------------------------------------------------------

DIRECTION_FIELDS = [*DEFAULT_FIELDS, "flow-direction"]
# One connection between two monitored ENIs (each direction recorded on both) and a rejected
# probe from the internet, recorded once as it arrives.
TWO_ENIS = frame_of(
    DIRECTION_FIELDS,
    [
        ("eni-a", "10.0.0.1", "10.0.0.2", 40000, 443, 6, 10, 1000, 0, 60, "ACCEPT", "OK", "egress"),
        (
            "eni-b",
            "10.0.0.1",
            "10.0.0.2",
            40000,
            443,
            6,
            10,
            1000,
            0,
            60,
            "ACCEPT",
            "OK",
            "ingress",
        ),
        ("eni-b", "10.0.0.2", "10.0.0.1", 443, 40000, 6, 8, 4000, 0, 60, "ACCEPT", "OK", "egress"),
        ("eni-a", "10.0.0.2", "10.0.0.1", 443, 40000, 6, 8, 4000, 0, 60, "ACCEPT", "OK", "ingress"),
        ("eni-a", "198.51.100.7", "10.0.0.1", 5000, 22, 6, 1, 60, 0, 60, "REJECT", "OK", "ingress"),
    ],
)


def test_all_records_count_a_flow_on_each_eni() -> None:
    table = top_talkers(TWO_ENIS, "source")
    assert [row[:2] + row[3:4] for row in rows(table)] == [
        ("10.0.0.2", 8000, 2),
        ("10.0.0.1", 2000, 2),
        ("198.51.100.7", 60, 1),
    ]
    assert table.note.startswith("counting every record")


def test_egress_only_counts_each_direction_once() -> None:
    table = top_talkers(TWO_ENIS, "source", counting=Counting.EGRESS_ONLY)
    assert [row[:2] + row[3:4] for row in rows(table)] == [
        ("10.0.0.2", 4000, 1),
        ("10.0.0.1", 1000, 1),
    ]
    assert table.note.startswith("counting egress records only")


def test_one_per_flow_counts_a_flow_seen_on_two_enis_once() -> None:
    counting = Counting.ONE_PER_FLOW
    table = top_talkers(TWO_ENIS, "source", counting=counting)
    assert [row[:2] + row[3:4] for row in rows(table)] == [
        ("10.0.0.2", 4000, 1),
        ("10.0.0.1", 1000, 1),
        ("198.51.100.7", 60, 1),
    ]
    assert table.note.startswith("counting one record per 5-tuple and window")
    # The first record of each flow is the one kept.
    assert rows(counts_per(TWO_ENIS, "interface-id", counting))[0][:2] == ("eni-a", 2)
    assert [row[2:5] for row in rows(timeline(TWO_ENIS, counting))] == [(2, 1, 0)]


def test_one_per_flow_keeps_the_same_flow_in_another_window() -> None:
    later = frame_of(
        DEFAULT_FIELDS,
        [
            ("eni-a", "10.0.0.1", "10.0.0.2", 40000, 443, 6, 10, 1000, 0, 60, "ACCEPT", "OK"),
            ("eni-b", "10.0.0.1", "10.0.0.2", 40000, 443, 6, 10, 1000, 0, 60, "ACCEPT", "OK"),
            ("eni-a", "10.0.0.1", "10.0.0.2", 40000, 443, 6, 7, 700, 60, 120, "ACCEPT", "OK"),
            ("eni-a", "10.0.0.1", "10.0.0.2", 40001, 443, 6, 1, 1, 60, 120, "ACCEPT", "OK"),
            ("eni-a", "10.0.0.1", "10.0.0.2", 40001, 443, 17, 1, 1, 60, 120, "ACCEPT", "OK"),
        ],
    )
    table = top_talkers(later, "source", counting=Counting.ONE_PER_FLOW)
    assert rows(table)[0][:2] == ("10.0.0.1", 1702)


NAT_FIELDS = [*DEFAULT_FIELDS, "pkt-srcaddr", "pkt-dstaddr"]


def _nat_hop(instance_packet_addresses: tuple[str, str]) -> pl.DataFrame:
    """An instance reaching 203.0.113.5 through a NAT gateway, as AWS's example records it."""

    def record(eni: str, src: str, dst: str, srcport: int, packet: tuple[str, str]) -> Row:
        return (eni, src, dst, srcport, 443, 6, 10, 5000, 0, 60, "ACCEPT", "OK", *packet)

    return frame_of(
        NAT_FIELDS,
        [
            # Instance ENI: the packet leaves 10.0.1.5 for the internet host.
            record("eni-inst", "10.0.1.5", "203.0.113.5", 34000, instance_packet_addresses),
            # NAT ENI, private side: addressed to the NAT, the packet still for 203.0.113.5.
            record("eni-nat", "10.0.1.5", "10.0.0.220", 34000, ("10.0.1.5", "203.0.113.5")),
            # NAT ENI, public side: translated source address and port, another 5-tuple.
            record("eni-nat", "10.0.0.220", "203.0.113.5", 61000, ("10.0.0.220", "203.0.113.5")),
        ],
    )


@pytest.mark.parametrize(
    "instance_packet_addresses",
    [("10.0.1.5", "203.0.113.5"), ("-", "-")],
    ids=["packet-addresses-recorded", "packet-addresses-null"],
)
def test_one_per_flow_dedupes_the_nat_hop_by_packet_addresses(
    instance_packet_addresses: tuple[str, str],
) -> None:
    frame = _nat_hop(instance_packet_addresses)
    every = top_talkers(frame, "destination")
    assert [row[:2] for row in rows(every)] == [("203.0.113.5", 10000), ("10.0.0.220", 5000)]
    once = top_talkers(frame, "source", counting=Counting.ONE_PER_FLOW)
    # Equal bytes: ordered by address, 10.0.0.220 before 10.0.1.5.
    assert [row[:2] + row[3:4] for row in rows(once)] == [
        ("10.0.0.220", 5000, 1),
        ("10.0.1.5", 5000, 1),
    ]


def test_one_per_flow_on_ipv6_and_no_data_records() -> None:
    frame = frame_of(
        DEFAULT_FIELDS,
        [
            ("eni-a", "2001:db8::1", "2001:db8::2", 1000, 22, 6, 3, 300, 0, 60, "ACCEPT", "OK"),
            ("eni-b", "2001:db8::1", "2001:db8::2", 1000, 22, 6, 3, 300, 0, 60, "ACCEPT", "OK"),
            ("eni-b", "2001:db8::1", "10.0.0.2", 1000, 22, 6, 1, 100, 0, 60, "ACCEPT", "OK"),
            # NODATA records are no flow: one per ENI, none merged.
            ("eni-a", "-", "-", "-", "-", "-", "-", "-", 0, 60, "-", "NODATA"),
            ("eni-b", "-", "-", "-", "-", "-", "-", "-", 0, 60, "-", "NODATA"),
        ],
    )
    counting = Counting.ONE_PER_FLOW
    assert rows(top_talkers(frame, "pair", counting=counting)) == [
        ("2001:db8::1", "2001:db8::2", 300, 3, 1, 75.0),
        ("2001:db8::1", "10.0.0.2", 100, 1, 1, 25.0),
    ]
    assert rows(counts_per(frame, "log-status", counting)) == [
        ("OK", 2, 50.0, 400),
        ("NODATA", 2, 50.0, 0),
    ]


def _naive_one_per_flow_sources(records: Sequence[dict[str, object]]) -> dict[str, int]:
    """Bytes per source, first record of each flow only, computed record by record."""
    seen: set[tuple[object, ...]] = set()
    totals: dict[str, int] = defaultdict(int)
    for record in records:
        source = record["pkt-srcaddr"] if record["pkt-srcaddr"] != "-" else record["srcaddr"]
        target = record["pkt-dstaddr"] if record["pkt-dstaddr"] != "-" else record["dstaddr"]
        key = (source, target, *(record[name] for name in ("srcport", "dstport", "protocol")))
        key += (record["start"], record["end"])
        if key in seen:
            continue
        seen.add(key)
        totals[str(record["srcaddr"])] += int(str(record["bytes"]))
    return totals


def test_one_per_flow_matches_a_record_by_record_count_on_seeded_data() -> None:
    rng = random.Random(7)
    addresses = ["10.0.0.1", "10.0.0.2", "0.0.0.0", "2001:db8::1", "2001:db8::2", "-"]

    def maybe(values: Sequence[object]) -> object:
        return rng.choice([*values, "-"])

    fields = ["srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr", "srcport", "dstport"]
    fields += ["protocol", "start", "end", "bytes"]
    records = [
        dict(
            zip(
                fields,
                (
                    rng.choice(addresses[:-1]),
                    rng.choice(addresses[:-1]),
                    rng.choice(addresses),
                    rng.choice(addresses),
                    maybe([0, 65535]),
                    maybe([0, 443]),
                    maybe([0, 6, 255]),
                    rng.choice([0, 60]),
                    rng.choice([60, 120]),
                    rng.randrange(1, 1000),
                ),
                strict=True,
            )
        )
        for _ in range(400)
    ]
    frame = frame_of(fields, [tuple(record.values()) for record in records])
    expected = _naive_one_per_flow_sources(records)
    table = top_talkers(frame, "source", counting=Counting.ONE_PER_FLOW, limit=100)
    assert {row[0]: row[1] for row in rows(table)} == expected
    assert sum(expected.values()) < sum(int(str(r["bytes"])) for r in records)


# --- missing fields, empty frames --------------------------------------------------------------


def test_egress_only_is_unavailable_without_flow_direction() -> None:
    table = top_talkers(BASE, "source", counting=Counting.EGRESS_ONLY)
    assert not table.available
    assert table.missing_fields == ("flow-direction",)
    assert table.rows.height == 0
    assert table.columns == ["source", "bytes", "packets", "records", "share_pct"]
    assert "egress-only counting needs flow-direction" in table.note


def test_one_per_flow_is_unavailable_without_ports() -> None:
    frame = frame_of(["srcaddr", "dstaddr", "protocol", "bytes", "start", "end"], [])
    table = top_talkers(frame, "source", counting=Counting.ONE_PER_FLOW)
    assert table.missing_fields == ("srcport", "dstport")
    assert "one-per-flow counting needs srcport, dstport" in table.note


def test_tables_that_need_a_missing_field_say_so() -> None:
    no_bytes = BASE.drop("bytes")
    cases = [
        (top_talkers(no_bytes, "source"), ("bytes",)),
        (rejected_ports(BASE.drop("protocol")), ("protocol",)),
        (rejected_sources(BASE.drop("action")), ("action",)),
        (counts_per(BASE.drop("log-status"), "log-status"), ("log-status",)),
        (value_counts(BASE, "tgw-id"), ("tgw-id",)),
        (value_counts(BASE, "no-such-column"), ("no-such-column",)),
        (timeline(BASE.drop("start")), ("start",)),
    ]
    for table, missing in cases:
        assert table.missing_fields == missing, table.title
        assert table.rows.height == 0
        assert f"needs {missing[0]}, which these records do not have" in table.note
    # Packets are shown beside bytes when recorded, and left out when not.
    assert top_talkers(BASE.drop("packets"), "source").columns == [
        "source",
        "bytes",
        "records",
        "share_pct",
    ]


def test_an_address_with_only_one_of_its_columns_still_counts() -> None:
    assert rows(top_talkers(BASE.drop("srcaddr_v6"), "source"))[0][:2] == ("10.0.0.1", 1500)
    only_v6 = frame_of(["srcaddr", "bytes"], [("2001:db8::7", 9)]).drop("srcaddr")
    assert rows(top_talkers(only_v6, "source")) == [("2001:db8::7", 9, 1, 100.0)]


def test_ipv6_and_ipv4_side_by_side() -> None:
    frame = frame_of(
        DEFAULT_FIELDS,
        [
            ("eni-a", "2001:db8::1", "10.0.0.2", 1, 22, 6, 1, 700, 0, 60, "REJECT", "OK"),
            ("eni-a", "2001:db8::1", "10.0.0.2", 2, 22, 6, 1, 100, 0, 60, "REJECT", "OK"),
            ("eni-a", "10.0.0.1", "2001:db8::2", 3, 22, 6, 1, 200, 0, 60, "ACCEPT", "OK"),
        ],
    )
    assert rows(top_talkers(frame, "source")) == [
        ("2001:db8::1", 800, 2, 2, 80.0),
        ("10.0.0.1", 200, 1, 1, 20.0),
    ]
    assert rows(rejected_sources(frame)) == [("2001:db8::1", 2, 100.0)]
    assert [row[0] for row in rows(value_counts(frame, "dstaddr"))] == ["10.0.0.2", "2001:db8::2"]


def test_every_table_on_an_empty_frame_is_empty_with_its_columns() -> None:
    empty = BASE.clear()
    tables = [
        top_talkers(empty, "pair"),
        rejected_ports(empty),
        rejected_sources(empty),
        counts_per(empty, "protocol"),
        value_counts(empty, "srcaddr"),
        timeline(empty),
        top_talkers(empty, "source", counting=Counting.ONE_PER_FLOW),
    ]
    for table, full in zip(tables[:-1], tables_for(BASE), strict=True):
        assert table.available
        assert table.rows.height == 0
        assert table.columns == full.columns
    assert tables[-1].rows.height == 0


def tables_for(frame: pl.DataFrame) -> list[StatsTable]:
    return [
        top_talkers(frame, "pair"),
        rejected_ports(frame),
        rejected_sources(frame),
        counts_per(frame, "protocol"),
        value_counts(frame, "srcaddr"),
        timeline(frame),
    ]


# --- several tables at once --------------------------------------------------------------------


@pytest.mark.parametrize("counting", list(Counting))
def test_overview_tables_match_the_tables_made_one_by_one(counting: Counting) -> None:
    labels = {"eni-a": "web-1 (i-0abc)"}
    overview = stats_overview(TWO_ENIS, counting, labels, limit=2)
    one_by_one = [
        *(top_talkers(TWO_ENIS, side, "bytes", counting, 2) for side in SIDES),
        *(top_talkers(TWO_ENIS, side, "packets", counting, 2) for side in SIDES),
        rejected_ports(TWO_ENIS, counting, 2),
        rejected_sources(TWO_ENIS, counting, 2),
        counts_per(TWO_ENIS, "action", counting),
        counts_per(TWO_ENIS, "log-status", counting),
        counts_per(TWO_ENIS, "protocol", counting),
        counts_per(TWO_ENIS, "interface-id", counting, labels),
    ]
    assert [table.title for table in overview] == [table.title for table in one_by_one]
    for made_together, made_alone in zip(overview, one_by_one, strict=True):
        assert made_together.rows.equals(made_alone.rows), made_together.title
        assert made_together.note == made_alone.note


def test_overview_without_what_the_counting_needs_is_all_unavailable() -> None:
    overview = stats_overview(BASE, Counting.EGRESS_ONLY)
    assert len(overview) == 12
    assert all(table.missing_fields == ("flow-direction",) for table in overview)


# --- headless output ---------------------------------------------------------------------------


def test_plain_table_output_aligns_numbers_right() -> None:
    text = format_table(rejected_sources(BASE), "table")
    assert text == (
        "Top rejected sources\n"
        "source    records  share_pct\n"
        "--------  -------  ---------\n"
        "10.0.0.5        3      75.00\n"
        "10.0.0.1        1      25.00\n"
        "counting every record (a flow crossing two monitored ENIs counts on each)\n"
    )
    empty = format_table(rejected_sources(BASE.clear()), "table")
    assert "(no rows)" in empty


def test_plain_table_output_escapes_control_characters_from_logs() -> None:
    frame = frame_of(["interface-id"], [("eni-\x1b[31mred",)])
    text = format_table(value_counts(frame, "interface-id"), "table")
    assert "\x1b" not in text
    assert "eni-\\x1b[31mred" in text


def test_csv_and_json_lines_output() -> None:
    table = rejected_ports(BASE)
    assert format_table(table, "csv") == (
        "port,protocol,records,share_pct\n22,TCP (6),2,50.0\n22,UDP (17),1,25.0\n3389,TCP (6),1,25.0\n"
    )
    lines = format_table(table, "jsonl").splitlines()
    assert orjson.loads(lines[0]) == {
        "table": "Top rejected destination ports",
        "port": 22,
        "protocol": "TCP (6)",
        "records": 2,
        "share_pct": 50.0,
    }
    assert len(lines) == 3
    with pytest.raises(ValueError, match="choose table, csv or jsonl"):
        format_table(table, "xml")  # type: ignore[arg-type]


def test_stats_for_cli_kinds() -> None:
    assert [t.title for t in stats_for_cli("talkers", BASE)] == [
        "Top sources by bytes",
        "Top destinations by bytes",
        "Top source-destination pairs by bytes",
    ]
    assert [t.title for t in stats_for_cli("ports", BASE)] == [
        "Top rejected destination ports",
        "Top rejected sources",
    ]
    (line,) = stats_for_cli("timeline", TWO_ENIS, Counting("egress-only"))
    assert rows(line) == [(0, "1970-01-01T00:00:00Z", 2, 0, 0, 5000, 0, 0)]
    with pytest.raises(ValueError, match="choose talkers, ports, timeline"):
        stats_for_cli("hosts", BASE)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="choose all-records, egress-only, one-per-flow"):
        top_talkers(BASE, "source", counting="each")  # type: ignore[arg-type]
