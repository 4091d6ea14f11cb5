"""Push-down: filters as CloudWatch delimited patterns that never lose a matching record."""

from __future__ import annotations

import pytest
from filter_support import aws_line, make_frame
from hypothesis import given, settings
from hypothesis import strategies as st

from flowtui.core.fields import FIELDS, FieldKind
from flowtui.core.filter.compiler import compile_filter
from flowtui.core.filter.parser import parse_filter
from flowtui.core.formats import DEFAULT_FORMAT, TGW_DEFAULT_FORMAT, LogFormat, parse_format
from flowtui.core.pushdown import (
    MAX_PATTERN_LENGTH,
    PatternSyntaxError,
    matches_pattern,
    to_filter_pattern,
)

NOW = 1_795_773_600 + 3600
BASE = (
    "version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, "
    "bytes, start, end, action, log_status"
)
CUSTOM_FORMAT = parse_format(
    "version vpc-id interface-id srcaddr dstaddr srcport dstport protocol bytes start action "
    "tcp-flags flow-direction ecs-cluster-arn log-status"
)

# AWS's sample records (shared/reference/filter-patterns.md, section 5).
ACCEPTED_SSH = (
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
    "1418530010 1418530070 ACCEPT OK"
)
REJECTED_RDP = (
    "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 "
    "1418530010 1418530070 REJECT OK"
)
NODATA = "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"


def default_pattern(**conditions: str) -> str:
    """The 14-slot default-format pattern with conditions put in place of their slots."""
    slots = [conditions.get(slot, slot) for slot in BASE.split(", ")]
    return "[" + ", ".join(slots) + "]"


def pushed(text: str, log_format: LogFormat = DEFAULT_FORMAT, now: int | None = NOW) -> str | None:
    return to_filter_pattern(parse_filter(text), [log_format], now_s=now).pattern


# --- translations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "conditions"),
    [
        ("dstport=22", {"dstport": "dstport = 22"}),
        ("proto=tcp", {"protocol": "protocol = 6"}),
        ("action=reject", {"action": "action = REJECT"}),
        ("status=nodata", {"log_status": "log_status = NODATA"}),
        ("dstport=80,8080", {"dstport": "dstport = 80 || dstport = 8080"}),
        ("dstport=80 or dstport=8080", {"dstport": "dstport = 80 || dstport = 8080"}),
        ("dstport=1024-65535", {"dstport": "dstport >= 1024 && dstport <= 65535"}),
        ("bytes>=400", {"bytes": "bytes >= 400"}),
        ("bytes<400", {"bytes": "bytes < 400"}),
        ("packets<=3", {"packets": "packets <= 3"}),
        ("packets>3", {"packets": "packets > 3"}),
        ("srcaddr=10.0.0.1", {"srcaddr": "srcaddr = 10.0.0.1"}),
        ("srcaddr=10.0.0.1/32", {"srcaddr": "srcaddr = 10.0.0.1"}),
        ("srcaddr=10.0.2.0/24", {"srcaddr": "srcaddr = 10.0.2.*"}),
        ("srcaddr=10.0.2.*", {"srcaddr": "srcaddr = 10.0.2.*"}),
        ("dstaddr=172.31.0.0/16", {"dstaddr": "dstaddr = 172.31.*"}),
        ("dstaddr=10.0.0.0/8", {"dstaddr": "dstaddr = 10.*"}),
        ("eni=eni-0a*", {"interface_id": "interface_id = eni-0a*"}),
        ("eni=*789", {"interface_id": "interface_id = *789"}),
        ("eni=*b8ca*", {"interface_id": "interface_id = *b8ca*"}),
        ("account-id=123456789010", {"account_id": 'account_id = "123456789010"'}),
        ("dstport!=22", {"dstport": "dstport != 22"}),
        ("action!=accept", {"action": "action != ACCEPT"}),
        ("dstport!=22,3389", {"dstport": "dstport != 22 && dstport != 3389"}),
        ("not srcaddr=10.0.0.0/8", {"srcaddr": "srcaddr != 10.*"}),
        ("addr!=10.0.0.1", {"srcaddr": "srcaddr != 10.0.0.1", "dstaddr": "dstaddr != 10.0.0.1"}),
        ("not port=22", {"srcport": "srcport != 22", "dstport": "dstport != 22"}),
        (
            "not (dstport=22 or action=reject)",
            {"dstport": "dstport != 22", "action": "action != REJECT"},
        ),
        ("bytes>=100 bytes<=200", {"bytes": "bytes >= 100 && bytes <= 200"}),
        ("start>=2026-11-27T10:00Z", {"start": "start >= 1795773600"}),
        ("end>-15m", {"end": f"end > {NOW - 900}"}),
    ],
)
def test_exact_translations(text: str, conditions: dict[str, str]) -> None:
    result = to_filter_pattern(parse_filter(text), [DEFAULT_FORMAT], now_s=NOW)
    assert result.pattern == default_pattern(**conditions)
    assert result.exact and result.dropped == []


