"""The command lines of `flowtui flowlogs list|create|delete` and `flowtui doctor`.

Kept apart from the commands themselves (which import boto3) so that building the parser, and
`flowtui --help`, stays fast.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from flowtui.commands import arguments
from flowtui.core.flowlog_format import AGGREGATION_INTERVALS, RETENTION_DAYS, TRAFFIC_TYPES

#: Adds the usual --profile/--region/--endpoint-url/--rate-budget to a subcommand.
ConnectionOptions = Callable[[argparse.ArgumentParser, bool], None]
OUTPUTS = ("table", "json")


def add_flowlogs_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    connection_options: ConnectionOptions,
) -> None:
    """`flowtui flowlogs list|create|delete`, with the connection options on each."""
    flowlogs = commands.add_parser(
        "flowlogs", help="the VPCs' flow-log coverage; create, change or delete flow logs"
    )
    actions = flowlogs.add_subparsers(dest="flowlogs_command", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="each VPC's ENIs and the flow logs capturing them")
    connection_options(listing, True)
    listing.add_argument("--vpc", help="only this VPC (vpc-...)")
    listing.add_argument("--output", default="table", choices=OUTPUTS)
    listing.set_defaults(handler="flowlogs-list")

    create = actions.add_parser("create", help="create a flow log (shows it and asks first)")
    connection_options(create, True)
    create.add_argument("resource_id", metavar="RESOURCE_ID", help="vpc-..., subnet-... or eni-...")
    create.add_argument("--traffic-type", required=True, type=str.upper, choices=TRAFFIC_TYPES)
    create.add_argument(
        "--group",
        dest="log_group",
        required=True,
        type=arguments.name,
        help="log group name or ARN",
    )
    role = create.add_mutually_exclusive_group(required=True)
    role.add_argument("--role", metavar="ARN", help="the delivery role's ARN")
    role.add_argument("--create-role", metavar="NAME", help="create a least-privilege role")
    create.add_argument("--log-format", help="'${version} ${srcaddr} ...' (default: AWS's)")
    create.add_argument(
        "--max-aggregation",
        type=int,
        default=600,
        choices=AGGREGATION_INTERVALS,
        help="aggregation interval in seconds (default 600)",
    )
    create.add_argument(
        "--retention-days",
        type=int,
        choices=RETENTION_DAYS,
        metavar="DAYS",
        help="retention of the log group when flowtui creates it (default: never expire)",
    )
    create.add_argument("--dry-run", action="store_true", help="check and show; change nothing")
    create.add_argument("--yes", action="store_true", help="do not ask before changing")
    create.set_defaults(handler="flowlogs-create")

    change = actions.add_parser(
        "change", help="replace a flow log by one with other settings (shows before/after, asks)"
    )
    connection_options(change, True)
    change.add_argument("flow_log_id", metavar="FLOW_LOG_ID")
    change.add_argument("--traffic-type", type=str.upper, choices=TRAFFIC_TYPES)
    change.add_argument("--group", dest="log_group", type=arguments.name, help="log group")
    change.add_argument("--role", metavar="ARN", help="the delivery role's ARN")
    change.add_argument("--log-format", help="'${version} ${srcaddr} ...'")
    change.add_argument("--max-aggregation", type=int, choices=AGGREGATION_INTERVALS)
    change.add_argument(
        "--retention-days",
        type=int,
        choices=RETENTION_DAYS,
        metavar="DAYS",
        help="retention of a new log group",
    )
    change.add_argument("--dry-run", action="store_true", help="check and show; change nothing")
    change.add_argument("--yes", action="store_true", help="do not ask before changing")
    change.set_defaults(handler="flowlogs-change")

    delete = actions.add_parser("delete", help="delete a flow log (shows what stops, asks first)")
    connection_options(delete, True)
    delete.add_argument("flow_log_id", metavar="FLOW_LOG_ID")
    delete.add_argument("--yes", action="store_true", help="do not ask before changing")
    delete.set_defaults(handler="flowlogs-delete")


def add_doctor_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    connection_options: ConnectionOptions,
) -> None:
    doctor = commands.add_parser(
        "doctor", help="check what these credentials can do, and which flow logs fail"
    )
    connection_options(doctor, True)
    doctor.add_argument("--output", default="table", choices=OUTPUTS)
    doctor.set_defaults(handler="doctor")
