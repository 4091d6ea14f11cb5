"""The demo's traffic follows flow logs created and deleted while it runs (moto writes none)."""

from __future__ import annotations

from flowtui.core.formats import DEFAULT_FORMAT
from flowtui.demo.account import synthetic_account
from flowtui.demo.flow_logs import MAIN_GROUP, DemoFlowLog
from flowtui.demo.traffic import TrafficGenerator

HOUR = 3600.0
STAGING_GROUP = "/flowtui/demo/staging"


def test_a_new_flow_log_writes_its_eni_from_its_creation_and_stops_when_deleted() -> None:
    account = synthetic_account(created_at=0.0)
    staging = account.eni("staging-1")
    assert account.flow_logs_covering(staging) == ()
    generator = TrafficGenerator(account, seed=5, now=lambda: 2 * HOUR, rate=20.0)
    main_before = generator.records_between(HOUR, HOUR + 600, MAIN_GROUP)
    assert f"{staging.id}-all" not in main_before

    created_at = HOUR + 300
    new = DemoFlowLog(
        id="fl-0new",
        name="staging",
        group=STAGING_GROUP,
        log_format=DEFAULT_FORMAT,
        resource_id=staging.subnet_id,
        traffic_type="ALL",
        delivering=True,
        since=created_at,
    )
    generator.set_flow_logs((*account.flow_logs, new), (*account.group_names, STAGING_GROUP))
    written = generator.records_between(HOUR, HOUR + 1200, STAGING_GROUP)
    assert list(written) == [f"{staging.id}-all"]
    starts = [int(message.split()[10]) for _, message in written[f"{staging.id}-all"]]
    assert starts and min(starts) >= created_at
    # The other groups' deliveries are exactly what they were.
    assert generator.records_between(HOUR, HOUR + 600, MAIN_GROUP) == main_before

    generator.set_flow_logs(account.flow_logs, account.group_names)
    assert generator.records_between(HOUR + 1800, HOUR + 2400, STAGING_GROUP) == {}