def test_awss_documented_examples_come_out_as_written() -> None:
    text = "dstport=80,8080 bytes>=400 action=REJECT"
    assert pushed(text) == (
        "[version, account_id, interface_id, srcaddr, dstaddr, srcport, "
        "dstport = 80 || dstport = 8080, protocol, packets, bytes >= 400, start, end, "
        "action = REJECT, log_status]"
    )


def test_every_field_of_the_format_gets_one_slot_in_order() -> None:
    pattern = pushed("dstport=80", TGW_DEFAULT_FORMAT)
    assert pattern is not None
    slots = pattern.strip("[]").split(", ")
    assert len(slots) == len(TGW_DEFAULT_FORMAT) == 36
    assert slots[1] == "resource_type" and slots[19] == "dstport = 80"


def test_text_that_needs_quotes_is_quoted() -> None:
    text = 'ecs-cluster-arn="arn:aws:ecs:us-east-1:1:cluster/prod"'
    pattern = pushed(text, CUSTOM_FORMAT)
    assert pattern is not None
    assert 'ecs_cluster_arn = "arn:aws:ecs:us-east-1:1:cluster/prod"' in pattern


def test_digit_only_text_is_compared_as_text() -> None:
    pattern = pushed("account-id!=012345678901")
    assert pattern is not None
    assert pattern == default_pattern(account_id='account_id != "012345678901"')
    other_account = NODATA.replace("123456789010", "12345678901")
    assert matches_pattern(pattern, other_account)


def test_a_star_inside_a_value_is_loosened_to_a_superset() -> None:
    result = to_filter_pattern(parse_filter("eni=eni-0a*9"), [DEFAULT_FORMAT])
    assert result.pattern == default_pattern(interface_id="interface_id = eni-0a*")
    assert not result.exact
    assert result.dropped == ["eni=eni-0a*9: a '*' inside a value is loosened to the ends"]


def test_a_dropped_and_term_keeps_the_rest() -> None:
    result = to_filter_pattern(parse_filter("action=reject addr=10.0.0.1"), [DEFAULT_FORMAT])
    assert result.pattern == default_pattern(action="action = REJECT")
    assert not result.exact
    assert result.dropped == ["addr=10.0.0.1: a pattern cannot OR across fields"]


def test_an_or_of_supersets_on_one_field_is_still_pushed() -> None:
    result = to_filter_pattern(
        parse_filter("(dstport=22 addr=10.0.0.1) or dstport=80"), [DEFAULT_FORMAT]
    )
    assert result.pattern == default_pattern(dstport="dstport = 22 || dstport = 80")
    assert not result.exact


def test_tcp_flag_names_push_down_as_their_numbers() -> None:
    for names, number in (("syn", 2), ("syn-ack", 18), ("SYN+ACK+FIN", 19)):
        by_name = pushed(f"tcp-flags={names}", CUSTOM_FORMAT)
        assert by_name == pushed(f"tcp-flags={number}", CUSTOM_FORMAT)
        assert by_name is not None and f"tcp_flags = {number}" in by_name


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("srcaddr=2001:db8::/32", "srcaddr=2001:db8::/32: IPv6 addresses are not pushed down"),
        ("srcaddr=10.0.16.0/20", "srcaddr=10.0.16.0/20: /20 is not on an octet boundary"),
        ("srcaddr=0.0.0.0/0", "srcaddr=0.0.0.0/0: it matches any IPv4 address"),
        ("addr=10.0.0.1", "addr=10.0.0.1: a pattern cannot OR across fields"),
        ("port<1024", "port<1024: a pattern cannot OR across fields"),
        ("dstport=22 or action=reject", "dstport=22 or action=reject: a pattern cannot OR across fields"),
        ("dstport=22 or srcaddr=::1", "dstport=22 or srcaddr=::1: an OR is pushed whole or not at all"),
        ("dstport=22 or (dstport=80 bytes>0)", "dstport=22 or (dstport=80 bytes>0: a pattern cannot OR across fields"),
        ("dstport=1-10,22", "dstport=1-10,22: a range inside a list would mix && and || in one slot"),
        ("dstport=1-10 or dstport=22", "dstport=1-10 or dstport=22: would mix && and || in one slot"),
        ("not dstport=1-10", "dstport=1-10: negated, it keeps missing values, which a comparison never matches"),
        ("not bytes>0", "bytes>0: negated, it keeps missing values, which a comparison never matches"),
        ("srcaddr=-", "srcaddr=-: matching '-' is not documented for patterns"),
        ("srcaddr!=-", "srcaddr!=-: matching '-' is not documented for patterns"),
        ("start<2026-11-27T10:00Z", "start<2026-11-27T10:00Z: times go in the pattern only as start/end > or >="),
        ("start=1795773600", "start=1795773600: times go in the pattern only as start/end > or >="),
        ("eni=*", "eni=*: '*' alone matches any value"),
        ('eni="eni 1"', "eni=\"eni 1\": 'eni 1' cannot be written in a pattern"),
        ("not eni=eni-0*1", "eni=eni-0*1: a '*' inside a value cannot be negated exactly"),
    ],
)  # fmt: skip
def test_untranslatable_terms_are_left_out_with_a_reason(text: str, reason: str) -> None:
    result = to_filter_pattern(parse_filter(text), [DEFAULT_FORMAT], now_s=NOW)
    assert result.pattern is None
    assert not result.exact
    assert result.dropped == [reason]


