"""Property: any line either parses to values that round-trip through raw output, or is
reported malformed with a reason; the parser never raises."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from flowtui.core.events import EventBatch
from flowtui.core.export import raw_lines
from flowtui.core.formats import DEFAULT_FORMAT, parse_format
from flowtui.core.parse import FormatRegistry, LineParser, ParseResult

CUSTOM = parse_format(
    "version vpc-id srcaddr dstaddr srcport dstport protocol tcp-flags type "
    "pkt-srcaddr flow-direction traffic-path start action log-status"
)

ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
ipv6 = st.ip_addresses(v=6).map(str)
dash = st.just("-")
port = st.integers(0, 65535).map(str)
small = st.integers(0, 255).map(str)
big = st.integers(0, 2**64 - 1).map(str)
seconds = st.integers(0, 2**31 - 1).map(str)
millis = st.integers(2**31, 2**33).map(str)
text_id = st.from_regex(r"[a-z]{1,4}-[0-9a-f]{1,17}", fullmatch=True)
junk = st.text(min_size=1, max_size=12).filter(lambda s: " " not in s and "\n" not in s)

TOKEN = {
    "version": st.one_of(small, dash, junk),
    "account-id": st.one_of(st.from_regex(r"[0-9]{12}", fullmatch=True), dash, junk),
    "interface-id": st.one_of(text_id, dash),
    "vpc-id": st.one_of(text_id, dash),
    "srcaddr": st.one_of(ipv4, ipv6, dash, junk),
    "dstaddr": st.one_of(ipv4, ipv6, dash),
    "pkt-srcaddr": st.one_of(ipv4, ipv6, dash),
    "srcport": st.one_of(port, dash, junk),
    "dstport": st.one_of(port, dash, st.integers(65536, 10**6).map(str)),
    "protocol": st.one_of(small, dash),
    "packets": st.one_of(big, dash),
    "bytes": st.one_of(big, dash, junk),
    "tcp-flags": st.one_of(st.integers(0, 65535).map(str), dash),
    "type": st.sampled_from(["IPv4", "IPv6", "EFA", "-", "ipv4"]),
    "flow-direction": st.sampled_from(["ingress", "egress", "-", "in"]),
    "traffic-path": st.one_of(small, dash),
    "start": st.one_of(seconds, millis, dash, junk),
    "end": st.one_of(seconds, millis, dash),
    "action": st.sampled_from(["ACCEPT", "REJECT", "-", "accept"]),
    "log-status": st.sampled_from(["OK", "NODATA", "SKIPDATA", "-", "BAD"]),
}


def record_lines(fmt: tuple[str, ...]) -> st.SearchStrategy[str]:
    tokens = st.tuples(*[TOKEN[name] for name in fmt])
    spaces = st.sampled_from([" ", " ", " ", "  "])
    return st.tuples(tokens, st.lists(spaces, min_size=len(fmt), max_size=len(fmt))).map(
        lambda pair: "".join(t + s for t, s in zip(pair[0], pair[1], strict=True)).rstrip()
    )


ANY_LINE = st.one_of(
    record_lines(DEFAULT_FORMAT.fields),
    record_lines(CUSTOM.fields),
    st.text(max_size=200).map(lambda s: s.replace("\n", " ")),
)


def comparable(frame: pl.DataFrame) -> list[dict[str, object]]:
    columns = [c for c in frame.columns if c != "_fmt"]
    return frame.select(pl.col(columns).cast(pl.String)).to_dicts()


def assert_same_result(fast: ParseResult, careful: ParseResult) -> None:
    """The fast path's records, malformed lines and blank count are the careful path's."""
    assert comparable(fast.frame) == comparable(careful.frame)
    assert [(m.line_number, m.reason) for m in fast.malformed] == [
        (m.line_number, m.reason) for m in careful.malformed
    ]
    assert fast.blank_lines == careful.blank_lines


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(st.lists(ANY_LINE, min_size=1, max_size=8))
def test_lines_round_trip_or_are_reported(lines: list[str]) -> None:
    registry = FormatRegistry()
    parser = LineParser(registry, [DEFAULT_FORMAT, CUSTOM])
    result = parser.parse_batch(EventBatch(lines))
    # A trailing carriage return ends a line (CRLF input), so "\r" alone is a blank line.
    blank = sum(1 for line in lines if not line.rstrip("\r").strip(" "))
    counted = result.frame.height + len(result.malformed) + result.blank_lines
    assert counted + result.header_lines == len(lines)
    assert result.blank_lines == blank
    assert all(m.reason for m in result.malformed)
    if result.frame.height == 0:
        return
    rebuilt = list(raw_lines(result.frame, registry.formats))
    again = LineParser(FormatRegistry(), list(registry.formats)).parse_batch(EventBatch(rebuilt))
    assert not again.malformed
    assert comparable(again.frame) == comparable(result.frame)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(st.lists(ANY_LINE, min_size=1, max_size=8))
def test_fast_path_for_file_blocks_agrees_with_the_careful_path(lines: list[str]) -> None:
    assume(not any("\r" in line for line in lines))  # files end lines with \r\n; events do not
    block = ("\n".join(lines) + "\n").encode()
    fast = LineParser(FormatRegistry(), [DEFAULT_FORMAT]).parse_block(block, 1, "f")
    careful = LineParser(FormatRegistry(), [DEFAULT_FORMAT]).parse_batch(
        EventBatch(
            lines,
            line_numbers=list(range(1, len(lines) + 1)),
            origin="f",
        )
    )
    assert_same_result(fast, careful)


def test_fast_path_takes_clean_blocks_and_matches_on_real_records() -> None:
    lines = [
        "2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
        "2 123456789010 eni-1 2001:db8::1 2001:db8::2 20641 22 6 20 4249 1418530010000 1418530070 REJECT OK",
        "2 123456789010 eni-1 - - - - - - - 1431280876 1431280934 - NODATA",
    ]
    block = ("\n".join(lines) + "\n").encode()
    from flowtui.core.fastpath import parse_clean_block

    assert parse_clean_block(block, DEFAULT_FORMAT) is not None
    fast = LineParser(FormatRegistry(), [DEFAULT_FORMAT]).parse_block(block, 1, "f")
    careful = LineParser(FormatRegistry(), [DEFAULT_FORMAT]).parse_batch(
        EventBatch(lines), fast=False
    )
    assert comparable(fast.frame) == comparable(careful.frame)


EVENT_MESSAGE = st.one_of(
    ANY_LINE,
    record_lines(DEFAULT_FORMAT.fields).map(lambda line: line + "\n"),
    record_lines(DEFAULT_FORMAT.fields).map(lambda line: line + "\r"),
    st.tuples(record_lines(DEFAULT_FORMAT.fields), record_lines(DEFAULT_FORMAT.fields)).map(
        "\n".join
    ),
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(st.lists(EVENT_MESSAGE, min_size=1, max_size=8), st.booleans())
def test_fast_path_for_cloudwatch_pages_agrees_with_the_careful_path(
    messages: list[str], known_format: bool
) -> None:
    """Each event keeps its own stream, id and ingestion time on the fast path, whatever the
    messages hold (newlines included); detection picks the same format on both paths."""
    batch = EventBatch(
        messages,
        streams=[f"eni-{i}-all" for i in range(len(messages))],
        timestamps=list(range(len(messages))),
        ingestion_times=[1_700_000_000_000 + i for i in range(len(messages))],
        event_ids=list(range(100, 100 + len(messages))),
        origin="/group",
    )
    formats = [DEFAULT_FORMAT] if known_format else None
    fast = LineParser(FormatRegistry(), formats).parse_batch(batch)
    careful = LineParser(FormatRegistry(), formats).parse_batch(batch, fast=False)
    assert_same_result(fast, careful)
    if fast.frame.height:
        assert fast.frame.schema == careful.frame.schema


def test_a_clean_page_of_events_takes_the_fast_path_with_its_metadata() -> None:
    lines = [
        "2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
        "2 123456789010 eni-2 10.0.0.1 10.0.0.2 443 51000 6 3 180 1418530010 1418530070 REJECT OK",
    ]
    batch = EventBatch(lines, streams=["eni-1-all", "eni-2-all"], event_ids=[7, 8])
    parser = LineParser(FormatRegistry(), [DEFAULT_FORMAT])
    assert parser._clean_batch(batch) is not None
    frame = parser.parse_batch(batch).frame
    assert frame["_stream"].to_list() == ["eni-1-all", "eni-2-all"]
    assert frame["_event_id"].to_list() == [7, 8]
    assert frame["dstport"].to_list() == [22, 51000]
