"""What the command-line tests share: an AWS environment of their own, the demo account on an
in-process endpoint, and running `flowtui` as a user would (exit code, stdout, stderr)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from flowtui.cli import main
from flowtui.demo.account import DemoAccount, build_demo_account
from flowtui.demo.faults import InProcessEndpoint
from flowtui.demo.server import logs_client
from flowtui.demo.traffic import TrafficGenerator
from flowtui.demo.writer import backfill


@contextmanager
def demo_endpoint(
    seed: int, rate: float, hours: float = 0.5
) -> Iterator[tuple[InProcessEndpoint, DemoAccount]]:
    """The demo account with `hours` of traffic on a fresh in-process endpoint."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with InProcessEndpoint() as server:
            server.reset()  # moto's state is per process: other modules may have used it
            account = build_demo_account(server.url)
            generator = TrafficGenerator(account, seed=seed, rate=rate)
            backfill(logs_client(server.url, account.region), generator, hours=hours)
            yield server, account
            server.reset()


def isolate_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Test credentials only: no profile, config, metadata service or user settings leak in."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("FLOWTUI_CONFIG_DIR", str(tmp_path / "flowtui"))
    monkeypatch.setenv("FLOWTUI_STATE_DIR", str(tmp_path / "state"))


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """`flowtui ARGS` in this process: its exit status, stdout and stderr."""
    try:
        code = main(args)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err
