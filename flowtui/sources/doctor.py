"""`flowtui doctor`: what these credentials can do in this region, and which flow logs fail.

One cheap call per capability, each through the shared rate limiter: EC2 calls use DryRun
(AWS answers DryRunOperation when allowed, UnauthorizedOperation when not, and reads or
changes nothing); CloudWatch Logs calls ask for one item; an Insights probe queries one second
in the year 2000 (nothing to scan, so nothing to pay). iam:PassRole cannot be probed without
creating a flow log, so it is "cannot tell". Each failing check names the IAM action it lacks
and the flowtui feature that action blocks. Then each flow log of the region: its delivery
status and error, and its role judged by flowtui (trust policy and the five delivery actions).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from flowtui.core.flowlog_policy import DeliveryTarget
from flowtui.sources.aws import (
    AccessDeniedError,
    AwsConnection,
    EndpointUnreachableError,
    SourceError,
    error_code,
)
from flowtui.sources.delivery_role import RoleNotFoundError, RoleReport, inspect_role
from flowtui.sources.ec2 import shared_lookups
from flowtui.sources.ec2_resources import FlowLogInfo
from flowtui.sources.ratelimit import Clock, RateLimiter

#: DeliverLogsErrorMessage values AWS documents, and what each means.
DELIVERY_ERRORS = {
    "Access error": "the role lacks a permission, or its trust policy refuses the service",
    "Rate limited": "CloudWatch Logs throttled delivery, or the log-group quota is reached",
    "Unknown error": "an internal AWS error",
}
_PROBE_FLOW_LOG = "fl-00000000000000000"
_Y2K_S = 946_684_800


class Status(StrEnum):
    OK = "ok"
    FAIL = "FAIL"
    UNKNOWN = "cannot tell"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    #: The IAM action the check needs.
    action: str
    #: The flowtui feature that does not work without it.
    blocks: str
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "check": self.name,
            "status": self.status.value,
            "action": self.action,
            "blocks": self.blocks,
            "detail": self.detail,
        }


@dataclass
class DoctorReport:
    region: str
    checks: list[Check] = field(default_factory=list)
    flow_logs: list[Check] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(c.status is Status.FAIL for c in self.checks + self.flow_logs)


def _dry_run(call: Callable[..., Any]) -> Callable[[], bool]:
    """An EC2 call with DryRun=True: True when AWS says it would have succeeded."""

    def run() -> bool:
        try:
            call(DryRun=True)
        except ClientError as exc:
            if error_code(exc) == "DryRunOperation":
                return True
            raise
        return True  # an endpoint that ignores DryRun (moto for some calls) answered

    return run


class _Prober:
    def __init__(self, conn: AwsConnection, limiter: RateLimiter, report: DoctorReport) -> None:
        self.conn = conn
        self.limiter = limiter
        self.report = report

    def probe(
        self, name: str, action: str, blocks: str, call: Callable[[], object], detail: str = ""
    ) -> bool:
        """Run one probe and record its line; True when it succeeded."""
        try:
            self.limiter.call(call, action)
        except AccessDeniedError as exc:
            self.report.checks.append(Check(name, Status.FAIL, exc.action, blocks, exc.message))
            return False
        except EndpointUnreachableError:
            raise
        except SourceError as exc:
            self.report.checks.append(Check(name, Status.UNKNOWN, action, blocks, exc.message))
            return False
        self.report.checks.append(Check(name, Status.OK, action, blocks, detail))
        return True

    def unknown(self, name: str, action: str, blocks: str, why: str) -> None:
        self.report.checks.append(Check(name, Status.UNKNOWN, action, blocks, why))


def run_doctor(conn: AwsConnection, limiter: RateLimiter, clock: Clock) -> DoctorReport:
    """Every capability check, then every flow log's delivery."""
    report = DoctorReport(conn.region)
    prober = _Prober(conn, limiter, report)
    logs, ec2 = conn.logs, conn.ec2
    groups: list[str] = []

    def list_groups() -> None:
        response = logs.describe_log_groups(limit=5)
        groups.extend(g.get("logGroupName", "") for g in response.get("logGroups", []))

    prober.probe("list log groups", "logs:DescribeLogGroups", "the group list", list_groups)
    flow_logs: tuple[FlowLogInfo, ...] | None = None
    if prober.probe(
        "describe flow logs",
        "ec2:DescribeFlowLogs",
        "formats, coverage (flowlogs list) and the flow-log checks below",
        _dry_run(ec2.describe_flow_logs),
    ):
        lookups = shared_lookups(conn, limiter)
        lookups.invalidate(["flow-logs"])
        flow_logs = lookups.flow_logs()
    delivering = [f.log_group for f in flow_logs or () if f.log_group in groups]
    candidates: list[str | None] = [*delivering, *groups, None]
    group = candidates[0]
    now_ms = clock.now_ms()
    if group is None:
        prober.unknown("read events", "logs:FilterLogEvents", "loading records", "no log group")
        prober.unknown("start Insights queries", "logs:StartQuery", "Insights", "no log group")
    else:
        prober.probe(
            "read events",
            "logs:FilterLogEvents",
            "loading records and live tail",
            partial(
                logs.filter_log_events,
                logGroupName=group,
                startTime=now_ms - 60_000,
                endTime=now_ms,
                limit=1,
            ),
            f"tried on {group}",
        )
        prober.probe(
            "start Insights queries",
            "logs:StartQuery",
            "Insights stats (query --engine insights, insights)",
            partial(
                logs.start_query,
                logGroupName=group,
                startTime=_Y2K_S,
                endTime=_Y2K_S + 1,
                queryString="fields @timestamp | limit 1",
            ),
            f"a one-second query on {group} (nothing scanned)",
        )
    for name, action, blocks, call in (
        ("describe ENIs", "ec2:DescribeNetworkInterfaces", "ENI names, find, explain, coverage",
         ec2.describe_network_interfaces),
        ("describe subnets", "ec2:DescribeSubnets", "explain, coverage by subnet",
         ec2.describe_subnets),
        ("describe network ACLs", "ec2:DescribeNetworkAcls", "explain (network ACL rules)",
         ec2.describe_network_acls),
        ("describe security groups", "ec2:DescribeSecurityGroups", "explain (security groups)",
         ec2.describe_security_groups),
    ):  # fmt: skip
        prober.probe(name, action, blocks, _dry_run(call))
    _probe_changes(prober)
    _check_flow_logs(conn, limiter, report, flow_logs, set(groups))
    return report


