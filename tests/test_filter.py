"""The filter language: every operator, value kind, missing-value rule and error message."""

from __future__ import annotations

import sys
import types

import polars as pl
import pytest
from filter_support import make_frame, matching_rows
from hypothesis import given, settings
from hypothesis import strategies as st

from flowtui.core.filter.compiler import Filter, check, compile_filter
from flowtui.core.filter.parser import parse_filter
from flowtui.core.filter.suggest import suggest
from flowtui.core.filter.syntax import And, FilterError, Not, Number, Or, Term, fields_in
from flowtui.core.formats import DEFAULT_FORMAT

FIELDS_USED = (
    *DEFAULT_FORMAT.fields,
    "vpc-id",
    "type",
    "tcp-flags",
    "flow-direction",
    "ecs-cluster-arn",
)
T0 = 1_795_773_600  # 2026-11-27T10:00:00Z
NOW = T0 + 3600
ACCOUNT = "123456789012"

RECORDS = [
    {  # 0: SSH from the internet, rejected
        "version": 5, "account-id": ACCOUNT, "interface-id": "eni-0abc111",
        "srcaddr": "203.0.113.9", "dstaddr": "10.0.1.5", "srcport": 50123, "dstport": 22,
        "protocol": 6, "packets": 3, "bytes": 180, "start": T0, "end": T0 + 60,
        "action": "REJECT", "log-status": "OK", "vpc-id": "vpc-1", "type": "IPv4",
        "tcp-flags": 2, "flow-direction": "ingress",
    },
    {  # 1: HTTPS inside the VPC, accepted
        "version": 5, "account-id": ACCOUNT, "interface-id": "eni-0bcd222",
        "srcaddr": "10.0.1.5", "dstaddr": "10.0.11.5", "srcport": 40000, "dstport": 443,
        "protocol": 6, "packets": 10, "bytes": 5000, "start": T0 + 300, "end": T0 + 360,
        "action": "ACCEPT", "log-status": "OK", "vpc-id": "vpc-1", "type": "IPv4",
        "tcp-flags": 19, "flow-direction": "egress",
    },
    {  # 2: DNS over IPv6
        "version": 5, "account-id": ACCOUNT, "interface-id": "eni-0abc111",
        "srcaddr": "2001:db8::10", "dstaddr": "2001:db8:1::53", "srcport": 5353, "dstport": 53,
        "protocol": 17, "packets": 1, "bytes": 120, "start": T0 + 1800, "end": T0 + 1860,
        "action": "ACCEPT", "log-status": "OK", "vpc-id": "vpc-2", "type": "IPv6",
        "flow-direction": "egress",
    },
    {  # 3: NODATA: everything from srcaddr to action is '-'
        "version": 5, "account-id": ACCOUNT, "interface-id": "eni-0abc111",
        "start": T0 + 3000, "end": T0 + 3060, "log-status": "NODATA", "vpc-id": "vpc-1",
    },
    {  # 4: ICMP, rejected, from an ECS task
        "version": 5, "account-id": ACCOUNT, "interface-id": "eni-0fff333",
        "srcaddr": "10.0.2.7", "dstaddr": "10.0.1.50", "srcport": 0, "dstport": 0,
        "protocol": 1, "packets": 1, "bytes": 84, "start": T0 + 3500, "end": T0 + 3560,
        "action": "REJECT", "log-status": "OK", "vpc-id": "vpc-2", "type": "IPv4",
        "flow-direction": "ingress",
        "ecs-cluster-arn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
    },
]  # fmt: skip


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    return make_frame(RECORDS, FIELDS_USED)


@pytest.fixture
def service_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """Port service names; a stand-in only while flowtui.core.ports is not written yet."""
    try:
        import flowtui.core.ports  # noqa: F401
    except ModuleNotFoundError:
        stand_in = types.ModuleType("flowtui.core.ports")
        known = {"ssh": 22, "https": 443, "domain": 53, "ms-sql-s": 1433}
        stand_in.port_number = lambda name: known.get(name.strip().lower())  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "flowtui.core.ports", stand_in)


def rows(frame: pl.DataFrame, text: str, now: int = NOW) -> list[int]:
    return matching_rows(frame, Filter.compile(text, FIELDS_USED, now).expr)


def error_of(text: str, fields: tuple[str, ...] = FIELDS_USED) -> FilterError:
    found = check(text, fields, NOW)
    assert found is not None, f"{text!r} should be rejected"
    return found


