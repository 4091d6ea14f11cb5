"""Flow logs themselves: a VPC's coverage, and creating and deleting flow logs.

Coverage reads VPCs (ec2:DescribeVpcs), then ENIs, subnets and flow logs through the one EC2
cache (`Ec2Lookups`), and hands them to `flowtui.core.flowlog_coverage`. Creating validates
everything it can first (the resource exists, the log group is in this region, the format's
fields exist) so that bad input changes nothing; then it creates the log group when missing
(with a retention), calls CreateFlowLogs and reports per-resource failures (partial success).
A flow log cannot be modified: a change is a delete and a create (`flowtui.sources.flowlog_plan`).
Coverage judges each flow log's role as `flowtui doctor` does: one that cannot deliver counts as
failing even while AWS (or moto) still reports SUCCESS.
"""

from __future__ import annotations

import re
import shlex
import uuid
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Literal

from botocore.exceptions import ClientError

from flowtui.core import netmodel
from flowtui.core.flowlog_coverage import (
    VpcCoverage,
    compute_coverage,
    is_failing,
    resource_kind,
)
from flowtui.core.flowlog_policy import DeliveryTarget
from flowtui.core.formats import LogFormat
from flowtui.core.netmodel import Vpc
from flowtui.sources.aws import AwsConnection, NotFoundError, SourceError, error_code
from flowtui.sources.delivery_role import delivery_failures
from flowtui.sources.ec2 import shared_lookups
from flowtui.sources.ec2_resources import FlowLogInfo
from flowtui.sources.ratelimit import RateLimiter

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import (
        CreateFlowLogsRequestTypeDef,
        CreateFlowLogsResultTypeDef,
        FilterTypeDef,
        TagTypeDef,
    )

TrafficType = Literal["ACCEPT", "REJECT", "ALL"]


def traffic_type(text: str) -> TrafficType:
    """ACCEPT, REJECT or ALL (any case); a SourceError for anything else."""
    upper = text.upper()
    if upper == "ACCEPT":
        return "ACCEPT"
    if upper == "REJECT":
        return "REJECT"
    if upper == "ALL":
        return "ALL"
    raise SourceError(f"{text!r} is not a traffic type (ACCEPT, REJECT or ALL)")


_GROUP_ARN = re.compile(
    r"^arn:aws[a-z-]*:logs:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"log-group:(?P<name>[^:]+)(:\*)?$"
)
_RESOURCE_FILTER = {
    "VPC": "vpc-id",
    "Subnet": "subnet-id",
    "NetworkInterface": "network-interface-id",
}
_NOUN = {"VPC": "VPC", "Subnet": "subnet", "NetworkInterface": "network interface"}


def _name_tag(tags: list[TagTypeDef] | None) -> str:
    return next((t.get("Value", "") for t in tags or () if t.get("Key") == "Name"), "")


# --- coverage ------------------------------------------------------------------------------


@dataclass
class CoverageReport:
    vpcs: list[VpcCoverage[FlowLogInfo]]
    #: None when ec2:DescribeFlowLogs is denied (then every ENI looks uncovered: say so).
    flow_logs: tuple[FlowLogInfo, ...] | None
    notices: list[str] = field(default_factory=list)


def judged_flow_logs(
    conn: AwsConnection, limiter: RateLimiter, flow_logs: tuple[FlowLogInfo, ...] | None
) -> tuple[FlowLogInfo, ...] | None:
    """The flow logs, each whose role cannot deliver marked FAILED with the reason (AWS, and
    moto, may report SUCCESS for them: the role is judged as `flowtui doctor` judges it)."""
    if not flow_logs:
        return flow_logs
    failures = delivery_failures(conn, limiter, flow_logs)
    return tuple(
        replace(f, delivery_status="FAILED", delivery_error=failures[f.id])
        if f.id in failures and not is_failing(f)
        else f
        for f in flow_logs
    )


