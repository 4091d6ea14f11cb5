"""`flowtui explain --group G RECORD`: which network ACL rule or security group decided a
flow record, as text or JSON."""

from __future__ import annotations

import argparse
import sys

from flowtui.commands.cloudwatch import group_info
from flowtui.commands.connection import (
    ensure_reachable,
    open_connection,
    print_notices,
    source_errors,
)
from flowtui.sources.ec2 import shared_lookups


def run_explain(args: argparse.Namespace) -> int:
    """`flowtui explain --group G RECORD`: which network ACL rule or security group decided it."""
    import orjson

    from flowtui.sources.network import explain_line

    conn, limiter = open_connection(args)
    lookups = shared_lookups(conn, limiter)
    with source_errors():
        group_info(conn, limiter, args.query_group)  # a wrong --group is an error, as in query
        verdict = explain_line(conn, limiter, args.query_group, args.record, None, lookups=lookups)
    # The EC2 describes degrade to "not known"; an endpoint that never answered is the reason.
    ensure_reachable(conn, limiter)
    out = sys.stdout
    if args.output == "json":
        out.write(orjson.dumps(verdict.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        out.write(verdict.text + "\n")
        for step in verdict.steps:
            out.write(f"  - {step}\n")
        for action in verdict.missing:
            out.write(f"  missing permission {action}: part of the path could not be checked\n")
    print_notices(conn, limiter, sys.stderr)
    return 0
