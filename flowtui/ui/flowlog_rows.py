"""The flow logs' own set-up for the app: coverage and doctor rows, and the create form.

Reads through the sources (`flowtui.sources.flowlogs`, `flowtui.sources.doctor`) and turns what
they return into the plain `CoverageRow` and `CheckRow` the screens show, and runs a
`FlowLogForm` through the same checks as `flowtui flowlogs create`; called from workers.
"""

from __future__ import annotations

from flowtui.core.fields import UnknownFieldError
from flowtui.core.flowlog_coverage import EniCoverage, captured_state, is_failing
from flowtui.core.flowlog_format import creation_format
from flowtui.core.formats import FormatError
from flowtui.sources.aws import AwsConnection, SourceError
from flowtui.sources.delivery_role import check_role_name, create_role, inspect_role, role_exists
from flowtui.sources.doctor import Check, run_doctor
from flowtui.sources.ec2_resources import FlowLogInfo
from flowtui.sources.flowlogs import (
    CreateSpec,
    create_flow_log,
    group_name,
    read_coverage,
    resolve_resource,
    same_flow_log,
    traffic_type,
)
from flowtui.sources.ratelimit import SYSTEM_CLOCK, RateLimiter
from flowtui.ui.backend import CheckRow, CoverageRow, FlowLogForm, FlowLogRow


def _detail(eni: EniCoverage[FlowLogInfo]) -> tuple[str, ...]:
    lines = []
    for covering in eni.covered_by:
        flow_log = covering.flow_log
        summary = flow_log.format.summary() if flow_log.format else "unreadable format"
        status = flow_log.delivery_status or "status unknown"
        error = f" ({flow_log.delivery_error})" if flow_log.delivery_error else ""
        lines.append(
            f"{flow_log.id} on the {covering.scope.value}: {flow_log.traffic_type} -> "
            f"{flow_log.log_group or flow_log.destination_type}, {summary}, "
            f"{flow_log.aggregation_interval_s or '-'} s, {status}{error}"
        )
    return tuple(lines)


def _where(eni: EniCoverage[FlowLogInfo]) -> str | None:
    """The group of a delivering flow log to CloudWatch that captures the ENI."""
    for covering in eni.covered_by:
        flow_log = covering.flow_log
        if flow_log.log_group and not is_failing(flow_log):
            return flow_log.log_group
    return None


def coverage_rows(conn: AwsConnection, limiter: RateLimiter) -> list[CoverageRow]:
    report = read_coverage(conn, limiter)
    rows = []
    for vpc in report.vpcs:
        for subnet in vpc.subnets:
            for eni in subnet.enis:
                group = _where(eni)
                rows.append(
                    CoverageRow(
                        eni_id=eni.eni.eni_id,
                        vpc=f"{vpc.vpc.vpc_id} ({vpc.name})" if vpc.name else vpc.vpc.vpc_id,
                        subnet=subnet.subnet.name or subnet.subnet.subnet_id,
                        label=eni.label,
                        covered_by=eni.flow_log_ids,
                        state=eni.state.value,
                        warning=eni.state.warning,
                        details=_detail(eni),
                        open_group=group,
                        open_stream=f"{eni.eni.eni_id}-all" if group else None,
                    )
                )
    return rows


def flow_log_rows(conn: AwsConnection, limiter: RateLimiter) -> list[FlowLogRow]:
    """Every flow log, with the ENIs whose capture changes without it."""
    report = read_coverage(conn, limiter)
    enis = [eni for vpc in report.vpcs for eni in vpc.enis]
    rows = []
    for flow_log in report.flow_logs or ():
        stops = []
        for eni in enis:
            if flow_log.id not in eni.flow_log_ids:
                continue
            rest = (c.flow_log for c in eni.covered_by if c.flow_log.id != flow_log.id)
            after = captured_state(rest)
            if after is not eni.state:
                label = f" ({eni.label})" if eni.label else ""
                stops.append(f"{eni.eni.eni_id}{label}: {eni.state.value} -> {after.value}")
        status = flow_log.delivery_status or "-"
        rows.append(
            FlowLogRow(
                flow_log_id=flow_log.id,
                resource_id=flow_log.resource_id,
                traffic_type=flow_log.traffic_type,
                destination=flow_log.log_group or flow_log.destination_type,
                format=flow_log.format.summary() if flow_log.format else "unreadable format",
                status=f"{status} ({flow_log.delivery_error})"
                if flow_log.delivery_error
                else status,
                stops=tuple(stops),
            )
        )
    return rows


def _row(prefix: str, check: Check) -> CheckRow:
    return CheckRow(
        key=f"{prefix}:{check.name}",
        status=check.status.value,
        name=check.name,
        action=check.action,
        blocks=check.blocks,
        detail=check.detail,
    )


def doctor_rows(conn: AwsConnection, limiter: RateLimiter) -> list[CheckRow]:
    report = run_doctor(conn, limiter, SYSTEM_CLOCK)
    return [_row("check", c) for c in report.checks] + [
        _row("flow-log", c) for c in report.flow_logs
    ]


def create_from_form(conn: AwsConnection, limiter: RateLimiter, form: FlowLogForm) -> str:
    """Everything `flowtui flowlogs create` checks, then create; one line on success.

    Raises SourceError (one line in `.message`) when a check fails: nothing is changed then.
    """
    try:
        log_format = creation_format(form.log_format)
    except (FormatError, UnknownFieldError) as error:
        raise SourceError(f"format: {error}") from None
    group = group_name(conn, form.group)
    resource = resolve_resource(conn, limiter, form.resource_id)
    spec = CreateSpec(
        resource,
        traffic_type(form.traffic_type),
        group,
        log_format,
        form.max_aggregation_s,
        form.retention_days,
    )
    same = same_flow_log(conn, limiter, spec)
    if same is not None:
        raise SourceError(f"flow log {same} already does this")
    target = spec.target(conn.region)
    if form.role_arn:
        report = inspect_role(conn, limiter, form.role_arn, target)
        if report.ok is False:
            raise SourceError(f"role {report.name} cannot deliver: {report.problems()[0]}")
        role_arn = form.role_arn
        made = ""
    elif form.create_role:
        check_role_name(form.create_role)
        if role_exists(conn, limiter, form.create_role):
            raise SourceError(f"role {form.create_role} already exists: give its ARN instead")
        role_arn = create_role(conn, limiter, form.create_role, target)
        made = f", role {form.create_role} created"
    else:
        raise SourceError("give a role ARN, or a name for flowtui to create a role")
    outcome = create_flow_log(conn, limiter, spec, role_arn)
    if not outcome.flow_log_ids:
        raise SourceError(f"not created: {'; '.join(outcome.unsuccessful)}")
    group_note = f", log group {group} created" if outcome.group_created else ""
    return f"created flow log {outcome.flow_log_ids[0]} on {resource.resource_id}{made}{group_note}"