# --- operators and value kinds ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dstport=22", [0]),
        ("dstport!=22", [1, 2, 3, 4]),
        ("bytes<180", [2, 4]),
        ("bytes<=180", [0, 2, 4]),
        ("bytes>180", [1]),
        ("bytes>=180", [0, 1]),
        ("bytes >= 180", [0, 1]),
        ("tcp-flags=2", [0]),
        ("tcp-flags=syn", [0]),
        ("tcp_flags=SYN-ACK-FIN", [1]),
        ("tcp-flags=syn+ack+fin", [1]),
        ("tcp-flags=fin,syn", [0]),
        ("tcp-flags!=syn", [1, 2, 3, 4]),
        ("tcp-flags>syn-ack", [1]),
        ("version=5", [0, 1, 2, 3, 4]),
    ],
)
def test_each_operator_on_numbers(frame: pl.DataFrame, text: str, expected: list[int]) -> None:
    assert rows(frame, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dstport=22,443", [0, 1]),
        ("dstport=0-100", [0, 2, 4]),
        ("srcport=1024-65535", [0, 1, 2]),
        ("dstport!=22,443", [2, 3, 4]),
        ("protocol=tcp", [0, 1]),
        ("protocol=UDP,icmp", [2, 4]),
        ("proto=17", [2]),
    ],
)
def test_lists_ranges_and_protocol_names(
    frame: pl.DataFrame, text: str, expected: list[int]
) -> None:
    assert rows(frame, text) == expected


@pytest.mark.usefixtures("service_names")
@pytest.mark.parametrize(
    ("text", "expected"),
    [("dstport=ssh", [0]), ("dport=https,domain", [1, 2]), ("port=ssh", [0])],
)
def test_port_service_names(frame: pl.DataFrame, text: str, expected: list[int]) -> None:
    assert rows(frame, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("srcaddr=10.0.0.0/8", [1, 4]),
        ("srcaddr=10.0.1.5", [1]),
        ("dstaddr=10.0.1.5/32", [0]),
        ("dstaddr=10.0.1.0/24", [0, 4]),
        ("dstaddr=10.0.0.0/20", [0, 1, 4]),
        ("srcaddr=10.0.2.*", [4]),
        ("srcaddr=10.*", [1, 4]),
        ("srcaddr=2001:db8::/32", [2]),
        ("srcaddr=2001:0DB8:0:0::10", [2]),
        ("dstaddr=2001:db8:1::/48", [2]),
        ("srcaddr=0.0.0.0/0", [0, 1, 4]),
        ("srcaddr=::/0", [2]),
        ("srcaddr!=10.0.0.0/8", [0, 2, 3]),
    ],
)
def test_addresses_and_cidrs(frame: pl.DataFrame, text: str, expected: list[int]) -> None:
    assert rows(frame, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("action=reject", [0, 4]),
        ("action=ReJeCt", [0, 4]),
        ("status=nodata", [3]),
        ("log_status=ok", [0, 1, 2, 4]),
        ("type=ipv6", [2]),
        ("flow-direction=IN*", [0, 4]),
        ("log-status=*data", [3]),
    ],
)
def test_enums_ignore_case(frame: pl.DataFrame, text: str, expected: list[int]) -> None:
    assert rows(frame, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("eni=eni-0abc111", [0, 2, 3]),
        ("interface-id=eni-0a*", [0, 2, 3]),
        ("eni=*333", [4]),
        ("eni=*b*", [0, 1, 2, 3]),
        ("eni=ENI-0ABC111", []),
        ("vpc-id=vpc-1,vpc-2", [0, 1, 2, 3, 4]),
        ("account-id=123456789012", [0, 1, 2, 3, 4]),
        ('ecs-cluster-arn="arn:aws:ecs:us-east-1:123456789012:cluster/prod"', [4]),
        ("ecs-cluster-arn=*:cluster/prod", [4]),
        ('eni="eni-0a*"', []),
        ("eni=eni.0abc111", []),
    ],
)
def test_text_wildcards_and_quotes(frame: pl.DataFrame, text: str, expected: list[int]) -> None:
    assert rows(frame, text) == expected


def test_wildcard_characters_other_than_star_are_literal() -> None:
    odd = make_frame([{"vpc-id": "a.c"}, {"vpc-id": "abc"}, {"vpc-id": "a(c"}], ["vpc-id"])
    expr = Filter.compile("vpc-id=a.*", ["vpc-id"], NOW).expr
    assert matching_rows(odd, expr) == [0]
    assert matching_rows(odd, Filter.compile('vpc-id="a(c"', ["vpc-id"], NOW).expr) == [2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("start>=2026-11-27T10:30Z", [2, 3, 4]),
        ("start<2026-11-27T10:05:01Z", [0, 1]),
        ("start>=2026-11-27T11:20+01:00", [2, 3, 4]),
        ("start>-15m", [3, 4]),
        ("start>=-1h", [0, 1, 2, 3, 4]),
        ("end<=-2m", [0, 1, 2, 3]),
        (f"start={T0 + 300}", [1]),
        (f"start>{T0 + 1800}", [3, 4]),
        ("start<2026-11-27", []),
    ],
)
def test_times_absolute_relative_and_epoch(
    frame: pl.DataFrame, text: str, expected: list[int]
) -> None:
    assert rows(frame, text) == expected


