"""What creating or changing a flow log will do, as text, and the change itself.

The one place that writes the plan a user reads before a flow log is created or replaced: the
settings, the record line its format produces, the least-privilege role JSON when a role is
created, and the equivalent AWS CLI commands. `flowtui flowlogs create|change` print it and
the app shows it before asking, so both say exactly the same. A change is a delete and a
create (a flow log cannot be modified): `replace_flow_log` does both, in the order the plan
shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from flowtui.core.flowlog_coverage import captured_state
from flowtui.core.flowlog_format import PreviewContext, creation_format, preview_record
from flowtui.core.flowlog_policy import permissions_policy, policy_json, trust_policy
from flowtui.core.formats import LogFormat
from flowtui.sources.aws import AwsConnection, SourceError
from flowtui.sources.ec2_resources import FlowLogInfo
from flowtui.sources.flowlogs import (
    CreateSpec,
    aws_cli_commands,
    create_flow_log,
    delete_flow_log,
    group_name,
    read_coverage,
    resolve_resource,
    traffic_type,
)
from flowtui.sources.ratelimit import RateLimiter


def flow_log_line(flow_log: FlowLogInfo) -> str:
    """One flow log in one line: resource, traffic, destination, format, interval, status."""
    destination = flow_log.log_group or flow_log.destination_type
    summary = flow_log.format.summary() if flow_log.format else "unreadable format"
    interval = f"{flow_log.aggregation_interval_s}s" if flow_log.aggregation_interval_s else "-"
    status = flow_log.delivery_status or "status unknown"
    error = f" ({flow_log.delivery_error})" if flow_log.delivery_error else ""
    return (
        f"{flow_log.id} on {flow_log.resource_id}: {flow_log.traffic_type} -> {destination}, "
        f"{summary}, {interval}, {status}{error}"
    )


def role_json(account_id: str | None, region: str, spec: CreateSpec) -> str:
    """The exact trust and permissions JSON of a least-privilege delivery role for `spec`."""
    return (
        f"trust policy (trust-policy.json):\n{policy_json(trust_policy(account_id, region))}\n"
        f"permissions (permissions.json):\n{policy_json(permissions_policy(spec.target(region)))}\n"
    )


def plan_lines(spec: CreateSpec, group_missing: bool, role: str) -> list[str]:
    """The flow log `spec` creates, setting by setting, with a record line of its format."""
    resource = spec.resource
    named = f" ({resource.name})" if resource.name else ""
    where = f" in {resource.vpc_id}" if resource.kind != "VPC" else ""
    retention = f", retention {spec.retention_days} days" if spec.retention_days else ""
    created = f" (created{retention or ', never expires'})" if group_missing else ""
    known = {
        "vpc_id": resource.vpc_id,
        "account_id": resource.owner_id,
        "subnet_id": resource.subnet_id,
        "address": resource.address,
    }
    if resource.kind == "NetworkInterface":
        known["interface_id"] = resource.resource_id
    context = replace(PreviewContext(), **{k: v for k, v in known.items() if v})
    return [
        f"Create a flow log on {resource.noun} {resource.resource_id}{named}{where}",
        f"  traffic:     {spec.traffic_type}",
        f"  log group:   {spec.group}{created}",
        f"  role:        {role}",
        f"  format:      {spec.log_format.summary()}: {spec.log_format.aws_string()}",
        f"  aggregation: {spec.max_aggregation_s} s",
        f"  a record:    {preview_record(spec.log_format, context)}",
    ]


def create_plan(
    spec: CreateSpec,
    role_arn: str,
    region: str,
    *,
    group_missing: bool,
    create_role: str | None = None,
) -> str:
    """Everything shown before a create: the settings, the role JSON, the AWS CLI commands."""
    role = role_arn + (" (created)" if create_role else "")
    lines = plan_lines(spec, group_missing, role)
    text = "\n".join(lines) + "\n"
    if create_role:
        text += f"\nThe role {create_role}, least privilege:\n"
        text += role_json(spec.resource.owner_id, region, spec)
    text += "\nThe same with the AWS CLI:\n"
    commands = aws_cli_commands(
        spec, role_arn, region, group_missing=group_missing, create_role=create_role
    )
    return text + "".join(f"  {command}\n" for command in commands)


# --- change: delete and recreate ----------------------------------------------------------


def changed_spec(
    conn: AwsConnection,
    limiter: RateLimiter,
    old: FlowLogInfo,
    *,
    traffic: str | None = None,
    group: str | None = None,
    log_format: LogFormat | None = None,
    max_aggregation_s: int | None = None,
    retention_days: int | None = None,
) -> CreateSpec:
    """The old flow log's settings with the ones given; the resource stays the same."""
    if old.destination_type != "cloud-watch-logs" or not old.log_group:
        raise SourceError(f"flow log {old.id} delivers to {old.destination_type}: flowtui changes "
                          "only flow logs that deliver to CloudWatch Logs")  # fmt: skip
    return CreateSpec(
        resolve_resource(conn, limiter, old.resource_id),
        traffic_type(traffic or old.traffic_type),
        group_name(conn, group) if group else old.log_group,
        log_format or creation_format(old.format_text),
        max_aggregation_s or old.aggregation_interval_s or 600,
        retention_days,
    )


