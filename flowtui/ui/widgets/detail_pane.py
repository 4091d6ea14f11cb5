"""The decoded record: the answer first, then every field explained, and who the parties are.

The pane opens on a summary (`record_summary`): the action (or the log status of a record
without traffic) as a word, then protocol and port names, source → destination with their
owners, packets and bytes, and the window in the table's time style; then who the parties
are, every field with its explanation, and where the record came from. Shown docked beside
the table on wide terminals and as an overlay screen below 100 columns. All text is built as
Rich `Text` (never markup), so log content is shown literally.
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
from flowtui.core.never_captured import record_note
from flowtui.core.ports import port_service
from flowtui.core.schema import FORMAT_INDEX, INGEST, ROW_ID, STREAM
from flowtui.core.store import StoreSnapshot
from flowtui.ui.formatting import (
    DisplayOptions,
    Ownership,
    byte_size,
    format_clock,
    format_ms_clock,
    protocol_name,
    record_fields,
    sanitize,
)
from flowtui.ui.keys import DETAIL_KEYS, bindings

_PARTIES = ("interface-id", "srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr")
#: Protocols whose records carry real port numbers (TCP, UDP, DCCP, SCTP, UDP-Lite).
_PORTED = frozenset({6, 17, 33, 132, 136})
_STATUS_WORDS = {
    "OK": "logged OK",
    "NODATA": "no traffic in this window",
    "SKIPDATA": "records were skipped in this window",
}
_VERDICT_WORDS = {"ACCEPT": "allowed", "REJECT": "denied"}


@dataclass(frozen=True, slots=True)
class RecordSummary:
    """The answer, in two lines: `verdict` (ACCEPT, REJECT, NODATA...) starts the first."""

    verdict: str
    #: The table style of the verdict word ("accept", "reject", "nodata", "skipdata", "").
    style: str
    first: str
    second: str

    @property
    def lines(self) -> tuple[str, str]:
        return f"{self.verdict} {self.first}".rstrip(), self.second


@dataclass(frozen=True, slots=True)
class RecordDetail:
    """Everything the pane shows about one record, as plain strings."""

    row_id: int
    fields: tuple[DecodedField, ...]
    #: (field, value, what it belongs to or "") for the ENI and the addresses.
    parties: tuple[tuple[str, str, str], ...]
    origin: tuple[tuple[str, str], ...] = field(default=())
    summary: RecordSummary | None = None
    #: When the record touches or neighbours traffic flow logs never capture; "" otherwise.
    never_captured: str = ""


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
    return RecordDetail(
        row_id,
        decoded,
        _parties(record, ownership),
        _origin(row, options),
        record_summary(record, ownership, options),
        _never_captured(record),
    )


def _never_captured(record: Mapping[str, object]) -> str:
    """The note about traffic flow logs never capture that this record sits next to."""
    note = record_note(
        _text(record.get("srcaddr")),
        _text(record.get("dstaddr")),
        _int(record.get("srcport")),
        _int(record.get("dstport")),
        _int(record.get("protocol")),
    )
    return note or ""


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: object) -> str | None:
    return sanitize(value) if isinstance(value, str) else None


def record_summary(
    record: Mapping[str, object], ownership: Ownership, options: DisplayOptions
) -> RecordSummary:
    """What happened, in words: the verdict and the flow, then counts, window and log status.

    `REJECT denied · TCP 22 ssh · 203.0.113.7 → 10.0.1.10 web-1`
    `3 packets, 180 B · 10:00:00 → 10:01:00 UTC (60 s) · logged OK`
    """
    action, status = _text(record.get("action")), _text(record.get("log-status"))
    verdict = action or status or "-"
    words = _VERDICT_WORDS.get(action or "", "")
    if action == "REJECT" and record.get("reject-reason") == "BPA":
        words = "blocked by VPC Block Public Access"
    first = [words] if words else []
    protocol = _int(record.get("protocol"))
    if protocol is not None:
        flow = protocol_name(protocol)
        port = _int(record.get("dstport"))
        if port is not None and protocol in _PORTED:
            service = port_service(port, protocol)
            flow += f" {port}" + (f" {service}" if service else "")
        first.append(flow)
    source, destination = _party(record, "srcaddr", ownership), _party(record, "dstaddr", ownership)
    if source or destination:
        first.append(f"{source or '-'} → {destination or '-'}")
    second = []
    packets, count = _int(record.get("packets")), _int(record.get("bytes"))
    if packets is not None or count is not None:
        packet_text = "- packets" if packets is None else f"{packets:,} packet"
        packet_text += "" if packets == 1 or packets is None else "s"
        second.append(f"{packet_text}, {byte_size(count)}")
    window = _window(record, options)
    if window:
        second.append(window)
    if status is not None and (action is not None or status not in _STATUS_WORDS):
        second.append(_STATUS_WORDS.get(status, f"log status {status}"))
    elif status is not None:
        first.append(_STATUS_WORDS[status])
    style = verdict.lower() if verdict in ("ACCEPT", "REJECT", "NODATA", "SKIPDATA") else ""
    return RecordSummary(verdict, style, " · ".join(first), " · ".join(second))


def _party(record: Mapping[str, object], name: str, ownership: Ownership) -> str:
    value = record.get(name)
    if value is None:
        return ""
    text = sanitize(str(value))
    owner = ownership.label_for(name, text)
    return f"{text} {owner}" if owner else text


def _window(record: Mapping[str, object], options: DisplayOptions) -> str:
    start, end = _int(record.get("start")), _int(record.get("end"))
    if start is None:
        return ""
    local, style = options.local_time, options.time_style
    zone = "local" if local else "UTC"
    if end is None:
        return f"from {format_clock(start, local, style)} {zone}"
    span = f"{format_clock(start, local, style)} → {format_clock(end, local, style)} {zone}"
    return f"{span} ({end - start:,}s)" if end >= start else span


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
        "detail-body--accept",
        "detail-body--reject",
        "detail-body--nodata",
        "detail-body--skipdata",
    }

    DEFAULT_CSS = """
    DetailBody { height: auto; padding: 0 1; }
    DetailBody > .detail-body--heading { color: $primary; text-style: bold; }
    DetailBody > .detail-body--name { color: $secondary; }
    DetailBody > .detail-body--value { color: $foreground; text-style: bold; }
    DetailBody > .detail-body--meaning { color: $flow-muted; }
    DetailBody > .detail-body--unknown { color: $flow-muted; text-style: italic; }
    DetailBody > .detail-body--accept { color: $flow-accept; text-style: bold; }
    DetailBody > .detail-body--reject { color: $flow-reject; text-style: bold reverse; }
    DetailBody > .detail-body--nodata { color: $flow-nodata; text-style: bold; }
    DetailBody > .detail-body--skipdata { color: $flow-skipdata; text-style: bold; }
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
        summary = self._summary_text()
        if summary is not None:
            outer = Table.grid(expand=True)
            outer.add_column(ratio=1)
            outer.add_row(summary)
            outer.add_row(grid)
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
        if self._detail.never_captured:
            self._add_heading(grid, "Not logged")
            note = Text(self._detail.never_captured, self._style("meaning"))
            grid.add_row(Text("nearby", self._style("name")), note)
        self._add_heading(grid, "Fields")
        for decoded in self._detail.fields:
            cell = Text(decoded.value, self._style("value"))
            if decoded.meaning:
                cell.append("\n")
                cell.append(decoded.meaning, self._style("meaning"))
            grid.add_row(Text(decoded.name, self._style("name")), cell)
        self._add_heading(grid, "Record")
        for name, value in self._detail.origin:
            grid.add_row(Text(name, self._style("name")), Text(value, self._style("value")))
        return outer if summary is not None else grid

    def _summary_text(self) -> Text | None:
        summary = self._detail.summary if self._detail else None
        if summary is None:
            return None
        text = Text(no_wrap=False, end="")
        style = self._style(summary.style) if summary.style else self._style("value")
        text.append(f" {summary.verdict} " if summary.style == "reject" else summary.verdict, style)
        if summary.first:
            text.append("" if summary.style == "reject" else " ")
            text.append(summary.first, self._style("value"))
        if summary.second:
            text.append("\n")
            text.append(summary.second)
        return text

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
        Binding("pageup", "scroll('page_up')", "Page up", show=False),
        Binding("pagedown,space", "scroll('page_down')", "Page down", show=False),
        Binding("g,home", "scroll('home')", "Top", show=False),
        Binding("G,end", "scroll('end')", "Bottom", show=False),
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
            keys = ["j k PgDn g G scroll", "Esc close"]
            if self._explain is not None and self._detail is not None:
                keys.insert(1, "x explain")
            scroller.border_subtitle = " · ".join(keys)
            body = DetailBody()
            body.show(self._detail)
            yield body

    def action_explain(self) -> None:
        """Explain the record shown; the explanation opens over this overlay."""
        if self._explain is not None and self._detail is not None:
            self._explain()

    def action_scroll(self, direction: str) -> None:
        scroller = self.query_one(VerticalScroll)
        moves = {
            "up": scroller.scroll_up,
            "down": scroller.scroll_down,
            "page_up": scroller.scroll_page_up,
            "page_down": scroller.scroll_page_down,
            "home": scroller.scroll_home,
            "end": scroller.scroll_end,
        }
        moves[direction](animate=False)
