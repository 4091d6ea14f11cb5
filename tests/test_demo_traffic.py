"""The demo's traffic generator, PutLogEvents batching and benchmark lines (no endpoint).

The generator runs on the synthetic account: the demo blueprint with made-up ids.
"""

from __future__ import annotations

import ipaddress
from collections import Counter

import pytest

from flowtui.core.formats import DEFAULT_FORMAT, LogFormat, parse_format
from flowtui.demo.account import DemoAccount, synthetic_account
from flowtui.demo.flow_logs import APP_GROUP, MAIN_GROUP, V5_FORMAT, V8_FORMAT
from flowtui.demo.traffic import TrafficGenerator, generate_lines
from flowtui.demo.vpc import DENIED_CIDR
from flowtui.demo.writer import (
    EVENT_OVERHEAD_BYTES,
    MAX_BATCH_BYTES,
    MAX_BATCH_EVENTS,
    plan_batches,
)

NOW = 1_790_000_000.0  # a fixed "now" for the generator tests
HOUR = 3600.0
Records = dict[str, list[tuple[int, str]]]


def _generator(seed: int = 7, rate: float = 20.0) -> TrafficGenerator:
    account = synthetic_account(created_at=NOW - 2 * HOUR)
    return TrafficGenerator(account, seed=seed, now=lambda: NOW, rate=rate)


@pytest.fixture(scope="module")
def two_hours() -> dict[str, Records]:
    """Two hours of the synthetic account's records, per group."""
    generator = _generator()
    return {
        group: generator.records_between(NOW - 2 * HOUR, NOW, group)
        for group in generator.account.group_names
    }


def _lines(records: Records, stream: str | None = None) -> list[str]:
    return [m for name, events in records.items() if stream in (None, name) for _, m in events]


def _fields(line: str, fmt: LogFormat) -> dict[str, str]:
    tokens = line.split(" ")
    assert len(tokens) == len(fmt), line
    return dict(zip(fmt.fields, tokens, strict=True))


def _stream(account: DemoAccount, eni_name: str) -> str:
    return f"{account.eni(eni_name).id}-all"


# --- the generator ------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_records_and_another_seed_does_not() -> None:
    first = _generator(seed=7).records_between(NOW - 900, NOW)
    assert first == _generator(seed=7).records_between(NOW - 900, NOW)
    assert first != _generator(seed=8).records_between(NOW - 900, NOW)


def test_consecutive_intervals_add_up_to_the_whole_interval() -> None:
    whole = _generator().records_between(NOW - 1200, NOW)
    pieces = _generator()
    joined: dict[str, Counter[tuple[int, str]]] = {}
    for start in range(int(NOW) - 1200, int(NOW), 7):  # odd steps cut through batches
        for stream, events in pieces.records_between(start, min(start + 7, NOW)).items():
            joined.setdefault(stream, Counter()).update(events)
    assert joined == {stream: Counter(events) for stream, events in whole.items()}


def test_each_stream_is_chronological(two_hours: dict[str, Records]) -> None:
    for records in two_hours.values():
        for events in records.values():
            assert [ts for ts, _ in events] == sorted(ts for ts, _ in events)


def test_streams_are_named_after_the_enis_their_group_records(
    two_hours: dict[str, Records],
) -> None:
    account = synthetic_account()
    for group, records in two_hours.items():
        covered = {
            f"{eni.id}-all"
            for eni in account.enis
            if any(f.group == group for f in account.flow_logs_covering(eni))
        }
        assert records and set(records) <= covered


def test_every_line_has_the_token_count_of_a_format_writing_to_its_stream(
    two_hours: dict[str, Records],
) -> None:
    account = synthetic_account()
    for group, records in two_hours.items():
        for stream, events in records.items():
            eni = next(e for e in account.enis if stream == f"{e.id}-all")
            counts = {
                len(f.log_format) for f in account.flow_logs_covering(eni) if f.group == group
            }
            assert {len(m.split(" ")) for _, m in events} <= counts