def is_unchanged(old: FlowLogInfo, spec: CreateSpec, role_arn: str) -> bool:
    """Whether `spec` with `role_arn` is what the old flow log already does."""
    return (
        spec.traffic_type == old.traffic_type
        and spec.group == old.log_group
        and role_arn == old.role_arn
        and spec.log_format.aws_string() == old.format_text
        and spec.max_aggregation_s == old.aggregation_interval_s
    )


def deletes_first(old: FlowLogInfo, spec: CreateSpec) -> bool:
    """EC2 refuses a second flow log of one resource to one group: then the old one goes
    first (and a few seconds go unlogged); otherwise the new one is created first."""
    return spec.resource.resource_id == old.resource_id and spec.group == old.log_group


def capture_changes(
    conn: AwsConnection, limiter: RateLimiter, old: FlowLogInfo, spec: CreateSpec
) -> list[str]:
    """One line per ENI whose capture changes when `old` is replaced by `spec` (what stops
    and what starts being logged: "eni-1 (web-1): accept-only -> all")."""
    new = replace(
        old, id="(new)", traffic_type=spec.traffic_type, delivery_status=None, delivery_error=None
    )
    lines: list[str] = []
    for vpc in read_coverage(conn, limiter, spec.resource.vpc_id).vpcs:
        for eni in vpc.enis:
            if old.id not in eni.flow_log_ids:
                continue
            rest = [c.flow_log for c in eni.covered_by if c.flow_log.id != old.id]
            after = captured_state([*rest, new])
            if after is not eni.state:
                label = f" ({eni.label})" if eni.label else ""
                lines.append(f"{eni.eni.eni_id}{label}: {eni.state.value} -> {after.value}")
    return lines


def change_plan(
    old: FlowLogInfo,
    spec: CreateSpec,
    role_arn: str,
    region: str,
    *,
    group_missing: bool,
    changes: Sequence[str] = (),
) -> str:
    """Before and after, what each covered ENI stops or starts capturing (`capture_changes`),
    and the AWS CLI commands in the order the change runs them."""
    first = deletes_first(old, spec)
    text = f"Before: {flow_log_line(old)}\nAfter (replaces {old.id}):\n"
    text += "\n".join(plan_lines(spec, group_missing, role_arn)) + "\n"
    if changes:
        text += "\nWhat changes for the ENIs it covers:\n"
        text += "".join(f"  {line}\n" for line in changes)
    else:
        text += "\nEvery ENI it covers captures the same traffic as before.\n"
    order = (
        "delete first (same resource and group), so a few seconds go unlogged"
        if first
        else "create first, so nothing goes unlogged"
    )
    text += f"\nThe same with the AWS CLI ({order}):\n"
    creating = aws_cli_commands(spec, role_arn, region, group_missing=group_missing)
    deleting = [f"aws ec2 delete-flow-logs --flow-log-ids {old.id} --region {region}"]
    commands = deleting + creating if first else creating + deleting
    return text + "".join(f"  {command}\n" for command in commands)


def replace_flow_log(
    conn: AwsConnection,
    limiter: RateLimiter,
    old: FlowLogInfo,
    spec: CreateSpec,
    role_arn: str,
    *,
    progress: Callable[[str], object] = lambda _line: None,
) -> str:
    """Delete and recreate, in the order `change_plan` shows; returns the new flow log's id.

    Each step done is reported to `progress` ("deleted flow log fl-1"). When the new flow
    log is not created, a SourceError says whether the old one is kept or gone.
    """
    first = deletes_first(old, spec)
    if first:
        delete_flow_log(conn, limiter, old.id)
        progress(f"deleted flow log {old.id}")
    try:
        outcome = create_flow_log(conn, limiter, spec, role_arn)
    except SourceError as error:
        outcome_text = error.message
        created: tuple[str, ...] = ()
    else:
        outcome_text = "; ".join(outcome.unsuccessful)
        created = outcome.flow_log_ids
    if not created:
        kept = "it is gone: recreate it" if first else f"{old.id} is kept"
        raise SourceError(f"the new flow log was not created ({outcome_text}): {kept}")
    for flow_log_id in created:
        progress(f"created flow log {flow_log_id}")
    if not first:
        delete_flow_log(conn, limiter, old.id)
        progress(f"deleted flow log {old.id}")
    return created[0]
