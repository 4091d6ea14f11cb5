"""Starting the interactive app from the command line (`flowtui` with no subcommand)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from flowtui import applog
from flowtui.core.config import Settings, load_settings
from flowtui.ui.backend import Backend, error_text

log = logging.getLogger(__name__)

#: Builds the backend from the command line and the settings; raises with `.message` on failure.
BackendFactory = Callable[[argparse.Namespace, Settings], Backend]


def run_app(
    args: argparse.Namespace,
    create_backend: BackendFactory | None = None,
    start: object | None = None,
) -> int:
    """Run the app until the user quits; the exit code (1 after a crash, logged to the file).

    `create_backend` is the source wiring (CloudWatch, or the demo endpoint); `start` is a
    `flowtui.ui.app.Start` (default: the group list, or `--group`'s streams).
    """
    from flowtui.ui.app import FlowApp, Start

    if create_backend is None:
        print("flowtui: no data source is wired into this build", file=sys.stderr)
        return 1
    settings = load_settings()
    try:
        backend = create_backend(args, settings)
    except Exception as error:
        log.warning("could not start: %s", error_text(error))
        print(f"flowtui: {error_text(error)}", file=sys.stderr)
        return 1
    if start is None:
        start = Start(group=getattr(args, "group", None))
    if not isinstance(start, Start):
        raise TypeError(f"start must be a flowtui.ui.app.Start, not {type(start).__name__}")
    app = FlowApp(backend, settings=settings, theme_name=getattr(args, "theme", None), start=start)
    try:
        result = app.run(mouse=settings.mouse)
    except Exception:
        log.critical("the app failed to run", exc_info=True)
        print(f"flowtui: the app failed to start; details in {applog.log_path()}", file=sys.stderr)
        return 1
    if app.return_code:
        return app.return_code
    return result if isinstance(result, int) else 0
