"""Service names of common ports, in both directions, respecting the transport."""

from __future__ import annotations

import pytest

from flowtui.core.ports import port_description, port_number, port_service

TCP, UDP, ICMP = 6, 17, 1


@pytest.mark.parametrize(
    ("port", "protocol", "name"),
    [
        (22, TCP, "ssh"),
        (80, TCP, "http"),
        (443, TCP, "https"),
        (443, UDP, "https"),
        (3389, TCP, "rdp"),
        (53, TCP, "dns"),
        (53, UDP, "dns"),
        (123, UDP, "ntp"),
        (25, TCP, "smtp"),
        (587, TCP, "submission"),
        (465, TCP, "smtps"),
        (3306, TCP, "mysql"),
        (5432, TCP, "postgresql"),
        (6379, TCP, "redis"),
        (27017, TCP, "mongodb"),
        (9092, TCP, "kafka"),
        (9200, TCP, "elasticsearch"),
        (11211, TCP, "memcached"),
        (389, TCP, "ldap"),
        (636, TCP, "ldaps"),
        (88, UDP, "kerberos"),
        (445, TCP, "smb"),
        (2049, TCP, "nfs"),
        (135, TCP, "msrpc"),
        (137, UDP, "netbios-ns"),
        (139, TCP, "netbios-ssn"),
        (161, UDP, "snmp"),
        (514, UDP, "syslog"),
        (23, TCP, "telnet"),
        (20, TCP, "ftp-data"),
        (21, TCP, "ftp"),
        (143, TCP, "imap"),
        (995, TCP, "pop3s"),
        (1433, TCP, "mssql"),
        (1521, TCP, "oracle"),
        (5900, TCP, "vnc"),
        (8080, TCP, "http-alt"),
        (8443, TCP, "https-alt"),
        (6081, UDP, "geneve"),
        (22, None, "ssh"),
        (123, None, "ntp"),
    ],
)
def test_port_service(port: int, protocol: int | None, name: str) -> None:
    assert port_service(port, protocol) == name


@pytest.mark.parametrize(
    ("port", "protocol"),
    [
        (123, TCP),
        (22, UDP),
        (161, TCP),
        (22, ICMP),
        (0, ICMP),
        (0, None),
        (5001, TCP),
        (65535, UDP),
    ],
)
def test_port_without_a_service_for_that_transport(port: int, protocol: int | None) -> None:
    assert port_service(port, protocol) is None


def test_every_service_name_maps_back_to_its_port() -> None:
    named = {port: port_service(port) for port in range(65536)}
    services = {port: name for port, name in named.items() if name is not None}
    assert len(services) >= 60
    assert all(port_number(name) == port for port, name in services.items())
    assert len(set(services.values())) == len(services)


@pytest.mark.parametrize(
    ("name", "port"),
    [
        ("ssh", 22),
        ("SSH", 22),
        (" https ", 443),
        ("domain", 53),
        ("postgres", 5432),
        ("microsoft-ds", 445),
        ("8080", 8080),
    ],
)
def test_port_number(name: str, port: int) -> None:
    assert port_number(name) == port


@pytest.mark.parametrize("name", ["", "sshh", "65536", "-1", "netbios"])
def test_port_number_unknown_is_none(name: str) -> None:
    assert port_number(name) is None


def test_port_description_names_the_service_or_the_range() -> None:
    assert port_description(22, TCP) == "ssh: Secure Shell remote login"
    assert port_description(0, ICMP) == "Ports do not apply to this protocol"
    assert port_description(43416, TCP).startswith("Ephemeral port range")
    assert port_description(5001, TCP).startswith("Registered port range")
    assert port_description(7, TCP).startswith("Well-known port range")
    assert port_description(70000, None) == "Not a valid port (0-65535)"
    assert port_description(80, 132).startswith("Well-known")  # SCTP has ports, not HTTP
