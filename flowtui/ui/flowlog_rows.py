"""The flow logs' own set-up for the app: coverage and doctor rows, and the create/change form.

Reads through the sources (`flowtui.sources.flowlogs`, `flowtui.sources.doctor`) and turns what
they return into the plain `CoverageRow` and `CheckRow` the screens show, and runs a
`FlowLogForm` through the same checks as `flowtui flowlogs create` (or `change`, when the form
replaces a flow log): `plan_from_form` returns the text those commands print with `--dry-run`
(`flowtui.sources.flowlog_plan`), the other two then do it. Called from workers.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowtui.core.fields import UnknownFieldError
from flowtui.core.flowlog_coverage import (
    CoverageState,
    EniCoverage,
    captured_state,
    is_failing,
)
from flowtui.core.flowlog_format import creation_format
from flowtui.core.formats import FormatError, LogFormat
from flowtui.sources.aws import AwsConnection, SourceError
from flowtui.sources.delivery_role import check_role_name, create_role, inspect_role, role_exists
from flowtui.sources.doctor import Check, run_doctor
from flowtui.sources.ec2_resources import FlowLogInfo
from flowtui.sources.flowlog_plan import (
    capture_changes,
    change_plan,
    changed_spec,
    create_plan,
    is_unchanged,
    replace_flow_log,
)
from flowtui.sources.flowlogs import (
    CreateSpec,
    create_flow_log,
    find_flow_log,
    group_exists,
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


def _warning(eni: EniCoverage[FlowLogInfo]) -> str | None:
    """What is missed: the state's warning, or which covering flow logs fail and why."""
    if eni.state.warning is not None:
        failing = eni.failing if eni.state is CoverageState.NOT_DELIVERING else ()
        reasons = "; ".join(f"{f.id}: {f.delivery_error or 'delivery FAILED'}" for f in failing)
        return f"{eni.state.warning} ({reasons})" if reasons else eni.state.warning
    if not eni.failing:
        return None
    return "; ".join(f"{f.id}: {f.delivery_error or 'delivery FAILED'}" for f in eni.failing)


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
                        warning=_warning(eni),
                        failing=tuple(f.id for f in eni.failing),
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
                log_group=flow_log.log_group,
                role_arn=flow_log.role_arn,
                format_text=flow_log.format_text,
                aggregation_s=flow_log.aggregation_interval_s,
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


def _log_format(form: FlowLogForm) -> LogFormat:
    try:
        return creation_format(form.log_format)
    except (FormatError, UnknownFieldError) as error:
        raise SourceError(f"format: {error}") from None


def _refuse_role(
    conn: AwsConnection, limiter: RateLimiter, role_arn: str, spec: CreateSpec
) -> None:
    report = inspect_role(conn, limiter, role_arn, spec.target(conn.region))
    if report.ok is False:
        raise SourceError(f"role {report.name} cannot deliver: {report.problems()[0]}")


def _new_role(conn: AwsConnection, limiter: RateLimiter, name: str) -> None:
    check_role_name(name)
    if role_exists(conn, limiter, name):
        raise SourceError(f"role {name} already exists: give its ARN instead")


@dataclass(frozen=True, slots=True)
class _Checked:
    spec: CreateSpec
    role_arn: str
    create_role: str | None
    group_missing: bool
    #: The flow log a change replaces.
    old: FlowLogInfo | None = None


def _check_create(conn: AwsConnection, limiter: RateLimiter, form: FlowLogForm) -> _Checked:
    """Everything `flowtui flowlogs create` checks; a SourceError changes nothing."""
    log_format = _log_format(form)
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
    if form.role_arn:
        _refuse_role(conn, limiter, form.role_arn, spec)
        role_arn = form.role_arn
    elif form.create_role:
        _new_role(conn, limiter, form.create_role)
        role_arn = f"arn:aws:iam::{resource.owner_id or 'ACCOUNT'}:role/{form.create_role}"
    else:
        raise SourceError("give a role ARN, or a name for flowtui to create a role")
    group_missing = not group_exists(conn, limiter, group)
    return _Checked(spec, role_arn, form.create_role if not form.role_arn else None, group_missing)


def _check_change(conn: AwsConnection, limiter: RateLimiter, form: FlowLogForm) -> _Checked:
    """Everything `flowtui flowlogs change` checks; a SourceError changes nothing."""
    assert form.replaces is not None
    old = find_flow_log(conn, limiter, form.replaces)
    if form.resource_id and form.resource_id != old.resource_id:
        raise SourceError(f"a change keeps the resource ({old.resource_id}): create a new one")
    if form.create_role and not form.role_arn:
        raise SourceError("a change delivers with an existing role: give its ARN")
    spec = changed_spec(
        conn,
        limiter,
        old,
        traffic=form.traffic_type,
        group=form.group or None,
        log_format=_log_format(form),
        max_aggregation_s=form.max_aggregation_s,
        retention_days=form.retention_days,
    )
    role_arn = form.role_arn or old.role_arn
    if not role_arn:
        raise SourceError(f"flow log {old.id} has no delivery role: give a role ARN")
    if is_unchanged(old, spec, role_arn):
        raise SourceError("that is what the flow log already does: change a setting")
    _refuse_role(conn, limiter, role_arn, spec)
    group_missing = not group_exists(conn, limiter, spec.group)
    return _Checked(spec, role_arn, None, group_missing, old)


def plan_from_form(conn: AwsConnection, limiter: RateLimiter, form: FlowLogForm) -> str:
    """What creating (or changing) will do, as `flowtui flowlogs create|change` prints it."""
    if form.replaces:
        checked = _check_change(conn, limiter, form)
        assert checked.old is not None
        return change_plan(
            checked.old,
            checked.spec,
            checked.role_arn,
            conn.region,
            group_missing=checked.group_missing,
            changes=capture_changes(conn, limiter, checked.old, checked.spec),
        )
    checked = _check_create(conn, limiter, form)
    return create_plan(
        checked.spec,
        checked.role_arn,
        conn.region,
        group_missing=checked.group_missing,
        create_role=checked.create_role,
    )


def create_from_form(conn: AwsConnection, limiter: RateLimiter, form: FlowLogForm) -> str:
    """Everything `flowtui flowlogs create` checks, then create; one line on success.

    Raises SourceError (one line in `.message`) when a check fails: nothing is changed then.
    """
    checked = _check_create(conn, limiter, form)
    spec, role_arn = checked.spec, checked.role_arn
    made = ""
    if checked.create_role:
        role_arn = create_role(conn, limiter, checked.create_role, spec.target(conn.region))
        made = f", role {checked.create_role} created"
    outcome = create_flow_log(conn, limiter, spec, role_arn)
    if not outcome.flow_log_ids:
        raise SourceError(f"not created: {'; '.join(outcome.unsuccessful)}")
    group_note = f", log group {spec.group} created" if outcome.group_created else ""
    resource = spec.resource.resource_id
    return f"created flow log {outcome.flow_log_ids[0]} on {resource}{made}{group_note}"


def change_from_form(conn: AwsConnection, limiter: RateLimiter, form: FlowLogForm) -> str:
    """Everything `flowtui flowlogs change` checks, then delete and recreate (same order)."""
    checked = _check_change(conn, limiter, form)
    assert checked.old is not None
    new = replace_flow_log(conn, limiter, checked.old, checked.spec, checked.role_arn)
    return f"replaced flow log {checked.old.id} by {new} on {checked.spec.resource.resource_id}"