def test_a_combined_stream_holds_both_formats_of_its_group(
    two_hours: dict[str, Records],
) -> None:
    account = synthetic_account()
    database = _lines(two_hours[MAIN_GROUP], _stream(account, "db-1"))
    assert {len(line.split(" ")) for line in database} == {len(DEFAULT_FORMAT), len(V8_FORMAT)}


def test_the_event_timestamp_is_the_record_start(two_hours: dict[str, Records]) -> None:
    for events in two_hours[MAIN_GROUP].values():
        for ts, message in events:
            tokens = message.split(" ")
            if len(tokens) == len(DEFAULT_FORMAT):
                assert ts == int(_fields(message, DEFAULT_FORMAT)["start"]) * 1000


_NEVER_LOGGED = [
    ipaddress.ip_network("169.254.0.0/16"),  # metadata, Time Sync, link-local DNS
    ipaddress.ip_network("10.0.0.2/32"),  # the VPC's Amazon DNS resolver (base + 2)
    ipaddress.ip_network("fd00:ec2::/32"),  # IPv6 metadata, DNS and Time Sync
]


def test_no_record_involves_the_amazon_resolver_metadata_or_time_sync(
    two_hours: dict[str, Records],
) -> None:
    checked = 0
    for line in _lines(two_hours[MAIN_GROUP]):
        fields = dict(zip(DEFAULT_FORMAT.fields, line.split(" "), strict=False))
        for name in ("srcaddr", "dstaddr"):
            if fields[name] == "-":
                continue
            address = ipaddress.ip_address(fields[name])  # also proves it is a valid address
            assert not any(address in network for network in _NEVER_LOGGED), line
            checked += 1
    assert checked > 10_000


def test_about_a_tenth_of_the_records_arrive_one_to_fourteen_minutes_late() -> None:
    generator = _generator(rate=5.0)
    step = 10
    lateness: list[float] = []
    for start in range(int(NOW - 2 * HOUR), int(NOW), step):
        for events in generator.records_between(start, start + step).values():
            lateness += [start + step - ts / 1000 for ts, _ in events]
    # On time means within 15 s of the window's end: at most 75 s after the record's start.
    late = [seconds for seconds in lateness if seconds > 75 + step]
    assert 0.05 < len(late) / len(lateness) < 0.15
    assert max(lateness) <= 14 * 60 + step


def test_the_rate_sets_the_number_of_records() -> None:
    generator = _generator(rate=10.0)
    total = sum(
        len(events)
        for group in generator.account.group_names
        for events in generator.records_between(NOW - HOUR, NOW, group).values()
    )
    assert 0.75 * 10 * HOUR < total < 1.25 * 10 * HOUR


def test_web_servers_accept_https_from_the_internet_and_answer(
    two_hours: dict[str, Records],
) -> None:
    account = synthetic_account()
    web = account.eni("web-1")
    records = [
        _fields(line, DEFAULT_FORMAT)
        for line in _lines(two_hours[MAIN_GROUP], _stream(account, "web-1"))
    ]
    requests = [
        r
        for r in records
        if r["dstaddr"] == web.private_ip and r["dstport"] == "443" and r["action"] == "ACCEPT"
    ]
    answers = {
        (r["dstaddr"], r["dstport"])
        for r in records
        if r["srcaddr"] == web.private_ip and r["srcport"] == "443" and r["action"] == "ACCEPT"
    }
    assert len(requests) > 100
    assert all(ipaddress.ip_address(r["srcaddr"]).is_global for r in requests)
    asked = {(r["srcaddr"], r["srcport"]) for r in requests}
    # SKIPDATA windows lose some records, so a few requests miss their answer.
    assert len(asked & answers) > 0.95 * len(asked)


