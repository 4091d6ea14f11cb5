"""The log-group list: flow-log groups marked with their formats, delivery and coverage."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from textual.binding import BindingType

from flowtui.ui.backend import GroupRow
from flowtui.ui.formatting import MISSING, age, byte_size
from flowtui.ui.keys import LIST_KEYS, bindings
from flowtui.ui.messages import OpenStreams
from flowtui.ui.screens.lists import ListScreen
from flowtui.ui.widgets.pick_list import PickColumn, PickRow

WARNING_MARK = "⚠ "


def group_flow_log_text(group: GroupRow) -> str:
    if not group.is_flow_log:
        return MISSING
    text = ", ".join(group.formats) or "flow log"
    return (WARNING_MARK + text) if group.warnings else text


def group_row(group: GroupRow, now_s: float) -> PickRow:
    flow_style = "warning" if group.warnings else ("good" if group.is_flow_log else "muted")
    delivery = group.delivery or MISSING
    delivery_style = "good" if delivery == "ok" else ("muted" if delivery == MISSING else "warning")
    cells = (
        group.name,
        group_flow_log_text(group),
        "failed" if delivery.startswith("failed") else delivery,
        byte_size(group.stored_bytes),
        age(group.last_event_ms, now_s),
    )
    search = " ".join((group.name, *group.formats, "flow log" if group.is_flow_log else ""))
    styles = ("" if group.is_flow_log else "muted", flow_style, delivery_style, "muted", "")
    return PickRow(group.name, cells, search, styles)


def describe_group(group: GroupRow) -> str:
    if not group.is_flow_log:
        return f"{group.name}: no flow log delivers to this group"
    parts = [f"{group.name}: {', '.join(group.formats) or 'flow log'}"]
    if group.delivery:
        parts.append(f"delivery {group.delivery}")
    parts.extend(WARNING_MARK + warning for warning in group.warnings)
    return " · ".join(parts)


class GroupsScreen(ListScreen[GroupRow]):
    BINDINGS: ClassVar[list[BindingType]] = bindings(
        spec for spec in LIST_KEYS if spec.id in ("list_filter", "open", "views")
    )
    COLUMNS = (
        PickColumn("log group", None, minimum=20),
        PickColumn("flow log", 22, minimum=10),
        PickColumn("delivery", 8, drop=2),
        PickColumn("stored", 10, numeric=True, drop=3),
        PickColumn("last event", 10, numeric=True, drop=1),
    )
    TITLE_TEXT = "Log groups: Enter shows a group's streams (ENIs)"
    EMPTY = "No log groups in this account and region"

    def __init__(
        self,
        load: Callable[[], Sequence[GroupRow]],
        clock: Callable[[], float],
        select: str | None = None,
        where: str = "",
    ) -> None:
        super().__init__(load, clock)
        self._select = select
        self._where = where

    def loading_text(self) -> str:
        return f"Listing log groups from {self._where}…" if self._where else ""

    def key(self, item: GroupRow) -> str:
        return item.name

    def row(self, item: GroupRow) -> PickRow:
        return group_row(item, self.clock())

    def describe(self, item: GroupRow) -> str:
        return describe_group(item)

    def after_load(self) -> None:
        if self._select is not None and self._select in self.pick_list.shown_keys:
            self.pick_list.move_to(self.pick_list.shown_keys.index(self._select))

    def open(self, keys: list[str]) -> None:
        self.post_message(OpenStreams(keys[0]))