def read_coverage(
    conn: AwsConnection, limiter: RateLimiter, vpc_id: str | None = None
) -> CoverageReport:
    """Every VPC (or one) with its subnets, ENIs and the flow logs covering each ENI."""
    if vpc_id is not None and not vpc_id.startswith("vpc-"):
        raise SourceError(f"{vpc_id!r} is not a VPC id (vpc-...)")
    filters: list[FilterTypeDef] = [{"Name": "vpc-id", "Values": [vpc_id]}] if vpc_id else []
    response = limiter.call(partial(conn.ec2.describe_vpcs, Filters=filters), "ec2:DescribeVpcs")
    raw = response.get("Vpcs", [])
    if vpc_id and not raw:
        raise NotFoundError(f"VPC {vpc_id} does not exist in region {conn.region}")
    vpcs = netmodel.vpcs_from_response({"Vpcs": raw})
    names = {item.get("VpcId", ""): _name_tag(item.get("Tags")) for item in raw}
    lookups = shared_lookups(conn, limiter)
    ids = [vpc.vpc_id for vpc in vpcs]
    enis = lookups.interfaces_matching("vpc-id", ids) if ids else []
    subnets = [s for vpc in ids for s in lookups.subnets_of_vpc(vpc) or ()]
    flow_logs = judged_flow_logs(conn, limiter, lookups.flow_logs())
    labels = {eni.id: eni.label for eni in enis}
    coverage = compute_coverage(
        vpcs,
        subnets,
        [eni.interface for eni in enis],
        flow_logs or (),
        labels=labels,
        vpc_names=names,
    )
    notices = list(lookups.notices)
    if flow_logs is None:
        notices.append("flow logs cannot be read: every ENI is shown as uncovered")
    return CoverageReport(coverage, flow_logs, notices)


# --- the resource a flow log is attached to -----------------------------------------------


@dataclass(frozen=True, slots=True)
class Resource:
    resource_id: str
    #: CreateFlowLogs' ResourceType: VPC, Subnet or NetworkInterface.
    kind: Literal["VPC", "Subnet", "NetworkInterface"]
    vpc_id: str
    owner_id: str | None
    subnet_id: str | None = None
    name: str = ""
    #: An ENI's primary private address (what its records show as its own).
    address: str | None = None

    @property
    def noun(self) -> str:
        return _NOUN[self.kind]


def resolve_resource(conn: AwsConnection, limiter: RateLimiter, resource_id: str) -> Resource:
    """The VPC, subnet or ENI a flow log is to be attached to; NotFoundError when absent."""
    kind = resource_kind(resource_id)
    if kind is None:
        raise SourceError(
            f"{resource_id!r} is not a VPC, subnet or network interface id "
            "(vpc-..., subnet-... or eni-...)"
        )
    filters: list[FilterTypeDef] = [{"Name": _RESOURCE_FILTER[kind], "Values": [resource_id]}]
    ec2 = conn.ec2
    resource: Resource | None = None
    if kind == "VPC":
        found = limiter.call(partial(ec2.describe_vpcs, Filters=filters), "ec2:DescribeVpcs")
        for vpc in found.get("Vpcs", []):
            resource = Resource(
                resource_id, "VPC", resource_id, vpc.get("OwnerId"), name=_name_tag(vpc.get("Tags"))
            )
    elif kind == "Subnet":
        found_subnets = limiter.call(
            partial(ec2.describe_subnets, Filters=filters), "ec2:DescribeSubnets"
        )
        for subnet in found_subnets.get("Subnets", []):
            resource = Resource(
                resource_id,
                "Subnet",
                subnet.get("VpcId", ""),
                subnet.get("OwnerId"),
                subnet_id=resource_id,
                name=_name_tag(subnet.get("Tags")),
            )
    else:
        found_enis = limiter.call(
            partial(ec2.describe_network_interfaces, Filters=filters),
            "ec2:DescribeNetworkInterfaces",
        )
        for eni in found_enis.get("NetworkInterfaces", []):
            resource = Resource(
                resource_id,
                "NetworkInterface",
                eni.get("VpcId", ""),
                eni.get("OwnerId"),
                subnet_id=eni.get("SubnetId"),
                name=eni.get("Description", ""),
                address=eni.get("PrivateIpAddress"),
            )
    if resource is None:
        raise NotFoundError(f"{_NOUN[kind]} {resource_id} does not exist in region {conn.region}")
    return resource