def test_relative_times_follow_the_injected_clock(frame: pl.DataFrame) -> None:
    assert rows(frame, "start>-15m", now=NOW) == [3, 4]
    assert rows(frame, "start>-15m", now=T0 + 1200) == [2, 3, 4]


# --- missing values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dstport=22", [0]),
        ("bytes>0", [0, 1, 2, 4]),
        ("bytes<1000000", [0, 1, 2, 4]),
        ("dstport!=22", [1, 2, 3, 4]),
        ("not dstport=22", [1, 2, 3, 4]),
        ("action!=accept", [0, 3, 4]),
        ("srcaddr=-", [3]),
        ("srcaddr!=-", [0, 1, 2, 4]),
        ("action=-", [3]),
        ("bytes=-", [3]),
        ("tcp-flags=-", [2, 3, 4]),
        ("eni=-", []),
        ("dstport=22,-", [0, 3]),
    ],
)
def test_a_missing_value_equals_nothing_and_orders_with_nothing(
    frame: pl.DataFrame, text: str, expected: list[int]
) -> None:
    assert rows(frame, text) == expected


def test_ne_is_exactly_not_eq_on_every_row(frame: pl.DataFrame) -> None:
    for value in ("22", "22,443", "0-100", "-"):
        equal = set(rows(frame, f"dstport={value}"))
        assert set(rows(frame, f"dstport!={value}")) == set(range(len(RECORDS))) - equal


# --- shorthands and aliases ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("addr=10.0.1.5", [0, 1]),
        ("addr!=10.0.1.5", [2, 3, 4]),
        ("addr=10.0.1.0/24", [0, 1, 4]),
        ("addr=2001:db8:1::53", [2]),
        ("port=443", [1]),
        ("port!=0", [0, 1, 2, 3]),
        ("port<1024", [0, 1, 2, 4]),
        ("src=10.0.1.5", [1]),
        ("dst=10.0.1.5", [0]),
        ("sport=50123 dport=22", [0]),
    ],
)
def test_shorthands_mean_either_field(frame: pl.DataFrame, text: str, expected: list[int]) -> None:
    assert rows(frame, text) == expected


def test_a_shorthand_uses_the_fields_present() -> None:
    only_dst = make_frame([{"dstaddr": "10.0.0.1"}, {"dstaddr": "10.0.0.2"}], ["dstaddr"])
    assert matching_rows(only_dst, Filter.compile("addr=10.0.0.1", ["dstaddr"], NOW).expr) == [0]


# --- combining terms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("action=reject dstport=22", [0]),
        ("action=reject and dstport=22", [0]),
        ("action=reject AND dstport=22", [0]),
        ("dstport=22 or dstport=443", [0, 1]),
        ("dstport=22 OR protocol=udp", [0, 2]),
        ("not action=reject", [1, 2, 3]),
        ("!action=reject", [1, 2, 3]),
        ("dstport=53 or action=reject dstport=22", [0, 2]),
        ("(dstport=53 or action=reject) dstport=22", [0]),
        ("not action=reject eni=eni-0abc111", [2, 3]),
        ("not (action=reject or status=nodata)", [1, 2]),
        ("!(dstport=22)", [1, 2, 3, 4]),
        ("not not dstport=22", [0]),
        ("((dstport=22))", [0]),
        ("  ", [0, 1, 2, 3, 4]),
    ],
)
def test_and_or_not_and_precedence(frame: pl.DataFrame, text: str, expected: list[int]) -> None:
    assert rows(frame, text) == expected


@pytest.mark.usefixtures("service_names")
def test_the_issue_example_is_one_line(frame: pl.DataFrame) -> None:
    text = "action=reject dstport=ssh not srcaddr=10.0.0.0/8 start>-2h"
    assert rows(frame, text) == [0]


def test_parse_builds_the_expected_tree() -> None:
    ast = parse_filter("bytes=1 or not dport=22 proto=tcp")
    assert isinstance(ast.root, Or)
    left, right = ast.root.operands
    assert isinstance(left, Term) and left.target == "bytes"
    assert isinstance(right, And)
    negated, protocol = right.operands
    assert isinstance(negated, Not) and isinstance(protocol, Term)
    assert protocol.target == "protocol" and protocol.values == (Number(6),)


