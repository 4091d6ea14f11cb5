"""The form that creates or changes a flow log: resource, traffic, group, role, format, interval.

The format is previewed as the record line it will produce while it is typed (an unknown field
is named with the closest known one). Ctrl+S has the backend check the form in a worker and
write the plan `flowtui flowlogs create|change --dry-run` prints (settings, role JSON, AWS CLI
commands); a failed check stays on the form, saying why. The plan goes back to the caller,
which shows it and asks before anything changes. Esc leaves without changing anything.
Started from a flow log (`existing`), the form is a change: prefilled, the resource fixed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from flowtui.core.fields import UnknownFieldError
from flowtui.core.flowlog_format import (
    AGGREGATION_INTERVALS,
    RETENTION_DAYS,
    TRAFFIC_TYPES,
    PreviewContext,
    creation_format,
    preview_record,
)
from flowtui.core.formats import FormatError
from flowtui.ui.backend import FlowLogForm, FlowLogRow, error_text
from flowtui.ui.formatting import sanitize
from flowtui.ui.keys import FLOW_LOG_KEYS, bindings


def form_summary(form: FlowLogForm) -> str:
    """What the confirmation shows: the flow log to create, in one short paragraph."""
    role = form.role_arn or f"{form.create_role} (created, least privilege)"
    retention = f", retention {form.retention_days} days" if form.retention_days else ""
    return (
        f"{form.traffic_type} traffic of {form.resource_id} to {form.group}{retention}\n"
        f"role {role}, format {form.log_format or 'default'}, "
        f"aggregation {form.max_aggregation_s} s"
    )


FORMAT_HINT = "format: blank for the default, or ${version} ${srcaddr} ..."


class _FormBody(VerticalScroll, can_focus=False):
    """Scrolls when the terminal is short; focus goes to the fields, not to it."""


@dataclass(frozen=True, slots=True)
class PlannedFlowLog:
    """A checked form and what it will do, as the backend wrote it."""

    form: FlowLogForm
    plan: str


def _default_format_text() -> str:
    return creation_format(None).aws_string()


class FlowLogFormScreen(ModalScreen[PlannedFlowLog | None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings(
        spec for spec in FLOW_LOG_KEYS if spec.id.startswith("flowlog_form_")
    )

    DEFAULT_CSS = """
    FlowLogFormScreen { align: center middle; background: $background 60%; }
    FlowLogFormScreen > _FormBody {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        background: $surface; border: round $primary; padding: 0 1;
    }
    FlowLogFormScreen Input, FlowLogFormScreen Select { margin: 0 0 0 0; }
    FlowLogFormScreen #preview { color: $foreground 80%; margin-top: 1; }
    FlowLogFormScreen #problem { color: $warning; }
    """

    def __init__(
        self,
        resource_id: str = "",
        group: str = "",
        *,
        plan: Callable[[FlowLogForm], str] | None = None,
        existing: FlowLogRow | None = None,
    ) -> None:
        super().__init__()
        self._existing = existing
        self._resource_id = existing.resource_id if existing else resource_id
        self._group = (existing.log_group or "") if existing else group
        self._plan = plan

    def compose(self) -> ComposeResult:
        old = self._existing
        fmt = old.format_text if old and old.format_text != _default_format_text() else ""
        aggregation = (
            old.aggregation_s if old and old.aggregation_s in AGGREGATION_INTERVALS else 600
        )
        traffic = old.traffic_type if old and old.traffic_type in TRAFFIC_TYPES else "ALL"
        title = (
            f"Change {old.flow_log_id} (delete, recreate)   ^s check, Esc cancel"
            if old
            else "New flow log   ^s check, Esc cancel"
        )
        with _FormBody():
            yield Label(Text(sanitize(title)))
            yield Input(self._resource_id, placeholder="vpc-..., subnet-... or eni-...",
                        id="resource", compact=True, disabled=old is not None)  # fmt: skip
            yield Select(
                [(t, t) for t in TRAFFIC_TYPES], value=traffic, allow_blank=False, id="traffic"
            )
            yield Input(self._group, placeholder="log group name (created when missing)",
                        id="group", compact=True)  # fmt: skip
            yield Input((old.role_arn or "") if old else "",
                        placeholder="role ARN, or a name for a new least-privilege role",
                        id="role", compact=True)  # fmt: skip
            yield Input(fmt, placeholder=FORMAT_HINT, id="format", compact=True)
            yield Select(
                [(f"aggregate {s} s", s) for s in AGGREGATION_INTERVALS],
                value=aggregation,
                allow_blank=False,
                id="aggregation",
            )
            yield Input(placeholder="retention days of a new group (blank: never expire)",
                        id="retention", compact=True)  # fmt: skip
            yield Static("", id="preview")
            yield Static("", id="problem")

    def on_mount(self) -> None:
        self._update_preview()

    @on(Input.Changed)
    def _changed(self) -> None:
        self._update_preview()

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def _update_preview(self) -> None:
        preview = self.query_one("#preview", Static)
        try:
            log_format = creation_format(self._value("format") or None)
        except (FormatError, UnknownFieldError) as error:
            preview.update(Text(sanitize(f"format: {error}")))
            return
        eni = self._value("resource")
        context = PreviewContext(interface_id=eni) if eni.startswith("eni-") else PreviewContext()
        line = preview_record(log_format, context)
        preview.update(Text(sanitize(f"{log_format.summary()}, a record: {line}")))

    def _problem(self, text: str) -> None:
        self.query_one("#problem", Static).update(Text(sanitize(text)))

    def action_submit(self) -> None:
        resource, group, role = self._value("resource"), self._value("group"), self._value("role")
        log_format = self._value("format") or None
        try:
            creation_format(log_format)
        except (FormatError, UnknownFieldError) as error:
            self._problem(f"format: {error}")
            return
        retention_text = self._value("retention")
        retention = int(retention_text) if retention_text.isdigit() else None
        if retention_text and retention not in RETENTION_DAYS:
            self._problem(f"retention: one of {', '.join(map(str, RETENTION_DAYS))} days")
            return
        if not (resource and group and role):
            self._problem("give the resource, the log group and a role")
            return
        traffic = self.query_one("#traffic", Select).value
        aggregation = self.query_one("#aggregation", Select).value
        is_arn = role.startswith("arn:")
        form = FlowLogForm(
            resource_id=resource,
            traffic_type=str(traffic),
            group=group,
            role_arn=role if is_arn else None,
            create_role=None if is_arn else role,
            log_format=log_format,
            max_aggregation_s=int(str(aggregation)),
            retention_days=retention,
            replaces=self._existing.flow_log_id if self._existing else None,
        )
        if self._plan is None:
            self.dismiss(PlannedFlowLog(form, form_summary(form)))
            return
        self._problem("checking (nothing is changed yet)...")
        self._check(form, self._plan)

    @work(thread=True, exclusive=True, group="check-flow-log", exit_on_error=False)
    def _check(self, form: FlowLogForm, plan: Callable[[FlowLogForm], str]) -> None:
        """The backend's checks and plan, off the UI thread; a failure stays on the form."""
        try:
            text = plan(form)
        except Exception as error:
            self.app.call_from_thread(self._problem, f"nothing was changed: {error_text(error)}")
            return
        self.app.call_from_thread(self.dismiss, PlannedFlowLog(form, text))

    def action_cancel(self) -> None:
        self.dismiss(None)