# --- the log group --------------------------------------------------------------------------


def group_name(conn: AwsConnection, group: str) -> str:
    """A log group name from a name or an ARN; an ARN of another region is an error (a flow
    log delivers only to a group in its own region)."""
    match = _GROUP_ARN.match(group.strip())
    if match is None:
        if group.startswith("arn:"):
            raise SourceError(f"{group!r} is not a log group ARN")
        if not group or len(group) > 512:
            raise SourceError("a log group name has 1 to 512 characters")
        return group
    if match["region"] != conn.region:
        raise SourceError(
            f"log group {match['name']} is in region {match['region']}, but the flow log would "
            f"be created in {conn.region}: a flow log delivers only to a group in its own "
            "region (pass --region, or a group of this region)"
        )
    return match["name"]


def group_exists(conn: AwsConnection, limiter: RateLimiter, name: str) -> bool:
    response = limiter.call(
        partial(conn.logs.describe_log_groups, logGroupNamePrefix=name, limit=50),
        "logs:DescribeLogGroups",
    )
    return any(g.get("logGroupName") == name for g in response.get("logGroups", []))


# --- create and delete ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateSpec:
    resource: Resource
    traffic_type: TrafficType
    group: str
    log_format: LogFormat
    max_aggregation_s: int = 600
    #: Retention of a log group flowtui creates (None: never expire).
    retention_days: int | None = None

    def target(self, region: str) -> DeliveryTarget:
        return DeliveryTarget(self.resource.owner_id, region, self.group)


@dataclass(frozen=True, slots=True)
class CreateOutcome:
    flow_log_ids: tuple[str, ...]
    #: One line per resource that failed: "vpc-1: InvalidParameter: ...".
    unsuccessful: tuple[str, ...]
    group_created: bool


def aws_cli_commands(
    spec: CreateSpec,
    role_arn: str,
    region: str,
    *,
    group_missing: bool,
    create_role: str | None = None,
) -> list[str]:
    """The AWS CLI commands that do what `create` does, to read, copy or run by hand."""
    where = f" --region {shlex.quote(region)}"
    commands: list[str] = []
    if create_role:
        commands.append(
            f"aws iam create-role --role-name {shlex.quote(create_role)} "
            "--assume-role-policy-document file://trust-policy.json"
        )
        commands.append(
            f"aws iam put-role-policy --role-name {shlex.quote(create_role)} "
            "--policy-name flowtui-flow-log-delivery --policy-document file://permissions.json"
        )
    if group_missing:
        commands.append(
            f"aws logs create-log-group --log-group-name {shlex.quote(spec.group)}{where}"
        )
        if spec.retention_days:
            commands.append(
                f"aws logs put-retention-policy --log-group-name {shlex.quote(spec.group)} "
                f"--retention-in-days {spec.retention_days}{where}"
            )
    create = (
        f"aws ec2 create-flow-logs --resource-type {spec.resource.kind} "
        f"--resource-ids {spec.resource.resource_id} --traffic-type {spec.traffic_type} "
        f"--log-destination-type cloud-watch-logs --log-group-name {shlex.quote(spec.group)} "
        f"--deliver-logs-permission-arn {shlex.quote(role_arn)} "
        f"--max-aggregation-interval {spec.max_aggregation_s}"
    )
    if not spec.log_format.is_default:
        create += f" --log-format {shlex.quote(spec.log_format.aws_string())}"
    commands.append(create + where)
    return commands


