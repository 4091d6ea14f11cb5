"""Coverage warnings a user would otherwise miss (pure functions)."""

from __future__ import annotations

from dataclasses import replace

from flowtui.core.formats import DEFAULT_FORMAT, parse_format
from flowtui.sources.coverage import CoverageNotice, Severity, flow_log_notices, group_notices
from flowtui.sources.ec2_resources import FlowLogInfo
from flowtui.sources.log_groups import LogGroupInfo

ALL = FlowLogInfo(
    id="fl-01",
    resource_id="vpc-0abc",
    traffic_type="ALL",
    format=DEFAULT_FORMAT,
    format_text=DEFAULT_FORMAT.aws_string(),
    aggregation_interval_s=600,
    delivery_status="SUCCESS",
    delivery_error=None,
    log_group="/vpc/flows",
    destination_type="cloud-watch-logs",
)


def _group(*flow_logs: FlowLogInfo, name: str = "/vpc/flows", known: bool = True) -> LogGroupInfo:
    return LogGroupInfo(
        name, f"arn:aws:logs:us-east-1:1:log-group:{name}", 0, None, flow_logs, known
    )


def test_a_healthy_flow_log_has_no_notices() -> None:
    assert flow_log_notices(ALL) == []
    assert group_notices(_group(ALL)) == []


def test_accept_only_means_no_reject_can_appear() -> None:
    [notice] = flow_log_notices(replace(ALL, traffic_type="ACCEPT"))
    assert notice == CoverageNotice(
        Severity.WARNING,
        "flow log fl-01 on vpc-0abc captures ACCEPT traffic only: no REJECT can ever appear",
        "fl-01",
    )


def test_reject_only_means_accepted_traffic_is_missing() -> None:
    [notice] = flow_log_notices(replace(ALL, traffic_type="REJECT"))
    assert notice.message.endswith("captures REJECT traffic only: accepted traffic is not logged")


def test_failed_delivery_explains_the_access_error() -> None:
    failing = replace(ALL, delivery_status="FAILED", delivery_error="Access error")
    [notice] = flow_log_notices(failing)
    assert notice.severity is Severity.WARNING
    assert notice.message == (
        "flow log fl-01 on vpc-0abc fails to deliver records (Access error: its IAM role lacks "
        "permissions to write to CloudWatch Logs): expect gaps"
    )


def test_an_unreadable_format_falls_back_to_detection() -> None:
    broken = replace(ALL, format=None, format_error="unknown flow-log field 'foo'")
    [notice] = flow_log_notices(broken)
    assert "unknown flow-log field 'foo'" in notice.message
    assert notice.message.endswith("the format will be detected from the records")


def test_several_formats_in_one_group_are_pointed_out() -> None:
    custom = replace(ALL, id="fl-02", format=parse_format("version interface-id srcaddr action"))
    notices = group_notices(_group(ALL, custom))
    assert [n.message for n in notices] == [
        "2 record formats are delivered to /vpc/flows (flow logs fl-01, fl-02): each record is "
        "read with the format that fits it"
    ]


def test_a_flow_log_group_without_a_known_flow_log() -> None:
    [notice] = group_notices(_group())
    assert notice.message.startswith(
        "no flow log of this account and region delivers to /vpc/flows"
    )
    assert group_notices(_group(name="/aws/lambda/fn")) == []
    assert group_notices(_group(name="/custom"), holds_flow_log_records=True) != []


def test_without_permission_the_format_is_detected() -> None:
    [notice] = group_notices(_group(known=False))
    assert notice.message.startswith("missing permission ec2:DescribeFlowLogs: the format will be")
