"""Warnings about flow-log coverage that a user would otherwise miss.

Pure functions over `FlowLogInfo` / `LogGroupInfo`: a flow log that captures ACCEPT only can
never show a REJECT, a failing delivery leaves silent gaps, several formats share a group, or
no flow log is known for a group that holds flow-log records.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from flowtui.sources.ec2_resources import FlowLogInfo
from flowtui.sources.log_groups import LogGroupInfo

#: DeliverLogsErrorMessage values AWS documents, and what each means for the user.
_DELIVERY_ERRORS = {
    "Access error": "its IAM role lacks permissions to write to CloudWatch Logs",
    "Rate limited": "CloudWatch Logs throttled it, or the account reached its log-group limit",
    "Unknown error": "an internal AWS error",
}


class Severity(Enum):
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class CoverageNotice:
    severity: Severity
    message: str
    flow_log_id: str | None = None


def flow_log_notices(flow_log: FlowLogInfo) -> list[CoverageNotice]:
    """What is missing from the records one flow log delivers."""
    notices: list[CoverageNotice] = []
    subject = f"flow log {flow_log.id} on {flow_log.resource_id}"
    if flow_log.traffic_type == "ACCEPT":
        notices.append(
            CoverageNotice(
                Severity.WARNING,
                f"{subject} captures ACCEPT traffic only: no REJECT can ever appear",
                flow_log.id,
            )
        )
    elif flow_log.traffic_type == "REJECT":
        notices.append(
            CoverageNotice(
                Severity.WARNING,
                f"{subject} captures REJECT traffic only: accepted traffic is not logged",
                flow_log.id,
            )
        )
    if (flow_log.delivery_status or "").upper() == "FAILED":
        error = flow_log.delivery_error or "Unknown error"
        meaning = _DELIVERY_ERRORS.get(error)
        detail = f"{error}: {meaning}" if meaning else error
        notices.append(
            CoverageNotice(
                Severity.WARNING,
                f"{subject} fails to deliver records ({detail}): expect gaps",
                flow_log.id,
            )
        )
    if flow_log.format is None:
        problem = flow_log.format_error or "unreadable format"
        notices.append(
            CoverageNotice(
                Severity.WARNING,
                f"{subject} uses a format flowtui cannot read ({problem}): "
                "the format will be detected from the records",
                flow_log.id,
            )
        )
    return notices


def group_notices(
    group: LogGroupInfo, *, holds_flow_log_records: bool | None = None
) -> list[CoverageNotice]:
    """Coverage notices for a log group and every flow log delivering to it.

    `holds_flow_log_records` says whether its records parsed as flow logs; when None, a group
    name mentioning "flow" or "vpc" is taken as a sign.
    """
    if not group.flow_logs_known:
        return [
            CoverageNotice(
                Severity.INFO,
                "missing permission ec2:DescribeFlowLogs: the format will be detected from "
                "the records, and coverage cannot be checked",
            )
        ]
    if not group.flow_logs:
        looks = holds_flow_log_records
        if looks is None:
            looks = any(word in group.name.lower() for word in ("flow", "vpc"))
        if not looks:
            return []
        return [
            CoverageNotice(
                Severity.INFO,
                f"no flow log of this account and region delivers to {group.name} (deleted, or "
                "created elsewhere): the format will be detected from the records",
            )
        ]
    notices = [notice for flow_log in group.flow_logs for notice in flow_log_notices(flow_log)]
    if len(group.formats) > 1:
        ids = ", ".join(f.id for f in group.flow_logs)
        notices.append(
            CoverageNotice(
                Severity.INFO,
                f"{len(group.formats)} record formats are delivered to {group.name} "
                f"(flow logs {ids}): each record is read with the format that fits it",
            )
        )
    return notices