def test_scans_and_the_denied_range_are_rejected(two_hours: dict[str, Records]) -> None:
    records = [
        _fields(line, DEFAULT_FORMAT)
        for line in _lines(two_hours[MAIN_GROUP])
        if len(line.split(" ")) == 14
    ]
    denied = ipaddress.ip_network(DENIED_CIDR)
    from_denied = [
        r for r in records if r["srcaddr"] != "-" and ipaddress.ip_address(r["srcaddr"]) in denied
    ]
    assert from_denied and {r["action"] for r in from_denied} == {"REJECT"}
    scans = [r for r in records if r["dstport"] in ("22", "3389") and r["action"] == "REJECT"]
    assert {r["dstport"] for r in scans} == {"22", "3389"}


def test_a_ping_from_the_bastion_is_accepted_and_its_reply_rejected(
    two_hours: dict[str, Records],
) -> None:
    account = synthetic_account()
    bastion, database = account.eni("bastion").private_ip, account.eni("db-1").private_ip
    records = [
        _fields(line, DEFAULT_FORMAT)
        for line in _lines(two_hours[MAIN_GROUP], _stream(account, "db-1"))
        if len(line.split(" ")) == len(DEFAULT_FORMAT)
    ]
    pings = [r for r in records if r["protocol"] == "1"]
    assert {(r["srcaddr"], r["dstaddr"], r["action"]) for r in pings} == {
        (bastion, database, "ACCEPT"),
        (database, bastion, "REJECT"),
    }


def test_the_nat_gateway_records_the_real_ends_in_pkt_fields(
    two_hours: dict[str, Records],
) -> None:
    account = synthetic_account()
    nat = account.eni("nat-gateway").private_ip
    records = [
        _fields(line, V5_FORMAT)
        for line in _lines(two_hours[APP_GROUP], _stream(account, "nat-gateway"))
    ]
    translated = [r for r in records if r["pkt-dstaddr"] != r["dstaddr"] and r["dstaddr"] == nat]
    assert translated, "no record shows the NAT ENI as the hop and the internet host as the end"
    assert all(ipaddress.ip_address(r["pkt-dstaddr"]).is_global for r in translated)
    assert {r["instance-id"] for r in records} == {"-"}


def test_the_v8_flow_log_shows_block_public_access_rejects(
    two_hours: dict[str, Records],
) -> None:
    account = synthetic_account()
    records = [
        _fields(line, V8_FORMAT)
        for line in _lines(two_hours[MAIN_GROUP], _stream(account, "db-1"))
        if len(line.split(" ")) == len(V8_FORMAT)
    ]
    blocked = [r for r in records if r["reject-reason"] == "BPA"]
    assert blocked and {(r["action"], r["type"], r["flow-direction"]) for r in blocked} == {
        ("REJECT", "IPv6", "egress")
    }


def test_tcp_flags_show_opening_closing_and_short_connections(
    two_hours: dict[str, Records],
) -> None:
    records = [_fields(line, V5_FORMAT) for line in _lines(two_hours[APP_GROUP])]
    flags = {r["tcp-flags"] for r in records if r["protocol"] == "6"}
    assert {"1", "2", "3", "18", "19"} <= flags


def test_nodata_skipdata_and_ipv6_records_appear(two_hours: dict[str, Records]) -> None:
    records = [_fields(line, V5_FORMAT) for line in _lines(two_hours[APP_GROUP])]
    records += [
        _fields(line, DEFAULT_FORMAT)
        for line in _lines(two_hours[MAIN_GROUP])
        if len(line.split(" ")) == len(DEFAULT_FORMAT)
    ]
    statuses = Counter(r["log-status"] for r in records)
    assert statuses["NODATA"] and statuses["SKIPDATA"]
    for record in records:
        if record["log-status"] != "OK":
            assert {record[f] for f in ("srcaddr", "dstaddr", "packets", "action")} == {"-"}
    assert any(r.get("type") == "IPv6" for r in records)
    assert any(":" in r["srcaddr"] for r in records if "type" not in r)


