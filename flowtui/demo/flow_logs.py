"""The demo account's logging side: its log groups, the flow logs that write to them, and
the role they deliver with.

`_FLOW_LOGS` plans the flow logs on the network's resources (the VPC, subnets, ENIs) by name:
two formats share the main group, one flow log records accepted traffic only, and one writes
to a group that was never created, so its delivery fails. `create_flow_logs` creates them on an
endpoint; `synthetic_flow_logs` makes them up for the synthetic account.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flowtui.core.formats import DEFAULT_FORMAT, LogFormat, parse_format
from flowtui.demo.roles import BROKEN_ROLE, GOOD_ROLE, MISTRUSTING_ROLE, role_arn
from flowtui.demo.vpc import made_up_id, name_tags

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_logs import CloudWatchLogsClient

MAIN_GROUP = "/flowtui/demo/vpc-flow-logs"
APP_GROUP = "/flowtui/demo/app-subnet"
#: Never created, so the flow log that writes to it reports DeliverLogsStatus FAILED.
MISSING_GROUP = "/flowtui/demo/audit"

#: Custom version-5 format: what a network team adds to see NAT and path details.
V5_FORMAT = parse_format(
    "${version} ${account-id} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${type} "
    "${srcaddr} ${dstaddr} ${srcport} ${dstport} ${pkt-srcaddr} ${pkt-dstaddr} ${protocol} "
    "${packets} ${bytes} ${start} ${end} ${action} ${tcp-flags} ${log-status} ${flow-direction} "
    "${traffic-path} ${pkt-src-aws-service} ${pkt-dst-aws-service} ${region} ${az-id}"
)
#: Custom version-8 format: the default fields plus context and the reject reason.
V8_FORMAT = parse_format(
    DEFAULT_FORMAT.aws_string()
    + " ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags} ${type} ${flow-direction}"
    + " ${reject-reason}"
)


@dataclass(frozen=True, slots=True)
class DemoFlowLog:
    id: str
    name: str
    group: str
    log_format: LogFormat
    resource_id: str
    traffic_type: str
    #: False when delivery fails (its group is missing, or its role cannot deliver): it
    #: writes no records.
    delivering: bool
    #: When it was created, for one created while the demo runs: it records windows from then
    #: on. None: from the beginning.
    since: float | None = None


@dataclass(frozen=True, slots=True)
class _FlowLogPlan:
    name: str
    group: str
    log_format: LogFormat
    resource: str  # "vpc", a subnet name or an ENI name
    traffic_type: str
    #: The role it delivers with (`flowtui.demo.roles`): only GOOD_ROLE can deliver.
    role: str = GOOD_ROLE


_FLOW_LOGS: tuple[_FlowLogPlan, ...] = (
    _FlowLogPlan("vpc-all-default", MAIN_GROUP, DEFAULT_FORMAT, "vpc", "ALL"),
    # Same group as the VPC's: db-1's stream combines both formats.
    _FlowLogPlan("db-subnet-v8", MAIN_GROUP, V8_FORMAT, "db-private-a", "ALL"),
    _FlowLogPlan("app-subnet-v5", APP_GROUP, V5_FORMAT, "app-private-a", "ALL"),
    _FlowLogPlan("nat-gateway-v5", APP_GROUP, V5_FORMAT, "nat-gateway", "ALL"),
    _FlowLogPlan("alb-accepted-v5", APP_GROUP, V5_FORMAT, "alb-a", "ACCEPT"),
    _FlowLogPlan("bastion-audit", MISSING_GROUP, DEFAULT_FORMAT, "bastion", "ALL"),
    # Their groups exist, but their roles cannot deliver: `flowtui doctor` says why.
    _FlowLogPlan("web-2-audit", APP_GROUP, V5_FORMAT, "web-2", "ALL", role=BROKEN_ROLE),
    _FlowLogPlan("dns-audit", APP_GROUP, V5_FORMAT, "dns-1", "ALL", role=MISTRUSTING_ROLE),
)

#: The groups the demo creates (MISSING_GROUP is left out on purpose).
CREATED_GROUPS = (MAIN_GROUP, APP_GROUP)


# --- building through boto3 --------------------------------------------------------------------


def create_log_groups(logs: CloudWatchLogsClient) -> None:
    """Create the groups the flow logs deliver to (all but the failing one's)."""
    for group in CREATED_GROUPS:
        logs.create_log_group(logGroupName=group, tags={"app": "flowtui-demo"})
        logs.put_retention_policy(logGroupName=group, retentionInDays=14)


def create_flow_logs(
    ec2: EC2Client, resources: Mapping[str, str], account_id: str
) -> tuple[DemoFlowLog, ...]:
    """Create the planned flow logs on the named resources; returns what was created."""
    return tuple(_create_flow_log(ec2, plan, resources, account_id) for plan in _FLOW_LOGS)


def _resource_type(resource_id: str) -> str:
    prefix = resource_id.split("-", 1)[0]
    return {"vpc": "VPC", "subnet": "Subnet", "eni": "NetworkInterface"}[prefix]


def _create_flow_log(
    ec2: EC2Client, plan: _FlowLogPlan, resources: Mapping[str, str], account_id: str
) -> DemoFlowLog:
    resource_id = resources[plan.resource]
    spec: dict[str, Any] = {
        "ResourceType": _resource_type(resource_id),
        "ResourceIds": [resource_id],
        "TrafficType": plan.traffic_type,
        "LogDestinationType": "cloud-watch-logs",
        "LogGroupName": plan.group,
        "DeliverLogsPermissionArn": role_arn(account_id, plan.role),
        "MaxAggregationInterval": 60,
        "TagSpecifications": name_tags("vpc-flow-log", plan.name),
    }
    if not plan.log_format.is_default:
        spec["LogFormat"] = plan.log_format.aws_string()
    flow_log_id = ec2.create_flow_logs(**spec)["FlowLogIds"][0]
    described = ec2.describe_flow_logs(FlowLogIds=[flow_log_id])["FlowLogs"][0]
    return DemoFlowLog(
        id=flow_log_id,
        name=plan.name,
        group=plan.group,
        log_format=parse_format(described["LogFormat"]),
        resource_id=resource_id,
        traffic_type=plan.traffic_type,
        # moto reports SUCCESS whatever the role: the demo knows its roles.
        delivering=described["DeliverLogsStatus"] == "SUCCESS" and plan.role == GOOD_ROLE,
    )


# --- the same flow logs without an endpoint ----------------------------------------------------


def synthetic_flow_logs(
    resources: Mapping[str, str], rng: random.Random
) -> tuple[DemoFlowLog, ...]:
    """The planned flow logs with ids drawn from `rng`; those whose group exists deliver."""
    return tuple(
        DemoFlowLog(
            id=made_up_id(rng, "fl"),
            name=plan.name,
            group=plan.group,
            log_format=plan.log_format,
            resource_id=resources[plan.resource],
            traffic_type=plan.traffic_type,
            delivering=plan.group in CREATED_GROUPS and plan.role == GOOD_ROLE,
        )
        for plan in _FLOW_LOGS
    )
