"""The decoded record: every field explained by the core decoders, and who the parties are.

Shown docked beside the table on wide terminals and as an overlay screen below 100 columns.
All text is built as Rich `Text` (never markup), so log content is shown literally.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from rich.console import RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget

from flowtui.core.decode import DecodedField, describe_record
from flowtui.core.formats import LogFormat
from flowtui.core.schema import FORMAT_INDEX, INGEST, ROW_ID, STREAM
from flowtui.core.store import StoreSnapshot
from flowtui.ui.formatting import (
    DisplayOptions,
    Ownership,
    format_ms_clock,
    record_fields,
    sanitize,
)
from flowtui.ui.keys import DETAIL_KEYS, bindings

_PARTIES = ("interface-id", "srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr")


@dataclass(frozen=True, slots=True)
class RecordDetail:
    """Everything the pane shows about one record, as plain strings."""

    row_id: int
    fields: tuple[DecodedField, ...]
    #: (field, value, what it belongs to or "") for the ENI and the addresses.
    parties: tuple[tuple[str, str, str], ...]
    origin: tuple[tuple[str, str], ...] = field(default=())


def record_detail(
    snapshot: StoreSnapshot, row_id: int, ownership: Ownership, options: DisplayOptions
) -> RecordDetail | None:
    """Decode one record of the snapshot; None when it is no longer kept."""
    row = snapshot.row(row_id)
    if row is None:
        return None
    fmt_index = row.get(FORMAT_INDEX)
    log_format: LogFormat | None = None
    if isinstance(fmt_index, int) and fmt_index < len(snapshot.formats):
        log_format = snapshot.formats[fmt_index]
    record = record_fields(row, log_format)
    decoded = tuple(
        DecodedField(sanitize(d.name), sanitize(d.raw), sanitize(d.value), sanitize(d.meaning))
        for d in describe_record(record)
    )
    return RecordDetail(row_id, decoded, _parties(record, ownership), _origin(row, options))


def _parties(
    record: Mapping[str, object], ownership: Ownership
) -> tuple[tuple[str, str, str], ...]:
    parties = []
    for name in _PARTIES:
        value = record.get(name)
        if value is None:
            continue
        text = sanitize(str(value))
        parties.append((name, text, ownership.label_for(name, text)))
    return tuple(parties)


def _origin(row: Mapping[str, object], options: DisplayOptions) -> tuple[tuple[str, str], ...]:
    origin = [("row", f"{row[ROW_ID]:,}")]
    stream = row.get(STREAM)
    if stream is not None:
        origin.append(("stream", sanitize(str(stream))))
    ingested = row.get(INGEST)
    if isinstance(ingested, int):
        zone = "local" if options.local_time else "UTC"
        origin.append(("ingested", f"{format_ms_clock(ingested, options.local_time)} {zone}"))
    return tuple(origin)


class DetailBody(Widget):
    """The decoded record, rendered as a two-column grid of names and explained values."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "detail-body--heading",
        "detail-body--name",
        "detail-body--value",
        "detail-body--meaning",
        "detail-body--unknown",
    }

    DEFAULT_CSS = """
    DetailBody { height: auto; padding: 0 1; }
    DetailBody > .detail-body--heading { color: $primary; text-style: bold; }
    DetailBody > .detail-body--name { color: $secondary; }
    DetailBody > .detail-body--value { color: $foreground; text-style: bold; }
    DetailBody > .detail-body--meaning { color: $flow-muted; }
    DetailBody > .detail-body--unknown { color: $flow-muted; text-style: italic; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._detail: RecordDetail | None = None

    def show(self, detail: RecordDetail | None) -> None:
        self._detail = detail
        self.refresh(layout=True)

    @property
    def detail(self) -> RecordDetail | None:
        return self._detail

    def render(self) -> RenderableType:
        if self._detail is None:
            return Text("No record selected", style=self._style("unknown"))
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1)
        self._add_heading(grid, "Record")
        for name, value in self._detail.origin:
            grid.add_row(Text(name, self._style("name")), Text(value, self._style("value")))
        if self._detail.parties:
            self._add_heading(grid, "Who")
            for name, value, owner in self._detail.parties:
                cell = Text(value, self._style("value"))
                cell.append(" ")
                if owner:
                    cell.append(owner, self._style("meaning"))
                else:
                    cell.append("not known", self._style("unknown"))
                grid.add_row(Text(name, self._style("name")), cell)
        self._add_heading(grid, "Fields")
        for decoded in self._detail.fields:
            cell = Text(decoded.value, self._style("value"))
            if decoded.meaning:
                cell.append("\n")
                cell.append(decoded.meaning, self._style("meaning"))
            grid.add_row(Text(decoded.name, self._style("name")), cell)
        return grid

    def _add_heading(self, grid: Table, title: str) -> None:
        grid.add_row(Text(title, self._style("heading")), Text(""))

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"detail-body--{name}", partial=True)


class DetailPane(VerticalScroll):
    """The decoded record docked beside the table."""

    DEFAULT_CSS = """
    DetailPane {
        width: 52;
        dock: right;
        background: $surface;
        border-left: vkey $panel;
        display: none;
    }
    DetailPane.-open { display: block; }
    """

    def compose(self) -> ComposeResult:
        yield DetailBody()

    def show(self, detail: RecordDetail | None) -> None:
        self.query_one(DetailBody).show(detail)


class DetailScreen(ModalScreen[None]):
    """The decoded record over the whole terminal, for narrow terminals."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "dismiss", "Close", id="detail_close"),
        Binding("up,k", "scroll('up')", "Scroll up", show=False),
        Binding("down,j", "scroll('down')", "Scroll down", show=False),
        *bindings(DETAIL_KEYS),
    ]

    DEFAULT_CSS = """
    DetailScreen { background: $background 60%; }
    DetailScreen > VerticalScroll { margin: 0 0; background: $surface; border: round $primary; }
    """

    def __init__(
        self, detail: RecordDetail | None, explain: Callable[[], None] | None = None
    ) -> None:
        super().__init__()
        self._detail = detail
        self._explain = explain

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroller:
            if self._explain is not None and self._detail is not None:
                scroller.border_subtitle = "x explain · Esc close"
            body = DetailBody()
            body.show(self._detail)
            yield body

    def action_explain(self) -> None:
        """Explain the record shown; the explanation opens over this overlay."""
        if self._explain is not None and self._detail is not None:
            self._explain()

    def action_scroll(self, direction: str) -> None:
        scroller = self.query_one(VerticalScroll)
        if direction == "up":
            scroller.scroll_up(animate=False)
        else:
            scroller.scroll_down(animate=False)