def test_relative_times_need_a_clock() -> None:
    result = to_filter_pattern(parse_filter("start>-15m"), [DEFAULT_FORMAT])
    assert result.pattern is None
    assert result.dropped == ["start>-15m: a relative time needs the current time"]


def test_a_slot_never_mixes_and_with_or() -> None:
    result = to_filter_pattern(parse_filter("dstport=22,80 dstport!=80"), [DEFAULT_FORMAT])
    assert result.pattern == default_pattern(dstport="dstport != 80")
    assert result.dropped == ["dstport=22,80: dstport already has conditions it cannot mix with"]


def test_mixed_or_unknown_formats_push_nothing() -> None:
    ast = parse_filter("dstport=22")
    mixed = to_filter_pattern(ast, [DEFAULT_FORMAT, CUSTOM_FORMAT, DEFAULT_FORMAT])
    assert mixed.pattern is None and not mixed.exact
    assert mixed.dropped == ["the group mixes 2 formats; a pattern fits one format"]
    unknown = to_filter_pattern(ast, [])
    assert unknown.dropped == ["the format is not known; a pattern fits one format"]
    same = to_filter_pattern(ast, [DEFAULT_FORMAT, DEFAULT_FORMAT])
    assert same.pattern == default_pattern(dstport="dstport = 22")


def test_a_field_outside_the_format_is_left_out() -> None:
    result = to_filter_pattern(parse_filter("vpc-id=vpc-1 dstport=22"), [DEFAULT_FORMAT])
    assert result.pattern == default_pattern(dstport="dstport = 22")
    assert result.dropped == ["vpc-id=vpc-1: vpc-id is not in the format"]


def test_an_empty_filter_pushes_nothing_and_loses_nothing() -> None:
    result = to_filter_pattern(parse_filter(""), [DEFAULT_FORMAT])
    assert (result.pattern, result.exact, result.dropped) == (None, True, [])


def test_the_pattern_stays_within_1024_characters() -> None:
    ports = ",".join(str(port) for port in range(1000, 1100))
    result = to_filter_pattern(parse_filter(f"dstport={ports} action=reject"), [DEFAULT_FORMAT])
    assert result.pattern == default_pattern(action="action = REJECT")
    assert len(result.dropped) == 1
    assert result.dropped[0].endswith(f"left out to fit {MAX_PATTERN_LENGTH} characters")
    fits = ",".join(str(port) for port in range(1000, 1030))
    kept = pushed(f"dstport={fits}")
    assert kept is not None and len(kept) <= MAX_PATTERN_LENGTH


