"""IANA protocol numbers: every value of the 8-bit protocol field has a label and a status."""

from __future__ import annotations

from collections import Counter

import pytest

from flowtui.core.protocols import protocol_info, protocol_label, protocol_number


def test_every_protocol_number_has_a_label_and_the_iana_status() -> None:
    statuses = Counter(protocol_info(number).status for number in range(256))
    assert statuses == {"assigned": 148, "unassigned": 105, "experimental": 2, "reserved": 1}
    assert all(protocol_info(number).status == "assigned" for number in range(148))
    assert all(protocol_info(number).status == "unassigned" for number in range(148, 253))
    assert [protocol_info(n).status for n in (253, 254, 255)] == [
        "experimental",
        "experimental",
        "reserved",
    ]
    labels = [protocol_label(number) for number in range(256)]
    assert all(label.endswith(f"({number})") for number, label in enumerate(labels))


@pytest.mark.parametrize(
    ("number", "label"),
    [
        (0, "HOPOPT (0)"),
        (1, "ICMP (1)"),
        (6, "TCP (6)"),
        (17, "UDP (17)"),
        (58, "IPv6-ICMP (58)"),
        (61, "Any host internal protocol (61)"),
        (124, "ISIS over IPv4 (124)"),
        (146, "Homa (146)"),
        (147, "BIT-EMU (147)"),
        (200, "Unassigned (200)"),
        (253, "Experimental (253)"),
        (255, "Reserved (255)"),
    ],
)
def test_protocol_labels(number: int, label: str) -> None:
    assert protocol_label(number) == label


def test_recent_assignments_are_known() -> None:
    assert protocol_info(146).name == "Homa"
    assert protocol_info(147).name == "Bit-stream Emulation"


def test_deprecated_note_is_a_flag_not_part_of_the_keyword() -> None:
    deprecated = [n for n in range(256) if protocol_info(n).deprecated]
    assert deprecated == [13, 53, 95, 122]
    assert protocol_info(13).keyword == "ARGUS"
    assert protocol_label(13) == "ARGUS (13)"
    assert not protocol_info(6).deprecated


def test_unnamed_descriptions_fall_back_to_the_keyword() -> None:
    assert protocol_info(135).name == "Mobility Header"


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("tcp", 6),
        ("TCP", 6),
        (" udp ", 17),
        ("icmp", 1),
        ("icmpv6", 58),
        ("IPv6-ICMP", 58),
        ("gre", 47),
        ("esp", 50),
        ("ah", 51),
        ("sctp", 132),
        ("ospf", 89),
        ("argus", 13),
        ("homa", 146),
        ("6", 6),
        ("255", 255),
    ],
)
def test_protocol_number_from_names(name: str, number: int) -> None:
    assert protocol_number(name) == number


@pytest.mark.parametrize("name", ["", "tcpp", "256", "-1", "reserved", "unassigned", "٣"])
def test_protocol_number_unknown_is_none(name: str) -> None:
    assert protocol_number(name) is None


def test_out_of_range_number_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="0 to 255"):
        protocol_info(256)
    assert protocol_label(300) == "Out of range (300)"
