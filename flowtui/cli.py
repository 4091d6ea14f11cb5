"""flowtui's one entry point: the interactive app by default, headless subcommands beside it.

Every subcommand shares the core (parser, store, filter, stats, export); a user's mistake ends
in one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from flowtui import applog
from flowtui.commands import arguments
from flowtui.commands.flowlog_parsers import add_doctor_parser, add_flowlogs_parser
from flowtui.core.stats.counting import Counting
from flowtui.errors import UserError

EXIT_USAGE = 2
EXIT_FAILURE = 1

STATS_KINDS = ("talkers", "ports", "timeline")
GROUP_HELP = "CloudWatch log group (name or ARN)"


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    print(f"flowtui: {message}", file=sys.stderr)
    raise SystemExit(code)


def _connection_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("AWS connection")
    group.add_argument("--profile", default=default, help="AWS profile (default: credential chain)")
    group.add_argument("--region", default=default, help="AWS region")
    group.add_argument(
        "--endpoint-url",
        type=arguments.endpoint_url,
        default=default,
        help="custom endpoint for CloudWatch Logs and EC2 (http(s)://host[:port])",
    )
    group.add_argument(
        "--rate-budget",
        type=arguments.positive_number,
        default=default,
        help="CloudWatch Logs calls per second flowtui may spend (default: 40%% of the"
        " region's FilterLogEvents quota, 4 in most regions; the quota is shared by the"
        " account)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flowtui",
        description="Explore AWS VPC Flow Logs in CloudWatch Logs from the terminal.",
    )
    _connection_options(parser, suppress=False)
    parser.add_argument(
        "--group", type=arguments.name, help="open this log group's streams directly"
    )
    parser.add_argument("--view", type=arguments.name, help="open a saved view")
    parser.add_argument("--theme", help="colour theme (see the themes folder)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    query = commands.add_parser("query", help="print flow-log records from files or a log group")
    _connection_options(query, suppress=True)
    query.add_argument("files", nargs="*", metavar="FILE", help="plain or gzip files; - is stdin")
    query.add_argument("--log-format", help="record format: '${version} ${srcaddr} ...' or names")
    query.add_argument(
        "--output",
        default=None,
        help=f"records: {', '.join(arguments.ROW_OUTPUTS)} (default jsonl); "
        f"with --stats: {', '.join(arguments.STATS_OUTPUTS)} (default table)",
    )
    query.add_argument("--decode", action="store_true", help="add decoded meanings (jsonl)")
    query.add_argument(
        "--filter", default="", help="filter expression, e.g. 'action=reject port=22'"
    )
    query.add_argument("--search", default="", help="keep rows whose visible text contains TEXT")
    query.add_argument("--stats", choices=STATS_KINDS, help="print a stats table instead of rows")
    query.add_argument(
        "--counting",
        default="all-records",
        choices=[counting.value for counting in Counting],
        help="how stats count a flow seen on several ENIs",
    )
    query.add_argument(
        "--group", dest="query_group", metavar="GROUP", type=arguments.name, help=GROUP_HELP
    )
    query.add_argument(
        "--stream",
        action="append",
        default=[],
        type=arguments.name,
        help="log stream / ENI (repeat)",
    )
    query.add_argument(
        "--since",
        default=None,
        type=arguments.time_spec,
        help="start: 15m, 2h, 7d or ISO time (default 1h)",
    )
    query.add_argument(
        "--until",
        default=None,
        type=arguments.time_spec,
        help="end: relative or ISO time (default now)",
    )
    query.add_argument("--follow", action="store_true", help="keep printing new records")
    query.add_argument(
        "--view",
        dest="query_view",
        metavar="VIEW",
        type=arguments.name,
        help="use a saved view's source and filter",
    )
    query.add_argument(
        "--engine",
        default="local",
        choices=("local", "insights", "auto"),
        help="with --stats over a group: count here, in CloudWatch Logs Insights, or auto "
        "(Insights above the row cap)",
    )
    query.add_argument("--yes", action="store_true", help="run Insights even above its price limit")
    query.set_defaults(handler="query", command_parser=query)

    insights = commands.add_parser(
        "insights", help="run a CloudWatch Logs Insights query and print its rows"
    )
    _connection_options(insights, suppress=True)
    insights.add_argument("query_text", metavar="QUERY", help="an Insights query")
    insights.add_argument(
        "--group",
        dest="query_groups",
        action="append",
        required=True,
        type=arguments.name,
        help="log group (repeat for several, up to 50)",
    )
    insights.add_argument("--since", type=arguments.time_spec, help="start (default 1h)")
    insights.add_argument("--until", type=arguments.time_spec, help="end (default now)")
    insights.add_argument("--output", default="table", choices=arguments.STATS_OUTPUTS)
    insights.add_argument("--yes", action="store_true", help="run even above the price limit")
    insights.set_defaults(handler="insights")

    demo = commands.add_parser("demo", help="run the app against the embedded AWS endpoint")
    demo.add_argument("--serve", action="store_true", help="only run the endpoint and traffic")
    demo.add_argument(
        "--rate", type=arguments.positive_number, default=10.0, help="demo records per second"
    )
    demo.add_argument("--theme", help="colour theme")
    demo.set_defaults(handler="demo")

    groups = commands.add_parser("groups", help="list log groups and the flow logs they receive")
    _connection_options(groups, suppress=True)
    groups.set_defaults(handler="groups")

    streams = commands.add_parser("streams", help="list a log group's streams (ENIs)")
    _connection_options(streams, suppress=True)
    streams.add_argument(
        "--group",
        dest="query_group",
        metavar="GROUP",
        required=True,
        type=arguments.name,
        help=GROUP_HELP,
    )
    streams.set_defaults(handler="streams")

    find = commands.add_parser("find", help="find the ENI and stream of an IP, instance or name")
    _connection_options(find, suppress=True)
    find.add_argument("target", metavar="IP|INSTANCE|NAME")
    find.set_defaults(handler="find")

    explain = commands.add_parser("explain", help="explain which rule decided a flow record")
    _connection_options(explain, suppress=True)
    explain.add_argument(
        "--group",
        dest="query_group",
        metavar="GROUP",
        required=True,
        type=arguments.name,
        help="the log group the record comes from (name or ARN): its flow logs' formats",
    )
    explain.add_argument("record", metavar="RECORD", help="a raw flow-log line")
    explain.add_argument("--output", default="text", choices=("text", "json"))
    explain.set_defaults(handler="explain")

    views = commands.add_parser("views", help="list, show or remove saved views")
    view_commands = views.add_subparsers(dest="views_command", metavar="ACTION", required=True)
    view_commands.add_parser("list", help="list saved views")
    show = view_commands.add_parser("show", help="show one view")
    show.add_argument("name")
    remove = view_commands.add_parser("rm", help="delete one view")
    remove.add_argument("name")
    views.set_defaults(handler="views")

    add_flowlogs_parser(commands, _connection_options)
    add_doctor_parser(commands, _connection_options)
    return parser


#: Subcommand -> "module:function"; imported only when used, so `flowtui --help` stays fast.
_HANDLERS = {
    "app": "flowtui.commands.app:run_app",
    "query": "flowtui.commands.query:run_query",
    "demo": "flowtui.commands.demo:run_demo",
    "groups": "flowtui.commands.cloudwatch:run_groups",
    "streams": "flowtui.commands.cloudwatch:run_streams",
    "find": "flowtui.commands.cloudwatch:run_find",
    "explain": "flowtui.commands.explain:run_explain",
    "insights": "flowtui.commands.insights:run_insights",
    "views": "flowtui.commands.views:run_views",
    "flowlogs-list": "flowtui.commands.flowlogs:run_list",
    "flowlogs-create": "flowtui.commands.flowlogs:run_create",
    "flowlogs-delete": "flowtui.commands.flowlogs:run_delete",
    "flowlogs-change": "flowtui.commands.flowlogs:run_change",
    "doctor": "flowtui.commands.doctor:run_doctor_command",
}


def _handler(name: str) -> Callable[[argparse.Namespace], int]:
    import importlib

    module_name, function_name = _HANDLERS[name].split(":")
    handler: Callable[[argparse.Namespace], int] = getattr(
        importlib.import_module(module_name), function_name
    )
    return handler


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):  # closed or replaced stdin
        return False


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "handler", None) == "query":
        arguments.check_query(args.command_parser, args, tty=_stdin_is_terminal())
    applog.configure()
    handler_name = getattr(args, "handler", None)
    try:
        return _handler(handler_name or "app")(args)
    except UserError as error:
        fail(str(error), error.exit_code)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `flowtui query ... | head`: the reader left; that is not an error.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
