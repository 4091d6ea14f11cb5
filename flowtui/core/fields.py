"""The catalog of VPC and transit-gateway flow-log fields.

Every field AWS documents for versions 2 to 8, the later `resource-id` and `encryption-status`,
and the transit-gateway fields (version 6). Names are AWS's own (`log-status`, not `log_status`);
they are also the column names in the record store.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from enum import StrEnum


class FieldKind(StrEnum):
    INTEGER = "integer"
    TEXT = "text"
    ADDRESS = "address"
    ENUM = "enum"
    TIMESTAMP = "timestamp"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    version: int
    kind: FieldKind
    meaning: str
    #: For INTEGER fields: the unsigned width in bits the store uses (8, 16, 32 or 64).
    bits: int = 0
    #: For ENUM fields: every value AWS documents, in display order.
    values: tuple[str, ...] = field(default=())


class UnknownFieldError(ValueError):
    """A field name that is not in the catalog; the message names the closest known one."""

    def __init__(self, name: str, suggestion: str | None) -> None:
        self.name = name
        self.suggestion = suggestion
        hint = f" (did you mean '{suggestion}'?)" if suggestion else ""
        super().__init__(f"unknown flow-log field '{name}'{hint}")


def _int(name: str, version: int, bits: int, meaning: str) -> Field:
    return Field(name, version, FieldKind.INTEGER, meaning, bits=bits)


def _text(name: str, version: int, meaning: str) -> Field:
    return Field(name, version, FieldKind.TEXT, meaning)


def _addr(name: str, version: int, meaning: str) -> Field:
    return Field(name, version, FieldKind.ADDRESS, meaning)


def _enum(name: str, version: int, values: tuple[str, ...], meaning: str) -> Field:
    return Field(name, version, FieldKind.ENUM, meaning, values=values)


_CATALOG: tuple[Field, ...] = (
    # Version 2: the default format, in its order.
    _int(
        "version",
        2,
        8,
        "Flow-log version: 2 for the default format, else the highest field version",
    ),
    _text("account-id", 2, "AWS account that owns the source network interface"),
    _text("interface-id", 2, "Network interface (ENI) whose traffic is recorded"),
    _addr("srcaddr", 2, "Source address (for outgoing traffic, the ENI's own address)"),
    _addr("dstaddr", 2, "Destination address (for incoming traffic, the ENI's own address)"),
    _int("srcport", 2, 16, "Source port"),
    _int("dstport", 2, 16, "Destination port"),
    _int("protocol", 2, 8, "IANA protocol number"),
    _int("packets", 2, 64, "Packets transferred during the flow"),
    _int("bytes", 2, 64, "Bytes transferred during the flow"),
    Field(
        "start",
        2,
        FieldKind.TIMESTAMP,
        "When the first packet of the flow was received in the window",
    ),
    Field(
        "end", 2, FieldKind.TIMESTAMP, "When the last packet of the flow was received in the window"
    ),
    _enum(
        "action", 2, ("ACCEPT", "REJECT"), "Whether security groups and network ACLs let it through"
    ),
    _enum("log-status", 2, ("OK", "NODATA", "SKIPDATA"), "Logging status of the record"),
    # Version 3.
    _text("vpc-id", 3, "VPC that contains the network interface"),
    _text("subnet-id", 3, "Subnet that contains the network interface"),
    _text("instance-id", 3, "Instance the network interface is attached to, if you own it"),
    _int(
        "tcp-flags",
        3,
        16,
        "TCP flags seen during the window, OR-ed (FIN 1, SYN 2, RST 4, SYN-ACK 18)",
    ),
    _enum("type", 3, ("IPv4", "IPv6", "EFA"), "Type of traffic"),
    _addr("pkt-srcaddr", 3, "Packet-level (original) source address"),
    _addr("pkt-dstaddr", 3, "Packet-level (original) destination address"),
    # Version 4.
    _text("region", 4, "Region that contains the network interface"),
    _text("az-id", 4, "Availability Zone ID that contains the network interface"),
    _enum("sublocation-type", 4, ("wavelength", "outpost", "localzone"), "Type of sublocation"),
    _text(
        "sublocation-id", 4, "Sublocation (Wavelength Zone, Outpost, Local Zone) of the interface"
    ),
    # Version 5.
    _text("pkt-src-aws-service", 5, "AWS service the packet source address belongs to"),
    _text("pkt-dst-aws-service", 5, "AWS service the packet destination address belongs to"),
    _enum(
        "flow-direction",
        5,
        ("ingress", "egress"),
        "Direction of the flow relative to the interface",
    ),
    _int("traffic-path", 5, 8, "Path egress traffic takes to its destination (1-8)"),
    # Version 7: Amazon ECS.
    _text("ecs-cluster-arn", 7, "ECS cluster of the task the traffic comes from"),
    _text("ecs-cluster-name", 7, "Name of the ECS cluster"),
    _text(
        "ecs-container-instance-arn", 7, "ECS container instance running the task (EC2 launch type)"
    ),
    _text("ecs-container-instance-id", 7, "ID of the ECS container instance"),
    _text("ecs-container-id", 7, "Docker runtime ID of the task's first container"),
    _text("ecs-second-container-id", 7, "Docker runtime ID of the task's second container"),
    _text("ecs-service-name", 7, "ECS service that started the task"),
    _text("ecs-task-definition-arn", 7, "Task definition of the ECS task"),
    _text("ecs-task-arn", 7, "ARN of the ECS task"),
    _text("ecs-task-id", 7, "ID of the ECS task"),
    # Version 8.
    _text("reject-reason", 8, "Why traffic was rejected: BPA (VPC Block Public Access), else '-'"),
    # Later fields; AWS has not published their version numbers (10 is the best evidence).
    _text(
        "resource-id",
        10,
        "Resource the flow log is attached to (for example a regional NAT gateway)",
    ),
    _int(
        "encryption-status", 10, 8, "Encryption in transit: 0 none, 1 Nitro, 2 application, 3 both"
    ),
    # Transit gateway flow logs (version 6).
    _enum(
        "resource-type",
        6,
        ("TransitGateway", "TransitGatewayAttachment"),
        "Transit gateway resource type",
    ),
    _text("tgw-id", 6, "Transit gateway the traffic is recorded for"),
    _text("tgw-attachment-id", 6, "Transit gateway attachment"),
    _text("tgw-src-vpc-account-id", 6, "Account of the source VPC"),
    _text("tgw-dst-vpc-account-id", 6, "Account of the destination VPC"),
    _text("tgw-src-vpc-id", 6, "Source VPC"),
    _text("tgw-dst-vpc-id", 6, "Destination VPC"),
    _text("tgw-src-subnet-id", 6, "Source subnet"),
    _text("tgw-dst-subnet-id", 6, "Destination subnet"),
    _text("tgw-src-eni", 6, "Source transit-gateway attachment ENI"),
    _text("tgw-dst-eni", 6, "Destination transit-gateway attachment ENI"),
    _text("tgw-src-az-id", 6, "Availability Zone ID of the source"),
    _text("tgw-dst-az-id", 6, "Availability Zone ID of the destination"),
    _text("tgw-pair-attachment-id", 6, "The other attachment of the flow (egress or ingress)"),
    _int("packets-lost-no-route", 6, 64, "Packets lost because no route matched"),
    _int("packets-lost-blackhole", 6, 64, "Packets lost to a blackhole route"),
    _int("packets-lost-mtu-exceeded", 6, 64, "Packets lost because they exceeded the MTU"),
    _int("packets-lost-ttl-expired", 6, 64, "Packets lost because their TTL expired"),
)

FIELDS: dict[str, Field] = {f.name: f for f in _CATALOG}


def closest_field(name: str, candidates: list[str] | None = None) -> str | None:
    """The known field name closest to `name`, or None when nothing is close."""
    pool = candidates if candidates is not None else list(FIELDS)
    normalized = name.strip().lower().replace("_", "-")
    if normalized in pool:
        return normalized
    matches = difflib.get_close_matches(normalized, pool, n=1, cutoff=0.6)
    return matches[0] if matches else None


def lookup_field(name: str) -> Field:
    """The catalog entry for an AWS field name; UnknownFieldError names the closest one."""
    found = FIELDS.get(name)
    if found is None:
        raise UnknownFieldError(name, closest_field(name))
    return found
