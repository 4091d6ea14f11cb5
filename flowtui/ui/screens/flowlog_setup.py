"""The flow logs' own set-up in the app: the coverage of the VPCs, the flow logs, the doctor.

Coverage lists every ENI with the flow logs that capture it (uncovered, ACCEPT-only,
REJECT-only and not-delivering ENIs marked, and those with a failing flow log); Enter opens the
ENI's records in the group of a flow log that delivers them, `n` creates one. The flow-log list
changes (`c`) or deletes (`d`) one; each change is planned by the backend and shown (before and
after, role JSON, AWS CLI commands) before it asks. The doctor lists what the credentials can do
and which flow logs fail, one line each, with the IAM action and the feature each failing one
blocks. All load through the backend in a worker, like the other lists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from textual import work
from textual.binding import BindingType

from flowtui.core.never_captured import EXCLUSIONS
from flowtui.core.query import Query, TimeRange
from flowtui.ui.backend import CheckRow, CoverageRow, FlowLogForm, FlowLogRow, error_text
from flowtui.ui.formatting import MISSING
from flowtui.ui.keys import FLOW_LOG_KEYS, LIST_KEYS, bindings
from flowtui.ui.messages import OpenExplorer
from flowtui.ui.screens.confirm import ConfirmScreen
from flowtui.ui.screens.flowlog_form import FlowLogFormScreen, PlannedFlowLog
from flowtui.ui.screens.lists import ListScreen
from flowtui.ui.widgets.pick_list import PickColumn, PickRow

WARNING_MARK = "⚠ "
NEVER_CAPTURED = "Never captured: " + ", ".join(e.title for e in EXCLUSIONS)


def coverage_row(item: CoverageRow) -> PickRow:
    captures = item.state if item.warning is None else WARNING_MARK + item.state
    if item.failing and item.state != "not-delivering":
        captures += f", {len(item.failing)} failing"
    cells = (
        item.eni_id,
        item.label or MISSING,
        item.subnet or MISSING,
        ", ".join(item.covered_by) or MISSING,
        captures,
    )
    search = " ".join((item.eni_id, item.label, item.subnet, item.vpc, *item.covered_by))
    styles = ("", "", "muted", "", "warning" if item.warning else "good")
    return PickRow(item.eni_id, cells, search, styles)


class CoverageScreen(ListScreen[CoverageRow]):
    BINDINGS: ClassVar[list[BindingType]] = [
        *bindings(spec for spec in LIST_KEYS if spec.id in ("list_filter", "open")),
        *bindings(spec for spec in FLOW_LOG_KEYS if spec.id == "coverage_new_flow_log"),
    ]
    COLUMNS = (
        PickColumn("ENI", 22, minimum=12),
        PickColumn("belongs to", None, minimum=12),
        PickColumn("subnet", 16, drop=2),
        PickColumn("covered by", 24, drop=1),
        PickColumn("captures", 16, minimum=10),
    )
    TITLE_TEXT = "Flow-log coverage: Enter opens an ENI's records, n creates a flow log"
    EMPTY = "No network interfaces in this account and region"

    def __init__(
        self,
        load: Callable[[], Sequence[CoverageRow]],
        clock: Callable[[], float],
        create: Callable[[FlowLogForm], str] | None = None,
        plan: Callable[[FlowLogForm], str] | None = None,
    ) -> None:
        super().__init__(load, clock)
        self._create = create
        self._plan = plan

    def action_new_flow_log(self) -> None:
        """The form, prefilled with the highlighted ENI; its plan; confirm; create."""
        if self._create is None:
            self.app.notify("this source cannot create flow logs", severity="warning")
            return
        key = self.pick_list.current_key
        item = self.items.get(key) if key is not None else None

        def confirmed(form: FlowLogForm, yes: bool | None) -> None:
            if yes:
                self._run_create(form)

        def filled(planned: PlannedFlowLog | None) -> None:
            if planned is not None:
                self.app.push_screen(
                    ConfirmScreen("Create this flow log?", planned.plan, wide=True),
                    lambda yes: confirmed(planned.form, yes),
                )

        eni = item.eni_id if item is not None else ""
        group = item.open_group or "" if item else ""
        self.app.push_screen(FlowLogFormScreen(eni, group, plan=self._plan), filled)

    @work(thread=True, exclusive=True, group="create-flow-log", exit_on_error=False)
    def _run_create(self, form: FlowLogForm) -> None:
        assert self._create is not None
        try:
            done = self._create(form)
        except Exception as error:
            self.app.call_from_thread(
                self.app.notify, f"nothing was changed: {error_text(error)}", severity="error"
            )
            return
        self.app.call_from_thread(self.app.notify, done)
        self.app.call_from_thread(self.reload)

    def key(self, item: CoverageRow) -> str:
        return item.eni_id

    def row(self, item: CoverageRow) -> PickRow:
        return coverage_row(item)

    def describe(self, item: CoverageRow) -> str:
        lines = [f"{item.eni_id} in {item.vpc}: {item.warning or 'captured: ' + item.state}"]
        lines.extend(item.details)
        lines.append(NEVER_CAPTURED)
        return "\n".join(lines)

    def open(self, keys: list[str]) -> None:
        item = self.items.get(keys[0])
        if item is None:
            return
        if item.open_group is None:
            self.app.notify(
                f"{item.eni_id}: no delivering flow log captures it", severity="warning"
            )
            return
        stream = item.open_stream or f"{item.eni_id}-all"
        query = Query(group=item.open_group, time_range=TimeRange.last(3600), streams=(stream,))
        self.post_message(OpenExplorer(query))


def check_row(item: CheckRow) -> PickRow:
    style = {"ok": "good", "FAIL": "warning"}.get(item.status, "muted")
    cells = (item.status, item.name, item.action, item.blocks, item.detail or MISSING)
    search = " ".join(cells)
    return PickRow(item.key, cells, search, (style, "", "muted", "", ""))


class DoctorScreen(ListScreen[CheckRow]):
    BINDINGS: ClassVar[list[BindingType]] = bindings(
        spec for spec in LIST_KEYS if spec.id in ("list_filter",)
    )
    # At 80 columns the detail goes first: each line keeps the IAM action it needs and the
    # feature it blocks (the line below the list has everything about the highlighted one).
    COLUMNS = (
        PickColumn("status", 11, minimum=6),
        PickColumn("check", 22, minimum=12),
        PickColumn("needs", 19, drop=2),
        PickColumn("without it", None, minimum=18),
        PickColumn("detail", None, minimum=20, drop=3),
    )
    TITLE_TEXT = "Doctor: what these credentials can do, and which flow logs fail"
    EMPTY = "Nothing was checked"

    def __init__(self, load: Callable[[], Sequence[CheckRow]], clock: Callable[[], float]) -> None:
        super().__init__(load, clock)

    def key(self, item: CheckRow) -> str:
        return item.key

    def row(self, item: CheckRow) -> PickRow:
        return check_row(item)

    def describe(self, item: CheckRow) -> str:
        head = f"{item.status}: {item.name}"
        if item.action and item.action != "-":
            head += f" needs {item.action}; without it: {item.blocks}"
        else:
            head += f" ({item.blocks})"
        return f"{head}. {item.detail}".strip()

    def open(self, keys: list[str]) -> None:
        """Nothing to open: the line below the list says everything about the check."""


def flow_log_row(item: FlowLogRow) -> PickRow:
    failing = item.status.startswith("FAILED")
    cells = (
        item.flow_log_id,
        item.resource_id,
        item.traffic_type,
        item.destination,
        item.format,
        item.status,
    )
    partial = "warning" if item.traffic_type != "ALL" else ""
    styles = ("", "", partial, "", "muted", "warning" if failing else "good")
    return PickRow(item.flow_log_id, cells, " ".join(cells), styles)


class FlowLogsScreen(ListScreen[FlowLogRow]):
    """Every flow log; `d` deletes the highlighted one after naming what stops being logged,
    `c` changes it: the form prefilled from it, then the before/after plan, then delete and
    recreate (as `flowtui flowlogs change`)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *bindings(spec for spec in LIST_KEYS if spec.id in ("list_filter",)),
        *bindings(
            spec for spec in FLOW_LOG_KEYS if spec.id in ("flowlogs_delete", "flowlogs_change")
        ),
    ]
    COLUMNS = (
        PickColumn("flow log", 21, minimum=12),
        PickColumn("resource", 24, minimum=12),
        PickColumn("traffic", 7, drop=2),
        PickColumn("destination", None, minimum=12),
        PickColumn("format", 22, drop=1),
        PickColumn("delivery", 10, drop=3),
    )
    TITLE_TEXT = "Flow logs: c changes one, d deletes one (each shows what it does, asks)"
    EMPTY = "No flow logs in this account and region"

    def __init__(
        self,
        load: Callable[[], Sequence[FlowLogRow]],
        clock: Callable[[], float],
        delete: Callable[[str], str],
        change: Callable[[FlowLogForm], str] | None = None,
        plan: Callable[[FlowLogForm], str] | None = None,
    ) -> None:
        super().__init__(load, clock)
        self._delete = delete
        self._change = change
        self._plan = plan

    def key(self, item: FlowLogRow) -> str:
        return item.flow_log_id

    def row(self, item: FlowLogRow) -> PickRow:
        return flow_log_row(item)

    def describe(self, item: FlowLogRow) -> str:
        stops = "; ".join(item.stops) or "every ENI it covers stays captured as before"
        return f"{item.flow_log_id}: deleting it changes: {stops}"

    def open(self, keys: list[str]) -> None:
        """Nothing to open: the line below the list says what the flow log captures."""

    def action_delete_flow_log(self) -> None:
        key = self.pick_list.current_key
        item = self.items.get(key) if key is not None else None
        if item is None:
            return
        stops = "\n".join(item.stops) or "Every ENI it covers stays captured as before."
        question = (
            f"Delete flow log {item.flow_log_id} ({item.traffic_type} of {item.resource_id})?"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._run_delete(item.flow_log_id)

        self.app.push_screen(
            ConfirmScreen(question, f"What stops being logged:\n{stops}"), answered
        )

    @work(thread=True, exclusive=True, group="delete-flow-log", exit_on_error=False)
    def _run_delete(self, flow_log_id: str) -> None:
        try:
            done = self._delete(flow_log_id)
        except Exception as error:
            self.app.call_from_thread(
                self.app.notify, f"not deleted: {error_text(error)}", severity="error"
            )
            return
        self.app.call_from_thread(self.app.notify, done)
        self.app.call_from_thread(self.reload)

    def action_change_flow_log(self) -> None:
        key = self.pick_list.current_key
        item = self.items.get(key) if key is not None else None
        if item is None:
            return
        if self._change is None:
            self.app.notify("this source cannot change flow logs", severity="warning")
            return

        def confirmed(form: FlowLogForm, yes: bool | None) -> None:
            if yes:
                self._run_change(form)

        def filled(planned: PlannedFlowLog | None) -> None:
            if planned is not None:
                question = f"Replace flow log {item.flow_log_id} (delete it, create the new one)?"
                self.app.push_screen(
                    ConfirmScreen(question, planned.plan, wide=True),
                    lambda yes: confirmed(planned.form, yes),
                )

        self.app.push_screen(FlowLogFormScreen(existing=item, plan=self._plan), filled)

    @work(thread=True, exclusive=True, group="change-flow-log", exit_on_error=False)
    def _run_change(self, form: FlowLogForm) -> None:
        assert self._change is not None
        try:
            done = self._change(form)
        except Exception as error:
            self.app.call_from_thread(
                self.app.notify, f"not changed: {error_text(error)}", severity="error"
            )
            self.app.call_from_thread(self.reload)
            return
        self.app.call_from_thread(self.app.notify, done)
        self.app.call_from_thread(self.reload)
