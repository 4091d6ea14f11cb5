"""Logging to a file in the user's state directory, never to the terminal."""

from __future__ import annotations

import logging
from pathlib import Path

from flowtui.core.config import state_dir

LOG_NAME = "flowtui.log"
_MAX_BYTES = 5 * 1024 * 1024


def log_path() -> Path:
    return state_dir() / LOG_NAME


def configure(level: int = logging.INFO) -> Path | None:
    """Send every log record to the log file; returns its path (None if it cannot be written)."""
    from logging.handlers import RotatingFileHandler

    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    path = log_path()
    handler: logging.Handler
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=_MAX_BYTES, backupCount=2)
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    # botocore logs request details at DEBUG; keep it quiet and credential-free.
    for noisy in ("botocore", "boto3", "urllib3", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path if isinstance(handler, RotatingFileHandler) else None
