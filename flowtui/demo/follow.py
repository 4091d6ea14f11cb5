"""The demo follows the flow logs created and deleted on its endpoint.

moto generates no flow records: when a user creates a flow log (`flowtui flowlogs create`, the
app's form, the AWS CLI), the demo's traffic must start writing the covered ENIs' streams, and
stop when it is deleted. `follow_flow_logs` reads DescribeFlowLogs, keeps the flow logs it
knows, adds new ones from now on (delivering only when their group exists and their role could
deliver, judged like `flowtui doctor` does), drops deleted ones, and hands the result to the
traffic generator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowtui.core.flowlog_policy import DeliveryTarget
from flowtui.core.formats import parse_format
from flowtui.demo.flow_logs import DemoFlowLog
from flowtui.demo.roles import iam_client, role_delivers

if TYPE_CHECKING:
    from flowtui.demo.traffic import TrafficGenerator


def _name(item: Any) -> str:
    tags = item.get("Tags", [])
    return str(next((t["Value"] for t in tags if t.get("Key") == "Name"), item["FlowLogId"]))


def read_flow_logs(
    endpoint_url: str,
    region: str,
    account_id: str,
    known: tuple[DemoFlowLog, ...],
    now: float,
) -> tuple[tuple[DemoFlowLog, ...], tuple[str, ...]]:
    """The endpoint's flow logs as the demo writes them, and the log groups that exist."""
    from flowtui.demo.server import ec2_client, logs_client

    ec2 = ec2_client(endpoint_url, region)
    logs = logs_client(endpoint_url, region)
    described = ec2.describe_flow_logs()["FlowLogs"]
    groups = tuple(
        g["logGroupName"]
        for page in logs.get_paginator("describe_log_groups").paginate()
        for g in page.get("logGroups", [])
    )
    by_id = {f.id: f for f in known}
    iam = iam_client(endpoint_url, region)
    result: list[DemoFlowLog] = []
    for item in described:
        flow_log_id = item["FlowLogId"]
        if flow_log_id in by_id:
            result.append(by_id[flow_log_id])
            continue
        group = item.get("LogGroupName", "")
        if item.get("LogDestinationType", "cloud-watch-logs") != "cloud-watch-logs" or not group:
            continue
        try:
            log_format = parse_format(item.get("LogFormat", ""))
        except ValueError:  # a format the demo cannot render: it writes nothing for it
            continue
        role = item.get("DeliverLogsPermissionArn", "")
        target = DeliveryTarget(account_id, region, group)
        delivering = (
            item.get("DeliverLogsStatus") == "SUCCESS"
            and group in groups
            and bool(role)
            and role_delivers(iam, role, target, flow_log_id)
        )
        result.append(
            DemoFlowLog(
                id=flow_log_id,
                name=_name(item),
                group=group,
                log_format=log_format,
                resource_id=item["ResourceId"],
                traffic_type=item["TrafficType"],
                delivering=delivering,
                since=now,
            )
        )
    return tuple(result), groups


def follow_flow_logs(endpoint_url: str, generator: TrafficGenerator) -> bool:
    """Bring the generator's flow logs up to date; True when they changed."""
    account = generator.account
    flow_logs, groups = read_flow_logs(
        endpoint_url, account.region, account.account_id, account.flow_logs, generator.now()
    )
    if [f.id for f in flow_logs] == [f.id for f in account.flow_logs]:
        return False
    written = {f.group for f in flow_logs if f.delivering} & set(groups)
    generator.set_flow_logs(flow_logs, tuple(dict.fromkeys((*account.group_names, *written))))
    return True
