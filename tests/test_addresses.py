"""Address classes, with the AWS link-local services called out."""

from __future__ import annotations

import pytest

from flowtui.core.addresses import address_class, is_vpc_resolver


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("172.32.0.1", "public"),
        ("100.64.0.1", "cgnat"),
        ("100.127.255.255", "cgnat"),
        ("169.254.1.1", "link-local"),
        ("169.254.169.254", "imds"),
        ("169.254.169.123", "time-sync"),
        ("169.254.169.253", "amazon-dns"),
        ("169.254.170.2", "ecs-metadata"),
        ("fd00:ec2::254", "imds"),
        ("FD00:EC2:0:0:0:0:0:254", "imds"),
        ("fd00:ec2::123", "time-sync"),
        ("fd00:ec2::253", "amazon-dns"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("192.0.2.7", "documentation"),
        ("198.51.100.7", "documentation"),
        ("203.0.113.12", "documentation"),
        ("2001:db8:1234:a100:8d6e:3477:df66:f105", "documentation"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("fd12:3456::1", "ipv6-ula"),
        ("fe80::1", "ipv6-link-local"),
        ("2600:1f18:abcd::1", "ipv6-global"),
        ("64:ff9b::808:808", "nat64"),
        ("52.95.128.179", "public"),
        ("240.0.0.1", "reserved"),
        ("::ffff:10.0.0.1", "private"),
    ],
)
def test_address_kind(text: str, kind: str) -> None:
    assert address_class(text).kind == kind


def test_descriptions_explain_what_flow_logs_never_show() -> None:
    assert address_class("10.1.2.3").description == "RFC 1918 private address"
    for special in ("169.254.169.254", "169.254.169.123", "169.254.169.253", "fd00:ec2::254"):
        assert "flow logs never capture" in address_class(special).description
    assert "Instance metadata" in address_class("169.254.169.254").description
    assert "Time Sync" in address_class("fd00:ec2::123").description
    assert "TEST-NET-3" in address_class("203.0.113.5").description


@pytest.mark.parametrize("text", ["", "nope", "10.0.0.256", "10.0.0.0/8", "1::2::3", "x" * 500])
def test_invalid_text_is_a_kind_not_an_exception(text: str) -> None:
    found = address_class(text)
    assert found.kind == "invalid"
    assert found.description.startswith("Not an IP address")
    assert len(found.description) < 100


@pytest.mark.parametrize(
    ("address", "cidr", "expected"),
    [
        ("10.0.0.2", "10.0.0.0/16", True),
        ("10.0.0.3", "10.0.0.0/16", False),
        ("172.31.0.2", "172.31.0.0/16", True),
        ("10.1.0.2", "10.1.0.0/24", True),
        ("10.0.0.2", "10.1.0.0/16", False),
        ("10.0.5.2", "10.0.5.9/16", False),
        ("2600::2", "10.0.0.0/16", False),
        ("not-an-ip", "10.0.0.0/16", False),
    ],
)
def test_vpc_resolver_is_the_cidr_base_plus_two(address: str, cidr: str, expected: bool) -> None:
    assert is_vpc_resolver(address, cidr) is expected


def test_bad_vpc_cidr_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="is not a CIDR block"):
        is_vpc_resolver("10.0.0.2", "10.0.0/33")