def _probe_changes(prober: _Prober) -> None:
    ec2 = prober.conn.ec2
    vpcs: list[tuple[str, str]] = []  # (vpc id, owner account)

    def first_vpc() -> None:
        for vpc in ec2.describe_vpcs(MaxResults=5).get("Vpcs", []):
            vpcs.append((vpc.get("VpcId", ""), vpc.get("OwnerId", "123456789012")))

    with contextlib.suppress(AccessDeniedError):
        prober.limiter.call(first_vpc, "ec2:DescribeVpcs")
    create = "create flow logs"
    if vpcs:
        vpc_id, owner = vpcs[0]
        role = f"arn:aws:iam::{owner}:role/flowtui-doctor-probe"
        prober.probe(
            create,
            "ec2:CreateFlowLogs",
            "flowlogs create",
            _dry_run(
                partial(
                    ec2.create_flow_logs,
                    ResourceIds=[vpc_id],
                    ResourceType="VPC",
                    TrafficType="ALL",
                    LogGroupName="flowtui-doctor-probe",
                    DeliverLogsPermissionArn=role,
                )
            ),
            "dry run: nothing was created",
        )
    else:
        prober.unknown(create, "ec2:CreateFlowLogs", "flowlogs create", "no VPC to try it on")
    prober.probe(
        "delete flow logs",
        "ec2:DeleteFlowLogs",
        "flowlogs delete, and change (delete and recreate)",
        _dry_run(partial(ec2.delete_flow_logs, FlowLogIds=[_PROBE_FLOW_LOG])),
        "dry run: nothing was deleted",
    )
    prober.unknown(
        "pass a delivery role",
        "iam:PassRole",
        "flowlogs create",
        "AWS checks it only when a flow log is created: it cannot be probed without one",
    )