def test_the_accept_only_flow_log_has_no_rejects(two_hours: dict[str, Records]) -> None:
    account = synthetic_account()
    load_balancer = _lines(two_hours[APP_GROUP], _stream(account, "alb-a"))
    assert load_balancer
    assert not any(_fields(line, V5_FORMAT)["action"] == "REJECT" for line in load_balancer)


def test_a_scaled_out_load_balancer_node_starts_its_stream_later() -> None:
    generator = _generator()
    joins_at = generator.account.eni("alb-b").joins_at
    assert joins_at is not None
    stream = _stream(generator.account, "alb-b")
    assert stream not in generator.records_between(joins_at - 1800, joins_at)
    assert generator.records_between(joins_at, joins_at + 600)[stream]


# --- batches AWS accepts ------------------------------------------------------------------------

NOW_MS = int(NOW * 1000)


def test_batches_are_chronological_whatever_the_input_order() -> None:
    events = [(NOW_MS - i * 1000, f"record {i}") for i in range(50)]
    (batch,) = plan_batches(events, NOW_MS)
    assert batch == sorted(events)


def test_batches_hold_at_most_ten_thousand_events() -> None:
    events = [(NOW_MS - 100_000 + i, "x") for i in range(25_001)]
    batches = plan_batches(events, NOW_MS)
    assert [len(b) for b in batches] == [MAX_BATCH_EVENTS, MAX_BATCH_EVENTS, 5_001]


def test_batches_hold_at_most_one_megabyte_counting_26_bytes_per_event() -> None:
    message = "é" * 500  # 1,000 bytes in UTF-8: sizes count bytes, not characters
    per_batch = MAX_BATCH_BYTES // (1_000 + EVENT_OVERHEAD_BYTES)
    events = [(NOW_MS, message)] * (per_batch + 1)
    batches = plan_batches(events, NOW_MS)
    assert [len(b) for b in batches] == [per_batch, 1]


def test_events_aws_would_reject_are_left_out() -> None:
    day_ms = 24 * 3600 * 1000
    events = [
        (NOW_MS - 15 * day_ms, "too old"),
        (NOW_MS - 13 * day_ms, "old enough"),
        (NOW_MS + 3 * 3600 * 1000, "too far ahead"),
        (NOW_MS, "x" * MAX_BATCH_BYTES),  # larger than any batch
    ]
    assert [m for b in plan_batches(events, NOW_MS) for _, m in b] == ["old enough"]


def test_a_batch_spans_at_most_24_hours() -> None:
    day_ms = 24 * 3600 * 1000
    events = [(NOW_MS - 3 * day_ms, "a"), (NOW_MS - 2 * day_ms + 1, "b"), (NOW_MS, "c")]
    assert [len(b) for b in plan_batches(events, NOW_MS)] == [1, 1, 1]


# --- fast lines for benchmarks ------------------------------------------------------------------


def test_generate_lines_yields_deterministic_chronological_records() -> None:
    lines = list(generate_lines(DEFAULT_FORMAT, 5_000, seed=3, start=1_700_000_000))
    assert lines == list(generate_lines(DEFAULT_FORMAT, 5_000, seed=3, start=1_700_000_000))
    records = [_fields(line, DEFAULT_FORMAT) for line in lines]
    starts = [int(r["start"]) for r in records]
    assert starts[0] == 1_700_000_000 and starts == sorted(starts)
    assert all(int(r["end"]) >= int(r["start"]) for r in records)
    assert {r["action"] for r in records} == {"ACCEPT", "REJECT", "-"}


def test_generate_lines_follows_a_custom_field_order() -> None:
    fmt = parse_format("${end} ${interface-id} ${start} ${tcp-flags} ${version}")
    lines = list(generate_lines(fmt, 1_000, seed=3, start=1_700_000_000))
    for line in lines:
        end, eni, start, _, version = line.split(" ")
        assert eni.startswith("eni-") and int(end) >= int(start) and version == "3"
