"""Run the demo: the endpoint, the account, its history and live traffic.

`start_demo` is what `flowtui demo` uses; `serve` is `flowtui demo --serve`, which keeps the
endpoint running for the AWS CLI and other tools until interrupted.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Self, TextIO

from flowtui.demo.account import DemoAccount, build_demo_account
from flowtui.demo.follow import follow_flow_logs
from flowtui.demo.server import DEMO_CREDENTIALS, EmbeddedEndpoint, logs_client
from flowtui.demo.traffic import TrafficGenerator
from flowtui.demo.writer import TrafficWriter, backfill

#: At most this many events of history: moto rescans a whole group for every FilterLogEvents
#: page, so a page takes ~0.1 s at 100k events and grows linearly beyond.
HISTORY_BUDGET_EVENTS = 100_000
MAX_HISTORY_HOURS = 2.0


@dataclass(slots=True)
class DemoSession:
    """A running demo: close() stops the traffic, then the endpoint."""

    endpoint: EmbeddedEndpoint
    account: DemoAccount
    writer: TrafficWriter
    history_hours: float

    @property
    def url(self) -> str:
        return self.endpoint.url

    @property
    def region(self) -> str:
        return self.account.region

    def close(self) -> None:
        self.writer.stop()
        self.endpoint.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def history_hours(rate: float) -> float:
    """How much history to backfill at this rate: two hours, or less to stay within budget."""
    return min(MAX_HISTORY_HOURS, HISTORY_BUDGET_EVENTS / (rate * 3600))


def start_demo(
    rate: float = 50.0,
    *,
    region: str = "us-east-1",
    seed: int = 7,
    log_path: Path | None = None,
    middleware: str | None = None,
) -> DemoSession:
    """Start the endpoint, build the account, write its history and start live traffic.

    `rate` is records per second over all groups. Raises DemoUnavailableError (with an install
    hint) when moto is missing, EndpointError when the endpoint cannot start.
    """
    if rate <= 0:
        raise ValueError(f"the traffic rate must be positive, got {rate}")
    endpoint = EmbeddedEndpoint(seed=seed, log_path=log_path, middleware=middleware).start()
    try:
        account = build_demo_account(endpoint.url, region)
        generator = TrafficGenerator(account, seed=seed, rate=rate)
        client = logs_client(endpoint.url, region, validate_parameters=False)
        hours = history_hours(rate)
        writer = TrafficWriter(
            client,
            generator,
            since=backfill(client, generator, hours),
            follow=partial(follow_flow_logs, endpoint.url, generator),
        )
        writer.start()
    except BaseException:
        endpoint.stop()
        raise
    return DemoSession(endpoint, account, writer, hours)


def serve(
    out: TextIO,
    region: str = "us-east-1",
    rate: float = 50.0,
    stop: threading.Event | None = None,
) -> None:
    """Run the demo endpoint until `stop` is set or Ctrl-C, printing how to reach it."""
    out.write("Starting the flowtui demo endpoint...\n")
    out.flush()
    try:
        with start_demo(rate, region=region) as session:
            out.write(describe_session(session, rate))
            out.flush()
            (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    out.write("Demo endpoint stopped.\n")
    out.flush()


def describe_session(session: DemoSession, rate: float) -> str:
    """What `--serve` prints: where the endpoint is and how to use it."""
    account = session.account
    groups = "\n".join(
        f"  {name}{'   (the one `flowtui demo` opens)' if name == account.main_group else ''}"
        for name in account.group_names
    )
    credentials = (
        f"AWS_ACCESS_KEY_ID={DEMO_CREDENTIALS['aws_access_key_id']} "
        f"AWS_SECRET_ACCESS_KEY={DEMO_CREDENTIALS['aws_secret_access_key']} "
        f"AWS_DEFAULT_REGION={account.region}"
    )
    return (
        f"Endpoint:   {session.url}\n"
        f"Region:     {account.region}\n"
        f"Log groups:\n{groups}\n"
        f"History:    {session.history_hours * 60:.0f} minutes written; "
        f"about {rate:g} new records per second from now on.\n"
        "\n"
        "Try it with the AWS CLI (the demo accepts these dummy credentials):\n"
        f"  {credentials} \\\n"
        f"    aws --endpoint-url {session.url} logs describe-log-groups\n"
        "\n"
        "Press Ctrl-C to stop.\n"
    )
