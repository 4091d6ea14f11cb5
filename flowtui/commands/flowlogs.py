"""`flowtui flowlogs list | create | delete`: a VPC's coverage, and changing its flow logs.

Every change is shown first (what will be created or what will stop being logged, the record
line a format produces, the equivalent AWS CLI commands, and the role JSON when a role is
created) and asked for on a terminal; without a terminal the command refuses unless `--yes`.
`--dry-run` checks and shows everything and changes nothing. Bad input (an unknown resource,
a role that does not exist, a group in another region, an unknown field) is one line, and
nothing is changed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

import orjson

from flowtui.commands.connection import open_connection, print_notices, source_errors
from flowtui.commands.output import write_table
from flowtui.core.fields import UnknownFieldError
from flowtui.core.flowlog_coverage import CoverageState, EniCoverage, VpcCoverage, captured_state
from flowtui.core.flowlog_format import creation_format
from flowtui.core.formats import FormatError, LogFormat
from flowtui.core.never_captured import EXCLUSIONS
from flowtui.errors import UserError
from flowtui.sources.aws import AwsConnection, NotFoundError
from flowtui.sources.delivery_role import (
    RoleNotFoundError,
    check_role_name,
    create_role,
    inspect_role,
    parse_role_arn,
    role_exists,
)
from flowtui.sources.ec2_resources import FlowLogInfo
from flowtui.sources.flowlog_plan import (
    capture_changes,
    change_plan,
    changed_spec,
    create_plan,
    flow_log_line,
    is_unchanged,
    replace_flow_log,
    role_json,
)
from flowtui.sources.flowlogs import (
    CreateSpec,
    Resource,
    create_flow_log,
    delete_flow_log,
    find_flow_log,
    group_exists,
    group_name,
    read_coverage,
    resolve_resource,
    same_flow_log,
)
from flowtui.sources.ratelimit import RateLimiter


def confirm(question: str, yes: bool, stdin: TextIO, err: TextIO) -> bool:
    """True when the user agrees; a script without a terminal must say --yes."""
    if yes:
        return True
    if not stdin.isatty():
        raise UserError("not changing anything without --yes: stdin is not a terminal")
    err.write(f"{question} [y/N] ")
    err.flush()
    return stdin.readline().strip().lower() in ("y", "yes")


# --- list ------------------------------------------------------------------------------------


def _eni_json(vpc: VpcCoverage[FlowLogInfo], eni: EniCoverage[FlowLogInfo]) -> dict[str, object]:
    state = eni.state
    return {
        "eni": eni.eni.eni_id,
        "vpc": vpc.vpc.vpc_id,
        "subnet": eni.eni.subnet_id,
        "label": eni.label,
        "addresses": list(eni.eni.addresses),
        "covered_by": list(eni.flow_log_ids),
        "failing": [f.id for f in eni.failing],
        "coverage": state.value,
        "warning": state.warning,
        "flow_logs": [
            {
                "id": c.flow_log.id,
                "scope": c.scope.value,
                "resource": c.flow_log.resource_id,
                "traffic_type": c.flow_log.traffic_type,
                "destination": c.flow_log.log_group or c.flow_log.destination_type,
                "format": c.flow_log.format_text,
                "max_aggregation_s": c.flow_log.aggregation_interval_s,
                "delivery_status": c.flow_log.delivery_status,
                "delivery_error": c.flow_log.delivery_error,
            }
            for c in eni.covered_by
        ],
    }


def _flow_logs_of(vpc: VpcCoverage[FlowLogInfo]) -> list[FlowLogInfo]:
    """Every flow log on the VPC, its subnets or its ENIs, once."""
    found = {f.id: f for f in vpc.attached}
    for subnet in vpc.subnets:
        found.update((f.id, f) for f in subnet.attached)
    for eni in vpc.enis:
        found.update((c.flow_log.id, c.flow_log) for c in eni.covered_by)
    return list(found.values())


def _write_coverage_table(vpcs: list[VpcCoverage[FlowLogInfo]], out: TextIO) -> None:
    for vpc in vpcs:
        name = f" ({vpc.name})" if vpc.name else ""
        out.write(f"{vpc.vpc.vpc_id}{name} {', '.join(vpc.vpc.cidrs)}\n")
        rows = [["  ENI", "SUBNET", "BELONGS TO", "COVERED BY", "CAPTURES"]]
        for subnet in vpc.subnets:
            for eni in subnet.enis:
                via = ", ".join(f"{c.flow_log.id} ({c.scope.value})" for c in eni.covered_by)
                state = eni.state
                shown = state.value if state.warning is None else f"{state.value}: {state.warning}"
                failing = len(eni.failing) if state is not CoverageState.NOT_DELIVERING else 0
                if failing:
                    shown += f", {failing} failing (see below)"
                rows.append(
                    [
                        f"  {eni.eni.eni_id}",
                        subnet.subnet.name or subnet.subnet.subnet_id,
                        eni.label or "-",
                        via or "-",
                        shown if state is CoverageState.ALL and not failing else f"! {shown}",
                    ]
                )
        if len(rows) > 1:
            write_table(rows, out)
        else:
            out.write("  (no network interfaces)\n")
        for flow_log in _flow_logs_of(vpc):
            out.write(f"  flow log {flow_log_line(flow_log)}\n")
        out.write("\n")
    out.write("Never captured by any flow log:\n")
    for exclusion in EXCLUSIONS:
        out.write(f"  - {exclusion.title}: {exclusion.where}\n")


def run_list(args: argparse.Namespace) -> int:
    conn, limiter = open_connection(args)
    with source_errors():
        report = read_coverage(conn, limiter, args.vpc)
    out = sys.stdout
    if args.output == "json":
        items = [_eni_json(vpc, eni) for vpc in report.vpcs for eni in vpc.enis]
        out.write(orjson.dumps(items, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        _write_coverage_table(report.vpcs, out)
    for notice in report.notices:
        sys.stderr.write(f"note: {notice}\n")
    return 0


# --- create ----------------------------------------------------------------------------------


def _format_of(args: argparse.Namespace) -> LogFormat:
    try:
        return creation_format(args.log_format)
    except (FormatError, UnknownFieldError) as error:
        raise UserError(f"invalid --log-format: {error}: nothing was changed") from None


def _check_role(
    conn: AwsConnection, limiter: RateLimiter, role_arn: str, spec: CreateSpec, out: TextIO
) -> None:
    """Refuse a role that cannot deliver; say what cannot be checked."""
    try:
        parse_role_arn(role_arn)
        report = inspect_role(conn, limiter, role_arn, spec.target(conn.region))
    except RoleNotFoundError as error:
        raise UserError(error.message, exit_code=1) from None
    if report.ok is False:
        problems = "\n".join(f"  - {line}" for line in report.problems())
        raise UserError(
            f"role {report.name} cannot deliver flow logs, so nothing was changed:\n{problems}\n"
            "fix it, or pass --create-role NAME for a least-privilege role:\n"
            + role_json(spec.resource.owner_id, conn.region, spec).rstrip()
        )
    if report.ok is None:
        for line in report.problems():
            out.write(f"warning: role {report.name}: {line}\n")
    else:
        out.write(f"role {report.name}: trusted by vpc-flow-logs and allows the five actions\n")


@contextmanager
def _unchanged() -> Iterator[None]:
    """Errors before anything is created say so (as one line, like `source_errors`)."""
    try:
        with source_errors():
            yield
    except UserError as error:
        message = str(error)
        if "nothing was changed" not in message:
            message += ": nothing was changed"
        raise UserError(message, error.exit_code) from None


def run_create(args: argparse.Namespace) -> int:
    log_format = _format_of(args)
    if args.create_role:
        with _unchanged():
            check_role_name(args.create_role)
    conn, limiter = open_connection(args)
    out = sys.stdout
    with _unchanged():
        group = group_name(conn, args.log_group)
        resource = resolve_resource(conn, limiter, args.resource_id)
        spec = CreateSpec(
            resource,
            args.traffic_type,
            group,
            log_format,
            args.max_aggregation,
            args.retention_days,
        )
        if args.role:
            _check_role(conn, limiter, args.role, spec, out)
            role_arn = args.role
        else:
            role_arn = f"arn:aws:iam::{resource.owner_id or 'ACCOUNT'}:role/{args.create_role}"
            if role_exists(conn, limiter, args.create_role):
                raise UserError(
                    f"role {args.create_role} already exists: pass it with --role, or choose "
                    "another name"
                )
        same = same_flow_log(conn, limiter, spec)
        if same is not None:
            raise UserError(
                f"flow log {same} already delivers {spec.traffic_type} traffic of "
                f"{resource.resource_id} to {group}"
            )
        group_missing = not group_exists(conn, limiter, group)
    out.write(
        create_plan(
            spec,
            role_arn,
            conn.region,
            group_missing=group_missing,
            create_role=args.create_role,
        )
    )
    out.flush()
    if args.dry_run:
        out.write("dry run: nothing was changed\n")
        return 0
    if not confirm("Create this flow log?", args.yes, sys.stdin, sys.stderr):
        out.write("nothing was changed\n")
        return 1
    with source_errors():
        if args.create_role:
            role_arn = create_role(conn, limiter, args.create_role, spec.target(conn.region))
            out.write(f"created role {role_arn}\n")
        outcome = create_flow_log(conn, limiter, spec, role_arn)
    if outcome.group_created:
        out.write(f"created log group {group}\n")
    for flow_log_id in outcome.flow_log_ids:
        out.write(f"created flow log {flow_log_id}\n")
    for failure in outcome.unsuccessful:
        sys.stderr.write(f"flowtui: not created for {failure}\n")
    return 1 if outcome.unsuccessful or not outcome.flow_log_ids else 0


# --- delete ----------------------------------------------------------------------------------


def _what_stops(conn: AwsConnection, limiter: RateLimiter, flow_log: FlowLogInfo) -> list[str]:
    """One line per ENI whose capture changes when the flow log is gone."""
    try:
        resource: Resource = resolve_resource(conn, limiter, flow_log.resource_id)
    except NotFoundError:
        return [f"{flow_log.resource_id} no longer exists: nothing is being captured by it"]
    lines: list[str] = []
    for vpc in read_coverage(conn, limiter, resource.vpc_id).vpcs:
        for eni in vpc.enis:
            if flow_log.id not in eni.flow_log_ids:
                continue
            after = captured_state(
                c.flow_log for c in eni.covered_by if c.flow_log.id != flow_log.id
            )
            if after is eni.state:
                continue
            label = f" ({eni.label})" if eni.label else ""
            change = after.warning or after.value
            lines.append(f"{eni.eni.eni_id}{label}: {eni.state.value} -> {change}")
    return lines


def run_delete(args: argparse.Namespace) -> int:
    conn, limiter = open_connection(args)
    out = sys.stdout
    with source_errors():
        flow_log = find_flow_log(conn, limiter, args.flow_log_id)
        stops = _what_stops(conn, limiter, flow_log)
    out.write(f"Delete flow log {flow_log_line(flow_log)}\n")
    if stops:
        out.write("What stops being logged:\n")
        for line in stops:
            out.write(f"  {line}\n")
    else:
        out.write("Every ENI it covers stays captured as before by other flow logs.\n")
    out.write(
        f"The same with the AWS CLI:\n  aws ec2 delete-flow-logs --flow-log-ids {flow_log.id}"
    )
    out.write(f" --region {conn.region}\n")
    out.flush()
    if not confirm(f"Delete {flow_log.id}?", args.yes, sys.stdin, sys.stderr):
        out.write("nothing was changed\n")
        return 1
    with source_errors():
        delete_flow_log(conn, limiter, flow_log.id)
    out.write(f"deleted flow log {flow_log.id}\n")
    print_notices(conn, limiter, sys.stderr)
    return 0


# --- change: create the new one, then delete the old one ----------------------------------


def run_change(args: argparse.Namespace) -> int:
    """A flow log cannot be modified: create one with the new settings, then delete the old."""
    conn, limiter = open_connection(args)
    out = sys.stdout
    with _unchanged():
        old = find_flow_log(conn, limiter, args.flow_log_id)
        spec = changed_spec(
            conn,
            limiter,
            old,
            traffic=args.traffic_type,
            group=args.log_group,
            log_format=_format_of(args) if args.log_format else None,
            max_aggregation_s=args.max_aggregation,
            retention_days=args.retention_days,
        )
        role_arn = args.role or old.role_arn
        if not role_arn:
            raise UserError(f"flow log {old.id} has no delivery role: pass --role ARN")
        if is_unchanged(old, spec, role_arn):
            raise UserError("that is what the flow log already does: give a setting to change")
        _check_role(conn, limiter, role_arn, spec, out)
        group_missing = not group_exists(conn, limiter, spec.group)
        changes = capture_changes(conn, limiter, old, spec)
    plan = change_plan(
        old, spec, role_arn, conn.region, group_missing=group_missing, changes=changes
    )
    out.write(plan)
    out.flush()
    if args.dry_run:
        out.write("dry run: nothing was changed\n")
        return 0
    if not confirm(f"Replace {old.id}?", args.yes, sys.stdin, sys.stderr):
        out.write("nothing was changed\n")
        return 1
    with source_errors():
        replace_flow_log(
            conn, limiter, old, spec, role_arn, progress=lambda line: out.write(line + "\n")
        )
    return 0
