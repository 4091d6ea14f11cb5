"""Explain (`x`): the verdict for the selected record, from the explorer and the detail overlay."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from features_support import (
    PROBE_ALLOWED_TODAY,
    PROBE_DENIED_BY_ACL,
    PROBE_NO_GROUP_RULE,
    RDP_TO_DATABASE,
    explorer_of,
    to_row,
    top,
)
from ui_support import SIZES, explorer_app, screen_text, settle

from flowtui.core.explain.verdict import Verdict
from flowtui.core.formats import DEFAULT_FORMAT
from flowtui.sources.aws import AccessDeniedError
from flowtui.ui.screens.explain import ExplainScreen
from flowtui.ui.widgets.detail_pane import DetailScreen
from tests.fixtures.sample_data import SampleBackend


@pytest.mark.parametrize("size", SIZES)
async def test_an_ssh_probe_is_denied_by_the_public_subnets_acl(size: tuple[int, int]) -> None:
    app = explorer_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await to_row(pilot, PROBE_DENIED_BY_ACL)
        await pilot.press("x")
        await settle(pilot)
        screen = top(app, ExplainScreen)
        verdict = screen.verdict_view.verdict
        assert verdict is not None and verdict.kind == "nacl-deny"
        assert verdict.rule is not None and verdict.rule.number == 100
        text = screen_text(app)
        assert "DENIED BY A NETWORK ACL" in text
        assert "Inbound TCP 22 from 203.0.113.7 is denied by network ACL" in text
        assert "203.0.113.7 10.0.0.10 51000 22" in text, "the record itself is shown"


@pytest.mark.parametrize(
    ("position", "kind", "title"),
    [
        (PROBE_NO_GROUP_RULE, "sg-no-allow", "NO SECURITY GROUP RULE ALLOWS IT"),
        (RDP_TO_DATABASE, "sg-no-allow", "NO SECURITY GROUP RULE ALLOWS IT"),
        (PROBE_ALLOWED_TODAY, "allowed", "TODAY'S RULES ALLOW IT"),
    ],
)
async def test_other_rejects_get_their_own_verdict(position: int, kind: str, title: str) -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await to_row(pilot, position)
        await pilot.press("x")
        await settle(pilot)
        verdict = top(app, ExplainScreen).verdict_view.verdict
        assert verdict is not None and verdict.kind == kind
        assert title in screen_text(app)


async def test_the_backend_gets_only_the_fields_of_the_records_format() -> None:
    backend = SampleBackend()
    app = explorer_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await to_row(pilot, PROBE_DENIED_BY_ACL)
        await pilot.press("x")
        await settle(pilot)
        records = [record for name, record in backend.calls if name == "explain"]
        assert len(records) == 1
        record = records[0]
        assert isinstance(record, Mapping)
        assert set(record) == {*DEFAULT_FORMAT.fields, "srcaddr_v6", "dstaddr_v6"}
        assert "reject-reason" not in record, "a v2 record cannot show a BPA reject"
        await pilot.press("r")
        await settle(pilot)
        assert [name for name, _ in backend.calls][-1] == "explain_refresh"


class _DeniedBackend(SampleBackend):
    def explain(self, record: Mapping[str, object], refresh: bool = False) -> Verdict:
        raise AccessDeniedError(
            "access denied: ec2:DescribeNetworkInterfaces is not allowed [bold]here[/]",
            "ec2:DescribeNetworkInterfaces",
        )


async def test_a_failure_is_one_plain_line() -> None:
    app = explorer_app(_DeniedBackend())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await to_row(pilot, PROBE_DENIED_BY_ACL)
        await pilot.press("x")
        await settle(pilot)
        screen = top(app, ExplainScreen)
        assert screen.verdict_view.failure.startswith("access denied")
        text = screen_text(app)
        assert (
            "Cannot explain this record: access denied: ec2:DescribeNetworkInterfaces is not"
            in text
        )
        assert "[bold]here[/]" in text, "error text is shown literally"
        assert "Traceback" not in text
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is explorer_of(app)


async def test_a_nodata_record_cannot_be_decided() -> None:
    app = explorer_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        explorer = explorer_of(app)
        await to_row(pilot, len(explorer.table.view) - 2)
        await pilot.press("x")
        await settle(pilot)
        verdict = top(app, ExplainScreen).verdict_view.verdict
        assert verdict is not None and verdict.kind == "unknown"
        assert "CANNOT DECIDE" in screen_text(app)


async def test_x_in_the_detail_overlay_explains_its_record() -> None:
    app = explorer_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await to_row(pilot, PROBE_DENIED_BY_ACL)
        await pilot.press("enter")
        await settle(pilot)
        top(app, DetailScreen)
        assert "x explain" in screen_text(app)
        await pilot.press("x")
        await settle(pilot)
        verdict = top(app, ExplainScreen).verdict_view.verdict
        assert verdict is not None and verdict.kind == "nacl-deny"
        await pilot.press("escape")
        await settle(pilot)
        top(app, DetailScreen)


async def test_x_with_the_detail_pane_docked_explains_the_current_record() -> None:
    app = explorer_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await to_row(pilot, PROBE_NO_GROUP_RULE)
        await pilot.press("enter")
        await settle(pilot)
        assert explorer_of(app).detail_pane.has_class("-open")
        await pilot.press("x")
        await settle(pilot)
        verdict = top(app, ExplainScreen).verdict_view.verdict
        assert verdict is not None and verdict.kind == "sg-no-allow"