def _check_flow_logs(
    conn: AwsConnection,
    limiter: RateLimiter,
    report: DoctorReport,
    flow_logs: tuple[FlowLogInfo, ...] | None,
    groups: set[str],
) -> None:
    roles: dict[tuple[str, str | None], RoleReport | _Unreadable] = {}
    for flow_log in flow_logs or ():
        name = f"flow log {flow_log.id} on {flow_log.resource_id}"
        blocks = f"records of {flow_log.resource_id} in {flow_log.log_group or 'its destination'}"
        problems: list[str] = []
        status = Status.OK
        if (flow_log.delivery_status or "").upper() == "FAILED":
            error = flow_log.delivery_error or "Unknown error"
            problems.append(f"delivery FAILED ({error}: {DELIVERY_ERRORS.get(error, error)})")
            status = Status.FAIL
        group = flow_log.log_group if flow_log.destination_type == "cloud-watch-logs" else None
        # Only a few groups were listed: look this one up unless it was among them.
        if group and group not in groups and _group_exists(conn, limiter, group) is False:
            problems.append(f"its log group {group} does not exist")
        role_arn = flow_log.role_arn
        #: The IAM action at fault, when one is.
        action = "-"
        if flow_log.destination_type == "cloud-watch-logs" and role_arn:
            key = (role_arn, flow_log.log_group)
            if key not in roles:
                roles[key] = _inspect(conn, limiter, role_arn, flow_log)
            found = roles[key]
            if isinstance(found, _Unreadable):
                problems.append(found.text)
                if found.missing:  # delivery cannot work: the role is gone
                    status, action = Status.FAIL, "iam:GetRole"
                else:
                    status = _worst(status, Status.UNKNOWN)
            elif found.ok is False:
                problems.extend(f"role {found.name}: {line}" for line in found.problems())
                status = Status.FAIL
                action = found.refused_action() or action
            elif found.ok is None:
                problems.extend(f"role {found.name}: {line}" for line in found.problems())
                status = _worst(status, Status.UNKNOWN)
        detail = "; ".join(problems) or (
            f"delivering ({flow_log.traffic_type}) with role {role_arn or '-'}"
        )
        report.flow_logs.append(Check(name, status, action, blocks, detail))


def _worst(a: Status, b: Status) -> Status:
    order = [Status.OK, Status.UNKNOWN, Status.FAIL]
    return max(a, b, key=order.index)


@dataclass(frozen=True, slots=True)
class _Unreadable:
    """A role flowtui could not judge: `missing` when it does not exist at all."""

    text: str
    missing: bool = False


def _inspect(
    conn: AwsConnection, limiter: RateLimiter, role_arn: str, flow_log: FlowLogInfo
) -> RoleReport | _Unreadable:
    account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else None
    target = DeliveryTarget(account, conn.region, flow_log.log_group)
    try:
        return inspect_role(conn, limiter, role_arn, target, flow_log_id=flow_log.id)
    except RoleNotFoundError as exc:
        return _Unreadable(exc.message, missing=True)
    except AccessDeniedError as exc:
        return _Unreadable(f"{exc.message}: its role cannot be checked")
    except EndpointUnreachableError:
        raise
    except SourceError as exc:
        return _Unreadable(f"its role cannot be checked: {exc.message}")


def _group_exists(conn: AwsConnection, limiter: RateLimiter, name: str) -> bool | None:
    try:
        response = limiter.call(
            partial(conn.logs.describe_log_groups, logGroupNamePrefix=name, limit=5),
            "logs:DescribeLogGroups",
        )
    except AccessDeniedError:
        return None
    return any(g.get("logGroupName") == name for g in response.get("logGroups", []))
