"""Drill-down from the stats view: pick a table row or a chart bucket, and the explorer opens
on the records behind it (the filters come from `flowtui.core.stats.drill`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from flowtui.core.query import TimeRange
from flowtui.core.stats.drill import bucket_filter
from flowtui.ui.formatting import sanitize
from flowtui.ui.widgets.traffic_chart import TrafficData


@dataclass(frozen=True, slots=True)
class DrillChoice:
    label: str
    filter_text: str
    #: The bucket's own time window; None keeps the stats view's range.
    window: TimeRange | None = None


def row_choices(rows: tuple[tuple[str, ...], ...], drills: tuple[str, ...]) -> list[DrillChoice]:
    """A table's rows (as shown) with their filters; rows without a key are left out."""
    return [
        DrillChoice("  ".join(cells), drill)
        for cells, drill in zip(rows, drills, strict=False)
        if drill
    ]


def bucket_choices(traffic: TrafficData) -> list[DrillChoice]:
    """The chart's buckets that hold records, oldest first, each with its window (UTC)."""
    if traffic.first_bucket is None:
        return []
    size = traffic.bucket_seconds
    choices = []
    counts = zip(traffic.records_accept, traffic.records_reject, strict=True)
    for index, (accept, reject) in enumerate(counts):
        start = traffic.first_bucket + index * size
        if accept or reject:
            when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(start))
            label = f"{when} UTC  {accept:,} ACCEPT  {reject:,} REJECT"
            window = TimeRange.between(start * 1000, (start + size) * 1000)
            choices.append(DrillChoice(label, bucket_filter(start, size), window))
    return choices


class DrillScreen(ModalScreen[DrillChoice | None]):
    """A list of choices; enter answers the one under the cursor, escape nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Back", id="drill_cancel"),
    ]

    DEFAULT_CSS = """
    DrillScreen { align: center middle; background: $background 60%; }
    DrillScreen > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 90%;
        background: $surface; border: round $primary; padding: 0 1;
    }
    DrillScreen #drill-title { text-style: bold; }
    DrillScreen OptionList { height: auto; max-height: 16; }
    """

    def __init__(self, title: str, choices: list[DrillChoice]) -> None:
        super().__init__()
        self._title = title
        self._choices = choices

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(sanitize(self._title)), id="drill-title")
            options = [
                Option(Text(sanitize(choice.label)), id=str(index))
                for index, choice in enumerate(self._choices)
            ]
            yield OptionList(*options)
            yield Static(Text("enter: open these records   Esc: back"))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        index = int(event.option.id or 0)
        self.dismiss(self._choices[index])

    def action_cancel(self) -> None:
        self.dismiss(None)