def create_flow_log(
    conn: AwsConnection, limiter: RateLimiter, spec: CreateSpec, role_arn: str
) -> CreateOutcome:
    """Create the log group when missing (with its retention), then the flow log."""
    group_created = False
    if not group_exists(conn, limiter, spec.group):
        limiter.call(
            partial(conn.logs.create_log_group, logGroupName=spec.group), "logs:CreateLogGroup"
        )
        group_created = True
        if spec.retention_days:
            limiter.call(
                partial(
                    conn.logs.put_retention_policy,
                    logGroupName=spec.group,
                    retentionInDays=spec.retention_days,
                ),
                "logs:PutRetentionPolicy",
            )
    request: CreateFlowLogsRequestTypeDef = {
        "ResourceIds": [spec.resource.resource_id],
        "ResourceType": spec.resource.kind,
        "TrafficType": spec.traffic_type,
        "LogDestinationType": "cloud-watch-logs",
        "LogGroupName": spec.group,
        "DeliverLogsPermissionArn": role_arn,
        "MaxAggregationInterval": spec.max_aggregation_s,
        "LogFormat": spec.log_format.aws_string(),
        "ClientToken": uuid.uuid4().hex,
    }
    try:
        response = limiter.call(partial(_create_flow_logs, conn, request), "ec2:CreateFlowLogs")
    except SourceError:
        if group_created:  # leave nothing behind: the group was only for this flow log
            limiter.call(
                partial(conn.logs.delete_log_group, logGroupName=spec.group),
                "logs:DeleteLogGroup",
            )
        raise
    shared_lookups(conn, limiter).invalidate(["flow-logs"])
    failed = tuple(
        f"{item.get('ResourceId', '?')}: {item.get('Error', {}).get('Code', '')}: "
        f"{item.get('Error', {}).get('Message', '')}"
        for item in response.get("Unsuccessful", [])
    )
    return CreateOutcome(tuple(response.get("FlowLogIds", [])), failed, group_created)


def _create_flow_logs(
    conn: AwsConnection, request: CreateFlowLogsRequestTypeDef
) -> CreateFlowLogsResultTypeDef:
    try:
        return conn.ec2.create_flow_logs(**request)
    except ClientError as exc:
        if error_code(exc) == "FlowLogAlreadyExists":
            raise SourceError(
                f"a flow log with the same settings already delivers {request['ResourceIds'][0]} "
                f"to {request.get('LogGroupName')}"
            ) from None
        raise


def same_flow_log(conn: AwsConnection, limiter: RateLimiter, spec: CreateSpec) -> str | None:
    """The id of a flow log that already does what `spec` asks (CreateFlowLogs refuses it)."""
    for flow_log in shared_lookups(conn, limiter).flow_logs() or ():
        if (
            flow_log.resource_id == spec.resource.resource_id
            and flow_log.log_group == spec.group
            and flow_log.traffic_type == spec.traffic_type
        ):
            return flow_log.id
    return None


def find_flow_log(conn: AwsConnection, limiter: RateLimiter, flow_log_id: str) -> FlowLogInfo:
    if not flow_log_id.startswith("fl-"):
        raise SourceError(f"{flow_log_id!r} is not a flow log id (fl-...)")
    lookups = shared_lookups(conn, limiter)
    lookups.invalidate(["flow-logs"])
    for flow_log in lookups.flow_logs() or ():
        if flow_log.id == flow_log_id:
            return flow_log
    if lookups.flow_logs() is None:
        raise SourceError("flow logs cannot be read (missing permission ec2:DescribeFlowLogs)")
    raise NotFoundError(f"flow log {flow_log_id} does not exist in region {conn.region}")


def delete_flow_log(conn: AwsConnection, limiter: RateLimiter, flow_log_id: str) -> None:
    response = limiter.call(
        partial(conn.ec2.delete_flow_logs, FlowLogIds=[flow_log_id]), "ec2:DeleteFlowLogs"
    )
    shared_lookups(conn, limiter).invalidate(["flow-logs"])
    failed = response.get("Unsuccessful", [])
    if failed:
        error = failed[0].get("Error", {})
        raise SourceError(
            f"flow log {flow_log_id} was not deleted: {error.get('Code')}: {error.get('Message')}"
        )


def vpc_of(vpcs: list[VpcCoverage[FlowLogInfo]], vpc_id: str) -> Vpc | None:
    return next((v.vpc for v in vpcs if v.vpc.vpc_id == vpc_id), None)
