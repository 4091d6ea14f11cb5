"""How the demo's traffic becomes flow-log record lines: one observation, one format, one line.

An `Observation` holds what varies per record; the fields fixed per ENI (account, VPC, subnet,
instance, region, AZ) come from `eni_constants`. A `Renderer` compiles a flow log's format into
one %-template per ENI, so rendering a record is a single string formatting.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import attrgetter

from flowtui.core.formats import LogFormat
from flowtui.demo.account import DemoAccount
from flowtui.demo.vpc import DemoEni


class Observation:
    """One record's varying values, seen at one ENI in one window."""

    __slots__ = (
        "action",
        "bytes",
        "dstaddr",
        "dstport",
        "end",
        "eni",
        "flow_direction",
        "log_status",
        "packets",
        "pkt_dst_aws_service",
        "pkt_dstaddr",
        "pkt_src_aws_service",
        "pkt_srcaddr",
        "protocol",
        "reject_reason",
        "srcaddr",
        "srcport",
        "start",
        "tcp_flags",
        "traffic_path",
        "type",
        "window",
    )

    def __init__(self, eni: int, window: int, start: int, end: int, status: str = "OK") -> None:
        self.eni = eni
        self.window = window
        self.start = start
        self.end = end
        self.log_status = status
        self.srcaddr = self.dstaddr = self.pkt_srcaddr = self.pkt_dstaddr = "-"
        self.srcport: int | str = "-"
        self.dstport: int | str = "-"
        self.protocol: int | str = "-"
        self.packets: int | str = "-"
        self.bytes: int | str = "-"
        self.tcp_flags: int | str = "-"
        self.action = self.type = self.flow_direction = self.traffic_path = "-"
        self.pkt_src_aws_service = self.pkt_dst_aws_service = self.reject_reason = "-"


#: Fields whose value differs per record; every other field is fixed per ENI (or absent: "-").
_VARYING = frozenset(
    {
        "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "start",
        "end", "action", "log-status", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr",
        "pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path",
        "reject-reason",
    }
)  # fmt: skip


def eni_constants(account: DemoAccount, eni: DemoEni) -> dict[str, str]:
    subnet = account.subnet(eni.subnet_id)
    return {
        "account-id": account.account_id,
        "interface-id": eni.id,
        "vpc-id": subnet.vpc_id or account.vpc_id,
        "subnet-id": subnet.id,
        "instance-id": eni.instance_id or "-",
        "region": account.region,
        "az-id": subnet.az_id,
    }


class Renderer:
    """Renders observations of one ENI in one format with a single %-template.

    With `time_placeholders`, `start` and `end` stay `%d` in the output, so the result is
    itself a template (used by `generate_lines`).
    """

    def __init__(
        self, fmt: LogFormat, constants: Mapping[str, str], *, time_placeholders: bool = False
    ) -> None:
        parts: list[str] = []
        attributes: list[str] = []
        for name in fmt.fields:
            if time_placeholders and name in ("start", "end"):
                parts.append("%%d")
            elif name in _VARYING:
                parts.append("%s")
                attributes.append(name.replace("-", "_"))
            elif name == "version":
                parts.append(str(fmt.version))
            else:
                parts.append(constants.get(name, "-").replace("%", "%%"))
        self._template = " ".join(parts)
        self._values = attrgetter(*attributes) if attributes else None
        self._single = len(attributes) == 1

    def __call__(self, observation: Observation) -> str:
        if self._values is None:
            return self._template % ()
        values = self._values(observation)
        return self._template % ((values,) if self._single else values)
