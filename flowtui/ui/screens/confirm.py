"""A yes/no question, such as before a fetch the source expects to be large."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from flowtui.ui.formatting import sanitize


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm_yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm_no"),
    ]

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; background: $background 60%; }
    ConfirmScreen > Vertical {
        width: 70; max-width: 100%; height: auto;
        background: $surface; border: round $warning; padding: 1 2;
    }
    ConfirmScreen #question { text-style: bold; }
    ConfirmScreen #keys { color: $foreground 70%; margin-top: 1; }
    """

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self._question = question
        self._detail = detail

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(sanitize(self._question)), id="question")
            if self._detail:
                yield Static(Text(sanitize(self._detail)))
            yield Static(Text("y: yes   n / Esc: no"), id="keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
