"""Help (`?`): the filter syntax, then every binding with the keys it answers to after the
user's keymap."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from flowtui.ui.keys import HELP_SECTIONS, PALETTE_HELP, keys_for

#: The filter bar's language (`f`), as the README's cheat sheet says it.
FILTER_SYNTAX: tuple[tuple[str, str], ...] = (
    ("rejected SSH", "action=reject dstport=22   (or dport=ssh)"),
    ("...not from 10/8", "action=reject dport=ssh not src=10.0.0.0/8"),
    ("either address", "addr=10.0.1.5   (addr!=10.0.1.5: neither)"),
    ("a subnet", "dstaddr=10.0.2.0/24  addr=2001:db8::/32  srcaddr=10.0.2.*"),
    ("ports, a range", "dstport=22,3389  port=1024-65535"),
    ("a protocol", "protocol=tcp  proto=icmp"),
    ("an ENI", "eni=eni-0a*"),
    ("big flows", "bytes>1000000 packets>=100"),
    ("recent", "start>-15m  start>=2026-11-27T10:00Z"),
    ("no data", "status=nodata  srcaddr=-   (- is a missing value)"),
    ("either of two", "dport=22 or dport=3389, with not and ( )"),
    ("operators", "= != < <= > >=; terms side by side are ANDed"),
    ("fields", "AWS names (log-status), src dst sport dport proto eni status, addr port"),
    ("in the bar", "Enter applies, Esc puts back the filter applied before, Tab completes"),
)


def filter_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, style="bold")
    table.add_column()
    table.add_row(Text("Filter syntax (f)", style="bold underline"), Text(""))
    for what, example in FILTER_SYNTAX:
        table.add_row(Text(what), Text(example))
    table.add_row(Text(""), Text(""))
    return table


def help_table(keymap: Mapping[str, str]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, style="bold")
    table.add_column()
    table.add_column(style="dim")
    for title, specs in HELP_SECTIONS:
        table.add_row(Text(title, style="bold underline"), Text(""), Text(""))
        for spec in specs:
            table.add_row(Text(keys_for(spec, keymap)), Text(spec.description), Text(spec.id))
        table.add_row(Text(""), Text(""), Text(""))
    table.add_row(Text(PALETTE_HELP[0]), Text(PALETTE_HELP[1]), Text(""))
    table.add_row(
        Text(""),
        Text('Remap a key in config.json: "keymap": {"<id>": "<keys>"}'),
        Text(""),
    )
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help_close"),
        Binding("down,j", "scroll(1)", "Down", show=False),
        Binding("up,k", "scroll(-1)", "Up", show=False),
        Binding("pagedown", "scroll(10)", "Page down", show=False),
        Binding("pageup", "scroll(-10)", "Page up", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; background: $background 60%; }
    HelpScreen > VerticalScroll {
        width: 84; max-width: 100%; height: 95%;
        background: $surface; border: round $primary; padding: 0 1;
    }
    """

    def __init__(self, keymap: Mapping[str, str]) -> None:
        super().__init__()
        self._keymap = keymap

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(filter_table(), id="filter-syntax")
            yield Static(help_table(self._keymap))

    def action_scroll(self, lines: int) -> None:
        scroller = self.query_one(VerticalScroll)
        scroller.scroll_relative(y=lines, animate=False)
