"""The CloudWatch backend's explain and view source on the demo account, fed as the app feeds
them: a record parsed into the store, then only its own format's fields."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from flowtui.core.config import Settings
from flowtui.core.ingest import Ingestor
from flowtui.core.store import RecordStore
from flowtui.core.views import SavedView, credential_like_keys
from flowtui.demo.account import DemoAccount, build_demo_account
from flowtui.demo.faults import InProcessEndpoint
from flowtui.demo.flow_logs import MAIN_GROUP
from flowtui.demo.traffic import TrafficGenerator
from flowtui.demo.vpc import DENIED_CIDR
from flowtui.sources.aws import ConnectionOptions, connect
from flowtui.sources.ratelimit import RateLimiter
from flowtui.ui.actions import explain_record
from flowtui.ui.cloudwatch_backend import CloudWatchBackend

pytestmark = pytest.mark.endpoint

BUILT_AT = 1_700_000_000.0


@dataclass(frozen=True)
class Demo:
    backend: CloudWatchBackend
    account: DemoAccount
    url: str
    lines: list[str]

    def record(self, wanted: str) -> dict[str, object]:
        """The first demo line containing `wanted`, as the app hands it to `explain`."""
        line = next(line for line in self.lines if wanted in line)
        formats = [f.log_format for f in self.account.flow_logs if f.group == MAIN_GROUP]
        store = RecordStore()
        Ingestor(store, list(dict.fromkeys(formats))).add_lines(pl.Series([line]), 1, "demo")
        snapshot = store.snapshot()
        record = explain_record(snapshot, snapshot.first_row_id)
        assert record is not None
        return record


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with pytest.MonkeyPatch.context() as patch:
        home = tmp_path_factory.mktemp("aws")
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_CONFIG_FILE", str(Path(home) / "config"))
        patch.delenv("AWS_PROFILE", raising=False)
        with InProcessEndpoint() as server:
            # moto's state is per process: start empty, and leave it empty for other modules.
            server.reset()
            account = build_demo_account(server.url, now=lambda: BUILT_AT)
            generator = TrafficGenerator(account, seed=7, now=lambda: BUILT_AT, rate=20)
            streams = generator.records_between(BUILT_AT + 600, BUILT_AT + 1200, MAIN_GROUP)
            lines = [line for events in streams.values() for _, line in events]
            conn = connect(ConnectionOptions(region=account.region, endpoint_url=server.url))
            limiter = RateLimiter(calls_per_s=100, context=conn.error_context)
            yield Demo(CloudWatchBackend(conn, limiter, Settings()), account, server.url, lines)
            server.reset()


def test_explain_names_the_acl_rule_of_a_denied_range(demo: Demo) -> None:
    prefix = DENIED_CIDR.rsplit(".", 1)[0] + "."
    record = demo.record(f" {prefix}")
    assert record["action"] == "REJECT"
    verdict = demo.backend.explain(record)
    assert verdict.kind == "nacl-deny" and verdict.rule is not None
    assert verdict.rule.number == 50


def test_explain_sees_the_v8_reject_reason_of_a_bpa_record(demo: Demo) -> None:
    record = demo.record(" BPA")
    assert record.get("reject-reason") == "BPA"
    assert demo.backend.explain(record, refresh=True).kind == "bpa"


def test_view_source_keeps_the_custom_endpoint_and_no_credentials(demo: Demo) -> None:
    source = demo.backend.view_source(MAIN_GROUP, ["eni-1", "eni-2"])
    assert (source.log_group, source.streams) == (MAIN_GROUP, ("eni-1", "eni-2"))
    assert (source.profile, source.region) == (None, demo.account.region)
    assert source.endpoint_url == demo.url
    saved = SavedView("demo", source).to_dict()
    assert credential_like_keys(saved) == []
    assert "testing" not in str(saved)


def test_view_source_leaves_out_the_standard_aws_endpoint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"):
        monkeypatch.delenv(name, raising=False)
    conn = connect(ConnectionOptions(region="eu-west-1"))
    backend = CloudWatchBackend(conn, RateLimiter(calls_per_s=1), Settings())
    source = backend.view_source("/vpc/flow-logs", [])
    assert (source.region, source.endpoint_url, source.streams) == ("eu-west-1", None, ())
