"""The coverage and doctor screens: reached from the command palette, marking what is missed,
and opening an ENI's records from coverage."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.widgets import Input
from ui_support import explorer_app, fixed_clock, screen_text, settle

from flowtui.ui.app import FlowApp, Start
from flowtui.ui.backend import CheckRow, CoverageRow, FlowLogForm, FlowLogRow
from flowtui.ui.screens.confirm import ConfirmScreen
from flowtui.ui.screens.explorer import ExplorerScreen
from flowtui.ui.screens.flowlog_form import FlowLogFormScreen
from flowtui.ui.screens.flowlog_setup import CoverageScreen, DoctorScreen, FlowLogsScreen
from flowtui.ui.widgets.detail_pane import DetailBody
from tests.fixtures.sample_data import GROUP, SampleBackend

WEB = CoverageRow(
    eni_id="eni-0a1b2c3d4e5f60001",
    vpc="vpc-1 (prod)",
    subnet="web-a",
    label="web-1 10.0.1.10",
    covered_by=("fl-1",),
    state="all",
    warning=None,
    details=("fl-1 on the vpc: ALL -> group, default v2, 600 s, SUCCESS",),
    open_group=GROUP,
    open_stream="eni-0a1b2c3d4e5f60001-all",
)
LONELY = CoverageRow(
    eni_id="eni-0a1b2c3d4e5f60009",
    vpc="vpc-2 (staging)",
    subnet="staging-a",
    label="staging-1 [bold]10.1.0.10",
    covered_by=(),
    state="uncovered",
    warning="no flow log captures this ENI",
)
CHECKS = (
    CheckRow("c:1", "ok", "list log groups", "logs:DescribeLogGroups", "the group list"),
    CheckRow(
        "f:1",
        "FAIL",
        "flow log fl-2 on eni-9",
        "logs:PutLogEvents",
        "records of eni-9 in group",
        "role r: logs:PutLogEvents: missing (no statement allows it)",
    ),
)


FLOW_LOGS = (
    FlowLogRow("fl-1", "vpc-1", "ALL", "/vpc/flow-logs/prod", "default v2", "SUCCESS"),
    FlowLogRow(
        "fl-2",
        "eni-0a1b2c3d4e5f60009",
        "REJECT",
        "/vpc/staging",
        "default v2",
        "SUCCESS",
        ("eni-0a1b2c3d4e5f60009 (staging-1): reject-only -> uncovered",),
    ),
)


@dataclass
class SetupBackend(SampleBackend):
    forms: list[FlowLogForm] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def coverage(self) -> list[CoverageRow]:
        return [WEB, LONELY]

    def create_flow_log(self, form: FlowLogForm) -> str:
        self.forms.append(form)
        return f"created flow log fl-new on {form.resource_id}"

    def flow_logs(self) -> list[FlowLogRow]:
        return [row for row in FLOW_LOGS if row.flow_log_id not in self.deleted]

    def delete_flow_log(self, flow_log_id: str) -> str:
        self.deleted.append(flow_log_id)
        return f"deleted flow log {flow_log_id}"

    def doctor(self) -> list[CheckRow]:
        return list(CHECKS)


def app() -> FlowApp:
    return FlowApp(SetupBackend(), start=Start(), clock=fixed_clock)


async def test_coverage_marks_the_uncovered_eni_and_opens_a_covered_one() -> None:
    flow = app()
    async with flow.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert {c.title for c in flow.get_system_commands(flow.screen)} >= {
            "Flow-log coverage",
            "Doctor",
        }
        flow.show_coverage()
        await settle(pilot)
        assert isinstance(flow.screen, CoverageScreen)
        text = screen_text(flow)
        assert "⚠ uncovered" in text and "staging-1 [bold]10.1.0.10" in text
        await pilot.press("down")
        await settle(pilot)
        text = screen_text(flow)
        assert "no flow log captures this ENI" in text and "Never captured: Amazon DNS" in text
        await pilot.press("enter")  # nothing to open: says so, stays
        await settle(pilot)
        assert isinstance(flow.screen, CoverageScreen)
        await pilot.press("up", "enter")
        await settle(pilot)
        assert isinstance(flow.screen, ExplorerScreen)
        backend = flow.backend
        assert isinstance(backend, SetupBackend)
        opened = [query for name, query in backend.calls if name == "open"]
        assert opened[-1].group == GROUP and opened[-1].streams == (WEB.open_stream,)


async def test_doctor_lists_the_failing_flow_log_with_its_missing_action() -> None:
    flow = app()
    async with flow.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        flow.show_doctor()
        await settle(pilot)
        assert isinstance(flow.screen, DoctorScreen)
        text = screen_text(flow)
        assert "FAIL" in text and "logs:PutLogEvents" in text and "list log groups" in text


async def test_detail_pane_says_what_a_dns_record_never_shows() -> None:
    flow = explorer_app(filter_text="dstport=53")
    async with flow.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "Not logged" in screen_text(flow)
        detail = flow.screen.query_one(DetailBody).detail
        assert detail is not None
        assert "queries to the Amazon DNS server" in detail.never_captured
    flow = explorer_app(filter_text="dstport=22")
    async with flow.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "Not logged" not in screen_text(flow)


async def test_create_form_previews_the_format_asks_and_creates() -> None:
    flow = app()
    async with flow.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        flow.show_coverage()
        await settle(pilot)
        await pilot.press("down", "n")
        await settle(pilot)
        form = flow.screen
        assert isinstance(form, FlowLogFormScreen)
        assert form.query_one("#resource", Input).value == LONELY.eni_id
        form.query_one("#group", Input).value = "/vpc/staging"
        form.query_one("#role", Input).value = "staging-delivery"
        form.query_one("#format", Input).value = "${srcaddr} ${dst-port}"
        await settle(pilot)
        assert "did you mean 'dstport'" in screen_text(flow)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(flow.screen, FlowLogFormScreen)  # refused: the format is wrong
        form.query_one("#format", Input).value = "${version} ${interface-id} ${srcaddr}"
        await settle(pilot)
        assert f"custom v2 (3 fields), a record: 2 {LONELY.eni_id} 198.51.100.7" in screen_text(
            flow
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(flow.screen, ConfirmScreen)
        assert "staging-delivery (created, least privilege)" in screen_text(flow)
        backend = flow.backend
        assert isinstance(backend, SetupBackend) and backend.forms == []
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(flow.screen, CoverageScreen)
        (created,) = backend.forms
        assert (created.resource_id, created.group, created.create_role, created.role_arn) == (
            LONELY.eni_id,
            "/vpc/staging",
            "staging-delivery",
            None,
        )
        assert created.log_format == "${version} ${interface-id} ${srcaddr}"


async def test_deleting_a_flow_log_names_what_stops_and_asks_first() -> None:
    flow = app()
    async with flow.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        flow.show_flow_logs()
        await settle(pilot)
        assert isinstance(flow.screen, FlowLogsScreen)
        await pilot.press("down", "d")
        await settle(pilot)
        assert isinstance(flow.screen, ConfirmScreen)
        text = screen_text(flow)
        assert "Delete flow log fl-2" in text and "reject-only -> uncovered" in text
        await pilot.press("n")
        await settle(pilot)
        backend = flow.backend
        assert isinstance(backend, SetupBackend) and backend.deleted == []
        await pilot.press("d", "y")
        await settle(pilot)
        assert backend.deleted == ["fl-2"]
        assert isinstance(flow.screen, FlowLogsScreen) and "fl-2" not in flow.screen.items
