"""`flowtui demo`: the app against the embedded AWS endpoint and its generated traffic, or
(`--serve`) only the endpoint and traffic, for another client."""

from __future__ import annotations

import argparse
import sys

from flowtui.errors import UserError


def run_demo(args: argparse.Namespace) -> int:
    from flowtui.demo.server import DemoUnavailableError, EndpointError

    try:
        if args.serve:
            from flowtui.demo.serve import serve

            serve(sys.stdout, rate=args.rate)
            return 0
        return _run_demo_app(args)
    except (DemoUnavailableError, EndpointError) as error:
        raise UserError(str(error)) from None


def _run_demo_app(args: argparse.Namespace) -> int:
    import os

    from flowtui.demo.serve import start_demo
    from flowtui.demo.server import DEMO_CREDENTIALS
    from flowtui.ui.app import Start
    from flowtui.ui.cloudwatch_backend import create_backend
    from flowtui.ui.launch import run_app as launch

    sys.stderr.write("flowtui: starting the embedded AWS endpoint and its traffic...\n")
    with start_demo(rate=args.rate) as session:
        # Dummy credentials of the local endpoint only; they never leave this process.
        os.environ["AWS_ACCESS_KEY_ID"] = DEMO_CREDENTIALS["aws_access_key_id"]
        os.environ["AWS_SECRET_ACCESS_KEY"] = DEMO_CREDENTIALS["aws_secret_access_key"]
        os.environ.pop("AWS_SESSION_TOKEN", None)
        os.environ.pop("AWS_PROFILE", None)
        args.endpoint_url = session.url
        args.region = session.region
        args.profile = None
        start = Start(group=session.account.main_group)
        return launch(args, create_backend=create_backend, start=start)
