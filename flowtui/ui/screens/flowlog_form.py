"""The form that creates a flow log: resource, traffic, log group, role, format, aggregation.

The format is previewed as the record line it will produce while it is typed (an unknown field
is named with the closest known one). Ctrl+S hands the filled form back; the caller asks for
confirmation and has the backend check and create it. Esc leaves without changing anything.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
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
from flowtui.ui.backend import FlowLogForm
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


class FlowLogFormScreen(ModalScreen[FlowLogForm | None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings(
        spec for spec in FLOW_LOG_KEYS if spec.id.startswith("flowlog_form_")
    )

    DEFAULT_CSS = """
    FlowLogFormScreen { align: center middle; background: $background 60%; }
    FlowLogFormScreen > Vertical {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        background: $surface; border: round $primary; padding: 0 1;
    }
    FlowLogFormScreen Input, FlowLogFormScreen Select { margin: 0 0 0 0; }
    FlowLogFormScreen #preview { color: $foreground 80%; margin-top: 1; }
    FlowLogFormScreen #problem { color: $warning; }
    """

    def __init__(self, resource_id: str = "", group: str = "") -> None:
        super().__init__()
        self._resource_id = resource_id
        self._group = group

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("New flow log   (^s create, Esc cancel)")
            yield Input(self._resource_id, placeholder="vpc-..., subnet-... or eni-...",
                        id="resource", compact=True)  # fmt: skip
            yield Select(
                [(t, t) for t in TRAFFIC_TYPES], value="ALL", allow_blank=False, id="traffic"
            )
            yield Input(self._group, placeholder="log group name (created when missing)",
                        id="group", compact=True)  # fmt: skip
            yield Input(placeholder="role ARN, or a name for a new least-privilege role",
                        id="role", compact=True)  # fmt: skip
            yield Input(placeholder="format: blank for the default, or ${version} ${srcaddr} ...",
                        id="format", compact=True)  # fmt: skip
            yield Select(
                [(f"aggregate {s} s", s) for s in AGGREGATION_INTERVALS],
                value=600,
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
        self.dismiss(
            FlowLogForm(
                resource_id=resource,
                traffic_type=str(traffic),
                group=group,
                role_arn=role if is_arn else None,
                create_role=None if is_arn else role,
                log_format=log_format,
                max_aggregation_s=int(str(aggregation)),
                retention_days=retention,
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
