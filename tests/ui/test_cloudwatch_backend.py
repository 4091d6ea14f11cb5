"""The CloudWatch backend on the demo account: rows for the screens, feeds, push-down refetch."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from flowtui.core.config import Settings
from flowtui.core.query import Query, TimeRange
from flowtui.demo.account import DemoAccount, build_demo_account
from flowtui.demo.faults import InProcessEndpoint, ManualClock
from flowtui.demo.server import logs_client
from flowtui.demo.traffic import TrafficGenerator
from flowtui.demo.writer import backfill
from flowtui.sources.aws import ConnectionOptions, SourceError, connect
from flowtui.sources.ratelimit import RateLimiter
from flowtui.ui.backend import FeedStatus
from flowtui.ui.cloudwatch_backend import FIRST_CONTACT_PATIENCE_S, CloudWatchBackend
from flowtui.ui.formatting import Ownership

pytestmark = pytest.mark.endpoint


class Reporter:
    def __init__(self) -> None:
        self.statuses: list[FeedStatus] = []
        self.owners: list[Ownership] = []
        self.errors: list[str] = []

    def status(self, status: FeedStatus) -> None:
        self.statuses.append(status)

    def ownership(self, ownership: Ownership) -> None:
        self.owners.append(ownership)

    def error(self, message: str) -> None:
        self.errors.append(message)


@pytest.fixture(scope="module")
def backend(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[CloudWatchBackend, DemoAccount]]:
    with pytest.MonkeyPatch.context() as patch:
        home = tmp_path_factory.mktemp("aws")
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_CONFIG_FILE", str(Path(home) / "config"))
        patch.delenv("AWS_PROFILE", raising=False)
        with InProcessEndpoint() as server:
            server.reset()  # moto's state is per process: other modules may have used it
            account = build_demo_account(server.url)
            backfill(
                logs_client(server.url, account.region), TrafficGenerator(account, rate=10), 0.25
            )
            conn = connect(ConnectionOptions(region=account.region, endpoint_url=server.url))
            limiter = RateLimiter(calls_per_s=100, context=conn.error_context)
            yield CloudWatchBackend(conn, limiter, Settings()), account
            server.reset()


def wait_for(condition: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.05)


def test_groups_and_streams_become_rows_with_formats_warnings_and_owners(
    backend: tuple[CloudWatchBackend, DemoAccount],
) -> None:
    cloudwatch, account = backend
    groups = {row.name: row for row in cloudwatch.list_groups()}
    main = groups[account.main_group]
    assert main.is_flow_log and set(main.formats) >= {"default v2"}
    assert any(
        "ACCEPT traffic only" in warning for row in groups.values() for warning in row.warnings
    )
    streams = cloudwatch.list_streams(account.main_group)
    web = next(row for row in streams if row.name_tag == "web-1")
    assert web.eni_id and web.addresses and web.last_event_ms


def test_open_fills_the_store_and_reports_ownership(
    backend: tuple[CloudWatchBackend, DemoAccount],
) -> None:
    cloudwatch, account = backend
    reporter = Reporter()
    feed = cloudwatch.open(Query(account.main_group, TimeRange.last(3600)), reporter)
    wait_for(lambda: reporter.statuses and not reporter.statuses[-1].fetching and reporter.owners)
    cloudwatch.close(feed)
    assert feed.store.row_count > 0 and reporter.errors == []
    owners = reporter.owners[-1]
    web = next(eni for eni in account.enis if eni.name == "web-1")
    assert owners.addresses[web.private_ip] == "web-1"


def test_a_narrower_filter_keeps_the_rows_and_a_wider_one_refetches(
    backend: tuple[CloudWatchBackend, DemoAccount], monkeypatch: pytest.MonkeyPatch
) -> None:
    cloudwatch, account = backend
    mixed = Query(account.main_group, TimeRange.last(3600), filter_text="action=reject")
    reporter = Reporter()
    feed = cloudwatch.open(mixed, reporter)
    wait_for(lambda: reporter.statuses and not reporter.statuses[-1].fetching)
    cloudwatch.close(feed)
    assert "no push-down: the group mixes 2 formats" in reporter.statuses[-1].pushdown

    app_subnet = next(group for group in account.group_names if group != account.main_group)
    query = Query(app_subnet, TimeRange.last(3600), filter_text="action=reject")
    reporter = Reporter()
    feed = cloudwatch.open(query, reporter)
    wait_for(lambda: reporter.statuses and not reporter.statuses[-1].fetching)
    assert reporter.statuses[-1].pushdown == "push-down: on (exact)"
    loads: list[bool] = []
    live = cloudwatch._feeds[feed]
    original = live.load
    monkeypatch.setattr(
        live,
        "load",
        lambda q, clear, **more: (loads.append(clear), original(q, clear=clear, **more)),
    )
    cloudwatch.filter_applied(feed, replace(query, filter_text="action=reject dport=22"))
    assert loads == []
    cloudwatch.filter_applied(feed, replace(query, filter_text="dport=22"))
    assert loads == [True]
    cloudwatch.close(feed)


def test_owners_come_from_every_eni_of_the_account_not_only_the_groups_streams(
    backend: tuple[CloudWatchBackend, DemoAccount],
) -> None:
    """The app-subnet group's records talk to the database, whose flow log goes elsewhere."""
    cloudwatch, account = backend
    app_group = next(name for name in account.group_names if name.endswith("app-subnet"))
    database = account.eni("db-1")
    streams = {row.eni_id for row in cloudwatch.list_streams(app_group)}
    assert database.id not in streams, "the database is not one of this group's ENIs"
    reporter = Reporter()
    feed = cloudwatch.open(Query(app_group, TimeRange.last(3600)), reporter)
    wait_for(lambda: any(database.private_ip in owners.addresses for owners in reporter.owners))
    cloudwatch.close(feed)
    owners = reporter.owners[-1]
    assert owners.addresses[database.private_ip] == "db-1"
    assert owners.interfaces[database.id] == "db-1"


def test_a_wrong_endpoint_is_given_up_on_in_seconds_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Nothing listens on the port: the first listing gives up after the first-contact patience
    (counted on a manual clock, so the test takes no real minute), saying where it tried."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    conn = connect(ConnectionOptions(region="eu-west-1", endpoint_url=url))
    clock = ManualClock(0)
    limiter = RateLimiter(calls_per_s=100, clock=clock, context=conn.error_context)
    cloudwatch = CloudWatchBackend(conn, limiter, Settings())
    with pytest.raises(SourceError) as raised:
        cloudwatch.list_groups()
    assert clock.monotonic() <= FIRST_CONTACT_PATIENCE_S + 5
    assert "\n" not in raised.value.message
    assert f"127.0.0.1:{port}" in raised.value.message
