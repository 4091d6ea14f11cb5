"""Coverage of a VPC by its flow logs, the format preview, and never-captured traffic."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from flowtui.core.events import EventBatch
from flowtui.core.fields import UnknownFieldError
from flowtui.core.flowlog_coverage import CoverageState, Scope, compute_coverage, resource_kind
from flowtui.core.flowlog_format import PreviewContext, creation_format, preview_record
from flowtui.core.formats import DEFAULT_FORMAT, FormatError
from flowtui.core.netmodel import Eni, Subnet, Vpc
from flowtui.core.never_captured import EXCLUSIONS, excluded_address, record_note
from flowtui.core.parse import FormatRegistry, LineParser


@dataclass(frozen=True)
class FlowLog:
    id: str
    resource_id: str
    traffic_type: str = "ALL"
    delivery_status: str | None = "SUCCESS"


VPC = Vpc("vpc-1", ("10.0.0.0/16",))
OTHER_VPC = Vpc("vpc-2", ("172.16.0.0/16",))
SUBNETS = [
    Subnet("subnet-a", "vpc-1", ("10.0.1.0/24",), "public"),
    Subnet("subnet-b", "vpc-1", ("10.0.2.0/24",), "private"),
    Subnet("subnet-c", "vpc-2", ("172.16.1.0/24",)),
]
ENIS = [
    Eni("eni-web", "subnet-a", "vpc-1", addresses=("10.0.1.10",)),
    Eni("eni-db", "subnet-b", "vpc-1", addresses=("10.0.2.10",)),
    Eni("eni-lone", "subnet-c", "vpc-2", addresses=("172.16.1.5",)),
    Eni("eni-mystery", "subnet-z", "vpc-1"),
]


def coverage(flow_logs: list[FlowLog]) -> dict[str, tuple[CoverageState, tuple[str, ...]]]:
    vpcs = compute_coverage([VPC, OTHER_VPC], SUBNETS, ENIS, flow_logs, labels={"eni-web": "web"})
    return {e.eni.eni_id: (e.state, e.flow_log_ids) for v in vpcs for e in v.enis}


def test_vpc_subnet_and_eni_flow_logs_each_cover_their_scope() -> None:
    found = coverage(
        [
            FlowLog("fl-vpc", "vpc-1"),
            FlowLog("fl-sub", "subnet-b", "REJECT"),
            FlowLog("fl-eni", "eni-lone"),
        ]
    )
    assert found["eni-web"] == (CoverageState.ALL, ("fl-vpc",))
    assert found["eni-db"] == (CoverageState.ALL, ("fl-sub", "fl-vpc"))
    assert found["eni-lone"] == (CoverageState.ALL, ("fl-eni",))
    # An ENI whose subnet could not be read is still listed (under a placeholder) and covered.
    assert found["eni-mystery"] == (CoverageState.ALL, ("fl-vpc",))


def test_uncovered_accept_only_reject_only_and_failing_are_marked() -> None:
    found = coverage(
        [
            FlowLog("fl-a", "subnet-a", "ACCEPT"),
            FlowLog("fl-r", "subnet-b", "REJECT"),
            FlowLog("fl-x", "eni-mystery", "ALL", "FAILED"),
        ]
    )
    assert found["eni-web"][0] is CoverageState.ACCEPT_ONLY
    assert found["eni-db"][0] is CoverageState.REJECT_ONLY
    assert found["eni-lone"] == (CoverageState.UNCOVERED, ())
    assert found["eni-mystery"][0] is CoverageState.NOT_DELIVERING
    assert CoverageState.UNCOVERED.warning == "no flow log captures this ENI"
    assert CoverageState.ALL.warning is None


def test_accept_and_reject_logs_together_capture_all() -> None:
    found = coverage([FlowLog("fl-a", "eni-web", "ACCEPT"), FlowLog("fl-r", "vpc-1", "REJECT")])
    assert found["eni-web"][0] is CoverageState.ALL


def test_tree_shape_scopes_and_labels() -> None:
    (vpc, other) = compute_coverage(
        [VPC, OTHER_VPC], SUBNETS, ENIS, [FlowLog("fl-eni", "eni-web")], labels={"eni-web": "web"}
    )
    assert [s.subnet.subnet_id for s in vpc.subnets] == ["subnet-a", "subnet-b", "subnet-z"]
    assert vpc.subnets[2].subnet.name == "(subnet not readable)"
    web = vpc.subnets[0].enis[0]
    assert web.label == "web" and web.covered_by[0].scope is Scope.ENI
    assert [e.eni.eni_id for e in vpc.uncovered()] == ["eni-db", "eni-mystery"]
    assert [e.eni.eni_id for e in other.enis] == ["eni-lone"]


def test_resource_kind() -> None:
    assert resource_kind("vpc-1") == "VPC"
    assert resource_kind("subnet-1") == "Subnet"
    assert resource_kind("eni-1") == "NetworkInterface"
    assert resource_kind("i-1") is None


# --- format -------------------------------------------------------------------------------


def test_creation_format_default_custom_and_errors() -> None:
    assert creation_format(None) == DEFAULT_FORMAT
    assert creation_format("${version} ${srcaddr} ${reject-reason}").version == 8
    assert creation_format("srcaddr dstaddr").fields == ("srcaddr", "dstaddr")
    with pytest.raises(UnknownFieldError, match="did you mean 'dstport'"):
        creation_format("${srcaddr} ${dst-port}")
    with pytest.raises(FormatError, match="transit-gateway"):
        creation_format("${version} ${tgw-id}")


def test_preview_is_a_record_flowtui_parses_back() -> None:
    log_format = creation_format(
        "${version} ${interface-id} ${vpc-id} ${srcaddr} ${dstaddr} ${dstport} ${action} "
        "${flow-direction} ${ecs-cluster-name} ${packets} ${log-status}"
    )
    context = PreviewContext(
        interface_id="eni-0123456789abcdef0", vpc_id="vpc-9", address="10.9.9.9"
    )
    line = preview_record(log_format, context)
    assert line == "7 eni-0123456789abcdef0 vpc-9 198.51.100.7 10.9.9.9 443 ACCEPT ingress - 10 OK"
    parser = LineParser(FormatRegistry(), [log_format])
    result = parser.parse_batch(EventBatch([line], line_numbers=[1], origin="preview"))
    assert result.malformed == [] and result.frame.height == 1


def test_default_preview_has_fourteen_fields() -> None:
    line = preview_record(DEFAULT_FORMAT)
    assert len(line.split()) == 14 and line.startswith("2 123456789012 eni-")


# --- never captured -----------------------------------------------------------------------


def test_excluded_addresses() -> None:
    vpc = ["10.0.0.0/16"]
    subnets = ["10.0.1.0/24"]
    kinds = {
        address: (found.kind if (found := excluded_address(address, vpc, subnets)) else None)
        for address in ("10.0.0.2", "169.254.169.253", "169.254.169.254", "169.254.169.123",
                        "10.0.1.1", "169.254.169.250", "10.0.1.2", "10.0.1.10", "8.8.8.8")
    }  # fmt: skip
    assert kinds == {
        "10.0.0.2": "amazon-dns",
        "169.254.169.253": "amazon-dns",
        "169.254.169.254": "imds",
        "169.254.169.123": "time-sync",
        "10.0.1.1": "vpc-router",
        "169.254.169.250": "windows-activation",
        "10.0.1.2": None,
        "10.0.1.10": None,
        "8.8.8.8": None,
    }
    assert {e.kind for e in EXCLUSIONS} >= {"dhcp", "mirrored", "endpoint-nlb"}


def test_notes_for_neighbours_of_never_captured_traffic() -> None:
    dns = record_note("10.0.1.10", "10.0.10.53", 40000, 53, 17, vpc_cidrs=["10.0.0.0/16"])
    assert dns is not None and "10.0.0.2 and 169.254.169.253" in dns and "own" in dns
    ntp = record_note("10.0.1.10", "203.0.113.5", 123, 123, 17)
    assert ntp is not None and "169.254.169.123" in ntp
    assert "DHCP" in (record_note("10.0.1.10", "10.0.5.5", 68, 67, 17) or "")
    assert "KMS" in (record_note("10.0.1.10", "10.0.5.5", 50000, 1688, 6) or "")
    assert "link-local" in (record_note("10.0.1.10", "169.254.170.2", 50000, 80, 6) or "")
    direct = record_note("10.0.1.10", "10.0.0.2", 40000, 53, 17, vpc_cidrs=["10.0.0.0/16"])
    assert direct is not None and direct.startswith("10.0.0.2 is the Amazon DNS server")
    assert record_note("10.0.1.10", "198.51.100.7", 443, 50000, 6) is None