def test_fields_in_expands_shorthands_and_aliases() -> None:
    ast = parse_filter("addr=10.0.0.1 or (eni=eni-1 not status=ok)")
    assert fields_in(ast) == {"srcaddr", "dstaddr", "interface-id", "log-status"}


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "position", "length"),
    [
        ("srcadr=10.0.0.1", "unknown field 'srcadr' (did you mean 'srcaddr'?)", 0, 6),
        ("action=reject dstprot=22", "unknown field 'dstprot' (did you mean 'dstport'?)", 14, 7),
        ("zzzz=1", "unknown field 'zzzz'", 0, 4),
        ("srcadr", "unknown field 'srcadr' (did you mean 'srcaddr'?)", 0, 6),
        ("dstport=abc", "'abc' is not a port number", 8, 3),
        ("dstport=22,abc", "'abc' is not a port number", 11, 3),
        ("dstport=70000", "'70000' is not a port number", 8, 5),
        ("port=1-99999", "'99999' is not a port number", 5, 7),
        ("dstport=2000-1000", "the range '2000-1000' runs backwards", 8, 9),
        ("protocol=tcpx", "'tcpx' is not a protocol name or number", 9, 4),
        ("protocol=300", "'300' is not a protocol name or number", 9, 3),
        ("bytes=lots", "'lots' is not a number", 6, 4),
        ("tcp-flags=70000", "'70000' is out of range for tcp-flags (0-65535)", 10, 5),
        (
            "tcp-flags=syn-ak",
            "'syn-ak' is not a tcp-flags value (a number, or flag names: syn, ack, fin, rst, "
            "psh, urg, joined as in syn-ack)",
            10,
            6,
        ),
        ("action=maybe", "'maybe' is not a valid action (ACCEPT, REJECT)", 7, 5),
        ("action=x*", "'x*' matches no action value (ACCEPT, REJECT)", 7, 2),
        ("srcaddr=10.0.0.300", "'10.0.0.300' is not an IP address or CIDR", 8, 10),
        ("srcaddr=10.0.0.0/33", "'10.0.0.0/33' is not an IP address or CIDR", 8, 11),
        ("srcaddr=10.*.*.*.*", "'10.*.*.*.*' has more than four parts", 8, 10),
        ("dstport=2*", "wildcards work on text fields, not on dstport", 8, 2),
        ("action<reject", "'<' compares numbers and times; action is enum", 7, 6),
        ("srcaddr>10.0.0.1", "'>' compares numbers and times; srcaddr is address", 8, 8),
        ("dstport<22,23", "'<' takes one value, not a list", 8, 1),
        ("dstport>=1-5", "'>=' takes one value, not a range", 9, 3),
        ("bytes>-", "a missing value '-' is neither > nor anything else", 6, 1),
        ("start>yesterday", "'yesterday' is not a time", 6, 9),
        (
            "start>1795773600000",
            "'1795773600000' looks like milliseconds; give epoch seconds",
            6,
            13,
        ),
        ("dstport=", "missing value after 'dstport='", 8, 1),
        ("dstport= ", "missing value after 'dstport='", 9, 1),
        ("dstport=>22", "'=>' is not an operator (use = != < <= > >=)", 7, 2),
        ("dstport==22", "'==' is not an operator (use = != < <= > >=)", 7, 2),
        ("dstport", "'dstport' needs an operator and a value, as in dstport=...", 0, 7),
        ("=22", "'=' needs a field before it", 0, 1),
        ('"x"', 'a quoted value needs a field before it, as in eni="..."', 0, 1),
        ("dstport=22 ; action=reject", "unexpected ';'", 11, 1),
        (
            "eni=a=b",
            "unexpected '=' in a value (quote the value, or put a space between terms)",
            5,
            1,
        ),
        ('eni="abc', "this quote is never closed", 4, 1),
        ('eni=x"abc"', "quote the whole value", 4, 6),
        ("dstport=22,,23", "empty value in the list", 11, 1),
        ("(dstport=22", "this '(' is never closed", 0, 1),
        ("(dstport=22 or (action=reject)", "this '(' is never closed", 0, 1),
        ("dstport=22)", "this ')' has no matching '('", 10, 1),
        ("()", "empty parentheses", 0, 2),
        ("dstport=22 or", "expected a term after 'or'", 11, 2),
        ("dstport=22 or or action=reject", "expected a term after 'or'", 11, 2),
        ("not", "expected a term after 'not'", 0, 3),
        ("dstport=22 and", "expected a term after 'and'", 11, 3),
        ("or dstport=22", "expected a term before 'or'", 0, 2),
        ("(not) dstport=22", "expected a term after 'not'", 1, 3),
    ],
)
def test_errors_say_what_and_where(text: str, message: str, position: int, length: int) -> None:
    error = error_of(text)
    assert error.message.startswith(message)
    assert (error.position, error.length) == (position, length)