# --- the reference matcher ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("conditions", "ssh", "rdp", "nodata"),
    [
        ({}, True, True, True),
        ({"srcaddr": "srcaddr = 172.31.16.139"}, True, False, False),
        ({"srcaddr": "srcaddr = 172.31.*"}, True, True, False),
        ({"dstport": "dstport = 80 || dstport = 8080"}, False, False, False),
        ({"dstport": "dstport = 22 || dstport = 3389"}, True, True, False),
        ({"dstport": 'dstport = "22"'}, True, False, False),
        ({"bytes": "bytes >= 400"}, True, True, False),
        ({"bytes": "bytes < 400"}, False, False, False),
        ({"bytes": "bytes != 0"}, True, True, True),
        ({"action": "action = REJECT"}, False, True, False),
        ({"action": "action != ACCEPT"}, False, True, True),
        ({"srcaddr": "srcaddr != 172.31.16.139"}, False, True, True),
        ({"interface_id": "interface_id = *789"}, True, True, True),
        ({"interface_id": "interface_id = *b8ca*"}, True, True, True),
        ({"interface_id": "interface_id = eni-9*"}, False, False, False),
        ({"dstport": "dstport >= 1024 && dstport <= 65535"}, False, True, False),
        ({"log_status": "log_status = NODATA"}, False, False, True),
    ],
)
def test_reference_matcher_on_awss_samples(
    conditions: dict[str, str], ssh: bool, rdp: bool, nodata: bool
) -> None:
    pattern = default_pattern(**conditions)
    assert matches_pattern(pattern, ACCEPTED_SSH) is ssh
    assert matches_pattern(pattern, REJECTED_RDP) is rdp
    assert matches_pattern(pattern, NODATA) is nodata


def test_reference_matcher_needs_the_same_number_of_fields() -> None:
    assert not matches_pattern("[a, b]", "x y z")
    assert not matches_pattern("[a, b, c]", "x y")
    assert matches_pattern("[a, b = y, c]", "x y z")


def test_reference_matcher_compares_numbers_as_numbers() -> None:
    assert matches_pattern("[a = 80]", "080")
    assert not matches_pattern('[a = "80"]', "080")
    assert matches_pattern("[a > 9]", "10")
    assert not matches_pattern("[a > 9]", "-")
    assert matches_pattern("[a > 18446744073709551614]", "18446744073709551615")


@pytest.mark.parametrize(
    "pattern",
    [
        "a = 1",
        "[a = 1 || a = 2 && a = 3]",
        "[a = 1 || b = 2]",
        "[a > x]",
        "[...]",
        "[a = ]",
    ],
)
def test_reference_matcher_refuses_what_is_not_documented(pattern: str) -> None:
    with pytest.raises(PatternSyntaxError):
        matches_pattern(pattern, "1")


# --- the superset property ----------------------------------------------------------------

T0 = 1_795_773_600
IPV4 = ["10.0.0.1", "10.0.2.5", "10.0.20.5", "10.1.2.3", "192.168.0.1"]
IPV6 = ["2001:db8::1", "2001:db8:1::5"]
POOLS: dict[str, list[object]] = {
    "version": [2, 5],
    "srcport": [0, 22, 80, 443, 1024, 3389, 65535],
    "dstport": [0, 22, 80, 443, 1024, 3389, 65535],
    "protocol": [1, 6, 17],
    "packets": [0, 1, 3, 1500],
    "bytes": [0, 40, 400, 1500, 10**12],
    "tcp-flags": [0, 2, 18, 19],
    "start": [T0, T0 + 60, NOW - 60],
    "end": [T0 + 60, NOW],
    "account-id": ["123456789010", "012345678901", "12345678901"],
    "interface-id": ["eni-0a1", "eni-0b2", "eni-0a1b"],
    "vpc-id": ["vpc-1", "vpc-2"],
    "ecs-cluster-arn": ["arn:aws:ecs:us-east-1:1:cluster/a", "arn:aws:ecs:us-east-1:1:cluster/b"],
}
NO_DATA_FIELDS = {
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "action",
}
FORMATS = [DEFAULT_FORMAT, CUSTOM_FORMAT]


def value_pool(name: str) -> list[object]:
    spec = FIELDS[name]
    if spec.kind is FieldKind.ADDRESS:
        return [*IPV4, *IPV6]
    if spec.kind is FieldKind.ENUM:
        return list(spec.values)
    return POOLS[name]


@st.composite
def records(draw: st.DrawFn, log_format: LogFormat) -> dict[str, object]:
    nodata = draw(st.booleans())
    record: dict[str, object] = {}
    for name in log_format.fields:
        missing = (nodata and name in NO_DATA_FIELDS) or draw(st.integers(0, 9)) == 0
        record[name] = None if missing else draw(st.sampled_from(value_pool(name)))
    if nodata:
        record["log-status"] = "NODATA"
    return record


def address_values() -> st.SearchStrategy[str]:
    def cidr(address: str, prefix: int) -> str:
        import ipaddress

        return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))

    v4 = st.builds(cidr, st.sampled_from(IPV4), st.sampled_from([0, 8, 16, 20, 24, 32]))
    v6 = st.builds(cidr, st.sampled_from(IPV6), st.sampled_from([32, 48, 128]))
    return st.one_of(
        st.sampled_from(IPV4), v4, v6, st.just("10.0.2.*"), st.just("10.*"), st.just("-")
    )


