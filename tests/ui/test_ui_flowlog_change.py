"""The flow logs' set-up in the app on the embedded demo account, at 80x24: change a flow log
(form prefilled, before/after plan, delete and recreate), the create plan with the AWS CLI
commands and the role JSON (scrollable), coverage marking the flow logs whose role cannot
deliver, and the doctor naming what each failing check blocks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static
from ui_support import fixed_clock, screen_text, settle

from flowtui.core.config import Settings
from flowtui.core.flowlog_policy import policy_json, trust_policy
from flowtui.demo.account import DemoAccount, build_demo_account
from flowtui.demo.faults import InProcessEndpoint
from flowtui.demo.roles import BROKEN_ROLE, GOOD_ROLE
from flowtui.demo.server import ec2_client
from flowtui.sources.aws import ConnectionOptions, connect
from flowtui.sources.ratelimit import RateLimiter
from flowtui.ui.app import FlowApp, Start
from flowtui.ui.cloudwatch_backend import CloudWatchBackend
from flowtui.ui.screens.confirm import ConfirmScreen
from flowtui.ui.screens.flowlog_form import FlowLogFormScreen
from flowtui.ui.screens.flowlog_setup import CoverageScreen, DoctorScreen, FlowLogsScreen

pytestmark = pytest.mark.endpoint

SIZE = (80, 24)


class Demo:
    def __init__(self, server: InProcessEndpoint, account: DemoAccount) -> None:
        self.server = server
        self.account = account
        self.ec2 = ec2_client(server.url, account.region)

    def flow_logs(self) -> dict[str, dict[str, Any]]:
        return {f["FlowLogId"]: dict(f) for f in self.ec2.describe_flow_logs()["FlowLogs"]}

    def app(self) -> FlowApp:
        conn = connect(ConnectionOptions(region=self.account.region, endpoint_url=self.server.url))
        limiter = RateLimiter(calls_per_s=1000, context=conn.error_context)
        return FlowApp(
            CloudWatchBackend(conn, limiter, Settings()), start=Start(), clock=fixed_clock
        )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with pytest.MonkeyPatch.context() as patch:
        home = tmp_path_factory.mktemp("aws")
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_CONFIG_FILE", str(Path(home) / "config"))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(Path(home) / "credentials"))
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        patch.setenv("FLOWTUI_CONFIG_DIR", str(Path(home) / "flowtui"))
        patch.setenv("FLOWTUI_STATE_DIR", str(Path(home) / "state"))
        patch.delenv("AWS_PROFILE", raising=False)
        with InProcessEndpoint() as server:
            server.reset()  # moto's state is per process: start empty, leave it empty
            account = build_demo_account(server.url, now=lambda: time.time() - 1800)
            yield Demo(server, account)
            server.reset()


def _select(pilot: Pilot[Any], key: str) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, CoverageScreen | FlowLogsScreen)
    screen.pick_list.move_to(screen.pick_list.shown_keys.index(key))


async def test_change_shows_before_and_after_asks_then_deletes_and_recreates(demo: Demo) -> None:
    alb = demo.account.eni("alb-a").id
    (old,) = [
        i
        for i, f in demo.flow_logs().items()
        if f["ResourceId"] == alb and f["TrafficType"] == "ACCEPT"
    ]
    flow = demo.app()
    async with flow.run_test(size=SIZE) as pilot:
        await settle(pilot)
        flow.show_flow_logs()
        await settle(pilot)
        assert "c Change flow log" in screen_text(flow)
        _select(pilot, old)
        await pilot.press("c")
        await settle(pilot)
        form = flow.screen
        assert isinstance(form, FlowLogFormScreen)
        # Prefilled from the flow log; its resource cannot change.
        assert form.query_one("#resource", Input).disabled
        assert form.query_one("#resource", Input).value == alb
        assert form.query_one("#traffic", Select).value == "ACCEPT"
        assert form.query_one("#group", Input).value == "/flowtui/demo/app-subnet"
        assert form.query_one("#role", Input).value.endswith(f":role/{GOOD_ROLE}")
        # Unchanged, or a role that cannot deliver: refused on the form, nothing changes.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(flow.screen, FlowLogFormScreen)
        assert "already does" in screen_text(flow)
        form.query_one("#traffic", Select).value = "ALL"
        role = form.query_one("#role", Input)
        good_role = role.value
        role.value = f"arn:aws:iam::{demo.account.account_id}:role/{BROKEN_ROLE}"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(flow.screen, FlowLogFormScreen)
        assert "cannot deliver" in screen_text(flow)
        role.value = good_role
        await pilot.press("ctrl+s")
        await settle(pilot)
        confirm = flow.screen
        assert isinstance(confirm, ConfirmScreen)
        plan = str(confirm.query_one("#detail", Static).render())
        assert f"Before: {old} on {alb}: ACCEPT ->" in plan and "traffic:     ALL" in plan
        assert "delete first (same resource and group)" in plan
        # alb-a stays captured in full by the VPC's flow log: nothing stops.
        assert "Every ENI it covers captures the same traffic as before." in plan
        assert plan.index(f"delete-flow-logs --flow-log-ids {old}") < plan.index("create-flow-logs")
        text = screen_text(flow)
        assert f"Replace flow log {old}" in text and "y: yes" in text
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(flow.screen, FlowLogsScreen) and old in demo.flow_logs()
        # Again, and yes: the old one is gone, the new one captures ALL of the same ENI.
        await pilot.press("c")
        await settle(pilot)
        flow.screen.query_one("#traffic", Select).value = "ALL"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(flow.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        after = demo.flow_logs()
        assert old not in after
        (new,) = [i for i, f in after.items() if f["ResourceId"] == alb]
        assert after[new]["TrafficType"] == "ALL"
        assert after[new]["LogGroupName"] == "/flowtui/demo/app-subnet"
        assert isinstance(flow.screen, FlowLogsScreen)
        assert new in flow.screen.items and old not in flow.screen.items


async def test_create_plan_shows_the_cli_and_the_role_json_and_scrolls(demo: Demo) -> None:
    staging = demo.account.eni("staging-1").id
    before = set(demo.flow_logs())
    flow = demo.app()
    async with flow.run_test(size=SIZE) as pilot:
        await settle(pilot)
        flow.show_coverage()
        await settle(pilot)
        _select(pilot, staging)
        await pilot.press("n")
        await settle(pilot)
        form = flow.screen
        assert isinstance(form, FlowLogFormScreen)
        form.query_one("#group", Input).value = "/flowtui/demo/staging-plan"
        form.query_one("#role", Input).value = "staging-plan-role"
        await pilot.press("ctrl+s")
        await settle(pilot)
        confirm = flow.screen
        assert isinstance(confirm, ConfirmScreen)
        plan = str(confirm.query_one("#detail", Static).render())
        # What `flowtui flowlogs create --dry-run` prints: the exact least-privilege JSON...
        trust = policy_json(trust_policy(demo.account.account_id, demo.account.region))
        assert f"trust policy (trust-policy.json):\n{trust}\n" in plan
        assert '"logs:PutLogEvents"' in plan and "permissions (permissions.json):" in plan
        # ...and the AWS CLI commands, the role's first.
        assert "aws iam create-role --role-name staging-plan-role" in plan
        assert (
            f"aws ec2 create-flow-logs --resource-type NetworkInterface --resource-ids {staging}"
            in plan
        )
        # At 80x24 the plan scrolls, with the question and the keys kept in view.
        scroll = confirm.query_one("#detail-scroll", VerticalScroll)
        assert scroll.max_scroll_y > 0
        text = screen_text(flow)
        assert "Create this flow log?" in text and "y: yes" in text
        assert "--max-aggregation-interval" not in text
        await pilot.press("end")
        await settle(pilot)
        assert scroll.scroll_y == scroll.max_scroll_y
        assert "--max-aggregation-interval 600" in screen_text(flow)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(flow.screen, CoverageScreen)
    assert set(demo.flow_logs()) == before


async def test_coverage_marks_the_flow_logs_whose_role_cannot_deliver(demo: Demo) -> None:
    web2 = demo.account.eni("web-2").id
    dns = demo.account.eni("dns-1").id
    flow = demo.app()
    async with flow.run_test(size=SIZE) as pilot:
        await settle(pilot)
        flow.show_coverage()
        await settle(pilot)
        screen = flow.screen
        assert isinstance(screen, CoverageScreen)
        assert screen.items[web2].failing and screen.items[dns].failing
        lines = {line.split()[0]: line for line in screen_text(flow).splitlines() if "eni-" in line}
        assert "⚠ all, 1 failing" in lines[web2] and "⚠ all, 1 failing" in lines[dns]
        _select(pilot, web2)
        await settle(pilot)
        shown = " ".join(screen_text(flow).split())
        assert "delivery failing: role flowtui-demo-no-put-events lacks logs:PutLogEvents" in shown
        _select(pilot, dns)
        await settle(pilot)
        shown = " ".join(screen_text(flow).split())
        assert "flowtui-demo-ec2-trust's trust policy refuses vpc-flow-logs" in shown


async def test_doctor_names_what_each_failing_check_blocks_at_80x24(demo: Demo) -> None:
    web2 = demo.account.eni("web-2").id
    flow = demo.app()
    async with flow.run_test(size=SIZE) as pilot:
        await settle(pilot)
        flow.show_doctor()
        await settle(pilot)
        screen = flow.screen
        assert isinstance(screen, DoctorScreen)
        failing = [key for key, row in screen.items.items() if row.status == "FAIL"]
        assert failing
        header = screen_text(flow).splitlines()[2]
        assert "needs" in header and "without it" in header
        for key in failing:  # each failing line, once in view, names what it blocks
            screen.pick_list.move_to(screen.pick_list.shown_keys.index(key))
            await settle(pilot)
            rows = [line for line in screen_text(flow).splitlines() if line.startswith(" FAIL ")]
            assert rows and all("records of" in line for line in rows)
        broken = next(r for r in screen.items.values() if web2 in r.name)
        screen.pick_list.move_to(screen.pick_list.shown_keys.index(broken.key))
        await settle(pilot)
        shown = " ".join(screen_text(flow).split())
        assert f"needs logs:PutLogEvents; without it: records of {web2}" in shown
