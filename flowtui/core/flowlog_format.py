"""The settings of a flow log to create, and its record format: checked, and previewed as the
line it will write.

A VPC, subnet or ENI flow log may use any VPC field (versions 2 to 8 and later), in any order,
but no transit-gateway field; its records carry the highest version among the fields. The
preview fills each field from what is known about the resource (its ENI, subnet, VPC, account,
region) and plausible example values for the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flowtui.core.fields import FIELDS, FieldKind
from flowtui.core.formats import DEFAULT_FORMAT, FormatError, LogFormat, parse_format

TRAFFIC_TYPES = ("ALL", "ACCEPT", "REJECT")
#: MaxAggregationInterval: seconds (Nitro instances aggregate at 60 s or less either way).
AGGREGATION_INTERVALS = (60, 600)
#: The retention periods CloudWatch Logs accepts for a log group, in days.
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                  2192, 2557, 2922, 3288, 3653)  # fmt: skip

#: Fields only transit-gateway flow logs have.
TGW_ONLY = frozenset(
    {"resource-type", "packets-lost-no-route", "packets-lost-blackhole"}
    | {"packets-lost-mtu-exceeded", "packets-lost-ttl-expired"}
    | {name for name in FIELDS if name.startswith("tgw-")}
)


def creation_format(text: str | None) -> LogFormat:
    """The format for CreateFlowLogs from `--log-format` (None: AWS's default format).

    Accepts `${a} ${b}` or plain names; an unknown field is an UnknownFieldError naming the
    closest one, a transit-gateway field a FormatError.
    """
    if text is None or not text.strip():
        return DEFAULT_FORMAT
    log_format = parse_format(text)
    foreign = [name for name in log_format.fields if name in TGW_ONLY]
    if foreign:
        raise FormatError(
            f"field '{foreign[0]}' exists only in transit-gateway flow logs, not in VPC, "
            "subnet or ENI flow logs"
        )
    return log_format


@dataclass(frozen=True, slots=True)
class PreviewContext:
    """What is known about the resource whose records are previewed."""

    account_id: str = "123456789012"
    interface_id: str = "eni-0a1b2c3d4e5f60718"
    vpc_id: str = "vpc-0abc1234def567890"
    subnet_id: str = "subnet-0123456789abcdef0"
    instance_id: str = "i-0123456789abcdef0"
    region: str = "us-east-1"
    az_id: str = "use1-az1"
    #: The ENI's own private address (the destination of the example's inbound flow).
    address: str = "10.0.1.25"


_START = 1_700_000_000
# An inbound HTTPS connection from a public client, accepted: a record everyone recognises.
_EXAMPLE: dict[str, str] = {
    "srcaddr": "198.51.100.7",
    "srcport": "49152",
    "dstport": "443",
    "protocol": "6",
    "packets": "10",
    "bytes": "4200",
    "start": str(_START),
    "end": str(_START + 60),
    "action": "ACCEPT",
    "log-status": "OK",
    "tcp-flags": "19",
    "type": "IPv4",
    "pkt-srcaddr": "198.51.100.7",
    "sublocation-type": "-",
    "sublocation-id": "-",
    "pkt-src-aws-service": "-",
    "pkt-dst-aws-service": "-",
    "flow-direction": "ingress",
    "traffic-path": "-",
    "reject-reason": "-",
    "encryption-status": "0",
}


def example_values(log_format: LogFormat, context: PreviewContext) -> dict[str, str]:
    """Field -> the value the preview shows for it."""
    known: Mapping[str, str] = {
        "version": str(log_format.version),
        "account-id": context.account_id,
        "interface-id": context.interface_id,
        "dstaddr": context.address,
        "pkt-dstaddr": context.address,
        "vpc-id": context.vpc_id,
        "subnet-id": context.subnet_id,
        "instance-id": context.instance_id,
        "region": context.region,
        "az-id": context.az_id,
        "resource-id": context.interface_id,
    }
    values: dict[str, str] = {}
    for name in log_format.fields:
        value = known.get(name) or _EXAMPLE.get(name)
        if value is None:
            # ECS fields and anything newer: "-" is what AWS writes when not applicable.
            value = "0" if FIELDS[name].kind is FieldKind.INTEGER else "-"
        values[name] = value
    return values


def preview_record(log_format: LogFormat, context: PreviewContext | None = None) -> str:
    """The record line a flow log with this format would write for an example flow."""
    values = example_values(log_format, context or PreviewContext())
    return " ".join(values[name] for name in log_format.fields)
