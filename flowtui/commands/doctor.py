"""`flowtui doctor`: one line per capability of these credentials in this region, then one per
flow log; the exit status is 1 when any check fails, so scripts can run it."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

import orjson

from flowtui.commands.connection import open_connection, source_errors
from flowtui.commands.output import write_table
from flowtui.core.wording import counted
from flowtui.sources.doctor import Check, DoctorReport, Status, run_doctor
from flowtui.sources.ratelimit import SYSTEM_CLOCK


def _rows(checks: list[Check]) -> list[list[str]]:
    rows = [["STATUS", "CHECK", "NEEDS", "WITHOUT IT", "DETAIL"]]
    for check in checks:
        rows.append([check.status.value, check.name, check.action, check.blocks, check.detail])
    return rows


def write_report(report: DoctorReport, output: str, out: TextIO) -> None:
    if output == "json":
        document = {
            "region": report.region,
            "ok": not report.failed,
            "checks": [c.to_json() for c in report.checks],
            "flow_logs": [c.to_json() for c in report.flow_logs],
        }
        out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    out.write(f"Region {report.region}: what these credentials can do\n")
    write_table(_rows(report.checks), out)
    out.write("\nFlow logs\n")
    if report.flow_logs:
        write_table(_rows(report.flow_logs), out)
    else:
        out.write("  none found (or they cannot be read)\n")
    failed = [c for c in report.checks + report.flow_logs if c.status is Status.FAIL]
    out.write(f"\n{counted(len(failed), 'check')} failed\n" if failed else "\nevery check passed\n")


def run_doctor_command(args: argparse.Namespace) -> int:
    conn, limiter = open_connection(args)
    with source_errors():
        report = run_doctor(conn, limiter, SYSTEM_CLOCK)
    write_report(report, args.output, sys.stdout)
    return 1 if report.failed else 0
