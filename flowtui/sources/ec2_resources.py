"""What EC2 lookups return, and how raw EC2 responses become it.

`EniInfo`, `InstanceInfo` and `FlowLogInfo` are the values `Ec2Lookups`
(`flowtui.sources.ec2`) hands out; the pure conversions below turn one raw describe item into
them. No calls and no cache here: EC2 lookups stay one module with one cache, and this module
only holds the shapes and conversions that cache uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flowtui.core import netmodel
from flowtui.core.formats import LogFormat, parse_format
from flowtui.core.netmodel import Eni, GroupIdentifier

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import (
        FlowLogTypeDef,
        InstanceTypeDef,
        NetworkInterfaceTypeDef,
        TagTypeDef,
    )


@dataclass(frozen=True, slots=True)
class EniInfo:
    """A network interface as lists show it: the network model's `Eni` (`interface`) plus
    what a person recognises it by. `known` is False when only its id is known (deleted, or
    no ec2:DescribeNetworkInterfaces permission)."""

    interface: Eni
    instance_id: str | None = None
    instance_name: str | None = None
    public_ip: str | None = None
    requester_managed: bool = False
    status: str = ""
    name_tag: str | None = None
    known: bool = True

    @classmethod
    def unknown(cls, eni_id: str, why: str = "") -> EniInfo:
        """An interface known by id only; `why` says so in its label."""
        return cls(Eni(eni_id, description=why), known=False)

    @property
    def id(self) -> str:
        return self.interface.eni_id

    @property
    def description(self) -> str:
        return self.interface.description

    @property
    def interface_type(self) -> str:
        return self.interface.interface_type

    @property
    def subnet_id(self) -> str | None:
        return self.interface.subnet_id

    @property
    def vpc_id(self) -> str | None:
        return self.interface.vpc_id

    @property
    def security_groups(self) -> tuple[GroupIdentifier, ...]:
        return self.interface.groups

    @property
    def private_ips(self) -> tuple[str, ...]:
        """Private IPv4 addresses, the primary first."""
        return tuple(address for address in self.interface.addresses if ":" not in address)

    @property
    def ipv6_ips(self) -> tuple[str, ...]:
        return tuple(address for address in self.interface.addresses if ":" in address)

    @property
    def label(self) -> str:
        """What a person recognises: "web-1 (i-0abc) 10.0.1.10", or the description."""
        if not self.known:
            return f"{self.id} ({self.description or 'details unavailable'})"
        name = self.instance_name or self.name_tag
        parts: list[str] = []
        if name:
            parts.append(name)
        if self.instance_id:
            parts.append(f"({self.instance_id})" if name else self.instance_id)
        if not parts:
            parts.append(self.description or self.interface_type or self.id)
        if self.private_ips:
            parts.append(self.private_ips[0])
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class InstanceInfo:
    id: str
    name: str | None
    state: str
    private_ip: str | None
    subnet_id: str | None
    vpc_id: str | None


@dataclass(frozen=True, slots=True)
class FlowLogInfo:
    """One flow log as DescribeFlowLogs reports it."""

    id: str
    resource_id: str
    #: ACCEPT, REJECT or ALL.
    traffic_type: str
    #: None when the format string cannot be parsed (see `format_error`).
    format: LogFormat | None
    format_text: str
    aggregation_interval_s: int | None
    #: SUCCESS or FAILED.
    delivery_status: str | None
    delivery_error: str | None
    log_group: str | None
    destination_type: str
    format_error: str | None = None
    #: The IAM role it delivers with (DeliverLogsPermissionArn); None when not given.
    role_arn: str | None = None


def distinct_formats(flow_logs: Iterable[FlowLogInfo]) -> tuple[LogFormat, ...]:
    """Every distinct record format of these flow logs, in order: what the parser is given."""
    return tuple(dict.fromkeys(f.format for f in flow_logs if f.format is not None))


# --- conversions from raw responses -------------------------------------------------------


def _name_tag(tags: Sequence[TagTypeDef] | None) -> str | None:
    for tag in tags or ():
        if tag.get("Key") == "Name":
            return tag.get("Value")
    return None


def eni_infos(raw: Sequence[NetworkInterfaceTypeDef]) -> list[EniInfo]:
    """The network model's interfaces, with what lists show about each."""
    interfaces = netmodel.enis_from_response({"NetworkInterfaces": raw})
    return [
        EniInfo(
            interface=interface,
            instance_id=item.get("Attachment", {}).get("InstanceId"),
            public_ip=item.get("Association", {}).get("PublicIp"),
            requester_managed=bool(item.get("RequesterManaged", False)),
            status=item.get("Status", ""),
            name_tag=_name_tag(item.get("TagSet")),
        )
        for interface, item in zip(interfaces, raw, strict=True)
    ]


def instance_info(item: InstanceTypeDef) -> InstanceInfo:
    """One DescribeInstances instance as InstanceInfo."""
    return InstanceInfo(
        id=item.get("InstanceId", ""),
        name=_name_tag(item.get("Tags")),
        state=item.get("State", {}).get("Name", ""),
        private_ip=item.get("PrivateIpAddress"),
        subnet_id=item.get("SubnetId"),
        vpc_id=item.get("VpcId"),
    )


def flow_log_info(item: FlowLogTypeDef) -> FlowLogInfo:
    """One DescribeFlowLogs item as FlowLogInfo; an unparsable format is kept as text."""
    text = item.get("LogFormat", "")
    log_format: LogFormat | None = None
    problem: str | None = None
    try:
        log_format = parse_format(text)
    except ValueError as exc:
        problem = str(exc)
    destination_type = item.get("LogDestinationType", "cloud-watch-logs")
    return FlowLogInfo(
        id=item.get("FlowLogId", ""),
        resource_id=item.get("ResourceId", ""),
        traffic_type=item.get("TrafficType", "ALL"),
        format=log_format,
        format_text=text,
        aggregation_interval_s=item.get("MaxAggregationInterval"),
        delivery_status=item.get("DeliverLogsStatus"),
        delivery_error=item.get("DeliverLogsErrorMessage"),
        log_group=item.get("LogGroupName") if destination_type == "cloud-watch-logs" else None,
        destination_type=destination_type,
        format_error=problem,
        role_arn=item.get("DeliverLogsPermissionArn") or None,
    )