def test_pointer_puts_a_caret_under_the_problem() -> None:
    error = error_of("action=reject dstport=abc")
    assert error.pointer() == "action=reject dstport=abc\n                      ^^^"
    assert str(error) == "'abc' is not a port number"


def test_a_field_missing_from_the_records_is_named() -> None:
    error = error_of("action=reject vpc-id=vpc-1", fields=DEFAULT_FORMAT.fields)
    assert error.message == "field 'vpc-id' is not in these records' formats"
    assert (error.position, error.length) == (14, 6)
    assert check("action=reject", DEFAULT_FORMAT.fields, NOW) is None


def test_a_shorthand_without_its_fields_is_named() -> None:
    error = error_of("port=22", fields=("srcaddr", "dstaddr"))
    assert error.message == "field 'srcport or dstport' is not in these records' formats"


def test_compile_errors_carry_the_text_for_the_pointer() -> None:
    ast = parse_filter("vpc-id=vpc-1")
    with pytest.raises(FilterError) as caught:
        compile_filter(ast, DEFAULT_FORMAT.fields, NOW)
    assert caught.value.pointer() == "vpc-id=vpc-1\n^^^^^^"


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    error = error_of("(" * 5000 + "dstport=22" + ")" * 5000)
    assert error.message == "the filter is nested too deeply"


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.text(alphabet=st.sampled_from('adnorpst=!<>()"*,-.:/ 0123456789_'), max_size=30))
def test_nothing_but_filter_error_escapes(text: str) -> None:
    try:
        Filter.compile(text, FIELDS_USED, NOW)
    except FilterError as error:
        assert 0 <= error.position <= len(text)
        assert error.pointer().startswith(text)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(max_size=40))
def test_any_unicode_text_is_checked_without_raising(text: str) -> None:
    result = check(text, FIELDS_USED, NOW)
    assert result is None or isinstance(result, FilterError)


# --- the filter bar -----------------------------------------------------------------------


def test_suggest_completes_field_names_prefix_first() -> None:
    found = suggest("src", FIELDS_USED, {})
    assert found[:2] == ["srcaddr", "srcport"]
    assert "src" in found


def test_suggest_forgives_typos_and_knows_aliases() -> None:
    assert suggest("srcadr", FIELDS_USED, {})[0] == "srcaddr"
    assert "proto" in suggest("prot", FIELDS_USED, {})


def test_suggest_offers_only_fields_present() -> None:
    assert "vpc-id" not in suggest("vpc", DEFAULT_FORMAT.fields, {})
    assert "vpc-id" in suggest("vpc", FIELDS_USED, {})


def test_suggest_completes_values_seen_and_enum_values() -> None:
    assert suggest("action=rej", FIELDS_USED, {})[0] == "action=REJECT"
    seen = {"dstport": ["22", "443", "3389"], "srcport": ["50123", "5432"]}
    assert suggest("dstport=44", FIELDS_USED, seen)[0] == "dstport=443"
    # A client's ephemeral port is never offered; a named one (postgres) is.
    assert not [s for s in suggest("port=5", FIELDS_USED, seen) if "50123" in s]
    assert "port=5432" in suggest("port=54", FIELDS_USED, seen)
    assert suggest("nosuch=1", FIELDS_USED, seen) == []


# --- the convenience object ---------------------------------------------------------------


def test_filter_object_keeps_text_and_applies_lazily(frame: pl.DataFrame) -> None:
    compiled = Filter.compile("action=reject", FIELDS_USED, NOW)
    assert compiled.text == "action=reject" and not compiled.is_empty
    assert frame.lazy().filter(compiled.expr).collect().height == 2
    assert Filter.compile("", FIELDS_USED, NOW).is_empty


def test_a_quoted_value_may_hold_escaped_quotes() -> None:
    odd = make_frame([{"vpc-id": 'a"b'}, {"vpc-id": "ab"}], ["vpc-id"])
    assert matching_rows(odd, Filter.compile(r'vpc-id="a\"b"', ["vpc-id"], NOW).expr) == [0]
    assert error_of('vpc-id="a"b""', fields=("vpc-id",)).message == "quote the whole value"
