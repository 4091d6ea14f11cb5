"""Which flow logs capture which network interfaces: a VPC's coverage, ENI by ENI.

A flow log attached to a VPC captures every ENI in it (also those created later), one attached
to a subnet every ENI of that subnet, one attached to an ENI that ENI. Coverage is the union,
and what it captures is the union of the traffic types of the flow logs that deliver: an ENI
covered only by an ACCEPT flow log never shows a REJECT, and one covered only by a flow log
whose delivery fails shows nothing at all.

Pure: the inputs are the network model's `Vpc`, `Subnet` and `Eni` and any flow-log object
with `id`, `resource_id`, `traffic_type` and `delivery_status` (the sources' `FlowLogInfo`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from flowtui.core.netmodel import Eni, Subnet, Vpc


class FlowLogLike(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def resource_id(self) -> str: ...

    @property
    def traffic_type(self) -> str: ...

    @property
    def delivery_status(self) -> str | None: ...


F = TypeVar("F", bound=FlowLogLike)


class Scope(StrEnum):
    """What a flow log is attached to, as seen from one ENI."""

    ENI = "eni"
    SUBNET = "subnet"
    VPC = "vpc"


class CoverageState(StrEnum):
    #: Captures both accepted and rejected traffic.
    ALL = "all"
    ACCEPT_ONLY = "accept-only"
    REJECT_ONLY = "reject-only"
    #: Covered, but every covering flow log's delivery fails: nothing arrives.
    NOT_DELIVERING = "not-delivering"
    UNCOVERED = "uncovered"

    @property
    def warning(self) -> str | None:
        """What the user misses, in one line; None when nothing is missed."""
        return _WARNINGS.get(self)


_WARNINGS = {
    CoverageState.ACCEPT_ONLY: "ACCEPT only: no REJECT is ever recorded",
    CoverageState.REJECT_ONLY: "REJECT only: accepted traffic is not recorded",
    CoverageState.NOT_DELIVERING: "every covering flow log fails to deliver: nothing is recorded",
    CoverageState.UNCOVERED: "no flow log captures this ENI",
}


def is_failing(flow_log: FlowLogLike) -> bool:
    return (flow_log.delivery_status or "").upper() == "FAILED"


def resource_kind(resource_id: str) -> str | None:
    """ "VPC", "Subnet" or "NetworkInterface" (CreateFlowLogs' ResourceType) from an id."""
    for prefix, kind in (("vpc-", "VPC"), ("subnet-", "Subnet"), ("eni-", "NetworkInterface")):
        if resource_id.startswith(prefix):
            return kind
    return None


def captured_state(flow_logs: Iterable[FlowLogLike]) -> CoverageState:
    """What a set of covering flow logs captures together."""
    covering = list(flow_logs)
    if not covering:
        return CoverageState.UNCOVERED
    delivering = {f.traffic_type.upper() for f in covering if not is_failing(f)}
    if not delivering:
        return CoverageState.NOT_DELIVERING
    if "ALL" in delivering or {"ACCEPT", "REJECT"} <= delivering:
        return CoverageState.ALL
    return CoverageState.ACCEPT_ONLY if "ACCEPT" in delivering else CoverageState.REJECT_ONLY


@dataclass(frozen=True, slots=True)
class Covering(Generic[F]):
    flow_log: F
    scope: Scope


@dataclass(frozen=True, slots=True)
class EniCoverage(Generic[F]):
    eni: Eni
    #: What a person recognises it by (instance name, description); "" when unknown.
    label: str
    covered_by: tuple[Covering[F], ...]

    @property
    def state(self) -> CoverageState:
        return captured_state(c.flow_log for c in self.covered_by)

    @property
    def flow_log_ids(self) -> tuple[str, ...]:
        return tuple(c.flow_log.id for c in self.covered_by)

    @property
    def failing(self) -> tuple[F, ...]:
        """The covering flow logs whose delivery fails (what they would record is missed)."""
        return tuple(c.flow_log for c in self.covered_by if is_failing(c.flow_log))


@dataclass(frozen=True, slots=True)
class SubnetCoverage(Generic[F]):
    subnet: Subnet
    #: Flow logs attached to the subnet itself.
    attached: tuple[F, ...]
    enis: tuple[EniCoverage[F], ...]


@dataclass(frozen=True, slots=True)
class VpcCoverage(Generic[F]):
    vpc: Vpc
    name: str
    attached: tuple[F, ...]
    subnets: tuple[SubnetCoverage[F], ...]

    @property
    def enis(self) -> tuple[EniCoverage[F], ...]:
        return tuple(eni for subnet in self.subnets for eni in subnet.enis)

    def uncovered(self) -> tuple[EniCoverage[F], ...]:
        return tuple(e for e in self.enis if e.state is CoverageState.UNCOVERED)


def _covering(eni: Eni, by_resource: Mapping[str, list[F]]) -> tuple[Covering[F], ...]:
    found: list[Covering[F]] = []
    for resource, scope in (
        (eni.eni_id, Scope.ENI),
        (eni.subnet_id, Scope.SUBNET),
        (eni.vpc_id, Scope.VPC),
    ):
        if resource:
            found.extend(Covering(f, scope) for f in by_resource.get(resource, ()))
    return tuple(found)


def compute_coverage(
    vpcs: Iterable[Vpc],
    subnets: Iterable[Subnet],
    enis: Iterable[Eni],
    flow_logs: Iterable[F],
    *,
    labels: Mapping[str, str] | None = None,
    vpc_names: Mapping[str, str] | None = None,
) -> list[VpcCoverage[F]]:
    """Every VPC with its subnets and their ENIs, each with the flow logs that capture it.

    VPCs and subnets keep the order given; an ENI whose subnet was not given is listed under a
    placeholder subnet of its VPC so that it is never silently dropped.
    """
    labels = labels or {}
    vpc_names = vpc_names or {}
    by_resource: dict[str, list[F]] = {}
    for flow_log in flow_logs:
        by_resource.setdefault(flow_log.resource_id, []).append(flow_log)
    subnet_list = list(subnets)
    eni_list = sorted(enis, key=lambda e: e.eni_id)
    result: list[VpcCoverage[F]] = []
    for vpc in vpcs:
        known = [s for s in subnet_list if s.vpc_id == vpc.vpc_id]
        known_ids = {s.subnet_id for s in known}
        members = [e for e in eni_list if e.vpc_id == vpc.vpc_id]
        unreadable = sorted({e.subnet_id or "-" for e in members} - known_ids)
        placeholders = [Subnet(key, vpc.vpc_id, name="(subnet not readable)") for key in unreadable]
        rows = [
            SubnetCoverage(
                subnet=subnet,
                attached=tuple(by_resource.get(subnet.subnet_id, ())),
                enis=tuple(
                    EniCoverage(eni, labels.get(eni.eni_id, ""), _covering(eni, by_resource))
                    for eni in members
                    if (eni.subnet_id or "-") == subnet.subnet_id
                ),
            )
            for subnet in known + placeholders
        ]
        result.append(
            VpcCoverage(
                vpc=vpc,
                name=vpc_names.get(vpc.vpc_id, ""),
                attached=tuple(by_resource.get(vpc.vpc_id, ())),
                subnets=tuple(rows),
            )
        )
    return result
