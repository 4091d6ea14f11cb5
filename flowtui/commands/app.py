"""The interactive app: `flowtui` on its own, optionally started at a log group (`--group`)
or a saved view (`--view`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from flowtui.errors import UserError

if TYPE_CHECKING:
    from flowtui.ui.app import Start


def run_app(args: argparse.Namespace) -> int:
    from flowtui.sources.aws import SourceError
    from flowtui.ui.app import Start
    from flowtui.ui.cloudwatch_backend import create_backend
    from flowtui.ui.launch import run_app as launch

    start = _start_from_view(args) if args.view else Start(group=args.group)
    try:
        return launch(args, create_backend=create_backend, start=start)
    except SourceError as error:
        raise UserError(error.message) from None


def _start_from_view(args: argparse.Namespace) -> Start:
    """`flowtui --view NAME`: the view's source and time range, filter and follow state."""
    from flowtui.core.views import ViewError, ViewStore
    from flowtui.ui.app import Start

    try:
        view = ViewStore().get(args.view)
    except ViewError as error:
        raise UserError(str(error)) from None
    source = view.source
    args.profile = args.profile or source.profile
    args.region = args.region or source.region
    args.endpoint_url = args.endpoint_url or source.endpoint_url
    return Start(query=view.to_query(), filter_text=view.filter_text, follow=view.follow, view=view)
