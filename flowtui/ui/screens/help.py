"""Every binding, with the keys it answers to after the user's keymap (`?`)."""

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
            yield Static(help_table(self._keymap))

    def action_scroll(self, lines: int) -> None:
        scroller = self.query_one(VerticalScroll)
        scroller.scroll_relative(y=lines, animate=False)