def equality_value(name: str) -> st.SearchStrategy[str]:
    spec = FIELDS[name]
    if spec.kind is FieldKind.ADDRESS:
        return address_values()
    if spec.kind is FieldKind.ENUM:
        words = [
            *spec.values,
            *(v.lower() for v in spec.values),
            *(v[:2] + "*" for v in spec.values),
        ]
        return st.sampled_from([*words, "-"])
    if spec.kind is FieldKind.TEXT:
        pool = [str(v) for v in POOLS[name]]
        wild = [pool[0][:5] + "*", "*" + pool[0][-2:], pool[0][:3] + "*" + pool[0][-1:], "*a*"]
        return st.sampled_from([*pool, *wild, "-"])
    numbers = [str(v) for v in POOLS[name]]
    names = ["syn", "SYN-ACK", "syn-ack-fin", "fin+syn"] if name == "tcp-flags" else []
    one = st.sampled_from([*numbers, *names, "-"])
    if spec.kind is FieldKind.TIMESTAMP:
        return one
    low_high = st.tuples(st.sampled_from(numbers), st.sampled_from(numbers)).map(
        lambda pair: sorted(pair, key=int)
    )
    ranges = low_high.map(lambda pair: f"{pair[0]}-{pair[1]}")
    return st.one_of(one, ranges)


@st.composite
def terms(draw: st.DrawFn, log_format: LogFormat) -> str:
    names = [*log_format.fields, "addr", "port"]
    target = draw(st.sampled_from(names))
    name = {"addr": "srcaddr", "port": "srcport"}.get(target, target)
    kind = FIELDS[name].kind
    ordered = kind in (FieldKind.INTEGER, FieldKind.TIMESTAMP)
    op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="] if ordered else ["=", "!="]))
    if op in ("=", "!="):
        values = draw(st.lists(equality_value(name), min_size=1, max_size=3))
        return f"{target}{op}{','.join(values)}"
    if kind is FieldKind.TIMESTAMP:
        bound = draw(st.sampled_from([*map(str, POOLS[name]), "-1m", "-2h"]))
    else:
        bound = str(draw(st.sampled_from(POOLS[name])))
    return f"{target}{op}{bound}"


def filters(log_format: LogFormat) -> st.SearchStrategy[str]:
    return st.recursive(
        terms(log_format),
        lambda inner: st.one_of(
            st.lists(inner, min_size=2, max_size=3).map(lambda parts: f"({' '.join(parts)})"),
            st.lists(inner, min_size=2, max_size=3).map(lambda parts: f"({' or '.join(parts)})"),
            inner.map(lambda part: f"not {part}"),
        ),
        max_leaves=6,
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[LogFormat, dict[str, object], str]:
    log_format = draw(st.sampled_from(FORMATS))
    return log_format, draw(records(log_format)), draw(filters(log_format))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(cases())
def test_every_matching_record_matches_the_pushed_pattern(
    case: tuple[LogFormat, dict[str, object], str],
) -> None:
    log_format, record, text = case
    ast = parse_filter(text)
    frame = make_frame([record], log_format.fields)
    kept = frame.select(compile_filter(ast, log_format.fields, NOW)).item()
    result = to_filter_pattern(ast, [log_format], now_s=NOW)
    if result.pattern is None:
        return
    assert len(result.pattern) <= MAX_PATTERN_LENGTH
    selected = matches_pattern(result.pattern, aws_line(record, log_format.fields))
    if kept:
        assert selected, f"{text!r} keeps {record} but {result.pattern} does not select it"
    if result.exact:
        assert selected == kept, f"{result.pattern} claims to be exact for {text!r}"


def test_a_narrower_filter_stays_within_the_loaded_pattern_and_a_wider_one_does_not() -> None:
    from flowtui.core.pushdown import pattern_within

    def pattern(text: str) -> str | None:
        return to_filter_pattern(parse_filter(text), [DEFAULT_FORMAT]).pattern

    loaded = pattern("action=reject")
    assert pattern_within(pattern("action=reject dstport=22"), loaded)
    assert pattern_within(pattern("action=reject"), loaded)
    assert not pattern_within(pattern("dstport=22"), loaded)
    assert not pattern_within(pattern("action=accept"), loaded)
    assert pattern_within(pattern("dstport=22"), None)  # everything was loaded
    assert not pattern_within(None, loaded)  # no pattern now: everything is wanted
