"""`flowtui views list|show|rm`: the saved views, listed, shown as JSON or deleted."""

from __future__ import annotations

import argparse
import sys

from flowtui.errors import UserError


def run_views(args: argparse.Namespace) -> int:
    from flowtui.core.views import ViewError, ViewStore

    store = ViewStore()
    for problem in store.problems:
        sys.stderr.write(f"note: {problem}\n")
    try:
        if args.views_command == "list":
            for view in store.list():
                source = view.source
                where = source.log_group or "-"
                sys.stdout.write(f"{view.name}\t{where}\t{view.filter_text}\n")
        elif args.views_command == "show":
            import orjson

            view = store.get(args.name)
            sys.stdout.write(orjson.dumps(view.to_dict(), option=orjson.OPT_INDENT_2).decode())
            sys.stdout.write("\n")
        elif args.views_command == "rm":
            store.delete(args.name)
            sys.stdout.write(f"deleted view {args.name!r}\n")
    except ViewError as error:
        raise UserError(str(error)) from None
    return 0
